"""Extract the facts the project index keeps about one Python module, from its AST alone.

Imports become a map from local names to qualified names; classes, functions and
module-level assignments are summarised into small picklable values (``Value``) with
names resolved through the imports. Nothing here imports or runs the module.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, TypeVar

from ..types import Span, fast_pickle, slot_constructor
from .parse import PythonSource, parse_quiet
from .recent import RecentFiles

# ---------------------------------------------------------------------------------------------
# Summarised values
# ---------------------------------------------------------------------------------------------


@fast_pickle
@dataclass(frozen=True, slots=True)
class Lit:
    """A literal: str, int, float, bool or None."""

    value: str | int | float | bool | None


@fast_pickle
@dataclass(frozen=True, slots=True)
class Ref:
    """A name or dotted attribute chain, qualified through the module's imports."""

    name: str


@fast_pickle
@dataclass(frozen=True, slots=True)
class Seq:
    """A list/tuple/set display (or a concatenation of them)."""

    items: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Call:
    """A call: ``func`` is the qualified callee (``django.urls.path``, ``books.views.V.as_view``)."""

    func: str
    args: tuple[Value, ...]
    kwargs: tuple[tuple[str, Value], ...]
    line: int = 0  # 0-based line of the call
    span: Span | None = None
    inner: Call | None = None  # ``f(a)(b)``: the call ``f(a)`` whose result is called

    def kwarg(self, name: str) -> Value | None:
        for key, value in self.kwargs:
            if key == name:
                return value
        return None

    def __reduce__(self) -> tuple[Callable[..., Call], tuple[Any, ...]]:
        # The span as four numbers: one Python call less per call site on both ends.
        span = self.span
        if type(span) is Span:
            return _call_with_span, (
                self.func,
                self.args,
                self.kwargs,
                self.line,
                self.inner,
                span.line,
                span.column,
                span.end_line,
                span.end_column,
            )
        return _make_call, (self.func, self.args, self.kwargs, self.line, span, self.inner)


@fast_pickle
@dataclass(frozen=True, slots=True)
class Unknown:
    """Anything djvet does not summarise."""

    text: str = ""


@fast_pickle
@dataclass(frozen=True, slots=True)
class Starred:
    """``*x`` inside a list/tuple display: ``[*views.urlpatterns, path(...)]``."""

    value: Value


Value = Lit | Ref | Seq | Call | Unknown | Starred


Chain = tuple[str, ...]
"""An expression as steps: a root name, then ``.attr``, ``()`` (a call), ``[i]`` (an index),
``[:]`` (a slice) or ``[::]`` (a slice with a step). The root is qualified through the imports
(``library.models.Book``) unless it is a local name of the function (``qs``, ``self``)."""


@fast_pickle
@dataclass(frozen=True, slots=True)
class Site:
    """A place in a function body that calls (``kind="call"``, ``chain`` ends with ``()``) or
    evaluates (``kind="iter"``: iterated, ``len()``-ed, truth-tested, ``in``-tested) an expression.
    ``conditional``: the site may not run on every call (inside a branch, loop body, handler,
    or after an early return)."""

    kind: str
    chain: Chain
    span: Span
    conditional: bool = False


@fast_pickle
@dataclass(frozen=True, slots=True)
class BodySummary:
    """What cross-module analyses need from a function body without keeping its AST
    (nested ``def``/``lambda``/``class`` bodies excluded): annotated parameters, single-target
    local assignments, returned expressions and the call/evaluation sites."""

    params: tuple[tuple[str, str], ...]  # (name, qualified annotation or "")
    assigns: tuple[tuple[str, Chain], ...]  # local name -> the one expression assigned to it
    returns: tuple[Chain, ...]  # ("?",) for a returned value that is not a chain
    sites: tuple[Site, ...]
    generator: bool = False  # contains yield: calling it runs nothing


@fast_pickle
@dataclass(frozen=True, slots=True)
class DecoratorShape:
    """What a decorator defined in the project does to the function it decorates (its body, read).

    ``wrapper``: "sync" (returns a nested ``def``), "async" (a nested ``async def``), "adaptive"
    (mentions ``iscoroutinefunction``/``markcoroutinefunction``, or returns either kind) or
    "identity" (returns the function itself). ``levels``: 1 for ``@deco``, 2 for a factory used
    as ``@deco(...)``. ``calls_wrapped``: the wrapper calls the decorated function directly.
    """

    wrapper: str
    levels: int = 1
    calls_wrapped: bool = False


class FunctionInfo:
    """A function or method as the index sees it.

    ``calls`` (the qualified names it calls directly), ``body`` (a sync function's
    ``BodySummary``) and ``decorator_shape`` may be *deferred*: built from the function's own
    text the first time
    anything reads them (``extract_module(..., defer_bodies=True)``: the CLI, where most are
    never read). Reading, comparing and pickling give the same values either way.
    """

    __slots__ = (
        "_body",
        "_calls",
        "_decorator_shape",
        "_deferred",
        "alias_of",
        "decorators",
        "is_async",
        "name",
        "name_span",
        "qualname",
    )

    name: str
    qualname: str
    is_async: bool
    decorators: tuple[Value, ...]
    name_span: Span
    alias_of: str | None  # ``get = post`` in a class body: the aliased method name

    def __init__(
        self,
        name: str,
        qualname: str,
        is_async: bool,
        decorators: tuple[Value, ...],
        name_span: Span,
        calls: frozenset[str] = frozenset(),
        alias_of: str | None = None,
        body: BodySummary | None = None,
        decorator_shape: DecoratorShape | None = None,
        deferred: DeferredBody | None = None,
    ) -> None:
        self.name = name
        self.qualname = qualname
        self.is_async = is_async
        self.decorators = decorators
        self.name_span = name_span
        self.alias_of = alias_of
        self._decorator_shape = decorator_shape  # with ``deferred``: found when summarised
        self._calls = calls
        self._body = body
        self._deferred = deferred

    @property
    def deferred(self) -> DeferredBody | None:
        """The text its body is still to be summarised from; None once summarised (or when
        it was summarised eagerly)."""
        return self._deferred

    @property
    def calls(self) -> frozenset[str]:
        """The qualified names this function calls directly."""
        if self._deferred is not None:
            self._summarise()
        return self._calls

    @property
    def decorator_shape(self) -> DecoratorShape | None:
        """What the function does to a function it decorates, when its body reads as a
        decorator (None for method aliases)."""
        if self._deferred is not None:
            self._summarise()
        return self._decorator_shape

    @property
    def body(self) -> BodySummary | None:
        """What a sync function's body does (None for ``async def`` and method aliases)."""
        if self._deferred is not None:
            self._summarise()
        return self._body

    def _summarise(self) -> None:
        deferred = self._deferred
        if deferred is None:
            return
        calls, body, shape = deferred.summarise()
        # Two threads may both get here: each stores the same values.
        self._calls = calls
        self._body = None if self.alias_of is not None else body
        self._decorator_shape = None if self.alias_of is not None else shape
        self._deferred = None

    def _shape(self) -> tuple[object, ...]:
        return (
            self.name,
            self.qualname,
            self.is_async,
            self.decorators,
            self.name_span,
            self.alias_of,
        )

    def same_text(self, other: FunctionInfo) -> bool:
        """Both are still deferred from the same text in the same naming context: whatever
        their bodies summarise to is equal apart from positions (cheap; False means unknown)."""
        a, b = self._deferred, other._deferred
        return a is not None and b is not None and a.same_text(b)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, FunctionInfo) or self._shape() != other._shape():
            return False
        a, b = self._deferred, other._deferred
        if a is not None and b is not None and a.same_text(b) and a.first_line == b.first_line:
            return True
        return (
            self.calls == other.calls
            and self.body == other.body
            and self.decorator_shape == other.decorator_shape
        )

    def __hash__(self) -> int:
        return hash((self.name, self.qualname, self.name_span))

    def __repr__(self) -> str:
        state = "deferred" if self._deferred is not None else f"calls={sorted(self._calls)!r}"
        return f"FunctionInfo({self.qualname!r}, is_async={self.is_async}, {state})"

    def __reduce__(self) -> tuple[Callable[..., FunctionInfo], tuple[Any, ...]]:
        deferred, span = self._deferred, self.name_span
        if (
            type(deferred) is DeferredBody
            and type(span) is Span
            and not self._calls
            and self._body is None
            and self._decorator_shape is None
        ):  # the CLI's usual function: itself, its span and its text in one call on each end
            return _deferred_function, (
                self.name,
                self.qualname,
                self.is_async,
                self.decorators,
                span.line,
                span.column,
                span.end_line,
                span.end_column,
                self.alias_of,
                deferred.text,
                deferred.first_line,
                deferred.qualifier,
                deferred.path,
            )
        return FunctionInfo, (
            self.name,
            self.qualname,
            self.is_async,
            self.decorators,
            self.name_span,
            self._calls,
            self.alias_of,
            self._body,
            self._decorator_shape,
            self._deferred,
        )


