/**
 * The djvet server's lifecycle in VS Code: resolve the interpreter, probe it, offer to install
 * djvet or use the bundled copy, start the language client, and restart it on demand. All
 * restarts go through one queue so two changes in a row never race two servers.
 */
import { execFile } from "child_process";
import * as os from "os";
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, RevealOutputChannelOn, ServerOptions, State, TransportKind } from "vscode-languageclient/node";
import { ResolvedInterpreter, describeInterpreter, resolveInterpreter } from "./interpreter";
import { LaunchPlan, ProbeVerdict, installArgs, judgeProbe, parseProbe, probeArgs, serverLaunch } from "./launch";
import { STATUS_NOTIFICATION, parseStatusParams } from "./protocol";
import { activeInterpreter, hasPythonExtension } from "./python";
import { DOCUMENT_SELECTOR } from "./selector";
import { ExtensionSettings, ImportStrategy, readSettings, toServerSettings } from "./settings";
import { StatusBar } from "./statusBar";

const PROBE_TIMEOUT_MS = 20_000;
const INSTALL_TIMEOUT_MS = 300_000;
const RESTART_DELAY_MS = 250;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

function run(command: string, args: string[], timeout: number, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    // A neutral cwd: the workspace's own `djvet/` or `pip.conf` must not answer for the interpreter.
    execFile(command, args, { cwd: os.tmpdir(), timeout, env: env ?? process.env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), error: error ?? undefined });
    });
  });
}

function primaryFolder(): vscode.WorkspaceFolder | undefined {
  const active = vscode.window.activeTextEditor?.document.uri;
  const folder = active ? vscode.workspace.getWorkspaceFolder(active) : undefined;
  return folder ?? vscode.workspace.workspaceFolders?.[0];
}

function settingsFor(scope: vscode.Uri | undefined): { settings: ExtensionSettings; problems: string[] } {
  const config = vscode.workspace.getConfiguration("djvet", scope);
  return readSettings((key) => config.get(key));
}

