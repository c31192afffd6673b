"""DJV103: a routed view that logs users out when it receives GET."""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..core.django.logout import GetLogoutView, document_get_logouts
from ..core.django.urls import UrlIndex, url_index
from ..core.python.edits import add_import_edit, fix_keeps_valid, imported_name
from ..core.rule import CheckContext, Invalid, Rule, Valid
from ..core.templates.references import TemplateLink, template_links
from ..core.types import Applicability, Edit, Finding, Fix, Related, Severity, SourceKind, Span
from ._document import module_facts

HTTP_DECORATORS = "django.views.decorators.http"
UTILS_DECORATORS = "django.utils.decorators"
_LISTED_LINKS = 5

URLS = """\
from django.urls import path
from app import views

urlpatterns = [
    path("logout/", views.logout_view, name="logout"),
    path("bye/", views.ByeView.as_view(), name="bye"),
]
"""
PROJECT = {"urls.py": URLS, "app/__init__.py": ""}


class LogoutOnGet(Rule):
    """
    ## What it does
    Finds views the project routes to that log the user out (`django.contrib.auth.logout` /
    `alogout`) when they receive **GET**: a function view with no method restriction (and no
    `request.method` test guarding the logout), a class-based view whose `get()` logs out, or
    a `LogoutView` subclass that adds `"get"` back to `http_method_names` with a `get()` that
    calls `post()`.

    ## Why is this bad?
    GET must be safe. A view that logs out on GET can be triggered by any page on the web —
    `<img src="https://your.site/logout/">` logs your users out (login CSRF's little brother),
    and so do link prefetchers and browser extensions that follow links. This is why Django
    4.1 deprecated GET on `LogoutView` and 5.0 removed it.

    ## Example
    ```python
    def logout_view(request):
        logout(request)
        return redirect("home")
    ```

    ## Use instead
    ```python
    @require_POST
    def logout_view(request):
        logout(request)
        return redirect("home")
    ```
    and log out from a POST form with `{% csrf_token %}` (DJV101's fix writes it).

    ## Fix safety
    Adding `@require_POST` (with its import; `@method_decorator(require_POST, name="dispatch")`
    on a class whose `post()` also logs out) is **unsafe**: every link to the view must become
    a POST form, or it gets 405. The message lists the template links djvet found. No fix is
    offered for a class whose logout only happens in `get()`.

    ## Django versions
    All versions: a project view's GET logout was never deprecated by Django, it is just unsafe.

    ## References
    - [How to log a user out](https://docs.djangoproject.com/en/stable/topics/auth/default/#how-to-log-a-user-out)
    - [require_POST](https://docs.djangoproject.com/en/stable/topics/http/decorators/#django.views.decorators.http.require_POST)
    - [Safe methods (RFC 9110)](https://www.rfc-editor.org/rfc/rfc9110#name-safe-methods)
    """

    code = "DJV103"
    name = "logout-on-get"
    summary = "View logs users out on GET"
    severity = Severity.WARNING
    targets = frozenset({SourceKind.PYTHON})
    django = ""
    fixable = True
    reference = "topics/auth/default/#how-to-log-a-user-out"
    examples = (
        Invalid(
            "from django.contrib.auth import logout\n"
            "from django.shortcuts import redirect\n\n\n"
            "def logout_view(request):\n"
            "    logout(request)\n"
            '    return redirect("/")\n',
            reason="a routed function view logging out with no method check",
            path="app/views.py",
            files=PROJECT,
            lines=(5,),
            message="<img",
            fixed=(
                "from django.contrib.auth import logout\n"
                "from django.shortcuts import redirect\n"
                "from django.views.decorators.http import require_POST\n\n\n"
                "@require_POST\n"
                "def logout_view(request):\n"
                "    logout(request)\n"
                '    return redirect("/")\n'
            ),
        ),
        Invalid(
            "from django.contrib.auth.views import LogoutView\n\n\n"
            "class ByeView(LogoutView):\n"
            '    http_method_names = ["get", "post", "options"]\n\n'
            "    def get(self, request, *args, **kwargs):\n"
            "        return self.post(request, *args, **kwargs)\n",
            reason="a LogoutView subclass re-enabling GET",
            path="app/views.py",
            files=PROJECT,
            lines=(4,),
            fixed=(
                "from django.contrib.auth.views import LogoutView\n"
                "from django.utils.decorators import method_decorator\n"
                "from django.views.decorators.http import require_POST\n\n\n"
                '@method_decorator(require_POST, name="dispatch")\n'
                "class ByeView(LogoutView):\n"
                '    http_method_names = ["get", "post", "options"]\n\n'
                "    def get(self, request, *args, **kwargs):\n"
                "        return self.post(request, *args, **kwargs)\n"
            ),
        ),
        Valid(
            "from django.contrib.auth import logout\n"
            "from django.shortcuts import redirect\n"
            "from django.views.decorators.http import require_POST\n\n\n"
            "@require_POST\n"
            "def logout_view(request):\n"
            "    logout(request)\n"
            '    return redirect("/")\n',
            reason="restricted to POST",
            path="app/views.py",
            files=PROJECT,
        ),
        Valid(
            "from django.contrib.auth import logout\n"
            "from django.shortcuts import redirect, render\n\n\n"
            "def logout_view(request):\n"
            '    if request.method == "POST":\n'
            "        logout(request)\n"
            '        return redirect("/")\n'
            '    return render(request, "confirm_logout.html")\n',
            reason="GET shows a confirmation page; only POST logs out",
            path="app/views.py",
            files=PROJECT,
        ),
        Valid(
            "from django.contrib.auth import logout\n\n\n"
            "def helper(request):\n"
            "    logout(request)\n",
            reason="not routed by any URLconf: a helper, not a view",
            path="app/views.py",
            files=PROJECT,
        ),
        Valid(
            "from django.contrib.auth.views import LogoutView\n\n\n"
            "class ByeView(LogoutView):\n"
            '    template_name = "bye.html"\n',
            reason="a plain LogoutView subclass: GET gets 405 (DJV101/DJV102 report the callers)",
            path="app/views.py",
            files=PROJECT,
        ),
        Valid(
            "from django.contrib.auth import logout\n"
            "from django.http import HttpResponseNotAllowed\n\n\n"
            "def logout_view(request):\n"
            '    if request.method != "POST":\n'
            '        return HttpResponseNotAllowed(["POST"])\n'
            "    logout(request)\n",
            reason="an early return refuses every method but POST",
            path="app/views.py",
            files=PROJECT,
        ),
    )

    def gate(self, ctx: CheckContext) -> bool:
        if "ogout" in ctx.text:  # logout(), alogout(), LogoutView, or an import alias of one
            return True
        # A routed class-based view can log out through project helpers that call logout()
        # in another module: its own text need not mention it.
        if "class" not in ctx.text:
            return False
        module = module_facts(ctx)
        prefix = f"{module.module}." if module.module else ""
        urls = url_index(ctx.project)
        return any(urls.routes_to(prefix + name) for name in module.classes if "." not in name)

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        urls = url_index(ctx.project)
        if not any(True for _ in urls.routes):
            return
        module = module_facts(ctx)
        source = ctx.python
        for view in document_get_logouts(
            source.tree, module, ctx.project, urls, ctx.django_version, source
        ):
            span = ctx.python.name_span(view.node)
            links = self._links(ctx, urls, view)
            route = view.routes[0]
            message = (
                f"{view.qualified} logs users out on GET ({view.why}): any page on the web can log "
                f'your users out with <img src="{route.display}">. Restrict it to POST '
                "(@require_POST) and log out from a POST form with a CSRF token"
            )
            if links:
                shown = ", ".join(self._where(ctx, link) for link in links[:_LISTED_LINKS])
                more = (
                    f" and {len(links) - _LISTED_LINKS} more" if len(links) > _LISTED_LINKS else ""
                )
                message += f"; these links must become POST forms too: {shown}{more}"
            related = [
                Related(f"'{r.name or r.display}' ({r.display}) routes GET here", r.span, r.file)
                for r in view.routes
                if r.span is not None and r.file
            ]
            related += [Related("links here with GET", link.span, link.path) for link in links]
            yield self.finding(ctx, span, message + ".", fix=self._fix(ctx, view), related=related)

    def _links(self, ctx: CheckContext, urls: UrlIndex, view: GetLogoutView) -> list[TemplateLink]:
        targets = set(view.routes)
        out = []
        for link in template_links(ctx.project):
            if link.element not in ("a", "area", "form", "button", "input"):
                continue
            if link.name is not None:
                route = urls.reverse(link.name, link.has_args)
            elif link.url_path is not None:
                route, certain = urls.resolve(link.url_path)
                route = route if certain else None
            else:
                route = None
            if route is not None and route in targets:
                out.append(link)
        return out

    def _where(self, ctx: CheckContext, link: TemplateLink) -> str:
        try:
            shown = os.path.relpath(link.path, ctx.project.root)
        except ValueError:
            shown = link.path
        return f"{shown}:{link.span.line + 1}"

    def _fix(self, ctx: CheckContext, view: GetLogoutView) -> Fix | None:
        source = ctx.python
        tree = source.tree
        node = view.node
        edits: list[Edit] = []
        require_post = imported_name(tree, HTTP_DECORATORS, "require_POST")
        if view.kind == "function":
            decorator = f"@{require_post or 'require_POST'}"
            title = "Restrict the view to POST with @require_POST"
        else:
            if not view.post_logs_out:
                return None
            method_decorator = imported_name(tree, UTILS_DECORATORS, "method_decorator")
            decorator = (
                f"@{method_decorator or 'method_decorator'}"
                f'({require_post or "require_POST"}, name="dispatch")'
            )
            title = (
                'Restrict the view to POST with @method_decorator(require_POST, name="dispatch")'
            )
            if method_decorator is None:
                edit = add_import_edit(source, UTILS_DECORATORS, "method_decorator")
                if edit is not None:
                    edits.append(edit)
        if require_post is None:
            edit = add_import_edit(source, HTTP_DECORATORS, "require_POST")
            if edit is not None:
                edits.append(edit)
        line = node.lineno - 1
        text = source.lines.line_text(line)
        indent = text[: len(text) - len(text.lstrip(" \t"))]
        edits.append(Edit(Span(line, 0, line, 0), f"{indent}{decorator}{source.newline}"))
        edits = _merge_same_point(edits)
        if not fix_keeps_valid(ctx.text, edits):
            return None
        return Fix(title, Applicability.UNSAFE, tuple(edits))


def _merge_same_point(edits: list[Edit]) -> list[Edit]:
    """Join insertions at one point into one edit (in order), so no two edits overlap."""
    merged: list[Edit] = []
    for edit in edits:
        same = next(
            (
                i
                for i, e in enumerate(merged)
                if e.span == edit.span
                and edit.span.line == edit.span.end_line
                and edit.span.column == edit.span.end_column
            ),
            None,
        )
        if same is None:
            merged.append(edit)
        else:
            merged[same] = Edit(edit.span, merged[same].text + edit.text)
    return merged
