"""The view-hierarchy knowledge in ``djvet.core.django.views``: checked against real Django,
the fact sheet, and the cases the effective-handler computation must get right."""

from __future__ import annotations

import ast
import textwrap

import pytest
from packaging.version import Version

from djvet.core.django.views import (
    ASYNC_SAFE_DISPATCH,
    DEFAULT_HTTP_METHOD_NAMES,
    DISPATCH_PROBLEMS,
    DJANGO_CLASSES,
    VIEW,
    ViewResolver,
    analyze_view,
    async_dispatch_problem,
    class_layout,
    django_ancestors,
    django_class,
    django_class_name,
    effective_handlers,
    effective_http_method_names,
    needs_async,
)
from djvet.core.facts import facts
from djvet.core.project import in_memory_project
from djvet.core.python.facts import DecoratorShape, extract_module
from djvet.core.python.parse import parse_python
from tests.runtime.harness import django_pythons, django_version, run_in_django

V42, V50, V51, V52 = Version("4.2"), Version("5.0"), Version("5.1"), Version("5.2")

# ---------------------------------------------------------------------------------------------
# The table against the installed Django (one subprocess per interpreter)
# ---------------------------------------------------------------------------------------------

INTROSPECT = """
import ast, importlib, inspect, textwrap
from django.views import View

MODULES = %(modules)r
VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")


def canonical(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


classes, aliases = {}, {}
for name in MODULES:
    module = importlib.import_module(name)
    for attr, value in vars(module).items():
        if attr.startswith("_") or not inspect.isclass(value) or not value.__module__.startswith("django."):
            continue
        if issubclass(value, View) or value.__name__.endswith("Mixin"):
            aliases[f"{name}.{attr}"] = canonical(value)
            for cls in value.__mro__[:-1]:
                classes[canonical(cls)] = cls

out = {"aliases": aliases, "classes": {}}
for key, cls in classes.items():
    delegates = {}
    for verb in VERBS:
        func = vars(cls).get(verb)
        if func is None or getattr(func, "__name__", verb) != verb:
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
        body = [s for s in tree.body[0].body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        if (len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(body[0].value, ast.Call)
                and isinstance(body[0].value.func, ast.Attribute)
                and isinstance(body[0].value.func.value, ast.Name) and body[0].value.func.value.id == "self"
                and body[0].value.func.attr in VERBS):
            delegates[verb] = body[0].value.func.attr
    out["classes"][key] = {
        "bases": [canonical(b) for b in cls.__bases__ if b is not object],
        "defines": [v for v in VERBS if v in vars(cls)],
        "http_method_names": list(vars(cls)["http_method_names"]) if "http_method_names" in vars(cls) else None,
        "dispatch": "dispatch" in vars(cls),
        "mro": [canonical(c) for c in cls.__mro__[:-1]],
        "delegates": delegates,
    }
emit(out)
"""

VIEW_MODULES = [
    "django.views",
    "django.views.generic",
    "django.views.generic.base",
    "django.views.generic.dates",
    "django.views.generic.detail",
    "django.views.generic.edit",
    "django.views.generic.list",
    "django.contrib.auth.views",
    "django.contrib.auth.mixins",
    "django.contrib.messages.views",
    "django.views.i18n",
    "django.contrib.admin.views.autocomplete",
    "django.contrib.admindocs.views",
]


@pytest.fixture(scope="module", params=django_pythons())
def real_django(request):
    python = request.param
    major, minor = django_version(python)
    data = run_in_django(
        {},
        INTROSPECT % {"modules": VIEW_MODULES},
        python=python,
        settings='INSTALLED_APPS += ["django.contrib.admindocs"]',
    )
    return Version(f"{major}.{minor}"), data


def test_every_public_view_class_is_in_the_table(real_django) -> None:
    _, data = real_django
    assert set(data["classes"]) == set(DJANGO_CLASSES)
    assert len(data["classes"]) >= 60


def test_every_import_path_resolves_to_the_real_class(real_django) -> None:
    _, data = real_django
    assert len(data["aliases"]) >= 100
    for alias, canonical in data["aliases"].items():
        assert django_class_name(alias) == canonical, alias


