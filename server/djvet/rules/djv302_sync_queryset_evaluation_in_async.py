"""DJV302: a QuerySet evaluated synchronously (iterated, len(), bool(), in, indexed) in async code."""

from __future__ import annotations

from ..core.rule import Invalid, Valid
from ..core.types import Severity, SourceKind
from ._async_orm_rule import AsyncOrmRule
from .djv301_sync_queryset_call_in_async import EXAMPLE_FILES

_HEAD = "from .models import Book\n\n"


class SyncQuerysetEvaluationInAsync(AsyncOrmRule):
    """
    ## What it does
    Flags places in an `async def` where a QuerySet is evaluated synchronously: a `for` loop
    or comprehension over it, `list()`/`tuple()`/`set()`/`sorted()`/`len()`/`bool()`,
    `if qs:`, `x in qs`, `qs[0]`, a slice with a step (`qs[::2]`), `str()`/`print()`/an
    f-string of it, and consuming `qs.iterator()`. Local flow is followed: `qs =
    Book.objects.filter(...)` then `for b in qs`.

    ## Why is this bad?
    Evaluating a QuerySet runs its SQL, and Django raises `SynchronousOnlyOperation` when that
    happens on the event loop. Building a QuerySet is free: `filter()` chains and slices
    without a step (`qs[:5]`) stay lazy and are not reported; `str(qs.query)` does not query.
    A QuerySet whose result cache an earlier `async for` filled is not queried again; when
    only some paths filled it the finding is a warning.

    ## Example
    ```python
    async def titles(request):
        books = Book.objects.filter(published=True)
        return JsonResponse({"titles": [b.title for b in books], "n": len(books)})
    ```

    ## Use instead
    ```python
    async def titles(request):
        books = Book.objects.filter(published=True)
        return JsonResponse({"titles": [b.title async for b in books], "n": await books.acount()})
    ```

    ## Fix safety
    Safe, and exact: `for` → `async for`, comprehensions gain `async for`, `list(qs)` →
    `[obj async for obj in qs]`, `len(qs)` → `await qs.acount()`, `if qs:` →
    `if await qs.aexists():`, `obj in qs` → `await qs.acontains(obj)` (only when `obj` is an
    instance of the QuerySet's model), `qs[0]` → `[obj async for obj in qs[0:1]][0]` (the
    same query and the same `IndexError` as Django's own indexing), `qs[a:b:s]` →
    `[obj async for obj in qs[a:b]][::s]`. `str()`/`print()` and generator expressions get
    no automatic fix.

    ## Django versions
    `async for` over QuerySets and `acount`/`aexists`/`acontains`/`aiterator` exist since 4.1.

    ## References
    - [Asynchronous queries](https://docs.djangoproject.com/en/stable/topics/db/queries/#asynchronous-queries)
    - [When QuerySets are evaluated](https://docs.djangoproject.com/en/stable/ref/models/querysets/#when-querysets-are-evaluated)
    """

    code = "DJV302"
    name = "sync-queryset-evaluation-in-async"
    summary = "QuerySet evaluated synchronously in async code"
    severity = Severity.ERROR
    targets = frozenset({SourceKind.PYTHON})
    django = ">=4.1"
    fixable = True
    reference = "topics/async/#queries-the-orm"
    examples = (
        Valid(
            _HEAD + "async def v():\n    return [b.title async for b in Book.objects.all()]\n",
            reason="async comprehension",
            files=EXAMPLE_FILES,
        ),
        Valid(
            _HEAD
            + "async def v():\n    qs = Book.objects.filter(published=True)\n    return qs[0:5]\n",
            reason="a slice without a step stays lazy; the QuerySet is never evaluated here",
            files=EXAMPLE_FILES,
        ),
        Valid(
            _HEAD + "async def v():\n    return str(Book.objects.all().query)\n",
            reason="str(qs.query) builds SQL text without a query",
            files=EXAMPLE_FILES,
        ),
        Valid(
            "async def v(items: list):\n    return len(items), items.count(1), [x for x in items]\n",
            reason="a list is not a QuerySet",
            files=EXAMPLE_FILES,
        ),
        Valid(
            _HEAD
            + "async def v():\n    qs = Book.objects.all()\n    async for b in qs:\n        pass\n    return len(qs)\n",
            reason="the earlier async for filled the QuerySet's result cache",
            files=EXAMPLE_FILES,
        ),
        Valid(
            _HEAD + "def v():\n    return list(Book.objects.all())\n",
            reason="sync code",
            files=EXAMPLE_FILES,
        ),
        Invalid(
            _HEAD
            + "async def v():\n    qs = Book.objects.filter(published=True)\n    for b in qs:\n        print(b.title)\n",
            reason="a for loop over a QuerySet",
            lines=(5,),
            fixed=_HEAD
            + "async def v():\n    qs = Book.objects.filter(published=True)\n    async for b in qs:\n        print(b.title)\n",
            files=EXAMPLE_FILES,
        ),
        Invalid(
            _HEAD
            + "async def v():\n    return len(Book.objects.all()), list(Book.objects.all())\n",
            reason="len() and list() evaluate",
            lines=(4, 4),
            fixed=_HEAD
            + "async def v():\n    return await Book.objects.all().acount(), [obj async for obj in Book.objects.all()]\n",
            files=EXAMPLE_FILES,
        ),
        Invalid(
            _HEAD
            + "async def v():\n    if Book.objects.filter(published=True):\n        return 1\n",
            reason="truth test",
            lines=(4,),
            fixed=_HEAD
            + "async def v():\n    if await Book.objects.filter(published=True).aexists():\n        return 1\n",
            files=EXAMPLE_FILES,
        ),
    )
