"""The engine: rule selection, suppressions, severity overrides, rule failures, fix application."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

from packaging.version import Version

from djvet.core.config import Settings
from djvet.core.engine import active_rules, apply_fixes, check, fix_document, suppressions
from djvet.core.project import in_memory_project
from djvet.core.registry import all_rules
from djvet.core.rule import CheckContext, Document, Rule
from djvet.core.text import LineIndex, apply_edits, line_starts, split_lines
from djvet.core.types import Applicability, Edit, Finding, Fix, Severity, SourceKind, Span


class FlagPrint(Rule):
    """Test rule: flags every ``print`` name and offers to rename it to ``log``."""

    code = "DJV901"
    name = "test-flag-print"
    summary = "print found"
    severity = Severity.WARNING
    targets = frozenset({SourceKind.PYTHON})
    django = ">=5.0"
    fixable = True
    reference = "topics/async/"

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        import ast

        for node in ast.walk(ctx.python.tree):
            if isinstance(node, ast.Name) and node.id == "print":
                span = ctx.python.span(node)
                fix = Fix("Use log", Applicability.SAFE, (Edit(span, "log"),))
                yield self.finding(ctx, span, "print found", fix=fix)


class Crashes(Rule):
    """Test rule that always raises."""

    code = "DJV902"
    name = "test-crashes"
    summary = "crashes"
    severity = Severity.ERROR
    targets = frozenset({SourceKind.PYTHON})
    reference = "topics/async/"

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        raise ValueError("boom")


RULES = [FlagPrint(), Crashes()]


def run(text: str, **settings) -> tuple:
    doc = Document(text, "/project/app/x.py", SourceKind.PYTHON)
    project = in_memory_project({"app/x.py": text})
    result = check(doc, project, Settings(**settings), rules=RULES)
    return result, doc, project


def test_findings_and_docs_url_pinned_to_version():
    result, _, _ = run("print(1)\n", django_version=Version("5.2"))
    (finding,) = result.findings
    assert finding.code == "DJV901" and finding.span == Span(0, 0, 0, 5)
    assert finding.url == "https://docs.djangoproject.com/en/5.2/topics/async/"
    assert result.django_version == "5.2"


def test_crashing_rule_is_reported_and_others_still_run():
    result, _, _ = run("print(1)\n")
    assert [f.code for f in result.findings] == ["DJV901"]
    assert result.rule_errors[0].code == "DJV902" and "boom" in result.rule_errors[0].message


def test_version_specifier_gates_rule():
    result, _, _ = run("print(1)\n", django_version=Version("4.2"))
    assert result.findings == ()


def test_select_and_ignore():
    assert run("print(1)\n", ignore=("DJV901",))[0].findings == ()
    assert run("print(1)\n", select=("DJV902",))[0].findings == ()


def test_severity_override():
    result, _, _ = run("print(1)\n", severity={"DJV901": Severity.HINT})
    assert result.findings[0].severity is Severity.HINT


def test_noqa_variants():
    text = (
        "print(1)  # noqa: DJV901\n"
        "print(2)  # noqa\n"
        "print(3)  # djvet: ignore[DJV901]\n"
        "print(4)  # djvet: ignore\n"
        "print(5)  # noqa: DJV201\n"
        "print(6)  # a comment\n"
    )
    result, _, _ = run(text)
    assert [f.span.line for f in result.findings] == [4, 5]


def test_template_suppression_table():
    text = "<a>{# djvet: ignore[DJV101] #}</a>\n<a>\n<!-- djvet: ignore -->\n"
    table = suppressions(text, SourceKind.DJANGO_TEMPLATE)
    assert table == {0: frozenset({"DJV101"}), 2: frozenset({"*"})}


def test_syntax_error_elsewhere_keeps_findings_and_notes_it():
    text = "print(1)\ndef broken(:\n    pass\nprint(2)\n"
    result, _, _ = run(text)
    assert [f.span.line for f in result.findings] == [0, 3]
    assert result.notes and "line 2" in result.notes[0]


def test_apply_fixes_and_fix_document_are_stable():
    text = "print(1)\nx = print\n"
    result, doc, project = run(text)
    outcome = apply_fixes(text, result.findings)
    assert outcome.text == "log(1)\nx = log\n" and len(outcome.applied) == 2
    fixed, count, _ = fix_document(doc, project, Settings(), max_passes=4, rules=RULES)
    assert fixed == "log(1)\nx = log\n" and count == 2
    assert not list(
        check(Document(fixed, doc.path, doc.kind), project, Settings(), rules=RULES).findings
    )


def test_overlapping_fixes_are_skipped_not_merged():
    span = Span(0, 0, 0, 5)
    a = Finding(
        "A", "a", "m", Severity.ERROR, span, "u", Fix("a", Applicability.SAFE, (Edit(span, "x"),))
    )
    b = Finding(
        "B",
        "b",
        "m",
        Severity.ERROR,
        span,
        "u",
        Fix("b", Applicability.SAFE, (Edit(Span(0, 2, 0, 4), "y"),)),
    )
    outcome = apply_fixes("hello world", [a, b])
    assert outcome.text == "x world" and [f.code for f in outcome.applied] == ["A"]


def test_unsafe_fixes_need_opt_in():
    span = Span(0, 0, 0, 1)
    f = Finding(
        "A", "a", "m", Severity.ERROR, span, "u", Fix("a", Applicability.UNSAFE, (Edit(span, "z"),))
    )
    assert apply_fixes("abc", [f]).text == "abc"
    assert apply_fixes("abc", [f], unsafe=True).text == "zbc"


def test_line_tables_handle_every_newline_style():
    text = "a\r\nb\rc\nd"
    assert line_starts(text) == [0, 3, 5, 7]
    assert split_lines(text) == ["a", "b", "c", "d"]
    index = LineIndex(text)
    assert index.offset(2, 1) == 6 and index.position(6) == (2, 1)
    assert apply_edits(text, [Edit(Span(1, 0, 1, 1), "B")]) == "a\r\nB\rc\nd"


def test_columns_are_code_points_with_emoji_before_code():
    text = "x = '😀é'; print(1)\n"
    result, _, _ = run(text)
    (finding,) = result.findings
    assert text[finding.span.column : finding.span.end_column] == "print"


def test_core_never_imports_pygls_or_lsprotocol():
    code = (
        "import sys, importlib, pkgutil, djvet.core\n"
        "for m in pkgutil.walk_packages(djvet.core.__path__, 'djvet.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "import djvet.core.registry as r; r.all_rules()\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('pygls', 'lsprotocol'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core pulled in: {out.stdout}"


def test_registered_rule_selection_follows_each_settings_object():
    """``active_rules`` remembers the selection per Settings; new settings, new selection."""
    everything = Settings(django_version=Version("5.2"))
    first = active_rules(SourceKind.PYTHON, everything)
    assert {r.code for r in first} >= {"DJV102", "DJV201", "DJV301"}
    first.clear()  # a caller's copy: the remembered selection is not touched
    assert [r.code for r in active_rules(SourceKind.PYTHON, everything)] == [
        r.code for r in all_rules() if SourceKind.PYTHON in r.targets
    ]
    only = Settings(select=("DJV2",), django_version=Version("5.2"))
    assert {r.code for r in active_rules(SourceKind.PYTHON, only)} == {"DJV201", "DJV202", "DJV203"}
    old = Settings(select=("DJV2",), django_version=Version("4.0"))
    assert active_rules(SourceKind.PYTHON, old) == []  # DJV20x apply from Django 4.1
    templates = active_rules(SourceKind.DJANGO_TEMPLATE, everything)
    assert [r.code for r in templates] == ["DJV101"]
    assert active_rules(SourceKind.PYTHON, everything, RULES) == RULES  # rules given: not cached
    assert active_rules(SourceKind.PYTHON, Settings(django_version=Version("4.2")), RULES) == [
        RULES[1]  # DJV901 applies from Django 5.0
    ]
