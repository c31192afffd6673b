"""The project's URLconfs, read from the static index: URL names and paths -> routes -> views.

Starts from ``ROOT_URLCONF`` when a settings module names it (every distinct value counts),
otherwise from every module with ``urlpatterns`` that no other URLconf includes. Understands
``path``/``re_path``/``url``, ``include("mod.urls")``, ``include(("mod.urls", "app"))``,
``include(module, namespace=...)``, ``include([...])``, ``app_name``, ``admin.site.urls`` (and
project ``AdminSite`` instances), ``include("django.contrib.auth.urls")``, django-allauth's
``allauth.urls``, ``i18n_patterns``, ``[*a.urlpatterns, ...]`` and ``urlpatterns += ...``.
A list or include it cannot read becomes an *opaque* entry: names inside it are unknown and a
hard-coded path that could reach it resolves to "unknown" (precision first).

Reversal follows Django: among routes sharing a name, ``reverse`` picks the last one defined
whose arguments fit. Path resolution follows Django's first-match order, with
``APPEND_SLASH``'s redirect to ``path + "/"`` when nothing matches.
"""

from __future__ import annotations

import enum
import importlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from ..project import ProjectIndex
from ..python.facts import Call, ClassInfo, Lit, ModuleInfo, Ref, Seq, Starred, Value
from ..types import Span, slot_constructor

PATH_FUNCTIONS = frozenset(
    {"django.urls.path", "django.urls.re_path", "django.conf.urls.url", "django.conf.urls.re_path"}
)
REGEX_FUNCTIONS = frozenset(
    {"django.urls.re_path", "django.conf.urls.url", "django.conf.urls.re_path"}
)
INCLUDE_FUNCTIONS = frozenset({"django.urls.include", "django.conf.urls.include"})
I18N_PATTERNS = frozenset({"django.conf.urls.i18n.i18n_patterns"})
NEVER_MATCHING = frozenset(  # helpers whose routes serve files / tooling, never a logout
    {
        "django.conf.urls.static.static",
        "django.contrib.staticfiles.urls.staticfiles_urlpatterns",
        "debug_toolbar.toolbar.debug_toolbar_urls",
    }
)
DEFAULT_ADMIN_SITES = frozenset({"django.contrib.admin.site", "django.contrib.admin.sites.site"})
ADMIN_SITE_CLASSES = frozenset(
    {"django.contrib.admin.AdminSite", "django.contrib.admin.sites.AdminSite"}
)
AUTH_URLS = "django.contrib.auth.urls"
LOGOUT_VIEW = "django.contrib.auth.views.LogoutView"

_AUTH_ROUTES = (
    ("login/", "LoginView", "login"),
    ("logout/", "LogoutView", "logout"),
    ("password_change/", "PasswordChangeView", "password_change"),
    ("password_change/done/", "PasswordChangeDoneView", "password_change_done"),
    ("password_reset/", "PasswordResetView", "password_reset"),
    ("password_reset/done/", "PasswordResetDoneView", "password_reset_done"),
    ("reset/<uidb64>/<token>/", "PasswordResetConfirmView", "password_reset_confirm"),
    ("reset/done/", "PasswordResetCompleteView", "password_reset_complete"),
)
# AdminSite.get_urls(), the routes before the per-model ones (same since Django 4.1).
_ADMIN_ROUTES = (
    ("", "index"),
    ("login/", "login"),
    ("logout/", "logout"),
    ("password_change/", "password_change"),
    ("password_change/done/", "password_change_done"),
    ("autocomplete/", "autocomplete"),
    ("jsi18n/", "jsi18n"),
    ("r/<int:content_type_id>/<path:object_id>/", "view_on_site"),
)
# django-allauth's account URLs that matter here (allauth.urls includes them at "").
_ALLAUTH_ROUTES = (
    ("login/", "allauth.account.views.login", "account_login"),
    ("logout/", "allauth.account.views.logout", "account_logout"),
    ("signup/", "allauth.account.views.signup", "account_signup"),
)
_ALLAUTH_MODULES = frozenset({"allauth.urls", "allauth.account.urls"})

_CONVERTERS = {
    "int": "[0-9]+",
    "str": "[^/]+",
    "slug": "[-a-zA-Z0-9_]+",
    "uuid": "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "path": ".+",
}
_MAX_DEPTH = 12
_MAX_PATH = 2048
# Project regexes only see paths up to this long: adjacent repeats (``\\w+\\w+\\w+``) cost a
# polynomial in the length, which stays small here; longer hard-coded paths stay unknown.
_MAX_REGEX_PATH = 256
_LANGUAGE_PREFIX = re.compile(r"[a-z]{2,3}(?:[-_][a-zA-Z0-9]{1,8}){0,2}/")  # linear: no nesting


