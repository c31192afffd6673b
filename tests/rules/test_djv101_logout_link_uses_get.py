"""DJV101 logout-link-uses-get: every kind of link, every URL-resolution path, versions, rewrites."""

from __future__ import annotations

import pytest
from packaging.version import Version

from djvet.core.config import Settings
from djvet.core.engine import check, fix_document
from djvet.core.project import in_memory_project
from djvet.core.registry import get_rule
from djvet.core.rule import Document
from djvet.core.sources import classify
from djvet.core.templates.lexer import tokenize_template
from djvet.core.types import Severity

RULE = get_rule("DJV101")

URLS = """\
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from accounts import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("me/", include("accounts.urls")),
    path("out/", auth_views.LogoutView.as_view(next_page="/"), name="custom_out"),
    path("then-login/", auth_views.logout_then_login, name="then_login"),
    path("allauth/", include("allauth.urls")),
    path("search/", views.search, name="search"),
]
"""
ACCOUNT_URLS = """\
from django.urls import path
from . import views

app_name = "accounts"
urlpatterns = [
    path("get-out/", views.get_out, name="get_out"),
    path("post-out/", views.post_out, name="post_out"),
    path("sub/", views.SubLogout.as_view(), name="sub"),
]
"""
ACCOUNT_VIEWS = """\
from django.contrib.auth import logout
from django.contrib.auth.views import LogoutView
from django.http import HttpResponse
from django.views.decorators.http import require_POST


def get_out(request):
    logout(request)
    return HttpResponse()


@require_POST
def post_out(request):
    logout(request)
    return HttpResponse()


def search(request):
    return HttpResponse()


class SubLogout(LogoutView):
    template_name = "bye.html"
"""
FILES = {
    "proj/settings.py": 'ROOT_URLCONF = "proj.urls"\n',
    "proj/urls.py": URLS,
    "accounts/__init__.py": "",
    "accounts/urls.py": ACCOUNT_URLS,
    "accounts/views.py": ACCOUNT_VIEWS,
}


def run(code: str, path: str = "templates/page.html", django: str = "5.2", files=FILES):
    project = in_memory_project({**files, path: code})
    settings = Settings(select=("DJV101",), django_version=Version(django))
    document = Document(code, f"/project/{path}", classify(path))
    result = check(document, project, settings, rules=[RULE])
    assert not result.rule_errors, result.rule_errors
    return result.findings


def fixed(code: str, path: str = "templates/page.html", django: str = "5.2") -> str:
    project = in_memory_project({**FILES, path: code})
    settings = Settings(select=("DJV101",), django_version=Version(django))
    document = Document(code, f"/project/{path}", classify(path))
    text, _, _ = fix_document(document, project, settings, unsafe=True)
    return text


# -- what fires ----------------------------------------------------------------------------------

MUST_FIRE = [
    ("<a href=\"{% url 'logout' %}\">Out</a>", "auth include: 'logout'"),
    ("<a href=\"{% url 'logout' %}?next=/\">Out</a>", "with ?next"),
    ("<a href='{% url \"admin:logout\" %}'>Out</a>", "admin namespace"),
    (
        "<a href=\"{% url 'custom_out' %}\">Out</a>",
        "a project route to LogoutView.as_view(next_page=...)",
    ),
    ("<a href=\"{% url 'then_login' %}\">Out</a>", "a route to logout_then_login"),
    ("<a href=\"{% url 'accounts:post_out' %}\">Out</a>", "app_name namespace, @require_POST view"),
    ("<a href=\"{% url 'accounts:sub' %}\">Out</a>", "a LogoutView subclass"),
    ('<a href="/accounts/logout/">Out</a>', "hard-coded path"),
    ('<a href="/accounts/logout/?next=/">Out</a>', "hard-coded path with query"),
    ('<a href="/accounts/logout">Out</a>', "APPEND_SLASH redirects there, still GET"),
    ("<area href=\"{% url 'logout' %}\" alt=x>", "image-map area"),
    ("<form action=\"{% url 'logout' %}\"><button>Out</button></form>", "form without method"),
    ('<form method="GET" action="{% url \'logout\' %}"></form>', "method GET"),
    ('<form method="delete" action="{% url \'logout\' %}"></form>', "an invalid method is GET"),
    (
        '<form method="post" action="{% url \'logout\' %}">{% csrf_token %}<button formmethod="get">Out</button></form>',
        "formmethod=get",
    ),
    (
        '<form method="post" action="{% url \'logout\' %}"><input type="submit" formmethod=get value=Out></form>',
        "submit input with formmethod",
    ),
    (
        "<form action=\"{% url 'search' %}\"><button formaction=\"{% url 'logout' %}\">Out</button></form>",
        "formaction into a GET form",
    ),
    ("{% url 'logout' as out %}<a href=\"{{ out }}\">Out</a>", "{% url ... as var %}"),
]


