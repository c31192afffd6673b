"""Class-based views, read statically: Django's view hierarchy as data and a view's real handlers.

Django decides whether a class-based view is sync or async in ``View.view_is_async``: every
name in ``http_method_names`` except ``options`` that the class has (inherited ones too) is a
handler; the first decides and all must agree, else ``as_view()`` raises ImproperlyConfigured
(fact sheet section B). This module answers the same question without running anything:

* ``DJANGO_CLASSES``: every class of Django's view graph (``django.views.generic.*``,
  ``django.contrib.auth.views``/``mixins``, ``SuccessMessageMixin``, the i18n, autocomplete and
  admindocs views) with its real bases, the handlers its body defines (all sync), the handlers
  that just ``return self.<other>(...)`` and ``http_method_names`` where the class sets it.
  ``LogoutView``'s handlers and methods come from the fact sheet per version. Tests check the
  table against the installed Django and the fact sheet's handler sets.
* ``analyze_view``: a project class's C3 MRO over project classes and Django's, its effective
  ``http_method_names`` and handlers, each with its kind (sync/async, decorators included:
  ``method_decorator`` makes a sync wrapper before 5.2; a project decorator is read from its
  body) and where it comes from.
* ``analyze_document``: the same for every class of one document, shared by the DJV2xx rules,
  plus the small text edits their fixes need.

Policy for bases djvet cannot see (a third-party mixin): such a class may define any handler,
so only handlers in the analysed class's own body are certain; ``http_method_names`` is
assumed not to be changed by unseen mixins. The rules report only what is certain.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from packaging.version import Version

from ..facts import facts, feature_release
from ..project import ProjectIndex, digest_text, module_name
from ..python.edits import fix_keeps_valid, parses
from ..python.facts import (
    Call,
    ClassInfo,
    FunctionInfo,
    Lit,
    ModuleInfo,
    Ref,
    Seq,
    Value,
    dotted,
    extract_module,
)
from ..python.parse import PythonSource
from ..text import apply_edits
from ..types import Edit, Span

if TYPE_CHECKING:
    from ..rule import CheckContext

Kind = Literal["sync", "async", "unknown"]

VIEW = "django.views.generic.base.View"
LOGOUT_VIEW = "django.contrib.auth.views.LogoutView"
METHOD_DECORATOR = "django.utils.decorators.method_decorator"
SYNC_TO_ASYNC = "asgiref.sync.sync_to_async"
ASYNC_TO_SYNC = "asgiref.sync.async_to_sync"
METHOD_DECORATOR_KEEPS_ASYNC = Version("5.2")  # _multi_decorate() marks coroutine wrappers since
DEFAULT_HTTP_METHOD_NAMES = ("get", "post", "put", "patch", "delete", "head", "options", "trace")

# Decorators that return the function they get (or a descriptor Django unwraps): kind unchanged.
_KIND_PRESERVING = frozenset(
    {
        "typing.override",
        "typing_extensions.override",
        "abc.abstractmethod",
        "staticmethod",
        "classmethod",
        "builtins.staticmethod",
        "builtins.classmethod",
    }
)
# Bases that define nothing a view cares about; left out of the MRO like ``object``.
_NEUTRAL_BASES = frozenset(
    {
        "object",
        "builtins.object",
        "abc.ABC",
        "typing.Generic",
        "typing.Protocol",
        "typing_extensions.Protocol",
    }
)

# ---------------------------------------------------------------------------------------------
# Django's view graph
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DjangoClass:
    """One class of Django's view graph, as its source defines it."""

    name: str  # canonical: ``cls.__module__ + "." + cls.__qualname__``
    bases: tuple[str, ...] = ()
    defines: tuple[str, ...] = ()  # HTTP handler names in the class body (Django's are all sync)
    delegates: tuple[tuple[str, str], ...] = ()  # handler -> the handler it returns self.<x>() of
    http_method_names: tuple[str, ...] | None = None  # when the class body sets it

    @property
    def short(self) -> str:
        return self.name.rpartition(".")[2]

    def delegate_of(self, handler: str) -> str | None:
        for name, delegate in reversed(self.delegates):  # as ``dict(self.delegates)``: the last
            if name == handler:
                return delegate
        return None


_BASE = "django.views.generic.base."
_DATES = "django.views.generic.dates."
_DETAIL = "django.views.generic.detail."
_EDIT = "django.views.generic.edit."
_LIST = "django.views.generic.list."
_AUTH = "django.contrib.auth.views."
_MIX = "django.contrib.auth.mixins."
_DOCS = "django.contrib.admindocs.views."
_TO_GET = tuple((verb, "get") for verb in ("post", "put", "patch", "delete", "head", "options"))


def _dates() -> Iterator[DjangoClass]:
    yield DjangoClass(
        _DATES + "BaseDateListView",
        (_LIST + "MultipleObjectMixin", _DATES + "DateMixin", _BASE + "View"),
        ("get",),
    )
    yield DjangoClass(_DATES + "BaseArchiveIndexView", (_DATES + "BaseDateListView",))
    mixins = {
        "Year": ("YearMixin",),
        "Month": ("YearMixin", "MonthMixin"),
        "Week": ("YearMixin", "WeekMixin"),
        "Day": ("YearMixin", "MonthMixin", "DayMixin"),
    }
    for period, names in mixins.items():
        bases = (*(_DATES + n for n in names), _DATES + "BaseDateListView")
        yield DjangoClass(f"{_DATES}Base{period}ArchiveView", bases)
    yield DjangoClass(_DATES + "BaseTodayArchiveView", (_DATES + "BaseDayArchiveView",))
    for period in (
        "ArchiveIndex",
        "YearArchive",
        "MonthArchive",
        "WeekArchive",
        "DayArchive",
        "TodayArchive",
    ):
        base = (
            _DATES + "BaseArchiveIndexView"
            if period == "ArchiveIndex"
            else f"{_DATES}Base{period}View"
        )
        yield DjangoClass(
            f"{_DATES}{period}View", (_LIST + "MultipleObjectTemplateResponseMixin", base)
        )
    for mixin in ("DateMixin", "YearMixin", "MonthMixin", "DayMixin", "WeekMixin"):
        yield DjangoClass(_DATES + mixin)
    yield DjangoClass(
        _DATES + "BaseDateDetailView",
        (
            *(_DATES + n for n in ("YearMixin", "MonthMixin", "DayMixin", "DateMixin")),
            _DETAIL + "BaseDetailView",
        ),
    )
    yield DjangoClass(
        _DATES + "DateDetailView",
        (_DETAIL + "SingleObjectTemplateResponseMixin", _DATES + "BaseDateDetailView"),
    )


