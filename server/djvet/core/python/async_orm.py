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
from typing import TYPE_CHECKING, NamedTuple, TypeGuard

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
    models = _models(project)
    module = project.module_at(path) if path else None
    document = _Document(source, project, module, models, version, newline, path)
    issues: list[OrmIssue] = []
    for function in functions:
        issues.extend(document.function_issues(function))
    if document._remember:
        _FUNCTION_CACHES.keep(path, (document._context, document._kept))
    issues.sort(key=lambda i: (i.span.line, i.span.column, i.code))
    return AsyncOrmReport(tuple(issues))


# The project analysed last, its generation then, and its model table: the documents of a
# CLI run (one index generation) take it without asking ``ProjectIndex.derived`` again. (An
# analysis never runs while a derived view is built, so it has no reads to pass on.)
_LAST_MODELS: tuple[ProjectIndex, int, ModelIndex] | None = None


def _models(project: ProjectIndex) -> ModelIndex:
    """``model_index(project)``; the same table while the index did not change at all."""
    global _LAST_MODELS
    last = _LAST_MODELS
    if last is not None and last[0] is project and last[1] == project.generation:
        return last[2]
    models = model_index(project)
    _LAST_MODELS = (project, project.generation, models)
    return models


# -- per-document state and per-function caching ----------------------------------------------


class _Entry(NamedTuple):
    """A function's issues, the line range it had then, and the lookups they relied on."""

    issues: tuple[OrmIssue, ...]
    first: int
    last: int
    deps: tuple[Dep, ...]  # as recorded (repeats included) until ``unique``
    unique: bool = False  # ``deps`` holds each lookup once (``_unique_deps``)


# Per document: each function's issues keyed by the function's text, with everything around
# it that the analysis reads (the document's ``_Context``, the same for all its functions);
# survives index generations (every keystroke makes one), validated by repeating the
# recorded lookups. Only the functions of a document's last analysis are kept (text edited
# away is not coming back often enough to hold on to), for a few documents.
_Cache = dict[tuple[object, ...], _Entry]
_FUNCTION_CACHES: RecentFiles[str | None, tuple[_Context, _Cache]] = RecentFiles()
_REMEMBER_FUNCTIONS = True


