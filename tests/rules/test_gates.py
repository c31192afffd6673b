"""Rule gates are conservative: a document a gate turns away has no finding of that rule.

The gates of DJV101 (a link attribute, any letter case), DJV102 (redirect / test-client
words), DJV103 (``logout`` in the text, or a routed class-based view), DJV20x (a ``View``
subclass in the document) and DJV30x (an ``async def`` in the text) skip most files of a
project without parsing them. Each is checked three ways: on every rule example and on the demo project
(gate says no => the ungated check finds nothing), on hand-made near misses (the gate says no
and the document is never parsed), and on must-fire cases that only just pass the gate.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from djvet.core.config import Settings, parse_version
from djvet.core.django.views import analyze_document
from djvet.core.engine import check
from djvet.core.facts import newest_version
from djvet.core.project import ProjectIndex, in_memory_project
from djvet.core.registry import all_rules, get_rule
from djvet.core.rule import CheckContext, Document, Rule
from djvet.core.sources import classify
from djvet.core.types import Finding, SourceKind
from djvet.rules._view_rule import has_view_class
from djvet.rules.djv102_logout_request_uses_get import WordSearch

GATED = (
    "DJV101",
    "DJV102",
    "DJV103",
    "DJV201",
    "DJV202",
    "DJV203",
    "DJV301",
    "DJV302",
    "DJV303",
    "DJV304",
    "DJV305",
)
DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
AUTH_URLS = """\
from django.urls import include, path

urlpatterns = [path("accounts/", include("django.contrib.auth.urls"))]
"""


def ungated(rule: Rule, ctx: CheckContext) -> list[Finding]:
    """The rule's findings with its gate skipped (what the gate must never hide)."""
    return list(rule.check(ctx))


def context(files: dict[str, str], path: str, django: str = "5.2") -> CheckContext:
    project = in_memory_project(files)
    text = files[path]
    document = Document(text, f"/project/{path}", classify(path))
    return CheckContext(document, project, Settings(django_version=parse_version(django)))


def findings(files: dict[str, str], path: str, code: str, django: str = "5.2") -> list[Finding]:
    project = in_memory_project(files)
    settings = Settings(select=(code,), django_version=parse_version(django))
    document = Document(files[path], f"/project/{path}", classify(path))
    return list(check(document, project, settings).findings)


# ---------------------------------------------------------------------------------------------
# Every example of every gated rule, and the demo project
# ---------------------------------------------------------------------------------------------


def _gated_rules() -> list[Rule]:
    return [rule for rule in all_rules() if rule.code in GATED]


@pytest.mark.parametrize("rule", _gated_rules(), ids=lambda r: r.code)
def test_gate_never_hides_a_finding_in_any_rule_example(rule: Rule) -> None:
    """Every example of every gated rule (hundreds of near misses and hits), checked by ``rule``."""
    turned_away = 0
    for example in (e for r in _gated_rules() for e in r.examples):
        files = {**example.files, example.path: example.code}
        version = example.django or str(newest_version())
        if rule.gate(context(files, example.path, version)):
            continue
        turned_away += 1
        assert ungated(rule, context(files, example.path, version)) == [], example.reason
    assert turned_away > 0


def test_gate_never_hides_a_finding_in_the_demo_project() -> None:
    project = ProjectIndex(DEMO)
    project.scan()
    settings = Settings(django_version=parse_version("5.2"))
    rules = [r for r in all_rules() if r.code in GATED]
    turned_away = 0
    documents = [(path, SourceKind.PYTHON) for path in sorted(project.modules)]
    documents += [(path, classify(path)) for path in sorted(project.templates)]
    for path, kind in documents:
        if not Path(path).is_absolute():
            path = str(project.root / path)
        document = Document(Path(path).read_text(encoding="utf-8"), path, kind)
        for rule in rules:
            if kind not in rule.targets or rule.gate(CheckContext(document, project, settings)):
                continue
            turned_away += 1
            assert ungated(rule, CheckContext(document, project, settings)) == [], (path, rule.code)
    assert turned_away > 0  # the demo has modules each gate turns away


