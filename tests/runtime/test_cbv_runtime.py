"""DJV201/202/203 against real Django: djvet reports exactly where Django fails, and its fixes work.

One subprocess per interpreter (``django_pythons()``) imports a project of view classes spread
over several modules (inheritance across modules, project decorators, an unseen third-party
package), calls ``as_view()`` on every class, sends OPTIONS requests to the DJV202 cases and
GET requests to the DJV203 cases — for the original code and for the code djvet's fixes
(safe and unsafe) produce. djvet is run with that interpreter's Django version.
"""

from __future__ import annotations

import ast
from pathlib import PurePosixPath

import pytest
from packaging.version import Version

from djvet.core.config import Settings
from djvet.core.engine import check, fix_document
from djvet.core.project import in_memory_project
from djvet.core.registry import get_rule
from djvet.core.rule import Document
from djvet.core.types import Finding, SourceKind

from .harness import django_pythons, django_version, run_in_django

RULES = [get_rule("DJV201"), get_rule("DJV202"), get_rule("DJV203")]
ROOT = "/project"

BASE = """
from django.http import HttpResponse
from django.views import View
from django.views.generic import CreateView
from django.views.generic.edit import BaseCreateView


class AsyncGetBase(View):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("base get")


class SyncPostMixin:
    def post(self, request, *args, **kwargs):
        return HttpResponse("mixin post")


class AsyncPostMixin:
    async def post(self, request, *args, **kwargs):
        return HttpResponse("mixin apost")


class MyCreate(CreateView):
    fields = ["name"]


class AsyncPutCreate(BaseCreateView):
    async def put(self, request, *args, **kwargs):
        return HttpResponse("put")


class AsyncOptionsMixin:
    async def options(self, request, *args, **kwargs):
        return HttpResponse("options")
"""

DECORATORS = """
import functools

from asgiref.sync import iscoroutinefunction, markcoroutinefunction


def sync_wrapped(func):
    @functools.wraps(func)
    def wrapper(self, request, *args, **kwargs):
        return func(self, request, *args, **kwargs)
    return wrapper


def async_wrapped(func):
    @functools.wraps(func)
    async def wrapper(self, request, *args, **kwargs):
        return await func(self, request, *args, **kwargs)
    return wrapper


def aware(func):
    if iscoroutinefunction(func):
        @functools.wraps(func)
        async def async_wrapper(self, request, *args, **kwargs):
            return await func(self, request, *args, **kwargs)
        return async_wrapper

    @functools.wraps(func)
    def wrapper(self, request, *args, **kwargs):
        return func(self, request, *args, **kwargs)
    return wrapper


def marked(func):
    @functools.wraps(func)
    def wrapper(self, request, *args, **kwargs):
        return func(self, request, *args, **kwargs)
    if iscoroutinefunction(func):
        markcoroutinefunction(wrapper)
    return wrapper


def with_header(name):
    def decorator(func):
        @functools.wraps(func)
        def wrapper(self, request, *args, **kwargs):
            return func(self, request, *args, **kwargs)
        return wrapper
    return decorator
"""

MODELS = """
from django.db import models


class Item(models.Model):
    name = models.CharField(max_length=50, blank=True)
"""

FORMS = """
from django import forms


class NoteForm(forms.Form):
    note = forms.CharField(required=False)
"""

