"""Module facts pickle compactly (spans and deferred bodies inside their holder, frozen values
rebuilt slot by slot) and come back equal, of the same types, with deferred bodies that
still summarise to what the original would have."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from djvet.core.python import facts as facts_module
from djvet.core.python.facts import (
    Call,
    ClassInfo,
    DeferredBody,
    FunctionInfo,
    Lit,
    ModuleInfo,
    Qualifier,
    Ref,
    Seq,
    Starred,
    Unknown,
    extract_module,
)
from djvet.core.python.parse import parse_python
from djvet.core.types import Span, slot_constructor

GENERATOR = Path(__file__).resolve().parents[2] / "bench" / "generate.py"


def _round_trip(obj: object) -> object:
    return pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def _functions(info: ModuleInfo) -> list[FunctionInfo]:
    out = list(info.functions.values())
    for cls in info.classes.values():
        out.extend(cls.methods.values())
    return out


def _same_state(a: FunctionInfo, b: FunctionInfo) -> None:
    """Equal field by field, deferred or not (equality alone may shortcut on the text)."""
    assert type(a) is type(b) is FunctionInfo
    assert a._shape() == b._shape()
    assert (a._calls, a._body, a._decorator_shape) == (b._calls, b._body, b._decorator_shape)
    assert (a.deferred is None) == (b.deferred is None)
    if a.deferred is not None and b.deferred is not None:
        da, db = a.deferred, b.deferred
        assert (da.text, da.first_line, da.path, da.qualifier) == (
            db.text,
            db.first_line,
            db.path,
            db.qualifier,
        )


def _check_module(info: ModuleInfo) -> None:
    copy = _round_trip(info)
    assert isinstance(copy, ModuleInfo) and copy == info
    assert vars(copy).keys() == vars(info).keys()
    for name, cls in info.classes.items():
        assert type(copy.classes[name]) is ClassInfo
        assert type(copy.classes[name].name_span) is Span
        assert copy.classes[name].name_span == cls.name_span
    originals, copies = _functions(info), _functions(copy)
    assert len(originals) == len(copies)
    for a, b in zip(originals, copies):
        _same_state(a, b)
    # A deferred body summarises the same after the trip (read the copy first: the
    # original may share nothing with it).
    for a, b in zip(originals, copies):
        assert (b.calls, b.body, b.decorator_shape) == (a.calls, a.body, a.decorator_shape)


VIEWS = """\
import functools
from django.db import models
from django.http import JsonResponse
from django.views import View


def deco(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)
    return wrapper


class Book(models.Model):
    title = models.CharField(max_length=100, default="x", null=True)
    ratio = models.FloatField(default=-0.0)
    flag = models.BooleanField(default=True)
    count = models.IntegerField(default=1)
    parts = [*other, ("a", 1.5), None]
    objects = models.Manager.from_queryset(QS)()

    class Meta:
        ordering = ["-title"]

    def __str__(self):
        return self.title


class V(View):
    @deco
    def get(self, request):
        books = Book.objects.filter(title="x")
        return JsonResponse({"n": len(books)})

    post = get

    async def put(self, request):
        return await Book.objects.acount()
