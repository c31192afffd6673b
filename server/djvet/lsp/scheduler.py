"""When to check which document, and which results may reach the editor.

- **Debounce, leading edge.** A change after a quiet period (``debounceMs`` since the last
  one) is checked at once; a change arriving inside that window restarts the wait, so a burst
  (a paste followed by format-on-type, multi-cursor typing) costs one check. The debounce
  counts inside keystroke-to-diagnostics latency, which is why it is small and leading-edge.
- **Coalescing.** Checks run on the single worker thread; a queued check whose document has
  moved on by the time the worker reaches it is skipped, and a result for an old version is
  kept for nobody.
- **Never stale.** A result is published only if, when it arrives, the document still has
  the version it was computed for and the project still has the same settings and
  cross-file epoch. ``current()`` gives requests (hover, code actions, pulls) the result for
  the document exactly as it was when the request arrived.
- **Cross-file refresh.** After a save, a watched-file change or a finished index, every
  open document whose result predates the index change is re-checked at lower priority
  (push) or the client is asked to pull again (pull).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from lsprotocol import types as lsp

from ..core.engine import check
from ..core.project import read_source
from ..core.rule import Document, Rule
from ..core.sources import classify
from ..core.text import LineIndex
from ..core.types import CheckResult, Finding, SourceKind, Span
from .convert import DiagnosticOptions, Encoding, LineMap, diagnostic
from .state import MAX_DOCUMENT_CHARS, OpenDocument, Project, Session, path_to_uri
from .worker import Priority, Worker

log = logging.getLogger("djvet.lsp")

Key = tuple[int, int, int]  # (document version, settings generation, cross-file epoch)


@dataclass(frozen=True)
class Snapshot:
    """A document as it was when a check was asked for (immutable; safe on the worker)."""

    uri: str
    path: str | None
    version: int
    text: str
    kind: SourceKind
    lines: LineIndex

    @classmethod
    def of(cls, document: OpenDocument) -> Snapshot:
        return cls(
            document.uri,
            document.path,
            document.version,
            document.text,
            document.kind,
            document.lines,
        )


@dataclass(frozen=True)
class Checked:
    """A check's outcome for one snapshot, converted for the client."""

    uri: str
    key: Key
    index_state: tuple[int, int]  # (id of the ProjectIndex, its generation) after the check
    snapshot: Snapshot
    result: CheckResult
    findings: tuple[Finding, ...]
    diagnostics: tuple[lsp.Diagnostic, ...]  # diagnostics[i] is findings[i]
    index_error: str | None = None  # the buffer could not be indexed; it was checked anyway

    @property
    def version(self) -> int:
        return self.key[0]

    @property
    def result_id(self) -> str:
        """Names the *content* (version + diagnostics): a re-check that found the same is "unchanged"."""
        return f"{self.version}.{content_digest(self.diagnostics)}"


@dataclass
class _Entry:
    timer: asyncio.TimerHandle | None = None
    last_change: float = -math.inf
    pending: asyncio.Future[Checked | None] | None = None
    pending_key: Key | None = None
    pending_skippable: bool = True
    result: Checked | None = None
    published: Key | None = None
    published_items: tuple[int, tuple[lsp.Diagnostic, ...]] | None = None  # (version, diagnostics)
    reread_into: int | None = None  # id of the index the buffer was last re-read into


@dataclass
class Conversion:
    """How results are shaped for this client (fixed at ``initialize``)."""

    encoding: Encoding = Encoding.UTF16
    options: DiagnosticOptions = field(default_factory=DiagnosticOptions)


def content_digest(diagnostics: Sequence[lsp.Diagnostic]) -> str:
    return hashlib.blake2b(
        repr(diagnostics).encode("utf-8", "surrogatepass"), digest_size=8
    ).hexdigest()


def key_of(document: OpenDocument, project: Project) -> Key:
    return (document.version, project.config_generation, project.epoch)


