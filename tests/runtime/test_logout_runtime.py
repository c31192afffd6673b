"""Runtime agreement for DJV101/DJV102: djvet flags exactly what real Django warns on or rejects.

For a tiny project (URLconf, views, a Django template and a Jinja2 template), every case line
is rendered by real Django, and a JavaScript-less browser is simulated with the test client
and a logged-in superuser: GET for links, the form's (or the submitter's) method for forms,
CSRF enforced, the token taken from the rendered page. Django's truth for a case is "it warns
with RemovedInDjango50Warning (4.x) or answers 405 (5.0+)". djvet, run on the same template
text for the same Django version, must flag exactly those cases. Then djvet's fixes are
applied, the rewritten templates are rendered, and submitting each rewritten form (POST, with
the token from the page) must log the user out.

Not in the matrix, on purpose: a link inside a ``<form method="post">``. djvet treats it as the
form's JavaScript trigger (the issue's must-not-fire list), which a JS-less browser is not.

Every interpreter of ``django_pythons()`` is used (CI adds a Django 4.2 one through
``DJVET_DJANGO_PYTHONS``); each runs all cases in one subprocess.
"""

from __future__ import annotations

import re

import pytest
from packaging.version import Version

from djvet.core.config import Settings
from djvet.core.engine import check, fix_document
from djvet.core.project import in_memory_project
from djvet.core.registry import get_rule
from djvet.core.rule import Document
from djvet.core.sources import classify
from djvet.core.types import SourceKind

from .harness import django_pythons, django_version, run_in_django

URLS = """\
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from accounts import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("out/", auth_views.LogoutView.as_view(next_page="/render/page.html/"), name="custom_out"),
    path("then-login/", auth_views.logout_then_login, name="then_login"),
    path("get-out/", views.get_out, name="get_out"),
    path("post-out/", views.post_out, name="post_out"),
    path("page/", views.page, name="page"),
    path("render/<str:name>/", views.render_page, name="render"),
]
"""
VIEWS = """\
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST


def get_out(request):
    logout(request)
    return HttpResponse("bye")


@require_POST
def post_out(request):
    logout(request)
    return HttpResponse("bye")


def page(request):
    return HttpResponse("page")


def render_page(request, name):
    return render(request, name)
"""
JINJA_ENV = """\
from django.urls import reverse
from jinja2 import Environment


def environment(**options):
    env = Environment(**options)
    env.globals["url"] = reverse
    return env
"""
JINJA_SETTINGS = """
try:
    import jinja2  # noqa: F401
    TEMPLATES[1:] = [{
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "jinja2"], "APP_DIRS": False,
        "OPTIONS": {"environment": "jinja_env.environment"},
    }]
except ImportError:
    TEMPLATES[1:] = []
LOGIN_URL = "/render/page.html/"
"""
DJANGO_PAGE = """\
{% load static %}<html><body>
<a data-case="1" href="{% url 'logout' %}">1</a>
<a data-case="2" href="{% url 'logout' %}?next=/page/">2</a>
<a data-case="3" href="{% url 'admin:logout' %}">3</a>
<a data-case="4" href="{% url 'custom_out' %}">4</a>
<a data-case="5" href="{% url 'then_login' %}">5</a>
<a data-case="6" href="{% url 'get_out' %}">6</a>
<a data-case="7" href="{% url 'post_out' %}">7</a>
<a data-case="8" href="{% url 'page' %}">8</a>
<a data-case="9" href="/accounts/logout/">9</a>
<form data-case="10" action="{% url 'logout' %}"><button>10</button></form>
<form data-case="11" method="get" action="/accounts/logout/"><input type="hidden" name="next" value="/page/"><button>11</button></form>
<form data-case="12" method="post" action="{% url 'logout' %}">{% csrf_token %}<button>12</button></form>
<form method="post" action="{% url 'logout' %}">{% csrf_token %}<button data-case="13" formmethod="get">13</button></form>
<form action="{% url 'page' %}"><button data-case="14" formaction="{% url 'logout' %}">14</button></form>
{% url 'logout' as out %}<a data-case="15" href="{{ out }}">15</a>
<div><a data-case="16" class="nav" href="{% url 'logout' %}?next={{ request.path|urlencode }}">Log <b>16</b></a></div>
<a data-case="17" href="/admin/logout">17</a>
<form data-case="18" method="post" action="{% url 'get_out' %}">{% csrf_token %}<button>18</button></form>
<a data-case="19" href="{% url 'admin:index' %}">19</a>
<!-- <a data-case="20" href="{% url 'logout' %}">20</a> -->
</body></html>
"""
JINJA_PAGE = """\
<html><body>
<a data-case="101" href="{{ url('logout') }}">101</a>
<a data-case="102" href="{{ url('get_out') }}">102</a>
<form data-case="103" action="{{ url('logout') }}"><button>103</button></form>
<form data-case="104" method="post" action="{{ url('logout') }}">{{ csrf_input }}<button>104</button></form>
{% set out = url('admin:logout') %}<a data-case="105" href="{{ out }}?next=/page/">105</a>
</body></html>
"""

