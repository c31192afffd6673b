"""Workspaces: no folder at all, files outside every folder, unsaved buffers, folders added later."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient, client_capabilities

from .helpers import (
    CBV_MIXED,
    LOGOUT_TEMPLATE,
    LOGOUT_URLS,
    SERVER,
    codes,
    open_document,
    record_publications,
    wait_published,
    write_project,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    record_publications(lsp_client)
    # An editor started on a single file: no rootUri, no workspace folders.
    await lsp_client.initialize_session(
        lsp.InitializeParams(capabilities=client_capabilities("neovim@v0.7.0"))
    )
    lsp_client.tmp = tmp_path_factory
    yield
    await lsp_client.shutdown_session()


async def test_a_file_outside_every_folder_is_checked_within_its_project(
    client: LanguageClient,
) -> None:
    root = write_project(
        client.tmp.mktemp("loose"),
        {"manage.py": "", "site_/urls.py": LOGOUT_URLS, "templates/page.html": LOGOUT_TEMPLATE},
    )
    # The template's finding needs the project's urls.py, found from the manage.py root.
    uri = open_document(client, root / "templates/page.html", LOGOUT_TEMPLATE, "htmldjango")
    params = await wait_published(client, uri, 1, lambda d: "DJV101" in codes(d))
    assert codes(params.diagnostics) == ["DJV101"]


async def test_an_unsaved_buffer_is_checked(client: LanguageClient) -> None:
    uri = "untitled:Untitled-1"
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=CBV_MIXED
            )
        )
    )
    params = await wait_published(client, uri, 1, bool)
    assert codes(params.diagnostics) == ["DJV201"]
    hover = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=params.diagnostics[0].range.start,
        )
    )
    assert hover is not None


async def test_a_folder_added_later_is_indexed_and_checked(client: LanguageClient) -> None:
    root = write_project(
        client.tmp.mktemp("added"),
        {
            "pyproject.toml": '[project]\nname = "added"\n',
            "proj/urls.py": LOGOUT_URLS,
            "templates/t.html": LOGOUT_TEMPLATE,
        },
    )
    client.workspace_did_change_workspace_folders(
        lsp.DidChangeWorkspaceFoldersParams(
            event=lsp.WorkspaceFoldersChangeEvent(
                added=[lsp.WorkspaceFolder(uri=root.as_uri(), name="added")], removed=[]
            )
        )
    )
    uri = open_document(client, root / "templates/t.html", LOGOUT_TEMPLATE, "htmldjango")
    params = await wait_published(client, uri, 1, lambda d: "DJV101" in codes(d))
    assert params.diagnostics[0].code_description is not None
