"""The URL index (names -> routes -> views, hard-coded paths) and logout classification."""

from __future__ import annotations

import pytest
from packaging.version import Version

from djvet.core.django.logout import (
    Behaviour,
    class_may_log_out,
    classify_route,
    target_for_name,
    target_for_path,
)
from djvet.core.django.urls import build_url_index, url_index
from djvet.core.django.views import ViewResolver
from djvet.core.project import in_memory_project
from tests.runtime.harness import run_in_django

V52 = Version("5.2")
V42 = Version("4.2")

ROOT = """\
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from accounts import views as account_views
from blog.urls import api_patterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("me/", include("accounts.urls")),
    path("shop/", include(("shop.urls", "shop"), namespace="store")),
    path("blog/", include("blog.urls", namespace="blog")),
    path("api/", include(api_patterns)),
    path("bye/", auth_views.logout_then_login, name="bye"),
    re_path(r"^out/$", auth_views.LogoutView.as_view(next_page="/"), name="out"),
    path("inline/", include([path("x/", account_views.page, name="inline_x")])),
    path("assigned/", account_views.logout_view_instance, name="assigned"),
]
urlpatterns += [path("extra/", account_views.page, name="extra")]
"""
ACCOUNT_URLS = """\
from django.urls import path
from django.views.decorators.http import require_POST
from . import views

app_name = "accounts"
urlpatterns = [
    path("get-logout/", views.get_logout, name="get_logout"),
    path("post-logout/", views.post_logout, name="post_logout"),
    path("methods/", views.methods_logout, name="methods"),
    path("cbv/", views.GetLogout.as_view(), name="cbv"),
    path("plain/", views.PlainLogout.as_view(), name="plain"),
    path("post-only/", views.PostOnly.as_view(), name="post_only"),
    path("page/", views.page, name="page"),
    path("wrapped/", require_POST(views.get_logout), name="wrapped"),
]
"""
ACCOUNT_VIEWS = """\
from django.contrib.auth import logout
from django.contrib.auth.views import LogoutView
from django.http import HttpResponse
from django.views import View
from django.views.decorators.http import require_POST, require_http_methods


def get_logout(request):
    logout(request)
    return HttpResponse("bye")


@require_POST
def post_logout(request):
    logout(request)
    return HttpResponse("bye")


@require_http_methods(["POST", "PUT"])
def methods_logout(request):
    logout(request)
    return HttpResponse("bye")


class GetLogout(LogoutView):
    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        return self.post(request, *args, **kwargs)


class PlainLogout(LogoutView):
    template_name = "registration/logged_out.html"


class PostOnly(View):
    def post(self, request):
        logout(request)
        return HttpResponse("bye")


def page(request):
    return HttpResponse("page")


logout_view_instance = LogoutView.as_view()
"""
SHOP_URLS = """\
from django.urls import path
from accounts import views

urlpatterns = [path("logout/", views.post_logout, name="logout")]
"""
BLOG_URLS = """\
from django.urls import path
from accounts import views

app_name = "blog"
urlpatterns = [path("", views.page, name="index")]
api_patterns = [path("ping/", views.page, name="ping")]
"""
FILES = {
    "proj/__init__.py": "",
    "proj/settings.py": 'ROOT_URLCONF = "proj.urls"\n',
    "proj/urls.py": ROOT,
    "accounts/__init__.py": "",
    "accounts/urls.py": ACCOUNT_URLS,
    "accounts/views.py": ACCOUNT_VIEWS,
    "shop/__init__.py": "",
    "shop/urls.py": SHOP_URLS,
    "blog/__init__.py": "",
    "blog/urls.py": BLOG_URLS,
}


@pytest.fixture(scope="module")
def project():
    return in_memory_project(FILES)


@pytest.fixture(scope="module")
def index(project):
    return build_url_index(project)


