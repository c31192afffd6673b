"""Every coordinate and shape conversion between djvet's core and LSP, in one place.

The core speaks 0-based lines and 0-based *code-point* columns (Python ``str`` indices).
LSP counts columns in UTF-16 code units unless client and server agreed on another
``positionEncoding`` (``utf-8`` or ``utf-32``) during ``initialize``. The two only differ on
lines holding non-ASCII text (UTF-8) or characters outside the Basic Multilingual Plane such
as emoji (UTF-16), which is exactly where off-by-N bugs hide; keeping every conversion here
means one module to get right and one test file to prove it.

Line breaks are ``\\r\\n``, ``\\n`` and a lone ``\\r`` on both sides (``djvet.core.text``).
Note that ``str.splitlines`` also breaks at form feeds, ``\\x1c``-``\\x1e``, ``\\x85``,
U+2028 and U+2029, which LSP does not: incremental edits are therefore applied here, with the
core's line table, not with pygls' ``TextDocument``.

Also here: findings -> ``Diagnostic`` (code, docs link, severity, tags, related locations,
``data`` carrying the fix), fixes -> ``TextEdit`` lists, and the reverse reading of
``Diagnostic.data`` that code actions use.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lsprotocol import types as lsp

from ..core.text import LineIndex
from ..core.types import Edit, Finding, Fix, Severity, Span

SOURCE = "djvet"
DATA_VERSION_KEY = "version"


class Encoding(str, enum.Enum):
    """The unit LSP ``Position.character`` counts in (negotiated in ``initialize``)."""

    UTF8 = "utf-8"
    UTF16 = "utf-16"
    UTF32 = "utf-32"

    @classmethod
    def parse(cls, value: object) -> Encoding:
        text = str(getattr(value, "value", value)).lower()
        for member in cls:
            if member.value == text:
                return member
        return cls.UTF16  # the LSP default


def _char_units(char: str, encoding: Encoding) -> int:
    code = ord(char)
    if encoding is Encoding.UTF16:
        return 2 if code > 0xFFFF else 1
    if code < 0x80:
        return 1
    if code < 0x800:
        return 2
    if code < 0x10000:
        return 3  # includes lone surrogates, which UTF-8 (surrogatepass) also spends 3 bytes on
    return 4


def units(text: str, encoding: Encoding) -> int:
    """Length of ``text`` in the encoding's code units."""
    if encoding is Encoding.UTF32 or text.isascii():
        return len(text)
    if encoding is Encoding.UTF16:
        return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)
    return len(text.encode("utf-8", "surrogatepass"))


def column_to_lsp(line_text: str, column: int, encoding: Encoding) -> int:
    """A code-point column on a line -> the client's ``character``."""
    column = max(0, min(column, len(line_text)))
    return units(line_text[:column], encoding)


def column_from_lsp(line_text: str, character: int, encoding: Encoding) -> int:
    """The client's ``character`` -> a code-point column.

    Past the end of the line clamps to the line end (as the spec asks); a position inside a
    character (between the two halves of a surrogate pair) rounds down to its start.
    """
    character = max(0, character)
    if encoding is Encoding.UTF32 or line_text.isascii():
        return min(character, len(line_text))
    seen = 0
    for index, char in enumerate(line_text):
        width = _char_units(char, encoding)
        if seen + width > character:
            return index
        seen += width
    return len(line_text)


