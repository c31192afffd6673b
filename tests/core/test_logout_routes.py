"""``RouteScreen``: routes ruled out as logouts from the last part of their view's name.

``rejecting_urls`` (and, once it built its table, every ``logouts_only`` question) passes over
a route whose view ``RouteScreen`` rules out: it may only rule out views whose full
classification is neither REJECTS nor LOGS_OUT. Checked on generated projects (class
hierarchies across modules through imports, renames, package re-exports and assignment
aliases, ``LogoutView`` subclasses, ``get``/``post`` attributes and aliases, helpers calling
``logout()``, method decorators, ``http_method_names`` overrides, URLconf wrappers), eager
and with deferred bodies, against ``classify_route``; and on hand-made cases, each with its
reason.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from djvet.core.django import logout as logout_module
from djvet.core.django.logout import (
    Behaviour,
    RejectingUrls,
    build_route_screen,
    classify_route,
    rejecting_table,
    rejecting_urls,
    target_for_name,
)
from djvet.core.django.urls import Route, url_index
from djvet.core.django.views import ViewResolver
from djvet.core.project import ProjectIndex, in_memory_project
from djvet.core.python.facts import extract_module
from djvet.core.python.parse import parse_python

V42 = Version("4.2")
V52 = Version("5.2")
LOGOUTS = (Behaviour.REJECTS, Behaviour.LOGS_OUT)


def deferred_project(files: dict[str, str]) -> ProjectIndex:
    """``in_memory_project(files)`` with every body deferred, as the CLI indexes it."""
    project = in_memory_project(files)
    for key, info in list(project.modules.items()):
        source = parse_python(files[key.removeprefix("/project/")], key)
        project.modules[key] = extract_module(
            source, info.module, key, info.digest, defer_bodies=True
        )
    return project


def full_table(project: ProjectIndex, version: Version) -> RejectingUrls:
    """What ``rejecting_urls`` holds, from ``classify_route`` of every route (no screen)."""
    urls = url_index(project)
    resolver = ViewResolver(project, version)

    def rejects(route: Route) -> bool:
        target = classify_route(project, route, version, resolver)
        return target.behaviour is Behaviour.REJECTS

    return rejecting_table(urls, rejects)


def screened_table(project: ProjectIndex, version: Version) -> RejectingUrls:
    urls = url_index(project)
    saved = logout_module._REJECTING_AFTER
    logout_module._REJECTING_AFTER = 1
    try:
        found = rejecting_urls(project, urls, version)
    finally:
        logout_module._REJECTING_AFTER = saved
    assert found is not None
    return found


def assert_route_screen_is_sound(files: dict[str, str], version: Version) -> dict[str, Behaviour]:
    """Every route the screen rules out classifies neither REJECTS nor LOGS_OUT, and the
    table (and each ``logouts_only`` answer after it) is the one without the screen.

    Returns each route name's full classification (of the eager project)."""
    out: dict[str, Behaviour] = {}
    for project in (in_memory_project(files), deferred_project(files)):
        screen = build_route_screen(project)
        urls = url_index(project)
        resolver = ViewResolver(project, version)
        exact = {}
        for route in urls.routes:
            behaviour = classify_route(project, route, version, resolver).behaviour
            if route.name is not None:
                exact[route.name] = behaviour
            if screen is not None and screen.rules_out(route.view):
                assert behaviour not in LOGOUTS, (route.name, route.view)
        out = out or exact
        assert screened_table(project, version) == full_table(project, version)
        for name in urls.names:
            reversed_to = urls.reverse(name, False)
            if reversed_to is None:
                continue
            behaviour = classify_route(project, reversed_to, version, resolver).behaviour
            asked = target_for_name(project, urls, name, False, version, logouts_only=True)
            if asked.behaviour in LOGOUTS or behaviour in LOGOUTS:
                assert asked.behaviour == behaviour, name
    return out


# ---------------------------------------------------------------------------------------------
# Generated projects
# ---------------------------------------------------------------------------------------------

