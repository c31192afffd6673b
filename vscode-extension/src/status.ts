/**
 * What the status bar item says: the server's state, and the detected Django version once the
 * server has reported it through `djvet/status`.
 *
 * Pure (no `vscode` import): statusBar.ts applies the presentation to the real item.
 */
import type { StatusParams } from "./protocol";

export type Phase = "starting" | "running" | "stopped" | "failed" | "disabled" | "missing";

export interface StatusState {
  phase: Phase;
  server?: StatusParams;
  /** The interpreter line shown in the tooltip (see describeInterpreter). */
  interpreter?: string;
  /** "fromEnvironment" or "useBundled", or a longer description. */
  strategy?: string;
  /** Why the server is not running, for failed/missing. */
  message?: string;
}

export interface StatusPresentation {
  text: string;
  tooltip: string;
  /** "error" and "warning" map to the status bar's error/warning backgrounds. */
  level: "normal" | "warning" | "error";
}

const ICONS: Record<Phase, string> = {
  starting: "$(sync~spin)",
  running: "$(check)",
  stopped: "$(circle-slash)",
  failed: "$(error)",
  disabled: "$(circle-slash)",
  missing: "$(warning)",
};

const PHASE_WORDS: Record<Phase, string> = {
  starting: "starting",
  running: "running",
  stopped: "stopped",
  failed: "failed to start",
  disabled: "disabled by djvet.enable",
  missing: "not installed in the interpreter",
};

export function statusPresentation(state: StatusState): StatusPresentation {
  const version = state.server?.djangoVersion;
  const indexing = state.phase === "running" && state.server?.indexing === true;
  const icon = indexing ? "$(sync~spin)" : ICONS[state.phase];
  const text = version && state.phase === "running" ? `${icon} djvet · Django ${version}` : `${icon} djvet`;

  const lines = [`djvet: ${indexing ? "indexing the project" : PHASE_WORDS[state.phase]}`];
  if (state.message) {
    lines.push(state.message);
  }
  if (state.phase === "running") {
    if (version) {
      const source = state.server?.djangoVersionSource;
      lines.push(`Django ${version}${source ? ` (${source})` : ""}`);
    } else if (state.server) {
      lines.push("Django version: not detected");
    }
    if (typeof state.server?.files === "number") {
      lines.push(`${state.server.files} files indexed`);
    }
  }
  if (state.interpreter) {
    lines.push(`Python: ${state.interpreter}`);
  }
  if (state.strategy) {
    lines.push(`djvet copy: ${state.strategy}`);
  }
  lines.push("Click to show the logs.");

  const level = state.phase === "failed" ? "error" : state.phase === "missing" ? "warning" : "normal";
  return { text, tooltip: lines.join("\n"), level };
}
