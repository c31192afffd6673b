"""``find_get_logouts``' early exit: a template it skips has nothing a full scan would report.

``may_reach_a_rejecting_logout`` looks at the template's url tags and, for literal paths, at
the text; a template it clears is never HTML-scanned. Checked on hand-made near misses (each
with its reason), on must-report links reached only through the harder spellings (entities,
bound variables, comments before the path), and on thousands of generated templates against
the full scan.
"""

from __future__ import annotations

import random

import pytest
from packaging.version import Version

from djvet.core.django.urls import url_index
from djvet.core.project import in_memory_project
from djvet.core.templates.lexer import tokenize_template
from djvet.core.templates.links import url_names_in, url_tag_target
from djvet.core.templates.logout_links import (
    _Finder,
    find_get_logouts,
    may_reach_a_rejecting_logout,
    may_reach_a_rejecting_logout_text,
)

V52 = Version("5.2")
URLS = """\
from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("out/", LogoutView.as_view(), name="out"),
]
"""
PROJECT = in_memory_project({"urls.py": URLS})
INDEX = url_index(PROJECT)


def found(markup: str, jinja: bool = False) -> list[str]:
    source = tokenize_template(markup, jinja=jinja)
    return [g.kind for g in find_get_logouts(source, PROJECT, INDEX, V52)]


def skipped(markup: str, jinja: bool = False) -> bool:
    source = tokenize_template(markup, jinja=jinja)
    return not may_reach_a_rejecting_logout(source, PROJECT, INDEX, V52)


@pytest.mark.parametrize(
    ("markup", "jinja"),
    [
        ("<a href=\"{% url 'logout' %}\">Log out</a>", False),
        ('<a href="&sol;accounts&sol;logout&sol;">Log out</a>', False),
        ('<a href = " {# old #} /out/">Log out</a>', False),
        ("<a href='{% comment %}x{% endcomment %}/out/'>Log out</a>", False),
        ("{% url 'admin:logout' as bye %}<a href=\"{{ bye }}\">Log out</a>", False),
        ("{% set bye = url('logout') %}<a href=\"{{ bye }}?next=/\">Log out</a>", True),
        ('<form action=/out/><button>Log out</button></form>', False),
    ],
    ids=["url-tag", "entities", "comment-before-path", "comment-tag", "bound-name", "jinja-set", "unquoted-form"],
)  # fmt: skip
def test_harder_spellings_are_still_scanned_and_reported(markup: str, jinja: bool) -> None:
    assert not skipped(markup, jinja)
    assert found(markup, jinja) in (["link"], ["form"])


@pytest.mark.parametrize(
    ("markup", "reason"),
    [
        ("<a href=\"{% url 'login' %}\">Log in</a>", "the login page accepts GET"),
        ('<a href="{{ next_url }}">Next</a>', "an unknown variable is no URL djvet can read"),
        ("<p>{% url 'logout' as bye %}</p>", "a bound name that no attribute uses: still scanned"),
        ('<a href="https://example.com/accounts/logout/">x</a>', "another site's logout"),
        ("<img src=\"{% url 'login' %}\">", "no logout named anywhere"),
    ],
)
def test_templates_without_a_rejecting_target_report_nothing(markup: str, reason: str) -> None:
    """Reason per case; the skip may be conservative (third case) but never loses a finding."""
    assert found(markup) == [], reason
    if "logout" not in markup:
        assert skipped(markup), reason


def test_skip_agrees_with_the_full_scan_on_generated_templates() -> None:
    """Whenever the early exit says no, the full scan finds nothing either."""
    pieces = [
        "<a", "<area", "<form", "<button", "<input type=submit", " href", " action",
        " formaction", " formmethod=get", " method=post", "=", '"', "'", " ", "\n", ">", "</a>",
        "</form>", "/accounts/logout/", "/out/", "&sol;out&sol;", "&#47;out/",
        "{% url 'logout' %}", "{% url \"admin:logout\" %}", "{% url 'out' as u %}", "{{ u }}",
        "{{ url('logout') }}", "{% set v = url('out') %}", "{{ v }}", "{# c #}",
        "{% comment %}", "{% endcomment %}", "?next=/", "#x", "{% url 'login' %}", "x", "\v",
        "\xa0", "\t", "{%- comment %}", "{%comment%}",
    ]  # fmt: skip
    rng = random.Random(20261124)
    cleared = 0
    for _ in range(3000):
        markup = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 25)))
        for jinja in (False, True):
            source = tokenize_template(markup, jinja=jinja)
            if may_reach_a_rejecting_logout(source, PROJECT, INDEX, V52):
                continue
            cleared += 1
            assert list(_Finder(source, PROJECT, INDEX, V52).run()) == [], markup
    assert cleared > 1000


# ---------------------------------------------------------------------------------------------
# The text test before tokenizing: ``url_names_in`` and ``may_reach_a_rejecting_logout_text``
# ---------------------------------------------------------------------------------------------


def _token_names(markup: str, jinja: bool) -> set[str]:
    source = tokenize_template(markup, jinja=jinja)
    found = (url_tag_target(token, jinja) for token in source.code_tokens)
    return {f[0] for f in found if f is not None}


URL_PIECES = [
    "{%", "%}", "{{", "}}", "{#", "#}", "url", "url(", ")", " ", "\t", "\n", "\xa0", "\u2003",
    "'", '"', "logout", "admin:logout", "out", "x y", "as", "v", "set", "=", ",", "pk=1",
    "-", "+", "{% verbatim %}", "{% endverbatim %}", "{% comment %}", "{% endcomment %}",
    "{% url 'logout' %}", "{{ url('out') }}", "{% set v = url(\"logout\") %}", "|safe",
]  # fmt: skip


