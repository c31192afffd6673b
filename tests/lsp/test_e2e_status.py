"""``djvet/status`` (the VS Code status bar's source) and the cancelled-pull retrigger shape.

The contract is vscode-extension/PROTOCOL.md: the server reports the project's Django version,
where it came from, whether it is indexing and how many files the index holds.
"""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from pytest_lsp import LanguageClient

from .helpers import CBV_MIXED, SERVER, initialize, write_project

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    statuses: list[dict] = []

    @lsp_client.feature("djvet/status")
    def on_status(params) -> None:
        statuses.append(params)

    root = write_project(
        tmp_path_factory.mktemp("status"),
        {
            "pyproject.toml": '[project]\nname = "s"\ndependencies = ["Django>=4.2,<4.3"]\n',
            "manage.py": "",
            "app/__init__.py": "",
            "app/views.py": CBV_MIXED,
            "templates/base.html": "<p>hi</p>\n",
        },
    )
    lsp_client.statuses = statuses
    await initialize(lsp_client, root, "visual-studio-code")
    yield
    await lsp_client.shutdown_session()


def field(params, name):
    return params[name] if isinstance(params, dict) else getattr(params, name)


async def test_status_reports_version_source_and_indexing(client: LanguageClient) -> None:
    for _ in range(200):
        if any(not field(s, "indexing") for s in client.statuses):
            break
        await asyncio.sleep(0.05)
    assert client.statuses, "no djvet/status notification"
    first = client.statuses[0]
    assert field(first, "djangoVersion") == "4.2"
    assert "pyproject.toml" in field(first, "djangoVersionSource")
    assert field(first, "indexing") is True
    last = client.statuses[-1]
    assert field(last, "indexing") is False
    assert field(last, "files") == 4  # manage.py, app/__init__.py, app/views.py, one template
