"""Fixes never corrupt: every fix djvet offers across the corpus, checked four ways.

The corpus is every rule example (Valid and Invalid, checked with *all* rules), every file of
the demo project, and generated variants of each: CRLF, lone-CR and no-final-newline
spellings, an astral-plane comment line before the code, tab indentation, tabs + CRLF (see
``corpus.variants``). For every fix offered:

1. **It parses.** Applying the fix alone to a document that parses gives a document that
   parses (Python: ``ast``; Django templates: Django's own ``Engine.from_string``; Jinja2:
   ``Environment.parse``); so does applying every fix (``fix_document``, unsafe included).
2. **It stays in its statement.** Every edit lies inside the statement holding the finding
   (for a template: the HTML element it starts), with exactly two exceptions, both checked
   for their shape: an added import (an insertion at the start of a module-level line whose
   text is only import statements, or an extension of a module-level ``from ... import``),
   and the statement of the same function that binds a name the flagged code reads (DJV303
   adds ``select_related`` to the query that produced the instance).
3. **Fix-all is idempotent**: fixing the fixed text changes nothing.
4. **Line endings survive**: a CRLF document fixes to CRLF only, a lone-CR one to CR only,
   an LF one gets no CR; and a variant fixes to the same text as the original, respelled.

The runtime half of "fixes never corrupt" (the fixed async code runs against real Django and
returns what the original did under ``sync_to_async``) is ``tests/runtime/``.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Iterator

import pytest

from djvet.core.config import Settings, parse_version
from djvet.core.engine import check, fix_document
from djvet.core.project import in_memory_project
from djvet.core.rule import Document
from djvet.core.text import LineIndex, apply_edits, normalize_newlines
from djvet.core.types import CheckResult, Edit, Finding, SourceKind, Span

from .corpus import CorpusDocument, corpus, respellings, variants
from .invariants import source_is_valid

ROOT = "/fix-project"


def settings_for(document: CorpusDocument) -> Settings:
    version = parse_version(document.django) if document.django else None
    return Settings(django_version=version) if version is not None else Settings()


_DOCUMENTS: dict[str, CorpusDocument] = {d.name: d for d in corpus()}


def run_check(document: CorpusDocument, text: str) -> CheckResult:
    return _run_check(document.name, text)


@functools.cache
def _run_check(name: str, text: str) -> CheckResult:
    document = _DOCUMENTS[name]
    project = in_memory_project(document.project_files(text), ROOT)
    doc = Document(text, f"{ROOT}/{document.path}", document.kind)
    return check(doc, project, settings_for(document))


def fix_all(document: CorpusDocument, text: str) -> str:
    return _fix_all(document.name, text)


@functools.cache
def _fix_all(name: str, text: str) -> str:
    document = _DOCUMENTS[name]
    project = in_memory_project(document.project_files(text), ROOT)
    doc = Document(text, f"{ROOT}/{document.path}", document.kind)
    fixed, _, _ = fix_document(doc, project, settings_for(document), unsafe=True)
    return fixed


def all_texts() -> Iterator[tuple[str, CorpusDocument, str]]:
    for document in corpus():
        yield document.name, document, document.text
        for name, text in variants(document).items():
            yield f"{document.name}[{name}]", document, text


def fixable_texts() -> list[tuple[str, CorpusDocument, str, tuple[Finding, ...]]]:
    out = []
    for name, document, text in all_texts():
        findings = tuple(f for f in run_check(document, text).findings if f.fix is not None)
        if findings:
            out.append((name, document, text, findings))
    return out


FIXABLE = fixable_texts()
FIXABLE_IDS = [name for name, *_ in FIXABLE]


def test_the_corpus_offers_fixes_of_every_fixable_rule() -> None:
    """Guards the corpus itself: the properties below are not vacuous."""
    from djvet.core.registry import all_rules

    offered = {f.code for *_, findings in FIXABLE for f in findings}
    fixable = {rule.code for rule in all_rules() if rule.fixable}
    assert fixable <= offered, f"no fix offered in the corpus for {sorted(fixable - offered)}"
    assert sum(len(findings) for *_, findings in FIXABLE) > 300


# ---------------------------------------------------------------------------------------------
# Where an edit may land
# ---------------------------------------------------------------------------------------------


def _position(node: ast.AST, source: str, lines: LineIndex) -> tuple[Span, int, int]:
    """(code-point span, start offset, end offset) of an ast node, decorators included."""
    start_node = node
    decorators = getattr(node, "decorator_list", None)
    if decorators:
        start_node = min(decorators, key=lambda d: (d.lineno, d.col_offset))
    line = start_node.lineno - 1  # type: ignore[attr-defined]
    end_line = node.end_lineno - 1  # type: ignore[attr-defined]

    def column(line0: int, byte_column: int) -> int:
        return len(lines.line_text(line0).encode("utf-8")[:byte_column].decode("utf-8", "ignore"))

    # The statement's lines, indentation and line ending included (a method appended to a
    # class is inserted at the start of the line after the class's last line).
    start = lines.offset(line, 0)
    end = lines.offset(end_line, column(end_line, node.end_col_offset))  # type: ignore[attr-defined]
    if lines.text[end:].lstrip(" \t").startswith(("\n", "#")) or end == len(lines.text):
        end = lines.line_start(end_line + 1)
    return lines.span(start, end), start, end


def _statements(tree: ast.AST) -> Iterator[tuple[ast.stmt, list[ast.stmt]]]:
    """Every statement with its chain of enclosing statements (outermost first)."""
    stack: list[tuple[ast.AST, list[ast.stmt]]] = [(tree, [])]
    while stack:
        node, parents = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                yield child, parents
                stack.append((child, [*parents, child]))
            else:
                stack.append((child, parents))


def _inside(edit: Edit, start: int, end: int, lines: LineIndex) -> bool:
    a = lines.offset(edit.span.line, edit.span.column)
    b = lines.offset(edit.span.end_line, edit.span.end_column)
    return start <= a and b <= end


def _import_only(text: str) -> bool:
    stripped = text.strip()
    if not stripped:
        return False
    try:
        module = ast.parse(normalize_newlines(stripped))
    except SyntaxError:
        return False
    return all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in module.body)


def python_confinement_problems(text: str, finding: Finding) -> list[str]:
    assert finding.fix is not None
    source = normalize_newlines(text).replace("\ufeff", " ", 1)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # confinement is only defined for a document with statements
    lines = LineIndex(source)
    f_start = lines.offset(finding.span.line, finding.span.column)
    f_end = lines.offset(finding.span.end_line, finding.span.end_column)
    holding: tuple[ast.stmt, list[ast.stmt], int, int] | None = None
    module_level: list[tuple[ast.stmt, int, int]] = []
    for stmt, parents in _statements(tree):
        _, start, end = _position(stmt, source, lines)
        if not parents:
            module_level.append((stmt, start, end))
        if start <= f_start and f_end <= end:
            if holding is None or len(parents) >= len(holding[1]):
                holding = (stmt, parents, start, end)
    if holding is None:
        return [f"{finding.code}: no statement holds the finding at {finding.span}"]
    stmt, parents, s_start, s_end = holding
    flagged = lines.slice(finding.span)
    names_read = {m.group() for m in re.finditer(r"[A-Za-z_]\w*", flagged)}
    function = next(
        (p for p in reversed(parents) if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef))),
        None,
    )
    problems = []
    for edit in finding.fix.edits:
        if _inside(edit, s_start, s_end, lines):
            continue
        if (
            edit.span.column == 0
            and edit.span.line == edit.span.end_line
            and edit.span.end_column == 0
        ):
            if _import_only(edit.text):
                continue
        if any(
            isinstance(m, ast.ImportFrom) and _inside(edit, a, b, lines) for m, a, b in module_level
        ) and re.fullmatch(r",\s*\w+(\s+as\s+\w+)?", edit.text):
            continue
        if function is not None and _binds_read_name(function, edit, names_read, source, lines):
            continue
        problems.append(
            f"{finding.code} at {finding.span}: edit {edit.span} {edit.text!r} lies outside "
            f"the statement {lines.slice(_position(stmt, source, lines)[0])[:120]!r}"
        )
    return problems


def _binds_read_name(
    function: ast.AST, edit: Edit, names: set[str], source: str, lines: LineIndex
) -> bool:
    """True when ``edit`` lies in the value a statement of ``function`` binds a read name to:
    the right-hand side of an assignment or the iterable of a ``for`` / ``async for``."""
    for stmt, _ in _statements(function):
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = stmt.value
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            targets, value = [stmt.target], stmt.iter
        else:
            continue
        bound = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        if value is None or not bound & names:
            continue
        _, start, end = _expression_offsets(value, lines)
        if _inside(edit, start, end, lines):
            return True
    return False


def _expression_offsets(node: ast.expr, lines: LineIndex) -> tuple[Span, int, int]:
    def offset(line1: int, byte_column: int) -> int:
        text = lines.line_text(line1 - 1)
        column = len(text.encode("utf-8")[:byte_column].decode("utf-8", "ignore"))
        return lines.offset(line1 - 1, column)

    start = offset(node.lineno, node.col_offset)
    end = offset(node.end_lineno or node.lineno, node.end_col_offset or 0)
    return lines.span(start, end), start, end


_TAG_NAME = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)")


def template_confinement_problems(text: str, finding: Finding) -> list[str]:
    """Edits must stay inside the HTML element whose start tag the finding marks."""
    assert finding.fix is not None
    lines = LineIndex(text)
    start = lines.offset(finding.span.line, finding.span.column)
    end = lines.offset(finding.span.end_line, finding.span.end_column)
    match = _TAG_NAME.match(text, start)
    if match is not None:
        end = max(end, _element_end(text, match.group(1).lower(), end))
    return [
        f"{finding.code} at {finding.span}: edit {edit.span} {edit.text!r} lies outside "
        f"the element {text[start:end][:120]!r}"
        for edit in finding.fix.edits
        if not _inside(edit, start, end, lines)
    ]


def _element_end(text: str, name: str, after: int) -> int:
    """Offset after the end tag matching a start tag that ends at ``after`` (or ``after``)."""
    opener = re.compile(rf"<(/?){re.escape(name)}(?=[\s>/])", re.I)
    depth = 1
    for match in opener.finditer(text, after):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            close = text.find(">", match.end())
            return close + 1 if close >= 0 else len(text)
    return after


# ---------------------------------------------------------------------------------------------
# The properties
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "document", "text", "findings"), FIXABLE, ids=FIXABLE_IDS)
def test_each_fix_parses_and_stays_in_its_statement(
    name: str, document: CorpusDocument, text: str, findings: tuple[Finding, ...]
) -> None:
    valid = source_is_valid(text, document.kind)
    problems: list[str] = []
    for finding in findings:
        assert finding.fix is not None
        fixed = apply_edits(text, finding.fix.edits)
        if valid and not source_is_valid(fixed, document.kind):
            problems.append(f"{finding.code} fix {finding.fix.title!r} breaks the document")
        confine: Callable[[str, Finding], list[str]] = (
            python_confinement_problems
            if document.kind is SourceKind.PYTHON
            else template_confinement_problems
        )
        problems.extend(confine(text, finding))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("name", "document", "text", "findings"), FIXABLE, ids=FIXABLE_IDS)
def test_fix_all_parses_is_idempotent_and_keeps_line_endings(
    name: str, document: CorpusDocument, text: str, findings: tuple[Finding, ...]
) -> None:
    fixed = fix_all(document, text)
    assert fixed != text, "fixes were offered but fix-all changed nothing"
    if source_is_valid(text, document.kind):
        assert source_is_valid(fixed, document.kind), f"fix-all breaks the document:\n{fixed}"
    assert fix_all(document, fixed) == fixed, "fixing the fixed text changed it again"
    assert line_endings(fixed) <= line_endings(text), (
        f"fix-all added {line_endings(fixed) - line_endings(text)} line endings to a "
        f"{line_endings(text)} document"
    )


def line_endings(text: str) -> set[str]:
    found = set(re.findall(r"\r\n|\r|\n", text))
    return {{"\r\n": "CRLF", "\r": "CR", "\n": "LF"}[e] for e in found}


def respelled_cases() -> list[tuple[str, CorpusDocument, str]]:
    return [
        (f"{name}[{variant}]", document, variant)
        for name, document, _, _ in FIXABLE
        if "[" not in name
        for variant in respellings(document)
    ]


RESPELLED = respelled_cases()


@pytest.mark.parametrize(("name", "document", "variant"), RESPELLED, ids=[c[0] for c in RESPELLED])
def test_a_respelled_document_fixes_to_the_respelled_fix(
    name: str, document: CorpusDocument, variant: str
) -> None:
    """CRLF / CR / no final newline / a line of astral-plane characters change nothing but the
    spelling: the fixed variant is the fixed original, respelled the same way."""
    respell = respellings(document)[variant]
    expected = respell(fix_all(document, document.text))
    got = fix_all(document, respell(document.text))
    if variant == "no-final-newline":
        expected, got = expected.rstrip("\n"), got.rstrip("\n")
    assert got == expected


@pytest.mark.parametrize("document", corpus(), ids=[d.name for d in corpus()])
def test_every_spelling_gets_the_same_findings_and_fixes(document: CorpusDocument) -> None:
    """No variant loses a finding or a fix (say, a fix withheld because tabs made it invalid)."""

    def summary(text: str) -> list[tuple[str, bool]]:
        return sorted((f.code, f.fix is not None) for f in run_check(document, text).findings)

    expected = summary(document.text)
    for name, text in variants(document).items():
        assert summary(text) == expected, name
