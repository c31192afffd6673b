"""Which template folders the project's settings give to the Jinja2 backend.

A ``.html`` file under ``templates/`` is taken for a Django template (``sources.classify``),
but a project may point Django's Jinja2 backend at that folder::

    TEMPLATES = [{"BACKEND": "django.template.backends.jinja2.Jinja2",
                  "DIRS": [BASE_DIR / "templates"]}]

Read as Django, such a template gets Django-only fixes (``{% csrf_token %}``, which Jinja2
rejects) and its ``{{ url('logout') }}`` links go unseen. This module reads ``TEMPLATES``
from every settings module of the index (statically: the file's text, never imported) and
answers :func:`is_jinja2_template` for a path. A folder both backends list stays Django.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

from ..project import ProjectIndex

JINJA2_BACKEND = "django.template.backends.jinja2.Jinja2"
DJANGO_BACKEND = "django.template.backends.django.DjangoTemplates"
MAX_SETTINGS_BYTES = 1_000_000


def is_jinja2_template(project: ProjectIndex, path: str) -> bool:
    """True when ``path`` lies in a folder only the Jinja2 backend reads."""
    folders = jinja2_folders(project)
    if not folders:
        return False
    try:
        relative = Path(path).resolve().relative_to(project.root).as_posix()
    except (ValueError, OSError):
        relative = Path(path).as_posix()
    probe = f"/{relative}"
    absolute = Path(path).as_posix()
    return any(
        absolute.startswith(folder.rstrip("/") + "/")
        if folder.startswith("/")
        else f"/{folder.strip('/')}/" in probe
        for folder in folders
    )


def jinja2_folders(project: ProjectIndex) -> tuple[str, ...]:
    """Folder specs (``templates``, ``front/templates``, or absolute) of the Jinja2 backend."""
    # Reads module-level assignments (``TEMPLATES``) and settings files, never functions.
    return project.derived(
        "djvet.jinja2_folders", lambda: _jinja2_folders(project), reads_functions=False
    )


def _jinja2_folders(project: ProjectIndex) -> tuple[str, ...]:
    jinja: set[str] = set()
    django: set[str] = set()
    # Settings modules in path order (sorting the few that assign ``TEMPLATES``, not all).
    settings = sorted(
        path for path, info in project.modules.items() if "TEMPLATES" in info.assignments
    )
    for path in settings:
        tree = _read(path)
        if tree is None:
            continue
        for backend, folders in _backends(tree):
            if backend.endswith(".jinja2.Jinja2"):
                jinja.update(folders)
            elif backend == DJANGO_BACKEND:
                django.update(folders)
    return tuple(sorted(jinja - django))


def _read(path: str) -> ast.Module | None:
    try:
        if os.path.getsize(path) > MAX_SETTINGS_BYTES:
            return None
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        return ast.parse(text)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _backends(tree: ast.Module) -> list[tuple[str, list[str]]]:
    """(BACKEND, DIRS folder specs) of every dict literal in a top-level ``TEMPLATES = [...]``."""
    out: list[tuple[str, list[str]]] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        else:
            continue
        if not any(isinstance(t, ast.Name) and t.id == "TEMPLATES" for t in targets):
            continue
        if not isinstance(value, (ast.List, ast.Tuple)):
            continue
        for item in value.elts:
            if not isinstance(item, ast.Dict):
                continue
            entries = {
                key.value: entry
                for key, entry in zip(item.keys, item.values, strict=True)
                if isinstance(key, ast.Constant) and isinstance(key.value, str)
            }
            backend = entries.get("BACKEND")
            if not (isinstance(backend, ast.Constant) and isinstance(backend.value, str)):
                continue
            dirs = entries.get("DIRS")
            folders = []
            if isinstance(dirs, (ast.List, ast.Tuple)):
                folders = [f for f in (_folder(e) for e in dirs.elts) if f]
            out.append((backend.value, folders))
    return out


def _folder(node: ast.expr) -> str | None:
    """The folder a DIRS entry names: its string parts joined (``BASE_DIR / "a" / "b"`` -> a/b)."""
    constants = sorted(
        (n for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    parts = [str(n.value) for n in constants if str(n.value).strip("/")]
    if not parts:
        return None
    joined = "/".join(p.strip("/") for p in parts)
    return "/" + joined if parts[0].startswith("/") else joined
