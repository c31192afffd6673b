"""A small synchronous LSP client over stdio for the reliability tests.

Why not pytest-lsp here: the reliability tests drive the server from Hypothesis (synchronous
``@given`` tests), need exact control over message timing (500 changes at 1 ms intervals)
and read the server process's memory. This client is a JSON-RPC framer, a reader thread and
a log of everything the server sent; server-to-client requests get the answers a plain
editor would give (``null`` for registrations and progress, ``null`` per configuration item).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
# Without VIRTUAL_ENV the server would take the test venv's Django for the project's.
# PYTHONFAULTHANDLER: a crash of the server process leaves its Python traceback on stderr.
SERVER_ENV = {
    **{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
    "PYTHONPATH": os.pathsep.join([str(REPO / "server"), str(REPO)]),
    "PYTHONFAULTHANDLER": "1",
}
SERVER_COMMAND = (sys.executable, "-m", "djvet", "server")

REQUEST_CANCELLED = -32800
CONTENT_MODIFIED = -32801

CAPABILITIES: dict[str, Any] = {
    "general": {"positionEncodings": ["utf-16"]},
    "textDocument": {
        "synchronization": {"didSave": True, "dynamicRegistration": False},
        "publishDiagnostics": {
            "relatedInformation": True,
            "versionSupport": True,
            "tagSupport": {"valueSet": [1, 2]},
        },
        "codeAction": {
            "codeActionLiteralSupport": {
                "codeActionKind": {"valueSet": ["quickfix", "source.fixAll"]}
            }
        },
        "hover": {"contentFormat": ["markdown", "plaintext"]},
    },
    "workspace": {
        "workspaceFolders": True,
        "configuration": True,
        "workspaceEdit": {"documentChanges": True},
        "didChangeWatchedFiles": {"dynamicRegistration": True},
    },
    "window": {"workDoneProgress": True},
}


class ServerError(Exception):
    def __init__(self, error: Mapping[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")


@dataclass(frozen=True)
class Publication:
    uri: str
    version: int | None
    diagnostics: list[dict[str, Any]]
    at: float  # time.monotonic() when it arrived


class StdioClient:
    """One language-server process and everything it sent."""

    def __init__(
        self,
        command: Iterable[str] = SERVER_COMMAND,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        stderr_path: Path | None = None,
    ) -> None:
        self._stderr = open(stderr_path or os.devnull, "wb")  # closed in close()
        self.process = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=dict(env or SERVER_ENV),
            cwd=cwd,
        )
        self._lock = threading.Condition()
        self._next_id = 0
        self._responses: dict[int, dict[str, Any]] = {}
        self.notifications: list[tuple[float, dict[str, Any]]] = []
        self.publications: list[Publication] = []
        self.server_requests: list[dict[str, Any]] = []
        self.protocol_errors: list[str] = []
        self._write_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read_loop, name="lsp-reader", daemon=True)
        self._reader.start()

    # -- transport ----------------------------------------------------------------------------
    def _send(self, payload: Mapping[str, Any]) -> None:
        body = json.dumps(payload).encode("utf-8")
        assert self.process.stdin is not None
        with self._write_lock:
            self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.process.stdin.flush()

    def _read_loop(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    with self._lock:
                        self._lock.notify_all()
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            if length is None:
                self.protocol_errors.append("a message without Content-Length")
                continue
            body = stream.read(length)
            try:
                message = json.loads(body)
            except ValueError:
                self.protocol_errors.append(f"unparseable message: {body[:200]!r}")
                continue
            self._dispatch(message)

    def _dispatch(self, message: dict[str, Any]) -> None:
        now = time.monotonic()
        method = message.get("method")
        if method is not None and "id" in message:
            self.server_requests.append(message)
            self._answer(message)
            return
        with self._lock:
            if method is not None:
                self.notifications.append((now, message))
                if method == "textDocument/publishDiagnostics":
                    params = message["params"]
                    self.publications.append(
                        Publication(
                            params["uri"], params.get("version"), params["diagnostics"], now
                        )
                    )
            else:
                self._responses[message["id"]] = message
            self._lock.notify_all()

    def _answer(self, request: dict[str, Any]) -> None:
        result: Any = None
        if request["method"] == "workspace/configuration":
            result = [None for _ in request["params"]["items"]]
        self._send({"jsonrpc": "2.0", "id": request["id"], "result": result})

    # -- requests and notifications -----------------------------------------------------------
    def send_request(self, method: str, params: Any) -> int:
        with self._lock:
            self._next_id += 1
            request_id = self._next_id
        self._send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        return request_id

    def response(self, request_id: int, timeout: float = 30.0) -> dict[str, Any]:
        return self.wait(lambda: self._responses.get(request_id), timeout, f"reply #{request_id}")

    def request(self, method: str, params: Any, timeout: float = 30.0) -> Any:
        reply = self.response(self.send_request(method, params), timeout)
        if "error" in reply:
            raise ServerError(reply["error"])
        return reply.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait(self, condition: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                value = condition()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
                if self.process.poll() is not None:
                    raise AssertionError(
                        f"the server exited ({self.process.returncode}) while waiting for {what}"
                    )
                self._lock.wait(min(left, 0.05))

    # -- the LSP conversation -----------------------------------------------------------------
    def initialize(
        self,
        folders: Iterable[Path] = (),
        init_options: Any = None,
        capabilities: Mapping[str, Any] | None = None,
        root: Path | None = None,
    ) -> dict[str, Any]:
        folders = list(folders)
        root = root or (folders[0] if folders else None)
        result = self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root.as_uri() if root else None,
                "capabilities": dict(capabilities or CAPABILITIES),
                "workspaceFolders": [{"uri": f.as_uri(), "name": f.name} for f in folders] or None,
                "initializationOptions": init_options,
            },
        )
        self.notify("initialized", {})
        return result

    def open(self, uri: str, text: str, language_id: str = "python", version: int = 1) -> None:
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": language_id,
                    "version": version,
                    "text": text,
                }
            },
        )

    def change(self, uri: str, version: int, changes: list[dict[str, Any]]) -> None:
        self.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": changes},
        )

    def close_document(self, uri: str) -> None:
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def published(self, uri: str) -> list[Publication]:
        with self._lock:
            return [p for p in self.publications if p.uri == uri]

    def wait_published(
        self,
        uri: str,
        version: int | None,
        timeout: float = 30.0,
        after: int = 0,
    ) -> Publication:
        """The first publication for ``uri`` at ``version`` (index >= ``after`` among the uri's)."""

        def find() -> Publication | None:
            for publication in [p for p in self.publications if p.uri == uri][after:]:
                if publication.version == version:
                    return publication
            return None

        return self.wait(find, timeout, f"diagnostics for {uri} v{version}")

    def log_messages(self) -> list[str]:
        with self._lock:
            return [
                m["params"]["message"]
                for _, m in self.notifications
                if m["method"] == "window/logMessage"
            ]

    def popups(self) -> list[str]:
        with self._lock:
            return [
                m["params"]["message"]
                for _, m in self.notifications
                if m["method"] == "window/showMessage"
            ]

    def rss_kib(self) -> int:
        """The server process's resident memory (Linux ``/proc``)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS in /proc status")

    def alive(self) -> bool:
        return self.process.poll() is None

    def shutdown(self, timeout: float = 30.0) -> int:
        """``shutdown`` + ``exit``; returns the process's exit code."""
        try:
            self.request("shutdown", None, timeout)
            self.notify("exit", None)
            return self.process.wait(timeout)
        finally:
            self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self._stderr.close()


def full_change(text: str) -> dict[str, Any]:
    return {"text": text}


def range_change(start: tuple[int, int], end: tuple[int, int], text: str) -> dict[str, Any]:
    return {
        "range": {
            "start": {"line": start[0], "character": start[1]},
            "end": {"line": end[0], "character": end[1]},
        },
        "text": text,
    }


# ---------------------------------------------------------------------------------------------
# UTF-16 positions, computed independently of djvet.lsp.convert
# ---------------------------------------------------------------------------------------------

_BREAK = re.compile(r"\r\n|\r|\n")


def line_table(text: str) -> list[tuple[int, int]]:
    """(start, end-of-content) offsets of every line, with LSP's three line breaks."""
    spans = []
    start = 0
    for match in _BREAK.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def position_of(text: str, offset: int) -> dict[str, int]:
    """The LSP position (UTF-16) of a code-point offset that is not inside a CRLF pair."""
    lines = line_table(text)
    for number, (start, end) in enumerate(lines):
        if start <= offset <= end:
            return {"line": number, "character": utf16_length(text[start:offset])}
    raise ValueError(f"offset {offset} lies inside a line break")


def range_problem(text: str, lsp_range: Mapping[str, Any]) -> str | None:
    """Why ``lsp_range`` is not a range inside ``text`` (None when it is)."""
    lines = line_table(text)
    points = []
    for key in ("start", "end"):
        line, character = lsp_range[key]["line"], lsp_range[key]["character"]
        if not 0 <= line < len(lines):
            return f"{key} line {line} of a {len(lines)}-line document"
        start, end = lines[line]
        width = utf16_length(text[start:end])
        if not 0 <= character <= width:
            return f"{key} character {character} on a line {width} UTF-16 units long"
        points.append((line, character))
    if points[0] > points[1]:
        return f"the range ends before it starts: {lsp_range}"
    return None