@pytest.mark.parametrize(("code", "reason"), MUST_FIRE, ids=[r for _, r in MUST_FIRE])
def test_fires(code: str, reason: str) -> None:
    findings = run(code + "\n")
    assert len(findings) == 1, reason
    assert findings[0].code == "DJV101"


def test_jinja_url_and_set_binding() -> None:
    code = "{% set out = url('logout') %}<a href=\"{{ out }}\">1</a>\n<a href=\"{{ url('admin:logout') }}\">2</a>\n"
    findings = run(code, path="jinja2/base.html")
    assert [f.span.line for f in findings] == [0, 1]
    assert "{{ csrf_input }}" in findings[0].message


MUST_NOT_FIRE = [
    (
        '<form method="post" action="{% url \'logout\' %}">{% csrf_token %}<button>Out</button></form>',
        "already POST",
    ),
    (
        '<form method="post" action="{% url \'logout\' %}">{% csrf_token %}<a href="{% url \'logout\' %}" onclick="this.closest(\'form\').submit();return false">Out</a></form>',
        "a link inside a POST form is its JS trigger",
    ),
    ("<a href=\"{% url 'login' %}\">In</a>", "LoginView is no logout"),
    ("<a href=\"{% url 'account_logout' %}\">Out</a>", "allauth's logout confirms on GET"),
    ('<a href="/allauth/logout/">Out</a>', "allauth's logout by path"),
    (
        "<a href=\"{% url 'accounts:get_out' %}\">Out</a>",
        "the view logs out on GET: DJV103 reports the view",
    ),
    ("<a href=\"{% url 'get_out' %}\">Out</a>", "without its namespace the name does not resolve"),
    ("<a href=\"{% url 'nowhere' %}\">Out</a>", "an unknown name"),
    ('<a href="{% url logout_name %}">Out</a>', "a variable URL name"),
    ('<a href="{{ base }}/accounts/logout/">Out</a>', "a templated prefix"),
    ('<a href="logout/">Out</a>', "a relative path"),
    ('<a href="https://example.com/accounts/logout/">Out</a>', "another site"),
    ('<a href="#logout">Out</a>', "a fragment"),
    ("{# <a href=\"{% url 'logout' %}\">Out</a> #}", "template comment"),
    ("{% comment %}<a href=\"{% url 'logout' %}\">Out</a>{% endcomment %}", "comment block"),
    ("<!-- <a href=\"{% url 'logout' %}\">Out</a> -->", "HTML comment"),
    (
        "{% verbatim %}<a href=\"{% url 'logout' %}\">Out</a>{% endverbatim %}",
        "verbatim: not a URL tag",
    ),
    (
        "<script>const a = '<a href=\"{% url 'logout' %}\">Out</a>';</script>",
        "markup inside a script string",
    ),
    (
        "<p>Use the logout link or visit /accounts/logout/ to leave.</p>",
        "text that mentions logout",
    ),
    ('<form method="{{ method }}" action="{% url \'logout\' %}"></form>', "a templated method"),
    ('<form method="dialog" action="{% url \'logout\' %}"></form>', "dialog forms submit nothing"),
    ('<form method="get"><button>Search</button></form>', "a GET form without an action"),
    (
        '<form method="post" action="{% url \'logout\' %}">{% csrf_token %}<button formmethod="post">Out</button></form>',
        "formmethod post",
    ),
    (
        '<form action="{% url \'logout\' %}"><button formmethod="post">Out</button></form>',
        "every submitter posts",
    ),
    (
        '<form method="post" action="{% url \'logout\' %}"><button type="button" formmethod="get">x</button></form>',
        "type=button does not submit",
    ),
    ("{% url 'logout' as out %}", "the as-form renders nothing"),
    (
        "{% url 'logout' as out %}{% with out='/x/' %}<a href=\"{{ out }}\">x</a>{% endwith %}",
        "the variable was rebound",
    ),
    ("<a href=\"{{ out }}\">x</a>{% url 'logout' as out %}", "bound only after the link"),
    ('<link rel="prefetch" href="{% url \'search\' %}">', "not a logout"),
]