class Match(enum.Enum):
    NO = "no"
    YES = "yes"
    MAYBE = "maybe"


@dataclass(frozen=True, slots=True)
class ViewSpec:
    """What a route's view expression names.

    ``kind``: "class" (``X.as_view(...)``, ``target`` the class), "function" (a callable,
    ``target`` its qualified name), "admin" (a view of an admin site: ``target`` the site,
    ``admin_view`` the AdminSite method), "unknown".
    """

    kind: str
    target: str = ""
    initkwargs: tuple[tuple[str, Value], ...] = ()
    wrappers: tuple[Value, ...] = ()  # decorators applied in the URLconf, outermost first
    admin_view: str = ""
    admin_class: str = ""  # the project AdminSite subclass ("" for Django's AdminSite)

    def initkwarg(self, name: str) -> Value | None:
        for key, value in self.initkwargs:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint as seen from a root URLconf."""

    name: str | None  # with namespaces: "admin:logout"
    display: str  # "/accounts/logout/"
    view: ViewSpec
    file: str | None  # where the route (or, for Django's own URLconfs, the include) is written
    span: Span | None
    has_params: bool


class _Pattern:
    """One ``path()``/``re_path()`` pattern, matched the way Django's resolver does.

    A ``path()`` route is compiled when a path is first matched against it: most of a
    project's routes are only reversed by name, never matched.
    """

    __slots__ = ("_compiled", "display", "endpoint", "has_params", "kind")

    def __init__(self, text: str, is_regex: bool, endpoint: bool) -> None:
        self.endpoint = endpoint
        self.kind = "regex" if is_regex else "route"
        self._compiled: tuple[re.Pattern[str] | None] | None = None
        if is_regex:
            self.display = text.lstrip("^").rstrip("$").replace("\\", "")
            regex, self.has_params = _regex_pattern(text)
            self._compiled = (regex,)
        else:
            self.display = text
            # What ``_route_regex`` says: a ``<`` closed by a later ``>`` is a parameter.
            opening = text.find("<")
            self.has_params = opening >= 0 and text.find(">", opening) >= 0

    @property
    def regex(self) -> re.Pattern[str] | None:
        """The compiled pattern; None when djvet cannot evaluate it (its matches: MAYBE)."""
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = (_route_regex(self.display, self.endpoint)[0],)
        return compiled[0]

    def match(self, path: str) -> tuple[Match, int]:
        """(matched?, characters consumed) for ``path`` (without a leading slash)."""
        regex = self.regex
        if regex is None or (self.kind == "regex" and len(path) > _MAX_REGEX_PATH):
            return Match.MAYBE, 0
        if self.kind == "regex" and self.endpoint and regex.pattern.endswith("$"):
            found = regex.fullmatch(path)
        else:
            found = regex.search(path)
        if found is None:
            return Match.NO, 0
        return Match.YES, found.end()


# Compiled patterns by their text. A project repeats a few pattern texts over thousands of
# routes (every app's "<int:pk>/"), and ``re``'s own cache keeps only 512 entries.
_PATTERN_CACHE_SIZE = 4096


@lru_cache(maxsize=_PATTERN_CACHE_SIZE)
def _regex_pattern(text: str) -> tuple[re.Pattern[str] | None, bool]:
    """A ``re_path`` regex compiled, and whether it captures; None when it cannot be used."""
    try:
        compiled = re.compile(text)
    except (re.error, RecursionError, OverflowError):
        return None, True
    # A project regex that can backtrack catastrophically would hang the check of every
    # template with a hard-coded link: its matches stay unknown instead.
    return (None if may_backtrack(text) else compiled), compiled.groups > 0


def may_backtrack(pattern: str) -> bool:
    """True when a project regex could take exponential time to fail a match.

    The shapes that do: a repetition inside an unbounded repetition (``(a+)+``, ``(\\w*/)*``),
    an alternation inside one (``(a|ab)*``), and backreferences. Unreadable patterns count as
    risky. Django's own route regexes and the usual ``re_path`` patterns have none of these.
    """
    try:
        parsed = _sre_parser().parse(pattern)
        return _risky(list(parsed), inside_unbounded=False)
    except (re.error, RecursionError, OverflowError, TypeError, ValueError):
        return True


def _sre_parser() -> Any:
    try:
        return importlib.import_module("re._parser")  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        return importlib.import_module("sre_parse")


_UNBOUNDED = 100  # a repeat allowing more than this is "unbounded" for backtracking purposes


def _risky(items: list[tuple[Any, Any]], *, inside_unbounded: bool) -> bool:
    for op, argument in items:
        name = getattr(op, "name", str(op))
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            _, most, body = argument
            if inside_unbounded and most > 1:
                return True
            unbounded = most > _UNBOUNDED and name != "POSSESSIVE_REPEAT"
            if _risky(list(body), inside_unbounded=inside_unbounded or unbounded):
                return True
        elif name == "SUBPATTERN":
            if _risky(list(argument[-1]), inside_unbounded=inside_unbounded):
                return True
        elif name == "BRANCH":
            if inside_unbounded:
                return True
            if any(_risky(list(b), inside_unbounded=False) for b in argument[1]):
                return True
        elif name in ("ASSERT", "ASSERT_NOT"):
            if _risky(list(argument[1]), inside_unbounded=inside_unbounded):
                return True
        elif name == "ATOMIC_GROUP":
            if _risky(list(argument), inside_unbounded=False):
                return True
        elif name in ("GROUPREF", "GROUPREF_EXISTS", "GROUPREF_IGNORE"):
            return True
    return False


@lru_cache(maxsize=_PATTERN_CACHE_SIZE)
def _route_regex(route: str, endpoint: bool) -> tuple[re.Pattern[str] | None, bool]:
    """Django's ``_route_to_regex``; None when a custom converter makes the match unknowable."""
    parts = ["^"]
    has_params = False
    position = 0
    while True:
        open_at = route.find("<", position)
        if open_at < 0:
            parts.append(re.escape(route[position:]))
            break
        close_at = route.find(">", open_at)
        if close_at < 0:
            parts.append(re.escape(route[position:]))
            break
        parts.append(re.escape(route[position:open_at]))
        spec = route[open_at + 1 : close_at]
        converter = spec.split(":", 1)[0] if ":" in spec else "str"
        has_params = True
        regex = _CONVERTERS.get(converter)
        if regex is None:
            return None, True
        parts.append(f"({regex})")
        position = close_at + 1
    if endpoint:
        parts.append(r"\Z")
    return re.compile("".join(parts)), has_params


