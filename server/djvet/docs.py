"""Render rule documentation pages (``docs/rules/DJVxxx.md``) from the rules' own docstrings.

``djvet explain`` prints the same text, so the docs cannot drift from the code;
``python -m djvet.docs [DIR]`` rewrites the pages and a test fails when they are stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.specifiers import SpecifierSet

from .core.facts import known_versions
from .core.registry import all_rules
from .core.rule import Rule


def versions_label(specifier: str) -> str:
    """``>=4.1`` -> ``4.1+``; ``<5.2`` -> ``4.1–5.1`` (over the versions djvet knows)."""
    spec = SpecifierSet(specifier)
    matching = [v for v in known_versions() if spec.contains(v)]
    if not matching:
        return specifier
    if matching[-1] == known_versions()[-1]:
        return f"{matching[0]}+"
    if len(matching) == 1:
        return str(matching[0])
    return f"{matching[0]}–{matching[-1]}"


def render_rule_page(rule: Rule) -> str:
    targets = ", ".join(sorted(t.value for t in rule.targets))
    return (
        f"# {rule.code} `{rule.name}`\n\n"
        f"{rule.summary}.\n\n"
        f"| Severity | Applies to | Django | Fix |\n|---|---|---|---|\n"
        f"| {rule.severity.label} | {targets} | {versions_label(rule.django)} | "
        f"{'yes' if rule.fixable else 'no'} |\n\n"
        f"{rule.docs()}\n"
    )


def rules_table(link_prefix: str = "") -> str:
    """The Markdown table of every rule (the docs index and the README share it)."""
    lines = ["| Code | Name | Summary | Django | Fix |", "|---|---|---|---|---|"]
    for rule in all_rules():
        lines.append(
            f"| [{rule.code}]({link_prefix}{rule.code}.md) | `{rule.name}` | {rule.summary} | "
            f"{versions_label(rule.django)} | {'yes' if rule.fixable else ''} |"
        )
    return "\n".join(lines) + "\n"


README_START, README_END = "<!-- rules:start -->", "<!-- rules:end -->"


def render_readme(text: str) -> str:
    """``text`` (the README) with its rule table regenerated between the markers."""
    head, _, rest = text.partition(README_START)
    _, _, tail = rest.partition(README_END)
    return f"{head}{README_START}\n{rules_table('docs/rules/')}{README_END}{tail}"


def render_index() -> str:
    return "# djvet rules\n\n" + rules_table()


def expected_pages() -> dict[str, str]:
    pages = {f"{rule.code}.md": render_rule_page(rule) for rule in all_rules()}
    pages["README.md"] = render_index()
    return pages


def write_pages(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in expected_pages().items():
        path = directory / name
        if not path.exists() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
            written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/rules")
    for page in write_pages(target):
        print(f"wrote {page}")
    readme = target.parent.parent / "README.md"
    if readme.exists() and README_START in (text := readme.read_text("utf-8")):
        new = render_readme(text)
        if new != text:
            readme.write_text(new, "utf-8")
            print(f"wrote {readme}")
