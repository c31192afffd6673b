/**
 * How the server process is started: the command line for each import strategy, its
 * environment, and the probe that tells whether djvet is installed in the interpreter.
 *
 * Pure (no `vscode` import, no process spawning): unit-tested; client.ts runs the results.
 */
import * as path from "path";
import type { ImportStrategy } from "./settings";

/** The lowest Python djvet supports (its `requires-python`). */
export const MIN_PYTHON: readonly [number, number] = [3, 10];

export interface LaunchPlan {
  command: string;
  args: string[];
  env: Record<string, string>;
  strategy: ImportStrategy;
}

export interface LaunchInputs {
  interpreter: string[];
  strategy: ImportStrategy;
  extensionPath: string;
  /** Where the launcher unpacks bundled/libs.zip (the extension's global storage). */
  bundleCache: string;
  baseEnv: Record<string, string | undefined>;
}

/** `bundled/tool/server.py` inside the installed extension. */
export function bundledLauncher(extensionPath: string): string {
  return path.join(extensionPath, "bundled", "tool", "server.py");
}

/**
 * `fromEnvironment` runs `python -m djvet server`, exactly what a user runs by hand;
 * `useBundled` runs the launcher script, which puts `bundled/libs` first on `sys.path`.
 */
export function serverLaunch(inputs: LaunchInputs): LaunchPlan {
  const [command, ...interpreterArgs] = inputs.interpreter;
  if (!command) {
    throw new Error("no Python interpreter to start the djvet server with");
  }
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(inputs.baseEnv)) {
    if (value !== undefined) {
      env[key] = value;
    }
  }
  // Text on stdio is UTF-8 whatever the locale (Windows consoles default to a code page).
  env.PYTHONUTF8 = "1";
  // `-m` would put the cwd (the workspace) first on sys.path, where a project module named
  // like one of djvet's dependencies (`packaging`, `attrs`…) would shadow it (Python 3.11+).
  env.PYTHONSAFEPATH = "1";
  env.DJVET_IMPORT_STRATEGY = inputs.strategy;
  env.DJVET_BUNDLE_CACHE = inputs.bundleCache;
  const args =
    inputs.strategy === "useBundled"
      ? [...interpreterArgs, bundledLauncher(inputs.extensionPath)]
      : [...interpreterArgs, "-m", "djvet", "server"];
  return { command, args, env, strategy: inputs.strategy };
}

/**
 * Prints one JSON line about the interpreter without importing djvet or the project: the
 * Python version, whether djvet is importable and its version, and Django's version.
 */
export const PROBE_SCRIPT = [
  "import importlib.util, json, sys",
  "def version(name):",
  "    try:",
  "        from importlib.metadata import version as v",
  "        return v(name)",
  "    except Exception:",
  "        return None",
  "found = importlib.util.find_spec('djvet') is not None",
  "print(json.dumps({'python': list(sys.version_info[:3]), 'executable': sys.executable,",
  "    'djvet': (version('djvet') or 'unknown') if found else None, 'django': version('django')}))",
].join("\n");

export function probeArgs(interpreter: string[]): { command: string; args: string[] } {
  const [command, ...interpreterArgs] = interpreter;
  if (!command) {
    throw new Error("no Python interpreter to probe");
  }
  // -I would hide a `pip install --user` djvet; the probe runs in a neutral cwd instead, so a
  // `djvet/` folder in the workspace cannot answer for the installed package.
  return { command, args: [...interpreterArgs, "-c", PROBE_SCRIPT] };
}

export interface ProbeResult {
  python: [number, number, number];
  executable: string;
  /** djvet's version, "unknown" when importable without metadata, null when missing. */
  djvet: string | null;
  django: string | null;
}

/** Reads the probe's output; the last JSON line counts (a sitecustomize may print first). */
export function parseProbe(stdout: string): ProbeResult | undefined {
  const lines = stdout.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.startsWith("{"));
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    let data: unknown;
    try {
      data = JSON.parse(lines[index]);
    } catch {
      continue;
    }
    if (typeof data !== "object" || data === null) {
      continue;
    }
    const record = data as Record<string, unknown>;
    const python = record.python;
    if (!Array.isArray(python) || python.length < 2 || !python.every((part) => typeof part === "number")) {
      continue;
    }
    return {
      python: [python[0], python[1], python.length > 2 ? python[2] : 0],
      executable: typeof record.executable === "string" ? record.executable : "",
      djvet: typeof record.djvet === "string" ? record.djvet : null,
      django: typeof record.django === "string" ? record.django : null,
    };
  }
  return undefined;
}

export function pythonIsSupported(probe: ProbeResult): boolean {
  const [major, minor] = probe.python;
  return major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1]);
}

/** What the extension does after probing, before starting anything. */
export type ProbeVerdict =
  | { kind: "start" }
  | { kind: "notRunnable"; detail: string }
  | { kind: "tooOld"; version: string }
  | { kind: "djvetMissing" };

export function judgeProbe(strategy: ImportStrategy, probe: ProbeResult | undefined, failure?: string): ProbeVerdict {
  if (!probe) {
    return { kind: "notRunnable", detail: failure ?? "it printed no version information" };
  }
  if (!pythonIsSupported(probe)) {
    return { kind: "tooOld", version: probe.python.join(".") };
  }
  if (strategy === "fromEnvironment" && probe.djvet === null) {
    return { kind: "djvetMissing" };
  }
  return { kind: "start" };
}

/** `python -m pip install djvet`, offered when djvet is missing from the interpreter. */
export function installArgs(interpreter: string[]): { command: string; args: string[] } {
  const [command, ...interpreterArgs] = interpreter;
  if (!command) {
    throw new Error("no Python interpreter to install djvet into");
  }
  return { command, args: [...interpreterArgs, "-m", "pip", "install", "--upgrade", "djvet"] };
}
