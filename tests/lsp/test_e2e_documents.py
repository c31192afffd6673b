"""End to end over stdio with VS Code's and Neovim's capabilities: documents, diagnostics,
hover, quick fixes, "ignore", fix-all, incremental sync with non-ASCII text, broken buffers.

VS Code negotiates UTF-16 positions, Neovim 0.11 UTF-8: every expected position below is
computed from the text in the negotiated encoding, independently of the server.
"""

from __future__ import annotations

import ast

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from .helpers import (
    CBV_MIXED,
    LOGOUT_TEMPLATE,
    LOGOUT_URLS,
    SERVER,
    apply_text_edits,
    change_document,
    codes,
    edit_version,
    edits_for,
    initialize,
    insert_at,
    open_document,
    publications,
    replace_all,
    wait_published,
    wait_until,
    write_project,
)

PROJECT = {
    "pyproject.toml": '[project]\nname = "shop"\ndependencies = ["Django>=5.2,<6.0"]\n',
    "manage.py": "",
    "shop/__init__.py": "",
    "shop/urls.py": LOGOUT_URLS,
    "books/__init__.py": "",
    "books/views.py": CBV_MIXED,
    "books/models.py": (
        "from django.db import models\n\n\nclass Book(models.Model):\n"
        "    title = models.CharField(max_length=10)\n"
    ),
}
DJV201_URL = (
    "https://docs.djangoproject.com/en/5.2/topics/class-based-views/#async-class-based-views"
)
DJV101_URL = "https://docs.djangoproject.com/en/5.2/topics/auth/default/#django.contrib.auth.views.LogoutView"
EMOJI_TEMPLATE = "<h1>Shop</h1>\n<p>🎉 café 日本</p><a href=\"{% url 'logout' %}\">Log out</a>\n"

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(scope="module", params=["visual-studio-code", "neovim"], config=SERVER)
async def client(
    request: pytest.FixtureRequest,
    lsp_client: LanguageClient,
    tmp_path_factory: pytest.TempPathFactory,
):
    root = write_project(tmp_path_factory.mktemp("shop"), PROJECT)
    result = await initialize(lsp_client, root, request.param)
    lsp_client.root = root
    lsp_client.result = result
    lsp_client.encoding = str(result.capabilities.position_encoding)
    yield
    await lsp_client.shutdown_session()


