"""Helpers for the language-server tests: workspaces, a publication log, an edit applier.

The edit applier here is written independently of ``djvet.lsp.convert`` (it slices encoded
bytes rather than counting characters), so applying the server's edits with it checks the
server's position conversion instead of repeating it.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

REPO = Path(__file__).resolve().parents[2]
# Without VIRTUAL_ENV: the server would read the test venv's Django as the project's.
SERVER_ENV = {
    **{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
    "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "server")]),
}
SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "djvet.lsp"], server_env=SERVER_ENV
)
CRASHING_SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "tests.lsp.launcher", "crash"], server_env=SERVER_ENV
)

CBV_MIXED = (
    "from django.views.generic import CreateView\n"
    "\n"
    "\n"
    "class BookCreate(CreateView):\n"
    "    async def get(self, request):\n"
    "        return await self.render()\n"
)
LOGOUT_URLS = (
    "from django.urls import include, path\n"
    "\n"
    'urlpatterns = [path("accounts/", include("django.contrib.auth.urls"))]\n'
)
EMPTY_URLS = "urlpatterns = []\n"
LOGOUT_TEMPLATE = "<p>Hi</p>\n<a href=\"{% url 'logout' %}\">Log out</a>\n"


def write_project(root: Path, files: Mapping[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    return root


def capabilities(profile: str) -> lsp.ClientCapabilities:
    """A pytest-lsp capability snapshot, or ``modern-vscode``: VS Code with pull diagnostics."""
    if profile == "modern-vscode":
        caps = client_capabilities("visual-studio-code")
        caps.text_document.diagnostic = lsp.DiagnosticClientCapabilities(
            dynamic_registration=False, related_document_support=True
        )
        caps.workspace.diagnostics = lsp.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
        return caps
    return client_capabilities(profile)


def record_publications(client: LanguageClient) -> list[lsp.PublishDiagnosticsParams]:
    """Keep every publishDiagnostics (with its version) in order, besides pytest-lsp's latest-only map."""
    published: list[lsp.PublishDiagnosticsParams] = []
    features = client.protocol.fm.features
    original = features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def handler(params: lsp.PublishDiagnosticsParams) -> None:
        published.append(params)
        original(params)

    features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = handler
    client.published = published
    return published


async def initialize(
    client: LanguageClient,
    root: Path,
    profile: str,
    init_options: Any = None,
) -> lsp.InitializeResult:
    record_publications(client)
    client.registrations = []

    @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params: lsp.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)

    return await client.initialize_session(
        lsp.InitializeParams(
            capabilities=capabilities(profile),
            root_uri=root.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=init_options,
        )
    )


async def wait_until(
    condition: Callable[[], Any], timeout: float = 30.0, what: str = "condition"
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.01)


def publications(client: LanguageClient, uri: str) -> list[lsp.PublishDiagnosticsParams]:
    return [p for p in client.published if p.uri == uri]


async def wait_published(
    client: LanguageClient,
    uri: str,
    version: int | None = None,
    where: Callable[[list[lsp.Diagnostic]], bool] = lambda _: True,
    after: int = 0,
    timeout: float = 30.0,
) -> lsp.PublishDiagnosticsParams:
    """The first publication for ``uri`` (index >= ``after``) with ``version`` satisfying ``where``."""

    def find() -> lsp.PublishDiagnosticsParams | None:
        for params in publications(client, uri)[after:]:
            if (version is None or params.version == version) and where(list(params.diagnostics)):
                return params
        return None

    return await wait_until(find, timeout, f"diagnostics for {uri} v{version}")


def codes(diagnostics: list[lsp.Diagnostic]) -> list[str]:
    return [str(d.code) for d in diagnostics]


def open_document(
    client: LanguageClient, path: Path, text: str, language_id: str, version: int = 1
) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri=uri, language_id=language_id, version=version, text=text
            )
        )
    )
    return uri


def change_document(
    client: LanguageClient, uri: str, version: int, *changes: lsp.TextDocumentContentChangeEvent
) -> None:
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=list(changes),
        )
    )


def replace_all(text: str) -> lsp.TextDocumentContentChangeWholeDocument:
    return lsp.TextDocumentContentChangeWholeDocument(text=text)


def insert_at(line: int, character: int, text: str) -> lsp.TextDocumentContentChangePartial:
    position = lsp.Position(line, character)
    return lsp.TextDocumentContentChangePartial(range=lsp.Range(position, position), text=text)


# ---------------------------------------------------------------------------------------------
# An independent edit applier
# ---------------------------------------------------------------------------------------------

_BREAK = re.compile(r"\r\n|\r|\n")


def _line_starts(text: str) -> list[int]:
    return [0, *(m.end() for m in _BREAK.finditer(text))]


def offset_of(text: str, position: lsp.Position, encoding: str = "utf-16") -> int:
    starts = _line_starts(text)
    if position.line >= len(starts):
        return len(text)
    start = starts[position.line]
    end = starts[position.line + 1] if position.line + 1 < len(starts) else len(text)
    line = _BREAK.sub("", text[start:end])
    if encoding == "utf-32":
        return start + min(position.character, len(line))
    codec, width = ("utf-16-le", 2) if encoding == "utf-16" else ("utf-8", 1)
    data = line.encode(codec, "surrogatepass")[: position.character * width]
    return start + len(data.decode(codec, "surrogatepass"))


def apply_text_edits(text: str, edits: list[lsp.TextEdit], encoding: str = "utf-16") -> str:
    resolved = sorted(
        (
            (
                offset_of(text, e.range.start, encoding),
                offset_of(text, e.range.end, encoding),
                e.new_text,
            )
            for e in edits
        ),
        reverse=True,
    )
    for start, end, new in resolved:
        text = text[:start] + new + text[end:]
    return text


def edits_for(edit: lsp.WorkspaceEdit, uri: str) -> list[lsp.TextEdit]:
    if edit.document_changes:
        out: list[lsp.TextEdit] = []
        for change in edit.document_changes:
            assert isinstance(change, lsp.TextDocumentEdit)
            assert change.text_document.uri == uri
            out.extend(change.edits)
        return out
    assert edit.changes is not None
    return list(edit.changes[uri])


def edit_version(edit: lsp.WorkspaceEdit) -> int | None:
    if edit.document_changes:
        change = edit.document_changes[0]
        assert isinstance(change, lsp.TextDocumentEdit)
        return change.text_document.version
    return None
