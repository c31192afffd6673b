"""Pull diagnostics (``textDocument/diagnostic``, ``workspace/diagnostic``) for clients that support them.

A client that can pull *and* be told to re-pull (``workspace.diagnostics.refreshSupport``,
as current VS Code) gets pull mode: no ``publishDiagnostics`` at all, result ids, and
unchanged reports when nothing changed.
"""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from .helpers import (
    CBV_MIXED,
    LOGOUT_TEMPLATE,
    LOGOUT_URLS,
    SERVER,
    change_document,
    codes,
    initialize,
    open_document,
    publications,
    replace_all,
    write_project,
)

PROJECT = {
    "pyproject.toml": '[project]\nname = "pull"\ndependencies = ["Django>=5.2,<6.0"]\n',
    "manage.py": "",
    "pull/urls.py": LOGOUT_URLS,
    "books/views.py": CBV_MIXED,
    "books/other.py": CBV_MIXED.replace("BookCreate", "OtherCreate"),
    "books/clean.py": "x = 1\n",
    "templates/base.html": LOGOUT_TEMPLATE,
}

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    root = write_project(tmp_path_factory.mktemp("pull"), PROJECT)
    lsp_client.result = await initialize(lsp_client, root, "modern-vscode")
    lsp_client.root = root
    yield
    await lsp_client.shutdown_session()


async def pull(
    client: LanguageClient, uri: str, previous: str | None = None
) -> lsp.DocumentDiagnosticReport:
    return await client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), previous_result_id=previous
        )
    )


async def test_pull_provider_is_advertised(client: LanguageClient) -> None:
    provider = client.result.capabilities.diagnostic_provider
    assert isinstance(provider, lsp.DiagnosticOptions)
    assert provider.identifier == "djvet"
    assert provider.inter_file_dependencies is True
    assert provider.workspace_diagnostics is True


async def test_document_pull_full_then_unchanged_then_new_after_a_change(
    client: LanguageClient,
) -> None:
    uri = open_document(client, client.root / "books/views.py", CBV_MIXED, "python")
    first = await pull(client, uri)
    assert isinstance(first, lsp.RelatedFullDocumentDiagnosticReport)
    assert codes(list(first.items)) == ["DJV201"]
    assert first.items[0].data["version"] == 1
    assert first.result_id
    same = await pull(client, uri, first.result_id)
    assert isinstance(same, lsp.RelatedUnchangedDocumentDiagnosticReport)
    assert same.result_id == first.result_id
    change_document(
        client,
        uri,
        2,
        replace_all(CBV_MIXED.replace("async def get", "def get").replace("await ", "")),
    )
    after = await pull(client, uri, first.result_id)
    assert isinstance(after, lsp.RelatedFullDocumentDiagnosticReport)
    assert codes(list(after.items)) == []
    assert after.result_id != first.result_id
    await asyncio.sleep(0.2)
    assert publications(client, uri) == [], "pull mode must not push as well"


async def test_hover_and_actions_work_without_any_push(client: LanguageClient) -> None:
    uri = open_document(client, client.root / "books/other.py", PROJECT["books/other.py"], "python")
    report = await pull(client, uri)
    assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport)
    (diag,) = report.items
    hover = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=diag.range.start
        )
    )
    assert hover is not None and "DJV201" in hover.contents.value
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=diag.range,
            context=lsp.CodeActionContext(diagnostics=[diag]),
        )
    )
    assert actions and any(a.is_preferred for a in actions if isinstance(a, lsp.CodeAction))
    client.text_document_did_close(
        lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )


async def test_workspace_pull_covers_unopened_files_and_reports_unchanged_ones(
    client: LanguageClient,
) -> None:
    root = client.root
    report = await client.workspace_diagnostic_async(
        lsp.WorkspaceDiagnosticParams(previous_result_ids=[])
    )
    by_uri = {item.uri: item for item in report.items}
    other = by_uri[(root / "books/other.py").as_uri()]
    assert isinstance(other, lsp.WorkspaceFullDocumentDiagnosticReport)
    assert codes(list(other.items)) == ["DJV201"]
    assert other.version is None  # read from disk
    template = by_uri[(root / "templates/base.html").as_uri()]
    assert codes(list(template.items)) == ["DJV101"]
    assert codes(list(by_uri[(root / "books/clean.py").as_uri()].items)) == []
    opened = by_uri[(root / "books/views.py").as_uri()]
    assert opened.version == 2  # the open buffer, not the disk
    previous = [
        lsp.PreviousResultId(uri=item.uri, value=item.result_id)
        for item in report.items
        if item.result_id
    ]
    again = await client.workspace_diagnostic_async(
        lsp.WorkspaceDiagnosticParams(previous_result_ids=previous)
    )
    assert again.items and all(
        isinstance(i, lsp.WorkspaceUnchangedDocumentDiagnosticReport) for i in again.items
    )