DJANGO_IMPORTS = (
    "from django.contrib.auth import logout\n"
    "from django.contrib.auth.views import LoginView, LogoutView\n"
    "from django.contrib.auth.views import LogoutView as Out\n"
    "from django.utils.decorators import method_decorator\n"
    "from django.views.decorators.cache import never_cache\n"
    "from django.views.decorators.http import require_GET, require_POST\n"
    "from django.views.generic import FormView, RedirectView, TemplateView, View\n"
    "from app import helpers\n"
    "from app.helpers import finish as finish_alias\n"
)
HELPERS = (
    "from django.contrib.auth import logout as end_session\n"
    "from django.contrib.auth.views import LogoutView\n\n\n"
    "def finish(request):\n    end_session(request)\n\n\n"
    "def unrelated(request):\n    return None\n"
)
DJANGO_BASES = [
    "View",
    "TemplateView",
    "RedirectView",
    "FormView",
    "LoginView",
    "LogoutView",
    "Out",
    "LogoutView",
]
STATEMENTS = [
    "logout(request)",
    "helpers.finish(request)",
    "finish_alias(request)",
    "helpers.unrelated(request)",
    "return None",
    "return super().post(request)",
    "return self.post(request)",
]
MEMBERS = [
    "get",
    "post",
    "put",
    "get = post",
    "post = put",
    "post = helpers.finish",
    "get = LogoutView.post",
    "get = helpers.unrelated",
    "http_method_names = ['post']",
    "dispatch",
    "template_name = 'x.html'",
]
CLASS_DECORATORS = ["", "@method_decorator(require_POST, name='dispatch')\n", "@never_cache\n"]
FUNCTION_DECORATORS = ["@require_POST\n", "@require_GET\n", "@never_cache\n"]


