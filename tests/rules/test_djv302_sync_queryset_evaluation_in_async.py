"""DJV302: a QuerySet evaluated synchronously in async code (iteration, len, bool, in, index)."""

from __future__ import annotations

import pytest

from djvet.core.types import Severity

from .test_djv301_sync_queryset_call_in_async import body, findings, fix_all, marked

SILENT = [
    ("async for over a QuerySet", "async for b in Book.objects.all():\n    print(b.title)"),
    (
        "async comprehension",
        "titles = [b.title async for b in Book.objects.filter(published=True)]",
    ),
    ("a slice without a step stays lazy", "qs = Book.objects.all()[0:5]\nqs2 = qs[:2]"),
    ("str(qs.query) builds SQL text only", "sql = str(Book.objects.filter(pk=pk).query)"),
    ("iterating a list", "for x in items:\n    print(x)"),
    ("len() of a list", "n = len(items)"),
    ("list() of a list", "c = list(items)"),
    (
        "a list built with async for, then iterated",
        "books = [b async for b in Book.objects.all()]\nfor b in books:\n    print(b.title)",
    ),
    (
        "truth test of a list of rows",
        "books = [b async for b in Book.objects.all()]\nif books:\n    pass",
    ),
    (
        "the result cache was filled by async for",
        "qs = Book.objects.all()\nasync for b in qs:\n    pass\nn = len(qs)\nif qs:\n    pass",
    ),
    ("a QuerySet returned unevaluated", "return Book.objects.filter(published=True)"),
    (
        "a QuerySet passed to a TemplateResponse",
        "return TemplateResponse(request, 't.html', {'books': Book.objects.all()})",
    ),
    ("iteration inside a lambda", "f = lambda: [b for b in Book.objects.all()]"),
    (
        "iteration inside sync_to_async(lambda)",
        "rows = await sync_to_async(lambda: list(Book.objects.all()))()",
    ),
    ("a dict's keys", "for k in data:\n    print(k)"),
    ("membership in a dict", "ok = 'x' in data"),
    ("a Manager named but not iterated", "m = Book.objects"),
    ("iterator() called but never consumed", "it = Book.objects.iterator()"),
    ("aiterator() under async for", "async for b in Book.objects.aiterator():\n    pass"),
    ("a related manager's QuerySet, async-iterated", "async for t in book.tags.all():\n    pass"),
    (
        "a list of ids built with async for",
        "ids = [i async for i in Book.objects.values_list('id', flat=True)]\nfor i in ids:\n    pass",
    ),
    ("len() of a string", "n = len(text)"),
    ("truth of a model instance", "b = await Book.objects.afirst()\nif b:\n    pass"),
    ("membership in a list", "ok = pk in [b.pk async for b in Book.objects.all()]"),
    ("list() of a dict's items", "pairs = list(data.items())"),
    (
        "a conditional expression choosing a QuerySet",
        "qs = Book.objects.all() if pk else Book.objects.none()",
    ),
    ("a QuerySet stored in a dict", "ctx = {'books': Book.objects.all()}"),
    ("list() run in a thread", "rows = await sync_to_async(list)(Book.objects.all())"),
    (
        "len() of a prefetched relation",
        "a = await Author.objects.prefetch_related('books').aget(pk=pk)\nn = len(a.books.all())",
    ),
    ("awaited aexists() in an if", "if await Book.objects.aexists():\n    pass"),
    (
        "a prefetched relation iterated synchronously",
        "async for a in Author.objects.prefetch_related('books'):\n    names = [b.title for b in a.books.all()]",
    ),
]


@pytest.mark.parametrize(("reason", "snippet"), SILENT, ids=[r for r, _ in SILENT])
def test_must_not_fire(reason: str, snippet: str) -> None:
    assert findings(body(snippet)) == [], reason


FIRING = [
    (
        "for loop over a variable",
        "qs = Book.objects.filter(published=True)\nfor b in qs:  # !\n    pass",
    ),
    ("for loop over a chain", "for b in Book.objects.order_by('title'):  # !\n    pass"),
    ("list comprehension", "titles = [b.title for b in Book.objects.all()]  # !"),
    ("set comprehension", "ids = {b.pk for b in Book.objects.all()}  # !"),
    ("dict comprehension", "m = {b.pk: b for b in Book.objects.all()}  # !"),
    (
        "generator expression (its first iterable is evaluated at once)",
        "g = (b for b in Book.objects.all())  # !",
    ),
    ("list()", "rows = list(Book.objects.all())  # !"),
    ("tuple()", "rows = tuple(Book.objects.values_list('id', flat=True))  # !"),
    ("set()", "rows = set(Book.objects.all())  # !"),
    ("sorted()", "rows = sorted(Book.objects.all(), key=str)  # !"),
    ("len()", "n = len(Book.objects.all())  # !"),
    ("bool()", "ok = bool(Book.objects.all())  # !"),
    ("if qs:", "qs = Book.objects.all()\nif qs:  # !\n    pass"),
    ("not qs", "empty = not Book.objects.all()  # !"),
    ("qs or default", "rows = Book.objects.all() or []  # !"),
    ("while qs", "while Book.objects.filter(pages=0):  # !\n    break"),
    ("x in qs", "ok = book in Book.objects.all()  # !"),
    ("qs[0]", "b = Book.objects.all()[0]  # !"),
    ("qs[::2]", "rows = Book.objects.all()[::2]  # !"),
    ("str(qs)", "s = str(Book.objects.all())  # !"),
    ("repr(qs)", "s = repr(Book.objects.all())  # !"),
    ("print(qs)", "print(Book.objects.all())  # !"),
    ("f-string", "s = f'{Book.objects.all()}'  # !"),
    ("consuming iterator()", "for b in Book.objects.iterator():  # !\n    pass"),
    ("list(iterator())", "rows = list(Book.objects.iterator())  # !"),
    ("enumerate()", "for i, b in enumerate(Book.objects.all()):  # !\n    pass"),
    ("raw() iterated", "for b in Book.objects.raw('select 1'):  # !\n    pass"),
    (
        "related filter() iterated (a new query, prefetch or not)",
        "for t in book.tags.filter(name='x'):  # !\n    pass",
    ),
]


