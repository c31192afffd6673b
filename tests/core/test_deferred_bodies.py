"""Deferred body summaries (``extract_module(..., defer_bodies=True)``, what the CLI uses) read,
compare and pickle exactly like the eager ones the language server builds."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import django
import pytest

from djvet.core.python import facts as facts_module
from djvet.core.python.facts import (
    FunctionInfo,
    ModuleInfo,
    extract_module,
    interface_changes,
)
from djvet.core.python.parse import parse_python


def _functions(info: ModuleInfo) -> Iterator[FunctionInfo]:
    yield from info.functions.values()
    for cls in info.classes.values():
        yield from cls.methods.values()


def _both(text: str, path: str = "/p/app/views.py") -> tuple[ModuleInfo, ModuleInfo]:
    source = parse_python(text, "<document>")
    eager = extract_module(source, "app.views", path, "d")
    deferred = extract_module(source, "app.views", path, "d", defer_bodies=True)
    return eager, deferred


def _deferred(text: str, path: str = "/p/m.py", module: str = "m") -> ModuleInfo:
    return extract_module(parse_python(text, "<document>"), module, path, "d", defer_bodies=True)


def _assert_same(eager: ModuleInfo, deferred: ModuleInfo) -> int:
    pickled = pickle.loads(pickle.dumps(deferred, protocol=pickle.HIGHEST_PROTOCOL))
    count = 0
    for a, b, c in zip(_functions(eager), _functions(deferred), _functions(pickled), strict=True):
        assert (a.qualname, a.calls, a.body, a.decorator_shape) == (
            b.qualname,
            b.calls,
            b.body,
            b.decorator_shape,
        )
        assert (a.calls, a.body, a.decorator_shape) == (c.calls, c.body, c.decorator_shape)
        count += 1
    return count


EDGE_CASES = {
    "decorated method with defaults": """
from django.db import models
from .models import Book
import helpers as h

class V:
    @h.deco(models.Q(x=1))
    @staticmethod
    def get(request, qs=Book.objects.all(), *args, key: Book = None, **kw):
        for b in Book.objects.filter(x=1):
            h.touch(b)
        if qs:
            return qs.first()
        return [x for x in Book.objects.all() if x.ok]
""",
    "function inside if and try": """
import os
if os.environ.get("X"):
    def helper(a):
        return a.objects.get(pk=1)
else:
    def helper(a):
        yield a.save()
try:
    def other():
        return os.getcwd()
except ImportError:
    pass
""",
    "tab indentation": "class V:\n\tdef get(self):\n\t\treturn self.model.objects.get()\n",
    "non-ASCII columns": (
        "from .models import Book\n\nclass V:\n    def get(self):\n"
        "        titre = 'été'; return Book.objects.filter(t=titre).first()  # é\n"
    ),
    "nested def and lambda": """
from .models import Book
def outer(x):
    def inner():
        return Book.objects.get()
    f = lambda: Book.objects.count()
    return inner() if x else f()
""",
    "method alias": """
class V:
    def post(self, request):
        return self.logout(request)
    get = post
""",
    "continuation lines less indented than the def": (
        "class V:\n    def get(self):\n        s = '''\nmulti\n'''\n        return foo(\n1)\n"
    ),
    "function at line 0 and at the end without newline": (
        "def first():\n    return a.b()\nclass V:\n    def last(self):\n        return c.d()"
    ),
    "async functions": """
from .models import Book
async def view(request):
    async for b in Book.objects.all():
        await b.asave()
    return helper(Book.objects.get())
class V:
    @deco
    async def get(self):
        return [x async for x in self.qs()]
""",
    "decorators and decorator factories": """
