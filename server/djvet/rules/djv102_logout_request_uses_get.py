"""DJV102: Python code that requests a GET-rejecting logout with GET (test client, redirects)."""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial

from ..core.django.logout import (
    Behaviour,
    LogoutTarget,
    qualify,
    rejecting_urls,
    target_for_name,
    target_for_path,
)
from ..core.django.urls import UrlIndex, url_index
from ..core.python.edits import fix_keeps_valid
from ..core.python.facts import ModuleInfo, dotted
from ..core.rule import CheckContext, Invalid, Rule, Valid
from ..core.types import Applicability, Edit, Finding, Fix, Related, Severity, SourceKind
from ._document import module_facts

REVERSE_FUNCTIONS = frozenset(
    {
        "django.urls.reverse",
        "django.urls.reverse_lazy",
        "django.urls.base.reverse",
        "django.core.urlresolvers.reverse",
    }
)
RESOLVE_URL = frozenset({"django.shortcuts.resolve_url"})
REDIRECT_FUNCTIONS = frozenset({"django.shortcuts.redirect"})
REDIRECT_CLASSES = frozenset(
    {
        "django.http.HttpResponseRedirect",
        "django.http.HttpResponsePermanentRedirect",
        "django.http.response.HttpResponseRedirect",
        "django.http.response.HttpResponsePermanentRedirect",
    }
)
REDIRECT_VIEWS = frozenset(
    {"django.views.generic.RedirectView.as_view", "django.views.generic.base.RedirectView.as_view"}
)
# The last part of each redirect callable's qualified name: a dotted callee (``shortcuts.redirect``,
# ``RedirectView.as_view``) qualifies to a name ending in its own last part, so one ending in
# anything else is none of them (a bare name is looked up whatever it is: it may be an alias).
_REDIRECT_LAST_PARTS = frozenset(
    name.rpartition(".")[2] for name in REDIRECT_FUNCTIONS | REDIRECT_CLASSES | REDIRECT_VIEWS
)
CLIENT_CLASSES = frozenset(
    {
        "django.test.Client",
        "django.test.AsyncClient",
        "django.test.client.Client",
        "django.test.client.AsyncClient",
    }
)
CLIENT_ATTRIBUTES = frozenset({"client", "async_client"})
CLIENT_FIXTURES = frozenset({"client", "admin_client", "async_client", "async_admin_client"})
GET_METHODS = frozenset({"get", "head"})
# Marks of a test that checks the GET refusal or the deprecation on purpose.
_ON_PURPOSE_NAMES = frozenset(
    {"RemovedInDjango50Warning", "METHOD_NOT_ALLOWED", "assertWarns", "assertWarnsMessage", "warns"}
)
_MAX_DEPTH = 6

URLS = """\
from django.urls import include, path

urlpatterns = [path("accounts/", include("django.contrib.auth.urls"))]
"""
PROJECT = {"urls.py": URLS}


@dataclass(frozen=True)
class UrlValue:
    name: str | None
    path: str | None
    has_args: bool


def _name_assigns(body: list[ast.stmt]) -> Iterator[tuple[str, ast.Assign]]:
    """``name = value`` statements of ``body`` (one plain name assigned), with the name."""
    for stmt in body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
        ):
            yield stmt.targets[0].id, stmt


_SET_UPS = frozenset({"setUp", "setUpTestData", "setUpClass", "asyncSetUp"})


def _class_scope_statements(node: ast.ClassDef) -> Iterator[ast.stmt]:
    """The statements ``_class_scope`` reads ``self.x`` bindings from: ``name = value`` in the
    class body, and the set-up methods."""
    assigns = {id(stmt) for _, stmt in _name_assigns(node.body)}
    for stmt in node.body:
        if id(stmt) in assigns or (
            isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name in _SET_UPS
        ):
            yield stmt


