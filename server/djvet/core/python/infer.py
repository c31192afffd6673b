"""Receiver inference for async-ORM analysis: what an expression is — a model class, a Manager,
a QuerySet, a model instance, a related manager, the request, its session or user — with
local flow inside one function, and what calling a method on it does (stays lazy, runs a
query, returns a coroutine).

Knowledge comes from the project index (``core.django.models``) first: exact, and fast. Anything
djvet cannot place is ``None`` ("unknown"), and unknown receivers are never reported. The same
stepping functions serve two inputs: ``ast`` expressions of the document being checked
(``Inferrer``) and the compact expression chains the index keeps for every function body
(``Knowledge.classify_function``), which is how sync helpers and custom Manager / QuerySet
methods in other modules are judged without re-reading their files.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar

from ..django.models import USER_MANAGER, ManagerSpec, ModelIndex, ModelInfo
from ..facts import async_table
from .facts import (
    BodySummary,
    Chain,
    ClassInfo,
    FunctionInfo,
    ModuleInfo,
    Site,
    Value,
    annotation_name,
)
from .jedi_facade import MANAGER_ATTRS
from .parse import PythonSource

if TYPE_CHECKING:
    from ..types import Edit, Span

Anchor = ast.AST  # an expression after whose end ``.select_related(...)`` may be appended
Dep = tuple[object, ...]  # one lookup an analysis relied on, with its result (see Knowledge)

# -- what the ORM does with each name (from the fact sheet where it has a table) ---------------

QS_LAZY = frozenset(
    {
        "all", "filter", "exclude", "order_by", "reverse", "distinct", "values", "values_list",
        "dates", "datetimes", "none", "union", "intersection", "difference", "select_related",
        "prefetch_related", "extra", "defer", "only", "using", "select_for_update", "raw",
        "annotate", "alias", "complex_filter", "fetch_mode", "get_queryset",
    }
)  # fmt: skip
QS_COMBINATORS = frozenset({"union", "intersection", "difference"})
QS_NOT_METHODS = frozenset({"iterator", "prefetch_related_objects", "RawQuerySet.__iter__"})
QS_EVALUATING = frozenset(async_table("async_queryset_methods")) - QS_NOT_METHODS
MODEL_EVALUATING = frozenset(async_table("async_model_methods"))
MODEL_VALIDATION = frozenset({"full_clean", "validate_unique", "validate_constraints"})
RELATED_ONLY = frozenset(async_table("async_related_manager_methods")) - QS_EVALUATING
# Served from a filled result cache (prefetched relation, or a QuerySet already iterated).
CACHE_SERVED = frozenset({"count", "exists", "first", "last", "contains", "__iter__"})
USER_METHODS = frozenset(
    k.split(".", 1)[1] for k in async_table("async_auth_functions") if k.startswith("user.")
) - {"check_password"}  # check_password only writes when the hash must be upgraded
USER_MANAGER_METHODS = frozenset(
    k.split(".", 1)[1] for k in async_table("async_auth_functions") if "Manager." in k
)


def _session_methods() -> dict[str, str]:
    """sync name -> the fact-sheet key describing it (``pop`` and ``__delitem__`` share one)."""
    from ..facts import facts

    out: dict[str, str] = {}
    tables = [("async_session_methods", async_table("async_session_methods"))]
    tables.append(("notes", facts()["notes"]["async_session_methods"]))
    for _, table in tables:
        for key in table:
            for part in key.split("/"):
                name = part.split("(")[0].strip().strip("_")
                if name:
                    out[name] = key
    return out


SESSION_METHODS = _session_methods()  # get, getitem, setitem, contains, pop, delitem, keys...
_DUNDER_ONLY = frozenset({"getitem", "setitem", "delitem", "contains"})


def session_entry(key: str) -> dict[str, str] | None:
    """The fact-sheet entry (``async``, ``since``) for a session key of ``SESSION_METHODS``."""
    from ..facts import facts

    entry = async_table("async_session_methods").get(key)
    if entry is None:
        entry = facts()["notes"]["async_session_methods"].get(key)
    return entry


def _session_async() -> dict[str, tuple[str | None, dict[str, str]]]:
    """async session name -> (the sync *method* it replaces, or None when it replaces only an
    operator like ``session[k] = v``; its fact-sheet entry)."""
    out: dict[str, tuple[str | None, dict[str, str]]] = {}
    for sync, key in SESSION_METHODS.items():
        entry = session_entry(key)
        if entry is None:
            continue
        name = entry["async"]
        if sync not in _DUNDER_ONLY:
            out[name] = (sync, entry)
        else:
            out.setdefault(name, (None, entry))
    return out


SESSION_ASYNC = _session_async()  # aget -> get, aset -> None, apop -> pop, ahas_key -> has_key

_UNSET = object()  # "not given" / "not worked out yet", where None is an answer

_K = TypeVar("_K")
_V = TypeVar("_V")


class _IndexMemo(dict[_K, _V]):
    """Answers worked out from the index, kept while its generation stays the same."""

    generation = -1

    def of(self, generation: int) -> _IndexMemo[_K, _V]:
        """This memo, emptied first when the index changed since its answers."""
        if generation != self.generation:
            self.clear()
            self.generation = generation
        return self


# -- kinds ------------------------------------------------------------------------------------
#
# Kinds, effects and the other records below are values: never changed once made, compared and
# hashed by their fields (``unsafe_hash``: the hash a frozen dataclass would have). They are not
# ``frozen``: a frozen dataclass stores each field through ``object.__setattr__``, which made
# building them (tens of thousands per project check) a tenth of the async-ORM analysis.


@dataclass(slots=True, unsafe_hash=True)
class ModelClass:
    """A model class itself (``Book``, ``get_user_model()``, ``self.model``)."""

    model: str


@dataclass(slots=True, unsafe_hash=True)
class RelatedInfo:
    """Where a related manager comes from: ``owner.accessor`` (reverse FK or many-to-many)."""

    owner: str
    accessor: str
    kind: str  # "fk" | "m2m"
    prefetched: bool  # the owner instance came from a query that prefetch_related() it


@dataclass(slots=True, unsafe_hash=True)
class Manager:
    model: str | None
    manager_class: str | None = None
    queryset_class: str | None = None
    builtin: str | None = None
    related: RelatedInfo | None = None
    insert_at: Anchor | None = None  # where ``.select_related(...)`` may be appended


@dataclass(slots=True, unsafe_hash=True)
class QuerySet:
    model: str | None
    queryset_class: str | None = None
    select: frozenset[str] | None = frozenset()  # None: select_related() with no arguments
    prefetch: frozenset[str] = frozenset()
    only: frozenset[str] | None = None
    deferred: frozenset[str] = frozenset()
    rows: str = "instances"  # "values": values()/values_list() rows are dicts/tuples
    combined: bool = False  # union()/intersection()/difference(): no select_related() after
    from_prefetch: bool = False  # ``obj.rel.all()`` of a prefetched relation: no query
    related: RelatedInfo | None = None
    cached: str = "no"  # "no" | "maybe" | "yes": result cache filled by an earlier async for
    insert_at: Anchor | None = None
    raw: bool = False


@dataclass(slots=True, unsafe_hash=True)
class Instance:
    model: str
    loaded: frozenset[str] | None = frozenset()  # select_related paths; None: may all be loaded
    prefetched: frozenset[str] = frozenset()
    only: frozenset[str] | None = None
    deferred: frozenset[str] = frozenset()
    insert_at: Anchor | None = None  # the query that produced it, for a select_related() fix
    lazy_user: bool = False  # request.user: a SimpleLazyObject that queries on first access
    path: str = ""  # the relation path from the query's model (``author`` for ``book.author``)
    user_fix: tuple[Edit, ...] = ()  # lazy_user: edits turning ``request.user`` into ``auser()``


@dataclass(slots=True, unsafe_hash=True)
class Request:
    user_loaded: bool = False  # request.user was already evaluated (in a thread): no query left


@dataclass(slots=True, unsafe_hash=True)
class Session:
    pass


@dataclass(slots=True, unsafe_hash=True)
class QueryIterator:
    """``qs.iterator()``: a generator; the first ``next()`` queries."""

    queryset: QuerySet


@dataclass(slots=True, unsafe_hash=True)
class AsyncQueryIterator:
    """``qs.aiterator()``: an async generator, only usable with ``async for``."""

    queryset: QuerySet


@dataclass(slots=True, unsafe_hash=True)
class Coroutine:
    """The un-awaited result of an async ORM call; ``result`` is what awaiting it gives."""

    result: Kind | None
    name: str


@dataclass(slots=True, unsafe_hash=True)
class ListOf:
    item: Kind | None


@dataclass(slots=True, unsafe_hash=True)
class TupleOf:
    items: tuple[Kind | None, ...]


@dataclass(slots=True, unsafe_hash=True)
class Paginator:
    pass


@dataclass(slots=True, unsafe_hash=True)
class SelfOf:
    """``self`` in a method of a project class that is not a model/manager/queryset (a view)."""

    cls: str


@dataclass(slots=True, unsafe_hash=True)
class Function:
    """A project function or bound method object (``helper``, ``self.compute``, ``book.mark``)."""

    qualified: str  # for messages
    info: FunctionInfo
    module: ModuleInfo | None
    self_kind: Kind | None = None


@dataclass(slots=True, unsafe_hash=True)
class Connection:
    pass


@dataclass(slots=True, unsafe_hash=True)
class Connections:
    pass


@dataclass(slots=True, unsafe_hash=True)
class Atomic:
    """``transaction.atomic`` (the decorator/context manager factory) or its call."""

    called: bool


Kind = (
    ModelClass | Manager | QuerySet | Instance | Request | Session | QueryIterator
    | AsyncQueryIterator | Coroutine | ListOf | TupleOf | Paginator | SelfOf | Function
    | Connection | Connections | Atomic
)  # fmt: skip


def merge(a: Kind | None, b: Kind | None) -> Kind | None:
    """The kind a name has after two branches: equal kinds stay; close ones widen; else unknown."""
    if a == b:
        return a
    if isinstance(a, Request) and isinstance(b, Request):
        return Request(a.user_loaded or b.user_loaded)  # a warning less beats a false alarm
    if isinstance(a, QuerySet) and isinstance(b, QuerySet) and a.model == b.model:
        cached = a.cached if a.cached == b.cached else "maybe"
        return QuerySet(
            a.model,
            a.queryset_class if a.queryset_class == b.queryset_class else None,
            select=None if a.select is None or b.select is None else a.select | b.select,
            prefetch=a.prefetch | b.prefetch,
            only=None if a.only is None or b.only is None else a.only | b.only,
            deferred=a.deferred & b.deferred,
            rows=a.rows if a.rows == b.rows else "values",
            combined=a.combined or b.combined,
            from_prefetch=a.from_prefetch or b.from_prefetch,
            related=a.related if a.related == b.related else None,
            cached=cached,
            insert_at=a.insert_at if a.insert_at == b.insert_at else None,
            raw=a.raw or b.raw,
        )
    if isinstance(a, Instance) and isinstance(b, Instance) and a.model == b.model:
        return Instance(
            a.model,
            None if a.loaded is None or b.loaded is None else a.loaded | b.loaded,
            a.prefetched | b.prefetched,
            None if a.only is None or b.only is None else a.only | b.only,
            a.deferred & b.deferred,
            a.insert_at if a.insert_at == b.insert_at else None,
            a.lazy_user and b.lazy_user,
        )
    return None


# -- method effects -----------------------------------------------------------------------------


@dataclass(slots=True, unsafe_hash=True)
class QuerySite:
    """Where a sync helper / custom method runs its query (for related information)."""

    path: str
    span: Span
    text: str  # the expression, e.g. ``Book.objects.count()``
    via: tuple[str, ...] = ()  # helper names between the call site and the query


@dataclass(slots=True, unsafe_hash=True)
class Effect:
    """What calling ``name`` on a receiver does.

    ``what``: "lazy" (returns a QuerySet, no query), "query" (runs a query now), "async" (returns
    a coroutine), "iterator" (returns a sync generator over a query), "none" (no database
    access known), "unknown".
    """

    what: str
    family: str = ""  # "queryset" | "model" | "related" | "user" | "user_manager" | "custom" | ...
    result: Kind | None = None
    site: QuerySite | None = None  # custom methods / helpers: the query inside
    conditional: bool = False  # the query inside a helper does not run on every call


NO_EFFECT = Effect("unknown")
_ASYNC_EFFECTS: dict[tuple[str, str], Effect] = {}


def _async_effect(family: str, name: str) -> Effect:
    """``Effect("async", family, Coroutine(None, name))``, one shared value per name (effects
    and kinds are never changed once made)."""
    key = (family, name)
    effect = _ASYNC_EFFECTS.get(key)
    if effect is None:
        effect = _ASYNC_EFFECTS[key] = Effect("async", family, Coroutine(None, name))
    return effect


@dataclass
class _MethodMemo:
    result: Effect
    computing: bool = False
    deps: list[Dep] = field(default_factory=list)


def _fingerprint(kind: Kind | None) -> object:
    """What a cached analysis compares a name's kind by: a project function by its summary and
    its module's imports (not the whole module, which changes with every keystroke)."""
    if isinstance(kind, Function):
        module = kind.module
        imports = module.imports if module else None
        return ("f", kind.qualified, kind.info, module.path if module else None, imports)
    return kind


