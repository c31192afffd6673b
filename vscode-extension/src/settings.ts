/**
 * The extension's `djvet.*` settings: reading and validating them, and mapping them to the
 * settings object the djvet server reads (initializationOptions and `workspace/configuration`).
 *
 * Pure (no `vscode` import): the caller passes a getter over `WorkspaceConfiguration`.
 * Invalid values fall back to the default and are reported once as a problem (fail soft).
 */

export type ImportStrategy = "fromEnvironment" | "useBundled";
export type SeverityName = "error" | "warning" | "information" | "hint";

export const SEVERITY_NAMES: readonly SeverityName[] = ["error", "warning", "information", "hint"];
export const IMPORT_STRATEGIES: readonly ImportStrategy[] = ["fromEnvironment", "useBundled"];

/** The settings as the extension uses them, validated. */
export interface ExtensionSettings {
  enable: boolean;
  select: string[];
  ignore: string[];
  severity: Record<string, SeverityName>;
  djangoVersion: string;
  /** The raw `djvet.interpreter` setting (resolution happens in interpreter.ts). */
  interpreter: string[];
  importStrategy: ImportStrategy;
}

/**
 * What the server receives, under the section `djvet` (see PROTOCOL.md). A key the user left
 * at its empty default is omitted, so the project's `[tool.djvet]` table keeps its say (the
 * server layers editor settings over it key by key). `interpreter` is the interpreter the
 * extension resolved (setting, Python extension or `python3`), so the server reads the Django
 * version installed there without guessing again.
 */
export interface ServerSettings {
  enable: boolean;
  select?: string[];
  ignore?: string[];
  severity?: Record<string, SeverityName>;
  djangoVersion?: string;
  interpreter: string[];
}

export const DEFAULT_SETTINGS: ExtensionSettings = {
  enable: true,
  select: [],
  ignore: [],
  severity: {},
  djangoVersion: "",
  interpreter: [],
  importStrategy: "fromEnvironment",
};

/** Reads `djvet.<key>` from one configuration scope. */
export type ConfigGetter = (key: string) => unknown;

export interface ReadResult {
  settings: ExtensionSettings;
  /** One line per invalid value that was replaced by its default. */
  problems: string[];
}

const CODE_PATTERN = /^DJV[0-9]*$/;
const DJANGO_VERSION_PATTERN = /^[0-9]+\.[0-9]+$/;

function readCodes(key: string, raw: unknown, problems: string[]): string[] {
  if (raw === undefined || raw === null) {
    return [];
  }
  if (!Array.isArray(raw)) {
    problems.push(`djvet.${key} must be a list of rule codes such as ["DJV201"]; ignoring ${JSON.stringify(raw)}`);
    return [];
  }
  const codes: string[] = [];
  for (const item of raw) {
    const code = typeof item === "string" ? item.trim().toUpperCase() : "";
    if (CODE_PATTERN.test(code)) {
      if (!codes.includes(code)) {
        codes.push(code);
      }
    } else {
      problems.push(`djvet.${key}: ${JSON.stringify(item)} is not a rule code or prefix (DJV, DJV2, DJV201); ignored`);
    }
  }
  return codes;
}

function readSeverity(raw: unknown, problems: string[]): Record<string, SeverityName> {
  if (raw === undefined || raw === null) {
    return {};
  }
  if (typeof raw !== "object" || Array.isArray(raw)) {
    problems.push(`djvet.severity must be an object such as {"DJV303": "warning"}; ignoring ${JSON.stringify(raw)}`);
    return {};
  }
  const severity: Record<string, SeverityName> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const code = key.trim().toUpperCase();
    const level = typeof value === "string" ? value.trim().toLowerCase() : "";
    if (!CODE_PATTERN.test(code)) {
      problems.push(`djvet.severity: ${JSON.stringify(key)} is not a rule code or prefix; ignored`);
    } else if (!(SEVERITY_NAMES as readonly string[]).includes(level)) {
      problems.push(`djvet.severity.${key}: ${JSON.stringify(value)} is not one of ${SEVERITY_NAMES.join(", ")}; ignored`);
    } else {
      severity[code] = level as SeverityName;
    }
  }
  return severity;
}

