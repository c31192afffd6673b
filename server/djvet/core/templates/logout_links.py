"""Find the markup in a template that makes a browser send GET to a logout, and rewrite it to POST.

A JavaScript-less browser sends GET for ``<a href>`` / ``<area href>``, for a ``<form>`` whose
method is missing, ``get`` or invalid, and for a submit button with ``formmethod="get"``.
Each such URL is resolved through the project's URL index (``core/django/urls.py``) and
classified (``core/django/logout.py``); only targets that reject or deprecate GET count.
Links inside a ``<form method="post">`` are the form's own JavaScript trigger and are left
alone, as are commented-out markup and HTML comments (the scanner never reports them).

The rewrite is the markup Django's admin uses since 4.1::

    <form method="post" action="{% url 'logout' %}">{% csrf_token %}<button type="submit">Log out</button></form>

The link's inner HTML becomes the button's content, its ``class``/``id``/``title``/``style``/
``role``/``data-*``/``aria-*``/event-handler attributes move to the button, ``target`` moves to
the form, and every query parameter becomes a hidden input (Django's logout views read
``next`` from the POST body first; a query string left on a POST logout URL makes LogoutView
redirect to the bare URL, which is GET again). A rewrite is offered only when the result is
valid HTML: no form inside another form, a parent that may hold a form, phrasing content
inside the button, and every attribute accounted for.
"""

from __future__ import annotations

import html as html_lib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote_plus

from packaging.version import Version

from ..django.logout import (
    Behaviour,
    LogoutTarget,
    rejecting_urls,
    target_for_name,
    target_for_path,
)
from ..django.urls import UrlIndex
from ..project import ProjectIndex
from ..text import LineIndex
from ..types import Edit
from .html import Attribute, Element, HtmlDocument
from .lexer import TemplateSource, Token, TokenKind, tokenize_template
from .links import (
    QueryPart,
    UrlBindings,
    UrlReference,
    query_params,
    url_names_in,
    url_reference,
    url_tag_target,
)

# Elements that may contain a <form> (flow content) — None (a template's top level) too.
FLOW_PARENTS = frozenset(
    {
        "li", "div", "nav", "td", "th", "dd", "dt", "body", "main", "section", "article", "aside",
        "header", "footer", "details", "dialog", "fieldset", "figure", "figcaption", "blockquote",
        "template", "center", "search", "noscript",
    }
)  # fmt: skip
# Phrasing, non-interactive content a <button> may hold (svg/math subtrees are fine too).
BUTTON_CONTENT = frozenset(
    {
        "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del", "dfn", "em", "i", "img",
        "ins", "kbd", "mark", "picture", "q", "s", "samp", "small", "source", "span", "strong",
        "sub", "sup", "time", "u", "var", "wbr", "svg", "math", "font", "big", "tt",
    }
)  # fmt: skip
TO_BUTTON = frozenset(
    {"class", "id", "title", "style", "role", "tabindex", "accesskey", "lang", "dir", "hidden"}
)
TO_FORM = frozenset({"target"})
DROPPED = frozenset({"href", "rel", "hreflang", "type", "referrerpolicy", "ping"})
_SUBMIT_INPUT_TYPES = frozenset({"submit", "image"})


@dataclass(frozen=True)
class GetLogout:
    """Markup that sends GET to a logout that rejects or deprecates it."""

    kind: str  # "link" | "form" | "button"
    element: Element
    reference: UrlReference
    target: LogoutTarget
    method_attribute: Attribute | None  # the form's method / the button's formmethod, when written
    slash_added: bool = False  # a literal path that reaches the logout only through APPEND_SLASH


def literal(source: TemplateSource, attribute: Attribute | None) -> str | None:
    """An attribute's value when it holds no template construct (entities decoded)."""
    if attribute is None or not attribute.has_value:
        return "" if attribute is not None else None
    if source.tokens_between(attribute.value_start, attribute.value_end):
        return None
    if source.comments_between(attribute.value_start, attribute.value_end):
        return None
    return html_lib.unescape(source.text[attribute.value_start : attribute.value_end])


def form_method(source: TemplateSource, form: Element) -> str | None:
    """ "post", "get" or "dialog" as a browser reads the form's method; None when templated."""
    attribute = form.attr("method")
    if attribute is None:
        return "get"
    value = literal(source, attribute)
    if value is None:
        return None
    value = value.strip().lower()
    return value if value in ("post", "dialog") else "get"  # a missing or invalid value is GET


