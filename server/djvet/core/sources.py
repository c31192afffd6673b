"""Decide what kind of source a file is (Python, Django template, Jinja2) — the one place that does.

Front ends call :func:`classify` with a path (and, in an editor, the client's languageId);
rules only ever see the resulting :class:`SourceKind`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

from .types import SourceKind

PYTHON_SUFFIXES = frozenset({".py", ".pyi"})
DJANGO_TEMPLATE_SUFFIXES = frozenset({".html", ".htm", ".txt", ".xml", ".djhtml"})
JINJA_SUFFIXES = frozenset({".jinja", ".jinja2", ".j2"})

# languageIds editors send: VS Code extensions use django-html/django-txt/jinja/jinja-html,
# Neovim calls Django templates "htmldjango".
_LANGUAGE_IDS = {
    "python": SourceKind.PYTHON,
    "django-html": SourceKind.DJANGO_TEMPLATE,
    "django-txt": SourceKind.DJANGO_TEMPLATE,
    "htmldjango": SourceKind.DJANGO_TEMPLATE,
    "jinja": SourceKind.JINJA2,
    "jinja-html": SourceKind.JINJA2,
    "jinja2": SourceKind.JINJA2,
}


def _under_any(path: PurePath, folders: Iterable[str]) -> bool:
    text = path.as_posix()
    for folder in folders:
        folder = folder.rstrip("/")
        if folder and (text.startswith(folder + "/") or f"/{folder}/" in f"/{text}"):
            return True
    return False


def classify(
    path: str | PurePath | None,
    language_id: str | None = None,
    template_dirs: Iterable[str] = (),
) -> SourceKind:
    """The kind of a document.

    - Python: ``.py``/``.pyi`` (or languageId ``python``).
    - Jinja2: ``.jinja``, ``.jinja2``, ``.j2``, and any template-like file under a ``jinja2/``
      folder (Django's Jinja2 backend looks there by default).
    - Django template: ``.html .htm .txt .xml .djhtml`` under a ``templates/`` folder or a
      configured template dir; ``.djhtml`` and ``*.dj.*`` anywhere.
    - anything else: OTHER (djvet does not look at it).

    ``language_id`` from an editor wins when it names a kind explicitly; ``html`` only counts
    when the path says it is a template.
    """
    if language_id:
        kind = _LANGUAGE_IDS.get(language_id.lower())
        if kind is not None:
            return kind
    if path is None:
        return SourceKind.OTHER
    if isinstance(path, str) and "\\" not in path:
        # The common case without building a path object (the CLI classifies every file of
        # the project): the last component and the folders above it, split as PurePath does
        # (an empty or ``.`` folder between slashes is never ``templates`` or ``jinja2``).
        folders, _, name = path.rpartition("/")
        if name not in ("", ".", ".."):
            return _kind(name.lower(), folders, path, template_dirs)
    pure = PurePath(path)
    return _kind(pure.name.lower(), "/".join(pure.parts[:-1]), pure, template_dirs)


def _kind(
    name: str, folders: str, path: str | PurePath, template_dirs: Iterable[str]
) -> SourceKind:
    """The kind of a file called ``name`` (lower case) in ``folders`` (``/``-separated)."""
    dot = name.rfind(".")
    suffix = name[dot:] if 0 < dot < len(name) - 1 else ""  # as ``PurePath.suffix``
    if suffix in PYTHON_SUFFIXES:
        return SourceKind.PYTHON
    if suffix in JINJA_SUFFIXES:
        return SourceKind.JINJA2
    is_templateish = suffix in DJANGO_TEMPLATE_SUFFIXES or ".dj." in name
    if not is_templateish:
        return SourceKind.OTHER
    parts = folders.lower().split("/")
    if "jinja2" in parts:
        return SourceKind.JINJA2
    if suffix == ".djhtml" or ".dj." in name:
        return SourceKind.DJANGO_TEMPLATE
    if "templates" in parts or (template_dirs and _under_any(PurePath(path), template_dirs)):
        return SourceKind.DJANGO_TEMPLATE
    return SourceKind.OTHER
