"""The djvet language server: pygls feature registration; every handler is glue.

Each handler takes a snapshot of the document, asks the core (through the scheduler, on the
worker thread), converts the answer (``convert``) and responds. What to check when lives in
``scheduler``; settings and indexes in ``projects``; code-action and hover shapes in
``actions``/``hover``. ``initialize`` answers at once: rules load, settings resolve and the
project index builds in the background.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import sys
import threading
from collections.abc import Sequence
from functools import partial
from typing import Any, BinaryIO

from lsprotocol import types as lsp
from pygls.capabilities import get_capability
from pygls.exceptions import FeatureNotificationError
from pygls.io_ import StdinAsyncReader, StdoutWriter, run_async
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from .. import __version__
from ..core.rule import Rule
from .actions import FIX_ALL_KIND, fix_all_action, fix_all_text, line_actions, wants_fix_all
from .convert import DiagnosticOptions, Encoding, LineMap
from .hover import hover_text
from .options import unwrap
from .projects import ProjectManager
from .scheduler import Conversion, Scheduler
from .state import Session
from .warmup import warm_up
from .worker import Priority, Worker

log = logging.getLogger("djvet.lsp")

WATCHED_GLOBS = (
    "**/*.py",
    "**/pyproject.toml",
    "**/templates/**",
    "**/jinja2/**",
    "**/*.{jinja,jinja2,j2,djhtml}",
)


class DjvetProtocol(LanguageServerProtocol):
    """pygls' protocol minus its own document store, plus capability shaping.

    djvet keeps the buffers itself (``state.Session``): pygls' ``TextDocument`` splits lines
    with ``str.splitlines``, which also breaks at form feeds and U+2028, so incremental edits
    after such a character would land on the wrong line.
    """

    _server: DjvetLanguageServer
    _retrigger_ids: set[Any]

    def handle_message(self, message: Any) -> None:
        """``didChange`` goes straight to its handler, every other message through pygls.

        pygls wraps each notification in a copied context, a uuid, a ``Future`` and (for its
        built-in document handlers) a generator step, and tells requests from notifications
        with ``isinstance`` checks against runtime protocols: a fraction of a millisecond on
        the event loop for every keystroke, before the check can be queued.
        """
        if (
            getattr(message, "method", None) == lsp.TEXT_DOCUMENT_DID_CHANGE
            and getattr(message, "jsonrpc", None) == self.VERSION
            and not self._shutdown
        ):
            handler = self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CHANGE)
            if handler is not None:
                try:
                    handler(message.params)
                except Exception as error:
                    log.exception("didChange failed")
                    self._server.report_server_error(error, FeatureNotificationError)
                return
        super().handle_message(message)

    def _handle_request(self, msg_id: Any, method_name: str, params: Any) -> None:
        if method_name == lsp.WORKSPACE_DIAGNOSTIC:
            if not hasattr(self, "_retrigger_ids"):
                self._retrigger_ids = set()
            self._retrigger_ids.add(msg_id)
        super()._handle_request(msg_id, method_name, params)

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Any,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        """Forget each handled notification's future once it is done.

        pygls 2.1 files the future of every handler it runs as a generator, coroutine or
        thread under ``msg_id`` in ``_request_futures``, and removes it only when it sends a
        response. Notifications get no response: ``didOpen``/``didChange``/``didClose`` (its
        built-in handlers are generators) and each step of a generator handler are filed under
        a fresh uuid and kept for the life of the server, one finished ``Future`` (~2 KiB with
        its condition and locks) per keystroke. Requests keep theirs until answered
        (``$/cancelRequest`` looks them up there).
        """
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        if isinstance(callback, partial) and callback.func == self._send_handler_result:
            return  # a request: removed when its response is sent
        future = self._request_futures.get(msg_id)
        if future is None:
            return
        if future.done():
            del self._request_futures[msg_id]
        else:
            future.add_done_callback(lambda _: self._request_futures.pop(msg_id, None))

    def _send_handler_result(self, future: Any, *, msg_id: Any) -> None:
        """A cancelled ``workspace/diagnostic`` answers ServerCancelled with ``retriggerRequest``.

        The LSP spec asks for that shape: with pygls' plain RequestCancelled, VS Code logs a
        failure each time it cancels a long pull and gives up re-pulling after five.
        """
        retrigger = getattr(self, "_retrigger_ids", None)
        if retrigger is not None and msg_id in retrigger:
            retrigger.discard(msg_id)
            if future.cancelled():
                self._request_futures.pop(msg_id, None)
                self._send_response(
                    msg_id,
                    error=lsp.ResponseError(
                        code=lsp.LSPErrorCodes.ServerCancelled,
                        message="workspace diagnostics cancelled; pull again",
                        data=lsp.DiagnosticServerCancellationData(retrigger_request=True),
                    ),
                )
                return
        super()._send_handler_result(future, msg_id=msg_id)

    @lsp_method(lsp.INITIALIZE)
    def lsp_initialize(self, params: lsp.InitializeParams) -> Any:
        result = yield from super().lsp_initialize(params)
        if self._server.scheduler is not None and self._server.scheduler.push:
            # Push mode: advertising pull too would make clients that support both show twice.
            result.capabilities.diagnostic_provider = None
        return result

    @lsp_method(lsp.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: lsp.DidOpenTextDocumentParams) -> Any:
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams) -> Any:
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: lsp.DidCloseTextDocumentParams) -> Any:
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


class DjvetLanguageServer(LanguageServer):
    """Holds the session state; ``rules`` replaces the registry (tests inject rules this way)."""

    def __init__(self, rules: Sequence[Rule] | None = None) -> None:
        super().__init__(
            "djvet",
            __version__,
            text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
            protocol_cls=DjvetProtocol,
        )
        self.injected_rules = tuple(rules) if rules is not None else None
        self.rules: tuple[Rule, ...] = ()
        self.session = Session()
        self.worker: Worker | None = None
        self.scheduler: Scheduler | None = None
        self.projects: ProjectManager | None = None
        self.markdown_hover = True
        self.document_changes = False

    # -- wiring -------------------------------------------------------------------------------
    def setup(self, params: lsp.InitializeParams) -> None:
        caps = params.capabilities
        self.session.encoding = Encoding.parse(self.workspace.position_encoding)
        self.session.init_options = unwrap(params.initialization_options, flat=True)
        self.worker = Worker(asyncio.get_running_loop(), manage_gc=True)
        self.scheduler = Scheduler(self.session, self.worker, (), self.publish, self.log)
        pull = get_capability(caps, "text_document.diagnostic") is not None
        refresh = bool(get_capability(caps, "workspace.diagnostics.refresh_support", False))
        # Pull only when the client can also be told to re-pull after cross-file changes.
        self.scheduler.push = not (pull and refresh)
        tag_support = get_capability(caps, "text_document.publish_diagnostics.tag_support")
        related = get_capability(
            caps, "text_document.publish_diagnostics.related_information", False
        )
        if not self.scheduler.push:
            related = (
                bool(get_capability(caps, "text_document.diagnostic.related_information", False))
                or related
            )
        self.scheduler.conversion = Conversion(
            self.session.encoding,
            DiagnosticOptions(
                related_information=bool(related),
                tags=frozenset(tag_support.value_set) if tag_support is not None else frozenset(),
            ),
        )
        self.projects = ProjectManager(self, self.session, self.worker, self.scheduler, ())
        self.projects.pull_configuration = bool(
            get_capability(caps, "workspace.configuration", False)
        )
        self.projects.progress = bool(get_capability(caps, "window.work_done_progress", False))
        self.projects.refresh_pull = refresh
        formats = get_capability(caps, "text_document.hover.content_format") or [
            lsp.MarkupKind.Markdown
        ]
        self.markdown_hover = lsp.MarkupKind.Markdown in formats
        self.document_changes = bool(
            get_capability(caps, "workspace.workspace_edit.document_changes", False)
        )
        folders = params.workspace_folders or []
        if not folders and params.root_uri:
            folders = [lsp.WorkspaceFolder(uri=params.root_uri, name="root")]
        for folder in folders:
            self.session.add_folder(folder.uri)

    async def start(self) -> None:
        """After ``initialized``: load rules, register watchers, resolve settings, index."""
        assert self.worker is not None and self.scheduler is not None and self.projects is not None
        self.rules = await self.worker.submit(self._load_rules, Priority.EDIT)
        self.scheduler.rules = self.rules
        self.projects.known_codes = tuple(rule.code for rule in self.rules)
        self.projects.rules_loaded.set()
        mode = "pushed" if self.scheduler.push else "pulled"
        self.log(
            f"djvet {__version__}: {len(self.rules)} rules; diagnostics {mode}; "
            f"positions in {self.session.encoding.value}",
            lsp.MessageType.Info,
        )
        self.projects.spawn(self._register_watchers())
        for project in list(self.session.projects.values()):
            self.projects.ensure_configured(project)

    def _load_rules(self) -> tuple[Rule, ...]:
        if self.injected_rules is not None:
            return self.injected_rules
        from ..core.registry import all_rules

        return all_rules()

    async def _register_watchers(self) -> None:
        caps = self.client_capabilities
        registrations = []
        if get_capability(caps, "workspace.did_change_watched_files.dynamic_registration", False):
            watchers = [lsp.FileSystemWatcher(glob_pattern=glob) for glob in WATCHED_GLOBS]
            registrations.append(
                lsp.Registration(
                    id="djvet-watched-files",
                    method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                        watchers=watchers
                    ),
                )
            )
        if get_capability(caps, "workspace.did_change_configuration.dynamic_registration", False):
            registrations.append(
                lsp.Registration(
                    id="djvet-configuration", method=lsp.WORKSPACE_DID_CHANGE_CONFIGURATION
                )
            )
        if not registrations:
            return
        try:
            await self.client_register_capability_async(
                lsp.RegistrationParams(registrations=registrations)
            )
        except Exception as exc:  # the client said it could; if it cannot, saves still work
            log.debug("client/registerCapability failed: %s", exc)

    # -- output -------------------------------------------------------------------------------
    def publish(self, uri: str, version: int | None, diagnostics: Sequence[lsp.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=list(diagnostics), version=version)
        )

    def log(self, message: str, kind: lsp.MessageType = lsp.MessageType.Info) -> None:
        """``window/logMessage`` (the editor's log, never a popup) and the stderr log."""
        log.log(logging.ERROR if kind == lsp.MessageType.Error else logging.INFO, "%s", message)
        try:
            self.window_log_message(lsp.LogMessageParams(type=kind, message=message))
        except Exception:  # no connection (yet / any more)
            log.debug("could not send window/logMessage")

    def send_status(self, params: dict[str, Any]) -> None:
        """The ``djvet/status`` notification (see vscode-extension/PROTOCOL.md)."""
        try:
            self.protocol.notify("djvet/status", params)
        except Exception:  # no connection (yet / any more)
            log.debug("could not send djvet/status")

    def request_diagnostic_refresh(self) -> None:
        try:
            self.workspace_diagnostic_refresh(None)
        except Exception as exc:
            log.debug("workspace/diagnostic/refresh failed: %s", exc)

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls would pop up a message for every failure; djvet logs instead (once per keystroke is too many)."""
        log.error("server error (%s): %s", getattr(source, "__name__", source), error)
        self.log(f"djvet: internal error: {error}", lsp.MessageType.Error)

    def shutdown_work(self) -> None:
        if self.projects is not None:
            self.projects.cancel_scans()
        if self.worker is not None:
            self.worker.stop()

    def _start_io_async(
        self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None
    ) -> None:
        """pygls' stdio loop, reading stdin on the event loop itself when it is a pipe.

        pygls reads each header line and body in its thread pool: three thread hand-overs per
        message, each waiting for the GIL, on the path of every keystroke. A pipe can be read
        by the loop directly (``connect_read_pipe``); anything else keeps pygls' reader.
        """
        stop = self._stop_event = threading.Event()
        stdin = stdin or sys.stdin.buffer
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

        async def main() -> None:
            reader = await _loop_reader(stdin) or StdinAsyncReader(stdin, self.thread_pool)
            await run_async(
                stop_event=stop,
                reader=reader,
                protocol=self.protocol,
                logger=log,
                error_handler=self.report_server_error,
            )

        try:
            asyncio.run(main())
        except BrokenPipeError:
            log.error("the connection to the client is lost: shutting down")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]


class _LoopReader:
    """A stdin pipe read by the event loop (the reader ``pygls.io_.run_async`` expects)."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self._stream = stream

    async def readline(self) -> bytes:
        try:
            return await self._stream.readline()
        except ValueError:  # a "header line" over 1 MiB: not LSP; end as at EOF
            return b""

    async def readexactly(self, n: int) -> bytes:
        try:
            return await self._stream.readexactly(n)
        except asyncio.IncompleteReadError as exc:
            return exc.partial  # the client went away mid-message


_LINE_LIMIT = 1 << 20


async def _loop_reader(stdin: BinaryIO) -> _LoopReader | None:
    """``stdin`` read by the running loop when it is a pipe or a socket; None for anything
    else (a file, a terminal, ``/dev/null``: epoll cannot watch those)."""
    try:
        mode = os.fstat(stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return None
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return None
    loop = asyncio.get_running_loop()
    stream = asyncio.StreamReader(limit=_LINE_LIMIT, loop=loop)
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), stdin)
    except (OSError, ValueError, NotImplementedError):
        return None
    return _LoopReader(stream)