# ---------------------------------------------------------------------------------------------
# DJV20x: a class-based view in the document
# ---------------------------------------------------------------------------------------------

VIEW_BASE = "from django.views import View\n\n\nclass AsyncBase(View):\n    async def get(self, request):\n        ...\n"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"app/views.py": "from django.views.generic import ListView\n\nclass A(ListView):\n    pass\n"}, True),
        ({"app/base.py": VIEW_BASE, "app/views.py": "from .base import AsyncBase\n\nclass C(AsyncBase):\n    def post(self, request):\n        ...\n"}, True),
        ({"app/views.py": "from django import views as v\n\nclass Outer:\n    class Inner(v.View):\n        async def get(self, request):\n            ...\n        def post(self, request):\n            ...\n"}, True),
        ({"app/views.py": "from django.db import models\n\nclass Book(models.Model):\n    title = models.CharField(max_length=9)\n"}, False),
        ({"app/views.py": "from thirdparty import Base\n\nclass V(Base):\n    async def get(self, request):\n        ...\n"}, False),
        ({"app/views.py": "from django.views import View\n\nclass A(View):\n    pass\n\nclass B(A, View):\n    pass\n\nclass C(View, A):\n    pass\n"}, True),
        ({"app/views.py": "class A(B):\n    pass\n\nclass B(A):\n    pass\n"}, False),
        ({"app/views.py": "x = 1\n"}, False),
    ],
    ids=["django-base", "cross-module", "nested", "model", "unknown-base", "mro-error", "cycle", "no-class"],
)  # fmt: skip
def test_view_gate_agrees_with_the_view_analysis(files: dict[str, str], expected: bool) -> None:
    """The gate says yes exactly when the DJV20x rules have views to look at."""
    assert has_view_class(context(files, "app/views.py")) is expected
    assert bool(analyze_document(context(files, "app/views.py")).views) is expected


def test_view_gate_keeps_a_cross_module_mixed_view_firing() -> None:
    files = {
        "app/base.py": VIEW_BASE,
        "app/views.py": "from .base import AsyncBase\n\n\nclass Child(AsyncBase):\n    def post(self, request):\n        ...\n",
    }
    assert [f.code for f in findings(files, "app/views.py", "DJV201")] == ["DJV201"]


def test_view_gate_turns_models_away_without_parsing() -> None:
    """Reason: model classes resolve to django.db.models.Model, never to View."""
    files = {
        "app/models.py": "from django.db import models\n\n\nclass Book(models.Model):\n    async def get(self):\n        ...\n    def post(self):\n        ...\n"
    }
    ctx = context(files, "app/models.py")
    for code in ("DJV201", "DJV202", "DJV203"):
        rule = get_rule(code)
        assert rule is not None
        assert not rule.gate(ctx)
    assert "python" not in ctx.__dict__


# ---------------------------------------------------------------------------------------------
# DJV30x: an ``async def`` in the text
# ---------------------------------------------------------------------------------------------

SHOP = {
    "app/models.py": "from django.db import models\n\n\nclass Book(models.Model):\n    title = models.CharField(max_length=9)\n"
}


def test_async_gate_sees_async_def_split_by_a_line_continuation() -> None:
    code = (
        "from .models import Book\n\nasync \\\n  def v(pk):\n    return Book.objects.get(pk=pk)\n"
    )
    found = findings({**SHOP, "app/views.py": code}, "app/views.py", "DJV301")
    assert [f.code for f in found] == ["DJV301"]


