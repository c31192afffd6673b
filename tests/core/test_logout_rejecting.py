"""``RejectingUrls``: what a hard-coded URL must spell to reach a route that rejects GET.

DJV102 skips a module (and, inside one, a statement) whose text spells no URL name of a
rejecting route and no path starting with one of their literal prefixes; DJV101 skips the
URL names of a template the same way. Each shortcut may only skip text without a finding:

- ``literal_prefix``: every path ``UrlIndex.resolve`` certainly matches to a route starts
  with that route's prefix (generated URLconfs of ``path``/``re_path`` patterns and paths);
- ``may_appear_in``/``evidence``: every string constant (implicit concatenation, escapes,
  quotes, prefixes, f-strings, comments between pieces) equal to a name, or a path starting
  with a prefix, is seen on one of its lines (generated Python source);
- ``rejecting_urls``: the names and prefixes of exactly the routes that classify REJECTS.
"""

from __future__ import annotations

import ast
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from djvet.core.django import logout as logout_module
from djvet.core.django.logout import (
    Behaviour,
    RejectingUrls,
    _classified,
    _classifier,
    rejecting_urls,
)
from djvet.core.django.urls import literal_prefix, url_index
from djvet.core.project import in_memory_project

V52 = Version("5.2")

# ---------------------------------------------------------------------------------------------
# literal_prefix
# ---------------------------------------------------------------------------------------------

ROUTES = [
    "", "a/", "ab/", "a", "b/", "<int:pk>/", "<slug:s>/", "x<str:y>/", "a/<path:p>",
    "<custom:z>/", "a<b", "a>b/", "a{1}/", "%61/",
]  # fmt: skip
REGEXES = [
    r"^a/$", r"^a/", r"^ab?/$", r"^a+/", r"^a{2}/$", r"a/", r"^(?P<n>[0-9]+)/$", r"^a|^b/",
    r"^a\.b/$", r"^$", r"(?i)^a/", r"^a*b/", r"^[ab]/", r"^a$", r"^ab/(?P<x>\w+)/$", r"^",
]  # fmt: skip
PATH_PIECES = ["a", "b", "ab", "aa", "1", "12", "/", "x", "-", "%61", "A", ".", "?q=1", "#f"]


@st.composite
def urlconfs(draw: st.DrawFn) -> str:
    """A URLconf of ``path``/``re_path`` routes and includes, two levels deep."""

    def pattern() -> str:
        if draw(st.booleans()):
            return f"path({draw(st.sampled_from(ROUTES))!r}, "
        return f"re_path({draw(st.sampled_from(REGEXES))!r}, "

    def entries(depth: int) -> list[str]:
        out = []
        for index in range(draw(st.integers(1, 4))):
            if depth < 2 and draw(st.integers(0, 2)) == 0:
                out.append(pattern() + "include([" + ", ".join(entries(depth + 1)) + "]))")
            else:
                out.append(pattern() + f"v, name='n{depth}{index}{draw(st.integers(0, 99))}')")
        return out

    return (
        "from django.urls import include, path, re_path\n\n\n"
        "def v(request):\n    return None\n\n\n"
        "urlpatterns = [" + ", ".join(entries(0)) + "]\n"
    )


@settings(max_examples=200, deadline=None)
@given(urlconfs(), st.lists(st.lists(st.sampled_from(PATH_PIECES), max_size=6), max_size=25))
def test_every_resolved_path_starts_with_its_routes_literal_prefix(
    urls_py: str, pieces: list[list[str]]
) -> None:
    urls = url_index(in_memory_project({"urls.py": urls_py}))
    prefixes = {id(route): literal_prefix(chain) for route, chain in urls.route_chains()}
    for parts in pieces:
        path = "/" + "".join(parts)
        route, certain = urls.resolve(path)
        if route is None or not certain:
            continue
        bare = unquote(path.split("#", 1)[0].split("?", 1)[0])
        assert bare[1:].startswith(prefixes[id(route)].removesuffix("/")), (path, urls_py)