# ---------------------------------------------------------------------------------------------
# Handlers
# ---------------------------------------------------------------------------------------------


def _scheduler(ls: DjvetLanguageServer) -> Scheduler:
    assert ls.scheduler is not None, "initialize first"
    return ls.scheduler


def _projects(ls: DjvetLanguageServer) -> ProjectManager:
    assert ls.projects is not None, "initialize first"
    return ls.projects


def register(ls: DjvetLanguageServer) -> None:
    """Attach every handler to ``ls``."""

    @ls.feature(lsp.INITIALIZE)
    def initialize(ls: DjvetLanguageServer, params: lsp.InitializeParams) -> None:
        ls.setup(params)

    @ls.feature(lsp.INITIALIZED)
    def initialized(ls: DjvetLanguageServer, params: lsp.InitializedParams) -> None:
        _projects(ls).spawn(ls.start())

    @ls.feature(lsp.SHUTDOWN)
    def shutdown(ls: DjvetLanguageServer, params: None) -> None:
        ls.shutdown_work()

    @ls.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: DjvetLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
        document = ls.session.open(params.text_document)
        _projects(ls).ensure_configured(ls.session.project_of(document))
        _scheduler(ls).opened(document)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: DjvetLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
        document = ls.session.change(params)
        if document is not None:
            _scheduler(ls).changed(document)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))
    def did_save(ls: DjvetLanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
        document = ls.session.documents.get(params.text_document.uri)
        if document is not None:
            _projects(ls).saved(document)
            _scheduler(ls).saved(document)

    @ls.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: DjvetLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
        document = ls.session.close(params.text_document.uri)
        _scheduler(ls).closed(params.text_document.uri)
        if document is not None:
            _projects(ls).closed(document)

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(
        ls: DjvetLanguageServer, params: lsp.DidChangeWatchedFilesParams
    ) -> None:
        _projects(ls).files_changed(params.changes)

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(
        ls: DjvetLanguageServer, params: lsp.DidChangeConfigurationParams
    ) -> None:
        ls.session.pushed = unwrap(params.settings, flat=False)
        _projects(ls).spawn(_projects(ls).configure_all())

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(
        ls: DjvetLanguageServer, params: lsp.DidChangeWorkspaceFoldersParams
    ) -> None:
        _projects(ls).folders_changed(params.event.added, params.event.removed)

    @ls.feature(lsp.TEXT_DOCUMENT_HOVER)
    async def hover(ls: DjvetLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
        document = ls.session.documents.get(params.text_document.uri)
        if document is None or not document.checkable:
            return None
        checked = await _scheduler(ls).current(document)
        lines = LineMap(checked.snapshot.text, ls.session.encoding, checked.snapshot.lines)
        line, column = lines.column(params.position)
        hits = [
            (f, d)
            for f, d in zip(checked.findings, checked.diagnostics, strict=True)
            if f.span.contains(line, column)
        ]
        if not hits:
            return None
        text = hover_text(
            [f for f, _ in hits], ls.rules, checked.result.django_version, ls.markdown_hover
        )
        kind = lsp.MarkupKind.Markdown if ls.markdown_hover else lsp.MarkupKind.PlainText
        return lsp.Hover(contents=lsp.MarkupContent(kind=kind, value=text), range=hits[0][1].range)

    @ls.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=False
        ),
    )
    async def code_action(
        ls: DjvetLanguageServer, params: lsp.CodeActionParams
    ) -> list[lsp.CodeAction] | None:
        document = ls.session.documents.get(params.text_document.uri)
        if document is None or not document.checkable:
            return None
        checked = await _scheduler(ls).current(document)
        snap = checked.snapshot
        lines = LineMap(snap.text, ls.session.encoding, snap.lines)
        actions = line_actions(
            checked.findings, checked.diagnostics, snap, params, lines, ls.document_changes
        )
        if wants_fix_all(checked.findings, params.context.only):
            project = ls.session.project_of(document)
            job = partial(
                fix_all_text,
                snap.text,
                snap.path,
                snap.kind,
                snap.version,
                checked.result,
                project,
                ls.rules,
            )
            fixed = await ls.worker.submit(job)  # type: ignore[union-attr]
            actions += fix_all_action(
                snap.uri, snap.version, snap.text, fixed, lines, ls.document_changes
            )
        return actions or None

    @ls.feature(
        lsp.TEXT_DOCUMENT_DIAGNOSTIC,
        lsp.DiagnosticOptions(
            identifier="djvet", inter_file_dependencies=True, workspace_diagnostics=True
        ),
    )
    async def document_diagnostic(
        ls: DjvetLanguageServer, params: lsp.DocumentDiagnosticParams
    ) -> lsp.DocumentDiagnosticReport:
        document = ls.session.documents.get(params.text_document.uri)
        if document is None or not document.checkable:
            return lsp.RelatedFullDocumentDiagnosticReport(items=[])
        checked = await _scheduler(ls).current(document)
        if params.previous_result_id == checked.result_id:
            return lsp.RelatedUnchangedDocumentDiagnosticReport(result_id=checked.result_id)
        return lsp.RelatedFullDocumentDiagnosticReport(
            items=list(checked.diagnostics), result_id=checked.result_id
        )

    @ls.feature(lsp.WORKSPACE_DIAGNOSTIC)
    async def workspace_diagnostic(
        ls: DjvetLanguageServer, params: lsp.WorkspaceDiagnosticParams
    ) -> lsp.WorkspaceDiagnosticReport:
        previous = {item.uri: item.value for item in params.previous_result_ids}
        return lsp.WorkspaceDiagnosticReport(items=await _scheduler(ls).workspace(previous))


