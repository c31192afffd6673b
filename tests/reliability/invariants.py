"""Checks shared by the reliability properties: is a result sane for the text it came from?"""

from __future__ import annotations

import ast
import functools
import warnings
from collections.abc import Iterable

from djvet.core.text import LineIndex, apply_edits
from djvet.core.types import CheckResult, Finding, SourceKind, Span


def span_problem(span: Span, lines: LineIndex) -> str | None:
    """Why ``span`` cannot be a range in the text of ``lines`` (None when it can)."""
    if span.line < 0 or span.column < 0 or span.end_line < 0 or span.end_column < 0:
        return f"negative coordinate in {span}"
    if (span.line, span.column) > (span.end_line, span.end_column):
        return f"{span} ends before it starts"
    if span.end_line >= lines.line_count:
        return f"{span} ends on line {span.end_line}, the text has {lines.line_count} lines"
    for line, column in ((span.line, span.column), (span.end_line, span.end_column)):
        length = len(lines.line_text(line))
        if column > length:
            return f"{span}: column {column} is past the end of line {line} ({length} chars)"
    return None


def finding_problems(finding: Finding, lines: LineIndex) -> Iterable[str]:
    where = f"{finding.code} {finding.span}"
    if (problem := span_problem(finding.span, lines)) is not None:
        yield f"{where}: {problem}"
    for related in finding.related:
        if related.path is None and (problem := span_problem(related.span, lines)) is not None:
            yield f"{where}: related {related.message!r}: {problem}"
    if finding.fix is not None:
        for edit in finding.fix.edits:
            if (problem := span_problem(edit.span, lines)) is not None:
                yield f"{where}: fix edit: {problem}"
        try:
            apply_edits(lines.text, finding.fix.edits)
        except ValueError as exc:
            yield f"{where}: fix edits cannot be applied: {exc}"


def result_problems(result: CheckResult, text: str) -> list[str]:
    """Everything wrong with ``result`` as a description of ``text``: ranges and rule crashes."""
    lines = LineIndex(text)
    problems = [f"rule {e.code} crashed: {e.message}" for e in result.rule_errors]
    for finding in result.findings:
        problems.extend(finding_problems(finding, lines))
    return problems


def python_parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


@functools.cache
def _django_engine() -> object:
    """A standalone Django template engine with the usual libraries.

    Parsing needs settings only on some error paths (an unknown tag looks up USE_I18N), so
    minimal settings are configured if nobody in this process has configured any.
    """
    from django.conf import settings
    from django.template import Engine

    if not settings.configured:
        settings.configure(USE_I18N=False)

    return Engine(
        libraries={
            name: f"django.templatetags.{name}"
            for name in ("static", "i18n", "l10n", "tz", "cache")
        }
    )


def template_compiles(text: str, kind: SourceKind) -> bool:
    """Django's (or Jinja2's) own parser accepts ``text``."""
    if kind is SourceKind.JINJA2:
        import jinja2

        try:
            jinja2.Environment().parse(text)
        except jinja2.TemplateSyntaxError:
            return False
        return True
    from django.template import TemplateSyntaxError

    try:
        _django_engine().from_string(text)  # type: ignore[attr-defined]
    except TemplateSyntaxError:
        return False
    return True


def source_is_valid(text: str, kind: SourceKind) -> bool:
    if kind is SourceKind.PYTHON:
        return python_parses(text)
    if kind in (SourceKind.DJANGO_TEMPLATE, SourceKind.JINJA2):
        return template_compiles(text, kind)
    return True


def fingerprint(findings: Iterable[Finding]) -> list[tuple[object, ...]]:
    """What a user sees of findings: code, place, message, fix edits (order-insensitive)."""
    return sorted(
        (
            f.code,
            f.span,
            f.message,
            f.severity,
            tuple(sorted((e.span, e.text) for e in f.fix.edits)) if f.fix else None,
        )
        for f in findings
    )
