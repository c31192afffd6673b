"""``LineIndex.edited`` (the per-keystroke line table) equals a table built from scratch."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from djvet.core.text import LineIndex, line_index

_TEXT = st.lists(st.sampled_from(["a", "b", " ", "\n", "\r", "\r\n", "é", "😀"]), max_size=40).map(
    "".join
)


@settings(max_examples=3000, deadline=None)
@given(_TEXT, _TEXT, st.integers(0, 80), st.integers(0, 80))
def test_edited_equals_a_fresh_table(text: str, inserted: str, a: int, b: int) -> None:
    start, end = sorted((min(a, len(text)), min(b, len(text))))
    new = text[:start] + inserted + text[end:]
    edited = LineIndex(text).edited(start, end, inserted, new)
    assert edited._starts == LineIndex(new)._starts
    assert edited.text is new


def test_line_index_shares_the_table_of_the_same_string() -> None:
    text = "x = 1\n" * 5000
    built = LineIndex(text)
    assert line_index(text) is built
    assert line_index("y = 2\n" * 5000) is not built
