"""Runtime agreement for DJV301-DJV305: djvet flags exactly the lines real Django refuses to run.

For every interpreter from ``django_pythons()`` (this one, plus CI's Django 4.2), one subprocess
runs a set of async snippets with ``asyncio.run`` against real Django (SQLite file database,
fresh rows before each snippet, a request with a database-backed session of a logged-in user):

* **record** mode: ``django.utils.asyncio.get_running_loop`` — the check behind every
  ``SynchronousOnlyOperation`` — is wrapped so that, when it finds the event loop, it records
  the snippet line that reached the database and then lets the operation run. That gives the
  per-line truth (every line that *would* raise, not only the first) and the value the snippet
  returns when nothing stops it — the same as running its body synchronously in a thread.
* **real** mode: plain Django. The first recorded line must be the line that actually raised
  ``SynchronousOnlyOperation`` (this cross-checks the recorder against Django itself).

djvet's DJV301-DJV304 lines must equal the recorded lines, snippet by snippet. djvet's fixes
(safe and unsafe) are then applied, computed with the interpreter's Django version: the fixed
snippet must run in real mode without raising and return the recorded value; where djvet
offers no fix, the lines it still reports on the fixed text must equal the lines recorded
there. DJV305 snippets fail differently (TypeError, a coroutine never awaited): their failing
lines come from the traceback and from coroutine-origin tracking, and the fixed snippets must
return what a hand-written correct version returns.
"""

from __future__ import annotations

import ast
import json
import textwrap
from functools import cache
from pathlib import PurePosixPath

import pytest

from djvet.core.config import Settings, parse_version
from djvet.core.engine import check, fix_document
from djvet.core.project import in_memory_project
from djvet.core.rule import Document
from djvet.core.types import SourceKind

from .harness import django_pythons, django_version, run_in_django

MODELS = """
from django.db import models


class BookQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def total_pages(self):
        return self.aggregate(n=models.Sum("pages"))["n"]


class Author(models.Model):
    name = models.CharField(max_length=100)


class Tag(models.Model):
    name = models.CharField(max_length=50)


class Book(models.Model):
    title = models.CharField(max_length=100)
    pages = models.IntegerField(default=0)
    published = models.BooleanField(default=False)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    tags = models.ManyToManyField(Tag, related_name="books")

    objects = BookQuerySet.as_manager()


class Profile(models.Model):
    user = models.OneToOneField("auth.User", on_delete=models.CASCADE)
    bio = models.CharField(max_length=100, default="")
"""

HELPERS = """
from .models import Book


def count_books():
    return Book.objects.count()


def titles():
    return sorted(b.title for b in Book.objects.all())
"""

_IMPORTS = """\
from asgiref.sync import sync_to_async
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import Sum
from django.shortcuts import get_object_or_404

from .helpers import count_books, titles
from .models import Author, Book, Tag
"""

