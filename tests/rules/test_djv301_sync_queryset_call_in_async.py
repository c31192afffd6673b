"""DJV301: evaluating ORM calls (and sync helpers that query) inside async code.

Also home of the small harness the DJV30x test modules share: a shop app (models with an
abstract base, FK/M2M/O2O, a custom QuerySet and Manager; a services module with sync helpers),
``body()`` to place a snippet inside an async view, and ``marked()`` to read the expected lines
from ``# !`` markers in the snippet.
"""

from __future__ import annotations

import textwrap

import pytest

from djvet.core.config import Settings, parse_version
from djvet.core.engine import check, fix_document
from djvet.core.project import in_memory_project
from djvet.core.rule import Document
from djvet.core.types import Finding, Severity, SourceKind

MODELS = """
from django.conf import settings
from django.db import models


class Stamped(models.Model):
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class BookQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def by(self, author):
        return self.filter(author=author).order_by("title")

    def total_pages(self):
        return self.aggregate(n=models.Sum("pages"))["n"]

    def newest(self):
        return self.order_by("-created").first()

    def label(self):
        return "books"


class LoanManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(returned=False)

    def overdue(self):
        return self.get_queryset().filter(overdue=True)

    def overdue_count(self):
        return self.overdue().count()


class Publisher(Stamped):
    name = models.CharField(max_length=100)


class Author(Stamped):
    name = models.CharField(max_length=100)
    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, null=True, related_name="authors")


class Book(Stamped):
    title = models.CharField(max_length=100)
    pages = models.IntegerField(default=0)
    published = models.BooleanField(default=False)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    tags = models.ManyToManyField("Tag", related_name="books")

    objects = BookQuerySet.as_manager()

    def display(self):
        return f"{self.title} ({self.pages})"

    def mark_published(self):
        self.published = True
        self.save()


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)


class Loan(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="loans")
    borrower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    returned = models.BooleanField(default=False)
    overdue = models.BooleanField(default=False)

    objects = models.Manager()
    active = LoanManager()


class Note(models.Model):
    text = models.CharField(max_length=10)


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    bio = models.TextField(blank=True)
"""

SERVICES = """
from asgiref.sync import sync_to_async

from .models import Book


def book_count():
    return Book.objects.count()


def titles_via_helper():
    return _titles()


def _titles():
    return [b.title for b in Book.objects.all()]


def touch(loan):
    loan.returned = True
    loan.save()


def label(book):
    return book.title.upper()


def safe_helper(x):
    return x * 2


@sync_to_async
def offloaded():
    return Book.objects.count()


def maybe_count(flag):
    if flag:
        return Book.objects.count()
    return 0


def lazy_books():
    return Book.objects.filter(published=True)


def generate_titles():
    for book in Book.objects.all():
        yield book.title


async def acount_books():
    return await Book.objects.acount()
"""

HEADER = """\
import asyncio
import os

import requests
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.contrib.auth import aauthenticate, alogin, authenticate, get_user_model, login, logout
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.http import JsonResponse
from django.shortcuts import aget_object_or_404, get_object_or_404, render
from django.template.response import TemplateResponse
from django.views.generic import DetailView, ListView, View

from .models import Author, Book, Loan, Note, Profile, Tag
from .services import (
    acount_books, book_count, generate_titles, label, lazy_books, maybe_count, offloaded, safe_helper,
    titles_via_helper, touch,
)


async def view(request, pk, data: dict, items: list, book: Book, text: str):
"""
HEADER_LINES = HEADER.count("\n")
PATH = "shop/views.py"
ALL_CODES = ("DJV301", "DJV302", "DJV303", "DJV304", "DJV305")


def body(snippet: str) -> str:
    """``snippet`` (an async view's body) inside the module HEADER."""
    return HEADER + textwrap.indent(textwrap.dedent(snippet).strip("\n"), "    ") + "\n"


def marked(snippet: str) -> list[int]:
    """1-based lines (in the module built by ``body``) of snippet lines marked ``# !``."""
    lines = textwrap.dedent(snippet).strip("\n").split("\n")
    return [
        HEADER_LINES + index + 1
        for index, line in enumerate(lines)
        if line.rstrip().endswith("# !")
    ]


def project_for(text: str, path: str = PATH, extra: dict[str, str] | None = None):
    files = {"shop/models.py": MODELS, "shop/services.py": SERVICES, path: text, **(extra or {})}
    return in_memory_project(files, "/proj")


