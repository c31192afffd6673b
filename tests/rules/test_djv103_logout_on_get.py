"""DJV103 logout-on-get: routed views that log out on GET; method tests; the @require_POST fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from djvet.core.config import Settings
from djvet.core.engine import check, fix_document
from djvet.core.project import ProjectIndex, in_memory_project
from djvet.core.python.edits import parses
from djvet.core.registry import get_rule
from djvet.core.rule import Document
from djvet.core.types import Severity, SourceKind

RULE = get_rule("DJV103")

URLS = """\
from django.urls import path
from django.views.decorators.http import require_POST
from app import views

urlpatterns = [
    path("out/", views.out, name="out"),
    path("cbv/", views.Out.as_view(), name="cbv"),
    path("wrapped/", require_POST(views.wrapped), name="wrapped"),
]
"""
FILES = {"urls.py": URLS, "app/__init__.py": ""}
IMPORTS = (
    "from django.contrib.auth import logout, alogout\n"
    "from django.contrib.auth.decorators import login_required\n"
    "from django.contrib.auth.views import LogoutView\n"
    "from django.http import HttpResponse, HttpResponseNotAllowed\n"
    "from django.views import View\n"
    "from django.views.decorators.http import require_GET, require_http_methods, require_safe\n"
    "from app.decorators import post_only\n\n\n"
)


def run(code: str, django: str = "5.2", files=FILES):
    path = "app/views.py"
    project = in_memory_project({**files, path: code})
    settings = Settings(select=("DJV103",), django_version=Version(django))
    result = check(
        Document(code, f"/project/{path}", SourceKind.PYTHON), project, settings, rules=[RULE]
    )
    assert not result.rule_errors, result.rule_errors
    return result.findings


def view(*lines: str, decorators: str = "", name: str = "out") -> str:
    return (
        IMPORTS
        + decorators
        + f"def {name}(request):\n"
        + "".join(f"    {line}\n" for line in lines)
    )


MUST_FIRE = [
    (view("logout(request)", "return HttpResponse()"), "plain"),
    (view("logout(request)", decorators="@login_required\n"), "login_required lets GET through"),
    (view("logout(request)", decorators='@require_http_methods(["GET", "POST"])\n'), "GET allowed"),
    (view("logout(request)", decorators="@require_safe\n"), "GET and HEAD only"),
    (view("logout(request)", decorators="@require_GET\n"), "GET only"),
    (view('if request.method == "GET":', "    logout(request)"), "logs out exactly on GET"),
    (view('if request.method in ("GET", "HEAD"):', "    logout(request)"), "in a tuple"),
    (view('if request.method != "POST":', "    logout(request)"), "everything but POST"),
    (
        view("if request.user.is_authenticated:", "    logout(request)"),
        "a condition not about the method",
    ),
    (IMPORTS + "async def out(request):\n    await alogout(request)\n", "async view with alogout"),
    (
        IMPORTS
        + "class Out(View):\n    def get(self, request):\n        logout(request)\n        return HttpResponse()\n",
        "View.get",
    ),
    (
        IMPORTS
        + "class Out(LogoutView):\n    http_method_names = ['get', 'post', 'options']\n    get = LogoutView.post\n",
        "a LogoutView subclass aliasing post",
    ),
]


@pytest.mark.parametrize(("code", "reason"), MUST_FIRE, ids=[r for _, r in MUST_FIRE])
def test_fires(code: str, reason: str) -> None:
    findings = run(code)
    assert len(findings) == 1, reason
    assert findings[0].severity is Severity.WARNING


MUST_NOT_FIRE = [
    (
        view("logout(request)", decorators="@require_POST\n").replace(
            "require_GET,", "require_GET, require_POST,"
        ),
        "@require_POST",
    ),
    (view("logout(request)", decorators='@require_http_methods(["POST"])\n'), "POST only"),
    (view("logout(request)", decorators="@post_only\n"), "a project decorator djvet cannot read"),
    (
        view('if request.method == "POST":', "    logout(request)", 'return HttpResponse("sure?")'),
        "GET shows a confirmation",
    ),
    (
        view(
            'if request.method != "POST":',
            '    return HttpResponseNotAllowed(["POST"])',
            "logout(request)",
        ),
        "early refusal",
    ),
    (
        view(
            'if request.method == "POST" and request.user.is_authenticated:', "    logout(request)"
        ),
        "POST and something",
    ),
    (
        view("match request.method:", '    case "POST":', "        logout(request)"),
        "a method test djvet does not follow",
    ),
    (view("logout(request)", name="helper"), "not routed"),
    (view("logout(request)", name="wrapped"), "require_POST(view) in the URLconf"),
    (
        view("def inner():", "    logout(request)", "return HttpResponse()"),
        "logout in a nested function",
    ),
    (view("return HttpResponse()"), "no logout at all"),
    (
        IMPORTS
        + "class Out(View):\n    def post(self, request):\n        logout(request)\n        return HttpResponse()\n",
        "View with post() only: GET is 405",
    ),
    (
        IMPORTS + "class Out(LogoutView):\n    template_name = 'bye.html'\n",
        "plain LogoutView subclass",
    ),
    (
        IMPORTS
        + "class Out(LogoutView):\n    def get(self, request, *args, **kwargs):\n        return self.post(request, *args, **kwargs)\n",
        "get() defined but not in http_method_names (5.x)",
    ),
]


@pytest.mark.parametrize(("code", "reason"), MUST_NOT_FIRE, ids=[r for _, r in MUST_NOT_FIRE])
def test_does_not_fire(code: str, reason: str) -> None:
    assert run(code) == (), reason


def test_more_must_not_fire_than_must_fire() -> None:
    assert len(MUST_NOT_FIRE) > len(MUST_FIRE)


def test_view_get_without_post_has_no_fix() -> None:
    (finding,) = run(MUST_FIRE[10][0])
    assert finding.fix is None


def test_function_fix_adds_decorator_and_import() -> None:
    code = (
        IMPORTS.replace("from app.decorators import post_only\n", "")
        + "@login_required\ndef out(request):\n    logout(request)\n"
    )
    project = in_memory_project({**FILES, "app/views.py": code})
    settings = Settings(select=("DJV103",), django_version=Version("5.2"))
    text, count, result = fix_document(
        Document(code, "/project/app/views.py", SourceKind.PYTHON), project, settings, unsafe=True
    )
    assert count == 1 and not result.findings
    assert "require_GET, require_http_methods, require_safe, require_POST\n" in text
    assert "@login_required\n@require_POST\ndef out(request):" in text
    assert parses(text)


def test_fix_is_unsafe() -> None:
    (finding,) = run(MUST_FIRE[0][0])
    assert finding.fix is not None and not finding.fix.is_safe


def test_message_lists_template_links(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "urls.py").write_text(URLS)
    code = view("logout(request)")
    (tmp_path / "app" / "views.py").write_text(code)
    (tmp_path / "app" / "decorators.py").write_text("def post_only(f):\n    return f\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "base.html").write_text(
        '<nav>\n  <a href="{% url \'out\' %}">Log out</a>\n  <a href="/out/">again</a>\n</nav>\n'
    )
    (tmp_path / "templates" / "other.html").write_text("<a href=\"{% url 'cbv' %}\">x</a>\n")
    project = ProjectIndex(tmp_path)
    project.scan()
    settings = Settings(select=("DJV103",), django_version=Version("5.2"))
    result = check(
        Document(code, str(tmp_path / "app" / "views.py"), SourceKind.PYTHON),
        project,
        settings,
        rules=[RULE],
    )
    (finding,) = result.findings
    assert "templates/base.html:2, templates/base.html:3" in finding.message
    assert "other.html" not in finding.message
    assert [r.span.line for r in finding.related if r.path and r.path.endswith("base.html")] == [
        1,
        2,
    ]


# ``_may_call_logout`` passes over a routed function view whose text cannot hold a logout()
# call, without walking its body. Each spelling it must still let through fires; the texts it
# turns away (or lets through to no avail) stay silent.
PRECHECK_FIRES = [
    (
        "from django.contrib.auth import logout as end_session\n\n\n"
        "def out(request):\n    end_session(request)\n",
        "an import alias that does not say logout",
    ),
    (
        "from django.contrib import auth\n\n\ndef out(request):\n    auth.logout(request)\n",
        "through the module: the callee's last part",
    ),
    (
        "from django.contrib.auth import logout\n\n\n"
        "def out(request):\n    \uff4c\uff4f\uff47\uff4f\uff55\uff54(request)\n",
        "a fullwidth spelling the parser normalises to logout (non-ASCII text is always walked)",
    ),
    (
        "import django.contrib.auth\n\n\ndef out(request):\n    django.contrib.auth.logout(request)\n",
        "the fully dotted name",
    ),
]


@pytest.mark.parametrize(("code", "reason"), PRECHECK_FIRES, ids=[r for _, r in PRECHECK_FIRES])
def test_precheck_lets_every_logout_spelling_through(code: str, reason: str) -> None:
    assert len(run(code)) == 1, reason


PRECHECK_SILENT = [
    (
        "from django.http import HttpResponse\n\n\ndef out(request):\n    return HttpResponse()\n",
        "no logout in the text: passed over",
    ),
    (
        "from django.http import HttpResponse\n\n\n"
        "def out(request):\n    return HttpResponse('logout done')\n",
        "logout only in a string: walked, no call",
    ),
    (
        "from django.contrib.auth import logout as end_session\n\n\n"
        "def out(request):\n    return None\n",
        "the alias imported but not called in the view",
    ),
    (
        "def out(request):\n    logout_count = 1\n    return logout_count\n",
        "a variable named like it, never called",
    ),
    (
        "from app.helpers import sign_off\n\n\ndef out(request):\n    sign_off(request)\n",
        "a helper the index cannot read (not in the project): no call the rule knows",
    ),
]


@pytest.mark.parametrize(("code", "reason"), PRECHECK_SILENT, ids=[r for _, r in PRECHECK_SILENT])
def test_precheck_silent_cases(code: str, reason: str) -> None:
    assert run(code) == (), reason


def test_precheck_answers_as_the_walk_does() -> None:
    """Where the text test says no call can be a logout, the full walk finds none either."""
    import ast

    from djvet.core.django.logout import _may_call_logout, get_reaches_logout
    from djvet.core.python.facts import extract_module
    from djvet.core.python.parse import parse_python

    codes = [code for code, _ in (*MUST_FIRE, *MUST_NOT_FIRE, *PRECHECK_FIRES, *PRECHECK_SILENT)]
    passed_over = 0
    for code in codes:
        source = parse_python(code, "/project/app/views.py")
        module = extract_module(source, "app.views", "/project/app/views.py", "")
        for node in source.tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.args.args:
                continue
            if not _may_call_logout(node, module, source):
                passed_over += 1
                assert get_reaches_logout(node.body, module, node.args.args[0].arg) is not True
    assert passed_over >= 3