# Each snippet: one async function of (request), one statement per line, JSON-able result.
SNIPPETS = (
    _IMPORTS
    + """

async def s01_get(request):
    book = Book.objects.get(pk=1)
    return book.title


async def s02_count_chain(request):
    return Book.objects.filter(published=True).count()


async def s03_for_loop(request):
    out = []
    for b in Book.objects.order_by("pk"):
        out.append(b.title)
    return out


async def s04_comprehension(request):
    return [b.title for b in Book.objects.order_by("pk")]


async def s05_list(request):
    rows = list(Book.objects.order_by("pk"))
    return [b.pk for b in rows]


async def s06_len(request):
    return len(Book.objects.all())


async def s07_truth(request):
    qs = Book.objects.filter(pages__gt=100)
    if qs:
        return "some"
    return "none"


async def s08_in(request):
    b = await Book.objects.aget(pk=1)
    return b in Book.objects.filter(published=True)


async def s09_index(request):
    return Book.objects.order_by("pk")[1].title


async def s10_step(request):
    return [b.pk for b in Book.objects.order_by("pk")[0:3:2]]


async def s11_fk_lazy(request):
    b = await Book.objects.aget(pk=1)
    return b.author.name


async def s12_fk_in_async_for(request):
    out = []
    async for b in Book.objects.order_by("pk"):
        out.append(b.author.name)
    return out


async def s13_related_all(request):
    a = await Author.objects.aget(pk=1)
    out = []
    for b in a.books.all():
        out.append(b.title)
    return sorted(out)


async def s14_save(request):
    b = await Book.objects.aget(pk=2)
    b.title = "B2"
    b.save()
    return (await Book.objects.aget(pk=2)).title


async def s15_related_add(request):
    b = await Book.objects.aget(pk=2)
    b.tags.add(1)
    return await b.tags.acount()


async def s16_create(request):
    Author.objects.create(name="Cid")
    return await Author.objects.acount()


async def s17_update(request):
    return Book.objects.filter(published=False).update(pages=99)


async def s18_custom_evaluating(request):
    return Book.objects.total_pages()


async def s19_helper(request):
    return count_books()


async def s20_exists(request):
    return Book.objects.filter(title="A").exists()


async def s21_aggregate(request):
    return Book.objects.aggregate(n=Sum("pages"))["n"]


async def s22_get_object_or_404(request):
    return get_object_or_404(Book, pk=3).title


async def s23_request_user(request):
    return request.user.username


async def s24_session_get(request):
    return request.session.get("color", "none")


async def s25_session_set(request):
    request.session["color"] = "blue"
    return "ok"


async def s26_authenticate(request):
    user = authenticate(request, username="alice", password="pw")
    return user.username


async def s27_has_perm(request):
    user = await User.objects.aget(username="alice")
    return user.has_perm("rt.add_book")


async def s28_atomic(request):
    with transaction.atomic():
        pass
    return 1


async def s29_cursor(request):
    with connection.cursor() as cursor:
        pass
    return 1


async def s30_clean(request):
    b = await Book.objects.select_related("author").aget(pk=1)
    names = [x.title async for x in Book.objects.order_by("pk")]
    n = await Book.objects.published().acount()
    return [b.author.name, names, n]


async def s31_str_query(request):
    return str(Book.objects.filter(pk=1).query).startswith("SELECT")


async def s32_slice(request):
    qs = Book.objects.order_by("pk")[0:2]
    return await qs.acount()


async def s33_sync_to_async(request):
    return (await sync_to_async(Book.objects.get)(pk=1)).title


async def s34_offload_argument(request):
    return sync_to_async(Book.objects.get(pk=1)) is not None


async def s35_cached(request):
    qs = Book.objects.order_by("pk")
    async for b in qs:
        pass
    return len(qs)


async def s36_prefetch(request):
    out = []
    async for a in Author.objects.prefetch_related("books").order_by("pk"):
        for b in a.books.all():
            out.append(b.title)
    return sorted(out)


async def s37_deferred(request):
    b = await Book.objects.only("title").aget(pk=1)
    return b.pages


async def s38_user_profile(request):
    u = await User.objects.aget(username="alice")
    return u.profile.bio


async def s39_login(request):
    user = await User.objects.aget(username="alice")
    login(request, user)
    return request.session.session_key is not None


async def s40_nested_def(request):
    def inner():
        return Book.objects.count()

    return await sync_to_async(inner)()


async def s41_first_fk(request):
    b = await Book.objects.filter(published=True).order_by("pk").afirst()
    return b.author.name


async def s42_values_list(request):
    return list(Book.objects.order_by("pk").values_list("title", flat=True))


async def s43_logout(request):
    logout(request)
    return "out"


async def s44_paginator(request):
    p = Paginator(Book.objects.order_by("pk"), 2)
    return p.num_pages


async def s45_helper_two_levels(request):
    return titles()


async def s46_fk_after_list(request):
    rows = [b async for b in Book.objects.order_by("pk")]
    return [b.author.name for b in rows]


async def s47_dict_get(request):
    data = {"a": 1}
    return [data.get("a"), request.GET.get("q", "x")]


async def s48_truth_not(request):
    return not Book.objects.filter(title="nope")


async def s49_user_warmed_in_a_thread(request):
    await sync_to_async(lambda: request.user.is_authenticated)()
    return request.user.username


async def s50_related_manager_count(request):
    a = await Author.objects.aget(pk=1)
    return a.books.count()


async def s51_tuple_unpack_get_or_create(request):
    tag, created = Tag.objects.get_or_create(name="z")
    return [tag.name, created]


async def s52_model_instance_delete(request):
    b = await Book.objects.aget(pk=3)
    b.delete()
    return await Book.objects.acount()
"""
)

