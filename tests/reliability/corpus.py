"""The inputs the reliability properties run on: real Django sources and half-typed edits.

- :func:`demo_files`: the example project (``examples/demo``), every rule firing.
- :func:`rule_documents`: every rule's Valid and Invalid examples, with their project files.
- :data:`PY_FRAGMENTS` / :data:`TEMPLATE_FRAGMENTS`: what a buffer holds mid-keystroke
  (``async def get(self,``, unclosed strings and brackets, ``{% if``, ``{{``) and the
  characters that break position arithmetic (CR, CRLF, BOM, tabs, emoji, astral plane, form
  feed, U+2028, NUL).
- :func:`edit_scripts`: a Hypothesis strategy of edit sequences built from those.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from djvet.core.registry import all_rules
from djvet.core.rule import Invalid
from djvet.core.sources import classify
from djvet.core.types import SourceKind

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo"


@functools.cache
def demo_files() -> dict[str, str]:
    """relative path -> text of every Python file and template of the demo project."""
    out: dict[str, str] = {}
    for path in sorted(DEMO.rglob("*")):
        relative = path.relative_to(DEMO).as_posix()
        if not path.is_file() or relative.startswith(".") or "/." in relative:
            continue
        if classify(relative) is SourceKind.OTHER and path.name != "pyproject.toml":
            continue
        out[relative] = path.read_text(encoding="utf-8")
    return out


@dataclass(frozen=True)
class CorpusDocument:
    """One document to check, inside a project of other files."""

    name: str  # a readable id
    path: str  # relative to the project root
    text: str
    files: Mapping[str, str] = field(default_factory=dict)  # the rest of the project
    django: str | None = None
    code: str | None = None  # the rule the document exemplifies, if any

    @property
    def kind(self) -> SourceKind:
        return classify(self.path)

    def project_files(self, text: str | None = None) -> dict[str, str]:
        return {**self.files, self.path: self.text if text is None else text}


@functools.cache
def rule_documents(invalid_only: bool = False) -> tuple[CorpusDocument, ...]:
    out = []
    for rule in all_rules():
        for index, example in enumerate(rule.examples):
            if invalid_only and not isinstance(example, Invalid):
                continue
            out.append(
                CorpusDocument(
                    f"{rule.code}-{type(example).__name__}-{index}",
                    example.path,
                    example.code,
                    dict(example.files),
                    example.django,
                    rule.code,
                )
            )
    return tuple(out)


@functools.cache
def demo_documents() -> tuple[CorpusDocument, ...]:
    files = demo_files()
    return tuple(
        CorpusDocument(
            f"demo:{path}", path, text, {p: t for p, t in files.items() if p != path}, None
        )
        for path, text in files.items()
        if classify(path) is not SourceKind.OTHER and text.strip()
    )


@functools.cache
def corpus() -> tuple[CorpusDocument, ...]:
    """Every document with at least one finding or a non-trivial body: demo + rule examples."""
    return demo_documents() + rule_documents()


def by_name(name: str) -> CorpusDocument:
    """A corpus document by its name (properties draw names: short, readable failure reports)."""
    return next(d for d in corpus() if d.name == name)


# ---------------------------------------------------------------------------------------------
# Variants of a document that must not change what djvet finds (only where)
# ---------------------------------------------------------------------------------------------

PREFIX_LINE = "# 😀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ünïcödé — a comment before the flagged code\n"


def _python_tabs(text: str) -> str | None:
    """Four-space indentation to tabs, when every indented line uses multiples of four."""
    lines = text.split("\n")
    out = []
    for line in lines:
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if indent % 4:
            return None
        out.append("\t" * (indent // 4) + stripped)
    result = "\n".join(out)
    try:
        ast.parse(result)
    except SyntaxError:  # a continuation line aligned to a bracket
        return None
    return result


TEMPLATE_PREFIX_LINE = "<p>😀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢</p>\n"


def variants(document: CorpusDocument) -> dict[str, str]:
    """name -> text of semantically identical spellings of ``document.text``."""
    text = document.text
    out = {name: respell(text) for name, respell in respellings(document).items()}
    if document.kind is SourceKind.PYTHON:
        tabs = _python_tabs(text)
        if tabs is not None:
            out["tabs"] = tabs
            out["tabs-crlf"] = tabs.replace("\n", "\r\n")
    else:
        out["astral-inline"] = text.replace("<a ", "<b>😀</b><a ").replace("<form", "<i>𝔘</i><form")
    return out


def respellings(document: CorpusDocument) -> dict[str, Callable[[str], str]]:
    """The variants that are plain text transformations, which therefore apply to fixed text
    too: fixing the variant must give the fixed original, transformed the same way."""
    out: dict[str, Callable[[str], str]] = {
        "crlf": lambda t: t.replace("\n", "\r\n"),
        "cr": lambda t: t.replace("\n", "\r"),
        "no-final-newline": lambda t: t.rstrip("\n"),
    }
    if document.kind is not SourceKind.PYTHON:
        out["astral-prefix"] = lambda t: TEMPLATE_PREFIX_LINE + t
    elif not document.text.startswith(("from __future__", '"""', "#!")):
        out["astral-prefix"] = lambda t: PREFIX_LINE + t
    return out


