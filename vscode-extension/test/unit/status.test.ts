import * as assert from "assert";
import { parseStatusParams } from "../../src/protocol";
import { statusPresentation } from "../../src/status";

describe("status bar", () => {
  it("shows the running state alone until the server reports a Django version", () => {
    const shown = statusPresentation({ phase: "running", interpreter: "/v/bin/python (setting)", strategy: "fromEnvironment" });
    assert.strictEqual(shown.text, "$(check) djvet");
    assert.strictEqual(shown.level, "normal");
    assert.ok(shown.tooltip.includes("djvet: running"));
    assert.ok(shown.tooltip.includes("Python: /v/bin/python (setting)"));
  });

  it("shows the detected Django version and where it came from", () => {
    const shown = statusPresentation({
      phase: "running",
      server: { djangoVersion: "5.2", djangoVersionSource: "installed in /v/bin/python", indexing: false, files: 41 },
    });
    assert.strictEqual(shown.text, "$(check) djvet · Django 5.2");
    assert.ok(shown.tooltip.includes("Django 5.2 (installed in /v/bin/python)"));
    assert.ok(shown.tooltip.includes("41 files indexed"));
  });

  it("spins while indexing", () => {
    const shown = statusPresentation({ phase: "running", server: { djangoVersion: "4.2", indexing: true } });
    assert.strictEqual(shown.text, "$(sync~spin) djvet · Django 4.2");
    assert.ok(shown.tooltip.startsWith("djvet: indexing the project"));
  });

  it("says when the version is unknown", () => {
    const shown = statusPresentation({ phase: "running", server: { djangoVersion: "" } });
    assert.strictEqual(shown.text, "$(check) djvet");
    assert.ok(shown.tooltip.includes("Django version: not detected"));
  });

  it("flags failures and a missing djvet, and hides a stale version", () => {
    const failed = statusPresentation({ phase: "failed", message: "boom", server: { djangoVersion: "5.2" } });
    assert.strictEqual(failed.text, "$(error) djvet");
    assert.strictEqual(failed.level, "error");
    assert.ok(failed.tooltip.includes("boom"));
    const missing = statusPresentation({ phase: "missing" });
    assert.strictEqual(missing.text, "$(warning) djvet");
    assert.strictEqual(missing.level, "warning");
    assert.strictEqual(statusPresentation({ phase: "disabled" }).text, "$(circle-slash) djvet");
  });
});

describe("djvet/status params", () => {
  it("keeps well-typed fields", () => {
    assert.deepStrictEqual(parseStatusParams({ djangoVersion: "5.2", djangoVersionSource: "pyproject.toml", indexing: true, files: 12 }), {
      djangoVersion: "5.2",
      djangoVersionSource: "pyproject.toml",
      indexing: true,
      files: 12,
    });
  });
  it("drops wrongly typed fields and tolerates unknown ones", () => {
    assert.deepStrictEqual(parseStatusParams({ djangoVersion: 5.2, indexing: "no", files: -1, extra: 1 }), {});
  });
  it("rejects non-objects", () => {
    assert.strictEqual(parseStatusParams(null), undefined);
    assert.strictEqual(parseStatusParams([1]), undefined);
    assert.strictEqual(parseStatusParams("5.2"), undefined);
  });
});