@pytest.mark.parametrize(("code", "reason"), MUST_NOT_FIRE, ids=[r for _, r in MUST_NOT_FIRE])
def test_does_not_fire(code: str, reason: str) -> None:
    assert run(code + "\n") == (), reason


def test_more_must_not_fire_than_must_fire() -> None:
    assert len(MUST_NOT_FIRE) > len(MUST_FIRE)


def test_needs_a_urlconf() -> None:
    assert run("<a href=\"{% url 'logout' %}\">Out</a>\n", files={}) == ()


def test_suppression_comment() -> None:
    code = "<a href=\"{% url 'logout' %}\">Out</a> {# djvet: ignore[DJV101] #}\n"
    assert run(code) == ()


# -- versions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("django", "severity", "words"),
    [
        ("6.1", Severity.ERROR, "Django 6.1's LogoutView answers GET with 405"),
        ("5.0", Severity.ERROR, "Django 5.0's LogoutView answers GET with 405"),
        ("4.2", Severity.WARNING, "deprecated since Django 4.1 and removed in 5.0"),
        ("4.1", Severity.WARNING, "CSRF hole"),
        ("4.0", Severity.HINT, "still logs out on GET in Django 4.0"),
    ],
)
def test_severity_follows_the_django_version(django: str, severity: Severity, words: str) -> None:
    (finding,) = run("<a href=\"{% url 'logout' %}\">Out</a>\n", django=django)
    assert finding.severity is severity
    assert words in finding.message
    assert finding.url.startswith(f"https://docs.djangoproject.com/en/{django}/")


def test_post_only_project_view_is_an_error_in_every_version() -> None:
    (finding,) = run("<a href=\"{% url 'accounts:post_out' %}\">Out</a>\n", django="4.2")
    assert finding.severity is Severity.ERROR
    assert "accounts.views.post_out only accepts POST (@require_POST)" in finding.message


def test_admin_message_and_route_location() -> None:
    (finding,) = run("<a href=\"{% url 'admin:logout' %}\">Out</a>\n")
    assert "admin logout view (a LogoutView) answers GET with 405" in finding.message
    assert finding.related and finding.related[0].path == "/project/proj/urls.py"


# -- rewrites ------------------------------------------------------------------------------------

REWRITES = [
    (
        '<a href="/accounts/logout">x</a>',
        '<form method="post" action="/accounts/logout/">{% csrf_token %}<button type="submit">x</button></form>',
    ),
    (
        '<form action="/admin/logout"></form>',
        '<form method="post" action="/admin/logout/">{% csrf_token %}</form>',
    ),
    (
        '<li><a class="nav-link" id="out" title="Bye" data-x="1" aria-label="Log out" href="{% url \'logout\' %}">Log <b>out</b></a></li>',
        '<li><form method="post" action="{% url \'logout\' %}">{% csrf_token %}<button type="submit" class="nav-link" id="out" title="Bye" data-x="1" aria-label="Log out">Log <b>out</b></button></form></li>',
    ),
    (
        '<a href="{% url \'logout\' %}?next={{ request.get_full_path|urlencode }}&amp;lang=fr" target="_top">x</a>',
        '<form method="post" action="{% url \'logout\' %}" target="_top">{% csrf_token %}<input type="hidden" name="next" value="{{ request.get_full_path }}"><input type="hidden" name="lang" value="fr"><button type="submit">x</button></form>',
    ),
    (
        '<a href="/accounts/logout/?next=/books/%3Fpage%3D2">x</a>',
        '<form method="post" action="/accounts/logout/">{% csrf_token %}<input type="hidden" name="next" value="/books/?page=2"><button type="submit">x</button></form>',
    ),
    (
        '    <a href="{% url \'logout\' %}"\n       class="btn">\n      Log out\n    </a>',
        '    <form method="post" action="{% url \'logout\' %}">{% csrf_token %}<button type="submit" class="btn">\n      Log out\n    </button></form>',
    ),
    (
        '<form method="get" action="{% url \'logout\' %}"><input type="hidden" name="next" value="/"><button>Out</button></form>',
        '<form method="post" action="{% url \'logout\' %}">{% csrf_token %}<input type="hidden" name="next" value="/"><button>Out</button></form>',
    ),
    (
        '<form method="post" action="{% url \'logout\' %}"><button formmethod="get" formmethod="get">Out</button></form>',
        '<form method="post" action="{% url \'logout\' %}">{% csrf_token %}<button formmethod="post">Out</button></form>',
    ),
    (
        '<form method="post" action="{% url \'logout\' %}">{% csrf_token %}<button formmethod="get">Out</button></form>',
        '<form method="post" action="{% url \'logout\' %}">{% csrf_token %}<button formmethod="post">Out</button></form>',
    ),
]


