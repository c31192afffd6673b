"""The one analysis behind DJV301-DJV305: walk every ``async def`` body once, in flow order, and
report each place where Django would touch the database synchronously on the event loop (and
each misuse of the async API), with the replacement for the project's Django version.

Receivers are typed by ``infer`` (project index first; unknown receivers stay silent). Each
issue carries its rule code, message, severity, related locations and, where a rewrite is
exact, a fix made of minimal text edits (formatting and comments untouched) that is checked to
parse before it is offered. Results are cached per function text, so an edit re-analyses only
the function it touched.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeGuard

from packaging.version import Version

from ..django.models import ModelIndex, model_index
from ..facts import async_name, async_table, docs_link, facts
from ..types import Applicability, Edit, Fix, Related, Severity, Span
from .edits import add_import_edit, imported_name
from .facts import ModuleInfo
from .infer import (
    RELATED_ONLY,
    SESSION_ASYNC,
    SESSION_METHODS,
    AsyncQueryIterator,
    Atomic,
    Coroutine,
    Dep,
    Effect,
    Env,
    Inferrer,
    Instance,
    Kind,
    Knowledge,
    Lookups,
    Manager,
    Paginator,
    QueryIterator,
    QuerySet,
    QuerySite,
    Request,
    Session,
    TupleOf,
    element_of,
)
from .jedi_facade import DocumentBudget
from .parse import PythonSource
from .recent import RecentFiles
from .scopes import AsyncFunction, async_functions, is_offload_call

if TYPE_CHECKING:
    from ..project import ProjectIndex
    from ..rule import CheckContext

ASGIREF = "asgiref.sync"
DJV301, DJV302, DJV303, DJV304, DJV305 = "DJV301", "DJV302", "DJV303", "DJV304", "DJV305"
_TEXT_LIMIT = 40
_EVAL_BUILTINS = {
    # name -> which positional arguments are iterated / evaluated
    "list": "first", "tuple": "first", "set": "first", "frozenset": "first", "len": "first",
    "bool": "first", "sorted": "first", "sum": "first", "min": "first", "max": "first",
    "any": "first", "all": "first", "enumerate": "first", "iter": "first", "dict": "first",
    "reversed": "first", "str": "first", "repr": "first", "next": "first",
    "print": "all", "zip": "all", "map": "rest", "filter": "rest",
}  # fmt: skip
_WARN_AUTH = frozenset({"logout", "get_user", "update_session_auth_hash"})


@dataclass(frozen=True)
class OrmIssue:
    """One DJV30x finding's data; the rules turn it into a ``Finding``."""

    code: str
    span: Span
    message: str
    severity: Severity
    fix: Fix | None = None
    related: tuple[Related, ...] = ()
    url: str | None = None


@dataclass(frozen=True)
class AsyncOrmReport:
    issues: tuple[OrmIssue, ...]

    def by_code(self, code: str) -> Iterator[OrmIssue]:
        return (issue for issue in self.issues if issue.code == code)


EMPTY_REPORT = AsyncOrmReport(())


def async_orm_report(ctx: CheckContext) -> AsyncOrmReport:
    """The document's DJV30x issues, computed once for the five rules that report them."""
    return ctx.shared(
        "async_orm",
        lambda: analyse(
            ctx.python,
            ctx.project,
            ctx.document.path,
            ctx.django_version,
            newline=ctx.python.newline,
        ),
    )


def analyse(
    source: PythonSource,
    project: ProjectIndex,
    path: str | None,
    version: Version,
    *,
    newline: str = "\n",
) -> AsyncOrmReport:
    """Every DJV30x issue of one document (``newline``: the document's own, for added lines)."""
    if "async" not in source.text:
        return EMPTY_REPORT
    functions = list(async_functions(source.tree, source.lines))
    if not functions:
        return EMPTY_REPORT
    models = model_index(project)
    module = project.module_at(path) if path else None
    document = _Document(source, project, module, models, version, newline, path)
    issues: list[OrmIssue] = []
    for function in functions:
        issues.extend(document.function_issues(function))
    _FUNCTION_CACHES.keep(path, document._kept)
    issues.sort(key=lambda i: (i.span.line, i.span.column, i.code))
    return AsyncOrmReport(tuple(issues))


# -- per-document state and per-function caching ----------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """A function's issues, the line range it had then, and the lookups they relied on."""

    issues: tuple[OrmIssue, ...]
    first: int
    last: int
    deps: tuple[Dep, ...]


# Per document: each function's issues keyed by the function's text and everything around it
# that the analysis reads; survives index generations (every keystroke makes one), validated
# by repeating the recorded lookups. Only the functions of a document's last analysis are
# kept (text edited away is not coming back often enough to hold on to), for a few documents.
_Cache = dict[tuple[object, ...], _Entry]
_FUNCTION_CACHES: RecentFiles[str | None, _Cache] = RecentFiles()


class _Document:
    def __init__(
        self,
        source: PythonSource,
        project: ProjectIndex,
        module: ModuleInfo | None,
        models: ModelIndex,
        version: Version,
        newline: str = "\n",
        source_path: str | None = None,
    ) -> None:
        self.source = source
        self.newline = newline
        self.project = project
        self.module = module
        self.models = models
        self.version = version
        self.knowledge = _knowledge(models)
        self.session_db = models.session_uses_db
        self._import_edits: dict[tuple[str, str], tuple[str, Edit | None]] = {}
        self._dep_memo: dict[tuple[object, ...], object] = {}
        self.lookups = Lookups()  # the index lookups of this analysis, shared by its functions
        self._cache: _Cache = _FUNCTION_CACHES.pop(source_path, {})
        self._kept: _Cache = {}
        self._jedi = DocumentBudget(str(project.root))
        self._context = _Context(
            (
                module.path if module is not None else None,
                _module_token(module),
                _star_token(project, module),
                str(self.version),
                _imports_token(source),
                models.token,
                newline,
            )
        )

    def function_issues(self, function: AsyncFunction) -> tuple[OrmIssue, ...]:
        node = function.node
        first = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
        last = (node.end_lineno or node.lineno) - 1
        lines = self.source.lines
        text = self.source.text[lines.line_start(first) : lines.line_end(last)]
        key = (text, node.col_offset, function.class_qualname, self._context)
        knowledge = self.knowledge
        entry = self._cache.get(key)
        memo = self._dep_memo
        if entry is not None and all(knowledge.dep_still_holds(dep, memo) for dep in entry.deps):
            self._kept[key] = entry
            if entry.first == first:
                return entry.issues
            return tuple(
                _shift(issue, entry.first, entry.last, first - entry.first)
                for issue in entry.issues
            )
        class_name = None
        if function.class_qualname and self.module is not None:
            class_name = f"{self.module.module}.{function.class_qualname}"
        knowledge.recorder = []
        try:
            walker = _Walker(self, function, class_name)
            walker.run()
            recorded = knowledge.recorder
        finally:
            knowledge.recorder = None
        unique: dict[tuple[object, ...], Dep] = {}
        for dep in recorded:
            unique.setdefault(dep[:-1], dep)
        result = tuple(walker.issues)
        self._kept[key] = _Entry(result, first, last, tuple(unique.values()))
        return result

    def external_model(self, qualified: str) -> str | None:
        """``qualified`` when jedi says the imported class is a Django model (bounded, cached)."""
        return qualified if self._jedi.is_external_model(qualified) else None

    def import_edit(self, module: str, name: str) -> tuple[str, Edit | None]:
        """The local name to use for ``module.name`` and the edit importing it (if needed)."""
        key = (module, name)
        found = self._import_edits.get(key)
        if found is None:
            local = imported_name(self.source.tree, module, name)
            edit = None
            if local is None:
                local = name
                edit = add_import_edit(self.source, module, name)
                if edit is not None and self.newline != "\n":
                    text = edit.text.replace("\r\n", "\n").replace("\n", self.newline)
                    edit = Edit(edit.span, text)
            found = (local, edit)
            self._import_edits[key] = found
        return found


class _Context:
    """The document context every function's cache key holds, compared by value, hashed once.

    (``ModelIndex.token`` alone lists every model file: hashing the context with each key,
    twice per function, cost more than some analyses.)
    """

    __slots__ = ("_hash", "items")

    def __init__(self, items: tuple[object, ...]) -> None:
        self.items = items
        self._hash = hash(items)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, _Context) and self._hash == other._hash and self.items == other.items
        )


def _imports_token(source: PythonSource) -> str:
    """Import edits depend on the top of the module: the text up to the first statement that is
    neither an import nor the docstring."""
    end_line = 0
    for index, stmt in enumerate(source.tree.body):
        is_docstring = (
            index == 0
            and isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str)
        )
        if not (is_docstring or isinstance(stmt, (ast.Import, ast.ImportFrom))):
            end_line = stmt.lineno - 1
            break
        end_line = stmt.end_lineno or stmt.lineno
    lines = source.lines
    return source.text[: lines.line_start(min(end_line, lines.line_count - 1))] if end_line else ""


