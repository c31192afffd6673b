/**
 * Which Python runs the djvet server: the `djvet.interpreter` setting, else the active
 * interpreter of the Python extension, else `python3`.
 *
 * Pure (no `vscode` import) so the order and the variable expansion are unit-tested; the
 * Python-extension lookup is passed in as a function.
 */
import * as path from "path";

/** Where the interpreter command came from; shown in the log and the status bar tooltip. */
export type InterpreterSource = "setting" | "pythonExtension" | "default" | "untrusted";

export interface ResolvedInterpreter {
  /** The executable first, then its own arguments (e.g. `["conda", "run", "-n", "x", "python"]`). */
  command: string[];
  source: InterpreterSource;
}

/** What `${...}` variables in the setting expand to. */
export interface VariableContext {
  workspaceFolder?: string;
  userHome: string;
  env: Record<string, string | undefined>;
}

export interface InterpreterInputs {
  /** The `djvet.interpreter` setting as VS Code returned it (any JSON value). */
  setting: unknown;
  /** Workspace trust: an untrusted workspace never gets a project interpreter. */
  trusted: boolean;
  vars: VariableContext;
  platform: NodeJS.Platform;
  /** The Python extension's active interpreter for the folder, or undefined without it. */
  pythonExtension?: () => Promise<string[] | undefined>;
}

/** `python3` on POSIX, `python` on Windows (where `python3` is often the Store stub). */
export function defaultPython(platform: NodeJS.Platform): string {
  return platform === "win32" ? "python" : "python3";
}

/**
 * The setting's value as a list of non-empty strings. A plain string is accepted too, because
 * users write `"djvet.interpreter": "/path/python"` although the schema says array.
 */
export function normalizeInterpreterSetting(raw: unknown): string[] {
  if (typeof raw === "string") {
    return raw.trim() ? [raw.trim()] : [];
  }
  if (!Array.isArray(raw)) {
    return [];
  }
  return raw.filter((item): item is string => typeof item === "string").map((item) => item.trim()).filter((item) => item.length > 0);
}

/**
 * Expands `${workspaceFolder}`, `${workspaceFolderBasename}`, `${userHome}`, `${env:NAME}` and a
 * leading `~`, as VS Code's Python-tool extensions do for their `interpreter` settings. A
 * variable without a value (no folder open, unset environment variable) expands to "".
 */
export function expandVariables(value: string, vars: VariableContext): string {
  let result = value.replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
    if (name === "workspaceFolder") {
      return vars.workspaceFolder ?? "";
    }
    if (name === "workspaceFolderBasename") {
      return vars.workspaceFolder ? path.basename(vars.workspaceFolder) : "";
    }
    if (name === "userHome") {
      return vars.userHome;
    }
    if (name.startsWith("env:")) {
      return vars.env[name.slice(4)] ?? "";
    }
    return `\${${name}}`;
  });
  if (result === "~" || result.startsWith("~/") || result.startsWith("~\\")) {
    result = vars.userHome + result.slice(1);
  }
  return result;
}

/**
 * Turns the setting into a command: variables expanded, and a relative executable path that
 * names a file (it contains a separator, like `.venv/bin/python`) made absolute against the
 * workspace folder. A bare name such as `python3.12` is left for the PATH lookup.
 */
export function interpreterFromSetting(setting: string[], vars: VariableContext, platform: NodeJS.Platform): string[] {
  if (setting.length === 0) {
    return [];
  }
  const expanded = setting.map((part) => expandVariables(part, vars));
  const [executable, ...rest] = expanded;
  if (!executable) {
    return [];
  }
  const pathApi = platform === "win32" ? path.win32 : path.posix;
  const looksLikePath = executable.includes("/") || (platform === "win32" && executable.includes("\\"));
  if (looksLikePath && !pathApi.isAbsolute(executable) && vars.workspaceFolder) {
    return [pathApi.resolve(vars.workspaceFolder, executable), ...rest];
  }
  return [executable, ...rest];
}

/** The resolution order of the issue: setting, Python extension, `python3`. */
export async function resolveInterpreter(inputs: InterpreterInputs): Promise<ResolvedInterpreter> {
  if (!inputs.trusted) {
    // A project can ship a `.vscode/settings.json` or a `.venv` that runs anything: in an
    // untrusted workspace only the interpreter found on PATH runs, with the bundled djvet.
    return { command: [defaultPython(inputs.platform)], source: "untrusted" };
  }
  const fromSetting = interpreterFromSetting(normalizeInterpreterSetting(inputs.setting), inputs.vars, inputs.platform);
  if (fromSetting.length > 0) {
    return { command: fromSetting, source: "setting" };
  }
  if (inputs.pythonExtension) {
    let fromExtension: string[] | undefined;
    try {
      fromExtension = await inputs.pythonExtension();
    } catch {
      fromExtension = undefined;
    }
    const cleaned = normalizeInterpreterSetting(fromExtension);
    if (cleaned.length > 0) {
      return { command: cleaned, source: "pythonExtension" };
    }
  }
  return { command: [defaultPython(inputs.platform)], source: "default" };
}

/** A short human description for logs, notifications and the status bar tooltip. */
export function describeInterpreter(resolved: ResolvedInterpreter): string {
  const where: Record<InterpreterSource, string> = {
    setting: "from the djvet.interpreter setting",
    pythonExtension: "the Python extension's active interpreter",
    default: "the default, found on PATH",
    untrusted: "found on PATH (untrusted workspace)",
  };
  return `${resolved.command.join(" ")} (${where[resolved.source]})`;
}