export class DjvetServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private queue: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Problems and notifications already shown in this window (fail soft, notify once). */
  private readonly notified = new Set<string>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly status: StatusBar,
  ) {}

  /** Restarts after a short pause, coalescing bursts (several settings saved at once). */
  scheduleRestart(reason: string): void {
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
    }
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.restart(reason);
    }, RESTART_DELAY_MS);
  }

  restart(reason: string): Promise<void> {
    this.queue = this.queue
      .then(() => this.restartNow(reason))
      .catch((error: unknown) => {
        this.log.error(`Restart failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        this.status.update({ phase: "failed", message: String(error) });
      });
    return this.queue;
  }

  stop(): Promise<void> {
    this.queue = this.queue.then(() => this.stopClient());
    return this.queue;
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) {
      return;
    }
    this.stopping = true;
    try {
      if (client.isRunning()) {
        await client.stop(2000);
      }
    } catch (error) {
      this.log.warn(`Stopping the server: ${String(error)}`);
    } finally {
      this.stopping = false;
      try {
        await client.dispose(2000);
      } catch {
        // Already stopped: dispose only frees the client's resources.
      }
    }
  }

  private async restartNow(reason: string): Promise<void> {
    this.log.info(`Starting the djvet server (${reason})`);
    await this.stopClient();

    const folder = primaryFolder();
    const { settings, problems } = settingsFor(folder?.uri);
    this.reportProblems(problems);

    const folders = vscode.workspace.workspaceFolders ?? [];
    const anyEnabled = folders.length === 0 ? settings.enable : folders.some((each) => settingsFor(each.uri).settings.enable);
    if (!anyEnabled) {
      this.log.info("djvet.enable is false: the server is not started.");
      this.status.set({ phase: "disabled" });
      return;
    }

    const trusted = vscode.workspace.isTrusted;
    const interpreter = await resolveInterpreter({
      setting: settings.interpreter,
      trusted,
      vars: { workspaceFolder: folder?.uri.fsPath, userHome: os.homedir(), env: process.env },
      platform: process.platform,
      pythonExtension: () => activeInterpreter(folder?.uri, this.log),
    });
    const strategy: ImportStrategy = trusted ? settings.importStrategy : "useBundled";
    const interpreterText = describeInterpreter(interpreter);
    const strategyText = trusted ? strategy : "useBundled (untrusted workspace)";
    this.log.info(`Python: ${interpreterText}; djvet copy: ${strategyText}`);
    this.status.set({ phase: "starting", interpreter: interpreterText, strategy: strategyText });

    const verdict = await this.probe(interpreter, strategy);
    if (verdict.kind !== "start") {
      this.handleUnstartable(verdict, interpreter, folder);
      return;
    }

    const plan = serverLaunch({ interpreter: interpreter.command, strategy, extensionPath: this.context.extensionPath,
      bundleCache: this.context.globalStorageUri.fsPath,
      baseEnv: process.env,
    });
    await this.startClient(plan, settings, interpreter, folder);
  }

  private async probe(interpreter: ResolvedInterpreter, strategy: ImportStrategy): Promise<ProbeVerdict> {
    const { command, args } = probeArgs(interpreter.command);
    const result = await run(command, args, PROBE_TIMEOUT_MS);
    const probe = parseProbe(result.stdout);
    if (probe) {
      this.log.info(
        `Probe: Python ${probe.python.join(".")} at ${probe.executable}; djvet ${probe.djvet ?? "not installed"}; Django ${probe.django ?? "not installed"}`,
      );
    } else {
      this.log.error(`Could not run ${interpreter.command.join(" ")}: ${result.error?.message ?? ""}\n${result.stderr}`);
    }
    const failure = result.error ? result.error.message : result.stderr.trim().split("\n").pop();
    return judgeProbe(strategy, probe, failure);
  }

  private handleUnstartable(verdict: Exclude<ProbeVerdict, { kind: "start" }>, interpreter: ResolvedInterpreter, folder: vscode.WorkspaceFolder | undefined): void {
    const python = interpreter.command.join(" ");
    if (verdict.kind === "djvetMissing") {
      const message = `djvet is not installed in ${python}.`;
      this.log.warn(`${message} Install it with "${python} -m pip install djvet", or set djvet.importStrategy to "useBundled".`);
      this.status.update({ phase: "missing", message });
      void this.offerInstall(interpreter, folder);
      return;
    }
    const message =
      verdict.kind === "tooOld"
        ? `djvet needs Python 3.10 or newer; ${python} is Python ${verdict.version}.`
        : `djvet could not run the Python interpreter ${python}: ${verdict.detail}`;
    this.log.error(message);
    this.status.update({ phase: "failed", message });
    void this.notifyOnce(`${verdict.kind}:${python}`, () => this.showInterpreterError(message));
  }

  private async showInterpreterError(message: string): Promise<void> {
    const actions = hasPythonExtension() ? ["Select Interpreter", "Open Settings", "Show Logs"] : ["Open Settings", "Show Logs"];
    const choice = await vscode.window.showErrorMessage(message, ...actions);
    if (choice === "Select Interpreter") {
      await vscode.commands.executeCommand("python.setInterpreter");
    } else if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "djvet.interpreter");
    } else if (choice === "Show Logs") {
      this.log.show();
    }
  }

  private async offerInstall(interpreter: ResolvedInterpreter, folder: vscode.WorkspaceFolder | undefined): Promise<void> {
    const python = interpreter.command.join(" ");
    await this.notifyOnce(`missing:${python}`, async () => {
      const install = "Install djvet";
      const bundled = "Use bundled copy";
      const choice = await vscode.window.showWarningMessage(
        `djvet is not installed in ${python}. Install it there (pip install djvet), or use the copy bundled with the extension?`,
        install,
        bundled,
        "Show Logs",
      );
      if (choice === install) {
        await this.install(interpreter, folder);
      } else if (choice === bundled) {
        await this.useBundled(folder);
      } else if (choice === "Show Logs") {
        this.log.show();
      }
    });
  }

  private async install(interpreter: ResolvedInterpreter, folder: vscode.WorkspaceFolder | undefined): Promise<void> {
    const { command, args } = installArgs(interpreter.command);
    this.log.info(`Running: ${command} ${args.join(" ")}`);
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Installing djvet into ${interpreter.command.join(" ")}…` },
      () => run(command, args, INSTALL_TIMEOUT_MS),
    );
    this.log.info(result.stdout);
    if (result.code === 0) {
      this.log.info("djvet installed.");
      void this.restart("djvet installed");
      return;
    }
    this.log.error(result.stderr);
    const choice = await vscode.window.showErrorMessage(
      "Installing djvet failed (an externally managed system Python refuses pip: select a virtual environment, or use the bundled copy).",
      "Use bundled copy",
      "Show Logs",
    );
    if (choice === "Use bundled copy") {
      await this.useBundled(folder);
    } else if (choice === "Show Logs") {
      this.log.show();
    }
  }

  private async useBundled(folder: vscode.WorkspaceFolder | undefined): Promise<void> {
    const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    // The configuration change restarts the server (extension.ts listens for it).
    await vscode.workspace.getConfiguration("djvet", folder?.uri).update("importStrategy", "useBundled", target);
  }

  private async startClient(plan: LaunchPlan, settings: ExtensionSettings, interpreter: ResolvedInterpreter, folder: vscode.WorkspaceFolder | undefined): Promise<void> {
    const serverOptions: ServerOptions = {
      command: plan.command,
      args: plan.args,
      transport: TransportKind.stdio,
      options: { cwd: folder?.uri.fsPath ?? os.homedir(), env: plan.env },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      diagnosticCollectionName: "djvet",
      outputChannel: this.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: toServerSettings(settings, interpreter.command),
      middleware: {
        workspace: {
          // The server asks for section "djvet" per folder; answer with the mapped settings,
          // not VS Code's raw ones (which lack the resolved interpreter).
          configuration: async (params, token, next) => {
            const raw = await next(params, token);
            if (!Array.isArray(raw)) {
              return raw;
            }
            return params.items.map((item, index) => {
              if (item.section !== "djvet") {
                return raw[index];
              }
              const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : folder?.uri;
              return toServerSettings(settingsFor(scope).settings, interpreter.command);
            });
          },
        },
      },
    };
    this.log.info(`Server command: ${plan.command} ${plan.args.join(" ")}`);
    const client = new LanguageClient("djvet", "djvet", serverOptions, clientOptions);
    this.client = client;
    client.onNotification(STATUS_NOTIFICATION, (raw: unknown) => {
      const params = parseStatusParams(raw);
      if (params && this.client === client) {
        this.status.update({ server: { ...this.status.current.server, ...params } });
      }
    });
    client.onDidChangeState((event) => {
      if (this.client !== client) {
        return;
      }
      if (event.newState === State.Running) {
        this.status.update({ phase: "running", message: undefined });
      } else if (event.newState === State.Starting) {
        this.status.update({ phase: "starting" });
      } else if (event.newState === State.Stopped && !this.stopping) {
        this.status.update({ phase: "stopped", message: "The server stopped; see the logs (djvet: Show Logs), then run djvet: Restart Server." });
      }
    });
    try {
      await client.start();
      this.log.info("The djvet server is running.");
    } catch (error) {
      const message = `The djvet server failed to start: ${error instanceof Error ? error.message : String(error)}`;
      this.log.error(message);
      this.status.update({ phase: "failed", message });
    }
  }

  private reportProblems(problems: string[]): void {
    for (const problem of problems) {
      this.log.warn(problem);
      void this.notifyOnce(`setting:${problem}`, async () => {
        const choice = await vscode.window.showWarningMessage(`djvet: ${problem}`, "Open Settings");
        if (choice === "Open Settings") {
          await vscode.commands.executeCommand("workbench.action.openSettings", "djvet");
        }
      });
    }
  }

  private async notifyOnce(key: string, show: () => Promise<void>): Promise<void> {
    if (this.notified.has(key)) {
      return;
    }
    this.notified.add(key);
    await show();
  }

  dispose(): void {
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
    }
    void this.stop();
  }
}
