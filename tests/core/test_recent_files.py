"""``RecentFiles``: the per-file memos of the keystroke path keep the last few files, in order."""

from __future__ import annotations

from djvet.core.python.recent import FILES_KEPT, RecentFiles


def test_keeps_the_files_kept_last_most_recent_last() -> None:
    memo: RecentFiles[str, int] = RecentFiles()
    for number, name in enumerate(["a", "b", "c", "d", "a", "e"]):
        memo.keep(name, number)
    assert FILES_KEPT == 4
    assert list(memo.items()) == [("c", 2), ("d", 3), ("a", 4), ("e", 5)]
    assert memo.pop("a") == 4 and "a" not in memo


def test_stays_bounded_and_ordered_over_thousands_of_files() -> None:
    """The CLI summarises every file of a project through these memos once."""
    memo: RecentFiles[int, int] = RecentFiles()
    for number in range(5_000):
        memo.keep(number, -number)
    assert list(memo) == [4_996, 4_997, 4_998, 4_999]
    assert memo[4_999] == -4_999
