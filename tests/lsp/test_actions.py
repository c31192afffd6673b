"""Suppression comments, fix-all diffs and code-action kind filtering (no server process)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from djvet.core.engine import suppressions
from djvet.core.text import LineIndex, apply_edits
from djvet.core.types import SourceKind, Span
from djvet.lsp.actions import FIX_ALL_KIND, diff_edits, kind_wanted, suppression_edit


def _suppress(
    text: str,
    line: int,
    code: str = "DJV201",
    kind: SourceKind = SourceKind.PYTHON,
    end_line: int | None = None,
) -> str | None:
    span = Span(line, 0, line if end_line is None else end_line, 1)
    edit = suppression_edit(text, kind, span, code, LineIndex(text))
    if edit is None:
        return None
    new = apply_edits(text, [edit])
    # Whatever we insert, the engine must read it as suppressing the code on that line.
    table = suppressions(new, kind)
    assert any(code in codes for codes in table.values()), table
    return new


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("class V(View):\n    pass\n", "class V(View):  # djvet: ignore[DJV201]\n    pass\n"),
        (
            "class V(View):   \n",
            "class V(View):  # djvet: ignore[DJV201]\n",
        ),  # trailing blanks replaced
        ("class V(View):  # 🎉 café\n", "class V(View):  # 🎉 café  # djvet: ignore[DJV201]\n"),
        (
            "class V(View):  # djvet: ignore[DJV202]\n",
            "class V(View):  # djvet: ignore[DJV202, DJV201]\n",
        ),
        ("class V(View):  # djvet: ignore[]\n", "class V(View):  # djvet: ignore[DJV201]\n"),
        (
            "class V(View):\r\n    pass\r\n",
            "class V(View):  # djvet: ignore[DJV201]\r\n    pass\r\n",
        ),
    ],
)
def test_python_suppression_comment(before: str, after: str) -> None:
    assert _suppress(before, 0) == after


def test_python_line_ending_inside_a_string_uses_the_last_line_or_nothing() -> None:
    text = 'x = f(\n    """doc\n    more""")\n'
    # the finding spans lines 1-2; line 1 ends inside the string, line 2 is fine
    assert (
        _suppress(text, 1, end_line=2)
        == 'x = f(\n    """doc\n    more""")  # djvet: ignore[DJV201]\n'
    )
    # a finding only on the inside line gets no action: a "comment" there would be string text
    assert _suppress(text, 1) is None


def test_python_backslash_continuation_gets_no_comment() -> None:
    assert _suppress("x = 1 + \\\n    2\n", 0) is None


def test_python_broken_code_after_the_line_does_not_matter() -> None:
    text = "class V(View):\n    pass\n\ndef broken(:\n    (\n"
    assert (
        _suppress(text, 0)
        == "class V(View):  # djvet: ignore[DJV201]\n    pass\n\ndef broken(:\n    (\n"
    )


def test_python_string_containing_the_marker_is_not_extended() -> None:
    text = 'x = "djvet: ignore[DJV202]"\n'
    assert _suppress(text, 0) == 'x = "djvet: ignore[DJV202]"  # djvet: ignore[DJV201]\n'


@pytest.mark.parametrize(
    ("kind", "before", "after"),
    [
        (
            SourceKind.DJANGO_TEMPLATE,
            "<a href=\"{% url 'logout' %}\">Log out</a>\n",
            "<a href=\"{% url 'logout' %}\">Log out</a> {# djvet: ignore[DJV101] #}\n",
        ),
        (
            SourceKind.DJANGO_TEMPLATE,
            "<p>🎉</p><a href=\"{% url 'logout' %}\"> {# djvet: ignore[DJV102] #}\n",
            "<p>🎉</p><a href=\"{% url 'logout' %}\"> {# djvet: ignore[DJV102, DJV101] #}\n",
        ),
        (
            SourceKind.JINJA2,
            "<a href=\"{{ url('logout') }}\">x</a>\n",
            "<a href=\"{{ url('logout') }}\">x</a> {# djvet: ignore[DJV101] #}\n",
        ),
    ],
)
def test_template_suppression_comment(kind: SourceKind, before: str, after: str) -> None:
    assert _suppress(before, 0, "DJV101", kind) == after


def test_template_comment_inside_verbatim_would_render_so_none_is_offered() -> None:
    text = '{% verbatim %}\n<a href="/logout/">x</a>\n{% endverbatim %}\n'
    assert _suppress(text, 1, "DJV101", SourceKind.DJANGO_TEMPLATE) is None


def test_jinja_tag_spanning_lines_is_not_split() -> None:
    text = "{{ url(\n 'logout') }}\n"
    # line 0 ends inside the {{ ... }} tag; line 1 is after it
    assert (
        _suppress(text, 0, "DJV101", SourceKind.JINJA2, end_line=1)
        == "{{ url(\n 'logout') }} {# djvet: ignore[DJV101] #}\n"
    )


def test_other_documents_get_no_suppression() -> None:
    assert (
        suppression_edit("x\n", SourceKind.OTHER, Span(0, 0, 0, 1), "DJV201", LineIndex("x\n"))
        is None
    )


@given(
    st.lists(st.sampled_from(["a\n", "b\r\n", "🎉\n", "c", "\n", "dd\r"]), max_size=12),
    st.lists(st.sampled_from(["a\n", "b\r\n", "🎉\n", "c", "\n", "x\n"]), max_size=12),
)
def test_diff_edits_reproduce_the_new_text(old_lines: list[str], new_lines: list[str]) -> None:
    old, new = "".join(old_lines), "".join(new_lines)
    assert apply_edits(old, diff_edits(old, new)) == new


def test_diff_edits_touch_only_changed_lines() -> None:
    old = "a\nb\nc\nd\n"
    new = "a\nB\nc\nd\nextra\n"
    edits = diff_edits(old, new)
    assert [(e.span.line, e.span.end_line) for e in edits] == [(1, 2), (4, 4)]


@pytest.mark.parametrize(
    ("kind", "only", "wanted"),
    [
        (FIX_ALL_KIND, None, True),
        (FIX_ALL_KIND, ["source.fixAll"], True),
        (FIX_ALL_KIND, ["source"], True),
        (FIX_ALL_KIND, ["source.fixAll.djvet"], True),
        (FIX_ALL_KIND, ["source.fix"], False),  # a prefix must end at a dot
        (FIX_ALL_KIND, ["quickfix"], False),
        ("quickfix", ["source.fixAll"], False),
        ("quickfix", ["quickfix"], True),
        ("quickfix", [], True),
    ],
)
def test_kind_filtering_is_hierarchical(kind: str, only: list[str] | None, wanted: bool) -> None:
    assert kind_wanted(kind, only) is wanted
