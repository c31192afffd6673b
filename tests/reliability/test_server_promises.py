"""The language server under typing, broken buffers and hostile input (one server per module).

The workspace is a copy of the demo project. Properties:

- **Typing never breaks it** (Hypothesis): random edit sequences over the corpus documents,
  sent as incremental ``didChange`` events with UTF-16 ranges (several changes per event,
  CR/CRLF/emoji/astral characters included). After each sequence: the server is alive and
  answers; every published range lies inside the text *of the version it was published for*;
  versions are published in order, never an older one after a newer one; and the final
  diagnostics equal those of the same text opened afresh.
- **Broken code keeps its diagnostics**: a syntax error in one function, findings elsewhere.
- **Hostile buffers**: astral-plane characters before flagged code (exact UTF-16 columns),
  a BOM, CRLF and lone CR, expressions nested thousands deep, a 5 MB template, a lone
  surrogate in the JSON, positions past the end of the document, garbage on the wire,
  notifications for documents that were never opened.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from djvet.core.types import SourceKind

from .corpus import DEMO, by_name, corpus, edit_scripts
from .fuzz import fuzz
from .stdio_client import (
    StdioClient,
    full_change,
    position_of,
    range_change,
    range_problem,
)
from .test_broken_code import MODELS, broken_module, expected_lines

LANGUAGE = {
    SourceKind.PYTHON: "python",
    SourceKind.DJANGO_TEMPLATE: "django-html",
    SourceKind.JINJA2: "jinja-html",
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("server-promises") / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns(".djvet_cache", "__pycache__"))
    (root / "app").mkdir()
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "models.py").write_text(MODELS)
    return root


@pytest.fixture(scope="module")
def server(workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StdioClient]:
    client = StdioClient(stderr_path=tmp_path_factory.mktemp("logs") / "server.stderr")
    client.initialize([workspace])
    # The first check waits for settings and the index: wait for it once, here.
    uri = (workspace / "library" / "views_cbv.py").as_uri()
    client.open(uri, (workspace / "library" / "views_cbv.py").read_text())
    client.wait_published(uri, 1, timeout=60)
    client.close_document(uri)
    yield client
    assert client.popups() == [], "the server popped up a message"
    assert client.protocol_errors == []
    assert client.shutdown() == 0


_names = itertools.count()


def fresh_uri(workspace: Path, relative: str) -> str:
    """A new document next to ``relative`` (so relative imports resolve the same way)."""
    path = workspace / relative
    return path.with_name(f"fuzz_{next(_names)}{path.suffix}").as_uri()


def responsive(client: StdioClient, uri: str) -> None:
    """The server answers a request at once (hover anywhere; the answer may be null)."""
    client.request(
        "textDocument/hover",
        {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}},
        timeout=20,
    )


def check_publications(client: StdioClient, uri: str, texts: dict[int, str]) -> None:
    versions = [p.version for p in client.published(uri) if p.version is not None]
    assert versions == sorted(versions), f"published out of order: {versions}"
    for publication in client.published(uri):
        if publication.version is None:
            continue
        text = texts[publication.version]
        for diagnostic in publication.diagnostics:
            data_version = (diagnostic.get("data") or {}).get("version")
            assert data_version in (None, publication.version), (
                f"a v{publication.version} diagnostic carries fix data for v{data_version}"
            )
            problem = range_problem(text, diagnostic["range"])
            assert problem is None, f"v{publication.version} {diagnostic['code']}: {problem}"
            for related in diagnostic.get("relatedInformation") or []:
                if related["location"]["uri"] == uri:
                    assert range_problem(text, related["location"]["range"]) is None


SERVER_DOCS = [d.name for d in corpus() if d.kind is not SourceKind.OTHER]


@fuzz(40)
@given(
    data=st.data(),
    name=st.sampled_from(SERVER_DOCS),
    per_event=st.integers(1, 3),
)
def test_typing_through_the_server(
    server: StdioClient, workspace: Path, data: st.DataObject, name: str, per_event: int
) -> None:
    document = by_name(name)
    script = data.draw(edit_scripts(document.kind, nul=False), label="edits")
    uri = fresh_uri(workspace, document.path)
    text = document.text
    texts = {1: text}
    server.open(uri, text, LANGUAGE[document.kind])
    version = 1
    for batch_start in range(0, len(script), per_event):
        changes = []
        for edit in script[batch_start : batch_start + per_event]:
            start, end = edit.bounds(text, whole_line_breaks=True)
            changes.append(range_change(*_positions(text, start, end), edit.text))
            text = text[:start] + edit.text + text[end:]
        version += 1
        texts[version] = text
        server.change(uri, version, changes)
    final = server.wait_published(uri, version)
    responsive(server, uri)
    check_publications(server, uri, texts)
    # The same text, opened afresh, gets the same diagnostics.
    server.close_document(uri)
    seen = len(server.published(uri))
    server.open(uri, text, LANGUAGE[document.kind], version=version + 1)
    again = server.wait_published(uri, version + 1, after=seen)
    before, after = unversioned(final.diagnostics), unversioned(again.diagnostics)
    assert before == after, diagnostic_diff(before, after)
    server.close_document(uri)


def unversioned(diagnostics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Diagnostics without the document version their ``data`` carries for code actions."""
    out = []
    for diagnostic in diagnostics:
        data = {k: v for k, v in (diagnostic.get("data") or {}).items() if k != "version"}
        out.append({**diagnostic, "data": data})
    return out


