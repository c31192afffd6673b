"""Receiver inference (core/python/infer.py), body summaries, and the per-function cache."""

from __future__ import annotations

import ast
import textwrap
import time

import pytest
from packaging.version import Version

from djvet.core.django.models import model_index
from djvet.core.project import in_memory_project
from djvet.core.python import jedi_facade
from djvet.core.python.async_orm import _FUNCTION_CACHES, _Document, _Walker, analyse
from djvet.core.python.infer import (
    AsyncQueryIterator,
    Coroutine,
    Instance,
    Knowledge,
    ListOf,
    Manager,
    QueryIterator,
    QuerySet,
    Request,
    merge,
)
from djvet.core.python.parse import parse_python
from djvet.core.python.scopes import async_functions

from ..rules.test_djv301_sync_queryset_call_in_async import MODELS, SERVICES

VERSION = Version("5.2")


def env_after(code: str, extra: dict[str, str] | None = None) -> dict[str, object]:
    """The names bound at the end of the (only) async function of ``code``, after the walk."""
    text = "from shop.models import Author, Book, Loan\n" + textwrap.dedent(code)
    files = {
        "shop/models.py": MODELS,
        "shop/services.py": SERVICES,
        "shop/views.py": text,
        **(extra or {}),
    }
    project = in_memory_project(files, "/proj")
    source = parse_python(text)
    module = project.module_at("/proj/shop/views.py")
    document = _Document(source, project, module, model_index(project), VERSION)
    (function,) = list(async_functions(source.tree))
    walker = _Walker(document, function, None)
    walker.run()
    return dict(walker.inf.env.names)


def test_managers_querysets_and_instances() -> None:
    env = env_after(
        """
        async def v(request, pk):
            m = Book.objects
            qs = m.filter(published=True).select_related("author").only("title")
            one = await qs.aget(pk=pk)
            rows = [b async for b in qs]
            values = Book.objects.values("title")
            it = Book.objects.iterator()
            ait = Book.objects.aiterator()
            coro = Book.objects.acount()
            created, made = await Book.objects.aget_or_create(title="x")
        """
    )
    assert isinstance(env["m"], Manager) and env["m"].model == "shop.models.Book"
    assert env["m"].queryset_class == "shop.models.BookQuerySet"
    qs = env["qs"]
    assert (
        isinstance(qs, QuerySet)
        and qs.select == frozenset({"author"})
        and qs.only == frozenset({"title"})
    )
    one = env["one"]
    assert (
        isinstance(one, Instance)
        and one.loaded == frozenset({"author"})
        and one.only == frozenset({"title"})
    )
    assert isinstance(env["rows"], ListOf) and isinstance(env["rows"].item, Instance)
    assert isinstance(env["values"], QuerySet) and env["values"].rows == "values"
    assert isinstance(env["it"], QueryIterator)
    assert isinstance(env["ait"], AsyncQueryIterator)
    assert isinstance(env["coro"], Coroutine)
    # Create path: unknown
    assert isinstance(env["created"], Instance) and env["created"].loaded is None
    assert env["made"] is None


def test_request_user_session_and_parameters() -> None:
    env = env_after(
        """
        async def v(request, book: Book, other: "Author", plain):
            user = request.user
            session = request.session
            real_user = await request.auser()
        """
    )
    assert isinstance(env["request"], Request)
    assert isinstance(env["user"], Instance) and env["user"].lazy_user
    # Caller's query unknown
    assert isinstance(env["book"], Instance) and env["book"].loaded is None
    assert isinstance(env["other"], Instance) and env["other"].model == "shop.models.Author"
    assert env["plain"] is None
    assert isinstance(env["real_user"], Instance) and not env["real_user"].lazy_user


def test_lazy_and_evaluating_custom_methods() -> None:
    env = env_after(
        """
        async def v():
            lazy = Book.objects.published().by(1)
            active = Loan.active.overdue()
            constant = Book.objects.label()
        """
    )
    assert isinstance(env["lazy"], QuerySet) and env["lazy"].model == "shop.models.Book"
    assert isinstance(env["active"], QuerySet) and env["active"].model == "shop.models.Loan"
    assert env["constant"] is None


def test_branches_merge_and_conflicts_become_unknown() -> None:
    env = env_after(
        """
        async def v(flag):
            if flag:
                qs = Book.objects.filter(pk=1)
                x = Book.objects.all()
            else:
                qs = Book.objects.filter(pk=2)
                x = {}
            async for b in qs:
                pass
        """
    )
    assert isinstance(env["qs"], QuerySet) and env["qs"].cached == "yes"
    assert env["x"] is None  # a QuerySet on one branch, a dict on the other


def test_loop_body_may_not_run() -> None:
    env = env_after(
        """
        async def v(items):
            qs = Book.objects.all()
            for i in items:
                async for b in qs:
                    pass
        """
    )
    assert isinstance(env["qs"], QuerySet) and env["qs"].cached == "maybe"


