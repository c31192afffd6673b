"""``python -m djvet``: the same entry point as the ``djvet`` console script."""

from __future__ import annotations

from ._safepath import drop_current_directory

drop_current_directory()

from .cli import run  # noqa: E402 - after the sys.path clean-up, on purpose

if __name__ == "__main__":
    run()