EXPECTED_PATHS = {
    "logout": "/accounts/logout/",
    "login": "/accounts/login/",
    "admin:logout": "/admin/logout/",
    "admin:index": "/admin/",
    "accounts:get_logout": "/me/get-logout/",
    "store:logout": "/shop/logout/",
    "shop:logout": "/shop/logout/",
    "blog:index": "/blog/",
    "ping": "/api/ping/",
    "bye": "/bye/",
    "out": "/out/",
    "inline_x": "/inline/x/",
    "extra": "/extra/",
}


@pytest.mark.parametrize(("name", "path"), sorted(EXPECTED_PATHS.items()))
def test_reverse_finds_the_route(index, name: str, path: str) -> None:
    route = index.reverse(name)
    assert route is not None and route.display == path


def test_names_inside_namespaces_need_the_namespace(index) -> None:
    assert index.reverse("get_logout") is None
    assert index.reverse("index") is None
    assert index.reverse("password_reset_confirm") is None  # takes arguments
    assert index.reverse("password_reset_confirm", has_args=True) is not None


def test_root_urlconf_is_the_only_root(index) -> None:
    assert index.roots == ("proj.urls",)


def test_without_root_urlconf_every_unincluded_urlconf_is_a_root() -> None:
    files = {k: v for k, v in FILES.items() if k != "proj/settings.py"}
    index = build_url_index(in_memory_project(files))
    assert index.roots == ("proj.urls",)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/accounts/logout/", "logout"),
        ("/accounts/logout/?next=/", "logout"),
        ("/accounts/logout", "logout"),  # APPEND_SLASH redirects there (with GET)
        ("/admin/logout/", "admin:logout"),
        ("/out/", "out"),
        ("/shop/logout/", "store:logout"),
    ],
)
def test_hard_coded_paths_resolve(index, path: str, name: str) -> None:
    route, certain = index.resolve(path)
    assert certain and route is not None and route.name == name


def test_paths_that_may_reach_unknown_routes_are_uncertain(index) -> None:
    assert index.resolve("/admin/auth/user/") == (None, False)  # admin model URLs are not modelled
    assert index.resolve("/nowhere/") == (None, True)
    assert index.resolve("relative/") == (None, False)


def test_opaque_include_before_a_route_makes_paths_unknown() -> None:
    files = {
        "urls.py": (
            "from django.urls import include, path\n"
            "urlpatterns = [\n"
            '    path("accounts/", include("allauth.urls")),\n'
            '    path("accounts/", include("django.contrib.auth.urls")),\n'
            "]\n"
        )
    }
    index = build_url_index(in_memory_project(files))
    route, certain = index.resolve("/accounts/logout/")
    assert route is not None and route.name == "account_logout" and certain
    assert index.resolve("/accounts/password_change/") == (None, False)  # may be an allauth route
    assert index.reverse("logout") is not None


def test_starred_lists_and_custom_admin_site_and_i18n() -> None:
    files = {
        "site/__init__.py": "",
        "site/admin.py": (
            "from django.contrib import admin\n"
            "class MySite(admin.AdminSite):\n"
            "    site_header = 'x'\n"
            'my_site = MySite(name="backoffice")\n'
        ),
        "site/views.py": "def page(request):\n    pass\n",
        "site/parts.py": (
            "from django.urls import path\nfrom . import views\n"
            'urlpatterns = [path("p/", views.page, name="p")]\n'
        ),
        "site/urls.py": (
            "from django.conf.urls.i18n import i18n_patterns\n"
            "from django.urls import include, path\n"
            "from . import parts\n"
            "from .admin import my_site\n"
            'urlpatterns = [*parts.urlpatterns, path("office/", my_site.urls)]\n'
            'urlpatterns += i18n_patterns(path("accounts/", include("django.contrib.auth.urls")))\n'
        ),
    }
    index = build_url_index(in_memory_project(files))
    assert index.reverse("p").display == "/p/"
    assert index.reverse("backoffice:logout").display == "/office/logout/"
    assert index.reverse("admin:logout").display == "/office/logout/"  # app namespace
    assert index.reverse("logout").display == "/<language>/accounts/logout/"
    assert index.resolve("/en/accounts/logout/") == (None, False)  # the language prefix is a guess