@dataclass(slots=True)
class _Node:
    """A URLconf entry before it is bound to a root (prefix and namespaces come from above)."""

    pattern: _Pattern | None  # None: an opaque or i18n entry without a pattern of its own
    name: str | None = None
    view: ViewSpec | None = None
    children: list[_Node] | None = None  # an include
    namespaces: tuple[str, ...] = ()  # instance namespace first, then the app namespace
    opaque: bool = False  # unknown contents: may hold any route
    i18n: bool = False  # i18n_patterns(): a language prefix may come first
    never: bool = False  # static()/debug-toolbar: never routes to a view of interest
    appends_slash: bool = False  # the admin's catch-all: redirects "x" to "x/" when that resolves
    file: str | None = None
    span: Span | None = None


PatternChain = tuple[_Pattern | None, ...]  # a route's patterns, outermost first


@dataclass(frozen=True, slots=True)
class _Entry:
    chain: PatternChain  # None marks an i18n language prefix
    route: Route | None  # None: an opaque stretch
    never: bool = False
    appends_slash: bool = False


# Routes, their entries and views without the frozen dataclasses' ``__init__`` (each field
# through ``object.__setattr__``): a project has thousands, built in every CLI worker.
_make_route = slot_constructor(Route)
_make_entry = slot_constructor(_Entry)
_make_view = slot_constructor(ViewSpec)


@dataclass
class _Table:
    """The routes of one root URLconf, in resolution order, and its name table."""

    entries: list[_Entry] = field(default_factory=list)
    names: dict[str, list[Route]] = field(default_factory=dict)

    def reverse(self, name: str, has_args: bool) -> Route | None:
        candidates = [r for r in self.names.get(name, ()) if r.has_params == has_args]
        return candidates[-1] if candidates else None

    def match(self, bare: str) -> tuple[Route | None, bool, bool]:
        """First-match resolution: (route, certain, reached through a slash-adding redirect)."""
        target = unquote(bare[1:])
        for entry in self.entries:
            outcome = _match_chain(entry.chain, target)
            if outcome is Match.NO:
                continue
            if entry.never and entry.route is None:
                continue
            if entry.appends_slash and entry.route is None and not bare.endswith("/"):
                # AdminSite.catch_all_view: a 301 to bare + "/" when that is an admin URL.
                route, certain, _ = self.match(bare + "/")
                found = certain and route is not None
                return (route, True, True) if found else (None, False, False)
            if outcome is Match.MAYBE or entry.route is None:
                return None, False, False
            return entry.route, True, False
        return None, True, False


