"""Finding every ``async def`` of a module (core/python/scopes.py): the walk that skips what
cannot hold one finds exactly what a walk into every body finds, in the same order."""

from __future__ import annotations

import ast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from djvet.core.python import scopes
from djvet.core.python.parse import parse_python
from djvet.core.python.scopes import _async_def_count, async_functions


def stack_walk(tree: ast.Module) -> list[tuple[ast.AST, str | None]]:
    """The reference, written independently: a depth-first walk with a stack into every
    block (no text test), as djvet walked before it learnt to skip."""
    found: list[tuple[ast.AST, str | None]] = []
    stack: list[tuple[ast.AST, str | None, bool]] = [(tree, None, False)]
    while stack:
        node, class_name, in_function = stack.pop()
        body: list[ast.AST] = []
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            value = getattr(node, field, None)
            if isinstance(value, list):
                body.extend(value)
        for stmt in reversed(body):
            if isinstance(stmt, ast.AsyncFunctionDef):
                found.append((stmt, class_name if not in_function else None))
                stack.append((stmt, None, True))
            elif isinstance(stmt, ast.FunctionDef):
                stack.append((stmt, None, True))
            elif isinstance(stmt, ast.ClassDef):
                qualname = stmt.name if class_name is None else f"{class_name}.{stmt.name}"
                stack.append((stmt, None if in_function else qualname, in_function))
            elif hasattr(stmt, "body"):
                stack.append((stmt, class_name, in_function))
    return found


def everywhere(tree: ast.Module) -> list[tuple[ast.AST, str | None]]:
    """The reference answer: each top-level statement walked into every body."""
    found = []
    for stmt in tree.body:
        found.extend(stack_walk(ast.Module(body=[stmt], type_ignores=[])))
    return found


def fresh(text: str) -> list[tuple[ast.AST, str | None]]:
    scopes._LAST_WALK = {}
    source = parse_python(text)
    return [(f.node, f.class_qualname) for f in async_functions(source.tree, source.lines)]


def names(found: list[tuple[ast.AST, str | None]]) -> list[tuple[str, str | None]]:
    return [(node.name, cls) for node, cls in found]  # type: ignore[attr-defined]


CASES = {
    "top level and methods": (
        "async def a():\n    pass\n\n\nclass V:\n    async def get(self):\n        pass\n\n"
        "    def sync(self):\n        return 1\n\n    async def post(self):\n        pass\n",
        [("a", None), ("post", "V"), ("get", "V")],
    ),
    "nested in a function body": (
        "def outer():\n    if True:\n        async def inner():\n            pass\n    return inner\n",
        [("inner", None)],
    ),
    "nested in an async function": (
        "async def outer():\n    for x in y:\n        async def inner():\n            pass\n",
        [("outer", None), ("inner", None)],
    ),
    "in blocks and handlers": (
        "try:\n    async def a():\n        pass\nexcept E:\n    async def b():\n        pass\n"
        "if X:\n    class C:\n        class D:\n            async def c(self):\n                pass\n",
        [("a", None), ("b", None), ("c", "C.D")],
    ),
    "a class in a function is no method": (
        "def f():\n    while True:\n        class K:\n            async def m(self):\n                pass\n",
        [("m", None)],
    ),
    "spelt in a string and a comment": (
        'TEXT = "async def fake(): pass"\n# async def nothing()\n\n\nasync def real():\n'
        "    '''async def in a docstring'''\n    def sync():\n        async def deep():\n"
        "            pass\n",
        [("real", None), ("deep", None)],
    ),
    "keywords split by a continuation": (
        "class V:\n    async \\\n    def get(self):\n        def helper():\n            async \\\n"
        "                def inner():\n                pass\n",
        [("get", "V"), ("inner", None)],
    ),
    "nothing async": ("import os\n\n\ndef f():\n    return sync_to_async(g)\n", []),
}