VIEWS = """
from asgiref.sync import sync_to_async
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import (
    LoginView, LogoutView, PasswordChangeView, PasswordResetDoneView,
)
from django.contrib.messages.views import SuccessMessageMixin
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views import View, generic as g
from django.views.decorators.cache import never_cache
from django.views.generic import (
    ArchiveIndexView, CreateView, DeleteView, DetailView, FormView, ListView, RedirectView,
    TemplateView, UpdateView,
)

from .base import AsyncGetBase, AsyncPostMixin, AsyncPutCreate, MyCreate, SyncPostMixin
from .decorators import async_wrapped, aware, marked, sync_wrapped
from .forms import NoteForm
from .models import Item


class AllAsync(View):
    async def get(self, request):
        return HttpResponse("get")

    async def post(self, request):
        return HttpResponse("post")


class AllSync(View):
    def get(self, request):
        return HttpResponse("get")

    def post(self, request):
        return HttpResponse("post")


class OwnMixed(View):
    async def get(self, request):
        return await sync_to_async(HttpResponse)("get")

    def post(self, request):
        return HttpResponse("post")


class CreateAsyncGetPost(CreateView):
    model = Item
    fields = ["name"]

    async def get(self, request, *args, **kwargs):
        return await sync_to_async(HttpResponse)("get")

    async def post(self, request, *args, **kwargs):
        return await sync_to_async(HttpResponse)("post")


class CreateAllThree(CreateView):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")

    async def post(self, request, *args, **kwargs):
        return HttpResponse("post")

    async def put(self, request, *args, **kwargs):
        return HttpResponse("put")


class DeleteAsyncGetPost(DeleteView):
    model = Item
    success_url = "/done/"

    async def get(self, request, *args, **kwargs):
        return await sync_to_async(HttpResponse)("confirm")

    async def post(self, request, *args, **kwargs):
        return await sync_to_async(HttpResponse)("post")


class DeleteAllAsync(DeleteView):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")

    async def post(self, request, *args, **kwargs):
        return HttpResponse("post")

    async def delete(self, request, *args, **kwargs):
        return HttpResponse("delete")


class RedirectAsyncGet(RedirectView):
    url = "/elsewhere/"

    async def get(self, request, *args, **kwargs):
        return await sync_to_async(super().get)(request, *args, **kwargs)


class RedirectAllAsync(RedirectView):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")

    async def post(self, request, *args, **kwargs):
        return HttpResponse("post")

    async def put(self, request, *args, **kwargs):
        return HttpResponse("put")

    async def patch(self, request, *args, **kwargs):
        return HttpResponse("patch")

    async def delete(self, request, *args, **kwargs):
        return HttpResponse("delete")

    async def head(self, request, *args, **kwargs):
        return HttpResponse("head")


class TemplateAsyncGet(TemplateView):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")


class ListAsyncGet(ListView):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")


class DetailAsyncGet(DetailView):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")


class ArchiveAsyncGet(ArchiveIndexView):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")


class FormAsyncGet(FormView):
    form_class = NoteForm
    success_url = "/thanks/"

    async def get(self, request, *args, **kwargs):
        return await sync_to_async(HttpResponse)("form")


class FormAccidentalAsync(FormView):
    form_class = NoteForm
    success_url = "/thanks/"

    async def get(self, request, *args, **kwargs):
        return HttpResponse("form")


class UpdateAsyncGet(g.UpdateView):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")


class UpdateAllAsync(g.edit.UpdateView):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")

    async def post(self, request, *args, **kwargs):
        return HttpResponse("post")

    async def put(self, request, *args, **kwargs):
        return HttpResponse("put")


class LoginAsyncGet(LoginView):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")


class PasswordChangeAsyncGet(PasswordChangeView):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")


class ResetDoneAsyncGet(PasswordResetDoneView):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")


class LogoutAsyncPost(LogoutView):
    async def post(self, request, *args, **kwargs):
        return await sync_to_async(super().post)(request, *args, **kwargs)


class RestrictedNames(View):
    http_method_names = ["get"]

    async def get(self, request):
        return HttpResponse("get")

    def post(self, request):
        return HttpResponse("post")


class RestrictedOrder(View):
    http_method_names = ["post", "get", "options"]

    def post(self, request):
        return HttpResponse("post")

    async def get(self, request):
        return HttpResponse("get")


class HeadSync(View):
    async def get(self, request):
        return HttpResponse("get")

    def head(self, request):
        return HttpResponse("")


class HeadFollowsGet(View):
    async def get(self, request):
        return HttpResponse("get")


class AliasAsync(View):
    async def post(self, request):
        return HttpResponse("post")

    get = post


class AliasMixed(View):
    def post(self, request):
        return HttpResponse("post")

    get = post

    async def put(self, request):
        return HttpResponse("put")


class NoneAttribute(View):
    put = None

    async def get(self, request):
        return HttpResponse("get")


class MethodDecoratorPair(View):
    @method_decorator(never_cache)
    async def get(self, request):
        return HttpResponse("get")

    async def post(self, request):
        return HttpResponse("post")


@method_decorator(never_cache, name="get")
class ClassDecoratorPair(View):
    async def get(self, request):
        return HttpResponse("get")

    async def post(self, request):
        return HttpResponse("post")


class ProjectSyncWrapperPair(View):
    @sync_wrapped
    async def get(self, request):
        return HttpResponse("get")

    async def post(self, request):
        return HttpResponse("post")


class ProjectAwarePair(View):
    @aware
    async def get(self, request):
        return HttpResponse("get")

    async def post(self, request):
        return HttpResponse("post")


class ProjectMarkedPair(View):
    @marked
    async def get(self, request):
        return HttpResponse("get")

    async def post(self, request):
        return HttpResponse("post")


class ProjectAsyncWrapperPair(View):
    @async_wrapped
    async def get(self, request):
        return HttpResponse("get")

    async def post(self, request):
        return HttpResponse("post")


class CrossModuleInherit(AsyncGetBase):
    def post(self, request):
        return HttpResponse("post")


class CrossModuleMixin(SyncPostMixin, AsyncGetBase):
    pass


class CrossModuleAllAsync(AsyncPostMixin, AsyncGetBase):
    pass


class ViaProjectCreate(MyCreate):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")

    async def post(self, request, *args, **kwargs):
        return HttpResponse("post")


class Diamond(CreateView, AsyncPutCreate):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")

    async def post(self, request, *args, **kwargs):
        return HttpResponse("post")


class HarmlessMixins(LoginRequiredMixin, SuccessMessageMixin, CreateView):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")

    async def post(self, request, *args, **kwargs):
        return HttpResponse("post")

    async def put(self, request, *args, **kwargs):
        return HttpResponse("put")


class HarmlessMixinsMixed(SuccessMessageMixin, CreateView):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")


class Outer:
    class Inner(View):
        async def get(self, request):
            return HttpResponse("get")

        def post(self, request):
            return HttpResponse("post")
"""

