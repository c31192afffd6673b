"""DJV201 beyond its examples: cross-module views, import spellings, fixes and their layout."""

from __future__ import annotations

import ast
import textwrap

import pytest

from djvet.core.config import Settings, parse_version
from djvet.core.engine import check, fix_document
from djvet.core.project import in_memory_project
from djvet.core.registry import get_rule
from djvet.core.rule import Document
from djvet.core.types import Applicability, CheckResult, SourceKind

RULE = get_rule("DJV201")
PATH = "/project/app/views.py"


def run(
    code: str, files: dict[str, str] | None = None, django: str = "5.2", dedent: bool = True
) -> CheckResult:
    text = textwrap.dedent(code) if dedent else code
    project = in_memory_project({**(files or {}), "app/views.py": text})
    settings = Settings(django_version=parse_version(django))
    return check(Document(text, PATH, SourceKind.PYTHON), project, settings, rules=[RULE])


def fixed(
    code: str, files: dict[str, str] | None = None, django: str = "5.2", dedent: bool = True
) -> str:
    text = textwrap.dedent(code) if dedent else code
    project = in_memory_project({**(files or {}), "app/views.py": text})
    settings = Settings(select=("DJV201",), django_version=parse_version(django))
    out, _, last = fix_document(
        Document(text, PATH, SourceKind.PYTHON), project, settings, unsafe=True
    )
    ast.parse(out)
    assert not [f for f in last.findings if f.code == "DJV201" and f.fix is not None]
    return out


# ---------------------------------------------------------------------------------------------
# Must fire
# ---------------------------------------------------------------------------------------------


def test_inherited_async_handler_from_another_module() -> None:
    result = run(
        """
        from .base import AsyncBase

        class Child(AsyncBase):
            def post(self, request):
                ...
        """,
        {
            "app/base.py": "from django.views import View\n\n\nclass AsyncBase(View):\n    async def get(self, request):\n        ...\n"
        },
    )
    (finding,) = result.findings
    assert finding.span.line == 3
    assert finding.message.startswith(
        "Child HTTP handlers must either be all sync or all async: get (inherited from AsyncBase) is async, post is sync"
    )
    get, post = finding.related
    assert get.path == "/project/app/base.py" and get.span.line == 4
    assert post.path is None and post.span.line == 4
    # Own sync post has to become async def: unsafe.
    assert finding.fix is not None and finding.fix.applicability is Applicability.UNSAFE


@pytest.mark.parametrize(
    ("imports", "base"),
    [
        ("from django.views import generic as g", "g.CreateView"),
        ("from django.views import generic", "generic.edit.CreateView"),
        ("import django.views.generic", "django.views.generic.CreateView"),
        ("from django.views.generic.edit import CreateView as Create", "Create"),
        ("from .compat import CreateView", "CreateView"),
        ("from .compat import Base", "Base"),
    ],
)
def test_every_spelling_of_the_base(imports: str, base: str) -> None:
    compat = "from django.views.generic import CreateView\n\nBase = CreateView\n"
    result = run(
        f"""
        {imports}

        class BookCreate({base}):
            async def get(self, request, *args, **kwargs):
                return await page(request)
        """,
        {"app/compat.py": compat},
    )
    (finding,) = result.findings
    assert "post and put (inherited from CreateView) are sync" in finding.message


def test_nested_class_uses_the_qualname() -> None:
    result = run(
        """
        from django.views import View

        class Api:
            class Items(View):
                async def get(self, request):
                    return await items(request)

                def post(self, request):
                    ...
        """
    )
    (finding,) = result.findings
    assert finding.message.startswith("Api.Items HTTP handlers")
    assert finding.span.line == 4


def test_a_syntax_error_elsewhere_does_not_hide_the_view() -> None:
    result = run(
        """
        from django.views.generic import RedirectView

        def broken(:
            pass

        class Old(RedirectView):
            async def get(self, request, *args, **kwargs):
                return await go(request)
        """
    )
    assert [f.span.line for f in result.findings] == [6]
    assert result.notes


def test_first_handler_in_http_method_names_order_decides() -> None:
    result = run(
        """
        from django.views import View

        class V(View):
            http_method_names = ["post", "get"]

            async def get(self, request):
                return await x()

            def post(self, request):
                ...
        """
    )
    (finding,) = result.findings
    assert "post is sync, get is async" in finding.message