def test_bases_handlers_and_http_method_names_match(real_django) -> None:
    version, data = real_django
    for name, real in data["classes"].items():
        ours = django_class(name, version)
        assert ours is not None
        assert list(ours.bases) == real["bases"], name
        assert sorted(ours.defines) == sorted(real["defines"]), name
        expected = tuple(real["http_method_names"]) if real["http_method_names"] else None
        assert ours.http_method_names == expected, name


def test_delegating_handlers_match(real_django) -> None:
    version, data = real_django
    for name, real in data["classes"].items():
        ours = django_class(name, version)
        assert ours is not None
        # LogoutView 4.x: ``get = post`` is an alias, not a delegation (its name is "post").
        assert dict(ours.delegates) == real["delegates"], name


def test_the_c3_linearisation_equals_pythons(real_django) -> None:
    version, data = real_django
    resolver = ViewResolver(in_memory_project({}), version)
    for name, real in data["classes"].items():
        key = resolver.node_for(name, None)
        assert key == name
        assert list(resolver.linearize(key)) == real["mro"], name


def test_dispatch_overrides_are_all_classified(real_django) -> None:
    _, data = real_django
    defining = {name for name, real in data["classes"].items() if real["dispatch"]}
    assert set(DISPATCH_PROBLEMS) <= defining
    assert defining <= set(DISPATCH_PROBLEMS) | ASYNC_SAFE_DISPATCH


# ---------------------------------------------------------------------------------------------
# The fact sheet's handler sets
# ---------------------------------------------------------------------------------------------


def _fact_rows() -> list[tuple[str, list[str], Version]]:
    rows = []
    for key, handlers in facts()["async_cbv"]["generic_view_handlers"].items():
        label = key.removeprefix("auth.")
        if label.startswith("LogoutView"):
            version = V42 if "4.1-4.2" in label else V52
            rows.append(("LogoutView", handlers, version))
            continue
        names = [n.strip() for n in label.replace(" / ", "/").split("/")]
        expanded = []
        for name in names:
            if name.startswith("*"):
                expanded += ["PasswordChangeDoneView", "PasswordResetDoneView"]
            elif name in ("Year", "Month", "Week", "Day", "Today"):
                expanded.append(f"{name}ArchiveView")
            else:
                expanded.append(name)
        for version in (V42, V52):
            rows += [(name, handlers, version) for name in expanded]
    return rows


FACT_ROWS = _fact_rows()


def test_fact_rows_cover_the_generic_views() -> None:
    names = {name for name, _, _ in FACT_ROWS}
    assert {"CreateView", "DeleteView", "RedirectView", "LoginView", "DateDetailView"} <= names
    assert len(names) >= 20


@pytest.mark.parametrize(("base", "handlers", "version"), FACT_ROWS, ids=str)
def test_handler_sets_equal_the_fact_sheet(
    base: str, handlers: list[str], version: Version
) -> None:
    canonical = django_class_name(f"django.views.generic.{base}") or django_class_name(
        f"django.contrib.auth.views.{base}"
    )
    assert canonical is not None, base
    module, _, short = canonical.rpartition(".")
    project = in_memory_project(
        {"app/views.py": f"from {module} import {short}\n\n\nclass V({short}):\n    pass\n"}
    )
    cls = project.module_at("/project/app/views.py").classes["V"]
    found = effective_handlers(project, cls, version)
    assert found is not None
    assert sorted(n for n in found if n != "options") == sorted(handlers)
    assert all(h.kind == "sync" for h in found.values())


def test_logout_view_http_method_names_follow_the_fact_sheet() -> None:
    table = facts()["logout"]["http_method_names"]
    project = in_memory_project(
        {
            "app/views.py": "from django.contrib.auth.views import LogoutView\n\n\nclass Out(LogoutView):\n    pass\n"
        }
    )
    cls = project.module_at("/project/app/views.py").classes["Out"]
    for label in ("4.1", "4.2", "5.0", "5.2", "6.1"):
        assert effective_http_method_names(project, cls, Version(label)) == tuple(table[label])
    # A version newer than the fact sheet uses the newest known entry.
    assert effective_http_method_names(project, cls, Version("9.0")) == tuple(table["6.1"])


# ---------------------------------------------------------------------------------------------
# Effective handlers of project classes
# ---------------------------------------------------------------------------------------------


