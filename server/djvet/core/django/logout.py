"""What a route does when a browser sends GET to it, when that route is a logout.

The DJV1xx rules ask one question of every URL a link, a test request or a redirect points
at: does this view *reject or deprecate* GET (Django's ``LogoutView``, the admin's logout,
``logout_then_login``, a project logout view restricted to POST), does it *log out on GET*
(a project view calling ``django.contrib.auth.logout`` with no method restriction), or is it
no logout / unknown (stay silent)? Facts come from the fact sheet (section A) and the
static index; the class-based answer uses the view hierarchy of ``views.py``.

The second half reads one Python document: which of its routed views log users out on GET
(DJV103), following ``request.method`` tests so ``if request.method == "POST": logout(...)``
is not reported.
"""

from __future__ import annotations

import ast
import bisect
import enum
import functools
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from packaging.version import Version

from ..project import ProjectIndex
from ..python.facts import (
    Call,
    ClassInfo,
    FunctionInfo,
    Lit,
    ModuleInfo,
    Qualifier,
    Ref,
    Seq,
    Value,
    dotted,
)
from ..types import Severity
from .urls import LOGOUT_VIEW, Route, UrlIndex, ViewSpec, literal_prefix
from .views import (
    DJANGO_CLASSES,
    Handler,
    MroError,
    ViewAnalysis,
    ViewResolver,
    index_resolver,
    resolvers_shareable,
)

if TYPE_CHECKING:
    from ..python.parse import PythonSource

LOGOUT_FUNCTIONS = frozenset({"django.contrib.auth.logout", "django.contrib.auth.alogout"})
LOGOUT_THEN_LOGIN = "django.contrib.auth.views.logout_then_login"
CONFIRMING_LOGOUTS = frozenset(  # show a confirmation page on GET (django-allauth's default)
    {"allauth.account.views.logout", "allauth.account.views.LogoutView"}
)
REQUIRE_POST = "django.views.decorators.http.require_POST"
REQUIRE_GET = "django.views.decorators.http.require_GET"
REQUIRE_SAFE = "django.views.decorators.http.require_safe"
REQUIRE_METHODS = "django.views.decorators.http.require_http_methods"
METHOD_DECORATOR = "django.utils.decorators.method_decorator"
GET_REMOVED = Version("5.0")  # LogoutView answers GET with 405
GET_DEPRECATED = Version("4.1")  # LogoutView warns on GET
_MAX_CALL_DEPTH = 3

Methods = frozenset[str] | None | Literal[False]
"""Methods a decorator lets through: None when it does not restrict, False when unreadable."""


class Behaviour(enum.Enum):
    REJECTS = "rejects"  # GET gets 405, or Django's LogoutView logs out with a deprecation warning
    LOGS_OUT = "logs-out"  # GET logs the user out
    NOT_LOGOUT = (
        "not-logout"  # GET does not log out (a page, a confirmation form, no logout at all)
    )
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class LogoutTarget:
    """How a route's view answers GET, and how to talk about it."""

    behaviour: Behaviour
    django_logout: (
        bool  # the answer is Django's LogoutView's own (405 from 5.0, deprecated 4.1–4.2)
    )
    label: str  # "LogoutView", "admin logout view (a LogoutView)", "accounts.views.logout_post"
    reason: str = ""  # project views: why GET is refused ("@require_POST")
    route: Route | None = None
    query_moves: bool = False  # query parameters may become POST fields: the view reads them so

    def subject(self, version: Version) -> str:
        """How a message names the view: "Django 5.2's LogoutView", "accounts.views.Out"."""
        release = f"{version.major}.{version.minor}"
        if self.django_logout and "." not in self.label.split(" ", 1)[0]:
            return f"Django {release}'s {self.label}"
        return self.label

    def severity(self, version: Version) -> Severity:
        """Error where GET is refused (405), warning where deprecated (4.1–4.2), hint before."""
        if not self.django_logout:
            return Severity.ERROR
        return {"405": Severity.ERROR, "deprecated": Severity.WARNING}.get(
            version_effect(version), Severity.HINT
        )

    def consequence(self, version: Version, what: str, csrf_note: bool = True) -> str:
        """What GET to this view does in ``version``, said of ``what`` ("this link").

        ``csrf_note``: add that a GET logout lets any page log users out (not for tests).
        """
        hole = (
            ", and a GET logout is a CSRF hole: any page can log your users out"
            if csrf_note
            else ""
        )
        release = f"{version.major}.{version.minor}"
        subject = self.subject(version)
        if not self.django_logout:
            return (
                f"{subject} only accepts POST ({self.reason}): {what} gets 405 Method Not Allowed "
                "and does not log out"
            )
        effect = version_effect(version)
        if effect == "405":
            if subject.startswith("Django"):
                return (
                    f"{subject} answers GET with 405 Method Not Allowed: {what} no longer logs out"
                )
            return (
                f"{subject} answers GET with 405 Method Not Allowed in Django {release}: "
                f"{what} no longer logs out"
            )
        if effect == "deprecated":
            return (
                f"logging out via GET ({subject}) is deprecated since Django 4.1 and removed in 5.0 "
                f"(405 there){hole}"
            )
        return (
            f"{subject} still logs out on GET in Django {release}, but 4.1 deprecates it and 5.0 "
            f"answers 405{hole}"
        )


UNKNOWN = LogoutTarget(Behaviour.UNKNOWN, False, "")
NOT_LOGOUT = LogoutTarget(Behaviour.NOT_LOGOUT, False, "")


def version_effect(version: Version) -> str:
    """What Django's LogoutView does with GET in ``version``: "405", "deprecated" or "works"."""
    if version >= GET_REMOVED:
        return "405"
    if version >= GET_DEPRECATED:
        return "deprecated"
    return "works"


# ---------------------------------------------------------------------------------------------
# Method restrictions
# ---------------------------------------------------------------------------------------------


def allowed_methods(decorators: Iterable[Value]) -> Methods:
    """HTTP methods Django's method decorators let through (None: no restriction found).

    ``False`` when a restriction is present but unreadable (``require_http_methods(METHODS)``).
    """
    allowed: frozenset[str] | None = None
    for decorator in decorators:
        found = _decorator_methods(decorator)
        if found is False:
            return False
        if found is None:
            continue
        allowed = found if allowed is None else allowed & found
    return allowed


def _decorator_methods(decorator: Value) -> Methods:
    if isinstance(decorator, Ref):
        if decorator.name == REQUIRE_POST:
            return frozenset({"POST"})
        if decorator.name == REQUIRE_GET:
            return frozenset({"GET"})
        if decorator.name == REQUIRE_SAFE:
            return frozenset({"GET", "HEAD"})
        return None
    if isinstance(decorator, Call):
        if decorator.func == REQUIRE_METHODS:
            return _literal_methods(
                decorator.args[0] if decorator.args else decorator.kwarg("request_method_list")
            )
        if decorator.func in (REQUIRE_POST, REQUIRE_GET, REQUIRE_SAFE) and decorator.args:
            return _decorator_methods(Ref(decorator.func))  # require_POST(view) in a URLconf
        if decorator.func == f"{REQUIRE_METHODS}()":
            inner = decorator.inner
            return _decorator_methods(inner) if inner is not None else False
    return None