SCRIPT = r"""
import json, warnings
from html.parser import HTMLParser
from urllib.parse import urlencode
import django.utils.deprecation as deprecation
from django.contrib.auth import get_user_model
from django.test import Client

REMOVED = getattr(deprecation, "RemovedInDjango50Warning", None)
user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
pages = PAGES
try:
    import jinja2  # noqa: F401
except ImportError:
    pages = [p for p in pages if not p.startswith("j")]


class Collect(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.form = None
        self.cases = {}

    def handle_starttag(self, tag, pairs):
        attrs = {}
        for key, value in pairs:
            attrs.setdefault(key, value if value is not None else "")
        if tag == "form":
            self.form = {"attrs": attrs, "fields": []}
        elif tag in ("input", "select", "textarea") and self.form is not None:
            kind = attrs.get("type", "text").lower()
            if attrs.get("name") and kind not in ("submit", "image", "button", "reset"):
                self.form["fields"].append((attrs["name"], attrs.get("value", "")))
        if "data-case" in attrs:
            self.cases[attrs["data-case"]] = (tag, attrs, self.form)

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None


def browser_request(tag, attrs, form, page_url):
    # What a JavaScript-less browser sends when the element is followed / submitted.
    if tag in ("a", "area"):
        return "get", attrs["href"], []
    if tag == "form":
        form_attrs, fields, submitter = attrs, form["fields"], {}
    else:  # a submit button: find the form it belongs to
        form_attrs = form["attrs"] if form else {}
        fields = list(form["fields"]) if form else []
        submitter = attrs
        if attrs.get("name"):
            fields.append((attrs["name"], attrs.get("value", "")))
    method = (submitter.get("formmethod") or form_attrs.get("method") or "get").strip().lower()
    method = method if method in ("post", "dialog") else "get"
    action = submitter.get("formaction") or form_attrs.get("action") or page_url
    return method, action, fields


def run(page, wanted):
    page_url = f"/render/{page}/"
    out = {}
    for case in wanted:
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        html = client.get(page_url).content.decode()
        collector = Collect()
        collector.feed(html)
        if case not in collector.cases:
            out[case] = {"missing": True}
            continue
        tag, attrs, form = collector.cases[case]
        if tag not in ("a", "area", "form") and form is None and tag != "button":
            tag, attrs = "form", form
        method, url, fields = browser_request(tag, attrs, form, page_url)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # A browser follows redirects (with GET): APPEND_SLASH, the admin's catch-all, next=...
            if method == "get":
                if tag not in ("a", "area"):
                    url = url.split("?", 1)[0] + "?" + urlencode(fields)
                response = client.get(url, follow=True)
            else:
                response = client.post(
                    url, urlencode(fields), content_type="application/x-www-form-urlencoded", follow=True
                )
        warned = bool(REMOVED) and any(issubclass(w.category, REMOVED) for w in caught)
        out[case] = {
            "method": method,
            "url": url,
            "status": response.status_code,
            "chain": [list(step) for step in response.redirect_chain],
            "warned": warned,
            "logged_out": "_auth_user_id" not in client.session,
        }
    return out


result = {}
for page in pages:
    result[page] = run(page, WANTED[page])
emit(result)
"""

CASE_RE = re.compile(r'data-case="(\d+)"')
DJANGO_PATH = "templates/page.html"
JINJA_PATH = "jinja2/jpage.html"


def project_files(django_page: str = DJANGO_PAGE, jinja_page: str = JINJA_PAGE) -> dict[str, str]:
    return {
        "urls.py": URLS,
        "accounts/__init__.py": "",
        "accounts/views.py": VIEWS,
        "accounts/models.py": "",
        "jinja_env.py": JINJA_ENV,
        DJANGO_PATH: django_page,
        JINJA_PATH: jinja_page,
    }


def cases_in(text: str) -> list[str]:
    return CASE_RE.findall(text)