UNSEEN = """
from django.http import HttpResponse
from django.views import View

from thirdparty.mixins import HarmlessMixin, SyncPutMixin


class UnseenUniform(HarmlessMixin, View):
    async def get(self, request):
        return HttpResponse("get")


class UnseenOwnMixed(HarmlessMixin, View):
    async def get(self, request):
        return HttpResponse("get")

    def post(self, request):
        return HttpResponse("post")


class UnseenHiddenPut(SyncPutMixin, View):
    async def get(self, request):
        return HttpResponse("get")
"""

THIRDPARTY = """
from django.http import HttpResponse


class HarmlessMixin:
    extra = 1


class SyncPutMixin:
    def put(self, request, *args, **kwargs):
        return HttpResponse("put")
"""

OPTIONS = """
from django.http import HttpResponse
from django.views import View
from django.views.generic import RedirectView

from .base import AsyncOptionsMixin


class SyncViewAsyncOptions(View):
    def get(self, request):
        return HttpResponse("get")

    async def options(self, request, *args, **kwargs):
        response = HttpResponse()
        response["Allow"] = "GET, OPTIONS"
        return response


class AsyncViewSyncOptionsMutating(View):
    async def get(self, request):
        return HttpResponse("get")

    def options(self, request, *args, **kwargs):
        response = super().options(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response


class AsyncViewSyncOptionsResponse(View):
    async def get(self, request):
        return HttpResponse("get")

    def options(self, request, *args, **kwargs):
        return HttpResponse(headers={"Allow": "GET, OPTIONS"})


class AsyncViewSyncOptionsPassthrough(View):
    async def get(self, request):
        return HttpResponse("get")

    def options(self, request, *args, **kwargs):
        return super().options(request, *args, **kwargs)


class AsyncViewAsyncOptions(View):
    async def get(self, request):
        return HttpResponse("get")

    async def options(self, request, *args, **kwargs):
        response = await super().options(request, *args, **kwargs)
        response["X-Options"] = "1"
        return response


class SyncViewSyncOptions(View):
    def get(self, request):
        return HttpResponse("get")

    def options(self, request, *args, **kwargs):
        return HttpResponse("options")


class NoHandlersAsyncOptions(View):
    async def options(self, request, *args, **kwargs):
        return HttpResponse("options")


class InheritedAsyncOptions(AsyncOptionsMixin, View):
    def get(self, request):
        return HttpResponse("get")


class InheritedAsyncOptionsAsyncView(AsyncOptionsMixin, View):
    async def get(self, request):
        return HttpResponse("get")


class AsyncRedirect(RedirectView):
    url = "/elsewhere/"

    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")

    async def post(self, request, *args, **kwargs):
        return HttpResponse("post")

    async def put(self, request, *args, **kwargs):
        return HttpResponse("put")

    async def patch(self, request, *args, **kwargs):
        return HttpResponse("patch")

    async def delete(self, request, *args, **kwargs):
        return HttpResponse("delete")

    async def head(self, request, *args, **kwargs):
        return HttpResponse("head")
"""

