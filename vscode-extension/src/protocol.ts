/**
 * The custom messages between this extension and the djvet server (PROTOCOL.md is the
 * contract): the `djvet/status` notification, and reading its params defensively so a newer
 * or older server cannot break the status bar.
 */

export const STATUS_NOTIFICATION = "djvet/status";

/** Params of `djvet/status` (server -> client). Every field is optional for the client. */
export interface StatusParams {
  /** The Django version the rules check against, "major.minor" (e.g. "5.2"), or "" when unknown. */
  djangoVersion?: string;
  /** Where that version came from, for the tooltip (e.g. "installed Django in /venv/bin/python"). */
  djangoVersionSource?: string;
  /** True while the project index is being built or rebuilt. */
  indexing?: boolean;
  /** Number of files in the project index. */
  files?: number;
}

export function parseStatusParams(raw: unknown): StatusParams | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return undefined;
  }
  const record = raw as Record<string, unknown>;
  const params: StatusParams = {};
  if (typeof record.djangoVersion === "string") {
    params.djangoVersion = record.djangoVersion;
  }
  if (typeof record.djangoVersionSource === "string") {
    params.djangoVersionSource = record.djangoVersionSource;
  }
  if (typeof record.indexing === "boolean") {
    params.indexing = record.indexing;
  }
  if (typeof record.files === "number" && Number.isFinite(record.files) && record.files >= 0) {
    params.files = Math.floor(record.files);
  }
  return params;
}
