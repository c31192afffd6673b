"""Scheduling, in process: stale results are never published, bursts coalesce, refresh is selective.

A rule that blocks on an event lets the test decide exactly when a check finishes, so the
"document moved on while it was being checked" race is reproduced deterministically.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from djvet.core.rule import CheckContext, Rule
from djvet.core.types import Finding, Severity, SourceKind, Span
from djvet.lsp.scheduler import Scheduler
from djvet.lsp.state import Session
from djvet.lsp.worker import Worker

from .helpers import wait_until


class Marker(Rule):
    """Flags the first line; blocks while ``release`` is not set and the text says ``slow``."""

    code = "TST100"
    name = "marker"
    summary = "marks line 1"
    severity = Severity.WARNING
    targets = frozenset({SourceKind.PYTHON})
    django = ">=3.0"
    reference = "topics/"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()
        self.calls: list[str] = []

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        self.calls.append(ctx.text)
        if "slow" in ctx.text:
            self.entered.set()
            assert self.release.wait(10)
        first = ctx.text.split("\n", 1)[0]
        yield self.finding(ctx, Span(0, 0, 0, len(first)), f"saw {first}")


@pytest.fixture
async def setup(tmp_path: Path):
    rule = Marker()
    session = Session()
    worker = Worker(asyncio.get_running_loop())
    published: list[tuple[str, int | None, list[lsp.Diagnostic]]] = []
    scheduler = Scheduler(
        session,
        worker,
        [rule],
        lambda u, v, d: published.append((u, v, list(d))),
        lambda m, k: None,
    )
    project = session.add_folder(tmp_path.as_uri())
    assert project is not None
    project.ready.set()
    yield rule, session, scheduler, published, tmp_path
    rule.release.set()
    worker.stop()


def _open(session: Session, scheduler: Scheduler, path: Path, text: str):
    document = session.open(
        lsp.TextDocumentItem(uri=path.as_uri(), language_id="python", version=1, text=text)
    )
    scheduler.opened(document)
    return document


def _change(session: Session, scheduler: Scheduler, uri: str, version: int, text: str) -> None:
    document = session.change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    assert document is not None
    scheduler.changed(document)


async def test_a_result_for_an_old_version_is_never_published(setup) -> None:
    rule, session, scheduler, published, root = setup
    document = _open(session, scheduler, root / "a.py", "slow = 1\n")
    await asyncio.to_thread(rule.entered.wait, 5)  # v1 is being checked right now
    _change(session, scheduler, document.uri, 2, "fast = 2\n")
    rule.release.set()  # v1's check finishes after v2 arrived
    await wait_until(lambda: any(v == 2 for _, v, _ in published), what="v2 published")
    await asyncio.sleep(0.1)
    assert [v for _, v, _ in published] == [2]
    assert published[0][2][0].message == "saw fast = 2"


async def test_a_burst_of_changes_is_checked_once_after_it(setup) -> None:
    rule, session, scheduler, published, root = setup
    document = _open(session, scheduler, root / "b.py", "v1\n")
    await wait_until(lambda: published, what="v1 published")
    session.project_of(document).editor = type(session.project_of(document).editor)(debounce_ms=80)
    rule.calls.clear()
    await asyncio.sleep(0.1)  # quiet period: the next change is checked at once (leading edge)
    for version in range(2, 8):
        _change(session, scheduler, document.uri, version, f"v{version}\n")
        await asyncio.sleep(0.01)  # 10 ms apart: inside the 80 ms window
    await wait_until(lambda: published[-1][1] == 7, what="v7 published")
    # v2 ran at once (leading edge); v3..v6 were coalesced into the trailing check of v7.
    assert rule.calls == ["v2\n", "v7\n"]


async def test_current_answers_for_the_version_the_request_saw(setup) -> None:
    rule, session, scheduler, _published, root = setup
    rule.release.set()
    document = _open(session, scheduler, root / "c.py", "first\n")
    checked = await scheduler.current(document)
    assert checked.version == 1
    assert checked.findings[0].message == "saw first"
    again = await scheduler.current(document)
    assert again is checked  # cached: no second check
    assert rule.calls.count("first\n") == 1


async def test_refresh_rechecks_only_results_older_than_the_index(setup) -> None:
    rule, session, scheduler, published, root = setup
    rule.release.set()
    a = _open(session, scheduler, root / "a.py", "a\n")
    b = _open(session, scheduler, root / "b.py", "b\n")
    await wait_until(lambda: {u for u, _, _ in published} == {a.uri, b.uri}, what="both published")
    project = session.project_of(a)
    # a was checked before b entered the index, so a refresh re-checks a (and only a).
    rule.calls.clear()
    project.epoch += 1
    scheduler.refresh(project)
    await wait_until(lambda: rule.calls == ["a\n"], what="a re-checked")
    # Nothing changed since: a second refresh does no work at all.
    rule.calls.clear()
    project.epoch += 1
    scheduler.refresh(project)
    await asyncio.sleep(0.1)
    assert rule.calls == []
    # A file that is not open changes in the index (a save, a watched file): both are
    # re-checked; their diagnostics did not change, so nothing is re-sent to the editor.
    await scheduler.worker.submit(lambda: project.index.update_text(str(root / "c.py"), "c = 3\n"))
    project.epoch += 1
    count = len(published)
    scheduler.refresh(project)
    await wait_until(lambda: sorted(rule.calls) == ["a\n", "b\n"], what="a and b re-checked")
    await asyncio.sleep(0.1)
    assert len(published) == count


async def test_close_clears_and_forgets(setup) -> None:
    rule, session, scheduler, published, root = setup
    rule.release.set()
    document = _open(session, scheduler, root / "d.py", "d\n")
    await wait_until(lambda: published, what="published")
    session.close(document.uri)
    scheduler.closed(document.uri)
    assert published[-1] == (document.uri, None, [])
    assert scheduler.cached(document.uri) is None


async def test_an_indexing_failure_still_publishes_and_is_reported_once(setup, monkeypatch) -> None:
    rule, session, scheduler, published, root = setup
    rule.release.set()
    reports: list[str] = []
    scheduler.report = lambda message, kind: reports.append(message)
    project = session.projects[str(root.resolve())]

    def broken(path, text, bump=True):
        raise RuntimeError("index bug")

    monkeypatch.setattr(project.index, "update_text", broken)
    document = _open(session, scheduler, root / "e.py", "e\n")
    await wait_until(lambda: published, what="published despite the index")
    assert published[-1][2][0].message == "saw e"
    _change(session, scheduler, document.uri, 2, "e2\n")
    await wait_until(lambda: published[-1][1] == 2, what="v2 published")
    assert len([r for r in reports if "could not index" in r and "index bug" in r]) == 1


async def test_the_worker_runs_the_edited_document_before_background_work() -> None:
    from djvet.lsp.worker import Priority

    worker = Worker(asyncio.get_running_loop())
    started = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def busy() -> None:
        started.set()
        release.wait(5)

    first = worker.submit(busy, Priority.BULK)
    await asyncio.to_thread(started.wait, 5)
    jobs = [
        worker.submit(lambda: order.append("bulk"), Priority.BULK),
        worker.submit(lambda: order.append("refresh"), Priority.REFRESH),
        worker.submit(lambda: order.append("edit"), Priority.EDIT),
    ]
    release.set()
    await asyncio.gather(first, *jobs)
    assert order == ["edit", "refresh", "bulk"]
    failing = worker.submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        await failing  # an exception reaches the awaiting coroutine, the thread lives on
    assert await worker.submit(lambda: "alive") == "alive"
    worker.stop()


async def test_an_opened_module_the_index_holds_is_re_read_from_its_parse(setup) -> None:
    """Once its first diagnostics are out, the index's summary of an opened module comes
    from the buffer's own parse (equal, no generation moves), so the next keystroke
    re-summarises one statement; a module edited since is left to the keystroke path."""
    rule, session, scheduler, published, root = setup
    rule.release.set()
    index = session.projects[str(root.resolve())].index
    text = "async def view(request):\n    return 1\n"
    for name in ("f.py", "g.py"):
        (root / name).write_text(text, encoding="utf-8")
        await scheduler.worker.submit(lambda name=name: index.update_file(root / name))
    f, g = str((root / "f.py").resolve()), str((root / "g.py").resolve())
    before_f, before_g = index.module_at(f), index.module_at(g)
    generation = index.generation
    _open(session, scheduler, root / "f.py", text)
    await wait_until(lambda: index.module_at(f) is not before_f, what="f.py re-read")
    assert repr(index.module_at(f)) == repr(before_f)
    document = _open(session, scheduler, root / "g.py", text)
    _change(session, scheduler, document.uri, 2, text + "\n\nX = 1\n")  # before its re-read
    await wait_until(lambda: published and published[-1][1] == 2, what="g.py v2 published")
    await scheduler.worker.submit(lambda: None)  # the re-read job, if any, has run
    assert index.module_at(g) is not before_g and "X" in index.module_at(g).assignments
    assert index.generation == generation + 1  # g.py's edit, nothing else
