/** The djvet status bar item: applies statusPresentation() to a real VS Code item. */
import * as vscode from "vscode";
import { StatusState, statusPresentation } from "./status";

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private state: StatusState = { phase: "starting" };

  constructor() {
    this.item = vscode.window.createStatusBarItem("djvet.status", vscode.StatusBarAlignment.Right, 100);
    this.item.name = "djvet";
    this.item.command = "djvet.showLogs";
    this.render();
    this.item.show();
  }

  /** Replaces the whole state (a new server run starts from scratch). */
  set(state: StatusState): void {
    this.state = state;
    this.render();
  }

  /** Merges into the current state (a status notification, a state change). */
  update(change: Partial<StatusState>): void {
    this.state = { ...this.state, ...change };
    this.render();
  }

  get current(): StatusState {
    return this.state;
  }

  private render(): void {
    const presentation = statusPresentation(this.state);
    this.item.text = presentation.text;
    this.item.tooltip = presentation.tooltip;
    this.item.backgroundColor =
      presentation.level === "error"
        ? new vscode.ThemeColor("statusBarItem.errorBackground")
        : presentation.level === "warning"
          ? new vscode.ThemeColor("statusBarItem.warningBackground")
          : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