def _shift_span(span: Span, first: int, last: int, delta: int) -> Span:
    if first <= span.line <= last:
        return Span(span.line + delta, span.column, span.end_line + delta, span.end_column)
    return span


def _shift(issue: OrmIssue, first: int, last: int, delta: int) -> OrmIssue:
    """The cached issue of a function that moved by ``delta`` lines (its text is unchanged)."""
    fix = issue.fix
    if fix is not None:
        edits = tuple(Edit(_shift_span(e.span, first, last, delta), e.text) for e in fix.edits)
        fix = Fix(fix.title, fix.applicability, edits)
    related = tuple(
        Related(
            r.message, _shift_span(r.span, first, last, delta) if r.path is None else r.span, r.path
        )
        for r in issue.related
    )
    return replace(
        issue, span=_shift_span(issue.span, first, last, delta), fix=fix, related=related
    )


def _star_token(project: ProjectIndex, module: ModuleInfo | None) -> object:
    """Names reached through ``from x import *`` depend on what ``x`` defines now."""
    if module is None or not module.star_imports:
        return None
    found = (project.find_module(star, module.path) for star in module.star_imports)
    return tuple(m.digest if m is not None else None for m in found)


def _module_token(module: ModuleInfo | None) -> object:
    if module is None:
        return None
    return (
        module.module,
        tuple(sorted(module.imports.items())),
        tuple(sorted(module.classes)),
        tuple(sorted(module.functions)),
    )


def _knowledge(models: ModelIndex) -> Knowledge:
    """One Knowledge per ModelIndex and state of the project's function bodies, stored on the
    index: a WeakKeyDictionary would never free the index, because the Knowledge value holds
    the index it is keyed by. (The ModelIndex outlives edits to function bodies; the
    Knowledge's judgements of helpers and custom methods read those bodies.)"""
    bodies = models.project.body_generation
    found: tuple[int, Knowledge] | None = getattr(models, "_djvet_knowledge", None)
    if found is None or found[0] != bodies:
        found = (bodies, Knowledge(models))
        models._djvet_knowledge = found  # type: ignore[attr-defined]
    return found[1]


# -- the walker -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Ctx:
    """Where an expression sits: what its value is used for, and whether a fix may add ``await``."""

    parent: ast.AST | None = None
    dropped: bool = False  # an expression statement: the value is thrown away
    truth: bool = False  # only its truth value is used (if/while/not/...)
    awaited: bool = False  # the operand of ``await``
    nofix: bool = False  # inside a generator expression / decorator: no await can be added


# ``_Walker.expr`` returns at once for these: the hot callers skip the call (and its ``_Ctx``).
_LEAVES = (ast.Name, ast.Constant)


