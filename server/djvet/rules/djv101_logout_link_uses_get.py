"""DJV101: a template link, form or button that logs out with GET where the logout needs POST."""

from __future__ import annotations

from collections.abc import Iterator

from ..core.django.urls import url_index
from ..core.rule import CheckContext, Invalid, Rule, Valid
from ..core.templates.logout_links import (
    GetLogout,
    button_rewrite,
    csrf_markup,
    find_get_logouts,
    form_rewrite,
    link_rewrite,
    may_reach_a_rejecting_logout_text,
    may_start_a_literal_path,
    owner_form,
    rewrites_cleanly,
)
from ..core.types import Applicability, Edit, Finding, Fix, Related, Severity, SourceKind

URLS = """\
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
]
"""
ACCOUNT_URLS = """\
from django.urls import include, path
from accounts import views

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("bye/", views.logout_on_get, name="bye"),
    path("signout/", views.signout, name="signout"),
    path("allauth/", include("allauth.urls")),
]
"""
ACCOUNT_VIEWS = """\
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.views.decorators.http import require_POST


def logout_on_get(request):
    logout(request)
    return redirect("/")


@require_POST
def signout(request):
    logout(request)
    return redirect("/")
"""
PROJECT = {"urls.py": URLS}
ACCOUNTS = {"urls.py": ACCOUNT_URLS, "accounts/views.py": ACCOUNT_VIEWS, "accounts/__init__.py": ""}

_WHAT = {"link": "this link", "form": "this form", "button": "this button"}