def _auth_and_contrib() -> Iterator[DjangoClass]:
    yield DjangoClass(_AUTH + "RedirectURLMixin")
    yield DjangoClass(_AUTH + "PasswordContextMixin")
    yield DjangoClass(_AUTH + "LoginView", (_AUTH + "RedirectURLMixin", _EDIT + "FormView"))
    # LogoutView's handlers and http_method_names depend on the version: see ``django_class``.
    yield DjangoClass(LOGOUT_VIEW, (_AUTH + "RedirectURLMixin", _BASE + "TemplateView"))
    for name in ("PasswordChangeView", "PasswordResetView", "PasswordResetConfirmView"):
        yield DjangoClass(_AUTH + name, (_AUTH + "PasswordContextMixin", _EDIT + "FormView"))
    for name in ("PasswordChangeDoneView", "PasswordResetDoneView", "PasswordResetCompleteView"):
        yield DjangoClass(_AUTH + name, (_AUTH + "PasswordContextMixin", _BASE + "TemplateView"))
    yield DjangoClass(_MIX + "AccessMixin")
    for name in ("LoginRequiredMixin", "PermissionRequiredMixin", "UserPassesTestMixin"):
        yield DjangoClass(_MIX + name, (_MIX + "AccessMixin",))
    yield DjangoClass("django.contrib.messages.views.SuccessMessageMixin")
    yield DjangoClass("django.views.i18n.JavaScriptCatalog", (_BASE + "View",), ("get",))
    yield DjangoClass("django.views.i18n.JSONCatalog", ("django.views.i18n.JavaScriptCatalog",))
    yield DjangoClass(
        "django.contrib.admin.views.autocomplete.AutocompleteJsonView",
        (_LIST + "BaseListView",),
        ("get",),
    )
    yield DjangoClass(_DOCS + "BaseAdminDocsView", (_BASE + "TemplateView",))
    for name in (
        "BookmarkletsView", "TemplateTagIndexView", "TemplateFilterIndexView", "ViewIndexView",
        "ViewDetailView", "ModelIndexView", "ModelDetailView", "TemplateDetailView",
    ):  # fmt: skip
        yield DjangoClass(_DOCS + name, (_DOCS + "BaseAdminDocsView",))


def _generic() -> Iterator[DjangoClass]:
    yield DjangoClass(_BASE + "View", (), ("options",), (), DEFAULT_HTTP_METHOD_NAMES)
    yield DjangoClass(_BASE + "ContextMixin")
    yield DjangoClass(_BASE + "TemplateResponseMixin")
    yield DjangoClass(
        _BASE + "TemplateView",
        (_BASE + "TemplateResponseMixin", _BASE + "ContextMixin", _BASE + "View"),
        ("get",),
    )
    yield DjangoClass(
        _BASE + "RedirectView",
        (_BASE + "View",),
        ("get", "post", "put", "patch", "delete", "head", "options"),
        _TO_GET,
    )
    yield DjangoClass(_DETAIL + "SingleObjectMixin", (_BASE + "ContextMixin",))
    yield DjangoClass(
        _DETAIL + "BaseDetailView", (_DETAIL + "SingleObjectMixin", _BASE + "View"), ("get",)
    )
    yield DjangoClass(
        _DETAIL + "SingleObjectTemplateResponseMixin", (_BASE + "TemplateResponseMixin",)
    )
    yield DjangoClass(
        _DETAIL + "DetailView",
        (_DETAIL + "SingleObjectTemplateResponseMixin", _DETAIL + "BaseDetailView"),
    )
    yield DjangoClass(_LIST + "MultipleObjectMixin", (_BASE + "ContextMixin",))
    yield DjangoClass(
        _LIST + "BaseListView", (_LIST + "MultipleObjectMixin", _BASE + "View"), ("get",)
    )
    yield DjangoClass(
        _LIST + "MultipleObjectTemplateResponseMixin", (_BASE + "TemplateResponseMixin",)
    )
    yield DjangoClass(
        _LIST + "ListView", (_LIST + "MultipleObjectTemplateResponseMixin", _LIST + "BaseListView")
    )
    yield DjangoClass(_EDIT + "FormMixin", (_BASE + "ContextMixin",))
    yield DjangoClass(
        _EDIT + "ModelFormMixin", (_EDIT + "FormMixin", _DETAIL + "SingleObjectMixin")
    )
    yield DjangoClass(
        _EDIT + "ProcessFormView", (_BASE + "View",), ("get", "post", "put"), (("put", "post"),)
    )
    yield DjangoClass(_EDIT + "BaseFormView", (_EDIT + "FormMixin", _EDIT + "ProcessFormView"))
    yield DjangoClass(_EDIT + "FormView", (_BASE + "TemplateResponseMixin", _EDIT + "BaseFormView"))
    for kind in ("Create", "Update"):
        yield DjangoClass(
            f"{_EDIT}Base{kind}View",
            (_EDIT + "ModelFormMixin", _EDIT + "ProcessFormView"),
            ("get", "post"),
        )
        yield DjangoClass(
            f"{_EDIT}{kind}View",
            (_DETAIL + "SingleObjectTemplateResponseMixin", f"{_EDIT}Base{kind}View"),
        )
    yield DjangoClass(_EDIT + "DeletionMixin", (), ("post", "delete"), (("post", "delete"),))
    yield DjangoClass(
        _EDIT + "BaseDeleteView",
        (_EDIT + "DeletionMixin", _EDIT + "FormMixin", _DETAIL + "BaseDetailView"),
        ("post",),
    )
    yield DjangoClass(
        _EDIT + "DeleteView",
        (_DETAIL + "SingleObjectTemplateResponseMixin", _EDIT + "BaseDeleteView"),
    )


DJANGO_CLASSES: Mapping[str, DjangoClass] = {
    c.name: c for c in (*_generic(), *_dates(), *_auth_and_contrib())
}
_BY_SHORT: Mapping[str, str] = {c.short: c.name for c in DJANGO_CLASSES.values()}
# Modules a view class can be imported from (its own, and the packages re-exporting it).
_VIEW_MODULES = frozenset(
    {c.name.rpartition(".")[0] for c in DJANGO_CLASSES.values()}
    | {"django.views", "django.views.generic"}
)


@dataclass(frozen=True)
class DispatchProblem:
    """How one of Django's ``dispatch`` methods breaks a view whose handlers are async.

    Each calls the handler synchronously and answers some requests itself (or through a
    sync-only decorator) with a plain response, which Django then awaits, or touches the
    coroutine as if it were a response. Verified on Django 4.1, 4.2, 5.0, 5.1, 5.2, 6.0 and
    6.1 (tests/runtime/test_cbv_runtime.py re-checks it with the installed Django).
    """

    who: Literal["every", "anonymous"]  # which requests fail
    why: str
    access_mixin: bool = False  # an AccessMixin: raise_exception = True avoids it


_NEVER_CACHE = (
    "wraps its dispatch in never_cache, which handles only sync views: every request fails "
    "with AttributeError ('coroutine' object has no attribute 'has_header')"
)
_LOGIN_REQUIRED = (
    "wraps its dispatch in login_required, which answers anonymous users with a sync redirect "
    "that Django then awaits: their requests fail with TypeError"
)
_ACCESS = (
    "answers anonymous users from its sync dispatch with a sync redirect (handle_no_permission) "
    "that Django then awaits: their requests fail with TypeError (Django ticket #37124)"
)
DISPATCH_PROBLEMS: Mapping[str, DispatchProblem] = {
    _AUTH + "LoginView": DispatchProblem("every", _NEVER_CACHE),
    LOGOUT_VIEW: DispatchProblem("every", _NEVER_CACHE),
    _AUTH + "PasswordResetConfirmView": DispatchProblem(
        "every",
        "wraps its dispatch in never_cache and answers from it with sync responses: every "
        "request fails with TypeError or AttributeError",
    ),
    _AUTH + "PasswordChangeView": DispatchProblem("anonymous", _LOGIN_REQUIRED),
    _AUTH + "PasswordChangeDoneView": DispatchProblem("anonymous", _LOGIN_REQUIRED),
    _MIX + "LoginRequiredMixin": DispatchProblem("anonymous", _ACCESS, access_mixin=True),
    _MIX + "PermissionRequiredMixin": DispatchProblem("anonymous", _ACCESS, access_mixin=True),
    _MIX + "UserPassesTestMixin": DispatchProblem("anonymous", _ACCESS, access_mixin=True),
}
# Django classes whose dispatch works for async views (it only calls super().dispatch()).
ASYNC_SAFE_DISPATCH = frozenset(
    {
        _BASE + "View",
        _AUTH + "PasswordResetView",
        _AUTH + "PasswordResetDoneView",
        _AUTH + "PasswordResetCompleteView",
        _DOCS + "BaseAdminDocsView",
    }
)


