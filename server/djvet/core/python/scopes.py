"""Where code runs on the event loop: the ``async def`` bodies of a module, the nested scopes
inside them that do not (``def``/``lambda``/``class`` bodies run wherever they are called), and
the calls and decorators that hand work to a thread (``sync_to_async``, ``to_thread``, ...).

A sync call inside ``sync_to_async(...)``'s *arguments* still runs on the loop — ``sync_to_async(
Book.objects.get(pk=1))`` evaluates the query before wrapping — so only the callable passed by
reference (or a nested ``def``/``lambda``) is off the loop; the analysis never needs to skip
argument subtrees, it only needs to know such a call when it sees one, to explain the mistake.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

from ..text import LineIndex
from .facts import Call, Ref, Value, dotted

OFFLOAD_FUNCTIONS = frozenset(
    {
        "asgiref.sync.sync_to_async",
        "channels.db.database_sync_to_async",
        "asyncio.to_thread",
    }
)
NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


class AsyncFunction(NamedTuple):
    """One ``async def`` and the project class it is a method of (qualified), if any."""

    node: ast.AsyncFunctionDef
    class_qualname: str | None  # "views.BookView" relative to the module; None for functions


# The ``async def``s found under each top-level statement of the last module walked, by the
# statement's identity: a buffer parsed again reuses the statements of unchanged blocks
# (``parse``), so a keystroke walks only the statement being edited.
_LAST_WALK: dict[int, tuple[ast.stmt, list[AsyncFunction]]] = {}


def async_functions(tree: ast.Module, lines: LineIndex | None = None) -> Iterator[AsyncFunction]:
    """Every ``async def`` in the module, at any depth (methods, nested in sync functions).

    With the module's line table, a function body is searched for nested ``async def`` only
    when its text contains one (most do not; this keeps the walk to the top-level shape)."""
    global _LAST_WALK
    if lines is None:
        yield from _walk(tree, None)
        return
    previous = _LAST_WALK
    if previous and not previous.keys().isdisjoint(map(id, tree.body)):
        current, found = _walk_statements(tree, _AsyncText(lines), previous)
    else:
        # A tree seen for the first time (every file of a CLI run; a buffer just opened):
        # first without looking into function bodies, which is the whole answer when the
        # text spells ``async def`` no more often than that found.
        current, found = _walk_statements(tree, _AsyncText(lines, shallow=True), {})
        if len(found) != _async_def_count(lines.text):
            current, found = _walk_statements(tree, _AsyncText(lines), {})
    _LAST_WALK = current
    yield from found


# ``async`` and ``def`` are separated by blanks and backslash line continuations only, so
# each ``async def`` of a module is one match in its text (strings and comments may add more).
# (No ``\b`` in front: it would keep ``re`` from searching for the literal ``async`` first.)
_ASYNC_DEF = re.compile(r"async[\s\\]+def\b")


def _async_def_count(text: str) -> int:
    """How often ``text`` spells ``async def`` (at least once per ``async def`` it holds)."""
    count = 0
    for match in _ASYNC_DEF.finditer(text):
        start = match.start()
        if start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_"):
            count += 1
    return count


_Walked = dict[int, tuple[ast.stmt, list[AsyncFunction]]]


def _walk_statements(
    tree: ast.Module, marks: _AsyncText, previous: _Walked
) -> tuple[_Walked, list[AsyncFunction]]:
    """The ``async def``s under each top-level statement (from ``previous`` for a statement
    walked last time), in order."""
    current: _Walked = {}
    found: list[AsyncFunction] = []
    for stmt in tree.body:
        # Only a statement with a body can hold an ``async def`` (``_walk`` descends into
        # nothing else), and its lines then have the word ``async``: imports and other simple
        # statements, and most classes and functions, are not walked.
        if type(stmt) not in _BODY_TYPES:
            continue
        entry = previous.get(id(stmt))
        if entry is None or entry[0] is not stmt:
            if type(stmt) is ast.AsyncFunctionDef and not marks.in_body(stmt):
                entry = (stmt, [AsyncFunction(stmt, None)])
            elif not marks.within(stmt.lineno - 1, stmt.end_lineno or stmt.lineno):
                entry = (stmt, [])
            else:
                entry = (stmt, list(_walk(ast.Module(body=[stmt], type_ignores=[]), marks)))
        current[id(stmt)] = entry
        found.extend(entry[1])
    return current, found


class _AsyncText:
    """Where a module's text has the word ``async``, by line range (``shallow``: take no
    function body to hold an ``async def``)."""

    __slots__ = ("line_start", "shallow", "text")

    def __init__(self, lines: LineIndex, *, shallow: bool = False) -> None:
        self.text = lines.text
        self.line_start = lines.line_start
        self.shallow = shallow

    def within(self, first: int, stop: int) -> bool:
        """Does the word occur on a line in ``[first, stop)``?"""
        line_start = self.line_start
        return self.text.find("async", line_start(first), line_start(stop)) >= 0

    def in_body(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """Can the function's body hold an ``async def``? Only inside a statement with a body
        of its own, and only if the function's lines have the word."""
        if self.shallow:
            return False
        for stmt in node.body:
            if type(stmt) in _BODY_TYPES:
                break
        else:
            return False
        first = node.body[0].lineno - 1 if node.body else node.lineno
        return self.within(first, node.end_lineno or node.lineno)