class _Evaluator:
    """What URL a Python expression denotes: ``reverse("x")``, ``"/a/?next=/"``, a variable."""

    def __init__(self, module: ModuleInfo, tree: ast.Module) -> None:
        self.module = module
        self.module_constants: dict[str, ast.expr] = {}
        for name, stmt in _name_assigns(tree.body):
            self.module_constants[name] = (
                stmt.value if name not in self.module_constants else ast.Constant(None)
            )

    def qualified(self, node: ast.expr) -> str | None:
        name = dotted(node)
        return qualify(self.module, name) if name else None

    def url(
        self, node: ast.expr | None, scope: Mapping[str, ast.expr], depth: int = 0
    ) -> UrlValue | None:
        if node is None or depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return _literal_url(node.value, allow_name=False)
        if isinstance(node, ast.Call):
            func = self.qualified(node.func)
            if func in REVERSE_FUNCTIONS and node.args:
                name = node.args[0]
                if isinstance(name, ast.Constant) and isinstance(name.value, str):
                    has_args = any(
                        k.arg in ("args", "kwargs") and not _empty(k.value) for k in node.keywords
                    )
                    has_args = has_args or (len(node.args) > 2 and not _empty(node.args[2]))
                    return UrlValue(name.value, None, has_args)
                return None
            if func in RESOLVE_URL and node.args:
                return self.redirect_target(node.args[0], scope, depth + 1)
            if func == "str" and len(node.args) == 1:
                return self.url(node.args[0], scope, depth + 1)
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.url(node.left, scope, depth + 1)
            if left is not None and _starts_query(node.right):
                return left
            return None
        if isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if (
                isinstance(first, ast.FormattedValue)
                and first.format_spec is None
                and first.conversion == -1
            ):
                base = self.url(first.value, scope, depth + 1)
                if base is not None and (len(node.values) == 1 or _starts_query(node.values[1])):
                    return base
                return None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                text = first.value
                if "?" in text or "#" in text or len(node.values) == 1:
                    return _literal_url(text, allow_name=False)
            return None
        if isinstance(node, ast.Name):
            bound = scope.get(node.id, self.module_constants.get(node.id))
            return self.url(bound, {}, depth + 1) if bound is not None else None
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("self", "cls")
        ):
            bound = scope.get(f"self.{node.attr}")
            return self.url(bound, {}, depth + 1) if bound is not None else None
        return None

    def redirect_target(
        self, node: ast.expr, scope: Mapping[str, ast.expr], depth: int = 0
    ) -> UrlValue | None:
        """``redirect("logout")`` reverses a bare name; anything with "/" or "." is a URL."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return _literal_url(node.value, allow_name=True)
        return self.url(node, scope, depth)


def _literal_url(text: str, allow_name: bool) -> UrlValue | None:
    if text.startswith("/") and not text.startswith("//"):
        return UrlValue(None, text, False)
    if allow_name and text and "/" not in text and "." not in text and " " not in text:
        return UrlValue(text, None, False)
    return None


def _starts_query(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.startswith(("?", "#"))
    if isinstance(node, ast.JoinedStr) and node.values:
        return _starts_query(node.values[0])
    return False


def _empty(node: ast.expr) -> bool:
    if isinstance(node, (ast.List, ast.Tuple)):
        return not node.elts
    if isinstance(node, ast.Dict):
        return not node.keys
    return isinstance(node, ast.Constant) and node.value is None


# Node class -> the fields ``walk`` descends into: ``ctx`` holds only the ``Load``/``Store``/
# ``Del`` marker, and a parsed ``Name``/``Constant`` has no node below it.
_WALKED_FIELDS: dict[type, tuple[str, ...]] = {}


def _walked_fields(cls: type) -> tuple[str, ...]:
    if issubclass(cls, (ast.Name, ast.Constant)):
        return ()
    return tuple(name for name in getattr(cls, "_fields", ()) if name != "ctx")


def walk(root: ast.AST) -> list[ast.AST]:
    """``list(ast.walk(root))`` in the same (breadth-first) order, without a generator per node
    and without the ``Load``/``Store``/``Del`` context markers (no pass here reads them)."""
    nodes = [root]
    append = nodes.append
    table = _WALKED_FIELDS
    index = 0
    while index < len(nodes):
        node = nodes[index]
        index += 1
        fields = table.get(type(node))
        if fields is None:
            fields = table[type(node)] = _walked_fields(type(node))
        for name in fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                append(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        append(item)
    return nodes


class _Scope(Mapping[str, ast.expr]):
    """A name -> expression table worked out on its first lookup: most functions with a
    candidate call never look a name up (``self.client.get(reverse("x"))``)."""

    __slots__ = ("_build", "_table")

    def __init__(self, build: Callable[[], dict[str, ast.expr]]) -> None:
        self._build = build
        self._table: dict[str, ast.expr] | None = None

    def table(self) -> dict[str, ast.expr]:
        if self._table is None:
            self._table = self._build()
        return self._table

    def __getitem__(self, key: str) -> ast.expr:
        return self.table()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.table())

    def __len__(self) -> int:
        return len(self.table())

    def get(self, key: str, default: ast.expr | None = None) -> ast.expr | None:  # type: ignore[override]
        return self.table().get(key, default)


def _class_scope(node: ast.ClassDef) -> dict[str, ast.expr]:
    """``self.x`` bindings of a test class: class attributes and setUp/setUpTestData assignments."""
    scope: dict[str, ast.expr] = {}
    for stmt in _class_scope_statements(node):
        if isinstance(stmt, ast.Assign):
            scope[f"self.{stmt.targets[0].id}"] = stmt.value  # type: ignore[attr-defined]
        else:
            for sub in walk(stmt):
                if isinstance(sub, ast.Assign) and len(sub.targets) == 1:
                    target = sub.targets[0]
                    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                        scope[f"self.{target.attr}"] = sub.value
    return scope


def _function_scope(
    node: ast.FunctionDef | ast.AsyncFunctionDef, nodes: list[ast.AST] | None = None
) -> dict[str, ast.expr]:
    """Names assigned exactly once in the function body (later rebinding: unknown).

    ``nodes``: ``walk(node)`` when the caller already has it.
    """
    scope: dict[str, ast.expr] = {}
    seen: set[str] = set()
    for sub in walk(node) if nodes is None else nodes:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(sub, ast.Assign):
            targets, value = list(sub.targets), sub.value
        elif isinstance(sub, (ast.AnnAssign, ast.AugAssign)):
            targets, value = [sub.target], sub.value if isinstance(sub, ast.AnnAssign) else None
        elif isinstance(sub, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.NamedExpr)):
            targets = (
                [sub.target] if isinstance(sub, (ast.For, ast.AsyncFor, ast.NamedExpr)) else []
            )
        for target in targets:
            if isinstance(target, ast.Name):
                if target.id in seen:
                    scope.pop(target.id, None)
                else:
                    seen.add(target.id)
                    if value is not None and len(targets) == 1:
                        scope[target.id] = value
    return scope


def _scope_in_function(
    class_scope: _Scope, node: ast.FunctionDef | ast.AsyncFunctionDef, nodes: list[ast.AST]
) -> dict[str, ast.expr]:
    """The names a function of a test class sees: the class's ``self.x``, then its own."""
    return {**class_scope.table(), **_function_scope(node, nodes)}