def findings(
    text: str,
    *,
    django: str = "5.2",
    codes: tuple[str, ...] = ALL_CODES,
    path: str = PATH,
    extra: dict[str, str] | None = None,
) -> list[Finding]:
    project = project_for(text, path, extra)
    version = parse_version(django)
    assert version is not None
    settings = Settings(select=codes, django_version=version)
    document = Document(text, f"/proj/{path}", SourceKind.PYTHON)
    result = check(document, project, settings)
    assert not result.rule_errors, result.rule_errors
    return [f for f in result.findings if f.code in codes]


def lines(text: str, code: str, **kwargs) -> list[int]:
    return sorted(f.span.line + 1 for f in findings(text, codes=(code,), **kwargs))


def fix_all(text: str, *, django: str = "5.2", unsafe: bool = False, path: str = PATH) -> str:
    project = project_for(text, path)
    version = parse_version(django)
    assert version is not None
    settings = Settings(select=ALL_CODES, django_version=version)
    document = Document(text, f"/proj/{path}", SourceKind.PYTHON)
    fixed, _, _ = fix_document(document, project, settings, unsafe=unsafe)
    return fixed


# -- must not fire (each with its reason) -----------------------------------------------------

SILENT = [
    ("dict .get() is not a query", "x = data.get('k')"),
    ("requests.get() is an HTTP call", "r = requests.get('https://example.com')"),
    ("cache.get() is not the ORM", "v = cache.get('k')"),
    ("os.environ.get() reads the environment", "home = os.environ.get('HOME')"),
    ("request.GET.get() reads the query string", "page = request.GET.get('page', 1)"),
    ("request.POST.get() reads the form body", "name = request.POST.get('name')"),
    (
        "a QuerySet built but never evaluated",
        "qs = Book.objects.filter(published=True).exclude(pages=0)",
    ),
    (
        "long lazy chain with select_related/annotate/values",
        "qs = Book.objects.select_related('author').annotate(n=models_count).values('title')",
    ),
    ("custom lazy QuerySet method", "qs = Book.objects.published().by(pk)"),
    ("custom Manager get_queryset and a lazy method", "qs = Loan.active.overdue()"),
    ("awaited async method", "b = await Book.objects.aget(pk=pk)"),
    ("awaited async count on a chain", "n = await Book.objects.published().acount()"),
    (
        "sync method handed to sync_to_async by reference",
        "b = await sync_to_async(Book.objects.get)(pk=pk)",
    ),
    (
        "sync method handed to database_sync_to_async",
        "b = await database_sync_to_async(Book.objects.get)(pk=pk)",
    ),
    ("asyncio.to_thread runs the helper in a thread", "n = await asyncio.to_thread(book_count)"),
    (
        "run_in_executor runs the helper in a thread",
        "n = await asyncio.get_running_loop().run_in_executor(None, book_count)",
    ),
    ("a lambda's body runs wherever it is called", "f = lambda: Book.objects.count()"),
    ("a nested def runs wherever it is called", "def inner():\n    return Book.objects.get(pk=1)"),
    ("a nested class body", "class Local:\n    def m(self):\n        return Book.objects.count()"),
    ("an unknown receiver stays silent", "x = request.thing.get(pk=1)"),
    ("list.count() is not QuerySet.count()", "n = items.count(1)"),
    ("str.count()", "n = text.count('a')"),
    ("a sync helper that never queries", "x = safe_helper(2)"),
    ("a helper whose receiver djvet cannot type (untyped parameter)", "touch(data)"),
    ("a helper decorated with sync_to_async, awaited", "n = await offloaded()"),
    ("a helper returning a lazy QuerySet", "qs = lazy_books()"),
    ("calling a generator helper runs nothing", "gen = generate_titles()"),
    ("a model method that does not query", "s = book.display()"),
    ("a custom QuerySet method returning a constant", "s = Book.objects.label()"),
    ("passing a Manager along evaluates nothing", "x = safe_helper(Book.objects)"),
    ("a local name shadowing the model", "Book = {}\nx = Book.get('k')"),
    (
        "the sync helper is passed to sync_to_async, not called",
        "n = await sync_to_async(book_count)()",
    ),
    ("asave() awaited", "await book.asave()"),
    (
        "full_clean() of a model without unique fields or relations",
        "n = Note(text='x')\nn.full_clean()",
    ),
    ("QuerySet.delete as a reference, not a call", "f = Book.objects.all().delete"),
    ("a manager method stored in a dict, not called", "handlers = {'get': Book.objects.get}"),
    ("aget() awaited through wait_for", "b = await asyncio.wait_for(Book.objects.aget(pk=pk), 5)"),
    (
        "get() of a values() row, a dict",
        "async for row in Book.objects.values():\n    t = row.get('title')",
    ),
    ("wrapping a helper without calling it", "f = sync_to_async(book_count)"),
    ("a helper called inside a nested def", "def inner():\n    return book_count()"),
    ("an async helper of the project, awaited", "n = await acount_books()"),
    (
        "a lambda handed to asyncio.to_thread",
        "b = await asyncio.to_thread(lambda: Book.objects.get(pk=pk))",
    ),
    ("dict.update()", "data.update({'a': 1})"),
    ("cache.delete()", "cache.delete('k')"),
    ("os.path.exists()", "ok = os.path.exists('x')"),
    (
        "a coroutine passed to gather is awaited there",
        "await asyncio.gather(book.asave(), book.arefresh_from_db())",
    ),
]