def _same(routes: list[Route]) -> bool:
    """Routes of different roots that are the same for a browser (same view, same path)."""
    return all((r.view, r.display) == (routes[0].view, routes[0].display) for r in routes)


@dataclass
class UrlIndex:
    """Every root's routes, by name and in resolution order.

    With several roots (several ``ROOT_URLCONF`` values, or no readable one), a name or path
    counts only when every root that knows it routes it to the same view at the same path.
    """

    tables: list[_Table] = field(default_factory=list)
    roots: tuple[str, ...] = ()
    _resolved: dict[str, tuple[Route | None, bool, bool]] = field(default_factory=dict)
    _by_target: dict[str, list[Route]] | None = field(default=None, repr=False, compare=False)

    @property
    def routes(self) -> Iterator[Route]:
        for table in self.tables:
            for entry in table.entries:
                if entry.route is not None:
                    yield entry.route

    @property
    def names(self) -> dict[str, list[Route]]:
        merged: dict[str, list[Route]] = {}
        for table in self.tables:
            for name, routes in table.names.items():
                merged.setdefault(name, []).extend(routes)
        return merged

    def reverse(self, name: str, has_args: bool = False) -> Route | None:
        """The route ``reverse(name)`` (with or without arguments) picks: the last defined that fits."""
        picks = [p for p in (t.reverse(name, has_args) for t in self.tables) if p is not None]
        return picks[0] if picks and _same(picks) else None

    def routes_to(self, target: str) -> list[Route]:
        """Routes whose view is the class or function ``target`` (qualified name)."""
        if self._by_target is None:  # built once: a URL index is not changed after it is built
            by_target: dict[str, list[Route]] = {}
            for route in self.routes:
                if route.view.kind in ("class", "function"):
                    by_target.setdefault(route.view.target, []).append(route)
            self._by_target = by_target
        return list(self._by_target.get(target, ()))

    def route_chains(self) -> Iterator[tuple[Route, PatternChain]]:
        """Each route in resolution order, with the patterns a path passes to reach it (see
        ``literal_prefix``)."""
        for table in self.tables:
            for entry in table.entries:
                if entry.route is not None:
                    yield entry.route, entry.chain

    def resolve(self, path: str) -> tuple[Route | None, bool]:
        """(route, certain) for a hard-coded path like ``/accounts/logout/?next=/``.

        ``certain`` is False when an opaque or unreadable entry could have matched first.
        A path nothing matches gets ``APPEND_SLASH``'s second chance with a trailing slash.
        """
        route, certain, _ = self._lookup(path)
        return route, certain

    def redirected(self, path: str) -> bool:
        """True when ``path`` reaches its route only through a redirect adding a slash."""
        return self._lookup(path)[2]

    def _lookup(self, path: str) -> tuple[Route | None, bool, bool]:
        bare = path.split("#", 1)[0].split("?", 1)[0]
        cached = self._resolved.get(bare)
        if cached is not None:
            return cached
        result = self._match(bare)
        if result[:2] == (None, True) and not bare.endswith("/"):
            route, certain, _ = self._match(bare + "/")  # CommonMiddleware's 301 (APPEND_SLASH)
            result = (route, certain, route is not None)
        self._resolved[bare] = result
        return result

    def _match(self, bare: str) -> tuple[Route | None, bool, bool]:
        if not bare.startswith("/") or len(bare) > _MAX_PATH:
            return None, False, False
        results = [table.match(bare) for table in self.tables]
        if any(not certain for _, certain, _ in results):
            return None, False, False
        found = [r for r in results if r[0] is not None]
        if not found:
            return None, True, False
        routes = [r[0] for r in found if r[0] is not None]
        return found[0] if _same(routes) else (None, False, False)


# Characters that end a regex's literal prefix, and those of them that make the character
# before them optional.
_REGEX_SPECIAL = frozenset(".^$*+?{}[]\\|()")
_REGEX_OPTIONAL = frozenset("*?{")