/** Reads and validates every `djvet.*` setting of one scope. */
export function readSettings(get: ConfigGetter): ReadResult {
  const problems: string[] = [];

  const enableRaw = get("enable");
  let enable = DEFAULT_SETTINGS.enable;
  if (typeof enableRaw === "boolean") {
    enable = enableRaw;
  } else if (enableRaw !== undefined && enableRaw !== null) {
    problems.push(`djvet.enable must be true or false; ignoring ${JSON.stringify(enableRaw)}`);
  }

  const versionRaw = get("djangoVersion");
  let djangoVersion = "";
  if (typeof versionRaw === "string" && (versionRaw.trim() === "" || DJANGO_VERSION_PATTERN.test(versionRaw.trim()))) {
    djangoVersion = versionRaw.trim();
  } else if (versionRaw !== undefined && versionRaw !== null) {
    problems.push(`djvet.djangoVersion must look like "5.2" (or be empty to detect it); ignoring ${JSON.stringify(versionRaw)}`);
  }

  const strategyRaw = get("importStrategy");
  let importStrategy = DEFAULT_SETTINGS.importStrategy;
  if (typeof strategyRaw === "string" && (IMPORT_STRATEGIES as readonly string[]).includes(strategyRaw)) {
    importStrategy = strategyRaw as ImportStrategy;
  } else if (strategyRaw !== undefined && strategyRaw !== null) {
    problems.push(`djvet.importStrategy must be "fromEnvironment" or "useBundled"; ignoring ${JSON.stringify(strategyRaw)}`);
  }

  const interpreterRaw = get("interpreter");
  let interpreter: string[] = [];
  if (typeof interpreterRaw === "string") {
    interpreter = interpreterRaw.trim() ? [interpreterRaw.trim()] : [];
  } else if (Array.isArray(interpreterRaw) && interpreterRaw.every((part) => typeof part === "string")) {
    interpreter = interpreterRaw.map((part: string) => part.trim()).filter((part) => part.length > 0);
  } else if (interpreterRaw !== undefined && interpreterRaw !== null) {
    problems.push(`djvet.interpreter must be a list of strings such as ["/path/to/python"]; ignoring ${JSON.stringify(interpreterRaw)}`);
  }

  return {
    settings: {
      enable,
      select: readCodes("select", get("select"), problems),
      ignore: readCodes("ignore", get("ignore"), problems),
      severity: readSeverity(get("severity"), problems),
      djangoVersion,
      interpreter,
      importStrategy,
    },
    problems,
  };
}

/** The server's view of the settings, with the interpreter the extension resolved. */
export function toServerSettings(settings: ExtensionSettings, resolvedInterpreter: string[]): ServerSettings {
  const server: ServerSettings = { enable: settings.enable, interpreter: [...resolvedInterpreter] };
  if (settings.select.length > 0) {
    server.select = [...settings.select];
  }
  if (settings.ignore.length > 0) {
    server.ignore = [...settings.ignore];
  }
  if (Object.keys(settings.severity).length > 0) {
    server.severity = { ...settings.severity };
  }
  if (settings.djangoVersion) {
    server.djangoVersion = settings.djangoVersion;
  }
  return server;
}

/** Settings whose change needs a new server process (everything but the message trace). */
export const RESTART_SECTIONS = [
  "djvet.enable",
  "djvet.select",
  "djvet.ignore",
  "djvet.severity",
  "djvet.djangoVersion",
  "djvet.interpreter",
  "djvet.importStrategy",
] as const;

/** True when a configuration change touches a setting that needs a restart. */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return RESTART_SECTIONS.some((section) => affects(section));
}