def _analyze(files: dict[str, str], cls: str, path: str = "app/views.py", version: Version = V52):
    project = in_memory_project({k: textwrap.dedent(v) for k, v in files.items()})
    info = project.module_at(f"/project/{path}").classes[cls]
    return analyze_view(project, info, version), project, info


def test_handlers_cross_modules_in_mro_order() -> None:
    analysis, project, info = _analyze(
        {
            "app/base.py": """
                from django.views.generic import CreateView

                class AsyncGet:
                    async def get(self, request): ...
            """,
            "app/views.py": """
                from django.contrib.auth.mixins import LoginRequiredMixin
                from .base import AsyncGet
                from django.views import generic as g

                class V(LoginRequiredMixin, AsyncGet, g.edit.CreateView):
                    async def post(self, request): ...
            """,
        },
        "V",
    )
    assert analysis is not None and analysis.complete
    handlers = {h.name: h for h in analysis.handlers}
    assert list(handlers) == ["get", "post", "put"]
    assert (handlers["get"].kind, handlers["get"].owner, handlers["get"].own) == (
        "async",
        "app.base.AsyncGet",
        False,
    )
    assert handlers["post"].own and handlers["post"].kind == "async"
    assert handlers["put"].owner == "django.views.generic.edit.ProcessFormView"
    assert handlers["put"].via == "CreateView"
    assert handlers["put"].delegates_to == "post"
    assert analysis.options is not None and analysis.options.owner == VIEW
    assert django_ancestors(project, info, V52)[:2] == (
        "django.contrib.auth.mixins.LoginRequiredMixin",
        "django.contrib.auth.mixins.AccessMixin",
    )


def test_c3_puts_a_project_class_between_djangos() -> None:
    analysis, _, _ = _analyze(
        {
            "app/views.py": """
                from django.views.generic import CreateView
                from django.views.generic.edit import BaseCreateView

                class AsyncPut(BaseCreateView):
                    async def put(self, request): ...

                class V(CreateView, AsyncPut):
                    async def get(self, request): ...
                    async def post(self, request): ...
            """
        },
        "V",
    )
    assert analysis is not None
    assert {h.name: h.kind for h in analysis.handlers} == {
        "get": "async",
        "post": "async",
        "put": "async",
    }
    assert analysis.mixed() is None


def test_http_method_names_restrict_and_order() -> None:
    analysis, _, _ = _analyze(
        {
            "app/views.py": """
                from django.views import View

                class V(View):
                    http_method_names = ["post", "get"]
                    async def get(self, request): ...
                    def post(self, request): ...
                    def put(self, request): ...
            """
        },
        "V",
    )
    assert analysis is not None
    assert [h.name for h in analysis.handlers] == ["post", "get"]
    mixed = analysis.mixed()
    assert mixed is not None and mixed[0].name == "post"
    assert [h.name for h in mixed[1]] == ["get"]


def test_http_method_names_built_from_views() -> None:
    analysis, _, _ = _analyze(
        {
            "app/views.py": """
                from django.views import View

                class V(View):
                    http_method_names = View.http_method_names + ["purge"]
                    async def purge(self, request): ...
            """
        },
        "V",
    )
    assert analysis is not None
    assert analysis.http_method_names == (*DEFAULT_HTTP_METHOD_NAMES, "purge")
    assert [h.name for h in analysis.handlers] == ["purge"]


def test_unreadable_http_method_names_gives_no_handlers() -> None:
    analysis, project, info = _analyze(
        {
            "app/views.py": """
                from django.views import View
                from .conf import METHODS

                class V(View):
                    http_method_names = METHODS
                    async def get(self, request): ...
                    def post(self, request): ...
            """
        },
        "V",
    )
    assert analysis is not None and analysis.http_method_names is None
    assert analysis.mixed() is None
    assert effective_handlers(project, info, V52) is None


def test_unseen_base_makes_only_own_handlers_certain() -> None:
    analysis, project, info = _analyze(
        {
            "app/views.py": """
                from django.views.generic import CreateView
                from vendor.mixins import Mixin

                class V(Mixin, CreateView):
                    async def get(self, request): ...
            """
        },
        "V",
    )
    assert analysis is not None and not analysis.complete
    assert [h.name for h in analysis.handlers] == ["get"]
    assert "put" in analysis.uncertain and "post" in analysis.uncertain
    assert analysis.view_kind() == "unknown"
    assert effective_handlers(project, info, V52) is None