def _method_fingerprint(found: tuple[ClassInfo, FunctionInfo, ModuleInfo | None] | None) -> object:
    if found is None:
        return None
    cls, function, module = found
    return (cls.module, cls.qualname, function, module.imports if module else None)


class Knowledge:
    """Per index generation: model facts plus memoised judgements of custom methods and helpers."""

    def __init__(self, models: ModelIndex) -> None:
        self.models = models
        self._memo: dict[tuple[int, str], _MethodMemo] = {}
        self._funcs: dict[int, FunctionInfo] = {}  # keep ids alive while memoised
        # ``_kind_of_qualified`` answers of the index's current generation, shared by every
        # document: (qualified, directory of the asking file) -> kind. ``resolve`` reads the
        # asking file only for its directory (the nearest of several same-named modules).
        self._kinds: _IndexMemo[tuple[str, object], Kind | None] = _IndexMemo()
        self._dirs: dict[str | None, object] = {}  # an asking file -> its directory (or None)
        # ``_method_of`` answers of the index's current generation: (class, name) -> found.
        self._methods: _IndexMemo[
            tuple[str, str], tuple[ClassInfo, FunctionInfo, ModuleInfo | None] | None
        ] = _IndexMemo()
        # Every cross-file lookup an analysis makes is appended here (when set), with its
        # result, so a cached analysis can later be re-validated by repeating the lookups.
        self.recorder: list[Dep] | None = None

    def _record(self, dep: Dep) -> None:
        if self.recorder is not None:
            self.recorder.append(dep)

    def record_external(self, qualified: str, is_model: bool) -> None:
        """A jedi answer an analysis used; it holds while jedi's cache says the same."""
        self._record(("j", str(self.models.project.root), qualified, is_model))

    def dep_still_holds(
        self, dep: Dep, memo: dict[tuple[object, ...], object] | None = None
    ) -> bool:
        """Repeat one recorded lookup against the current index: same answer? (``memo`` shares
        the current answers between the functions of one document.)"""
        key = dep[:-1]
        if memo is not None and key in memo:
            return memo[key] == dep[-1]
        current = self._current(key)
        if memo is not None:
            memo[key] = current
        return current == dep[-1]

    def _current(self, key: tuple[object, ...]) -> object:
        recorder, self.recorder = self.recorder, None
        try:
            tag = key[0]
            if tag == "q":
                return _fingerprint(self._kind_of_qualified(key[1], key[2]))  # type: ignore[arg-type]
            if tag == "m":
                return _method_fingerprint(self._method_of(key[1], key[2]))  # type: ignore[arg-type]
            if tag == "a":
                return self._class_attr_model(key[1], key[2])  # type: ignore[arg-type]
            if tag == "v":
                return self._is_single_object_view(key[1])  # type: ignore[arg-type]
            if tag == "j":
                from .jedi_facade import cached_answer

                return bool(cached_answer(key[1], key[2]))  # type: ignore[arg-type]
            return object()  # an unknown dep never holds
        finally:
            self.recorder = recorder

    # -- names ------------------------------------------------------------------------------
    def qualify(self, module: ModuleInfo | None, name: str) -> str:
        """A name as seen from ``module``: imported names through their import, module-level
        names prefixed with the module; builtins and unknown names unchanged."""
        if module is None:
            return name
        head, _, rest = name.partition(".")
        if head in module.imports:
            target = module.imports[head]
            return f"{target}.{rest}" if rest else target
        if head in module.classes or head in module.functions or head in module.assignments:
            return f"{module.module}.{name}"
        for star in module.star_imports:
            # ``from .models import *``: a name the star-imported module defines or imports.
            source = self.models.project.find_module(star, module.path)
            if source is None:
                continue
            if head in source.classes or head in source.functions or head in source.assignments:
                return f"{source.module}.{name}"
            if head in source.imports:
                target = source.imports[head]
                return f"{target}.{rest}" if rest else target
        return name

    def kind_of_qualified(
        self, qualified: str, near: str | None, lookups: Lookups | None = None
    ) -> Kind | None:
        """The kind of a module-level name (a model class, a project function, a django object).

        ``lookups``: the answers already given to the same document's analysis (see ``Lookups``);
        a repeated question records the same dependency without asking the index again.
        """
        if lookups is not None:
            found = lookups.kinds.get((qualified, near))
            if found is not None:
                self._record(found[1])
                return found[0]
        result = self._kind_of_qualified(qualified, near)
        dep = ("q", qualified, near, _fingerprint(result))
        self._record(dep)
        if lookups is not None:
            lookups.kinds[(qualified, near)] = (result, dep)
        return result

    def method_of(
        self, qualified_class: str, name: str
    ) -> tuple[ClassInfo, FunctionInfo, ModuleInfo | None] | None:
        """A method of a project class (through its bases), with the module it is written in."""
        result = self._method_of(qualified_class, name)
        self._record(("m", qualified_class, name, _method_fingerprint(result)))
        return result

    def _method_of(
        self, qualified_class: str, name: str
    ) -> tuple[ClassInfo, FunctionInfo, ModuleInfo | None] | None:
        key = (qualified_class, name)
        methods = self._methods.of(self.models.project.generation)
        found = methods.get(key, _UNSET)
        if found is _UNSET:
            found = methods[key] = self._find_method(qualified_class, name)
        return found  # type: ignore[return-value]

    def _find_method(
        self, qualified_class: str, name: str
    ) -> tuple[ClassInfo, FunctionInfo, ModuleInfo | None] | None:
        found = self.models.find_method(qualified_class, name)
        if found is None:
            return None
        _, cls, function = found
        return cls, function, self.models.module_of(cls)

    def class_attr_model(self, qualified_class: str, attr: str) -> str | None:
        result = self._class_attr_model(qualified_class, attr)
        self._record(("a", qualified_class, attr, result))
        return result

    def is_single_object_view(self, qualified: str) -> bool:
        result = self._is_single_object_view(qualified)
        self._record(("v", qualified, result))
        return result

    def _kind_of_qualified(self, qualified: str, near: str | None) -> Kind | None:
        kinds = self._kinds.of(self.models.project.generation)
        directory = self._dirs.get(near, _UNSET)
        if directory is _UNSET:
            directory = self._dirs[near] = os.path.dirname(near) if near else None
        key = (qualified, directory)
        found = kinds.get(key, _UNSET)
        if found is _UNSET:
            found = kinds[key] = self._look_up_kind(qualified, near)
        return found  # type: ignore[return-value]

    def _look_up_kind(self, qualified: str, near: str | None) -> Kind | None:
        models = self.models
        if qualified in models.models:
            return ModelClass(qualified)
        if qualified in ("django.db.connection", "django.db.connections"):
            return Connection() if qualified.endswith("connection") else Connections()
        if qualified == "django.db.transaction.atomic":
            return Atomic(called=False)
        if not qualified or qualified.startswith(("django.", "asgiref.", "channels.")):
            return None
        found = models.project.resolve(qualified, near)
        if found is None:
            return None
        if found.kind == "class":
            name = f"{found.module.module}.{found.obj.qualname}"
            return ModelClass(name) if name in models.models else None
        if found.kind == "function":
            info: FunctionInfo = found.obj
            return Function(f"{found.module.module}.{info.qualname}", info, found.module)
        return None

    # -- receivers of methods -------------------------------------------------------------------
    def manager_of(self, model: ModelInfo, spec: ManagerSpec, insert_at: Anchor | None) -> Manager:
        return Manager(
            model.name, spec.manager_class, spec.queryset_class, spec.builtin, None, insert_at
        )

    def default_manager(self, model: str, related: RelatedInfo | None = None) -> Manager:
        info = self.models.model(model)
        spec = info.managers.get(info.default_manager or "") if info is not None else None
        if spec is None:
            return Manager(model, related=related)
        return Manager(model, spec.manager_class, spec.queryset_class, spec.builtin, related)

    def attribute(self, kind: Kind | None, name: str, at: Anchor | None = None) -> Kind | None:
        """``kind.name`` (not called)."""
        if kind is None:
            return None
        if type(kind) is ModelClass:  # (kinds are compared by class: none is subclassed)
            info = self.models.model(kind.model)
            if info is None:
                # A model outside the project (jedi said so): its default manager at least.
                return Manager(kind.model, insert_at=at) if name in MANAGER_ATTRS else None
            if name in info.managers:
                return self.manager_of(info, info.managers[name], at)
            if name == "_default_manager" and info.default_manager in info.managers:
                return self.manager_of(info, info.managers[info.default_manager], at)
            if name == "_base_manager":
                return Manager(kind.model, insert_at=at)
            return None
        if type(kind) is Instance:
            return self.instance_attribute(kind, name)
        if type(kind) is Request:
            if name == "user":
                return Instance(self.models.user_model, loaded=None, lazy_user=not kind.user_loaded)
            if name == "session":
                return Session()
            return None
        if type(kind) is SelfOf:
            return self.self_attribute(kind, name)
        if isinstance(kind, (QuerySet, Manager)) and name == "model" and kind.model:
            return ModelClass(kind.model)
        return None

    def instance_attribute(self, kind: Instance, name: str) -> Kind | None:
        info = self.models.model(kind.model)
        if info is None:
            return None
        relation = info.relation(name)
        if relation is not None and relation.target is not None:
            if relation.kind == "m2m":
                related = RelatedInfo(kind.model, name, "m2m", _prefetched(kind.prefetched, name))
                return self.default_manager(relation.target, related)
            return Instance(
                relation.target,
                loaded=_sub_paths(kind.loaded, name),
                prefetched=_sub_set(kind.prefetched, name),
                insert_at=kind.insert_at,
                path=f"{kind.path}__{name}" if kind.path else name,
            )
        reverse = info.reverse.get(name)
        if reverse is not None:
            if reverse.kind == "o2o":
                return Instance(
                    reverse.source,
                    loaded=_sub_paths(kind.loaded, name),
                    insert_at=kind.insert_at,
                    path=f"{kind.path}__{name}" if kind.path else name,
                )
            related = RelatedInfo(
                kind.model, name, reverse.kind, _prefetched(kind.prefetched, name)
            )
            return self.default_manager(reverse.source, related)
        return None

    def self_attribute(self, kind: SelfOf, name: str) -> Kind | None:
        cls = self.models.class_info(kind.cls)
        if name == "request":
            return Request()
        if cls is None:
            return None
        if name == "model":
            model = self.class_attr_model(kind.cls, "model")
            return ModelClass(model) if model else None
        return None

    def _class_attr_model(self, qualified_class: str, attr: str) -> str | None:
        """``model = Book`` (or ``queryset = Book.objects...``) on a view class or its bases."""
        seen: set[str] = set()
        queue = [qualified_class]
        while queue:
            name = queue.pop(0)
            if name in seen:
                continue
            seen.add(name)
            cls = self.models.class_info(name)
            if cls is None:
                continue
            for key in (attr, "queryset") if attr == "model" else (attr,):
                value = cls.attrs.get(key)
                model = self._value_model(value, cls)
                if model:
                    return model
            for base in cls.bases:
                resolved = self.models.qualified_class(base, cls.path)
                if resolved:
                    queue.append(resolved)
        return None

    def _value_model(self, value: Value | None, cls: ClassInfo) -> str | None:
        from .facts import Call, Ref

        if isinstance(value, Ref):
            name = self.models.qualified_class(value.name, cls.path)
            if name and name in self.models.models:
                return name
            head = value.name.rsplit(".", 1)[0]
            name = self.models.qualified_class(head, cls.path)
            return name if name and name in self.models.models else None
        if isinstance(value, Call):
            head = value.func
            while head and "." in head:
                head = head.rsplit(".", 1)[0].removesuffix("()")
                name = self.models.qualified_class(head, cls.path)
                if name and name in self.models.models:
                    return name
        return None

    def view_queryset(self, kind: SelfOf) -> QuerySet | None:
        """``self.get_queryset()`` of a generic view that names ``model`` / ``queryset``."""
        model = self.class_attr_model(kind.cls, "model")
        return QuerySet(model) if model else None

    # -- method calls -------------------------------------------------------------------------
    def method(
        self, recv: Kind | None, name: str, args: CallArgs | None = None, at: Anchor | None = None
    ) -> Effect:
        """What ``recv.name(...)`` does (``at``: the call, where the QuerySet a lazy method of a
        Manager or QuerySet returns is anchored; else where its receiver's was)."""
        if recv is None:
            return NO_EFFECT
        if type(recv) is Manager or type(recv) is QuerySet:
            return self._queryset_method(recv, name, args, at)
        if isinstance(recv, Instance):
            return self._instance_method(recv, name)
        if isinstance(recv, ModelClass):
            return NO_EFFECT
        if isinstance(recv, Request):
            if name == "auser":
                # auser() loads the user through the default manager: relations not selected
                # (unless a custom manager's get_queryset may select them).
                info = self.models.model(self.models.user_model)
                spec = info.managers.get(info.default_manager or "") if info else None
                plain = (
                    spec is not None and spec.manager_class is None and spec.queryset_class is None
                )
                user = Instance(self.models.user_model, loaded=frozenset() if plain else None)
                return Effect("async", "request", Coroutine(user, "auser"))
            return NO_EFFECT
        if isinstance(recv, Session):
            if name in SESSION_METHODS:
                return Effect("query", "session")
            if name in SESSION_ASYNC:
                return Effect("async", "session", Coroutine(None, name))
            return NO_EFFECT
        if isinstance(recv, Paginator):
            if name in ("page", "get_page", "validate_number", "get_elided_page_range"):
                return Effect("query", "paginator")
            return NO_EFFECT
        if isinstance(recv, (Connection, Connections)):
            if name in ("cursor", "chunked_cursor"):
                return Effect("query", "cursor")
            return NO_EFFECT
        if isinstance(recv, SelfOf):
            found = self.method_of(recv.cls, name)
            if name == "get_queryset" and found is None:
                queryset = self.view_queryset(recv)
                return Effect("lazy", "view", queryset) if queryset else NO_EFFECT
            if name == "get_object" and found is None:
                model = self.class_attr_model(recv.cls, "model")
                if model and self.is_single_object_view(recv.cls):
                    return Effect("query", "view", Instance(model, loaded=None))
                return NO_EFFECT
            if found is not None:
                _, function, module = found
                return self.classify_function(function, module, recv, f"self.{name}")
            return NO_EFFECT
        return NO_EFFECT

    def _is_single_object_view(self, qualified: str) -> bool:
        cls = self.models.class_info(qualified)
        if cls is None:
            return False
        names = set(self.models.project.base_names(cls))
        return any(
            n.rsplit(".", 1)[-1] in ("DetailView", "UpdateView", "DeleteView", "SingleObjectMixin")
            for n in names
        )

    def _queryset_method(
        self, recv: Manager | QuerySet, name: str, args: CallArgs | None, at: Anchor | None = None
    ) -> Effect:
        model = recv.model
        if type(recv) is Manager and name == "all" and recv.related is not None:
            related = recv.related
            return Effect(
                "lazy",
                "queryset",
                QuerySet(
                    model,
                    recv.queryset_class,
                    from_prefetch=related.prefetched,
                    related=related,
                    insert_at=None,
                ),
            )
        if name in QS_LAZY:
            base = self._as_queryset(recv)
            return Effect("lazy", "queryset", _chain_lazy(base, name, args, at))
        if name == "iterator":
            return Effect("iterator", "queryset", QueryIterator(self._as_queryset(recv)))
        if name == "aiterator":
            return Effect("async_iter", "queryset", AsyncQueryIterator(self._as_queryset(recv)))
        related_manager = type(recv) is Manager and recv.related is not None
        if related_manager and name in RELATED_ONLY:
            return Effect("query", "related")
        if (
            isinstance(recv, Manager)
            and recv.builtin == USER_MANAGER
            and name in USER_MANAGER_METHODS
        ):
            return Effect("query", "user_manager", Instance(model, loaded=None) if model else None)
        if name in QS_EVALUATING:
            if _served_from_cache(recv, name):
                return Effect("none", "queryset", self._evaluated_result(recv, name))
            return Effect(
                "query",
                "related" if related_manager else "queryset",
                self._evaluated_result(recv, name),
            )
        if name.startswith("a") and (name[1:] in QS_EVALUATING or name[1:] in RELATED_ONLY):
            family = "related" if related_manager and name[1:] in RELATED_ONLY else "queryset"
            result = self._evaluated_result(recv, name[1:])
            if result is None:
                return _async_effect(family, name)
            return Effect("async", family, Coroutine(result, name))
        if (
            isinstance(recv, Manager)
            and recv.builtin == USER_MANAGER
            and name.startswith("a")
            and name[1:] in USER_MANAGER_METHODS
        ):
            result = Instance(model, loaded=None) if model else None
            return Effect("async", "user_manager", Coroutine(result, name))
        # A custom Manager / QuerySet method of the project.
        for owner in (
            recv.queryset_class,
            recv.manager_class if isinstance(recv, Manager) else None,
        ):
            if not owner:
                continue
            found = self.method_of(owner, name)
            if found is None:
                continue
            owner_cls, function, module = found
            owner_name = f"{owner_cls.module}.{owner_cls.qualname}"
            if (
                function.name.startswith("_")
                and isinstance(recv, Manager)
                and owner == recv.queryset_class
            ):
                continue  # private QuerySet methods are not copied to managers
            self_kind: Kind = (
                self._as_queryset(recv) if owner_name in self.models.querysets else recv
            )
            label = f"{owner_cls.name}.{name}"
            effect = self.classify_function(function, module, self_kind, label)
            if effect.what == "lazy":
                # What a custom method selects, prefetches or defers is not read: assume it
                # may have loaded any relation (no DJV303 from here) and add nothing later.
                lazy = _opaque(self._as_queryset(recv))
                return Effect("lazy", "custom", replace(lazy, insert_at=None), effect.site)
            return replace(effect, family="custom")
        return NO_EFFECT

    def _as_queryset(self, recv: Manager | QuerySet) -> QuerySet:
        if isinstance(recv, QuerySet):
            return recv
        queryset = QuerySet(
            recv.model, recv.queryset_class, related=recv.related, insert_at=recv.insert_at
        )
        if recv.manager_class and self.method_of(recv.manager_class, "get_queryset") is not None:
            # The manager builds its own QuerySet: it may select or prefetch relations already.
            return _opaque(queryset)
        return queryset

    def _evaluated_result(self, recv: Manager | QuerySet, name: str) -> Kind | None:
        if not recv.model or name not in (
            "get",
            "first",
            "last",
            "latest",
            "earliest",
            "create",
            "get_or_create",
            "update_or_create",
        ):
            return None
        qs = self._as_queryset(recv)
        if qs.rows != "instances":
            return None
        if name in ("create", "get_or_create", "update_or_create") or recv.related is not None:
            instance = Instance(recv.model, loaded=None)
            return TupleOf((instance, None)) if name.endswith("_or_create") else instance
        return _element(qs)

    def _instance_method(self, recv: Instance, name: str) -> Effect:
        info = self.models.model(recv.model)
        if name in MODEL_EVALUATING:
            return Effect("query", "model")
        if name.startswith("a") and name[1:] in MODEL_EVALUATING:
            return _async_effect("model", name)
        if name in MODEL_VALIDATION:
            if info is not None and info.has_unique_checks:
                return Effect("query", "validation")
            return NO_EFFECT
        if recv.model == self.models.user_model or (
            info is not None and _is_user_model(self.models, info)
        ):
            if name in USER_METHODS:
                return Effect("query", "user")
            if name.startswith("a") and name[1:] in USER_METHODS | {"check_password"}:
                return Effect("async", "user", Coroutine(None, name))
        if info is not None and info.cls is not None:
            found = self.method_of(recv.model, name)
            if found is not None:
                _, function, module = found
                return self.classify_function(
                    function, module, Instance(recv.model, loaded=None), f"{info.short_name}.{name}"
                )
        return NO_EFFECT

    # -- sync helpers and custom methods, judged from their body summaries ------------------------
    def classify_function(
        self,
        function: FunctionInfo,
        module: ModuleInfo | None,
        self_kind: Kind | None,
        label: str,
        depth: int = 0,
    ) -> Effect:
        """Does calling ``function`` run a query (and where), return a QuerySet, or neither?"""
        if function.is_async:
            return Effect("async", "helper", Coroutine(None, function.name))
        body = function.body
        if body is None or body.generator or module is None or depth > 3:
            return NO_EFFECT
        if not _plain_decorators(function, self):
            if _decorated_atomic(function, module, self):
                site = QuerySite(module.path, function.name_span, "@transaction.atomic", ())
                return Effect("query", "helper", None, site)
            return NO_EFFECT
        key = (id(function), f"{_kind_key(self_kind)}")
        memo = self._memo.get(key)
        if memo is not None:
            if self.recorder is not None:
                self.recorder.extend(memo.deps)
            return NO_EFFECT if memo.computing else memo.result
        self._funcs[id(function)] = function
        self._memo[key] = _MethodMemo(NO_EFFECT, computing=True)
        outer, self.recorder = self.recorder, []
        try:
            result = _ChainEvaluator(self, body, module, self_kind, depth).judge(label)
        finally:
            deps, self.recorder = self.recorder, outer
        if self.recorder is not None:
            self.recorder.extend(deps)
        self._memo[key] = _MethodMemo(result, deps=deps)
        return result


