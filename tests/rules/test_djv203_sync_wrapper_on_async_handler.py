"""DJV203 beyond its examples: decorator spellings, stacking, versions, Django's sync dispatch."""

from __future__ import annotations

import textwrap

import pytest

from djvet.core.config import Settings, parse_version
from djvet.core.engine import check
from djvet.core.project import in_memory_project
from djvet.core.registry import get_rule
from djvet.core.rule import Document
from djvet.core.types import CheckResult, SourceKind

RULE = get_rule("DJV203")
PATH = "/project/app/views.py"
DECORATORS = """
import functools
from asgiref.sync import async_to_sync, iscoroutinefunction


def sync_wrapped(func):
    @functools.wraps(func)
    def wrapper(self, request, *args, **kwargs):
        return func(self, request, *args, **kwargs)
    return wrapper


def runs_it(func):
    @functools.wraps(func)
    def wrapper(self, request, *args, **kwargs):
        return async_to_sync(func)(self, request, *args, **kwargs)
    return wrapper


def with_header(name):
    def decorator(func):
        @functools.wraps(func)
        def wrapper(self, request, *args, **kwargs):
            return func(self, request, *args, **kwargs)
        return wrapper
    return decorator
"""


def run(code: str, django: str = "5.2") -> CheckResult:
    text = textwrap.dedent(code)
    project = in_memory_project({"app/decorators.py": DECORATORS, "app/views.py": text})
    settings = Settings(django_version=parse_version(django))
    return check(Document(text, PATH, SourceKind.PYTHON), project, settings, rules=[RULE])


def test_factory_decorator_with_a_sync_wrapper() -> None:
    (finding,) = run(
        """
        from django.views import View
        from .decorators import with_header

        class V(View):
            @with_header("X-Trace")
            async def get(self, request):
                ...
        """
    ).findings
    assert finding.span.line == 5
    assert finding.message.startswith("@with_header wraps async handler V.get in a sync def")
    (related,) = finding.related
    assert related.path == "/project/app/decorators.py"


def test_stacked_decorators_report_the_one_that_breaks_it() -> None:
    code = """
        from django.utils.decorators import method_decorator
        from django.views import View
        from django.views.decorators.cache import never_cache
        from .decorators import sync_wrapped

        class V(View):
            @method_decorator(never_cache)
            @sync_wrapped
            async def get(self, request):
                ...
    """
    for django in ("4.2", "5.2"):
        (finding,) = run(code, django).findings
        assert finding.span.line == 8, django  # the inner @sync_wrapped; never_cache then sees sync


@pytest.mark.parametrize(
    ("spelling", "prelude"),
    [
        ("@du.method_decorator(never_cache)", "from django.utils import decorators as du"),
        (
            "@nc",
            "from django.utils.decorators import method_decorator\nnc = method_decorator(never_cache)",
        ),
        (
            "@method_decorator([never_cache, vary_on_cookie])",
            "from django.utils.decorators import method_decorator",
        ),
    ],
)
def test_method_decorator_spellings_before_5_2(spelling: str, prelude: str) -> None:
    code = (
        "from django.views import View\n"
        "from django.views.decorators.cache import never_cache\n"
        "from django.views.decorators.vary import vary_on_cookie\n"
        f"{prelude}\n\n\n"
        "class V(View):\n"
        f"    {spelling}\n"
        "    async def get(self, request):\n        ...\n"
    )
    assert len(run(code, "5.1").findings) == 1
    assert not run(code, "5.2").findings


def test_async_options_is_a_handler_too() -> None:
    (finding,) = run(
        """
        from django.utils.decorators import method_decorator
        from django.views import View
        from django.views.decorators.cache import never_cache

        class V(View):
            async def get(self, request):
                ...

            @method_decorator(never_cache)
            async def options(self, request, *args, **kwargs):
                ...
        """,
        django="4.2",
    ).findings
    assert "V.options" in finding.message
    assert (
        "next to the other async handlers, as_view() raises ImproperlyConfigured" in finding.message
    )