def literal_prefix(chain: PatternChain) -> str:
    """Text that starts every path ``_match_chain`` says YES to for ``chain``: every path
    ``UrlIndex.resolve`` certainly matches to the chain's route, once ``unquote``d and
    without its leading slash, starts with it (or it is that path plus the slash
    ``APPEND_SLASH`` adds).

    Each pattern consumes from the start of what is left: a ``path()`` route its text up to
    the first ``<``, an anchored regex its literal characters (one before ``*``/``?``/``{``
    is optional, so it is not counted); the prefix ends with the first pattern that is not
    wholly literal, an i18n language prefix (present or not), a regex with an alternation or
    without a leading ``^``, and a pattern djvet cannot evaluate (its match is never YES).
    """
    out: list[str] = []
    for pattern in chain:
        if pattern is None or pattern.regex is None:
            break
        if pattern.kind == "route":
            cut = pattern.display.find("<")
            if cut >= 0:
                out.append(pattern.display[:cut])
                break
            out.append(pattern.display)
            continue
        text = pattern.regex.pattern
        if not text.startswith("^") or "|" in text:
            break
        end = 1
        while end < len(text) and text[end] not in _REGEX_SPECIAL:
            end += 1
        if end < len(text) and text[end] in _REGEX_OPTIONAL:
            out.append(text[1 : end - 1])
            break
        out.append(text[1:end])
        if text[end:] not in ("", "$"):
            break
    return "".join(out)


def _match_chain(chain: tuple[_Pattern | None, ...], path: str) -> Match:
    """Whether the patterns of ``chain`` consume ``path`` in turn (the last one must end it)."""
    states: list[tuple[str, bool]] = [(path, False)]  # (rest, uncertain)
    for pattern in chain:
        next_states: list[tuple[str, bool]] = []
        for rest, uncertain in states:
            if pattern is None:  # an i18n language prefix: present or not
                next_states.append((rest, True))
                prefix = _LANGUAGE_PREFIX.match(rest)
                if prefix:
                    next_states.append((rest[prefix.end() :], True))
                continue
            outcome, consumed = pattern.match(rest)
            if outcome is Match.NO:
                continue
            if outcome is Match.MAYBE:
                return Match.MAYBE  # a pattern djvet cannot evaluate: anything may follow
            next_states.append((rest[consumed:], uncertain))
        states = next_states
        if not states:
            return Match.NO
    if not chain:
        return Match.MAYBE
    if any(not uncertain for _, uncertain in states):
        return Match.YES
    return Match.MAYBE


