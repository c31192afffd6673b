"""``LogoutScreen``: functions passed over by ``function_logs_out`` without summarising them.

The CLI's index defers function bodies; ``function_logs_out`` then answers False for a
function the screen rules out, from its text alone. The screen may only rule out functions
whose summarised answer is False: checked on generated projects (call chains through
helpers, aliases, re-exports under other names, methods, ``auth.logout``, ``LogoutView``
aliases) against the eager index, and on hand-made cases, each with its reason.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from djvet.core.django import logout as logout_module
from djvet.core.django.logout import (
    build_logout_screen,
    classify_route,
    function_logs_out,
    may_log_out,
)
from djvet.core.django.urls import url_index
from djvet.core.project import ProjectIndex, in_memory_project
from djvet.core.python.facts import FunctionInfo, ModuleInfo, extract_module
from djvet.core.python.parse import parse_python

V52 = Version("5.2")


def deferred_project(files: dict[str, str]) -> ProjectIndex:
    """``in_memory_project(files)`` with every body deferred, as the CLI indexes it."""
    project = in_memory_project(files)
    for key, info in list(project.modules.items()):
        source = parse_python(files[key.removeprefix("/project/")], key)
        project.modules[key] = extract_module(
            source, info.module, key, info.digest, defer_bodies=True
        )
    return project


def functions(module: ModuleInfo) -> Iterator[tuple[str, FunctionInfo]]:
    for name, function in module.functions.items():
        yield name, function
    for cls in module.classes.values():
        for name, method in cls.methods.items():
            yield f"{cls.qualname}.{name}", method


def answers(project: ProjectIndex) -> dict[tuple[str, str], bool | None]:
    out = {}
    for path, module in sorted(project.modules.items()):
        for name, function in functions(module):
            out[(path, name)] = function_logs_out(project, function, path)
    return out


def assert_screen_is_sound(files: dict[str, str]) -> dict[tuple[str, str], bool | None]:
    """Deferred answers (screen on) equal eager ones, and what the screen rules out is False."""
    eager = answers(in_memory_project(files))
    deferred = deferred_project(files)
    screen = build_logout_screen(deferred)
    for path, module in deferred.modules.items():
        for name, function in functions(module):
            if not screen.may_log_out(function):
                assert eager[(path, name)] is False, (path, name)
    assert answers(deferred) == eager
    return eager


# ---------------------------------------------------------------------------------------------
# Generated projects
# ---------------------------------------------------------------------------------------------

# How a function may reach a logout directly (each with the import it needs).
LOGOUT_CALLS = [
    ("from django.contrib.auth import logout", "logout(request)"),
    ("from django.contrib.auth import logout as bye", "bye(request)"),
    ("from django.contrib import auth", "auth.logout(request)"),
    ("from django.contrib.auth import alogout", "alogout(request)"),
    ("import django.contrib.auth", "django.contrib.auth.logout(request)"),
    ("from django.contrib.auth.views import LogoutView as LV", "LV.as_view()(request)"),
    (
        "from django.contrib.auth import views as auth_views",
        "auth_views.logout_then_login(request)",
    ),
    ("from django.contrib.auth import views as auth_views", "auth_views.LogoutView.as_view()"),
    ("", "django.contrib.auth.logout(request)"),  # spelled in full, never imported
    ("from django.contrib.auth import login", "login(request, user)"),  # no logout
    ("", "print(request)"),  # nothing
]
NAMES = ["end", "finish", "helper", "get", "post", "sign_out", "run", "x"]


@st.composite
def projects(draw: st.DrawFn) -> dict[str, str]:
    """A package of 2-4 modules whose functions and ``Helpers`` methods call each other
    through the spellings ``resolve`` follows, some calling a logout."""
    count = draw(st.integers(2, 4))
    modules = [f"m{i}" for i in range(count)]
    names = st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True)
    defined = {m: draw(names) for m in modules}
    methods = {m: draw(st.lists(st.sampled_from(NAMES), max_size=2, unique=True)) for m in modules}
    files: dict[str, str] = {}
    renames: list[str] = []

    def body(module: str, index: int, imports: list[str]) -> list[str]:
        statements: list[str] = []
        for _ in range(draw(st.integers(0, 3))):
            kind = draw(
                st.sampled_from(["logout", "local", "import", "alias", "attr", "pkg", "method"])
            )
            if kind == "logout":
                imported, call = draw(st.sampled_from(LOGOUT_CALLS))
                if imported:
                    imports.append(imported)
                statements.append(call)
                continue
            other = draw(st.sampled_from(modules))
            if kind == "method":
                if methods[other]:
                    target = draw(st.sampled_from(methods[other]))
                    if other == module:
                        statements.append(f"Helpers.{target}(request)")
                    else:
                        imports.append(f"from . import {other}")
                        statements.append(f"{other}.Helpers.{target}(request)")
                continue
            target = draw(st.sampled_from(defined[other]))
            if kind == "local" or other == module:
                if target in defined[module]:
                    statements.append(f"{target}(request)")
            elif kind == "import":
                imports.append(f"from .{other} import {target}")
                statements.append(f"{target}(request)")
            elif kind == "alias":
                alias = f"{target}_{index}_alias"
                imports.append(f"from .{other} import {target} as {alias}")
                statements.append(f"{alias}(request)")
            elif kind == "attr":
                imports.append(f"from . import {other}")
                statements.append(f"{other}.{target}(request)")
            else:  # through the package's __init__, re-exported under another name
                exported = f"re_{other}_{target}"
                renames.append(f"from .{other} import {target} as {exported}")
                imports.append(f"from . import {exported}")
                statements.append(f"{exported}(request)")
        return statements or ["return None"]

    for index, module in enumerate(modules):
        imports: list[str] = []
        chunks = [
            f"def {name}(request):\n" + "".join(f"    {s}\n" for s in body(module, index, imports))
            for name in defined[module]
        ]
        if methods[module]:
            chunks.append(
                "class Helpers:\n"
                + "".join(
                    f"    @staticmethod\n    def {name}(request):\n"
                    + "".join(f"        {s}\n" for s in body(module, index, imports))
                    for name in methods[module]
                )
            )
        header = "\n".join(dict.fromkeys(imports))
        files[f"app/{module}.py"] = header + "\n\n\n" + "\n\n".join(chunks)
    files["app/__init__.py"] = "\n".join(dict.fromkeys(renames)) + "\n"
    return files


@settings(max_examples=150, deadline=None)
@given(projects())
def test_generated_projects_answer_the_same_with_deferred_bodies(files: dict[str, str]) -> None:
    assert_screen_is_sound(files)


# ---------------------------------------------------------------------------------------------
# Hand-made cases
# ---------------------------------------------------------------------------------------------

HELPERS = (
    "from django.contrib.auth import logout as end_session\n\n\n"
    "def finish(request):\n    end_session(request)\n"
)
# Functions that do reach a logout, by a spelling the screen must see.
MUST_REACH = [
    ("def v(request):\n    logout(request)\n", "from django.contrib.auth import logout", "plain"),
    (
        "def v(request):\n    bye(request)\n",
        "from django.contrib.auth import logout as bye",
        "alias",
    ),
    (
        "def v(request):\n    auth.alogout(request)\n",
        "from django.contrib import auth",
        "module attr",
    ),
    (
        "def v(request):\n    finish(request)\n",
        "from app.helpers import finish",
        "helper, aliased logout",
    ),
    (
        "def v(request):\n    done(request)\n",
        "from app.helpers import finish as done",
        "renamed helper",
    ),
    ("def v(request):\n    app.helpers.finish(request)\n", "import app.helpers", "dotted helper"),
    (
        "def v(request):\n    return LV.as_view()(request)\n",
        "from django.contrib.auth.views import LogoutView as LV",
        "LogoutView alias",
    ),
    (
        "def v(request):\n    ｌogout(request)\n",
        "from django.contrib.auth import logout",
        "NFKC spelling",
    ),
]
# Functions that reach none: the screen rules them out, and the walk agrees.
MUST_NOT_REACH = [
    (
        "def v(request):\n    login(request, None)\n",
        "from django.contrib.auth import login",
        "login",
    ),
    (
        "def v(request):\n    return render(request, 'x.html')\n",
        "from django.shortcuts import render",
        "a page",
    ),
    (
        "def v(request):\n    unrelated(request)\n",
        "from app.helpers import unrelated",
        "a helper without logout",
    ),
    (
        "def v(request):\n    auth.login(request, None)\n",
        "from django.contrib import auth",
        "another auth function",
    ),
    (
        "def v(request):\n    return LV.as_view()(request)\n",
        "from django.contrib.auth.views import LoginView as LV",
        "LoginView alias",
    ),
    ("def v(request):\n    request.session.flush()\n", "", "flushes the session by hand"),
    (
        "def v(request):\n    return redirect('/')\n",
        "from django.shortcuts import redirect",
        "a redirect",
    ),
    ("def v(request):\n    return None\n", "", "nothing"),
    (
        "def v(request):\n    helpers.unrelated(request)\n",
        "from app import helpers",
        "module attr, no logout",
    ),
]


def _case(body: str, imports: str) -> dict[str, str]:
    return {
        "app/__init__.py": "",
        "app/helpers.py": HELPERS + "\n\ndef unrelated(request):\n    return None\n",
        "app/views.py": f"{imports}\n\n\n{body}",
    }


@pytest.mark.parametrize(("body", "imports", "reason"), MUST_REACH, ids=[r for *_, r in MUST_REACH])
def test_reaching_a_logout_is_kept(body: str, imports: str, reason: str) -> None:
    files = _case(body, imports)
    eager = assert_screen_is_sound(files)
    assert eager[("/project/app/views.py", "v")] is not False, reason
    project = deferred_project(files)
    view = project.modules["/project/app/views.py"].functions["v"]
    assert may_log_out(project, view), reason


@pytest.mark.parametrize(
    ("body", "imports", "reason"), MUST_NOT_REACH, ids=[r for *_, r in MUST_NOT_REACH]
)
def test_functions_without_a_logout_are_screened_out(body: str, imports: str, reason: str) -> None:
    files = _case(body, imports)
    eager = assert_screen_is_sound(files)
    assert eager[("/project/app/views.py", "v")] is False, reason
    project = deferred_project(files)
    view = project.modules["/project/app/views.py"].functions["v"]
    assert not may_log_out(project, view), reason
    assert view._deferred is not None  # ruled out without summarising the body


def test_must_not_reach_outnumber_must_reach() -> None:
    assert len(MUST_NOT_REACH) > len(MUST_REACH)


def test_a_function_the_screen_never_saw_is_walked() -> None:
    """A function object of a later index state is not screened: the walk answers."""
    files = _case(*MUST_REACH[0][:2])
    project = deferred_project(files)
    screen = build_logout_screen(project)
    fresh = deferred_project(files).modules["/project/app/views.py"].functions["v"]
    assert screen.may_log_out(fresh)


def test_too_many_words_screen_nothing_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logout_module, "_MAX_SCREEN_WORDS", 0)
    files = _case(*MUST_NOT_REACH[0][:2])
    project = deferred_project(files)
    screen = build_logout_screen(project)
    assert screen.everything
    assert screen.may_log_out(project.modules["/project/app/views.py"].functions["v"])
    assert_screen_is_sound(files)


def test_routes_classify_the_same_with_deferred_bodies() -> None:
    views = "\n\n".join(
        body.replace("def v(", f"def v{i}(")
        for i, (body, _, _) in enumerate(MUST_REACH + MUST_NOT_REACH)
    )
    imports = "\n".join(dict.fromkeys(i for _, i, _ in MUST_REACH + MUST_NOT_REACH if i))
    routes = "".join(
        f'    path("v{i}/", views.v{i}, name="v{i}"),\n'
        for i in range(len(MUST_REACH) + len(MUST_NOT_REACH))
    )
    files = {
        **_case(views, imports),
        "app/views.py": f"{imports}\nfrom django.views.decorators.http import require_POST\n\n\n{views}",
        "urls.py": f"from django.urls import path\nfrom app import views\n\nurlpatterns = [\n{routes}]\n",
    }
    # Same views twice: as GET-refusing (decorated in the URLconf) and plain.
    eager, deferred = in_memory_project(files), deferred_project(files)
    eager_routes = list(url_index(eager).routes)
    deferred_routes = list(url_index(deferred).routes)
    assert len(eager_routes) == len(deferred_routes) > 10
    for a, b in zip(eager_routes, deferred_routes, strict=True):
        assert classify_route(eager, a, V52).behaviour == classify_route(deferred, b, V52).behaviour
