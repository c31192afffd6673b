"""DJV303: lazy relations and deferred fields loaded by attribute access in async code."""

from __future__ import annotations

import pytest

from .test_djv301_sync_queryset_call_in_async import body, findings, fix_all, marked

SILENT = [
    ("the FK column is loaded with the row", "b = await Book.objects.aget(pk=pk)\nx = b.author_id"),
    ("a plain field", "b = await Book.objects.aget(pk=pk)\nx = b.title"),
    (
        "select_related loaded it",
        "b = await Book.objects.select_related('author').aget(pk=pk)\nx = b.author.name",
    ),
    (
        "select_related with a deeper path loads every step",
        "b = await Book.objects.select_related('author__publisher').aget(pk=pk)\nx = b.author.publisher.name",
    ),
    (
        "select_related() with no arguments follows the foreign keys",
        "b = await Book.objects.select_related().aget(pk=pk)\nx = b.author.name",
    ),
    (
        "select_related on the variable the loop iterates",
        "qs = Book.objects.filter(published=True).select_related('author')\nasync for b in qs:\n    print(b.author.name)",
    ),
    ("a parameter: its query is not visible", "x = book.author.name"),
    ("an instance from an unknown call", "b = await load_book(pk)\nx = b.author"),
    (
        "an instance created with the relation passed in",
        "b = await Book.objects.acreate(title='t', author=book.author_id)\nx = b.title",
    ),
    (
        "a created instance: Django caches relations passed to create()",
        "a = await Author.objects.afirst()\nb = await Book.objects.acreate(author=a)\nx = b.author",
    ),
    (
        "the relation was assigned first",
        "b = await Book.objects.aget(pk=pk)\nb.author = await Author.objects.afirst()\nx = b.author.name",
    ),
    (
        "pk and id are always loaded",
        "b = await Book.objects.only('title').aget(pk=pk)\nx = (b.pk, b.id, b.title)",
    ),
    (
        "a deferred field inside sync_to_async",
        "b = await Book.objects.aget(pk=pk)\nx = await sync_to_async(lambda: b.author.name)()",
    ),
    (
        "prefetch_related filled the related manager's cache",
        "a = await Author.objects.prefetch_related('books').aget(pk=pk)\nfor b in a.books.all():\n    pass",
    ),
    (
        "async iteration of a related manager",
        "a = await Author.objects.aget(pk=pk)\nasync for b in a.books.all():\n    pass",
    ),
    (
        "values() rows are dicts, not instances",
        "async for row in Book.objects.values('author'):\n    x = row['author']",
    ),
    ("await request.auser() gives a loaded user", "u = await request.auser()\nx = u.username"),
    (
        "naming the related manager evaluates nothing",
        "b = await Book.objects.aget(pk=pk)\nm = b.tags",
    ),
    (
        "a custom QuerySet method may select the relation (djvet does not guess)",
        "b = await Book.objects.published().aget(pk=pk)\nx = b.author.name",
    ),
    (
        "a manager with its own get_queryset may select relations",
        "l = await Loan.active.aget(pk=pk)\nx = l.book.title",
    ),
    (
        "a Prefetch object (not a string) counts as prefetching",
        "a = await Author.objects.prefetch_related(Prefetch('books', queryset=q)).aget(pk=pk)\n"
        "for b in a.books.all():\n    pass",
    ),
    (
        "a prefetch through a variable djvet cannot read",
        "a = await Author.objects.prefetch_related(*lookups).aget(pk=pk)\nfor b in a.books.all():\n    pass",
    ),
]


@pytest.mark.parametrize(("reason", "snippet"), SILENT, ids=[r for r, _ in SILENT])
def test_must_not_fire(reason: str, snippet: str) -> None:
    assert findings(body(snippet)) == [], reason