def _on_purpose(node: ast.AST, nodes: list[ast.AST] | None = None) -> bool:
    """The test checks the 405 / the deprecation warning itself."""
    for sub in walk(node) if nodes is None else nodes:
        if isinstance(sub, ast.Constant) and sub.value == 405 and not isinstance(sub.value, bool):
            return True
        name = (
            sub.id
            if isinstance(sub, ast.Name)
            else sub.attr
            if isinstance(sub, ast.Attribute)
            else None
        )
        if name in _ON_PURPOSE_NAMES:
            return True
    return False


# A ``.get``/``.head`` attribute: a dot, then maybe spaces, line continuations or (inside
# brackets) comments, then the name.
_GET_ATTRIBUTE = re.compile(rf"\.(?:\s|\\|#[^\n]*\n)*(?:{'|'.join(sorted(GET_METHODS))})\b")


def _is_word(char: str) -> bool:
    """``re``'s ``\\w`` for a ``str`` pattern: Unicode alphanumerics and the underscore."""
    return char.isalnum() or char == "_"


@dataclass(frozen=True)
class WordSearch:
    """``re.search(r"\\b(?:w1|w2|...)\\b", text)`` with ``str.find``: the regex has no literal
    prefix to scan for, so it tries every position (about 10x slower on source files)."""

    words: tuple[str, ...]

    def search(self, text: str) -> bool:
        length = len(text)
        for word in self.words:
            size = len(word)
            start = text.find(word)
            while start >= 0:
                end = start + size
                before = start > 0 and _is_word(text[start - 1])
                after = end < length and _is_word(text[end])
                if before != _is_word(word[0]) and after != _is_word(word[-1]):
                    return True
                start = text.find(word, start + 1)
        return False