def test_duplicate_names_reverse_to_the_last_one_like_django() -> None:
    files = {
        "views.py": "def a(request):\n    pass\n",
        "urls.py": (
            "from django.urls import path\nfrom views import a\n"
            'urlpatterns = [path("first/", a, name="x"), path("second/", a, name="x")]\n'
        ),
    }
    assert build_url_index(in_memory_project(files)).reverse("x").display == "/second/"


def test_index_is_cached_until_the_project_changes() -> None:
    project = in_memory_project(dict(FILES))
    first = url_index(project)
    assert url_index(project) is first
    project.update_text("/project/blog/urls.py", BLOG_URLS.replace('"ping/"', '"pong/"'))
    second = url_index(project)
    assert second is not first and second.reverse("ping").display == "/api/pong/"


# -- classification ----------------------------------------------------------------------------

CLASSIFIED = {
    # name: (behaviour on 5.2, Django's own LogoutView answer?)
    "logout": (Behaviour.REJECTS, True),
    "admin:logout": (Behaviour.REJECTS, True),
    "bye": (Behaviour.REJECTS, True),  # logout_then_login
    "out": (Behaviour.REJECTS, True),  # LogoutView.as_view(next_page=...)
    "assigned": (Behaviour.REJECTS, True),  # a module-level LogoutView.as_view() routed by name
    "accounts:plain": (Behaviour.REJECTS, True),  # LogoutView subclass, GET untouched
    "accounts:post_logout": (Behaviour.REJECTS, False),  # @require_POST
    "accounts:methods": (Behaviour.REJECTS, False),  # @require_http_methods(["POST", "PUT"])
    "accounts:post_only": (Behaviour.REJECTS, False),  # View with post() only
    "accounts:wrapped": (Behaviour.REJECTS, False),  # require_POST(view) in the URLconf
    "accounts:get_logout": (Behaviour.LOGS_OUT, False),
    "accounts:cbv": (Behaviour.LOGS_OUT, False),  # LogoutView subclass re-enabling GET
    "accounts:page": (Behaviour.NOT_LOGOUT, False),
    "admin:index": (Behaviour.NOT_LOGOUT, False),
}


@pytest.mark.parametrize(("name", "expected"), sorted(CLASSIFIED.items()))
def test_classification(project, index, name: str, expected) -> None:
    target = target_for_name(project, index, name, False, V52)
    assert (target.behaviour, target.django_logout) == expected


def test_plain_logout_view_subclass_deprecates_on_42(project, index) -> None:
    target = classify_route(project, index.reverse("accounts:plain"), V42)
    assert target.behaviour is Behaviour.REJECTS and target.django_logout


def test_allauth_logout_is_not_a_get_logout() -> None:
    files = {
        "urls.py": 'from django.urls import include, path\nurlpatterns = [path("accounts/", include("allauth.urls"))]\n'
    }
    project = in_memory_project(files)
    index = build_url_index(project)
    assert (
        target_for_name(project, index, "account_logout", False, V52).behaviour
        is Behaviour.NOT_LOGOUT
    )
    assert (
        target_for_path(project, index, "/accounts/logout/", V52).behaviour is Behaviour.NOT_LOGOUT
    )


def test_unknown_names_and_paths_are_unknown(project, index) -> None:
    assert target_for_name(project, index, "nope", False, V52).behaviour is Behaviour.UNKNOWN
    assert target_for_path(project, index, "/admin/auth/", V52).behaviour is Behaviour.UNKNOWN


# -- the index against Django's own resolver ---------------------------------------------------

DJANGO_CHECK = """
from django.urls import reverse, resolve, Resolver404
names = {names!r}
paths = {paths!r}
out = {{"reverse": {{}}, "resolve": {{}}}}
for name in names:
    out["reverse"][name] = reverse(name)
for path in paths:
    try:
        match = resolve(path)
        out["resolve"][path] = match.view_name
    except Resolver404:
        out["resolve"][path] = None
emit(out)
"""


