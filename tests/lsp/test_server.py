"""The server's own plumbing under pygls: stdin read by the event loop, ``didChange`` sent
straight to its handler (the rest of server.py is exercised end to end by the e2e tests)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from djvet.lsp.server import _loop_reader, build_server


async def test_a_pipe_is_read_by_the_event_loop_up_to_its_end() -> None:
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "rb") as stdin:
        reader = await _loop_reader(stdin)
        assert reader is not None
        os.write(write_fd, b'Content-Length: 2\r\n\r\n{}Content-Length: 9\r\n\r\n{"a"')
        assert await reader.readline() == b"Content-Length: 2\r\n"
        assert await reader.readline() == b"\r\n"
        assert await reader.readexactly(2) == b"{}"
        assert await reader.readline() == b"Content-Length: 9\r\n"
        assert await reader.readline() == b"\r\n"
        os.close(write_fd)  # the client goes away mid-message
        assert await reader.readexactly(9) == b'{"a"'  # what came: pygls then stops
        assert await reader.readline() == b""


async def test_anything_but_a_pipe_keeps_the_thread_reader(tmp_path: Path) -> None:
    """epoll cannot watch a file or ``/dev/null`` (a server started with stdin closed)."""
    file = tmp_path / "input"
    file.write_bytes(b"Content-Length: 2\r\n\r\n{}")
    with file.open("rb") as stdin:
        assert await _loop_reader(stdin) is None
    with open(os.devnull, "rb") as stdin:
        assert await _loop_reader(stdin) is None


def test_did_change_goes_to_its_handler_and_a_failure_is_reported_not_raised() -> None:
    server = build_server()
    protocol = server.protocol
    received: list[Any] = []
    errors: list[Exception] = []
    server.report_server_error = lambda error, source: errors.append(error)  # type: ignore[method-assign]

    def message(version: int) -> Any:
        return protocol.structure_message(
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didChange",
                "params": {
                    "textDocument": {"uri": "file:///p/a.py", "version": version},
                    "contentChanges": [{"text": "x = 1\n"}],
                },
            }
        )

    def handler(params: Any) -> None:
        received.append(params)
        if params.text_document.version == 2:
            raise RuntimeError("handler bug")

    protocol.fm.features["textDocument/didChange"] = handler
    protocol.handle_message(message(1))
    protocol.handle_message(message(2))
    protocol.handle_message(message(3))
    assert [p.text_document.version for p in received] == [1, 2, 3]
    assert [str(e) for e in errors] == ["handler bug"]
    assert received[0].content_changes[0].text == "x = 1\n"
