// The real-VS-Code end-to-end test (run through e2e/run.sh, which installs the tools).
//
// code-server runs VS Code with a real node extension host; Debian's Chromium, driven by
// playwright-core, is the window. The freshly built .vsix is installed and a copy of
// examples/demo is opened with djvet.interpreter = $DJVET_PYTHON (importStrategy
// fromEnvironment). What djvet should report is learnt from `djvet check --format json` on
// the same copy, so the test follows the demo as it grows, and then each step must be seen
// in VS Code itself:
//   1. the status bar item says djvet is running;
//   2. a squiggle on the Python finding (an async view, DJV2xx/DJV3xx with a fix);
//   3. the Problems panel lists its code;
//   4. the hover shows the message and the link to the rule's docs;
//   5. the quick fix rewrites the code, and after saving the file on disk is exactly the
//      CLI's fixed text;
//   6. a template shows its DJV101 squiggle and Problems row;
//   7. djvet: Restart Server restarts it, djvet: Show Logs shows the log of the restart;
//   8. a second window on a Python without djvet shows the "not installed" notification;
//      "Use bundled copy" switches to the bundled djvet and the squiggle appears.
// Each step has its own deadline and fails with a message naming what did not happen, plus a
// screenshot. Screenshots, logs and timings go to e2e/out/.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const extensionRoot = path.dirname(here);
const repoRoot = path.dirname(extensionRoot);
const outDir = path.join(here, "out");

function argument(name) {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0 || !process.argv[index + 1]) {
    throw new Error(`missing --${name}`);
  }
  return process.argv[index + 1];
}

const node24 = argument("node24");
const codeServer = argument("code-server");
const vsix = path.resolve(argument("vsix"));
const python = process.env.DJVET_PYTHON;
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const keep = process.env.DJVET_E2E_KEEP === "1";

const started = Date.now();
const timings = [];
let passed = 0;
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = (message) => console.log(`[e2e ${elapsed()}] ${message}`);

fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });
const run = fs.mkdtempSync(path.join(os.tmpdir(), "djvet-e2e-"));
const dirs = {
  ws: path.join(run, "ws", "demo"),
  ws2: path.join(run, "ws", "bundled"),
  ud: path.join(run, "user-data"),
  ext: path.join(run, "extensions"),
  browser: path.join(run, "browser"),
  tmp: path.join(run, "tmp"),
  xdg: path.join(run, "xdg"),
};
for (const dir of Object.values(dirs)) {
  fs.mkdirSync(dir, { recursive: true });
}
// Chromium writes ~/.config/chromium even with its own profile; code-server's git extension
// leaves sockets in TMPDIR: keep both inside the run folder.
const sandboxEnv = {
  ...process.env,
  TMPDIR: dirs.tmp,
  XDG_CONFIG_HOME: path.join(dirs.xdg, "config"),
  XDG_DATA_HOME: path.join(dirs.xdg, "data"),
  XDG_CACHE_HOME: path.join(dirs.xdg, "cache"),
};

class StepError extends Error {}