def diagnostic_diff(first: list[dict[str, Any]], second: list[dict[str, Any]]) -> str:
    """What differs between two diagnostic lists, compactly (for assertion messages)."""
    lines = [f"{len(first)} diagnostics incrementally, {len(second)} after a re-open"]
    for index, (a, b) in enumerate(itertools.zip_longest(first, second, fillvalue={})):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                lines.append(f"[{index}].{key}: {json.dumps(a.get(key))[:500]}")
                lines.append(f"{' ' * len(str(index))}   vs {json.dumps(b.get(key))[:500]}")
    return "\n".join(lines)


def _positions(text: str, start: int, end: int) -> tuple[tuple[int, int], tuple[int, int]]:
    a, b = position_of(text, start), position_of(text, end)
    return (a["line"], a["character"]), (b["line"], b["character"])


# ---------------------------------------------------------------------------------------------
# Broken code
# ---------------------------------------------------------------------------------------------


def test_a_syntax_error_in_one_function_keeps_the_other_findings(
    server: StdioClient, workspace: Path
) -> None:
    text = broken_module("unclosed-call")
    uri = fresh_uri(workspace, "app/views.py")
    server.open(uri, text)
    published = server.wait_published(uri, 1)
    found = sorted((d["code"], d["range"]["start"]["line"]) for d in published.diagnostics)
    assert found == expected_lines(text)
    server.close_document(uri)


# ---------------------------------------------------------------------------------------------
# Hostile buffers
# ---------------------------------------------------------------------------------------------

ASYNC_GET = (
    "from library.models import Book\n\n\n"
    "async def view(request, pk):\n"
    '    label = "😀𝔘"; book = Book.objects.get(pk=pk)\n'
    "    return book\n"
)