def django_class_name(qualified: str) -> str | None:
    """The canonical name of a Django view-graph class however it is imported, else None.

    ``django.views.generic.CreateView``, ``django.views.generic.edit.CreateView`` and
    ``django.views.View`` are names Django really exports; a module in the view graph can
    re-export any class it imports (``django.views.generic.edit.View``).
    """
    if qualified in DJANGO_CLASSES:
        return qualified
    module, _, short = qualified.rpartition(".")
    if module in _VIEW_MODULES and short in _BY_SHORT:
        return _BY_SHORT[short]
    return None


# Packages ``ViewResolver.lookup`` never looks for in the project: a name under one of them
# that is not a view-graph class is an outside name (its node has no bases).
_EXTERNAL_ROOTS = frozenset(
    {"django", "asgiref", "typing", "typing_extensions", "abc", "builtins", "functools"}
)


def outside_the_view_graph(cls: ClassInfo) -> bool:
    """True when ``VIEW`` cannot be in the MRO ``ViewResolver`` builds for ``cls``, read from
    its bases alone (no lookup, no node registered).

    So when each base is neutral (no node) or a name under ``_EXTERNAL_ROOTS`` that is not a
    view-graph class: ``lookup`` makes it an outside name, a node without bases, whatever the
    project or the open document holds. The MRO is then ``cls`` and those nodes (or an
    ``MroError``), and ``cls`` itself is not ``VIEW``. Most model, form, admin and test
    classes pass; any base that may reach the project or Django's views does not.
    """
    if (f"{cls.module}.{cls.qualname}" if cls.module else cls.qualname) == VIEW:
        return False  # a project that holds Django's own source (its ``class_key``)
    for base in cls.bases:
        if base in _NEUTRAL_BASES:
            continue
        if base.partition(".")[0] not in _EXTERNAL_ROOTS or django_class_name(base) is not None:
            return False
    return True


def _version_key(version: Version) -> str:
    """The fact sheet's label for ``version``'s feature release (nearest known one below it)."""
    table: dict[str, object] = facts()["logout"]["http_method_names"]
    release = feature_release(version)
    known = sorted((Version(v) for v in table), reverse=True)
    for candidate in known:
        if candidate <= release:
            return f"{candidate.major}.{candidate.minor}"
    return f"{known[-1].major}.{known[-1].minor}"


@cache
def django_class(name: str, version: Version) -> DjangoClass | None:
    """The Django class ``name`` (canonical) as it is in ``version`` (LogoutView changed in 5.0)."""
    found = DJANGO_CLASSES.get(name)
    if found is None or name != LOGOUT_VIEW:
        return found
    handlers: dict[str, list[str]] = facts()["async_cbv"]["generic_view_handlers"]
    defines = handlers[
        "auth.LogoutView 5.0+"
        if feature_release(version) >= Version("5.0")
        else "auth.LogoutView 4.1-4.2"
    ]
    methods: list[str] = facts()["logout"]["http_method_names"][_version_key(version)]
    # 4.x: ``get = post`` in the class body (an alias, not a delegation).
    return DjangoClass(found.name, found.bases, tuple(defines), (), tuple(methods))


# ---------------------------------------------------------------------------------------------
# Handlers and views
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Handler:
    """One HTTP handler as ``getattr(view_class, name)`` finds it."""

    name: str
    kind: Kind
    owner: str  # key of the defining class: ``module.Qualname`` or Django's canonical name
    via: str  # what to call its origin in messages: the project qualname or the Django view named
    own: bool  # defined in the analysed class's own body
    function: FunctionInfo | None = None  # the project def (for an alias, the alias entry)
    owner_class: ClassInfo | None = None  # the project class defining it
    note: str = ""  # why a decorator decided the kind
    delegates_to: str | None = None  # a Django handler that only returns self.<delegates_to>(...)
    kind_by_decorator: bool = False  # a decorator, not ``def``/``async def``, decided the kind

    @property
    def from_django(self) -> bool:
        return self.owner_class is None and self.owner in DJANGO_CLASSES


@dataclass(frozen=True)
class ViewAnalysis:
    """Everything djvet knows about one project view class's handlers."""

    cls: ClassInfo
    key: str  # ``module.Qualname``
    linearization: tuple[str, ...]  # the MRO as keys; unseen bases as ``?name``
    complete: bool  # every ancestor is a project class or in Django's view graph
    http_method_names: tuple[str, ...] | None  # None: not a literal djvet can read
    handlers: tuple[Handler, ...]  # present and certain, http_method_names order, options excluded
    uncertain: tuple[str, ...]  # names an unseen base may define
    options: Handler | None  # what OPTIONS runs (None: cannot tell)
    direct_bases: tuple[str | None, ...]  # key of each entry of cls.bases (None: unresolved)
    class_decorated: frozenset[str] = frozenset()  # names a class-level method_decorator wraps

    def mixed(self) -> tuple[Handler, list[Handler]] | None:
        """(the first handler, the handlers of the other kind) when the kinds certainly differ."""
        known = [h for h in self.handlers if h.kind != "unknown"]
        if {h.kind for h in known} != {"sync", "async"}:
            return None
        first = known[0]
        return first, [h for h in known if h.kind != first.kind]

    def view_kind(self) -> Kind:
        """Django's ``view_is_async`` answer, or "unknown" when djvet cannot be sure."""
        if not self.complete or self.http_method_names is None or self.uncertain:
            return "unknown"
        kinds = {h.kind for h in self.handlers}
        if not kinds:
            return "sync"
        if len(kinds) == 1:
            return next(iter(kinds))
        return "unknown"


@dataclass
class _Node:
    key: str
    bases: tuple[str, ...]
    project: ClassInfo | None = None
    django: DjangoClass | None = None
    # A project class's ``node_for`` of each of its written bases (None: a neutral base).
    direct: tuple[str | None, ...] = ()

    @property
    def unknown(self) -> bool:
        return self.project is None and self.django is None


@dataclass(frozen=True)
class _Target:
    kind: Literal["class", "function", "assignment", "external"]
    name: str  # class key, or the external qualified name
    path: str | None = None  # module path of a project object
    cls: ClassInfo | None = None
    function: FunctionInfo | None = None
    value: Value | None = None


def _in_a_tail(head: str, sequences: list[list[str]]) -> bool:
    """``any(head in s[1:] for s in sequences)`` without copying each tail."""
    for sequence in sequences:
        if head in sequence and (sequence[0] != head or head in sequence[1:]):
            return True
    return False


class MroError(Exception):
    """The bases cannot be linearised (a cycle, or an order Python would reject)."""