@pytest.mark.parametrize(("code", "expected"), REWRITES)
def test_rewrite(code: str, expected: str) -> None:
    result = fixed(code + "\n")
    assert result == expected + "\n"
    source = tokenize_template(result)
    assert not source.errors and not source.html.errors
    assert run(result) == ()  # the rewritten markup is silent


def test_jinja_rewrite_uses_csrf_input() -> None:
    code = "<a href=\"{{ url('logout') }}\">Out</a>\n"
    assert fixed(code, path="jinja2/base.html") == (
        '<form method="post" action="{{ url(\'logout\') }}">{{ csrf_input }}<button type="submit">Out</button></form>\n'
    )


NO_REWRITE = [
    (
        "<p>Done? <a href=\"{% url 'logout' %}\">Log out</a></p>",
        "a <form> may not sit inside a <p>",
    ),
    ("<span><a href=\"{% url 'logout' %}\">Log out</a></span>", "nor inside a <span>"),
    (
        "<form action=\"{% url 'search' %}\"><a href=\"{% url 'logout' %}\">x</a></form>",
        "no form inside a form",
    ),
    ("<a href=\"{% url 'logout' %}\"><div>block</div></a>", "a button holds phrasing content only"),
    ("<a href=\"{% url 'logout' %}\"><button>x</button></a>", "no interactive content in a button"),
    (
        '<a href="{% url \'logout\' %}" hx-boost="true">x</a>',
        "an attribute with no place on a button",
    ),
    ("<a href=\"{% url 'logout' %}#top\">x</a>", "a fragment"),
    (
        '<a {% if on %}class="on"{% endif %} href="{% url \'logout\' %}">x</a>',
        "conditional attributes",
    ),
    ("<a href=\"{% url 'logout' %}\">never closed", "no end tag"),
    (
        "<a href=\"{% url 'accounts:post_out' %}?next=/\">x</a>",
        "a project view may read the query string",
    ),
    ("<area href=\"{% url 'logout' %}\" alt=x>", "an image-map area"),
    (
        "<form action=\"{% url 'logout' %}?next=/\"></form>",
        "a GET form drops its action's query; POST would keep it",
    ),
]


@pytest.mark.parametrize(("code", "reason"), NO_REWRITE, ids=[r for _, r in NO_REWRITE])
def test_no_rewrite_when_the_result_would_be_wrong(code: str, reason: str) -> None:
    (finding,) = run(code + "\n")
    assert finding.fix is None, reason


def test_fix_applicability() -> None:
    (link,) = run("<a href=\"{% url 'logout' %}\">Out</a>\n")
    (form,) = run("<form action=\"{% url 'logout' %}\"></form>\n")
    assert not link.fix.is_safe  # layout changes: block form, unstyled button
    assert form.fix.is_safe


def test_no_fix_when_an_unclosed_tag_on_the_line_would_swallow_the_csrf_token() -> None:
    """``{% url … <form …>}`` has no ``%}``: Django reads the ``<form>`` as HTML, so the GET
    form is reported; but an inserted ``{% csrf_token %}`` would close the stray ``{%`` and
    turn the whole stretch into one broken ``url`` tag (found by the typing fuzz test)."""
    code = (
        "{% url 'logout' as logout_url <form action=\"/accounts/logout/\">}\n"
        '<a href="{{ logout_url }}">Out</a>\n'
    )
    (finding,) = [f for f in run(code) if f.span.line == 0]
    assert finding.fix is None
    closed = (
        "{% url 'logout' as u %}<form action=\"/accounts/logout/\">\n<button>Out</button></form>\n"
    )
    (finding,) = run(closed)
    assert finding.fix is not None  # a closed tag before the form leaves the rewrite safe
    assert "{% csrf_token %}" in fixed(closed)