DECORATED = """
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from .decorators import async_wrapped, aware, marked, sync_wrapped, with_header


class MethodDecoratedOnly(View):
    @method_decorator(never_cache)
    async def get(self, request):
        return HttpResponse("get")


@method_decorator(never_cache, name="get")
class ClassDecoratedOnly(View):
    async def get(self, request):
        return HttpResponse("get")


class MethodDecoratedSync(View):
    @method_decorator(never_cache)
    def get(self, request):
        return HttpResponse("get")


class SyncWrappedOnly(View):
    @sync_wrapped
    async def get(self, request):
        return HttpResponse("get")


class FactoryWrappedOnly(View):
    @with_header("X-Trace")
    async def get(self, request):
        return HttpResponse("get")


class AwareOnly(View):
    @aware
    async def get(self, request):
        return HttpResponse("get")


class MarkedOnly(View):
    @marked
    async def get(self, request):
        return HttpResponse("get")


class AsyncWrappedOnly(View):
    @async_wrapped
    async def get(self, request):
        return HttpResponse("get")
"""

DISPATCH = """
from asgiref.sync import sync_to_async
from django.contrib.auth.mixins import (
    LoginRequiredMixin, PermissionRequiredMixin, UserPassesTestMixin,
)
from django.contrib.auth.views import (
    LoginView, LogoutView, PasswordChangeDoneView, PasswordChangeView,
    PasswordResetCompleteView, PasswordResetConfirmView, PasswordResetDoneView,
    PasswordResetView,
)
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views import View


class AsyncHandlers:
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")

    async def post(self, request, *args, **kwargs):
        return HttpResponse("post")

    async def put(self, request, *args, **kwargs):
        return HttpResponse("put")


class AsyncLoginRequired(LoginRequiredMixin, View):
    async def get(self, request):
        return HttpResponse("get")


class AsyncLoginRequiredRaises(LoginRequiredMixin, View):
    raise_exception = True

    async def get(self, request):
        return HttpResponse("get")


class SyncLoginRequired(LoginRequiredMixin, View):
    def get(self, request):
        return HttpResponse("get")


class AsyncPermissionRequired(PermissionRequiredMixin, View):
    permission_required = "auth.view_user"

    async def get(self, request):
        return HttpResponse("get")


class AsyncUserPassesTest(UserPassesTestMixin, View):
    def test_func(self):
        return False

    async def get(self, request):
        return HttpResponse("get")


class AsyncOwnDispatch(LoginRequiredMixin, View):
    async def dispatch(self, request, *args, **kwargs):
        authenticated = await sync_to_async(lambda: request.user.is_authenticated)()
        if not authenticated:
            return redirect("/login/")
        return await View.dispatch(self, request, *args, **kwargs)

    async def get(self, request):
        return HttpResponse("get")


class AsyncLogin(AsyncHandlers, LoginView):
    pass


class AsyncLogout(LogoutView):
    async def post(self, request, *args, **kwargs):
        return HttpResponse("post")


class AsyncPasswordChange(AsyncHandlers, PasswordChangeView):
    pass


class AsyncPasswordChangeDone(PasswordChangeDoneView):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")


class AsyncPasswordResetConfirm(AsyncHandlers, PasswordResetConfirmView):
    pass


class AsyncPasswordReset(AsyncHandlers, PasswordResetView):
    pass


class AsyncPasswordResetDone(PasswordResetDoneView):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")


class AsyncPasswordResetComplete(PasswordResetCompleteView):
    async def get(self, request, *args, **kwargs):
        return HttpResponse("get")
"""