# ---------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, project: ProjectIndex) -> None:
        self.project = project
        self.module_nodes: dict[str, list[_Node]] = {}
        self.in_progress: set[str] = set()
        self.included: set[str] = set()

    # -- modules -----------------------------------------------------------------------------
    def module(self, module: ModuleInfo) -> list[_Node]:
        cached = self.module_nodes.get(module.path)
        if cached is not None:
            return cached
        if module.path in self.in_progress:
            return [_Node(None, opaque=True, file=module.path)]
        self.in_progress.add(module.path)
        value = module.assignments.get("urlpatterns")
        nodes = self.patterns(value, module, 0) if value is not None else [_Node(None, opaque=True)]
        self.in_progress.discard(module.path)
        self.module_nodes[module.path] = nodes
        return nodes

    def patterns(self, value: Value | None, module: ModuleInfo, depth: int) -> list[_Node]:
        if value is None or depth > _MAX_DEPTH:
            return [_Node(None, opaque=True, file=module.path)]
        if isinstance(value, Seq):
            nodes: list[_Node] = []
            for item in value.items:
                if isinstance(item, Call) and item.func in PATH_FUNCTIONS:
                    nodes.append(self.path_call(item, module, depth))  # ``item``'s commonest case
                elif isinstance(item, Starred):
                    nodes.extend(self.patterns(item.value, module, depth + 1))
                else:
                    nodes.extend(self.item(item, module, depth))
            return nodes
        if isinstance(value, Ref):
            listed = self.list_value(value, module)
            if listed is not None:
                return self.patterns(listed[0], listed[1], depth + 1)
            return [_Node(None, opaque=True, file=module.path)]
        return self.item(value, module, depth)

    def list_value(self, ref: Ref, module: ModuleInfo) -> tuple[Value, ModuleInfo] | None:
        """The list a name refers to (``views.urlpatterns``, ``api_patterns``) and its module."""
        found = self.project.resolve(ref.name, module.path)
        if found is None:
            return None
        if found.kind == "assignment" and isinstance(found.obj, Seq | Call):
            return found.obj, found.module
        if found.kind == "module":
            value = found.module.assignments.get("urlpatterns")
            return (value, found.module) if value is not None else None
        return None

    def item(self, value: Value, module: ModuleInfo, depth: int) -> list[_Node]:
        if isinstance(value, Call):
            if value.func in PATH_FUNCTIONS:
                return [self.path_call(value, module, depth)]
            if value.func in I18N_PATTERNS:
                children: list[_Node] = []
                for arg in value.args:
                    if isinstance(arg, Starred):
                        children.extend(self.patterns(arg.value, module, depth + 1))
                    else:
                        children.extend(self.item(arg, module, depth + 1))
                return [
                    _Node(None, children=children, i18n=True, file=module.path, span=value.span)
                ]
            if value.func in NEVER_MATCHING:
                return [_Node(None, opaque=True, never=True, file=module.path, span=value.span)]
        return [_Node(None, opaque=True, file=module.path, span=getattr(value, "span", None))]

    def path_call(self, call: Call, module: ModuleInfo, depth: int) -> _Node:
        args = call.args
        count = len(args)
        route = args[0] if count else call.kwarg("route")
        view = args[1] if count > 1 else call.kwarg("view")
        name_value = args[3] if count > 3 else call.kwarg("name")
        name = (
            name_value.value
            if isinstance(name_value, Lit) and isinstance(name_value.value, str)
            else None
        )
        if not (isinstance(route, Lit) and isinstance(route.value, str)) or view is None:
            return _Node(None, opaque=True, file=module.path, span=call.span)
        is_regex = call.func in REGEX_FUNCTIONS
        # ``include`` answers None for a call of anything but ``include`` (``V.as_view()``).
        include = (
            self.include(view, module, depth, call.span)
            if not isinstance(view, Call) or view.func in INCLUDE_FUNCTIONS
            else None
        )
        if include is not None:
            children, namespaces = include
            return _Node(
                _Pattern(route.value, is_regex, endpoint=False),
                children=children,
                namespaces=namespaces,
                file=module.path,
                span=call.span,
            )
        return _Node(
            _Pattern(route.value, is_regex, endpoint=True),
            name=name,
            view=self.view_spec(view, module),
            file=module.path,
            span=call.span,
        )

    # -- includes ----------------------------------------------------------------------------
    def include(
        self, view: Value, module: ModuleInfo, depth: int, span: Span | None = None
    ) -> tuple[list[_Node], tuple[str, ...]] | None:
        """(children, namespaces) when ``view`` is an include; None for a view."""
        if isinstance(view, Call) and view.func in INCLUDE_FUNCTIONS:
            target = view.args[0] if view.args else view.kwarg("arg")
            namespace_value = view.args[1] if len(view.args) > 1 else view.kwarg("namespace")
            namespace = _text(namespace_value)
            children, app_name = self.urlconf(target, module, depth, view.span)
            return children, _namespaces(namespace, app_name)
        if isinstance(view, Seq) and len(view.items) in (2, 3) and _text(view.items[1]) is not None:
            children, app_name = self.urlconf(view.items[0], module, depth, None)
            app = _text(view.items[1]) or app_name
            instance = _text(view.items[2]) if len(view.items) == 3 else None
            return children, _namespaces(instance, app)
        if isinstance(view, Ref) and view.name.endswith(".urls"):
            site = self.admin_site(view.name[: -len(".urls")], module, span)
            if site is not None:
                return site
        return None

    def urlconf(
        self, target: Value | None, module: ModuleInfo, depth: int, span: Span | None
    ) -> tuple[list[_Node], str | None]:
        """The patterns of an include target and the ``app_name`` it declares."""
        if (
            isinstance(target, Seq)
            and len(target.items) == 2
            and _text(target.items[1]) is not None
        ):
            children, _ = self.urlconf(target.items[0], module, depth, span)
            return children, _text(target.items[1])
        dotted: str | None = None
        if isinstance(target, Lit) and isinstance(target.value, str):
            dotted = target.value
        elif isinstance(target, Ref):
            dotted = target.name
        if dotted is not None:
            external = self.external(dotted, module, span)
            if external is not None:
                return external, None
            included = (
                self.project.find_module(dotted, module.path) if isinstance(target, Lit) else None
            )
            if included is None and isinstance(target, Ref):
                found = self.project.resolve(dotted, module.path)
                if found is not None and found.kind == "module":
                    included = found.module
                elif found is not None and found.kind == "assignment":
                    return self.patterns(found.obj, found.module, depth + 1), None
            if included is None:
                return [_Node(None, opaque=True, file=module.path, span=span)], None
            self.included.add(included.path)
            return self.module(included), _text(included.assignments.get("app_name"))
        if isinstance(target, Seq):
            return self.patterns(target, module, depth + 1), None
        return [_Node(None, opaque=True, file=module.path, span=span)], None

    def external(self, dotted: str, module: ModuleInfo, span: Span | None) -> list[_Node] | None:
        """Django's and allauth's URLconfs, which live outside the project."""
        if dotted == AUTH_URLS:
            return [
                _Node(
                    _Pattern(route, False, endpoint=True),
                    name=name,
                    view=ViewSpec("class", f"django.contrib.auth.views.{view}"),
                    file=module.path,
                    span=span,
                )
                for route, view, name in _AUTH_ROUTES
            ]
        if dotted in _ALLAUTH_MODULES:
            nodes = [
                _Node(
                    _Pattern(route, False, endpoint=True),
                    name=name,
                    view=ViewSpec("function", view),
                    file=module.path,
                    span=span,
                )
                for route, view, name in _ALLAUTH_ROUTES
            ]
            return [*nodes, _Node(None, opaque=True, file=module.path, span=span)]
        return None

    def admin_site(
        self, site: str, module: ModuleInfo, span: Span | None = None
    ) -> tuple[list[_Node], tuple[str, ...]] | None:
        """An admin site's routes (namespace: the site's name, "admin" by default)."""
        namespace = "admin"
        site_class = ""
        opaque_first = False
        custom_logout = False
        if site not in DEFAULT_ADMIN_SITES:
            found = self.project.resolve(site, module.path)
            if found is None or found.kind != "assignment" or not isinstance(found.obj, Call):
                return None
            call = found.obj
            if call.func not in ADMIN_SITE_CLASSES:
                cls = self.project.resolve_class(call.func, found.module.path)
                if cls is None or not any(
                    b in ADMIN_SITE_CLASSES for b in self.project.base_names(cls)
                ):
                    return None
                site_class = f"{cls.module}.{cls.qualname}"
                for klass in [cls, *self._project_bases(cls.path, cls.bases)]:
                    if self.project.has_method(klass, "get_urls"):
                        opaque_first = True
                    if self.project.has_method(klass, "logout"):
                        custom_logout = True
            name_value = call.kwarg("name") or (call.args[0] if call.args else None)
            namespace = _text(name_value) or "admin"
        nodes: list[_Node] = []
        if opaque_first:
            nodes.append(_Node(None, opaque=True, file=module.path))
        for route, view in _ADMIN_ROUTES:
            spec = ViewSpec("admin", site, admin_view=view, admin_class=site_class)
            if view == "logout" and custom_logout:
                spec = ViewSpec("unknown", site, admin_view=view, admin_class=site_class)
            pattern = _Pattern(route, False, endpoint=True)
            nodes.append(_Node(pattern, name=view, view=spec, file=module.path, span=span))
        # per-model URLs, then the catch-all that appends a slash (final_catch_all_view)
        nodes.append(_Node(None, opaque=True, appends_slash=True, file=module.path))
        return nodes, _namespaces(namespace, "admin")

    def _project_bases(self, near: str, bases: tuple[str, ...]) -> list[ClassInfo]:
        out: list[ClassInfo] = []
        seen: set[str] = set()
        pending = list(bases)
        while pending and len(seen) < 32:
            base = pending.pop(0)
            if base in seen:
                continue
            seen.add(base)
            cls = self.project.resolve_class(base, near)
            if cls is not None:
                out.append(cls)
                pending.extend(cls.bases)
        return out

    # -- views -------------------------------------------------------------------------------
    def view_spec(
        self, view: Value, module: ModuleInfo, wrappers: tuple[Value, ...] = ()
    ) -> ViewSpec:
        if isinstance(view, Call):
            if view.func.endswith(".as_view"):
                name = view.func[: -len(".as_view")]
                cls = self.project.resolve_class(name, module.path)
                if cls is not None:
                    name = f"{cls.module}.{cls.qualname}"
                return _make_view("class", name, view.kwargs, wrappers, "", "")
            inner = view.args[0] if len(view.args) == 1 else None
            if inner is not None and len(wrappers) < 8:
                return self.view_spec(inner, module, (*wrappers, view))
            return ViewSpec("unknown", wrappers=wrappers)
        if isinstance(view, Ref):
            found = self.project.resolve(view.name, module.path)
            if found is not None and found.kind == "assignment" and isinstance(found.obj, Call):
                # ``logout_view = LogoutView.as_view()`` in views.py, routed by name.
                return self.view_spec(found.obj, found.module, wrappers)
            if found is not None and found.kind == "function":
                target = f"{found.module.module}.{found.obj.qualname}"
                return _make_view("function", target, (), wrappers, "", "")
            return _make_view("function", view.name, (), wrappers, "", "")
        return ViewSpec("unknown", wrappers=wrappers)


