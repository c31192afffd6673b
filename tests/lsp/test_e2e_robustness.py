"""Fail soft, log loud, notify once: a crashing rule, huge and binary files, clean exit, TCP.

The server here is ``tests.lsp.launcher crash``: the real server with one extra rule that
raises on every Python document.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from .helpers import (
    CBV_MIXED,
    CRASHING_SERVER,
    SERVER,
    SERVER_ENV,
    change_document,
    codes,
    initialize,
    insert_at,
    open_document,
    publications,
    wait_published,
    wait_until,
    write_project,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

PROJECT = {
    "pyproject.toml": '[project]\nname = "rb"\ndependencies = ["Django>=5.2,<6.0"]\n',
    "manage.py": "",
    "app/views.py": CBV_MIXED,
}


@pytest_lsp.fixture(scope="module", config=CRASHING_SERVER)
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    root = write_project(tmp_path_factory.mktemp("rb"), PROJECT)
    await initialize(lsp_client, root, "visual-studio-code")
    lsp_client.root = root
    yield
    await lsp_client.shutdown_session()


def crash_logs(client: LanguageClient) -> list[lsp.LogMessageParams]:
    return [m for m in client.log_messages if "TST999" in m.message]


async def test_a_crashing_rule_is_logged_once_and_the_others_still_report(
    client: LanguageClient,
) -> None:
    uri = open_document(client, client.root / "app/views.py", CBV_MIXED, "python")
    params = await wait_published(client, uri, 1, bool)
    assert codes(params.diagnostics) == ["DJV201"]
    await wait_until(lambda: crash_logs(client), what="the rule failure in window/logMessage")
    for version in range(2, 6):
        change_document(client, uri, version, insert_at(0, 0, "# edit\n"))
    await wait_published(client, uri, 5, lambda d: codes(d) == ["DJV201"])
    (log,) = crash_logs(client)  # once, not once per keystroke
    assert log.type == lsp.MessageType.Error
    assert "deliberate failure for the test suite" in log.message
    assert "the other rules still ran" in log.message
    assert client.messages == []  # no popup


async def test_a_5_mb_file_does_not_stall_the_server(client: LanguageClient) -> None:
    root = client.root
    huge = "x = 1  # filler line of a generated module, sixty characters\n" * 85_000
    assert len(huge) > 5_000_000
    big = open_document(client, root / "app/generated.py", huge, "python")
    for version in range(2, 5):  # typing in it
        change_document(client, big, version, insert_at(10, 0, "y = 2\n"))
    started = time.monotonic()
    small = open_document(client, root / "app/small.py", CBV_MIXED, "python")
    await wait_published(client, small, 1, bool)
    hover = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=small), position=lsp.Position(3, 8)
        )
    )
    assert hover is not None
    assert time.monotonic() - started < 10, "the big file held up an unrelated document"
    await wait_until(
        lambda: any(
            "generated.py" in m.message and "checks files up to 1 MB" in m.message
            for m in client.log_messages
        )
    )
    assert publications(client, big) == []  # never checked, never a popup
    assert client.messages == []


async def test_a_large_file_is_checked_on_open_and_save_not_per_keystroke(
    client: LanguageClient,
) -> None:
    root = client.root
    # 0.4 MB: above the per-keystroke limit, below the hard one
    large = CBV_MIXED + ("# " + "generated data " * 6 + "\n") * 4500
    uri = open_document(client, root / "app/large.py", large, "python")
    await wait_published(client, uri, 1, lambda d: codes(d) == ["DJV201"], timeout=30)
    change_document(client, uri, 2, insert_at(0, 0, "# edit\n"))
    await asyncio.sleep(0.5)
    assert [p.version for p in publications(client, uri)] == [1]
    client.text_document_did_save(
        lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    params = await wait_published(client, uri, 2, timeout=30)
    assert codes(params.diagnostics) == ["DJV201"]
    assert params.diagnostics[0].range.start.line == 4  # one line lower after the edit


async def test_a_binary_file_is_skipped_with_a_note(client: LanguageClient) -> None:
    root = client.root
    uri = open_document(client, root / "app/blob.py", "\x00\x01\x02garbage\x00" * 1000, "python")
    await wait_until(
        lambda: any("blob.py" in m.message and "binary" in m.message for m in client.log_messages)
    )
    sentinel = open_document(client, root / "app/after_blob.py", CBV_MIXED, "python")
    await wait_published(client, sentinel, 1, bool)
    assert publications(client, uri) == []


async def test_shutdown_and_exit_are_clean(lsp_client_factory_unused: None = None) -> None:
    """A fresh server: shutdown answers, exit ends the process with code 0."""
    client = await SERVER.start()
    assert isinstance(client, LanguageClient)
    try:
        root_uri = "file:///nonexistent-djvet-test-root"
        await client.initialize_session(
            lsp.InitializeParams(capabilities=lsp.ClientCapabilities(), root_uri=root_uri)
        )
        await client.shutdown_session()
        assert client._server is not None
        assert client._server.returncode == 0
    finally:
        await client.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _frame(payload: dict) -> bytes:
    body = json.dumps(payload).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def _read_message(reader: asyncio.StreamReader) -> dict:
    header = await reader.readuntil(b"\r\n\r\n")
    length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
    return json.loads(await reader.readexactly(length))


async def test_tcp_transport() -> None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "djvet.lsp", "--tcp", f"127.0.0.1:{port}", env=SERVER_ENV
    )
    try:
        for _ in range(200):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("the server never listened")
        writer.write(
            _frame(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {"capabilities": {}, "rootUri": None},
                }
            )
        )
        await writer.drain()
        while (message := await asyncio.wait_for(_read_message(reader), 30)).get("id") != 1:
            pass
        assert message["result"]["serverInfo"]["name"] == "djvet"
        writer.write(_frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None}))
        writer.write(_frame({"jsonrpc": "2.0", "method": "exit", "params": None}))
        await writer.drain()
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
