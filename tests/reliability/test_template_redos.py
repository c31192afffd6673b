"""Template scanning is linear: adversarial templates, hostile project regexes, a regex audit.

- Every adversarial shape (unclosed ``{%``/``{{``/``{#``, a million ``{``, unclosed attribute
  quotes, ``<a <a <a``, nested elements, unclosed comments, ``{% verbatim %}`` without its end,
  Jinja strings and brackets that never close ...) at 100,000 characters is checked by *all*
  rules within a time bound that only a linear scan meets, and the real logout link before
  the junk is still reported.
- A project ``re_path(r"^(a+)+$")`` (catastrophic backtracking) and a hard-coded link that
  would trigger it: djvet leaves that route's matches unknown instead of hanging.
- An audit of djvet's own code: the template modules use no regular expressions at all, and
  every regex literal anywhere in the package has no nested unbounded repetition.
"""

from __future__ import annotations

import ast
import re
import time
from pathlib import Path

import pytest

from djvet.core.config import Settings
from djvet.core.django.urls import may_backtrack
from djvet.core.engine import check
from djvet.core.project import in_memory_project
from djvet.core.rule import Document
from djvet.core.types import SourceKind

PACKAGE = Path(__file__).resolve().parents[2] / "server" / "djvet"
URLS = (
    "from django.urls import include, path\n\n"
    'urlpatterns = [path("accounts/", include("django.contrib.auth.urls"))]\n'
)
SIZE = 100_000
# A linear scan of 100,000 characters takes well under a second on the CI machine; anything
# quadratic takes minutes. The bound leaves room for a loaded machine.
TIME_BOUND = 10.0

LINK = {
    SourceKind.DJANGO_TEMPLATE: "<a href=\"{% url 'logout' %}\">Log out</a>\n",
    SourceKind.JINJA2: "<a href=\"{{ url('logout') }}\">Log out</a>\n",
}
PATH = {SourceKind.DJANGO_TEMPLATE: "templates/x.html", SourceKind.JINJA2: "jinja2/x.html"}
ADVERSARIAL = {
    "unclosed-block": "{%",
    "unclosed-var": "{{",
    "unclosed-comment-tag": "{#",
    "braces": "{",
    "closers": "%}}}#}",
    "block-per-line": "{%\n",
    "unclosed-attribute": '<a href="',
    "unclosed-start-tags": "<a ",
    "less-than": "<",
    "forms": "<form ",
    "quotes": '"',
    "single-quotes": "'",
    "html-comments": "<!--",
    "scripts": "<script>",
    "verbatim": "{% verbatim %}",
    "comment-tag": "{% comment %}",
    "raw": "{% raw %}",
    "url-tags": "{% url 'logout' ",
    "templated-attributes": "<a href=\"{% url 'logout' %}\" ",
    "nested-elements": "<div><span>",
    "suppression-comments": "{# djvet: ignore[",
    "entities": "&#",
    "equals": "=",
    "mixed": '{%<a href="{{\'"<!--{#',
    "brackets": "{{ ((((",
    "jinja-strings": "{{ '\\",
    "whitespace-control": "{%- ",
}
CASES = [
    pytest.param(kind, name, id=f"{kind.value}-{name}")
    for kind in (SourceKind.DJANGO_TEMPLATE, SourceKind.JINJA2)
    for name in ADVERSARIAL
]