def _is_user_model(models: ModelIndex, info: ModelInfo) -> bool:
    seen = set()
    queue = [info.name]
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        if (
            name.startswith("django.contrib.auth.")
            and "Permission" not in name
            and "Group" not in name
        ):
            return True
        model = models.model(name)
        if model is not None:
            queue.extend(model.parents)
    return False


_PLAIN_DECORATORS = frozenset(
    {"staticmethod", "classmethod", "property", "functools.wraps", "override", "typing.override"}
)


def _plain_decorators(function: FunctionInfo, knowledge: Knowledge) -> bool:
    from .facts import Ref

    for decorator in function.decorators:
        if not (isinstance(decorator, Ref) and decorator.name in _PLAIN_DECORATORS):
            return False
    return True


def _decorated_atomic(function: FunctionInfo, module: ModuleInfo, knowledge: Knowledge) -> bool:
    from .facts import Call, Ref

    for decorator in function.decorators:
        name = (
            decorator.name
            if isinstance(decorator, Ref)
            else decorator.func
            if isinstance(decorator, Call)
            else ""
        )
        if name == "django.db.transaction.atomic":
            return True
    return False


def _kind_key(kind: Kind | None) -> str:
    if isinstance(kind, QuerySet):
        return f"qs:{kind.model}:{kind.queryset_class}"
    if isinstance(kind, Manager):
        return f"mgr:{kind.model}:{kind.manager_class}:{kind.queryset_class}"
    if isinstance(kind, Instance):
        return f"inst:{kind.model}"
    if isinstance(kind, SelfOf):
        return f"self:{kind.cls}"
    return ""