MISUSE = (
    _IMPORTS
    + """

async def m01_for_aiterator(request):
    out = []
    for b in Book.objects.order_by("pk").aiterator():
        out.append(b.title)
    return out


async def m02_async_for_manager(request):
    out = []
    async for b in Book.objects:
        out.append(b.pk)
    return sorted(out)


async def m03_async_for_iterator(request):
    out = []
    async for b in Book.objects.order_by("pk").iterator():
        out.append(b.title)
    return out


async def m04_dropped_asave(request):
    b = await Book.objects.aget(pk=1)
    b.title = "Z"
    b.asave()
    return await Book.objects.filter(title="Z").aexists()


async def m05_attribute_of_coroutine(request):
    return Book.objects.aget(pk=1).title


async def m06_await_queryset(request):
    return await Book.objects.all()


async def m07_dropped_aupdate(request):
    Book.objects.filter(pk=3).aupdate(pages=1)
    return await Book.objects.filter(pages=1).acount()
"""
)

# What the misuse snippets are meant to do, written correctly by hand.
CORRECT = (
    _IMPORTS
    + """

async def m01_for_aiterator(request):
    return [b.title async for b in Book.objects.order_by("pk").aiterator()]


async def m02_async_for_manager(request):
    return sorted([b.pk async for b in Book.objects.all()])


async def m03_async_for_iterator(request):
    return [b.title async for b in Book.objects.order_by("pk").aiterator()]


async def m04_dropped_asave(request):
    b = await Book.objects.aget(pk=1)
    b.title = "Z"
    await b.asave()
    return await Book.objects.filter(title="Z").aexists()


async def m05_attribute_of_coroutine(request):
    return (await Book.objects.aget(pk=1)).title


async def m07_dropped_aupdate(request):
    await Book.objects.filter(pk=3).aupdate(pages=1)
    return await Book.objects.filter(pages=1).acount()
"""
)

RUNNER = r'''
import asyncio, gc, importlib, inspect, re, sys, traceback, warnings

import django.utils.asyncio as django_asyncio
from django.conf import settings as dj_settings
from django.contrib.auth import login as sync_login
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import User
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import transaction
from django.test import RequestFactory

from rt.models import Author, Book, Profile, Tag

assert hasattr(django_asyncio, "get_running_loop"), "django.utils.asyncio changed: cannot record"
REAL = django_asyncio.get_running_loop
ALICE = User.objects.create_user("alice", password="pw")
FACTORY = RequestFactory()
sys.set_coroutine_origin_tracking_depth(8)


@transaction.atomic  # one commit: the file database fsyncs on each
def reset():
    Profile.objects.all().delete()
    Book.objects.all().delete()
    Author.objects.all().delete()
    Tag.objects.all().delete()
    ann = Author.objects.create(pk=1, name="Ann")
    bob = Author.objects.create(pk=2, name="Bob")
    x = Tag.objects.create(pk=1, name="x")
    y = Tag.objects.create(pk=2, name="y")
    a = Book.objects.create(pk=1, title="A", pages=10, published=True, author=ann)
    Book.objects.create(pk=2, title="B", pages=20, published=False, author=ann)
    c = Book.objects.create(pk=3, title="C", pages=30, published=True, author=bob)
    a.tags.set([x, y])
    c.tags.set([y])
    Profile.objects.create(pk=1, user=ALICE, bio="hi")


def make_request():
    """A request as the middleware leaves it: a lazy user over a database-backed session."""
    first = FACTORY.get("/")
    SessionMiddleware(lambda r: None).process_request(first)
    sync_login(first, ALICE)
    first.session.save()
    request = FACTORY.get("/")
    request.COOKIES[dj_settings.SESSION_COOKIE_NAME] = first.session.session_key
    SessionMiddleware(lambda r: None).process_request(request)
    AuthenticationMiddleware(lambda r: None).process_request(request)
    return request


def run(module_name, mode):
    module = importlib.import_module(module_name)
    path = module.__file__
    hits = []

    def recorder():
        REAL()  # RuntimeError (no loop in this thread: a worker thread) propagates
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == path:
                if frame.f_lineno not in hits:
                    hits.append(frame.f_lineno)
                break
            frame = frame.f_back
        raise RuntimeError("djvet recorder: let the operation run")

    out = {}
    for name, function in inspect.getmembers(module, inspect.iscoroutinefunction):
        if function.__module__ != module_name:
            continue
        reset()
        request = make_request()
        hits.clear()
        if mode == "record":
            django_asyncio.get_running_loop = recorder
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                outcome = {"ok": True, "value": asyncio.run(function(request))}
            except Exception as exc:
                lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == path]
                outcome = {"ok": False, "error": type(exc).__name__, "line": lines[-1] if lines else None}
            finally:
                django_asyncio.get_running_loop = REAL
            gc.collect()
        never_awaited = []
        for warning in caught:
            text = str(warning.message)
            if "never awaited" in text:
                found = re.findall(r'File "([^"]+)", line (\d+)', text)
                never_awaited += [int(line) for file, line in found if file == path][:1]
        outcome["hits"] = list(hits)
        outcome["never_awaited"] = never_awaited
        out[name] = outcome
    return out


emit({
    "snippets_record": run("rt.snippets", "record"),
    "snippets_real": run("rt.snippets", "real"),
    "fixed_record": run("rt.snippets_fixed", "record"),
    "fixed_real": run("rt.snippets_fixed", "real"),
    "misuse_real": run("rt.misuse", "real"),
    "misuse_fixed_real": run("rt.misuse_fixed", "real"),
    "correct_real": run("rt.correct", "real"),
})
'''