def _text(value: Value | None) -> str | None:
    return value.value if isinstance(value, Lit) and isinstance(value.value, str) else None


def _namespaces(instance: str | None, app: str | None) -> tuple[str, ...]:
    out: list[str] = []
    for name in (instance, app):
        if name and name not in out:
            out.append(name)
    return tuple(out)


def _bind(
    nodes: list[_Node],
    chain: tuple[_Pattern | None, ...],
    namespaces: tuple[tuple[str, ...], ...],
    display: str,
    index: _Table,
    depth: int = 0,
    params: bool = False,
) -> None:
    """Flatten the tree below one root into resolution-ordered entries and the name table.

    ``params``: some pattern of ``chain`` has parameters (carried down, not recounted).
    """
    if depth > _MAX_DEPTH:
        index.entries.append(_Entry(chain, None))
        return
    entries = index.entries
    names = index.names
    # What ``_spellings(namespaces, name)`` puts before each name (the same for every node).
    prefixes = _spellings(namespaces, "")
    # One spelling per name (no namespace, or one namespace per level): its prefix.
    single = prefixes[0] if len(prefixes) == 1 else None
    for node in nodes:
        pattern = node.pattern
        if pattern is not None:
            here = (*chain, pattern)
            shown = display + pattern.display
            here_params = params or pattern.has_params
        else:
            here, shown, here_params = chain, display, params
        if node.i18n:
            _bind(
                node.children or [],
                (*chain, None),
                namespaces,
                display + "<language>/",
                index,
                depth + 1,
                params,
            )
            continue
        if node.opaque or (node.children is None and node.view is None):
            entries.append(_Entry(here, None, node.never, node.appends_slash))
            continue
        if node.children is not None:
            inner_namespaces = (*namespaces, node.namespaces) if node.namespaces else namespaces
            _bind(node.children, here, inner_namespaces, shown, index, depth + 1, here_params)
            continue
        assert node.view is not None
        name = node.name
        spellings: Sequence[str]
        if not name:
            spellings = ()
        elif single is not None:
            spellings = (single + name,)
        else:
            spellings = [prefix + name for prefix in prefixes]
        route = _make_route(
            spellings[0] if spellings else None,
            "/" + shown,
            node.view,
            node.file,
            node.span,
            here_params,
        )
        entries.append(_make_entry(here, route, False, False))
        for spelling in spellings:
            listed = names.get(spelling)
            if listed is None:
                names[spelling] = [route]
            else:
                listed.append(route)