class _Finder:
    def __init__(
        self, source: TemplateSource, project: ProjectIndex, urls: UrlIndex, version: Version
    ) -> None:
        self.source = source
        self.project = project
        self.urls = urls
        self.version = version
        self.document: HtmlDocument = source.html
        self.bindings = UrlBindings(source)
        self.submitters: dict[int, list[Element]] = {}  # form index -> its submit buttons
        for element in self.document.elements:
            if (
                element.form is not None
                and not element.attr("form")
                and self._is_submitter(element)
            ):
                self.submitters.setdefault(element.form, []).append(element)

    def target(self, attribute: Attribute | None) -> tuple[UrlReference, LogoutTarget] | None:
        if attribute is None or not attribute.has_value:
            return None
        reference = url_reference(
            self.source, self.bindings, attribute.value_start, attribute.value_end
        )
        if reference is None:
            return None
        if reference.name is not None:
            target = target_for_name(
                self.project,
                self.urls,
                reference.name,
                reference.has_args,
                self.version,
                logouts_only=True,
            )
        elif reference.path is not None:
            target = target_for_path(
                self.project, self.urls, reference.path, self.version, logouts_only=True
            )
        else:
            return None
        if target.behaviour is not Behaviour.REJECTS:
            return None
        return reference, target

    def owner(self, element: Element) -> Element | bool | None:
        """The form a submit button belongs to (False: cannot tell)."""
        form_id = element.attr("form")
        if form_id is not None:
            value = literal(self.source, form_id)
            if value is None:
                return False
            found = [e for e in self.document.by_id(value, self.source.text) if e.name == "form"]
            return found[0] if len(found) == 1 else False
        if len(element.forms_open) > 1:
            methods = {
                form_method(self.source, self.document.elements[i]) for i in element.forms_open
            }
            if len(methods) > 1:
                return False
        return self.document.elements[element.form] if element.form is not None else None

    def slash(self, reference: UrlReference) -> bool:
        return reference.path is not None and self.urls.redirected(reference.path)

    def in_post_form(self, element: Element) -> bool:
        return any(
            form_method(self.source, self.document.elements[i]) == "post"
            for i in element.forms_open
        )

    def run(self) -> Iterator[GetLogout]:
        for element in self.document.elements:
            if element.in_foreign:
                continue
            if element.name in ("a", "area"):
                found = self.target(element.attr("href"))
                if found is not None and not self.in_post_form(element):
                    yield GetLogout("link", element, found[0], found[1], None, self.slash(found[0]))
            elif element.name == "form":
                if form_method(self.source, element) != "get":
                    continue
                found = self.target(element.attr("action"))
                if found is not None and not self._all_submitters_post(element):
                    yield GetLogout(
                        "form",
                        element,
                        found[0],
                        found[1],
                        element.attr("method"),
                        self.slash(found[0]),
                    )
            elif self._is_submitter(element):
                yield from self._button(element)

    def _is_submitter(self, element: Element) -> bool:
        if element.name == "button":
            if element.attr("type") is None:
                return True
            kind = literal(self.source, element.attr("type"))
            return kind is not None and kind.strip().lower() not in (
                "button",
                "reset",
            )  # invalid: submit
        if element.name == "input":
            kind = literal(self.source, element.attr("type"))
            return kind is not None and kind.strip().lower() in _SUBMIT_INPUT_TYPES
        return False

    def _button(self, element: Element) -> Iterator[GetLogout]:
        formmethod = element.attr("formmethod")
        formaction = element.attr("formaction")
        if formmethod is None and formaction is None:
            return  # it follows its form, reported (or not) as the form
        owner = self.owner(element)
        if owner is False:
            return
        form = owner if isinstance(owner, Element) else None
        if formmethod is not None:
            value = literal(self.source, formmethod)
            if value is None:
                return
            method = value.strip().lower()
            method = method if method in ("post", "dialog") else "get"
        else:
            if form is None:
                return
            method_of_form = form_method(self.source, form)
            if method_of_form is None:
                return
            method = method_of_form
        if method != "get":
            return
        action = (
            formaction
            if formaction is not None
            else (form.attr("action") if form is not None else None)
        )
        found = self.target(action)
        if found is not None:
            yield GetLogout("button", element, found[0], found[1], formmethod, self.slash(found[0]))

    def _all_submitters_post(self, form: Element) -> bool:
        submitters = self.submitters.get(form.index, [])
        if not submitters:
            return False
        return all(
            (literal(self.source, e.attr("formmethod")) or "").strip().lower() == "post"
            for e in submitters
        )


