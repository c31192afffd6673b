"""Settings end to end: initializationOptions, didChangeConfiguration, workspace/configuration,
``[tool.djvet]`` — each change takes effect on the open document, in the documented order.

Order (lowest to highest): [tool.djvet] < initializationOptions < didChangeConfiguration
payload < workspace/configuration answer; key by key.
"""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from .helpers import (
    CBV_MIXED,
    SERVER,
    codes,
    initialize,
    open_document,
    publications,
    wait_published,
    write_project,
)

PYPROJECT = '[project]\nname = "cfg"\ndependencies = ["Django>=5.2,<6.0"]\n\n[tool.djvet]\nignore = ["DJV201"]\n'
INIT_OPTIONS = {"djvet": {"severity": {"DJV201": "warning"}, "debounceMs": 5}}

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    root = write_project(
        tmp_path_factory.mktemp("cfg"),
        {"pyproject.toml": PYPROJECT, "manage.py": "", "app/views.py": CBV_MIXED},
    )
    await initialize(lsp_client, root, "visual-studio-code", init_options=INIT_OPTIONS)
    lsp_client.root = root
    lsp_client.uri = open_document(lsp_client, root / "app/views.py", CBV_MIXED, "python")
    yield
    await lsp_client.shutdown_session()


async def reconfigure(
    client: LanguageClient, pulled: dict | None = None, pushed: object = None
) -> lsp.PublishDiagnosticsParams:
    """Change settings and return the next publication for the document."""
    if pulled is not None:
        client.set_configuration({"djvet": pulled})
    count = len(publications(client, client.uri))
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=pushed))
    return await wait_published(client, client.uri, 1, after=count)


async def test_tool_djvet_applies_and_editor_settings_override_it_key_by_key(
    client: LanguageClient,
) -> None:
    first = await wait_published(client, client.uri, 1)
    assert codes(first.diagnostics) == []  # [tool.djvet] ignores DJV201
    params = await reconfigure(client, pulled={"ignore": []})
    (diag,) = params.diagnostics
    assert diag.code == "DJV201"
    assert diag.severity == lsp.DiagnosticSeverity.Warning  # from initializationOptions
    assert diag.code_description is not None and "/en/5.2/" in diag.code_description.href


async def test_django_version_setting_changes_the_docs_links(client: LanguageClient) -> None:
    params = await reconfigure(client, pulled={"ignore": [], "djangoVersion": "4.2"})
    (diag,) = params.diagnostics
    assert diag.code_description is not None
    assert diag.code_description.href.startswith("https://docs.djangoproject.com/en/4.2/")


async def test_interpreter_setting_reads_that_environments_django(client: LanguageClient) -> None:
    env = client.root.parent / "other-env"
    (env / "lib/python3.11/site-packages/Django-5.0.3.dist-info").mkdir(parents=True)
    (env / "bin").mkdir()
    (env / "bin/python").write_text("#!/bin/sh\nexit 99\n", encoding="utf-8")  # never run
    params = await reconfigure(
        client, pulled={"ignore": [], "interpreter": str(env / "bin/python")}
    )
    (diag,) = params.diagnostics
    assert diag.code_description is not None
    assert diag.code_description.href.startswith("https://docs.djangoproject.com/en/5.0/")


async def test_pushed_settings_count_and_pulled_ones_win(client: LanguageClient) -> None:
    client.set_configuration({"djvet": {}})
    params = await reconfigure(client, pushed={"djvet": {"ignore": ["DJV201"]}})
    assert codes(params.diagnostics) == []  # the pushed ignore replaces [tool.djvet]'s (same here)
    params = await reconfigure(
        client, pulled={"ignore": []}, pushed={"djvet": {"ignore": ["DJV201"]}}
    )
    assert codes(params.diagnostics) == ["DJV201"]  # pulled beats pushed
    params = await reconfigure(client, pulled={"ignore": [], "severity": {"DJV201": "hint"}})
    assert (
        params.diagnostics[0].severity == lsp.DiagnosticSeverity.Hint
    )  # pulled beats initializationOptions


async def test_enable_false_clears_and_true_restores(client: LanguageClient) -> None:
    params = await reconfigure(client, pulled={"enable": False})
    assert codes(params.diagnostics) == []
    hover = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=client.uri), position=lsp.Position(3, 8)
        )
    )
    assert hover is None
    params = await reconfigure(client, pulled={"enable": True, "ignore": []})
    assert codes(params.diagnostics) == ["DJV201"]


async def test_bad_settings_fall_back_to_defaults_with_one_logged_message(
    client: LanguageClient,
) -> None:
    logged = len(client.log_messages)
    bad = {"ignore": 5, "debounceMs": "fast", "nope": 1}
    params = await reconfigure(client, pulled=bad)
    # ignore falls back to its default (the project's [tool.djvet] ignore), the rest to defaults
    assert codes(params.diagnostics) == []
    warnings = [m for m in client.log_messages[logged:] if m.type == lsp.MessageType.Warning]
    assert len(warnings) == 1
    for key in ("djvet.ignore", "djvet.debounceMs", "djvet.nope"):
        assert key in warnings[0].message
    # The same bad settings again: no second message.
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    await reconfigure(client, pulled={**bad, "ignore": []})
    again = [m for m in client.log_messages[logged:] if m.type == lsp.MessageType.Warning]
    assert len(again) == 2  # only the changed set (ignore is now valid) is reported anew
    assert "djvet.ignore" not in again[1].message
    assert client.messages == [], "never a popup"


async def test_editing_pyproject_on_disk_reconfigures(client: LanguageClient) -> None:
    client.set_configuration(
        {"djvet": {"ignore": []}}
    )  # DJV201 is reported (as in the test before)
    root = client.root
    pyproject = root / "pyproject.toml"
    pyproject.write_text(PYPROJECT + 'select = ["DJV1"]\n', encoding="utf-8")
    count = len(publications(client, client.uri))
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=pyproject.as_uri(), type=lsp.FileChangeType.Changed)]
        )
    )
    params = await wait_published(client, client.uri, 1, after=count)
    assert codes(params.diagnostics) == []  # DJV201 is no longer selected