@pytest.fixture(scope="module")
def project():
    return in_memory_project({"urls.py": URLS, "manage.py": ""}, "/redos")


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_adversarial_template_is_checked_in_linear_time(
    project, kind: SourceKind, name: str
) -> None:
    unit = ADVERSARIAL[name]
    text = LINK[kind] + unit * (SIZE // len(unit))
    started = time.perf_counter()
    result = check(Document(text, f"/redos/{PATH[kind]}", kind), project, Settings())
    elapsed = time.perf_counter() - started
    assert elapsed < TIME_BOUND, f"{elapsed:.1f} s for {len(text):,} characters"
    assert not result.rule_errors
    assert [(f.code, f.span.line) for f in result.findings if f.span.line == 0] == [("DJV101", 0)]


def test_a_single_5_mb_line_is_checked_in_seconds(project) -> None:
    text = LINK[SourceKind.DJANGO_TEMPLATE] + "<p>" + "x" * 5_000_000 + "</p>"
    started = time.perf_counter()
    result = check(
        Document(text, "/redos/templates/long.html", SourceKind.DJANGO_TEMPLATE),
        project,
        Settings(),
    )
    assert time.perf_counter() - started < TIME_BOUND
    assert [f.code for f in result.findings] == ["DJV101"]


HOSTILE_ROUTE_URLS = (
    "from django.contrib.auth.views import LogoutView\n"
    "from django.urls import include, path, re_path\n\n"
    "urlpatterns = [\n"
    '    re_path(r"^(a+)+$", LogoutView.as_view()),\n'
    '    path("accounts/", include("django.contrib.auth.urls")),\n'
    "]\n"
)


def test_a_catastrophic_project_regex_does_not_hang_template_checks() -> None:
    """Before the fix, 26 characters took 19 s (each one more doubles it)."""
    project = in_memory_project({"urls.py": HOSTILE_ROUTE_URLS, "manage.py": ""}, "/redos2")
    text = LINK[SourceKind.DJANGO_TEMPLATE] + '<a href="/' + "a" * 40 + '!">y</a>\n'
    started = time.perf_counter()
    result = check(
        Document(text, "/redos2/templates/x.html", SourceKind.DJANGO_TEMPLATE), project, Settings()
    )
    assert time.perf_counter() - started < TIME_BOUND
    assert [(f.code, f.span.line) for f in result.findings] == [("DJV101", 0)]


def test_a_harmless_project_regex_still_resolves_links() -> None:
    """The guard is narrow: an ordinary re_path still routes a hard-coded link to its view."""
    urls = (
        "from django.contrib.auth.views import LogoutView\n"
        "from django.urls import re_path\n\n"
        'urlpatterns = [re_path(r"^accounts/(?P<flavour>[a-z]+)/logout/$", LogoutView.as_view())]\n'
    )
    project = in_memory_project({"urls.py": urls, "manage.py": ""}, "/redos3")
    text = '<p>x</p>\n<a href="/accounts/plain/logout/">Log out</a>\n'
    result = check(
        Document(text, "/redos3/templates/x.html", SourceKind.DJANGO_TEMPLATE), project, Settings()
    )
    assert [(f.code, f.span.line) for f in result.findings] == [("DJV101", 1)]


@pytest.mark.parametrize(
    "pattern",
    [
        r"^(a+)+$",  # the textbook case: exponential
        r"^(\w*/)*$",  # a repeat inside a repeat
        r"^(a|ab)*c$",  # overlapping alternatives under a repeat
        r"^(?P<x>\w+)-(?P=x)/$",  # a backreference
        r"^((?:[\w-]+/)*)$",  # a CMS catch-all: in fact safe, but the shape is risky; unknown is fine
    ],
)
def test_risky_regex_shapes_are_recognised(pattern: str) -> None:
    assert may_backtrack(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        r"^logout/$",  # a literal
        r"^articles/(?P<year>[0-9]{4})/$",  # a bounded repeat
        r"^(?P<slug>[-\w]+)/$",  # one unbounded repeat
        r"^(?:(?P<page>\d+)/)?$",  # an optional group around a repeat (at most once)
        r"^(?P<path>.*)$",  # a catch-all
        r"^(.*?)/(.*?)/$",  # lazy repeats, not nested
        r"^(?:foo|bar)/$",  # an alternation that is not repeated
        r"^[a-z]{2,3}(?:[-_][a-zA-Z0-9]{1,8}){0,2}/",  # bounded repeats of bounded repeats
        r"^accounts/(?P<flavour>[a-z]+)/logout/$",  # the usual re_path
    ],
)
def test_ordinary_regexes_are_not_flagged(pattern: str) -> None:
    assert not may_backtrack(pattern)


