"""DJV301: a QuerySet/Manager/model method (or a sync helper) that runs a query, called in async code."""

from __future__ import annotations

from ..core.rule import Invalid, Valid
from ..core.types import Severity, SourceKind
from ._async_orm_rule import AsyncOrmRule

# The models every DJV30x example runs against (``app/models.py``).
EXAMPLE_MODELS = """
from django.db import models


class BookQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def stats(self):
        return self.aggregate(n=models.Count("id"))


class Author(models.Model):
    name = models.CharField(max_length=100)


class Book(models.Model):
    title = models.CharField(max_length=100)
    published = models.BooleanField(default=False)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    tags = models.ManyToManyField("Tag", related_name="books")

    objects = BookQuerySet.as_manager()


class Tag(models.Model):
    name = models.CharField(max_length=50)
"""
EXAMPLE_FILES = {"app/models.py": EXAMPLE_MODELS}


class SyncQuerysetCallInAsync(AsyncOrmRule):
    """
    ## What it does
    Flags calls that run a database query synchronously inside an `async def`: QuerySet and
    Manager methods that evaluate (`get`, `first`, `count`, `exists`, `create`, `update`,
    `delete`, `aggregate`, ...), custom Manager/QuerySet methods whose body evaluates, model
    instance `save()`/`delete()`/`refresh_from_db()`/`full_clean()`, related-manager
    `add`/`remove`/`clear`/`set`/`create`, and plain functions of the project that run a query
    (directly or through a few levels of helpers) called from async code.

    ## Why is this bad?
    Django's database layer refuses to run on the event loop: the call raises
    `SynchronousOnlyOperation` at request time — often only on the code path a test did not
    take. Lazy chains (`filter`, `exclude`, `order_by`, `select_related`, custom methods that
    return `self.filter(...)`) stay silent: they do not query.

    ## Example
    ```python
    async def book_detail(request, pk):
        book = Book.objects.get(pk=pk)
        return JsonResponse({"title": book.title})
    ```

    ## Use instead
    ```python
    async def book_detail(request, pk):
        book = await Book.objects.aget(pk=pk)
        return JsonResponse({"title": book.title})
    ```

    ## Fix safety
    Safe: the `a`-prefixed methods wrap the same sync method in `sync_to_async`, and
    `await sync_to_async(f)(...)` runs the same call in Django's thread. Where the project's
    Django version lacks the async method (`asave()` before 4.2, `aadd()` before 4.2) the fix
    is `await sync_to_async(obj.save)(...)` with the import added. No fix is offered inside a
    generator expression (an `await` would turn it into an async generator).

    ## Django versions
    QuerySet methods: `a*` forms since 4.1. Model `asave`/`adelete`/`arefresh_from_db` and
    related-manager `aadd`/`aremove`/`aclear`/`aset`: 4.2. `full_clean()` has no async form.

    ## References
    - [Asynchronous queries](https://docs.djangoproject.com/en/stable/topics/db/queries/#asynchronous-queries)
    - [Async safety](https://docs.djangoproject.com/en/stable/topics/async/#async-safety)
    """

    code = "DJV301"
    name = "sync-queryset-call-in-async"
    summary = "Synchronous ORM call in async code"
    severity = Severity.ERROR
    targets = frozenset({SourceKind.PYTHON})
    django = ">=4.1"
    fixable = True
    reference = "topics/async/#queries-the-orm"
    examples = (
        Valid(
            "from .models import Book\n\nasync def v(pk):\n    return await Book.objects.aget(pk=pk)\n",
            reason="the async method, awaited",
            files=EXAMPLE_FILES,
        ),
        Valid(
            "from .models import Book\n\nasync def v():\n    return Book.objects.filter(published=True).order_by('title')\n",
            reason="a lazy QuerySet chain never queries by itself",
            files=EXAMPLE_FILES,
        ),
        Valid(
            "from .models import Book\n\nasync def v():\n    return Book.objects.published()\n",
            reason="a custom QuerySet method that returns self.filter(...) is lazy",
            files=EXAMPLE_FILES,
        ),
        Valid(
            "async def v(request, data: dict):\n    return data.get('x'), request.GET.get('page')\n",
            reason="dict.get() and request.GET.get() are not queries",
            files=EXAMPLE_FILES,
        ),
        Valid(
            "from asgiref.sync import sync_to_async\nfrom .models import Book\n\n"
            "async def v(pk):\n    return await sync_to_async(Book.objects.get)(pk=pk)\n",
            reason="the sync method runs in a thread via sync_to_async",
            files=EXAMPLE_FILES,
        ),
        Valid(
            "from .models import Book\n\ndef v(pk):\n    return Book.objects.get(pk=pk)\n",
            reason="sync code may query",
            files=EXAMPLE_FILES,
        ),
        Valid(
            "from .models import Book\n\nasync def v(pk):\n    def load():\n        return Book.objects.get(pk=pk)\n    return load\n",
            reason="a nested def runs wherever it is called",
            files=EXAMPLE_FILES,
        ),
        Invalid(
            "from .models import Book\n\nasync def v(pk):\n    book = Book.objects.get(pk=pk)\n    return book\n",
            reason="get() runs the query on the event loop",
            lines=(4,),
            fixed="from .models import Book\n\nasync def v(pk):\n    book = await Book.objects.aget(pk=pk)\n    return book\n",
            message="use `await Book.objects.aget()`",
            files=EXAMPLE_FILES,
        ),
        Invalid(
            "from .models import Book\n\nasync def v(pk):\n    return Book.objects.get(pk=pk).title\n",
            reason="parenthesised await where an attribute follows",
            lines=(4,),
            fixed="from .models import Book\n\nasync def v(pk):\n    return (await Book.objects.aget(pk=pk)).title\n",
            files=EXAMPLE_FILES,
        ),
        Invalid(
            "from .models import Book\n\nasync def v(book: Book):\n    book.save()\n",
            reason="model save() in async code, Django 4.1: no asave yet",
            lines=(4,),
            fixed="from .models import Book\nfrom asgiref.sync import sync_to_async\n\nasync def v(book: Book):\n    await sync_to_async(book.save)()\n",
            django="4.1",
            files=EXAMPLE_FILES,
        ),
        Invalid(
            "from .models import Book\n\ndef refresh_count():\n    return Book.objects.count()\n\n"
            "async def v():\n    return refresh_count()\n",
            reason="a sync helper of the project that queries, called from async code",
            lines=(7,),
            fixed="from .models import Book\nfrom asgiref.sync import sync_to_async\n\ndef refresh_count():\n"
            "    return Book.objects.count()\n\nasync def v():\n    return await sync_to_async(refresh_count)()\n",
            files=EXAMPLE_FILES,
        ),
    )