_BLANKS = " \t\n\r\f"  # what the HTML scanner skips around "=" and url_reference strips


def may_start_a_literal_path(text: str) -> bool:
    """True when some ``=`` is followed (after blanks, an optional quote and blanks) by ``/``,
    an entity (``&sol;``) or a template comment (dropped from an attribute value).

    One pass: each ``=`` looks ahead only to the first character that is not a blank.
    """
    length = len(text)
    equals = text.find("=")
    while equals >= 0:
        position = equals + 1
        while position < length and text[position] in _BLANKS:
            position += 1
        if position < length and text[position] in "\"'":
            position += 1
            while position < length and text[position] in _BLANKS:
                position += 1
        if position < length:
            char = text[position]
            if char in "/&" or text.startswith("{#", position):
                return True
            if text.startswith("{%", position):
                inner = position + 2
                while inner < length and (text[inner] in "-+" or text[inner].isspace()):
                    inner += 1
                if text.startswith("comment", inner):
                    return True
        equals = text.find("=", equals + 1)
    return False


def may_reach_a_rejecting_logout_text(
    text: str, project: ProjectIndex, urls: UrlIndex, version: Version
) -> bool:
    """``may_reach_a_rejecting_logout`` answered from the raw text, before tokenizing it.

    False only when that answers False: the same literal-path test, and every URL name it
    classifies is among ``url_names_in(text)``, classified here with and without arguments.
    Each of those names is a stretch of ``text``: when ``rejecting_urls`` knows every name
    that can classify REJECTS and none is in the text, no name needs classifying.
    """
    known = rejecting_urls(project, urls, version)
    if known is not None and not any(name in text for name in known.names):
        return may_start_a_literal_path(text)
    if may_start_a_literal_path(text):
        return True
    for name in url_names_in(text):
        for has_args in (False, True):
            target = target_for_name(project, urls, name, has_args, version, logouts_only=True)
            if target.behaviour is Behaviour.REJECTS:
                return True
    return False


def may_reach_a_rejecting_logout(
    source: TemplateSource, project: ProjectIndex, urls: UrlIndex, version: Version
) -> bool:
    """False when no attribute of the template can point at a GET-rejecting logout.

    ``url_reference`` knows two kinds of URL: a name from a ``{% url %}`` tag or Jinja ``url()``
    (directly or through a variable bound by one), and a literal path. Every name comes from a
    code token, so each is classified here; a literal path needs an attribute value starting
    with ``/`` (or an entity, after blanks and template comments), which the text shows.
    """
    if may_start_a_literal_path(source.text):
        return True
    for token in source.code_tokens:
        found = url_tag_target(token, source.jinja)
        if found is None:
            continue
        target = target_for_name(project, urls, found[0], found[1], version, logouts_only=True)
        if target.behaviour is Behaviour.REJECTS:
            return True
    return False


def find_get_logouts(
    source: TemplateSource, project: ProjectIndex, urls: UrlIndex, version: Version
) -> list[GetLogout]:
    """Every link, form and button in the template that sends GET to a GET-rejecting logout."""
    if not may_reach_a_rejecting_logout(source, project, urls, version):
        return []  # most templates: no HTML scan at all
    return list(_Finder(source, project, urls, version).run())


# ---------------------------------------------------------------------------------------------
# Rewrites
# ---------------------------------------------------------------------------------------------


def csrf_markup(jinja: bool) -> str:
    return "{{ csrf_input }}" if jinja else "{% csrf_token %}"


def _strip_urlencode(source: TemplateSource, token: Token) -> str:
    """``{{ request.path|urlencode }}`` -> ``{{ request.path }}``: a form field is not URL-encoded."""
    text = source.text[token.start : token.end]
    if token.kind is not TokenKind.VAR:
        return text
    contents = token.contents
    head, bar, last = contents.rpartition("|")
    name = last.split(":", 1)[0].split("(", 1)[0].strip()
    if bar and name in ("urlencode", "iriencode") and head.strip():
        return "{{ " + head.strip() + " }}"
    return text