def _literal_methods(value: Value | None) -> frozenset[str] | Literal[False]:
    if isinstance(value, Seq) and all(
        isinstance(i, Lit) and isinstance(i.value, str) for i in value.items
    ):
        return frozenset(str(i.value) for i in value.items if isinstance(i, Lit))
    return False


def _class_restriction(cls: ClassInfo) -> Methods:
    """``@method_decorator(require_POST, name="dispatch")`` on a class."""
    return allowed_methods(_class_dispatch_decorators(cls))


def _class_dispatch_decorators(cls: ClassInfo) -> list[Value]:
    restrictions: list[Value] = []
    for decorator in cls.decorators:
        if isinstance(decorator, Call) and decorator.func == METHOD_DECORATOR and decorator.args:
            name = decorator.kwarg("name") or (
                decorator.args[1] if len(decorator.args) > 1 else None
            )
            if isinstance(name, Lit) and name.value == "dispatch":
                inner = decorator.args[0]
                items = inner.items if isinstance(inner, Seq) else (inner,)
                restrictions.extend(items)
    return restrictions


def describe_methods(allowed: frozenset[str]) -> str:
    return ", ".join(sorted(allowed)) or "no method"


def restriction_source(decorators: Iterable[Value]) -> str:
    """How a message names the decorator that refuses GET (``@require_POST``)."""
    for decorator in decorators:
        found = _decorator_methods(decorator)
        if isinstance(found, frozenset) and "GET" not in found:
            name = (
                decorator.name
                if isinstance(decorator, Ref)
                else decorator.func
                if isinstance(decorator, Call)
                else ""
            )
            short = name.rstrip("()").rpartition(".")[2]
            if short == "require_http_methods":
                return f"@require_http_methods([{', '.join(repr(m) for m in sorted(found))}])"
            return f"@{short}"
    return "a method decorator"


# ---------------------------------------------------------------------------------------------
# Does this function / handler log out?
# ---------------------------------------------------------------------------------------------


def function_logs_out(
    project: ProjectIndex, function: FunctionInfo, near: str, depth: int = 0
) -> bool | None:
    """True when ``function`` calls ``logout``/``alogout`` (directly or through project
    functions); None when it hands the request to Django's logout views; else False."""
    if function.deferred is not None and not may_log_out(project, function):
        return False  # what the walk below answers, without summarising the body
    if function.calls & LOGOUT_FUNCTIONS:
        return True
    if LOGOUT_THEN_LOGIN in function.calls or f"{LOGOUT_VIEW}.as_view" in function.calls:
        return None
    if depth >= _MAX_CALL_DEPTH:
        return False
    for name in function.calls:
        if name.startswith(("django.", "self.", "super")) or "." not in name:
            continue
        found = project.resolve(name, near)
        if found is not None and found.kind == "function":
            inner = function_logs_out(project, found.obj, found.module.path, depth + 1)
            if inner is not False:
                return inner
    return False


# Qualified callees that make ``function_logs_out`` answer by themselves (True or None).
_LOGOUT_CALLEES = frozenset({*LOGOUT_FUNCTIONS, LOGOUT_THEN_LOGIN, f"{LOGOUT_VIEW}.as_view"})
_LOGOUT_TARGETS = _LOGOUT_CALLEES | {LOGOUT_VIEW}  # what an import alias may stand for
# Text a call of one of them spells, whatever the module imports (see ``LogoutScreen``).
_LOGOUT_TEXT = ("logout", "LogoutView")
# Past this many words to look for, the screen gives up (every function may log out).
_MAX_SCREEN_WORDS = 64


@dataclass(frozen=True)
class LogoutScreen:
    """Which functions of the index ``function_logs_out`` may answer other than False for,
    read from their text, without summarising deferred bodies.

    ``function_logs_out(f, depth=d)`` is not False only when ``f`` calls one of
    ``_LOGOUT_CALLEES`` (level 0) or, for ``d < _MAX_CALL_DEPTH``, a project function ``g``
    that ``resolve`` finds and for which ``function_logs_out(g, depth=d + 1)`` is not False.
    A call's qualified name (``qualify_name`` of the dotted callee) keeps the callee's last
    identifier unless the callee is one bare imported name; ``resolve`` keeps the last part
    unless it follows an import of that very name (``from .a import b as c``). So:

    - a call of ``_LOGOUT_CALLEES`` spells ``logout`` (``alogout``, ``logout_then_login``),
      ``LogoutView``, or an import alias of one of them or of ``LogoutView`` (``LV.as_view()``);
    - a call that resolves to ``g`` spells ``g``'s name in its module or class, or a local
      name that some import binds to a name already spelled so (the renames' closure).

    ``may`` holds every function whose text (or, for a function already summarised, whose
    calls' last parts) shows such a spelling, over ``_MAX_CALL_DEPTH`` rounds: a function not
    in it calls no logout at any depth. In ASCII text an identifier is spelled as the AST
    holds it; a non-ASCII text (which may spell one with characters that NFKC-normalise to
    it) is kept. ``everything``: too many words to look for, no function is screened out.
    """

    may: frozenset[int]  # ids of the functions that may log out
    known: frozenset[int]  # ids of every function screened
    # The screened functions, kept alive so that an id in ``known`` is theirs alone.
    functions: tuple[FunctionInfo, ...]
    everything: bool = False
    # The names (in their module's ``functions`` or class's ``methods``) of those in ``may``.
    names: frozenset[str] = frozenset()
    # Last part of an import target -> each other local name some import binds it to.
    renames: Mapping[str, set[str]] = field(default_factory=dict)

    def may_log_out(self, function: FunctionInfo) -> bool:
        key = id(function)
        if self.everything or key not in self.known:
            return True  # not screened (a function of a later index state): ask the walk
        return key in self.may


def _read_imports(
    import_maps: Iterable[Mapping[str, str]], renames: dict[str, set[str]]
) -> set[int]:
    """Add to ``renames[last part of a target]`` each local name binding it under another
    name, map after map; return the ids of the maps binding a logout (those
    ``_logout_aliases`` finds one in). One comprehension reads them all: an index has tens of
    thousands of imports, nearly all binding a name to itself and none binding a logout."""
    binding_logout: set[int] = set()
    for owner, local, target in [
        (imports, local, target)
        for imports in import_maps
        for local, target in imports.items()
        if target in _LOGOUT_TARGETS or target.rpartition(".")[2] != local
    ]:
        last = target.rpartition(".")[2]
        if local != last:
            renames.setdefault(last, set()).add(local)
        if target in _LOGOUT_TARGETS:
            binding_logout.add(id(owner))
    return binding_logout


