"""The inlined call and assignment paths of the async-ORM analysis (core/python/async_orm.py,
infer.py) give the answers of the plain code they stand for: ``Inferrer.django_dotted`` is
``dotted_qualified`` for Django-rooted dotted callees (and None for the rest, which
``call_effect`` never looks up), ``bind_params`` binds positional-only and keyword-only
parameters like the others, ``x = value`` binds and forgets dict displays like ``store``, and
a Django that has every async name skips looking for a missing one."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from djvet.core.django.models import model_index
from djvet.core.facts import async_table, known_versions
from djvet.core.project import in_memory_project
from djvet.core.python import jedi_facade
from djvet.core.python.async_orm import _ASYNC_TABLES, _Document, _newest_async_since, analyse
from djvet.core.python.infer import (
    SESSION_ASYNC,
    Inferrer,
    Instance,
    Knowledge,
    Lookups,
    Request,
)
from djvet.core.python.parse import parse_python

from ..rules.test_djv301_sync_queryset_call_in_async import MODELS, SERVICES

VERSION = Version("5.2")


@pytest.fixture(autouse=True)
def no_jedi() -> Iterator[None]:
    """Nothing here asks jedi (its thread would outlive the test)."""
    jedi_facade.configure(enabled=False)
    yield
    jedi_facade.configure(enabled=True)


# Imports whose roots the generated callees start from: Django modules (the only roots
# ``call_effect`` qualifies), a project module, the standard library, and one name that is
# also rebound in the function.
IMPORTS = (
    "import django\n"
    "from django import db, shortcuts\n"
    "from django.contrib import auth\n"
    "from django.db import transaction\n"
    "from shop import models as shop_models\n"
    "import os\n"
    "from django import http as rebound\n"
)
ROOTS = ("django", "db", "shortcuts", "auth", "transaction", "shop_models", "os", "rebound")
ROOTS_PLUS = (*ROOTS, "local", "unknown")
ATTRS = (
    "db", "transaction", "atomic", "shortcuts", "aget_object_or_404", "get_object_or_404",
    "contrib", "auth", "aget_user", "alogin", "core", "paginator", "Paginator", "path", "join",
    "Book", "objects", "filter",
)  # fmt: skip


def reference_dotted(inferrer: Inferrer, func: ast.Attribute) -> str | None:
    """What ``call_effect`` computed before: ``dotted_local(func)`` qualified when the import
    it starts with is Django's."""
    local = inferrer.dotted_local(func)
    module = inferrer.module
    if (
        local is not None
        and module is not None
        and module.imports[local.partition(".")[0]].startswith("django")
    ):
        return inferrer.qualify(local)
    return None


def inferrer_for(body: str) -> tuple[Inferrer, list[ast.Call]]:
    """An inferrer of the module ``IMPORTS + body`` (``local`` and ``rebound`` bound in the
    function), and the calls of the body."""
    text = IMPORTS + body
    project = in_memory_project(
        {"shop/models.py": MODELS, "shop/services.py": SERVICES, "shop/views.py": text}, "/proj"
    )
    source = parse_python(text, "/proj/shop/views.py")
    module = project.module_at("/proj/shop/views.py")
    inferrer = Inferrer(source, module, Knowledge(model_index(project)), None, lookups=Lookups())
    inferrer.env.names["local"] = None
    inferrer.env.names["rebound"] = None
    calls = [n for n in ast.walk(source.tree) if isinstance(n, ast.Call)]
    return inferrer, calls


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(ROOTS_PLUS), st.lists(st.sampled_from(ATTRS), min_size=2)),
        min_size=1,
        max_size=6,
    )
)
def test_django_dotted_is_the_plain_dotted_qualified(
    chains: list[tuple[str, list[str]]],
) -> None:
    """Every dotted callee of two or more attributes, whatever its root: the same answer."""
    body = "".join(f"{root}.{'.'.join(attrs)}()\n" for root, attrs in chains)
    inferrer, calls = inferrer_for(body)
    assert calls
    for call in calls:
        func = call.func
        assert isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute)
        assert inferrer.django_dotted(func, func.value) == reference_dotted(inferrer, func)


