"""The keystroke path's per-file memos: for the last few files, what their last version gave.

A buffer being typed in is parsed, summarised and analysed again on every keystroke; each step
keeps what it derived from the previous version (taken out with ``pop``, put back with
``keep``), so only what changed is derived anew — and only for the files touched lately.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")

FILES_KEPT = 4


class RecentFiles(dict[K, V]):
    """A dict that holds the entries of the ``FILES_KEPT`` files kept last."""

    def keep(self, key: K, value: V) -> None:
        self.pop(key, None)
        self[key] = value  # most recent last
        while len(self) > FILES_KEPT:
            del self[next(iter(self))]
