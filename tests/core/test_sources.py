"""Source-kind classification: the one function that decides Python / template / Jinja2."""

from __future__ import annotations

import pytest

from djvet.core.sources import classify
from djvet.core.types import SourceKind as K


@pytest.mark.parametrize(
    ("path", "language_id", "expected"),
    [
        ("app/views.py", None, K.PYTHON),
        ("app/views.pyi", None, K.PYTHON),
        ("app/templates/app/list.html", None, K.DJANGO_TEMPLATE),
        ("templates/base.htm", None, K.DJANGO_TEMPLATE),
        ("templates/emails/welcome.txt", None, K.DJANGO_TEMPLATE),
        ("templates/sitemap.xml", None, K.DJANGO_TEMPLATE),
        ("anywhere/page.djhtml", None, K.DJANGO_TEMPLATE),
        ("anywhere/page.dj.html", None, K.DJANGO_TEMPLATE),
        ("anywhere/page.dj.md", None, K.DJANGO_TEMPLATE),
        ("jinja2/base.html", None, K.JINJA2),
        ("app/jinja2/app/page.html", None, K.JINJA2),
        ("x/page.jinja", None, K.JINJA2),
        ("x/page.jinja2", None, K.JINJA2),
        ("x/page.j2", None, K.JINJA2),
        ("static/index.html", None, K.OTHER),  # an HTML file outside templates/ is not a template
        ("README.txt", None, K.OTHER),
        ("notes.md", None, K.OTHER),
        ("templates/logo.png", None, K.OTHER),
        ("x/page.html", "django-html", K.DJANGO_TEMPLATE),
        ("x/page.html", "htmldjango", K.DJANGO_TEMPLATE),
        ("x/page.html", "jinja-html", K.JINJA2),
        ("x/page.html", "html", K.OTHER),  # plain html only counts under templates/
        ("templates/page.html", "html", K.DJANGO_TEMPLATE),
        ("untitled", "python", K.PYTHON),
        (None, None, K.OTHER),
    ],
)
def test_classify(path, language_id, expected):
    assert classify(path, language_id) is expected


def test_configured_template_dirs():
    assert classify("frontend/views/page.html", None, ["frontend/views"]) is K.DJANGO_TEMPLATE
    assert classify("frontend/other/page.html", None, ["frontend/views"]) is K.OTHER
