"""What the language server knows between messages: open documents, workspaces, their indexes.

- ``OpenDocument``: the editor's buffer (text, version, languageId, kind). Incremental edits
  are applied by ``convert.apply_content_changes`` with LSP's own line breaks.
- ``Project``: one workspace folder (or, for a file outside every folder, the nearest
  directory holding ``manage.py``/``pyproject.toml``/``setup.cfg``/``.git``) with its
  ``ProjectIndex``, its resolved ``Settings`` and the settings layers they came from.
  The index is only touched on the worker thread; the event loop only swaps references.
- ``Session``: the open documents and projects, and the mapping between them.

Open buffers override the disk: a document's text is put into the index before it is
checked, and the disk version is restored when it closes.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.uris import from_fs_path, to_fs_path

from ..core.config import Settings
from ..core.project import ProjectIndex
from ..core.sources import classify
from ..core.text import LineIndex
from ..core.types import SourceKind
from .convert import Encoding, apply_content_changes
from .options import EditorSettings

ROOT_MARKERS = ("manage.py", "pyproject.toml", "setup.cfg", ".git")
# Beyond this (~8,000 lines) a buffer is checked on open and save only, not per keystroke:
# on one worker thread, checks of a file this big would queue behind each other and hold up
# every other document.
LARGE_DOCUMENT_CHARS = 300_000
# Beyond this (generated code, data dumps) it is not checked at all; one log line says so.
MAX_DOCUMENT_CHARS = 1_000_000


def uri_to_path(uri: str) -> str | None:
    """The real absolute path of a ``file:`` URI (``None`` for ``untitled:`` etc.).

    Symlinks are resolved so a buffer and the index's disk scan agree on one key per file.
    """
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return os.path.realpath(path) if path else None


def path_to_uri(path: str) -> str:
    return from_fs_path(path) or Path(path).as_uri()


@dataclass
class OpenDocument:
    uri: str
    path: str | None
    language_id: str
    version: int
    text: str
    kind: SourceKind
    lines: LineIndex

    @property
    def is_binary(self) -> bool:
        return "\x00" in self.text

    @property
    def is_large(self) -> bool:
        return len(self.text) > LARGE_DOCUMENT_CHARS

    @property
    def checkable(self) -> bool:
        return (
            self.kind is not SourceKind.OTHER
            and not self.is_binary
            and len(self.text) <= MAX_DOCUMENT_CHARS
        )


@dataclass
class Project:
    """One workspace root: its index, settings and the settings layers behind them."""

    root: Path
    folder_uri: str | None
    index: ProjectIndex
    scan: bool = True  # False for an ad-hoc root with no project marker: index open files only
    editor: EditorSettings = field(default_factory=EditorSettings)
    settings: Settings = field(default_factory=Settings)
    pulled: dict[str, Any] = field(default_factory=dict)  # workspace/configuration answer
    config_generation: int = 0  # bumps when settings change: every result before is stale
    epoch: int = 0  # bumps on cross-file changes (save, watched files, index built)
    indexed: bool = False
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # set once settings are resolved
    scan_cancel: Any = None  # threading.Event of the running scan, if any

    @property
    def enabled(self) -> bool:
        return self.editor.enable

    def contains(self, path: str) -> bool:
        root = str(self.root)
        return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def marker_root(path: str) -> Path | None:
    """The nearest ancestor directory of ``path`` holding a project marker."""
    start = Path(path).parent
    for candidate in (start, *start.parents):
        if any((candidate / marker).exists() for marker in ROOT_MARKERS):
            return candidate
    return None


class Session:
    """Open documents and projects; every method runs on the event loop thread."""

    def __init__(self) -> None:
        self.documents: dict[str, OpenDocument] = {}
        self.projects: dict[str, Project] = {}
        self.encoding = Encoding.UTF16
        self.init_options: dict[str, Any] = {}
        self.pushed: dict[str, Any] = {}  # the last didChangeConfiguration payload (unwrapped)

    # -- documents ----------------------------------------------------------------------------
    def open(self, item: lsp.TextDocumentItem) -> OpenDocument:
        path = uri_to_path(item.uri)
        document = OpenDocument(
            item.uri,
            path,
            item.language_id,
            item.version,
            item.text,
            SourceKind.OTHER,
            LineIndex(item.text),
        )
        document.kind = self.classify(document, self.project_of(document))
        self.documents[item.uri] = document
        return document

    @staticmethod
    def classify(document: OpenDocument, project: Project) -> SourceKind:
        """The document's kind, judged by its languageId and its path inside the project."""
        path = document.path
        relative: str | None = path
        if path is not None and project.contains(path):
            relative = os.path.relpath(path, project.root)
        return classify(relative, document.language_id, project.settings.template_dirs)

    def change(self, params: lsp.DidChangeTextDocumentParams) -> OpenDocument | None:
        document = self.documents.get(params.text_document.uri)
        if document is None:
            return None
        document.text, document.lines = apply_content_changes(
            document.text, params.content_changes, self.encoding, document.lines
        )
        document.version = params.text_document.version
        return document

    def close(self, uri: str) -> OpenDocument | None:
        return self.documents.pop(uri, None)

    def open_in(self, project: Project) -> Iterator[OpenDocument]:
        for document in list(self.documents.values()):
            if self.project_of(document) is project:
                yield document

    def by_path(self, path: str) -> OpenDocument | None:
        for document in self.documents.values():
            if document.path == path:
                return document
        return None

    # -- projects -----------------------------------------------------------------------------
    def add_folder(self, uri: str) -> Project | None:
        path = uri_to_path(uri)
        if path is None:
            return None
        key = str(Path(path).resolve())
        if key in self.projects:
            return self.projects[key]
        project = Project(Path(key), uri, ProjectIndex(key))
        self.projects[key] = project
        return project

    def remove_folder(self, uri: str) -> Project | None:
        path = uri_to_path(uri)
        if path is None:
            return None
        return self.projects.pop(str(Path(path).resolve()), None)

    def project_for(self, path: str | None) -> Project | None:
        """The workspace folder holding ``path`` (deepest wins); ``None`` if no folder does."""
        if path is None:
            return None
        best: Project | None = None
        for project in self.projects.values():
            if project.contains(path) and (
                best is None or len(str(project.root)) > len(str(best.root))
            ):
                best = project
        return best

    def project_of(self, document: OpenDocument) -> Project:
        return self.project_for(document.path) or self.adhoc_project(document.path)

    def adhoc_project(self, path: str | None) -> Project:
        """A project for a file outside every workspace folder (or with no path at all)."""
        root = marker_root(path) if path else None
        scan = root is not None
        if root is None:
            root = Path(path).parent if path else Path.cwd()
        key = str(root.resolve())
        project = self.projects.get(key)
        if project is None:
            project = Project(Path(key), None, ProjectIndex(key), scan=scan)
            self.projects[key] = project
        return project