def _logout_aliases(imports: Mapping[str, str]) -> tuple[str, ...]:
    """Local names ``imports`` binds to one of ``_LOGOUT_CALLEES`` or to ``LogoutView``."""
    if _LOGOUT_TARGETS.isdisjoint(imports.values()):
        return ()
    return tuple(local for local, target in imports.items() if target in _LOGOUT_TARGETS)


_DEFERRED = operator.attrgetter("deferred")
# The words of ``_LOGOUT_TEXT`` found in one pass: each holds this probe at the offset given.
_LOGOUT_PROBE = "ogout"
_LOGOUT_SPELLINGS = tuple((word, word.index(_LOGOUT_PROBE)) for word in _LOGOUT_TEXT)


def build_logout_screen(project: ProjectIndex) -> LogoutScreen:
    """``LogoutScreen`` of the whole index (one ``str.find`` pass per word over all texts)."""
    # One pass over the index (the CLI builds this screen in every worker): each function's
    # name in its module or class, the function, and its deferred body's text or not.
    names: list[str] = []
    functions: list[FunctionInfo] = []
    # last part of an import target -> other local names; the imports binding a logout
    renames: dict[str, set[str]] = {}
    binding_logout = _read_imports((module.imports for module in project.modules.values()), renames)
    imports_of: dict[str, dict[str, str]] = {}  # module name -> its imports
    for module in project.modules.values():
        imports_of[module.module] = module.imports
        if module.functions:
            names.extend(module.functions)
            functions.extend(module.functions.values())
        for cls in module.classes.values():
            if cls.methods:
                names.extend(cls.methods)
                functions.extend(cls.methods.values())
    texts: list[str] = []  # the deferred bodies' texts, in the order of ``functions``
    summarised: list[int] = []
    qualifiers: dict[int, Qualifier] = {}  # by id: the deferred bodies' naming contexts
    # Runs of consecutive deferred functions sharing a qualifier (a module's functions share
    # theirs): (qualifier, first, end) over ``texts``.
    runs: list[tuple[Qualifier, int, int]] = []
    last: Qualifier | None = None
    start = 0
    for index, deferred in enumerate(map(_DEFERRED, functions)):
        if deferred is None:
            summarised.append(index)
            continue
        if deferred.qualifier is not last:
            if last is not None:
                runs.append((last, start, len(texts)))
            last = deferred.qualifier
            start = len(texts)
            qualifiers[id(last)] = last
        texts.append(deferred.text)
    if last is not None:
        runs.append((last, start, len(texts)))
    # text_owner[i]: the index into ``functions`` of texts[i]'s function.
    if summarised:
        skipped = set(summarised)
        text_owner = [index for index in range(len(functions)) if index not in skipped]
    else:  # every body deferred (the CLI's index)
        text_owner = list(range(len(functions)))
    may = {  # indexes into ``functions``
        index for index in summarised if not _LOGOUT_CALLEES.isdisjoint(functions[index].calls)
    }
    aliased: set[int] = set()  # ids of the qualifiers that import a logout under some name
    for qualifier in qualifiers.values():
        imports = qualifier.imports  # the module's, unless the index moved on
        known = imports_of.get(qualifier.module)
        if imports is known:
            if id(imports) in binding_logout:  # ``_logout_aliases(imports)`` finds some
                aliased.add(id(qualifier))
            continue
        if imports != known:
            _read_imports((imports,), renames)
        if _logout_aliases(imports):
            aliased.add(id(qualifier))
    for qualifier, first, end in runs if aliased else ():
        if id(qualifier) in aliased:
            aliases = _logout_aliases(qualifier.imports)
            for at in range(first, end):
                if any(alias in texts[at] for alias in aliases):
                    may.add(text_owner[at])
    joined = "\0".join(texts)  # no word holds a NUL: a match lies inside one text
    # Where each text starts in ``joined``, and its end: the lengths before it, one NUL each.
    lengths = itertools.accumulate(map(len, texts), initial=0)
    starts = list(map(operator.add, lengths, range(len(texts) + 1)))
    if not joined.isascii():
        may.update(text_owner[i] for i, text in enumerate(texts) if not text.isascii())

    def search(word: str, spellings: tuple[tuple[str, int], ...] = ()) -> None:
        """Mark the texts holding ``word`` or, given ``spellings``, one of those words (each
        holds ``word`` at the offset given; a hit that none of them matches goes on)."""
        position = joined.find(word)
        while position >= 0:
            if spellings and not any(
                position >= offset and joined.startswith(spelled, position - offset)
                for spelled, offset in spellings
            ):
                position = joined.find(word, position + 1)
                continue
            at = bisect.bisect_right(starts, position) - 1
            may.add(text_owner[at])
            position = joined.find(word, starts[at + 1])

    search(_LOGOUT_PROBE, _LOGOUT_SPELLINGS)  # every word of ``_LOGOUT_TEXT``
    # Every text holding one of these words is in ``may``: a word holding one of them needs
    # no pass over the texts (each text holding it holds that one too).
    found: set[str] = set(_LOGOUT_TEXT)
    searched: set[str] = set()
    for _ in range(_MAX_CALL_DEPTH):
        words = {names[index] for index in may}
        frontier = list(words)
        while frontier:  # an import renaming a word spells the same function
            for local in renames.get(frontier.pop(), ()):
                if local not in words:
                    words.add(local)
                    frontier.append(local)
        new = words - searched
        if not new:
            break
        if len(words) > _MAX_SCREEN_WORDS:
            return LogoutScreen(frozenset(), frozenset(), (), everything=True)
        searched |= new
        for word in sorted(new, key=lambda word: (len(word), word)):  # shorter words first
            if not any(done in word for done in found):
                search(word)
            found.add(word)
        for index in summarised:
            if index not in may and any(
                name.rpartition(".")[2] in new for name in functions[index].calls
            ):
                may.add(index)
    return LogoutScreen(
        frozenset(id(functions[index]) for index in may),
        frozenset(map(id, functions)),
        tuple(functions),
        names=frozenset(names[index] for index in may),
        renames=renames,
    )


def logout_screen(project: ProjectIndex) -> LogoutScreen:
    """The ``LogoutScreen`` of the index as it is (rebuilt when a body changes)."""
    return project.derived(
        "djvet.django.logout.screen", lambda: build_logout_screen(project), reads_bodies=True
    )


def may_log_out(project: ProjectIndex, function: FunctionInfo) -> bool:
    """False only when ``function_logs_out(function)`` is False at every depth."""
    return logout_screen(project).may_log_out(function)


def _calls_super(function: FunctionInfo, method: str) -> bool:
    body = function.body
    if body is None:
        return False
    wanted = ("super", "()", f".{method}", "()")
    return any(site.kind == "call" and site.chain[:4] == wanted for site in body.sites)


