"""The template tokenizer and HTML scanner: Django's lexer as the oracle, exact spans, broken input."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from djvet.core.templates.lexer import TokenKind, tokenize_template
from djvet.core.types import Span

django_base = pytest.importorskip("django.template.base")

CATASTROPHE_GUARD_SECONDS = 5.0  # a backtracking guard, not a performance target (see bench/)


def django_tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for token in django_base.Lexer(text).tokenize():
        kind = token.token_type.name.lower()
        if kind == "text" and out and out[-1][0] == "text":
            out[-1] = ("text", out[-1][1] + token.contents)
        else:
            out.append((kind, token.contents))
    return out


def our_tokens(text: str) -> list[tuple[str, str]]:
    source = tokenize_template(text)
    return [
        ("text", text[t.start : t.end]) if t.kind is TokenKind.TEXT else (t.kind.value, t.contents)
        for t in source.tokens
    ]


DJANGO_CASES = [
    "",
    "plain text",
    "a{{ b }}c",
    "{% url 'logout' %}?next={{ request.path }}",
    "{{{ d }}}",
    "{{{{{{",
    "{% if x %}\n{% endif",
    "{% if\nx %}",  # Django tags do not span lines
    "{# a #}{#\n#}",
    "{% verbatim %}{{ x }}{% url 'y' %}{% endverbatim %}{{ z }}",
    "{% verbatim block %}{% endverbatim %}{% endverbatim block %}{{ after }}",
    "{%%}{{}}{##}",
    "{% a %}}{{ b }}}",
    "x { y } {{ z",
    'href="{% url "logout" %}"',
    "{% comment %}{{ hidden }}{% endcomment %}",
    "\r\n{{ a }}\r{% b %}",
    "{{ 'é' }}ü{% ß %}",
]


@pytest.mark.parametrize("text", DJANGO_CASES)
def test_django_mode_matches_djangos_lexer(text: str) -> None:
    assert our_tokens(text) == django_tokens(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*"{}%# \nab'\"-", "{%", "%}", "{{", "}}", "{#", "#}", "verbatim", "endverbatim"]
        ),
        max_size=40,
    ).map("".join)
)
def test_django_mode_matches_djangos_lexer_on_random_text(text: str) -> None:
    assert our_tokens(text) == django_tokens(text)


def test_tokens_cover_the_text_and_spans_are_exact() -> None:
    text = "<p>é</p>\n  {% url 'logout' %}\r\n{{ x }}"
    source = tokenize_template(text)
    assert "".join(text[t.start : t.end] for t in source.tokens) == text
    url = next(t for t in source.tokens if t.kind is TokenKind.BLOCK)
    assert source.span(url.start, url.end) == Span(1, 2, 1, 20)
    var = next(t for t in source.tokens if t.kind is TokenKind.VAR)
    assert source.span(var.start, var.end) == Span(2, 0, 2, 7)
    assert url.tag_name == "url"


def test_comment_regions_hide_code_tokens() -> None:
    text = "{# {% url 'a' %} #}{% comment 'why' %}{% url 'b' %}{% endcomment %}{% url 'c' %}"
    source = tokenize_template(text)
    assert [t.contents for t in source.code_tokens] == ["url 'c'"]
    assert source.in_comment(text.index("'b'"))
    assert not source.in_comment(text.index("'c'"))
    assert not source.errors


def test_unclosed_comment_and_verbatim_are_reported() -> None:
    assert tokenize_template("{% comment %} never closed").errors
    assert tokenize_template("{% verbatim %} never closed").errors
    assert not tokenize_template("{% verbatim %}{% endverbatim %}").errors


# -- Jinja2 ---------------------------------------------------------------------------------


def test_jinja_whitespace_control_multiline_and_strings() -> None:
    text = '{%- if x -%}\n{{- url("a}}b") -}}{{ {"k": {"n": 1}} }}{% set u =\n url(\'logout\') %}'
    source = tokenize_template(text, jinja=True)
    kinds = [(t.kind, t.contents) for t in source.tokens if t.kind is not TokenKind.TEXT]
    assert kinds == [
        (TokenKind.BLOCK, "if x"),
        (TokenKind.VAR, 'url("a}}b")'),
        (TokenKind.VAR, '{"k": {"n": 1}}'),
        (TokenKind.BLOCK, "set u =\n url('logout')"),
    ]
    assert not source.errors


def test_jinja_raw_and_comments() -> None:
    text = "{% raw %}{{ not_a_var }}{% endraw %}{#- multi\nline -#}{{ real }}"
    source = tokenize_template(text, jinja=True)
    assert [t.contents for t in source.code_tokens] == ["raw", "endraw", "real"]
    assert source.comments and not source.errors


def test_jinja_unclosed_tag_is_an_error_not_an_exception() -> None:
    source = tokenize_template('{{ "unclosed }}\n<a href="/x/">x</a>', jinja=True)
    assert source.errors
    assert [e.name for e in source.html.elements] == ["a"]


def test_jinja_mode_agrees_with_jinja2() -> None:
    jinja2 = pytest.importorskip("jinja2")
    text = '{%- if a -%}x{{ "}}" }}{# c #}{% raw %}{{ r }}{% endraw %}{{ b|e }}{% endif %}'
    theirs = [
        TokenKind.VAR if kind == "variable_begin" else TokenKind.BLOCK
        for _, kind, _ in jinja2.Environment().lex(text)
        if kind in ("variable_begin", "block_begin")
    ]
    ours = [
        t.kind
        for t in tokenize_template(text, jinja=True).code_tokens
        if t.contents not in ("raw", "endraw")  # Jinja lexes a raw block as one data token
    ]
    assert ours == theirs


# -- HTML ------------------------------------------------------------------------------------


def attrs(text: str, index: int = 0, jinja: bool = False) -> dict[str, str | None]:
    source = tokenize_template(text, jinja=jinja)
    element = source.html.elements[index]
    return {
        a.name: (text[a.value_start : a.value_end] if a.has_value else None)
        for a in element.attributes
    }


def test_attribute_values_keep_template_tags_with_quotes() -> None:
    assert attrs('<a href="{% url "logout" %}?next={{ request.path }}" class=nav>') == {
        "href": '{% url "logout" %}?next={{ request.path }}',
        "class": "nav",
    }
    assert attrs("<a href={% url 'x' as y %} hidden data-x='a\"b'>") == {
        "href": "{% url 'x' as y %}",
        "hidden": None,
        "data-x": 'a"b',
    }


def test_template_between_attributes_marks_the_tag_templated() -> None:
    source = tokenize_template('<a {% if on %}class="on"{% endif %} href="/x/">')
    element = source.html.elements[0]
    assert element.templated
    assert element.attr("href") is not None


def test_comments_and_raw_text_hold_no_elements() -> None:
    text = (
        "<!-- <a href=x> --><script>var s = '<a href=y>';</script>"
        "{# <a href=z> #}{% comment %}<a href=w>{% endcomment %}<b>ok</b>"
    )
    source = tokenize_template(text)
    assert [e.name for e in source.html.elements] == ["script", "b"]
    assert source.html.comments == [(0, text.index("<script>"))]


def test_form_nesting_and_end_tags() -> None:
    text = (
        '<div><form method="post" action="/a/"><p><a href="/b/">b</a></p>'
        "<button>x</button></form><a href='/c/'>c</a></div>"
    )
    source = tokenize_template(text)
    elements = {(e.name, e.start): e for e in source.html.elements}
    form = next(e for e in source.html.elements if e.name == "form")
    first_a, second_a = [e for e in source.html.elements if e.name == "a"]
    button = next(e for e in source.html.elements if e.name == "button")
    assert first_a.form == form.index and button.form == form.index
    assert second_a.form is None
    assert form.close_start == text.index("</form>")
    assert first_a.close_start == text.index("</a>")
    assert source.html.elements[second_a.parent].name == "div"
    assert len(elements) == 6


def test_conditional_forms_are_alternatives() -> None:
    text = '{% if a %}<form method="post">{% else %}<form>{% endif %}<a href="/x/">x</a></form>'
    source = tokenize_template(text)
    link = next(e for e in source.html.elements if e.name == "a")
    assert len(link.forms_open) == 2


def test_implied_end_tags() -> None:
    source = tokenize_template("<ul><li>a<li><a href='/x/'>x</a></ul><p>one<div>two</div>")
    link = next(e for e in source.html.elements if e.name == "a")
    assert source.html.elements[link.parent].name == "li"
    div = next(e for e in source.html.elements if e.name == "div")
    assert div.parent is None  # <div> closes the open <p>


def test_broken_html_does_not_raise() -> None:
    for text in [
        '<a href="never closed',
        "<a <a <a",
        "<",
        "</",
        "<!-- x",
        "<script>x",
        "\x00\xff<\x01a",
    ]:
        source = tokenize_template(text)
        assert isinstance(source.html.elements, list)


# -- adversarial input: every scan is linear ---------------------------------------------------

MEGABYTE = 1_000_000
ADVERSARIAL = {
    "braces": "{{" * (MEGABYTE // 2),
    "percent": "{%" * (MEGABYTE // 2),
    "open tags": "<a " * (MEGABYTE // 3),
    "quotes": '"' * MEGABYTE,
    "attr quotes": '<a href="' + '"' * MEGABYTE,
    "unclosed if per line": "{% if x\n" * (MEGABYTE // 8),
    "opening braces per line": "{{ x\n" * (MEGABYTE // 5),
    "comments": "<!--" * (MEGABYTE // 4),
    "nested divs": "<div>" * (MEGABYTE // 5) + "</span>" * (MEGABYTE // 7),
    "forms": "<form>" * (MEGABYTE // 6),
    "binary": bytes(range(256)).decode("latin-1") * (MEGABYTE // 256),
    "tags in values": '<a href="' + "{{ x }}" * (MEGABYTE // 7) + '">',
}


@pytest.mark.parametrize("jinja", [False, True], ids=["django", "jinja2"])
@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_input_finishes(name: str, jinja: bool) -> None:
    text = ADVERSARIAL[name]
    started = time.perf_counter()
    source = tokenize_template(text, jinja=jinja)
    html = source.html
    elapsed = time.perf_counter() - started
    assert elapsed < CATASTROPHE_GUARD_SECONDS, f"{name}: {elapsed:.1f}s"
    assert sum(t.end - t.start for t in source.tokens) == len(text) or source.errors
    assert isinstance(html.elements, list)


def test_jinja_unclosed_strings_stay_linear() -> None:
    text = '{{ "\n' * (MEGABYTE // 5)
    started = time.perf_counter()
    source = tokenize_template(text, jinja=True)
    assert time.perf_counter() - started < CATASTROPHE_GUARD_SECONDS
    assert source.errors
