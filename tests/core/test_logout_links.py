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
from djvet.core.templates.logout_links import (
    _Finder,
    find_get_logouts,
    may_reach_a_rejecting_logout,
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
