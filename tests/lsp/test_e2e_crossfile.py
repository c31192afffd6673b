"""Cross-file freshness: a template's DJV101 follows the URLconf as it is saved or changed on disk.

Push (VS Code 1.65 capabilities): the template's diagnostics are re-published after a save of
``urls.py`` or a ``workspace/didChangeWatchedFiles`` event. Pull (VS Code with pull
diagnostics): the server asks the client to re-pull, and the pulled report changes.
"""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from .helpers import (
    EMPTY_URLS,
    LOGOUT_TEMPLATE,
    LOGOUT_URLS,
    SERVER,
    change_document,
    codes,
    initialize,
    open_document,
    publications,
    replace_all,
    wait_published,
    wait_until,
    write_project,
)

PROJECT = {
    "pyproject.toml": '[project]\nname = "site"\ndependencies = ["Django>=5.2,<6.0"]\n',
    "manage.py": "",
    "site_/__init__.py": "",
    "site_/urls.py": EMPTY_URLS,
    "templates/base.html": LOGOUT_TEMPLATE,
}
DIRECT_ROUTE = (
    "from django.contrib.auth.views import LogoutView\n"
    "from django.urls import path\n"
    "\n"
    'urlpatterns = [path("bye/", LogoutView.as_view(), name="logout")]\n'
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(scope="module", params=["visual-studio-code", "modern-vscode"], config=SERVER)
async def client(
    request: pytest.FixtureRequest,
    lsp_client: LanguageClient,
    tmp_path_factory: pytest.TempPathFactory,
):
    root = write_project(tmp_path_factory.mktemp("site"), PROJECT)
    await initialize(lsp_client, root, request.param)
    lsp_client.root = root
    lsp_client.pull = request.param == "modern-vscode"
    yield
    await lsp_client.shutdown_session()


async def template_codes(
    client: LanguageClient, uri: str, expect: list[str], after: int
) -> list[str]:
    """The template's codes once they equal ``expect`` (pushed, or pulled after a refresh request)."""
    if not client.pull:
        params = await wait_published(client, uri, 1, lambda d: codes(d) == expect, after=after)
        return codes(params.diagnostics)
    await wait_until(
        lambda: client.diagnostic_refresh_count > after, what="workspace/diagnostic/refresh"
    )
    # A refresh for an earlier event may arrive first: pull until the report catches up.
    for _ in range(200):
        report = await client.text_document_diagnostic_async(
            lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
        )
        assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport)
        found = codes(list(report.items))
        if found == expect:
            break
        await asyncio.sleep(0.05)
    return found


def mark(client: LanguageClient, uri: str) -> int:
    """Where to start looking for the next change (publications seen / refreshes requested)."""
    if client.pull:
        return client.diagnostic_refresh_count
    return len(publications(client, uri))


async def initial(client: LanguageClient, uri: str) -> list[str]:
    if client.pull:
        report = await client.text_document_diagnostic_async(
            lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
        )
        assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport)
        return codes(list(report.items))
    return codes(list((await wait_published(client, uri, 1)).diagnostics))


async def test_saving_urls_py_adds_and_removes_the_template_finding(client: LanguageClient) -> None:
    root = client.root
    template = open_document(client, root / "templates/base.html", LOGOUT_TEMPLATE, "django-html")
    assert await initial(client, template) == []  # no route to LogoutView yet
    urls = open_document(client, root / "site_/urls.py", EMPTY_URLS, "python")
    # Add the auth URLs in the editor and save: the template must now be flagged.
    before = mark(client, template)
    change_document(client, urls, 2, replace_all(LOGOUT_URLS))
    client.text_document_did_save(
        lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=urls))
    )
    assert await template_codes(client, template, ["DJV101"], before) == ["DJV101"]
    # Remove the route again and save: the finding goes away.
    before = mark(client, template)
    change_document(client, urls, 3, replace_all(EMPTY_URLS))
    client.text_document_did_save(
        lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=urls))
    )
    assert await template_codes(client, template, [], before) == []
    client.text_document_did_close(
        lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=urls))
    )


async def test_watched_file_events_add_and_remove_the_template_finding(
    client: LanguageClient,
) -> None:
    root = client.root
    template = (root / "templates/base.html").as_uri()
    extra = root / "site_/auth_urls.py"
    before = mark(client, template)
    extra.write_text(
        DIRECT_ROUTE, encoding="utf-8"
    )  # a route to LogoutView, written outside the editor
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=extra.as_uri(), type=lsp.FileChangeType.Created)]
        )
    )
    assert await template_codes(client, template, ["DJV101"], before) == ["DJV101"]
    before = mark(client, template)
    extra.unlink()
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=extra.as_uri(), type=lsp.FileChangeType.Deleted)]
        )
    )
    assert await template_codes(client, template, [], before) == []


async def test_file_watchers_were_registered(client: LanguageClient) -> None:
    registrations = {r.method: r for r in client.registrations}
    watched = registrations[lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    options = watched.register_options
    assert isinstance(options, dict)
    globs = [w["globPattern"] for w in options["watchers"]]
    assert "**/*.py" in globs and "**/pyproject.toml" in globs