_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
# The node classes with a ``body`` (``hasattr(node, "body")`` for a parsed node, without the
# exception a missing attribute raises).
_BODY_TYPES = frozenset(
    cls
    for cls in vars(ast).values()
    if isinstance(cls, type) and issubclass(cls, ast.AST) and "body" in cls._fields
)


def _walk(tree: ast.Module, marks: _AsyncText | None) -> Iterator[AsyncFunction]:
    found: list[AsyncFunction] = []
    _collect(tree.body, None, False, marks, found)
    return iter(found)


def _collect(
    body: list[ast.stmt],
    class_name: str | None,
    in_function: bool,
    marks: _AsyncText | None,
    found: list[AsyncFunction],
) -> None:
    """The ``async def``s of one block, in the order of a depth-first walk with a stack: the
    block's own ``async def``s last to first, then each nested block first to last. (Node
    classes are compared by ``type``: parsed trees hold the classes of ``ast`` themselves.)"""
    nested: list[tuple[ast.stmt, str | None, bool]] = []
    for stmt in reversed(body):
        if type(stmt) is ast.AsyncFunctionDef:
            found.append(AsyncFunction(stmt, class_name if not in_function else None))
            nested.append((stmt, None, True))
        elif type(stmt) is ast.FunctionDef:
            nested.append((stmt, None, True))
        elif type(stmt) is ast.ClassDef:
            qualname = stmt.name if class_name is None else f"{class_name}.{stmt.name}"
            nested.append((stmt, None if in_function else qualname, in_function))
        elif type(stmt) in _BODY_TYPES:  # if/for/while/with/try blocks, handlers and cases
            nested.append((stmt, class_name, in_function))
    for node, inner_class, inner_function in reversed(nested):
        inner: list[ast.stmt]
        if type(node) is ast.FunctionDef or type(node) is ast.AsyncFunctionDef:
            if marks is not None and not marks.in_body(node):
                continue
            inner = node.body
        elif type(node) is ast.ClassDef:
            inner = node.body
        else:
            inner = []
            for field in _BLOCK_FIELDS:
                value = getattr(node, field, None)
                if isinstance(value, list):
                    inner.extend(value)
        _collect(inner, inner_class, inner_function, marks, found)


def is_offload_call(node: ast.Call, qualify: Callable[[str], str]) -> bool:
    """``sync_to_async(f)``, ``database_sync_to_async(f)``, ``asyncio.to_thread(f, ...)``,
    ``loop.run_in_executor(None, f)``: calls that run a callable in a worker thread."""
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "run_in_executor":
        return True
    name = dotted(func)
    return name is not None and qualify(name) in OFFLOAD_FUNCTIONS


def offloads_when_called(decorators: tuple[Value, ...]) -> bool:
    """A function decorated with ``@sync_to_async`` / ``@database_sync_to_async`` (bare or
    called with options): calling it returns an awaitable and runs the body in a thread."""
    for decorator in decorators:
        name = (
            decorator.name
            if isinstance(decorator, Ref)
            else decorator.func
            if isinstance(decorator, Call)
            else ""
        )
        if name in OFFLOAD_FUNCTIONS:
            return True
    return False