def handler_logs_out(
    project: ProjectIndex, analysis: ViewAnalysis, handler: Handler, depth: int = 0
) -> bool | None:
    """Whether calling ``handler`` logs the user out (None: cannot tell)."""
    if depth > _MAX_CALL_DEPTH:
        return None
    if handler.from_django or handler.owner_class is None:
        return handler.owner == LOGOUT_VIEW and handler.name in ("get", "post")
    function = handler.function
    if function is None:
        value = handler.owner_class.attrs.get(handler.name)  # ``get = LogoutView.post``
        if isinstance(value, Ref):
            if value.name in (f"{LOGOUT_VIEW}.post", f"{LOGOUT_VIEW}.get"):
                return True
            found = project.resolve(value.name, handler.owner_class.path)
            if found is not None and found.kind == "function":
                return function_logs_out(project, found.obj, found.module.path)
        return None
    if function.alias_of is not None:
        aliased = handler.owner_class.methods.get(function.alias_of)
        if aliased is None:
            return None
        function = aliased
    near = handler.owner_class.path
    direct = function_logs_out(project, function, near)
    if direct is not False:
        return direct
    for other in ("post", "get"):
        if other == handler.name:
            continue
        if _calls_super(function, other):
            # super().post(): Django's LogoutView.post logs out; another parent: not read here.
            return True if LOGOUT_VIEW in analysis.linearization else None
        if f"self.{other}" in function.calls:
            target = next((h for h in analysis.handlers if h.name == other), None)
            return (
                None if target is None else handler_logs_out(project, analysis, target, depth + 1)
            )
    if LOGOUT_VIEW in analysis.linearization:
        return None  # a LogoutView subclass's handler may reach logout in ways not read here
    return False


def _project_method(
    project: ProjectIndex, analysis: ViewAnalysis, name: str
) -> tuple[ClassInfo, FunctionInfo] | None:
    """The first project class in the MRO defining ``name`` (dispatch, ...)."""
    for key in analysis.linearization:
        cls = project.resolve_class(key)
        if cls is not None and name in cls.methods:
            return cls, cls.methods[name]
    return None


# ---------------------------------------------------------------------------------------------
# Classifying a route
# ---------------------------------------------------------------------------------------------


def classify_route(
    project: ProjectIndex, route: Route, version: Version, resolver: ViewResolver | None = None
) -> LogoutTarget:
    """How ``route``'s view answers GET (see ``Behaviour``).

    ``resolver``: a ``ViewResolver`` of ``project`` and ``version`` to reuse (its base-class
    graph is the same for every view of the index; a fresh one is made when None).
    """
    target = classify_view(project, route.view, version, resolver)
    if target.behaviour in (Behaviour.UNKNOWN, Behaviour.NOT_LOGOUT):
        return target
    return LogoutTarget(
        target.behaviour,
        target.django_logout,
        target.label,
        target.reason,
        route,
        target.query_moves,
    )


def classify_view(
    project: ProjectIndex, view: ViewSpec, version: Version, resolver: ViewResolver | None = None
) -> LogoutTarget:
    wrapped = allowed_methods(view.wrappers)
    if wrapped is False:
        return UNKNOWN

    def _restricted(target: LogoutTarget, allowed: Methods) -> LogoutTarget:
        """A Django logout wrapped in a method decorator in the URLconf."""
        if isinstance(allowed, frozenset) and "GET" not in allowed:
            reason = f"{restriction_source(view.wrappers)} in the URLconf"
            return LogoutTarget(
                Behaviour.REJECTS, False, target.label, reason, query_moves=target.query_moves
            )
        return target

    if view.kind == "admin":
        if view.admin_view != "logout":
            return NOT_LOGOUT
        label = "admin logout view (a LogoutView)"
        return _restricted(LogoutTarget(Behaviour.REJECTS, True, label, query_moves=True), wrapped)
    if view.kind == "function":
        if view.target == LOGOUT_THEN_LOGIN:
            return _restricted(
                LogoutTarget(
                    Behaviour.REJECTS, True, "logout_then_login (a LogoutView)", query_moves=True
                ),
                wrapped,
            )
        if view.target in CONFIRMING_LOGOUTS:
            return NOT_LOGOUT
        found = project.resolve(view.target)
        if found is None or found.kind != "function":
            return UNKNOWN
        return _function_view(project, found.obj, found.module, view, wrapped)
    if view.kind == "class":
        if view.target == LOGOUT_VIEW:
            return _restricted(
                LogoutTarget(Behaviour.REJECTS, True, "LogoutView", query_moves=True),
                wrapped,
            )
        if view.target in CONFIRMING_LOGOUTS:
            return NOT_LOGOUT
        cls = project.resolve_class(view.target)
        if cls is None:
            return UNKNOWN
        resolver = resolver if resolver is not None else ViewResolver(project, version)
        return _class_view(project, cls, view, version, wrapped, resolver)
    return UNKNOWN


def _function_view(
    project: ProjectIndex,
    function: FunctionInfo,
    module: ModuleInfo,
    view: ViewSpec,
    wrapped: Methods,
) -> LogoutTarget:
    logs_out = function_logs_out(project, function, module.path)
    if logs_out is None:
        return UNKNOWN
    if not logs_out:
        return NOT_LOGOUT
    own = allowed_methods(function.decorators)
    if own is False or wrapped is False:
        return UNKNOWN
    allowed = own
    if isinstance(wrapped, frozenset):
        allowed = wrapped if allowed is None else allowed & wrapped
    label = f"{module.module}.{function.qualname}" if module.module else function.qualname
    if isinstance(allowed, frozenset) and "GET" not in allowed:
        source = restriction_source((*function.decorators, *view.wrappers))
        return LogoutTarget(Behaviour.REJECTS, False, label, source)
    return LogoutTarget(Behaviour.LOGS_OUT, False, label)