@pytest.mark.parametrize("case", CASES)
def test_found_as_a_walk_into_every_body_finds_them(case: str) -> None:
    text, expected = CASES[case]
    found = fresh(text)
    assert names(found) == expected
    assert found == everywhere(parse_python(text).tree)


def test_a_tree_seen_again_reuses_unchanged_statements(monkeypatch: pytest.MonkeyPatch) -> None:
    """The keystroke path: an edited statement is walked again, the others reused, and the
    answer is the same as for a tree seen the first time."""
    text = CASES["in blocks and handlers"][0] + "\n\nasync def z():\n    pass\n"
    scopes._LAST_WALK = {}
    first = parse_python(text)
    list(async_functions(first.tree, first.lines))
    edited = text.replace(
        "async def z():\n    pass", "async def z():\n    async def y():\n        pass"
    )
    source = parse_python(edited)
    source.tree.body[:-1] = first.tree.body[:-1]  # as a re-parse keeps unchanged statements
    walked: list[ast.stmt] = []
    original = scopes._walk

    def spy(tree, marks):  # type: ignore[no-untyped-def]
        walked.extend(tree.body)
        return original(tree, marks)

    monkeypatch.setattr(scopes, "_walk", spy)
    again = [(f.node, f.class_qualname) for f in async_functions(source.tree, source.lines)]
    assert walked == [source.tree.body[-1]]  # only the edited statement
    assert names(again) == [("a", None), ("b", None), ("c", "C.D"), ("z", None), ("y", None)]
    assert again == everywhere(source.tree)


def test_the_count_of_async_def_never_misses_one() -> None:
    """A spelling ``async def`` with any blanks or continuations between is counted; words
    that only end in ``async`` are not (they would only make the count larger: safe)."""
    text = "async def a(): pass\nasync  def b(): pass\nasync\\\n def c(): pass\nx = sync_async\ndef d(): pass\n"
    assert _async_def_count(text) == 3
    assert _async_def_count("def f():\n    return my_async\n\n\ndef g(): pass\n") == 0


def test_the_shallow_walk_is_checked_against_the_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """Must find: an ``async def`` nested in a function is found by the second walk when the
    first (which skips function bodies) found fewer than the text spells."""
    calls: list[bool] = []
    original = scopes._walk_statements

    def spy(tree, marks, previous):  # type: ignore[no-untyped-def]
        calls.append(marks.shallow)
        return original(tree, marks, previous)

    monkeypatch.setattr(scopes, "_walk_statements", spy)
    assert names(fresh(CASES["nested in a function body"][0])) == [("inner", None)]
    assert calls == [True, False]
    calls.clear()
    assert names(fresh(CASES["top level and methods"][0])) == CASES["top level and methods"][1]
    assert calls == [True]  # the text spells no more than found: one walk


STATEMENTS = st.sampled_from(
    [
        "async def f{n}():\n    pass\n",
        "def g{n}():\n    async def inner{n}():\n        pass\n",
        "def h{n}():\n    return 'async def not_code()'\n",
        "class C{n}:\n    async def m(self):\n        pass\n\n    def s(self):\n        pass\n",
        "if X:\n    async def i{n}():\n        pass\nelse:\n    x = 1\n",
        "try:\n    pass\nfinally:\n    class F{n}:\n        async def m(self):\n            def d():\n                async def e():\n                    pass\n",
        "import os\n",
        "# async def in a comment\nx = {n}\n",
        "async def o{n}():\n    async with a:\n        async def p():\n            pass\n",
        "match v:\n    case 1:\n        async def never_walked{n}():\n            pass\n",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(STATEMENTS, max_size=8))
def test_any_module_gives_the_walk_into_every_body(parts: list[str]) -> None:
    text = "\n\n".join(part.format(n=index) for index, part in enumerate(parts))
    tree = parse_python(text).tree
    assert fresh(text) == everywhere(tree)
    # Without a line table: the whole module walked at once.
    assert [(f.node, f.class_qualname) for f in async_functions(tree)] == stack_walk(tree)
