"""The shortcuts of the async-ORM analysis (core/python/async_orm.py, infer.py) give the
answers of the plain code they stand for: shared walking contexts with the parent found on
demand, per-index memos, anchored QuerySets built at once, the calls ``function_call`` can
answer, lazily de-duplicated dependencies, and the model table reused within a generation."""

from __future__ import annotations

import ast
import dataclasses
import textwrap

import pytest
from packaging.version import Version

from djvet.core.django.models import model_index
from djvet.core.project import in_memory_project
from djvet.core.python import async_orm, infer, jedi_facade
from djvet.core.python.async_orm import _FUNCTION_CACHES, _Document, _Walker, analyse
from djvet.core.python.infer import (
    _KNOWN_CALLS,
    MODULE_FUNCTIONS,
    QS_LAZY,
    CallArgs,
    Env,
    Inferrer,
    Instance,
    Knowledge,
    ListOf,
    Lookups,
    Manager,
    QuerySet,
    RelatedInfo,
    Request,
    _anchored,
    _chain_lazy,
    merge,
)
from djvet.core.python.parse import parse_python
from djvet.core.python.scopes import async_functions
from djvet.core.text import apply_edits

from ..rules.test_djv301_sync_queryset_call_in_async import MODELS, SERVICES

VERSION = Version("5.2")


@pytest.fixture(autouse=True)
def no_jedi():
    """Nothing here asks jedi (its thread would outlive the test)."""
    jedi_facade.configure(enabled=False)
    yield
    jedi_facade.configure(enabled=True)


HEADER = "from shop.models import Author, Book, Loan\nfrom asgiref.sync import sync_to_async\n"


def walked(code: str) -> tuple[_Walker, str]:
    """A walker that went through the (only) async function of ``code``, and the text."""
    text = HEADER + textwrap.dedent(code)
    project = in_memory_project(
        {"shop/models.py": MODELS, "shop/services.py": SERVICES, "shop/views.py": text}, "/proj"
    )
    source = parse_python(text, "/proj/shop/views.py")
    module = project.module_at("/proj/shop/views.py")
    document = _Document(source, project, module, model_index(project), VERSION)
    (function,) = [f for f in async_functions(source.tree) if f.node.name == "view"]
    walker = _Walker(document, function, None)
    walker.run()
    return walker, text


def node_at(walker: _Walker, segment: str, kind: type[ast.AST] = ast.Call) -> ast.AST:
    """The (first) node of class ``kind`` whose source text is ``segment``."""
    for node in ast.walk(walker.function.node):
        if isinstance(node, kind) and walker.source.segment(node) == segment:
            return node
    raise AssertionError(segment)


# -- the node an expression is walked under ---------------------------------------------------


def test_parent_of_is_the_node_an_expression_is_walked_under() -> None:
    """The syntax parent, except through a keyword argument (the call), a comprehension's
    clauses (the comprehension) and a function's arguments (the function or lambda)."""
    walker, _ = walked(
        """
        async def view(request):
            x = f(Book.objects.first(), key=Book.objects.count())
            y = [b for b in Book.objects.all() if Book.objects.exists()]
            def helper(a=Book.objects.last()):
                return a
            g = lambda q=Book.objects.earliest(): q
            return -Book.objects.count(), x, y, g
        """
    )
    fcall = node_at(walker, "f(Book.objects.first(), key=Book.objects.count())")
    assert walker.parent_of(node_at(walker, "Book.objects.first()")) is fcall
    assert walker.parent_of(node_at(walker, "Book.objects.count()")) is fcall  # keyword value
    comp = node_at(walker, "[b for b in Book.objects.all() if Book.objects.exists()]", ast.ListComp)
    assert walker.parent_of(node_at(walker, "Book.objects.all()")) is comp
    assert walker.parent_of(node_at(walker, "Book.objects.exists()")) is comp
    (helper,) = [n for n in ast.walk(walker.function.node) if isinstance(n, ast.FunctionDef)]
    assert walker.parent_of(node_at(walker, "Book.objects.last()")) is helper
    lam = node_at(walker, "lambda q=Book.objects.earliest(): q", ast.Lambda)
    assert walker.parent_of(node_at(walker, "Book.objects.earliest()")) is lam
    assert isinstance(
        walker.parent_of(node_at(walker, "-Book.objects.count()", ast.UnaryOp)), ast.Tuple
    )