@st.composite
def projects(draw: st.DrawFn) -> dict[str, str]:
    """Views in ``app/base.py`` and ``app/views.py`` routed by ``urls.py`` in many spellings."""
    count = draw(st.integers(1, 5))
    classes: list[tuple[str, str]] = []  # (module, name), in definition order
    texts = {"base": [DJANGO_IMPORTS], "views": [DJANGO_IMPORTS]}
    reexports: list[str] = []
    for index in range(count):
        module = draw(st.sampled_from(["base", "views"]))
        name = f"C{index}"
        bases: list[str] = []
        for _ in range(draw(st.integers(0, 2))):
            pick = draw(st.integers(0, 6))
            earlier = [c for c in classes if c[0] == "base" or module == "views"]
            if pick <= 1 or not earlier:
                bases.append(draw(st.sampled_from(DJANGO_BASES)))
                continue
            other_module, other = draw(st.sampled_from(earlier))
            if pick == 2 and other_module == module:
                bases.append(other)
            elif pick == 2 or pick == 3:
                alias = f"{other}_as_{index}"
                texts[module].append(f"from app.{other_module} import {other} as {alias}\n")
                bases.append(alias)
            elif pick in (4, 6):
                exported = f"re_{other}"
                reexports.append(f"from .{other_module} import {other} as {exported}\n")
                texts[module].append(f"from app import {exported}\n")
                bases.append(exported)
            else:  # a module-level assignment naming the class (or LogoutView)
                alias = f"Alias{index}"
                target = other if other_module == module else f"{other}_via_{index}"
                if other_module != module:
                    texts[module].append(f"from app.{other_module} import {other} as {target}\n")
                if draw(st.booleans()):
                    target = "LogoutView"
                texts[module].append(f"{alias} = {target}\n")
                bases.append(alias)
        lines = []
        for member in draw(st.lists(st.sampled_from(MEMBERS), max_size=3, unique=True)):
            if member in ("get", "post", "put", "dispatch"):
                statement = draw(st.sampled_from(STATEMENTS))
                lines.append(f"    def {member}(self, request, *args, **kwargs):\n")
                lines.append(f"        {statement}\n")
            else:
                lines.append(f"    {member}\n")
        decorator = draw(st.sampled_from(CLASS_DECORATORS))
        texts[module].append(
            f"\n\n{decorator}class {name}({', '.join(bases)}):\n" + ("".join(lines) or "    pass\n")
        )
        classes.append((module, name))
    functions = []
    for index in range(draw(st.integers(0, 3))):
        name = f"f{index}"
        decorators = "".join(
            draw(st.lists(st.sampled_from(FUNCTION_DECORATORS), max_size=2, unique=True))
        )
        statement = draw(st.sampled_from(STATEMENTS[:5]))
        texts["views"].append(f"\n\n{decorators}def {name}(request):\n    {statement}\n")
        functions.append(name)
    urls = [
        "from django.contrib import admin\n",
        "from django.contrib.auth import views as auth_views\n",
        "from django.contrib.auth.views import LogoutView\n",
        "from django.urls import path\n",
        "from django.views.decorators.http import require_GET, require_POST\n",
        "from app import base, views\n",
    ]
    routes = [
        'path("admin/", admin.site.urls)',
        'path("lo/", LogoutView.as_view(), name="lo")',
        'path("ltl/", auth_views.logout_then_login, name="ltl")',
    ]
    for module, name in classes:
        spelling = draw(st.integers(0, 3))
        if spelling == 0:
            written = f"{module}.{name}"
        elif spelling == 1:
            written = f"{name}_routed"
            urls.append(f"from app.{module} import {name} as {written}\n")
        elif spelling == 2:
            written = f"re_{name}"
            reexports.append(f"from .{module} import {name} as {written}\n")
            urls.append(f"from app import {written}\n")
        else:
            written = f"{name}Alias"
            urls.append(f"from app.{module} import {name}\n{written} = {name}\n")
        kwargs = draw(st.sampled_from(["", "http_method_names=['post']", "template_name='x'"]))
        view = f"{written}.as_view({kwargs})"
        wrapper = draw(st.sampled_from(["", "require_POST", "require_GET"]))
        view = f"{wrapper}({view})" if wrapper else view
        routes.append(f'path("{name.lower()}/", {view}, name="{name}")')
    for name in functions:
        spelling = draw(st.integers(0, 2))
        if spelling == 0:
            written = f"views.{name}"
        elif spelling == 1:
            written = f"{name}_routed"
            urls.append(f"from app.views import {name} as {written}\n")
        else:
            written = f"re_{name}"
            reexports.append(f"from .views import {name} as {written}\n")
            urls.append(f"from app import {written}\n")
        wrapper = draw(st.sampled_from(["", "require_POST"]))
        view = f"{wrapper}({written})" if wrapper else written
        routes.append(f'path("{name}/", {view}, name="{name}")')
    return {
        "app/__init__.py": "".join(dict.fromkeys(reexports)),
        "app/helpers.py": HELPERS,
        "app/base.py": "".join(texts["base"]),
        "app/views.py": "".join(texts["views"]),
        "urls.py": "".join(urls) + "\nurlpatterns = [\n" + ",\n".join(routes) + ",\n]\n",
    }


@settings(max_examples=300, deadline=None)
@given(projects(), st.sampled_from([V42, V52]))
def test_generated_projects_rule_out_only_routes_that_are_no_logout(
    files: dict[str, str], version: Version
) -> None:
    assert_route_screen_is_sound(files, version)


# ---------------------------------------------------------------------------------------------
# Hand-made cases
# ---------------------------------------------------------------------------------------------