@dataclass(frozen=True)
class CandidateText:
    """Text a function must hold for ``_calls`` to find anything in it.

    ``redirect``: the last name of a redirect callable (a dotted callee keeps it when
    qualified; a bare name is an import or module-level name that qualifies to one). Or both
    of: a ``.get``/``.head`` attribute and a word naming a test client (``client``: ``self.client``,
    a fixture parameter, or the client class's last name or alias: a name bound to ``Client()``
    is bound in the same function).
    """

    redirect: WordSearch
    client: WordSearch

    def found_in(self, text: str) -> bool:
        if _GET_ATTRIBUTE.search(text) is not None and self.client.search(text):
            return True
        return self.redirect.search(text)


def _candidate_text(module: ModuleInfo) -> CandidateText:
    def words(wanted: frozenset[str]) -> set[str]:
        out = {name.rpartition(".")[2] for name in wanted}
        # An import alias names the callable under another word. (A name the module defines
        # qualifies to ``<module>.<name>``: wanted only when it ends in a word already here.)
        out.update(name for name in module.imports if qualify(module, name) in wanted)
        return out

    redirect = words(REDIRECT_FUNCTIONS | REDIRECT_CLASSES | REDIRECT_VIEWS)
    client = words(CLIENT_CLASSES) | CLIENT_ATTRIBUTES | CLIENT_FIXTURES
    return CandidateText(
        WordSearch(tuple(sorted(w for w in redirect if w))),
        WordSearch(tuple(sorted(w for w in client if w))),
    )


def candidate_text(ctx: CheckContext, module: ModuleInfo) -> CandidateText:
    """``_candidate_text`` of the document's module, compiled once per document."""
    return ctx.shared("djv102.candidate-text", lambda: _candidate_text(module))


def _has_candidate(
    ctx: CheckContext,
    root: ast.FunctionDef | ast.AsyncFunctionDef,
    evaluator: _Evaluator,
    nodes: list[ast.AST],
) -> bool:
    """True when ``root`` holds a call of the kinds ``_calls`` examines (before any scope work).

    ``nodes`` is ``walk(root)``, filled here only when the text test passes.
    """
    source = ctx.python
    first = min([root.lineno, *(d.lineno for d in root.decorator_list)]) - 1
    last = root.end_lineno or root.lineno
    segment = source.text[source.lines.line_start(first) : source.lines.line_start(last)]
    if not candidate_text(ctx, evaluator.module).found_in(segment):
        return False
    nodes.extend(walk(root))
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in GET_METHODS:
            return True
        if isinstance(func, ast.Attribute) and func.attr not in _REDIRECT_LAST_PARTS:
            continue  # ``qualify`` keeps a dotted callee's last part
        qualified = evaluator.qualified(func)
        if qualified in REDIRECT_FUNCTIONS or qualified in REDIRECT_CLASSES:
            return True
        if qualified in REDIRECT_VIEWS:
            return True
    return False


class _Reach:
    """The lines of a document that may hold a string constant naming, or a path reaching, a
    route that rejects GET (``RejectingUrls.evidence``). Every URL ``_target`` reports is such
    a constant's value, read by ``_Evaluator`` from the statement being scanned, from the
    ``self.x`` bindings of its class (``_class_scope``) or from module constants: a statement
    none of whose readable lines holds one reports nothing."""

    __slots__ = ("lines",)

    def __init__(self, lines: list[int]) -> None:
        self.lines = lines  # sorted, 0-based

    @staticmethod
    def of(ctx: CheckContext, urls: UrlIndex, tree: ast.Module) -> _Reach | None:
        """None when every line may (no table of rejecting URLs yet, or an escape)."""
        known = rejecting_urls(ctx.project, urls, ctx.django_version)
        offsets = known.evidence(ctx.text) if known is not None else None
        if offsets is None:
            return None
        position = ctx.python.lines.position
        return _Reach(sorted({position(offset)[0] for offset in offsets}))

    def touches(self, node: ast.stmt) -> bool:
        """A line of ``node`` (its decorators included) is one of ``lines``."""
        first = node.lineno
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([first, *(d.lineno for d in node.decorator_list)])
        index = bisect.bisect_left(self.lines, first - 1)
        return index < len(self.lines) and self.lines[index] <= (node.end_lineno or first) - 1

    def touches_any(self, nodes: Iterable[ast.stmt]) -> bool:
        return any(self.touches(node) for node in nodes)