APP_FILES = {
    "cbv/__init__.py": "",
    "cbv/base.py": BASE,
    "cbv/decorators.py": DECORATORS,
    "cbv/models.py": MODELS,
    "cbv/forms.py": FORMS,
    "cbv/views.py": VIEWS,
    "cbv/unseen.py": UNSEEN,
    "cbv/options.py": OPTIONS,
    "cbv/decorated.py": DECORATED,
    "cbv/dispatch.py": DISPATCH,
}
CHECKED_MODULES = ("views", "unseen", "options", "decorated", "dispatch", "base")
UNSEEN_CLASSES = {"UnseenUniform", "UnseenOwnMixed", "UnseenHiddenPut"}  # bases djvet cannot read

# Requests that exercise the fixed code paths (class, method, needs an Item pk).
FIXED_REQUESTS = [
    ("CreateAsyncGetPost", "put", False),
    ("DeleteAsyncGetPost", "delete", True),
    ("RedirectAsyncGet", "head", False),
    ("RedirectAsyncGet", "post", False),
    ("RedirectAsyncGet", "patch", False),
    ("FormAsyncGet", "post", False),
    ("FormAsyncGet", "put", False),
    ("FormAccidentalAsync", "get", False),
    ("OwnMixed", "post", False),
    ("LoginAsyncGet", "get", False),
]

SCRIPT = """
import asyncio, importlib, inspect, warnings
warnings.simplefilter("ignore")
from django.core.exceptions import ImproperlyConfigured
from django.test import AsyncClient, Client
from django.urls import clear_url_caches, path
from django.views import View
import urls

PACKAGES = ("cbv", "cbvfix")
MODULES = %(modules)r
REQUESTS = %(requests)r
out = {"as_view": {}, "options": {}, "get": {}, "requests": {}}


def classes(module):
    def walk(owner, prefix):
        for value in list(vars(owner).values()):
            if inspect.isclass(value) and value.__module__ == module.__name__ and value.__qualname__ == prefix + value.__name__:
                yield value
                yield from walk(value, value.__qualname__ + ".")
    yield from walk(module, "")


def call(method, url, client_kind):
    try:
        if client_kind == "sync":
            response = getattr(Client(), method)(url)
        else:
            response = asyncio.run(getattr(AsyncClient(), method)(url))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    return "ok" if response.status_code < 500 else f"status {response.status_code}"


routes = {}
for package in PACKAGES:
    for name in MODULES:
        module = importlib.import_module(f"{package}.{name}")
        for cls in classes(module):
            if not issubclass(cls, View):
                continue
            key = f"{package}.{name}.{cls.__qualname__}"
            try:
                view = cls.as_view()
            except ImproperlyConfigured as exc:
                out["as_view"][key] = "raise: " + str(exc)
                continue
            out["as_view"][key] = "ok"
            route = f"r{len(routes)}/"
            routes[key] = route
            urls.urlpatterns.append(path(route, view))
            urls.urlpatterns.append(path(route + "<int:pk>/", view))
            urls.urlpatterns.append(path(route + "<uidb64>/<token>/", view))
clear_url_caches()

for key, route in routes.items():
    if ".options." in key:
        out["options"][key] = [call("options", "/" + route, kind) for kind in ("sync", "async")]
    if ".decorated." in key or ".dispatch." in key:
        url = "/" + route + ("MQ/set-password/" if "Confirm" in key else "")
        out["get"][key] = [call("get", url, kind) for kind in ("sync", "async")]

from cbv.models import Item
for cls_name, method, with_pk in REQUESTS:
    key = f"cbvfix.views.{cls_name}"
    if key not in routes:
        out["requests"][f"{cls_name}.{method}"] = "not routed: " + out["as_view"].get(key, "missing")
        continue
    url = "/" + routes[key]
    if with_pk:
        url += f"{Item.objects.create(name='x').pk}/"
    out["requests"][f"{cls_name}.{method}"] = call(method, url, "sync")
emit(out)
"""


