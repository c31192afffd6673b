import * as assert from "assert";
import * as path from "path";
import { PROBE_SCRIPT, ProbeResult, installArgs, judgeProbe, parseProbe, probeArgs, pythonIsSupported, serverLaunch } from "../../src/launch";

const base = { extensionPath: "/ext/djvet-0.1.0", bundleCache: "/store/djvet", baseEnv: { PATH: "/usr/bin", UNSET: undefined } };

describe("launch: server command", () => {
  it("runs python -m djvet server from the environment", () => {
    const plan = serverLaunch({ ...base, interpreter: ["/venv/bin/python"], strategy: "fromEnvironment" });
    assert.strictEqual(plan.command, "/venv/bin/python");
    assert.deepStrictEqual(plan.args, ["-m", "djvet", "server"]);
  });

  it("runs the bundled launcher for useBundled, after the interpreter's own arguments", () => {
    const plan = serverLaunch({ ...base, interpreter: ["conda", "run", "-n", "shop", "python"], strategy: "useBundled" });
    assert.strictEqual(plan.command, "conda");
    assert.deepStrictEqual(plan.args, ["run", "-n", "shop", "python", path.join("/ext/djvet-0.1.0", "bundled", "tool", "server.py")]);
  });

  it("passes the strategy, the unpack folder, UTF-8 and safe-path modes, and keeps the environment", () => {
    const plan = serverLaunch({ ...base, interpreter: ["python3"], strategy: "useBundled" });
    assert.deepStrictEqual(plan.env, {
      PATH: "/usr/bin",
      PYTHONUTF8: "1",
      PYTHONSAFEPATH: "1",
      DJVET_IMPORT_STRATEGY: "useBundled",
      DJVET_BUNDLE_CACHE: "/store/djvet",
    });
  });

  it("refuses an empty interpreter", () => {
    assert.throws(() => serverLaunch({ ...base, interpreter: [], strategy: "fromEnvironment" }), /no Python interpreter/);
  });
});

describe("launch: probe", () => {
  it("runs the probe script with the interpreter's arguments first", () => {
    assert.deepStrictEqual(probeArgs(["py", "-3.12"]), { command: "py", args: ["-3.12", "-c", PROBE_SCRIPT] });
  });

  it("reads the last JSON line, skipping noise printed before it", () => {
    const output = 'sitecustomize says hi\n{"python": [3, 12, 4], "executable": "/v/bin/python", "djvet": "0.1.0", "django": "5.2.1"}\n';
    assert.deepStrictEqual(parseProbe(output), { python: [3, 12, 4], executable: "/v/bin/python", djvet: "0.1.0", django: "5.2.1" });
  });

  it("reads a missing djvet and Django as null", () => {
    const output = '{"python": [3, 11, 2], "executable": "/usr/bin/python3", "djvet": null, "django": null}';
    assert.deepStrictEqual(parseProbe(output), { python: [3, 11, 2], executable: "/usr/bin/python3", djvet: null, django: null });
  });

  it("gives undefined for output that is not the probe's", () => {
    assert.strictEqual(parseProbe(""), undefined);
    assert.strictEqual(parseProbe("Python was not found; run without arguments to install from the Microsoft Store"), undefined);
    assert.strictEqual(parseProbe('{"python": "3.11"}'), undefined);
    assert.strictEqual(parseProbe("{not json"), undefined);
  });

  it("accepts Python 3.10 and newer only", () => {
    const probe = (minor: number): ProbeResult => ({ python: [3, minor, 0], executable: "", djvet: null, django: null });
    assert.ok(!pythonIsSupported(probe(9)));
    assert.ok(pythonIsSupported(probe(10)));
    assert.ok(pythonIsSupported(probe(14)));
  });
});

describe("launch: what to do after probing", () => {
  const withDjvet: ProbeResult = { python: [3, 12, 0], executable: "/v/bin/python", djvet: "0.1.0", django: "5.2" };
  const withoutDjvet: ProbeResult = { ...withDjvet, djvet: null };

  it("starts when djvet is installed, whatever the strategy", () => {
    assert.deepStrictEqual(judgeProbe("fromEnvironment", withDjvet), { kind: "start" });
    assert.deepStrictEqual(judgeProbe("useBundled", withDjvet), { kind: "start" });
  });

  it("offers to install djvet only for fromEnvironment", () => {
    assert.deepStrictEqual(judgeProbe("fromEnvironment", withoutDjvet), { kind: "djvetMissing" });
    assert.deepStrictEqual(judgeProbe("useBundled", withoutDjvet), { kind: "start" });
  });

  it("refuses an old Python before anything else", () => {
    assert.deepStrictEqual(judgeProbe("useBundled", { ...withDjvet, python: [3, 8, 10] }), { kind: "tooOld", version: "3.8.10" });
  });

  it("reports an interpreter that does not run", () => {
    assert.deepStrictEqual(judgeProbe("fromEnvironment", undefined, "spawn /nope ENOENT"), { kind: "notRunnable", detail: "spawn /nope ENOENT" });
  });

  it("installs with the interpreter's pip", () => {
    assert.deepStrictEqual(installArgs(["/v/bin/python"]), { command: "/v/bin/python", args: ["-m", "pip", "install", "--upgrade", "djvet"] });
  });
});