def _module_constants(tree: ast.Module) -> Iterator[ast.stmt]:
    """The statements ``_Evaluator`` reads module constants from."""
    for _, stmt in _name_assigns(tree.body):
        yield stmt


@dataclass(frozen=True)
class _Hit:
    node: ast.Call
    kind: str  # "client" | "redirect" | "redirect-view" | "success-url"
    url: UrlValue
    target: LogoutTarget
    client: str = ""


class LogoutRequestUsesGet(Rule):
    """
    ## What it does
    Finds Python code that requests a logout URL with **GET** where the logout view rejects
    or deprecates GET (Django's `LogoutView`, the admin's logout, `logout_then_login`, a
    project logout view restricted to POST): the test client (`self.client.get(...)`,
    `self.client.head(...)`, `Client().get(...)`, `AsyncClient().get(...)`, pytest-django's
    `client` fixture) and redirects (`redirect("logout")`, `HttpResponseRedirect(reverse(...))`,
    `RedirectView.as_view(pattern_name="logout")`) — a browser follows a redirect with GET.
    URLs are read from `reverse("logout")`, `reverse_lazy(...)`, `resolve_url(...)`, literal
    paths (`"/accounts/logout/?next=/"`), f-strings and variables assigned once.

    ## Why is this bad?
    Since Django 5.0 `LogoutView` answers GET with 405 Method Not Allowed and the user stays
    logged in: a test that "logs out" with `client.get` tests nothing (or fails), and a
    redirect to the logout URL lands the user on a 405 page. On 4.1–4.2 the request works but
    raises a `RemovedInDjango50Warning` that Python hides by default.

    ## Example
    ```python
    response = self.client.get(reverse("logout"))
    ```

    ## Use instead
    ```python
    response = self.client.post(reverse("logout"))
    ```
    or `self.client.logout()` when the test only needs a logged-out client.

    ## Fix safety
    `client.get(url, ...)` / `client.head(url, ...)` becomes `client.post(url, ...)` with the
    same arguments (query data moves to the POST body, where `LogoutView` reads `next` first):
    safe for Django's logout views, unsafe for a project view (it may read `request.GET`).
    Tests that check the 405 or the deprecation warning on purpose (they mention 405,
    `METHOD_NOT_ALLOWED`, `assertWarns` or `RemovedInDjango50Warning`) are not reported.
    Redirects have no automatic fix: log the user out in the redirecting view
    (`django.contrib.auth.logout(request)`) and redirect to the page after logout, or render a
    page with a POST logout form.

    ## Django versions
    Error from Django 5.0 (405), warning on 4.1–4.2 (deprecated), hint before 4.1. A project
    view restricted to POST refuses GET in every version: always an error.

    ## References
    - [LogoutView](https://docs.djangoproject.com/en/stable/topics/auth/default/#django.contrib.auth.views.LogoutView)
    - [The test client](https://docs.djangoproject.com/en/stable/topics/testing/tools/#the-test-client)
    - [Django 4.1 release notes: log out via GET](https://docs.djangoproject.com/en/stable/releases/4.1/#log-out-via-get)
    """

    code = "DJV102"
    name = "logout-request-uses-get"
    summary = "Test client or redirect requests a POST-only logout with GET"
    severity = Severity.ERROR
    targets = frozenset({SourceKind.PYTHON})
    django = ""
    fixable = True
    reference = "topics/auth/default/#django.contrib.auth.views.LogoutView"
    examples = (
        Invalid(
            "from django.test import TestCase\n"
            "from django.urls import reverse\n\n\n"
            "class LogoutTests(TestCase):\n"
            "    def test_logout(self):\n"
            '        response = self.client.get(reverse("logout"), follow=True)\n'
            "        self.assertFalse(response.wsgi_request.user.is_authenticated)\n",
            reason="the test client GETs Django's LogoutView: 405 since 5.0",
            path="app/tests.py",
            files=PROJECT,
            lines=(7,),
            message="405 Method Not Allowed",
            fixed=(
                "from django.test import TestCase\n"
                "from django.urls import reverse\n\n\n"
                "class LogoutTests(TestCase):\n"
                "    def test_logout(self):\n"
                '        response = self.client.post(reverse("logout"), follow=True)\n'
                "        self.assertFalse(response.wsgi_request.user.is_authenticated)\n"
            ),
        ),
        Invalid(
            "from django.test import Client\n\n\n"
            "def test_logout(db):\n"
            "    client = Client()\n"
            '    client.get("/accounts/logout/?next=/")\n',
            reason="a literal logout path with a query string, a local Client()",
            path="app/test_views.py",
            files=PROJECT,
            lines=(6,),
            django="4.2",
            message="deprecated since Django 4.1",
            fixed=(
                "from django.test import Client\n\n\n"
                "def test_logout(db):\n"
                "    client = Client()\n"
                '    client.post("/accounts/logout/?next=/")\n'
            ),
        ),
        Invalid(
            "from django.shortcuts import redirect\n\n\n"
            "def close_account(request):\n"
            "    request.user.is_active = False\n"
            "    request.user.save()\n"
            '    return redirect("logout")\n',
            reason="the browser follows the redirect with GET",
            path="app/views.py",
            files=PROJECT,
            lines=(7,),
            message="follows a redirect with GET",
        ),
        Valid(
            "from django.urls import reverse\n\n\n"
            "def test_logout(client):\n"
            '    client.post(reverse("logout"))\n',
            reason="POST is how LogoutView logs out",
            path="app/tests.py",
            files=PROJECT,
        ),
        Valid(
            "def test_logout(client):\n    client.logout()\n",
            reason="client.logout() is the test client's own helper, no request",
            path="app/tests.py",
            files=PROJECT,
        ),
        Valid(
            "from django.urls import reverse\n\n\n"
            "def test_logout_get_is_refused(client):\n"
            '    response = client.get(reverse("logout"))\n'
            "    assert response.status_code == 405\n",
            reason="the test checks the 405 on purpose",
            path="app/tests.py",
            files=PROJECT,
        ),
        Valid(
            "from django.urls import reverse\n\n\n"
            "def test_login_page(client):\n"
            '    client.get(reverse("login"))\n',
            reason="the login page is not a logout",
            path="app/tests.py",
            files=PROJECT,
        ),
        Valid(
            "from django.shortcuts import redirect\n\n\n"
            "def done(request):\n"
            '    return redirect("login")\n',
            reason="a redirect to a page that is no logout",
            path="app/views.py",
            files=PROJECT,
        ),
        Valid(
            'def fetch(session):\n    return {"logout": 1}.get("logout")\n',
            reason="dict.get is no request",
            path="app/tests.py",
            files=PROJECT,
        ),
    )

    def gate(self, ctx: CheckContext) -> bool:
        text = ctx.text
        if "success_url" not in text and (
            # Text any finding needs, whatever the module imports: a redirect callable's name
            # (``redirect``, ``HttpResponseRedirect``, ``RedirectView``; an alias is imported
            # under that name), or a ``.get``/``.head`` attribute and a test client (``client``
            # fixtures and attributes, ``Client``/``AsyncClient`` or the import of an alias).
            "edirect" not in text and ("lient" not in text or _GET_ATTRIBUTE.search(text) is None)
        ):
            return False
        # Every finding's URL is a string constant of the module naming, or a path reaching,
        # a route that rejects GET (``_target``): none spelled, none found.
        known = rejecting_urls(ctx.project, url_index(ctx.project), ctx.django_version)
        if known is not None and not known.may_appear_in(text):
            return False
        if "success_url" in text:
            return True
        # What ``_has_candidate`` asks of each function, asked of the whole text: a call that
        # ``_calls`` examines (in a function, a class body or at module level) needs a
        # redirect callable's name, or a ``.get``/``.head`` and a word naming a test client.
        return candidate_text(ctx, module_facts(ctx)).found_in(text)

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        urls = url_index(ctx.project)
        if not any(True for _ in urls.routes):
            return
        module = module_facts(ctx)
        tree = ctx.python.tree
        evaluator = _Evaluator(module, tree)
        reach = _Reach.of(ctx, urls, tree)
        for hit in self._hits(ctx, tree, evaluator, urls, reach):
            yield self._finding(ctx, hit)

    # -- finding the requests ----------------------------------------------------------------
    def _hits(
        self,
        ctx: CheckContext,
        tree: ast.Module,
        evaluator: _Evaluator,
        urls: UrlIndex,
        reach: _Reach | None = None,
    ) -> Iterator[_Hit]:
        if reach is not None and reach.touches_any(_module_constants(tree)):
            reach = None  # a module constant may be the URL: every statement may request it
        yield from self._scan(ctx, tree.body, _Scope(dict), evaluator, urls, reach, reach)

    def _scan(
        self,
        ctx: CheckContext,
        body: list[ast.stmt],
        class_scope: _Scope,
        evaluator: _Evaluator,
        urls: UrlIndex,
        reach: _Reach | None,
        methods_reach: _Reach | None,
    ) -> Iterator[_Hit]:
        """Hits of the statements of ``body``. ``reach``: what may hold a rejecting URL for a
        statement read with no scope of its own (None: any statement); ``methods_reach``: the
        same for the functions of ``body``, which see ``class_scope``."""
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                scope = _Scope(partial(_class_scope, stmt))
                for item in stmt.body:
                    if isinstance(item, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "success_url" for t in item.targets
                    ):
                        if reach is not None and not reach.touches(item):
                            continue
                        found = self._target(ctx, urls, evaluator.url(item.value, {}))
                        if found is not None and isinstance(item.value, ast.Call):
                            yield _Hit(item.value, "success-url", found[0], found[1])
                inner = reach
                if reach is not None and reach.touches_any(_class_scope_statements(stmt)):
                    inner = None  # a ``self.x`` the methods read may be the URL
                yield from self._scan(ctx, stmt.body, scope, evaluator, urls, reach, inner)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if methods_reach is not None and not methods_reach.touches(stmt):
                    continue  # no URL it can read reaches a rejecting logout
                # The cheap test first: most functions hold no call ``_calls`` could report.
                nodes: list[ast.AST] = []  # one walk of the function for the passes below
                if not _has_candidate(ctx, stmt, evaluator, nodes):
                    continue
                scope = _Scope(partial(_scope_in_function, class_scope, stmt, nodes))
                hits = list(self._calls(ctx, stmt, scope, evaluator, urls, nodes))
                # Rarely any: ask whether the test checks the refusal on purpose only then.
                if hits and not _on_purpose(stmt, nodes):
                    yield from hits
            elif not isinstance(stmt, (ast.Import, ast.ImportFrom)) and (  # no call in an import
                reach is None or reach.touches(stmt)
            ):
                yield from self._calls(ctx, stmt, {}, evaluator, urls)

    def _calls(
        self,
        ctx: CheckContext,
        root: ast.AST,
        scope: Mapping[str, ast.expr],
        evaluator: _Evaluator,
        urls: UrlIndex,
        nodes: list[ast.AST] | None = None,
    ) -> Iterator[_Hit]:
        fixtures: set[str] = set()
        if isinstance(root, (ast.FunctionDef, ast.AsyncFunctionDef)):
            fixtures = {a.arg for a in (*root.args.posonlyargs, *root.args.args)} & CLIENT_FIXTURES
        for node in walk(root) if nodes is None else nodes:
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in GET_METHODS:
                client = self._client(func.value, scope, fixtures, evaluator)
                if client:
                    argument = node.args[0] if node.args else _keyword(node, "path")
                    found = self._target(ctx, urls, evaluator.url(argument, scope))
                    if found is not None:
                        yield _Hit(node, "client", found[0], found[1], client)
                continue
            if isinstance(func, ast.Attribute) and func.attr not in _REDIRECT_LAST_PARTS:
                continue  # no redirect: ``qualify`` keeps a dotted callee's last part
            qualified = evaluator.qualified(func)
            if qualified in REDIRECT_FUNCTIONS or qualified in REDIRECT_CLASSES:
                argument = (
                    node.args[0]
                    if node.args
                    else _keyword(node, "to" if qualified in REDIRECT_FUNCTIONS else "redirect_to")
                )
                value = (
                    evaluator.redirect_target(argument, scope) if argument is not None and qualified in REDIRECT_FUNCTIONS
                    else evaluator.url(argument, scope)
                )  # fmt: skip
                found = self._target(ctx, urls, value)
                if found is not None:
                    yield _Hit(node, "redirect", found[0], found[1])
            elif qualified in REDIRECT_VIEWS:
                pattern = _keyword(node, "pattern_name")
                if isinstance(pattern, ast.Constant) and isinstance(pattern.value, str):
                    view_url: UrlValue | None = UrlValue(pattern.value, None, False)
                else:
                    view_url = evaluator.url(_keyword(node, "url"), scope)
                found = self._target(ctx, urls, view_url)
                if found is not None:
                    yield _Hit(node, "redirect-view", found[0], found[1])

    def _client(
        self,
        receiver: ast.expr,
        scope: Mapping[str, ast.expr],
        fixtures: set[str],
        evaluator: _Evaluator,
    ) -> str:
        """How the message names the test client ``receiver`` is, or "" when it is none."""
        if (
            isinstance(receiver, ast.Attribute)
            and isinstance(receiver.value, ast.Name)
            and receiver.value.id in ("self", "cls")
            and receiver.attr in CLIENT_ATTRIBUTES
        ):
            return f"{receiver.value.id}.{receiver.attr}"
        if isinstance(receiver, ast.Call) and evaluator.qualified(receiver.func) in CLIENT_CLASSES:
            return ast.unparse(receiver)
        if isinstance(receiver, ast.Name):
            bound = scope.get(receiver.id)
            if isinstance(bound, ast.Call) and evaluator.qualified(bound.func) in CLIENT_CLASSES:
                return receiver.id
            if bound is None and receiver.id in fixtures:
                return receiver.id
        return ""

    def _target(
        self, ctx: CheckContext, urls: UrlIndex, value: UrlValue | None
    ) -> tuple[UrlValue, LogoutTarget] | None:
        if value is None:
            return None
        if value.name is not None:
            target = target_for_name(
                ctx.project, urls, value.name, value.has_args, ctx.django_version, logouts_only=True
            )
        elif value.path is not None:
            target = target_for_path(
                ctx.project, urls, value.path, ctx.django_version, logouts_only=True
            )
        else:
            return None
        if target.behaviour is not Behaviour.REJECTS:
            return None
        return value, target

    # -- reporting ---------------------------------------------------------------------------
    def _finding(self, ctx: CheckContext, hit: _Hit) -> Finding:
        version = ctx.django_version
        url = f"'{hit.url.name}'" if hit.url.name else (hit.url.path or "")
        source = ctx.python
        fix = None
        related = []
        route = hit.target.route
        if route is not None and route.file and route.span is not None:
            related.append(
                Related(
                    f"'{route.name or route.display}' ({route.display}) is routed here",
                    route.span,
                    route.file,
                )
            )
        if hit.kind == "client":
            func = hit.node.func
            assert isinstance(func, ast.Attribute)
            span = source.attr_span(func)
            consequence = hit.target.consequence(version, "the request", csrf_note=False)
            message = (
                f"{hit.client}.{func.attr}() requests {url} with {func.attr.upper()}: {consequence}. "
                f"Use {hit.client}.post() (or {hit.client}.logout() when the test only needs a "
                "logged-out client)."
            )
            edit = Edit(span, "post")
            if fix_keeps_valid(source.text, [edit]):
                applicability = (
                    Applicability.SAFE if hit.target.query_moves else Applicability.UNSAFE
                )
                fix = Fix(f"Use {hit.client}.post()", applicability, (edit,))
            return self.finding(
                ctx, span, message, fix=fix, severity=hit.target.severity(version), related=related
            )
        span = source.span(hit.node)
        what = {
            "redirect": "This redirect",
            "redirect-view": "This RedirectView",
            "success-url": "This success_url",
        }[hit.kind]
        consequence = hit.target.consequence(version, "the redirected request")
        message = (
            f"{what} sends the browser to {url}, and a browser follows a redirect with GET: "
            f"{consequence}. Log the user out here with django.contrib.auth.logout(request) and "
            "redirect to the page after logout, or render a page with a POST logout form."
        )
        return self.finding(
            ctx, span, message, severity=hit.target.severity(version), related=related
        )


def _keyword(node: ast.Call, name: str) -> ast.expr | None:
    for keyword in node.keywords:
        if keyword.arg == name:
            return keyword.value
    return None
