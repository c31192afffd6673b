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
from collections.abc import Callable, Iterator
from dataclasses import dataclass

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


@dataclass(frozen=True)
class AsyncFunction:
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
    previous, current = _LAST_WALK, {}
    found: list[AsyncFunction] = []
    for stmt in tree.body:
        entry = previous.get(id(stmt))
        if entry is None or entry[0] is not stmt:
            entry = (stmt, list(_walk(ast.Module(body=[stmt], type_ignores=[]), lines)))
        current[id(stmt)] = entry
        found.extend(entry[1])
    _LAST_WALK = current
    yield from found


def _walk(tree: ast.Module, lines: LineIndex | None) -> Iterator[AsyncFunction]:
    stack: list[tuple[ast.AST, str | None, bool]] = [(tree, None, False)]
    text = lines.text if lines is not None else ""
    while stack:
        node, class_name, in_function = stack.pop()
        if lines is not None and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0].lineno - 1 if node.body else node.lineno
            last = node.end_lineno or node.lineno
            if text.find("async", lines.line_start(first), lines.line_start(last)) < 0:
                continue
        body: list[ast.stmt] = []
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            value = getattr(node, field, None)
            if isinstance(value, list):
                body.extend(value)
        for stmt in reversed(body):
            if isinstance(stmt, ast.AsyncFunctionDef):
                yield AsyncFunction(stmt, class_name if not in_function else None)
                stack.append((stmt, None, True))
            elif isinstance(stmt, ast.FunctionDef):
                stack.append((stmt, None, True))
            elif isinstance(stmt, ast.ClassDef):
                qualname = stmt.name if class_name is None else f"{class_name}.{stmt.name}"
                stack.append((stmt, None if in_function else qualname, in_function))
            elif hasattr(stmt, "body"):  # if/for/while/with/try/match blocks and handlers
                stack.append((stmt, class_name, in_function))


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