# ---------------------------------------------------------------------------------------------
# Half-typed code and edits
# ---------------------------------------------------------------------------------------------

PY_FRAGMENTS = (
    "async def get(self,",
    "async def get(self, request):\n        ",
    "def post(self, request",
    "class V(CreateView",
    "class V(View):\n    async def get(self, request):\n        return None\n",
    "await ",
    "async ",
    "Book.objects.get(",
    "Book.objects.filter(pk=1).first()",
    "book.author.",
    "for b in Book.objects.all():\n        ",
    "async for x in ",
    "return render(request, 'x.html', {'qs': Book.objects.all()})",
    "'unclosed",
    '"""unclosed docstring',
    "f'{",
    "(",
    "[",
    "{",
    ")",
    "]]",
    ":",
    "\\",
    "lambda",
    "@",
    "@method_decorator(",
    "from django.contrib.auth import ",
    "import ",
    "logout(request)",
    "# noqa: DJV301",
    "  # djvet: ignore[",
    "\n",
    "\n\n",
    "    ",
    "\t",
    "match x:\n    case ",
    "x = " + "(" * 60,
    "if True:\n",
    "else",
)
TEMPLATE_FRAGMENTS = (
    "{% if",
    "{% if user.is_authenticated %}",
    "{% endif %}",
    "{{",
    "{{ request.path",
    "}}",
    "%}",
    "{#",
    "#}",
    "{% comment %}",
    "{% endcomment %}",
    "{% verbatim %}",
    "{% endverbatim %}",
    "{% raw %}",
    "{% url 'logout' %}",
    "{% url 'logout",
    "{{ url('logout') }}",
    "<a href=\"{% url 'logout' %}\">Log out</a>",
    '<a href="/accounts/logout/">x</a>',
    '<a href="',
    "<a ",
    "<form",
    '<form action="/accounts/logout/">',
    '<form method="post"',
    "</form>",
    "<!--",
    "-->",
    "<script>",
    "</script>",
    '"',
    "'",
    "<",
    ">",
    "{% csrf_token %}",
    "{%- ",
    " -%}",
    "\n",
)
ODD_CHARACTERS = (
    "\r",
    "\r\n",
    "\ufeff",
    "\t",
    "😀",
    "𝔘",
    "é",
    "\x0c",
    "\u2028",
    "\x85",
    "\x00",
)


@dataclass(frozen=True)
class Edit:
    """Replace ``length`` characters at ``where`` (a fraction of the text) with ``text``."""

    where: float
    length: int
    text: str

    def bounds(self, document: str, *, whole_line_breaks: bool = False) -> tuple[int, int]:
        """(start, end) code-point offsets; with ``whole_line_breaks`` never inside a CRLF
        pair (LSP positions cannot address the point between ``\r`` and ``\n``)."""
        start = min(int(self.where * (len(document) + 1)), len(document))
        end = min(start + self.length, len(document))
        if whole_line_breaks:
            if 0 < start < len(document) and document[start - 1 : start + 1] == "\r\n":
                start -= 1
            if 0 < end < len(document) and document[end - 1 : end + 1] == "\r\n":
                end += 1
        return start, end

    def apply(self, document: str) -> str:
        start, end = self.bounds(document)
        return document[:start] + self.text + document[end:]


def edit_scripts(
    kind: SourceKind, max_size: int = 8, *, nul: bool = True
) -> st.SearchStrategy[list[Edit]]:
    """Edit sequences; ``nul=False`` leaves NUL out (a buffer holding one is a binary file)."""
    fragments = PY_FRAGMENTS if kind is SourceKind.PYTHON else TEMPLATE_FRAGMENTS
    odd = ODD_CHARACTERS if nul else tuple(c for c in ODD_CHARACTERS if c != "\x00")
    inserted = st.one_of(
        st.sampled_from(fragments),
        st.sampled_from(odd),
        st.text(st.characters(exclude_characters="" if nul else "\x00"), max_size=6),
        st.just(""),
    )
    edit = st.builds(
        Edit,
        where=st.floats(min_value=0, max_value=1, allow_nan=False),
        length=st.one_of(st.just(0), st.integers(0, 3), st.integers(0, 80)),
        text=inserted,
    )
    return st.lists(edit, min_size=1, max_size=max_size)
