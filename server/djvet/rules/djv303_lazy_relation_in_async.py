"""DJV303: a lazy relation or deferred field loaded by attribute access in async code."""

from __future__ import annotations

from ..core.rule import Invalid, Valid
from ..core.types import Severity, SourceKind
from ._async_orm_rule import AsyncOrmRule
from .djv301_sync_queryset_call_in_async import EXAMPLE_FILES

_HEAD = "from .models import Author, Book\n\n"


class LazyRelationInAsync(AsyncOrmRule):
    """
    ## What it does
    Flags attribute accesses in an `async def` that make Django load something with a query:
    a foreign key or one-to-one relation (`book.author`, a reverse one-to-one `user.profile`) on
    an instance whose query did not `select_related()` it, iterating `obj.related.all()` (a
    `for` loop, a comprehension, `list()`, `len()`) when the instance's query did not
    `prefetch_related()` it, and fields left out by `only()`/`defer()`. Only instances
    whose query is visible in the function are judged (from `await ...aget()`, `afirst()`,
    `async for`, or a list built with `async for`); parameters and other unknown objects stay
    silent.

    ## Why is this bad?
    The access looks like a plain attribute read but runs a query; on the event loop Django
    raises `SynchronousOnlyOperation`. `book.author_id` reads the column already loaded and
    is fine, as is `book.author` after `select_related("author")`.

    ## Example
    ```python
    async def book_card(request, pk):
        book = await Book.objects.aget(pk=pk)
        return JsonResponse({"author": book.author.name})
    ```

    ## Use instead
    ```python
    async def book_card(request, pk):
        book = await Book.objects.select_related("author").aget(pk=pk)
        return JsonResponse({"author": book.author.name})
    ```

    ## Fix safety
    Safe: `select_related("author")` is added to the query that produced the instance when
    that query is in the same function (the results are the same; the relation arrives in
    the same query through a join). Iterating an un-prefetched `obj.related.all()` is fixed
    with `async for`. Deferred fields and instances from elsewhere get no automatic fix.

    ## Django versions
    All versions with async views (4.1+).

    ## References
    - [select_related()](https://docs.djangoproject.com/en/stable/ref/models/querysets/#select-related)
    - [prefetch_related()](https://docs.djangoproject.com/en/stable/ref/models/querysets/#prefetch-related)
    """

    code = "DJV303"
    name = "lazy-relation-in-async"
    summary = "Lazy relation loaded synchronously in async code"
    severity = Severity.ERROR
    targets = frozenset({SourceKind.PYTHON})
    django = ">=4.1"
    fixable = True
    reference = "ref/models/querysets/#select-related"
    examples = (
        Valid(
            _HEAD
            + "async def v(pk):\n    book = await Book.objects.aget(pk=pk)\n    return book.author_id\n",
            reason="the FK column is loaded with the row",
            files=EXAMPLE_FILES,
        ),
        Valid(
            _HEAD
            + 'async def v(pk):\n    book = await Book.objects.select_related("author").aget(pk=pk)\n    return book.author.name\n',
            reason="select_related() loaded the relation",
            files=EXAMPLE_FILES,
        ),
        Valid(
            _HEAD
            + "async def v(pk):\n    book = await Book.objects.aget(pk=pk)\n    return book.title\n",
            reason="a plain field of an instance from aget()",
            files=EXAMPLE_FILES,
        ),
        Valid(
            _HEAD + "async def v(book: Book):\n    return book.author.name\n",
            reason="a parameter: the caller's query may have loaded the relation",
            files=EXAMPLE_FILES,
        ),
        Valid(
            _HEAD
            + 'async def v():\n    async for a in Author.objects.prefetch_related("books"):\n        for b in a.books.all():\n            print(b.title)\n',
            reason="prefetch_related() filled the relation's cache",
            files=EXAMPLE_FILES,
        ),
        Valid(
            _HEAD
            + "async def v(pk):\n    book = await Book.objects.aget(pk=pk)\n    return [t.name async for t in book.tags.all()]\n",
            reason="async iteration of a related manager's QuerySet",
            files=EXAMPLE_FILES,
        ),
        Invalid(
            _HEAD
            + "async def v(pk):\n    book = await Book.objects.aget(pk=pk)\n    return book.author.name\n",
            reason="FK access on an instance whose query did not select_related it",
            lines=(5,),
            fixed=_HEAD
            + 'async def v(pk):\n    book = await Book.objects.select_related("author").aget(pk=pk)\n    return book.author.name\n',
            files=EXAMPLE_FILES,
        ),
        Invalid(
            _HEAD
            + "async def v():\n    async for b in Book.objects.filter(published=True):\n        print(b.author)\n",
            reason="FK access inside async for",
            lines=(5,),
            fixed=_HEAD
            + 'async def v():\n    async for b in Book.objects.filter(published=True).select_related("author"):\n        print(b.author)\n',
            files=EXAMPLE_FILES,
        ),
        Invalid(
            _HEAD
            + "async def v(pk):\n    author = await Author.objects.aget(pk=pk)\n    for b in author.books.all():\n        print(b.title)\n",
            reason="iterating a related manager without prefetch_related",
            lines=(5,),
            fixed=_HEAD
            + "async def v(pk):\n    author = await Author.objects.aget(pk=pk)\n    async for b in author.books.all():\n        print(b.title)\n",
            files=EXAMPLE_FILES,
        ),
    )