EXTRA_SETTINGS = """
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
"""

DB_CODES = ("DJV301", "DJV302", "DJV303", "DJV304")


def _functions(text: str) -> dict[str, tuple[int, int]]:
    tree = ast.parse(text)
    return {
        node.name: (node.lineno, node.end_lineno or node.lineno)
        for node in tree.body
        if isinstance(node, ast.AsyncFunctionDef)
    }


def _djvet(
    text: str, name: str, version: str, codes: tuple[str, ...]
) -> tuple[dict[str, list[int]], str]:
    """Lines djvet reports per function, and the text after applying every fix (safe and unsafe)."""
    files = {"rt/models.py": MODELS, "rt/helpers.py": HELPERS, f"rt/{name}.py": text}
    project = in_memory_project(files, "/rtproj")
    parsed = parse_version(version)
    assert parsed is not None
    settings = Settings(select=codes, django_version=parsed)
    document = Document(text, f"/rtproj/rt/{name}.py", SourceKind.PYTHON)
    result = check(document, project, settings)
    assert not result.rule_errors, result.rule_errors
    fixed, _, _ = fix_document(document, project, settings, unsafe=True)
    per_function: dict[str, list[int]] = {}
    for function, (start, end) in _functions(text).items():
        per_function[function] = sorted(
            {f.span.line + 1 for f in result.findings if start <= f.span.line + 1 <= end}
        )
    return per_function, fixed


def _lines(text: str, name: str, version: str, codes: tuple[str, ...]) -> dict[str, list[int]]:
    return _djvet(text, name, version, codes)[0]


@cache
def _run(python: str) -> dict:
    major, minor = django_version(python)
    version = f"{major}.{minor}"
    fixed, _ = _fixed_texts(version)
    files = {
        "rt/__init__.py": "",
        "rt/models.py": MODELS,
        "rt/helpers.py": HELPERS,
        "rt/snippets.py": SNIPPETS,
        "rt/snippets_fixed.py": fixed["snippets"],
        "rt/misuse.py": MISUSE,
        "rt/misuse_fixed.py": fixed["misuse"],
        "rt/correct.py": CORRECT,
    }
    result = run_in_django(files, RUNNER, python=python, settings=EXTRA_SETTINGS, timeout=600)
    result["version"] = version
    return result