def build_server(rules: Sequence[Rule] | None = None) -> DjvetLanguageServer:
    """A ready-to-start server; ``rules`` (tests only) replaces the rule registry."""
    ls = DjvetLanguageServer(rules)
    register(ls)
    return ls


def configure_logging() -> None:
    level = os.environ.get("DJVET_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.WARNING),
        stream=sys.stderr,
        format="djvet %(levelname)s %(name)s: %(message)s",
    )


def serve(tcp: str | None = None, rules: Sequence[Rule] | None = None) -> int:
    """Run the language server over stdio, or on ``tcp`` ("HOST:PORT"); returns the exit code."""
    configure_logging()
    ls = build_server(rules)
    features = ls.protocol.fm
    warm_up(
        ls.protocol._converter,
        {*features.features, *features.builtin_features},
        features.feature_options,
    )
    if tcp:
        host, _, port = tcp.rpartition(":")
        if not port.isdigit():
            log.error("--tcp expects HOST:PORT, got %r", tcp)
            return 2
        try:
            ls.start_tcp(host or "127.0.0.1", int(port))
        finally:
            _finish(ls)
        return 0
    stdout = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print() anywhere must not corrupt the protocol stream
    try:
        ls.start_io(sys.stdin.buffer, stdout)
    finally:
        _finish(ls)
    return 0


def _finish(ls: DjvetLanguageServer) -> None:
    """Stop background work and wait briefly for the check in hand before the interpreter exits."""
    ls.shutdown_work()
    if ls.worker is not None:
        ls.worker.join(timeout=5.0)