def remember_functions(enabled: bool) -> None:
    """Whether analyses keep each function's issues (and the lookups they relied on) for the
    next analysis of the same file: what lets a keystroke re-analyse only the function it
    touched. A run that analyses each file once (``djvet check``) can switch it off and save
    the recording (a tenth of the analysis); nothing else changes."""
    global _REMEMBER_FUNCTIONS
    _REMEMBER_FUNCTIONS = enabled
    if not enabled:
        _FUNCTION_CACHES.clear()


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
        # A Django at least as new as every async name has them all: no call is to a missing one.
        self.has_every_async = version >= _newest_async_since()
        self._import_edits: dict[tuple[str, str], tuple[str, Edit | None]] = {}
        self._missing_async: dict[tuple[str, str], tuple[str, dict[str, str] | None]] = {}
        self._dep_memo: dict[tuple[object, ...], object] = {}
        self.lookups = Lookups()  # the index lookups of this analysis, shared by its functions
        self._kept: _Cache = {}
        self._jedi = DocumentBudget(str(project.root))
        self._remember = _REMEMBER_FUNCTIONS
        self._cache: _Cache = {}
        if not self._remember:
            return
        self._context = _Context(
            module,
            (
                module.path if module is not None else None,
                _star_token(project, module),
                _version_text(version),
                _imports_token(source),
                _models_token(models),
                newline,
            ),
        )
        cached = _FUNCTION_CACHES.pop(source_path, None)
        if cached is not None and cached[0] == self._context:
            self._cache = cached[1]

    def function_issues(self, function: AsyncFunction) -> tuple[OrmIssue, ...]:
        if not self._remember:
            walker = _Walker(self, function, self._class_name(function))
            walker.run()
            return tuple(walker.issues)
        node = function.node
        first = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
        last = (node.end_lineno or node.lineno) - 1
        lines = self.source.lines
        text = self.source.text[lines.line_start(first) : lines.line_end(last)]
        key = (text, node.col_offset, function.class_qualname)
        knowledge = self.knowledge
        entry = self._cache.get(key)
        if entry is not None and not entry.unique:
            # Repeats are dropped when an entry is first checked, not when it is made: a
            # document analysed once (the CLI) never pays for it.
            entry = entry._replace(deps=_unique_deps(entry.deps), unique=True)
        memo = self._dep_memo
        if entry is not None and all(knowledge.dep_still_holds(dep, memo) for dep in entry.deps):
            self._kept[key] = entry
            if entry.first == first:
                return entry.issues
            return tuple(
                _shift(issue, entry.first, entry.last, first - entry.first)
                for issue in entry.issues
            )
        knowledge.recorder = []
        try:
            walker = _Walker(self, function, self._class_name(function))
            walker.run()
            recorded = knowledge.recorder
        finally:
            knowledge.recorder = None
        result = tuple(walker.issues)
        self._kept[key] = _Entry(result, first, last, tuple(recorded))
        return result

    def _class_name(self, function: AsyncFunction) -> str | None:
        """The qualified name of the class ``function`` is a method of, if any."""
        if function.class_qualname and self.module is not None:
            return f"{self.module.module}.{function.class_qualname}"
        return None

    def missing_async(self, family: str, name: str) -> tuple[str, dict[str, str] | None]:
        """``_async_entry(family, name)`` when that async name is newer than the project's
        Django, else ``(sync, None)`` (asked once per name and document)."""
        key = (family, name)
        found = self._missing_async.get(key)
        if found is None:
            sync, entry = _async_entry(family, name)
            if entry is not None and self.version >= _version(entry["since"]):
                entry = None
            found = self._missing_async[key] = (sync, entry)
        return found

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


def _unique_deps(recorded: tuple[Dep, ...]) -> tuple[Dep, ...]:
    """Each lookup once (the first answer recorded for it), in the order first made. A
    document's repeated lookups record the same dependency object again and again
    (``Lookups``): those go first, by identity."""
    unique: dict[tuple[object, ...], Dep] = {}
    for dep in {id(dep): dep for dep in recorded}.values():
        unique.setdefault(dep[:-1], dep)
    return tuple(unique.values())


class _Context:
    """What every function of a document is analysed against besides its own text: the
    module's shape (``_module_token``, made only when compared with a module that is not the
    same object) and ``items`` (path, star imports, version, import block, models, newline).
    Compared by value, once per analysis, with the context of the document's cached functions.
    """

    __slots__ = ("_module_token", "items", "module")

    def __init__(self, module: ModuleInfo | None, items: tuple[object, ...]) -> None:
        self.module = module
        self.items = items
        self._module_token: object = _UNSET

    def module_token(self) -> object:
        if self._module_token is _UNSET:
            self._module_token = _module_token(self.module)
        return self._module_token

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, _Context) or self.items != other.items:
            return False
        return self.module is other.module or self.module_token() == other.module_token()

    __hash__ = None  # type: ignore[assignment]


_UNSET = object()


class _Hashed:
    """A large value many documents' contexts share (``ModelIndex.token`` lists every model
    file), with its hash worked out once; equal to another ``_Hashed`` of an equal value."""

    __slots__ = ("_hash", "value")

    def __init__(self, value: object) -> None:
        self.value = value
        self._hash = hash(value)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, _Hashed) and self._hash == other._hash and self.value == other.value
        )


def _models_token(models: ModelIndex) -> _Hashed:
    """``models.token`` hashed once per ``ModelIndex`` (kept on it, like ``_knowledge``)."""
    found: _Hashed | None = getattr(models, "_djvet_token", None)
    if found is None or found.value is not models.token:
        found = _Hashed(models.token)
        models._djvet_token = found  # type: ignore[attr-defined]
    return found