@pytest.mark.parametrize(
    "code",
    [
        "from asgiref.sync import sync_to_async\n\nfrom .models import Book\n\ndef v():\n    return Book.objects.get(pk=1)\n",
        'from .models import Book\n\ndef v():\n    """Not async: the default manager is fine here."""\n    return Book.objects.get(pk=1)\n',
        'from .models import Book\n\nNOTE = "async"\ndef asyncdef():\n    return Book.objects.get(pk=1)\n',
    ],
    ids=["import-only", "docstring", "identifier"],
)
def test_async_gate_turns_away_sync_code_without_parsing(code: str) -> None:
    """Reason: the analysis reads only async def bodies; these name async but define none."""
    files = {**SHOP, "app/views.py": code}
    ctx = context(files, "app/views.py")
    for name in ("DJV301", "DJV302", "DJV303", "DJV304", "DJV305"):
        rule = get_rule(name)
        assert rule is not None
        assert not rule.gate(ctx), code
        assert ungated(rule, context(files, "app/views.py")) == []
    assert "python" not in ctx.__dict__


# ---------------------------------------------------------------------------------------------
# DJV102: redirect callables and test clients
# ---------------------------------------------------------------------------------------------


def test_logout_request_gate_sees_an_aliased_redirect() -> None:
    code = 'from django.shortcuts import redirect as go\n\n\ndef bye(request):\n    return go("logout")\n'
    found = findings({"urls.py": AUTH_URLS, "app/views.py": code}, "app/views.py", "DJV102")
    assert [f.code for f in found] == ["DJV102"]


def test_logout_request_gate_sees_an_aliased_redirect_view() -> None:
    code = (
        "from django.urls import path\nfrom django.views.generic import RedirectView as Go\n\n"
        'urlpatterns = [path("quit/", Go.as_view(pattern_name="logout"))]\n'
    )
    found = findings({"urls.py": AUTH_URLS, "app/urls.py": code}, "app/urls.py", "DJV102")
    assert [f.code for f in found] == ["DJV102"]


def test_logout_request_gate_sees_a_module_level_client_request() -> None:
    code = 'from django.test import Client as Browser\n\nBrowser().get("/accounts/logout/")\n'
    found = findings({"urls.py": AUTH_URLS, "app/tests.py": code}, "app/tests.py", "DJV102")
    assert [f.code for f in found] == ["DJV102"]


@pytest.mark.parametrize(
    "call",
    [
        'client.\\\n        get("/accounts/logout/")',
        'client.get ("/accounts/logout/")',
        '(client.\n        get)("/accounts/logout/")',
        'client.head(\n        "/accounts/logout/")',
    ],
    ids=["continuation", "space", "brackets", "head"],
)
def test_logout_request_gate_sees_every_spelling_of_a_client_get(call: str) -> None:
    """The request is found however the attribute and its call are laid out."""
    code = f"def test_out(client):\n    {call}\n"
    found = findings({"urls.py": AUTH_URLS, "app/tests.py": code}, "app/tests.py", "DJV102")
    assert [f.code for f in found] == ["DJV102"]


@pytest.mark.parametrize(
    "code",
    [
        'def detail(request):\n    return {"next": request.GET.get("next")}\n',
        'def cached(cache):\n    return cache.get("logout")\n',
        'def head(request):\n    return request.head("/accounts/logout/")\n',
    ],
    ids=["request-get", "dict-get", "head-no-client"],
)
def test_logout_request_gate_turns_away_near_misses(code: str) -> None:
    """Reason: a .get/.head on something that is no test client, and no redirect callable."""
    files = {"urls.py": AUTH_URLS, "app/views.py": code}
    ctx = context(files, "app/views.py")
    rule = get_rule("DJV102")
    assert rule is not None
    assert not rule.gate(ctx)
    assert "python" not in ctx.__dict__
    assert ungated(rule, context(files, "app/views.py")) == []


def test_logout_request_gate_lets_a_word_in_a_comment_through_and_the_rule_stays_silent() -> None:
    """Reason: the gate reads words, not syntax; the rule itself finds no redirect call."""
    code = 'def page(request):\n    return "logout"  # redirect yourself\n'
    files = {"urls.py": AUTH_URLS, "app/views.py": code}
    rule = get_rule("DJV102")
    assert rule is not None
    assert rule.gate(context(files, "app/views.py"))
    assert findings(files, "app/views.py", "DJV102") == []