def test_merge_widens_instances() -> None:
    a = Instance("m.Book", loaded=frozenset({"author"}))
    b = Instance("m.Book", loaded=frozenset())
    merged = merge(a, b)
    # Never a false alarm
    assert isinstance(merged, Instance) and merged.loaded == frozenset({"author"})
    assert merge(a, QuerySet("m.Book")) is None


def knowledge_for(files: dict[str, str]) -> Knowledge:
    return Knowledge(model_index(in_memory_project(files, "/proj")))


def test_classify_helpers_from_body_summaries() -> None:
    files = {"shop/models.py": MODELS, "shop/services.py": SERVICES}
    project = in_memory_project(files, "/proj")
    knowledge = Knowledge(model_index(project))
    module = project.module_at("/proj/shop/services.py")
    effect = knowledge.classify_function(module.functions["book_count"], module, None, "book_count")
    assert (
        effect.what == "query"
        and effect.site is not None
        and effect.site.text == "Book.objects.count()"
    )
    effect = knowledge.classify_function(module.functions["titles_via_helper"], module, None, "t")
    assert effect.what == "query" and effect.site.via == ("_titles()",)
    assert (
        knowledge.classify_function(module.functions["safe_helper"], module, None, "s").what
        == "none"
    )
    assert (
        knowledge.classify_function(module.functions["lazy_books"], module, None, "l").what
        == "lazy"
    )
    assert (
        knowledge.classify_function(module.functions["offloaded"], module, None, "o").what
        == "unknown"
    )
    assert (
        knowledge.classify_function(module.functions["generate_titles"], module, None, "g").what
        == "unknown"
    )
    effect = knowledge.classify_function(module.functions["maybe_count"], module, None, "m")
    assert effect.what == "query" and effect.conditional


def test_recursive_helpers_terminate() -> None:
    services = (
        "from .models import Book\n\n\ndef a():\n    return b()\n\n\ndef b():\n    return a()\n"
    )
    project = in_memory_project({"shop/models.py": MODELS, "shop/services.py": services}, "/proj")
    knowledge = Knowledge(model_index(project))
    module = project.module_at("/proj/shop/services.py")
    assert knowledge.classify_function(module.functions["a"], module, None, "a").what in (
        "none",
        "unknown",
    )


# -- the per-function cache -------------------------------------------------------------------

VIEWS = """\
from .models import Book
from .helpers import count


async def one():
    return count()


async def two():
    return Book.objects.get(pk=1)
"""


def _report(project, text: str):
    return analyse(parse_python(text), project, "/proj/shop/views.py", VERSION)


def test_cache_revalidates_when_a_helper_in_another_module_changes() -> None:
    helpers = "from .models import Book\n\n\ndef count():\n    return Book.objects.count()\n"
    project = in_memory_project(
        {"shop/models.py": MODELS, "shop/helpers.py": helpers, "shop/views.py": VIEWS}, "/proj"
    )
    assert [i.span.line for i in _report(project, VIEWS).issues] == [5, 9]
    project.update_text("/proj/shop/helpers.py", "def count():\n    return 3\n")
    # The helper no longer queries
    assert [i.span.line for i in _report(project, VIEWS).issues] == [9]
    project.update_text("/proj/shop/helpers.py", helpers)
    assert [i.span.line for i in _report(project, VIEWS).issues] == [5, 9]


def test_cache_shifts_issues_when_lines_are_inserted_above() -> None:
    helpers = "from .models import Book\n\n\ndef count():\n    return Book.objects.count()\n"
    project = in_memory_project(
        {"shop/models.py": MODELS, "shop/helpers.py": helpers, "shop/views.py": VIEWS}, "/proj"
    )
    before = _report(project, VIEWS).issues
    moved = VIEWS.replace("async def one", "X = 1\n\n\nasync def one")
    project.update_text("/proj/shop/views.py", moved)
    after = _report(project, moved).issues
    assert [i.span.line for i in after] == [i.span.line + 3 for i in before]
    for old, new in zip(before, after, strict=True):
        old_edits = [e.span.line for e in old.fix.edits if e.text.startswith("await")]
        new_edits = [e.span.line for e in new.fix.edits if e.text.startswith("await")]
        assert new_edits == [line + 3 for line in old_edits]
    _FUNCTION_CACHES.clear()
    fresh = in_memory_project(
        {"shop/models.py": MODELS, "shop/helpers.py": helpers, "shop/views.py": moved}, "/proj"
    )
    assert [(i.span, i.message) for i in _report(fresh, moved).issues] == [
        (i.span, i.message) for i in after
    ]