def test_sync_head_next_to_async_get() -> None:
    result = run(
        """
        from django.views import View

        class V(View):
            async def get(self, request):
                return await x()

            def head(self, request):
                ...
        """
    )
    (finding,) = result.findings
    assert "get is async, head is sync" in finding.message


def test_a_none_handler_counts_as_sync() -> None:
    result = run(
        """
        from django.views import View

        class V(View):
            put = None

            async def get(self, request):
                return await x()
        """
    )
    (finding,) = result.findings
    assert "put is sync" in finding.message
    assert finding.fix is None  # there is no def to convert


def test_project_sync_wrapper_makes_a_handler_sync() -> None:
    result = run(
        """
        from django.views import View
        from .decorators import logged

        class V(View):
            @logged
            async def get(self, request):
                return await x()

            async def post(self, request):
                return await y()
        """,
        {
            "app/decorators.py": "import functools\n\n\ndef logged(func):\n    @functools.wraps(func)\n"
            "    def wrapper(*args, **kwargs):\n        return func(*args, **kwargs)\n    return wrapper\n"
        },
    )
    (finding,) = result.findings
    assert "get (@logged wraps it in a sync def) is sync, post is async" in finding.message
    assert finding.fix is None


@pytest.mark.parametrize(
    ("django", "fires"), [("4.1", True), ("5.1", True), ("5.2", False), ("6.1", False)]
)
def test_class_level_method_decorator_by_version(django: str, fires: bool) -> None:
    result = run(
        """
        from django.utils.decorators import method_decorator
        from django.views import View
        from django.views.decorators.cache import never_cache

        @method_decorator(never_cache, name="get")
        class V(View):
            async def get(self, request):
                return await x()

            async def post(self, request):
                return await y()
        """,
        django=django,
    )
    assert bool(result.findings) is fires


@pytest.mark.parametrize(
    ("django", "fires"), [("4.1", True), ("4.2", True), ("5.0", False), ("6.1", False)]
)
def test_logout_view_by_version(django: str, fires: bool) -> None:
    result = run(
        """
        from django.contrib.auth.views import LogoutView

        class Out(LogoutView):
            async def post(self, request, *args, **kwargs):
                return await x()
        """,
        django=django,
    )
    assert bool(result.findings) is fires


def test_not_applied_before_django_4_1() -> None:
    result = run(
        """
        from django.views import View

        class V(View):
            async def get(self, request): ...
            def post(self, request): ...
        """,
        django="4.0",
    )
    assert not result.findings


def test_unseen_mixin_with_mixed_own_handlers_is_certain() -> None:
    result = run(
        """
        from django.views import View
        from vendor.mixins import JsonMixin

        class V(JsonMixin, View):
            async def get(self, request):
                return await x()

            def post(self, request):
                ...
        """
    )
    (finding,) = result.findings
    assert finding.fix is None  # the unseen mixin may hold more handlers


def test_access_mixin_view_gets_no_async_fix() -> None:
    code = """
        from django.contrib.auth.mixins import LoginRequiredMixin
        from django.views.generic import CreateView

        class BookCreate(LoginRequiredMixin, CreateView):
            async def get(self, request, *args, **kwargs):
                return await page(request)

            async def post(self, request, *args, **kwargs):
                return await save(request)
    """
    (finding,) = run(code).findings
    assert finding.fix is None
    assert "Make every handler a plain def: the dispatch of LoginRequiredMixin" in finding.message


def test_access_mixin_view_with_accidental_async_gets_the_sync_fix() -> None:
    code = """
        from django.contrib.auth.mixins import LoginRequiredMixin
        from django.views.generic import CreateView

        class BookCreate(LoginRequiredMixin, CreateView):
            async def get(self, request, *args, **kwargs):
                return super().get(request, *args, **kwargs)
    """
    assert "    def get(self, request, *args, **kwargs):" in fixed(code)


# ---------------------------------------------------------------------------------------------
# Fixes
# ---------------------------------------------------------------------------------------------


def test_redirect_view_overrides_delegate_to_get() -> None:
    out = fixed(
        """
        from django.views.generic import RedirectView

        class Old(RedirectView):
            async def get(self, request, *args, **kwargs):
                return await go(request)
        """
    )
    for verb in ("post", "put", "patch", "delete", "head"):
        assert (
            f"    async def {verb}(self, request, *args, **kwargs):\n"
            "        return await self.get(request, *args, **kwargs)\n"
        ) in out
    assert "sync_to_async" not in out


