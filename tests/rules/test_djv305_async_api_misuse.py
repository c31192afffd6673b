"""DJV305: misuse of the async ORM API (TypeErrors at runtime, coroutines that never run)."""

from __future__ import annotations

import pytest

from .test_djv301_sync_queryset_call_in_async import body, findings, fix_all, marked

SILENT = [
    ("aiterator() under async for", "async for b in Book.objects.aiterator():\n    pass"),
    ("async for over .all()", "async for b in Book.objects.all():\n    pass"),
    ("awaited aget()", "b = await Book.objects.aget(pk=pk)"),
    ("a coroutine handed to gather()", "await asyncio.gather(book.asave(), Book.objects.acount())"),
    ("a coroutine handed to create_task()", "t = asyncio.create_task(book.asave())\nawait t"),
    ("a coroutine returned to the caller", "return Book.objects.aget(pk=pk)"),
    ("a coroutine stored, awaited later", "c = Book.objects.acount()\nn = await c"),
    ("a coroutine passed to wait_for()", "n = await asyncio.wait_for(Book.objects.acount(), 1)"),
    ("awaiting something unknown", "x = await data.fetch()"),
    ("a dict's get(), dropped", "data.get('k')"),
    ("an unknown object's asave(), dropped", "data.asave()"),
    ("iterating a list with for", "for b in items:\n    pass"),
    ("async for over an unknown async iterable", "async for x in request.stream():\n    pass"),
    (
        "iterator() consumed inside sync_to_async",
        "rows = await sync_to_async(lambda: list(Book.objects.iterator()))()",
    ),
    ("awaiting a helper decorated with sync_to_async", "n = await offloaded()"),
]


@pytest.mark.parametrize(("reason", "snippet"), SILENT, ids=[r for r, _ in SILENT])
def test_must_not_fire(reason: str, snippet: str) -> None:
    assert findings(body(snippet)) == [], reason


FIRING = [
    ("await qs.aiterator()", "rows = await Book.objects.aiterator()  # !"),
    ("for over aiterator()", "for b in Book.objects.aiterator():  # !\n    pass"),
    ("await a QuerySet", "rows = await Book.objects.filter(published=True)  # !"),
    ("await a Manager", "rows = await Book.objects  # !"),
    ("async for over a Manager", "async for b in Book.objects:  # !\n    pass"),
    ("async for over a custom Manager", "async for l in Loan.active:  # !\n    pass"),
    ("async for over iterator()", "async for b in Book.objects.iterator():  # !\n    pass"),
    ("dropped asave()", "book.asave()  # !"),
    ("dropped aupdate()", "Book.objects.filter(pk=pk).aupdate(pages=1)  # !"),
    ("dropped alogin()", "alogin(request, book)  # !"),
    ("attribute of an un-awaited aget()", "t = Book.objects.aget(pk=pk).title  # !"),
    ("truth of an un-awaited aexists()", "if Book.objects.filter(pk=pk).aexists():  # !\n    pass"),
    ("subscript of an un-awaited ain_bulk()", "b = Book.objects.ain_bulk([1])[1]  # !"),
    ("async with transaction.atomic()", "async with transaction.atomic():  # !\n    pass"),
]


@pytest.mark.parametrize(("reason", "snippet"), FIRING, ids=[r for r, _ in FIRING])
def test_must_fire(reason: str, snippet: str) -> None:
    found = findings(body(snippet), codes=("DJV305",))
    assert sorted(f.span.line + 1 for f in found) == marked(snippet), reason


FIXES = [
    ("book.asave()", "await book.asave()"),
    (
        "for b in Book.objects.aiterator():\n    pass",
        "async for b in Book.objects.aiterator():\n    pass",
    ),
    ("async for b in Book.objects:\n    pass", "async for b in Book.objects.all():\n    pass"),
    (
        "async for b in Book.objects.iterator():\n    pass",
        "async for b in Book.objects.aiterator():\n    pass",
    ),
    ("t = Book.objects.aget(pk=pk).title", "t = (await Book.objects.aget(pk=pk)).title"),
    (
        "if Book.objects.filter(pk=pk).aexists():\n    pass",
        "if await Book.objects.filter(pk=pk).aexists():\n    pass",
    ),
]


@pytest.mark.parametrize(("before", "after"), FIXES, ids=[b.split("\n")[0] for b, _ in FIXES])
def test_fix(before: str, after: str) -> None:
    assert fix_all(body(before)) == body(after)


@pytest.mark.parametrize(
    "snippet",
    ["rows = await Book.objects.aiterator()", "rows = await Book.objects.all()"],
)
def test_no_fix_when_the_intent_is_unclear(snippet: str) -> None:
    (finding,) = findings(body(snippet), codes=("DJV305",))
    assert finding.fix is None
    assert "TypeError" in finding.message


@pytest.mark.parametrize(
    ("django", "before", "after"),
    [
        ("4.1", "await book.asave()", "await sync_to_async(book.save)()"),
        ("4.1", "book.asave()", "await sync_to_async(book.save)()"),
        ("4.1", "await book.tags.aadd(1)", "await sync_to_async(book.tags.add)(1)"),
        (
            "5.0",
            "v = await request.session.aget('k')",
            "v = await sync_to_async(request.session.get)('k')",
        ),
        (
            "5.1",
            "u = await User.objects.acreate_user('a')",
            "u = await sync_to_async(User.objects.create_user)('a')",
        ),
    ],
)
def test_async_name_missing_in_the_projects_version(django: str, before: str, after: str) -> None:
    (finding,) = findings(body(before), codes=("DJV305",), django=django)
    assert f"does not exist in Django {django}" in finding.message
    assert fix_all(body(before), django=django) == body(after)
    assert all(
        "does not exist" not in f.message
        for f in findings(body(before), codes=("DJV305",), django="5.2")
    )


@pytest.mark.parametrize(
    "snippet",
    [
        "u = await request.auser()",
        "await alogin(request, book)",
        "b = await aget_object_or_404(Book, pk=pk)",
        "await request.session.aset('k', 1)",
    ],
)
def test_async_api_newer_than_the_project_without_a_fix(snippet: str) -> None:
    (finding,) = findings(body(snippet), codes=("DJV305",), django="4.2")
    assert finding.fix is None and "added in 5." in finding.message