@pytest.mark.parametrize(("reason", "snippet"), SILENT, ids=[r for r, _ in SILENT])
def test_must_not_fire(reason: str, snippet: str) -> None:
    text = body(snippet)
    assert findings(text) == [], reason


def test_sync_code_is_never_flagged() -> None:
    text = "from .models import Book\n\n\ndef v(pk):\n    b = Book.objects.get(pk=pk)\n    b.save()\n    return list(Book.objects.all())\n"
    assert findings(text) == []


# -- must fire ----------------------------------------------------------------------------------

FIRING = [
    ("get", "b = Book.objects.get(pk=pk)  # !", "`await Book.objects.aget()`"),
    ("first on a chain", "b = Book.objects.filter(published=True).first()  # !", "afirst"),
    ("last", "b = Book.objects.last()  # !", "alast"),
    ("count", "n = Book.objects.count()  # !", "acount"),
    ("exists", "ok = Book.objects.filter(pk=pk).exists()  # !", "aexists"),
    ("create", "b = Book.objects.create(title='x', author_id=1)  # !", "acreate"),
    (
        "get_or_create",
        "b, made = Book.objects.get_or_create(title='x', author_id=1)  # !",
        "aget_or_create",
    ),
    (
        "update_or_create",
        "Book.objects.update_or_create(title='x', defaults={})  # !",
        "aupdate_or_create",
    ),
    ("bulk_create", "Book.objects.bulk_create([])  # !", "abulk_create"),
    ("bulk_update", "Book.objects.bulk_update([], ['title'])  # !", "abulk_update"),
    ("in_bulk", "m = Book.objects.in_bulk([1])  # !", "ain_bulk"),
    ("latest", "b = Book.objects.latest('created')  # !", "alatest"),
    ("earliest", "b = Book.objects.earliest('created')  # !", "aearliest"),
    ("aggregate", "a = Book.objects.aggregate(n=Count('id'))  # !", "aaggregate"),
    ("update", "Book.objects.filter(pk=pk).update(title='y')  # !", "aupdate"),
    ("delete on a QuerySet", "Book.objects.filter(pk=pk).delete()  # !", "adelete"),
    ("contains", "ok = Book.objects.contains(book)  # !", "acontains"),
    ("explain", "plan = Book.objects.all().explain()  # !", "aexplain"),
    (
        "through a variable",
        "qs = Book.objects.filter(published=True)\nn = qs.count()  # !",
        "acount",
    ),
    ("instance save", "book.save()  # !", "asave"),
    ("instance delete", "book.delete()  # !", "adelete"),
    ("instance refresh_from_db", "book.refresh_from_db()  # !", "arefresh_from_db"),
    ("related manager add", "book.tags.add(1)  # !", "aadd"),
    ("related manager remove", "book.tags.remove(1)  # !", "aremove"),
    ("related manager clear", "book.tags.clear()  # !", "aclear"),
    ("related manager set", "book.tags.set([1])  # !", "aset"),
    ("related manager create", "book.tags.create(name='t')  # !", "acreate"),
    ("reverse FK manager count", "n = book.author.books.count()  # !", "acount"),
    (
        "custom evaluating QuerySet method",
        "n = Book.objects.total_pages()  # !",
        "custom Manager/QuerySet method",
    ),
    (
        "custom method ending in first()",
        "b = Book.objects.published().newest()  # !",
        "sync_to_async",
    ),
    ("custom Manager method that counts", "n = Loan.active.overdue_count()  # !", "overdue_count"),
    ("model method that saves", "book.mark_published()  # !", "mark_published"),
    ("_default_manager", "b = Book._default_manager.get(pk=pk)  # !", "aget"),
    ("get_user_model().objects", "u = get_user_model().objects.get(pk=pk)  # !", "aget"),
    ("contrib User.objects", "n = User.objects.filter(is_staff=True).count()  # !", "acount"),
    (
        "instance from aget, then save()",
        "b = await Book.objects.aget(pk=pk)\nb.save()  # !",
        "asave",
    ),
    ("full_clean with unique fields", "t = Tag(name='x')\nt.full_clean()  # !", "sync_to_async"),
    ("sync helper of the project", "n = book_count()  # !", "book_count"),
    ("sync helper through another helper", "t = titles_via_helper()  # !", "titles_via_helper"),
    (
        "query inside the argument of sync_to_async",
        "f = sync_to_async(Book.objects.get(pk=1))  # !",
        "before `sync_to_async`",
    ),
    ("in an expression statement", "Book.objects.filter(pk=pk).update(pages=1)  # !", "aupdate"),
    ("inside an f-string", "s = f'{Book.objects.count()} books'  # !", "acount"),
    (
        "nested def default runs in the async body",
        "def inner(n=Book.objects.count()):  # !\n    return n",
        "acount",
    ),
]