def test_literal_prefixes_of_usual_routes() -> None:
    urls_py = (
        "from django.contrib import admin\n"
        "from django.urls import include, path, re_path\n\n\n"
        "def v(request):\n    return None\n\n\n"
        "urlpatterns = [\n"
        '    path("accounts/", include("django.contrib.auth.urls")),\n'
        '    path("admin/", admin.site.urls),\n'
        '    re_path(r"^old/logout/$", v, name="old"),\n'
        '    path("u/<int:pk>/out/", v, name="param"),\n'
        '    re_path(r"^maybe?/$", v, name="optional"),\n'
        '    re_path(r"loose/", v, name="loose"),\n'
        "]\n"
    )
    urls = url_index(in_memory_project({"urls.py": urls_py}))
    shown = {route.display: literal_prefix(chain) for route, chain in urls.route_chains()}
    assert shown["/accounts/logout/"] == "accounts/logout/"
    assert shown["/admin/logout/"] == "admin/logout/"
    assert shown["/old/logout/"] == "old/logout/"
    assert shown["/u/<int:pk>/out/"] == "u/"
    assert shown["/maybe?/"] == "mayb"  # the "e" before "?" is optional
    assert shown["/loose/"] == ""  # not anchored: matched anywhere in the path
    route, certain = urls.resolve("/any/where/loose/")
    assert certain and route is not None and route.name == "loose"


# ---------------------------------------------------------------------------------------------
# may_appear_in / evidence
# ---------------------------------------------------------------------------------------------

KNOWN = RejectingUrls(frozenset({"logout", "admin:logout"}), ("/accounts/logout", "/x"))
TARGETS = ["logout", "admin:logout", "/accounts/logout/", "/accounts/logout", "/x", "/x/?n=1"]
NOISE = ["login", "/accounts/login/", "log", "out", "/", "", "admin:", "/accounts/", "x"]
GAPS = [" ", "", "\n    ", "  # a comment\n    ", "\t"]


@st.composite
def literal(draw: st.DrawFn, value: str) -> str:
    """Source text of a string expression whose value is ``value``: implicitly concatenated
    pieces in any quotes, with prefixes, some characters escaped."""
    cuts = sorted(draw(st.lists(st.integers(0, len(value)), max_size=3)))
    pieces = [value[a:b] for a, b in zip([0, *cuts], [*cuts, len(value)], strict=True)]
    out = []
    for index, piece in enumerate(pieces):
        quote = draw(st.sampled_from(['"', "'", '"""', "'''"]))
        if not piece:
            quote = quote[0] * 3  # ``""`` right before ``"x"`` would read as ``"""``
        escaped = draw(st.booleans()) and bool(piece)
        prefix = "" if escaped else draw(st.sampled_from(["", "r", "u", "R"]))
        if escaped:
            at = draw(st.integers(0, len(piece) - 1))
            piece = piece[:at] + f"\\x{ord(piece[at]):02x}" + piece[at + 1 :]
        if index == 0 and "{" not in piece and "}" not in piece and draw(st.booleans()):
            prefix = "f"
            piece = piece + "{tail}" if not escaped else piece
        out.append(f"{prefix}{quote}{piece}{quote}")
    return "(" + "".join(f"{p}{draw(st.sampled_from(GAPS))}" for p in out) + ")"


@st.composite
def modules(draw: st.DrawFn) -> str:
    lines = ["tail = 'x'"]
    for index in range(draw(st.integers(1, 5))):
        value = draw(st.sampled_from(TARGETS + NOISE))
        expression = draw(literal(value))
        lines.append(f"v{index} = reverse({expression})")
    return "\n".join(lines) + "\n"