_VERSION_TEXTS: dict[Version, str] = {}


def _version_text(version: Version) -> str:
    """``str(version)``, worked out once per version."""
    text = _VERSION_TEXTS.get(version)
    if text is None:
        text = _VERSION_TEXTS[version] = str(version)
    return text


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


@dataclass(frozen=True, slots=True)
class _Ctx:
    """What an expression's value is used for, and whether a fix may add ``await``.

    The few combinations are made once and shared (``_PLAIN``, ``_SUB``, ...) rather than one
    per expression walked; the node an expression is walked under is found only when a fix
    needs it (``_Walker.parent_of``)."""

    dropped: bool = False  # an expression statement: the value is thrown away
    truth: bool = False  # only its truth value is used (if/while/not/...)
    awaited: bool = False  # the operand of ``await``
    nofix: bool = False  # inside a generator expression / decorator: no await can be added


_PLAIN = _Ctx()
_SUB = (_PLAIN, _Ctx(nofix=True))  # by ``nofix``: the context of a sub-expression
_DROPPED = _Ctx(dropped=True)
_AWAITED = (_Ctx(awaited=True), _Ctx(awaited=True, nofix=True))  # by ``nofix``
_TRUTH = (_Ctx(truth=True), _Ctx(truth=True, nofix=True))  # by ``nofix``
# Syntax nodes the walker looks through: it walks a keyword argument's value under the call,
# a comprehension's iterables and conditions under the comprehension, a default under the
# function or lambda.
_WALKED_THROUGH = (ast.keyword, ast.comprehension, ast.arguments)


_ROOT = ast.AST()  # the key of the node a ``_parent_table`` was made for


def _parent_table(root: ast.AST) -> dict[ast.AST, ast.AST]:
    """Each node under ``root`` -> its syntax parent (and ``_ROOT`` -> ``root``)."""
    parents: dict[ast.AST, ast.AST] = {_ROOT: root}
    for outer in ast.walk(root):
        for child in ast.iter_child_nodes(outer):
            parents[child] = outer
    return parents


