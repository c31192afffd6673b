"""DJV102 logout-request-uses-get: test-client GETs and redirects to GET-rejecting logouts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from djvet.core.config import Settings
from djvet.core.engine import check, fix_document
from djvet.core.project import in_memory_project
from djvet.core.python.edits import parses
from djvet.core.registry import get_rule
from djvet.core.rule import Document
from djvet.core.types import Severity, SourceKind

RULE = get_rule("DJV102")

FILES = {
    "proj/settings.py": 'ROOT_URLCONF = "proj.urls"\n',
    "proj/urls.py": (
        "from django.contrib import admin\n"
        "from django.urls import include, path\n"
        "from accounts import views\n"
        "urlpatterns = [\n"
        '    path("admin/", admin.site.urls),\n'
        '    path("accounts/", include("django.contrib.auth.urls")),\n'
        '    path("post-out/", views.post_out, name="post_out"),\n'
        '    path("get-out/", views.get_out, name="get_out"),\n'
        "]\n"
    ),
    "accounts/__init__.py": "",
    "accounts/views.py": (
        "from django.contrib.auth import logout\n"
        "from django.views.decorators.http import require_POST\n\n"
        "@require_POST\n"
        "def post_out(request):\n    logout(request)\n\n"
        "def get_out(request):\n    logout(request)\n"
    ),
}
HEADER = "from django.test import AsyncClient, Client, TestCase\nfrom django.urls import reverse, reverse_lazy\nfrom django.shortcuts import redirect, resolve_url\nfrom django.http import HttpResponseRedirect\n"


def run(code: str, path: str = "accounts/tests.py", django: str = "5.2"):
    project = in_memory_project({**FILES, path: code})
    settings = Settings(select=("DJV102",), django_version=Version(django))
    result = check(
        Document(code, f"/project/{path}", SourceKind.PYTHON), project, settings, rules=[RULE]
    )
    assert not result.rule_errors, result.rule_errors
    return result.findings


def fixed(code: str, path: str = "accounts/tests.py") -> str:
    project = in_memory_project({**FILES, path: code})
    settings = Settings(select=("DJV102",), django_version=Version("5.2"))
    text, _, _ = fix_document(
        Document(code, f"/project/{path}", SourceKind.PYTHON), project, settings, unsafe=True
    )
    return text


def body(*lines: str) -> str:
    return HEADER + "\n\ndef test_it(client, db):\n" + "".join(f"    {line}\n" for line in lines)


MUST_FIRE = [
    ('client.get(reverse("logout"))', "pytest-django client fixture"),
    ('client.head(reverse("logout"))', "HEAD logs out silently on 4.x, 405 on 5.0"),
    ('client.get(reverse_lazy("admin:logout"))', "reverse_lazy, admin"),
    ('client.get("/accounts/logout/")', "literal path"),
    ('client.get(reverse("logout") + "?next=/")', "concatenated query"),
    ("client.get(f\"{reverse('logout')}?next=/\")", "f-string with query"),
    ('client.get(resolve_url("logout"))', "resolve_url of a name"),
    ('Client().get(reverse("logout"))', "a Client() expression"),
    ('client.get(path=reverse("logout"), follow=True)', "path= keyword"),
    ('client.get(reverse("post_out"))', "a POST-only project view"),
    ('return redirect("logout")', "redirect() to a URL name"),
    ('return redirect(reverse("logout"))', "redirect() to a reversed URL"),
    ('return HttpResponseRedirect("/accounts/logout/")', "HttpResponseRedirect to a path"),
]


@pytest.mark.parametrize(("line", "reason"), MUST_FIRE, ids=[r for _, r in MUST_FIRE])
def test_fires(line: str, reason: str) -> None:
    findings = run(body(line))
    assert len(findings) == 1, reason


def test_self_client_and_variables() -> None:
    code = (
        HEADER + '\nLOGOUT = reverse_lazy("logout")\n\n\n'
        "class T(TestCase):\n"
        "    def setUp(self):\n"
        '        self.url = reverse("logout")\n\n'
        "    def test_a(self):\n"
        "        self.client.get(self.url)\n\n"
        "    def test_b(self):\n"
        "        self.client.get(LOGOUT)\n\n"
        "    async def test_c(self):\n"
        '        url = reverse("logout")\n'
        "        await self.async_client.get(url)\n\n"
        "    def test_d(self):\n"
        "        c = Client()\n"
        '        c.get(reverse("logout"))\n'
    )
    findings = run(code)
    assert [f.span.line + 1 for f in findings] == [14, 17, 21, 25]


def test_redirect_view_and_success_url() -> None:
    code = (
        "from django.urls import path, reverse_lazy\n"
        "from django.views.generic import FormView, RedirectView\n\n"
        "class Close(FormView):\n"
        '    success_url = reverse_lazy("logout")\n\n'
        'urlpatterns = [path("quit/", RedirectView.as_view(pattern_name="logout"))]\n'
    )
    findings = run(code, path="accounts/more.py")
    assert [f.span.line + 1 for f in findings] == [5, 7]
    assert all(f.fix is None for f in findings)
    assert "follows a redirect with GET" in findings[0].message


MUST_NOT_FIRE = [
    ('client.post(reverse("logout"))', "POST logs out"),
    ("client.logout()", "the test client's helper sends no request"),
    ('client.get(reverse("login"))', "not a logout"),
    ('client.get(reverse("get_out"))', "a view that logs out on GET: DJV103's business"),
    ('client.get(reverse("nowhere"))', "unknown name"),
    ("client.get(reverse(name))", "a variable name"),
    ('client.get("/accounts/login/")', "a literal path to something else"),
    ('client.get("accounts/logout/")', "a relative path"),
    ('{"a": 1}.get("logout")', "dict.get"),
    ('requests_session.get("/accounts/logout/")', "not a Django test client"),
    ('return redirect("login")', "redirect to a page"),
    ('return redirect("/")', "redirect home"),
    ("return redirect(to)", "an unknown target"),
    ('client.options(reverse("logout"))', "OPTIONS never logs out"),
]


@pytest.mark.parametrize(("line", "reason"), MUST_NOT_FIRE, ids=[r for _, r in MUST_NOT_FIRE])
def test_does_not_fire(line: str, reason: str) -> None:
    assert run(body(line)) == (), reason


ON_PURPOSE = [
    ('r = client.get(reverse("logout"))', "assert r.status_code == 405"),
    ('r = client.get(reverse("logout"))', "assert r.status_code == HTTPStatus.METHOD_NOT_ALLOWED"),
    (
        "import warnings",
        'with pytest.warns(RemovedInDjango50Warning): client.get(reverse("logout"))',
    ),
]


@pytest.mark.parametrize(("first", "second"), ON_PURPOSE)
def test_tests_of_the_refusal_itself_are_left_alone(first: str, second: str) -> None:
    assert run(body(first, second)) == ()


def test_must_not_fire_outnumber_must_fire() -> None:
    assert len(MUST_NOT_FIRE) + len(ON_PURPOSE) > len(MUST_FIRE)


@pytest.mark.parametrize(
    ("django", "severity"),
    [("5.2", Severity.ERROR), ("4.2", Severity.WARNING), ("4.0", Severity.HINT)],
)
def test_severity_by_version(django: str, severity: Severity) -> None:
    (finding,) = run(body('client.get(reverse("logout"))'), django=django)
    assert finding.severity is severity
    assert "CSRF hole" not in finding.message  # a test request is no attack surface


def test_post_only_view_is_an_error_everywhere() -> None:
    (finding,) = run(body('client.get(reverse("post_out"))'), django="4.2")
    assert finding.severity is Severity.ERROR
    assert not finding.fix.is_safe  # a project view may read request.GET


def test_fix_keeps_arguments() -> None:
    code = body(
        'client.get(reverse("logout"), {"next": "/x/"}, follow=True)',
        'Client().head("/accounts/logout/?next=/")',
    )
    result = fixed(code)
    assert 'client.post(reverse("logout"), {"next": "/x/"}, follow=True)' in result
    assert 'Client().post("/accounts/logout/?next=/")' in result
    assert parses(result)
    assert run(result) == ()


# The walk skips the Load/Store/Del markers and the inside of names and constants; the redirect
# test qualifies a dotted callee only when its last part names a redirect callable; imports are
# not walked; scopes are worked out on first use. Each spelling these shortcuts must still see:
SHORTCUT_FIRES = [
    (
        "from django import shortcuts\n\n\ndef leave(request):\n"
        '    return shortcuts.redirect("logout")\n',
        "a dotted redirect callee",
    ),
    (
        "from django.shortcuts import redirect as go\n\n\ndef leave(request):\n"
        '    return go("logout")\n',
        "an alias of redirect, a bare name",
    ),
    (
        "import django.http\n\n\ndef leave(request):\n"
        '    return django.http.HttpResponseRedirect("/accounts/logout/")\n',
        "the fully dotted class",
    ),
    (
        "from django.test import Client\n\nURL = '/accounts/logout/'\n\n\n"
        "def test_out(db):\n    browser = Client()\n    browser.get(URL)\n",
        "a local client and a module constant: both scopes needed",
    ),
]


@pytest.mark.parametrize(("code", "reason"), SHORTCUT_FIRES, ids=[r for _, r in SHORTCUT_FIRES])
def test_shortcuts_keep_every_request_they_must(code: str, reason: str) -> None:
    assert len(run(code, path="accounts/other.py")) == 1, reason


SHORTCUT_SILENT = [
    (
        "from django.shortcuts import redirect\n",
        "an import of redirect alone (imports are not walked)",
    ),
    (
        "class Page:\n    def go(self):\n        return self.redirect('logout')\n",
        "a method that happens to be called redirect",
    ),
    (
        "def f(view):\n    return view.as_view(pattern_name='logout')\n",
        "as_view of something that is not RedirectView",
    ),
    (
        "def f(response):\n    return response.redirect_chain\n",
        "an attribute that is not called",
    ),
    (
        "from django.shortcuts import redirect\n\n\ndef f(request):\n"
        "    return redirect.__name__.upper()\n",
        "redirect named but not called",
    ),
]


@pytest.mark.parametrize(("code", "reason"), SHORTCUT_SILENT, ids=[r for _, r in SHORTCUT_SILENT])
def test_shortcut_silent_cases(code: str, reason: str) -> None:
    assert run(code, path="accounts/other.py") == (), reason


def test_walk_is_ast_walk_without_context_markers() -> None:
    """Same nodes, same breadth-first order, on every module of djvet itself."""
    import ast
    from pathlib import Path

    from djvet.rules.djv102_logout_request_uses_get import walk

    root = Path(__file__).resolve().parents[2] / "server" / "djvet"
    files = sorted(root.rglob("*.py"))
    assert len(files) > 40
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        expected = [n for n in ast.walk(tree) if not isinstance(n, ast.expr_context)]
        assert walk(tree) == expected, path


# -- the table of rejecting URLs (``rejecting_urls``): built once many documents ask -----------
# With it, a module (and inside it a statement) whose text spells no URL of a rejecting route
# is skipped. It must change no finding: every case above, the shortcut's own spellings below
# and generated modules give the same findings with the table as without.


def run_with_table(code: str, path: str = "accounts/tests.py") -> tuple:
    from djvet.core.django import logout as logout_module

    project = in_memory_project({**FILES, path: code})
    settings = Settings(select=("DJV102",), django_version=Version("5.2"))
    before = logout_module._REJECTING_AFTER
    logout_module._REJECTING_AFTER = 1
    try:
        result = check(
            Document(code, f"/project/{path}", SourceKind.PYTHON), project, settings, rules=[RULE]
        )
    finally:
        logout_module._REJECTING_AFTER = before
    assert not result.rule_errors, result.rule_errors
    memo = logout_module._classifier(project, Version("5.2"))
    assert memo.rejecting is not None  # the table was built and asked
    return result.findings


REACH_FIRES = [
    (
        HEADER + "\n\nclass T(TestCase):\n    url = reverse_lazy('logout')\n\n"
        "    def test_out(self):\n        self.client.get(self.url)\n",
        "a class attribute the method reads: the method's own text has no URL",
    ),
    (
        HEADER
        + "\n\nclass T(TestCase):\n    def setUp(self):\n        self.url = '/accounts/logout/'\n\n"
        "    def test_out(self):\n        self.client.get(self.url)\n",
        "a setUp binding the method reads",
    ),
    (
        HEADER + "\nURL = reverse('logout')\n\n\ndef test_out(client):\n    client.get(URL)\n",
        "a module constant",
    ),
    (body('client.get(reverse("log" "out"))'), "implicit concatenation of the name"),
    (body('client.get(reverse("log"\n        "out"))'), "concatenation across lines"),
    (body('client.get(reverse("log\\x6fut"))'), "an escape in the name"),
    (body('client.get("/accounts/log%6Fut/")'), "a percent-encoded path"),
    (body('client.get("/accounts/" "logout/")'), "a path in two literals"),
    (body('client.get(f"/accounts/logout/?next={x}")'), "an f-string path"),
    (body('client.get("/admin/logout")'), "a path reaching its route through APPEND_SLASH"),
    (
        HEADER + "\nif True:\n    def test_out():\n        Client().get('/accounts/logout/')\n",
        "a function inside a module-level if",
    ),
    (
        HEADER + "\n\nclass T(TestCase):\n    class Inner(TestCase):\n        def test_out(self):\n"
        "            self.client.get(reverse('admin:logout'))\n",
        "a nested class",
    ),
]
REACH_SILENT = [
    (
        "from django.contrib.auth import logout\nfrom django.shortcuts import redirect\n\n\n"
        "def page(request):\n    return redirect('/')\n\n\ndef out(request):\n    logout(request)\n"
        "    return redirect('/')\n",
        "a view module that logs out and redirects home",
    ),
    (body('client.get(reverse("login"))', "client.logout()"), "the word only in client.logout()"),
    (
        HEADER + "\nURL = reverse('login')\n\n\ndef test_in(client):\n    client.get(URL)\n",
        "a constant of another name",
    ),
    (body('client.get("/accounts/login/")'), "another literal path"),
    (body('client.get(reverse("log") + "out")'), "a sum: no name"),
    (body('client.get("accounts/logout/")'), "a relative path"),
    (body('client.post(reverse("log" "out"))'), "POST, concatenated"),
    (
        HEADER + "\n\nclass T(TestCase):\n    url = reverse_lazy('login')\n\n"
        "    def test_in(self):\n        self.client.get(self.url)\n",
        "a class attribute of another name",
    ),
    (body('client.get(reverse("%s" % "logout"))'), "a formatted name"),
    (body('client.get(reverse("logout", args=[1]))'), "no route named so takes arguments"),
    (body('client.get("/accounts/logout/x/")'), "a path below the logout"),
    (body('client.get("//accounts/logout/")'), "a protocol-relative URL"),
    (body('client.get(reverse(f"logout"))'), "an f-string name: no constant"),
]


@pytest.mark.parametrize(("code", "reason"), REACH_FIRES, ids=[r for _, r in REACH_FIRES])
def test_rejecting_url_table_keeps_every_spelling(code: str, reason: str) -> None:
    findings = run_with_table(code)
    assert len(findings) == 1, reason
    assert findings == run(code), reason


@pytest.mark.parametrize(("code", "reason"), REACH_SILENT, ids=[r for _, r in REACH_SILENT])
def test_rejecting_url_table_silent_cases(code: str, reason: str) -> None:
    assert run_with_table(code) == run(code) == (), reason


def test_rejecting_url_table_silent_cases_outnumber_the_firing_ones() -> None:
    assert len(REACH_SILENT) > len(REACH_FIRES)


def test_rejecting_url_table_changes_no_finding_of_the_cases_above() -> None:
    codes = [body(line) for line, _ in MUST_FIRE + MUST_NOT_FIRE]
    codes += [body(first, second) for first, second in ON_PURPOSE]
    codes += [HEADER + "\n" + code for code, _ in SHORTCUT_FIRES + SHORTCUT_SILENT]
    for code in codes:
        assert run_with_table(code) == run(code), code


STATEMENTS = [line for line, _ in MUST_FIRE + MUST_NOT_FIRE] + [
    "client.get(URL)",
    "client.get(OTHER)",
    'client.get("/accounts/" "logout/")',
    'client.get(reverse("log" "out"), follow=True)',
    "client.logout()",
    'x = "/accounts/logout/"',
    "client.get(x)",
]
CONSTANTS = [
    'URL = "/accounts/logout/"',
    'URL = reverse_lazy("login")',
    'OTHER = "/admin/logout/"',
    "",
]


@st.composite
def generated_modules(draw: st.DrawFn) -> str:
    parts = [HEADER, draw(st.sampled_from(CONSTANTS)), draw(st.sampled_from(CONSTANTS))]
    for index in range(draw(st.integers(1, 4))):
        lines = draw(st.lists(st.sampled_from(STATEMENTS), min_size=1, max_size=3))
        if draw(st.booleans()):
            parts.append(f"def test_{index}(client, db):\n" + "".join(f"    {s}\n" for s in lines))
        else:
            setup = draw(st.sampled_from(["", "x = 1", 'url = "/accounts/logout/"']))
            parts.append(
                f"class T{index}(TestCase):\n"
                + (f"    {setup}\n" if setup else "")
                + "    def test_it(self, client=None, x=None):\n"
                + "".join(f"        {s}\n" for s in lines)
                + "        self.client.get(self.url)\n"
            )
    return "\n\n".join(parts) + "\n"


@settings(max_examples=80, deadline=None)
@given(generated_modules())
def test_generated_modules_get_the_same_findings_with_the_table(code: str) -> None:
    assert run_with_table(code) == run(code)