def _class_view(
    project: ProjectIndex,
    cls: ClassInfo,
    view: ViewSpec,
    version: Version,
    wrapped: Methods,
    resolver: ViewResolver,
) -> LogoutTarget:
    analysis = resolver.analyze(cls)
    if analysis is None or not analysis.complete or analysis.http_method_names is None:
        return UNKNOWN
    label = f"{cls.module}.{cls.qualname}"
    names = analysis.http_method_names
    override = view.initkwarg("http_method_names")
    if override is not None:
        if not (isinstance(override, Seq) and all(isinstance(i, Lit) for i in override.items)):
            return UNKNOWN
        names = tuple(str(i.value) for i in override.items if isinstance(i, Lit))
    handlers = {h.name: h for h in analysis.handlers if h.name in names}
    if _project_method(project, analysis, "dispatch") is not None:
        return UNKNOWN  # a dispatch() override decides per request in ways not read here
    restriction = _class_restriction(cls)
    if restriction is False or wrapped is False:
        return UNKNOWN
    for limit in (restriction, wrapped):
        if isinstance(limit, frozenset):
            handlers = {n: h for n, h in handlers.items() if n.upper() in limit}
    post = handlers.get("post")
    post_logs_out = handler_logs_out(project, analysis, post) if post is not None else False
    get = handlers.get("get")
    is_logout_view = LOGOUT_VIEW in analysis.linearization
    if get is None:
        if not post_logs_out:
            return UNKNOWN if post_logs_out is None else NOT_LOGOUT
        inherited_405 = (
            is_logout_view
            and version >= GET_REMOVED
            and override is None
            and "http_method_names" not in _project_attrs(project, analysis)
            and not isinstance(restriction, frozenset)
            and not isinstance(wrapped, frozenset)
        )
        if inherited_405:
            return LogoutTarget(Behaviour.REJECTS, True, f"{label} (a LogoutView subclass)")
        reason = "has no get() handler" if "get" in names else "http_method_names has no 'get'"
        if isinstance(restriction, frozenset):
            reason = f"@method_decorator({restriction_source(_class_dispatch_decorators(cls))})"
        elif isinstance(wrapped, frozenset):
            reason = f"{restriction_source(view.wrappers)} in the URLconf"
        return LogoutTarget(Behaviour.REJECTS, False, label, reason)
    if get.from_django and get.owner == LOGOUT_VIEW:
        return LogoutTarget(Behaviour.REJECTS, True, f"{label} (a LogoutView subclass)")
    get_logs_out = handler_logs_out(project, analysis, get)
    if get_logs_out is None:
        return UNKNOWN
    if get_logs_out:
        return LogoutTarget(Behaviour.LOGS_OUT, False, label)
    return NOT_LOGOUT


def _project_attrs(project: ProjectIndex, analysis: ViewAnalysis) -> set[str]:
    names: set[str] = set()
    for key in analysis.linearization:
        cls = project.resolve_class(key)
        if cls is not None:
            names |= set(cls.attrs)
    return names


# ---------------------------------------------------------------------------------------------
# Index-wide helpers
# ---------------------------------------------------------------------------------------------


@dataclass
class _Classifier:
    """Route classifications of one index state and Django version, and the resolver they share."""

    resolver: ViewResolver
    targets: dict[int, tuple[Route, LogoutTarget]]
    # Class-based routes found unable to log out without classifying them (``logouts_only``).
    cannot_log_out: dict[int, Route] = field(default_factory=dict)
    asked: int = 0  # ``rejecting_urls`` calls at this index state
    rejecting: tuple[UrlIndex, RejectingUrls] | None = None
    # Built with the first ``rejecting`` table (the CLI's regime, not a keystroke's lookup).
    routes: RouteScreen | None = None


def _classifier(project: ProjectIndex, version: Version) -> _Classifier:
    def build() -> _Classifier:
        shared = resolvers_shareable(project)
        resolver = index_resolver(project, version) if shared else ViewResolver(project, version)
        return _Classifier(resolver, {})

    return project.derived(_derived_key("djvet.django.logout", version), build, reads_bodies=True)


@functools.cache
def _derived_key(prefix: str, version: Version) -> str:
    """``f"{prefix}.{version}"``, formatted once (every classification asks for its table)."""
    return f"{prefix}.{version}"


def class_may_log_out(project: ProjectIndex, cls: ClassInfo, resolver: ViewResolver) -> bool:
    """False when ``classify_view`` can answer neither REJECTS nor LOGS_OUT for the view ``cls``.

    Cheaper than the handler analysis: both need ``LogoutView`` in the MRO, or a ``get`` /
    ``post`` handler that logs out, and every such handler is a method named ``get``/``post``
    (or the method one of them aliases) or a ``get``/``post`` attribute of a project class in
    the MRO, read from some project class of the MRO (``function_logs_out`` with that ``near``).
    """
    try:
        mro = resolver.linearize(resolver.class_key(cls))
    except MroError:
        return False  # no analysis: UNKNOWN
    if LOGOUT_VIEW in mro:
        return True
    classes = [node.project for node in map(resolver.node, mro) if node.project is not None]
    names = {"get", "post"}
    for owner in classes:
        for name in ("get", "post"):
            if isinstance(owner.attrs.get(name), Ref):
                return True  # ``post = LogoutView.post`` or a function that may log out
            method = owner.methods.get(name)
            if method is not None and method.alias_of is not None:
                names.add(method.alias_of)
    nears = {owner.path for owner in classes}
    for owner in classes:
        for name in names:
            method = owner.methods.get(name)
            if method is None:
                continue
            if any(function_logs_out(project, method, near) is True for near in nears):
                return True
    return False


@dataclass(frozen=True)
class RouteScreen:
    """Routes that cannot be a logout, told from the last part of their view's name.

    ``classify_view`` answers REJECTS or LOGS_OUT for a ``kind="function"`` view only when its
    target is ``logout_then_login`` or ``ProjectIndex.resolve`` finds a function for which
    ``function_logs_out`` is True; for a ``kind="class"`` view only when its target is
    ``LogoutView`` or ``resolve_class`` finds a class ``class_may_log_out`` passes. Each is
    a spelling question:

    - ``resolve`` keeps a name's last part, except where an import binds a local name to a
      target with another last part (``from .a import b as c``): the function or class it
      finds is named (in its module's ``functions``/``classes``, or its class's ``methods``)
      by a word whose renames' closure holds the target's last part.
    - ``function_logs_out`` is True only for a function ``LogoutScreen`` keeps (``names``).
    - ``class_may_log_out`` is True only when the MRO ``ViewResolver`` builds holds
      ``LogoutView`` or a project class with a ``get``/``post`` attribute naming something,
      or with a method ``LogoutScreen`` keeps named ``get``/``post`` or what a ``get``/``post``
      method of some class aliases (``get = put``). Every class of that MRO is reached from the
      view's class through written bases; ``ViewResolver.lookup`` turns a base into the
      class it names through imports (renames as above) and module-level assignments of a
      name (``Base = LogoutView``: ``Base`` renames ``LogoutView``), keeping the last part
      otherwise (Django's own names: ``django_class_name`` keeps it too). A node registered
      under a class's key holds a class of that key, so of that name (a project class, or
      Django's class of the fact sheet whose bases are Django's).

    So ``functions`` is the renames' closure of the kept functions' names and of
    ``logout_then_login``; ``classes`` that of ``LogoutView`` and the suspicious classes'
    names, grown by the name of every project or Django class with a base whose last part
    it holds, to a fixed point. A route whose view's last part is in neither cannot be a
    logout (its exact answer is UNKNOWN or NOT_LOGOUT); admin and unknown views are never
    ruled out.
    """

    functions: frozenset[str]
    classes: frozenset[str]

    def rules_out(self, view: ViewSpec) -> bool:
        """True when ``view`` can classify neither REJECTS nor LOGS_OUT."""
        kind = view.kind
        if kind == "function":
            return view.target.rpartition(".")[2] not in self.functions
        if kind == "class":
            return view.target.rpartition(".")[2] not in self.classes
        return False