def _opaque(qs: QuerySet) -> QuerySet:
    """A QuerySet shaped by code djvet does not read: relations may be selected/prefetched.
    (``replace(qs, select=None, prefetch=qs.prefetch | {"*"}, only=None, deferred=frozenset())``,
    built directly: see ``_anchored``.)"""
    return QuerySet(
        qs.model, qs.queryset_class, None, qs.prefetch | _ANY, None, _NONE, qs.rows, qs.combined,
        qs.from_prefetch, qs.related, qs.cached, qs.insert_at, qs.raw,
    )  # fmt: skip


_ANY: frozenset[str] = frozenset({"*"})
_NONE: frozenset[str] = frozenset()


def _prefetched(prefetched: frozenset[str], name: str) -> bool:
    """Was ``name`` prefetched (``*``: by a ``Prefetch`` object or code djvet cannot read)?"""
    return name in prefetched or "*" in prefetched


def _sub_paths(paths: frozenset[str] | None, name: str) -> frozenset[str] | None:
    """The select_related paths below ``name`` (``author__publisher`` -> ``publisher``)."""
    if paths is None:
        return None
    prefix = name + "__"
    return frozenset(p[len(prefix) :] for p in paths if p.startswith(prefix))


def _sub_set(paths: frozenset[str], name: str) -> frozenset[str]:
    prefix = name + "__"
    inner = frozenset(p[len(prefix) :] for p in paths if p.startswith(prefix))
    return inner | {"*"} if "*" in paths else inner