def test_form_view_overrides_sync_get_and_delegating_put() -> None:
    code = """
        from django.views.generic import FormView

        class Contact(FormView):
            async def post(self, request, *args, **kwargs):
                return await send(request)
        """
    (finding,) = run(code).findings
    assert finding.fix is not None and finding.fix.applicability is Applicability.SAFE
    assert finding.fix.title == "Make every handler async (override get and put)"
    out = fixed(code)
    assert (
        "from django.views.generic import FormView\nfrom asgiref.sync import sync_to_async\n" in out
    )
    assert "return await sync_to_async(super().get)(request, *args, **kwargs)" in out
    assert "return await self.post(request, *args, **kwargs)" in out


def test_delegate_outside_http_method_names_uses_its_own_kind() -> None:
    out = fixed(
        """
        from django.views.generic import RedirectView

        class Old(RedirectView):
            http_method_names = ["head", "post"]

            async def post(self, request, *args, **kwargs):
                return await go(request)
        """
    )
    # head only calls self.get, which stays RedirectView's sync get: wrap it in a thread.
    assert "return await sync_to_async(super().head)(request, *args, **kwargs)" in out


def test_project_inherited_sync_handler_wrap_is_unsafe() -> None:
    code = """
        from django.views import View
        from .mixins import SyncPut

        class V(SyncPut, View):
            async def get(self, request):
                return await x()
    """
    files = {
        "app/mixins.py": "class SyncPut:\n    def put(self, request):\n        return self.get(request)\n"
    }
    (finding,) = run(code, files).findings
    assert finding.fix is not None and finding.fix.applicability is Applicability.UNSAFE


def test_existing_import_alias_is_reused() -> None:
    out = fixed(
        """
        from asgiref.sync import sync_to_async as to_thread
        from django.views.generic import DeleteView

        class Remove(DeleteView):
            async def get(self, request, *args, **kwargs):
                return await x()

            async def post(self, request, *args, **kwargs):
                return await y()
        """
    )
    assert "return await to_thread(super().delete)(request, *args, **kwargs)" in out
    assert out.count("import") == 2


def test_existing_asgiref_import_is_extended() -> None:
    out = fixed(
        """
        from asgiref.sync import async_to_sync
        from django.views.generic import DeleteView

        class Remove(DeleteView):
            async def get(self, request, *args, **kwargs):
                return await x()

            async def post(self, request, *args, **kwargs):
                return await y()
        """
    )
    assert "from asgiref.sync import async_to_sync, sync_to_async\n" in out


def test_no_fix_when_sync_to_async_means_something_else() -> None:
    (finding,) = run(
        """
        from django.views.generic import DeleteView

        def sync_to_async(func):
            return func

        class Remove(DeleteView):
            async def get(self, request, *args, **kwargs):
                return await x()

            async def post(self, request, *args, **kwargs):
                return await y()
        """
    ).findings
    assert finding.fix is None


def test_fix_keeps_crlf_tabs_and_a_missing_final_newline() -> None:
    code = (
        "from django.views.generic import CreateView\r\n\r\n\r\n"
        "class BookCreate(CreateView):\r\n"
        "\tasync def get(self, request, *args, **kwargs):\r\n"
        "\t\treturn await x()\r\n\r\n"
        "\tasync def post(self, request, *args, **kwargs):\r\n"
        "\t\treturn await y()"
    )
    out = fixed(code, dedent=False)
    assert out.endswith(
        "\t\treturn await y()\r\n\r\n"
        "\tasync def put(self, request, *args, **kwargs):\r\n"
        "\t\treturn await self.post(request, *args, **kwargs)"
    )
    assert "\n" not in out.replace("\r\n", "")


def test_fix_lands_after_the_last_statement_and_before_what_follows() -> None:
    out = fixed(
        """
        from django.views.generic import CreateView

        class BookCreate(CreateView):
            async def get(self, request, *args, **kwargs):
                return await x()  # a trailing comment

            async def post(self, request, *args, **kwargs):
                return await y()
        urlpatterns = []
        """
    )
    assert out.endswith(
        "        return await y()\n\n"
        "    async def put(self, request, *args, **kwargs):\n"
        "        return await self.post(request, *args, **kwargs)\n"
        "urlpatterns = []\n"
    )
    assert "return await x()  # a trailing comment\n" in out


