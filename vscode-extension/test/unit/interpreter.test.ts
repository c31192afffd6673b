import * as assert from "assert";
import {
  VariableContext,
  defaultPython,
  describeInterpreter,
  expandVariables,
  interpreterFromSetting,
  normalizeInterpreterSetting,
  resolveInterpreter,
} from "../../src/interpreter";

const vars: VariableContext = { workspaceFolder: "/home/ada/shop", userHome: "/home/ada", env: { VIRTUAL_ENV: "/venvs/shop" } };

describe("interpreter: setting normalisation", () => {
  it("accepts a list of strings and drops blanks", () => {
    assert.deepStrictEqual(normalizeInterpreterSetting([" /usr/bin/python3 ", "", "-X", "utf8"]), ["/usr/bin/python3", "-X", "utf8"]);
  });
  it("accepts a plain string, as users write it", () => {
    assert.deepStrictEqual(normalizeInterpreterSetting("/opt/py/bin/python"), ["/opt/py/bin/python"]);
  });
  it("treats wrong types and empty strings as unset", () => {
    assert.deepStrictEqual(normalizeInterpreterSetting(undefined), []);
    assert.deepStrictEqual(normalizeInterpreterSetting(42), []);
    assert.deepStrictEqual(normalizeInterpreterSetting("   "), []);
    assert.deepStrictEqual(normalizeInterpreterSetting([3, null]), []);
  });
});

describe("interpreter: variable expansion", () => {
  it("expands workspaceFolder, userHome, env and a leading ~", () => {
    assert.strictEqual(expandVariables("${workspaceFolder}/.venv/bin/python", vars), "/home/ada/shop/.venv/bin/python");
    assert.strictEqual(expandVariables("${workspaceFolderBasename}", vars), "shop");
    assert.strictEqual(expandVariables("${userHome}/py", vars), "/home/ada/py");
    assert.strictEqual(expandVariables("${env:VIRTUAL_ENV}/bin/python", vars), "/venvs/shop/bin/python");
    assert.strictEqual(expandVariables("~/venv/bin/python", vars), "/home/ada/venv/bin/python");
  });
  it("expands unknown values to empty and leaves unknown variables alone", () => {
    assert.strictEqual(expandVariables("${env:NOPE}x", vars), "x");
    assert.strictEqual(expandVariables("${workspaceFolder}/p", { userHome: "/h", env: {} }), "/p");
    assert.strictEqual(expandVariables("${config:python.x}", vars), "${config:python.x}");
  });
  it("does not treat a ~ in the middle as home", () => {
    assert.strictEqual(expandVariables("/opt/a~b/python", vars), "/opt/a~b/python");
  });
});

describe("interpreter: command from the setting", () => {
  it("makes a relative path absolute against the workspace folder", () => {
    assert.deepStrictEqual(interpreterFromSetting([".venv/bin/python"], vars, "linux"), ["/home/ada/shop/.venv/bin/python"]);
  });
  it("keeps a bare command name for the PATH lookup, and keeps its arguments", () => {
    assert.deepStrictEqual(interpreterFromSetting(["python3.12", "-X", "dev"], vars, "linux"), ["python3.12", "-X", "dev"]);
  });
  it("resolves Windows relative paths with backslashes", () => {
    assert.deepStrictEqual(interpreterFromSetting([".venv\\Scripts\\python.exe"], { ...vars, workspaceFolder: "C:\\shop" }, "win32"), [
      "C:\\shop\\.venv\\Scripts\\python.exe",
    ]);
  });
  it("returns nothing when the executable expands to empty", () => {
    assert.deepStrictEqual(interpreterFromSetting(["${env:NOPE}"], vars, "linux"), []);
  });
});

describe("interpreter: resolution order", () => {
  const fromExtension = async () => ["/venvs/active/bin/python"];

  it("prefers the djvet.interpreter setting over the Python extension", async () => {
    let asked = false;
    const resolved = await resolveInterpreter({
      setting: ["${workspaceFolder}/.venv/bin/python"],
      trusted: true,
      vars,
      platform: "linux",
      pythonExtension: async () => {
        asked = true;
        return ["/venvs/active/bin/python"];
      },
    });
    assert.deepStrictEqual(resolved, { command: ["/home/ada/shop/.venv/bin/python"], source: "setting" });
    assert.strictEqual(asked, false, "the Python extension is not asked when the setting is set");
  });

  it("uses the Python extension's active interpreter without a setting", async () => {
    const resolved = await resolveInterpreter({ setting: [], trusted: true, vars, platform: "linux", pythonExtension: fromExtension });
    assert.deepStrictEqual(resolved, { command: ["/venvs/active/bin/python"], source: "pythonExtension" });
  });

  it("falls back to python3 without the Python extension", async () => {
    const resolved = await resolveInterpreter({ setting: [], trusted: true, vars, platform: "linux" });
    assert.deepStrictEqual(resolved, { command: ["python3"], source: "default" });
  });

  it("falls back to python3 when the Python extension fails or has no interpreter", async () => {
    const failing = await resolveInterpreter({
      setting: [],
      trusted: true,
      vars,
      platform: "linux",
      pythonExtension: async () => {
        throw new Error("extension host crashed");
      },
    });
    assert.deepStrictEqual(failing, { command: ["python3"], source: "default" });
    const empty = await resolveInterpreter({ setting: [], trusted: true, vars, platform: "linux", pythonExtension: async () => undefined });
    assert.deepStrictEqual(empty, { command: ["python3"], source: "default" });
  });

  it("uses python on Windows", async () => {
    assert.strictEqual(defaultPython("win32"), "python");
    const resolved = await resolveInterpreter({ setting: [], trusted: true, vars, platform: "win32" });
    assert.deepStrictEqual(resolved.command, ["python"]);
  });

  it("never runs a project interpreter in an untrusted workspace", async () => {
    let asked = false;
    const resolved = await resolveInterpreter({
      setting: ["${workspaceFolder}/.venv/bin/python"],
      trusted: false,
      vars,
      platform: "linux",
      pythonExtension: async () => {
        asked = true;
        return ["/home/ada/shop/.venv/bin/python"];
      },
    });
    assert.deepStrictEqual(resolved, { command: ["python3"], source: "untrusted" });
    assert.strictEqual(asked, false);
  });

  it("describes where the interpreter came from", () => {
    assert.strictEqual(describeInterpreter({ command: ["/p/python"], source: "pythonExtension" }), "/p/python (the Python extension's active interpreter)");
  });
});
