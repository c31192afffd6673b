/**
 * The bundled copy and the probe against real Python processes: a bare virtual environment
 * (no djvet, no pygls) runs bundled/tool/server.py exactly as the extension launches it for
 * `useBundled`, and the server answers initialize and publishes a DJV201 diagnostic.
 *
 * Needs `npm run build` first (bundled/libs.zip). DJVET_PYTHON names a Python with djvet
 * installed (default: python3).
 */
import * as assert from "assert";
import { ChildProcessWithoutNullStreams, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { judgeProbe, parseProbe, probeArgs, serverLaunch } from "../../src/launch";

const root = path.resolve(__dirname, "..", "..", "..");
const djvetPython = process.env.DJVET_PYTHON || "python3";

/** Just enough of an LSP client: Content-Length framing, requests, notifications. */
class StdioClient {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, (message: Record<string, unknown>) => void>();
  readonly notifications: Record<string, unknown>[] = [];
  private readonly waiters: Array<() => void> = [];
  stderr = "";

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on("data", (chunk: Buffer) => this.receive(chunk));
    child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) {
        return;
      }
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString())?.[1]);
      if (this.buffer.length < headerEnd + 4 + length) {
        return;
      }
      const message = JSON.parse(this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8"));
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      if (typeof message.id === "number" && this.pending.has(message.id) && !("method" in message)) {
        this.pending.get(message.id)?.(message);
        this.pending.delete(message.id);
      } else if ("method" in message && "id" in message) {
        // A server request (workspace/configuration, client/registerCapability...): answer like VS Code.
        const result = message.method === "workspace/configuration" ? message.params.items.map(() => ({ enable: true })) : null;
        this.send({ jsonrpc: "2.0", id: message.id, result });
      } else {
        this.notifications.push(message);
        this.waiters.splice(0).forEach((wake) => wake());
      }
    }
  }

  private send(message: Record<string, unknown>): void {
    const body = Buffer.from(JSON.stringify(message), "utf8");
    this.child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.child.stdin.write(body);
  }

  request(method: string, params: unknown, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method} timed out; server stderr:\n${this.stderr}`)), timeoutMs);
      this.pending.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      this.send({ jsonrpc: "2.0", id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: "2.0", method, params });
  }

  async waitFor(predicate: (message: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.notifications.find(predicate);
      if (found) {
        return found;
      }
      if (Date.now() > deadline) {
        throw new Error(`no ${what} within ${timeoutMs} ms; notifications: ${JSON.stringify(this.notifications).slice(0, 2000)}\nstderr:\n${this.stderr}`);
      }
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }
}

function probe(python: string) {
  const { command, args } = probeArgs([python]);
  return parseProbe(execFileSync(command, args, { cwd: os.tmpdir(), encoding: "utf8" }));
}

describe("bundled djvet and the interpreter probe (real processes)", function () {
  this.timeout(120_000);
  let scratch: string;
  let barePython: string;

  before(() => {
    assert.ok(fs.existsSync(path.join(root, "bundled", "libs.zip")), "bundled/libs.zip is missing: run `npm run build` first");
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "djvet-bundled-"));
    execFileSync(djvetPython, ["-m", "venv", "--without-pip", path.join(scratch, "bare")]);
    barePython = path.join(scratch, "bare", "bin", "python");
  });

  after(() => {
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("finds djvet in DJVET_PYTHON", () => {
    const result = probe(djvetPython);
    assert.ok(result, "the probe printed its JSON line");
    const version = /^version = "([^"]+)"/m.exec(fs.readFileSync(path.join(root, "..", "pyproject.toml"), "utf8"))?.[1];
    assert.strictEqual(result.djvet, version, `${djvetPython} has no djvet ${version}: set DJVET_PYTHON to a Python with djvet installed`);
    assert.deepStrictEqual(judgeProbe("fromEnvironment", result), { kind: "start" });
  });

  it("reports djvet missing from a bare environment, and starts it bundled", () => {
    const result = probe(barePython);
    assert.ok(result);
    assert.strictEqual(result.djvet, null);
    assert.deepStrictEqual(judgeProbe("fromEnvironment", result), { kind: "djvetMissing" });
    assert.deepStrictEqual(judgeProbe("useBundled", result), { kind: "start" });
  });

  it("runs the bundled server on a Python without djvet and gets a DJV201 diagnostic", async () => {
    const workspace = path.join(scratch, "ws");
    fs.mkdirSync(path.join(workspace, "shop"), { recursive: true });
    fs.writeFileSync(path.join(workspace, "manage.py"), "import sys\n");
    const viewPath = path.join(workspace, "shop", "views.py");
    const viewText = [
      "from django.views.generic import FormView",
      "",
      "",
      "class Contact(FormView):",
      "    async def get(self, request, *args, **kwargs):",
      "        return super().get(request, *args, **kwargs)",
      "",
    ].join("\n");
    fs.writeFileSync(viewPath, viewText);

    const plan = serverLaunch({
      interpreter: [barePython],
      strategy: "useBundled",
      extensionPath: root,
      bundleCache: path.join(scratch, "cache"),
      baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    const child = spawn(plan.command, plan.args, { cwd: workspace, env: plan.env });
    const client = new StdioClient(child);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const rootUri = `file://${workspace}`;
      const initialized = await client.request("initialize", {
        processId: process.pid,
        rootUri,
        workspaceFolders: [{ uri: rootUri, name: "ws" }],
        capabilities: { workspace: { configuration: true }, textDocument: { publishDiagnostics: {} } },
        initializationOptions: { enable: true, interpreter: [barePython], djangoVersion: "5.2" },
      });
      const result = initialized.result as { serverInfo?: { name?: string }; capabilities?: Record<string, unknown> };
      assert.ok(result?.capabilities, `initialize answered without capabilities: ${JSON.stringify(initialized)}`);
      assert.strictEqual(result.serverInfo?.name, "djvet");
      client.notify("initialized", {});
      const uri = `file://${viewPath}`;
      client.notify("textDocument/didOpen", { textDocument: { uri, languageId: "python", version: 1, text: viewText } });
      const published = await client.waitFor(
        (message) => {
          const params = message.params as { uri?: string; diagnostics?: Array<{ code?: string }> } | undefined;
          return message.method === "textDocument/publishDiagnostics" && params?.uri === uri && (params.diagnostics ?? []).some((d) => d.code === "DJV201");
        },
        60_000,
        "DJV201 diagnostic",
      );
      const diagnostic = (published.params as { diagnostics: Array<{ code: string; range: { start: { line: number } }; source?: string }> }).diagnostics.find(
        (d) => d.code === "DJV201",
      );
      assert.strictEqual(diagnostic?.range.start.line, 3, "on the class line");
      assert.strictEqual(diagnostic?.source, "djvet");
      await client.request("shutdown", null);
      client.notify("exit", null);
      assert.strictEqual(await exited, 0, client.stderr);
    } finally {
      child.kill();
    }
    // The archive was unpacked once, into the folder the extension names.
    const unpacked = fs.readdirSync(path.join(scratch, "cache"));
    assert.deepStrictEqual(unpacked.length, 1);
    assert.match(unpacked[0], /^bundle-[0-9a-f]{16}$/);
  });
});