class _Walker:
    def __init__(self, doc: _Document, function: AsyncFunction, class_name: str | None) -> None:
        self.doc = doc
        self.source = doc.source
        self.k = doc.knowledge
        self.function = function
        self.inf = Inferrer(
            doc.source, doc.module, doc.knowledge, class_name, doc.external_model, doc.lookups
        )
        self.issues: list[OrmIssue] = []
        self.dicts: dict[str, ast.Dict] = {}
        self.stmt: ast.stmt | None = None
        self.prevalidated: set[Edit] = set()  # edits checked in their own statement earlier
        self.local_defs: dict[str, ast.FunctionDef] = {}  # nested sync defs, by name
        self._reported: set[tuple[str, int, int]] = set()

    # -- helpers ----------------------------------------------------------------------------
    def span(self, node: ast.AST) -> Span:
        return self.source.span(node)

    def text(self, node: ast.AST, limit: int = _TEXT_LIMIT) -> str:
        segment = self.source.segment(node)
        segment = " ".join(segment.split())
        return segment if len(segment) <= limit else segment[: limit - 1] + "…"

    def qualify(self, name: str) -> str:
        return self.inf.qualify(name)

    def report(
        self,
        code: str,
        node: ast.AST | Span,
        message: str,
        severity: Severity = Severity.ERROR,
        fix: Fix | None = None,
        related: tuple[Related, ...] = (),
        url: str | None = None,
    ) -> None:
        span = node if isinstance(node, Span) else self.span(node)
        key = (code, span.line, span.column)
        if key in self._reported:
            return
        self._reported.add(key)
        if fix is not None and not self.valid(fix):
            fix = None
        self.issues.append(OrmIssue(code, span, message, severity, fix, related, url))

    def valid(self, fix: Fix) -> bool:
        """The fixed statement still parses (checked on the statement, not the whole file)."""
        stmt = self.stmt
        if stmt is None:
            return False
        lines = self.source.lines
        first = stmt.lineno - 1
        last = (stmt.end_lineno or stmt.lineno) - 1
        start = lines.line_start(first)
        end = lines.line_end(last)
        local = [e for e in fix.edits if first <= e.span.line and e.span.end_line <= last]
        outside = [e for e in fix.edits if e not in local]
        if any(not (_trusted_outside(e) or e in self.prevalidated) for e in outside):
            return False
        text = self.source.text[start:end]
        shifted = []
        for edit in local:
            a = lines.offset(edit.span.line, edit.span.column) - start
            b = lines.offset(edit.span.end_line, edit.span.end_column) - start
            shifted.append((a, b, edit.text))
        for a, b, new in sorted(shifted, reverse=True):
            text = text[:a] + new + text[b:]
        return _statement_parses(text)

    def version_has(self, table: str, key: str) -> str | None:
        return async_name(table, key, self.doc.version)

    # -- statements -------------------------------------------------------------------------
    def run(self) -> None:
        node = self.function.node
        self.inf.bind_params(node)
        for decorator in node.decorator_list:
            self.stmt = node
            kind = self.inf.infer(decorator)
            if isinstance(kind, Atomic):
                self.report(
                    DJV304,
                    decorator,
                    "`@transaction.atomic` on an `async def` enters the transaction on the event loop "
                    "and raises SynchronousOnlyOperation; Django has no async transaction API: move the "
                    "transactional code into a sync function and `await sync_to_async(fn)()`",
                )
        self.block(node.body)

    def block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.statement(stmt)

    def statement(self, node: ast.stmt) -> None:
        self.stmt = node
        env = self.inf.env
        if isinstance(node, ast.Expr):
            if not isinstance(node.value, _LEAVES):
                self.expr(node.value, _Ctx(node, dropped=True))
        elif isinstance(node, ast.Assign):
            if not isinstance(node.value, _LEAVES):
                self.expr(node.value, _Ctx(node))
            for target in node.targets:
                self.store(target, node.value if len(node.targets) == 1 else None, node)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.expr(node.value, _Ctx(node))
                self.store(node.target, node.value, node)
        elif isinstance(node, ast.AugAssign):
            self.expr(node.value, _Ctx(node))
            self.store(node.target, None, node)
        elif isinstance(node, (ast.Return, ast.Raise)):
            value = node.value if isinstance(node, ast.Return) else node.exc
            if value is not None and not isinstance(value, _LEAVES):
                self.expr(value, _Ctx(node))
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                self.delete(target, node)
        elif isinstance(node, (ast.If, ast.While)):
            self.truth_test(node.test, node)
            before = env.copy()
            self.block(node.body)
            after_body = self.inf.env
            self.inf.env = before.copy()
            self.block(node.orelse)
            merged = after_body.merged(self.inf.env)
            if isinstance(node, ast.While):
                merged = merged.merged(before)
            self.inf.env = merged
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.loop(node)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.stmt = node
                self.with_item(item, node)
            self.block(node.body)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            before = env.copy()
            self.block(node.body)  # type: ignore[attr-defined]
            outcomes = [self.inf.env]
            for handler in node.handlers:  # type: ignore[attr-defined]
                self.inf.env = before.merged(outcomes[0])
                if handler.type is not None:
                    self.stmt = node
                    self.expr(handler.type, _Ctx(handler))
                if handler.name:
                    self.inf.env.names[handler.name] = None
                self.block(handler.body)
                outcomes.append(self.inf.env)
            self.inf.env = outcomes[0]
            self.block(node.orelse)  # type: ignore[attr-defined]
            merged = self.inf.env
            for outcome in outcomes[1:]:
                merged = merged.merged(outcome)
            self.inf.env = merged
            self.block(node.finalbody)  # type: ignore[attr-defined]
        elif type(node).__name__ == "Match":
            self.expr(node.subject, _Ctx(node))  # type: ignore[attr-defined]
            before = env.copy()
            merged_env: Env | None = None
            for case in node.cases:  # type: ignore[attr-defined]
                self.inf.env = before.copy()
                self.block(case.body)
                merged_env = self.inf.env if merged_env is None else merged_env.merged(self.inf.env)
            self.inf.env = before if merged_env is None else merged_env.merged(before)
        elif isinstance(node, ast.Assert):
            self.truth_test(node.test, node)
            if node.msg is not None:
                self.expr(node.msg, _Ctx(node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for decorator in node.decorator_list:
                self.expr(decorator, _Ctx(node, nofix=True))
            if not isinstance(node, ast.ClassDef):
                for default in (*node.args.defaults, *node.args.kw_defaults):
                    if default is not None:
                        self.expr(default, _Ctx(node, nofix=True))
            env.names[node.name] = None
            if isinstance(node, ast.FunctionDef):
                self.local_defs[node.name] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                env.names[(alias.asname or alias.name).split(".")[0]] = None
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                env.names[name] = None

    def loop(self, node: ast.For | ast.AsyncFor) -> None:
        self.expr(node.iter, _Ctx(node))
        kind = self.inf.infer(node.iter)
        self.iteration(node.iter, kind, isinstance(node, ast.AsyncFor), node)
        before = self.inf.env.copy()
        self.bind(node.target, element_of(kind))
        self.block(node.body)
        after = self.inf.env.merged(before)
        self.inf.env = after
        self.block(node.orelse)
        if isinstance(node.iter, ast.Name) and isinstance(kind, QuerySet):
            current = self.inf.env.names.get(node.iter.id)
            if isinstance(current, QuerySet):
                self.inf.env.names[node.iter.id] = replace(current, cached="yes")

    def with_item(self, item: ast.withitem, node: ast.With | ast.AsyncWith) -> None:
        self.expr(item.context_expr, _Ctx(item))
        kind = self.inf.infer(item.context_expr)
        if isinstance(kind, Atomic) and isinstance(node, ast.With):
            self.report(
                DJV304,
                item.context_expr,
                "`transaction.atomic()` opens a transaction on the event loop and raises "
                "SynchronousOnlyOperation; Django has no async transaction API: move the block into a "
                "sync function and `await sync_to_async(fn)()`",
            )
        elif isinstance(kind, Atomic) and isinstance(node, ast.AsyncWith):
            self.report(
                DJV305,
                item.context_expr,
                "`async with transaction.atomic()` raises TypeError: `Atomic` is not an async context "
                "manager and Django has no async transaction API; move the block into a sync function "
                "and `await sync_to_async(fn)()`",
            )
        if item.optional_vars is not None:
            self.bind(item.optional_vars, None)

    # -- binding ----------------------------------------------------------------------------
    def bind(self, target: ast.AST, kind: Kind | None) -> None:
        env = self.inf.env.names
        if isinstance(target, ast.Name):
            env[target.id] = kind
            self.dicts.pop(target.id, None)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items: tuple[Kind | None, ...] = ()
            if isinstance(kind, TupleOf) and len(kind.items) == len(target.elts):
                items = kind.items
            for index, element in enumerate(target.elts):
                self.bind(element, items[index] if items else None)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, None)

    def store(self, target: ast.AST, value: ast.expr | None, stmt: ast.stmt) -> None:
        if isinstance(target, ast.Name):
            kind = self.inf.infer(value) if value is not None else None
            self.bind(target, kind)
            if isinstance(value, ast.Dict):
                self.dicts[target.id] = value
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            kind = self.inf.infer(value) if value is not None else None
            self.bind(target, kind)
            for element in target.elts:
                if not isinstance(element, (ast.Name, ast.Starred)):
                    self.store(element, None, stmt)
            return
        if isinstance(target, ast.Attribute):
            self.expr(target.value, _Ctx(target))
            base = self.inf.infer(target.value)
            if isinstance(base, Instance) and base.lazy_user:
                self.lazy_user_access(target, base)
            elif isinstance(base, Instance) and isinstance(target.value, ast.Name):
                # ``book.author = a``: the relation is cached from here on.
                loaded = base.loaded | {target.attr} if base.loaded is not None else None
                self.inf.env.names[target.value.id] = replace(base, loaded=loaded)
            return
        if isinstance(target, ast.Subscript):
            self.expr(target.value, _Ctx(target))
            self.expr(target.slice, _Ctx(target))
            base = self.inf.infer(target.value)
            if isinstance(base, Session):
                simple = (
                    isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and value is not None
                )
                self.session_item(target, "setitem", stmt if simple else None, value)
            return
        if isinstance(target, ast.Starred):
            self.store(target.value, None, stmt)

    def delete(self, target: ast.expr, stmt: ast.Delete) -> None:
        if isinstance(target, ast.Subscript):
            self.expr(target.value, _Ctx(target))
            self.expr(target.slice, _Ctx(target))
            if isinstance(self.inf.infer(target.value), Session):
                simple = len(stmt.targets) == 1
                self.session_item(target, "delitem", stmt if simple else None, None)
            return
        if isinstance(target, ast.Name):
            self.inf.env.names.pop(target.id, None)
            return
        self.expr(target, _Ctx(stmt))

    # -- expressions ------------------------------------------------------------------------
    def expr(self, node: ast.AST, ctx: _Ctx) -> None:
        handler = _EXPR_HANDLERS.get(type(node))
        if handler is None:
            handler = _EXPR_HANDLERS[type(node)] = _expr_handler(type(node))
        handler(self, node, ctx)

    def _leaf(self, node: ast.AST, ctx: _Ctx) -> None:
        return

    def _attribute_expr(self, node: ast.Attribute, ctx: _Ctx) -> None:
        if not isinstance(node.value, _LEAVES):
            self.expr(node.value, _Ctx(node, nofix=ctx.nofix))
        self.attribute(node, ctx)

    def _await_expr(self, node: ast.Await, ctx: _Ctx) -> None:
        if not isinstance(node.value, _LEAVES):
            self.expr(node.value, _Ctx(node, awaited=True, nofix=ctx.nofix))
        self.awaited(node)

    def _subscript_expr(self, node: ast.Subscript, ctx: _Ctx) -> None:
        if not isinstance(node.value, _LEAVES):
            self.expr(node.value, _Ctx(node, nofix=ctx.nofix))
        if not isinstance(node.slice, _LEAVES):
            self.expr(node.slice, _Ctx(node, nofix=ctx.nofix))
        self.subscript(node, ctx)

    def _compare_expr(self, node: ast.Compare, ctx: _Ctx) -> None:
        if not isinstance(node.left, _LEAVES):
            self.expr(node.left, _Ctx(node, nofix=ctx.nofix))
        for comparator in node.comparators:
            if not isinstance(comparator, _LEAVES):
                self.expr(comparator, _Ctx(node, nofix=ctx.nofix))
        self.compare(node, ctx)

    def _boolop_expr(self, node: ast.BoolOp, ctx: _Ctx) -> None:
        last = len(node.values) - 1
        for index, value in enumerate(node.values):
            if index < last or ctx.truth:
                self.truth_test(value, node, fixable=ctx.truth and not ctx.nofix, nofix=ctx.nofix)
            else:
                self.expr(value, _Ctx(node, nofix=ctx.nofix))

    def _unary_expr(self, node: ast.UnaryOp, ctx: _Ctx) -> None:
        if isinstance(node.op, ast.Not):
            self.truth_test(node.operand, node, nofix=ctx.nofix)
        else:
            self._generic_expr(node, ctx)

    def _ifexp_expr(self, node: ast.IfExp, ctx: _Ctx) -> None:
        self.truth_test(node.test, node, nofix=ctx.nofix)
        self.expr(node.body, _Ctx(node, nofix=ctx.nofix))
        self.expr(node.orelse, _Ctx(node, nofix=ctx.nofix))

    def _formatted_expr(self, node: ast.FormattedValue, ctx: _Ctx) -> None:
        self.expr(node.value, _Ctx(node, nofix=ctx.nofix))
        kind = self.inf.infer(node.value)
        if _iteration_queries(kind):
            self.evaluation(
                node.value,
                node.value,
                kind,
                "Formatting {qs} in an f-string",
                None,
                replacement="a list built with `async for` first",
            )
        if node.format_spec is not None:
            self.expr(node.format_spec, _Ctx(node, nofix=ctx.nofix))

    def _lambda_expr(self, node: ast.Lambda, ctx: _Ctx) -> None:
        for default in (*node.args.defaults, *node.args.kw_defaults):
            if default is not None:
                self.expr(default, _Ctx(node, nofix=True))

    def _named_expr(self, node: ast.NamedExpr, ctx: _Ctx) -> None:
        self.expr(node.value, _Ctx(node, nofix=ctx.nofix))
        self.bind(node.target, self.inf.infer(node.value))

    def _generic_expr(self, node: ast.AST, ctx: _Ctx) -> None:
        sub = _Ctx(node, nofix=ctx.nofix)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _LEAVES):
                continue
            if isinstance(child, ast.expr):
                self.expr(child, sub)
            elif isinstance(child, ast.keyword) and not isinstance(child.value, _LEAVES):
                self.expr(child.value, sub)

    def comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp, ctx: _Ctx
    ) -> None:
        genexp = isinstance(node, ast.GeneratorExp)
        saved = dict(self.inf.env.names)
        for index, generator in enumerate(node.generators):
            inner_nofix = ctx.nofix or (genexp and index > 0)
            self.expr(generator.iter, _Ctx(node, nofix=inner_nofix))
            kind = self.inf.infer(generator.iter)
            self.iteration(
                generator.iter,
                kind,
                bool(generator.is_async),
                generator,
                nofix=inner_nofix,
                comp=node,
            )
            self.bind(generator.target, element_of(kind))
            for test in generator.ifs:
                self.truth_test(test, node, nofix=ctx.nofix or genexp)
        parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        for part in parts:
            self.expr(part, _Ctx(node, nofix=ctx.nofix or genexp))
        self.inf.env.names = saved

    # -- checks -----------------------------------------------------------------------------
    def attribute(self, node: ast.Attribute, ctx: _Ctx) -> None:
        base = self.inf.infer(node.value)
        if base is None:
            return  # each test below needs a kind
        if isinstance(base, Request) and node.attr == "user":
            kind = self.inf.infer(node)
            if isinstance(kind, Instance):
                self.inf.set_kind(node, replace(kind, user_fix=self.auser_edits(node, ctx)))
            return
        if isinstance(base, Coroutine):
            self.coroutine_misuse(node.value, base, "reading an attribute of it")
            return
        if isinstance(base, Paginator) and node.attr in ("count", "num_pages", "page_range"):
            self.report(
                DJV304,
                node,
                f"`{self.text(node)}` counts the QuerySet with a database query in async code and raises "
                f"SynchronousOnlyOperation; {self.paginator_advice()}",
            )
            return
        if not isinstance(base, Instance):
            return
        if base.lazy_user:
            self.lazy_user_access(node, base)
            return
        self.relation_access(node, base)

    def relation_access(self, node: ast.Attribute, base: Instance) -> None:
        if base.loaded is None:
            return
        info = self.doc.models.model(base.model)
        if info is None:
            return
        name = node.attr
        relation = info.relation(name)
        reverse = info.reverse.get(name)
        forward = relation is not None and relation.kind in ("fk", "o2o")
        backward_one = reverse is not None and reverse.kind == "o2o"
        if forward or backward_one:
            if name in base.loaded or (relation is None and reverse is None):
                return
            path = f"{base.path}__{name}" if base.path else name
            fix = None
            if base.insert_at is not None:
                anchor = self.span(base.insert_at)
                line, column = anchor.end_line, anchor.end_column
                fix = Fix(
                    f'Add `select_related("{path}")` to the query',
                    Applicability.SAFE,
                    (Edit(Span(line, column, line, column), f'.select_related("{path}")'),),
                )
            what = (
                "foreign key"
                if relation is not None and relation.kind == "fk"
                else "one-to-one relation"
            )
            self.report(
                DJV303,
                node,
                f"`{self.text(node)}` loads the {what} `{name}` with a database query in async code and "
                f'raises SynchronousOnlyOperation; add `select_related("{path}")` to the query that '
                f"produced `{self.text(node.value)}`"
                + (
                    f", or read `{name}_id`"
                    if relation is not None and relation.kind == "fk"
                    else ""
                ),
                fix=fix,
            )
            return
        if name in ("pk", "id") or name not in info.fields:
            return
        deferred = name in base.deferred or (base.only is not None and name not in base.only)
        if deferred and (relation is None or relation.kind != "m2m"):
            self.report(
                DJV303,
                node,
                f"`{self.text(node)}` reads the deferred field `{name}` (left out by only()/defer()), which "
                "runs a database query in async code and raises SynchronousOnlyOperation; load the field "
                f'in the query, or `await {self.text(node.value)}.arefresh_from_db(fields=["{name}"])` first',
            )

    def lazy_user_access(self, node: ast.expr, base: Instance) -> None:
        has = self.version_has("async_auth_functions", "request.user")
        fix = None
        if has and base.user_fix:
            fix = Fix("Use `await request.auser()`", Applicability.UNSAFE, base.user_fix)
        replacement = (
            "use `user = await request.auser()` (Django 5.0+)"
            if has
            else (
                "resolve the user in a thread: `user = await sync_to_async(lambda: request.user)()` after "
                "touching an attribute there (request.auser() needs Django 5.0+)"
            )
        )
        self.report(
            DJV304,
            node,
            f"`{self.text(node)}` loads `request.user` from the session on first access, a database query "
            f"when the request has a database-backed session, and raises SynchronousOnlyOperation in async "
            f"code; {replacement}",
            Severity.WARNING,
            fix,
            url=facts()["async_auth_functions"]["request.user"].get("docs"),
        )

    def auser_edits(self, node: ast.Attribute, ctx: _Ctx) -> tuple[Edit, ...]:
        span = self.span(node)
        request = self.source.segment(node.value)
        parent = ctx.parent
        needs_parens = not isinstance(
            parent, (ast.Assign, ast.AnnAssign, ast.Return, ast.keyword, ast.Call)
        )
        text = f"await {request}.auser()"
        if needs_parens:
            text = f"({text})"
        edits = (Edit(span, text),)
        if ctx.nofix or not self.valid(Fix("", Applicability.UNSAFE, edits)):
            return ()
        self.prevalidated.update(edits)
        return edits

    def call(self, node: ast.Call, ctx: _Ctx) -> None:
        sub = _Ctx(node, nofix=ctx.nofix)
        if not isinstance(node.func, _LEAVES):
            self.expr(node.func, sub)
        for arg in node.args:
            if not isinstance(arg, _LEAVES):
                self.expr(arg, sub)
        for keyword in node.keywords:
            if not isinstance(keyword.value, _LEAVES):
                self.expr(keyword.value, sub)
        if (
            isinstance(node.func, ast.Call)
            and node.func.args
            and is_offload_call(node.func, self.qualify)
        ):
            self.offloaded_user_access(node.func.args[0])
        effect = self.inf.effect(node)
        if effect.what == "async":
            self.async_name_exists(node, effect, ctx)
        if effect.what == "query":
            self.query_call(node, effect, ctx)
        elif effect.what == "async" and ctx.dropped and isinstance(effect.result, Coroutine):
            self.coroutine_misuse(node, effect.result, "dropping it", statement=True)
        if isinstance(node.func, ast.Name) and node.func.id not in self.inf.env.names:
            qualified = self.qualify(node.func.id)
            if qualified == node.func.id and node.func.id in _EVAL_BUILTINS:
                self.builtin_call(node, ctx)
            elif qualified == "django.shortcuts.render":
                self.render_call(node, ctx)

    def async_name_exists(self, node: ast.Call, effect: Effect, ctx: _Ctx) -> None:
        """An ``a*`` method or function newer than the project's Django: AttributeError /
        ImportError at runtime. Fixed with ``sync_to_async`` around the sync name."""
        sync, entry = _async_entry(effect.family, _call_name(node))
        if entry is None or self.doc.version >= _version(entry["since"]):
            return
        fix = None
        func = node.func
        if isinstance(func, ast.Attribute) and effect.family != "request" and sync:
            local, import_edit = self.doc.import_edit(ASGIREF, "sync_to_async")
            func_span = self.span(func)
            edits = [
                Edit(_point(func_span), f"{'await ' if ctx.dropped else ''}{local}("),
                Edit(self.source.attr_span(func), sync),
                Edit(_end_point(func_span), ")"),
            ]
            if import_edit is not None:
                edits.append(import_edit)
            fix = Fix(
                f"Use `sync_to_async({self.text(func.value)}.{sync})`",
                Applicability.SAFE,
                tuple(edits),
            )
        version = f"{self.doc.version.major}.{self.doc.version.minor}"
        error = "ImportError" if isinstance(func, ast.Name) else "AttributeError"
        advice = f"upgrade to Django {entry['since']}+ or call the sync API through `sync_to_async`"
        if fix is not None and isinstance(func, ast.Attribute):
            advice = f"use `await sync_to_async({self.text(func.value)}.{sync})(...)`"
        self.report(
            DJV305,
            node,
            f"`{self.text(func)}()` does not exist in Django {version} (added in {entry['since']}): "
            f"{error} at runtime; {advice}",
            fix=fix,
        )

    def offloaded_user_access(self, callable_node: ast.expr) -> None:
        """``await sync_to_async(lambda: request.user.is_authenticated)()`` evaluates the lazy
        ``request.user`` in a thread: afterwards reading it on the loop runs no query."""
        body: list[ast.AST] = []
        if isinstance(callable_node, ast.Lambda):
            body = [callable_node.body]
        elif isinstance(callable_node, ast.Name) and callable_node.id in self.local_defs:
            body = list(self.local_defs[callable_node.id].body)
        for part in body:
            for sub in ast.walk(part):
                if (
                    isinstance(sub, ast.Attribute)
                    and isinstance(sub.value, ast.Attribute)
                    and sub.value.attr == "user"
                    and isinstance(sub.value.value, ast.Name)
                    and isinstance(self.inf.env.names.get(sub.value.value.id), Request)
                ):
                    self.inf.env.names[sub.value.value.id] = Request(user_loaded=True)

    def awaited(self, node: ast.Await) -> None:
        kind = self.inf.infer(node.value)
        if isinstance(kind, (QuerySet, Manager)):
            what = "a Manager" if isinstance(kind, Manager) else "a QuerySet"
            self.report(
                DJV305,
                node,
                f"`{self.text(node)}` awaits {what}, which is not awaitable (TypeError); iterate it with "
                f"`async for`, or await one of its async methods (`acount()`, `afirst()`, ...)",
            )
        elif isinstance(kind, AsyncQueryIterator):
            self.report(
                DJV305,
                node,
                f"`{self.text(node)}` awaits an async generator (TypeError); iterate it: "
                f"`async for obj in {self.text(node.value)}:`",
            )

    def subscript(self, node: ast.Subscript, ctx: _Ctx) -> None:
        base = self.inf.infer(node.value)
        if isinstance(base, Coroutine):
            self.coroutine_misuse(node.value, base, "indexing it")
            return
        if isinstance(base, Session) and isinstance(node.ctx, ast.Load):
            self.session_item(node, "getitem", None, None)
            return
        if not isinstance(base, QuerySet) or not isinstance(node.ctx, ast.Load):
            return
        index = node.slice
        if isinstance(index, ast.Slice) and index.step is None:
            return
        if not _iteration_queries(base):
            return
        fix = None
        variable = _fresh_name(self.source.segment(node.value))
        value_span = self.span(node.value)
        node_span = self.span(node)
        index_span = self.span(index)
        if isinstance(index, ast.Slice):
            description = "Slicing {qs} with a step"
            replacement = "`[obj async for obj in qs[start:stop]][::step]`"
            assert index.step is not None
            step_text = self.source.segment(index.step)
            lower = self.source.segment(index.lower) if index.lower else ""
            upper = self.source.segment(index.upper) if index.upper else ""
            if not ctx.nofix and base.cached == "no":
                fix = Fix(
                    "Fetch the slice with `async for`, then step",
                    Applicability.SAFE,
                    (
                        Edit(_point(value_span), f"[{variable} async for {variable} in "),
                        Edit(index_span, f"{lower}:{upper}"),
                        Edit(_end_point(node_span), f"][::{step_text}]"),
                    ),
                )
        else:
            description = "Indexing {qs}"
            replacement = "`await qs.afirst()` or `[obj async for obj in qs[i:i + 1]][0]`"
            literal = (
                isinstance(index, ast.Constant)
                and isinstance(index.value, int)
                and not isinstance(index.value, bool)
            )
            if literal and not ctx.nofix and base.cached == "no":
                assert isinstance(index, ast.Constant) and isinstance(index.value, int)
                value = index.value
                if value >= 0:
                    fix = Fix(
                        "Fetch the row with `async for` (same query, same IndexError)",
                        Applicability.SAFE,
                        (
                            Edit(_point(value_span), f"[{variable} async for {variable} in "),
                            Edit(index_span, f"{value}:{value + 1}"),
                            Edit(_end_point(node_span), "][0]"),
                        ),
                    )
        self.evaluation(node, node.value, base, description, fix, replacement=replacement)

    def compare(self, node: ast.Compare, ctx: _Ctx) -> None:
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=False):
            if not isinstance(op, (ast.In, ast.NotIn)):
                left = right
                continue
            kind = self.inf.infer(right)
            single = len(node.ops) == 1 and not ctx.nofix
            negated = isinstance(op, ast.NotIn)
            prefix = "not " if negated else ""
            if isinstance(kind, Session):
                fix = None
                has = self._session_name("contains")
                if single and has:
                    fix = self.replace_expr_fix(
                        node,
                        ctx,
                        f"{prefix}await {self.source.segment(right)}.{has}({self.source.segment(left)})",
                        f"Use `await request.session.{has}()`",
                        negated=negated,
                    )
                self.session_report(node, "`in` on the session", "contains", fix)
            elif _iteration_queries(kind):
                assert isinstance(kind, QuerySet)
                fix = None
                left_kind = self.inf.infer(left)
                same_model = isinstance(left_kind, Instance) and left_kind.model == kind.model
                if single and same_model and kind.rows == "instances" and kind.cached == "no":
                    new = self.version_has("async_queryset_methods", "contains")
                    if new:
                        fix = self.replace_expr_fix(
                            node,
                            ctx,
                            f"{prefix}await {_primary(self.source.segment(right), right)}.{new}({self.source.segment(left)})",
                            f"Use `await qs.{new}()`",
                            negated=negated,
                        )
                self.evaluation(
                    node,
                    right,
                    kind,
                    "Testing membership in {qs}",
                    fix,
                    replacement="`await qs.acontains(obj)`",
                )
            left = right

    def truth_test(
        self, node: ast.expr, parent: ast.AST, *, fixable: bool = True, nofix: bool = False
    ) -> None:
        self.expr(node, _Ctx(parent, truth=True, nofix=nofix))
        kind = self.inf.infer(node)
        if isinstance(kind, Coroutine):
            self.coroutine_misuse(
                node,
                kind,
                "testing its truth value (a coroutine is always true)",
                parens=False,
                nofix=nofix,
            )
        elif isinstance(kind, Instance) and kind.lazy_user:
            self.lazy_user_access(node, kind)  # bool() sets the lazy user up: a query
        elif _iteration_queries(kind):
            assert isinstance(kind, QuerySet)
            fix = None
            new = self.version_has("async_queryset_methods", "exists")
            if fixable and not nofix and new and kind.cached == "no":
                segment = _primary(self.source.segment(node), node)
                span = self.span(node)
                fix = Fix(
                    f"Use `await qs.{new}()`",
                    Applicability.SAFE,
                    (Edit(span, f"await {segment}.{new}()"),)
                    if not _needs_parens_in(parent, node)
                    else (Edit(span, f"(await {segment}.{new}())"),),
                )
            self.evaluation(
                node,
                node,
                kind,
                "Testing the truth of {qs}",
                fix,
                replacement="`await qs.aexists()`",
            )

    def iteration(
        self,
        node: ast.expr,
        kind: Kind | None,
        is_async: bool,
        owner: ast.For | ast.AsyncFor | ast.comprehension,
        *,
        nofix: bool = False,
        comp: ast.AST | None = None,
    ) -> None:
        genexp_first = isinstance(comp, ast.GeneratorExp)
        for_pos = self.for_keyword(owner)
        if is_async:
            if isinstance(kind, Manager):
                fix = (
                    Fix(
                        "Iterate `.all()`",
                        Applicability.SAFE,
                        (Edit(_end_point(self.span(node)), ".all()"),),
                    )
                    if isinstance(node, (ast.Name, ast.Attribute, ast.Call))
                    else None
                )
                self.report(
                    DJV305,
                    node,
                    f"`async for` over the Manager `{self.text(node)}` raises TypeError (a Manager is not "
                    f"async-iterable); iterate `{self.text(node)}.all()`",
                    fix=fix,
                )
            elif isinstance(kind, QueryIterator):
                self.report(
                    DJV305,
                    node,
                    f"`async for` over `{self.text(node)}` raises TypeError (`iterator()` returns a sync "
                    f"generator); use `aiterator()`",
                    fix=self.rename_iterator_fix(node, None),
                )
            return
        if isinstance(kind, AsyncQueryIterator):
            fix = None
            if for_pos is not None and not nofix and not genexp_first:
                fix = Fix(
                    "Use `async for`",
                    Applicability.SAFE,
                    (Edit(Span(*for_pos, *for_pos), "async "),),
                )
            self.report(
                DJV305,
                node,
                f"`for` over `{self.text(node)}` raises TypeError (`aiterator()` is an async generator); "
                "use `async for`",
                fix=fix,
            )
            return
        if isinstance(kind, Coroutine):
            self.coroutine_misuse(node, kind, "iterating it", parens=False, nofix=nofix)
            return
        if isinstance(kind, QueryIterator):
            fix = None
            if for_pos is not None and not nofix and not genexp_first:
                fix = self.rename_iterator_fix(node, for_pos)
            self.report(
                DJV302,
                node,
                f"Iterating `{self.text(node)}` runs its database query in async code and raises "
                f"SynchronousOnlyOperation; use `async for obj in qs.aiterator()`",
                fix=fix,
            )
            return
        if not _iteration_queries(kind):
            return
        assert isinstance(kind, QuerySet)
        fix = None
        if for_pos is not None and not nofix and not genexp_first:
            fix = Fix(
                "Use `async for`", Applicability.SAFE, (Edit(Span(*for_pos, *for_pos), "async "),)
            )
        self.evaluation(node, node, kind, "Iterating {qs}", fix, replacement="`async for`")

    def for_keyword(
        self, owner: ast.For | ast.AsyncFor | ast.comprehension
    ) -> tuple[int, int] | None:
        if isinstance(owner, (ast.For, ast.AsyncFor)):
            span = self.span(owner)
            return (span.line, span.column)
        target = self.span(owner.target)
        lines = self.source.lines
        offset = lines.offset(target.line, target.column)
        text = self.source.text
        index = offset
        while index > 0 and text[index - 1] in " \t\n\\":
            index -= 1
        if (
            index >= 3
            and text[index - 3 : index] == "for"
            and (index == 3 or not (text[index - 4].isalnum() or text[index - 4] == "_"))
        ):
            return lines.position(index - 3)
        return None

    def rename_iterator_fix(self, node: ast.expr, for_pos: tuple[int, int] | None) -> Fix | None:
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "iterator"
        ):
            return None
        queryset = self.inf.infer(node.func.value)
        prefetching = isinstance(queryset, (QuerySet, Manager)) and (
            not isinstance(queryset, QuerySet) or bool(queryset.prefetch)
        )
        if prefetching and isinstance(queryset, QuerySet) and self.doc.version < _version("5.0"):
            return None  # aiterator() after prefetch_related() raises NotSupportedError before 5.0
        edits = [Edit(self.source.attr_span(node.func), "aiterator")]
        if for_pos is not None:
            edits.insert(0, Edit(Span(*for_pos, *for_pos), "async "))
        return Fix("Use `async for ... in qs.aiterator()`", Applicability.SAFE, tuple(edits))

    def evaluation(
        self,
        node: ast.AST,
        qs_node: ast.AST,
        kind: QuerySet,
        how: str,
        fix: Fix | None,
        *,
        replacement: str = "`async for`",
    ) -> None:
        """A sync evaluation of a QuerySet (DJV302), or of an un-prefetched relation (DJV303).

        ``how`` names the operation with ``{qs}`` where the QuerySet's text goes:
        "Iterating {qs}", "Calling `len()` on {qs}"."""
        severity = Severity.WARNING if kind.cached == "maybe" else Severity.ERROR
        cached_note = (
            " (unless an earlier `async for` already filled its result cache)"
            if kind.cached == "maybe"
            else ""
        )
        qs_text = f"`{self.text(qs_node)}`"
        if kind.related is not None and not kind.from_prefetch:
            related = kind.related
            owner = self.doc.models.model(related.owner)
            owner_name = owner.short_name if owner is not None else "object"
            action = how.format(qs=f"the related objects {qs_text}")
            self.report(
                DJV303,
                node,
                f"{action} runs a database query in async code and raises SynchronousOnlyOperation"
                f'{cached_note}; add `prefetch_related("{related.accessor}")` to the query that '
                f"produced the {owner_name}, or use {replacement}",
                severity,
                fix,
            )
            return
        action = how.format(qs=f"the QuerySet {qs_text}")
        self.report(
            DJV302,
            node,
            f"{action} runs its database query in async code and raises SynchronousOnlyOperation"
            f"{cached_note}; use {replacement}",
            severity,
            fix,
            url=facts()["notes"]["async_queryset_methods"]["iter__"].get("docs"),
        )

    def builtin_call(self, node: ast.Call, ctx: _Ctx) -> None:
        name = node.func.id  # type: ignore[attr-defined]
        which = _EVAL_BUILTINS[name]
        if not node.args:
            return
        args = node.args[:1] if which == "first" else node.args if which == "all" else node.args[1:]
        for arg in args:
            if isinstance(arg, ast.Starred):
                continue
            kind = self.inf.infer(arg)
            if isinstance(kind, QueryIterator) and name in (
                "list",
                "tuple",
                "set",
                "next",
                "sorted",
                "sum",
                "any",
                "all",
                "min",
                "max",
            ):
                self.report(
                    DJV302,
                    node,
                    f"`{self.text(node)}` consumes `iterator()`, which runs its database query in async code "
                    f"and raises SynchronousOnlyOperation; use `async for obj in qs.aiterator()`",
                )
                continue
            if not _iteration_queries(kind):
                continue
            assert isinstance(kind, QuerySet)
            fix = None
            single = (
                len(node.args) == 1 and not node.keywords and not ctx.nofix and kind.cached == "no"
            )
            if single:
                fix = self.builtin_fix(node, name, arg, kind, ctx)
            how = f"Calling `{name}()` on {{qs}}"
            replacement = {
                "len": "`await qs.acount()`",
                "bool": "`await qs.aexists()`",
            }.get(name, "`[obj async for obj in qs]`")
            if name in ("str", "repr", "print"):
                replacement = "a list built with `async for` first"
            self.evaluation(node, arg, kind, how, fix, replacement=replacement)

    def builtin_fix(
        self, node: ast.Call, name: str, arg: ast.expr, kind: QuerySet, ctx: _Ctx
    ) -> Fix | None:
        call_span = self.span(node)
        arg_span = self.span(arg)
        head = Span(call_span.line, call_span.column, arg_span.line, arg_span.column)
        tail = Span(
            arg_span.end_line, arg_span.end_column, call_span.end_line, call_span.end_column
        )
        if self.source.lines.slice(tail).strip() != ")":
            return None
        arg_text = self.source.segment(arg)
        parens = _needs_parens_in(ctx.parent, node)
        if name in ("len", "bool"):
            method = self.version_has(
                "async_queryset_methods", "count" if name == "len" else "exists"
            )
            if not method:
                return None
            open_text, close_text = (
                ("(await ", f".{method}())") if parens else ("await ", f".{method}()")
            )
            if not _is_primary(arg):
                open_text, close_text = open_text + "(", ")" + close_text
            return Fix(
                f"Use `await qs.{method}()`",
                Applicability.SAFE,
                (Edit(head, open_text), Edit(tail, close_text)),
            )
        if name in ("list", "tuple", "set", "sorted", "frozenset"):
            variable = _fresh_name(arg_text)
            comp = f"{variable} async for {variable} in "
            if name == "list":
                edits = (Edit(head, f"[{comp}"), Edit(tail, "]"))
            elif name == "set":
                edits = (Edit(head, f"{{{comp}"), Edit(tail, "}"))
            else:
                edits = (Edit(head, f"{name}([{comp}"), Edit(tail, "])"))
            return Fix("Build the list with `async for`", Applicability.SAFE, edits)
        return None

    def render_call(self, node: ast.Call, ctx: _Ctx) -> None:
        context: ast.expr | None = node.args[2] if len(node.args) >= 3 else None
        for keyword in node.keywords:
            if keyword.arg == "context":
                context = keyword.value
        if isinstance(context, ast.Name):
            context = self.dicts.get(context.id)
        if not isinstance(context, ast.Dict):
            return
        lazy: list[str] = []
        for key, value in zip(context.keys, context.values, strict=False):
            kind = self.inf.infer(value)
            if isinstance(kind, Manager) or _iteration_queries(kind):
                label = (
                    key.value
                    if isinstance(key, ast.Constant) and isinstance(key.value, str)
                    else self.text(value)
                )
                lazy.append(str(label))
        if not lazy:
            return
        fix = None
        keywords_ok = all(
            k.arg in ("context", "content_type", "status", "using") for k in node.keywords
        )
        if (
            len(node.args) <= 5
            and keywords_ok
            and not ctx.nofix
            and isinstance(node.func, ast.Name)
        ):
            local, import_edit = self.doc.import_edit(
                "django.template.response", "TemplateResponse"
            )
            edits = [Edit(self.span(node.func), local)]
            if import_edit is not None:
                edits.append(import_edit)
            fix = Fix(
                "Return a `TemplateResponse` (rendered in a thread)",
                Applicability.UNSAFE,
                tuple(edits),
            )
        names = ", ".join(f"`{n}`" for n in lazy[:3])
        self.report(
            DJV304,
            node,
            f"`render()` renders the template on the event loop, and the context's unevaluated QuerySet {names} "
            "runs its query there and raises SynchronousOnlyOperation; return a `TemplateResponse` "
            "(rendered in a thread) or evaluate the QuerySet with `async for` first",
            fix=fix,
            url=docs_link("async_views", self.doc.version),
        )

    # -- calls that query -------------------------------------------------------------------
    def query_call(self, node: ast.Call, effect: Effect, ctx: _Ctx) -> None:
        func = node.func
        family = effect.family
        name = _call_name(node)
        recv_node = func.value if isinstance(func, ast.Attribute) else None
        recv = self.inf.infer(recv_node) if recv_node is not None else None
        if isinstance(recv, Instance) and recv.lazy_user:
            return  # reported once, as the request.user access
        callee = self.text(func)
        offload = (
            isinstance(ctx.parent, ast.Call)
            and ctx.parent is not node
            and is_offload_call(ctx.parent, self.qualify)
            and node in ctx.parent.args
        )
        if family in ("queryset", "related"):
            table = (
                "async_related_manager_methods"
                if family == "related" and name in RELATED_ONLY
                else "async_queryset_methods"
            )
            severity = (
                Severity.WARNING
                if isinstance(recv, QuerySet) and recv.cached == "maybe"
                else Severity.ERROR
            )
            self.rename_report(
                DJV301,
                node,
                ctx,
                table,
                name,
                name,
                "runs a database query",
                severity,
                offload=offload,
            )
        elif family == "model":
            self.rename_report(
                DJV301,
                node,
                ctx,
                "async_model_methods",
                name,
                name,
                "runs a database query",
                offload=offload,
            )
        elif family == "validation":
            self.wrap_report(
                DJV301,
                node,
                ctx,
                f"`{callee}()` checks unique fields/relations with database queries in async code and raises "
                "SynchronousOnlyOperation; Django has no async form: use `await sync_to_async(...)()`",
                offload=offload,
            )
        elif family in ("custom", "helper", "view"):
            site = effect.site
            related: tuple[Related, ...] = ()
            where = ""
            if site is not None:
                through = f" through {', '.join(f'`{v}`' for v in site.via)}" if site.via else ""
                where = f" (`{site.text}`{through}, line {site.span.line + 1}{_elsewhere(site, self.doc)})"
                path = (
                    None
                    if self.doc.module is not None and site.path == self.doc.module.path
                    else site.path
                )
                related = (Related(f"the query `{site.text}` runs here", site.span, path),)
            kind_text = {
                "custom": "is a custom Manager/QuerySet method that runs a database query",
                "helper": "is a sync function that runs a database query",
                "view": "runs a database query (the generic view's lookup)",
            }[family]
            maybe = " when that code path runs" if effect.conditional else ""
            self.wrap_report(
                DJV301,
                node,
                ctx,
                f"`{callee}()` {kind_text}{where}; called from async code it raises SynchronousOnlyOperation"
                f"{maybe}; use `await sync_to_async({callee})(...)`",
                severity=Severity.WARNING if effect.conditional else Severity.ERROR,
                related=related,
                offload=offload,
            )
        elif family == "user_manager":
            key = (
                f"UserManager.{name}"
                if name != "get_by_natural_key"
                else "BaseUserManager.get_by_natural_key"
            )
            self.rename_report(
                DJV304,
                node,
                ctx,
                "async_auth_functions",
                key,
                name,
                "runs a database query",
                offload=offload,
            )
        elif family == "user":
            self.rename_report(
                DJV304,
                node,
                ctx,
                "async_auth_functions",
                f"user.{name}",
                name,
                "may load permissions with a database query (unless cached or a superuser)",
                Severity.WARNING,
                offload=offload,
            )
        elif family == "session":
            if not self.doc.session_db:
                return
            method = self._session_name(name)
            fix = None
            if not ctx.nofix and isinstance(func, ast.Attribute):
                fix = (
                    self.rename_fix(node, func, method, ctx)
                    if method
                    else self.sync_to_async_fix(node, ctx)
                )
            self.session_report(node, f"`{callee}()`", name, fix)
        elif family == "paginator":
            self.report(
                DJV304,
                node,
                f"`{callee}()` counts the QuerySet with a database query in async code and raises "
                f"SynchronousOnlyOperation; {self.paginator_advice()}",
            )
        elif family == "cursor":
            self.report(
                DJV304,
                node,
                f"`{callee}()` opens a database cursor in async code and raises SynchronousOnlyOperation; run "
                "the raw SQL in a sync function and `await sync_to_async(fn)()`",
            )
        elif family in ("auth", "shortcut"):
            short = name
            table = "async_auth_functions" if family == "auth" else "async_shortcuts"
            severity = Severity.WARNING if short in _WARN_AUTH else Severity.ERROR
            entry = async_table(table).get(short, {})
            self.function_report(
                node, ctx, table, short, str(entry.get("module", "")), severity, offload
            )

    def rename_report(
        self,
        code: str,
        node: ast.Call,
        ctx: _Ctx,
        table: str,
        key: str,
        name: str,
        what: str,
        severity: Severity = Severity.ERROR,
        *,
        offload: bool = False,
    ) -> None:
        func = node.func
        assert isinstance(func, ast.Attribute)
        callee = self.text(func)
        recv_text = self.text(func.value)
        new = self.version_has(table, key)
        entry = async_table(table).get(key, {})
        docs = entry.get("docs")
        if offload:
            self.offload_report(code, node, callee, severity)
            return
        recv = self.inf.infer(func.value)
        if (
            new
            and isinstance(recv, Manager)
            and recv.manager_class
            and self.k.method_of(recv.manager_class, name) is not None
        ):
            # ``Manager.aget()`` proxies to the QuerySet's method and would skip this project
            # manager's own ``get()`` override: run the override itself in a thread.
            fix = None if ctx.nofix else self.sync_to_async_fix(node, ctx)
            message = (
                f"`{callee}()` {what} in async code and raises SynchronousOnlyOperation; use "
                f"`await sync_to_async({callee})(...)` (`{new}()` would bypass the manager's own "
                f"`{name}()`)"
            )
            self.report(code, node, message, severity, fix, url=docs)
            return
        if new:
            fix = None if ctx.nofix else self.rename_fix(node, func, new, ctx)
            message = (
                f"`{callee}()` {what} in async code and raises SynchronousOnlyOperation; use "
                f"`await {recv_text}.{new}()`"
            )
        else:
            since = entry.get("since")
            fix = None if ctx.nofix else self.sync_to_async_fix(node, ctx)
            later = f" (`{entry['async']}()` needs Django {since}+)" if since else ""
            message = (
                f"`{callee}()` {what} in async code and raises SynchronousOnlyOperation; use "
                f"`await sync_to_async({callee})(...)`{later}"
            )
        self.report(code, node, message, severity, fix, url=docs)

    def function_report(
        self,
        node: ast.Call,
        ctx: _Ctx,
        table: str,
        short: str,
        module: str,
        severity: Severity,
        offload: bool,
    ) -> None:
        callee = self.text(node.func)
        new = self.version_has(table, short)
        entry = async_table(table).get(short, {})
        if offload:
            self.offload_report(DJV304, node, callee, severity)
            return
        what = {
            "authenticate": "checks the credentials against the database",
            "login": "writes the session and the user's last_login to the database",
            "logout": "flushes a database-backed session",
            "get_user": "loads the user from a database-backed session",
            "update_session_auth_hash": "rotates a database-backed session",
        }.get(short, "runs a database query")
        when = "" if severity is Severity.ERROR else " when the session is database-backed"
        fix = None
        if new:
            if not ctx.nofix:
                fix = self.function_rename_fix(node, ctx, new, module)
            message = f"`{callee}()` {what} and raises SynchronousOnlyOperation in async code{when}; use `await {new}()`"
        else:
            if not ctx.nofix:
                fix = self.sync_to_async_fix(node, ctx)
            message = (
                f"`{callee}()` {what} and raises SynchronousOnlyOperation in async code{when}; use "
                f"`await sync_to_async({callee})(...)` (`{entry.get('async')}()` needs Django {entry.get('since')}+)"
            )
        self.report(DJV304, node, message, severity, fix, url=entry.get("docs"))

    def wrap_report(
        self,
        code: str,
        node: ast.Call,
        ctx: _Ctx,
        message: str,
        *,
        severity: Severity = Severity.ERROR,
        related: tuple[Related, ...] = (),
        offload: bool = False,
    ) -> None:
        if offload:
            self.offload_report(code, node, self.text(node.func), severity)
            return
        fix = None if ctx.nofix else self.sync_to_async_fix(node, ctx)
        self.report(code, node, message, severity, fix, related)

    def offload_report(self, code: str, node: ast.Call, callee: str, severity: Severity) -> None:
        self.report(
            code,
            node,
            f"`{self.text(node)}` runs on the event loop before `sync_to_async` ever sees it: the argument is "
            f"evaluated first, so the query raises SynchronousOnlyOperation; pass the callable: "
            f"`sync_to_async({callee})(...)`",
            severity,
        )

    def session_report(self, node: ast.AST, what: str, name: str, fix: Fix | None) -> None:
        if not self.doc.session_db:
            return
        method = self._session_name(name)
        advice = (
            f"use `await request.session.{method}(...)`"
            if method
            else (
                "read the session in a sync function through `sync_to_async`"
                + (
                    " (async session methods need Django 5.1+)"
                    if self.doc.version < _version("5.1")
                    else ""
                )
            )
        )
        if name == "getitem" and method:
            advice = f"use `await request.session.{method}(key)` (it returns None instead of raising KeyError)"
        self.report(
            DJV304,
            node,
            f"{what} loads a database-backed session with a query in async code and raises "
            f"SynchronousOnlyOperation; {advice}",
            Severity.WARNING,
            fix,
        )

    def session_item(
        self, node: ast.Subscript, op: str, stmt: ast.stmt | None, value: ast.expr | None
    ) -> None:
        fix = None
        method = self._session_name(op)
        if stmt is not None and method and op in ("setitem", "delitem"):
            session = self.source.segment(node.value)
            key = self.source.segment(node.slice)
            text = (
                f"await {session}.{method}({key}, {self.source.segment(value)})"
                if value is not None
                else f"await {session}.{method}({key})"
            )
            stmt_span = self.span(stmt)
            fix = Fix(
                f"Use `await request.session.{method}()`",
                Applicability.SAFE,
                (Edit(stmt_span, text),),
            )
        what = {"getitem": "Reading", "setitem": "Writing", "delitem": "Deleting"}[op]
        self.session_report(node, f"{what} `{self.text(node)}`", op, fix)

    def _session_name(self, name: str) -> str | None:
        key = SESSION_METHODS.get(name)
        if key is None:
            return None
        table = async_table("async_session_methods")
        entry = table.get(key) or facts()["notes"]["async_session_methods"].get(key)
        if entry is None or self.doc.version < _version(entry["since"]):
            return None
        return str(entry["async"])

    def paginator_advice(self) -> str:
        if self.doc.version >= _version("6.0"):
            return "use `AsyncPaginator` and `await paginator.aget_page(...)` (Django 6.0+)"
        return (
            "paginate in a sync function through `sync_to_async` (AsyncPaginator needs Django 6.0+)"
        )

    def coroutine_misuse(
        self,
        node: ast.expr,
        kind: Coroutine,
        how: str,
        *,
        statement: bool = False,
        parens: bool = True,
        nofix: bool = False,
    ) -> None:
        fix = None
        span = self.span(node)
        if nofix or isinstance(node, ast.Await):
            fix = None
        elif statement or not parens:
            fix = Fix("Add `await`", Applicability.SAFE, (Edit(_point(span), "await "),))
        else:
            fix = Fix(
                "Add `await`",
                Applicability.SAFE,
                (Edit(_point(span), "(await "), Edit(_end_point(span), ")")),
            )
        self.report(
            DJV305,
            node,
            f"`{self.text(node)}` returns a coroutine that is never awaited ({how}), so the database call "
            f"never runs; write `await {self.text(node)}`",
            fix=fix,
        )

    # -- fix builders -----------------------------------------------------------------------
    def rename_fix(self, node: ast.Call, func: ast.Attribute, new: str, ctx: _Ctx) -> Fix:
        edits = [Edit(self.source.attr_span(func), new), *self.await_edits(node, ctx)]
        return Fix(
            f"Use `await {self.text(func.value)}.{new}()`",
            Applicability.SAFE,
            tuple(sorted(edits, key=lambda e: e.span)),
        )

    def function_rename_fix(self, node: ast.Call, ctx: _Ctx, new: str, module: str) -> Fix | None:
        func = node.func
        edits: list[Edit] = []
        if isinstance(func, ast.Name):
            local, import_edit = self.doc.import_edit(module, new)
            edits.append(Edit(self.span(func), local))
            if import_edit is not None:
                edits.append(import_edit)
        elif isinstance(func, ast.Attribute):
            edits.append(Edit(self.source.attr_span(func), new))
        else:
            return None
        edits.extend(self.await_edits(node, ctx))
        return Fix(f"Use `await {new}()`", Applicability.SAFE, tuple(edits))

    def sync_to_async_fix(self, node: ast.Call, ctx: _Ctx) -> Fix | None:
        local, import_edit = self.doc.import_edit(ASGIREF, "sync_to_async")
        func_span = self.span(node.func)
        node_span = self.span(node)
        parens = _needs_parens_in(ctx.parent, node)
        edits = [
            Edit(_point(func_span), ("(await " if parens else "await ") + f"{local}("),
            Edit(_end_point(func_span), ")"),
        ]
        if parens:
            edits.append(Edit(_end_point(node_span), ")"))
        if import_edit is not None:
            edits.append(import_edit)
        return Fix(
            f"Run `{self.text(node.func)}` in a thread with `sync_to_async`",
            Applicability.SAFE,
            tuple(edits),
        )

    def await_edits(self, node: ast.expr, ctx: _Ctx) -> list[Edit]:
        span = self.span(node)
        if _needs_parens_in(ctx.parent, node):
            return [Edit(_point(span), "(await "), Edit(_end_point(span), ")")]
        return [Edit(_point(span), "await ")]

    def replace_expr_fix(
        self, node: ast.expr, ctx: _Ctx, text: str, title: str, *, negated: bool = False
    ) -> Fix:
        if _needs_parens_in(ctx.parent, node) or (
            negated
            and ctx.parent is not None
            and not isinstance(
                ctx.parent, (ast.If, ast.While, ast.Assign, ast.Return, ast.IfExp, ast.Assert)
            )
        ):
            text = f"({text})"
        return Fix(title, Applicability.SAFE, (Edit(self.span(node), text),))