@dataclass
class ViewResolver:
    """Resolves names and linearises classes over one project (and the open document)."""

    project: ProjectIndex
    version: Version
    overlay: ModuleInfo | None = None  # the analysed document, fresher than the index
    _nodes: dict[str, _Node] = field(default_factory=dict)
    # ``node_for``'s answers: (base name, near) -> node key. ``lookup`` reads only the index
    # and the overlay, fixed for a resolver's life, and nodes are never taken out.
    _node_keys: dict[tuple[str, str | None], str | None] = field(default_factory=dict)
    _mros: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _subclassed: frozenset[str] | None = None
    # Per node key: (the node, the names ``_defined_in`` finds in its body).
    _defines: dict[str, tuple[_Node, frozenset[str]]] = field(default_factory=dict)
    # What ``analyze`` reads of an MRO past its first class, which view classes share (every
    # ``ListView`` of a project): (that tail, names sought) -> handlers found in it, and
    # tail -> (every node known, ``http_method_names(tail)``). Emptied when ``class_key``
    # replaces a node.
    _tail_handlers: dict[tuple[tuple[str, ...], frozenset[str]], dict[str, Handler]] = field(
        default_factory=dict
    )
    _tail_facts: dict[tuple[str, ...], tuple[bool, tuple[str, ...] | None]] = field(
        default_factory=dict
    )

    # -- names ---------------------------------------------------------------------------------
    def _module(self, module: str, near: str | None) -> ModuleInfo | None:
        if self.overlay is not None and self.overlay.module == module:
            return self.overlay
        found = self.project.find_module(module, near)
        if found is not None and self.overlay is not None and found.path == self.overlay.path:
            return self.overlay
        return found

    def lookup(self, name: str, near: str | None, depth: int = 0) -> _Target | None:
        """What a qualified name refers to: a project class/function/assignment or an outside name."""
        if depth > 8 or not name:
            return None
        canonical = django_class_name(name)
        if canonical is not None:
            return _Target("class", canonical)
        parts = name.split(".")
        if parts[0] in _EXTERNAL_ROOTS:
            return _Target("external", name)
        for cut in range(len(parts), 0, -1):
            module = self._module(".".join(parts[:cut]), near)
            if module is None:
                continue
            rest = parts[cut:]
            if not rest:
                return None
            attr = ".".join(rest)
            if attr in module.classes:
                info = module.classes[attr]
                return _Target("class", f"{module.module}.{attr}", module.path, cls=info)
            if len(rest) == 1 and rest[0] in module.functions:
                return _Target("function", name, module.path, function=module.functions[rest[0]])
            if rest[0] in module.imports:
                target = module.imports[rest[0]]
                tail = ".".join(rest[1:])
                return self.lookup(f"{target}.{tail}" if tail else target, module.path, depth + 1)
            if len(rest) == 1 and rest[0] in module.assignments:
                value = module.assignments[rest[0]]
                if isinstance(value, Ref):
                    return self.lookup(value.name, module.path, depth + 1)
                return _Target("assignment", name, module.path, value=value)
            return None
        return _Target("external", name)

    # -- classes ---------------------------------------------------------------------------------
    def node_for(self, name: str, near: str | None) -> str | None:
        """The node key of base ``name`` (registering it); None for a neutral base like object."""
        asked = (name, near)
        if asked in self._node_keys:
            return self._node_keys[asked]  # registered when first asked
        key = self._node_for(name, near)
        self._node_keys[asked] = key
        return key

    def _node_for(self, name: str, near: str | None) -> str | None:
        if name in _NEUTRAL_BASES:
            return None
        target = self.lookup(name, near)
        if target is not None and target.kind == "class":
            key = target.name
            if key not in self._nodes:
                if target.cls is not None:
                    self._nodes[key] = _Node(key, (), project=target.cls)  # placeholder: no cycle
                    direct = tuple(self.node_for(b, target.cls.path) for b in target.cls.bases)
                    bases = tuple(k for k in direct if k)
                    self._nodes[key] = _Node(key, bases, project=target.cls, direct=direct)
                else:
                    django = django_class(key, self.version)
                    assert django is not None
                    bases = tuple(k for k in (self.node_for(b, None) for b in django.bases) if k)
                    self._nodes[key] = _Node(key, bases, django=django)
            return key
        key = f"?{name}"
        self._nodes.setdefault(key, _Node(key, ()))
        return key

    def class_key(self, cls: ClassInfo) -> str:
        key = f"{cls.module}.{cls.qualname}" if cls.module else cls.qualname
        if key not in self._nodes or self._nodes[key].project is not cls:
            self._nodes[key] = _Node(key, (), project=cls)
            direct = tuple(self.node_for(b, cls.path) for b in cls.bases)
            bases = tuple(k for k in direct if k)
            self._nodes[key] = _Node(key, bases, project=cls, direct=direct)
            self._mros.pop(key, None)
            self._tail_handlers.clear()
            self._tail_facts.clear()
        return key

    def node(self, key: str) -> _Node:
        return self._nodes[key]

    def linearize(self, key: str, _active: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """The C3 MRO of node ``key`` (``object`` left out). Raises MroError like Python would."""
        known = self._mros
        if key in known:
            return known[key]
        if key in _active:
            raise MroError(f"inheritance cycle through {key}")
        active: frozenset[str] | None = None  # made when a base's MRO is still to be built
        mros: list[tuple[str, ...]] = []
        bases = self._nodes[key].bases
        for base in bases:
            mro = known.get(base)
            if mro is None:
                if active is None:
                    active = _active | {key}
                mro = self.linearize(base, active)
            mros.append(mro)
        if len(bases) == 1:
            # The merge of one base's MRO with ``[base]`` is that MRO (it starts with the base).
            known[key] = (key, *mros[0])
            return known[key]
        if len(mros) > 1:
            seen = {key}
            seen.update(*mros)
            if len(seen) == 1 + sum(map(len, mros)):
                # Bases with disjoint MROs (a mixin and a view): C3 takes each base's MRO
                # whole, in order (see ``test_disjoint_bases_linearize_like_python``).
                self._mros[key] = (key, *itertools.chain.from_iterable(mros))
                return self._mros[key]
        sequences = [list(mro) for mro in mros] + [list(bases)]
        result = [key]
        while True:
            sequences = [s for s in sequences if s]
            if not sequences:
                break
            for sequence in sequences:
                head = sequence[0]
                if not _in_a_tail(head, sequences):
                    break
            else:
                raise MroError(f"no consistent method resolution order for {key}")
            result.append(head)
            for sequence in sequences:
                if sequence[0] == head:
                    del sequence[0]
        self._mros[key] = tuple(result)
        return self._mros[key]

    # -- kinds -----------------------------------------------------------------------------------
    def function_kind(
        self, function: FunctionInfo, near: str | None, raw: Kind | None = None
    ) -> tuple[Kind, str]:
        """The kind ``iscoroutinefunction`` sees after the decorators, and a note when one decided."""
        kind: Kind = raw if raw is not None else ("async" if function.is_async else "sync")
        note = ""
        for decorator in reversed(function.decorators):
            kind, why = self.apply_decorator(decorator, kind, near)
            if why:
                note = why
        return kind, note

    def apply_decorator(self, decorator: Value, kind: Kind, near: str | None) -> tuple[Kind, str]:
        """(kind after ``decorator``, a note when it turns an async method into a broken sync one).

        The note is set for ``method_decorator`` before 5.2 and for a project decorator whose
        sync wrapper calls the method; ``async_to_sync`` makes a working sync function (no note).
        """
        if isinstance(decorator, Call):
            target = self.lookup(decorator.func, near)
            levels = 2
        elif isinstance(decorator, Ref):
            target = self.lookup(decorator.name, near)
            levels = 1
        else:
            return "unknown", ""
        if target is None:
            return "unknown", ""
        if target.kind == "assignment" and isinstance(target.value, Call) and levels == 1:
            inner = self.lookup(target.value.func, target.path)
            if inner is not None and inner.kind == "external" and inner.name == METHOD_DECORATOR:
                return self._method_decorator(kind)
            return "unknown", ""
        if target.kind == "external":
            if target.name == METHOD_DECORATOR and levels == 2:
                return self._method_decorator(kind)
            if target.name == SYNC_TO_ASYNC:
                return "async", ""
            if target.name == ASYNC_TO_SYNC:
                return "sync", ""
            if target.name in _KIND_PRESERVING and levels == 1:
                return kind, ""
            return "unknown", ""
        if target.kind == "function" and target.function is not None:
            shape = target.function.decorator_shape
            if shape is None or shape.levels != levels:
                return "unknown", ""
            if shape.wrapper in ("identity", "adaptive"):
                return kind, ""
            if shape.wrapper == "sync":
                # A sync wrapper that calls the async method returns its coroutine un-awaited.
                broken = kind == "async" and shape.calls_wrapped
                return "sync", f"@{target.function.name} wraps it in a sync def" if broken else ""
            return "async", ""
        return "unknown", ""

    def _method_decorator(self, kind: Kind) -> tuple[Kind, str]:
        if self.version >= METHOD_DECORATOR_KEEPS_ASYNC:
            return kind, ""
        if kind == "async":
            return "sync", "method_decorator wraps it in a sync function before Django 5.2"
        return "sync", ""

    def class_decorated_names(self, cls: ClassInfo) -> list[tuple[str, Call]]:
        """``@method_decorator(deco, name="get")`` on the class: (name, decorator call), bottom-up."""
        out = []
        for decorator in reversed(cls.decorators):
            if not isinstance(decorator, Call):
                continue
            target = self.lookup(decorator.func, cls.path)
            if target is None or target.kind != "external" or target.name != METHOD_DECORATOR:
                continue
            name = decorator.kwarg("name")
            if name is None and len(decorator.args) > 1:
                name = decorator.args[1]
            if isinstance(name, Lit) and isinstance(name.value, str):
                out.append((name.value, decorator))
        return out

    # -- handlers --------------------------------------------------------------------------------
    def _defined_in(self, node: _Node, name: str, via: str, analysed: str) -> Handler | None:
        """The handler ``name`` as ``node``'s own body defines it (None: not defined there)."""
        own = node.key == analysed
        if node.django is not None:
            if name not in node.django.defines:
                return None
            return Handler(
                name, "sync", node.key, via, own, delegates_to=node.django.delegate_of(name)
            )
        cls = node.project
        if cls is None:
            return None
        decorated = [d for n, d in self.class_decorated_names(cls) if n == name]
        if decorated:
            underlying = self.lookup_handler(
                self.linearize(node.key), name, analysed, skip_class_decorators=node.key
            )
            kind: Kind = underlying.kind if underlying is not None else "unknown"
            note = ""
            for _ in decorated:
                kind, why = self._method_decorator(kind) if kind != "unknown" else ("unknown", "")
                note = why or note
            return Handler(
                name, kind, node.key, cls.qualname, own,
                function=underlying.function if underlying else None, owner_class=cls,
                note=f"a class-level {note}" if note else "", kind_by_decorator=True,
            )  # fmt: skip
        function = cls.methods.get(name)
        if function is not None:
            if function.alias_of is None and name in cls.attrs:
                return Handler(name, "unknown", node.key, cls.qualname, own, function, cls)
            kind, note = self.function_kind(function, cls.path)
            by_decorator = kind != ("async" if function.is_async else "sync")
            return Handler(
                name, kind, node.key, cls.qualname, own, function, cls, note, None, by_decorator
            )
        if name in cls.attrs:
            value = cls.attrs[name]
            kind = "unknown"
            if isinstance(value, Lit):
                kind = "sync"  # ``put = None`` still counts: hasattr() is true, not a coroutine
            elif isinstance(value, Ref):
                target = self.lookup(value.name, cls.path)
                if target is not None and target.kind == "function" and target.function is not None:
                    kind, _ = self.function_kind(target.function, target.path)
            return Handler(
                name, kind, node.key, cls.qualname, own, None, cls, kind_by_decorator=True
            )
        return None

    def _names_defined(self, node: _Node) -> frozenset[str]:
        """The names ``_defined_in(node, name, ...)`` answers a handler for (not None)."""
        cached = self._defines.get(node.key)
        if cached is not None and cached[0] is node:
            return cached[1]
        if node.django is not None:
            names = frozenset(node.django.defines)
        elif node.project is not None:
            cls = node.project
            names = frozenset(
                (*cls.methods, *cls.attrs, *(n for n, _ in self.class_decorated_names(cls)))
            )
        else:
            names = frozenset()
        self._defines[node.key] = (node, names)
        return names

    def _handlers(
        self, mro: tuple[str, ...], names: Iterable[str], analysed: str
    ) -> dict[str, Handler]:
        """``lookup_handler(mro, name, analysed)`` of each name that finds one, with one walk
        of ``mro``: the first node whose body defines the name, none past an unknown node.

        ``mro`` starts with ``analysed``, a project class; what the walk finds past it is the
        same for every class with that tail (no handler there is ``own``, and ``_via`` skips
        project classes), so it is remembered per tail and the names still sought.
        """
        wanted = set(names)
        found: dict[str, Handler] = {}
        if not mro or self._walk(mro, mro[:1], wanted, analysed, found) or not wanted:
            return found
        tail = mro[1:]
        key = (tail, frozenset(wanted))
        from_tail = self._tail_handlers.get(key)
        if from_tail is None:
            from_tail = {}
            self._walk(tail, tail, wanted, analysed, from_tail)
            self._tail_handlers[key] = from_tail
        found.update(from_tail)
        return found

    def _walk(
        self,
        mro: tuple[str, ...],
        keys: tuple[str, ...],
        wanted: set[str],
        analysed: str,
        found: dict[str, Handler],
    ) -> bool:
        """``_handlers``'s walk over ``keys`` (a stretch of ``mro``), taking found names out of
        ``wanted``; True when it stopped at an unknown node."""
        nodes = self._nodes
        for key in keys:
            if not wanted:
                return False
            node = nodes[key]
            project = node.project
            if project is None and node.django is None:
                return True
            here = wanted.intersection(self._names_defined(node))
            if not here:
                continue
            wanted -= here
            via = project.qualname if project is not None else self._via(mro, key)
            for name in here:
                handler = self._defined_in(node, name, via, analysed)
                if handler is not None:
                    found[name] = handler
        return False

    def lookup_handler(
        self,
        mro: tuple[str, ...],
        name: str,
        analysed: str,
        skip_class_decorators: str | None = None,
    ) -> Handler | None:
        nodes = self._nodes
        for key in mro:
            node = nodes[key]
            project = node.project
            if project is None and node.django is None:  # ``node.unknown``, inlined: a hot loop
                return None
            if key == skip_class_decorators and project is not None:
                function = project.methods.get(name)
                if function is not None:
                    kind, note = self.function_kind(function, project.path)
                    return Handler(
                        name, kind, key, project.qualname, key == analysed, function, project, note
                    )
                continue
            if node.django is not None and name not in node.django.defines:
                continue  # what ``_defined_in`` answers, without working out ``via`` first
            # ``_via`` of a project class is its qualname (no MRO walk needed).
            via = project.qualname if project is not None else self._via(mro, key)
            found = self._defined_in(node, name, via, analysed)
            if found is not None:
                return found
        return None

    def _via(self, mro: tuple[str, ...], owner: str) -> str:
        """How a message names where ``owner``'s handler comes from: the Django view the user named."""
        node = self._nodes[owner]
        if node.project is not None:
            return node.project.qualname
        for key in mro:
            candidate = self._nodes[key]
            if candidate.django is not None and owner in self.linearize(key):
                return candidate.django.short
        return node.django.short if node.django is not None else owner

    def http_method_names(self, mro: tuple[str, ...]) -> tuple[str, ...] | None:
        """The effective ``http_method_names`` (unseen bases assumed not to set it)."""
        for key in mro:
            node = self._nodes[key]
            if node.django is not None and node.django.http_method_names is not None:
                return node.django.http_method_names
            if node.project is not None and "http_method_names" in node.project.attrs:
                return self._names_value(node.project.attrs["http_method_names"], node.project.path)
        return None

    def _names_value(self, value: Value, near: str) -> tuple[str, ...] | None:
        if isinstance(value, Seq):
            names = []
            for item in value.items:
                if isinstance(item, Lit) and isinstance(item.value, str):
                    names.append(item.value)
                elif isinstance(item, Ref) and item.name.endswith(".http_method_names"):
                    owner = self.lookup(item.name.rpartition(".")[0], near)
                    if owner is None or owner.kind != "class":
                        return None
                    inner = self.http_method_names(
                        self.linearize(self.node_for(owner.name, near) or "")
                    )
                    if inner is None:
                        return None
                    names.extend(inner)
                else:
                    return None
            return tuple(names)
        if isinstance(value, Ref) and value.name.endswith(".http_method_names"):
            owner = self.lookup(value.name.rpartition(".")[0], near)
            if owner is not None and owner.kind == "class":
                key = self.node_for(owner.name, near)
                return self.http_method_names(self.linearize(key)) if key else None
        return None

    def dispatch_problem(self, mro: tuple[str, ...]) -> tuple[str, DispatchProblem] | None:
        """The Django ``dispatch`` in the chain that breaks async handlers, if djvet is sure.

        Django's dispatch methods call ``super().dispatch()``, so every one in the MRO runs; a
        project (or unseen) class defining ``dispatch`` may change that, so the walk stops there.
        """
        for key in mro:
            node = self._nodes[key]
            if node.unknown:
                return None
            if node.project is not None:
                if "dispatch" in node.project.methods or "dispatch" in node.project.attrs:
                    return None
                continue
            problem = DISPATCH_PROBLEMS.get(key)
            if problem is None:
                continue
            if problem.access_mixin:
                redirects = self._access_mixin_redirects(mro)
                if redirects is None:
                    return None
                if not redirects:
                    continue
            return key, problem
        return None

    def _access_mixin_redirects(self, mro: tuple[str, ...]) -> bool | None:
        """Does AccessMixin.handle_no_permission redirect (True), raise (False), or unknown?"""
        raise_exception: bool | None = None
        for key in mro:
            cls = self._nodes[key].project
            if cls is None:
                continue
            if "handle_no_permission" in cls.methods or "handle_no_permission" in cls.attrs:
                return None
            if raise_exception is None and "raise_exception" in cls.attrs:
                value = cls.attrs["raise_exception"]
                if not isinstance(value, Lit):
                    return None
                raise_exception = bool(value.value)
        return not raise_exception

    def is_subclassed(self, key: str) -> bool:
        """True when some project class names ``key`` (a project class) as a base."""
        if self._subclassed is None:
            # ``lookup`` can land on a module-level function (one shadowing an imported
            # base's name), so a new or removed function may change the answer.
            self._subclassed = self.project.derived(
                "djvet.views.subclassed", self._collect_subclassed, reads_functions=True
            )
        return key in self._subclassed

    def _collect_subclassed(self) -> frozenset[str]:
        keys = set()
        for cls in self.project.classes():
            for base in cls.bases:
                target = self.lookup(base, cls.path)
                if target is not None and target.kind == "class" and target.cls is not None:
                    keys.add(target.name)
        return frozenset(keys)

    # -- the analysis ----------------------------------------------------------------------------
    def analyze(self, cls: ClassInfo) -> ViewAnalysis | None:
        """The handlers of project class ``cls``; None when it is not (certainly) a Django View."""
        key = self.class_key(cls)
        try:
            mro = self.linearize(key)
        except MroError:
            return None
        if VIEW not in mro:
            return None
        nodes = self._nodes
        tail = mro[1:]
        facts = self._tail_facts.get(tail)
        if facts is None:
            facts = self._tail_facts[tail] = (
                all(nodes[k].project is not None or nodes[k].django is not None for k in tail),
                self.http_method_names(tail),
            )
        complete = facts[0]  # ``mro[0]`` is ``cls``'s own node
        names = self.http_method_names(mro[:1]) if "http_method_names" in cls.attrs else facts[1]
        direct = nodes[key].direct  # ``node_for`` of each base, as ``class_key`` placed them
        decorated = frozenset(n for n, _ in self.class_decorated_names(cls))
        if names is None:
            return ViewAnalysis(cls, key, mro, complete, None, (), (), None, direct, decorated)
        handlers: list[Handler] = []
        uncertain: list[str] = []
        options: Handler | None = None
        seen: set[str] = set()
        lookup_mro = mro if complete else mro[:1]
        defined = self._handlers(lookup_mro, names, key)
        for name in names:
            if name in seen:
                continue
            seen.add(name)
            found = defined.get(name)
            if name == "options":
                options = (
                    found if complete else (found if found is not None and found.own else None)
                )
                continue
            if found is not None:
                handlers.append(found)
            elif not complete:
                uncertain.append(name)
        return ViewAnalysis(
            cls,
            key,
            mro,
            complete,
            names,
            tuple(handlers),
            tuple(uncertain),
            options,
            direct,
            decorated,
        )


# ---------------------------------------------------------------------------------------------
# Public questions other features ask
# ---------------------------------------------------------------------------------------------


def resolvers_shareable(project: ProjectIndex) -> bool:
    """True when one ``ViewResolver`` of the index answers every question the same whatever
    it was asked before, so every user of the index may share one (``index_resolver``).

    A resolver remembers the node it registered under each key; its answers could depend on
    the order of questions only if ``class_key`` replaced a node registered earlier: when two
    indexed classes share a key (``module.Qualname``), or a project class has the key of a
    Django view class (Django's own source). Module names are unique too, which makes the
    document overlay idle (``document_resolver``).
    """

    def build() -> bool:
        modules = project.modules.values()
        if len({module.module for module in modules}) != len(modules):
            return False  # two modules of one dotted name
        keys = [
            f"{cls.module}.{cls.qualname}" if cls.module else cls.qualname
            for module in modules
            for cls in module.classes.values()
        ]
        return len(set(keys)) == len(keys) and DJANGO_CLASSES.keys().isdisjoint(keys)

    return project.derived("djvet.views.resolvers-shareable", build, reads_functions=False)


def index_resolver(project: ProjectIndex, version: Version) -> ViewResolver:
    """The resolver of the index as it is, shared by every question about the index's own
    classes until the index changes (each class is placed and linearised once). Only for
    an index whose ``resolvers_shareable`` is true."""
    return project.derived(
        f"djvet.views.resolver.{version}", lambda: ViewResolver(project, version), reads_bodies=True
    )


def document_resolver(project: ProjectIndex, version: Version, module: ModuleInfo) -> ViewResolver:
    """A resolver that sees ``module`` (the checked document's facts) in place of the index's.

    When the index holds this very ``module`` object and no other module has its dotted name,
    the overlay changes no answer (``_module`` returns what ``find_module`` finds, and for the
    document's own name the one exact match), so the shared ``index_resolver`` serves.
    """
    if project.module_at(module.path) is module and resolvers_shareable(project):
        return index_resolver(project, version)
    return ViewResolver(project, version, module)


def analyze_view(project: ProjectIndex, cls: ClassInfo, version: Version) -> ViewAnalysis | None:
    """``cls``'s handlers under Django ``version``; None when it is not a View djvet can place."""
    return ViewResolver(project, version).analyze(cls)


def effective_handlers(
    project: ProjectIndex, cls: ClassInfo, version: Version
) -> dict[str, Handler] | None:
    """{name: Handler} of every handler in the effective http_method_names, ``options`` included.

    None when ``cls`` is not a View, its bases cannot all be seen, or http_method_names is not
    a literal. Names the class does not have are absent (``head`` only when something defines it).
    """
    analysis = analyze_view(project, cls, version)
    if analysis is None or not analysis.complete or analysis.http_method_names is None:
        return None
    out = {h.name: h for h in analysis.handlers}
    if analysis.options is not None:
        out["options"] = analysis.options
    return out


def effective_http_method_names(
    project: ProjectIndex, cls: ClassInfo, version: Version
) -> tuple[str, ...] | None:
    """``cls.http_method_names`` as Django will read it, or None when djvet cannot tell."""
    analysis = analyze_view(project, cls, version)
    if analysis is None or not analysis.complete:
        return None
    return analysis.http_method_names


def async_dispatch_problem(
    project: ProjectIndex, cls: ClassInfo, version: Version
) -> tuple[str, DispatchProblem] | None:
    """(Django class, problem) when ``cls``'s dispatch chain breaks async handlers (see DJV203)."""
    resolver = ViewResolver(project, version)
    analysis = resolver.analyze(cls)
    if analysis is None:
        return None
    return resolver.dispatch_problem(analysis.linearization)


def django_ancestors(project: ProjectIndex, cls: ClassInfo, version: Version) -> tuple[str, ...]:
    """Canonical names of the Django view-graph classes in ``cls``'s MRO, in MRO order."""
    resolver = ViewResolver(project, version)
    try:
        mro = resolver.linearize(resolver.class_key(cls))
    except MroError:
        return ()
    return tuple(k for k in mro if resolver.node(k).django is not None)


# ---------------------------------------------------------------------------------------------
# One document, shared by the DJV2xx rules
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentViews:
    """The view classes of one document with their AST nodes."""

    module: ModuleInfo
    resolver: ViewResolver
    views: tuple[ViewAnalysis, ...]
    nodes: Mapping[str, ast.ClassDef]  # qualname -> node

    def node(self, analysis: ViewAnalysis) -> ast.ClassDef | None:
        return self.nodes.get(analysis.cls.qualname)


def class_nodes(tree: ast.Module) -> dict[str, ast.ClassDef]:
    """Qualname -> ClassDef for the classes the index extracts (module level and nested)."""
    out: dict[str, ast.ClassDef] = {}
    _collect_classes(tree.body, "", out)
    return out


def _collect_classes(body: list[ast.stmt], prefix: str, out: dict[str, ast.ClassDef]) -> None:
    # A module-level function, not a closure that calls itself: such a closure is a reference
    # cycle (function -> cell -> function) that keeps ``out`` and every ClassDef in it (so the
    # whole tree) alive until the cyclic collector runs, which the server runs rarely.
    for stmt in body:
        if isinstance(stmt, ast.ClassDef):
            qualname = f"{prefix}{stmt.name}"
            out[qualname] = stmt
            members = [
                s for s in stmt.body if not (isinstance(s, ast.ClassDef) and s.name == "Meta")
            ]
            _collect_classes(members, f"{qualname}.", out)
        elif isinstance(stmt, ast.If) and not prefix:
            _collect_classes(stmt.body, prefix, out)
            _collect_classes(stmt.orelse, prefix, out)
        elif isinstance(stmt, ast.Try) and not prefix:
            _collect_classes(stmt.body, prefix, out)
            for handler in stmt.handlers:
                _collect_classes(handler.body, prefix, out)
            _collect_classes(stmt.orelse, prefix, out)
            _collect_classes(stmt.finalbody, prefix, out)


def document_module(ctx: CheckContext) -> ModuleInfo:
    """The index's facts for the document, re-extracted when the index holds older text."""
    path = ctx.document.path
    digest = digest_text(ctx.text)
    if path:
        indexed = ctx.project.module_at(path)
        if indexed is not None and indexed.digest == digest:
            return indexed
    key = ctx.project.key(path) if path else "<document>"
    module = module_name(ctx.project.root, Path(key)) if path else "__document__"
    return extract_module(ctx.python, module, key, digest)


def analyze_document(ctx: CheckContext) -> DocumentViews:
    """Every view class of the document, analysed once for all DJV2xx rules (``ctx.shared``)."""

    def build() -> DocumentViews:
        module = document_module(ctx)
        resolver = document_resolver(ctx.project, ctx.django_version, module)
        views = []
        for cls in module.classes.values():
            analysis = resolver.analyze(cls)
            if analysis is not None:
                views.append(analysis)
        return DocumentViews(module, resolver, tuple(views), class_nodes(ctx.python.tree))

    return ctx.shared("djvet.core.django.views", build)


# ---------------------------------------------------------------------------------------------
# Edits the fixes share
# ---------------------------------------------------------------------------------------------


def base_spans(source: PythonSource, node: ast.ClassDef) -> list[Span]:
    """Spans of the base expressions, aligned with ``ClassInfo.bases`` (dotted and ``X[T]`` bases)."""
    spans = []
    for base in node.bases:
        inner = base.value if isinstance(base, ast.Subscript) else base
        if dotted(inner) is not None:
            spans.append(source.span(base))
    return spans


def method_nodes(node: ast.ClassDef) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """The defs of a class body by name (the last definition wins, as at runtime)."""
    out: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[stmt.name] = stmt
    return out


_ASYNC_ONLY_NAMES = frozenset(
    {"asyncio", "sync_to_async", "async_to_sync", "markcoroutinefunction", "iscoroutinefunction"}
)


def needs_async(node: ast.AsyncFunctionDef) -> bool:
    """True unless the body uses nothing that only works in a coroutine (no await/async for/with).

    An ``async def`` without any of these is async only by accident; as a ``def`` it behaves the
    same, except that it runs in a worker thread instead of the event loop.
    """
    for sub in ast.walk(node):
        if sub is node:
            continue
        if isinstance(
            sub,
            (
                ast.Await,
                ast.AsyncFor,
                ast.AsyncWith,
                ast.AsyncFunctionDef,
                ast.Yield,
                ast.YieldFrom,
            ),
        ):
            return True
        if isinstance(sub, ast.comprehension) and sub.is_async:
            return True
        if isinstance(sub, ast.Name) and sub.id in _ASYNC_ONLY_NAMES:
            return True
        if isinstance(sub, ast.Attribute) and sub.attr in _ASYNC_ONLY_NAMES:
            return True
    return False


def make_async_edit(source: PythonSource, node: ast.FunctionDef) -> Edit:
    """Insert ``async `` before the ``def`` keyword."""
    line = node.lineno - 1
    column = source.column(line, node.col_offset)
    return Edit(Span(line, column, line, column), "async ")


def make_sync_edit(source: PythonSource, node: ast.AsyncFunctionDef) -> Edit | None:
    """Remove the ``async`` keyword (and the blanks after it) of an ``async def``."""
    line = node.lineno - 1
    column = source.column(line, node.col_offset)
    text = source.lines.line_text(line)
    if not text.startswith("async", column):
        return None
    end = column + len("async")
    while end < len(text) and text[end] in " \t":
        end += 1
    if not text.startswith("def", end):
        return None
    return Edit(Span(line, column, line, end), "")


@dataclass(frozen=True)
class ClassLayout:
    """Where and how to add methods at the end of a class body."""

    indent: str  # of the body statements
    unit: str  # one more level
    insert_at: Span
    newline: str
    at_eof: bool  # the class ends the file without a trailing newline


def class_layout(source: PythonSource, node: ast.ClassDef) -> ClassLayout | None:
    """The body indentation and the insertion point after the last statement, when regular."""
    if not node.body:
        return None
    first = node.body[0]
    class_line = source.lines.line_text(node.lineno - 1)
    body_line = source.lines.line_text(first.lineno - 1)
    if first.lineno == node.lineno:
        return None  # ``class V(View): pass`` on one line
    class_indent = class_line[: len(class_line) - len(class_line.lstrip(" \t"))]
    body_indent = body_line[: len(body_line) - len(body_line.lstrip(" \t"))]
    if source.column(first.lineno - 1, first.col_offset) != len(body_indent):
        return None
    if not body_indent.startswith(class_indent) or len(body_indent) <= len(class_indent):
        return None
    unit = body_indent[len(class_indent) :]
    last_line = (node.body[-1].end_lineno or node.body[-1].lineno) - 1
    newline = source.newline
    if last_line + 1 >= source.lines.line_count:
        end = len(source.lines.line_text(last_line))
        return ClassLayout(body_indent, unit, Span(last_line, end, last_line, end), newline, True)
    return ClassLayout(body_indent, unit, Span(last_line + 1, 0, last_line + 1, 0), newline, False)


def add_methods_edit(layout: ClassLayout, methods: list[tuple[str, str]]) -> Edit:
    """One edit appending ``async def name(self, request, *args, **kwargs): <body line>`` methods."""
    nl = layout.newline
    parts = []
    for name, body in methods:
        parts.append(
            f"{nl}{layout.indent}async def {name}(self, request, *args, **kwargs):{nl}"
            f"{layout.indent}{layout.unit}{body}{nl}"
        )
    text = "".join(parts)
    if layout.at_eof:
        text = nl + text.rstrip("\r\n")
    return Edit(layout.insert_at, text)


def handler_location(
    doc: DocumentViews, analysis: ViewAnalysis, handler: Handler, source: PythonSource
) -> tuple[Span, str | None]:
    """Where to point for ``handler``: its def, or the base of the class it comes through.

    Returns (span, path), path None for the analysed document itself. A handler Django defines
    points at the base expression in the class statement that brings it in.
    """
    owner = handler.owner_class
    if owner is not None:
        span = handler.function.name_span if handler.function is not None else owner.name_span
        return span, None if owner.path == doc.module.path else owner.path
    return base_span_for(doc, analysis, handler.owner, source), None


def base_span_for(
    doc: DocumentViews, analysis: ViewAnalysis, owner: str, source: PythonSource
) -> Span:
    """The base expression in the class statement through which ``owner`` is inherited."""
    node = doc.node(analysis)
    if node is not None:
        spans = base_spans(source, node)
        for index, key in enumerate(analysis.direct_bases):
            if key is None or index >= len(spans):
                continue
            try:
                if owner in doc.resolver.linearize(key):
                    return spans[index]
            except MroError:
                continue
    return analysis.cls.name_span


def join_words(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def handler_label(handler: Handler) -> str:
    """``put (inherited from CreateView)``, ``get (= post)``, ``get (method_decorator ...)``."""
    extra = []
    if handler.own and handler.function is not None and handler.function.alias_of:
        extra.append(f"= {handler.function.alias_of}")
    if not handler.own:
        extra.append(f"inherited from {handler.via}")
    if handler.note:
        extra.append(handler.note)
    return f"{handler.name} ({'; '.join(extra)})" if extra else handler.name


def handler_labels(handlers: list[Handler]) -> str:
    """Labels joined, handlers with the same origin grouped: ``post and put (inherited from X)``."""
    groups: list[tuple[list[str], str]] = []
    for handler in handlers:
        label = handler_label(handler)
        name, _, extra = label.partition(" ")
        for names, group_extra in groups:
            if group_extra == extra and extra:
                names.append(name)
                break
        else:
            groups.append(([name], extra))
    return join_words([f"{join_words(names)} {extra}".rstrip() for names, extra in groups])


def class_fix_is_valid(ctx: CheckContext, node: ast.ClassDef, edits: list[Edit]) -> bool:
    """``fix_keeps_valid`` for edits inside one class statement plus module-level import edits.

    The class statement is re-parsed on its own (under an ``if True:`` when it is indented),
    and the edits outside it (the import) once per document, so a file with hundreds of views
    does not re-parse the whole module for every finding. A document that did not parse
    whole gets no fixes at all (the result could not parse either).
    """
    source = ctx.python
    if source.recovered:
        return False
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
    last = (node.end_lineno or node.lineno) - 1
    inside: list[Edit] = []
    outside: list[Edit] = []
    for edit in edits:
        span = edit.span
        after_last = span.line == span.end_line == last + 1 and span.column == span.end_column == 0
        if first <= span.line and (span.end_line <= last or after_last):
            inside.append(edit)
        else:
            outside.append(edit)
    if outside:
        key = "djvet.core.django.views.outside-edits-valid:" + repr(sorted(outside, key=repr))

        def whole() -> bool:
            return fix_keeps_valid(ctx.text, outside)

        if not ctx.shared(key, whole):
            return False
    if not inside:
        return True
    lines = source.lines
    region = source.text[lines.line_start(first) : lines.line_start(last + 1)]
    shifted = [
        Edit(
            Span(e.span.line - first, e.span.column, e.span.end_line - first, e.span.end_column),
            e.text,
        )
        for e in inside
    ]
    try:
        text = apply_edits(region, shifted)
    except ValueError:
        return False
    if source.column(node.lineno - 1, node.col_offset) > 0:
        text = "if True:\n" + text
    return parses(text)