def units(text: str, encoding: str) -> int:
    """Length of ``text`` in the client's position units (written independently of the server)."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def position_of(text: str, needle: str, encoding: str, after: bool = False) -> lsp.Position:
    offset = text.index(needle) + (len(needle) if after else 0)
    before = text[:offset]
    line = before.count("\n")
    return lsp.Position(line, units(before[before.rfind("\n") + 1 :], encoding))


async def actions_for(
    client: LanguageClient, uri: str, diag: lsp.Diagnostic, only: list[str] | None = None
) -> list[lsp.CodeAction]:
    result = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=diag.range,
            context=lsp.CodeActionContext(diagnostics=[diag], only=only),
        )
    )
    return [a for a in result or [] if isinstance(a, lsp.CodeAction)]


async def test_initialize_shapes_capabilities(client: LanguageClient) -> None:
    caps = client.result.capabilities
    assert client.result.server_info.name == "djvet"
    sync = caps.text_document_sync
    assert isinstance(sync, lsp.TextDocumentSyncOptions)
    assert sync.change == lsp.TextDocumentSyncKind.Incremental
    assert sync.open_close
    assert caps.hover_provider
    assert isinstance(caps.code_action_provider, lsp.CodeActionOptions)
    assert set(caps.code_action_provider.code_action_kinds or []) == {
        "quickfix",
        "source.fixAll.djvet",
    }
    # Neither client can be told to re-pull, so both get pushed diagnostics and no pull provider
    # (Neovim 0.11 would otherwise pull *and* receive pushes: every problem shown twice).
    assert caps.diagnostic_provider is None
    expected = (
        "utf-8"
        if client.capabilities.general.position_encodings
        and "utf-8" in client.capabilities.general.position_encodings
        else "utf-16"
    )
    assert client.encoding == expected


async def test_python_diagnostic_carries_code_link_version_related_and_fix(
    client: LanguageClient,
) -> None:
    path = client.root / "books/views.py"
    uri = open_document(client, path, CBV_MIXED, "python", version=3)
    params = await wait_published(client, uri, 3, lambda d: "DJV201" in codes(d))
    (diag,) = params.diagnostics
    assert diag.source == "djvet"
    assert diag.severity == lsp.DiagnosticSeverity.Error
    assert diag.code_description is not None and diag.code_description.href == DJV201_URL
    enc = client.encoding
    assert diag.range == lsp.Range(
        position_of(CBV_MIXED, "BookCreate", enc),
        position_of(CBV_MIXED, "BookCreate", enc, after=True),
    )
    assert diag.data["version"] == 3
    assert diag.data["name"] == "mixed-sync-async-handlers"
    assert diag.data["fix"]["edits"]
    assert diag.related_information, "the inherited sync handlers are pointed at"
    assert all(r.location.uri == uri for r in diag.related_information)


TEMPLATE_KINDS = [
    ("django-html", "templates/t1.html"),
    ("htmldjango", "templates/t2.html"),  # Neovim's name
    ("html", "templates/shop/t3.html"),  # plain html under a templates folder
    ("jinja", "jinja2/t4.html"),
    ("jinja-html", "jinja2/t5.jinja"),
    ("plaintext", "templates/t6.txt"),  # unknown languageId: the path decides
]


@pytest.mark.parametrize(("language_id", "relative"), TEMPLATE_KINDS)
async def test_each_kind_of_template_is_checked(
    client: LanguageClient, language_id: str, relative: str
) -> None:
    jinja = language_id.startswith("jinja")
    text = (
        EMOJI_TEMPLATE.replace("{% url 'logout' %}", "{{ url('logout') }}")
        if jinja
        else EMOJI_TEMPLATE
    )
    uri = open_document(client, client.root / relative, text, language_id)
    params = await wait_published(client, uri, 1, lambda d: "DJV101" in codes(d))
    (diag,) = params.diagnostics
    enc = client.encoding
    # The link starts after "🎉 café 日本" on the same line: UTF-16 and UTF-8 columns differ from code points.
    assert diag.range.start == position_of(text, "<a href", enc)
    assert diag.range.end == position_of(text, '">', enc, after=True)
    assert diag.code_description is not None and diag.code_description.href == DJV101_URL
    assert diag.related_information, "points at the route in urls.py"
    assert diag.related_information[0].location.uri == (client.root / "shop/urls.py").as_uri()
    # the related range is the include(...) line of urls.py, converted from that file's text
    assert diag.related_information[0].location.range.start.line == 2


async def test_documents_that_are_not_django_sources_get_nothing(client: LanguageClient) -> None:
    root = client.root
    html = open_document(
        client, root / "static/page.html", LOGOUT_TEMPLATE, "html"
    )  # not under templates/
    css = open_document(client, root / "static/site.css", "a { color: red }", "css")
    sentinel = open_document(
        client, root / "templates/sentinel.html", LOGOUT_TEMPLATE, "django-html"
    )
    await wait_published(client, sentinel, 1, lambda d: "DJV101" in codes(d))
    assert publications(client, html) == []
    assert publications(client, css) == []


async def test_hover_explains_what_why_instead_and_links_the_docs(client: LanguageClient) -> None:
    path = client.root / "templates/hover.html"
    uri = open_document(client, path, EMOJI_TEMPLATE, "django-html")
    (diag,) = (await wait_published(client, uri, 1, bool)).diagnostics
    inside = lsp.Position(diag.range.start.line, diag.range.start.character + 3)
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=inside)
    )
    assert hover is not None
    assert isinstance(hover.contents, lsp.MarkupContent)
    assert hover.contents.kind == lsp.MarkupKind.Markdown
    text = hover.contents.value
    assert "**DJV101**" in text
    assert diag.message in text  # what is wrong (and the replacement) for this Django version
    assert "**Why is this bad?**" in text
    assert "**Use instead** (Django 5.2)" in text
    assert f"]({DJV101_URL})" in text
    assert hover.range == diag.range
    outside = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(0, 1)
        )
    )
    assert outside is None


async def test_python_quick_fix_produces_code_that_parses_and_clears_the_finding(
    client: LanguageClient,
) -> None:
    path = client.root / "books/fix_me.py"
    uri = open_document(client, path, CBV_MIXED, "python")
    (diag,) = (await wait_published(client, uri, 1, bool)).diagnostics
    actions = await actions_for(client, uri, diag)
    preferred = [a for a in actions if a.is_preferred]
    assert len(preferred) == 1
    fix = preferred[0]
    assert fix.kind == lsp.CodeActionKind.QuickFix
    assert fix.title == diag.data["fix"]["title"]
    assert list(fix.diagnostics or []) == [diag]
    assert fix.edit is not None
    if client.capabilities.workspace.workspace_edit.document_changes:
        assert edit_version(fix.edit) == 1
    fixed = apply_text_edits(CBV_MIXED, edits_for(fix.edit, uri), client.encoding)
    ast.parse(fixed)
    assert "async def post" in fixed and "async def put" in fixed
    change_document(client, uri, 2, replace_all(fixed))
    params = await wait_published(client, uri, 2)
    assert "DJV201" not in codes(params.diagnostics)


ORM_VIEW = (
    "from django.http import JsonResponse\n\nfrom .models import Book\n\n\n"
    "async def detail(request, pk):\n"
    '    label = "🎉 café 日本"; book = Book.objects.get(pk=pk)\n'
    '    return JsonResponse({"t": book.title, "l": label})\n'
)


async def test_a_fix_after_emoji_on_the_same_line_lands_exactly(client: LanguageClient) -> None:
    enc = client.encoding
    uri = open_document(client, client.root / "books/orm.py", ORM_VIEW, "python")
    params = await wait_published(client, uri, 1, lambda d: "DJV301" in codes(d))
    diag = next(d for d in params.diagnostics if d.code == "DJV301")
    assert diag.range.start == position_of(ORM_VIEW, "Book.objects.get", enc)
    assert diag.range.end == position_of(ORM_VIEW, "get(pk=pk)", enc, after=True)
    hover = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=diag.range.start
        )
    )
    assert hover is not None and "DJV301" in hover.contents.value
    (fix,) = [a for a in await actions_for(client, uri, diag) if a.is_preferred]
    fixed = apply_text_edits(ORM_VIEW, edits_for(fix.edit, uri), enc)
    ast.parse(fixed)
    assert '    label = "🎉 café 日本"; book = await Book.objects.aget(pk=pk)\n' in fixed
    assert (
        fixed.replace("await ", "", 1).replace(".aget(", ".get(", 1) == ORM_VIEW
    )  # nothing else moved


async def test_template_quick_fix_is_offered_but_not_preferred_when_unsafe(
    client: LanguageClient,
) -> None:
    path = client.root / "templates/fix_me.html"
    uri = open_document(client, path, EMOJI_TEMPLATE, "django-html")
    (diag,) = (await wait_published(client, uri, 1, bool)).diagnostics
    actions = await actions_for(client, uri, diag)
    fixes = [a for a in actions if a.title == diag.data["fix"]["title"]]
    assert len(fixes) == 1 and fixes[0].is_preferred is False
    fixed = apply_text_edits(EMOJI_TEMPLATE, edits_for(fixes[0].edit, uri), client.encoding)
    assert '<p>🎉 café 日本</p><form method="post"' in fixed
    assert "{% csrf_token %}" in fixed
    change_document(client, uri, 2, replace_all(fixed))
    params = await wait_published(client, uri, 2)
    assert "DJV101" not in codes(params.diagnostics)


@pytest.mark.parametrize(
    ("relative", "language_id", "text", "code", "before", "after"),
    [
        (
            "books/ignore.py",
            "python",
            CBV_MIXED.replace("(CreateView):", "(CreateView):  # 🎉 café"),
            "DJV201",
            "# 🎉 café",
            "# 🎉 café  # djvet: ignore[DJV201]",
        ),
        (
            "templates/ignore.html",
            "django-html",
            EMOJI_TEMPLATE,
            "DJV101",
            "Log out</a>",
            "Log out</a> {# djvet: ignore[DJV101] #}",
        ),
    ],
)
async def test_ignore_action_inserts_the_comment_in_the_files_language(
    client: LanguageClient,
    relative: str,
    language_id: str,
    text: str,
    code: str,
    before: str,
    after: str,
) -> None:
    uri = open_document(client, client.root / relative, text, language_id)
    (diag,) = (await wait_published(client, uri, 1, bool)).diagnostics
    actions = await actions_for(client, uri, diag)
    (ignore,) = [a for a in actions if a.title == f"Ignore {code} on this line"]
    assert ignore.kind == lsp.CodeActionKind.QuickFix and not ignore.is_preferred
    edits = edits_for(ignore.edit, uri)
    assert len(edits) == 1
    # The edit sits at the end of the flagged line, after the non-ASCII text: exact units.
    line_text = text.split("\n")[diag.range.start.line]
    assert edits[0].range.end.character == units(line_text, client.encoding)
    fixed = apply_text_edits(text, edits, client.encoding)
    assert fixed == text.replace(before, after, 1)
    change_document(client, uri, 2, replace_all(fixed))
    params = await wait_published(client, uri, 2)
    assert code not in codes(params.diagnostics)


TWO_VIEWS = CBV_MIXED + (
    "\n\nclass BookUpdate(CreateView):\n"
    "    async def get(self, request):\n"
    "        return await self.render()\n"
)


async def test_fix_all_applies_every_safe_fix_and_honours_only(client: LanguageClient) -> None:
    path = client.root / "books/fix_all.py"
    uri = open_document(client, path, TWO_VIEWS, "python")
    params = await wait_published(client, uri, 1, lambda d: len(d) == 2)
    diag = params.diagnostics[0]
    # Fix-on-save asks for source.fixAll only: exactly our fix-all, nothing else.
    actions = await actions_for(client, uri, diag, only=["source.fixAll"])
    assert [a.kind for a in actions] == ["source.fixAll.djvet"]
    fixed = apply_text_edits(TWO_VIEWS, edits_for(actions[0].edit, uri), client.encoding)
    ast.parse(fixed)
    assert fixed.count("async def put") == 2
    # Other kinds are filtered out exactly.
    quick = await actions_for(client, uri, diag, only=["quickfix"])
    assert quick and all(a.kind == "quickfix" for a in quick)
    assert await actions_for(client, uri, diag, only=["refactor"]) == []
    # Without "only" (a lightbulb), fix-all is listed after the quick fixes.
    everything = await actions_for(client, uri, diag)
    assert everything[-1].kind == "source.fixAll.djvet"
    change_document(client, uri, 2, replace_all(fixed))
    params = await wait_published(client, uri, 2)
    assert codes(params.diagnostics) == []


async def test_incremental_edits_around_non_ascii_text_stay_in_sync(client: LanguageClient) -> None:
    enc = client.encoding
    text = "# 🎉 café 日本 menu\x0c\n" + CBV_MIXED.replace("(CreateView):", "(CreateView):  # ☕")
    uri = open_document(client, client.root / "books/sync.py", text, "python")
    await wait_published(client, uri, 1, bool)
    # 1. type after the CJK text on line 0 (positions in the client's units)
    pos = position_of(text, "日本", enc, after=True)
    text = text.replace("日本", "日本 and more", 1)
    change_document(client, uri, 2, insert_at(pos.line, pos.character, " and more"))
    # 2. insert a line right after the ☕ comment (end of the class line)
    pos = position_of(text, "# ☕", enc, after=True)
    text = text.replace("# ☕", "# ☕\n    model = None", 1)
    change_document(client, uri, 3, insert_at(pos.line, pos.character, "\n    model = None"))
    params = await wait_published(client, uri, 3, bool)
    (diag,) = params.diagnostics
    assert diag.range.start == position_of(text, "BookCreate", enc)
    # The server's buffer equals ours: its ignore edit lands after ☕ exactly.
    (ignore,) = [a for a in await actions_for(client, uri, diag) if a.title.startswith("Ignore")]
    fixed = apply_text_edits(text, edits_for(ignore.edit, uri), enc)
    assert fixed == text.replace("# ☕", "# ☕  # djvet: ignore[DJV201]", 1)


BROKEN_MIDDLE = (
    "from django.views.generic import CreateView\n\n\n"
    "class First(CreateView):\n    async def get(self, request):\n        return await self.render()\n\n\n"
    "def helper(request):\n    return 1\n\n\n"
    "class Second(CreateView):\n    async def get(self, request):\n        return await self.render()\n"
)


async def test_a_syntax_error_keeps_the_findings_of_code_that_still_parses(
    client: LanguageClient,
) -> None:
    uri = open_document(client, client.root / "books/broken.py", BROKEN_MIDDLE, "python")
    first = await wait_published(client, uri, 1, lambda d: len(d) == 2)
    line = BROKEN_MIDDLE.split("\n").index("def helper(request):")
    # Typing in the helper breaks it: "def helper(request:" (a ")" deleted)
    change_document(
        client,
        uri,
        2,
        lsp.TextDocumentContentChangePartial(
            range=lsp.Range(lsp.Position(line, 18), lsp.Position(line, 19)), text=""
        ),
    )
    broken = await wait_published(client, uri, 2)
    assert codes(broken.diagnostics) == ["DJV201", "DJV201"]
    assert [d.range for d in broken.diagnostics] == [d.range for d in first.diagnostics]


async def test_rapid_changes_publish_in_order_and_never_for_a_stale_version(
    client: LanguageClient,
) -> None:
    uri = open_document(client, client.root / "books/rapid.py", CBV_MIXED, "python")
    await wait_published(client, uri, 1, bool)
    texts = {1: CBV_MIXED}
    for version in range(2, 22):
        text = CBV_MIXED if version % 2 else CBV_MIXED.replace("async def get", "def get")
        texts[version] = text
        change_document(client, uri, version, replace_all(text))
    final = await wait_published(client, uri, 21)
    versions = [p.version for p in publications(client, uri)]
    assert versions == sorted(versions), "a result for an older version arrived after a newer one"
    assert len(versions) < 21, "bursts are coalesced"
    for params in publications(client, uri):
        expected = ["DJV201"] if params.version is not None and params.version % 2 else []
        assert codes(params.diagnostics) == expected, (
            f"v{params.version} diagnostics belong to another version"
        )
    assert codes(final.diagnostics) == ["DJV201"]


async def test_close_clears_the_documents_diagnostics(client: LanguageClient) -> None:
    uri = open_document(client, client.root / "books/closing.py", CBV_MIXED, "python")
    await wait_published(client, uri, 1, bool)
    count = len(publications(client, uri))
    client.text_document_did_close(
        lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    await wait_until(lambda: len(publications(client, uri)) > count, what="clearing publication")
    cleared = publications(client, uri)[-1]
    assert list(cleared.diagnostics) == [] and cleared.version is None


async def test_indexing_reported_progress_and_nothing_popped_up(client: LanguageClient) -> None:
    reports = [r for values in client.progress_reports.values() for r in values]
    begins = [r for r in reports if isinstance(r, lsp.WorkDoneProgressBegin)]
    assert begins and begins[0].title == "Indexing Django project"
    assert any(
        isinstance(r, lsp.WorkDoneProgressReport) and r.message and r.message.endswith(" files")
        for r in reports
    )
    assert any(isinstance(r, lsp.WorkDoneProgressEnd) for r in reports)
    assert client.messages == [], "window/showMessage popups"
    # (a rule's own failure is its module's business; the server itself must not fail)
    assert not [
        m for m in client.log_messages if "internal error" in m.message or "failed:" in m.message
    ]