@pytest.mark.parametrize(("reason", "snippet", "message"), FIRING, ids=[r for r, _, _ in FIRING])
def test_must_fire(reason: str, snippet: str, message: str) -> None:
    text = body(snippet.replace("Count(", "models_count("))
    found = findings(text, codes=("DJV301",))
    assert sorted(f.span.line + 1 for f in found) == marked(snippet), reason
    assert message in found[0].message


def test_message_names_the_version_specific_replacement() -> None:
    snippet = "book.save()  # !"
    text = body(snippet)
    modern = findings(text, codes=("DJV301",), django="5.2")[0]
    old = findings(text, codes=("DJV301",), django="4.1")[0]
    assert "await book.asave()" in modern.message
    assert "sync_to_async(book.save)" in old.message and "4.2+" in old.message
    assert "SynchronousOnlyOperation" in modern.message


def test_helper_finding_names_the_helper_and_the_query_line() -> None:
    text = body("n = book_count()  # !")
    (finding,) = findings(text, codes=("DJV301",))
    assert "book_count()" in finding.message
    assert "Book.objects.count()" in finding.message
    (related,) = finding.related
    assert related.path == "/proj/shop/services.py"
    assert (
        related.span.line + 1 == SERVICES.split("\n").index("    return Book.objects.count()") + 1
    )
    assert finding.severity is Severity.ERROR


def test_helper_through_two_levels_points_at_the_inner_query() -> None:
    text = body("t = titles_via_helper()  # !")
    (finding,) = findings(text, codes=("DJV301",))
    assert "`_titles()`" in finding.message
    (related,) = finding.related
    assert (
        related.span.line + 1
        == SERVICES.split("\n").index("    return [b.title for b in Book.objects.all()]") + 1
    )


def test_conditional_helper_query_is_a_warning() -> None:
    text = body("n = maybe_count(True)  # !")
    (finding,) = findings(text, codes=("DJV301",))
    assert finding.severity is Severity.WARNING


def test_same_module_helper_and_method_of_the_view_class() -> None:
    text = textwrap.dedent(
        """\
        from django.views import View
        from .models import Book


        def local_count():
            return Book.objects.count()


        class Stats(View):
            def compute(self):
                return Book.objects.filter(published=True).exists()

            async def get(self, request):
                a = local_count()
                b = self.compute()
                return a, b
        """
    )
    assert lines(text, "DJV301") == [14, 15]


def test_cbv_model_and_get_queryset() -> None:
    text = textwrap.dedent(
        """\
        from django.views.generic import DetailView, ListView
        from .models import Book


        class Books(ListView):
            model = Book

            async def get(self, request):
                qs = self.get_queryset()
                n = await qs.acount()
                first = self.model.objects.first()
                return n, first


        class BookDetail(DetailView):
            queryset = Book.objects.published()

            async def get(self, request, pk):
                obj = self.get_object()
                return obj
        """
    )
    assert lines(text, "DJV301") == [11, 19]


def test_fixes_rename_and_await_with_parentheses_where_needed() -> None:
    snippet = """
        title = Book.objects.get(pk=pk).title
        n = Book.objects.count() + 1
        if Book.objects.filter(pk=pk).exists():
            pass
        Book.objects.filter(pk=pk).update(pages=1)
        book.save()
        book.tags.add(1)
    """
    fixed = fix_all(body(snippet))
    assert fixed == body(
        """
        title = (await Book.objects.aget(pk=pk)).title
        n = await Book.objects.acount() + 1
        if await Book.objects.filter(pk=pk).aexists():
            pass
        await Book.objects.filter(pk=pk).aupdate(pages=1)
        await book.asave()
        await book.tags.aadd(1)
        """
    )