def test_not_a_view_and_broken_hierarchies() -> None:
    files = {
        "app/views.py": """
            from django.views import View

            class Plain:
                async def get(self): ...

            class A(B):
                async def get(self): ...

            class B(A):
                def post(self): ...

            class X(View): ...
            class Y(X): ...
            class Bad(X, Y):
                async def get(self): ...
        """
    }
    for name in ("Plain", "A", "Bad"):
        analysis, _, _ = _analyze(files, name)
        assert analysis is None, name


def test_head_counts_only_when_defined_and_aliases_follow() -> None:
    analysis, _, _ = _analyze(
        {
            "app/views.py": """
                from django.views import View

                class V(View):
                    def post(self, request): ...
                    get = post
                    put = None
            """
        },
        "V",
    )
    assert analysis is not None
    handlers = {h.name: h for h in analysis.handlers}
    assert "head" not in handlers
    assert handlers["get"].function is not None and handlers["get"].function.alias_of == "post"
    assert handlers["put"].kind == "sync"  # hasattr() is true and None is no coroutine function


@pytest.mark.parametrize(
    ("decorator", "version", "kind"),
    [
        ("@method_decorator(never_cache)", V51, "sync"),
        ("@method_decorator(never_cache)", V52, "async"),
        ("@method_decorator([never_cache, login_required])", V42, "sync"),
        ("@nc", V42, "sync"),  # nc = method_decorator(never_cache)
        ("@sync_to_async", V42, "async"),
        ("@override", V42, "async"),
        ("@vendor_decorator", V52, "unknown"),
        ("@deco.sync_wrapped", V52, "sync"),
        ("@deco.async_wrapped", V52, "async"),
        ("@deco.aware", V52, "async"),
        ("@deco.factory(1)", V52, "sync"),
        ("@deco.factory", V52, "unknown"),  # a factory used without arguments: not a decorator
        ("@deco.registered", V52, "async"),
    ],
)
def test_decorators_decide_the_kind(decorator: str, version: Version, kind: str) -> None:
    analysis, _, _ = _analyze(
        {
            "app/deco.py": """
                import functools
                from asgiref.sync import iscoroutinefunction

                def sync_wrapped(func):
                    @functools.wraps(func)
                    def wrapper(*args, **kwargs):
                        return func(*args, **kwargs)
                    return wrapper

                def async_wrapped(func):
                    async def wrapper(*args, **kwargs):
                        return await func(*args, **kwargs)
                    return wrapper

                def aware(func):
                    if iscoroutinefunction(func):
                        return func
                    def wrapper(*args):
                        return func(*args)
                    return wrapper

                def factory(n):
                    def decorator(func):
                        def wrapper(*args):
                            return func(*args)
                        return wrapper
                    return decorator

                REGISTRY = []

                def registered(func):
                    REGISTRY.append(func)
                    return func
            """,
            "app/views.py": f"""
                from typing import override
                from asgiref.sync import sync_to_async
                from django.contrib.auth.decorators import login_required
                from django.utils.decorators import method_decorator
                from django.views import View
                from django.views.decorators.cache import never_cache
                from vendor import vendor_decorator
                from app import deco

                nc = method_decorator(never_cache)

                class V(View):
                    {decorator}
                    async def get(self, request): ...
            """,
        },
        "V",
        version=version,
    )
    assert analysis is not None
    assert analysis.handlers[0].kind == kind


def test_class_level_method_decorator() -> None:
    files = {
        "app/views.py": """
            from django.utils.decorators import method_decorator
            from django.views.decorators.cache import never_cache
            from django.views.generic import TemplateView

            @method_decorator(never_cache, name="get")
            class V(TemplateView):
                async def get(self, request): ...
        """
    }
    before, _, _ = _analyze(files, "V", version=V51)
    after, _, _ = _analyze(files, "V", version=V52)
    assert before is not None and after is not None
    assert before.handlers[0].kind == "sync" and "method_decorator" in before.handlers[0].note
    assert after.handlers[0].kind == "async"
    assert before.class_decorated == frozenset({"get"})


