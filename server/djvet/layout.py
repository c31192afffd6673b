"""Where a project's files are: its root, the folders every walk skips, its virtualenvs.

Standard library only, and outside ``djvet.core`` on purpose: the CLI's warm path
(``djvet.cache``) reads these without importing any of the analysis, and ``core.config`` /
``core.project`` read the same definitions.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    "env",
    ".env",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "site-packages",
    "build",
    "dist",
)
# The files whose presence makes a folder the project root.
ROOT_MARKERS = ("manage.py", "pyproject.toml", "setup.cfg", ".git")
# Virtualenv folders inside the project an installed Django's version is read from.
VENV_NAMES = (".venv", "venv", "env", ".env")
# Where a virtualenv (POSIX, then Windows) keeps its packages.
SITE_PACKAGES_GLOBS = ("lib/python3*/site-packages", "lib64/python3*/site-packages")
WINDOWS_SITE_PACKAGES = ("Lib", "site-packages")


def find_project_root(paths: Iterable[Path], cwd: Path) -> Path:
    """The nearest common ancestor of ``paths`` holding one of ``ROOT_MARKERS`` (else ``cwd``)."""
    resolved = [(p if p.is_absolute() else cwd / p).resolve() for p in paths] or [cwd.resolve()]
    common = Path(os.path.commonpath([str(p) for p in resolved]))
    start = common if common.is_dir() else common.parent
    for candidate in (start, *start.parents):
        for marker in ROOT_MARKERS:
            if (candidate / marker).exists():
                return candidate
    return cwd.resolve()


def site_packages_candidates(prefix: Path) -> list[Path]:
    """Every place under a virtualenv ``prefix`` its site-packages may be (existing or not)."""
    out: list[Path] = []
    for pattern in SITE_PACKAGES_GLOBS:
        out.extend(sorted(prefix.glob(pattern)))
    out.append(prefix.joinpath(*WINDOWS_SITE_PACKAGES))
    return out
