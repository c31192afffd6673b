"""Position conversion (code points <-> UTF-16/UTF-8/UTF-32), incremental sync, diagnostics shape."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types as lsp

from djvet.core.text import LineIndex, apply_edits
from djvet.core.types import Applicability, Edit, Finding, Fix, Related, Severity, Span
from djvet.lsp.convert import (
    DiagnosticOptions,
    Encoding,
    LineMap,
    apply_content_changes,
    column_from_lsp,
    column_to_lsp,
    data_version,
    diagnostic,
    minimal_replacement,
    read_fix,
    text_edits,
)

from .helpers import apply_text_edits, offset_of

LINE = 'x = "🎉 café 日本"; y = 1'  # emoji (astral: 2 UTF-16 units, 4 UTF-8 bytes), é (2 bytes), CJK (3 bytes)
Y = LINE.index("y")  # code point 17


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        # "x = \"" 5 + 🎉 (2 | 4 | 1) + " café " 6 (é: 2 bytes) + 日本 2 (3 bytes each) + "\"; " 3
        (Encoding.UTF16, 5 + 2 + 6 + 2 + 3),
        (Encoding.UTF8, 5 + 4 + 7 + 6 + 3),
        (Encoding.UTF32, Y),
    ],
)
def test_column_after_emoji_and_non_ascii(encoding: Encoding, expected: int) -> None:
    assert column_to_lsp(LINE, Y, encoding) == expected
    assert column_from_lsp(LINE, expected, encoding) == Y


def test_position_inside_a_surrogate_pair_rounds_down_to_the_emoji() -> None:
    # UTF-16 unit 6 is the low half of 🎉 (units 5-6): it belongs to code point 5.
    assert column_from_lsp(LINE, 6, Encoding.UTF16) == 5
    # UTF-8 bytes 6..8 are inside 🎉 (bytes 5-8).
    assert column_from_lsp(LINE, 7, Encoding.UTF8) == 5


def test_positions_past_the_line_end_clamp_to_it() -> None:
    assert column_from_lsp("abc", 99, Encoding.UTF16) == 3
    assert column_from_lsp("a🎉", 99, Encoding.UTF16) == 2
    lines = LineMap("one\ntwo", Encoding.UTF16)
    assert lines.column(lsp.Position(7, 0)) == (1, 3)  # past the last line: end of document
    assert lines.range(Span(5, 0, 6, 0)) == lsp.Range(lsp.Position(1, 3), lsp.Position(1, 3))


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n")))
def test_round_trip_every_column(line: str) -> None:
    for encoding in Encoding:
        for column in range(len(line) + 1):
            units = column_to_lsp(line, column, encoding)
            assert column_from_lsp(line, units, encoding) == column
            # Independent check: the unit count is the encoded length of the prefix.
            codec = {"utf-16": "utf-16-le", "utf-8": "utf-8", "utf-32": "utf-32-le"}[encoding.value]
            width = {"utf-16": 2, "utf-8": 1, "utf-32": 4}[encoding.value]
            assert units == len(line[:column].encode(codec)) // width


@pytest.mark.parametrize("separator", ["\n", "\r\n", "\r"])
def test_line_breaks_are_the_three_lsp_ones(separator: str) -> None:
    text = f"a\x0cb\u2028c{separator}🎉z"
    lines = LineMap(text, Encoding.UTF16)
    # Form feed and U+2028 do not break lines (str.splitlines would say they do).
    assert lines.index.line_count == 2
    assert lines.column(lsp.Position(1, 2)) == (1, 1)
    assert lines.range(Span(1, 1, 1, 2)) == lsp.Range(lsp.Position(1, 2), lsp.Position(1, 3))


def test_incremental_changes_after_form_feed_and_emoji_land_where_the_client_meant() -> None:
    text = "a\x0c = 1\nx = '🎉'\ny = 2\n"
    changes = [
        # insert "!" right after the emoji (UTF-16 unit 7 on line 1)
        lsp.TextDocumentContentChangePartial(
            range=lsp.Range(lsp.Position(1, 7), lsp.Position(1, 7)), text="!"
        ),
        # then replace line 2's "2" (the document now has the "!")
        lsp.TextDocumentContentChangePartial(
            range=lsp.Range(lsp.Position(2, 4), lsp.Position(2, 5)), text="3"
        ),
    ]
    new, index = apply_content_changes(text, changes, Encoding.UTF16)
    assert new == "a\x0c = 1\nx = '🎉!'\ny = 3\n"
    assert index.text is new
    # The same positions in UTF-8 units point elsewhere: 🎉 is 4 bytes there.
    utf8 = [
        lsp.TextDocumentContentChangePartial(
            range=lsp.Range(lsp.Position(1, 9), lsp.Position(1, 9)), text="!"
        ),
    ]
    assert apply_content_changes(text, utf8, Encoding.UTF8)[0] == "a\x0c = 1\nx = '🎉!'\ny = 2\n"


def test_whole_document_change_and_crlf_edit() -> None:
    text = "a\r\nb\r\n"
    change = lsp.TextDocumentContentChangePartial(
        range=lsp.Range(lsp.Position(0, 1), lsp.Position(1, 0)), text=""
    )
    assert apply_content_changes(text, [change], Encoding.UTF16)[0] == "ab\r\n"
    assert (
        apply_content_changes(
            text, [lsp.TextDocumentContentChangeWholeDocument(text="z")], Encoding.UTF16
        )[0]
        == "z"
    )


@given(
    st.text(alphabet="ab🎉é\n\r", max_size=30),
    st.integers(0, 40),
    st.integers(0, 40),
    st.text(alphabet="x🎉\n", max_size=4),
)
def test_text_edits_apply_like_core_edits(text: str, start: int, length: int, new: str) -> None:
    start = min(start, len(text))
    end = min(len(text), start + length)
    # Never start or end between "\r" and "\n" (no editor position names that point).
    if 0 < start < len(text) and text[start - 1] == "\r" and text[start] == "\n":
        start -= 1
    if 0 < end < len(text) and text[end - 1] == "\r" and text[end] == "\n":
        end += 1
    index = LineIndex(text)
    edit = Edit(index.span(start, end), new)
    expected = apply_edits(text, [edit])
    for encoding in ("utf-16", "utf-8", "utf-32"):
        lines = LineMap(text, Encoding(encoding), index)
        assert apply_text_edits(text, text_edits([edit], lines), encoding) == expected


def test_minimal_replacement_keeps_what_does_not_change() -> None:
    index = LineIndex("    def get(self):\n")
    span, text = minimal_replacement(index, Span(0, 4, 0, 18), "async def get(self):")
    assert (span, text) == (Span(0, 4, 0, 4), "async ")
    # Never splits a CRLF pair.
    crlf = LineIndex("a\r\nb")
    span, text = minimal_replacement(crlf, Span(0, 0, 1, 1), "a\nb")
    assert apply_edits("a\r\nb", [Edit(span, text)]) == "a\nb"
    assert span.end_line == 1 or span.end_column <= 1


def _finding(**changes: object) -> Finding:
    base = {
        "code": "DJV201",
        "name": "mixed-sync-async-handlers",
        "message": "mixed",
        "severity": Severity.ERROR,
        "span": Span(1, 6, 1, 11),
        "url": "https://docs.djangoproject.com/en/5.2/topics/class-based-views/",
        "fix": Fix("Make it async", Applicability.SAFE, (Edit(Span(1, 0, 1, 0), "# 🎉\n"),)),
        "related": (
            Related("inherited here", Span(0, 2, 0, 4)),
            Related("elsewhere", Span(3, 1, 3, 2), "/p/b.py"),
        ),
        "tags": ("deprecated",),
    }
    base.update(changes)
    return Finding(**base)


def test_diagnostic_carries_code_link_source_related_tags_and_fix_data() -> None:
    text = "🎉🎉ab\nclass Books:\n"
    lines = LineMap(text, Encoding.UTF16)

    def related(path: str | None, span: Span) -> lsp.Location | None:
        if path is None:
            return lsp.Location(uri="file:///p/a.py", range=lines.range(span))
        return None  # another file that cannot be read: left out

    diag = diagnostic(_finding(), lines, 7, DiagnosticOptions(), related)
    assert diag.code == "DJV201"
    assert diag.source == "djvet"
    assert diag.severity == lsp.DiagnosticSeverity.Error
    assert diag.code_description is not None
    assert (
        diag.code_description.href
        == "https://docs.djangoproject.com/en/5.2/topics/class-based-views/"
    )
    assert diag.range == lsp.Range(lsp.Position(1, 6), lsp.Position(1, 11))
    assert diag.tags == [lsp.DiagnosticTag.Deprecated]
    assert diag.related_information is not None
    assert [r.message for r in diag.related_information] == ["inherited here"]
    # columns 2..4 of line 0 sit after two emoji: UTF-16 units 4..6
    assert diag.related_information[0].location.range == lsp.Range(
        lsp.Position(0, 4), lsp.Position(0, 6)
    )
    assert data_version(diag.data) == 7
    fix = read_fix(diag.data)
    assert fix is not None
    assert fix.title == "Make it async"
    assert fix.safe
    assert apply_text_edits(text, list(fix.edits)) == "🎉🎉ab\n# 🎉\nclass Books:\n"


def test_client_capabilities_shape_the_diagnostic() -> None:
    lines = LineMap("a\nclass Books:\n", Encoding.UTF16)
    options = DiagnosticOptions(
        related_information=False, tags=frozenset({lsp.DiagnosticTag.Unnecessary})
    )
    diag = diagnostic(_finding(fix=None), lines, None, options, lambda p, s: None)
    assert diag.related_information is None
    assert diag.tags is None  # "deprecated" is not in the client's valueSet
    assert read_fix(diag.data) is None
    assert data_version(diag.data) is None


@pytest.mark.parametrize(
    "data",
    [
        None,
        "fix",
        {"fix": {"title": "t", "edits": []}},
        {"fix": {"title": "t", "edits": [{"newText": "x"}]}},
        {
            "fix": {
                "title": "t",
                "edits": [
                    {"range": {"start": {"line": -1, "character": 0}, "end": {}}, "newText": "x"}
                ],
            }
        },
        {"fix": {"title": 3, "edits": [{"range": {}, "newText": "x"}]}},
    ],
)
def test_malformed_data_from_a_client_is_ignored(data: object) -> None:
    assert read_fix(data) is None


def test_offset_helper_agrees_with_the_server() -> None:
    # The test-side applier and the server agree on a position after an emoji.
    text = "ab\n🎉cd"
    lines = LineMap(text, Encoding.UTF16)
    position = lines.position(1, 1)
    assert position == lsp.Position(1, 2)
    assert offset_of(text, position) == 4
