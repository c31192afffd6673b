"""Keeps every project's settings and index current while the editor runs.

- **Settings**: layers the editor's settings over ``[tool.djvet]`` (``options``), pulling
  ``workspace/configuration`` per folder when the client offers it; warnings go to the log
  once per distinct set, never to a popup.
- **Index**: the first scan (and a rescan after excludes or template dirs change) runs on its
  own thread into a *new* ``ProjectIndex`` while checks keep using the provisional one (open
  buffers only), reporting ``$/progress`` ("Indexing Django project: 120/800 files"). The
  finished index is swapped in on the worker thread with the open buffers applied, and every
  open document is refreshed.
- **Cross-file changes**: saves, watched-file events and closes update the index on the
  worker thread, then bump the project's epoch so dependent documents are re-checked.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from ..core.django.models import model_index
from ..core.django.template_engines import jinja2_folders
from ..core.django.urls import url_index
from ..core.project import ProjectIndex
from ..core.python import jedi_facade
from ..core.types import SourceKind
from .options import SECTION, layer, parse_editor_settings, resolve, site_packages, unwrap
from .state import OpenDocument, Project, Session, uri_to_path
from .worker import Priority, Worker

if TYPE_CHECKING:
    from .scheduler import Scheduler
    from .server import DjvetLanguageServer

log = logging.getLogger("djvet.lsp")

PROGRESS_TITLE = "Indexing Django project"
CONFIGURATION_TIMEOUT = 5.0


class _ScanCancelled(Exception):
    pass


class ProjectManager:
    """Settings and index lifecycle of the session's projects (event loop thread)."""

    def __init__(
        self,
        server: DjvetLanguageServer,
        session: Session,
        worker: Worker,
        scheduler: Scheduler,
        known_codes: Iterable[str],
    ) -> None:
        self.server = server
        self.session = session
        self.worker = worker
        self.scheduler = scheduler
        self.known_codes = tuple(known_codes)
        self.pull_configuration = False
        self.progress = False
        self.refresh_pull = False  # pull mode: ask the client to re-pull after cross-file changes
        self._warned: set[tuple[str, ...]] = set()
        self._tokens = 0
        self._dirty: dict[str, set[str]] = {}  # project root -> paths changed during its scan
        self._tasks: set[asyncio.Future[Any]] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        self.rules_loaded = asyncio.Event()  # settings validate codes against the loaded rules

    def spawn(self, coroutine: Any) -> None:
        """Run a coroutine in the background, keeping a reference and logging its failure."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)

        def done(finished: asyncio.Future[Any]) -> None:
            self._tasks.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                error = finished.exception()
                log.error("background task failed", exc_info=error)
                self.server.log(
                    f"djvet: internal error: {type(error).__name__}: {error}", lsp.MessageType.Error
                )

        task.add_done_callback(done)

    # -- settings -----------------------------------------------------------------------------
    def ensure_configured(self, project: Project) -> None:
        """A project seen for the first time (a file outside every folder): configure it once."""
        if str(project.root) not in self._locks:
            self._locks[str(project.root)] = asyncio.Lock()
            self.spawn(self.configure(project))

    async def configure(self, project: Project) -> None:
        """(Re)compute the project's settings; rescan when what the index depends on changed."""
        await self.rules_loaded.wait()
        async with self._locks.setdefault(str(project.root), asyncio.Lock()):
            await self._configure(project)

    async def _configure(self, project: Project) -> None:
        if self.pull_configuration:
            project.pulled = await self._pull(project)
        merged = layer(self.session.init_options, self.session.pushed, project.pulled)
        editor = parse_editor_settings(merged)
        root = project.root
        settings = await self.worker.submit(
            lambda: resolve(root, editor, self.known_codes), Priority.INDEX
        )
        if editor.interpreter:
            # One jedi environment per server process: the last project configured wins.
            jedi_facade.configure(sys_path=site_packages(editor.interpreter))
        first = not project.ready.is_set()
        old = project.settings
        project.editor, project.settings = editor, settings
        project.config_generation += 1
        self._warn(project, settings.warnings)
        for document in self.session.open_in(project):
            document.kind = self.session.classify(document, project)
        project.ready.set()
        rescan = first or (old.exclude, old.template_dirs) != (
            settings.exclude,
            settings.template_dirs,
        )
        self.send_status(project, indexing=rescan and project.scan)
        if rescan:
            await self.start_scan(project)
        self.after_change(project)

    def send_status(self, project: Project, *, indexing: bool) -> None:
        """Tell the client the project's Django version and indexing state (``djvet/status``)."""
        version = project.settings.django_version
        self.server.send_status(
            {
                "djangoVersion": f"{version.major}.{version.minor}",
                "djangoVersionSource": project.settings.django_version_source,
                "indexing": indexing,
                "files": len(project.index.modules) + len(project.index.templates),
            }
        )

    async def _pull(self, project: Project) -> dict[str, Any]:
        item = lsp.ConfigurationItem(scope_uri=project.folder_uri, section=SECTION)
        try:
            answer = await asyncio.wait_for(
                self.server.workspace_configuration_async(lsp.ConfigurationParams(items=[item])),
                CONFIGURATION_TIMEOUT,
            )
        except Exception as exc:  # a client that cannot answer: its other settings still count
            log.debug("workspace/configuration failed: %s", exc)
            return {}
        return unwrap(answer[0], flat=True) if answer else {}

    def _warn(self, project: Project, warnings: tuple[str, ...]) -> None:
        if not warnings:
            return
        key = (str(project.root), *warnings)
        if key in self._warned:
            return
        self._warned.add(key)
        details = "\n".join(f"  - {w}" for w in warnings)
        self.server.log(
            f"djvet: settings for {project.root}: defaults used where invalid:\n{details}",
            lsp.MessageType.Warning,
        )

    async def configure_all(self) -> None:
        projects = list(self.session.projects.values())
        for project in projects:
            self._locks.setdefault(str(project.root), asyncio.Lock())  # not "new" any more
        await asyncio.gather(*(self.configure(p) for p in projects))

    # -- indexing -----------------------------------------------------------------------------
    async def start_scan(self, project: Project) -> None:
        if project.scan_cancel is not None:
            project.scan_cancel.set()
        if not project.scan:
            project.indexed = True
            return
        cancel = threading.Event()
        project.scan_cancel = cancel
        self._dirty[str(project.root)] = set()
        token = await self._begin_progress()
        loop = asyncio.get_running_loop()
        settings = project.settings
        started = time.perf_counter()
        last_report = [0.0]

        def report(count: int, total: int) -> None:
            if cancel.is_set():
                raise _ScanCancelled
            now = time.perf_counter()
            if now - last_report[0] >= 0.1 or count == total:
                last_report[0] = now
                loop.call_soon_threadsafe(self._report_progress, token, count, total)

        def scan() -> None:
            index = ProjectIndex(project.root, settings.exclude, settings.template_dirs)
            try:
                index.scan(progress=report)
                _prime(index)
            except _ScanCancelled:
                loop.call_soon_threadsafe(self._end_progress, token, "cancelled")
                return
            except Exception as exc:
                log.exception("indexing %s failed", project.root)
                loop.call_soon_threadsafe(self._scan_failed, project, token, exc)
                return
            loop.call_soon_threadsafe(
                self._scanned, project, index, cancel, token, time.perf_counter() - started
            )

        threading.Thread(target=scan, name=f"djvet-index-{project.root.name}", daemon=True).start()

    def _scan_failed(self, project: Project, token: str | None, error: Exception) -> None:
        self._end_progress(token, "failed")
        self.server.log(
            f"djvet: indexing {project.root} failed: {type(error).__name__}: {error}",
            lsp.MessageType.Error,
        )

    def _scanned(
        self,
        project: Project,
        index: ProjectIndex,
        cancel: threading.Event,
        token: str | None,
        seconds: float,
    ) -> None:
        if cancel.is_set():
            self._end_progress(token, "cancelled")
            return
        buffers = {
            d.path: d.text
            for d in self.session.open_in(project)
            if d.path and d.kind is not SourceKind.OTHER
        }
        dirty = self._dirty.pop(str(project.root), set())

        def swap() -> None:
            if cancel.is_set():
                return  # a newer scan (new excludes or template dirs) replaces this one
            for path in dirty - set(buffers):
                _apply_disk_change(index, path)
            for path, text in buffers.items():
                index.update_text(path, text)
            project.index = index  # from now on every check reads the full index
            self.worker.freeze_long_lived()

        async def finish() -> None:
            await self.worker.submit(swap, Priority.INDEX)
            if cancel.is_set():
                return
            project.indexed = True
            project.scan_cancel = None
            self.send_status(project, indexing=False)
            files = len(index.modules)
            self._end_progress(
                token, f"{files} Python files, {len(index.templates)} templates in {seconds:.1f} s"
            )
            self.server.log(
                f"djvet: indexed {project.root}: {files} Python files, {len(index.templates)} templates in {seconds:.2f} s",
                lsp.MessageType.Info,
            )
            self.after_change(project)

        self.spawn(finish())

    async def _begin_progress(self) -> str | None:
        if not self.progress:
            return None
        self._tokens += 1
        token = f"djvet-index-{os.getpid()}-{self._tokens}"
        try:
            await self.server.work_done_progress.create_async(token)
        except Exception as exc:
            log.debug("window/workDoneProgress/create failed: %s", exc)
            return None
        self.server.work_done_progress.begin(
            token,
            lsp.WorkDoneProgressBegin(
                title=PROGRESS_TITLE, message="listing files", percentage=0, cancellable=False
            ),
        )
        return token

    def _report_progress(self, token: str | None, count: int, total: int) -> None:
        if token is None:
            return
        percentage = int(100 * count / total) if total else 100
        self.server.work_done_progress.report(
            token,
            lsp.WorkDoneProgressReport(message=f"{count}/{total} files", percentage=percentage),
        )

    def _end_progress(self, token: str | None, message: str) -> None:
        if token is not None:
            self.server.work_done_progress.end(token, lsp.WorkDoneProgressEnd(message=message))

    # -- cross-file changes -------------------------------------------------------------------
    def after_change(self, project: Project) -> None:
        """Something other documents may depend on changed: refresh them."""
        project.epoch += 1
        if self.scheduler.push:
            self.scheduler.refresh(project)
        elif self.refresh_pull:
            self.server.request_diagnostic_refresh()

    def files_changed(self, events: Iterable[lsp.FileEvent]) -> None:
        """``workspace/didChangeWatchedFiles``: files changed on disk, outside the editor."""
        by_project: dict[str, tuple[Project, list[tuple[str, lsp.FileChangeType]]]] = {}
        reconfigure: list[Project] = []
        for event in events:
            path = uri_to_path(event.uri)
            if path is None:
                continue
            project = self.session.project_for(path)
            if project is None:
                continue
            if os.path.basename(path) == "pyproject.toml" and Path(path).parent == project.root:
                reconfigure.append(project)
                continue
            if self.session.by_path(path) is not None:
                continue  # the open buffer is what counts until it closes
            by_project.setdefault(str(project.root), (project, []))[1].append((path, event.type))
        for project in {str(p.root): p for p in reconfigure}.values():
            self.spawn(self.configure(project))
        for project, changes in by_project.values():
            self.spawn(self._apply_disk_changes(project, changes))

    def _mark_dirty(self, project: Project, path: str) -> None:
        """Remember a file that changed while the project is being scanned (the scan may have read it before)."""
        dirty = self._dirty.get(str(project.root))
        if dirty is not None:
            dirty.add(path)

    async def _apply_disk_changes(
        self, project: Project, changes: list[tuple[str, lsp.FileChangeType]]
    ) -> None:
        for path, _ in changes:
            self._mark_dirty(project, path)

        def apply() -> bool:
            changed = False
            for path, change in changes:
                if change == lsp.FileChangeType.Deleted:
                    changed |= project.index.remove(path)
                else:
                    changed |= _apply_disk_change(project.index, path)
            return changed

        if await self.worker.submit(apply, Priority.INDEX):
            self.after_change(project)

    def saved(self, document: OpenDocument) -> None:
        """``didSave``: the buffer is now the disk; documents depending on it are refreshed."""
        project = self.session.project_of(document)
        path = document.path
        if (
            path is not None
            and os.path.basename(path) == "pyproject.toml"
            and Path(path).parent == project.root
        ):
            self.spawn(self.configure(project))
            return
        if path is None or document.kind is SourceKind.OTHER:
            return
        self._mark_dirty(project, path)
        text = document.text

        async def apply() -> None:
            await self.worker.submit(lambda: project.index.update_text(path, text), Priority.INDEX)
            self.after_change(project)

        self.spawn(apply())

    def closed(self, document: OpenDocument) -> None:
        """``didClose``: the disk is the truth again for this file."""
        path = document.path
        if path is None or document.kind is SourceKind.OTHER:
            return
        project = self.session.project_of(document)
        self._mark_dirty(project, path)

        async def restore() -> None:
            if await self.worker.submit(
                lambda: _apply_disk_change(project.index, path), Priority.INDEX
            ):
                self.after_change(project)

        self.spawn(restore())

    def folders_changed(
        self, added: Iterable[lsp.WorkspaceFolder], removed: Iterable[lsp.WorkspaceFolder]
    ) -> None:
        """``workspace/didChangeWorkspaceFolders``: stop indexing removed roots, set up new ones."""
        for folder in removed:
            project = self.session.remove_folder(folder.uri)
            if project is not None:
                if project.scan_cancel is not None:
                    project.scan_cancel.set()
                self._locks.pop(str(project.root), None)
        for folder in added:
            project = self.session.add_folder(folder.uri)
            if project is not None:
                self.ensure_configured(project)
        for document in list(self.session.documents.values()):
            self.ensure_configured(self.session.project_of(document))  # a file left homeless

    def cancel_scans(self) -> None:
        for project in self.session.projects.values():
            if project.scan_cancel is not None:
                project.scan_cancel.set()


def _prime(index: ProjectIndex) -> None:
    """Build the whole-index tables every check reads (models, URL routes, Jinja2 folders)
    on the indexing thread, so the first diagnostics after indexing do not wait for them.
    An optimisation: a failure here is logged and the check builds them itself."""
    try:
        model_index(index)
        url_index(index)
        jinja2_folders(index)
    except Exception:
        log.debug("priming the index of %s failed", index.root, exc_info=True)


def _apply_disk_change(index: ProjectIndex, path: str) -> bool:
    """Re-read ``path`` into the index (or drop it when gone); True when the index changed."""
    if not os.path.exists(path):
        return index.remove(path)
    if path.endswith(".py"):
        return index.update_file(path)
    return index.update_text(path, "")  # templates are listed, not read
