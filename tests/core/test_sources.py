"""Source-kind classification: the one function that decides Python / template / Jinja2."""

from __future__ import annotations

from pathlib import PurePath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# Paths as the CLI walk and editors give them, built from the parts classification looks at.
_components = st.sampled_from(
    ["templates", "Templates", "jinja2", "JINJA2", "app", "", ".", "..", "x.dj", "a.b", "static"]
)
_names = st.sampled_from(
    ["views.py", "v.PYI", "page.html", "p.HTM", "m.txt", "s.xml", "p.djhtml", "p.dj.md",
     "b.jinja", "b.J2", "b.jinja2", "logo.png", ".html", "html.", "noext", "a.dj.", ".py"]
)  # fmt: skip
_paths = st.builds(
    lambda lead, parts, name, tail: lead + "/".join([*parts, name]) + tail,
    st.sampled_from(["", "/", "./", "//"]),
    st.lists(_components, max_size=4),
    _names,
    st.sampled_from(["", "", "/", "/.", "/.."]),
)


@settings(max_examples=600, deadline=None)
@given(_paths, st.sampled_from([(), ("front/views",), ("app",)]))
def test_text_paths_classify_as_path_objects_do(path, template_dirs):
    """The CLI's text fast path agrees with classifying the same path as a PurePath."""
    assert classify(path, None, template_dirs) is classify(PurePath(path), None, template_dirs)