@pytest.mark.parametrize(
    ("bases", "attrs", "fires"),
    [
        ("LoginRequiredMixin, View", "", True),
        ("PermissionRequiredMixin, View", "permission_required = 'a.b'", True),
        ("UserPassesTestMixin, View", "def test_func(self):\n        return True", True),
        ("LoginRequiredMixin, View", "raise_exception = True", False),
        ("LoginRequiredMixin, View", "raise_exception = settings.STRICT", False),
        ("LoginRequiredMixin, View", "def handle_no_permission(self):\n        return None", False),
        ("LoginView", "", True),
        ("PasswordChangeView", "", True),
        ("PasswordResetConfirmView", "", True),
        ("PasswordResetView", "", False),
        ("PasswordResetCompleteView", "", False),
        ("SuccessMessageMixin, View", "", False),
    ],
)
def test_djangos_sync_dispatch(bases: str, attrs: str, fires: bool) -> None:
    code = (
        "from django.conf import settings\n"
        "from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin, UserPassesTestMixin\n"
        "from django.contrib.auth.views import LoginView, PasswordChangeView, PasswordResetConfirmView\n"
        "from django.contrib.auth.views import PasswordResetCompleteView, PasswordResetView\n"
        "from django.contrib.messages.views import SuccessMessageMixin\n"
        "from django.views import View\n\n\n"
        f"class V({bases}):\n"
        f"    {attrs or 'pass'}\n\n"
        "    async def get(self, request, *args, **kwargs):\n        ...\n\n"
        "    async def post(self, request, *args, **kwargs):\n        ...\n\n"
        "    async def put(self, request, *args, **kwargs):\n        ...\n"
    )
    findings = run(code).findings
    assert bool(findings) is fires
    if fires:
        assert findings[0].span.line == 8
        assert findings[0].message.startswith("V is an async view, but Django's ")


def test_raise_exception_from_a_project_base() -> None:
    result = run(
        """
        from django.contrib.auth.mixins import LoginRequiredMixin
        from django.views import View

        class Strict(LoginRequiredMixin):
            raise_exception = True

        class V(Strict, View):
            async def get(self, request):
                ...
        """
    )
    assert not result.findings


def test_dispatch_message_names_the_base_it_comes_through() -> None:
    (finding,) = run(
        """
        from django.contrib.auth import views as auth_views

        class Logout(auth_views.LogoutView):
            async def post(self, request, *args, **kwargs):
                ...
        """
    ).findings
    assert "Django's LogoutView wraps its dispatch in never_cache" in finding.message
    assert "Keep the handlers of a LogoutView subclass sync" in finding.message
    (related,) = finding.related
    assert related.span.line == 3 and related.span.column == 13


NOT_FIRING = [
    pytest.param(
        "from django.views import View\nfrom .decorators import runs_it\n\nclass V(View):\n"
        "    @runs_it\n    async def get(self, r): ...\n",
        id="async-to-sync-wrapper-works-as-a-sync-handler",
    ),
    pytest.param(
        "from django.views import View\nfrom .decorators import sync_wrapped\n\nclass V(View):\n"
        "    @sync_wrapped\n    def get(self, r): ...\n",
        id="sync-wrapper-on-a-sync-handler",
    ),
    pytest.param(
        "from django.views import View\nfrom .decorators import sync_wrapped\n\nclass V(View):\n"
        "    @sync_wrapped\n    async def render_block(self, r): ...\n    async def get(self, r): ...\n",
        id="not-a-handler-name",
    ),
    pytest.param(
        "from django.views import View\nfrom .decorators import sync_wrapped\n\nclass V(View):\n"
        '    http_method_names = ["post"]\n    @sync_wrapped\n    async def get(self, r): ...\n'
        "    async def post(self, r): ...\n",
        id="excluded-by-http-method-names",
    ),
    pytest.param(
        "from .decorators import sync_wrapped\n\nclass Client:\n    @sync_wrapped\n    async def get(self, url): ...\n",
        id="not-a-view",
    ),
    pytest.param(
        "from django.contrib.auth.mixins import LoginRequiredMixin\nfrom django.views import View\n\n"
        "class V(LoginRequiredMixin, View):\n    async def get(self, r): ...\n    def post(self, r): ...\n",
        id="mixed-view-is-djv201s-not-this",
    ),
    pytest.param(
        "from django.contrib.auth.mixins import LoginRequiredMixin\nfrom django.views import View\n"
        "from vendor import Mixin\n\nclass V(LoginRequiredMixin, Mixin, View):\n    async def get(self, r): ...\n",
        id="unseen-mixin-may-define-dispatch",
    ),
    pytest.param(
        "from django.contrib.auth.mixins import LoginRequiredMixin\nfrom django.views import View\n\n"
        "class Base(View):\n    def dispatch(self, request, *args, **kwargs):\n        return super().dispatch(request, *args, **kwargs)\n\n"
        "class V(Base, LoginRequiredMixin):\n    async def get(self, r): ...\n",
        id="project-dispatch-first-in-the-mro",
    ),
]


@pytest.mark.parametrize("code", NOT_FIRING)
def test_must_not_fire(code: str) -> None:
    assert not run(code, "4.2").findings
    assert not run(code, "5.2").findings


def test_not_applied_before_django_4_1() -> None:
    code = (
        "from django.views import View\nfrom .decorators import sync_wrapped\n\nclass V(View):\n"
        "    @sync_wrapped\n    async def get(self, r): ...\n"
    )
    assert not run(code, "4.0").findings
    assert run(code, "4.1").findings