def _constants(tree: ast.Module) -> list[tuple[str, int, int]]:
    """(value, first line, last line) of each str constant and f-string's leading literal."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append((node.value, node.lineno - 1, (node.end_lineno or node.lineno) - 1))
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                out.append((first.value, node.lineno - 1, (node.end_lineno or node.lineno) - 1))
    return out


def _reaches(value: str) -> bool:
    return value in KNOWN.names or value.startswith(KNOWN.paths)


@settings(max_examples=400, deadline=None)
@given(modules())
def test_every_constant_that_may_reach_a_rejecting_route_is_seen(text: str) -> None:
    tree = ast.parse(text)
    evidence = KNOWN.evidence(text)
    lines = None if evidence is None else {text.count("\n", 0, offset) for offset in evidence}
    for value, first, last in _constants(tree):
        if not _reaches(value):
            continue
        assert KNOWN.may_appear_in(text), (value, text)
        assert lines is None or any(first <= line <= last for line in lines), (value, text)


MUST_SEE = [
    ('reverse("logout")', "the name"),
    ('reverse("log" "out")', "implicit concatenation"),
    ('reverse("log"\n    "out")', "concatenation across lines"),
    ('reverse(("log"  # why\n    "out"))', "a comment between the pieces"),
    ('reverse("log\\x6fut")', "an escape"),
    ('"/accounts/log%6Fut/"', "a percent-encoded path"),
    ('f"/accounts/logout/?next={x}"', "an f-string's leading literal"),
    ("'''/x'''", "triple quotes"),
    ('r"/x/y"', "a raw string"),
    ('("" "logout")', "an empty first piece"),
]
MUST_NOT_SEE = [
    ('reverse("login")', "another name"),
    ('"/accounts/login/"', "another path"),
    ('"log" + "out"', "a sum is no constant (and the evaluator reads no name from it)"),
    ('"lo"', "a prefix alone"),
    ('x = "logou"', "a longer prefix alone, no literal after it"),
    ('r"/accounts/"', "a path that stops short"),
    ('"accounts/sign-out/"', "a relative path"),
    ('"/y/z"[1:]', "another path, sliced"),
    ("LOG = 1  # admin", "code without the names"),
    ('"lo", "gout"', "two literals with a comma: no concatenation"),
    ('"%s/y" % z', "a format, not a percent escape"),
]


@pytest.mark.parametrize(("text", "reason"), MUST_SEE, ids=[r for _, r in MUST_SEE])
def test_spellings_of_a_rejecting_url_are_seen(text: str, reason: str) -> None:
    assert KNOWN.may_appear_in(text), reason
    evidence = KNOWN.evidence(text)
    assert evidence is None or evidence, reason


@pytest.mark.parametrize(("text", "reason"), MUST_NOT_SEE, ids=[r for _, r in MUST_NOT_SEE])
def test_text_without_a_rejecting_url(text: str, reason: str) -> None:
    assert not KNOWN.may_appear_in(text), reason
    assert KNOWN.evidence(text) == [], reason


def test_must_not_see_outnumber_must_see() -> None:
    assert len(MUST_NOT_SEE) >= len(MUST_SEE)


def test_no_rejecting_route_means_nothing_to_see() -> None:
    empty = RejectingUrls(frozenset(), ())
    assert not empty.may_appear_in('client.get(reverse("logout"))')


# ---------------------------------------------------------------------------------------------
# rejecting_urls
# ---------------------------------------------------------------------------------------------

URLS = """\
from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path
from django.views.decorators.http import require_POST

from accounts import views

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("bye/", require_POST(views.page), name="page_post_only"),
    path("out/", views.out_post, name="out_post"),
    path("out-get/", views.out_get, name="out_get"),
    path("<int:pk>/quit/", LogoutView.as_view(), name="quit"),
    path("quit/", views.page, name="quit"),
]
"""
VIEWS = """\
from django.contrib.auth import logout
from django.views.decorators.http import require_POST


def page(request):
    return None


@require_POST
def out_post(request):
    logout(request)


def out_get(request):
    logout(request)
"""


def test_the_table_holds_the_rejecting_routes_once_enough_documents_ask(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = in_memory_project({"urls.py": URLS, "accounts/views.py": VIEWS})
    urls = url_index(project)
    monkeypatch.setattr(logout_module, "_REJECTING_AFTER", 3)
    assert rejecting_urls(project, urls, V52) is None
    assert rejecting_urls(project, urls, V52) is None
    known = rejecting_urls(project, urls, V52)
    assert known is not None
    assert known is rejecting_urls(project, urls, V52)
    # Exactly the names some route of which classifies REJECTS.
    expected = {
        name
        for name, routes in urls.names.items()
        if any(
            _classified(project, r, V52, logouts_only=True).behaviour is Behaviour.REJECTS
            for r in routes
        )
    }
    assert known.names == expected
    assert {"logout", "admin:logout", "out_post", "quit"} <= known.names
    assert "out_get" not in known.names  # logs out on GET: DJV103's, not a rejection
    assert "page_post_only" not in known.names  # refuses GET, but logs nobody out
    assert "/quit" not in known.paths  # the "quit" path route is a page
    assert {"/accounts/logout", "/admin/logout", "/out", "/"} <= set(known.paths)


def test_a_new_url_index_gets_a_new_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logout_module, "_REJECTING_AFTER", 1)
    project = in_memory_project({"urls.py": URLS, "accounts/views.py": VIEWS})
    first = rejecting_urls(project, url_index(project), V52)
    memo = _classifier(project, V52)
    assert memo.rejecting is not None and first is memo.rejecting[1]
    other = url_index(in_memory_project({"urls.py": URLS, "accounts/views.py": VIEWS}))
    second = rejecting_urls(project, other, V52)
    assert second is not None and second is not first
