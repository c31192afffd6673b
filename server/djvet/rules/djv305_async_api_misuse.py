"""DJV305: the async ORM API used wrongly (awaiting a QuerySet, iterating aiterator() with for, ...)."""

from __future__ import annotations

from ..core.rule import Invalid, Valid
from ..core.types import Severity, SourceKind
from ._async_orm_rule import AsyncOrmRule
from .djv301_sync_queryset_call_in_async import EXAMPLE_FILES

_HEAD = "from .models import Book\n\n"


class AsyncApiMisuse(AsyncOrmRule):
    """
    ## What it does
    Flags misuses of Django's async ORM API that fail at runtime: `await qs.aiterator()`,
    `for x in qs.aiterator()`, `await qs` (or a Manager), `async for x in Model.objects`
    (a Manager is not async-iterable), `async for x in qs.iterator()`, `async with
    transaction.atomic()`, an un-awaited `qs.aget(...)` / `obj.asave()` whose coroutine is
    dropped or used as a value, and async names the project's Django version does not have yet
    (`obj.asave()` on 4.1, `request.auser()` or `alogin()` before 5.0).

    ## Why is this bad?
    The first six raise `TypeError`. A dropped coroutine never runs: the save or update
    silently does not happen, and Python only prints a "coroutine was never awaited" warning.
    A coroutine passed on (to `asyncio.gather()`, `create_task()`, or returned) is not
    reported. A name newer than the project's Django raises `AttributeError`/`ImportError`.

    ## Example
    ```python
    async def publish(pk):
        book = await Book.objects.aget(pk=pk)
        book.published = True
        book.asave()
        async for b in Book.objects:
            ...
    ```

    ## Use instead
    ```python
    async def publish(pk):
        book = await Book.objects.aget(pk=pk)
        book.published = True
        await book.asave()
        async for b in Book.objects.all():
            ...
    ```

    ## Fix safety
    Safe where the intent is unambiguous: adding the missing `await`, `for` → `async for`
    over `aiterator()`, `iterator()` → `aiterator()` under `async for`, `.all()` after a
    Manager under `async for`, `obj.asave()` → `sync_to_async(obj.save)()` where the project's
    Django predates `asave()`. `await qs`, `await qs.aiterator()` and `async with
    transaction.atomic()` get no automatic fix.

    ## Django versions
    The async ORM API exists since 4.1 (`asave()` since 4.2).

    ## References
    - [Asynchronous queries](https://docs.djangoproject.com/en/stable/topics/db/queries/#asynchronous-queries)
    - [aiterator()](https://docs.djangoproject.com/en/stable/ref/models/querysets/#django.db.models.query.QuerySet.aiterator)
    """

    code = "DJV305"
    name = "async-api-misuse"
    summary = "Async ORM API misused"
    severity = Severity.ERROR
    targets = frozenset({SourceKind.PYTHON})
    django = ">=4.1"
    fixable = True
    reference = "topics/db/queries/#asynchronous-queries"
    examples = (
        Valid(
            _HEAD
            + "async def v():\n    async for b in Book.objects.aiterator():\n        print(b)\n",
            reason="aiterator() under async for",
            files=EXAMPLE_FILES,
        ),
        Valid(
            "import asyncio\n"
            + _HEAD
            + "async def v(a, b):\n    await asyncio.gather(a.asave(), b.asave())\n",
            reason="coroutines handed to gather() are awaited there",
            files=EXAMPLE_FILES,
        ),
        Valid(
            _HEAD + "async def v(pk):\n    return Book.objects.aget(pk=pk)\n",
            reason="returning the coroutine: the caller awaits it",
            files=EXAMPLE_FILES,
        ),
        Valid(
            _HEAD + "async def v(book: Book):\n    await book.asave()\n",
            reason="asave() awaited",
            files=EXAMPLE_FILES,
        ),
        Valid(
            _HEAD + "async def v():\n    async for b in Book.objects.all():\n        print(b)\n",
            reason="a QuerySet is async-iterable",
            files=EXAMPLE_FILES,
        ),
        Invalid(
            _HEAD + "async def v(book: Book):\n    book.asave()\n",
            reason="the coroutine is dropped; the save never happens",
            lines=(4,),
            fixed=_HEAD + "async def v(book: Book):\n    await book.asave()\n",
            files=EXAMPLE_FILES,
        ),
        Invalid(
            _HEAD + "async def v():\n    async for b in Book.objects:\n        print(b)\n",
            reason="a Manager is not async-iterable",
            lines=(4,),
            fixed=_HEAD
            + "async def v():\n    async for b in Book.objects.all():\n        print(b)\n",
            files=EXAMPLE_FILES,
        ),
        Invalid(
            _HEAD + "async def v():\n    return await Book.objects.filter(published=True)\n",
            reason="a QuerySet is not awaitable",
            lines=(4,),
            files=EXAMPLE_FILES,
        ),
        Invalid(
            _HEAD + "async def v(book: Book):\n    await book.asave()\n",
            reason="asave() does not exist before Django 4.2",
            lines=(4,),
            fixed="from .models import Book\nfrom asgiref.sync import sync_to_async\n\n"
            "async def v(book: Book):\n    await sync_to_async(book.save)()\n",
            django="4.1",
            message="does not exist in Django 4.1",
            files=EXAMPLE_FILES,
        ),
    )