def test_cache_sees_a_model_change() -> None:
    text = "from .models import Book\n\n\nasync def v():\n    b = await Book.objects.aget(pk=1)\n    return b.author.name\n"
    project = in_memory_project({"shop/models.py": MODELS, "shop/views.py": text}, "/proj")
    assert len(_report(project, text).issues) == 1
    project.update_text(
        "/proj/shop/models.py",
        MODELS.replace("author = models.ForeignKey", "author = models.CharField(max_length=1)  #"),
    )
    assert _report(project, text).issues == ()


# -- scopes -------------------------------------------------------------------------------------


def test_async_functions_are_found_at_any_depth() -> None:
    tree = ast.parse(
        textwrap.dedent(
            """
            async def a(): pass
            class V:
                async def get(self): pass
                class Inner:
                    async def deep(self): pass
            def outer():
                async def nested(): pass
                class Local:
                    async def m(self): pass
            if True:
                async def conditional(): pass
            """
        )
    )
    found = {(f.node.name, f.class_qualname) for f in async_functions(tree)}
    assert found == {
        ("a", None),
        ("get", "V"),
        ("deep", "V.Inner"),
        ("nested", None),
        ("m", None),
        ("conditional", None),
    }


# -- the jedi fallback ------------------------------------------------------------------------


@pytest.fixture
def blocking_jedi():
    jedi_facade.configure(blocking=True)
    yield
    jedi_facade.configure(blocking=False)


@pytest.mark.skipif(not jedi_facade.jedi_available(), reason="jedi not installed")
def test_jedi_decides_a_model_the_index_cannot_see(blocking_jedi) -> None:
    text = (
        "from django.contrib.flatpages.models import FlatPage\nfrom json import JSONDecoder\n\n\n"
        "async def v():\n    page = FlatPage.objects.get(pk=1)\n    d = JSONDecoder.objects.get(pk=1)\n    return page, d\n"
    )
    project = in_memory_project({"shop/views.py": text}, "/proj")
    issues = _report(project, text).issues
    # FlatPage yes, JSONDecoder no
    assert [(i.code, i.span.line) for i in issues] == [("DJV301", 5)]
    calls = jedi_facade.stats()["jedi_calls"]
    _report(in_memory_project({"shop/views.py": text}, "/proj"), text)
    assert jedi_facade.stats()["jedi_calls"] == calls  # answers are cached


def test_jedi_is_not_asked_about_project_or_builtin_names() -> None:
    jedi_facade.configure(enabled=True, blocking=False)
    before = jedi_facade.stats()["jedi_calls"]
    env_after(
        """
        async def v(data):
            a = Book.objects.all()
            b = data.objects.get(pk=1)
            c = len.objects
        """
    )
    assert jedi_facade.stats()["jedi_calls"] == before


def test_jedi_budget_returns_unknown_instead_of_waiting(monkeypatch) -> None:
    started = []

    def slow(code: str, name: str, root: str) -> bool:
        started.append(name)
        time.sleep(0.5)
        return True

    monkeypatch.setattr(jedi_facade, "_ask_jedi", slow)
    jedi_facade.configure(budget_seconds=0.01, blocking=False)
    try:
        budget = jedi_facade.DocumentBudget("/budget-test")
        started_at = time.monotonic()
        # Not answered within the budget: "unknown" now, without waiting for jedi.
        assert budget.is_external_model("thirdparty.models.Slow") is None
        assert time.monotonic() - started_at < 0.4
        assert started == ["Slow"]
    finally:
        jedi_facade.configure(budget_seconds=0.05)


# -- the fast paths of the check (same answers as the plain code) -----------------------------


def test_anchored_and_with_result_equal_dataclasses_replace() -> None:
    """Built field by field for speed; every field is carried (a new field fails here)."""
    import dataclasses

    from djvet.core.python.infer import (
        CallArgs,
        Effect,
        QuerySite,
        RelatedInfo,
        _anchored,
        _opaque,
        _refreshed,
        _with_result,
    )
    from djvet.core.types import Span

    related = RelatedInfo("m.Author", "books", "fk", True)
    qs = QuerySet(
        "m.Book", "m.BookQuerySet", frozenset({"author"}), frozenset({"tags"}),
        frozenset({"title"}), frozenset({"body"}), "values", True, True, related, "maybe",
        ast.Name("old"), True,
    )  # fmt: skip
    assert all(getattr(qs, f.name) != f.default for f in dataclasses.fields(QuerySet)), (
        "every field set away from its default"
    )
    anchor = ast.Name("new")
    assert _anchored(qs, anchor) == dataclasses.replace(qs, insert_at=anchor)
    for carried in (related, None):
        assert _refreshed(qs, carried) == dataclasses.replace(
            qs, from_prefetch=False, related=carried, cached="no"
        )
        assert _refreshed(qs, carried, anchor) == dataclasses.replace(
            qs, from_prefetch=False, related=carried, cached="no", insert_at=anchor
        )
    assert _opaque(qs) == dataclasses.replace(
        qs, select=None, prefetch=qs.prefetch | {"*"}, only=None, deferred=frozenset()
    )
    site = QuerySite("/p.py", Span(1, 2, 3, 4), "Book.objects.count()", ("h()",))
    effect = Effect("lazy", "custom", None, site, True)
    assert _with_result(effect, qs) == dataclasses.replace(effect, result=qs)
    assert [f.name for f in dataclasses.fields(Effect)] == [
        "what", "family", "result", "site", "conditional",
    ]  # fmt: skip
    assert CallArgs.from_call(ast.parse("x(1)", mode="eval").body).count == 1