# ``_Walker.expr`` returns at once for these: the hot callers skip the call. (The hot paths
# compare node classes with ``type(node) is``/``in``, a third of what ``isinstance`` costs:
# parsed trees hold the classes of ``ast`` themselves, never subclasses. A subclass would
# still meet its handler, by ``_EXPR_HANDLERS``.)
_LEAVES = (ast.Name, ast.Constant)
_LEAF_TYPES = frozenset(_LEAVES)
# The kinds ``_Walker.attribute``, ``awaited`` and ``subscript`` check (kinds are compared by
# class: none is subclassed); the handlers skip the call for any other kind.
_ATTRIBUTE_CHECKED = frozenset({Instance, Request, Coroutine, Paginator})
_AWAIT_CHECKED = frozenset({QuerySet, Manager, AsyncQueryIterator})
_SUBSCRIPT_CHECKED = frozenset({Coroutine, Session, QuerySet})


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
        self._parents: dict[ast.AST, ast.AST] | None = None  # see ``parent_of``

    def parent_of(self, node: ast.AST) -> ast.AST | None:
        """The node ``node`` was walked under: its syntax parent, looking through a keyword
        argument, a comprehension's clause and a function's arguments (``_WALKED_THROUGH``).

        Only fixes ask, about a node of the statement being walked: the table is made for
        that statement (for the whole function should a node lie outside it)."""
        root = self.stmt if self.stmt is not None else self.function.node
        parents = self._parents
        if parents is None or parents.get(_ROOT) is not root:
            parents = self._parents = _parent_table(root)
        if node not in parents and root is not self.function.node:
            parents = self._parents = _parent_table(self.function.node)
        parent = parents.get(node)
        if isinstance(parent, _WALKED_THROUGH):
            parent = parents.get(parent)
        return parent

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
        # The commonest statements first (each node class matches one branch only).
        if type(node) is ast.Assign:
            value = node.value
            if type(value) not in _LEAF_TYPES:
                _EXPR_HANDLERS[type(value)](self, value, _PLAIN)
            targets = node.targets
            target = targets[0]
            if len(targets) == 1 and type(target) is ast.Name:  # ``store_name``, inlined
                name = target.id
                inf = self.inf
                inf.env.names[name] = inf.infer(value)
                if type(value) is ast.Dict:
                    self.dicts[name] = value
                else:
                    self.dicts.pop(name, None)
            else:
                for target in targets:
                    self.store(target, value if len(targets) == 1 else None, node)
        elif type(node) is ast.Return or type(node) is ast.Raise:
            result = node.value if isinstance(node, ast.Return) else node.exc
            if result is not None and type(result) not in _LEAF_TYPES:
                _EXPR_HANDLERS[type(result)](self, result, _PLAIN)
        elif type(node) is ast.Expr:
            value = node.value
            if type(value) not in _LEAF_TYPES:
                _EXPR_HANDLERS[type(value)](self, value, _DROPPED)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.expr(node.value, _PLAIN)
                self.store(node.target, node.value, node)
        elif isinstance(node, ast.AugAssign):
            self.expr(node.value, _PLAIN)
            self.store(node.target, None, node)
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
                    self.expr(handler.type, _PLAIN)
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
            self.expr(node.subject, _PLAIN)  # type: ignore[attr-defined]
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
                self.expr(node.msg, _PLAIN)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for decorator in node.decorator_list:
                self.expr(decorator, _SUB[True])
            if not isinstance(node, ast.ClassDef):
                for default in (*node.args.defaults, *node.args.kw_defaults):
                    if default is not None:
                        self.expr(default, _SUB[True])
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
        self.expr(node.iter, _PLAIN)
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
        self.expr(item.context_expr, _PLAIN)
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

    def store_name(self, name: str, value: ast.expr | None) -> None:
        """``store`` to a plain name: ``bind`` it to the value's kind, and note a dict display."""
        kind = self.inf.infer(value) if value is not None else None
        self.inf.env.names[name] = kind
        if type(value) is ast.Dict:
            self.dicts[name] = value
        else:
            self.dicts.pop(name, None)

    def store(self, target: ast.AST, value: ast.expr | None, stmt: ast.stmt) -> None:
        if isinstance(target, ast.Name):
            self.store_name(target.id, value)
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            kind = self.inf.infer(value) if value is not None else None
            self.bind(target, kind)
            for element in target.elts:
                if not isinstance(element, (ast.Name, ast.Starred)):
                    self.store(element, None, stmt)
            return
        if isinstance(target, ast.Attribute):
            self.expr(target.value, _PLAIN)
            base = self.inf.infer(target.value)
            if isinstance(base, Instance) and base.lazy_user:
                self.lazy_user_access(target, base)
            elif isinstance(base, Instance) and isinstance(target.value, ast.Name):
                # ``book.author = a``: the relation is cached from here on.
                loaded = base.loaded | {target.attr} if base.loaded is not None else None
                self.inf.env.names[target.value.id] = replace(base, loaded=loaded)
            return
        if isinstance(target, ast.Subscript):
            self.expr(target.value, _PLAIN)
            self.expr(target.slice, _PLAIN)
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
            self.expr(target.value, _PLAIN)
            self.expr(target.slice, _PLAIN)
            if isinstance(self.inf.infer(target.value), Session):
                simple = len(stmt.targets) == 1
                self.session_item(target, "delitem", stmt if simple else None, None)
            return
        if isinstance(target, ast.Name):
            self.inf.env.names.pop(target.id, None)
            return
        self.expr(target, _PLAIN)

    # -- expressions ------------------------------------------------------------------------
    # The handlers call each other through ``_EXPR_HANDLERS`` directly (``expr`` is that
    # lookup as a method), and run a check only when the kind it tests is known.
    def expr(self, node: ast.AST, ctx: _Ctx) -> None:
        _EXPR_HANDLERS[type(node)](self, node, ctx)

    def _leaf(self, node: ast.AST, ctx: _Ctx) -> None:
        return

    def _attribute_expr(self, node: ast.Attribute, ctx: _Ctx) -> None:
        value = node.value
        if type(value) not in _LEAF_TYPES:
            _EXPR_HANDLERS[type(value)](self, value, _SUB[ctx.nofix])
        base = self.inf.infer(value)
        if type(base) in _ATTRIBUTE_CHECKED:  # what ``attribute`` checks
            self.attribute(node, ctx, base)  # type: ignore[arg-type]

    def _await_expr(self, node: ast.Await, ctx: _Ctx) -> None:
        value = node.value
        if type(value) not in _LEAF_TYPES:
            _EXPR_HANDLERS[type(value)](self, value, _AWAITED[ctx.nofix])
        kind = self.inf.infer(value)
        if type(kind) in _AWAIT_CHECKED:  # what ``awaited`` reports
            self.awaited(node, kind)  # type: ignore[arg-type]

    def _subscript_expr(self, node: ast.Subscript, ctx: _Ctx) -> None:
        value = node.value
        index = node.slice
        if type(value) not in _LEAF_TYPES:
            _EXPR_HANDLERS[type(value)](self, value, _SUB[ctx.nofix])
        if type(index) not in _LEAF_TYPES:
            _EXPR_HANDLERS[type(index)](self, index, _SUB[ctx.nofix])
        base = self.inf.infer(value)
        if type(base) in _SUBSCRIPT_CHECKED:  # what ``subscript`` reports
            self.subscript(node, ctx, base)  # type: ignore[arg-type]

    def _compare_expr(self, node: ast.Compare, ctx: _Ctx) -> None:
        left = node.left
        if type(left) not in _LEAF_TYPES:
            _EXPR_HANDLERS[type(left)](self, left, _SUB[ctx.nofix])
        for comparator in node.comparators:
            if type(comparator) not in _LEAF_TYPES:
                _EXPR_HANDLERS[type(comparator)](self, comparator, _SUB[ctx.nofix])
        for op in node.ops:
            if isinstance(op, (ast.In, ast.NotIn)):  # ``compare`` checks only these
                self.compare(node, ctx)
                break

    def _boolop_expr(self, node: ast.BoolOp, ctx: _Ctx) -> None:
        last = len(node.values) - 1
        for index, value in enumerate(node.values):
            if index < last or ctx.truth:
                self.truth_test(value, node, fixable=ctx.truth and not ctx.nofix, nofix=ctx.nofix)
            else:
                self.expr(value, _SUB[ctx.nofix])

    def _unary_expr(self, node: ast.UnaryOp, ctx: _Ctx) -> None:
        if isinstance(node.op, ast.Not):
            self.truth_test(node.operand, node, nofix=ctx.nofix)
        else:
            self._generic_expr(node, ctx)

    def _ifexp_expr(self, node: ast.IfExp, ctx: _Ctx) -> None:
        self.truth_test(node.test, node, nofix=ctx.nofix)
        self.expr(node.body, _SUB[ctx.nofix])
        self.expr(node.orelse, _SUB[ctx.nofix])

    def _formatted_expr(self, node: ast.FormattedValue, ctx: _Ctx) -> None:
        self.expr(node.value, _SUB[ctx.nofix])
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
            self.expr(node.format_spec, _SUB[ctx.nofix])

    def _lambda_expr(self, node: ast.Lambda, ctx: _Ctx) -> None:
        for default in (*node.args.defaults, *node.args.kw_defaults):
            if default is not None:
                self.expr(default, _SUB[True])

    def _named_expr(self, node: ast.NamedExpr, ctx: _Ctx) -> None:
        self.expr(node.value, _SUB[ctx.nofix])
        self.bind(node.target, self.inf.infer(node.value))

    def _dict_expr(self, node: ast.Dict, ctx: _Ctx) -> None:
        """``_generic_expr`` of a dict display: the keys, then the values."""
        sub = _SUB[ctx.nofix]
        for key in node.keys:
            if key is not None and type(key) not in _LEAF_TYPES:
                _EXPR_HANDLERS[type(key)](self, key, sub)
        for value in node.values:
            if type(value) not in _LEAF_TYPES:
                _EXPR_HANDLERS[type(value)](self, value, sub)

    def _elements_expr(self, node: ast.List | ast.Tuple | ast.Set, ctx: _Ctx) -> None:
        """``_generic_expr`` of a list, tuple or set display."""
        sub = _SUB[ctx.nofix]
        for element in node.elts:
            if type(element) not in _LEAF_TYPES:
                _EXPR_HANDLERS[type(element)](self, element, sub)

    def _operands_expr(self, node: ast.BinOp | ast.Slice, ctx: _Ctx) -> None:
        """``_generic_expr`` of a binary operation or a slice: its operands in field order."""
        sub = _SUB[ctx.nofix]
        operands = (
            (node.left, node.right)
            if isinstance(node, ast.BinOp)
            else (node.lower, node.upper, node.step)
        )
        for operand in operands:
            if operand is not None and type(operand) not in _LEAF_TYPES:
                _EXPR_HANDLERS[type(operand)](self, operand, sub)

    def _generic_expr(self, node: ast.AST, ctx: _Ctx) -> None:
        sub = _SUB[ctx.nofix]
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
            self.expr(generator.iter, _SUB[inner_nofix])
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
            self.expr(part, _SUB[ctx.nofix or genexp])
        self.inf.env.names = saved

    # -- checks -----------------------------------------------------------------------------
    def attribute(self, node: ast.Attribute, ctx: _Ctx, base: Kind) -> None:
        """The checks of reading ``node.attr`` where ``node.value`` is of the kind ``base``.
        (Kinds are compared by class: none is subclassed.)"""
        if type(base) is Instance:
            if base.lazy_user:
                self.lazy_user_access(node, base)
            else:
                self.relation_access(node, base)
        elif type(base) is Request:
            if node.attr == "user":
                kind = self.inf.infer(node)
                if isinstance(kind, Instance):
                    self.inf.set_kind(node, replace(kind, user_fix=self.auser_edits(node, ctx)))
        elif type(base) is Coroutine:
            self.coroutine_misuse(node.value, base, "reading an attribute of it")
        elif type(base) is Paginator and node.attr in ("count", "num_pages", "page_range"):
            self.report(
                DJV304,
                node,
                f"`{self.text(node)}` counts the QuerySet with a database query in async code and raises "
                f"SynchronousOnlyOperation; {self.paginator_advice()}",
            )

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
        parent = self.parent_of(node)
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
        func = node.func
        sub = _SUB[ctx.nofix]
        base: Kind | None = None
        if type(func) is ast.Attribute:  # ``_attribute_expr(func, sub)``, the commonest callee
            value = func.value
            if type(value) not in _LEAF_TYPES:
                _EXPR_HANDLERS[type(value)](self, value, sub)
            base = self.inf.infer(value)
            if type(base) in _ATTRIBUTE_CHECKED:
                self.attribute(func, sub, base)  # type: ignore[arg-type]
        elif type(func) not in _LEAF_TYPES:
            _EXPR_HANDLERS[type(func)](self, func, sub)
        for arg in node.args:
            if type(arg) not in _LEAF_TYPES:
                _EXPR_HANDLERS[type(arg)](self, arg, sub)
        for keyword in node.keywords:
            if type(keyword.value) not in _LEAF_TYPES:
                _EXPR_HANDLERS[type(keyword.value)](self, keyword.value, sub)
        if type(func) is ast.Call and func.args and is_offload_call(func, self.qualify):
            self.offloaded_user_access(func.args[0])
        inf = self.inf
        # ``inf.visited_call(node, base)``, inlined (the receiver's kind, known here, saves
        # ``call_effect`` asking for it again).
        effects = inf._effects
        effect = effects.get(node)
        if effect is None:
            effect = effects[node] = (
                inf.call_effect(node, base)
                if type(func) is ast.Attribute
                else inf.call_effect(node)
            )
        inf._cache.setdefault(node, effect.result)
        what = effect.what
        if what == "async":
            if not self.doc.has_every_async:
                self.async_name_exists(node, effect, ctx)
            if ctx.dropped and type(effect.result) is Coroutine:
                self.coroutine_misuse(node, effect.result, "dropping it", statement=True)
        elif what == "query":
            self.query_call(node, effect, ctx)
        if type(func) is ast.Name and func.id not in inf.env.names:
            qualified = inf.qualify(func.id)
            if qualified == func.id and func.id in _EVAL_BUILTINS:
                self.builtin_call(node, ctx)
            elif qualified == "django.shortcuts.render":
                self.render_call(node, ctx)

    def async_name_exists(self, node: ast.Call, effect: Effect, ctx: _Ctx) -> None:
        """An ``a*`` method or function newer than the project's Django: AttributeError /
        ImportError at runtime. Fixed with ``sync_to_async`` around the sync name."""
        sync, entry = self.doc.missing_async(effect.family, _call_name(node))
        if entry is None:
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

    def awaited(self, node: ast.Await, kind: Kind) -> None:
        """The checks of ``await node.value`` where the operand is of the kind ``kind``."""
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

    def subscript(self, node: ast.Subscript, ctx: _Ctx, base: Kind) -> None:
        """The checks of ``node.value[...]`` where the value is of the kind ``base``."""
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
        self.expr(node, _TRUTH[nofix])
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
            for_pos = self.for_keyword(owner)
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
            for_pos = self.for_keyword(owner)
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
        for_pos = self.for_keyword(owner)
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
        parens = _needs_parens_in(self.parent_of(node), node)
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
        parent = self.parent_of(node)
        offload = (
            isinstance(parent, ast.Call)
            and parent is not node
            and is_offload_call(parent, self.qualify)
            and node in parent.args
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
        parens = _needs_parens_in(self.parent_of(node), node)
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
        if _needs_parens_in(self.parent_of(node), node):
            return [Edit(_point(span), "(await "), Edit(_end_point(span), ")")]
        return [Edit(_point(span), "await ")]

    def replace_expr_fix(
        self, node: ast.expr, ctx: _Ctx, text: str, title: str, *, negated: bool = False
    ) -> Fix:
        if _needs_parens_in(self.parent_of(node), node) or (
            negated
            and self.parent_of(node) is not None
            and not isinstance(
                self.parent_of(node),
                (ast.If, ast.While, ast.Assign, ast.Return, ast.IfExp, ast.Assert),
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
    (ast.Dict, _Walker._dict_expr),
    ((ast.List, ast.Tuple, ast.Set), _Walker._elements_expr),
    ((ast.BinOp, ast.Slice), _Walker._operands_expr),
)


class _Handlers(dict[type, Callable[..., None]]):
    """Node class -> its ``_Walker`` expression handler, worked out on first use."""

    def __missing__(self, cls: type) -> Callable[..., None]:
        handler = self[cls] = _expr_handler(cls)
        return handler


_EXPR_HANDLERS = _Handlers()


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


# The tables ``_async_entry`` reads (besides the session's, ``SESSION_ASYNC``).
_ASYNC_TABLES = (
    "async_queryset_methods",
    "async_related_manager_methods",
    "async_model_methods",
    "async_auth_functions",
    "async_shortcuts",
)


@functools.cache
def _newest_async_since() -> Version:
    """The newest ``since`` of any entry ``_async_entry`` can give: ``missing_async`` finds
    nothing missing in a Django at least that new."""
    entries = [entry for table in _ASYNC_TABLES for entry in async_table(table).values()]
    entries += [found for _, found in SESSION_ASYNC.values()]
    return max(_version(entry["since"]) for entry in entries)


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