"""


@pytest.mark.parametrize("defer", [True, False])
def test_a_module_round_trips_with_its_bodies(defer: bool) -> None:
    info = extract_module(
        parse_python(VIEWS, "<document>"), "app.views", "/p/app/views.py", "d", defer_bodies=defer
    )
    assert any(f.deferred is not None for f in _functions(info)) is defer
    _check_module(info)


def test_a_module_that_does_not_parse_whole_round_trips() -> None:
    """Recovered files are summarised eagerly: their functions take the general path."""
    text = VIEWS + "\ndef broken(:\n    pass\n"
    info = extract_module(
        parse_python(text, "<d>"), "app.views", "/p/app/views.py", "d", defer_bodies=True
    )
    _check_module(info)


def test_a_summarised_deferred_function_pickles_its_summary() -> None:
    info = extract_module(
        parse_python(VIEWS, "<d>"), "app.views", "/p/app/views.py", "d", defer_bodies=True
    )
    get = info.classes["V"].methods["get"]
    assert get.calls  # summarised now: no longer deferred
    assert get.deferred is None
    copy = _round_trip(get)
    assert isinstance(copy, FunctionInfo)
    _same_state(get, copy)


def test_the_kept_tree_is_not_needed_to_summarise_a_copy() -> None:
    """A copy in another process has no kept tree: it parses its own text."""
    path = "/p/app/views.py"
    source = parse_python(VIEWS, "<d>")
    info = extract_module(source, "app.views", path, "d", defer_bodies=True)
    copy = _round_trip(info)
    assert isinstance(copy, ModuleInfo)
    eager = extract_module(source, "app.views", path, "d")
    facts_module.KEPT_TREES = {}
    for a, b in zip(_functions(copy), _functions(eager)):
        assert (a.calls, a.body, a.decorator_shape) == (b.calls, b.body, b.decorator_shape)


def test_a_call_without_a_span_and_a_nested_call_round_trip() -> None:
    inner = Call("f", (Lit(1),), (), 2, None)
    for call in (
        Call("f()", (), (("k", Ref("x")),), 3, None, inner),
        Call("g", (Seq((Lit(True), Lit(1))),), (), 0, Span(0, 1, 0, 5), inner),
    ):
        copy = _round_trip(call)
        assert copy == call and type(copy) is Call
        assert type(copy.span) is type(call.span)


def test_fast_constructed_values_are_still_frozen_and_hashable() -> None:
    span = _round_trip(Span(1, 2, 3, 4))
    assert isinstance(span, Span) and hash(span) == hash(Span(1, 2, 3, 4))
    with pytest.raises(AttributeError):
        span.line = 5  # type: ignore[misc]
    assert slot_constructor(Span) is slot_constructor(Span)  # one per class, named for pickle


def test_every_pickled_function_shape_round_trips() -> None:
    qualifier = Qualifier("m", {"models": "django.db.models"}, frozenset({"X"}))
    span = Span(4, 4, 4, 7)
    shapes = [
        FunctionInfo(
            "f",
            "f",
            False,
            (),
            span,
            deferred=DeferredBody("def f(): pass\n", 4, qualifier, "/p/m.py"),
        ),
        FunctionInfo(
            "g",
            "C.g",
            True,
            (Ref("d"),),
            span,
            alias_of="f",
            deferred=DeferredBody("x", 1, qualifier),
        ),
        FunctionInfo("h", "h", False, (), span, calls=frozenset({"a.b"})),
    ]
    for function in shapes:
        copy = _round_trip(function)
        assert isinstance(copy, FunctionInfo)
        _same_state(function, copy)


# -- generated values -------------------------------------------------------------------------

_spans = st.builds(Span, *(st.integers(0, 10**6) for _ in range(4)))
_literals = st.one_of(
    st.text(max_size=5), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False)
)
_values = st.recursive(
    st.one_of(
        st.builds(Lit, _literals),
        st.builds(Ref, st.text(max_size=8)),
        st.builds(Unknown, st.text(max_size=4)),
    ),
    lambda inner: st.one_of(
        st.builds(Seq, st.lists(inner, max_size=3).map(tuple)),
        st.builds(Starred, inner),
        st.builds(
            Call,
            st.text(max_size=8),
            st.lists(inner, max_size=3).map(tuple),
            st.lists(st.tuples(st.text(max_size=3), inner), max_size=2).map(tuple),
            st.integers(0, 1000),
            st.none() | _spans,
        ),
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_values, max_size=6), _spans, st.text(max_size=6))
def test_generated_classes_round_trip(values: list[object], span: Span, name: str) -> None:
    qualifier = Qualifier("m", {}, frozenset())
    method = FunctionInfo(
        name,
        f"m.C.{name}",
        False,
        tuple(values[:2]),
        span,
        deferred=DeferredBody("t", 0, qualifier, "/p/m.py"),
    )  # type: ignore[arg-type]
    cls = ClassInfo(
        "C",
        "m.C",
        "m",
        "/p/m.py",
        ("b",),
        {name: method},
        {f"a{i}": v for i, v in enumerate(values)},  # type: ignore[misc]
        {},
        tuple(values[:1]),  # type: ignore[arg-type]
        span,
        (),
        tuple(values[1:3]),  # type: ignore[arg-type]
    )
    info = ModuleInfo("/p/m.py", "m", "d", classes={"m.C": cls}, functions={name: method})
    copy = _round_trip(info)
    assert copy == info
    assert isinstance(copy, ModuleInfo)
    assert repr(copy.classes["m.C"].attrs) == repr(cls.attrs)  # -0.0 / True stay themselves
    _same_state(copy.functions[name], method)


def test_real_modules_round_trip(tmp_path: Path) -> None:
    # The benchmark's generated Django project (4 apps, ~300 modules of every kind).
    subprocess.run(
        [sys.executable, str(GENERATOR), str(tmp_path / "corpus"), "--scale", "0.1"],
        check=True,
        capture_output=True,
    )
    paths = sorted((tmp_path / "corpus").rglob("*.py"))[:400]
    assert len(paths) > 250
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        info = extract_module(
            parse_python(text, str(path)), "app.mod", str(path), "d", defer_bodies=True
        )
        _check_module(info)