def class_at(text: str, line: int) -> str | None:
    """Qualname of the innermost class whose body spans 0-based ``line``."""
    best: tuple[int, str] | None = None

    def visit(body: list[ast.stmt], prefix: str) -> None:
        nonlocal best
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                qualname = prefix + stmt.name
                first = min([stmt.lineno, *(d.lineno for d in stmt.decorator_list)]) - 1
                if first <= line <= (stmt.end_lineno or stmt.lineno) - 1:
                    if best is None or first >= best[0]:
                        best = (first, qualname)
                visit(stmt.body, qualname + ".")

    visit(ast.parse(text).body, "")
    return best[1] if best else None


def djvet_findings(files: dict[str, str], settings: Settings) -> dict[str, list[Finding]]:
    """{"module.Qualname": findings} for the checked modules (thirdparty is not in the project)."""
    project = in_memory_project(files, ROOT)
    out: dict[str, list[Finding]] = {}
    for relative, text in files.items():
        if not relative.startswith("cbv/") or PurePosixPath(relative).stem not in CHECKED_MODULES:
            continue
        document = Document(text, f"{ROOT}/{relative}", SourceKind.PYTHON)
        result = check(document, project, settings, rules=RULES)
        assert not result.rule_errors, result.rule_errors
        for finding in result.findings:
            qualname = class_at(text, finding.span.line)
            assert qualname is not None, finding
            out.setdefault(f"{PurePosixPath(relative).stem}.{qualname}", []).append(finding)
    return out


def djvet_fixed(files: dict[str, str], settings: Settings) -> dict[str, str]:
    """Every checked module after djvet's fixes (safe and unsafe), repeated until stable."""
    project = in_memory_project(files, ROOT)
    texts = dict(files)
    for _ in range(4):
        changed = False
        for relative in sorted(texts):
            if not relative.startswith("cbv/") or not relative.endswith(".py"):
                continue
            document = Document(texts[relative], f"{ROOT}/{relative}", SourceKind.PYTHON)
            fixed, count, _ = fix_document(document, project, settings, unsafe=True)
            if count and fixed != texts[relative]:
                texts[relative] = fixed
                changed = True
        if not changed:
            break
    return texts


@pytest.fixture(scope="module", params=django_pythons())
def runtime(request):
    python = request.param
    major, minor = django_version(python)
    version = Version(f"{major}.{minor}")
    if version < Version("4.1"):
        pytest.skip("async class-based views need Django 4.1")
    settings = Settings(django_version=version)
    original = djvet_findings(APP_FILES, settings)
    fixed_files = djvet_fixed(APP_FILES, settings)
    fixed = djvet_findings(fixed_files, settings)
    files = {**APP_FILES, "thirdparty/__init__.py": "", "thirdparty/mixins.py": THIRDPARTY}
    files["urls.py"] = "urlpatterns = []\n"
    for relative, text in fixed_files.items():
        if relative.startswith("cbv/"):
            files["cbvfix/" + relative[len("cbv/") :]] = text
    script = SCRIPT % {"modules": list(CHECKED_MODULES), "requests": FIXED_REQUESTS}
    result = run_in_django(files, script, python=python)
    return {
        "version": version,
        "django": result,
        "original": original,
        "fixed": fixed,
        "fixed_files": fixed_files,
    }


