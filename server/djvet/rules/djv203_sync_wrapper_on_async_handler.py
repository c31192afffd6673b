"""DJV203: an ``async def`` view handler wrapped by a decorator that turns it into a sync function."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..core.django.views import (
    DEFAULT_HTTP_METHOD_NAMES,
    DJANGO_CLASSES,
    METHOD_DECORATOR,
    METHOD_DECORATOR_KEEPS_ASYNC,
    DocumentViews,
    Kind,
    ViewAnalysis,
    analyze_document,
    base_span_for,
    method_nodes,
)
from ..core.python.facts import Call, Lit, Ref, Value
from ..core.rule import CheckContext, Invalid, Valid
from ..core.types import Finding, Related, Severity, SourceKind, Span
from ._view_rule import ViewRule


class SyncWrapperOnAsyncHandler(ViewRule):
    """
    ## What it does
    Finds async handlers of class-based views hidden behind a *sync* wrapper:
    - `@method_decorator(...)` on an `async def` handler (every name in `http_method_names`,
      `options` included) before Django 5.2 — on the method, or on the class with
      `name="get"`: its wrapper is a plain `def` until 5.2 marks it as a coroutine function;
    - a decorator defined in the project whose wrapper is a plain `def` calling the method, the
      usual `functools.wraps` pattern written for sync views (in every version);
    - an async view (all handlers `async def`) whose `dispatch` comes from Django code that is
      sync only: `LoginRequiredMixin`, `PermissionRequiredMixin` and `UserPassesTestMixin`
      (unless `raise_exception = True`), `LoginView`, `LogoutView`,
      `PasswordResetConfirmView`, `PasswordChangeView` and `PasswordChangeDoneView`.

    Project decorators that are async-aware — an `async def` wrapper, or one that branches on
    `iscoroutinefunction` or uses `markcoroutinefunction` — are fine, and so is `async_to_sync`.
    Decorators djvet cannot read (from other packages), and views that override `dispatch` or
    `handle_no_permission` themselves, are left alone.

    ## Why is this bad?
    Django decides whether a view is async by looking at the handler *after* decoration. A sync
    wrapper hides the coroutine function: next to other async handlers, `as_view()` raises
    `ImproperlyConfigured` (see DJV201); as the only handler, the view is treated as sync and
    every request fails, because the wrapper returns an un-awaited coroutine (`ValueError`, or
    an `AttributeError` from a decorator that touches the response).

    Django's own sync `dispatch` methods break the other way: `as_view()` succeeds, but the
    auth views wrap `dispatch` in `never_cache` (every request fails with `AttributeError:
    'coroutine' object has no attribute 'has_header'`), and the access mixins and
    `login_required` answer anonymous users with a plain redirect that Django then awaits
    (`TypeError: object HttpResponseRedirect can't be used in 'await' expression`): a 500 for
    every visitor who is not logged in (Django ticket #37124).

    ## Example
    ```python
    class Dashboard(View):
        @method_decorator(login_required)  # Django 5.1
        async def get(self, request):
            ...
    ```

    ## Use instead
    ```python
    class Dashboard(View):
        async def get(self, request):
            user = await request.auser()
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            ...
    ```
    Or upgrade to Django 5.2, where `method_decorator` keeps async handlers async. For a
    project decorator, give it an async branch:
    ```python
    def audited(func):
        if iscoroutinefunction(func):
            @functools.wraps(func)
            async def wrapper(self, request, *args, **kwargs):
                return await func(self, request, *args, **kwargs)
        else:
            @functools.wraps(func)
            def wrapper(self, request, *args, **kwargs):
                return func(self, request, *args, **kwargs)
        return wrapper
    ```

    For the access mixins, set `raise_exception = True` (a 403 instead of the login redirect)
    or check `await request.auser()` in the handlers; keep the handlers of Django's auth views
    sync.

    ## Fix safety
    No fix is offered. The decorator does work (a login check, caching headers, auditing)
    that has to be redone the async way, a project decorator is shared with other views that
    rely on its sync wrapper, and replacing an access mixin changes what anonymous users see;
    each needs a person to decide.

    ## Django versions
    Async handlers arrived in Django 4.1. `method_decorator` marks the wrapper of a coroutine
    function as a coroutine function from Django 5.2, so that case is reported for 4.1–5.1
    only; a hand-written sync wrapper breaks async handlers in every version. The `dispatch`
    behaviour of the access mixins and auth views is the same from 4.1 to 6.1 (verified).

    ## References
    - [Decorating the class](https://docs.djangoproject.com/en/stable/topics/class-based-views/intro/#decorating-the-class)
    - [Async class-based views](https://docs.djangoproject.com/en/stable/topics/class-based-views/#async-class-based-views)
    - [`markcoroutinefunction`](https://docs.djangoproject.com/en/stable/topics/async/#asgiref.sync.markcoroutinefunction)
    - [`AccessMixin.raise_exception`](https://docs.djangoproject.com/en/stable/topics/auth/default/#django.contrib.auth.mixins.AccessMixin.raise_exception)
    - [Django ticket #37124](https://code.djangoproject.com/ticket/37124)
    """

    code = "DJV203"
    name = "sync-wrapper-on-async-handler"
    summary = "Decorator wraps an async view handler in a sync function"
    severity = Severity.ERROR
    targets = frozenset({SourceKind.PYTHON})
    django = ">=4.1"
    fixable = False
    reference = "topics/class-based-views/intro/#decorating-the-class"
    examples = (
        Valid(
            "from django.contrib.auth.decorators import login_required\n"
            "from django.utils.decorators import method_decorator\n"
            "from django.views import View\n\n\n"
            "class Dashboard(View):\n"
            "    @method_decorator(login_required)\n"
            "    async def get(self, request):\n        ...\n",
            reason="from Django 5.2 method_decorator keeps async handlers async",
        ),
        Valid(
            "from django.contrib.auth.decorators import login_required\n"
            "from django.utils.decorators import method_decorator\n"
            "from django.views import View\n\n\n"
            "class Dashboard(View):\n"
            "    @method_decorator(login_required)\n"
            "    def get(self, request):\n        ...\n",
            reason="a sync handler: the sync wrapper is right",
            django="4.2",
        ),
        Valid(
            "import functools\n\n"
            "from asgiref.sync import iscoroutinefunction\n"
            "from django.views import View\n\n\n"
            "def audited(func):\n"
            "    if iscoroutinefunction(func):\n"
            "        @functools.wraps(func)\n"
            "        async def wrapper(self, request, *args, **kwargs):\n"
            "            return await func(self, request, *args, **kwargs)\n"
            "    else:\n"
            "        @functools.wraps(func)\n"
            "        def wrapper(self, request, *args, **kwargs):\n"
            "            return func(self, request, *args, **kwargs)\n"
            "    return wrapper\n\n\n"
            "class Dashboard(View):\n"
            "    @audited\n"
            "    async def get(self, request):\n        ...\n",
            reason="the project decorator branches on iscoroutinefunction",
        ),
        Valid(
            "import functools\n\n"
            "from django.views import View\n\n\n"
            "def audited(func):\n"
            "    @functools.wraps(func)\n"
            "    async def wrapper(self, request, *args, **kwargs):\n"
            "        return await func(self, request, *args, **kwargs)\n"
            "    return wrapper\n\n\n"
            "class Dashboard(View):\n"
            "    @audited\n"
            "    async def get(self, request):\n        ...\n",
            reason="the project decorator's wrapper is async",
        ),
        Valid(
            "from django.utils.decorators import method_decorator\n"
            "from django.views import View\n"
            "from thirdparty.decorators import traced\n\n\n"
            "class Dashboard(View):\n"
            "    @method_decorator(traced)\n"
            "    async def render_part(self, request):\n        ...\n\n"
            "    @traced\n"
            "    async def get(self, request):\n        ...\n",
            reason="render_part is not a handler, and traced cannot be read",
            django="4.2",
        ),
        Valid(
            "from django.utils.decorators import method_decorator\n"
            "from django.views.decorators.cache import never_cache\n\n\n"
            "class Client:\n"
            "    @method_decorator(never_cache)\n"
            "    async def get(self, url):\n        ...\n",
            reason="not a Django view",
            django="4.2",
        ),
        Valid(
            "from django.contrib.auth.mixins import LoginRequiredMixin\n"
            "from django.views import View\n\n\n"
            "class Dashboard(LoginRequiredMixin, View):\n"
            "    raise_exception = True\n\n"
            "    async def get(self, request):\n        ...\n",
            reason="with raise_exception the mixin raises PermissionDenied, which works",
        ),
        Valid(
            "from django.contrib.auth.mixins import LoginRequiredMixin\n"
            "from django.views import View\n\n\n"
            "class Dashboard(LoginRequiredMixin, View):\n"
            "    def get(self, request):\n        ...\n",
            reason="a sync view: the mixin's sync redirect is right",
        ),
        Valid(
            "from django.contrib.auth.mixins import LoginRequiredMixin\n"
            "from django.views import View\n\n\n"
            "class Dashboard(LoginRequiredMixin, View):\n"
            "    async def dispatch(self, request, *args, **kwargs):\n"
            "        user = await request.auser()\n"
            "        ...\n\n"
            "    async def get(self, request):\n        ...\n",
            reason="the view's own dispatch decides what happens",
        ),
        Valid(
            "from django.contrib.auth.views import PasswordResetView\n\n\n"
            "class Reset(PasswordResetView):\n"
            "    async def get(self, request, *args, **kwargs):\n        ...\n\n"
            "    async def post(self, request, *args, **kwargs):\n        ...\n\n"
            "    async def put(self, request, *args, **kwargs):\n        ...\n",
            reason="PasswordResetView's dispatch only adds csrf_protect, which works",
        ),
        Invalid(
            "from django.contrib.auth.mixins import LoginRequiredMixin\n"
            "from django.views import View\n\n\n"
            "class Dashboard(LoginRequiredMixin, View):\n"
            "    async def get(self, request):\n        ...\n",
            reason="LoginRequiredMixin's sync redirect is awaited for anonymous users",
            lines=(5,),
            message="Dashboard is an async view, but Django's LoginRequiredMixin answers "
            "anonymous users",
        ),
        Invalid(
            "from django.contrib.auth.views import LogoutView\n\n\n"
            "class Logout(LogoutView):\n"
            "    async def post(self, request, *args, **kwargs):\n        ...\n",
            reason="LogoutView wraps dispatch in never_cache (as_view() passes from 5.0)",
            lines=(4,),
            message="never_cache",
        ),
        Invalid(
            "from django.contrib.auth.decorators import login_required\n"
            "from django.utils.decorators import method_decorator\n"
            "from django.views import View\n\n\n"
            "class Dashboard(View):\n"
            "    @method_decorator(login_required)\n"
            "    async def get(self, request):\n        ...\n",
            reason="before 5.2 method_decorator's wrapper is sync",
            django="5.1",
            lines=(7,),
        ),
        Invalid(
            "from django.utils.decorators import method_decorator\n"
            "from django.views.decorators.cache import never_cache\n"
            "from django.views.generic import TemplateView\n\n\n"
            '@method_decorator(never_cache, name="get")\n'
            "class Home(TemplateView):\n"
            "    async def get(self, request, *args, **kwargs):\n        ...\n",
            reason="a class-level method_decorator wraps the async get before 5.2",
            django="4.2",
            lines=(6,),
        ),
        Invalid(
            "from django.views import View\n\n"
            "from .decorators import audited\n\n\n"
            "class Dashboard(View):\n"
            "    @audited\n"
            "    async def get(self, request):\n        ...\n",
            files={
                "app/decorators.py": "import functools\n\n\n"
                "def audited(func):\n"
                "    @functools.wraps(func)\n"
                "    def wrapper(self, request, *args, **kwargs):\n"
                "        log(request)\n"
                "        return func(self, request, *args, **kwargs)\n"
                "    return wrapper\n",
            },
            reason="a project decorator with a sync functools.wraps wrapper, in every version",
            lines=(7,),
            message="@audited wraps async handler Dashboard.get in a sync def",
        ),
    )

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        doc = analyze_document(ctx)
        for analysis in doc.views:
            node = doc.node(analysis)
            if node is None:
                continue
            yield from self._method_decorators(ctx, doc, analysis, node)
            yield from self._class_decorators(ctx, doc, analysis, node)
            yield from self._django_dispatch(ctx, doc, analysis)

    def _handler_names(self, analysis: ViewAnalysis) -> dict[str, None]:
        return dict.fromkeys(analysis.http_method_names or DEFAULT_HTTP_METHOD_NAMES)

    def _method_decorators(
        self, ctx: CheckContext, doc: DocumentViews, analysis: ViewAnalysis, node: ast.ClassDef
    ) -> Iterator[Finding]:
        definitions = method_nodes(node)
        for name in self._handler_names(analysis):
            definition = definitions.get(name)
            function = analysis.cls.methods.get(name)
            if not isinstance(definition, ast.AsyncFunctionDef) or function is None:
                continue
            if function.alias_of is not None or len(function.decorators) != len(
                definition.decorator_list
            ):
                continue
            kind: Kind = "async"
            for index in range(len(function.decorators) - 1, -1, -1):
                decorator = function.decorators[index]
                after, note = doc.resolver.apply_decorator(decorator, kind, analysis.cls.path)
                if note:
                    span = ctx.python.span(definition.decorator_list[index])
                    yield self._finding(ctx, doc, analysis, name, decorator, span)
                kind = after

    def _class_decorators(
        self, ctx: CheckContext, doc: DocumentViews, analysis: ViewAnalysis, node: ast.ClassDef
    ) -> Iterator[Finding]:
        if ctx.django_version >= METHOD_DECORATOR_KEEPS_ASYNC:
            return
        decorators = analysis.cls.decorators
        if len(decorators) != len(node.decorator_list):
            return
        names = self._handler_names(analysis)
        wrapped: set[str] = set()
        for index in range(len(decorators) - 1, -1, -1):  # bottom-up, as Python applies them
            decorator = decorators[index]
            name = _method_decorator_name(doc, analysis, decorator)
            if name is None or name not in names or name in wrapped:
                continue
            wrapped.add(name)
            underlying = doc.resolver.lookup_handler(
                analysis.linearization, name, analysis.key, skip_class_decorators=analysis.key
            )
            if underlying is not None and underlying.kind == "async":
                span = ctx.python.span(node.decorator_list[index])
                yield self._finding(ctx, doc, analysis, name, decorator, span)

    def _django_dispatch(
        self, ctx: CheckContext, doc: DocumentViews, analysis: ViewAnalysis
    ) -> Iterator[Finding]:
        if analysis.view_kind() != "async":
            return
        found = doc.resolver.dispatch_problem(analysis.linearization)
        if found is None:
            return
        key, problem = found
        short = DJANGO_CLASSES[key].short
        if problem.access_mixin:
            advice = (
                "Set raise_exception = True (a 403 instead of the redirect), or check the user "
                "in the async handlers (await request.auser()) instead of using the mixin"
            )
        else:
            advice = f"Keep the handlers of a {short} subclass sync (plain def)"
        message = (
            f"{analysis.cls.qualname} is an async view, but Django's {short} {problem.why}. "
            f"{advice}"
        )
        span = base_span_for(doc, analysis, key, ctx.python)
        related = (
            (Related(f"{short} comes in here", span),) if span != analysis.cls.name_span else ()
        )
        yield self.finding(ctx, analysis.cls.name_span, message, related=related)

    def _finding(
        self,
        ctx: CheckContext,
        doc: DocumentViews,
        analysis: ViewAnalysis,
        name: str,
        decorator: Value,
        span: Span,
    ) -> Finding:
        handler = f"{analysis.cls.qualname}.{name}"
        others = [h for h in analysis.handlers if h.name != name]
        if any(h.kind == "async" for h in others):
            effect = "next to the other async handlers, as_view() raises ImproperlyConfigured"
        else:
            effect = "Django treats the view as sync and every request gets an un-awaited coroutine"
        related: list[Related] = []
        func = (
            decorator.func
            if isinstance(decorator, Call)
            else decorator.name
            if isinstance(decorator, Ref)
            else ""
        )
        target = doc.resolver.lookup(func, analysis.cls.path) if func else None
        if target is not None and target.kind == "function" and target.function is not None:
            label = target.function.name
            message = (
                f"@{label} wraps async handler {handler} in a sync def (a functools.wraps-style "
                f"wrapper that returns the coroutine un-awaited): {effect}. Make {label} "
                "async-aware: return an async def wrapper when iscoroutinefunction(func)"
            )
            path = None if target.path == doc.module.path else target.path
            related.append(
                Related(f"{label} returns a sync wrapper", target.function.name_span, path)
            )
        else:
            message = (
                f"method_decorator wraps async handler {handler} in a sync function before "
                f"Django 5.2: {effect}. Do the decorator's work inside the async handler, "
                "or upgrade to Django 5.2, where method_decorator keeps async handlers async"
            )
        return self.finding(ctx, span, message, related=related)


def _method_decorator_name(
    doc: DocumentViews, analysis: ViewAnalysis, decorator: Value
) -> str | None:
    """The ``name=`` of a class-level ``method_decorator(..., name="get")``, else None."""
    if not isinstance(decorator, Call):
        return None
    target = doc.resolver.lookup(decorator.func, analysis.cls.path)
    if target is None or target.kind != "external" or target.name != METHOD_DECORATOR:
        return None
    name = decorator.kwarg("name")
    if name is None and len(decorator.args) > 1:
        name = decorator.args[1]
    if isinstance(name, Lit) and isinstance(name.value, str):
        return name.value
    return None