class LineMap:
    """Position conversion for one text (a snapshot of a document)."""

    __slots__ = ("encoding", "index", "text")

    def __init__(self, text: str, encoding: Encoding, index: LineIndex | None = None) -> None:
        self.text = text
        self.encoding = encoding
        self.index = index if index is not None else LineIndex(text)

    # -- core -> LSP --------------------------------------------------------------------------
    def position(self, line: int, column: int) -> lsp.Position:
        last = self.index.line_count - 1
        if line > last:  # past the end of the document: its very end
            line, column = last, len(self.index.line_text(last))
        line = max(line, 0)
        return lsp.Position(line, column_to_lsp(self.index.line_text(line), column, self.encoding))

    def range(self, span: Span) -> lsp.Range:
        return lsp.Range(
            self.position(span.line, span.column), self.position(span.end_line, span.end_column)
        )

    # -- LSP -> core --------------------------------------------------------------------------
    def column(self, position: lsp.Position) -> tuple[int, int]:
        """(line, code-point column) of a client position, clamped into the document."""
        last = self.index.line_count - 1
        if position.line > last:
            return last, len(self.index.line_text(last))
        line = max(position.line, 0)
        return line, column_from_lsp(self.index.line_text(line), position.character, self.encoding)

    def span(self, range_: lsp.Range) -> Span:
        line, column = self.column(range_.start)
        end_line, end_column = self.column(range_.end)
        end_line, end_column = max((end_line, end_column), (line, column))
        return Span(line, column, end_line, end_column)

    def offset(self, position: lsp.Position) -> int:
        line, column = self.column(position)
        return self.index.offset(line, column)


def apply_content_changes(
    text: str,
    changes: Iterable[lsp.TextDocumentContentChangeEvent],
    encoding: Encoding,
    index: LineIndex | None = None,
) -> tuple[str, LineIndex]:
    """Apply ``didChange`` content changes in order; returns the new text and its line table."""
    lines = index if index is not None and index.text is text else LineIndex(text)
    for change in changes:
        if isinstance(change, lsp.TextDocumentContentChangePartial):
            mapper = LineMap(text, encoding, lines)
            start = mapper.offset(change.range.start)
            end = max(start, mapper.offset(change.range.end))
            text = text[:start] + change.text + text[end:]
            lines = lines.edited(start, end, change.text, text)
        else:
            text = change.text
            lines = LineIndex(text)
    return text, lines


# ---------------------------------------------------------------------------------------------
# Findings -> diagnostics
# ---------------------------------------------------------------------------------------------

_SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFORMATION: lsp.DiagnosticSeverity.Information,
    Severity.HINT: lsp.DiagnosticSeverity.Hint,
}
_TAGS = {"unnecessary": lsp.DiagnosticTag.Unnecessary, "deprecated": lsp.DiagnosticTag.Deprecated}


@dataclass(frozen=True)
class DiagnosticOptions:
    """What the client said it can show (from its capabilities)."""

    related_information: bool = True
    tags: frozenset[lsp.DiagnosticTag] = frozenset(_TAGS.values())
    code_description: bool = True


def severity(value: Severity) -> lsp.DiagnosticSeverity:
    return _SEVERITY[value]


def text_edits(edits: Iterable[Edit], lines: LineMap) -> list[lsp.TextEdit]:
    """Core edits -> LSP text edits, each trimmed to the characters that really change."""
    out = []
    for edit in sorted(
        edits, key=lambda e: (e.span.line, e.span.column, e.span.end_line, e.span.end_column)
    ):
        span, new_text = minimal_replacement(lines.index, edit.span, edit.text)
        out.append(lsp.TextEdit(range=lines.range(span), new_text=new_text))
    return out


def minimal_replacement(index: LineIndex, span: Span, new_text: str) -> tuple[Span, str]:
    """Shrink a replacement by the text it keeps at either end (never splitting ``\\r\\n``)."""
    start = index.offset(span.line, span.column)
    end = index.offset(span.end_line, span.end_column)
    old = index.text[start:end]
    if old == new_text:
        return Span(span.line, span.column, span.line, span.column), ""
    prefix = 0
    limit = min(len(old), len(new_text))
    while prefix < limit and old[prefix] == new_text[prefix]:
        prefix += 1
    suffix = 0
    limit -= prefix
    while suffix < limit and old[-1 - suffix] == new_text[-1 - suffix]:
        suffix += 1
    text = index.text
    # A boundary between "\r" and "\n" is not a position any editor can name.
    while (
        prefix
        and text[start + prefix - 1] == "\r"
        and text[start + prefix : start + prefix + 1] == "\n"
    ):
        prefix -= 1
    while suffix and text[end - suffix - 1 : end - suffix] == "\r" and text[end - suffix] == "\n":
        suffix -= 1
    new_start, new_end = start + prefix, end - suffix
    return index.span(new_start, new_end), new_text[prefix : len(new_text) - suffix]


