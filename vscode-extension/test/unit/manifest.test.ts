import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { DOCUMENT_SELECTOR, TEMPLATE_LANGUAGES } from "../../src/selector";
import { DEFAULT_SETTINGS, RESTART_SECTIONS, toServerSettings } from "../../src/settings";

const root = path.resolve(__dirname, "..", "..", "..");
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const properties: Record<string, Record<string, unknown>> = manifest.contributes.configuration.properties;

describe("package.json", () => {
  it("contributes one setting per extension setting, plus the trace", () => {
    const expected = [...Object.keys(DEFAULT_SETTINGS).map((key) => `djvet.${key}`), "djvet.trace.server"].sort();
    assert.deepStrictEqual(Object.keys(properties).sort(), expected);
  });

  it("gives every setting a description, a scope and a default equal to the extension's", () => {
    for (const [key, schema] of Object.entries(properties)) {
      assert.ok(typeof schema.markdownDescription === "string" && (schema.markdownDescription as string).length > 20, `${key} description`);
      assert.ok(["resource", "window", "machine-overridable", "application"].includes(schema.scope as string), `${key} scope`);
      const name = key.slice("djvet.".length) as keyof typeof DEFAULT_SETTINGS;
      if (name in DEFAULT_SETTINGS) {
        assert.deepStrictEqual(schema.default, DEFAULT_SETTINGS[name], `${key} default`);
      }
    }
  });

  it("restarts the server for every setting the server or the launch reads", () => {
    assert.deepStrictEqual([...RESTART_SECTIONS].sort(), Object.keys(properties).filter((key) => key !== "djvet.trace.server").sort());
  });

  it("mirrors every server setting", () => {
    const everything = { ...DEFAULT_SETTINGS, select: ["DJV1"], ignore: ["DJV2"], severity: { DJV3: "hint" as const }, djangoVersion: "5.2" };
    const keys = Object.keys(toServerSettings(everything, ["python3"]));
    assert.deepStrictEqual(keys.sort(), ["djangoVersion", "enable", "ignore", "interpreter", "select", "severity"]);
    for (const key of keys) {
      assert.ok(`djvet.${key}` in properties, key);
    }
  });

  it("activates on every language of the document selector and on Django projects", () => {
    const events: string[] = manifest.activationEvents;
    for (const language of ["python", ...TEMPLATE_LANGUAGES]) {
      assert.ok(events.includes(`onLanguage:${language}`), language);
    }
    assert.ok(events.includes("workspaceContains:**/manage.py"));
  });

  it("contributes the template languages VS Code does not know", () => {
    const ids = manifest.contributes.languages.map((language: { id: string }) => language.id);
    assert.deepStrictEqual([...ids].sort(), [...TEMPLATE_LANGUAGES].sort());
    for (const grammar of manifest.contributes.grammars) {
      assert.ok(fs.existsSync(path.join(root, grammar.path)), grammar.path);
    }
  });

  it("selects html only under templates/ and jinja2/ folders", () => {
    const html = DOCUMENT_SELECTOR.filter((filter) => filter.language === "html");
    assert.deepStrictEqual(html.map((filter) => filter.pattern).sort(), ["**/jinja2/**", "**/templates/**"]);
  });

  it("has the two commands and limited untrusted-workspace support", () => {
    const commands = manifest.contributes.commands.map((command: { command: string; category: string; title: string }) => `${command.category}: ${command.title}`);
    assert.deepStrictEqual(commands.sort(), ["djvet: Restart Server", "djvet: Show Logs"]);
    assert.strictEqual(manifest.capabilities.untrustedWorkspaces.supported, "limited");
    assert.deepStrictEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.sort(), ["djvet.importStrategy", "djvet.interpreter"]);
  });

  it("has the Python package's version", () => {
    const pyproject = fs.readFileSync(path.join(root, "..", "pyproject.toml"), "utf8");
    const match = /^version = "([^"]+)"/m.exec(pyproject);
    assert.ok(match);
    assert.strictEqual(manifest.version, match[1]);
  });
});