_ALPHABET = st.sampled_from(
    [
        "client",
        "Client",
        "redirect",
        "as_view",
        "_",
        "x",
        "é",
        "٣",
        "Ⅷ",
        ".",
        " ",
        "\n",
        "(",
        "-",
        "a",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=14).map("".join))
def test_word_search_is_the_word_boundary_regex(text: str) -> None:
    """``WordSearch`` answers what ``\\b(?:w1|w2)\\b`` answers, Unicode word characters included."""
    words = ("Client", "as_view", "client", "redirect", "x.y", "é")
    regex = re.compile(rf"\b(?:{'|'.join(map(re.escape, words))})\b")
    assert WordSearch(words).search(text) is (regex.search(text) is not None)


# ---------------------------------------------------------------------------------------------
# DJV101 and DJV103
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "markup",
    [
        "<a HREF=\"{% url 'logout' %}\">Log out</a>\n",
        '<FORM Action="/accounts/logout/"><button>Log out</button></FORM>\n',
        "<a href=\"{% url 'logout' %}\">Log out</a>\n",
    ],
    ids=["upper-href", "mixed-action", "lower-href"],
)
def test_logout_link_gate_reads_attribute_names_in_any_case(markup: str) -> None:
    """HTML attribute names are case-insensitive: the browser sends GET for all three."""
    files = {"urls.py": AUTH_URLS, "templates/nav.html": markup}
    assert [f.code for f in findings(files, "templates/nav.html", "DJV101")] == ["DJV101"]


@pytest.mark.parametrize(
    "markup",
    [
        "<p>Signed in as {{ user }}</p>\n",
        "{% load static %}<img src=\"{% static 'logo.png' %}\">\n",
        '<a href="{{ next }}">Back</a> <a href="https://example.com/">Home</a>\n',
    ],
    ids=["no-markup-link", "image-only", "no-url-name-or-path"],
)
def test_logout_link_gate_turns_away_templates_without_links(markup: str) -> None:
    """Reason: no href/action attribute, or none holding a URL name or a path djvet reads."""
    files = {"urls.py": AUTH_URLS, "templates/page.html": markup}
    ctx = context(files, "templates/page.html")
    rule = get_rule("DJV101")
    assert rule is not None
    assert not rule.gate(ctx)
    assert "template" not in ctx.__dict__


SIGN_OUT_URLS = """\
from django.urls import path
from app.views import SignOut

urlpatterns = [path("bye/", SignOut.as_view(), name="bye")]
"""
HELPERS = (
    "from django.contrib.auth import logout\n\n\ndef end_session(request):\n    logout(request)\n"
)


def test_logout_on_get_gate_keeps_a_view_that_logs_out_through_a_helper() -> None:
    code = (
        "from django.shortcuts import redirect\nfrom django.views import View\n\n"
        "from app.helpers import end_session\n\n\nclass SignOut(View):\n"
        "    def get(self, request):\n        end_session(request)\n        return redirect('/')\n"
    )
    files = {"urls.py": SIGN_OUT_URLS, "app/helpers.py": HELPERS, "app/views.py": code}
    assert [f.code for f in findings(files, "app/views.py", "DJV103")] == ["DJV103"]


def test_logout_on_get_gate_turns_away_unrouted_classes() -> None:
    """Reason: no route reaches these classes and the text never names logout."""
    code = "from django.views import View\n\n\nclass Draft(View):\n    def get(self, request):\n        return None\n"
    files = {"urls.py": SIGN_OUT_URLS.replace("SignOut", "Other"), "app/views.py": code}
    ctx = context(files, "app/views.py")
    rule = get_rule("DJV103")
    assert rule is not None
    assert not rule.gate(ctx)
    assert "python" not in ctx.__dict__