def test_one_line_class_gets_no_override_fix() -> None:
    (finding,) = run(
        """
        from django.views.generic import CreateView

        async def page(self, request, *args, **kwargs):
            return await x()

        class C(CreateView): get = page
        """
    ).findings
    assert "get is async, post and put (inherited from CreateView) are sync" in finding.message
    assert finding.fix is None  # no body indentation to add overrides with


def test_fix_is_stable_and_clean_for_several_views() -> None:
    code = """
        from django.views.generic import CreateView, DeleteView, UpdateView

        class A(CreateView):
            async def get(self, request, *args, **kwargs):
                return await x()

        class B(DeleteView):
            async def get(self, request, *args, **kwargs):
                return await x()

        class C(UpdateView):
            async def get(self, request, *args, **kwargs):
                return await x()
    """
    out = fixed(code)
    assert out.count("from asgiref.sync import sync_to_async") == 1
    assert not run(out, dedent=False).findings
    assert fixed(out, dedent=False) == out


def test_own_alias_follows_its_target() -> None:
    out = fixed(
        """
        from django.views import View

        class V(View):
            def post(self, request):
                return save(request)

            get = post

            async def put(self, request):
                return await x()
        """
    )
    assert "    async def post(self, request):" in out
    assert "    get = post" in out


def test_suppression_comment_on_the_class_line() -> None:
    result = run(
        """
        from django.views import View

        class V(View):  # noqa: DJV201
            async def get(self, request): ...
            def post(self, request): ...
        """
    )
    assert not result.findings


# ---------------------------------------------------------------------------------------------
# Must not fire (each with its reason)
# ---------------------------------------------------------------------------------------------

NOT_FIRING = [
    pytest.param(
        "from django.views.generic import ArchiveIndexView, YearArchiveView\n\n"
        "class A(ArchiveIndexView):\n    async def get(self, request, *a, **k): ...\n\n"
        "class Y(YearArchiveView):\n    async def get(self, request, *a, **k): ...\n",
        id="date-views-only-have-get",
    ),
    pytest.param(
        "from django.contrib.auth.views import PasswordResetDoneView\n\n"
        "class Done(PasswordResetDoneView):\n    async def get(self, request, *a, **k): ...\n",
        id="done-views-only-have-get",
    ),
    pytest.param(
        "from django.views.generic import DeleteView\n\n"
        "class D(DeleteView):\n    async def get(self, r, *a, **k): ...\n"
        "    async def post(self, r, *a, **k): ...\n    async def delete(self, r, *a, **k): ...\n",
        id="delete-view-with-every-handler-async",
    ),
    pytest.param(
        "from django.views.generic import RedirectView\n\n"
        "class R(RedirectView):\n"
        + "".join(
            f"    async def {v}(self, r, *a, **k): ...\n"
            for v in ("get", "post", "put", "patch", "delete", "head")
        ),
        id="redirect-view-with-every-handler-async",
    ),
    pytest.param(
        "from django.views import View\n\nclass V(View):\n"
        '    http_method_names = ["get", "head"]\n'
        "    async def get(self, r): ...\n    def post(self, r): ...\n",
        id="sync-post-outside-http-method-names",
    ),
    pytest.param(
        "from django.views import View\nfrom django.conf import settings\n\nclass V(View):\n"
        "    http_method_names = settings.METHODS\n"
        "    async def get(self, r): ...\n    def post(self, r): ...\n",
        id="http-method-names-not-a-literal",
    ),
    pytest.param(
        "from django.db import models\n\nclass Book(models.Model):\n"
        "    async def get(self): ...\n    def post(self): ...\n",
        id="a-model-is-not-a-view",
    ),
    pytest.param(
        "from rest_framework.views import APIView\n\nclass Api(APIView):\n"
        "    async def get(self, r): ...\n    def post(self, r): ...\n",
        id="unseen-base-might-not-be-a-django-view",
    ),
    pytest.param(
        "from django.views.generic import CreateView\nfrom vendor import Mixin\n\n"
        "class C(Mixin, CreateView):\n    async def get(self, r, *a, **k): ...\n    async def post(self, r, *a, **k): ...\n",
        id="unseen-mixin-may-override-the-inherited-put",
    ),
    pytest.param(
        "from django.views import View\nfrom vendor.decorators import traced\n\nclass V(View):\n"
        "    @traced\n    def get(self, r): ...\n    async def post(self, r): ...\n",
        id="an-unreadable-decorator-could-make-get-async",
    ),
    pytest.param(
        "from django.views import View\n\nclass V(View):\n"
        "    async def post(self, r): ...\n    get = post\n",
        id="alias-of-an-async-handler",
    ),
    pytest.param(
        "from django.views import View\n\nclass A(B):\n    async def get(self, r): ...\n\n"
        "class B(A, View):\n    def post(self, r): ...\n",
        id="inheritance-cycle",
    ),
    pytest.param(
        "from django.views.generic import TemplateView, View\n\nclass X(View): ...\n\n"
        "class Y(X): ...\n\nclass Bad(X, Y):\n    async def get(self, r): ...\n    def post(self, r): ...\n",
        id="no-consistent-mro",
    ),
    pytest.param(
        "from django.views import View\nfrom .decorators import aware\n\nclass V(View):\n"
        "    @aware\n    async def get(self, r): ...\n    async def post(self, r): ...\n",
        id="async-aware-project-decorator",
    ),
    pytest.param(
        "from asgiref.sync import sync_to_async\nfrom django.views import View\n\nclass V(View):\n"
        "    @sync_to_async\n    def get(self, r): ...\n    async def post(self, r): ...\n",
        id="sync-to-async-makes-a-coroutine-function",
    ),
    pytest.param(
        "from django.views.generic import CreateView\n\nclass C(CreateView):\n"
        "    async def get(self, r, *a, **k): ...\n\n"
        "    async def post(self, r, *a, **k): ...\n\n"
        "    async def put(self, r, *a, **k): ...\n\n"
        "    def form_valid(self, form): ...\n",
        id="sync-non-handler-methods-do-not-count",
    ),
]


