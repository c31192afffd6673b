import * as assert from "assert";
import { DEFAULT_SETTINGS, ExtensionSettings, RESTART_SECTIONS, needsRestart, readSettings, toServerSettings } from "../../src/settings";

function getter(values: Record<string, unknown>) {
  return (key: string) => values[key];
}

describe("settings: reading", () => {
  it("gives the defaults when nothing is set", () => {
    const { settings, problems } = readSettings(getter({}));
    assert.deepStrictEqual(settings, DEFAULT_SETTINGS);
    assert.deepStrictEqual(problems, []);
  });

  it("reads valid values, normalising codes to upper case without duplicates", () => {
    const { settings, problems } = readSettings(
      getter({
        enable: false,
        select: ["djv2", "DJV301", "DJV301"],
        ignore: [" DJV304 "],
        severity: { djv303: "Warning", DJV1: "hint" },
        djangoVersion: "4.2",
        interpreter: ["/venv/bin/python", "-X", "utf8"],
        importStrategy: "useBundled",
      }),
    );
    assert.deepStrictEqual(problems, []);
    assert.deepStrictEqual(settings, {
      enable: false,
      select: ["DJV2", "DJV301"],
      ignore: ["DJV304"],
      severity: { DJV303: "warning", DJV1: "hint" },
      djangoVersion: "4.2",
      interpreter: ["/venv/bin/python", "-X", "utf8"],
      importStrategy: "useBundled",
    });
  });

  it("replaces each invalid value by its default and reports it once", () => {
    const { settings, problems } = readSettings(
      getter({
        enable: "yes",
        select: "DJV201",
        ignore: ["E501", "DJV3"],
        severity: { DJV201: "fatal", W605: "error", DJV202: "error" },
        djangoVersion: "5",
        interpreter: [1, 2],
        importStrategy: "bundled",
      }),
    );
    assert.deepStrictEqual(settings, {
      enable: true,
      select: [],
      ignore: ["DJV3"],
      severity: { DJV202: "error" },
      djangoVersion: "",
      interpreter: [],
      importStrategy: "fromEnvironment",
    });
    assert.strictEqual(problems.length, 8);
    assert.ok(problems.some((line) => line.includes("djvet.importStrategy")));
    assert.ok(problems.some((line) => line.includes('"E501"')));
    assert.ok(problems.some((line) => line.includes('"fatal"')));
  });

  it("accepts an empty djangoVersion (detect) and a string interpreter", () => {
    const { settings, problems } = readSettings(getter({ djangoVersion: "", interpreter: "/usr/bin/python3.12" }));
    assert.deepStrictEqual(problems, []);
    assert.strictEqual(settings.djangoVersion, "");
    assert.deepStrictEqual(settings.interpreter, ["/usr/bin/python3.12"]);
  });
});

describe("settings: mapping to the server", () => {
  const settings: ExtensionSettings = {
    enable: true,
    select: ["DJV2"],
    ignore: ["DJV304"],
    severity: { DJV303: "warning" },
    djangoVersion: "5.2",
    interpreter: [],
    importStrategy: "useBundled",
  };

  it("sends exactly the server's keys, with the resolved interpreter", () => {
    const server = toServerSettings(settings, ["/venvs/active/bin/python"]);
    assert.deepStrictEqual(server, {
      enable: true,
      select: ["DJV2"],
      ignore: ["DJV304"],
      severity: { DJV303: "warning" },
      djangoVersion: "5.2",
      interpreter: ["/venvs/active/bin/python"],
    });
    assert.ok(!("importStrategy" in server), "importStrategy is the extension's business");
  });

  it("omits settings left empty, so [tool.djvet] in pyproject.toml applies", () => {
    assert.deepStrictEqual(toServerSettings(DEFAULT_SETTINGS, ["python3"]), { enable: true, interpreter: ["python3"] });
  });

  it("copies, so later changes to the extension's settings do not leak into a running server", () => {
    const server = toServerSettings(settings, ["python3"]);
    settings.select.push("DJV1");
    settings.severity.DJV101 = "hint";
    assert.deepStrictEqual(server.select, ["DJV2"]);
    assert.deepStrictEqual(server.severity, { DJV303: "warning" });
  });
});

describe("settings: restart on change", () => {
  it("restarts for every server-relevant setting", () => {
    for (const section of RESTART_SECTIONS) {
      assert.ok(needsRestart((changed) => changed === section), section);
    }
  });
  it("does not restart for the message trace or other extensions' settings", () => {
    assert.ok(!needsRestart((changed) => changed === "djvet.trace.server"));
    assert.ok(!needsRestart((changed) => changed === "python.defaultInterpreterPath"));
  });
});