@cache
def _fixed_texts(version: str) -> tuple[dict[str, str], dict[str, dict[str, list[int]]]]:
    snippets_lines, snippets_fixed = _djvet(SNIPPETS, "snippets", version, DB_CODES)
    misuse_lines, misuse_fixed = _djvet(MISUSE, "misuse", version, ("DJV305",))
    return {"snippets": snippets_fixed, "misuse": misuse_fixed}, {
        "snippets": snippets_lines,
        "misuse": misuse_lines,
    }


PYTHONS = django_pythons()


def _ids(python: str) -> str:
    return PurePosixPath(python).parent.parent.name or python


def test_there_are_enough_snippets() -> None:
    assert len(_functions(SNIPPETS)) >= 30
    assert len(_functions(MISUSE)) >= 6


@pytest.mark.parametrize("python", PYTHONS, ids=_ids)
def test_recorder_agrees_with_real_django(python: str) -> None:
    """The recorder's first line per snippet is where plain Django raises SynchronousOnlyOperation."""
    run = _run(python)
    for name, recorded in run["snippets_record"].items():
        real = run["snippets_real"][name]
        if recorded["hits"]:
            assert not real["ok"] and real["error"] == "SynchronousOnlyOperation", (name, real)
            assert real["line"] == recorded["hits"][0], (name, real, recorded)
        else:
            assert real == {**recorded, "hits": []}, (name, real, recorded)


@pytest.mark.parametrize("python", PYTHONS, ids=_ids)
def test_djvet_flags_exactly_the_lines_that_raise(python: str) -> None:
    run = _run(python)
    _, lines = _fixed_texts(run["version"])
    flagged = lines["snippets"]
    raising_snippets = 0
    for name, recorded in run["snippets_record"].items():
        assert flagged[name] == sorted(recorded["hits"]), (name, flagged[name], recorded)
        raising_snippets += bool(recorded["hits"])
    assert raising_snippets >= 30
    assert len(run["snippets_record"]) - raising_snippets >= 8  # clean snippets stay silent


@pytest.mark.parametrize("python", PYTHONS, ids=_ids)
def test_fixed_snippets_run_and_return_the_same(python: str) -> None:
    run = _run(python)
    fixed_text = _fixed_texts(run["version"])[0]["snippets"]
    remaining = _lines(fixed_text, "snippets_fixed", run["version"], DB_CODES)
    fully_fixed = 0
    for name, original in run["snippets_record"].items():
        after_record = run["fixed_record"][name]
        after_real = run["fixed_real"][name]
        # Where djvet has no exact fix, what it still reports is exactly what still raises.
        assert remaining[name] == sorted(after_record["hits"]), (
            name,
            remaining[name],
            after_record,
        )
        if after_record["hits"]:
            continue
        fully_fixed += bool(original["hits"])
        assert after_real["ok"], (name, after_real)
        assert original["ok"], (name, original)
        assert after_real["value"] == original["value"], (name, after_real, original)
    assert fully_fixed >= 24


@pytest.mark.parametrize("python", PYTHONS, ids=_ids)
def test_misuse_lines_and_fixes(python: str) -> None:
    run = _run(python)
    _, lines = _fixed_texts(run["version"])
    flagged = lines["misuse"]
    for name, real in run["misuse_real"].items():
        failing = set(real["never_awaited"])
        if not real["ok"]:
            failing.add(real["line"])
        assert failing, (name, real)  # every misuse snippet really fails
        assert flagged[name] == sorted(failing), (name, flagged[name], real)
    for name, correct in run["correct_real"].items():
        assert correct["ok"], (name, correct)
        after = run["misuse_fixed_real"][name]
        assert after == {**correct, "hits": [], "never_awaited": []}, (name, after, correct)
    assert run["misuse_fixed_real"]["m06_await_queryset"]["error"] == "TypeError"  # no fix offered


def test_fixed_text_is_stable_and_parses() -> None:
    fixed, _ = _fixed_texts("5.2")
    for name, text in fixed.items():
        compile(text, name, "exec")
        again = _djvet(text, name, "5.2", DB_CODES if name == "snippets" else ("DJV305",))[1]
        assert again == text, name


if __name__ == "__main__":  # pragma: no cover - a debugging aid
    print(json.dumps(_run(PYTHONS[0]), indent=1))
    print(textwrap.indent(_fixed_texts("5.2")[0]["snippets"], "  "))