def _spellings(namespaces: tuple[tuple[str, ...], ...], name: str) -> list[str]:
    """Every ``ns:...:name`` that reverses to a route (instance or app namespace per level).

    Each spelling is the one of ``_spellings(namespaces, "")`` at its place followed by
    ``name`` (``_bind`` computes those prefixes once per include).
    """
    spellings = [name]
    for level in reversed(namespaces):
        spellings = [f"{ns}:{rest}" for ns in level for rest in spellings][:16]
    return spellings


def _root_modules(project: ProjectIndex, builder: _Builder) -> list[ModuleInfo]:
    configured: list[ModuleInfo] = []
    for module in project.modules.values():
        value = module.assignments.get("ROOT_URLCONF")
        if value is None:
            continue  # what ``_text`` says of it (most modules: not a settings module)
        dotted = _text(value)
        if dotted:
            found = project.find_module(dotted, module.path)
            if found is not None and found not in configured:
                configured.append(found)
    if configured:
        return configured
    candidates = [m for m in project.modules.values() if "urlpatterns" in m.assignments]
    for module in candidates:
        builder.module(module)
    return [m for m in candidates if m.path not in builder.included]


def build_url_index(project: ProjectIndex) -> UrlIndex:
    """Read every root URLconf of ``project`` (see the module docstring)."""
    builder = _Builder(project)
    index = UrlIndex()
    roots = _root_modules(project, builder)
    index.roots = tuple(m.module for m in roots)
    for root in sorted(roots, key=lambda m: m.module):
        table = _Table()
        _bind(builder.module(root), (), (), "", table)
        index.tables.append(table)
    return index


def url_index(project: ProjectIndex) -> UrlIndex:
    """The project's URL index, rebuilt only when the project index changed what it read.

    Functions are read by name (``ProjectIndex.derived``): a new function or method keeps
    the table unless a route, an include or an admin site looked up a function of its name.
    """
    return project.derived(
        "djvet.django.urls", lambda: build_url_index(project), reads_functions="by name"
    )