def test_url_names_in_holds_every_name_the_tokens_give() -> None:
    """On generated templates (both dialects), every name ``url_tag_target`` returns for a
    code token is among the names read from the raw text."""
    rng = random.Random(1124)
    named = 0
    for _ in range(4000):
        markup = "".join(rng.choice(URL_PIECES) for _ in range(rng.randint(1, 30)))
        for jinja in (False, True):
            names = _token_names(markup, jinja)
            named += bool(names)
            assert names <= url_names_in(markup), (markup, jinja)
    assert named > 500


@pytest.mark.parametrize(
    ("markup", "jinja"),
    [
        ("{% url 'x %} <a href=\"{% url 'logout' %}\">out</a>", False),
        ("<a href=\"{%\turl\u2003'logout' %}\">out</a>", False),
        ("<a href=\"{{ url(\n  'logout'\n) }}\">out</a>", True),
        ('{% set bye = url( "admin:logout" ) %}<a href="{{ bye }}">out</a>', True),
        ("<a href=\"{% url 'admin:logout' as bye %}{{ bye }}\">out</a>", False),
    ],
    ids=["after-an-unclosed-literal", "unicode-blanks", "jinja-multiline", "jinja-set", "bound"],
)
def test_text_test_keeps_names_in_hard_spellings(markup: str, jinja: bool) -> None:
    """Every one of these reaches a GET-rejecting logout: the text test must not clear it."""
    assert may_reach_a_rejecting_logout_text(markup, PROJECT, INDEX, V52)
    assert not skipped(markup, jinja)


@pytest.mark.parametrize(
    ("markup", "reason"),
    [
        ("<a href=\"{% url 'login' %}\">in</a>", "a name that accepts GET"),
        ('<a href="{% url logout %}">out</a>', "a variable, not a literal name"),
        ("<a href=\"{% url 'nowhere' %}\">x</a>", "a name no route has"),
        ('<a href="{{ next }}">x</a>', "no url tag at all"),
        ("<p>logout</p><a href=\"{% url 'login' %}\">in</a>", "the word alone is no URL"),
        ("<a href=\"{% url 'password_change' %}\">pw</a>", "another auth view"),
    ],
)
def test_text_test_clears_templates_without_a_rejecting_name(markup: str, reason: str) -> None:
    assert not may_reach_a_rejecting_logout_text(markup, PROJECT, INDEX, V52), reason
    assert skipped(markup), reason  # the token test agrees


def test_text_test_never_clears_what_the_token_test_keeps() -> None:
    """On the generated templates of the scan test above: a template the text test clears is
    one the token test clears too."""
    pieces = [
        "<a", " href", "=", '"', "'", " ", "\n", ">", "</a>", "/accounts/logout/", "/out/",
        "{% url 'logout' %}", "{% url \"admin:logout\" %}", "{% url 'out' as u %}", "{{ u }}",
        "{{ url('logout') }}", "{% set v = url('out') %}", "{# c #}", "{% comment %}",
        "{% endcomment %}", "{% url 'login' %}", "{% url 'x %}", "x", "\t", "\xa0",
        "{%verbatim%}", "{%endverbatim%}", "{{url(", "'logout')}}",
    ]  # fmt: skip
    rng = random.Random(42)
    cleared = 0
    for _ in range(3000):
        markup = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 25)))
        if may_reach_a_rejecting_logout_text(markup, PROJECT, INDEX, V52):
            continue
        cleared += 1
        for jinja in (False, True):
            source = tokenize_template(markup, jinja=jinja)
            assert not may_reach_a_rejecting_logout(source, PROJECT, INDEX, V52), markup
    assert cleared > 500


@pytest.mark.parametrize(
    "markup",
    [
        "{% url '" * 100_000,
        '{% url "' + "{% url '" * 100_000,
        "url( '" * 100_000 + "x" * 100_000,
        "{%" + " " * 500_000 + "url" + "\t" * 500_000,
        "{{ url(" * 200_000,
    ],
    ids=["unclosed-names", "mixed-quotes", "jinja-unclosed", "long-blanks", "jinja-openers"],
)
def test_url_names_in_is_linear(markup: str) -> None:
    import time

    started = time.perf_counter()
    url_names_in(markup)
    assert time.perf_counter() - started < 2.0


# -- the table of rejecting URLs: a template none of whose names is in it is not classified ----


def _text_test(markup: str, table: bool) -> bool:
    """``may_reach_a_rejecting_logout_text`` with the ``rejecting_urls`` table or without."""
    from djvet.core.django import logout as logout_module

    memo = logout_module._classifier(PROJECT, V52)
    saved = memo.rejecting, memo.asked
    memo.rejecting, memo.asked = None, (10**9 if table else -(10**9))
    try:
        return may_reach_a_rejecting_logout_text(markup, PROJECT, INDEX, V52)
    finally:
        memo.rejecting, memo.asked = saved


def test_the_rejecting_url_table_clears_nothing_the_text_test_keeps() -> None:
    pieces = [
        "<a", " href", "=", '"', "'", " ", ">", "</a>", "/accounts/logout/", "/out/",
        "{% url 'logout' %}", "{% url \"admin:logout\" %}", "{% url 'out' as u %}", "{{ u }}",
        "{{ url('logout') }}", "{% url 'login' %}", "{% url 'x %}", "x", "{# c #}", "lo", "gout",
        "{% url 'log", "out' %}", "{% url 'password_change' %}", "&sol;",
    ]  # fmt: skip
    rng = random.Random(7)
    kept = cleared = 0
    for _ in range(3000):
        markup = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 20)))
        expected = _text_test(markup, table=False)
        assert _text_test(markup, table=True) == expected, markup
        kept += expected
        cleared += not expected
    assert kept > 300 and cleared > 300