# ---------------------------------------------------------------------------------------------
# Audit of djvet's own regular expressions
# ---------------------------------------------------------------------------------------------


def template_rule_modules() -> list[Path]:
    """The modules of the rules that read templates."""
    import inspect

    from djvet.core.registry import all_rules

    return sorted(
        Path(inspect.getfile(type(rule)))
        for rule in all_rules()
        if rule.targets & {SourceKind.DJANGO_TEMPLATE, SourceKind.JINJA2}
    )


TEMPLATE_PATH_MODULES = [
    *sorted((PACKAGE / "core" / "templates").glob("*.py")),
    *template_rule_modules(),
]
REGEX_FUNCTIONS = {
    "compile",
    "search",
    "match",
    "fullmatch",
    "sub",
    "subn",
    "split",
    "findall",
    "finditer",
}


def regex_literals() -> list[tuple[str, str]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.func.attr in REGEX_FUNCTIONS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                out.append((f"{path.relative_to(PACKAGE)}:{node.lineno}", node.args[0].value))
    return out


def nested_unbounded_repeat(pattern: str) -> bool:
    """Independent of ``may_backtrack``: an unbounded repeat containing another repeat."""
    try:
        from re import _parser  # type: ignore[attr-defined]
    except ImportError:  # Python 3.10
        import sre_parse as _parser

    def walk(items, inside: bool) -> bool:
        for op, argument in items:
            name = getattr(op, "name", str(op))
            if name in ("MAX_REPEAT", "MIN_REPEAT"):
                _, high, body = argument
                if inside and high > 1:
                    return True
                if walk(body, inside or high > 100):
                    return True
            elif name == "SUBPATTERN":
                if walk(argument[-1], inside):
                    return True
            elif name == "BRANCH":
                if any(walk(branch, inside) for branch in argument[1]):
                    return True
        return False

    return walk(_parser.parse(pattern), False)


def test_the_audit_sees_the_regexes() -> None:
    literals = regex_literals()
    assert len(literals) >= 5, literals
    assert nested_unbounded_repeat(r"(a+)+") and not nested_unbounded_repeat(r"a+b+")


# Nested repeats that cannot backtrack: each repetition starts with a character the inner
# repeats cannot match, so there is only one way to split the input. Each is timed below.
UNAMBIGUOUS = {
    r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?": (
        "a code list: every repetition starts with a separator ([\\s,]) no code character matches"
    ),
}


@pytest.mark.parametrize(
    ("where", "pattern"), regex_literals(), ids=[w for w, _ in regex_literals()]
)
def test_no_regex_in_djvet_can_backtrack_catastrophically(where: str, pattern: str) -> None:
    if pattern in UNAMBIGUOUS:
        return  # timed by test_suppression_comments_are_scanned_in_linear_time
    assert not nested_unbounded_repeat(pattern), f"{where}: {pattern!r}"


@pytest.mark.parametrize(
    "line",
    [
        "x = 1  # noqa: " + "DJV1, " * 50_000 + "!",
        "x = 1  # noqa: " + "A1" * 100_000,
        "x = 1  # noqa:" + " " * 100_000 + "x",
        "x = 1  # " + "noqa" * 50_000,
        "x = 1  # djvet: ignore[" + "DJV101," * 50_000,
    ],
)
def test_suppression_comments_are_scanned_in_linear_time(line: str) -> None:
    from djvet.core.engine import suppressions

    started = time.perf_counter()
    suppressions((line + "\n") * 3, SourceKind.PYTHON)
    suppressions(("{# " + line + " #}\n") * 3, SourceKind.DJANGO_TEMPLATE)
    assert time.perf_counter() - started < TIME_BOUND


@pytest.mark.parametrize("module", TEMPLATE_PATH_MODULES, ids=lambda p: p.name)
def test_template_scanning_modules_use_no_regular_expressions(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & {"re", "regex"}, f"{module.name} imports a regex module"
    assert re.search(r"\bre\.", module.read_text(encoding="utf-8")) is None