def test_dispatch_problems_follow_the_mro() -> None:
    files = {
        "app/views.py": """
            from django.contrib.auth.mixins import LoginRequiredMixin
            from django.contrib.auth.views import LogoutView, PasswordResetView
            from django.views import View

            class Plain(LoginRequiredMixin, View):
                async def get(self, request): ...

            class Raises(LoginRequiredMixin, View):
                raise_exception = True
                async def get(self, request): ...

            class RaisesButLogout(LoginRequiredMixin, LogoutView):
                raise_exception = True

            class Own(LoginRequiredMixin, View):
                def handle_no_permission(self): ...

            class Reset(PasswordResetView): ...
        """
    }
    expected = {
        "Plain": "django.contrib.auth.mixins.LoginRequiredMixin",
        "Raises": None,
        "RaisesButLogout": "django.contrib.auth.views.LogoutView",
        "Own": None,
        "Reset": None,
    }
    for name, problem in expected.items():
        _, project, info = _analyze(files, name)
        found = async_dispatch_problem(project, info, V52)
        assert (found[0] if found else None) == problem, name


# ---------------------------------------------------------------------------------------------
# Building blocks: decorator shapes, accidental async, class layout
# ---------------------------------------------------------------------------------------------


def _shape(source: str) -> DecoratorShape | None:
    info = extract_module(parse_python(textwrap.dedent(source)), "m", "/p/m.py", "d")
    return next(iter(info.functions.values())).decorator_shape


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "def d(f):\n    def w(*a):\n        return f(*a)\n    return w\n",
            DecoratorShape("sync", 1, True),
        ),
        (
            "def d(f):\n    def w(*a):\n        return 1\n    return w\n",
            DecoratorShape("sync", 1, False),
        ),
        (
            "def d(f):\n    async def w(*a):\n        return await f(*a)\n    return w\n",
            DecoratorShape("async", 1, True),
        ),
        ("def d(f):\n    return f\n", DecoratorShape("identity", 1, True)),
        (
            "def d(f):\n    def w(*a):\n        return f(*a)\n    markcoroutinefunction(w)\n    return w\n",
            DecoratorShape("adaptive", 1, True),
        ),
        (
            "def d(n):\n    def deco(f):\n        def w(*a):\n            return f(*a)\n        return w\n    return deco\n",
            DecoratorShape("sync", 2, True),
        ),
        ("def d(f):\n    return wraps(f)(lambda *a: f(*a))\n", None),
        ("def d(x):\n    return x + 1\n", None),
        ("def make():\n    def w():\n        return 1\n    return w\n", None),
        ("async def d(f):\n    return f\n", None),
        (
            "def d(f):\n    def w(*a):\n        return f(*a)\n    if f:\n        return f\n    return w\n",
            None,
        ),
    ],
)
def test_decorator_shapes(source: str, expected: DecoratorShape | None) -> None:
    assert _shape(source) == expected


@pytest.mark.parametrize(
    ("body", "needs"),
    [
        ("return HttpResponse('x')", False),
        ("return super().get(request)", False),
        ("return await x()", True),
        ("async for row in rows:\n        pass", True),
        ("async with lock:\n        pass", True),
        ("return [r async for r in rows]", True),
        ("asyncio.create_task(job())", True),
        ("yield 1", True),
        ("async def inner():\n        pass", True),
    ],
)
def test_needs_async(body: str, needs: bool) -> None:
    node = ast.parse(f"async def get(self, request):\n    {body}\n").body[0]
    assert isinstance(node, ast.AsyncFunctionDef)
    assert needs_async(node) is needs


@pytest.mark.parametrize(
    ("text", "indent", "unit", "at_eof"),
    [
        ("class V:\n    x = 1\n", "    ", "    ", False),
        ("class V:\n\tx = 1", "\t", "\t", True),
        ("if True:\n  class V:\n      x = 1\n", "      ", "    ", False),
    ],
)
def test_class_layout(text: str, indent: str, unit: str, at_eof: bool) -> None:
    source = parse_python(text)
    node = next(n for n in ast.walk(source.tree) if isinstance(n, ast.ClassDef))
    layout = class_layout(source, node)
    assert layout is not None
    assert (layout.indent, layout.unit, layout.at_eof) == (indent, unit, at_eof)


