"""Keep ``python -m djvet`` / ``python -m djvet.lsp`` from importing the project's own modules.

``python -m`` puts the current directory first on ``sys.path`` (unless ``-P`` /
``PYTHONSAFEPATH``). Run from a project's root, a project module named like one of djvet's
dependencies (``packaging.py``, a ``rich/`` folder) would be imported in its place, and djvet
would run project code. djvet itself is already imported by then, from where it is installed.
"""

from __future__ import annotations

import os
import sys


def drop_current_directory() -> None:
    """Remove the current directory from the front of ``sys.path``."""
    if sys.path and sys.path[0] and os.path.abspath(sys.path[0]) == os.getcwd():
        del sys.path[0]
