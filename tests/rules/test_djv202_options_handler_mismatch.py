"""DJV202 beyond its examples: inherited options, what a sync options returns, fixes."""

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

RULE = get_rule("DJV202")
PATH = "/project/app/views.py"


def run(code: str, files: dict[str, str] | None = None, django: str = "5.2") -> CheckResult:
    text = textwrap.dedent(code)
    project = in_memory_project({**(files or {}), "app/views.py": text})
    settings = Settings(django_version=parse_version(django))
    return check(Document(text, PATH, SourceKind.PYTHON), project, settings, rules=[RULE])


def fixed(code: str) -> str:
    text = textwrap.dedent(code)
    project = in_memory_project({"app/views.py": text})
    settings = Settings(select=("DJV202",), django_version=parse_version("5.2"))
    out, _, last = fix_document(
        Document(text, PATH, SourceKind.PYTHON), project, settings, unsafe=True
    )
    ast.parse(out)
    assert not last.findings
    return out


ASYNC_VIEW = """
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import View

class V(View):
    async def get(self, request):
        return await page(request)

    def options(self, request, *args, **kwargs):
{body}
"""


@pytest.mark.parametrize(
    "body",
    [
        "        return HttpResponse()",
        "        return JsonResponse({})",
        "        return render(request, 'x.html')",
        "        response = super().options(request, *args, **kwargs)\n        response['Allow'] = 'GET'\n        return response",
        "        response = super().options(request, *args, **kwargs)\n        response.headers['X'] = '1'\n        return response",
        "        response = super().options(request, *args, **kwargs)\n        response.set_cookie('a', 'b')\n        return response",
    ],
    ids=["HttpResponse", "JsonResponse", "render", "item", "headers", "method-call"],
)
def test_sync_options_returning_a_response_in_an_async_view(body: str) -> None:
    (finding,) = run(ASYNC_VIEW.format(body=body)).findings
    assert finding.message.startswith(
        "V: options is sync but the view is async (its handler get is async)"
    )
    assert finding.fix is not None and finding.fix.applicability is Applicability.UNSAFE


@pytest.mark.parametrize(
    "body",
    [
        "        return super().options(request, *args, **kwargs)",
        "        return self.get(request)",
        "        response = super().options(request, *args, **kwargs)\n        return response",
        "        return build(request)",
    ],
    ids=["passthrough", "delegates-to-async-get", "unchanged-variable", "unknown-helper"],
)
def test_sync_options_that_may_return_an_awaitable_is_left_alone(body: str) -> None:
    assert not run(ASYNC_VIEW.format(body=body)).findings


def test_fix_awaits_the_view_calls() -> None:
    out = fixed(
        """
        from django.views import View

        class V(View):
            async def get(self, request):
                return await page(request)

            def options(self, request, *args, **kwargs):
                if request.GET.get("deny"):
                    return self.http_method_not_allowed(request).headers
                response = super().options(request, *args, **kwargs)
                response.headers["Allow"] += ", PURGE"
                return response
        """
    )
    assert "    async def options(self, request, *args, **kwargs):" in out
    assert "return (await self.http_method_not_allowed(request)).headers" in out
    assert "response = await super().options(request, *args, **kwargs)" in out


def test_no_fix_when_super_options_is_the_projects() -> None:
    code = """
        from django.http import HttpResponse
        from django.views import View

        class Cors(View):
            def options(self, request, *args, **kwargs):
                return HttpResponse()

        class Feed(Cors):
            async def get(self, request):
                return await page(request)

            def options(self, request, *args, **kwargs):
                response = super().options(request, *args, **kwargs)
                response["X"] = "1"
                return response
    """
    findings = run(code).findings
    assert [f.span.line for f in findings] == [12]  # Feed.options only: Cors is a sync view
    assert findings[0].fix is None


def test_inherited_async_options_from_another_module() -> None:
    result = run(
        """
        from django.views import View
        from .mixins import AsyncOptions

        class V(AsyncOptions, View):
            def get(self, request):
                ...
        """,
        {
            "app/mixins.py": "class AsyncOptions:\n    async def options(self, request, *args, **kwargs):\n        ...\n"
        },
    )
    (finding,) = result.findings
    assert finding.span.line == 4  # the class name: the options lives elsewhere
    assert "options (inherited from AsyncOptions) is async but the view is sync" in finding.message
    (related,) = finding.related
    assert related.path == "/project/app/mixins.py" and related.span.line == 1
    assert finding.fix is None


def test_base_with_only_options_fires_when_used_as_a_view() -> None:
    code = """
        from django.views import View

        class Preflight(View):
            async def options(self, request, *args, **kwargs):
                return await answer(request)
    """
    (finding,) = run(code).findings
    assert "it has no other handlers" in finding.message
    assert finding.fix is None  # it awaits: it cannot simply become a def


def test_accidental_async_options_fix_is_safe() -> None:
    code = """
        from django.http import HttpResponse
        from django.views import View

        class V(View):
            def get(self, request):
                ...

            async def options(self, request, *args, **kwargs):
                return HttpResponse()
    """
    (finding,) = run(code).findings
    assert finding.fix is not None and finding.fix.applicability is Applicability.SAFE
    assert "    def options(self, request, *args, **kwargs):" in fixed(code)


def test_not_applied_before_django_4_1() -> None:
    code = "from django.views import View\n\nclass V(View):\n    def get(self, r): ...\n    async def options(self, r): ...\n"
    assert not run(code, django="4.0").findings
    assert run(code, django="4.1").findings


NOT_FIRING = [
    pytest.param(
        "from django.views import View\n\nclass V(View):\n    async def get(self, r): ...\n    def post(self, r): ...\n"
        "    async def options(self, r): ...\n",
        id="mixed-handlers-are-djv201s",
    ),
    pytest.param(
        "from django.views import View\nfrom vendor import Mixin\n\nclass V(Mixin, View):\n    async def get(self, r): ...\n"
        "    def options(self, r):\n        return HttpResponse()\n",
        id="unseen-base",
    ),
    pytest.param(
        "from django.utils.decorators import method_decorator\nfrom django.views import View\n"
        "from django.views.decorators.cache import never_cache\n\nclass V(View):\n    async def get(self, r): ...\n"
        "    @method_decorator(never_cache)\n    def options(self, r):\n        return HttpResponse()\n",
        id="a-decorator-decides-the-options-kind",
    ),
    pytest.param(
        "from django.views import View\n\nclass V(View):\n"
        '    http_method_names = ["get"]\n'
        "    def get(self, r): ...\n    async def options(self, r): ...\n",
        id="options-not-in-http-method-names",
    ),
    pytest.param(
        "from django.views.generic import RedirectView\n\nclass R(RedirectView):\n"
        + "".join(
            f"    async def {v}(self, r, *a, **k): ...\n"
            for v in ("get", "post", "put", "patch", "delete", "head")
        ),
        id="djangos-redirect-options-follows-get",
    ),
    pytest.param(
        "from django.views import View\n\nclass V(View):\n    async def get(self, r): ...\n",
        id="djangos-own-options",
    ),
    pytest.param(
        "class Client:\n    def get(self, url): ...\n    async def options(self, url): ...\n",
        id="not-a-view",
    ),
    pytest.param(
        "from django.views import View\n\nclass V(View):\n    async def get(self, r): ...\n"
        "    async def options(self, r):\n        return await super().options(r)\n",
        id="both-async",
    ),
]


@pytest.mark.parametrize("code", NOT_FIRING)
def test_must_not_fire(code: str) -> None:
    assert not run(code).findings
