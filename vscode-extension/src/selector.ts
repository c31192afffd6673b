/**
 * The documents djvet analyses: Python files, and templates in the languages that Django and
 * Jinja2 template extensions use, plus plain `html` files under `templates/` or `jinja2/`
 * folders, so templates get diagnostics without any other extension installed.
 */

export interface DocumentFilterSpec {
  scheme?: string;
  language: string;
  pattern?: string;
}

export const TEMPLATE_LANGUAGES = ["django-html", "jinja", "jinja-html"] as const;

export const DOCUMENT_SELECTOR: DocumentFilterSpec[] = [
  { scheme: "file", language: "python" },
  { scheme: "untitled", language: "python" },
  ...TEMPLATE_LANGUAGES.map((language) => ({ scheme: "file", language })),
  { scheme: "file", language: "html", pattern: "**/templates/**" },
  { scheme: "file", language: "html", pattern: "**/jinja2/**" },
];