# ``_Walker.expr``'s handler per node class: the first of these a class is (a subclass of), in
# this order, as an ``isinstance`` chain would pick it; anything else is walked generically.
_EXPR_KINDS: tuple[tuple[type | tuple[type, ...], Callable[..., None]], ...] = (
    ((ast.Name, ast.Constant), _Walker._leaf),
    (ast.Attribute, _Walker._attribute_expr),
    (ast.Call, _Walker.call),
    (ast.Await, _Walker._await_expr),
    (ast.Subscript, _Walker._subscript_expr),
    (ast.Compare, _Walker._compare_expr),
    (ast.BoolOp, _Walker._boolop_expr),
    (ast.UnaryOp, _Walker._unary_expr),
    (ast.IfExp, _Walker._ifexp_expr),
    ((ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp), _Walker.comprehension),
    (ast.FormattedValue, _Walker._formatted_expr),
    (ast.Lambda, _Walker._lambda_expr),
    (ast.NamedExpr, _Walker._named_expr),
)
_EXPR_HANDLERS: dict[type, Callable[..., None]] = {}


def _expr_handler(cls: type) -> Callable[..., None]:
    for kinds, handler in _EXPR_KINDS:
        if issubclass(cls, kinds):
            return handler
    return _Walker._generic_expr


# -- small helpers ----------------------------------------------------------------------------