def test_kinds_are_values() -> None:
    """Equal fields, equal and same hash (as frozen dataclasses would be)."""
    a, b = QuerySet("m.Book", select=frozenset({"x"})), QuerySet("m.Book", select=frozenset({"x"}))
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert Instance("m.Book") != Instance("m.Author")


def test_lookups_answer_and_record_as_the_index_does() -> None:
    """A document's repeated lookups give the first answer and record the same dependency."""
    from djvet.core.python.infer import Lookups

    project = in_memory_project({"shop/models.py": MODELS, "shop/services.py": SERVICES}, "/proj")
    knowledge = Knowledge(model_index(project))
    near = "/proj/shop/views.py"
    names = ["shop.models.Book", "shop.models.Book.objects", "shop.services.book_count", "len"]
    plain: list[object] = []
    knowledge.recorder = plain
    expected = [knowledge.kind_of_qualified(name, near) for name in names]
    lookups = Lookups()
    memoised: list[object] = []
    knowledge.recorder = memoised
    for _ in range(2):
        assert [knowledge.kind_of_qualified(name, near, lookups) for name in names] == expected
    knowledge.recorder = None
    assert memoised == plain + plain
    assert expected[0] is not None and expected[3] is None


def test_document_context_compares_by_value() -> None:
    """Equal when the module's shape and every item are equal (an equal module summary made
    again compares by its shape); any difference makes the cached functions stale."""
    from djvet.core.python.async_orm import _Context

    project = in_memory_project({"shop/models.py": MODELS, "shop/views.py": VIEWS}, "/proj")
    module = project.module_at("/proj/shop/views.py")
    assert module is not None
    project.update_text("/proj/shop/views.py", VIEWS + "\n# a comment changes no shape\n")
    again = project.module_at("/proj/shop/views.py")
    assert again is not None and again is not module
    project.update_text("/proj/shop/views.py", "import os\n" + VIEWS)
    reshaped = project.module_at("/proj/shop/views.py")
    items = ("/p.py", None, "5.2", "", (("/m.py", "d"),), "\n")
    one = _Context(module, items)
    assert one == _Context(module, tuple(items)) and one == _Context(again, tuple(items))
    assert one != _Context(module, (*items[:-1], "\r\n"))
    assert one != _Context(reshaped, items)  # a new import: another shape
    assert one != items


def test_expression_dispatch_follows_the_isinstance_order() -> None:
    """Each node class gets the handler the first matching class of ``_EXPR_KINDS`` gives;
    subclasses too (as ``isinstance`` would), and anything else the generic walk."""
    from djvet.core.python.async_orm import _EXPR_KINDS, _expr_handler

    class Named(ast.Name):
        pass

    assert _expr_handler(ast.Name) is _Walker._leaf
    assert _expr_handler(Named) is _Walker._leaf
    assert _expr_handler(ast.Call) is _Walker.call
    assert _expr_handler(ast.GeneratorExp) is _Walker.comprehension
    assert _expr_handler(ast.JoinedStr) is _Walker._generic_expr
    for cls in (c for c in vars(ast).values() if isinstance(c, type) and issubclass(c, ast.expr)):
        matches = [handler for kinds, handler in _EXPR_KINDS if issubclass(cls, kinds)]
        assert _expr_handler(cls) is (matches[0] if matches else _Walker._generic_expr)


def test_unary_operators_reach_the_right_checks() -> None:
    """``not qs`` is a truth test of the QuerySet; ``-len(qs)`` still walks down to ``len()``;
    ``-count`` of a plain number reports nothing."""
    code = (
        "from shop.models import Book\n\n\n"
        "async def view():\n"
        "    qs = Book.objects.all()\n"
        "    if not qs:\n"
        "        return -len(qs)\n"
        "    count = 3\n"
        "    return -count\n"
    )
    project = in_memory_project({"shop/models.py": MODELS, "shop/views.py": code}, "/proj")
    source = parse_python(code, "/proj/shop/views.py")
    report = analyse(source, project, "/proj/shop/views.py", VERSION)
    assert [(i.code, i.span.line + 1) for i in report.issues] == [("DJV302", 6), ("DJV302", 7)]
