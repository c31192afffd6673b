"""``PythonSource.name_span``: the span of a def/class name, however its header is spelled."""

from __future__ import annotations

import ast
import keyword

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from djvet.core.python.parse import parse_python
from djvet.core.types import Span


def spans(text: str) -> list[tuple[str, Span]]:
    source = parse_python(text)
    return [
        (node.name, source.name_span(node))
        for node in ast.walk(source.tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    ]


def by_text(text: str) -> list[tuple[str, Span]]:
    """Where each name really is: after its keyword on its header line."""
    out = []
    lines = text.split("\n")
    for node in ast.walk(ast.parse(text.lstrip("\ufeff"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            line = lines[node.lineno - 1]
            word = "class" if isinstance(node, ast.ClassDef) else "def"
            column = line.index(node.name, line.index(word) + len(word))
            out.append(
                (node.name, Span(node.lineno - 1, column, node.lineno - 1, column + len(node.name)))
            )
    return out


@pytest.mark.parametrize(
    "text",
    [
        "def f():\n    pass\n",
        "async def view(request):\n    pass\n",
        "async  def  view(request):\n    pass\n",  # more than one space
        "def\tf():\n    pass\n",  # a tab
        "class A:\n    def m(self): ...\n    async def n(self): ...\n",
        "class  Spaced :\n    pass\n",
        "@decorator\ndef deco_rated(): ...\n",
        "if True:\n    def nested(): ...\n",
        "def défaut():\n    pass\n",  # a non-ASCII name
        "x = 'é'\ndef after_unicode(): ...\n",  # a non-ASCII file, ASCII header
        "\ufeffdef with_bom():\n    pass\n",  # a BOM before the first def
        "def define():\n    pass\n",  # the name starts with the keyword
        "class classy(object): ...\n",
    ],
)
def test_name_spans_point_at_the_names(text: str) -> None:
    assert spans(text) == by_text(text)


_names = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda n: not keyword.iskeyword(n) and not keyword.issoftkeyword(n)
)


@settings(max_examples=200, deadline=None)
@given(
    name=_names,
    kind=st.sampled_from(["def", "async def", "class"]),
    gap=st.sampled_from([" ", "  ", "\t", " \t"]),
    indent=st.booleans(),
    prefix=st.sampled_from(["", "x = 1\n", "s = 'ü'\n", "\ufeff"]),
)
def test_name_spans_agree_with_the_text(
    name: str, kind: str, gap: str, indent: bool, prefix: str
) -> None:
    header = f"{kind.replace(' ', gap)}{gap}{name}(): pass\n"
    text = f"{prefix}class Outer:\n    {header}" if indent else f"{prefix}{header}"
    assert spans(text) == by_text(text)