@functools.cache
def _django_base_edges() -> Mapping[str, tuple[str, ...]]:
    """Last part of a base -> short names of the Django view classes written with it."""
    edges: dict[str, list[str]] = {}
    for cls in DJANGO_CLASSES.values():
        for base in cls.bases:
            edges.setdefault(base.rpartition(".")[2], []).append(cls.short)
    return {last: tuple(shorts) for last, shorts in edges.items()}


def build_route_screen(project: ProjectIndex) -> RouteScreen | None:
    """``RouteScreen`` of the index as it is (None: ``LogoutScreen`` screens nothing out)."""
    screen = logout_screen(project)
    if screen.everything:
        return None
    kept = screen.names
    may = screen.may_log_out
    aliases: dict[str, set[str]] = {}  # ``Base = pkg.Name``: "Name" -> {"Base"}
    groups: dict[tuple[str, ...], list[str]] = {}  # written bases -> qualnames of classes
    seeds = ["LogoutView"]
    handlers = {"get", "post"}  # and every method name a ``get``/``post`` aliases
    logging: list[tuple[str, set[str]]] = []  # classes with methods kept: (name, their names)
    for module in project.modules.values():
        for name, value in module.assignments.items():
            if isinstance(value, Ref):
                last = value.name.rpartition(".")[2]
                if last != name:
                    aliases.setdefault(last, set()).add(name)
        for qualname, cls in module.classes.items():
            groups.setdefault(cls.bases, []).append(qualname)  # classes share few base lists
            attrs = cls.attrs
            if attrs and (isinstance(attrs.get("get"), Ref) or isinstance(attrs.get("post"), Ref)):
                seeds.append(qualname.rpartition(".")[2])
            methods = cls.methods
            if not methods:
                continue
            for handler in ("get", "post"):
                method = methods.get(handler)
                if method is not None and method.alias_of is not None:
                    handlers.add(method.alias_of)
            if kept and not kept.isdisjoint(methods):
                found = {m for m in kept.intersection(methods) if may(methods[m])}
                if found:
                    logging.append((qualname.rpartition(".")[2], found))
    seeds.extend(name for name, found in logging if not handlers.isdisjoint(found))
    by_base: dict[str, list[list[str]]] = {}  # last part of a written base -> qualnames
    for bases, qualnames in groups.items():
        for base in bases:
            by_base.setdefault(base.rpartition(".")[2], []).append(qualnames)
    renames = screen.renames
    django_edges = _django_base_edges()

    def closure(start: Iterable[str], grow: bool) -> frozenset[str]:
        found: set[str] = set()
        stack = list(start)
        while stack:
            word = stack.pop()
            if word in found:
                continue
            found.add(word)
            stack.extend(renames.get(word, ()))
            stack.extend(aliases.get(word, ()))
            if grow:
                for qualnames in by_base.get(word, ()):
                    stack.extend(qualname.rpartition(".")[2] for qualname in qualnames)
                stack.extend(django_edges.get(word, ()))
        return frozenset(found)

    return RouteScreen(
        closure([*kept, LOGOUT_THEN_LOGIN.rpartition(".")[2]], grow=False),
        closure(seeds, grow=True),
    )


def _classified(
    project: ProjectIndex, route: Route, version: Version, logouts_only: bool = False
) -> LogoutTarget:
    """``classify_route`` memoised per index generation and Django version (links repeat).

    ``logouts_only``: the caller asks only whether the route is a logout (REJECTS or LOGS_OUT),
    so a class-based view ``class_may_log_out`` rules out, or (once ``rejecting_urls`` built
    its table) a view ``RouteScreen`` rules out, comes back UNKNOWN without the handler
    analysis (its exact answer is UNKNOWN or NOT_LOGOUT).
    """
    return _classified_in(_classifier(project, version), project, route, version, logouts_only)


def _classified_in(
    memo: _Classifier, project: ProjectIndex, route: Route, version: Version, logouts_only: bool
) -> LogoutTarget:
    """``_classified`` with the table of the index state and version at hand."""
    cached = memo.targets.get(id(route))
    if cached is not None and cached[0] is route:
        return cached[1]
    if logouts_only:
        if memo.cannot_log_out.get(id(route)) is route:
            return UNKNOWN
        view = route.view
        if memo.routes is not None and memo.routes.rules_out(view):
            memo.cannot_log_out[id(route)] = route
            return UNKNOWN
        if view.kind == "class" and view.target != LOGOUT_VIEW:
            cls = project.resolve_class(view.target)
            if cls is not None and not class_may_log_out(project, cls, memo.resolver):
                memo.cannot_log_out[id(route)] = route
                return UNKNOWN
    target = classify_route(project, route, version, memo.resolver)
    memo.targets[id(route)] = (route, target)
    return target


_QUOTES = "\"'"
# ``urllib.parse.unquote`` turns these into other characters.
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
# Documents at one index state before ``rejecting_urls`` classifies every route: the CLI
# checks hundreds, the editor one per keystroke (its few lookups stay cheaper).
_REJECTING_AFTER = 16


@dataclass(frozen=True)
class RejectingUrls:
    """What a hard-coded URL in Python must spell to reach a route that rejects GET.

    ``names``: every URL name with a route that classifies REJECTS (``logouts_only``), with
    or without arguments. ``paths``: "/" followed by the ``literal_prefix`` of each REJECTS
    route, less a final "/" (``APPEND_SLASH``), up to any brace (an f-string doubles it). A URL a Python expression denotes (DJV102's ``_Evaluator``) is a string constant's
    value: a name, a path starting with "/", or an f-string's leading literal.
    """

    names: frozenset[str]
    paths: tuple[str, ...]

    def may_appear_in(self, text: str) -> bool:
        """False only when no string constant of the Python ``text`` is one of ``names`` or
        a path starting with one of ``paths``.

        A constant's value is its literal's text unless an escape (a backslash: kept) or
        ``%XX`` (which ``resolve`` unquotes: kept when there are paths) spells another
        character, or implicit concatenation joins literals (``"log" "out"``: kept when a
        literal holds a proper prefix of a name or path and another literal follows it).
        """
        if not self.names and not self.paths:
            return False
        if self._unreadable(text):
            return True
        for needed in (*self.names, *self.paths):
            if needed in text or next(_split_literals(text, needed), None) is not None:
                return True
        return False

    def evidence(self, text: str) -> list[int] | None:
        """Sorted offsets in ``text`` inside every string literal whose constant may be one of
        ``names`` or a path starting with one of ``paths`` (see ``may_appear_in``): where one
        of them is written, and where a literal holding a proper prefix of one of them opens
        before another literal. None when such a literal may be anywhere (an escape)."""
        if self._unreadable(text) or any(
            quote in needed for needed in (*self.names, *self.paths) for quote in _QUOTES
        ):
            return None
        offsets: list[int] = []
        for needed in (*self.names, *self.paths):
            if not needed:
                return None  # every literal holds the empty name
            position = text.find(needed)
            while position >= 0:
                offsets.append(position)
                position = text.find(needed, position + 1)
            offsets.extend(_split_literals(text, needed))
        return sorted(offsets)

    def _unreadable(self, text: str) -> bool:
        """A literal's value may differ from its text: an escape, or ``%XX`` in a path."""
        return "\\" in text or (bool(self.paths) and _PERCENT_ESCAPE.search(text) is not None)