def hidden_value(source: TemplateSource, parts: list[QueryPart]) -> str:
    out = []
    for part in parts:
        if part.token is None:
            out.append(html_lib.escape(unquote_plus(part.text), quote=True))
        else:
            out.append(_strip_urlencode(source, part.token))
    return "".join(out)


def hidden_inputs(source: TemplateSource, get_logout: GetLogout) -> str | None:
    """The hidden inputs replacing the URL's query string ("" without one; None: cannot)."""
    query = get_logout.reference.query
    if not query:
        return ""
    if not get_logout.target.query_moves:
        return None
    params = query_params(source, query)
    if params is None:
        return None
    out = []
    for name, value in params:
        if not name:
            return None
        field_name = html_lib.escape(unquote_plus(name), quote=True)
        out.append(
            f'<input type="hidden" name="{field_name}" value="{hidden_value(source, value)}">'
        )
    return "".join(out)


def _attribute_home(name: str) -> str | None:
    """Where a link attribute goes in the rewrite: "button", "form", "drop"; None: nowhere valid."""
    if (
        name in TO_BUTTON
        or name.startswith(("data-", "aria-"))
        or (name.startswith("on") and name.isalpha())
    ):
        return "button"
    if name in TO_FORM:
        return "form"
    if name in DROPPED:
        return "drop"
    return None


def link_rewrite(source: TemplateSource, get_logout: GetLogout) -> list[Edit] | None:
    """Edits turning ``<a href=logout>…</a>`` into a POST form with a button, or None."""
    element = get_logout.element
    document = source.html
    if element.name != "a" or element.close_start < 0 or element.templated or element.forms_open:
        return None
    if get_logout.reference.fragment:
        return None
    parent = document.elements[element.parent] if element.parent is not None else None
    if parent is not None and parent.name not in FLOW_PARENTS:
        return None
    for inner in document.inside(element.end, element.close_start):
        if inner.in_foreign:
            continue
        if inner.name not in BUTTON_CONTENT:
            return None
        if inner.close_start < 0 and inner.name not in ("br", "img", "wbr", "source"):
            return None
        if inner.close_end > element.close_start:
            return None
    hidden = hidden_inputs(source, get_logout)
    if hidden is None:
        return None
    text = source.text
    to_button: list[str] = []
    to_form: list[str] = []
    seen: set[str] = set()
    for attribute in element.attributes:
        if attribute.name in seen:
            continue  # browsers ignore a repeated attribute; so does the rewrite
        seen.add(attribute.name)
        home = _attribute_home(attribute.name)
        if home is None:
            return None
        if home == "button":
            to_button.append(" " + text[attribute.start : attribute.end])
        elif home == "form":
            to_form.append(" " + text[attribute.start : attribute.end])
    action = text[get_logout.reference.base_start : get_logout.reference.base_end]
    if get_logout.slash_added:
        action += "/"  # a POST must not go through APPEND_SLASH's redirect (it would become GET)
    opening = (
        f'<form method="post" action="{action}"{"".join(to_form)}>'
        f"{csrf_markup(source.jinja)}{hidden}"
        f'<button type="submit"{"".join(to_button)}>'
    )
    return [
        Edit(source.span(element.start, element.end), opening),
        Edit(source.span(element.close_start, element.close_end), "</button></form>"),
    ]


def _has_csrf(source: TemplateSource, form: Element) -> bool:
    end = form.close_start if form.close_start >= 0 else len(source.text)
    for token in source.tokens_between(form.end, end):
        if token.kind is TokenKind.BLOCK and token.tag_name == "csrf_token":
            return True
        if token.kind is TokenKind.VAR and token.contents.split("|")[0].strip() in (
            "csrf_input",
            "csrf_token",
        ):
            return True
    return False


def _csrf_edit(source: TemplateSource, form: Element) -> Edit | None:
    if _has_csrf(source, form):
        return None
    point = source.span(form.end, form.end)
    return Edit(point, csrf_markup(source.jinja))


