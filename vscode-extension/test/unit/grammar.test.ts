import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as oniguruma from "vscode-oniguruma";
import * as textmate from "vscode-textmate";

const root = path.resolve(__dirname, "..", "..", "..");

async function registry(): Promise<textmate.Registry> {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  return new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text: string) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName: string) => {
      const file = { "text.html.djvet.template": "template.tmLanguage.json", "text.djvet.jinja": "jinja.tmLanguage.json" }[scopeName];
      if (!file) {
        return null; // text.html.basic is VS Code's own grammar: not needed for the template parts.
      }
      const grammarPath = path.join(root, "syntaxes", file);
      return textmate.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath);
    },
  });
}

/** [text, innermost scope] pairs of one line. */
async function tokens(scopeName: string, line: string): Promise<Array<[string, string]>> {
  const grammar = await (await registry()).loadGrammar(scopeName);
  assert.ok(grammar, scopeName);
  const result = grammar.tokenizeLine(line, textmate.INITIAL);
  return result.tokens.map((token) => [line.slice(token.startIndex, token.endIndex), token.scopes[token.scopes.length - 1]]);
}

function scopeOf(list: Array<[string, string]>, text: string): string | undefined {
  return list.find(([tokenText]) => tokenText.trim() === text)?.[1];
}

describe("template grammars", () => {
  it("highlights a Django tag, its name, string argument and delimiters", async () => {
    const list = await tokens("text.html.djvet.template", "{% url 'logout' %}");
    assert.strictEqual(scopeOf(list, "{%"), "punctuation.section.embedded.begin.template");
    assert.strictEqual(scopeOf(list, "url"), "keyword.control.template");
    assert.strictEqual(scopeOf(list, "logout"), "string.quoted.single.template");
    assert.strictEqual(scopeOf(list, "%}"), "punctuation.section.embedded.end.template");
  });

  it("highlights variables with filters, and comments", async () => {
    const list = await tokens("text.html.djvet.template", "{{ request.path|urlencode }} {# note #}");
    assert.strictEqual(scopeOf(list, "urlencode"), "support.function.filter.template");
    assert.strictEqual(scopeOf(list, "note"), "comment.block.template");
  });

  it("handles Jinja whitespace control and calls", async () => {
    const list = await tokens("text.djvet.jinja", "{%- if user -%}{{ url('logout') }}{%- endif %}");
    assert.strictEqual(scopeOf(list, "if"), "keyword.control.template");
    assert.strictEqual(scopeOf(list, "endif"), "keyword.control.template");
    assert.strictEqual(scopeOf(list, "logout"), "string.quoted.single.template");
    assert.strictEqual(scopeOf(list, "-%}"), "punctuation.section.embedded.end.template");
  });

  it("leaves text outside template syntax alone", async () => {
    const list = await tokens("text.djvet.jinja", "Hello {world}");
    assert.deepStrictEqual(list.map(([, scope]) => scope), ["text.djvet.jinja"]);
  });
});