def fix_data(fix: Fix, lines: LineMap) -> dict[str, Any]:
    """A fix as JSON for ``Diagnostic.data`` (ranges already in the client's encoding)."""
    return {
        "title": fix.title,
        "safe": fix.is_safe,
        "edits": [
            {"range": _range_json(edit.range), "newText": edit.new_text}
            for edit in text_edits(fix.edits, lines)
        ],
    }


def _range_json(range_: lsp.Range) -> dict[str, Any]:
    return {
        "start": {"line": range_.start.line, "character": range_.start.character},
        "end": {"line": range_.end.line, "character": range_.end.character},
    }


def diagnostic(
    finding: Finding,
    lines: LineMap,
    version: int | None,
    options: DiagnosticOptions,
    related_location: Callable[[str | None, Span], lsp.Location | None],
) -> lsp.Diagnostic:
    """One finding as an LSP diagnostic; ``data`` carries the fix so actions need no re-analysis."""
    related = None
    if options.related_information and finding.related:
        related = []
        for item in finding.related:
            location = related_location(item.path, item.span)
            if location is not None:
                related.append(
                    lsp.DiagnosticRelatedInformation(location=location, message=item.message)
                )
    tags = [_TAGS[t] for t in finding.tags if t in _TAGS and _TAGS[t] in options.tags]
    data: dict[str, Any] = {DATA_VERSION_KEY: version, "name": finding.name}
    if finding.fix is not None and finding.fix.edits:
        data["fix"] = fix_data(finding.fix, lines)
    return lsp.Diagnostic(
        range=lines.range(finding.span),
        message=finding.message,
        severity=_SEVERITY[finding.severity],
        code=finding.code,
        code_description=lsp.CodeDescription(href=finding.url)
        if options.code_description
        else None,
        source=SOURCE,
        tags=tags or None,
        related_information=related or None,
        data=data,
    )


# ---------------------------------------------------------------------------------------------
# Diagnostic.data -> edits (what code actions read back)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixData:
    title: str
    safe: bool
    edits: tuple[lsp.TextEdit, ...]


def _position(value: Any) -> lsp.Position | None:
    if not isinstance(value, Mapping):
        return None
    line, character = value.get("line"), value.get("character")
    if isinstance(line, int) and isinstance(character, int) and line >= 0 and character >= 0:
        return lsp.Position(line, character)
    return None


def read_fix(data: Any) -> FixData | None:
    """The fix stored in a diagnostic's ``data`` (as a client echoes it back), if well-formed."""
    if not isinstance(data, Mapping):
        return None
    fix = data.get("fix")
    if not isinstance(fix, Mapping) or not isinstance(fix.get("title"), str):
        return None
    edits: list[lsp.TextEdit] = []
    raw_edits = fix.get("edits")
    if not isinstance(raw_edits, Sequence) or not raw_edits:
        return None
    for raw in raw_edits:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("newText"), str):
            return None
        range_ = raw.get("range")
        if not isinstance(range_, Mapping):
            return None
        start, end = _position(range_.get("start")), _position(range_.get("end"))
        if start is None or end is None:
            return None
        edits.append(lsp.TextEdit(range=lsp.Range(start, end), new_text=raw["newText"]))
    return FixData(fix["title"], bool(fix.get("safe")), tuple(edits))


def data_version(data: Any) -> int | None:
    """The document version a diagnostic's ``data`` was computed for."""
    if isinstance(data, Mapping):
        value = data.get(DATA_VERSION_KEY)
        if isinstance(value, int):
            return value
    return None


def ranges_overlap(a: lsp.Range, b: lsp.Range) -> bool:
    """True when two LSP ranges touch (an empty range at a diagnostic's edge counts)."""
    a_start, a_end = (a.start.line, a.start.character), (a.end.line, a.end.character)
    b_start, b_end = (b.start.line, b.start.character), (b.end.line, b.end.character)
    return a_start <= b_end and b_start <= a_end


def same_range(a: lsp.Range, b: lsp.Range) -> bool:
    return (a.start.line, a.start.character, a.end.line, a.end.character) == (
        b.start.line,
        b.start.character,
        b.end.line,
        b.end.character,
    )