@pytest.mark.parametrize(("reason", "snippet"), FIRING, ids=[r for r, _ in FIRING])
def test_must_fire(reason: str, snippet: str) -> None:
    found = findings(body(snippet), codes=("DJV302",))
    assert sorted(f.span.line + 1 for f in found) == marked(snippet), reason
    assert "SynchronousOnlyOperation" in found[0].message


def test_maybe_cached_is_a_warning() -> None:
    snippet = """
        qs = Book.objects.all()
        if pk:
            async for b in qs:
                pass
        n = len(qs)  # !
    """
    (finding,) = findings(body(snippet), codes=("DJV302",))
    assert finding.severity is Severity.WARNING
    assert "result cache" in finding.message
    assert finding.fix is None  # the rewrite would not be exact on the cached path


FIXES = [
    ("for b in Book.objects.all():\n    pass", "async for b in Book.objects.all():\n    pass"),
    (
        "t = [b.title for b in Book.objects.all()]",
        "t = [b.title async for b in Book.objects.all()]",
    ),
    (
        "t = {b.pk: b for b in Book.objects.all()}",
        "t = {b.pk: b async for b in Book.objects.all()}",
    ),
    ("rows = list(Book.objects.all())", "rows = [obj async for obj in Book.objects.all()]"),
    ("rows = set(Book.objects.all())", "rows = {obj async for obj in Book.objects.all()}"),
    ("rows = tuple(Book.objects.all())", "rows = tuple([obj async for obj in Book.objects.all()])"),
    (
        "rows = sorted(Book.objects.all())",
        "rows = sorted([obj async for obj in Book.objects.all()])",
    ),
    ("n = len(Book.objects.all())", "n = await Book.objects.all().acount()"),
    (
        "n = len(Book.objects.all()).bit_length()",
        "n = (await Book.objects.all().acount()).bit_length()",
    ),
    ("ok = bool(Book.objects.all())", "ok = await Book.objects.all().aexists()"),
    ("if Book.objects.all():\n    pass", "if await Book.objects.all().aexists():\n    pass"),
    ("e = not Book.objects.all()", "e = not await Book.objects.all().aexists()"),
    ("ok = book in Book.objects.all()", "ok = await Book.objects.all().acontains(book)"),
    ("ok = book not in Book.objects.all()", "ok = not await Book.objects.all().acontains(book)"),
    ("b = Book.objects.all()[2]", "b = [obj async for obj in Book.objects.all()[2:3]][0]"),
    (
        "rows = Book.objects.all()[1:9:2]",
        "rows = [obj async for obj in Book.objects.all()[1:9]][::2]",
    ),
    (
        "for b in Book.objects.iterator():\n    pass",
        "async for b in Book.objects.aiterator():\n    pass",
    ),
    (
        "obj = 1\nrows = list(Book.objects.filter(pk=obj))",
        "obj = 1\nrows = [row async for row in Book.objects.filter(pk=obj)]",
    ),
]


@pytest.mark.parametrize(("before", "after"), FIXES, ids=[b.split("\n")[0] for b, _ in FIXES])
def test_fix(before: str, after: str) -> None:
    assert fix_all(body(before)) == body(after)


NO_FIX = [
    (
        "membership of something that is not an instance of the model (contains() would raise)",
        "ok = 3 in Book.objects.all()",
    ),
    ("a negative index has no async equivalent", "b = Book.objects.all()[-1]"),
    ("print() of a QuerySet", "print(Book.objects.all())"),
    ("a generator expression cannot become async", "g = (b for b in Book.objects.all())"),
    ("qs or default changes type if rewritten", "rows = Book.objects.all() or []"),
]


@pytest.mark.parametrize(("reason", "snippet"), NO_FIX, ids=[r for r, _ in NO_FIX])
def test_no_fix_where_no_exact_rewrite(reason: str, snippet: str) -> None:
    found = findings(body(snippet), codes=("DJV302",))
    assert found, reason
    assert all(f.fix is None for f in found), reason


def test_fix_all_is_idempotent() -> None:
    snippet = """
        qs = Book.objects.filter(published=True)
        for b in qs:
            pass
        t = [b.title for b in Book.objects.all()]
        n = len(Book.objects.all())
        if Book.objects.exclude(pages=0):
            pass
        first = Book.objects.all()[0]
    """
    once = fix_all(body(snippet))
    assert once != body(snippet)
    assert fix_all(once) == once
    assert findings(once, codes=("DJV302",)) == []


def test_no_aiterator_fix_after_prefetch_related_before_50() -> None:
    snippet = "for b in Book.objects.prefetch_related('tags').iterator(chunk_size=10):\n    pass"
    (old,) = findings(body(snippet), codes=("DJV302",), django="4.2")
    assert old.fix is None  # aiterator() + prefetch_related() raises NotSupportedError on 4.x
    (new,) = findings(body(snippet), codes=("DJV302",), django="5.0")
    assert new.fix is not None