def _served_from_cache(recv: Manager | QuerySet, name: str) -> bool:
    return (
        isinstance(recv, QuerySet)
        and (recv.from_prefetch or recv.cached == "yes")
        and name in CACHE_SERVED
    )


def _element(qs: QuerySet) -> Kind | None:
    """One row of ``qs``: a model instance carrying what the query loaded."""
    if qs.model is None or qs.rows != "instances" or qs.raw:
        return None
    loaded = qs.select
    if qs.related is not None:
        loaded = loaded if loaded else frozenset()
    return Instance(
        qs.model,
        loaded=loaded,
        prefetched=qs.prefetch,
        only=qs.only,
        deferred=qs.deferred,
        insert_at=None if qs.combined else qs.insert_at,
    )


def element_of(kind: Kind | None) -> Kind | None:
    """What iterating ``kind`` yields (sync or async iteration alike)."""
    if isinstance(kind, QuerySet):
        return _element(kind)
    if isinstance(kind, (QueryIterator, AsyncQueryIterator)):
        return _element(kind.queryset)
    if isinstance(kind, ListOf):
        return kind.item
    return None


# -- arguments of lazy calls ------------------------------------------------------------------


@dataclass(slots=True, unsafe_hash=True)
class CallArgs:
    """The literal arguments of a call that shape a QuerySet (``select_related("author")``)."""

    strings: tuple[str, ...] = ()
    count: int = 0  # positional argument count
    all_literal: bool = True  # every positional argument was a string literal (or Prefetch("x"))
    keywords: tuple[str, ...] = ()

    @classmethod
    def from_call(cls, node: ast.Call) -> CallArgs:
        strings: list[str] = []
        literal = True
        for arg in node.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                strings.append(arg.value)
            elif (
                isinstance(arg, ast.Call)
                and arg.args
                and isinstance(arg.args[0], ast.Constant)
                and isinstance(arg.args[0].value, str)
                and (getattr(arg.func, "id", None) or getattr(arg.func, "attr", None)) == "Prefetch"
            ):
                strings.append(arg.args[0].value)
            else:
                literal = False
        return cls(
            tuple(strings), len(node.args), literal, tuple(k.arg or "**" for k in node.keywords)
        )


# The lazy methods whose call arguments ``_chain_lazy`` reads; for every other method the
# arguments are not looked at.
_SHAPING_METHODS = frozenset({"select_related", "prefetch_related", "only", "defer"})


def _anchored(qs: QuerySet, at: Anchor) -> QuerySet:
    """``replace(qs, insert_at=at)``, built directly: every lazy call in an async function
    makes one, and ``dataclasses.replace`` costs twice as much (a test pins the fields)."""
    return QuerySet(
        qs.model, qs.queryset_class, qs.select, qs.prefetch, qs.only, qs.deferred, qs.rows,
        qs.combined, qs.from_prefetch, qs.related, qs.cached, at, qs.raw,
    )  # fmt: skip


def _refreshed(qs: QuerySet, related: RelatedInfo | None, at: Anchor | None = None) -> QuerySet:
    """``replace(qs, from_prefetch=False, related=related, cached="no")`` (and ``insert_at=at``
    when given), built directly (see ``_anchored``): the QuerySet a lazy method returns, with
    no result cache of its own."""
    return QuerySet(
        qs.model, qs.queryset_class, qs.select, qs.prefetch, qs.only, qs.deferred, qs.rows,
        qs.combined, False, related, "no", qs.insert_at if at is None else at, qs.raw,
    )  # fmt: skip


def _with_result(effect: Effect, result: Kind | None) -> Effect:
    """``replace(effect, result=result)``, built directly (see ``_anchored``)."""
    return Effect(effect.what, effect.family, result, effect.site, effect.conditional)


def _paths(strings: Iterable[str]) -> frozenset[str]:
    """``"author__publisher"`` also loads ``author``."""
    out: set[str] = set()
    for text in strings:
        parts = text.split("__")
        for index in range(1, len(parts) + 1):
            out.add("__".join(parts[:index]))
    return frozenset(out)


def _chain_lazy(
    qs: QuerySet, name: str, args: CallArgs | None, at: Anchor | None = None
) -> QuerySet:
    """The QuerySet after the lazy method ``name``, anchored ``at`` the call when given (else
    where ``qs`` was): built at once for the commonest methods."""
    if name in ("all", "get_queryset", "using"):
        if name != "all" or not qs.from_prefetch:
            return _refreshed(qs, qs.related, at)
    elif name not in _RESHAPING:
        return _refreshed(qs, None, at)
    result = _reshaped(qs, name, args)
    return result if at is None else _anchored(result, at)


# The lazy methods ``_reshaped`` handles; every other one returns a QuerySet like the
# receiver's, with no result cache and no related-manager origin (``_refreshed``).
_RESHAPING = frozenset(
    {
        "select_related", "prefetch_related", "only", "defer", "values", "values_list",
        "dates", "datetimes", "raw", "all", *QS_COMBINATORS,
    }
)  # fmt: skip


def _reshaped(qs: QuerySet, name: str, args: CallArgs | None) -> QuerySet:
    """``_chain_lazy`` of the methods of ``_RESHAPING`` (and ``all()`` of a prefetched
    relation, which is the relation itself)."""
    if name == "select_related":
        if args is None or not args.all_literal:
            return replace(qs, select=None)
        if args.count == 0:
            return replace(qs, select=None) if not args.keywords else qs
        return replace(qs, select=None if qs.select is None else qs.select | _paths(args.strings))
    if name == "prefetch_related":
        if args is None or not args.all_literal:
            return replace(qs, prefetch=qs.prefetch | frozenset({"*"}))
        if args.count == 1 and not args.strings:
            return replace(qs, prefetch=frozenset())  # prefetch_related(None) clears
        return replace(qs, prefetch=qs.prefetch | _paths(args.strings))
    if name == "only":
        if args is None or not args.all_literal:
            return replace(qs, only=None, deferred=frozenset())
        return replace(
            qs, only=frozenset(s.split("__")[0] for s in args.strings), deferred=frozenset()
        )
    if name == "defer":
        if args is None or not args.all_literal:
            return replace(qs, only=None, deferred=frozenset())
        if args.count == 1 and not args.strings:
            return replace(qs, deferred=frozenset())
        return replace(qs, deferred=qs.deferred | frozenset(s.split("__")[0] for s in args.strings))
    if name in ("values", "values_list", "dates", "datetimes"):
        return replace(qs, rows="values", related=None, from_prefetch=False, cached="no")
    if name in QS_COMBINATORS:
        return replace(qs, combined=True, related=None, from_prefetch=False, cached="no")
    if name == "raw":
        return QuerySet(qs.model, raw=True)
    return qs  # ``all()`` of a prefetched relation