IMPORTS = (
    "from django.contrib.auth import logout\n"
    "from django.contrib.auth.views import LogoutView\n"
    "from django.utils.decorators import method_decorator\n"
    "from django.views.decorators.http import require_POST\n"
    "from django.views.generic import TemplateView, View\n"
    "from app import helpers\n"
)
# Views that are a logout (REJECTS or LOGS_OUT): the screen must keep their routes.
MUST_KEEP = [
    ("class V(LogoutView):\n    pass\n", "V.as_view()", "a LogoutView subclass"),
    (
        "from django.contrib.auth.views import LogoutView as Bye\n\n\nclass V(Bye):\n    pass\n",
        "V.as_view()",
        "LogoutView imported under another name",
    ),
    ("Base = LogoutView\n\n\nclass V(Base):\n    pass\n", "V.as_view()", "an assignment alias"),
    (
        "class Mid(LogoutView):\n    pass\n\n\nclass Mixin:\n    pass\n\n\nclass V(Mixin, Mid):\n    pass\n",
        "V.as_view()",
        "LogoutView two levels up, after a mixin",
    ),
    (
        "class V(View):\n    def post(self, request):\n        helpers.finish(request)\n",
        "V.as_view()",
        "post() logs out through a helper, no get(): rejects GET",
    ),
    (
        "class V(View):\n    def get(self, request):\n        logout(request)\n",
        "V.as_view()",
        "get() logs out",
    ),
    ("class V(View):\n    post = helpers.finish\n", "V.as_view()", "post names a helper"),
    (
        "class M:\n    def post(self, request):\n        logout(request)\n\n\n"
        "class V(M, View):\n    pass\n",
        "V.as_view()",
        "a mixin's post() logs out",
    ),
    (
        "class V(View):\n    def post(self, request):\n        logout(request)\n\n    get = post\n",
        "V.as_view()",
        "get aliases a logging-out post",
    ),
    (
        "class V(View):\n    def put(self, request):\n        logout(request)\n\n    post = put\n",
        "V.as_view()",
        "post aliases a logging-out put",
    ),
    (
        "from app import Exported\n\n\nclass V(Exported):\n    pass\n",
        "V.as_view()",
        "a LogoutView subclass the package re-exports under another name",
    ),
    (
        "@require_POST\ndef v(request):\n    logout(request)\n",
        "v",
        "a POST-only function view that logs out",
    ),
    ("def v(request):\n    helpers.finish(request)\n", "v", "a function view logging out"),
    (
        "class Outer:\n    class V(LogoutView):\n        pass\n",
        "Outer.V.as_view()",
        "a nested LogoutView subclass",
    ),
]
# Views that are no logout: the screen rules their routes out, and classifying agrees.
MUST_RULE_OUT = [
    ("class V(TemplateView):\n    template_name = 'x.html'\n", "V.as_view()", "a page"),
    (
        "class V(View):\n    def get(self, request):\n        return None\n",
        "V.as_view()",
        "get() without logout",
    ),
    (
        "class V(View):\n    def post(self, request):\n        helpers.unrelated(request)\n",
        "V.as_view()",
        "post() calls a helper that does not log out",
    ),
    (
        "class Base(TemplateView):\n    pass\n\n\nclass V(Base):\n    pass\n",
        "V.as_view()",
        "a project base without logout",
    ),
    (
        "class V(View):\n    put = helpers.finish\n",
        "V.as_view()",
        "a logging-out helper named by put, not get/post",
    ),
    ("def v(request):\n    return None\n", "v", "a function view without logout"),
    (
        "@require_POST\ndef v(request):\n    return None\n",
        "v",
        "POST-only, but logs nobody out",
    ),
    (
        "@method_decorator(require_POST, name='dispatch')\nclass V(TemplateView):\n    pass\n",
        "V.as_view()",
        "POST-only page",
    ),
    (
        "from django.contrib.auth.views import LoginView as LogoutLike\n\n\n"
        "class V(LogoutLike):\n    pass\n",
        "V.as_view()",
        "LoginView under a logout-looking alias",
    ),
    ("def v(request):\n    request.session.flush()\n", "v", "flushes the session by hand"),
    (
        "class V(View):\n    def put(self, request):\n        logout(request)\n",
        "V.as_view()",
        "logs out on PUT only (no get/post)",
    ),
    ("class V:\n    pass\n", "V.as_view()", "no view at all"),
    (
        "class V(View):\n    def post(self, request):\n        return None\n",
        "V.as_view()",
        "post() without logout",
    ),
    (
        "def v(request):\n    helpers.unrelated(request)\n",
        "v",
        "a function view calling a helper without logout",
    ),
    (
        "from django.contrib.auth.views import PasswordChangeView\n\n\n"
        "class V(PasswordChangeView):\n    pass\n",
        "V.as_view()",
        "a Django auth view that is not the logout",
    ),
    ("V = 1\n", "V.as_view()", "not a class"),
]


def _case(body: str, view: str) -> dict[str, str]:
    return {
        "app/__init__.py": "from .helpers import Out as Exported\n",
        "app/helpers.py": HELPERS + "\n\nclass Out(LogoutView):\n    pass\n",
        "app/views.py": f"{IMPORTS}\n\n{body}",
        "urls.py": (
            "from django.urls import path\nfrom app import views\n\n"
            f'urlpatterns = [path("v/", views.{view}, name="v")]\n'
        ),
    }