def test_index_agrees_with_djangos_resolver(index) -> None:
    pytest.importorskip("django")
    files = {relative: text for relative, text in FILES.items() if relative != "proj/settings.py"}
    files = {("urls.py" if k == "proj/urls.py" else k): v for k, v in files.items()}
    files["proj/__init__.py"] = ""
    files["accounts/models.py"] = ""
    names = sorted(EXPECTED_PATHS)
    paths = [
        "/accounts/logout/",
        "/admin/logout/",
        "/shop/logout/",
        "/out/",
        "/me/cbv/",
        "/nowhere/",
    ]
    truth = run_in_django(files, DJANGO_CHECK.format(names=names, paths=paths))
    for name in names:
        assert index.reverse(name).display == truth["reverse"][name], name
    for path in paths:
        route, certain, _ = index._match(path)
        ours = route.name if route is not None else None
        if truth["resolve"][path] is None:
            assert ours is None
        else:
            assert certain
            # Django names the view by its instance namespace
            assert index.reverse(truth["resolve"][path]) is route, path


def test_several_root_urlconfs_must_agree() -> None:
    views = "def out(request):\n    pass\n"
    site_a = 'from django.urls import include, path\nurlpatterns = [path("accounts/", include("django.contrib.auth.urls"))]\n'
    site_b = 'from django.urls import path\nfrom views import out\nurlpatterns = [path("accounts/logout/", out, name="logout")]\n'
    agreeing = in_memory_project(
        {
            "settings/a.py": 'ROOT_URLCONF = "site_a"\n',
            "settings/b.py": 'ROOT_URLCONF = "site_c"\n',
            "site_a.py": site_a,
            "site_c.py": site_a,
        }
    )
    index = build_url_index(agreeing)
    assert index.roots == ("site_a", "site_c")
    assert index.reverse("logout").display == "/accounts/logout/"
    assert index.resolve("/accounts/logout/")[1]
    disagreeing = in_memory_project(
        {
            "settings/a.py": 'ROOT_URLCONF = "site_a"\n',
            "settings/b.py": 'ROOT_URLCONF = "site_b"\n',
            "site_a.py": site_a,
            "site_b.py": site_b,
            "views.py": views,
        }
    )
    index = build_url_index(disagreeing)
    assert index.reverse("logout") is None  # LogoutView in one site, a project view in the other
    assert index.resolve("/accounts/logout/") == (None, False)
    assert index.reverse("login") is not None  # only one site knows it


# -- shared work across routes -----------------------------------------------------------------


def test_one_resolver_for_every_route_classifies_like_a_fresh_one(project, index) -> None:
    """Classifications share one ViewResolver per index; the answer must not depend on order."""
    routes = list(index.routes)
    fresh = [classify_route(project, route, V52) for route in routes]
    forward = ViewResolver(project, V52)
    backward = ViewResolver(project, V52)
    assert [classify_route(project, r, V52, forward) for r in routes] == fresh
    assert [classify_route(project, r, V52, backward) for r in reversed(routes)] == fresh[::-1]
    assert {t.behaviour for t in fresh} >= {Behaviour.REJECTS, Behaviour.LOGS_OUT}


def test_same_pattern_text_is_compiled_once_and_still_resolves_per_app() -> None:
    """Every app routes "<int:pk>/": one compiled regex serves all of them, even when the
    project has more distinct patterns than ``re``'s own cache keeps (512)."""
    apps = [f"app{i}" for i in range(300)]
    files = {
        "proj/settings.py": 'ROOT_URLCONF = "proj.urls"\n',
        "proj/urls.py": "from django.urls import include, path\n\nurlpatterns = [\n"
        + "".join(f'    path("{a}/", include("{a}.urls")),\n' for a in apps)
        + "]\n",
    }
    for app in apps:
        files[f"{app}/urls.py"] = (
            "from django.urls import path\nfrom . import views\n\n"
            f'app_name = "{app}"\nurlpatterns = [\n'
            f'    path("{app}-a/<slug:s>/", views.detail, name="a"),\n'
            f'    path("{app}-b/<slug:s>/", views.detail, name="b"),\n'
            '    path("<int:pk>/", views.detail, name="detail"),\n]\n'
        )
        files[f"{app}/views.py"] = "def detail(request, pk):\n    pass\n"
    index = build_url_index(in_memory_project(files))
    route, certain = index.resolve("/app299/7/")
    assert certain and route is not None and route.name == "app299:detail"
    assert index.resolve("/app299/x/") == (None, True)
    shared = {
        id(entry.chain[-1].regex)
        for table in index.tables
        for entry in table.entries
        if entry.chain[-1] is not None and entry.chain[-1].display == "<int:pk>/"
    }
    assert len(shared) == 1