class LogoutLinkUsesGet(Rule):
    """
    ## What it does
    Finds template markup that makes the browser send **GET** to a logout view that rejects
    or deprecates GET: an `<a href>` (with or without `?next=...`), a `<form>` whose method is
    missing or `get`, or a submit button with `formmethod="get"`, pointing at Django's
    `LogoutView` (`{% url 'logout' %}` from `django.contrib.auth.urls`), the admin's
    `{% url 'admin:logout' %}`, a route to `logout_then_login`, a `LogoutView` subclass, or a
    project logout view restricted to POST. URL names are resolved through the project's
    URLconfs (namespaces, `app_name`, includes); hard-coded paths such as
    `href="/accounts/logout/"` are matched against the routes djvet knows. Django and Jinja2
    templates (`{{ url('logout') }}`) are both checked.

    ## Why is this bad?
    Django 4.1 deprecated logging out with GET, and since Django 5.0 `LogoutView` answers GET
    with **405 Method Not Allowed**: the link silently stops logging anyone out. A GET logout
    is also a CSRF hole: any page on the web can log your users out with an `<img>` tag. Since
    4.1 Django's admin logs out with a small POST form; overridden admin templates (the
    `userlinks` block of `admin/base_site.html`) often still carry the old link.

    ## Example
    ```django
    <a class="nav-link" href="{% url 'logout' %}?next=/">Log out</a>
    ```

    ## Use instead
    ```django
    <form method="post" action="{% url 'logout' %}">{% csrf_token %}<input type="hidden" name="next" value="/"><button type="submit" class="nav-link">Log out</button></form>
    ```
    Style the button like a link if needed (Django's admin does it for `#logout-form`).

    ## Fix safety
    Turning a link into a form is **unsafe**: a `<form>` is a block element and a `<button>`
    does not inherit the link's CSS, so the page may look different. The link's content, its
    `class`/`id`/`title`/`style`/`data-*`/`aria-*` attributes and event handlers move to the
    button, `target` moves to the form, and each query parameter becomes a hidden input (the
    logout views read `next` from the POST body first). No fix is offered when the result would
    not be valid HTML (a link inside another form, inside a `<p>` or `<span>`, holding block
    content) or when an attribute has no place on a button. Making a GET form POST (and adding
    the CSRF token) is safe for Django's logout views. Jinja2 templates get `{{ csrf_input }}`.

    ## Django versions
    Error from Django 5.0 (the link is broken: 405), warning on 4.1–4.2 (deprecated, and the
    `RemovedInDjango50Warning` is hidden by default), hint before 4.1. A project view restricted
    to POST answers GET with 405 in every version: always an error.

    ## References
    - [LogoutView](https://docs.djangoproject.com/en/stable/topics/auth/default/#django.contrib.auth.views.LogoutView)
    - [Django 4.1 release notes: log out via GET](https://docs.djangoproject.com/en/stable/releases/4.1/#log-out-via-get)
    - [Django 5.0 release notes: features removed](https://docs.djangoproject.com/en/stable/releases/5.0/#features-removed-in-5-0)
    """

    code = "DJV101"
    name = "logout-link-uses-get"
    summary = "Template link or form logs out with GET where the logout view needs POST"
    severity = Severity.ERROR
    targets = frozenset({SourceKind.DJANGO_TEMPLATE, SourceKind.JINJA2})
    django = ""  # every version: a hint before 4.1, a warning on 4.1–4.2, an error from 5.0
    fixable = True
    reference = "topics/auth/default/#django.contrib.auth.views.LogoutView"
    examples = (
        Invalid(
            '<a class="nav-link" href="{% url \'logout\' %}">Log out</a>\n',
            reason="Django 5.2's LogoutView answers this GET with 405",
            path="templates/base.html",
            files=PROJECT,
            lines=(1,),
            message="405 Method Not Allowed",
            fixed=(
                '<form method="post" action="{% url \'logout\' %}">{% csrf_token %}'
                '<button type="submit" class="nav-link">Log out</button></form>\n'
            ),
        ),
        Invalid(
            "{% block userlinks %}\n"
            "    <a href=\"{% url 'admin:logout' %}?next={{ request.path|urlencode }}\" title=\"Bye\">{% translate 'Log out' %}</a>\n"
            "{% endblock %}\n",
            reason="an overridden admin userlinks block with the pre-4.1 GET link",
            path="templates/admin/base_site.html",
            files=PROJECT,
            lines=(2,),
            fixed=(
                "{% block userlinks %}\n"
                '    <form method="post" action="{% url \'admin:logout\' %}">{% csrf_token %}'
                '<input type="hidden" name="next" value="{{ request.path }}">'
                '<button type="submit" title="Bye">{% translate \'Log out\' %}</button></form>\n'
                "{% endblock %}\n"
            ),
        ),
        Invalid(
            "<a href=\"{{ url('logout') }}\">Log out</a>\n",
            reason="Jinja2: url() global, csrf_input in the rewrite",
            path="jinja2/base.html",
            files=PROJECT,
            lines=(1,),
            fixed=(
                '<form method="post" action="{{ url(\'logout\') }}">{{ csrf_input }}'
                '<button type="submit">Log out</button></form>\n'
            ),
        ),
        Invalid(
            '<form action="/accounts/logout/">\n  <button>Log out</button>\n</form>\n',
            reason="a form without method sends GET to a hard-coded LogoutView path",
            path="templates/nav.html",
            files=PROJECT,
            lines=(1,),
            fixed='<form method="post" action="/accounts/logout/">{% csrf_token %}\n  <button>Log out</button>\n</form>\n',
        ),
        Invalid(
            "{% url 'logout' as logout_url %}\n<a href=\"{{ logout_url }}\">Out</a>\n",
            reason="the URL reaches the link through {% url ... as var %}",
            path="templates/menu.html",
            files=PROJECT,
            lines=(2,),
            django="4.2",
            message="deprecated since Django 4.1",
            fixed=(
                "{% url 'logout' as logout_url %}\n"
                '<form method="post" action="{{ logout_url }}">{% csrf_token %}'
                '<button type="submit">Out</button></form>\n'
            ),
        ),
        Invalid(
            "<a href=\"{% url 'signout' %}\">Sign out</a>\n",
            reason="a project logout view restricted to POST with @require_POST: 405 in every version",
            path="templates/base.html",
            files=ACCOUNTS,
            lines=(1,),
            django="4.2",
            message="only accepts POST",
            fixed=(
                '<form method="post" action="{% url \'signout\' %}">{% csrf_token %}'
                '<button type="submit">Sign out</button></form>\n'
            ),
        ),
        Valid(
            '<form method="post" action="{% url \'logout\' %}">{% csrf_token %}<button type="submit">Log out</button></form>\n',
            reason="already a POST form, as Django's admin does it",
            path="templates/base.html",
            files=PROJECT,
        ),
        Valid(
            '<form id="logout-form" method="post" action="{% url \'logout\' %}">{% csrf_token %}\n'
            '  <a href="{% url \'logout\' %}" onclick="this.parentNode.submit(); return false;">Log out</a>\n'
            "</form>\n",
            reason="a link inside a POST form is that form's submit trigger",
            path="templates/base.html",
            files=PROJECT,
        ),
        Valid(
            "<a href=\"{% url 'login' %}\">Log in</a>\n",
            reason="the URL name resolves to LoginView, not a logout",
            path="templates/base.html",
            files=PROJECT,
        ),
        Valid(
            "<a href=\"{% url 'account_logout' %}\">Log out</a>\n",
            reason="django-allauth's logout shows a confirmation page on GET",
            path="templates/base.html",
            files=ACCOUNTS,
        ),
        Valid(
            "<a href=\"{% url 'bye' %}\">Bye</a>\n",
            reason="the project view logs out on GET: DJV103 reports the view, not its links",
            path="templates/base.html",
            files=ACCOUNTS,
        ),
        Valid(
            "{# <a href=\"{% url 'logout' %}\">Log out</a> #}\n"
            "{% comment %}<a href=\"{% url 'logout' %}\">Log out</a>{% endcomment %}\n"
            "<!-- <a href=\"{% url 'logout' %}\">Log out</a> -->\n",
            reason="commented-out markup is never sent to a browser as a link",
            path="templates/base.html",
            files=PROJECT,
        ),
        Valid(
            '<a href="/accounts/logout/">Log out</a>\n'
            '{% extends "base.html" %}\n'
            "{% block content %}<p>Hi</p>{% endblock %}\n"
            "<a href=\"{% url 'logout' %}\">Log out</a>\n",
            reason="outside every block of a child template: Django never outputs it",
            path="templates/page.html",
            files=PROJECT,
        ),
        Valid(
            "<p>Click logout to end your session; see /accounts/logout/ docs.</p>\n",
            reason="text that merely mentions logout is not a link",
            path="templates/help.html",
            files=PROJECT,
        ),
        Valid(
            "<a href=\"{% url 'logout' %}\">Log out</a>\n",
            reason="no URLconf names 'logout' in this project: djvet cannot know what it is",
            path="templates/base.html",
        ),
        Valid(
            '<form method="post" action="{% url \'logout\' %}">{% csrf_token %}\n'
            '  <button type="submit" formmethod="post">Log out</button>\n'
            "</form>\n",
            reason="a formmethod that says post keeps the POST",
            path="templates/base.html",
            files=PROJECT,
        ),
    )

    def gate(self, ctx: CheckContext) -> bool:
        text = ctx.text
        if "<" not in text:
            return False
        if "href" not in text and "action" not in text:
            lowered = text.lower()  # attribute names are case-insensitive: HREF, formAction
            if "href" not in lowered and "action" not in lowered:
                return False
        # A URL djvet reads is a {% url %} / url() name (a bound variable included) or a
        # literal path: without either, no attribute can point at a logout.
        return "url" in text or may_start_a_literal_path(text)

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        urls = url_index(ctx.project)
        if not any(True for _ in urls.routes):
            return
        version = ctx.django_version
        if not may_reach_a_rejecting_logout_text(ctx.text, ctx.project, urls, version):
            return  # most templates: not even tokenized
        source = ctx.template
        for found in find_get_logouts(source, ctx.project, urls, version):
            element = found.element
            if not source.is_rendered(element.start):
                continue  # outside every block of a child template: never output
            span = source.span(element.start, element.end)
            message = self.message(found, ctx)
            related = []
            route = found.target.route
            if route is not None and route.file and route.span is not None:
                shown = route.name or route.display
                related.append(
                    Related(f"'{shown}' ({route.display}) is routed here", route.span, route.file)
                )
            yield self.finding(
                ctx,
                span,
                message,
                fix=self.fix(ctx, found),
                severity=found.target.severity(version),
                related=related,
                tags=("deprecated",) if found.target.django_logout and version.major == 4 else (),
            )

    def message(self, found: GetLogout, ctx: CheckContext) -> str:
        reference = found.reference
        url = f"'{reference.name}'" if reference.name else (reference.path or "")
        sends = {
            "link": f"This link sends GET to {url}",
            "form": f'This form has no method="post", so it sends GET to {url}',
            "button": f'This button has formmethod="get", so it sends GET to {url}',
        }[found.kind]
        consequence = found.target.consequence(ctx.django_version, _WHAT[found.kind])
        csrf = csrf_markup(ctx.document.kind is SourceKind.JINJA2)
        return f"{sends}: {consequence}. Log out with a POST form and {csrf}."

    def fix(self, ctx: CheckContext, found: GetLogout) -> Fix | None:
        source = ctx.template
        edits: list[Edit] | None
        if found.kind == "link":
            edits = link_rewrite(source, found)
            title = "Replace the link with a POST form and a button"
            applicability = Applicability.UNSAFE
        elif found.kind == "form":
            edits = form_rewrite(source, found)
            title = 'Make the form method="post" with a CSRF token'
            applicability = Applicability.SAFE if found.target.query_moves else Applicability.UNSAFE
        else:
            edits = button_rewrite(source, found, owner_form(source, found))
            title = 'Use formmethod="post" with a CSRF token'
            applicability = Applicability.SAFE if found.target.query_moves else Applicability.UNSAFE
        if not edits or not rewrites_cleanly(source, edits):
            return None
        return Fix(title, applicability, tuple(edits))
