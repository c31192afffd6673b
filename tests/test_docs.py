"""Rule documentation: fixed headings in order, every rule documented, pages in docs/ up to date."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from djvet.cli import main
from djvet.core.registry import all_rules
from djvet.core.rule import DOC_HEADINGS
from djvet.docs import README_START, expected_pages, render_readme

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules"


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_docs_have_the_fixed_headings_in_order(rule):
    headings = re.findall(r"^## (.+)$", rule.docs(), re.M)
    assert tuple(headings) == DOC_HEADINGS, f"{rule.code}: {headings}"
    for heading in DOC_HEADINGS:
        body = rule.docs().split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
        assert body.strip(), f"{rule.code}: empty section {heading!r}"
    assert "docs.djangoproject.com" in rule.docs().split("## References", 1)[1]


def test_rule_metadata_is_complete():
    codes = [r.code for r in all_rules()]
    assert len(codes) == len(set(codes))
    for rule in all_rules():
        assert re.fullmatch(r"DJV\d{3}", rule.code)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
        assert rule.summary and not rule.summary.endswith(".")
        assert rule.targets and rule.reference


def test_docs_pages_are_generated_and_current():
    for name, text in expected_pages().items():
        path = DOCS / name
        assert path.exists(), f"missing {path}; run `python -m djvet.docs`"
        assert path.read_text("utf-8") == text, f"{path} is stale; run `python -m djvet.docs`"


def test_explain_prints_the_same_docs(capsys):
    for rule in all_rules():
        assert main(["explain", rule.code]) == 0
        out = capsys.readouterr().out
        assert rule.docs() in out and rule.code in out
    assert main(["explain", "DJV999"]) == 2


def test_readme_rule_table_is_current():
    readme = (DOCS.parent.parent / "README.md").read_text("utf-8")
    assert README_START in readme
    assert render_readme(readme) == readme, "README rule table is stale; run `python -m djvet.docs`"