def _codes(findings: dict[str, list[Finding]], code: str) -> set[str]:
    return {key for key, found in findings.items() if any(f.code == code for f in found)}


def _as_view(runtime, package: str, module: str | None = None) -> dict[str, str]:
    prefix = f"{package}."
    out = {}
    for key, value in runtime["django"]["as_view"].items():
        rest = key[len(prefix) :]
        if key.startswith(prefix) and (module is None or rest.startswith(module + ".")):
            out[rest] = value
    return out


def test_the_case_set_covers_both_outcomes(runtime) -> None:
    results = _as_view(runtime, "cbv")
    assert len(results) >= 60
    raised = [k for k, v in results.items() if v.startswith("raise")]
    assert len(raised) >= 15
    assert len(results) - len(raised) >= 25


def test_djv201_reports_exactly_where_as_view_raises(runtime) -> None:
    results = _as_view(runtime, "cbv")
    raised = {k for k, v in results.items() if v.startswith("raise")}
    reported = _codes(runtime["original"], "DJV201")
    seen = {k for k in results if k.rpartition(".")[2] not in UNSEEN_CLASSES}
    # Exact agreement wherever djvet can see every base ...
    assert reported & seen == raised & seen
    # ... and never a report Django disagrees with where it cannot (it may stay silent).
    assert reported - seen <= raised - seen
    assert "unseen.UnseenOwnMixed" in reported  # own handlers alone are certain
    assert "unseen.UnseenHiddenPut" not in reported  # the unseen mixin's put: djvet does not guess


def test_djv201_message_starts_with_djangos(runtime) -> None:
    results = _as_view(runtime, "cbv")
    for key, findings in runtime["original"].items():
        for finding in findings:
            if finding.code == "DJV201":
                django_message = results[key].removeprefix("raise: ").rstrip(".")
                assert finding.message.startswith(django_message + ":"), (key, finding.message)


def test_djv201_versions(runtime) -> None:
    results = _as_view(runtime, "cbv")
    logout = results["views.LogoutAsyncPost"].startswith("raise")
    method_decorated = results["views.MethodDecoratorPair"].startswith("raise")
    assert logout is (runtime["version"] < Version("5.0"))
    assert method_decorated is (runtime["version"] < Version("5.2"))


def test_fixed_code_stops_raising_and_is_clean(runtime) -> None:
    fixed = _as_view(runtime, "cbvfix")
    reported = _codes(runtime["original"], "DJV201")
    with_fix = {
        key
        for key, findings in runtime["original"].items()
        for f in findings
        if f.code == "DJV201" and f.fix is not None
    }
    assert len(with_fix) >= 10
    for key in with_fix:
        assert fixed[key] == "ok", (key, fixed[key])
    still_raising = {k for k, v in fixed.items() if v.startswith("raise")}
    seen = {k for k in fixed if k.rpartition(".")[2] not in UNSEEN_CLASSES}
    assert _codes(runtime["fixed"], "DJV201") & seen == still_raising & seen
    assert still_raising & seen <= reported - with_fix  # only the cases without a fix are left


def test_fixed_handlers_answer_requests(runtime) -> None:
    requests = runtime["django"]["requests"]
    for (cls_name, method, _), (key, outcome) in zip(FIXED_REQUESTS, requests.items(), strict=True):
        assert key == f"{cls_name}.{method}"
        assert outcome == "ok", (key, outcome)


def _options_failures(runtime, package: str) -> set[str]:
    out = set()
    for key, outcomes in runtime["django"]["options"].items():
        if key.startswith(package + "."):
            sync_outcome, async_outcome = outcomes
            failed = sync_outcome != "ok"
            assert failed == (async_outcome != "ok"), (key, outcomes)
            if failed:
                out.add(key[len(package) + 1 :])
    return out