def _iteration_queries(kind: Kind | None) -> TypeGuard[QuerySet]:
    """Does iterating / len() / bool() of ``kind`` run a query now?"""
    if isinstance(kind, QuerySet):
        return not kind.from_prefetch and kind.cached != "yes"
    return False


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _point(span: Span) -> Span:
    return Span(span.line, span.column, span.line, span.column)


def _end_point(span: Span) -> Span:
    return Span(span.end_line, span.end_column, span.end_line, span.end_column)


def _is_primary(node: ast.AST) -> bool:
    return isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript))


def _primary(text: str, node: ast.AST) -> str:
    return text if _is_primary(node) else f"({text})"


def _needs_parens_in(parent: ast.AST | None, node: ast.AST) -> bool:
    """``await`` must be parenthesised when its result is the object of ``.attr``, ``[i]``, a call,
    or the left operand of ``**``."""
    if isinstance(parent, ast.Attribute):
        return parent.value is node
    if isinstance(parent, ast.Subscript):
        return parent.value is node
    if isinstance(parent, ast.Call):
        return parent.func is node
    if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Pow):
        return parent.left is node
    return False


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _fresh_name(text: str) -> str:
    used = set(_WORD.findall(text))
    for candidate in ("obj", "row", "item", "element"):
        if candidate not in used:
            return candidate
    index = 1
    while f"obj{index}" in used:
        index += 1
    return f"obj{index}"