# -- body-summary evaluation (helpers and custom methods in any module) -----------------------


class _ChainEvaluator:
    """Evaluate the call/iteration sites of one function body (from the index) to decide
    whether calling the function queries the database."""

    def __init__(
        self,
        knowledge: Knowledge,
        body: BodySummary,
        module: ModuleInfo,
        self_kind: Kind | None,
        depth: int,
    ) -> None:
        self.k = knowledge
        self.body = body
        self.module = module
        self.self_kind = self_kind
        self.depth = depth
        self.assigns = dict(body.assigns)
        self.params = dict(body.params)
        self._resolving: set[str] = set()

    def judge(self, label: str) -> Effect:
        best: Effect | None = None
        for site in self.body.sites:
            effect = self.site_effect(site)
            if effect is None:
                continue
            if best is None or (best.conditional and not effect.conditional):
                best = effect
            if not best.conditional:
                break
        if best is not None:
            return best
        kinds = [self.chain_kind(chain) for chain in self.body.returns]
        if kinds and all(isinstance(k, (QuerySet, Manager)) for k in kinds):
            first = kinds[0]
            assert isinstance(first, (QuerySet, Manager))
            return Effect("lazy", "custom", self.k._as_queryset(first))
        return Effect("none")

    def site_effect(self, site: Site) -> Effect | None:
        chain = site.chain
        text = _chain_text(chain)
        if site.kind == "iter":
            kind = self.chain_kind(chain)
            if _iteration_queries(kind):
                return Effect(
                    "query",
                    "helper",
                    None,
                    QuerySite(self.module.path, site.span, text),
                    site.conditional,
                )
            return None
        if len(chain) < 2 or chain[-1] != "()":
            return None
        callee = chain[:-1]
        if len(callee) >= 2 and callee[-1].startswith("."):
            recv = self.chain_kind(callee[:-1])
            effect = self.k.method(recv, callee[-1][1:])
        else:
            effect = self.function_effect(callee)
        if effect.what == "query":
            if effect.site is not None and effect.family in ("helper", "custom"):
                inner = effect.site
                via = (_chain_text(callee) + "()", *inner.via)
                site_info = QuerySite(inner.path, inner.span, inner.text, via)
            else:
                site_info = QuerySite(self.module.path, site.span, text)
            return Effect(
                "query", "helper", None, site_info, site.conditional or effect.conditional
            )
        return None

    def function_effect(self, callee: Chain) -> Effect:
        if len(callee) != 1:
            return NO_EFFECT
        name = callee[0]
        if name in self.assigns or name in self.params:
            return NO_EFFECT
        qualified = self.k.qualify(self.module, name)
        family = module_function_family(qualified)
        if family is not None:
            return Effect("query", family)
        kind = self.k.kind_of_qualified(qualified, self.module.path)
        if isinstance(kind, Function):
            return self.k.classify_function(
                kind.info, kind.module, None, kind.qualified, self.depth + 1
            )
        return NO_EFFECT

    def chain_kind(self, chain: Chain) -> Kind | None:
        if not chain or chain == ("?",):
            return None
        kind = self.root_kind(chain[0])
        ops = chain[1:]
        index = 0
        while index < len(ops):
            op = ops[index]
            if op.startswith("."):
                name = op[1:]
                if index + 1 < len(ops) and ops[index + 1] == "()":
                    if kind is None and chain[0] == "super" and index == 0:
                        kind = self.self_kind
                    effect = self.k.method(kind, name)
                    kind = (
                        effect.result
                        if effect.what in ("lazy", "iterator", "async", "query", "none")
                        else None
                    )
                    index += 2
                    continue
                kind = self.k.attribute(kind, name)
            elif op == "()":
                if index == 0 and chain[0] == "super":
                    kind = self.self_kind
                elif isinstance(kind, ModelClass):
                    kind = Instance(kind.model, loaded=None)
                else:
                    kind = None
            elif op == "[:]":
                kind = kind if isinstance(kind, QuerySet) else None
            elif op == "[i]":
                kind = element_of(kind) if isinstance(kind, (QuerySet, ListOf)) else None
            else:
                kind = None
            index += 1
            if kind is None:
                return None
        return kind

    def root_kind(self, name: str) -> Kind | None:
        if name == "self":
            return self.self_kind
        if name in self.assigns:
            if name in self._resolving:
                return None
            self._resolving.add(name)
            try:
                return self.chain_kind(self.assigns[name])
            finally:
                self._resolving.discard(name)
        if name in self.params:
            annotation = self.params[name]
            if annotation:
                target = self.k.models.qualified_class(annotation, self.module.path)
                if target and target in self.k.models.models:
                    return Instance(target, loaded=None)
            return None
        return self.k.kind_of_qualified(self.k.qualify(self.module, name), self.module.path)


def _iteration_queries(kind: Kind | None) -> bool:
    if isinstance(kind, QuerySet):
        return not (kind.from_prefetch or kind.cached == "yes")
    return isinstance(kind, QueryIterator)


def _chain_text(chain: Chain) -> str:
    return "".join(
        (
            chain[0].rsplit(".", 1)[-1],
            *(op if op not in ("[i]", "[:]", "[::]") else "[...]" for op in chain[1:]),
        )
    )


# Module-level Django functions that query (the families async_orm reports), by qualified name.
MODULE_FUNCTIONS: dict[str, str] = {
    "django.contrib.auth.authenticate": "auth",
    "django.contrib.auth.login": "auth",
    "django.contrib.auth.logout": "auth",
    "django.contrib.auth.get_user": "auth",
    "django.contrib.auth.update_session_auth_hash": "auth",
    "django.shortcuts.get_object_or_404": "shortcut",
    "django.shortcuts.get_list_or_404": "shortcut",
}


def module_function_family(qualified: str) -> str | None:
    return MODULE_FUNCTIONS.get(qualified)


# Every name ``Inferrer.function_call`` answers: the functions above, their ``a``-prefixed
# async forms, and three more.
_KNOWN_CALLS = frozenset(
    {
        "django.contrib.auth.get_user_model",
        "django.db.transaction.atomic",
        "django.core.paginator.Paginator",
        *MODULE_FUNCTIONS,
        *(f"{module}.a{name}" for module, _, name in (q.rpartition(".") for q in MODULE_FUNCTIONS)),
    }
)


# -- expression inference over one function's AST --------------------------------------------


@dataclass
class Env:
    """Names bound in one function body, in flow order."""

    names: dict[str, Kind | None] = field(default_factory=dict)

    def copy(self) -> Env:
        return Env(dict(self.names))

    def merged(self, other: Env) -> Env:
        mine, theirs = self.names, other.names
        if mine == theirs:  # most branches bind nothing new: every ``merge`` keeps its kind
            return Env(dict(mine))
        merged: dict[str, Kind | None] = {}
        for key in mine.keys() | theirs.keys():
            a, b = mine.get(key), theirs.get(key)
            merged[key] = a if a is b else merge(a, b)
        return Env(merged)


class Lookups:
    """The index lookups of one analysis of one document (one module), answered once each.

    The project index does not change while a document is checked, and the functions of a
    document name the same models, imports and helpers again and again: each name is
    qualified, resolved and typed once. Belongs to one document's analysis and is dropped
    with it, so no answer outlives the index state it was read from.
    """

    __slots__ = ("annotations", "classes", "kinds", "names", "qualified", "resolves", "self_kinds")

    def __init__(self) -> None:
        # (qualified, near) -> (kind, the dependency ``kind_of_qualified`` records)
        self.kinds: dict[tuple[str, str | None], tuple[Kind | None, Dep]] = {}
        # a name as written, not bound in the function -> its entry of ``kinds``
        self.names: dict[str, tuple[Kind | None, Dep]] = {}
        self.qualified: dict[str, str] = {}  # name as written -> ``Knowledge.qualify`` of it
        self.resolves: dict[str, bool] = {}  # qualified -> the index resolves it
        self.classes: dict[str, str | None] = {}  # qualified -> ``ModelIndex.qualified_class``
        self.annotations: dict[str, Kind | None] = {}  # class name -> a parameter's kind
        self.self_kinds: dict[str, Kind | None] = {}  # enclosing class -> the kind of ``self``


