"""Code actions: the quick fix a diagnostic carries, "ignore on this line", and fix-all.

Quick fixes are read back from ``Diagnostic.data`` (``convert.read_fix``): the edits were
computed with the findings, for that document version, so offering them needs no analysis.
"Ignore DJVxxx on this line" inserts (or extends) the suppression comment in the file's own
language — ``# djvet: ignore[DJV201]`` in Python, ``{# djvet: ignore[DJV101] #}`` in
templates — and is only offered when re-tokenizing proves the comment lands as a comment.
``source.fixAll.djvet`` applies every safe fix, pass after pass like ``djvet fix``, and
sends the difference as a few minimal edits.
"""

from __future__ import annotations

import difflib
import io
import re
import tokenize
from collections.abc import Iterable, Sequence

from lsprotocol import types as lsp

from ..core.engine import apply_fixes, check
from ..core.rule import Document, Rule
from ..core.templates.lexer import TokenKind, tokenize_template
from ..core.text import LineIndex, apply_edits, normalize_newlines
from ..core.types import CheckResult, Edit, Finding, SourceKind, Span
from .convert import LineMap, ranges_overlap, read_fix, same_range, text_edits
from .scheduler import Snapshot
from .state import Project

FIX_ALL_KIND = "source.fixAll.djvet"
MAX_FIX_PASSES = 8
_IGNORE = re.compile(r"djvet:\s*ignore\[(?P<codes>[^\]]*)\]", re.I)


def kind_wanted(kind: str, only: Sequence[str] | None) -> bool:
    """LSP kinds are hierarchical: ``source.fixAll`` asks for ``source.fixAll.djvet`` too."""
    if not only:
        return True
    return any(kind == wanted or kind.startswith(wanted + ".") for wanted in only)


def workspace_edit(
    uri: str, version: int, edits: list[lsp.TextEdit], document_changes: bool
) -> lsp.WorkspaceEdit:
    """Edits for one document, versioned when the client understands ``documentChanges``."""
    if document_changes:
        return lsp.WorkspaceEdit(
            document_changes=[
                lsp.TextDocumentEdit(
                    text_document=lsp.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=version
                    ),
                    edits=list(edits),
                )
            ]
        )
    return lsp.WorkspaceEdit(changes={uri: list(edits)})


def relevant(
    findings: Sequence[Finding],
    diagnostics: Sequence[lsp.Diagnostic],
    range_: lsp.Range,
    context: Iterable[lsp.Diagnostic],
) -> list[tuple[Finding, lsp.Diagnostic]]:
    """Findings under the requested range, plus those the client named in its context."""
    named = [d for d in context if d.source == "djvet"]
    out = []
    for finding, diag in zip(findings, diagnostics, strict=True):
        if ranges_overlap(diag.range, range_) or any(
            d.code == diag.code and same_range(d.range, diag.range) for d in named
        ):
            out.append((finding, diag))
    return out


def line_actions(
    findings: Sequence[Finding],
    diagnostics: Sequence[lsp.Diagnostic],
    snapshot: Snapshot,
    params: lsp.CodeActionParams,
    lines: LineMap,
    document_changes: bool,
) -> list[lsp.CodeAction]:
    """Quick fixes and "ignore" actions for the findings the request is about."""
    if not kind_wanted(lsp.CodeActionKind.QuickFix, params.context.only):
        return []
    pairs = relevant(findings, diagnostics, params.range, params.context.diagnostics)
    uri, version = snapshot.uri, snapshot.version
    fixes = [quick_fix(diag, uri, version, document_changes) for _, diag in pairs]
    ignores = {
        (finding.code, finding.span.line): ignore_action(
            finding, diag, snapshot.text, snapshot.kind, lines, uri, version, document_changes
        )
        for finding, diag in pairs
    }
    return [action for action in (*fixes, *ignores.values()) if action is not None]


def wants_fix_all(findings: Sequence[Finding], only: Sequence[str] | None) -> bool:
    return kind_wanted(FIX_ALL_KIND, only) and any(
        f.fix is not None and f.fix.is_safe for f in findings
    )