def _trusted_outside(edit: Edit) -> bool:
    """Edits outside the statement being fixed: an added import line, or ``.select_related(...)``
    appended to a query expression (both valid by construction)."""
    text = edit.text
    return text.startswith(("from ", ", ", "\nfrom ", "\r\nfrom ")) or text.startswith(
        ".select_related("
    )


@functools.cache
def _async_entry(family: str, name: str) -> tuple[str, dict[str, str] | None]:
    """(the sync name ``name`` replaces, its fact-sheet entry) for an ``a*`` call of ``family``
    (the table never changes: worked out once per name)."""
    sync = name[1:]
    table, key = {
        "queryset": ("async_queryset_methods", sync),
        "related": ("async_related_manager_methods", sync),
        "model": ("async_model_methods", sync),
        "user": ("async_auth_functions", f"user.{sync}"),
        "user_manager": (
            "async_auth_functions",
            "BaseUserManager.get_by_natural_key"
            if sync == "get_by_natural_key"
            else f"UserManager.{sync}",
        ),
        "request": ("async_auth_functions", "request.user"),
        "auth": ("async_auth_functions", sync),
        "shortcut": ("async_shortcuts", sync),
    }.get(family, ("", ""))
    if table == "" and family == "session":
        method, found = SESSION_ASYNC.get(name, (None, None))
        return method or "", found  # ``aset`` replaces ``session[k] = v``: no method to wrap
    return sync, async_table(table).get(key) if table else None


@functools.cache
def _version(text: str) -> Version:
    """``Version(text)`` for the fact sheet's few "since" versions (parsed once each)."""
    return Version(text)


_PARSE_CACHE: dict[str, bool] = {}


def _statement_parses(text: str) -> bool:
    """Parse one (possibly indented, possibly compound) statement inside an async function and a
    loop, so ``await``/``async for``/``break`` are allowed as they are in the original."""
    found = _PARSE_CACHE.get(text)
    if found is not None:
        return found
    lines = text.split("\n")
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    body = "\n".join("  " + line[indent:] if line.strip() else line for line in lines)
    wrapped = f"async def __djvet_check__():\n while True:\n{body}\n"
    from .edits import parses

    result = parses(wrapped)
    if len(_PARSE_CACHE) > 2048:
        _PARSE_CACHE.clear()
    _PARSE_CACHE[text] = result
    return result


def _elsewhere(site: QuerySite, doc: _Document) -> str:
    if doc.module is not None and site.path == doc.module.path:
        return ""
    return f" of {site.path.rsplit('/', 1)[-1]}"
