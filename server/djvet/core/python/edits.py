"""Small, exact text edits for Python fixes: add an import, wrap in await, check a fix parses.

Fixes are minimal edits on the user's text (formatting and comments untouched). CPython's
parser checks that the fixed text is still valid Python before a fix is offered, and libcst
checks a fixed file again before the CLI writes it; the imports a fix adds land after the
module docstring, ``__future__`` imports and any leading comments.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable

from ..text import apply_edits
from ..types import Edit, Span
from .parse import PythonSource, parse_quiet


def imported_name(tree: ast.Module, module: str, name: str) -> str | None:
    """The local name under which ``module.name`` is already imported at top level, if any."""
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == module and stmt.level == 0:
            for alias in stmt.names:
                if alias.name == name:
                    return alias.asname or alias.name
    return None


def add_import_edit(source: PythonSource, module: str, name: str) -> Edit | None:
    """An edit adding ``from module import name`` (None when it is already imported).

    Extends an existing ``from module import ...`` line when there is a single-line one;
    otherwise inserts a new line after the last top-level import (or after the docstring
    and ``from __future__`` imports when the module has no imports).
    """
    tree = source.tree
    if imported_name(tree, module, name) is not None:
        return None
    newline = source.newline
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.ImportFrom)
            and stmt.module == module
            and stmt.level == 0
            and stmt.lineno == stmt.end_lineno
            and not any(a.name == "*" for a in stmt.names)
        ):
            last = stmt.names[-1]
            end = source.span(last)
            segment = source.lines.line_text(end.line)
            if "(" in segment or segment.rstrip().endswith("\\"):
                break
            return Edit(
                Span(end.end_line, end.end_column, end.end_line, end.end_column), f", {name}"
            )
    insert_line = 0
    last_import: ast.stmt | None = None
    for index, stmt in enumerate(tree.body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            last_import = stmt
        elif (
            index == 0
            and isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str)
        ):
            insert_line = stmt.end_lineno or stmt.lineno
        elif last_import is not None or not isinstance(stmt, ast.Expr):
            break
    if last_import is not None:
        insert_line = last_import.end_lineno or last_import.lineno
    line = f"from {module} import {name}{newline}"
    if insert_line >= source.lines.line_count:
        # The file ends without a newline after the last import.
        end_col = len(source.lines.line_text(insert_line - 1))
        return Edit(
            Span(insert_line - 1, end_col, insert_line - 1, end_col), f"{newline}{line.rstrip()}"
        )
    return Edit(Span(insert_line, 0, insert_line, 0), line)


def parses(text: str) -> bool:
    """True when ``text`` is valid Python: CPython's own parser decides (``ast``).

    Small texts (a class or statement region re-parsed to validate a fix) are answered from a
    bounded cache: on every keystroke the same unchanged regions are validated again.
    """
    if len(text) <= _PARSES_CACHE_MAX_CHARS:
        return _parses_cached(text)
    return _parses(text)


_PARSES_CACHE_MAX_CHARS = 8_000


@functools.lru_cache(maxsize=1024)
def _parses_cached(text: str) -> bool:
    return _parses(text)


def _parses(text: str) -> bool:
    try:
        parse_quiet(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def round_trips(text: str) -> bool:
    """True when libcst parses ``text`` too: the last check before a fixed file is written.

    Every fix was validated with ``parses`` when it was offered; this second, independent
    parser guards the one step that changes the user's files. (It is not asked per finding:
    importing libcst and parsing with it cost ~0.3 s of a 3,000-file check, ~15x ``ast``.)
    """
    import libcst  # imported only when a fix is about to be written

    try:
        libcst.parse_module(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, libcst.ParserSyntaxError):
        return False
    return True


def fix_keeps_valid(original: str, edits: Iterable[Edit]) -> bool:
    """Apply ``edits`` to ``original`` and confirm the result still parses (house rule 4)."""
    try:
        fixed = apply_edits(original, edits)
    except ValueError:
        return False
    return parses(fixed)


def await_wrap(source: PythonSource, node: ast.expr, parent: ast.AST | None) -> list[Edit]:
    """Edits turning the expression ``node`` into ``await node``, parenthesised when needed.

    Parentheses are added when the awaited expression is the object of an attribute access,
    subscript or call (``(await x.aget()).title``), or an operand of ``**``.
    """
    span = source.span(node)
    needs_parens = (
        isinstance(parent, (ast.Attribute, ast.Subscript, ast.Call))
        and getattr(parent, "value", getattr(parent, "func", None)) is node
    )
    if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Pow):
        needs_parens = True
    if needs_parens:
        return [
            Edit(Span(span.line, span.column, span.line, span.column), "(await "),
            Edit(Span(span.end_line, span.end_column, span.end_line, span.end_column), ")"),
        ]
    return [Edit(Span(span.line, span.column, span.line, span.column), "await ")]