def fix_all_action(
    uri: str, version: int, old: str, new: str, lines: LineMap, document_changes: bool
) -> list[lsp.CodeAction]:
    if new == old:
        return []
    edits = text_edits(diff_edits(old, new), lines)
    return [
        lsp.CodeAction(
            title="djvet: fix all safe problems",
            kind=FIX_ALL_KIND,
            edit=workspace_edit(uri, version, edits, document_changes),
        )
    ]


def quick_fix(
    diag: lsp.Diagnostic, uri: str, version: int, document_changes: bool
) -> lsp.CodeAction | None:
    fix = read_fix(diag.data)
    if fix is None:
        return None
    return lsp.CodeAction(
        title=fix.title,
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[diag],
        is_preferred=fix.safe,
        edit=workspace_edit(uri, version, list(fix.edits), document_changes),
    )


def ignore_action(
    finding: Finding,
    diag: lsp.Diagnostic,
    text: str,
    kind: SourceKind,
    lines: LineMap,
    uri: str,
    version: int,
    document_changes: bool,
) -> lsp.CodeAction | None:
    edit = suppression_edit(text, kind, finding.span, finding.code, lines.index)
    if edit is None:
        return None
    return lsp.CodeAction(
        title=f"Ignore {finding.code} on this line",
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[diag],
        is_preferred=False,
        edit=workspace_edit(uri, version, text_edits([edit], lines), document_changes),
    )


# ---------------------------------------------------------------------------------------------
# Suppression comments
# ---------------------------------------------------------------------------------------------


def suppression_edit(
    text: str, kind: SourceKind, span: Span, code: str, index: LineIndex
) -> Edit | None:
    """The edit that silences ``code`` on the finding's line (or its last line), if one is safe."""
    for line in dict.fromkeys((span.line, span.end_line)):
        if kind is SourceKind.PYTHON:
            edit = _python_suppression(text, index, line, code)
        elif kind in (SourceKind.DJANGO_TEMPLATE, SourceKind.JINJA2):
            edit = _template_suppression(text, index, line, code, jinja=kind is SourceKind.JINJA2)
        else:
            edit = None
        if edit is not None:
            return edit
    return None


def _extend_codes(codes: str, at: int, line: int, code: str) -> Edit:
    """Add ``code`` to an existing ``djvet: ignore[...]`` list whose codes end at column ``at``."""
    stripped = codes.strip()
    if not stripped:
        insert = code
    elif stripped.endswith(","):
        insert = f" {code}"
    else:
        insert = f", {code}"
    return Edit(Span(line, at, line, at), insert)


def _append_at_line_end(index: LineIndex, line: int, comment: str) -> Edit:
    line_text = index.line_text(line)
    content_end = len(line_text.rstrip(" \t"))
    prefix = "" if content_end == 0 else ("  " if comment.startswith("#") else " ")
    return Edit(Span(line, content_end, line, len(line_text)), prefix + comment)


def _python_comment_on(text: str, line: int) -> tuple[bool, tokenize.TokenInfo | None]:
    """(is the end of ``line`` a place a comment can go, the comment token already on it)."""
    source = normalize_newlines(text)
    row = line + 1
    comment = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            (start_row, _), (end_row, _) = token.start, token.end
            if start_row > row:
                return True, comment
            if token.type == tokenize.COMMENT and start_row == row:
                comment = token
            elif start_row <= row < end_row and token.type not in (tokenize.NL, tokenize.NEWLINE):
                return False, None  # the line ends inside a string (or other multi-line token)
    except (tokenize.TokenError, SyntaxError):
        return False, None  # cannot prove where the line ends; offer nothing
    return True, comment


def _python_suppression(text: str, index: LineIndex, line: int, code: str) -> Edit | None:
    if line >= index.line_count:
        return None
    line_text = index.line_text(line)
    if line_text.rstrip().endswith("\\"):
        return None  # a comment after a line continuation is a syntax error
    ok, comment = _python_comment_on(text, line)
    if not ok:
        return None
    edit = None
    if comment is not None:
        match = _IGNORE.search(comment.string)
        if match is not None:
            edit = _extend_codes(
                match.group("codes"), comment.start[1] + match.end("codes"), line, code
            )
    if edit is None:
        edit = _append_at_line_end(index, line, f"# djvet: ignore[{code}]")
    return edit if _python_edit_lands(text, index, edit, line, code) else None