def fixed(code: str) -> str:
    """``code`` (placed in a module) with every DJV30x fix applied once, or the issues' codes."""
    text = HEADER + textwrap.dedent(code)
    project = in_memory_project(
        {"shop/models.py": MODELS, "shop/services.py": SERVICES, "shop/views.py": text}, "/proj"
    )
    report = analyse(parse_python(text), project, "/proj/shop/views.py", VERSION)
    # (Issues about one ``request.user`` share their fix.)
    edits = list(
        dict.fromkeys(edit for issue in report.issues if issue.fix for edit in issue.fix.edits)
    )
    return apply_edits(text, edits)[len(HEADER) :]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        # A keyword argument: no parentheses around ``await``.
        (
            "async def view():\n    return f(key=Book.objects.count())\n",
            "async def view():\n    return f(key=await Book.objects.acount())\n",
        ),
        # The receiver of an attribute, a call, an index; the left operand of ``**``.
        (
            "async def view():\n    return Book.objects.first().title\n",
            "async def view():\n    return (await Book.objects.afirst()).title\n",
        ),
        (
            "async def view():\n    return Book.objects.count() ** 2\n",
            "async def view():\n    return (await Book.objects.acount()) ** 2\n",
        ),
        # The right operand of ``**`` and an operand of ``+``: no parentheses needed.
        (
            "async def view():\n    return 2 ** Book.objects.count() + Book.objects.count()\n",
            "async def view():\n    return 2 ** await Book.objects.acount() + await Book.objects.acount()\n",
        ),
        # ``not in`` as a condition and as a value.
        (
            "async def view(book: Book):\n    qs = Book.objects.all()\n    if book not in qs:\n        return 1\n    x = book not in qs\n    return x\n",
            "async def view(book: Book):\n    qs = Book.objects.all()\n    if not await qs.acontains(book):\n        return 1\n    x = not await qs.acontains(book)\n    return x\n",
        ),
        # ``request.user`` assigned, then read (the fix is at the assignment) ...
        (
            "async def view(request):\n    u = request.user\n    f(key=u.pk)\n    return u.pk\n",
            "async def view(request):\n    u = await request.auser()\n    f(key=u.pk)\n    return u.pk\n",
        ),
        # ... and read where it is, in an argument and a keyword argument.
        (
            "async def view(request):\n    return f(request.user.pk, key=request.user.pk)\n",
            "async def view(request):\n    return f((await request.auser()).pk, key=(await request.auser()).pk)\n",
        ),
        # A comprehension's condition (walked under the comprehension).
        (
            "async def view():\n    return [b async for b in Book.objects.all() if Book.objects.exists()]\n",
            "async def view():\n    return [b async for b in Book.objects.all() if await Book.objects.aexists()]\n",
        ),
    ],
)
def test_fixes_where_the_walked_under_node_decides_the_parentheses(
    code: str, expected: str
) -> None:
    assert fixed(code) == expected


def test_no_await_is_added_inside_a_generator_or_a_default() -> None:
    """Must not fix (the issue is still reported): a generator's later clauses and
    conditions, and a default value, run where ``await`` cannot be written."""
    code = (
        "async def view():\n"
        "    g = (b for a in x for b in Book.objects.filter(pk=a))\n"
        "    def helper(n=Book.objects.count()):\n"
        "        return n\n"
        "    return g, helper\n"
    )
    assert fixed(code) == code
    text = HEADER + code
    project = in_memory_project({"shop/models.py": MODELS, "shop/views.py": text}, "/proj")
    codes = [
        i.code for i in analyse(parse_python(text), project, "/proj/shop/views.py", VERSION).issues
    ]
    assert codes == ["DJV302", "DJV301"]


_SERVICES = in_memory_project({"shop/models.py": MODELS, "shop/services.py": SERVICES}, "/proj")
_HELPERS = _SERVICES.module_at("/proj/shop/services.py")
assert _HELPERS is not None
SAMPLE_KINDS = [
    infer.Function("book_count", _HELPERS.functions["book_count"], _HELPERS),
    infer.ModelClass("shop.models.Book"),
    Manager("shop.models.Book"),
    QuerySet("shop.models.Book"),
    Instance("shop.models.Book", loaded=frozenset()),
    Instance("shop.models.Book", lazy_user=True),
    Request(),
    infer.Session(),
    infer.QueryIterator(QuerySet("shop.models.Book")),
    infer.AsyncQueryIterator(QuerySet("shop.models.Book")),
    infer.Coroutine(None, "acount"),
    ListOf(None),
    infer.TupleOf((None,)),
    infer.Paginator(),
    infer.SelfOf("shop.views.V"),
    infer.Connection(),
    infer.Connections(),
    infer.Atomic(called=True),
]