def test_django_dotted_callees_still_reach_the_known_calls() -> None:
    """Must fire: Django functions reached through a dotted module path are known calls."""
    inferrer, calls = inferrer_for(
        "django.db.transaction.atomic()\n"
        "db.transaction.atomic()\n"
        "django.shortcuts.aget_object_or_404(shop_models.Book, pk=1)\n"
        "django.contrib.auth.aget_user(request)\n"
    )
    answers = [
        inferrer.django_dotted(c.func, c.func.value)
        for c in calls
        if isinstance(c.func, ast.Attribute) and isinstance(c.func.value, ast.Attribute)
    ]
    assert answers == [
        "django.db.transaction.atomic",
        "django.db.transaction.atomic",
        "django.shortcuts.aget_object_or_404",
        "django.contrib.auth.aget_user",
    ]
    effects = [inferrer.call_effect(c) for c in calls if c.func is not None]
    assert [e.family for e in effects if e.what == "async"] == ["shortcut", "auth"]


def test_django_dotted_is_none_for_other_roots() -> None:
    """Must not fire: a project or stdlib import (``call_effect`` types those by their
    receiver), a Django import rebound in the function, and a name that is no import."""
    inferrer, calls = inferrer_for(
        "shop_models.Book.objects.filter()\n"
        "os.path.join()\n"
        "rebound.db.transaction.atomic()\n"
        "local.db.transaction.atomic()\n"
        "unknown.transaction.atomic()\n"
    )
    for call in calls:
        assert isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Attribute)
        assert inferrer.django_dotted(call.func, call.func.value) is None


def test_a_dotted_atomic_with_block_is_reported() -> None:
    """Must fire end to end: ``with django.db.transaction.atomic():`` in async code."""
    text = "import django\n\n\nasync def view(request):\n    with django.db.transaction.atomic():\n        pass\n"
    project = in_memory_project({"shop/models.py": MODELS, "shop/views.py": text}, "/proj")
    report = analyse(parse_python(text), project, "/proj/shop/views.py", VERSION)
    assert [(i.code, i.span.line) for i in report.issues] == [("DJV304", 4)]


# -- parameters -------------------------------------------------------------------------------


def bound(signature: str, enclosing: str | None = None) -> dict[str, object]:
    text = "from shop.models import Book\nfrom django.http import HttpRequest\n"
    text += f"async def view({signature}):\n    pass\n"
    project = in_memory_project({"shop/models.py": MODELS, "shop/views.py": text}, "/proj")
    source = parse_python(text, "/proj/shop/views.py")
    module = project.module_at("/proj/shop/views.py")
    inferrer = Inferrer(
        source, module, Knowledge(model_index(project)), enclosing, lookups=Lookups()
    )
    (node,) = [n for n in ast.walk(source.tree) if isinstance(n, ast.AsyncFunctionDef)]
    inferrer.bind_params(node)
    return dict(inferrer.env.names)


def test_every_kind_of_parameter_is_bound() -> None:
    book = Instance("shop.models.Book", loaded=None)
    assert bound("request") == {"request": Request()}
    assert bound("request, /, b: Book, *, r: HttpRequest, x") == {
        "request": Request(),
        "b": book,
        "r": Request(),
        "x": None,
    }
    assert bound("*, request, b: Book") == {"request": Request(), "b": book}
    assert bound("b: Book, /") == {"b": book}
    assert bound("") == {}


def test_only_the_first_parameter_is_self() -> None:
    """``self`` is the instance only as the first parameter (positional-only, plain, or
    keyword-only when there is no other), as when all were taken in one sequence."""
    first = bound("self, /, request", "shop.views.View")
    assert set(first) == {"self", "request"} and first["self"] is not None
    assert bound("self, *, request", "shop.views.View")["self"] is not None
    assert bound("*, self", "shop.views.View")["self"] is not None
    assert bound("request, self", "shop.views.View")["self"] is None
    assert bound("request, /, self", "shop.views.View")["self"] is None
    assert bound("request, *, self", "shop.views.View")["self"] is None
    assert bound("self") == {"self": None}  # not a method: an unannotated parameter