def _python_edit_lands(text: str, index: LineIndex, edit: Edit, line: int, code: str) -> bool:
    """Re-tokenize: the line must now carry a comment naming ``code``, and the code still parse."""
    new_text = apply_edits(text, [edit])
    ok, comment = _python_comment_on(new_text, line)
    if not ok or comment is None:
        return False
    match = _IGNORE.search(comment.string)
    if match is None or code not in {c.strip().upper() for c in match.group("codes").split(",")}:
        return False
    return not parses(text) or parses(new_text)


def _template_suppression(
    text: str, index: LineIndex, line: int, code: str, *, jinja: bool
) -> Edit | None:
    if line >= index.line_count:
        return None
    line_text = index.line_text(line)
    line_start = index.line_start(line)
    source = tokenize_template(text, jinja=jinja)
    for token in source.tokens:
        if (
            token.kind is TokenKind.COMMENT
            and token.start >= line_start
            and token.end <= line_start + len(line_text)
        ):
            match = _IGNORE.search(text, token.start, token.end)
            if match is not None:
                return _extend_codes(
                    match.group("codes"), match.end("codes") - line_start, line, code
                )
    edit = _append_at_line_end(index, line, "{# djvet: ignore[" + code + "] #}")
    new_text = apply_edits(text, [edit])
    at = line_start + edit.span.column + (len(edit.text) - len(edit.text.lstrip(" ")))
    new_source = tokenize_template(new_text, jinja=jinja)
    lands = any(t.kind is TokenKind.COMMENT and t.start == at for t in new_source.tokens)
    return edit if lands else None


# ---------------------------------------------------------------------------------------------
# Fix all
# ---------------------------------------------------------------------------------------------


def parses(text: str) -> bool:
    """``core.python.edits.parses``, imported on first use: that module pulls in libcst, which
    would add most of a second to the server's start (and to ``initialize``)."""
    from ..core.python.edits import parses as core_parses

    return core_parses(text)


def fix_all_text(
    text: str,
    path: str | None,
    kind: SourceKind,
    version: int | None,
    first: CheckResult,
    project: Project,
    rules: Sequence[Rule],
) -> str:
    """Apply every safe fix, re-checking between passes (runs on the worker thread).

    The index keeps the buffer as the editor has it; later passes only matter where fixes
    overlapped, and each pass must keep Python parseable or it is dropped.
    """
    result = first
    must_parse = kind is SourceKind.PYTHON and parses(text)
    for _ in range(MAX_FIX_PASSES):
        try:
            outcome = apply_fixes(text, result.findings, unsafe=False)
        except ValueError:  # a fix with overlapping edits of its own: stop here
            break
        if not outcome.applied or outcome.text == text:
            break
        if must_parse and not parses(outcome.text):
            break
        text = outcome.text
        result = check(
            Document(text, path, kind, version), project.index, project.settings, rules=rules
        )
    return text


def diff_edits(old: str, new: str) -> list[Edit]:
    """Line-level differences between two texts as core edits (trimmed later by convert)."""
    old_index, new_index = LineIndex(old), LineIndex(new)
    old_lines = _lines_with_ends(old, old_index)
    new_lines = _lines_with_ends(new, new_index)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    edits = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = old_index.line_start(i1) if i1 < old_index.line_count else len(old)
        end = old_index.line_start(i2) if i2 < old_index.line_count else len(old)
        edits.append(Edit(old_index.span(start, end), "".join(new_lines[j1:j2])))
    return edits


def _lines_with_ends(text: str, index: LineIndex) -> list[str]:
    starts = [index.line_start(n) for n in range(index.line_count)]
    return [
        text[start : starts[n + 1] if n + 1 < len(starts) else len(text)]
        for n, start in enumerate(starts)
    ]
