"""DJV202: a user-defined ``options`` whose sync/async kind differs from the view's other handlers."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..core.django.views import (
    DocumentViews,
    ViewAnalysis,
    analyze_document,
    class_fix_is_valid,
    handler_labels,
    make_async_edit,
    make_sync_edit,
    method_nodes,
    needs_async,
)
from ..core.python.edits import await_wrap
from ..core.python.facts import dotted
from ..core.rule import CheckContext, Invalid, Valid
from ..core.types import Applicability, Edit, Finding, Fix, Related, Severity, SourceKind
from ._view_rule import ViewRule

# Names whose call certainly builds a response object (never an awaitable).
_RESPONSE_FACTORIES = ("django.http.", "django.template.response.")
_RESPONSE_SHORTCUTS = frozenset({"django.shortcuts.render", "django.shortcuts.redirect"})
# View methods that return a coroutine wrapper in an async view, and need an await there.
_ADAPTING_VIEW_METHODS = frozenset({"options", "http_method_not_allowed"})


class OptionsHandlerMismatch(ViewRule):
    """
    ## What it does
    Checks that a user-defined `options` handler of a class-based view has the same kind as
    the view: `async def` when the other handlers are async, `def` when they are sync or when
    there are none (a view without handlers is sync). Inherited `options` methods from project
    classes count; Django's own `View.options` adapts to the view and is fine.

    A sync `options` in an async view is reported only when it certainly returns a response
    (it builds one with `django.http`/`render`, or changes the one `super().options()` gave):
    `return super().options(...)` on its own passes Django's coroutine through and works.

    ## Why is this bad?
    Django leaves `options` out of its all-sync-or-all-async check, so `as_view()` succeeds and
    the mistake only shows on OPTIONS requests (CORS preflights, API clients):
    - an `async def options` in a sync view returns a coroutine nobody awaits, and every OPTIONS
      request fails with `ValueError: ... returned an unawaited coroutine instead`;
    - a sync `options` in an async view returns an `HttpResponse` that Django then awaits:
      `TypeError: object HttpResponse can't be used in 'await' expression`.

    ## Example
    ```python
    class Feed(View):
        async def get(self, request):
            ...

        def options(self, request, *args, **kwargs):
            response = super().options(request, *args, **kwargs)
            response["Access-Control-Allow-Origin"] = "*"
            return response
    ```

    ## Use instead
    ```python
    class Feed(View):
        async def get(self, request):
            ...

        async def options(self, request, *args, **kwargs):
            response = await super().options(request, *args, **kwargs)
            response["Access-Control-Allow-Origin"] = "*"
            return response
    ```

    ## Fix safety
    Making an `async def options` that never awaits anything a plain `def` is safe. Making a
    sync `options` an `async def` (and awaiting its `super().options(...)` and
    `http_method_not_allowed(...)` calls, which return coroutines in an async view) is unsafe:
    the body then runs in the event loop, where sync ORM calls raise. No fix is offered for an
    inherited `options` (change it where it is defined) or when a decorator decides its kind.

    ## Django versions
    Async class-based views arrived in Django 4.1; `options` has been left out of the check
    from 4.1 to 6.1.

    ## References
    - [Async class-based views](https://docs.djangoproject.com/en/stable/topics/class-based-views/#async-class-based-views)
    - [`View.options()`](https://docs.djangoproject.com/en/stable/ref/class-based-views/base/#django.views.generic.base.View.options)
    """

    code = "DJV202"
    name = "options-handler-mismatch"
    summary = "User-defined options handler is not the same kind (sync/async) as the view"
    severity = Severity.ERROR
    targets = frozenset({SourceKind.PYTHON})
    django = ">=4.1"
    fixable = True
    reference = "topics/class-based-views/#async-class-based-views"
    examples = (
        Valid(
            "from django.views import View\n\n\n"
            "class Feed(View):\n"
            "    async def get(self, request):\n        ...\n\n"
            "    async def options(self, request, *args, **kwargs):\n"
            "        return await super().options(request, *args, **kwargs)\n",
            reason="async options in an async view",
        ),
        Valid(
            "from django.http import HttpResponse\n"
            "from django.views import View\n\n\n"
            "class Status(View):\n"
            "    def get(self, request):\n        ...\n\n"
            "    def options(self, request, *args, **kwargs):\n"
            "        return HttpResponse()\n",
            reason="sync options in a sync view",
        ),
        Valid(
            "from django.views import View\n\n\n"
            "class Feed(View):\n"
            "    async def get(self, request):\n        ...\n\n"
            "    def options(self, request, *args, **kwargs):\n"
            "        return super().options(request, *args, **kwargs)\n",
            reason="passes the coroutine View.options makes in an async view straight through",
        ),
        Valid(
            "from django.views.generic import RedirectView\n\n\n"
            "class Old(RedirectView):\n"
            "    async def get(self, request, *args, **kwargs):\n        ...\n",
            reason="options comes from Django (and get's mismatch with post is DJV201's)",
        ),
        Valid(
            "from django.views import View\n\n\n"
            "class CorsOptions(View):\n"
            "    async def options(self, request, *args, **kwargs):\n"
            "        return await super().options(request, *args, **kwargs)\n\n\n"
            "class Feed(CorsOptions):\n"
            "    async def get(self, request):\n        ...\n",
            reason="a base with no handlers of its own, used by async views",
        ),
        Valid(
            "class Client:\n"
            "    def get(self, url):\n        ...\n\n"
            "    async def options(self, url):\n        ...\n",
            reason="not a Django view",
        ),
        Valid(
            "from django.views import View\n"
            "from thirdparty.views import CorsMixin\n\n\n"
            "class Feed(CorsMixin, View):\n"
            "    def get(self, request):\n        ...\n\n"
            "    async def options(self, request, *args, **kwargs):\n        ...\n",
            reason="an unseen mixin may define async handlers too: djvet does not guess",
        ),
        Invalid(
            "from django.http import HttpResponse\n"
            "from django.views import View\n\n\n"
            "class Status(View):\n"
            "    def get(self, request):\n"
            '        return HttpResponse("ok")\n\n'
            "    async def options(self, request, *args, **kwargs):\n"
            "        response = HttpResponse()\n"
            '        response["Allow"] = "GET, OPTIONS"\n'
            "        return response\n",
            reason="async options in a sync view",
            lines=(9,),
            fixed="from django.http import HttpResponse\n"
            "from django.views import View\n\n\n"
            "class Status(View):\n"
            "    def get(self, request):\n"
            '        return HttpResponse("ok")\n\n'
            "    def options(self, request, *args, **kwargs):\n"
            "        response = HttpResponse()\n"
            '        response["Allow"] = "GET, OPTIONS"\n'
            "        return response\n",
        ),
        Invalid(
            "from django.views import View\n\n\n"
            "class Feed(View):\n"
            "    async def get(self, request):\n"
            "        return await render_feed(request)\n\n"
            "    def options(self, request, *args, **kwargs):\n"
            "        response = super().options(request, *args, **kwargs)\n"
            '        response["Access-Control-Allow-Origin"] = "*"\n'
            "        return response\n",
            reason="sync options changing the response in an async view",
            lines=(8,),
            fixed="from django.views import View\n\n\n"
            "class Feed(View):\n"
            "    async def get(self, request):\n"
            "        return await render_feed(request)\n\n"
            "    async def options(self, request, *args, **kwargs):\n"
            "        response = await super().options(request, *args, **kwargs)\n"
            '        response["Access-Control-Allow-Origin"] = "*"\n'
            "        return response\n",
        ),
        Invalid(
            "from django.http import HttpResponse\n"
            "from django.views import View\n\n\n"
            "class Preflight(View):\n"
            "    async def options(self, request, *args, **kwargs):\n"
            "        return HttpResponse(headers={'Allow': 'OPTIONS'})\n",
            reason="a view with no other handlers is sync, so its async options fails",
            lines=(6,),
            fixed="from django.http import HttpResponse\n"
            "from django.views import View\n\n\n"
            "class Preflight(View):\n"
            "    def options(self, request, *args, **kwargs):\n"
            "        return HttpResponse(headers={'Allow': 'OPTIONS'})\n",
        ),
    )

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        doc = analyze_document(ctx)
        for analysis in doc.views:
            finding = self._check_view(ctx, doc, analysis)
            if finding is not None:
                yield finding

    def _check_view(
        self, ctx: CheckContext, doc: DocumentViews, analysis: ViewAnalysis
    ) -> Finding | None:
        options = analysis.options
        if options is None or options.owner_class is None or options.kind == "unknown":
            return None
        view_kind = analysis.view_kind()
        if view_kind in ("unknown", options.kind):
            return None
        definition = _options_def(doc, options.owner_class.qualname, options.owner_class.path)
        qualname = analysis.cls.qualname
        subject = "options" if options.own else f"options (inherited from {options.via})"
        if options.kind == "async":
            if not analysis.handlers and doc.resolver.is_subclassed(analysis.key):
                return None  # a base for async views, not a view of its own
            handlers = (
                _its_handlers(analysis, "sync") if analysis.handlers else "it has no other handlers"
            )
            message = (
                f"{qualname}: {subject} is async but the view is sync ({handlers}): Django leaves "
                "options out of its check, and every OPTIONS request fails with ValueError "
                "(an unawaited coroutine instead of a response). Make options a plain def"
            )
        else:
            if options.kind_by_decorator or not isinstance(definition, ast.FunctionDef):
                return None
            if not _returns_a_response(definition, doc):
                return None
            message = (
                f"{qualname}: {subject} is sync but the view is async "
                f"({_its_handlers(analysis, 'async')}): every OPTIONS request "
                "fails with TypeError (Django awaits the HttpResponse it returns). "
                "Make it async def and await super().options(...)"
            )
        if options.own and options.function is not None:
            span = options.function.name_span
            related: tuple[Related, ...] = ()
        else:
            span = analysis.cls.name_span
            location = (
                options.function.name_span if options.function else options.owner_class.name_span
            )
            path = None if options.owner_class.path == doc.module.path else options.owner_class.path
            related = (
                Related(f"options: {options.kind}, defined in {options.via}", location, path),
            )
        fix = self._fix(ctx, doc, analysis, definition) if options.own else None
        return self.finding(ctx, span, message, fix=fix, related=related)

    def _fix(
        self,
        ctx: CheckContext,
        doc: DocumentViews,
        analysis: ViewAnalysis,
        definition: ast.FunctionDef | ast.AsyncFunctionDef | None,
    ) -> Fix | None:
        options = analysis.options
        if options is None or options.function is None or definition is None:
            return None
        edits: list[Edit] = []
        if isinstance(definition, ast.AsyncFunctionDef):
            kind, _ = doc.resolver.function_kind(options.function, analysis.cls.path, raw="sync")
            edit = make_sync_edit(ctx.python, definition)
            if kind != "sync" or needs_async(definition) or edit is None:
                return None
            edits.append(edit)
            title, applicability = "Make options a plain def", Applicability.SAFE
        else:
            kind, _ = doc.resolver.function_kind(options.function, analysis.cls.path, raw="async")
            if kind != "async" or not _next_options_is_djangos(doc, analysis):
                return None
            edits.append(make_async_edit(ctx.python, definition))
            edits.extend(_await_view_calls(ctx, definition))
            title, applicability = "Make options async def", Applicability.UNSAFE
        node = doc.node(analysis)
        if node is None or not class_fix_is_valid(ctx, node, edits):
            return None
        return Fix(title, applicability, tuple(edits))


def _its_handlers(analysis: ViewAnalysis, kind: str) -> str:
    count = len(analysis.handlers)
    noun, verb = ("handler", "is") if count == 1 else ("handlers", "are")
    return f"its {noun} {handler_labels(list(analysis.handlers))} {verb} {kind}"


def _options_def(
    doc: DocumentViews, qualname: str, path: str
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The AST of ``options`` in class ``qualname`` when that class is in this document."""
    if path != doc.module.path:
        return None
    node = doc.nodes.get(qualname)
    return method_nodes(node).get("options") if node is not None else None


def _returns_a_response(definition: ast.FunctionDef, doc: DocumentViews) -> bool:
    """True when the sync ``options`` certainly returns (or touches) a real response object.

    In an async view ``super().options()`` gives a coroutine: returning it untouched works,
    building a response with ``django.http``/``render`` or changing the coroutine does not.
    """
    imports = doc.module.imports

    def qualified(node: ast.AST) -> str:
        name = dotted(node) or ""
        head, _, rest = name.partition(".")
        if head in imports:
            return f"{imports[head]}.{rest}" if rest else imports[head]
        return name

    from_super: set[str] = set()
    for sub in ast.walk(definition):
        if isinstance(sub, ast.Assign) and _is_view_call(sub.value):
            from_super.update(t.id for t in sub.targets if isinstance(t, ast.Name))
    for sub in ast.walk(definition):
        if isinstance(sub, ast.Return) and isinstance(sub.value, ast.Call):
            func = qualified(sub.value.func)
            if func.startswith(_RESPONSE_FACTORIES) or func in _RESPONSE_SHORTCUTS:
                return True
        targets: list[ast.expr] = []
        if isinstance(sub, ast.Assign):
            targets = list(sub.targets)
        elif isinstance(sub, (ast.AugAssign, ast.AnnAssign)):
            targets = [sub.target]
        for target in targets:
            if (
                isinstance(target, (ast.Subscript, ast.Attribute))
                and _root_name(target) in from_super
            ):
                return True
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and _root_name(sub.func) in from_super
        ):
            return True
    return False


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_view_call(node: ast.AST | None) -> bool:
    """``super().options(...)`` / ``self.http_method_not_allowed(...)``."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    if node.func.attr not in _ADAPTING_VIEW_METHODS:
        return False
    owner = node.func.value
    if (
        isinstance(owner, ast.Call)
        and isinstance(owner.func, ast.Name)
        and owner.func.id == "super"
    ):
        return True
    return isinstance(owner, ast.Name) and owner.id == "self" and node.func.attr != "options"


def _next_options_is_djangos(doc: DocumentViews, analysis: ViewAnalysis) -> bool:
    """True when ``super().options`` of the class is Django's (a coroutine in an async view)."""
    found = doc.resolver.lookup_handler(analysis.linearization[1:], "options", analysis.key)
    return found is not None and found.owner_class is None


def _await_view_calls(ctx: CheckContext, definition: ast.FunctionDef) -> list[Edit]:
    parents: dict[ast.AST, ast.AST] = {}
    for parent in ast.walk(definition):
        for child in ast.iter_child_nodes(parent):
            parents[child] = parent
    edits: list[Edit] = []
    for sub in ast.walk(definition):
        if _is_view_call(sub) and not isinstance(parents.get(sub), ast.Await):
            assert isinstance(sub, ast.expr)
            edits.extend(await_wrap(ctx.python, sub, parents.get(sub)))
    return edits