def form_rewrite(source: TemplateSource, get_logout: GetLogout) -> list[Edit] | None:
    """Edits making a GET form POST, with a CSRF token; None when the action has a query."""
    form = get_logout.element
    if get_logout.reference.query is not None or form.templated:
        return None
    edits: list[Edit] = []
    if get_logout.slash_added:
        end = get_logout.reference.base_end
        edits.append(Edit(source.span(end, end), "/"))
    method = form.attr("method")
    if method is not None:
        edits.append(Edit(source.span(method.start, method.end), 'method="post"'))
    else:
        after_name = form.start + 1 + len("form")
        edits.append(Edit(source.span(after_name, after_name), ' method="post"'))
    csrf = _csrf_edit(source, form)
    if csrf is not None:
        edits.append(csrf)
    return edits


def button_rewrite(
    source: TemplateSource, get_logout: GetLogout, form: Element | None
) -> list[Edit] | None:
    """``formmethod="get"`` -> ``formmethod="post"`` (later duplicates removed; added when the
    button only had a ``formaction``), and a CSRF token in its form."""
    button = get_logout.element
    if form is None or button.templated:
        return None
    if get_logout.reference.query is not None or get_logout.slash_added:
        return None
    first = get_logout.method_attribute
    if first is None:
        after_name = button.start + 1 + len(button.name)
        edits = [Edit(source.span(after_name, after_name), ' formmethod="post"')]
    else:
        edits = [Edit(source.span(first.start, first.end), 'formmethod="post"')]
    text = source.text
    for attribute in button.attributes:
        if attribute.name == "formmethod" and attribute is not first:
            start = attribute.start
            while start > button.start and text[start - 1] in " \t\r\n\f":
                start -= 1
            edits.append(Edit(source.span(start, attribute.end), ""))
    csrf = _csrf_edit(source, form)
    if csrf is not None:
        edits.append(csrf)
    return edits


def owner_form(source: TemplateSource, get_logout: GetLogout) -> Element | None:
    """The form a reported button submits (for its rewrite)."""
    element = get_logout.element
    if element.attr("form") is not None:
        value = literal(source, element.attr("form"))
        found = [e for e in source.html.by_id(value or "", source.text) if e.name == "form"]
        return found[0] if len(found) == 1 else None
    return (
        source.html.elements[element.form]
        if element.form is not None and len(element.forms_open) == 1
        else None
    )


def rewrites_cleanly(source: TemplateSource, edits: list[Edit]) -> bool:
    """The rewritten stretch tokenizes and scans with no more problems than before.

    Only the stretch the edits touch (a start tag to its end tag) is re-read, so checking one
    rewrite costs the size of the element, not of the template.
    """
    from ..text import apply_edits

    lines = source.lines
    offsets = [
        (lines.offset(e.span.line, e.span.column), lines.offset(e.span.end_line, e.span.end_column))
        for e in edits
    ]
    # From the start of the first edited line to the end of the last: a template tag never
    # spans lines in Django, and an unclosed ``{%`` earlier on the line could otherwise pair
    # with the ``%}`` of an inserted ``{% csrf_token %}`` (found by the typing fuzz test).
    low = source.text.rfind("\n", 0, min(start for start, _ in offsets)) + 1
    high = source.text.find("\n", max(end for _, end in offsets))
    if high < 0:
        high = len(source.text)
    before = source.text[low:high]
    shifted = [
        Edit(LineIndex(before).span(start - low, end - low), edit.text)
        for (start, end), edit in zip(offsets, edits, strict=True)
    ]
    try:
        after = apply_edits(before, shifted)
    except ValueError:
        return False
    old = tokenize_template(before, jinja=source.jinja)
    new = tokenize_template(after, jinja=source.jinja)
    if len(new.errors) > len(old.errors):
        return False
    # Every tag is still itself, and each inserted tag stands alone: the tags after the
    # rewrite are those before, less the ones in replaced text, plus the inserted ones.
    expected = _tags(old)
    for (start, end), edit in zip(offsets, edits, strict=True):
        expected -= _tags(tokenize_template(source.text[start:end], jinja=source.jinja))
        expected += _tags(tokenize_template(edit.text, jinja=source.jinja))
    if _tags(new) != expected:
        return False
    return len(new.html.errors) <= len(old.html.errors)


def _tags(source: TemplateSource) -> Counter[tuple[TokenKind, str]]:
    return Counter((t.kind, t.contents) for t in source.tokens if t.kind is not TokenKind.TEXT)