FIRING = [
    ("FK on an instance from aget()", "b = await Book.objects.aget(pk=pk)\nx = b.author.name  # !"),
    (
        "FK on an instance from afirst()",
        "b = await Book.objects.filter(published=True).afirst()\nx = b.author  # !",
    ),
    ("FK in async for", "async for b in Book.objects.all():\n    print(b.author)  # !"),
    (
        "FK on rows of a list built with async for",
        "rows = [b async for b in Book.objects.all()]\nfor b in rows:\n    print(b.author.name)  # !",
    ),
    (
        "second hop not selected",
        "b = await Book.objects.select_related('author').aget(pk=pk)\nx = b.author.publisher  # !",
    ),
    ("reverse one-to-one", "u = await User.objects.aget(pk=pk)\nx = u.profile.bio  # !"),
    ("deferred by only()", "b = await Book.objects.only('title').aget(pk=pk)\nx = b.pages  # !"),
    ("deferred by defer()", "b = await Book.objects.defer('pages').aget(pk=pk)\nx = b.pages  # !"),
    (
        "related .all() iterated without prefetch",
        "a = await Author.objects.aget(pk=pk)\nfor b in a.books.all():  # !\n    pass",
    ),
    (
        "related .all() in list()",
        "a = await Author.objects.aget(pk=pk)\nrows = list(a.books.all())  # !",
    ),
    (
        "m2m .all() in a comprehension",
        "b = await Book.objects.aget(pk=pk)\nnames = [t.name for t in b.tags.all()]  # !",
    ),
    (
        "prefetched a different relation",
        "b = await Book.objects.prefetch_related('loans').aget(pk=pk)\nfor t in b.tags.all():  # !\n    pass",
    ),
    (
        "FK read into a variable (the read itself queries)",
        "b = await Book.objects.aget(pk=pk)\na = b.author  # !\nx = a.name",
    ),
]


@pytest.mark.parametrize(("reason", "snippet"), FIRING, ids=[r for r, _ in FIRING])
def test_must_fire(reason: str, snippet: str) -> None:
    found = findings(body(snippet), codes=("DJV303",))
    assert sorted(f.span.line + 1 for f in found) == marked(snippet), reason


def test_message_suggests_select_related_and_the_fk_id() -> None:
    (finding,) = findings(
        body("b = await Book.objects.aget(pk=pk)\nx = b.author.name"), codes=("DJV303",)
    )
    assert 'select_related("author")' in finding.message
    assert "author_id" in finding.message


FIXES = [
    (
        "b = await Book.objects.aget(pk=pk)\nx = b.author.name",
        'b = await Book.objects.select_related("author").aget(pk=pk)\nx = b.author.name',
    ),
    (
        "qs = Book.objects.filter(published=True)\nasync for b in qs:\n    print(b.author)",
        'qs = Book.objects.filter(published=True).select_related("author")\nasync for b in qs:\n    print(b.author)',
    ),
    (
        "rows = [b async for b in Book.objects.all()]\nfor b in rows:\n    print(b.author.name)",
        'rows = [b async for b in Book.objects.all().select_related("author")]\nfor b in rows:\n    print(b.author.name)',
    ),
    (
        "b = await Book.objects.select_related('author').aget(pk=pk)\nx = b.author.publisher.name",
        "b = await Book.objects.select_related('author').select_related(\"author__publisher\").aget(pk=pk)\nx = b.author.publisher.name",
    ),
    (
        "u = await User.objects.aget(pk=pk)\nx = u.profile.bio",
        'u = await User.objects.select_related("profile").aget(pk=pk)\nx = u.profile.bio',
    ),
    (
        "a = await Author.objects.aget(pk=pk)\nfor b in a.books.all():\n    pass",
        "a = await Author.objects.aget(pk=pk)\nasync for b in a.books.all():\n    pass",
    ),
]


@pytest.mark.parametrize(("before", "after"), FIXES, ids=[b.split("\n")[-1] for b, _ in FIXES])
def test_fix(before: str, after: str) -> None:
    assert fix_all(body(before)) == body(after)


def test_two_accesses_one_select_related() -> None:
    snippet = "b = await Book.objects.aget(pk=pk)\nx = b.author.name\ny = b.author.pk"
    fixed = fix_all(body(snippet))
    assert fixed.count('select_related("author")') == 1
    assert findings(fixed, codes=("DJV303",)) == []


def test_no_fix_when_the_query_is_not_visible() -> None:
    snippet = "b = await Book.objects.only('title').aget(pk=pk)\nx = b.pages"
    (finding,) = findings(body(snippet), codes=("DJV303",))
    assert finding.fix is None
    assert "deferred" in finding.message


def test_no_select_related_fix_after_union() -> None:
    snippet = "qs = Book.objects.filter(pk=1).union(Book.objects.filter(pk=2))\nasync for b in qs:\n    print(b.author)"
    (finding,) = findings(body(snippet), codes=("DJV303",))
    assert finding.fix is None  # select_related() after union() raises NotSupportedError