def test_every_kind_class_is_sampled() -> None:
    assert {type(k) for k in SAMPLE_KINDS} == set(infer.Kind.__args__)  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", SAMPLE_KINDS, ids=lambda k: type(k).__name__)
def test_the_checks_skipped_for_a_kind_report_nothing_for_it(kind: infer.Kind) -> None:
    """The handlers call ``attribute`` / ``awaited`` / ``subscript`` only for the kinds in
    ``_ATTRIBUTE_CHECKED`` / ``_AWAIT_CHECKED`` / ``_SUBSCRIPT_CHECKED``: for any other kind the
    check reports nothing and changes nothing. Must report: ``Coroutine`` for all three."""
    walker, _ = walked(
        """
        async def view(request):
            x = book.title
            y = await book
            z = book[0]
            w = book.count
        """
    )
    nodes = {
        "attribute": node_at(walker, "book.title", ast.Attribute),
        "awaited": node_at(walker, "await book", ast.Await),
        "subscript": node_at(walker, "book[0]", ast.Subscript),
        "count": node_at(walker, "book.count", ast.Attribute),
    }
    walker.stmt = walker.function.node.body[0]
    before = dict(walker.inf.env.names)
    walker.attribute(nodes["attribute"], async_orm._PLAIN, kind)  # type: ignore[arg-type]
    walker.attribute(nodes["count"], async_orm._PLAIN, kind)  # type: ignore[arg-type]
    attribute_issues = len(walker.issues)
    walker.awaited(nodes["awaited"], kind)  # type: ignore[arg-type]
    await_issues = len(walker.issues) - attribute_issues
    walker.subscript(nodes["subscript"], async_orm._PLAIN, kind)  # type: ignore[arg-type]
    subscript_issues = len(walker.issues) - attribute_issues - await_issues
    if type(kind) not in async_orm._ATTRIBUTE_CHECKED:
        assert attribute_issues == 0
    if type(kind) not in async_orm._AWAIT_CHECKED:
        assert await_issues == 0
    if type(kind) not in async_orm._SUBSCRIPT_CHECKED:
        assert subscript_issues == 0
    assert walker.inf.env.names == before
    if isinstance(kind, infer.Coroutine):
        assert (attribute_issues, subscript_issues) == (2, 1)


# -- inference shortcuts ----------------------------------------------------------------------


def knowledge() -> tuple[Knowledge, object]:
    project = in_memory_project({"shop/models.py": MODELS, "shop/services.py": SERVICES}, "/proj")
    return Knowledge(model_index(project)), project


@pytest.mark.parametrize("name", sorted(QS_LAZY))
@pytest.mark.parametrize(
    "args",
    [
        None,
        CallArgs(("author",), 1, True, ()),
        CallArgs((), 1, True, ()),
        CallArgs((), 0, True, ("x",)),
    ],
)
def test_a_lazy_method_anchored_at_once_equals_anchored_after(
    name: str, args: CallArgs | None
) -> None:
    related = RelatedInfo("shop.models.Author", "books", "fk", True)
    anchor, call = ast.Name("old"), ast.Name("call")
    for qs in (
        QuerySet("shop.models.Book", insert_at=anchor),
        QuerySet(
            "shop.models.Book", from_prefetch=True, related=related, cached="yes", insert_at=anchor
        ),
        QuerySet(
            "shop.models.Book",
            select=None,
            only=frozenset({"title"}),
            rows="values",
            insert_at=anchor,
        ),
    ):
        plain = _chain_lazy(qs, name, args)
        assert _chain_lazy(qs, name, args, call) == _anchored(plain, call)
        assert plain.insert_at is anchor or name == "raw"  # unanchored: where it was