class Scheduler:
    """Debounces, runs and publishes checks; every public method runs on the event loop."""

    def __init__(
        self,
        session: Session,
        worker: Worker,
        rules: Sequence[Rule],
        publish: Callable[[str, int | None, Sequence[lsp.Diagnostic]], None],
        report: Callable[[str, lsp.MessageType], None],
    ) -> None:
        self.session = session
        self.worker = worker
        self.rules = tuple(rules)
        self.publish = publish
        self.report = report
        self.push = True
        self.conversion = Conversion()
        self._entries: dict[str, _Entry] = {}
        self._reported: set[tuple[str, str]] = set()
        self._waiting: set[asyncio.Future[None]] = set()
        self._loop = asyncio.get_event_loop()

    # -- document events ----------------------------------------------------------------------
    def opened(self, document: OpenDocument) -> None:
        self._entries[document.uri] = _Entry()
        if not document.checkable:
            self._explain_skip(document)
            return
        if self.push:
            if document.is_large:
                self._report_once(
                    ("large", document.uri),
                    f"djvet: {document.uri} is {len(document.text) / 1e6:.1f} MB: "
                    "checked when opened and saved, not on every change",
                    lsp.MessageType.Info,
                )
            self._fire(document.uri)

    def changed(self, document: OpenDocument) -> None:
        entry = self._entries.setdefault(document.uri, _Entry())
        if self.push and not document.checkable:
            # The buffer just became binary or too big: its last diagnostics describe text that
            # is gone, so clear them once for this version instead of leaving them on screen.
            if entry.timer is not None:
                entry.timer.cancel()
                entry.timer = None
            if entry.published_items is not None and entry.published_items[1]:
                entry.published_items = (document.version, ())
                entry.result = None
                self.publish(document.uri, document.version, [])
            return
        if not self.push or document.is_large:
            return
        project = self.session.project_of(document)
        debounce = project.editor.debounce_ms / 1000
        now = self._loop.time()
        quiet = now - entry.last_change >= debounce
        entry.last_change = now
        if entry.timer is not None:
            entry.timer.cancel()
        if quiet:
            entry.timer = None
            self._fire(document.uri)
        else:
            entry.timer = self._loop.call_later(debounce, self._fire, document.uri)

    def saved(self, document: OpenDocument) -> None:
        if self.push and document.checkable and document.is_large:
            self._fire(document.uri)

    def closed(self, uri: str) -> None:
        entry = self._entries.pop(uri, None)
        if entry is not None and entry.timer is not None:
            entry.timer.cancel()
        if self.push:
            self.publish(uri, None, [])

    # -- results for requests -----------------------------------------------------------------
    async def current(self, document: OpenDocument) -> Checked:
        """The result for ``document`` as it is now (cached, in flight, or computed at once)."""
        project = self.session.project_of(document)
        if not project.ready.is_set():
            await project.ready.wait()
        entry = self._entries.setdefault(document.uri, _Entry())
        key = key_of(document, project)
        if entry.result is not None and entry.result.key == key:
            return entry.result
        pending = entry.pending
        if pending is not None and entry.pending_key == key and not pending.done():
            checked = await asyncio.shield(pending)
            if checked is not None:
                return checked  # (None: it was skipped because the document moved on)
        checked = await self._submit(document, project, Priority.EDIT, skippable=False)
        assert checked is not None  # a job that may not be skipped always returns a result
        return checked

    def cached(self, uri: str) -> Checked | None:
        entry = self._entries.get(uri)
        return entry.result if entry is not None else None

    async def workspace(
        self, previous: dict[str, str]
    ) -> list[lsp.WorkspaceDocumentDiagnosticReport]:
        """``workspace/diagnostic``: every indexed file of every project (open ones as buffers)."""
        reports: list[lsp.WorkspaceDocumentDiagnosticReport] = []
        for project in list(self.session.projects.values()):
            await project.ready.wait()
            open_by_path = {d.path: d for d in self.session.open_in(project) if d.path}
            for document in open_by_path.values():
                if document.checkable:
                    checked = await self.current(document)
                    reports.append(
                        self._report(
                            checked.uri,
                            checked.version,
                            checked.result_id,
                            checked.diagnostics,
                            previous,
                        )
                    )
            index = project.index
            paths = sorted(set(index.modules) | index.templates)
            jobs = [
                self.worker.submit(partial(self._disk_job, project, path), Priority.BULK)
                for path in paths
                if path not in open_by_path
            ]
            for outcome in await asyncio.gather(*jobs):
                if outcome is not None:
                    uri, result_id, diagnostics = outcome
                    reports.append(self._report(uri, None, result_id, diagnostics, previous))
        return reports

    @staticmethod
    def _report(
        uri: str,
        version: int | None,
        result_id: str,
        items: Sequence[lsp.Diagnostic],
        previous: dict[str, str],
    ) -> lsp.WorkspaceDocumentDiagnosticReport:
        if previous.get(uri) == result_id:
            return lsp.WorkspaceUnchangedDocumentDiagnosticReport(
                uri=uri, version=version, result_id=result_id
            )
        return lsp.WorkspaceFullDocumentDiagnosticReport(
            uri=uri, version=version, items=list(items), result_id=result_id
        )

    def _disk_job(
        self, project: Project, path: str
    ) -> tuple[str, str, tuple[lsp.Diagnostic, ...]] | None:
        """Runs on the worker thread: check one unopened file as it is on disk."""
        try:
            text = read_source(Path(path))
        except (OSError, UnicodeDecodeError):
            return None
        relative = os.path.relpath(path, project.root) if project.contains(path) else path
        kind = classify(relative, None, project.settings.template_dirs)
        if kind is SourceKind.OTHER or len(text) > MAX_DOCUMENT_CHARS:
            return None
        uri = path_to_uri(path)
        if not project.enabled:
            return uri, "disabled", ()
        result = check(
            Document(text, path, kind), project.index, project.settings, rules=self.rules
        )
        lines = LineMap(text, self.conversion.encoding)

        def related_location(other: str | None, span: Span) -> lsp.Location | None:
            if other is None or other == path:
                return lsp.Location(uri=uri, range=lines.range(span))
            other_lines = self._line_map_of(other, {})
            return (
                lsp.Location(uri=path_to_uri(other), range=other_lines.range(span))
                if other_lines
                else None
            )

        diagnostics = tuple(
            diagnostic(finding, lines, None, self.conversion.options, related_location)
            for finding in result.findings
        )
        return uri, f"disk.{content_digest(diagnostics)}", diagnostics

    # -- cross-file ---------------------------------------------------------------------------
    def refresh(self, project: Project) -> None:
        """Re-check the project's open documents whose results predate the index or settings."""
        if not self.push:
            return
        index_state = (id(project.index), project.index.generation)
        for document in self.session.open_in(project):
            entry = self._entries.get(document.uri)
            if entry is None or not document.checkable:
                continue
            result = entry.result
            key = key_of(document, project)
            if (
                result is not None
                and result.key[:2] == key[:2]
                and result.index_state == index_state
            ):
                entry.result = replace(result, key=key)  # nothing it depends on changed
                continue
            if project.ready.is_set():
                self._submit(document, project, Priority.REFRESH, skippable=True)

    # -- machinery ----------------------------------------------------------------------------
    def _fire(self, uri: str) -> None:
        entry = self._entries.get(uri)
        document = self.session.documents.get(uri)
        if entry is None or document is None:
            return
        entry.timer = None
        project = self.session.project_of(document)
        if project.ready.is_set():
            self._submit(document, project, Priority.EDIT, skippable=True)
        else:
            task = asyncio.ensure_future(self._fire_when_ready(uri, project))
            self._waiting.add(task)
            task.add_done_callback(self._waiting.discard)

    async def _fire_when_ready(self, uri: str, project: Project) -> None:
        await project.ready.wait()
        document = self.session.documents.get(uri)
        if document is not None:
            self._submit(document, project, Priority.EDIT, skippable=True)

    def _submit(
        self, document: OpenDocument, project: Project, priority: Priority, *, skippable: bool
    ) -> asyncio.Future[Checked | None]:
        entry = self._entries.setdefault(document.uri, _Entry())
        key = key_of(document, project)
        pending = entry.pending
        if (
            pending is not None
            and entry.pending_key == key
            and not pending.done()
            and (skippable or not entry.pending_skippable)
        ):
            return pending
        snapshot = Snapshot.of(document)
        open_texts = {
            d.path: d.text
            for d in self.session.documents.values()
            if d.path and d.path != document.path
        }
        job = partial(self._job, project, snapshot, key, skippable, open_texts)
        future = self.worker.submit(job, priority)
        entry.pending, entry.pending_key, entry.pending_skippable = future, key, skippable
        future.add_done_callback(partial(self._finished, document.uri))
        return future

    def _superseded(self, project: Project, snapshot: Snapshot, key: Key) -> bool:
        # Read on the worker thread: plain attribute reads, only used to skip useless work.
        document = self.session.documents.get(snapshot.uri)
        return document is None or key_of(document, project) != key

    def _job(
        self,
        project: Project,
        snapshot: Snapshot,
        key: Key,
        skippable: bool,
        open_texts: dict[str, str],
    ) -> Checked | None:
        """Runs on the worker thread: index the buffer, check it, convert the findings."""
        if skippable and self._superseded(project, snapshot, key):
            return None
        index = project.index
        settings = project.settings
        index_error = None
        started = time.perf_counter()
        indexed = started
        if project.enabled:
            if snapshot.path is not None and snapshot.kind is not SourceKind.OTHER:
                try:
                    index.update_text(snapshot.path, snapshot.text)
                except Exception as exc:  # an indexing bug must not cost the buffer its diagnostics
                    log.exception("indexing %s failed", snapshot.path)
                    index_error = f"{type(exc).__name__}: {exc}"
            indexed = time.perf_counter()
            document = Document(snapshot.text, snapshot.path, snapshot.kind, snapshot.version)
            result = check(document, index, settings, rules=self.rules)
        else:
            result = CheckResult(snapshot.path, snapshot.kind, (), "")
        checked_at = time.perf_counter()
        lines = LineMap(snapshot.text, self.conversion.encoding, snapshot.lines)
        other_files: dict[str, LineMap | None] = {}

        def related_location(path: str | None, span: Span) -> lsp.Location | None:
            if path is None or path == snapshot.path:
                return lsp.Location(uri=snapshot.uri, range=lines.range(span))
            if path not in other_files:
                other_files[path] = self._line_map_of(path, open_texts)
            other = other_files[path]
            if other is None:
                return None
            return lsp.Location(uri=path_to_uri(path), range=other.range(span))

        diagnostics = tuple(
            diagnostic(finding, lines, snapshot.version, self.conversion.options, related_location)
            for finding in result.findings
        )
        if log.isEnabledFor(logging.DEBUG):
            converted = time.perf_counter()
            log.debug(
                "checked %s v%s: index %.1f ms, check %.1f ms, convert %.1f ms, %d findings",
                snapshot.uri,
                snapshot.version,
                (indexed - started) * 1000,
                (checked_at - indexed) * 1000,
                (converted - checked_at) * 1000,
                len(diagnostics),
            )
        return Checked(
            snapshot.uri,
            key,
            (id(index), index.generation),
            snapshot,
            result,
            result.findings,
            diagnostics,
            index_error,
        )

    def _line_map_of(self, path: str, open_texts: dict[str, str]) -> LineMap | None:
        text = open_texts.get(path)
        if text is None:
            try:
                text = read_source(Path(path))
            except (OSError, UnicodeDecodeError):
                return None
        return LineMap(text, self.conversion.encoding)

    def _finished(self, uri: str, future: asyncio.Future[Checked | None]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            log.error("checking %s failed", uri, exc_info=error)
            self._report_once(
                ("internal", f"{type(error).__name__}: {error}"),
                f"djvet: checking {uri} failed: {type(error).__name__}: {error}",
            )
            return
        checked = future.result()
        entry = self._entries.get(uri)
        if checked is None or entry is None:
            return
        if entry.result is None or checked.key >= entry.result.key:
            entry.result = checked
        if entry.reread_into != checked.index_state[0]:
            entry.reread_into = checked.index_state[0]
            self._reread(checked)
        if checked.index_error is not None:
            self._report_once(
                ("index", checked.index_error),
                f"djvet: could not index {checked.snapshot.path}: {checked.index_error} "
                "(checked without it; cross-file results may be off)",
            )
        for rule_error in checked.result.rule_errors:
            self._report_once(
                (rule_error.code, rule_error.message),
                f"djvet: rule {rule_error.code} failed on {checked.snapshot.path or uri}: "
                f"{rule_error.message} (the other rules still ran)",
                lsp.MessageType.Error,
            )
        if not self.push:
            return
        document = self.session.documents.get(uri)
        if document is None or key_of(document, self.session.project_of(document)) != checked.key:
            return  # the document moved on (or closed): a newer check is on its way
        if entry.published == checked.key:
            return
        entry.published = checked.key
        items = (checked.version, checked.diagnostics)
        if entry.published_items == items:
            return  # a refresh that found the same: the editor already shows exactly this
        entry.published_items = items
        self.publish(uri, checked.version, checked.diagnostics)

    def _reread(self, checked: Checked) -> None:
        """After a buffer's first check with an index (opened, or the index rebuilt): if the
        index holds this very text, summarise it again from the buffer's parse, in idle time.
        Otherwise the first keystroke would re-summarise every statement of the file: the
        index's summaries come from the disk scan's parse, whose nodes the memos never saw."""
        snapshot = checked.snapshot
        document = self.session.documents.get(snapshot.uri)
        path = snapshot.path
        if path is None or snapshot.kind is not SourceKind.PYTHON or document is None:
            return
        project = self.session.project_of(document)
        if not project.enabled:
            return

        def job() -> None:
            if self._superseded(project, snapshot, checked.key):
                return  # typed in since: the keystroke path has summarised the buffer
            try:
                project.index.reread_text(path, snapshot.text)
            except Exception:  # an optimisation: the next keystroke summarises it anyway
                log.exception("re-reading %s failed", path)

        self.worker.submit(job, Priority.REFRESH)

    def _report_once(
        self, key: tuple[str, str], message: str, kind: lsp.MessageType = lsp.MessageType.Error
    ) -> None:
        if key in self._reported:
            return
        if len(self._reported) > 1000:
            self._reported.clear()
        self._reported.add(key)
        self.report(message, kind)

    def _explain_skip(self, document: OpenDocument) -> None:
        if document.kind is SourceKind.OTHER:
            return
        reason = (
            "it is a binary file"
            if document.is_binary
            else f"it is {len(document.text) / 1e6:.1f} MB; djvet checks files up to {MAX_DOCUMENT_CHARS / 1e6:.0f} MB"
        )
        self._report_once(
            ("skip", document.uri),
            f"djvet: not checking {document.uri}: {reason}",
            lsp.MessageType.Info,
        )