def _codes_at(published: Any) -> list[tuple[str, int, int]]:
    return sorted(
        (d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"])
        for d in published.diagnostics
    )


def test_astral_characters_before_flagged_code_shift_utf16_columns(
    server: StdioClient, workspace: Path
) -> None:
    uri = fresh_uri(workspace, "library/views.py")
    server.open(uri, ASYNC_GET)
    published = server.wait_published(uri, 1)
    column = ASYNC_GET.splitlines()[4].index("Book.objects.get")
    # 😀 and 𝔘 are one code point each but two UTF-16 units: +2.
    assert _codes_at(published) == [("DJV301", 4, column + 2)]
    # Typing before them moves the finding by exactly what was typed, in UTF-16 units.
    server.change(uri, 2, [range_change((4, 4), (4, 4), "𝔘")])
    published = server.wait_published(uri, 2)
    assert _codes_at(published) == [("DJV301", 4, column + 4)]
    server.close_document(uri)


def test_template_astral_characters_before_a_link(server: StdioClient, workspace: Path) -> None:
    text = "<p>😀 𝔘</p><a href=\"{% url 'logout' %}\">Log out</a>\n"
    uri = fresh_uri(workspace, "templates/base.html")
    server.open(uri, text, "django-html")
    published = server.wait_published(uri, 1)
    assert _codes_at(published) == [("DJV101", 0, text.index("<a") + 2)]
    server.close_document(uri)


@pytest.mark.parametrize(
    ("name", "newline", "bom"),
    [
        ("crlf", "\r\n", ""),
        ("cr", "\r", ""),
        ("bom", "\n", "\ufeff"),
        ("bom-crlf", "\r\n", "\ufeff"),
    ],
)
def test_line_endings_and_bom(
    server: StdioClient, workspace: Path, name: str, newline: str, bom: str
) -> None:
    text = bom + ASYNC_GET.replace("\n", newline)
    uri = fresh_uri(workspace, "library/views.py")
    server.open(uri, text)
    column = ASYNC_GET.splitlines()[4].index("Book.objects.get") + 2
    assert _codes_at(server.wait_published(uri, 1)) == [("DJV301", 4, column)]
    # Insert a line at the top and join two lines further down: line numbers follow.
    after_bom = (0, len(bom))  # a BOM anywhere but at the very start is not Python
    server.change(uri, 2, [range_change(after_bom, after_bom, "import os" + newline)])
    server.change(uri, 3, [range_change((2, 0), (3, 0), "")])
    assert _codes_at(server.wait_published(uri, 3)) == [("DJV301", 4, column)]
    server.close_document(uri)


def test_expressions_nested_thousands_deep(server: StdioClient, workspace: Path) -> None:
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    chain = "y = " + "1 + " * 50_000 + "1\n"
    uri = fresh_uri(workspace, "library/views.py")
    server.open(uri, deep + chain + ASYNC_GET)
    published = server.wait_published(uri, 1, timeout=60)
    assert [d["code"] for d in published.diagnostics] == ["DJV301"]
    template = (
        "{{ " + "(" * 5000 + " }}" + "<div>" * 20_000 + "<a href=\"{% url 'logout' %}\">x</a>"
    )
    turi = fresh_uri(workspace, "templates/base.html")
    server.open(turi, template, "django-html")
    published = server.wait_published(turi, 1, timeout=60)
    assert [d["code"] for d in published.diagnostics] == ["DJV101"]
    responsive(server, uri)
    server.close_document(uri)
    server.close_document(turi)


def test_a_5_mb_single_line_template_is_skipped_with_a_note(
    server: StdioClient, workspace: Path
) -> None:
    uri = fresh_uri(workspace, "templates/base.html")
    server.open(uri, "<p>" + "x" * 5_000_000 + "</p>", "django-html")
    small = fresh_uri(workspace, "templates/base.html")
    server.open(small, "<a href=\"{% url 'logout' %}\">x</a>\n", "django-html")
    assert [d["code"] for d in server.wait_published(small, 1).diagnostics] == ["DJV101"]
    server.wait(
        lambda: any(uri in m and "MB" in m for m in server.log_messages()),
        what="a log line about the big template",
    )
    assert server.published(uri) == []
    server.close_document(uri)
    server.close_document(small)


def test_a_lone_surrogate_from_the_client_does_not_kill_the_server(
    server: StdioClient, workspace: Path
) -> None:
    """JSON can carry "\\ud800" (an unpaired surrogate) even though it is not valid Unicode."""
    uri = fresh_uri(workspace, "library/views.py")
    # Python cannot parse the function holding the surrogate; the other one is still checked.
    text = ASYNC_GET + '\n\ndef label():\n    return "\ud800x\udfff"\n'
    server.open(uri, text)
    server.change(uri, 2, [range_change((9, 13), (9, 13), "\udc00")])
    published = server.wait_published(uri, 2)
    assert [d["code"] for d in published.diagnostics] == ["DJV301"]
    responsive(server, uri)
    server.close_document(uri)


def test_positions_past_the_end_are_clamped(server: StdioClient, workspace: Path) -> None:
    uri = fresh_uri(workspace, "library/views.py")
    server.open(uri, ASYNC_GET)
    server.wait_published(uri, 1)
    # Past the last line, and past the end of a line: LSP says clamp to the end.
    server.change(uri, 2, [range_change((999, 0), (999, 5), "\n# appended\n")])
    server.change(uri, 3, [range_change((0, 500), (0, 900), "  # end of line 0")])
    published = server.wait_published(uri, 3)
    assert [d["code"] for d in published.diagnostics] == ["DJV301"]
    # Send the server's view back: a full replace with what the client believes it holds.
    expected = (
        ASYNC_GET.replace("import Book\n", "import Book  # end of line 0\n", 1) + "\n# appended\n"
    )
    server.change(uri, 4, [full_change(expected)])
    again = server.wait_published(uri, 4)
    assert unversioned(again.diagnostics) == unversioned(published.diagnostics)
    server.close_document(uri)


def test_notifications_for_unknown_documents_and_garbage_are_survived(
    server: StdioClient, workspace: Path
) -> None:
    ghost = (workspace / "library" / "ghost.py").as_uri()
    server.change(ghost, 7, [range_change((0, 0), (0, 0), "x")])
    server.close_document(ghost)
    server.notify("textDocument/didSave", {"textDocument": {"uri": ghost}})
    body = b"{not json"
    assert server.process.stdin is not None
    server.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    server.process.stdin.flush()
    server.notify("$/unknownNotification", {"x": 1})
    with pytest.raises(Exception):  # an unknown request is answered with an error, not silence
        server.request("djvet/noSuchMethod", {}, timeout=20)
    uri = fresh_uri(workspace, "library/views.py")
    server.open(uri, ASYNC_GET)
    assert [d["code"] for d in server.wait_published(uri, 1).diagnostics] == ["DJV301"]
    server.close_document(uri)


@pytest.mark.parametrize(
    ("name", "insert"),
    [("binary", "\x00"), ("huge", "# " + "x" * 1_100_000 + "\n")],
    ids=["binary", "huge"],
)
def test_a_buffer_that_stops_being_checked_does_not_keep_stale_diagnostics(
    server: StdioClient, workspace: Path, name: str, insert: str
) -> None:
    """Never lie: once a buffer holds a NUL byte or grows past the 1 MB limit djvet stops
    checking it, so the diagnostics of its older text must not stay on screen (at positions
    that no longer mean anything). Removing the insertion brings them back."""
    uri = fresh_uri(workspace, "library/views.py")
    server.open(uri, ASYNC_GET)
    assert server.wait_published(uri, 1).diagnostics
    server.change(uri, 2, [range_change((0, 0), (0, 0), insert)])
    cleared = server.wait_published(uri, 2, timeout=10)
    assert cleared.diagnostics == []
    server.change(uri, 3, [full_change(ASYNC_GET)])
    assert server.wait_published(uri, 3).diagnostics
    server.close_document(uri)


def test_json_for_the_record(server: StdioClient) -> None:
    """Everything the server wrote parsed as JSON-RPC (checked again at module teardown)."""
    assert server.protocol_errors == []
    assert json.dumps(server.log_messages())  # the log is text, nothing odd in it