/** Runs one step with a deadline; on failure the message says which step and what was missing. */
async function step(name, timeoutMs, action) {
  const begin = Date.now();
  let timer;
  try {
    const work = action();
    work.catch(() => undefined); // a step that timed out may still fail later: not unhandled
    const result = await Promise.race([
      work,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new StepError(`timed out after ${timeoutMs / 1000}s`)), timeoutMs);
      }),
    ]);
    timings.push({ step: name, ms: Date.now() - begin });
    passed += 1;
    log(`ok   ${name} (${Date.now() - begin} ms)`);
    return result;
  } catch (error) {
    timings.push({ step: name, ms: Date.now() - begin, failed: true });
    const reason = error instanceof Error ? error.message : String(error);
    throw new StepError(`step "${name}" failed: ${reason}`);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------- what djvet should report

/** Applies the CLI's edits (1-based lines and code-point columns, end exclusive). */
function applyCliEdits(text, edits) {
  const lines = text.split(/(?<=\n)/);
  const offset = (line, column) => {
    let start = 0;
    for (let index = 0; index < line - 1; index += 1) {
      start += lines[index].length;
    }
    const lineText = lines[line - 1] ?? "";
    return start + Array.from(lineText).slice(0, column - 1).join("").length;
  };
  const ranges = edits
    .map((edit) => ({ start: offset(edit.line, edit.column), end: offset(edit.end_line, edit.end_column), text: edit.text }))
    .sort((a, b) => b.start - a.start);
  let result = text;
  for (const range of ranges) {
    result = result.slice(0, range.start) + range.text + result.slice(range.end);
  }
  return result;
}

function expectedFindings(workspace) {
  const stdout = execFileSync(python, ["-m", "djvet", "check", "--format", "json", "--no-cache", "--exit-zero", "--no-progress", "."], {
    cwd: workspace,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const report = JSON.parse(stdout);
  const findings = report.findings ?? [];
  const summary = findings.map((f) => `${f.path}:${f.line} ${f.code}${f.fix ? " (fix)" : ""}`).join(", ") || "nothing";
  const pythonCandidates = findings.filter((f) => f.path.endsWith(".py") && /^DJV[23]/.test(f.code) && f.fix);
  const pythonFinding =
    pythonCandidates.find((f) => f.code === "DJV201") ?? pythonCandidates.find((f) => /views/.test(f.path)) ?? pythonCandidates[0];
  if (!pythonFinding) {
    throw new StepError(`examples/demo has no fixable DJV2xx/DJV3xx finding in a Python file (djvet check found: ${summary})`);
  }
  const templateFinding = findings.find((f) => f.code === "DJV101" && /\.(html|jinja2?|j2|djhtml)$/.test(f.path));
  if (!templateFinding) {
    throw new StepError(`examples/demo has no DJV101 finding in a template (djvet check found: ${summary})`);
  }
  return { pythonFinding, templateFinding, summary, djangoVersion: report.django_version };
}

/** `https://docs.djangoproject.com/en/5.2/x/` and `/en/6.1/x/` are the same page for the check. */
function sameDocsPage(a, b) {
  const normal = (url) => url.replace(/\/en\/[^/]+\//, "/en/VERSION/");
  return normal(a) === normal(b);
}

// ---------------------------------------------------------------- code-server

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

function writeJson(file, data) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}

const codeServerEnv = { ...sandboxEnv, PATH: `${path.join(node24, "bin")}:${process.env.PATH}` };
const codeServerArgs = (extra) => [codeServer, "--config", path.join(run, "config.yaml"), "--user-data-dir", dirs.ud, "--extensions-dir", dirs.ext, ...extra];

let codeServerProcess;
const codeServerLog = path.join(outDir, "code-server.log");

async function startCodeServer(port) {
  fs.writeFileSync(path.join(run, "config.yaml"), "auth: none\ncert: false\n");
  const logStream = fs.openSync(codeServerLog, "a");
  codeServerProcess = spawn(
    path.join(node24, "bin", "node"),
    codeServerArgs([
      "--bind-addr",
      `127.0.0.1:${port}`,
      "--auth",
      "none",
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--disable-getting-started-override",
      dirs.ws,
    ]),
    { env: codeServerEnv, stdio: ["ignore", logStream, logStream], detached: true },
  );
  for (;;) {
    if (codeServerProcess.exitCode !== null) {
      throw new StepError(`code-server exited with ${codeServerProcess.exitCode}; see ${codeServerLog}`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function stopCodeServer() {
  if (codeServerProcess && codeServerProcess.exitCode === null) {
    try {
      process.kill(-codeServerProcess.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
}

// ---------------------------------------------------------------- the workbench

const SQUIGGLES = ".squiggly-error, .squiggly-warning, .squiggly-info, .squiggly-hint";
const activeEditor = ".editor-group-container.active .editor-instance .monaco-editor";

/**
 * Waits for `waiting`, but fails fast when VS Code shows an error notification about djvet
 * (a server that cannot start) instead of waiting out the step's deadline.
 */
async function until(page, waiting) {
  const toast = page.locator(".notification-toast").filter({ hasText: /djvet|connection to server|server crashed/i }).first();
  const errorShown = toast.waitFor({ state: "visible", timeout: 0 }).then(async () => {
    const text = await toast.innerText().catch(() => "");
    throw new StepError(`VS Code showed: ${text.replace(/\s+/g, " ").trim()}`);
  });
  errorShown.catch(() => undefined);
  waiting.catch(() => undefined);
  return Promise.race([waiting, errorShown]);
}

async function openFile(page, relativePath) {
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: 10_000 });
  await input.fill(relativePath);
  const base = path.basename(relativePath);
  const row = page.locator(".quick-input-list .monaco-list-row").filter({ hasText: base }).first();
  await row.waitFor({ state: "visible", timeout: 15_000 });
  await page.keyboard.press("Enter");
  await page.locator(".tab.active").filter({ hasText: base }).waitFor({ state: "visible", timeout: 15_000 });
  await page.locator(`${activeEditor} .view-lines`).waitFor({ state: "visible", timeout: 15_000 });
}

async function runCommand(page, title) {
  await page.keyboard.press("Escape");
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: 10_000 });
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-list .monaco-list-row").filter({ hasText: title }).first();
  await row.waitFor({ state: "visible", timeout: 10_000 });
  await row.click();
  await input.waitFor({ state: "hidden", timeout: 10_000 });
}

async function goTo(page, line, column) {
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+1"); // focus the editor (a click could scroll it)
  await page.keyboard.press("Control+G");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: 10_000 });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press("Enter");
  await input.waitFor({ state: "hidden", timeout: 10_000 });
}

async function problemsRows(page, code) {
  const panel = page.locator(".markers-panel");
  if (!(await panel.isVisible())) {
    await page.keyboard.press("Control+Shift+M");
  }
  // The list is virtualised (only rows on screen exist): filter it down to the code first.
  const filter = page.locator(".part.panel").getByPlaceholder(/^Filter \(e\.g\./);
  await filter.waitFor({ state: "visible", timeout: 10_000 });
  await filter.fill(code);
  const row = page.locator(".markers-panel .monaco-list-row").filter({ hasText: code }).first();
  await until(page, row.waitFor({ state: "visible", timeout: 0 }));
  const rows = (await page.locator(".markers-panel .monaco-list-row").allInnerTexts()).map((text) => text.replace(/\s+/g, " ").trim());
  await filter.fill(""); // the Output view would inherit the filter text
  return rows;
}

async function screenshot(page, name) {
  const file = path.join(outDir, name);
  await page.screenshot({ path: file });
  return file;
}

// ---------------------------------------------------------------- the test

async function main() {
  log(`vsix ${path.relative(repoRoot, vsix)}, python ${python}, run folder ${run}`);
  await step("preflight: DJVET_PYTHON has djvet", 30_000, async () => {
    if (!python) {
      throw new StepError("DJVET_PYTHON is not set");
    }
    const version = execFileSync(python, ["-c", "import djvet; print(djvet.__version__)"], { encoding: "utf8" }).trim();
    log(`djvet ${version} in ${python}`);
  });

  const demo = path.resolve(process.env.DJVET_E2E_PROJECT ?? path.join(repoRoot, "examples", "demo"));
  fs.cpSync(demo, dirs.ws, { recursive: true, filter: (source) => !/(__pycache__|\.djvet_cache)$/.test(source) });
  const expected = await step("djvet check on the demo copy", 60_000, async () => expectedFindings(dirs.ws));
  const pyFinding = expected.pythonFinding;
  const tplFinding = expected.templateFinding;
  log(`djvet check: ${expected.summary}`);
  log(`python target ${pyFinding.path}:${pyFinding.line}:${pyFinding.column} ${pyFinding.code} — fix "${pyFinding.fix.title}"`);
  log(`template target ${tplFinding.path}:${tplFinding.line}:${tplFinding.column} ${tplFinding.code}`);
  const pyFile = path.join(dirs.ws, pyFinding.path);
  const pyBefore = fs.readFileSync(pyFile, "utf8");
  const pyExpected = applyCliEdits(pyBefore, pyFinding.fix.edits);

  // The second window's project: a Python without djvet (a bare venv) and the same view.
  const bare = path.join(run, "bare");
  execFileSync(python, ["-m", "venv", "--without-pip", bare]);
  const barePython = path.join(bare, "bin", "python");
  fs.cpSync(demo, dirs.ws2, { recursive: true, filter: (source) => !/(__pycache__|\.djvet_cache)$/.test(source) });
  writeJson(path.join(dirs.ws2, ".vscode", "settings.json"), { "djvet.interpreter": [barePython], "djvet.importStrategy": "fromEnvironment" });

  writeJson(path.join(dirs.ud, "User", "settings.json"), {
    "djvet.interpreter": [python],
    "djvet.importStrategy": "fromEnvironment",
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.colorTheme": "Default Dark Modern",
    "security.workspace.trust.enabled": false,
    "extensions.autoUpdate": false,
    "extensions.autoCheckUpdates": false,
    "extensions.ignoreRecommendations": true,
    "chat.disableAIFeatures": true,
    "chat.commandCenter.enabled": false,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "git.enabled": false,
    "editor.hover.delay": 200,
    "editor.minimap.enabled": false,
    "window.zoomLevel": 0,
  });

  await step("install the .vsix into code-server", 120_000, async () => {
    const output = execFileSync(path.join(node24, "bin", "node"), codeServerArgs(["--install-extension", vsix]), {
      env: codeServerEnv,
      encoding: "utf8",
    });
    if (!/successfully installed/i.test(output)) {
      throw new StepError(`code-server did not confirm the install:\n${output}`);
    }
  });

  const port = await freePort();
  await step("start code-server", 60_000, () => startCodeServer(port));

  const browser = await chromium.launchPersistentContext(dirs.browser, {
    executablePath: chromiumPath,
    headless: true,
    env: sandboxEnv,
    viewport: { width: 1280, height: 800 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--disable-extensions"],
  });
  let page = browser.pages()[0] ?? (await browser.newPage());
  try {
    await step("open the demo in VS Code", 60_000, async () => {
      await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.ws)}`);
      await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: 0 });
    });

    await step(`open ${pyFinding.path}`, 45_000, () => openFile(page, pyFinding.path));

    await step(`squiggle for ${pyFinding.code} in ${pyFinding.path}`, 90_000, async () => {
      // Monaco renders decorations only for the lines on screen: bring the finding's line there.
      await goTo(page, pyFinding.line, pyFinding.column);
      await until(page, page.locator(`${activeEditor} :is(${SQUIGGLES})`).first().waitFor({ state: "attached", timeout: 0 }));
    });

    const statusText = await step("status bar shows djvet running", 30_000, async () => {
      const item = page.locator(".statusbar-item").filter({ hasText: "djvet" }).first();
      await item.locator(".codicon-check").waitFor({ state: "attached", timeout: 0 });
      // A server that sends djvet/status has done so by the time it published diagnostics;
      // a short grace period covers the notification still in flight.
      await page.locator(".statusbar-item").filter({ hasText: "Django" }).first().waitFor({ state: "attached", timeout: 3_000 }).catch(() => undefined);
      return (await item.innerText()).replace(/\s+/g, " ").trim();
    });
    log(`status bar: "${statusText}"`);
    // The Django version appears once the server sends djvet/status (PROTOCOL.md); until a
    // server does, the item shows the running state only and there is nothing to compare.
    const shownVersion = /Django (\S+)/.exec(statusText)?.[1];
    if (shownVersion !== undefined) {
      await step("status bar shows the Django version djvet check detected", 1_000, async () => {
        if (shownVersion !== expected.djangoVersion) {
          throw new StepError(`status bar says Django ${shownVersion}, djvet check says ${expected.djangoVersion}`);
        }
      });
    } else {
      log("the server sent no djvet/status (yet): no Django version in the status bar to check");
    }

    const rows = await step(`Problems panel lists ${pyFinding.code}`, 30_000, () => problemsRows(page, pyFinding.code));
    log(`Problems: ${rows.join(" | ")}`);

    const hover = await step(`hover on ${pyFinding.code} shows the message and the docs link`, 30_000, async () => {
      await goTo(page, pyFinding.line, pyFinding.column + 1);
      await page.keyboard.press("Control+K");
      await page.keyboard.press("Control+I");
      const widget = page.locator(".monaco-hover:visible").filter({ hasText: pyFinding.code }).first();
      await widget.waitFor({ state: "visible", timeout: 0 });
      const hrefs = await widget.locator("a[href]").evaluateAll((anchors) => anchors.map((a) => a.getAttribute("href")));
      const text = (await widget.innerText()).replace(/\s+/g, " ").trim();
      if (!hrefs.some((href) => href && sameDocsPage(href, pyFinding.url))) {
        throw new StepError(`the hover has no link to ${pyFinding.url}; links: ${JSON.stringify(hrefs)}; text: ${text}`);
      }
      const firstWords = pyFinding.message.split(" ").slice(0, 4).join(" ");
      if (!text.includes(firstWords)) {
        throw new StepError(`the hover does not show the message "${firstWords}…": ${text}`);
      }
      // For the picture only: let the hover settle (quick-fix lookup done, server hover in).
      await widget.getByText("Checking for quick fixes").waitFor({ state: "detached", timeout: 5_000 }).catch(() => undefined);
      await widget.getByText(pyFinding.name).first().waitFor({ state: "visible", timeout: 3_000 }).catch(() => undefined);
      return { text, hrefs };
    });
    log(`hover: ${hover.text.slice(0, 160)}…`);
    const shot = await screenshot(page, "01-python-hover.png");
    log(`screenshot ${path.relative(extensionRoot, shot)}`);

    await step(`quick fix "${pyFinding.fix.title}" rewrites ${pyFinding.path} on disk`, 45_000, async () => {
      await page.keyboard.press("Escape");
      await goTo(page, pyFinding.line, pyFinding.column + 1);
      await page.keyboard.press("Control+.");
      const action = page.locator(".action-widget .monaco-list-row").filter({ hasText: pyFinding.fix.title }).first();
      try {
        await action.waitFor({ state: "visible", timeout: 15_000 });
      } catch {
        const offered = await page.locator(".action-widget .monaco-list-row").allInnerTexts();
        throw new StepError(`no code action "${pyFinding.fix.title}"; offered: ${JSON.stringify(offered)}`);
      }
      await screenshot(page, "02-quick-fix-menu.png");
      await action.click();
      await page.keyboard.press("Control+S");
      const deadline = Date.now() + 20_000;
      let onDisk = pyBefore;
      while (Date.now() < deadline) {
        onDisk = fs.readFileSync(pyFile, "utf8");
        if (onDisk !== pyBefore) {
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      if (onDisk === pyBefore) {
        throw new StepError("the file on disk did not change after the quick fix and Ctrl+S");
      }
      // Give a second save (format-on-save, a late edit) the chance to land before comparing.
      await new Promise((resolve) => setTimeout(resolve, 500));
      onDisk = fs.readFileSync(pyFile, "utf8");
      if (onDisk !== pyExpected) {
        fs.writeFileSync(path.join(outDir, "fix-expected.py"), pyExpected);
        fs.writeFileSync(path.join(outDir, "fix-actual.py"), onDisk);
        throw new StepError("the file on disk differs from the CLI's fixed text (see out/fix-expected.py, out/fix-actual.py)");
      }
    });
    await screenshot(page, "03-after-fix.png");

    await step(`open ${tplFinding.path}`, 45_000, () => openFile(page, tplFinding.path));
    await step(`squiggle for ${tplFinding.code} in ${tplFinding.path}`, 60_000, async () => {
      await goTo(page, tplFinding.line, tplFinding.column);
      await until(page, page.locator(`${activeEditor} :is(${SQUIGGLES})`).first().waitFor({ state: "attached", timeout: 0 }));
    });
    const tplRows = await step(`Problems panel lists ${tplFinding.code}`, 30_000, () => problemsRows(page, tplFinding.code));
    log(`Problems: ${tplRows.join(" | ")}`);
    await goTo(page, tplFinding.line, tplFinding.column + 1);
    await page.keyboard.press("Control+K");
    await page.keyboard.press("Control+I");
    await page.locator(".monaco-hover:visible").filter({ hasText: tplFinding.code }).first().waitFor({ state: "visible", timeout: 10_000 }).catch(() => undefined);
    await screenshot(page, "04-template.png");

    await step("djvet: Restart Server and djvet: Show Logs", 60_000, async () => {
      await runCommand(page, "djvet: Restart Server");
      await runCommand(page, "djvet: Show Logs");
      // Show Logs: the Output panel shows the djvet channel.
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll(".part.panel select")].some(
            (select) => select instanceof HTMLSelectElement && select.selectedIndex >= 0 && select.options[select.selectedIndex].text === "djvet",
          ),
        undefined,
        { timeout: 0, polling: 200 },
      );
      // The panel's filter box can still hold the text typed into the Problems filter earlier
      // (VS Code keeps one filter widget per panel); clear it so the channel's lines show.
      const filters = page.locator(".part.panel .viewpane-filter input, .part.panel input[placeholder^='Filter']");
      for (let index = 0; index < (await filters.count()); index++) {
        const input = filters.nth(index);
        if (await input.isVisible()) {
          await input.fill("");
        }
      }
      await page.locator(".part.panel .monaco-editor .view-lines").filter({ hasText: "[info]" }).first().waitFor({ state: "visible", timeout: 0 });
      // Restart: the channel's log file (what the panel shows) records a new start that came up.
      for (;;) {
        const text = djvetLogs().join("\n");
        const restart = text.indexOf("Starting the djvet server (djvet: Restart Server)");
        if (restart >= 0 && text.indexOf("The djvet server is running.", restart) > restart) {
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      await page.locator(".statusbar-item").filter({ hasText: "djvet" }).first().locator(".codicon-check").waitFor({ state: "attached", timeout: 0 });
      await screenshot(page, "05-logs.png");
      // The restarted server publishes again: the template's finding comes back.
      await problemsRows(page, tplFinding.code);
    });

    await page.close();
    page = await browser.newPage();
    await step("second window: a Python without djvet", 60_000, async () => {
      await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.ws2)}`);
      await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: 0 });
    });
    await step('notification "djvet is not installed" → Use bundled copy', 60_000, async () => {
      const toast = page.locator(".notification-toast").filter({ hasText: "djvet is not installed" }).first();
      await toast.waitFor({ state: "visible", timeout: 0 });
      await screenshot(page, "06-not-installed.png");
      await toast.locator(".monaco-button").filter({ hasText: "Use bundled copy" }).click();
      const deadline = Date.now() + 15_000;
      for (;;) {
        const settings = fs.readFileSync(path.join(dirs.ws2, ".vscode", "settings.json"), "utf8");
        if (settings.includes('"useBundled"')) {
          break;
        }
        if (Date.now() > deadline) {
          throw new StepError(`djvet.importStrategy was not set to useBundled in the workspace settings: ${settings}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });
    await step(`bundled copy: squiggle for ${pyFinding.code} in ${pyFinding.path}`, 90_000, async () => {
      await openFile(page, pyFinding.path);
      await goTo(page, pyFinding.line, pyFinding.column);
      await until(page, page.locator(`${activeEditor} :is(${SQUIGGLES})`).first().waitFor({ state: "attached", timeout: 0 }));
      await problemsRows(page, pyFinding.code);
    });
    await screenshot(page, "07-bundled.png");
  } catch (error) {
    await screenshot(page, "FAILED.png").catch(() => undefined);
    throw error;
  } finally {
    await browser.close().catch(() => undefined);
  }
}

/** The extension's output channel files (a LogOutputChannel is written under the user-data logs). */
function djvetLogs() {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else if (entry.name === "djvet.log") {
        found.push(fs.readFileSync(full, "utf8"));
      }
    }
  };
  walk(path.join(dirs.ud, "logs"));
  return found;
}

function collectLogs() {
  // The extension's output channel (a LogOutputChannel) is written under the user-data logs.
  const logs = path.join(dirs.ud, "logs");
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else if (/djvet|exthost|remoteagent/i.test(full)) {
        found.push(full);
      }
    }
  };
  walk(logs);
  for (const file of found) {
    const target = path.join(outDir, "logs", path.relative(logs, file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(file, target);
  }
}

let failure;
try {
  await main();
} catch (error) {
  failure = error;
} finally {
  stopCodeServer();
  collectLogs();
  writeJson(path.join(outDir, "timings.json"), { total_ms: Date.now() - started, steps: timings });
}
if (failure) {
  console.error(`\nE2E FAILED: ${failure instanceof StepError ? failure.message : (failure?.stack ?? failure)}`);
  console.error(`screenshots and logs: ${outDir}; run folder kept: ${run}`);
  console.log(`${passed} passed, 1 failed`);
  process.exit(1);
}
if (!keep) {
  fs.rmSync(run, { recursive: true, force: true });
}
if (process.env.DJVET_E2E_SCREENSHOT === "1") {
  // The Marketplace README's picture: the hover over the Python finding, Problems panel below.
  fs.copyFileSync(path.join(outDir, "01-python-hover.png"), path.join(extensionRoot, "images", "screenshot.png"));
  log("copied 01-python-hover.png to images/screenshot.png");
}
log(`all steps passed; screenshots in ${path.relative(process.cwd(), outDir) || outDir}`);
console.log(`${passed} passed, 0 failed`);