MORE_VIEWS = """\
from django.contrib.auth import logout
from django.contrib.auth.views import LogoutView
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from .helpers import end_session, log_out_view
from .mixins import LogoutMixin


class MixedIn(LogoutMixin, View):
    pass


class ThroughHelper(View):
    def post(self, request):
        end_session(request)
        return HttpResponse("bye")


class Aliased(View):
    def leave(self, request):
        logout(request)
        return HttpResponse("bye")

    post = leave


class Assigned(View):
    post = log_out_view


class Decorated(View):
    @method_decorator(require_POST)
    def post(self, request):
        logout(request)
        return HttpResponse("bye")


@method_decorator(require_POST, name="dispatch")
class Restricted(View):
    def get(self, request):
        logout(request)
        return HttpResponse("bye")


class Subclassed(LogoutView):
    pass


class Listing(ListView):
    pass


class Cycle(View):
    def get(self, request):
        return HttpResponse("page")
"""
MORE_URLS = """\
from django.urls import path
from . import views

urlpatterns = [
    path("mixed/", views.MixedIn.as_view(), name="mixed"),
    path("helper/", views.ThroughHelper.as_view(), name="helper"),
    path("aliased/", views.Aliased.as_view(), name="aliased"),
    path("assigned/", views.Assigned.as_view(), name="assigned"),
    path("decorated/", views.Decorated.as_view(), name="decorated"),
    path("restricted/", views.Restricted.as_view(), name="restricted"),
    path("subclassed/", views.Subclassed.as_view(), name="subclassed"),
    path("listing/", views.Listing.as_view(), name="listing"),
    path("cycle/", views.Cycle.as_view(), name="cycle"),
]
"""
MORE_FILES = {
    "urls.py": MORE_URLS,
    "views.py": MORE_VIEWS,
    "helpers.py": "from django.contrib.auth import logout\n\n\ndef end_session(request):\n    logout(request)\n\n\ndef log_out_view(self, request):\n    logout(request)\n",
    "mixins.py": "from django.contrib.auth import logout\n\n\nclass LogoutMixin:\n    def post(self, request, *args, **kwargs):\n        logout(request)\n",
}


@pytest.mark.parametrize("version", [V42, V52], ids=str)
@pytest.mark.parametrize(
    "files", [FILES, MORE_FILES], ids=["accounts-project", "handlers-elsewhere"]
)
def test_logouts_only_shortcut_never_hides_a_logout_class_view(files, version) -> None:
    """``class_may_log_out`` rules a class out only when the full analysis finds no logout."""
    project = in_memory_project(files)
    index = url_index(project)
    resolver = ViewResolver(project, version)
    checked = rejecting = 0
    for route in index.routes:
        cls = project.resolve_class(route.view.target) if route.view.kind == "class" else None
        if cls is None:
            continue
        checked += 1
        full = classify_route(project, route, version)
        rejecting += full.behaviour is Behaviour.REJECTS
        logout = full.behaviour in (Behaviour.REJECTS, Behaviour.LOGS_OUT)
        if not class_may_log_out(project, cls, resolver):
            assert not logout, route.name
        if route.name is not None:
            quick = target_for_name(
                project, index, route.name, route.has_params, version, logouts_only=True
            )
            if logout:
                assert quick.behaviour is full.behaviour, route.name
            else:
                assert quick.behaviour not in (Behaviour.REJECTS, Behaviour.LOGS_OUT), route.name
    assert checked >= 3 and rejecting >= 2
