/**
 * Entry point: creates the output channel, status bar item and server manager, registers the
 * commands, and restarts the server when settings, trust, folders or the interpreter change.
 */
import * as vscode from "vscode";
import { DjvetServer } from "./client";
import { onDidChangeInterpreter } from "./python";
import { needsRestart } from "./settings";
import { StatusBar } from "./statusBar";

let server: DjvetServer | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel("djvet", { log: true });
  const statusBar = new StatusBar();
  server = new DjvetServer(context, log, statusBar);
  const djvet = server;

  context.subscriptions.push(
    log,
    statusBar,
    djvet,
    vscode.commands.registerCommand("djvet.restart", () => djvet.restart("djvet: Restart Server")),
    vscode.commands.registerCommand("djvet.showLogs", () => log.show()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (needsRestart((section) => event.affectsConfiguration(section))) {
        djvet.scheduleRestart("settings changed");
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => djvet.scheduleRestart("workspace trusted")),
    vscode.workspace.onDidChangeWorkspaceFolders(() => djvet.scheduleRestart("workspace folders changed")),
  );
  // The Python extension may take a while to activate: never hold up djvet's own start for it.
  void onDidChangeInterpreter(() => djvet.scheduleRestart("Python interpreter changed"), log).then((subscription) =>
    context.subscriptions.push(subscription),
  );

  void djvet.restart("activation");
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