def _split_literals(text: str, needed: str) -> Iterator[int]:
    """Where a string literal in ``text`` holds a proper prefix of ``needed`` (the offset
    after its opening quote) and another literal follows it: what implicit concatenation
    joins. A ``needed`` with a quote yields offset 0 (its literal's end cannot be found so;
    ``evidence`` does not ask)."""
    if not needed:
        return
    if any(quote in needed for quote in _QUOTES):
        yield 0
        return
    for quote in _QUOTES:
        opening = quote + needed[0]
        position = text.find(opening)
        while position >= 0:
            start = position + 1
            closing = text.find(quote, start, start + len(needed))
            if (
                closing > start
                and text[start:closing] == needed[: closing - start]
                and _literal_follows(text, closing + 1)
            ):
                yield start
            position = text.find(opening, start)


def _literal_follows(text: str, position: int) -> bool:
    """After blanks and comments, a string literal starts at ``position`` (maybe prefixed)."""
    length = len(text)
    while position < length:
        char = text[position]
        if char in " \t\r\n\f":
            position += 1
        elif char == "#":
            end = text.find("\n", position)
            position = length if end < 0 else end + 1
        else:
            break
    prefix = position
    while prefix < length and prefix - position < 2 and text[prefix].isalpha():
        prefix += 1
    return prefix < length and text[prefix] in _QUOTES


def rejecting_urls(project: ProjectIndex, urls: UrlIndex, version: Version) -> RejectingUrls | None:
    """``RejectingUrls`` of ``urls``, once ``_REJECTING_AFTER`` documents at this index state
    asked; None before (a caller then classifies what it finds, as without it)."""
    memo = _classifier(project, version)
    if memo.rejecting is not None and memo.rejecting[0] is urls:
        return memo.rejecting[1]
    memo.asked += 1
    if memo.asked < _REJECTING_AFTER:
        return None
    if memo.routes is None:
        memo.routes = build_route_screen(project)
    screen = memo.routes
    verdicts: dict[int, bool] = {}  # id(route) -> REJECTS

    def rejects(route: Route) -> bool:
        verdict = verdicts.get(id(route))
        if verdict is None:
            if screen is not None and screen.rules_out(route.view):
                verdict = False  # what ``_classified_in`` answers (UNKNOWN), without the lookups
            else:
                target = _classified_in(memo, project, route, version, logouts_only=True)
                verdict = target.behaviour is Behaviour.REJECTS
            verdicts[id(route)] = verdict
        return verdict

    found = rejecting_table(urls, rejects)
    memo.rejecting = (urls, found)
    return found


def rejecting_table(urls: UrlIndex, rejects: Callable[[Route], bool]) -> RejectingUrls:
    """The names and literal path prefixes of the routes of ``urls`` that ``rejects``."""
    paths: set[str] = set()
    for route, chain in urls.route_chains():
        if rejects(route):
            prefix = literal_prefix(chain).removesuffix("/")
            for brace in "{}":
                prefix = prefix.partition(brace)[0]
            paths.add(f"/{prefix}")
    names = {name for name, routes in urls.names.items() if any(map(rejects, routes))}
    return RejectingUrls(frozenset(names), tuple(sorted(paths)))


def target_for_name(
    project: ProjectIndex,
    urls: UrlIndex,
    name: str,
    has_args: bool,
    version: Version,
    *,
    logouts_only: bool = False,
) -> LogoutTarget:
    """How the route named ``name`` answers GET (``logouts_only``: see ``_classified``)."""
    route = urls.reverse(name, has_args)
    if route is None:
        return UNKNOWN
    return _classified(project, route, version, logouts_only)


def target_for_path(
    project: ProjectIndex,
    urls: UrlIndex,
    path: str,
    version: Version,
    *,
    logouts_only: bool = False,
) -> LogoutTarget:
    """How the route a hard-coded ``path`` resolves to answers GET (``logouts_only``: see ``_classified``)."""
    route, certain = urls.resolve(path)
    if route is None or not certain:
        return UNKNOWN
    return _classified(project, route, version, logouts_only)


# ---------------------------------------------------------------------------------------------
# One Python document: views that log out on GET (DJV103)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GetLogoutView:
    """A routed view of the document that logs users out when it receives GET."""

    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    qualified: str
    kind: str  # "function" | "class"
    routes: tuple[Route, ...]
    post_logs_out: (
        bool  # a class whose post() logs out too (so restricting to POST keeps it working)
    )
    why: str  # "calls logout() with no method check", "get() calls logout()"


def qualify(module: ModuleInfo, name: str) -> str:
    head, _, rest = name.partition(".")
    if head in module.imports:
        target = module.imports[head]
        return f"{target}.{rest}" if rest else target
    if head in module.functions or head in module.classes or head in module.assignments:
        return f"{module.module}.{name}" if module.module else name
    return name