class Inferrer:
    """Infer kinds of expressions in one function of the document being checked."""

    def __init__(
        self,
        source: PythonSource,
        module: ModuleInfo | None,
        knowledge: Knowledge,
        enclosing_class: str | None,
        external_model: Callable[[str], str | None] | None = None,
        lookups: Lookups | None = None,
    ) -> None:
        self.source = source
        self.module = module
        self.k = knowledge
        self.enclosing_class = enclosing_class
        self.env = Env()
        self.external_model = external_model
        self.source_path = module.path if module is not None else None
        # Shared by every function of the document (all in ``module``).
        self.lookups = lookups if lookups is not None else Lookups()
        # By node (not ``id(node)``: a key keeps its node alive, so no id is ever reused).
        self._cache: dict[ast.AST, Kind | None] = {}
        self._effects: dict[ast.AST, Effect] = {}

    def qualify(self, name: str) -> str:
        """``Knowledge.qualify`` of ``name`` in this document's module (asked once per name)."""
        table = self.lookups.qualified
        found = table.get(name)
        if found is None:
            found = table[name] = self.k.qualify(self.module, name)
        return found

    def kind_of(self, qualified: str) -> Kind | None:
        """``Knowledge.kind_of_qualified`` seen from this document."""
        return self.k.kind_of_qualified(qualified, self.source_path, self.lookups)

    def bind_params(self, node: ast.AsyncFunctionDef | ast.FunctionDef) -> None:
        args = node.args
        # (Most functions have no positional-only or keyword-only parameters: no tuple of all.)
        every = args.args
        if args.posonlyargs or args.kwonlyargs:
            every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        names = self.env.names
        for index, arg in enumerate(every):
            kind: Kind | None = None
            if index == 0 and arg.arg in ("self", "cls") and self.enclosing_class:
                kind = self.self_kind() if arg.arg == "self" else None
            elif arg.annotation is not None:
                annotation = arg.annotation
                # ``annotation_name`` of a plain name is the name.
                name = (
                    annotation.id if type(annotation) is ast.Name else annotation_name(annotation)
                )
                if name:
                    kind = self.annotated_kind(name)
            elif arg.arg == "request":
                kind = Request()
            names[arg.arg] = kind

    def annotated_kind(self, name: str) -> Kind | None:
        """A parameter annotated with the class ``name``: a model instance, the request, or
        unknown (worked out once per name and document; it records no dependency)."""
        annotations = self.lookups.annotations
        found = annotations.get(name, _UNSET)
        if found is _UNSET:
            kind: Kind | None = None
            qualified = self.qualify(name)
            model = self._class_named(qualified)
            if model and model in self.k.models.models:
                kind = Instance(model, loaded=None)
            elif qualified.rsplit(".", 1)[-1] in ("HttpRequest", "ASGIRequest", "WSGIRequest"):
                kind = Request()
            found = annotations[name] = kind
        return found  # type: ignore[return-value]

    def self_kind(self) -> Kind | None:
        name = self.enclosing_class
        if not name:
            return None
        self_kinds = self.lookups.self_kinds
        found = self_kinds.get(name, _UNSET)
        if found is _UNSET:
            found = self_kinds[name] = self._self_kind(name)
        return found  # type: ignore[return-value]

    def _self_kind(self, name: str) -> Kind | None:
        models = self.k.models
        if name in models.models:
            return Instance(name, loaded=None)
        kind = models.class_kind(name)
        if kind == "queryset":
            return QuerySet(None, name)
        if kind == "manager":
            return Manager(None, name)
        return SelfOf(name)

    def set_kind(self, node: ast.AST, kind: Kind | None) -> None:
        """Override the inferred kind of ``node`` (the walker refines ``request.user``)."""
        self._cache[node] = kind

    def infer(self, node: ast.AST | None) -> Kind | None:
        if node is None:
            return None
        cache = self._cache
        kind = cache.get(node, _UNSET)
        if kind is _UNSET:
            if type(node) is ast.Name:  # ``_infer_name``, the commonest, without the calls
                names = self.env.names
                name = node.id
                if name in names:
                    kind = names[name]
                else:
                    found = self.lookups.names.get(name)
                    if found is None:
                        kind = self.global_kind(name)
                    else:  # ``global_kind`` of a name asked before: its kind, its dependency
                        recorder = self.k.recorder
                        if recorder is not None:
                            recorder.append(found[1])
                        kind = found[0]
                cache[node] = kind
            else:
                kind = cache[node] = _INFER_HANDLERS[type(node)](self, node)
        return kind  # type: ignore[return-value]

    def name_kind(self, name: str) -> Kind | None:
        """The kind of a plain name here: bound in the function, else the module-level name."""
        names = self.env.names
        if name in names:
            return names[name]
        return self.global_kind(name)

    def global_kind(self, name: str) -> Kind | None:
        """``kind_of(qualify(name))`` of a name as written here, not bound in the function (a
        plain or dotted name): asked once per document, the dependency recorded each time."""
        lookups = self.lookups
        found = lookups.names.get(name)
        if found is None:
            qualified = self.qualify(name)
            kind = self.kind_of(qualified)
            lookups.names[name] = lookups.kinds[(qualified, self.source_path)]
            return kind
        # What ``kind_of_qualified`` does for a repeated question: record the same dependency.
        recorder = self.k.recorder
        if recorder is not None:
            recorder.append(found[1])
        return found[0]

    def _infer(self, node: ast.AST) -> Kind | None:
        return _INFER_HANDLERS[type(node)](self, node)

    # One method per node class (``_INFER_HANDLERS``); the kind of anything else is unknown.
    def _infer_name(self, node: ast.Name) -> Kind | None:
        return self.name_kind(node.id)

    def _infer_attribute(self, node: ast.Attribute) -> Kind | None:
        value = node.value
        if type(value) is ast.Name or type(value) is ast.Attribute:  # else no dotted name
            local = self.dotted_local(node)
            if local is not None:
                kind = self.global_kind(local)  # ``kind_of(dotted_qualified(node))``
                if kind is not None:
                    return kind
        base = self.infer(value)
        attr = node.attr
        if base is None:
            if attr in MANAGER_ATTRS and isinstance(value, ast.Name):
                base = self.external_model_class(value)
            if base is None:
                return None  # ``Knowledge.attribute`` of an unknown kind is unknown
        result = self.k.attribute(base, attr, node)
        if result is not None:
            return result
        if isinstance(base, SelfOf):
            found = self.k.method_of(base.cls, attr)
            if found is not None:
                _, function, module = found
                return Function(f"self.{attr}", function, module, base)
        elif isinstance(base, Instance):
            info = self.k.models.model(base.model)
            if info is not None and info.cls is not None and attr not in info.fields:
                found = self.k.method_of(base.model, attr)
                if found is not None:
                    _, function, module = found
                    return Function(f"{info.short_name}.{attr}", function, module, base)
        return None

    def _infer_call(self, node: ast.Call) -> Kind | None:
        return self.effect(node).result

    def _infer_await(self, node: ast.Await) -> Kind | None:
        inner = self.infer(node.value)
        if isinstance(inner, Coroutine):
            return inner.result
        return None

    def _infer_subscript(self, node: ast.Subscript) -> Kind | None:
        base = self.infer(node.value)
        if base is None:
            return None
        index = node.slice
        if isinstance(base, QuerySet):
            if isinstance(index, ast.Slice):
                if index.step is None:
                    return _refreshed(base, base.related)
                return ListOf(_element(base))
            return _element(base)
        if isinstance(base, ListOf):
            return base if isinstance(index, ast.Slice) else base.item
        if (
            isinstance(base, TupleOf)
            and isinstance(index, ast.Constant)
            and isinstance(index.value, int)
        ) and -len(base.items) <= index.value < len(base.items):
            return base.items[index.value]
        if isinstance(base, Connections):
            return Connection()
        return None

    def _infer_comprehension(self, node: ast.ListComp | ast.SetComp) -> Kind | None:
        if len(node.generators) == 1 and isinstance(node.elt, ast.Name):
            generator = node.generators[0]
            if (
                isinstance(generator.target, ast.Name)
                and generator.target.id == node.elt.id
                and not generator.ifs
            ):
                return ListOf(element_of(self.infer(generator.iter)))
        return ListOf(None)

    def _infer_named(self, node: ast.NamedExpr) -> Kind | None:
        kind = self.infer(node.value)
        self.env.names[node.target.id] = kind
        return kind

    def _infer_other(self, node: ast.AST) -> Kind | None:
        return None

    def external_model_class(self, node: ast.Name) -> Kind | None:
        """``Tag.objects`` where ``Tag`` is imported from outside the project: ask the bounded
        jedi fallback whether it is a model (the only question jedi is ever asked)."""
        if self.external_model is None or node.id in self.env.names:
            return None
        qualified = self.qualify(node.id)
        if qualified == node.id or self._resolves(qualified):
            return None  # a builtin/local name, or something the index knows (and decided)
        model = self.external_model(qualified)
        self.k.record_external(qualified, model is not None)
        return ModelClass(model) if model is not None else None

    def _class_named(self, qualified: str) -> str | None:
        classes = self.lookups.classes
        found = classes.get(qualified, _UNSET)
        if found is _UNSET:
            found = classes[qualified] = self.k.models.qualified_class(qualified, self.source_path)
        return found  # type: ignore[return-value]

    def _resolves(self, qualified: str) -> bool:
        resolves = self.lookups.resolves
        found = resolves.get(qualified)
        if found is None:
            found = resolves[qualified] = bool(
                self.k.models.project.resolve(qualified, self.source_path)
            )
        return found

    def dotted_qualified(self, node: ast.Attribute) -> str | None:
        """``transaction.atomic`` -> ``django.db.transaction.atomic`` when the root is an import."""
        local = self.dotted_local(node)
        return self.qualify(local) if local is not None else None

    def dotted_local(self, node: ast.Attribute) -> str | None:
        """``transaction.atomic`` as written, when its root is an import (not rebound here)."""
        current: ast.AST = node.value
        if type(current) is ast.Name:  # ``root.attr``, the common case, without the loop
            root = current.id
            if root in self.env.names or self.module is None or root not in self.module.imports:
                return None
            return f"{root}.{node.attr}"
        parts: list[str] = [node.attr]
        while isinstance(current, ast.Attribute):
            parts.append(current.attr)
            current = current.value
        if not isinstance(current, ast.Name) or current.id in self.env.names:
            return None
        if self.module is None or current.id not in self.module.imports:
            return None
        parts.append(current.id)
        return ".".join(reversed(parts))

    def django_dotted(self, func: ast.Attribute, value: ast.Attribute) -> str | None:
        """``dotted_qualified(func)`` when the dotted name ``func`` (``a.b.c``, ``value`` its
        ``a.b``) starts with a Django import not rebound here, else None: the root is looked
        at first, and the dotted name spelt out only for such a root (few are)."""
        root = value.value
        while type(root) is ast.Attribute:
            root = root.value
        module = self.module
        if type(root) is not ast.Name or module is None:
            return None
        target = module.imports.get(root.id)
        if target is None or not target.startswith("django") or root.id in self.env.names:
            return None
        local = self.dotted_local(func)
        return self.qualify(local) if local is not None else None

    def call_result(self, node: ast.Call) -> Kind | None:
        return self.effect(node).result

    def visited_call(self, node: ast.Call, receiver: object = _UNSET) -> Effect:
        """``effect(node)`` for the walker, once it walked the call's parts (``receiver``: the
        kind of ``node.func.value`` when the walker has it); the call's kind,
        ``effect(node).result`` whenever asked, is noted with it."""
        effects = self._effects
        effect = effects.get(node)
        if effect is None:
            effect = effects[node] = self.call_effect(node, receiver)
        self._cache.setdefault(node, effect.result)
        return effect

    def effect(self, node: ast.Call) -> Effect:
        """What this call does (computed once per node)."""
        found = self._effects.get(node)
        if found is None:
            found = self._effects[node] = self.call_effect(node)
        return found

    def call_effect(self, node: ast.Call, receiver: object = _UNSET) -> Effect:
        # Node classes and kinds are compared by class on this hot path (see ``_INFER_KINDS``).
        func = node.func
        if type(func) is ast.Attribute:
            value = func.value
            qualified: str | None = None
            # ``dotted_qualified(func)``, worked out only when it can be one of ``_KNOWN_CALLS``
            # (all Django's): the import the dotted name starts with is Django's.
            if type(value) is ast.Name:
                target = self.module.imports.get(value.id) if self.module is not None else None
                if (
                    target is not None
                    and target.startswith("django")
                    and value.id not in self.env.names
                ):
                    qualified = f"{target}.{func.attr}"  # ``root.attr``: the import's target
            elif type(value) is ast.Attribute:
                qualified = self.django_dotted(func, value)
            if qualified is not None and qualified in _KNOWN_CALLS:
                effect = self.function_call(qualified, node)
                if effect is not None:
                    return effect
            # (``receiver`` is a kind when given; no ``cast`` call on this hot path.)
            recv: Kind | None = (
                self.infer(value) if receiver is _UNSET else receiver  # type: ignore[assignment]
            )
            if recv is None or type(recv) is Function:
                return NO_EFFECT  # (``Knowledge.method`` of an unknown receiver: no effect)
            # The arguments shape only these methods' QuerySets (``_chain_lazy``).
            args = CallArgs.from_call(node) if func.attr in _SHAPING_METHODS else None
            effect = self.k.method(recv, func.attr, args, node)
            result = effect.result
            if (
                effect.what == "lazy"
                and type(result) is QuerySet
                and result.insert_at is not node  # (anchored already by ``method``)
                and effect.family != "custom"
            ) and not (type(recv) is Manager and recv.related is not None and func.attr == "all"):
                effect = _with_result(effect, _anchored(result, node))
            return effect
        if type(func) is ast.Name:
            if func.id in self.env.names:
                kind = self.env.names[func.id]
                if isinstance(kind, ModelClass):
                    return Effect("none", "", Instance(kind.model, loaded=None))
                return NO_EFFECT
            qualified = self.qualify(func.id)
            if qualified in _KNOWN_CALLS:
                effect = self.function_call(qualified, node)
                if effect is not None:
                    return effect
            kind = self.global_kind(func.id)  # ``kind_of(qualified)``
            if isinstance(kind, ModelClass):
                return Effect("none", "", Instance(kind.model, loaded=None))
            if isinstance(kind, Function):
                return self.k.classify_function(kind.info, kind.module, None, func.id)
            if isinstance(kind, Atomic):
                return Effect("none", "", Atomic(called=True))
        return NO_EFFECT

    def function_call(self, qualified: str, node: ast.Call) -> Effect | None:
        """Calls of module-level Django functions djvet knows by their qualified name."""
        if qualified not in _KNOWN_CALLS:
            return None  # every name below is one of these
        if qualified in ("django.contrib.auth.get_user_model",):
            return Effect("none", "", ModelClass(self.k.models.user_model))
        if qualified == "django.db.transaction.atomic":
            return Effect("none", "", Atomic(called=True))
        if qualified in ("django.core.paginator.Paginator",):
            first = self.infer(node.args[0]) if node.args else None
            return Effect(
                "none", "", Paginator() if isinstance(first, (QuerySet, Manager)) else None
            )
        family = module_function_family(qualified)
        if family == "shortcut":
            first = self.infer(node.args[0]) if node.args else None
            model = first.model if isinstance(first, (ModelClass, QuerySet, Manager)) else None
            result: Kind | None = None
            if model is not None:
                element = Instance(model, loaded=None)
                if isinstance(first, QuerySet):
                    element = replace(element, loaded=first.select, prefetched=first.prefetch)
                result = element if qualified.endswith("get_object_or_404") else ListOf(element)
            return Effect("query", "shortcut", result)
        if family == "auth":
            result = (
                Instance(self.k.models.user_model, loaded=None)
                if qualified.endswith(("authenticate", "get_user"))
                else None
            )
            return Effect("query", "auth", result)
        short = qualified.rsplit(".", 1)[-1]
        if qualified.startswith(
            ("django.shortcuts.a", "django.contrib.auth.a")
        ) and short.startswith("a"):
            sync = f"{qualified.rsplit('.', 1)[0]}.{short[1:]}"
            if module_function_family(sync) is not None:
                inner = self.function_call(sync, node)
                family = module_function_family(sync) or ""
                return Effect("async", family, Coroutine(inner.result if inner else None, short))
        return None


# ``Inferrer._infer``'s method per node class: the first of these a class is (a subclass of),
# in this order; anything else is unknown.
_INFER_KINDS: tuple[tuple[type | tuple[type, ...], Callable[..., Kind | None]], ...] = (
    (ast.Name, Inferrer._infer_name),
    (ast.Attribute, Inferrer._infer_attribute),
    (ast.Call, Inferrer._infer_call),
    (ast.Await, Inferrer._infer_await),
    (ast.Subscript, Inferrer._infer_subscript),
    ((ast.ListComp, ast.SetComp), Inferrer._infer_comprehension),
    (ast.NamedExpr, Inferrer._infer_named),
)


class _InferHandlers(dict[type, Callable[..., "Kind | None"]]):
    """Node class -> its ``Inferrer`` method, worked out on first use."""

    def __missing__(self, cls: type) -> Callable[..., Kind | None]:
        handler = next(
            (method for kinds, method in _INFER_KINDS if issubclass(cls, kinds)),
            Inferrer._infer_other,
        )
        self[cls] = handler
        return handler


_INFER_HANDLERS = _InferHandlers()