@pytest.mark.parametrize(("body", "view", "reason"), MUST_KEEP, ids=[r for *_, r in MUST_KEEP])
def test_logout_routes_are_kept(body: str, view: str, reason: str) -> None:
    files = _case(body, view)
    exact = assert_route_screen_is_sound(files, V52)
    assert exact["v"] in LOGOUTS, reason
    for project in (in_memory_project(files), deferred_project(files)):
        screen = build_route_screen(project)
        assert screen is not None
        (route,) = url_index(project).names["v"]
        assert not screen.rules_out(route.view), reason


@pytest.mark.parametrize(
    ("body", "view", "reason"), MUST_RULE_OUT, ids=[r for *_, r in MUST_RULE_OUT]
)
def test_routes_that_are_no_logout_are_ruled_out(body: str, view: str, reason: str) -> None:
    files = _case(body, view)
    exact = assert_route_screen_is_sound(files, V52)
    assert exact["v"] not in LOGOUTS, reason
    for project in (in_memory_project(files), deferred_project(files)):
        screen = build_route_screen(project)
        assert screen is not None
        (route,) = url_index(project).names["v"]
        assert screen.rules_out(route.view), reason


def test_rule_out_cases_outnumber_keep_cases() -> None:
    assert len(MUST_RULE_OUT) > len(MUST_KEEP)


def test_django_logouts_and_admin_routes_are_never_ruled_out() -> None:
    files = {
        "urls.py": (
            "from django.contrib import admin\n"
            "from django.contrib.auth import views as auth_views\n"
            "from django.urls import include, path\n\n"
            "urlpatterns = [\n"
            '    path("admin/", admin.site.urls),\n'
            '    path("accounts/", include("django.contrib.auth.urls")),\n'
            '    path("ltl/", auth_views.logout_then_login, name="ltl"),\n'
            '    path("lo/", auth_views.LogoutView.as_view(), name="lo"),\n'
            "]\n"
        )
    }
    project = in_memory_project(files)
    screen = build_route_screen(project)
    assert screen is not None
    urls = url_index(project)
    for name in ("admin:logout", "logout", "ltl", "lo"):
        for route in urls.names[name]:
            assert not screen.rules_out(route.view), name
    assert {"admin:logout", "logout", "ltl", "lo"} <= screened_table(project, V52).names


def test_no_screen_when_the_logout_screen_screens_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(logout_module, "_MAX_SCREEN_WORDS", 0)
    files = _case(*MUST_RULE_OUT[0][:2])
    project = in_memory_project(files)
    assert build_route_screen(project) is None
    assert_route_screen_is_sound(files, V52)


def test_djangos_own_class_in_the_project_keeps_the_django_classes_below_it() -> None:
    """A project holding Django's ``TemplateView`` (its key is Django's): once a route placed
    it, Django's ``PasswordChangeDoneView`` has it in its MRO, so ``V`` rejects GET."""
    files = {
        "django/__init__.py": "",
        "django/views/__init__.py": "",
        "django/views/generic/__init__.py": "",
        "django/views/generic/base.py": (
            "from django.contrib.auth import logout\n"
            "from django.views.generic.base import View\n\n\n"
            "class TemplateView(View):\n    def post(self, request):\n        logout(request)\n"
        ),
        "app/__init__.py": "",
        "app/views.py": (
            "from django.contrib.auth.views import PasswordChangeDoneView\n\n\n"
            "class V(PasswordChangeDoneView):\n    pass\n"
        ),
        "urls.py": (
            "from django.urls import path\n"
            "from django.views.generic.base import TemplateView\n"
            "from app import views\n\n"
            "urlpatterns = [\n"
            '    path("a/", TemplateView.as_view(), name="a"),\n'
            '    path("v/", views.V.as_view(), name="v"),\n'
            "]\n"
        ),
    }
    exact = assert_route_screen_is_sound(files, V52)
    assert exact["v"] is Behaviour.REJECTS
    assert "v" in screened_table(in_memory_project(files), V52).names