def _own_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes of a function body, not descending into nested functions, lambdas or classes."""
    stack = list(ast.iter_child_nodes(node))
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(current))


def _is_logout_call(node: ast.AST, module: ModuleInfo) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = dotted(node.func)
    return name is not None and qualify(module, name) in LOGOUT_FUNCTIONS


def _contains_logout(nodes: Iterable[ast.AST], module: ModuleInfo) -> bool:
    for node in nodes:
        if _is_logout_call(node, module):
            return True
        scope = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef))
        if not scope and any(_is_logout_call(n, module) for n in _own_nodes(node)):
            return True
    return False


def _method_test(test: ast.expr, request: str) -> bool | None:
    """The value of an ``if`` test for a GET request (None: not decidable from the method)."""
    if isinstance(test, ast.BoolOp):
        values = [_method_test(v, request) for v in test.values]
        if isinstance(test.op, ast.And):
            if any(v is False for v in values):
                return False
            return True if all(v is True for v in values) else None
        if any(v is True for v in values):
            return True
        return False if all(v is False for v in values) else None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _method_test(test.operand, request)
        return None if inner is None else not inner
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and _is_method(test.left, request):
        right = test.comparators[0]
        op = test.ops[0]
        if isinstance(right, ast.Constant) and isinstance(right.value, str):
            equal = right.value == "GET"
            if isinstance(op, ast.Eq):
                return equal
            if isinstance(op, ast.NotEq):
                return not equal
        if isinstance(right, (ast.Tuple, ast.List, ast.Set)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in right.elts
        ):
            member = "GET" in [e.value for e in right.elts if isinstance(e, ast.Constant)]
            if isinstance(op, ast.In):
                return member
            if isinstance(op, ast.NotIn):
                return not member
    return None


def _is_method(node: ast.expr, request: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "method"
        and isinstance(node.value, ast.Name)
        and node.value.id == request
    )


def _mentions_method(node: ast.AST, request: str) -> bool:
    return any(isinstance(n, ast.Attribute) and _is_method(n, request) for n in ast.walk(node))


def _ends_flow(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise))


def get_reaches_logout(body: list[ast.stmt], module: ModuleInfo, request: str) -> bool | None:
    """Does a GET request reach a ``logout()`` call in ``body``? None: a method test djvet cannot read."""
    for stmt in body:
        if isinstance(stmt, ast.If) and _mentions_method(stmt.test, request):
            value = _method_test(stmt.test, request)
            if value is None:
                return None if _contains_logout([stmt], module) else _unknown_if_leaves(stmt)
            branch = stmt.body if value else stmt.orelse
            inner = get_reaches_logout(branch, module, request)
            if inner is not False:
                return inner
            if _ends_flow(branch):
                return False
            continue
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if _mentions_method(stmt, request):
            return None  # a method test in a form djvet does not follow (match, ternary, ...)
        if _contains_logout([stmt], module):
            return True
        if isinstance(stmt, (ast.Return, ast.Raise)):
            return False
    return False


def _unknown_if_leaves(stmt: ast.If) -> bool | None:
    """An undecidable method test without logout inside: harmless unless a branch leaves."""
    if _ends_flow(stmt.body) or _ends_flow(stmt.orelse):
        return None
    return False


def _decorators_allow_get(decorators: list[ast.expr], module: ModuleInfo) -> bool | None:
    """True when Django's method decorators (or none) let GET through; None for unknown ones."""
    allowed = True
    for decorator in decorators:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = dotted(target)
        if name is None:
            return None
        qualified = qualify(module, name)
        if qualified == REQUIRE_POST:
            allowed = False
        elif qualified == REQUIRE_METHODS:
            if not isinstance(decorator, ast.Call) or not decorator.args:
                return None
            methods = decorator.args[0]
            if not isinstance(methods, (ast.List, ast.Tuple, ast.Set)) or not all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in methods.elts
            ):
                return None
            if "GET" not in [e.value for e in methods.elts if isinstance(e, ast.Constant)]:
                allowed = False
        elif not qualified.startswith("django."):
            return None  # a project or third-party decorator may do anything with the method
    return allowed


def document_get_logouts(
    tree: ast.Module,
    module: ModuleInfo,
    project: ProjectIndex,
    urls: UrlIndex,
    version: Version,
    source: PythonSource | None = None,
) -> list[GetLogoutView]:
    """Routed views of the document that log users out on GET.

    ``source``: the parse ``tree`` comes from; its text lets a function view that cannot call
    ``logout()`` be passed over without walking its body (``_may_call_logout``).
    """
    out: list[GetLogoutView] = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found = _function_get_logout(stmt, module, urls, source)
            if found is not None:
                out.append(found)
        elif isinstance(stmt, ast.ClassDef):
            found = _class_get_logout(stmt, module, project, urls, version)
            if found is not None:
                out.append(found)
    return out


def _routes_allowing_get(routes: list[Route]) -> tuple[Route, ...]:
    kept = []
    for route in routes:
        allowed = allowed_methods(route.view.wrappers)
        if allowed is False:
            continue
        if isinstance(allowed, frozenset) and "GET" not in allowed:
            continue
        kept.append(route)
    return tuple(kept)


def _may_call_logout(
    node: ast.FunctionDef | ast.AsyncFunctionDef, module: ModuleInfo, source: PythonSource
) -> bool:
    """False only when no call in ``node`` can be a ``logout()``/``alogout()`` call.

    ``get_reaches_logout`` answers True only through ``_is_logout_call``: a call whose dotted
    callee ``qualify`` turns into ``LOGOUT_FUNCTIONS``. ``qualify`` keeps the callee's last
    part unless the callee is one bare name found in ``module.imports``; so the callee's last
    identifier is ``logout``/``alogout`` (``logout``, ``auth.logout``, ``auth.alogout``) or an
    import alias of one of them (``from django.contrib.auth import logout as end``). In ASCII
    source an identifier is spelled as the AST holds it (other text may spell ``logout`` with
    characters that NFKC-normalise to it), so a function whose text holds neither ``logout``
    nor such an alias calls no logout.
    """
    lines = source.lines
    first = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
    last = (node.end_lineno or node.lineno) - 1
    segment = source.text[lines.line_start(first) : lines.line_end(last)]
    if not segment.isascii() or "logout" in segment:
        return True
    return any(
        alias in segment for alias, target in module.imports.items() if target in LOGOUT_FUNCTIONS
    )


def _function_get_logout(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    module: ModuleInfo,
    urls: UrlIndex,
    source: PythonSource | None = None,
) -> GetLogoutView | None:
    qualified = f"{module.module}.{node.name}" if module.module else node.name
    routes = _routes_allowing_get(urls.routes_to(qualified))
    if not routes:
        return None
    if _decorators_allow_get(node.decorator_list, module) is not True:
        return None
    params = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
    if not params:
        return None
    if source is not None and not _may_call_logout(node, module, source):
        return None  # what ``get_reaches_logout`` would answer (False), without the walk
    if get_reaches_logout(node.body, module, params[0]) is not True:
        return None
    return GetLogoutView(node, qualified, "function", routes, False, "calls logout() on GET")


def _class_get_logout(
    node: ast.ClassDef, module: ModuleInfo, project: ProjectIndex, urls: UrlIndex, version: Version
) -> GetLogoutView | None:
    qualified = f"{module.module}.{node.name}" if module.module else node.name
    routes = _routes_allowing_get(urls.routes_to(qualified))
    if not routes:
        return None
    cls = module.classes.get(node.name)
    if cls is None:
        return None
    # ``classify_route`` keeps the behaviour ``classify_view`` found; a view that cannot log
    # out at all comes back UNKNOWN (``logouts_only``), which is no LOGS_OUT either.
    outcomes = {
        _classified(project, route, version, logouts_only=True).behaviour for route in routes
    }
    if outcomes != {Behaviour.LOGS_OUT}:
        return None
    analysis = ViewResolver(project, version).analyze(cls)  # ``cls`` may be the open document's
    post_logs_out = False
    if analysis is not None:
        post = next((h for h in analysis.handlers if h.name == "post"), None)
        post_logs_out = bool(post is not None and handler_logs_out(project, analysis, post))
    return GetLogoutView(node, qualified, "class", routes, post_logs_out, "its get() logs out")