@pytest.mark.parametrize("code", NOT_FIRING)
def test_must_not_fire(code: str) -> None:
    files = {
        "app/decorators.py": "from asgiref.sync import iscoroutinefunction\n\n\ndef aware(func):\n"
        "    if iscoroutinefunction(func):\n        return func\n    def wrapper(*a):\n"
        "        return func(*a)\n    return wrapper\n"
    }
    assert not run(code, files, dedent=False).findings


def test_a_broken_base_is_reported_in_its_own_file_only() -> None:
    base = "from django.views import View\n\n\nclass Base(View):\n    async def get(self, r): ...\n    def post(self, r): ...\n"
    result = run(
        "from .base import Base\n\n\nclass Child(Base):\n    async def post(self, r): ...\n",
        {"app/base.py": base},
    )
    assert not result.findings  # Child overrides post: its own handlers all agree
    assert len(NOT_FIRING) > 10


def test_fix_inside_an_indented_class_is_validated_and_applied() -> None:
    out = fixed(
        """
        import sys

        from django.views.generic import DeleteView

        if sys.version_info >= (3, 10):
            class Remove(DeleteView):
                async def get(self, request, *args, **kwargs):
                    return await x()

                async def post(self, request, *args, **kwargs):
                    return await y()
        """
    )
    assert (
        "        async def delete(self, request, *args, **kwargs):\n"
        "            return await sync_to_async(super().delete)(request, *args, **kwargs)\n"
    ) in out
    assert (
        "from django.views.generic import DeleteView\nfrom asgiref.sync import sync_to_async\n"
        in out
    )


def test_no_fix_in_a_file_that_does_not_parse() -> None:
    (finding,) = run(
        """
        from django.views.generic import CreateView

        def broken(:
            pass

        class BookCreate(CreateView):
            async def get(self, request, *args, **kwargs):
                return await x()

            async def post(self, request, *args, **kwargs):
                return await y()
        """
    ).findings
    assert finding.fix is None  # the fixed file could not parse either


def test_many_views_in_one_file_stay_fast() -> None:
    import time

    parts = ["from django.views.generic import CreateView\n"]
    parts += [
        f"\n\nclass V{i}(CreateView):\n    async def get(self, request, *args, **kwargs):\n"
        "        return await x()\n"
        for i in range(200)
    ]
    started = time.perf_counter()
    result = run("".join(parts), dedent=False)
    elapsed = time.perf_counter() - started
    assert len(result.findings) == 200 and all(f.fix is not None for f in result.findings)
    assert elapsed < 10, elapsed  # each fix validates its class, not the whole module