def test_djv202_reports_exactly_where_options_requests_fail(runtime) -> None:
    failing = _options_failures(runtime, "cbv")
    reported = {k for k in _codes(runtime["original"], "DJV202") if k.startswith("options.")}
    assert len(failing) >= 4
    assert reported == failing
    assert len(runtime["django"]["options"]) >= 18  # original and fixed packages


def test_djv202_fixes_make_options_requests_work(runtime) -> None:
    failing = _options_failures(runtime, "cbvfix")
    with_fix = {
        key
        for key, findings in runtime["original"].items()
        for f in findings
        if f.code == "DJV202" and f.fix is not None
    }
    assert len(with_fix) >= 4
    assert not failing & with_fix, runtime["django"]["options"]
    # What is left (an options inherited from a mixin: fixed where it is defined) is still
    # reported, and only that.
    reported = {k for k in _codes(runtime["fixed"], "DJV202") if k.startswith("options.")}
    assert reported == failing
    assert failing == {"options.InheritedAsyncOptions"}


def _get_failures(runtime, package: str) -> set[str]:
    return {
        key[len(package) + 1 :]
        for key, outcomes in runtime["django"]["get"].items()
        if key.startswith(package + ".") and any(o != "ok" for o in outcomes)
    }


def test_djv203_reports_exactly_where_decorated_handlers_fail(runtime) -> None:
    failing = {k for k in _get_failures(runtime, "cbv") if k.startswith("decorated.")}
    reported = {k for k in _codes(runtime["original"], "DJV203") if k.startswith("decorated.")}
    assert reported == failing
    assert {"decorated.SyncWrappedOnly", "decorated.FactoryWrappedOnly"} <= failing
    assert not failing & {
        "decorated.AwareOnly",
        "decorated.MarkedOnly",
        "decorated.AsyncWrappedOnly",
    }
    pre_52 = runtime["version"] < Version("5.2")
    assert ("decorated.MethodDecoratedOnly" in failing) is pre_52
    assert ("decorated.ClassDecoratedOnly" in failing) is pre_52


def test_djv203_agrees_with_djv201_on_the_pairs(runtime) -> None:
    results = _as_view(runtime, "cbv")
    djv203 = _codes(runtime["original"], "DJV203")
    for name in ("MethodDecoratorPair", "ClassDecoratorPair", "ProjectSyncWrapperPair"):
        key = f"views.{name}"
        assert (key in djv203) is results[key].startswith("raise"), (key, results[key])
    for name in ("ProjectAwarePair", "ProjectMarkedPair", "ProjectAsyncWrapperPair"):
        assert f"views.{name}" not in djv203
        assert results[f"views.{name}"] == "ok"


def test_djv203_reports_exactly_where_djangos_dispatch_fails(runtime) -> None:
    failing = _get_failures(runtime, "cbv")
    failing = {k for k in failing if k.startswith("dispatch.")}
    reported = {k for k in _codes(runtime["original"], "DJV203") if k.startswith("dispatch.")}
    results = _as_view(runtime, "cbv", "dispatch")
    views = {k for k, v in results.items() if v == "ok"}
    assert len(views) >= 13  # AsyncLogout already raises in as_view() before 5.0
    assert len(failing) >= 7  # 8 from 5.0, when AsyncLogout passes as_view()
    assert reported == failing
    assert not _codes(runtime["fixed"], "DJV201") & {
        k for k in results if k.startswith("dispatch.")
    }


def test_no_async_fix_is_offered_behind_a_sync_only_dispatch(runtime) -> None:
    fixed_views = runtime["fixed_files"]["cbv/views.py"]
    tree = ast.parse(fixed_views)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in ("LogoutAsyncPost", "LoginAsyncGet"):
            original = next(
                n
                for n in ast.parse(APP_FILES["cbv/views.py"]).body
                if isinstance(n, ast.ClassDef) and n.name == node.name
            )
            kinds = {
                type(s).__name__
                for s in node.body
                if isinstance(s, ast.AsyncFunctionDef | ast.FunctionDef)
            }
            added = len(node.body) - len(original.body)
            assert added == 0, ast.unparse(node)  # no sync_to_async overrides were added
            assert kinds, node.name