def test_the_calls_function_call_answers_are_the_known_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``function_call`` answers nothing outside ``_KNOWN_CALLS`` (checked with the gate open)."""
    names = {
        *MODULE_FUNCTIONS,
        *(f"{q.rsplit('.', 1)[0]}.a{q.rsplit('.', 1)[1]}" for q in MODULE_FUNCTIONS),
        *(f"django.shortcuts.{n}" for n in ("render", "redirect", "aredirect", "arender", "a")),
        *(f"django.contrib.auth.{n}" for n in ("alogout", "aget_user_model", "a", "get_user_model")),
        "django.db.transaction.atomic", "django.db.transaction.aatomic",
        "django.core.paginator.Paginator", "django.core.paginator.AsyncPaginator",
        "django.contrib.auth.get_user_model", "django.http.JsonResponse", "shop.services.book_count",
    }  # fmt: skip
    k, _ = knowledge()
    inferrer = Inferrer(parse_python(""), None, k, None)
    call = ast.parse("f(Book)", mode="eval").body
    assert isinstance(call, ast.Call)
    gated = {name: inferrer.function_call(name, call) for name in names}

    class Everything(frozenset[str]):
        def __contains__(self, item: object) -> bool:
            return True

    monkeypatch.setattr(infer, "_KNOWN_CALLS", Everything())
    open_gate = {name: inferrer.function_call(name, call) for name in names}
    assert gated == open_gate
    assert {name for name, effect in open_gate.items() if effect is not None} <= _KNOWN_CALLS
    assert gated["django.contrib.auth.alogin"] is not None  # must answer: an async form


def test_merged_environments_equal_merging_each_name() -> None:
    qs = QuerySet("shop.models.Book")
    book = Instance("shop.models.Book", loaded=frozenset({"author"}))
    one = Env({"a": qs, "b": book, "r": Request(), "x": None})
    for other in (
        Env(dict(one.names)),
        Env({**one.names, "a": QuerySet("shop.models.Book", cached="yes")}),
        Env({"a": qs, "b": Instance("shop.models.Book"), "y": ListOf(None)}),
        Env({}),
    ):
        keys = set(one.names) | set(other.names)
        expected = {k: merge(one.names.get(k), other.names.get(k)) for k in keys}
        assert one.merged(other).names == expected
        assert other.merged(one).names == {
            k: merge(other.names.get(k), one.names.get(k)) for k in keys
        }


def test_module_level_kinds_are_shared_by_directory_and_forgotten_on_change() -> None:
    """The kind of a qualified name depends on the asking file only through its directory
    (two modules of the same name: the nearest wins), and no answer outlives a change."""
    files = {
        "a/models.py": "from django.db import models\n\n\nclass Book(models.Model):\n    pass\n",
        "b/models.py": "def Book():\n    return 1\n",
        "a/views.py": "",
        "b/views.py": "",
    }
    project = in_memory_project(files, "/proj")
    k = Knowledge(model_index(project))
    assert k._kind_of_qualified("models.Book", "/proj/a/views.py") == infer.ModelClass(
        "a.models.Book"
    )
    assert isinstance(k._kind_of_qualified("models.Book", "/proj/b/views.py"), infer.Function)
    assert isinstance(k._kind_of_qualified("models.Book", "/proj/b/other.py"), infer.Function)
    assert k._kind_of_qualified("models.Book", None) == k._look_up_kind("models.Book", None)
    project.update_text("/proj/b/models.py", "X = 1\n")
    assert k._kind_of_qualified("models.Book", "/proj/b/views.py") is None


def test_dotted_module_level_names_record_what_kind_of_records() -> None:
    """``global_kind`` of a dotted name gives ``kind_of(qualify(name))`` and records the same
    dependency on every ask (the first ask of a document looks it up)."""
    k, project = knowledge()
    module = project.module_at("/proj/shop/services.py")
    lookups = Lookups()
    inferrer = Inferrer(parse_python(""), module, k, None, lookups=lookups)
    for name in ("Book", "Book.objects", "models.Model", "os.path", "count"):
        k.recorder = plain = []
        expected = k.kind_of_qualified(inferrer.qualify(name), module.path)
        k.recorder = memoised = []
        assert inferrer.global_kind(name) == expected
        assert inferrer.global_kind(name) == expected
        assert memoised == plain + plain
    k.recorder = None


def test_the_model_table_is_asked_again_after_any_change() -> None:
    text = "from .models import Book\n\n\nasync def v():\n    return Book.objects.count()\n"
    project = in_memory_project({"shop/models.py": MODELS, "shop/views.py": text}, "/proj")
    assert async_orm._models(project) is model_index(project)
    assert async_orm._models(project) is async_orm._models(project)
    project.update_text("/proj/shop/models.py", "from django.db import models\n")
    assert async_orm._models(project) is model_index(project)
    assert [
        i.code for i in analyse(parse_python(text), project, "/proj/shop/views.py", VERSION).issues
    ] == []


def test_dependencies_are_made_unique_when_an_entry_is_first_checked() -> None:
    """An entry keeps what its analysis recorded; the first later analysis keeps each lookup
    once (as ``_unique_deps`` does), and a changed lookup still invalidates it."""
    helpers = "from .models import Book\n\n\ndef count():\n    return Book.objects.count()\n"
    views = (
        "from .models import Book\nfrom .helpers import count\n\n\n"
        "async def one():\n    return count(), count(), Book.objects.get(pk=1), Book.objects.first()\n"
    )
    files = {"shop/models.py": MODELS, "shop/helpers.py": helpers, "shop/views.py": views}
    project = in_memory_project(files, "/proj")
    path = "/proj/shop/views.py"
    _FUNCTION_CACHES.clear()
    first = analyse(parse_python(views), project, path, VERSION)
    ((_, (entry,)),) = [(c, tuple(cache.values())) for c, cache in [_FUNCTION_CACHES[path]]]
    assert not entry.unique and len(entry.deps) > len(async_orm._unique_deps(entry.deps))
    assert analyse(parse_python(views), project, path, VERSION).issues == first.issues
    (again,) = _FUNCTION_CACHES[path][1].values()
    assert again.unique and again.deps == async_orm._unique_deps(entry.deps)
    assert again.issues is entry.issues  # reused, not analysed again
    project.update_text("/proj/shop/helpers.py", "def count():\n    return 3\n")
    codes = [i.code for i in analyse(parse_python(views), project, path, VERSION).issues]
    assert codes == ["DJV301", "DJV301"]


def test_a_base_outside_the_project_resolves_to_nothing() -> None:
    """``_resolve_base`` skips ``resolve`` for a base no project module starts: the answer
    ``resolve`` would give; a base with a project prefix is still resolved."""
    files = {
        "shop/models.py": MODELS,
        "django/mixins.py": "class Local:\n    pass\n",  # a project package named like Django
    }
    project = in_memory_project(files, "/proj")
    models = model_index(project)
    cls = project.module_at("/proj/shop/models.py").classes["Book"]
    for base in (
        "django.db.models.Model",
        "channels.generic.AsyncConsumer",
        "django.mixins.Local",
        "shop.models.Author",
    ):
        found = project.resolve(base, cls.path)
        expected = (
            (f"{found.module.module}.{found.obj.qualname}", found.obj)
            if found is not None and found.kind == "class"
            else (base, None)
        )
        assert models._resolve_base(base, cls) == expected, base
    assert models._resolve_base("django.mixins.Local", cls)[1] is not None  # must resolve


def test_kinds_and_effects_keep_their_fields() -> None:
    """The shortcuts build kinds positionally: the field order they rely on."""
    assert [f.name for f in dataclasses.fields(QuerySet)] == [
        "model", "queryset_class", "select", "prefetch", "only", "deferred", "rows",
        "combined", "from_prefetch", "related", "cached", "insert_at", "raw",
    ]  # fmt: skip
    assert Manager("m").related is None


def test_a_run_that_keeps_no_function_results_reports_the_same() -> None:
    """``remember_functions(False)`` (a one-shot run) keeps nothing between analyses and
    reports exactly what an analysis that keeps them does; switched on again, it keeps."""
    text = HEADER + textwrap.dedent(
        """
        async def view(request, book: Book):
            qs = Book.objects.filter(pk=1)
            if book in qs:
                return f(key=Book.objects.count(), user=request.user.pk)
            return [b for b in qs]
        """
    )
    project = in_memory_project({"shop/models.py": MODELS, "shop/views.py": text}, "/proj")
    path = "/proj/shop/views.py"
    _FUNCTION_CACHES.clear()
    kept = analyse(parse_python(text), project, path, VERSION)
    assert path in _FUNCTION_CACHES and len(kept.issues) == 4
    try:
        async_orm.remember_functions(False)
        assert not _FUNCTION_CACHES
        once = analyse(parse_python(text), project, path, VERSION)
        assert not _FUNCTION_CACHES
    finally:
        async_orm.remember_functions(True)
    assert once == kept
    analyse(parse_python(text), project, path, VERSION)
    assert path in _FUNCTION_CACHES