def qualify_name(
    module: str, imports: Mapping[str, str], local_names: AbstractSet[str], name: str
) -> str:
    """``name`` as written in ``module`` -> its qualified name, through the module's imports
    and module-level names."""
    head, _, rest = name.partition(".")
    if head in imports:
        target = imports[head]
        return f"{target}.{rest}" if rest else target
    if head in local_names:
        return f"{module}.{name}" if module else name
    return name  # a builtin or something unresolved: keep the spelling


class Qualifier:
    """How names qualify in one module (its name, imports and module-level names): all a
    deferred body summary needs of the module it came from."""

    __slots__ = ("imports", "local_names", "module")

    def __init__(self, module: str, imports: dict[str, str], local_names: frozenset[str]):
        self.module = module
        self.imports = imports
        self.local_names = local_names

    def qualify(self, name: str) -> str:
        return qualify_name(self.module, self.imports, self.local_names, name)

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, Qualifier)
            and self.module == other.module
            and self.local_names == other.local_names
            and self.imports == other.imports
        )

    def __hash__(self) -> int:
        return hash((self.module, self.local_names))

    def __reduce__(self) -> tuple[type[Qualifier], tuple[Any, ...]]:
        return Qualifier, (self.module, self.imports, self.local_names)


class DeferredBody:
    """A function's text (whole lines, decorators included) and where it starts: parsed and
    summarised on demand exactly as the whole file's parse would have been.

    The text is parsed at its own line (blank lines before it) and, when indented (a method,
    a function inside ``if``), inside an ``if 1:`` on the line above, so every node keeps its
    line and column. Only files that parsed whole and have no BOM are deferred. Should the
    text not parse alone, the function summarises as calling nothing with no known body:
    analyses then learn nothing from it (a possible miss, never a false alarm).
    """

    __slots__ = ("first_line", "path", "qualifier", "text")

    def __init__(self, text: str, first_line: int, qualifier: Qualifier, path: str = "") -> None:
        self.text = text
        self.first_line = first_line  # 0-based
        self.qualifier = qualifier
        self.path = path

    def same_text(self, other: DeferredBody) -> bool:
        return self.text == other.text and self.qualifier == other.qualifier

    def summarise(
        self,
    ) -> tuple[frozenset[str], BodySummary | None, DecoratorShape | None]:
        kept = KEPT_TREES.get(self.path) if self.path else None
        node = _find_function(kept[1], self.first_line, self.text) if kept is not None else None
        if kept is not None and node is not None:
            summary = _BodySummariser(_Context(self.qualifier, kept[1]), node)
            return frozenset(summary.calls), summary.summary(), decorator_shape(node)
        indented = self.text[:1] in (" ", "\t")
        if indented and self.first_line < 1:
            return frozenset(), None, None  # cannot be: an indented first line does not parse
        if indented:
            padded = "\n" * (self.first_line - 1) + "if 1:\n" + self.text
        else:
            padded = "\n" * self.first_line + self.text
        try:
            tree = parse_quiet(padded)
            parsed = tree.body[0]
            if indented:
                parsed = parsed.body[0]  # type: ignore[attr-defined]
        except (SyntaxError, ValueError, RecursionError, MemoryError, IndexError):
            return frozenset(), None, None
        if not isinstance(parsed, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return frozenset(), None, None
        summary = _BodySummariser(_Context(self.qualifier, PythonSource(padded, tree)), parsed)
        return frozenset(summary.calls), summary.summary(), decorator_shape(parsed)

    def __reduce__(self) -> tuple[type[DeferredBody], tuple[Any, ...]]:
        return DeferredBody, (self.text, self.first_line, self.qualifier, self.path)


# Parsed files a caller still holds, by path, with the text they were parsed from: a deferred
# body of one of them is summarised from its tree instead of parsing its text again. The CLI
# points this at the trees its index build keeps for the check (``runner``).
KEPT_TREES: dict[str, tuple[str, PythonSource]] = {}


def _find_function(
    source: PythonSource, first_line: int, text: str
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The def in ``source`` whose lines (decorators included) start at ``first_line`` and
    read ``text``; None when there is none (the tree is of another version of the file)."""
    body: list[ast.stmt] = source.tree.body
    lines = source.lines
    while True:
        for stmt in body:
            end = (stmt.end_lineno or stmt.lineno) - 1
            if end < first_line:
                continue
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([stmt.lineno, *(d.lineno for d in stmt.decorator_list)]) - 1
                if start != first_line:
                    return None
                segment = source.text[lines.line_start(start) : lines.line_start(end + 1)]
                return stmt if segment == text else None
            if isinstance(stmt, (ast.ClassDef, ast.If, ast.Try)):
                if stmt.lineno - 1 > first_line:
                    return None
                body = [  # in the order of their lines
                    *stmt.body,
                    *(s for h in getattr(stmt, "handlers", ()) for s in h.body),
                    *getattr(stmt, "orelse", ()),
                    *getattr(stmt, "finalbody", ()),
                ]
                break
            return None
        else:
            return None


class _Context:
    """What ``_BodySummariser`` reads of its extractor, for a deferred body."""

    __slots__ = ("qualify", "source")

    def __init__(self, qualifier: Qualifier, source: PythonSource) -> None:
        self.qualify = qualifier.qualify
        self.source = source


@dataclass(frozen=True, slots=True)
class ClassInfo:
    name: str
    qualname: str
    module: str
    path: str
    bases: tuple[str, ...]  # qualified names ("django.views.generic.CreateView")
    methods: dict[str, FunctionInfo]
    attrs: dict[str, Value]
    meta: dict[str, Value]  # the inner ``class Meta`` assignments
    decorators: tuple[Value, ...]
    name_span: Span
    nested: tuple[str, ...] = ()  # qualnames of classes defined inside
    base_values: tuple[
        Value, ...
    ] = ()  # every base as a Value (incl. ``Manager.from_queryset(QS)``)

    def __reduce__(self) -> tuple[Callable[..., ClassInfo], tuple[Any, ...]]:
        span = self.name_span
        if type(span) is not Span:
            return _make_class, _class_values(self)
        return _class_with_span, (
            *_class_values_but_span(self),
            span.line,
            span.column,
            span.end_line,
            span.end_column,
        )


# -- pickling ---------------------------------------------------------------------------------
# The CLI's workers swap, and its cache stores, every module's facts as a pickle: about
# 50 objects a module. Spans and deferred bodies travel inside the call, function or class
# that holds them, and frozen objects are rebuilt slot by slot (``slot_constructor``): fewer
# Python calls when pickling and when unpickling. The reducers spell out the fields they
# write: a field added to ``Call`` or ``ClassInfo`` must be added here (checked below).
_make_span = slot_constructor(Span)
_make_call = slot_constructor(Call)
_make_class = slot_constructor(ClassInfo)
_NO_CALLS: frozenset[str] = frozenset()
_CLASS_FIELDS = tuple(f.name for f in fields(ClassInfo))
_CLASS_SPAN_AT = _CLASS_FIELDS.index("name_span")
_class_values = attrgetter(*_CLASS_FIELDS)
_class_values_but_span = attrgetter(*(name for name in _CLASS_FIELDS if name != "name_span"))
if tuple(f.name for f in fields(Call)) != ("func", "args", "kwargs", "line", "span", "inner"):
    raise TypeError("Call's fields changed: update Call.__reduce__ and _call_with_span")


def _call_with_span(
    func: str,
    args: tuple[Value, ...],
    kwargs: tuple[tuple[str, Value], ...],
    line: int,
    inner: Call | None,
    span_line: int,
    column: int,
    end_line: int,
    end_column: int,
) -> Call:
    return _make_call(
        func, args, kwargs, line, _make_span(span_line, column, end_line, end_column), inner
    )


def _class_with_span(*values: Any) -> ClassInfo:
    at = _CLASS_SPAN_AT
    return _make_class(*values[:at], _make_span(*values[-4:]), *values[at:-4])


def _deferred_function(
    name: str,
    qualname: str,
    is_async: bool,
    decorators: tuple[Value, ...],
    line: int,
    column: int,
    end_line: int,
    end_column: int,
    alias_of: str | None,
    text: str,
    first_line: int,
    qualifier: Qualifier,
    path: str,
) -> FunctionInfo:
    return FunctionInfo(
        name,
        qualname,
        is_async,
        decorators,
        _make_span(line, column, end_line, end_column),
        _NO_CALLS,
        alias_of,
        None,
        None,
        DeferredBody(text, first_line, qualifier, path),
    )


@dataclass
class ModuleInfo:
    """Everything the index knows about one file."""

    path: str
    module: str
    digest: str
    imports: dict[str, str] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)  # by qualname
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    assignments: dict[str, Value] = field(default_factory=dict)
    mentions_django: bool = False
    has_async: bool = False
    syntax_error: bool = False
    star_imports: tuple[str, ...] = ()  # ``from .models import *``: the modules, absolute


# ---------------------------------------------------------------------------------------------
# Extraction
# ---------------------------------------------------------------------------------------------


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    kind = type(node)
    if kind is ast.Name:  # the usual ``name`` and ``module.name``, without the loop
        return node.id  # type: ignore[attr-defined,no-any-return]
    if kind is ast.Attribute and type(node.value) is ast.Name:  # type: ignore[attr-defined]
        return f"{node.value.id}.{node.attr}"  # type: ignore[attr-defined]
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def resolve_import(module: str, level: int, name: str | None, is_package: bool) -> str:
    """Absolute module name for ``from <level dots><name> import ...`` inside ``module``."""
    if level == 0:
        return name or ""
    package_parts = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        package_parts = package_parts[: len(package_parts) - (level - 1)]
    base = ".".join(package_parts)
    if name:
        return f"{base}.{name}" if base else name
    return base


# ``_Extractor.async_calls`` results per file: (qualification context, function text) -> called
# names, for the ``async def``s of the file's last summary only.
_AsyncCalls = dict[
    tuple[tuple[str, tuple[tuple[str, str], ...], frozenset[str]], str], frozenset[str]
]
_ASYNC_CALLS: RecentFiles[str, _AsyncCalls] = RecentFiles()


# Django's migration classes. In a module no ``import`` statement can name (a numbered
# migration file), their attributes (``dependencies``, ``operations``: often most of a
# project's code by size) are read by Django's migration loader only, never by a view, model
# or query djvet analyses: the index keeps their names, not their values.
_MIGRATION_BASES = frozenset(
    {"django.db.migrations.Migration", "django.db.migrations.migration.Migration"}
)
_NOT_SUMMARISED = Unknown("not summarised")


def opaque_migration(path: str, text: str) -> bool:
    """A numbered migration file (``app/migrations/0002_order_beacon.py``) whose text has
    neither ``async`` nor ``ogout`` (logout, alogout, LogoutView): the index keeps no facts
    of it and does not parse it (``opaque_module``).

    No ``import`` statement can name such a module (its name starts with a digit; Django's
    migration loader imports it by file); without ``async`` it holds no coroutine and no
    async handler, and without a logout, nothing the logout rules follow. Projects often have
    more migration code than any other kind: this skips the parse of most of it. The file's
    own check still reads and, when a rule's gate asks, parses its text.
    """
    name = os.path.basename(path)
    return (
        name[:1].isdigit()
        and os.path.basename(os.path.dirname(path)) == "migrations"
        and "async" not in text
        and "ogout" not in text
    )


def opaque_module(path: str, module: str, digest: str, text: str) -> ModuleInfo:
    """What the index holds for an ``opaque_migration``: the module, no facts."""
    info = ModuleInfo(path, module, digest)
    info.mentions_django = "django" in text
    return info


class SharedValues:
    """The ``Lit`` and ``Ref`` objects of the modules summarised with it, by value: modules
    summarised together (a CLI worker's share) hold one object per distinct literal and
    qualified name, which pickle writes once."""

    __slots__ = ("literals", "refs")

    def __init__(self) -> None:
        self.literals: dict[tuple[type, object], Lit] = {}
        self.refs: dict[str, Ref] = {}


# Values built field by field, without the frozen dataclasses' ``__init__`` (see
# ``slot_constructor``): the extraction makes one for nearly every expression it reads.
_make_lit = slot_constructor(Lit)
_make_ref = slot_constructor(Ref)
_make_seq = slot_constructor(Seq)
# The types of the constants a ``Lit`` holds (``ast`` makes no subclasses of them).
_LITERAL_TYPES = frozenset({str, int, float, bool, type(None)})
if _CLASS_FIELDS != (
    "name", "qualname", "module", "path", "bases", "methods", "attrs", "meta", "decorators",
    "name_span", "nested", "base_values",
):  # fmt: skip
    raise TypeError("ClassInfo's fields changed: update _Extractor.klass")


class _Extractor:
    def __init__(
        self,
        source: PythonSource,
        module: str,
        path: str,
        is_package: bool,
        defer_bodies: bool = False,
        shared: SharedValues | None = None,
    ) -> None:
        self.source = source
        # Sync bodies summarised when first read: only where the text alone parses the same.
        self.defer_bodies = defer_bodies and not source.recovered and not source.bom
        self.qualifier: Qualifier | None = None
        self.module = module
        self.path = path
        self.is_package = is_package
        self.imports: dict[str, str] = {}
        self.star_imports: list[str] = []
        self.local_names: set[str] = set()
        # Set on first use, once imports and module-level names are all collected.
        self.qualify_key: tuple[str, tuple[tuple[str, str], ...], frozenset[str]] | None = None
        # One object per distinct literal and name of the module (values are immutable), or
        # of every module summarised with the same ``SharedValues``: less memory, and
        # pickling writes each once.
        shared = shared if shared is not None else SharedValues()
        self.literals = shared.literals
        self.qualified_refs = shared.refs
        self.refs: dict[str, Ref] = {}
        self.qualified_names: dict[str, str] = {}
        # (Deferred bodies never look these up.)
        self.async_memo: _AsyncCalls = {} if self.defer_bodies else _ASYNC_CALLS.pop(path, {})
        self.async_kept: _AsyncCalls = {}
        # A module no ``import`` statement can name (``0001_initial``): a migration file.
        self.importable = all(part.isidentifier() for part in module.split("."))

    # -- names -------------------------------------------------------------------------------
    def qualify(self, name: str) -> str:
        return qualify_name(self.module, self.imports, self.local_names, name)

    def value(self, node: ast.AST | None, depth: int = 0) -> Value:
        if node is None or depth > 12:
            return Unknown()
        # ``ast`` makes exact node types: one identity test each, the most common first.
        kind = type(node)
        if kind is ast.Constant:
            constant = node.value  # type: ignore[attr-defined]
            constant_type = type(constant)
            if constant_type in _LITERAL_TYPES:
                key = (constant_type, constant)
                lit = self.literals.get(key)
                if lit is None:
                    lit = self.literals[key] = _make_lit(constant)
                return lit
            return Unknown("Constant")
        if kind is ast.Name:
            found = self.refs.get(node.id)  # type: ignore[attr-defined]
            return found if found is not None else self.ref(node.id)  # type: ignore[attr-defined]
        if kind is ast.Attribute:
            name = dotted(node)
            return self.ref(name) if name is not None else Unknown("Attribute")
        if kind is ast.Call:
            return self.call(node, depth)  # type: ignore[arg-type]
        if kind is ast.List or kind is ast.Tuple or kind is ast.Set:
            return _make_seq(self.values(node.elts, depth + 1))  # type: ignore[attr-defined]
        if kind is ast.Starred:
            return Starred(self.value(node.value, depth + 1))  # type: ignore[attr-defined]
        if kind is ast.BinOp and type(node.op) is ast.Add:  # type: ignore[attr-defined]
            left = self.value(node.left, depth + 1)  # type: ignore[attr-defined]
            right = self.value(node.right, depth + 1)  # type: ignore[attr-defined]
            left_items = left.items if type(left) is Seq else (left,)
            right_items = right.items if type(right) is Seq else (right,)
            return _make_seq(left_items + right_items)
        return Unknown(kind.__name__)

    def values(self, nodes: list[ast.expr], depth: int) -> tuple[Value, ...]:
        """``value`` of each node: literals and names seen before without a call each (most
        of the items of a list and the arguments of a call)."""
        if depth > 12:
            return tuple([self.value(node, depth) for node in nodes])
        literals = self.literals
        refs = self.refs
        out: list[Value] = []
        for node in nodes:
            kind = type(node)
            if kind is ast.Constant:
                constant = node.value  # type: ignore[attr-defined]
                constant_type = type(constant)
                if constant_type in _LITERAL_TYPES:
                    key = (constant_type, constant)
                    lit = literals.get(key)
                    if lit is None:
                        lit = literals[key] = _make_lit(constant)
                    out.append(lit)
                    continue
            elif kind is ast.Name:
                found = refs.get(node.id)  # type: ignore[attr-defined]
                if found is not None:
                    out.append(found)
                    continue
            out.append(self.value(node, depth))
        return tuple(out)

    def call(self, node: ast.Call, depth: int) -> Call:
        """``value`` of a call (``depth``: the call's own)."""
        func = node.func
        kind = type(func)
        inner: Value | None = None
        if kind is ast.Name:
            func_name = self.qualified(func.id)  # type: ignore[attr-defined]
        elif kind is ast.Attribute:
            name = dotted(func)
            if name is not None:
                func_name = self.qualified(name)
            else:
                # ``Manager.from_queryset(QS)()`` / ``include(...)`` chains: keep the inner call.
                inner = self.value(func.value, depth + 1)  # type: ignore[attr-defined]
                attr = func.attr  # type: ignore[attr-defined]
                func_name = f"{inner.func}().{attr}" if type(inner) is Call else attr
                inner = None  # (not kept: the callee is an attribute of its result)
        elif kind is ast.Call:
            inner = self.value(func, depth + 1)
            if type(inner) is Call:
                func_name = f"{inner.func}()"
            else:
                func_name, inner = "<call>", None
        else:
            func_name = "<call>"
        depth += 1
        args = self.values(node.args, depth) if node.args else ()
        names: list[str] = []
        items: list[ast.expr] = []
        for keyword in node.keywords:
            if keyword.arg is not None:  # not ``**kwargs``
                names.append(keyword.arg)
                items.append(keyword.value)
        kwargs = tuple(zip(names, self.values(items, depth), strict=True)) if names else ()
        return _make_call(func_name, args, kwargs, node.lineno - 1, self.source.span(node), inner)

    def qualified(self, name: str) -> str:
        """``qualify``, remembered per spelling for the module."""
        found = self.qualified_names.get(name)
        if found is None:
            found = self.qualified_names[name] = self.qualify(name)
        return found

    def ref(self, name: str) -> Ref:
        found = self.refs.get(name)
        if found is None:
            qualified = self.qualify(name)
            found = self.qualified_refs.get(qualified)
            if found is None:
                found = self.qualified_refs[qualified] = _make_ref(qualified)
            self.refs[name] = found
        return found

    # -- statements --------------------------------------------------------------------------
    def collect_names(self, statements: Iterable[ast.stmt]) -> None:
        """The imports and the module-level names (classes, functions, assigned names)."""
        local_names = self.local_names
        for node in statements:
            kind = type(node)
            if kind is ast.ImportFrom:
                self.import_from(node)  # type: ignore[arg-type]
            elif kind is ast.ClassDef or kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                local_names.add(node.name)  # type: ignore[attr-defined]
            elif kind is ast.Assign:
                for target in node.targets:  # type: ignore[attr-defined]
                    if type(target) is ast.Name:
                        local_names.add(target.id)
            elif kind is ast.Import:
                self.import_names(node)  # type: ignore[arg-type]

    def import_names(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.imports[alias.asname] = alias.name
            else:
                head = alias.name.split(".")[0]
                self.imports.setdefault(head, head)

    def import_from(self, node: ast.ImportFrom) -> None:
        base = resolve_import(self.module, node.level, node.module, self.is_package)
        for alias in node.names:
            name = alias.name
            if name == "*":
                if base:
                    self.star_imports.append(base)
                continue
            self.imports[alias.asname or name] = f"{base}.{name}" if base else name

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, prefix: str) -> FunctionInfo:
        decorators = node.decorator_list
        values = tuple([self.value(d) for d in decorators]) if decorators else ()
        is_async = type(node) is ast.AsyncFunctionDef
        if self.defer_bodies:
            return self.deferred_function(node, prefix, values, is_async)
        if is_async:
            calls, body = self.async_calls(node), None  # type: ignore[arg-type]
        else:
            summary = _BodySummariser(self, node)
            calls, body = frozenset(summary.calls), summary.summary()
        return FunctionInfo(
            name=node.name,
            qualname=f"{prefix}{node.name}",
            is_async=is_async,
            decorators=values,
            name_span=self.source.name_span(node),
            calls=calls,
            body=body,
            decorator_shape=decorator_shape(node),
        )

    def deferred_function(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        prefix: str,
        decorators: tuple[Value, ...],
        is_async: bool,
    ) -> FunctionInfo:
        """``function`` with its body deferred: the function's lines, decorators included,
        from the line table."""
        source = self.source
        text = source.text
        starts = source.lines.starts
        count = len(starts)  # (``LineIndex.line_start``: a line past the end starts at the end)
        name = node.name
        line = node.lineno - 1
        span = source.name_span(node)
        if self.qualifier is None:  # every import and module-level name is known by now
            self.qualifier = Qualifier(self.module, self.imports, frozenset(self.local_names))
        if node.decorator_list:
            first = min([node.lineno, *[d.lineno for d in node.decorator_list]]) - 1
        else:
            first = line
        last = node.end_lineno or node.lineno
        begin = starts[first] if first < count else len(text)
        end = starts[last] if last < count else len(text)
        return FunctionInfo(
            name,
            f"{prefix}{name}",
            is_async,
            decorators,
            span,
            _NO_CALLS,
            None,
            None,
            None,
            DeferredBody(text[begin:end], first, self.qualifier, self.path),
        )

    def async_calls(self, node: ast.AsyncFunctionDef) -> frozenset[str]:
        """The qualified names an ``async def`` calls, reused across re-indexings of its text.

        They depend only on the function's own lines (decorators included) and on how names
        qualify (the module name, its imports and module-level names), never on where the
        function sits — so re-indexing a buffer after a keystroke recomputes only the edited
        function's calls. Not reused: a one-line function of a file that did not parse whole
        (it may be the stub that stands in for a broken method, not what its line says).
        """
        if self.source.recovered and node.end_lineno in (None, node.lineno):
            return frozenset(_BodySummariser(self, node).calls)
        if self.qualify_key is None:
            self.qualify_key = (
                self.module,
                tuple(sorted(self.imports.items())),
                frozenset(self.local_names),
            )
        lines = self.source.lines
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        last = node.end_lineno or node.lineno
        key = (self.qualify_key, self.source.text[lines.line_start(first) : lines.line_start(last)])
        calls = self.async_memo.get(key)
        if calls is None:
            calls = frozenset(_BodySummariser(self, node).calls)
        self.async_kept[key] = calls
        return calls

    def klass(self, node: ast.ClassDef, prefix: str, out: dict[str, ClassInfo]) -> None:
        qualname = f"{prefix}{node.name}"
        methods: dict[str, FunctionInfo] = {}
        attrs: dict[str, Value] = {}
        meta: dict[str, Value] = {}
        nested: list[str] = []
        bases = []
        base_values = tuple([self.value(base) for base in node.bases])
        for base, base_value in zip(node.bases, base_values, strict=True):
            if type(base_value) is Ref:  # a name or dotted name: its qualified name
                bases.append(base_value.name)
            elif type(base) is ast.Subscript:  # Generic[T]-style bases
                inner = dotted(base.value)
                if inner:
                    bases.append(self.qualified(inner))
        migration = not self.importable and any(base in _MIGRATION_BASES for base in bases)
        member_prefix = f"{qualname}."
        # (``ast`` makes exact node types: ``type(...) is`` tests, the most common first.)
        for stmt in node.body:
            if type(stmt) is ast.Assign:
                value = _NOT_SUMMARISED if migration else self.value(stmt.value)
                aliased = stmt.value.id if type(stmt.value) is ast.Name else None
                for target in stmt.targets:
                    if type(target) is ast.Name:
                        attrs[target.id] = value
                        if aliased is not None and aliased in methods:
                            original = methods[aliased]
                            methods[target.id] = FunctionInfo(
                                name=target.id,
                                qualname=f"{qualname}.{target.id}",
                                is_async=original.is_async,
                                decorators=original.decorators,
                                name_span=self.source.span(target),
                                calls=original._calls,
                                alias_of=original.name,
                                deferred=original._deferred,
                            )
            elif type(stmt) is ast.FunctionDef or type(stmt) is ast.AsyncFunctionDef:
                methods[stmt.name] = self.function(stmt, member_prefix)
            elif type(stmt) is ast.Expr:
                continue  # a docstring
            elif type(stmt) is ast.AnnAssign and type(stmt.target) is ast.Name:
                attrs[stmt.target.id] = _NOT_SUMMARISED if migration else self.value(stmt.value)
            elif type(stmt) is ast.ClassDef:
                if stmt.name == "Meta":
                    for meta_stmt in stmt.body:
                        if type(meta_stmt) is ast.Assign:
                            for target in meta_stmt.targets:
                                if type(target) is ast.Name:
                                    meta[target.id] = self.value(meta_stmt.value)
                else:
                    nested.append(f"{member_prefix}{stmt.name}")
                    self.klass(stmt, member_prefix, out)
        decorators = node.decorator_list
        out[qualname] = _make_class(  # ClassInfo's fields in order (checked at import)
            node.name,
            qualname,
            self.module,
            self.path,
            tuple(bases),
            methods,
            attrs,
            meta,
            tuple([self.value(d) for d in decorators]) if decorators else (),
            self.source.name_span(node),
            tuple(nested),
            base_values,
        )


_MAX_SITES = 256  # per function: enough for any hand-written body, bounded for generated ones
_MAX_CHAIN = 16
_EVALUATING_BUILTINS = frozenset(
    {
        "list", "tuple", "set", "frozenset", "len", "bool", "sorted", "sum", "min", "max",
        "any", "all", "enumerate", "iter", "next", "print", "str", "repr", "dict", "zip",
        "map", "filter", "reversed",
    }
)  # fmt: skip
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_UNKNOWN: tuple[str, ...] = ("?",)


def expression_chain(node: ast.AST | None) -> tuple[str, ...] | None:
    """``Book.objects.filter(x)[0:5].count()`` -> ``("Book", ".objects", ".filter", "()",
    "[:]", ".count", "()")``; None for anything that is not a name/attribute/call/subscript chain.
    The root keeps its local spelling (callers qualify it)."""
    ops: list[str] = []
    while node is not None:
        if len(ops) > _MAX_CHAIN:
            return None
        if isinstance(node, ast.Attribute):
            ops.append("." + node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            ops.append("()")
            node = node.func
        elif isinstance(node, ast.Subscript):
            index = node.slice
            if isinstance(index, ast.Slice):
                ops.append("[::]" if index.step is not None else "[:]")
            else:
                ops.append("[i]")
            node = node.value
        elif isinstance(node, ast.Name):
            ops.append(node.id)
            ops.reverse()
            return tuple(ops)
        else:
            return None
    return None


def annotation_name(node: ast.AST | None) -> str | None:
    """The dotted class name an annotation denotes: ``Book``, ``"Book"``, ``Book | None``,
    ``Optional[Book]``; None otherwise."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value.strip()
        return text if text.replace(".", "").replace("_", "").isalnum() else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = annotation_name(node.left), annotation_name(node.right)
        if left == "None":
            return right
        return left if right == "None" else None
    if isinstance(node, ast.Subscript) and dotted(node.value) in ("Optional", "typing.Optional"):
        return annotation_name(node.slice)
    return dotted(node)


_NOT_CHILDREN = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


def _children(node: ast.AST) -> Iterator[ast.AST]:
    """``ast.iter_child_nodes`` without the context/operator leaves (a third of all nodes)."""
    for name in node._fields:
        value = getattr(node, name, None)
        if type(value) is list:
            for item in value:
                if isinstance(item, ast.AST):
                    yield item
        elif isinstance(value, ast.AST) and not isinstance(value, _NOT_CHILDREN):
            yield value


class _BodySummariser:
    """One pass over a function: the qualified names it calls (nested scopes included, as the
    index always recorded) and, for a sync function, its ``BodySummary`` (nested scopes
    excluded). ``async def`` bodies get no summary: nothing reads one (calling an async
    function runs nothing), and skipping it keeps re-indexing an async module cheap."""

    def __init__(
        self, ex: _Extractor | _Context, node: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> None:
        self.ex = ex
        self.calls: set[str] = set()
        self.sites: list[Site] = []
        self.returns: list[tuple[str, ...]] = []
        self.assigns: dict[str, tuple[str, ...]] = {}
        self.generator = False
        self.exits = 0
        self.summarise = not isinstance(node, ast.AsyncFunctionDef)
        params: list[tuple[str, str]] = []
        arguments = node.args
        if not self.summarise:
            self.params: tuple[tuple[str, str], ...] = ()
            self.calls_only(node)
            return
        for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            annotation = annotation_name(arg.annotation)
            params.append((arg.arg, ex.qualify(annotation) if annotation else ""))
        for star in (arguments.vararg, arguments.kwarg):
            if star is not None:
                params.append((star.arg, ""))
        self.params = tuple(params)
        for outer in (*node.decorator_list, *arguments.defaults, *arguments.kw_defaults):
            if outer is not None:
                self.calls_only(outer)
        self.statements(node.body, False)

    def summary(self) -> BodySummary | None:
        if not self.summarise:
            return None
        return BodySummary(
            params=self.params,
            assigns=tuple(self.assigns.items()),
            returns=tuple(self.returns),
            sites=tuple(self.sites),
            generator=self.generator,
        )

    def calls_only(self, node: ast.AST) -> None:
        calls = self.calls
        qualify = self.ex.qualify
        stack = [node]
        while stack:
            current = stack.pop()
            if type(current) is ast.Call:
                name = dotted(current.func)
                if name:
                    calls.add(qualify(name))
            stack.extend(_children(current))

    def site(self, kind: str, node: ast.AST, conditional: bool) -> None:
        if len(self.sites) >= _MAX_SITES:
            return
        chain = expression_chain(node)
        if chain is not None:
            self.sites.append(Site(kind, chain, self.ex.source.span(node), conditional))

    def bind(self, target: ast.AST, value: ast.AST | None) -> None:
        if isinstance(target, ast.Name):
            chain = expression_chain(value) if value is not None else None
            previous = self.assigns.get(target.id)
            if chain is None or (previous is not None and previous != chain):
                chain = _UNKNOWN
            self.assigns[target.id] = chain
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.bind(element, None)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, None)

    def statements(self, body: list[ast.stmt], conditional: bool) -> None:
        for stmt in body:
            before = self.exits
            self.visit(stmt, conditional)
            if self.exits != before and not isinstance(stmt, (ast.Return, ast.Raise)):
                conditional = True  # an early return/raise/break inside: what follows may not run

    def visit(self, node: ast.AST, cond: bool) -> None:
        handler = _VISIT.get(type(node))
        if handler is not None:
            handler(self, node, cond)
            return
        for child in _children(node):
            self.visit(child, cond)

    # -- one method per node type that matters (dispatched through ``_VISIT``) ------------
    def _scope(self, node: ast.AST, cond: bool) -> None:
        self.calls_only(node)
        name = getattr(node, "name", None)
        if name is not None:
            self.assigns[name] = _UNKNOWN

    def _call(self, node: ast.Call, cond: bool) -> None:
        name = dotted(node.func)
        if name:
            self.calls.add(self.ex.qualify(name))
        self.site("call", node, cond)
        if isinstance(node.func, ast.Name) and node.func.id in _EVALUATING_BUILTINS and node.args:
            self.site("iter", node.args[0], cond)
        for child in _children(node):
            self.visit(child, cond)

    def _exit(self, node: ast.stmt, cond: bool) -> None:
        self.exits += 1
        if isinstance(node, ast.Return):
            if node.value is None:
                self.returns.append(("None",))
            else:
                self.returns.append(expression_chain(node.value) or _UNKNOWN)
        for child in _children(node):
            self.visit(child, cond)

    def _yield(self, node: ast.expr, cond: bool) -> None:
        self.generator = True
        for child in _children(node):
            self.visit(child, cond)

    def _assign(self, node: ast.Assign, cond: bool) -> None:
        for target in node.targets:
            self.bind(target, node.value if len(node.targets) == 1 else None)
        for child in _children(node):
            self.visit(child, cond)

    def _annassign(self, node: ast.AnnAssign | ast.AugAssign, cond: bool) -> None:
        self.bind(node.target, node.value if isinstance(node, ast.AnnAssign) else None)
        for child in _children(node):
            self.visit(child, cond)

    def _namedexpr(self, node: ast.NamedExpr, cond: bool) -> None:
        self.bind(node.target, node.value)
        self.visit(node.value, cond)

    def _for(self, node: ast.For | ast.AsyncFor, cond: bool) -> None:
        if isinstance(node, ast.For):
            self.site("iter", node.iter, cond)
        self.bind(node.target, None)
        self.visit(node.iter, cond)
        self.statements(node.body, True)
        self.statements(node.orelse, True)

    def _if(self, node: ast.If | ast.While, cond: bool) -> None:
        if isinstance(node.test, (ast.Name, ast.Attribute)):
            self.site("iter", node.test, cond)
        self.visit(node.test, cond)
        self.statements(node.body, True)
        self.statements(node.orelse, True)

    def _ifexp(self, node: ast.IfExp, cond: bool) -> None:
        self.visit(node.test, cond)
        self.visit(node.body, True)
        self.visit(node.orelse, True)

    def _boolop(self, node: ast.BoolOp, cond: bool) -> None:
        for index, value in enumerate(node.values):
            self.visit(value, cond or index > 0)

    def _try(self, node: ast.AST, cond: bool) -> None:
        self.statements(node.body, cond)  # type: ignore[attr-defined]
        for handler in node.handlers:  # type: ignore[attr-defined]
            if handler.name:
                self.assigns[handler.name] = _UNKNOWN
            self.statements(handler.body, True)
        self.statements(node.orelse, True)  # type: ignore[attr-defined]
        self.statements(node.finalbody, cond)  # type: ignore[attr-defined]

    def _with(self, node: ast.With | ast.AsyncWith, cond: bool) -> None:
        for item in node.items:
            self.visit(item.context_expr, cond)
            if item.optional_vars is not None:
                self.bind(item.optional_vars, None)
        self.statements(node.body, cond)

    def _comprehension(self, node: ast.AST, cond: bool) -> None:
        generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        for index, generator in enumerate(generators):
            if not generator.is_async:
                self.site("iter", generator.iter, cond or index > 0)
            self.visit(generator.iter, cond or index > 0)
            for test in generator.ifs:
                self.visit(test, True)
        for part in ("elt", "key", "value"):
            child = getattr(node, part, None)
            if child is not None:
                self.visit(child, True)

    def _compare(self, node: ast.Compare, cond: bool) -> None:
        for op, right in zip(node.ops, node.comparators, strict=False):
            if isinstance(op, (ast.In, ast.NotIn)):
                self.site("iter", right, cond)
        for child in _children(node):
            self.visit(child, cond)

    def _subscript(self, node: ast.Subscript, cond: bool) -> None:
        key = node.slice
        if isinstance(node.ctx, ast.Load) and (
            not isinstance(key, ast.Slice) or key.step is not None
        ):
            self.site("iter", node.value, cond)
        self.visit(node.value, cond)
        self.visit(key, cond)

    def _import(self, node: ast.Import | ast.ImportFrom, cond: bool) -> None:
        for alias in node.names:
            self.assigns[(alias.asname or alias.name).split(".")[0]] = _UNKNOWN

    def _match(self, node: ast.AST, cond: bool) -> None:
        self.visit(node.subject, cond)  # type: ignore[attr-defined]
        for case in node.cases:  # type: ignore[attr-defined]
            self.statements(case.body, True)

    def _leaf(self, node: ast.AST, cond: bool) -> None:
        return


_VISIT: dict[type, Callable[[_BodySummariser, Any, bool], None]] = {
    ast.FunctionDef: _BodySummariser._scope,
    ast.AsyncFunctionDef: _BodySummariser._scope,
    ast.Lambda: _BodySummariser._scope,
    ast.ClassDef: _BodySummariser._scope,
    ast.Call: _BodySummariser._call,
    ast.Return: _BodySummariser._exit,
    ast.Raise: _BodySummariser._exit,
    ast.Break: _BodySummariser._exit,
    ast.Continue: _BodySummariser._exit,
    ast.Yield: _BodySummariser._yield,
    ast.YieldFrom: _BodySummariser._yield,
    ast.Assign: _BodySummariser._assign,
    ast.AnnAssign: _BodySummariser._annassign,
    ast.AugAssign: _BodySummariser._annassign,
    ast.NamedExpr: _BodySummariser._namedexpr,
    ast.For: _BodySummariser._for,
    ast.AsyncFor: _BodySummariser._for,
    ast.If: _BodySummariser._if,
    ast.While: _BodySummariser._if,
    ast.IfExp: _BodySummariser._ifexp,
    ast.BoolOp: _BodySummariser._boolop,
    ast.Try: _BodySummariser._try,
    ast.With: _BodySummariser._with,
    ast.AsyncWith: _BodySummariser._with,
    ast.ListComp: _BodySummariser._comprehension,
    ast.SetComp: _BodySummariser._comprehension,
    ast.DictComp: _BodySummariser._comprehension,
    ast.GeneratorExp: _BodySummariser._comprehension,
    ast.Compare: _BodySummariser._compare,
    ast.Subscript: _BodySummariser._subscript,
    ast.Import: _BodySummariser._import,
    ast.ImportFrom: _BodySummariser._import,
    ast.Name: _BodySummariser._leaf,
    ast.Constant: _BodySummariser._leaf,
}
for _name in ("TryStar", "Match"):
    if hasattr(ast, _name):
        _VISIT[getattr(ast, _name)] = (
            _BodySummariser._try if _name == "TryStar" else _BodySummariser._match
        )


_COROUTINE_AWARE = frozenset({"iscoroutinefunction", "markcoroutinefunction"})


def _own_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """A function's statements, through compound statements but not into nested defs/classes."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for field_name in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field_name, None)
            if isinstance(inner, list):
                yield from _own_statements(inner)
        if isinstance(stmt, ast.Try):
            for handler in stmt.handlers:
                yield from _own_statements(handler.body)


def decorator_shape(
    node: ast.FunctionDef | ast.AsyncFunctionDef, levels: int = 1
) -> DecoratorShape | None:
    """How ``node`` treats the function it decorates, when its body reads as a decorator.

    A decorator returns its parameter (identity) or a nested function (the wrapper); a
    factory returns a nested decorator. Anything else (returning a call, a class, several
    shapes) is not summarised.
    """
    if levels > 2 or isinstance(node, ast.AsyncFunctionDef) or not node.body:
        return None
    own = list(_own_statements(node.body))
    nested = {s.name: s for s in own if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    returns = [s.value for s in own if isinstance(s, ast.Return)]
    if not returns or any(r is None for r in returns):
        return None
    params = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
    kinds: set[str] = set()
    calls_wrapped = True
    factory: DecoratorShape | None = None
    for value in returns:
        if not isinstance(value, ast.Name):
            return None
        if params and value.id == params[0]:
            kinds.add("identity")
            continue
        inner = nested.get(value.id)
        if inner is None:
            return None
        inner_shape = (
            decorator_shape(inner, levels + 1) if isinstance(inner, ast.FunctionDef) else None
        )
        if inner_shape is not None:
            if factory is not None or len(returns) > 1:
                return None
            factory = inner_shape
            continue
        if not params:
            return None
        kinds.add("async" if isinstance(inner, ast.AsyncFunctionDef) else "sync")
        calls_wrapped = calls_wrapped and any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == params[0]
            for n in ast.walk(inner)
        )
    if factory is not None:
        return DecoratorShape(factory.wrapper, factory.levels + 1, factory.calls_wrapped)
    if not kinds:
        return None
    # Only now (nearly every function has already returned above): walk for coroutine helpers.
    aware = any(
        (isinstance(n, ast.Name) and n.id in _COROUTINE_AWARE)
        or (isinstance(n, ast.Attribute) and n.attr in _COROUTINE_AWARE)
        for n in ast.walk(node)
    )
    if aware or {"sync", "async"} <= kinds:
        return DecoratorShape("adaptive", 1, calls_wrapped)
    if len(kinds) != 1:
        return None
    return DecoratorShape(kinds.pop(), 1, calls_wrapped)


def _walk_statements(body: list[ast.stmt], out: list[ast.stmt] | None = None) -> list[ast.stmt]:
    """Module-level statements, including those inside if/try blocks (conditional imports),
    in the order of their lines (appended to ``out`` when given)."""
    if out is None:
        out = []
    for stmt in body:
        out.append(stmt)
        if type(stmt) is ast.If:
            _walk_statements(stmt.body, out)
            _walk_statements(stmt.orelse, out)
        elif type(stmt) is ast.Try:
            _walk_statements(stmt.body, out)
            for handler in stmt.handlers:
                _walk_statements(handler.body, out)
            _walk_statements(stmt.orelse, out)
            _walk_statements(stmt.finalbody, out)
    return out


# What each top-level def/class statement of the files summarised lately was summarised as,
# by the statement's identity: a file parsed again reuses the statement nodes of the blocks
# that did not change (``parse``), so re-indexing a buffer after a keystroke summarises only
# the statement being edited. An entry is valid while its statement node is alive (it is held
# here) and the module context is the same; only the last summary of each file is kept.
_Memo = dict[int, tuple[ast.stmt, tuple[object, ...], Any]]
_STATEMENTS: RecentFiles[str, _Memo] = RecentFiles()
_S = TypeVar("_S", bound=ast.stmt)
_R = TypeVar("_R")


def _memoised(
    previous: _Memo,
    current: _Memo,
    stmt: _S,
    context: tuple[object, ...],
    build: Callable[[_S], _R],
) -> _R:
    found = previous.get(id(stmt))
    if found is not None and found[0] is stmt and found[1] == context:
        result: _R = found[2]
    else:
        result = build(stmt)
    current[id(stmt)] = (stmt, context, result)
    return result


def _class_infos(ex: _Extractor, stmt: ast.ClassDef) -> dict[str, ClassInfo]:
    out: dict[str, ClassInfo] = {}
    ex.klass(stmt, "", out)
    return out


def extract_module(
    source: PythonSource,
    module: str,
    path: str,
    digest: str,
    *,
    defer_bodies: bool = False,
    shared: SharedValues | None = None,
) -> ModuleInfo:
    """Summarise one parsed module for the project index.

    ``defer_bodies``: summarise sync function bodies only when first read (see
    ``FunctionInfo``). A one-off run that reads few of them (the CLI) saves most of that
    work; the language server summarises eagerly, so each keystroke's comparison of a
    module's old and new facts never has to parse function texts again. ``shared``: the
    literal and name objects to share with other modules summarised with it.
    """
    is_package = path.endswith("__init__.py")
    ex = _Extractor(source, module, path, is_package, defer_bodies, shared)
    statements = _walk_statements(source.tree.body)
    ex.collect_names(statements)
    text = source.text
    info = ModuleInfo(path, module, digest, ex.imports)
    info.star_imports = tuple(ex.star_imports)
    info.syntax_error = source.recovered
    info.mentions_django = "django" in text
    info.has_async = "async " in text
    classes, functions, assignments = info.classes, info.functions, info.assignments
    if ex.defer_bodies:
        # Nothing to reuse: a deferred summary is cheap to make, and nothing keeps the
        # summaries of earlier texts for it (``_STATEMENTS``, ``_ASYNC_CALLS``: the eager
        # summaries the language server makes are left as they are).
        memo: _Memo | None = None
        current: _Memo = {}
        context: tuple[object, ...] = ()
    else:
        # (Whether the file parsed whole is not part of it: a statement node is only reused
        # from an identical block, stub or not, which summarises the same either way.)
        context = (
            module,
            path,
            source.bom,
            ex.defer_bodies,
            tuple(ex.imports.items()),
            tuple(ex.star_imports),
            frozenset(ex.local_names),
        )
        memo = _STATEMENTS.pop(path, {})
        current = {}
    for stmt in statements:
        if type(stmt) is ast.ImportFrom or type(stmt) is ast.Expr:
            continue  # (most statements that are not classes or functions)
        if type(stmt) is ast.ClassDef:
            if memo is None:
                ex.klass(stmt, "", classes)
            else:
                classes.update(
                    _memoised(memo, current, stmt, context, lambda s: _class_infos(ex, s))
                )
        elif type(stmt) is ast.FunctionDef or type(stmt) is ast.AsyncFunctionDef:
            if memo is None:
                functions[stmt.name] = ex.function(stmt, "")
            else:
                functions[stmt.name] = _memoised(
                    memo, current, stmt, context, lambda s: ex.function(s, "")
                )
        elif type(stmt) is ast.Assign:
            value = ex.value(stmt.value)
            for target in stmt.targets:
                if type(target) is ast.Name:
                    assignments[target.id] = value
        elif type(stmt) is ast.AnnAssign:
            if type(stmt.target) is ast.Name and stmt.value:
                assignments[stmt.target.id] = ex.value(stmt.value)
        elif (
            type(stmt) is ast.AugAssign
            and type(stmt.op) is ast.Add
            and type(stmt.target) is ast.Name
        ):
            # ``urlpatterns += [...]``
            previous = assignments.get(stmt.target.id)
            added = ex.value(stmt.value)
            prev_items = previous.items if isinstance(previous, Seq) else ()
            new_items = added.items if isinstance(added, Seq) else (added,)
            assignments[stmt.target.id] = _make_seq(prev_items + new_items)
    if memo is None:
        return info
    _STATEMENTS.keep(path, current)
    # The call names of async functions whose statement summaries were reused above were not
    # looked up: keep the earlier entries too, up to about two per ``async def`` of the file.
    kept = ex.async_kept
    if len(ex.async_memo) + len(kept) <= 2 * text.count("async def") + 32:
        ex.async_memo.update(kept)
        kept = ex.async_memo
    _ASYNC_CALLS.keep(path, kept)
    return info


# ---------------------------------------------------------------------------------------------
# The module's interface: what other files' analyses can see of it
# ---------------------------------------------------------------------------------------------


def interface_changes(old: ModuleInfo, new: ModuleInfo) -> tuple[bool, bool, bool]:
    """What changed between two summaries of a module that analyses of *other* files read:
    (its shape apart from module-level functions, its module-level functions' shape, its
    function bodies). Adding or removing a module-level function changes only the second.

    The shape is the imports, module-level assignments, and the classes and functions without
    their bodies or positions; the bodies are what each function calls and does. Typing
    inside a function moves positions and changes its body, nothing else, so the whole-index
    views (models, URL routes) that read only shapes survive those keystrokes. Module-level
    assignments are compared with their positions: URL routes point at their ``path()``
    calls, and the whole-index URL view hands them out as locations. Nothing whole-index hands
    out a class's or function's position: analyses look those up in the index as it is now.
    Summaries reused from an earlier keystroke are the same objects, so unchanged statements
    cost an identity test.
    """
    if (
        old.path != new.path
        or old.module != new.module
        or old.imports != new.imports
        or old.star_imports != new.star_imports
        or old.assignments != new.assignments
        or list(old.classes) != list(new.classes)
    ):
        return True, True, True
    shape, bodies = _members_changes(old.classes, new.classes, _class_changes)
    if shape:
        return True, True, True
    if list(old.functions) != list(new.functions):
        return False, True, True
    shape, function_bodies = _members_changes(old.functions, new.functions, _function_changes)
    if shape:
        return False, True, True
    return False, False, bodies or function_bodies


_M = TypeVar("_M")


def _members_changes(
    old: dict[str, _M], new: dict[str, _M], compare: Callable[[_M, _M], tuple[bool, bool]]
) -> tuple[bool, bool]:
    """(shape changed, bodies changed) over two name -> member tables with the same names."""
    bodies = False
    for name, member in new.items():
        before = old[name]
        if member is before:
            continue
        shape, body = compare(before, member)
        if shape:
            return True, True
        bodies = bodies or body
    return False, bodies


def _class_changes(a: ClassInfo, b: ClassInfo) -> tuple[bool, bool]:
    if (
        a.name != b.name
        or a.qualname != b.qualname
        or a.module != b.module
        or a.path != b.path
        or a.bases != b.bases
        or a.nested != b.nested
        or list(a.methods) != list(b.methods)
        or list(a.attrs) != list(b.attrs)
        or list(a.meta) != list(b.meta)
        or not _same_values(a.decorators, b.decorators)
        or not _same_values(a.base_values, b.base_values)
        or not _same_values(tuple(a.attrs.values()), tuple(b.attrs.values()))
        or not _same_values(tuple(a.meta.values()), tuple(b.meta.values()))
    ):
        return True, True
    return _members_changes(a.methods, b.methods, _function_changes)


def _function_changes(a: FunctionInfo, b: FunctionInfo) -> tuple[bool, bool]:
    if (
        a.name != b.name
        or a.qualname != b.qualname
        or a.is_async != b.is_async
        or a.alias_of != b.alias_of
        or not _same_values(a.decorators, b.decorators)
    ):
        return True, True
    if a.same_text(b):
        return False, False  # the same text summarises to the same body and shape
    return False, (
        a.calls != b.calls
        or a.decorator_shape != b.decorator_shape
        or not _same_bodies(a.body, b.body)
    )


def _same_bodies(a: BodySummary | None, b: BodySummary | None) -> bool:
    if a is b:
        return True
    if a is None or b is None:
        return False
    return (
        a.params == b.params
        and a.assigns == b.assigns
        and a.returns == b.returns
        and a.generator == b.generator
        and len(a.sites) == len(b.sites)
        and all(
            x.kind == y.kind and x.chain == y.chain and x.conditional == y.conditional
            for x, y in zip(a.sites, b.sites, strict=True)
        )
    )


def _same_values(a: tuple[Value, ...], b: tuple[Value, ...]) -> bool:
    return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))


def _same_value(a: Value | None, b: Value | None) -> bool:
    """Equal but for positions (a ``Call``'s line and span)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, Call):
        assert isinstance(b, Call)
        return (
            a.func == b.func
            and _same_values(a.args, b.args)
            and [k for k, _ in a.kwargs] == [k for k, _ in b.kwargs]
            and _same_values(tuple(v for _, v in a.kwargs), tuple(v for _, v in b.kwargs))
            and _same_value(a.inner, b.inner)
        )
    if isinstance(a, Seq):
        assert isinstance(b, Seq)
        return _same_values(a.items, b.items)
    if isinstance(a, Starred):
        assert isinstance(b, Starred)
        return _same_value(a.value, b.value)
    return a == b