def djvet_flags(text: str, path: str, version: Version) -> set[str]:
    """Case ids of the elements DJV101 reports in ``text``."""
    project = in_memory_project(project_files())
    rule = get_rule("DJV101")
    settings = Settings(select=("DJV101",), django_version=version)
    document = Document(text, f"/project/{path}", classify(path))
    result = check(document, project, settings, rules=[rule])
    assert not result.rule_errors
    lines = text.split("\n")
    flagged = set()
    for finding in result.findings:
        found = CASE_RE.findall(lines[finding.span.line])
        assert len(found) == 1, lines[finding.span.line]
        flagged.add(found[0])
    return flagged


def djvet_fixed(text: str, path: str, version: Version) -> str:
    project = in_memory_project(project_files())
    settings = Settings(select=("DJV101",), django_version=version)
    fixed, _, result = fix_document(
        Document(text, f"/project/{path}", classify(path)), project, settings, unsafe=True
    )
    assert not result.findings, "every flagged case in the matrix has a rewrite"
    return fixed


def script(wanted: dict[str, list[str]]) -> str:
    return SCRIPT.replace("PAGES", repr(sorted(wanted))).replace("WANTED", repr(wanted))


PYTHONS = django_pythons()


@pytest.mark.parametrize(
    "python", PYTHONS, ids=[f"django-{'.'.join(map(str, django_version(p)))}" for p in PYTHONS]
)
def test_djvet_flags_exactly_what_django_warns_on_or_rejects(python: str) -> None:
    major, minor = django_version(python)
    version = Version(f"{major}.{minor}")
    if version < Version("4.1"):
        pytest.skip("GET logout is neither deprecated nor refused before Django 4.1")
    wanted = {"page.html": cases_in(DJANGO_PAGE), "jpage.html": cases_in(JINJA_PAGE)}
    truth = run_in_django(project_files(), script(wanted), python=python, settings=JINJA_SETTINGS)
    assert "page.html" in truth
    pages = {"page.html": (DJANGO_PAGE, DJANGO_PATH), "jpage.html": (JINJA_PAGE, JINJA_PATH)}
    for page, outcomes in truth.items():
        text, path = pages[page]
        django_says = set()
        for case, outcome in outcomes.items():
            if outcome.get("missing"):
                assert case == "20", f"case {case} did not render"  # the commented-out one
                continue
            refused = outcome["status"] == 405
            if refused or outcome["warned"]:
                django_says.add(case)
            # sanity: a refused GET leaves the user logged in; a warned one logs out
            if refused:
                assert not outcome["logged_out"], (case, outcome)
        flagged = djvet_flags(text, path, version)
        assert flagged == django_says, {
            "djvet only": sorted(flagged - django_says),
            "django only": sorted(django_says - flagged),
            "outcomes": outcomes,
        }
        assert flagged, "the matrix must contain flagged cases"


@pytest.mark.parametrize(
    "python", PYTHONS, ids=[f"django-{'.'.join(map(str, django_version(p)))}" for p in PYTHONS]
)
def test_rewritten_markup_logs_out_with_post(python: str) -> None:
    major, minor = django_version(python)
    version = Version(f"{major}.{minor}")
    if version < Version("4.1"):
        pytest.skip("nothing to rewrite before Django 4.1")
    fixed_django = djvet_fixed(DJANGO_PAGE, DJANGO_PATH, version)
    fixed_jinja = djvet_fixed(JINJA_PAGE, JINJA_PATH, version)
    assert fixed_django != DJANGO_PAGE and fixed_jinja != JINJA_PAGE
    flagged = {
        "page.html": sorted(djvet_flags(DJANGO_PAGE, DJANGO_PATH, version)),
        "jpage.html": sorted(djvet_flags(JINJA_PAGE, JINJA_PATH, version)),
    }
    files = project_files(fixed_django, fixed_jinja)
    outcome = run_in_django(files, script(flagged), python=python, settings=JINJA_SETTINGS)
    for page, results in outcome.items():
        for case, result in results.items():
            assert not result.get("missing"), (page, case)
            assert result["method"] == "post", (page, case, result)
            assert result["status"] in (200, 302), (page, case, result)
            assert not result["warned"], (page, case, result)
            assert result["logged_out"], (page, case, result)
    # the rewritten templates are silent
    assert djvet_flags(fixed_django, DJANGO_PATH, version) == set()
    assert djvet_flags(fixed_jinja, JINJA_PATH, version) == set()


def test_jinja_page_is_a_jinja_template() -> None:
    assert classify(JINJA_PATH) is SourceKind.JINJA2
    assert classify(DJANGO_PATH) is SourceKind.DJANGO_TEMPLATE