def test_fixes_on_django_41_use_sync_to_async_where_the_async_name_is_missing() -> None:
    snippet = """
        book.save()
        book.tags.add(1)
        n = Book.objects.count()
    """
    fixed = fix_all(body(snippet), django="4.1")
    assert "await sync_to_async(book.save)()" in fixed
    assert "await sync_to_async(book.tags.add)(1)" in fixed
    assert "await Book.objects.acount()" in fixed  # acount exists on 4.1
    assert "asave" not in fixed and "aadd" not in fixed


def test_helper_fix_adds_the_import_once() -> None:
    text = "from .models import Book\nfrom .services import book_count\n\n\nasync def v():\n    a = book_count()\n    b = book_count()\n    return a, b\n"
    fixed = fix_all(text)
    assert fixed.count("from asgiref.sync import sync_to_async") == 1
    assert fixed.count("await sync_to_async(book_count)()") == 2


def test_no_fix_inside_a_generator_expression() -> None:
    text = body("total = sum(Book.objects.filter(pk=i).count() for i in items)  # !")
    (finding,) = findings(text, codes=("DJV301",))
    assert finding.fix is None


def test_fix_all_is_stable_and_leaves_valid_code() -> None:
    snippet = """
        b = Book.objects.get(pk=pk)
        n = Book.objects.filter(published=True).count()
        b.save()
        book.tags.add(1)
        t = book_count()
    """
    once = fix_all(body(snippet))
    assert fix_all(once) == once
    compile(once, "x.py", "exec")
    assert [f for f in findings(once, codes=("DJV301",)) if f.fix is not None] == []


def test_names_from_a_star_import() -> None:
    text = "from .models import *\n\n\nasync def v(pk):\n    return Book.objects.get(pk=pk)\n"
    assert lines(text, "DJV301") == [5]
    assert (
        fix_all(text)
        == "from .models import *\n\n\nasync def v(pk):\n    return await Book.objects.aget(pk=pk)\n"
    )


def test_manager_override_is_run_in_a_thread_not_bypassed() -> None:
    models = MODELS.replace(
        "    def overdue_count(self):",
        "    def create(self, **kwargs):\n        kwargs.setdefault('returned', False)\n        return super().create(**kwargs)\n\n    def overdue_count(self):",
    )
    text = (
        "from .models import Loan\n\n\nasync def v():\n    return Loan.active.create(book_id=1)\n"
    )
    project_files = {"shop/models.py": models}
    (finding,) = findings(text, codes=("DJV301",), extra=project_files)
    assert "bypass the manager's own `create()`" in finding.message
    fixed = fix_all_with(text, project_files)
    assert "await sync_to_async(Loan.active.create)(book_id=1)" in fixed


def fix_all_with(text: str, extra: dict[str, str]) -> str:
    project = project_for(text, PATH, extra)
    settings = Settings(select=ALL_CODES, django_version=parse_version("5.2"))
    document = Document(text, f"/proj/{PATH}", SourceKind.PYTHON)
    return fix_document(document, project, settings)[0]


def test_every_offered_fix_passes_the_whole_file_check() -> None:
    """Fixes are validated on their statement (fast); the whole-file check agrees."""
    from djvet.core.python.edits import fix_keeps_valid

    from ..runtime.test_async_orm_runtime import MISUSE, SNIPPETS

    samples = [SNIPPETS, MISUSE]
    for name in (
        "test_djv302_sync_queryset_evaluation_in_async",
        "test_djv303_lazy_relation_in_async",
    ):
        module = __import__(f"tests.rules.{name}", fromlist=["FIXES"])
        samples += [body(before) for before, _ in module.FIXES]
    offered = 0
    for text in samples:
        for finding in findings(text):
            if finding.fix is not None:
                offered += 1
                assert fix_keeps_valid(text, finding.fix.edits), (finding.message, finding.fix)
    assert offered >= 60


def test_more_must_not_fire_than_must_fire_in_every_djv30x_module() -> None:
    import importlib

    for name in (
        "test_djv301_sync_queryset_call_in_async",
        "test_djv302_sync_queryset_evaluation_in_async",
        "test_djv303_lazy_relation_in_async",
        "test_djv304_sync_django_api_in_async",
        "test_djv305_async_api_misuse",
    ):
        module = importlib.import_module(f"tests.rules.{name}")
        assert len(module.SILENT) > len(module.FIRING), name
        assert all(reason.strip() for reason, *_ in module.SILENT), name
