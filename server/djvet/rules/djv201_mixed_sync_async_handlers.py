"""DJV201: a class-based view whose HTTP handlers (inherited ones included) mix ``async def`` and ``def``."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..core.django.views import (
    DJANGO_CLASSES,
    METHOD_DECORATOR_KEEPS_ASYNC,
    DocumentViews,
    Handler,
    ViewAnalysis,
    add_methods_edit,
    analyze_document,
    class_fix_is_valid,
    class_layout,
    handler_label,
    handler_labels,
    handler_location,
    join_words,
    make_async_edit,
    make_sync_edit,
    method_nodes,
    needs_async,
)
from ..core.python.edits import add_import_edit, imported_name
from ..core.rule import CheckContext, Invalid, Valid
from ..core.types import Applicability, Edit, Finding, Fix, Related, Severity, SourceKind
from ._view_rule import ViewRule


@dataclass
class _Plan:
    edits: list[Edit] = field(default_factory=list)
    safe: bool = True
    actions: list[str] = field(default_factory=list)


class MixedSyncAsyncHandlers(ViewRule):
    """
    ## What it does
    Checks that every HTTP handler of a class-based view is `async def`, or every one is a
    plain `def` — counting the handlers the view **inherits**, exactly as Django does: each name
    in `http_method_names` except `options` that the class has (`head` only when the class or a
    base defines it), in that order; the first decides. Inherited handlers are resolved through
    the MRO across modules and through Django's generic views with their real handler sets:
    `CreateView`, `UpdateView`, `FormView` and `LoginView` have `get`, `post` and `put`;
    `DeleteView` has `get`, `post` and `delete`; `RedirectView` has all of them and `head`;
    `LogoutView`'s `get = post` is a sync handler before Django 5.0. A handler decorated with
    `method_decorator` counts as sync before Django 5.2, as Django sees it.

    ## Why is this bad?
    `View.as_view()` raises `ImproperlyConfigured("<View> HTTP handlers must either be all sync
    or all async.")` when the URLconf is imported, so the whole site (and `manage.py check`)
    fails to start. Django's docs speak of "user-defined" handlers, but the check also sees
    inherited ones: an `async def get` and `async def post` on a `CreateView` still fail because
    of its sync `put`.

    ## Example
    ```python
    class BookCreate(CreateView):
        model = Book
        fields = ["title"]

        async def get(self, request, *args, **kwargs):
            ...

        async def post(self, request, *args, **kwargs):
            ...
    ```

    ## Use instead
    ```python
    class BookCreate(CreateView):
        model = Book
        fields = ["title"]

        async def get(self, request, *args, **kwargs):
            ...

        async def post(self, request, *args, **kwargs):
            ...

        async def put(self, request, *args, **kwargs):
            return await self.post(request, *args, **kwargs)
    ```
    Or restrict `http_method_names`, or make every handler a plain `def`.

    ## Fix safety
    One fix per view, the first that applies:
    - **Make every handler sync** (safe) when every `async def` handler of the class is async
      only by accident (no `await`, `async for`, `async with`) and nothing async is inherited:
      the `async` keywords are removed. The bodies then run in a worker thread, where sync code
      (the ORM) is allowed, instead of the event loop, where it raises.
    - **Make every handler async**: inherited sync handlers get an override,
      `return await sync_to_async(super().put)(request, *args, **kwargs)` (importing
      `sync_to_async` from `asgiref.sync`), or `return await self.post(...)` where Django's
      handler only calls another handler (`put` of the form views, every `RedirectView`
      handler but `get`). Running the inherited sync code in a thread is what Django would do
      for a sync view, so this is safe. It is unsafe when the class's own `def` handlers have to
      become `async def` (their bodies then run in the event loop, where sync ORM calls raise
      `SynchronousOnlyOperation`) or when an inherited handler comes from another project class
      (its body, which may call back into an async handler, is not re-checked).
    "Make every handler async" is never offered for views whose Django `dispatch` breaks
    async handlers (the access mixins, `LoginView`, `LogoutView`, the password-change and
    reset-confirm views; see DJV203): the view would pass `as_view()` and fail at request time.
    No fix is offered when a decorator decides a handler's kind, a base cannot be seen, or the
    class body is on one line.

    ## Django versions
    Async handlers arrived in Django 4.1; the check is the same in 4.1 to 6.1. The handler set
    of `LogoutView` is `get`/`post` in 4.1 and 4.2 and `post` from 5.0; `method_decorator`
    keeps async handlers async from 5.2.

    ## References
    - [Async class-based views](https://docs.djangoproject.com/en/stable/topics/class-based-views/#async-class-based-views)
    - [`View.http_method_names`](https://docs.djangoproject.com/en/stable/ref/class-based-views/base/#django.views.generic.base.View.http_method_names)
    - [`asgiref.sync.sync_to_async`](https://docs.djangoproject.com/en/stable/topics/async/#sync-to-async)
    """

    code = "DJV201"
    name = "mixed-sync-async-handlers"
    summary = "Class-based view mixes async and sync HTTP handlers (inherited ones included)"
    severity = Severity.ERROR
    targets = frozenset({SourceKind.PYTHON})
    django = ">=4.1"
    fixable = True
    reference = "topics/class-based-views/#async-class-based-views"
    examples = (
        Valid(
            "from django.views import View\n\n\n"
            "class Ping(View):\n"
            "    async def get(self, request):\n        ...\n\n"
            "    async def post(self, request):\n        ...\n",
            reason="every handler is async",
        ),
        Valid(
            "from django.views import View\n\n\n"
            "class Ping(View):\n"
            "    def get(self, request):\n        ...\n\n"
            "    def post(self, request):\n        ...\n",
            reason="every handler is sync",
        ),
        Valid(
            "from django.views.generic import DetailView\n\n\n"
            "class BookDetail(DetailView):\n"
            "    async def get(self, request, *args, **kwargs):\n        ...\n",
            reason="DetailView's only handler is get, and it is overridden",
        ),
        Valid(
            "from django.views.generic import TemplateView, ListView\n\n\n"
            "class Home(TemplateView):\n"
            "    async def get(self, request, *args, **kwargs):\n        ...\n\n\n"
            "class Books(ListView):\n"
            "    async def get(self, request, *args, **kwargs):\n        ...\n",
            reason="TemplateView and ListView only have get",
        ),
        Valid(
            "from django.views import View\n\n\n"
            "class Feed(View):\n"
            '    http_method_names = ["get"]\n\n'
            "    async def get(self, request):\n        ...\n\n"
            "    def post(self, request):\n        ...\n",
            reason="post is not in http_method_names, so Django ignores it",
        ),
        Valid(
            "from django.views.generic import FormView\n\n\n"
            "class Contact(FormView):\n"
            "    async def get(self, request, *args, **kwargs):\n        ...\n\n"
            "    async def post(self, request, *args, **kwargs):\n        ...\n\n"
            "    async def put(self, request, *args, **kwargs):\n        ...\n",
            reason="every inherited handler of FormView is overridden with async def",
        ),
        Valid(
            "from django.contrib.auth.views import LogoutView\n\n\n"
            "class Logout(LogoutView):\n"
            "    async def post(self, request, *args, **kwargs):\n        ...\n",
            reason="from Django 5.0 LogoutView's only handler is post",
            django="5.0",
        ),
        Valid(
            "from django.contrib.auth.decorators import login_required\n"
            "from django.utils.decorators import method_decorator\n"
            "from django.views import View\n\n\n"
            "class Private(View):\n"
            "    @method_decorator(login_required)\n"
            "    async def get(self, request):\n        ...\n\n"
            "    async def post(self, request):\n        ...\n",
            reason="from Django 5.2 method_decorator keeps an async handler async",
        ),
        Valid(
            "class Client:\n"
            "    async def get(self, url):\n        ...\n\n"
            "    def post(self, url):\n        ...\n",
            reason="not a Django view",
        ),
        Valid(
            "from django.views import View\n"
            "from thirdparty.views import ApiMixin\n\n\n"
            "class Items(ApiMixin, View):\n"
            "    async def get(self, request):\n        ...\n",
            reason="an unseen mixin may define other handlers: djvet does not guess",
        ),
        Invalid(
            "from django.views.generic import CreateView\n\n\n"
            "class BookCreate(CreateView):\n"
            '    fields = ["title"]\n\n'
            "    async def get(self, request, *args, **kwargs):\n"
            "        return await self.render_form(request)\n\n"
            "    async def post(self, request, *args, **kwargs):\n"
            "        return await self.save_form(request)\n",
            reason="CreateView's inherited put is sync",
            lines=(4,),
            message="BookCreate HTTP handlers must either be all sync or all async: get is async, "
            "put (inherited from CreateView) is sync",
            fixed="from django.views.generic import CreateView\n\n\n"
            "class BookCreate(CreateView):\n"
            '    fields = ["title"]\n\n'
            "    async def get(self, request, *args, **kwargs):\n"
            "        return await self.render_form(request)\n\n"
            "    async def post(self, request, *args, **kwargs):\n"
            "        return await self.save_form(request)\n\n"
            "    async def put(self, request, *args, **kwargs):\n"
            "        return await self.post(request, *args, **kwargs)\n",
        ),
        Invalid(
            "from django.views.generic import DeleteView\n\n\n"
            "class BookDelete(DeleteView):\n"
            "    async def get(self, request, *args, **kwargs):\n"
            "        return await self.confirm(request)\n\n"
            "    async def post(self, request, *args, **kwargs):\n"
            "        return await self.remove(request)\n",
            reason="DeleteView's inherited delete is sync",
            lines=(4,),
            fixed="from django.views.generic import DeleteView\n"
            "from asgiref.sync import sync_to_async\n\n\n"
            "class BookDelete(DeleteView):\n"
            "    async def get(self, request, *args, **kwargs):\n"
            "        return await self.confirm(request)\n\n"
            "    async def post(self, request, *args, **kwargs):\n"
            "        return await self.remove(request)\n\n"
            "    async def delete(self, request, *args, **kwargs):\n"
            "        return await sync_to_async(super().delete)(request, *args, **kwargs)\n",
        ),
        Invalid(
            "from django.views.generic import FormView\n\n\n"
            "class Contact(FormView):\n"
            "    async def get(self, request, *args, **kwargs):\n"
            "        return super().get(request, *args, **kwargs)\n",
            reason="async only by accident: FormView's post and put are sync",
            lines=(4,),
            fixed="from django.views.generic import FormView\n\n\n"
            "class Contact(FormView):\n"
            "    def get(self, request, *args, **kwargs):\n"
            "        return super().get(request, *args, **kwargs)\n",
        ),
        Invalid(
            "from django.views import View\n\n\n"
            "class Ping(View):\n"
            "    async def get(self, request):\n"
            "        return await pong(request)\n\n"
            "    def post(self, request):\n"
            "        return save(request)\n",
            reason="own async get and own sync post",
            lines=(4,),
            fixed="from django.views import View\n\n\n"
            "class Ping(View):\n"
            "    async def get(self, request):\n"
            "        return await pong(request)\n\n"
            "    async def post(self, request):\n"
            "        return save(request)\n",
        ),
        Invalid(
            "from asgiref.sync import sync_to_async\n"
            "from django.contrib.auth.views import LogoutView\n\n\n"
            "class Logout(LogoutView):\n"
            "    async def post(self, request, *args, **kwargs):\n"
            "        await audit_logout(request)\n"
            "        return await sync_to_async(super().post)(request, *args, **kwargs)\n",
            reason="before 5.0 LogoutView has a sync get (get = post); no async fix: its "
            "dispatch is sync only",
            django="4.2",
            lines=(5,),
            message="get (inherited from LogoutView) is sync, post is async; as_view() raises "
            "ImproperlyConfigured. Make every handler a plain def: the dispatch of LogoutView",
        ),
        Invalid(
            "from django.contrib.auth.decorators import login_required\n"
            "from django.utils.decorators import method_decorator\n"
            "from django.views import View\n\n\n"
            "class Private(View):\n"
            "    @method_decorator(login_required)\n"
            "    async def get(self, request):\n"
            "        return await page(request)\n\n"
            "    async def post(self, request):\n"
            "        return await save(request)\n",
            reason="before Django 5.2 method_decorator makes the async get a sync wrapper",
            django="5.1",
            lines=(6,),
            message="get (method_decorator wraps it in a sync function before Django 5.2) is sync",
        ),
    )

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        doc = analyze_document(ctx)
        for analysis in doc.views:
            mixed = analysis.mixed()
            if mixed is None:
                continue
            first, others = mixed
            other_kind = others[0].kind
            verb = "is" if len(others) == 1 else "are"
            dispatch = doc.resolver.dispatch_problem(analysis.linearization)
            if dispatch is not None:
                advice = (
                    f"Make every handler a plain def: the dispatch of "
                    f"{DJANGO_CLASSES[dispatch[0]].short} does not support async handlers"
                )
            else:
                advice = (
                    "Make every handler async def (override inherited sync ones to await "
                    "sync_to_async(super().<name>)) or every one a plain def"
                )
            message = (
                f"{analysis.cls.qualname} HTTP handlers must either be all sync or all async: "
                f"{handler_label(first)} is {first.kind}, "
                f"{handler_labels(others)} {verb} {other_kind}; "
                f"as_view() raises ImproperlyConfigured. {advice}"
            )
            related = []
            for handler in analysis.handlers:
                span, path = handler_location(doc, analysis, handler, ctx.python)
                origin = "defined here" if handler.own else f"inherited from {handler.via}"
                related.append(Related(f"{handler.name}: {handler.kind}, {origin}", span, path))
            yield self.finding(
                ctx,
                analysis.cls.name_span,
                message,
                fix=self._fix(ctx, doc, analysis),
                related=related,
            )

    # -- fixes -----------------------------------------------------------------------------------
    def _fix(self, ctx: CheckContext, doc: DocumentViews, analysis: ViewAnalysis) -> Fix | None:
        if not analysis.complete or analysis.uncertain:
            return None
        if any(h.kind == "unknown" for h in analysis.handlers):
            return None
        node = doc.node(analysis)
        if node is None:
            return None
        plan = _all_sync(ctx, doc, analysis, node)
        title = "Make every handler sync"
        if plan is None:
            plan = _all_async(ctx, doc, analysis, node)
            title = "Make every handler async"
        if plan is None or not plan.edits or not class_fix_is_valid(ctx, node, plan.edits):
            return None
        applicability = Applicability.SAFE if plan.safe else Applicability.UNSAFE
        return Fix(f"{title} ({'; '.join(plan.actions)})", applicability, tuple(plan.edits))


def _become(names: set[str]) -> str:
    return "becomes" if len(names) == 1 else "become"


def _own_def(node: ast.ClassDef, handler: Handler) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    if handler.function is None:
        return None
    return method_nodes(node).get(handler.function.alias_of or handler.name)


def _all_sync(
    ctx: CheckContext, doc: DocumentViews, analysis: ViewAnalysis, node: ast.ClassDef
) -> _Plan | None:
    """Drop ``async`` from own handlers that never await, when nothing async is inherited."""
    plan = _Plan()
    converted: set[str] = set()
    for handler in analysis.handlers:
        if not handler.own:
            if handler.kind != "sync":
                return None
            continue
        definition = _own_def(node, handler)
        if definition is None or handler.function is None:
            if handler.kind != "sync":
                return None
            continue
        if isinstance(definition, ast.FunctionDef):
            if handler.kind != "sync":
                return None
            continue
        kind, _ = doc.resolver.function_kind(handler.function, analysis.cls.path, raw="sync")
        if kind != "sync" or needs_async(definition):
            return None
        if definition.name in converted:
            continue
        edit = make_sync_edit(ctx.python, definition)
        if edit is None:
            return None
        converted.add(definition.name)
        plan.edits.append(edit)
    if not plan.edits:
        return None
    plan.actions.append(f"{join_words(sorted(converted))} {_become(converted)} def")
    return plan


def _all_async(
    ctx: CheckContext, doc: DocumentViews, analysis: ViewAnalysis, node: ast.ClassDef
) -> _Plan | None:
    """Convert own sync handlers and override inherited sync ones with async methods."""
    plan = _Plan()
    resolver = doc.resolver
    if resolver.dispatch_problem(analysis.linearization) is not None:
        return None  # Django's dispatch of this view breaks async handlers (see DJV203)
    wraps_blocked = ctx.django_version < METHOD_DECORATOR_KEEPS_ASYNC
    final_async = {h.name for h in analysis.handlers}
    converted: set[str] = set()
    overrides: list[tuple[str, str]] = []
    needs_import = False
    s2a = imported_name(ctx.python.tree, "asgiref.sync", "sync_to_async") or "sync_to_async"
    for handler in analysis.handlers:
        if handler.kind == "async":
            continue
        if handler.name in analysis.class_decorated and wraps_blocked:
            return None  # a class-level method_decorator would wrap the new method in sync again
        if handler.own:
            definition = _own_def(node, handler)
            if not isinstance(definition, ast.FunctionDef) or handler.function is None:
                return None
            kind, _ = resolver.function_kind(handler.function, analysis.cls.path, raw="async")
            if kind != "async":
                return None
            if definition.name not in converted:
                converted.add(definition.name)
                plan.edits.append(make_async_edit(ctx.python, definition))
            plan.safe = False
            continue
        delegate = handler.delegates_to
        if delegate is not None and delegate not in final_async:
            target = resolver.lookup_handler(analysis.linearization, delegate, analysis.key)
            if target is None or target.kind == "unknown":
                return None
            if target.kind == "sync":
                delegate = None
        if delegate is not None:
            overrides.append(
                (handler.name, f"return await self.{delegate}(request, *args, **kwargs)")
            )
            continue
        if handler.owner_class is not None:
            plan.safe = False
        needs_import = True
        overrides.append(
            (handler.name, f"return await {s2a}(super().{handler.name})(request, *args, **kwargs)")
        )
    if overrides:
        layout = class_layout(ctx.python, node)
        if layout is None:
            return None
        if needs_import and s2a == "sync_to_async":
            if any(
                "sync_to_async" in names
                for names in (doc.module.functions, doc.module.classes, doc.module.assignments)
            ) or doc.module.imports.get("sync_to_async", "asgiref.sync.sync_to_async") != (
                "asgiref.sync.sync_to_async"
            ):
                return None  # the name is taken by something else in this module
            import_edit = add_import_edit(ctx.python, "asgiref.sync", "sync_to_async")
            if import_edit is not None:
                plan.edits.append(import_edit)
        plan.edits.append(add_methods_edit(layout, overrides))
        plan.actions.append(f"override {join_words([name for name, _ in overrides])}")
    if converted:
        plan.actions.append(f"{join_words(sorted(converted))} {_become(converted)} async def")
    return plan