def test_one_line_class_has_no_layout() -> None:
    text = "class V(View): pass\n"
    source = parse_python(text)
    node = source.tree.body[0]
    assert isinstance(node, ast.ClassDef)
    assert class_layout(source, node) is None


# ---------------------------------------------------------------------------------------------
# One resolver for the whole index, and the linearisation's shortcuts
# ---------------------------------------------------------------------------------------------

SHARED_VIEWS = """
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import CreateView, ListView, View

class Base(View):
    async def get(self, request): ...

class Mixed(LoginRequiredMixin, Base):
    def post(self, request): ...

class Listing(ListView):
    pass

class Both(Listing, CreateView):
    pass

class NotAView:
    pass
"""


def _analyses(resolver: ViewResolver, classes) -> list[object]:
    return [resolver.analyze(cls) for cls in classes]


def test_shared_resolver_answers_as_fresh_ones_in_any_order() -> None:
    """Where the index allows sharing, one resolver asked in any order gives every class the
    analysis a resolver made for it alone gives."""
    from djvet.core.django.views import document_resolver, index_resolver, resolvers_shareable

    project = in_memory_project({"app/views.py": SHARED_VIEWS, "app/more.py": SHARED_VIEWS})
    assert resolvers_shareable(project)
    classes = [c for m in project.modules.values() for c in m.classes.values()]
    alone = [ViewResolver(project, V52).analyze(cls) for cls in classes]
    shared = index_resolver(project, V52)
    assert _analyses(shared, reversed(classes))[::-1] == alone
    assert _analyses(shared, classes) == alone
    module = project.module_at("/project/app/views.py")
    assert document_resolver(project, V52, module) is shared
    fresher = extract_module(parse_python(SHARED_VIEWS), "app.views", module.path, "other")
    assert document_resolver(project, V52, fresher) is not shared  # the buffer is newer


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        (
            {"app/views.py": SHARED_VIEWS, "app/views/__init__.py": SHARED_VIEWS},
            "two modules named app.views",
        ),
        (
            {"django/views/generic/base.py": "class View:\n    pass\n"},
            "a project class with the key of Django's View (Django's own source)",
        ),
        (
            {
                "a/__init__.py": "class b:\n    class C:\n        pass\n",
                "a/b.py": "class C:\n    pass\n",
            },
            "a nested class and a module class with one key (a.b.C)",
        ),
    ],
)
def test_no_sharing_where_order_could_matter(files: dict[str, str], reason: str) -> None:
    from djvet.core.django.views import document_resolver, index_resolver, resolvers_shareable

    project = in_memory_project(files)
    assert not resolvers_shareable(project), reason
    module = next(iter(project.modules.values()))
    assert document_resolver(project, V52, module) is not index_resolver(project, V52)


def test_linearize_matches_python_on_generated_hierarchies() -> None:
    """Single-base classes take the shortcut; every class's MRO equals the one Python builds
    (and a hierarchy Python rejects is rejected too)."""
    import random

    from djvet.core.django.views import MroError, _Node

    rng = random.Random(7)
    checked = rejected = 0
    for _ in range(300):
        resolver = ViewResolver(in_memory_project({}), V52)
        real: dict[str, type] = {}
        names: list[str] = []
        for index in range(rng.randint(1, 9)):
            name = f"C{index}"
            bases = tuple(rng.sample(names, k=min(len(names), rng.choice((0, 1, 1, 2, 3)))))
            try:
                real[name] = type(name, tuple(real[b] for b in bases) or (object,), {})
            except TypeError:
                continue  # Python rejects it: not built either way
            resolver._nodes[name] = _Node(name, bases)
            names.append(name)
        for name, cls in real.items():
            expected = tuple(c.__name__ for c in cls.__mro__ if c is not object)
            assert resolver.linearize(name) == expected
            checked += 1
        broken = "X"
        resolver._nodes[broken] = _Node(broken, (names[0], names[0]))
        with pytest.raises(MroError):
            resolver.linearize(broken)
        rejected += 1
    assert checked > 1000 and rejected == 300