# -- ``x = value``: the dict displays ``render`` looks through ------------------------------


def codes(body: str) -> list[tuple[str, int]]:
    text = (
        "from django.shortcuts import render\nfrom shop.models import Book\n\n\n"
        + textwrap.dedent(body)
    )
    project = in_memory_project({"shop/models.py": MODELS, "shop/views.py": text}, "/proj")
    report = analyse(parse_python(text), project, "/proj/shop/views.py", VERSION)
    return [(i.code, i.span.line) for i in report.issues]


def test_a_context_dict_bound_by_assignment_is_read() -> None:
    """Must fire: the context is a dict display bound to a name first."""
    assert codes(
        """
        async def view(request):
            context = {"books": Book.objects.all()}
            return render(request, "books.html", context)
        """
    ) == [("DJV304", 7)]  # the render() call (0-based line)


def test_a_context_name_rebound_to_something_else_is_forgotten() -> None:
    """Must not fire: the name holds a plain value (not the dict display) at the call."""
    assert (
        codes(
            """
        async def view(request):
            context = {"books": Book.objects.all()}
            context = make_context()
            return render(request, "books.html", context)
        """
        )
        == []
    )


def test_a_context_bound_by_a_tuple_assignment_is_not_read() -> None:
    """Must not fire: only ``name = {...}`` binds a display (as ``store`` did)."""
    assert (
        codes(
            """
        async def view(request):
            context, other = {"books": Book.objects.all()}, 1
            return render(request, "books.html", context)
        """
        )
        == []
    )


# -- async names newer than the project's Django ----------------------------------------------


def every_async_name() -> list[tuple[str, str]]:
    """(family, name) of every ``a*`` call ``_async_entry`` has an entry for."""
    families = {
        "queryset": ("async_queryset_methods",),
        "related": ("async_related_manager_methods", "async_queryset_methods"),
        "model": ("async_model_methods",),
        "user": ("async_auth_functions",),
        "user_manager": ("async_auth_functions",),
        "auth": ("async_auth_functions",),
        "shortcut": ("async_shortcuts",),
        "request": ("async_auth_functions",),
    }
    pairs = [
        (family, f"a{key.rsplit('.', 1)[-1]}")
        for family, tables in families.items()
        for table in tables
        for key in async_table(table)
    ]
    pairs += [("session", name) for name in SESSION_ASYNC]
    return pairs


@pytest.mark.parametrize("version", [*known_versions(), Version("5.2.3"), Version("6.0")])
def test_a_django_with_every_async_name_misses_none(version: Version) -> None:
    """``has_every_async`` (the walker then skips ``async_name_exists``) only where
    ``missing_async`` finds nothing missing, and not where it finds something."""
    project = in_memory_project({"shop/models.py": MODELS}, "/proj")
    source = parse_python("")
    document = _Document(source, project, None, model_index(project), version)
    missing = [pair for pair in every_async_name() if document.missing_async(*pair)[1] is not None]
    assert document.has_every_async == (not missing)
    newest = max(Version(e["since"]) for t in _ASYNC_TABLES for e in async_table(t).values())
    assert _newest_async_since() >= newest


def test_an_async_name_newer_than_the_project_is_reported() -> None:
    """Must fire below the newest Django (5.1: ``ahas_perm`` is 5.2's); must not at 5.2."""
    text = (
        "async def view(request):\n"
        "    user = await request.auser()\n"
        "    return await user.ahas_perm('shop.view_book')\n"
    )
    project = in_memory_project({"shop/models.py": MODELS, "shop/views.py": text}, "/proj")
    path = "/proj/shop/views.py"
    old = analyse(parse_python(text), project, path, Version("5.1"))
    assert [(i.code, i.span.line) for i in old.issues] == [("DJV305", 2)]
    assert analyse(parse_python(text), project, path, Version("5.2")).issues == ()