import functools
from asgiref.sync import iscoroutinefunction, markcoroutinefunction
def plain(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        return view(request, *args, **kwargs)
    return wrapper
def factory(flag):
    def decorator(view):
        async def inner(request):
            return await view(request)
        return inner
    return decorator
def adaptive(view):
    if iscoroutinefunction(view):
        async def inner(request):
            return await view(request)
        return markcoroutinefunction(inner)
    def inner2(request):
        return view(request)
    return inner2
class V:
    def identity(self, view):
        return view
    alias = identity
""",
    "match and with inside a sync def": """
def f(x):
    match x:
        case 1:
            return g()
    with open(x) as fh:
        return h(fh)
""",
}


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_deferred_summaries_equal_eager_ones(name: str) -> None:
    eager, deferred = _both(EDGE_CASES[name])
    assert _assert_same(eager, deferred) > 0
    assert eager == deferred


def test_defers_only_functions_of_files_that_parse_whole() -> None:
    _, deferred = _both(EDGE_CASES["decorated method with defaults"])
    method = deferred.classes["V"].methods["get"]
    assert method._deferred is not None  # not summarised until read
    assert method.calls  # reading summarises it
    assert method._deferred is None
    broken = "def f():\n    return a.b()\n\ndef g(:\n"
    info = _deferred(broken)
    assert all(f._deferred is None for f in _functions(info))
    bom = "\ufeffdef f():\n    return a.b()\n"
    info = _deferred(bom)
    assert info.functions["f"]._deferred is None
    assert info.functions["f"].calls == frozenset({"a.b"})
    asynchronous = "async def f():\n    return a.b()\n"
    info = _deferred(asynchronous)
    assert info.functions["f"]._deferred is not None
    assert info.functions["f"].calls == frozenset({"a.b"})
    assert info.functions["f"].body is None


def test_equality_compares_what_the_bodies_summarise_to() -> None:
    text = "def f():\n    return a.b()\n"
    one = _deferred(text)
    moved = _deferred("\n" + text)
    renamed_call = _deferred(text.replace("a.b", "a.c"))
    same_calls = _deferred(text.replace("a.b()", "a.b()  # a comment"))
    f = one.functions["f"]
    assert f != moved.functions["f"]  # positions differ
    assert f != renamed_call.functions["f"]
    assert f == same_calls.functions["f"]  # different text, same summary
    # interface_changes ignores positions: moving a deferred function changes no body,
    # without parsing it again; a different call is a body change.
    fresh = _deferred(text)
    assert interface_changes(fresh, moved) == (False, False, False)
    assert fresh.functions["f"]._deferred is not None
    assert moved.functions["f"]._deferred is not None
    assert interface_changes(one, renamed_call) == (False, False, True)


def _python_files(root: str) -> list[Path]:
    return sorted(Path(root).rglob("*.py"))


@pytest.mark.parametrize(
    "package",
    ["contrib/auth", "contrib/admin", "db/models", "views", "core/handlers", "test", "utils"],
)
def test_deferred_summaries_equal_eager_ones_on_djangos_own_code(package: str) -> None:
    folder = os.path.join(os.path.dirname(django.__file__), package)
    count = 0
    for path in _python_files(folder):
        eager, deferred = _both(path.read_text(encoding="utf-8"), str(path))
        count += _assert_same(eager, deferred)
    assert count > 30


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_a_kept_tree_gives_the_same_summaries_without_parsing_again(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI keeps some files' trees for its check; their deferred bodies are summarised
    from those trees (found by position and text), exactly as from a fresh parse."""
    path = "/p/app/views.py"
    text = EDGE_CASES[name]
    source = parse_python(text, "<document>")
    eager = extract_module(source, "app.views", path, "d")
    deferred = extract_module(source, "app.views", path, "d", defer_bodies=True)
    parses: list[str] = []
    real_parse = facts_module.ast.parse

    def counting(text: str, *args: object, **kwargs: object) -> object:
        parses.append(text)
        return real_parse(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(facts_module, "KEPT_TREES", {path: (text, source)})
    monkeypatch.setattr(facts_module.ast, "parse", counting)
    for a, b in zip(_functions(eager), _functions(deferred), strict=True):
        assert (a.calls, a.body, a.decorator_shape) == (
            b.calls,
            b.body,
            b.decorator_shape,
        ), a.qualname
    assert parses == []


def test_a_tree_of_another_version_of_the_file_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    path = "/p/app/views.py"
    old = "def f():\n    return a.b()\n"
    deferred = _deferred(old, path, "app.views")
    new = "def f():\n    return a.c()\n"
    monkeypatch.setattr(facts_module, "KEPT_TREES", {path: (new, parse_python(new, "<document>"))})
    assert deferred.functions["f"].calls == frozenset({"a.b"})
