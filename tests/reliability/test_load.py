"""Load: a burst of 500 changes, 10,000 edits, and ``$/cancelRequest`` (one server per module).

- **Burst.** 500 ``didChange`` notifications 1 ms apart (typing a line character by
  character, with a deletion now and then), then a pause: the last publication is for the
  final version, its diagnostics equal those of the final text opened afresh (nothing was
  lost or applied twice), every publication came in version order, and afterwards the
  server answers a hover within its normal latency (measured before the burst).
- **Memory.** 10,000 edits (type and delete, so the text stays the same size): the server's
  resident memory after the last 8,000 edits grows by less than a fixed budget. Most of those
  edits are coalesced, so this holds the per-message path (pygls kept one finished future per
  notification); the per-check path is held in process: a keystroke's work, through states
  that do not parse, leaves no reference cycle (the server's worker runs the cyclic collector
  only now and then, so a cycle that reaches a parse tree piles up between collections).
- **Cancellation.** A fix-all code action on a large module, cancelled 50 ms after it was
  sent, answers ``RequestCancelled`` long before the uncancelled request would have answered,
  and the server is idle again right after.
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .corpus import DEMO
from .stdio_client import REQUEST_CANCELLED, StdioClient, full_change, range_change
from .test_server_promises import ASYNC_GET, unversioned

# Growth allowed over 8,000 edits. Python's allocator keeps freed arenas, so a flat server
# still moves by a few MB; a leak of one buffer copy per edit (~300 bytes of text, ~1 KB
# of objects) would add 8+ MB.
MEMORY_BUDGET_KIB = 6_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StdioClient, Path]]:
    root = tmp_path_factory.mktemp("load") / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns(".djvet_cache", "__pycache__"))
    client = StdioClient(stderr_path=root.parent / "server.stderr")
    client.initialize([root])
    yield client, root
    if client.alive():  # test_exit_after_the_load_is_clean did not run
        client.close()


def hover_latency(client: StdioClient, uri: str, samples: int = 5) -> float:
    times = []
    for _ in range(samples):
        started = time.monotonic()
        client.request(
            "textDocument/hover",
            {"textDocument": {"uri": uri}, "position": {"line": 4, "character": 30}},
        )
        times.append(time.monotonic() - started)
    return statistics.median(times)


def test_a_burst_of_500_changes(server: tuple[StdioClient, Path]) -> None:
    client, root = server
    uri = (root / "library" / "burst.py").as_uri()
    text = ASYNC_GET
    texts = {1: text}
    client.open(uri, text)
    client.wait_published(uri, 1, timeout=60)
    baseline = hover_latency(client, uri)
    typed = "    return await Book.objects.filter(title__startswith='x').acount()  # 😀\n"
    line = 6  # a new last line of the function, typed key by key
    column = 0
    version = 1
    started = time.monotonic()
    for index in range(500):
        version += 1
        char = typed[index % len(typed)]
        if index % 37 == 36 and column > 0:  # a backspace now and then
            column_units = len(text.splitlines()[line][:column].encode("utf-16-le")) // 2
            prev_units = len(text.splitlines()[line][: column - 1].encode("utf-16-le")) // 2
            client.change(
                uri, version, [range_change((line, prev_units), (line, column_units), "")]
            )
            lines = text.split("\n")
            lines[line] = lines[line][: column - 1] + lines[line][column:]
            text = "\n".join(lines)
            column -= 1
        else:
            units = len(text.split("\n")[line][:column].encode("utf-16-le")) // 2
            client.change(uri, version, [range_change((line, units), (line, units), char)])
            lines = text.split("\n")
            lines[line] = lines[line][:column] + char + lines[line][column:]
            if char == "\n":
                line, column = line + 1, 0
            else:
                column += 1
            text = "\n".join(lines)
        texts[version] = text
        time.sleep(0.001)
    sent = time.monotonic() - started
    final = client.wait_published(uri, version, timeout=30)
    settled = time.monotonic() - started - sent
    time.sleep(0.5)  # the pause: nothing older may arrive after the final version
    versions = [p.version for p in client.published(uri)]
    assert versions == sorted(versions), versions
    assert versions[-1] == version
    assert len(versions) < 100, "the burst was not debounced"
    # Nothing lost: the server's text is the client's text (a fresh open agrees).
    check = (root / "library" / "burst_check.py").as_uri()
    client.open(check, text)
    fresh = client.wait_published(check, 1)
    assert [d["range"] for d in unversioned(final.diagnostics)] == [
        d["range"] for d in unversioned(fresh.diagnostics)
    ]
    assert [d["message"] for d in final.diagnostics] == [d["message"] for d in fresh.diagnostics]
    after = hover_latency(client, uri)
    assert after < max(3 * baseline, 0.25), (
        f"hover {after * 1000:.0f} ms after the burst, {baseline * 1000:.0f} ms before"
    )
    assert settled < 5, f"the final version was published {settled:.1f} s after the last change"
    client.close_document(uri)
    client.close_document(check)


def test_10000_edits_keep_memory_flat(server: tuple[StdioClient, Path]) -> None:
    client, root = server
    uri = (root / "library" / "memory.py").as_uri()
    client.open(uri, ASYNC_GET)
    client.wait_published(uri, 1, timeout=60)
    version = 1

    def edits(count: int) -> None:
        nonlocal version
        for index in range(count):
            version += 1
            if index % 2 == 0:
                change = range_change((4, 13), (4, 13), "x")  # typed inside a string
            else:
                change = range_change((4, 13), (4, 14), "")
            client.change(uri, version, [change])
            if index % 200 == 0:
                time.sleep(0.02)  # typing speed in bursts: checks do run in between
        client.wait_published(uri, version, timeout=60)

    edits(2_000)
    before = client.rss_kib()
    edits(8_000)
    after = client.rss_kib()
    assert after - before < MEMORY_BUDGET_KIB, f"RSS grew {after - before} KiB over 8,000 edits"
    client.change(uri, version + 1, [full_change(ASYNC_GET)])
    assert [d["code"] for d in client.wait_published(uri, version + 1).diagnostics] == ["DJV301"]
    client.close_document(uri)


def test_the_core_keeps_memory_flat_over_thousands_of_checks() -> None:
    """What the server does per keystroke (index the buffer, check it), in this process: the
    caches the analyses keep across keystrokes must stay bounded to a few MB."""
    from djvet.core.config import Settings
    from djvet.core.engine import check
    from djvet.core.project import in_memory_project
    from djvet.core.rule import Document
    from djvet.core.types import SourceKind

    from .corpus import demo_files

    path = "/memory/library/typed.py"
    project = in_memory_project({**demo_files(), "library/typed.py": ASYNC_GET}, "/memory")
    lines = ASYNC_GET.split("\n")

    def keystrokes(first: int, count: int) -> None:
        for number in range(first, first + count):
            edited = list(lines)
            edited[4] = edited[4][:13] + "x" * (number % 7) + edited[4][13:]  # in a string
            text = "\n".join(edited)
            project.update_text(path, text)
            result = check(Document(text, path, SourceKind.PYTHON, number), project, Settings())
            assert [f.code for f in result.findings] == ["DJV301"]

    keystrokes(0, 300)  # warm-up: every cache that is bounded fills up here
    before = _own_rss_kib()
    keystrokes(300, 1500)
    grown = _own_rss_kib() - before
    assert grown < CORE_MEMORY_BUDGET_KIB, f"RSS grew {grown} KiB over 1,500 checks"


CORE_MEMORY_BUDGET_KIB = 3_000


def test_the_core_keeps_memory_flat_while_new_text_is_typed() -> None:
    """Every keystroke a text never seen before (the usual case): caches keyed by function text
    must not keep what was edited away. (Two that did, until full: ~5 KB per keystroke.)"""
    from djvet.core.config import Settings
    from djvet.core.engine import check
    from djvet.core.project import in_memory_project
    from djvet.core.rule import Document
    from djvet.core.types import SourceKind

    from .corpus import demo_files

    functions = [
        f"async def view_{n}(request, pk):\n"
        f"    book = await Book.objects.aget(pk=pk)\n"
        f"    return JsonResponse({{'n': {n}, 'title': book.title}})\n"
        for n in range(60)
    ]
    head = "from django.http import JsonResponse\n\nfrom library.models import Book\n\n\n"
    path = "/memory/library/typing.py"
    project = in_memory_project({**demo_files(), "library/typing.py": head}, "/memory")

    def keystrokes(first: int, count: int) -> None:
        for number in range(first, first + count):
            edited = list(functions)
            target = number % len(edited)
            edited[target] = edited[target].replace(
                "    return", f"    note_{number} = len(request.GET)\n    return"
            )
            text = head + "\n\n".join(edited)
            project.update_text(path, text)
            result = check(Document(text, path, SourceKind.PYTHON, number), project, Settings())
            assert not result.findings

    keystrokes(0, 300)
    before = _own_rss_kib()
    keystrokes(300, 1500)
    grown = _own_rss_kib() - before
    assert grown < CORE_MEMORY_BUDGET_KIB, f"RSS grew {grown} KiB over 1,500 new texts"


# Class-based views and async views, with one problem of each family that reads them: the
# view analyses (DJV2xx) and the async ORM analysis (DJV3xx) run on every keystroke.
CBV_MODULE = """from django.http import JsonResponse
from django.views import View

from library.models import Book


class BookCount(View):
    async def get(self, request):
        return JsonResponse({"n": 0})


class Mixed(View):
    async def get(self, request):
        return JsonResponse({})

    def post(self, request):
        return JsonResponse({})


async def detail(request, pk):
    book = Book.objects.get(pk=pk)
    return JsonResponse({"title": book.title})
"""


def test_a_keystroke_leaves_no_reference_cycle() -> None:
    """The server's worker switches CPython's cyclic collector off and collects only when idle
    or every few hundred jobs (``lsp/worker.py``): whatever a check leaves in a reference cycle
    piles up until then, and a cycle that reaches a parse tree keeps all of it (a closure that
    calls itself over the tree's classes; a ``SyntaxError`` kept with its traceback, whose
    frames hold the parsed blocks). On the benchmark's 2,000-line module that was hundreds of
    MB of RSS over a thousand edits. Typing a statement key by key inside a method, through
    states that do not parse, and checking after each key must leave the collector nothing."""
    import gc
    from collections import Counter

    from djvet.core.config import Settings
    from djvet.core.engine import check
    from djvet.core.project import in_memory_project
    from djvet.core.rule import Document
    from djvet.core.types import SourceKind

    from .corpus import demo_files

    path = "/cycles/library/typed.py"
    project = in_memory_project({**demo_files(), "library/typed.py": CBV_MODULE}, "/cycles")
    lines = CBV_MODULE.split("\n")
    at = lines.index('        return JsonResponse({"n": 0})')
    statement = "        total = await Book.objects.filter(pages__gt=1).acount()"
    texts = [  # "        t" ... the whole statement, one key at a time
        "\n".join([*lines[:at], statement[:end], *lines[at:]])
        for end in range(9, len(statement) + 1)
    ]
    assert any(_does_not_parse(t) for t in texts) and not _does_not_parse(texts[-1])

    def type_all(first_version: int) -> None:
        for version, text in enumerate(texts, first_version):
            project.update_text(path, text)
            result = check(Document(text, path, SourceKind.PYTHON, version), project, Settings())
            codes = {f.code for f in result.findings}
            # Both analyses ran to the end, broken buffer or not (recovery keeps the others).
            assert {"DJV201", "DJV301"} <= codes, (text, codes)

    type_all(1)  # warm-up: caches fill, imports happen
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        type_all(1000)
        found = gc.collect()
        leftovers = Counter(type(o).__qualname__ for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    assert found == 0, f"{found} objects in reference cycles: {leftovers.most_common(8)}"


def _does_not_parse(text: str) -> bool:
    import ast

    try:
        ast.parse(text)
    except SyntaxError:
        return True
    return False


def _own_rss_kib() -> int:
    import gc

    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def big_module(copies: int) -> str:
    body = ASYNC_GET.split("\n\n\n", 1)[1]
    return ASYNC_GET + "".join(
        "\n\n" + body.replace("def view", f"def view_{i}") for i in range(copies)
    )


def fix_all_request(client: StdioClient, uri: str) -> int:
    return client.send_request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "context": {"diagnostics": [], "only": ["source.fixAll"]},
        },
    )


def test_cancel_request_is_honoured(server: tuple[StdioClient, Path]) -> None:
    client, root = server
    uri = (root / "library" / "big.py").as_uri()
    text = big_module(150)
    client.open(uri, text)
    client.wait_published(uri, 1, timeout=120)
    # How long the work takes when nobody cancels it (a new version: nothing cached).
    client.change(uri, 2, [range_change((0, 0), (0, 0), "#\n")])
    started = time.monotonic()
    reply = client.response(fix_all_request(client, uri), timeout=120)
    uncancelled = time.monotonic() - started
    assert reply.get("result"), reply
    assert uncancelled > 0.3, "the request must be slow enough for cancelling to mean something"
    # The same, cancelled 50 ms in.
    client.change(uri, 3, [range_change((0, 0), (0, 0), "#\n")])
    started = time.monotonic()
    request = fix_all_request(client, uri)
    time.sleep(0.05)
    client.notify("$/cancelRequest", {"id": request})
    reply = client.response(request, timeout=120)
    cancelled = time.monotonic() - started
    assert reply.get("error", {}).get("code") == REQUEST_CANCELLED, reply
    assert cancelled < uncancelled / 2, f"{cancelled:.2f} s cancelled vs {uncancelled:.2f} s"
    client.close_document(uri)


def test_exit_after_the_load_is_clean(server: tuple[StdioClient, Path]) -> None:
    """Last in this module: after everything above, ``shutdown`` + ``exit`` end the process
    with code 0 and nothing popped up. (A worker thread still inside libcst's native parser
    when the interpreter finalizes aborts the process: exit code -6.)"""
    client, _ = server
    assert client.popups() == []
    assert client.shutdown() == 0
