"""Extract the facts the project index keeps about one Python module, from its AST alone.

Imports become a map from local names to qualified names; classes, functions and
module-level assignments are summarised into small picklable values (``Value``) with
names resolved through the imports. Nothing here imports or runs the module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..types import Span
from .parse import PythonSource

# ---------------------------------------------------------------------------------------------
# Summarised values
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lit:
    """A literal: str, int, float, bool or None."""

    value: str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Ref:
    """A name or dotted attribute chain, qualified through the module's imports."""

    name: str


@dataclass(frozen=True, slots=True)
class Seq:
    """A list/tuple/set display (or a concatenation of them)."""

    items: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Call:
    """A call: ``func`` is the qualified callee (``django.urls.path``, ``books.views.V.as_view``)."""

    func: str
    args: tuple[Value, ...]
    kwargs: tuple[tuple[str, Value], ...]
    line: int = 0  # 0-based line of the call
    span: Span | None = None

    def kwarg(self, name: str) -> Value | None:
        for key, value in self.kwargs:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class Unknown:
    """Anything djvet does not summarise."""

    text: str = ""


Value = Lit | Ref | Seq | Call | Unknown


@dataclass(frozen=True, slots=True)
class FunctionInfo:
    name: str
    qualname: str
    is_async: bool
    decorators: tuple[Value, ...]
    name_span: Span
    calls: frozenset[str]  # qualified names this function calls directly
    alias_of: str | None = None  # ``get = post`` in a class body: the aliased method name


@dataclass(frozen=True, slots=True)
class ClassInfo:
    name: str
    qualname: str
    module: str
    path: str
    bases: tuple[str, ...]  # qualified names ("django.views.generic.CreateView")
    methods: dict[str, FunctionInfo]
    attrs: dict[str, Value]
    meta: dict[str, Value]  # the inner ``class Meta`` assignments
    decorators: tuple[Value, ...]
    name_span: Span
    nested: tuple[str, ...] = ()  # qualnames of classes defined inside


@dataclass
class ModuleInfo:
    """Everything the index knows about one file."""

    path: str
    module: str
    digest: str
    imports: dict[str, str] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)  # by qualname
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    assignments: dict[str, Value] = field(default_factory=dict)
    mentions_django: bool = False
    has_async: bool = False
    syntax_error: bool = False


# ---------------------------------------------------------------------------------------------
# Extraction
# ---------------------------------------------------------------------------------------------


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def resolve_import(module: str, level: int, name: str | None, is_package: bool) -> str:
    """Absolute module name for ``from <level dots><name> import ...`` inside ``module``."""
    if level == 0:
        return name or ""
    package_parts = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        package_parts = package_parts[: len(package_parts) - (level - 1)]
    base = ".".join(package_parts)
    if name:
        return f"{base}.{name}" if base else name
    return base


class _Extractor:
    def __init__(self, source: PythonSource, module: str, path: str, is_package: bool) -> None:
        self.source = source
        self.module = module
        self.path = path
        self.is_package = is_package
        self.imports: dict[str, str] = {}
        self.local_names: set[str] = set()

    # -- names -------------------------------------------------------------------------------
    def qualify(self, name: str) -> str:
        head, _, rest = name.partition(".")
        if head in self.imports:
            target = self.imports[head]
            return f"{target}.{rest}" if rest else target
        if head in self.local_names:
            return f"{self.module}.{name}" if self.module else name
        return name  # a builtin or something unresolved: keep the spelling

    def value(self, node: ast.AST | None, depth: int = 0) -> Value:
        if node is None or depth > 12:
            return Unknown()
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool, type(None))):
            return Lit(node.value)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return Seq(tuple(self.value(e, depth + 1) for e in node.elts))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.value(node.left, depth + 1), self.value(node.right, depth + 1)
            left_items = left.items if isinstance(left, Seq) else (left,)
            right_items = right.items if isinstance(right, Seq) else (right,)
            return Seq(left_items + right_items)
        name = dotted(node)
        if name is not None:
            return Ref(self.qualify(name))
        if isinstance(node, ast.Call):
            func = dotted(node.func)
            if func is None and isinstance(node.func, ast.Attribute):
                # ``Manager.from_queryset(QS)()`` / ``include(...)`` chains: keep the inner call.
                inner = self.value(node.func.value, depth + 1)
                func_name = f"{inner.func}().{node.func.attr}" if isinstance(inner, Call) else node.func.attr
            elif func is None and isinstance(node.func, ast.Call):
                inner = self.value(node.func, depth + 1)
                func_name = f"{inner.func}()" if isinstance(inner, Call) else "<call>"
                args = tuple(self.value(a, depth + 1) for a in node.args)
                return Call(func_name, args, self._kwargs(node, depth), node.lineno - 1, self.source.span(node))
            else:
                func_name = self.qualify(func) if func else "<call>"
            args = tuple(self.value(a, depth + 1) for a in node.args)
            return Call(func_name, args, self._kwargs(node, depth), node.lineno - 1, self.source.span(node))
        return Unknown(type(node).__name__)

    def _kwargs(self, node: ast.Call, depth: int) -> tuple[tuple[str, Value], ...]:
        return tuple((k.arg, self.value(k.value, depth + 1)) for k in node.keywords if k.arg is not None)

    # -- statements --------------------------------------------------------------------------
    def collect_imports(self, body: list[ast.stmt]) -> None:
        for node in _walk_statements(body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.imports[alias.asname] = alias.name
                    else:
                        head = alias.name.split(".")[0]
                        self.imports.setdefault(head, head)
            elif isinstance(node, ast.ImportFrom):
                base = resolve_import(self.module, node.level, node.module, self.is_package)
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    local = alias.asname or alias.name
                    self.imports[local] = f"{base}.{alias.name}" if base else alias.name

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, prefix: str) -> FunctionInfo:
        calls = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                name = dotted(sub.func)
                if name:
                    calls.add(self.qualify(name))
        return FunctionInfo(
            name=node.name,
            qualname=f"{prefix}{node.name}",
            is_async=isinstance(node, ast.AsyncFunctionDef),
            decorators=tuple(self.value(d) for d in node.decorator_list),
            name_span=self.source.name_span(node),
            calls=frozenset(calls),
        )

    def klass(self, node: ast.ClassDef, prefix: str, out: dict[str, ClassInfo]) -> None:
        qualname = f"{prefix}{node.name}"
        methods: dict[str, FunctionInfo] = {}
        attrs: dict[str, Value] = {}
        meta: dict[str, Value] = {}
        nested: list[str] = []
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                methods[stmt.name] = self.function(stmt, f"{qualname}.")
            elif isinstance(stmt, ast.Assign):
                value = self.value(stmt.value)
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        attrs[target.id] = value
                        if isinstance(stmt.value, ast.Name) and stmt.value.id in methods:
                            original = methods[stmt.value.id]
                            methods[target.id] = FunctionInfo(
                                name=target.id,
                                qualname=f"{qualname}.{target.id}",
                                is_async=original.is_async,
                                decorators=original.decorators,
                                name_span=self.source.span(target),
                                calls=original.calls,
                                alias_of=original.name,
                            )
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                attrs[stmt.target.id] = self.value(stmt.value)
            elif isinstance(stmt, ast.ClassDef):
                if stmt.name == "Meta":
                    for meta_stmt in stmt.body:
                        if isinstance(meta_stmt, ast.Assign):
                            for target in meta_stmt.targets:
                                if isinstance(target, ast.Name):
                                    meta[target.id] = self.value(meta_stmt.value)
                else:
                    nested.append(f"{qualname}.{stmt.name}")
                    self.klass(stmt, f"{qualname}.", out)
        bases = []
        for base in node.bases:
            name = dotted(base)
            if name:
                bases.append(self.qualify(name))
            elif isinstance(base, ast.Subscript):  # Generic[T]-style bases
                inner = dotted(base.value)
                if inner:
                    bases.append(self.qualify(inner))
        out[qualname] = ClassInfo(
            name=node.name,
            qualname=qualname,
            module=self.module,
            path=self.path,
            bases=tuple(bases),
            methods=methods,
            attrs=attrs,
            meta=meta,
            decorators=tuple(self.value(d) for d in node.decorator_list),
            name_span=self.source.name_span(node),
            nested=tuple(nested),
        )


def _walk_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, including those inside if/try blocks (conditional imports)."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If):
            yield from _walk_statements(stmt.body)
            yield from _walk_statements(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            yield from _walk_statements(stmt.body)
            for handler in stmt.handlers:
                yield from _walk_statements(handler.body)
            yield from _walk_statements(stmt.orelse)
            yield from _walk_statements(stmt.finalbody)


def extract_module(source: PythonSource, module: str, path: str, digest: str) -> ModuleInfo:
    """Summarise one parsed module for the project index."""
    is_package = path.endswith("__init__.py")
    ex = _Extractor(source, module, path, is_package)
    tree = source.tree
    ex.collect_imports(tree.body)
    for stmt in _walk_statements(tree.body):
        if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            ex.local_names.add(stmt.name)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    ex.local_names.add(target.id)
    info = ModuleInfo(path=path, module=module, digest=digest, imports=ex.imports)
    info.syntax_error = source.recovered
    info.mentions_django = "django" in source.text
    info.has_async = "async " in source.text
    for stmt in _walk_statements(tree.body):
        if isinstance(stmt, ast.ClassDef):
            ex.klass(stmt, "", info.classes)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            info.functions[stmt.name] = ex.function(stmt, "")
        elif isinstance(stmt, ast.Assign):
            value = ex.value(stmt.value)
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    info.assignments[target.id] = value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
            info.assignments[stmt.target.id] = ex.value(stmt.value)
        elif (
            isinstance(stmt, ast.AugAssign)
            and isinstance(stmt.op, ast.Add)
            and isinstance(stmt.target, ast.Name)
        ):
            # ``urlpatterns += [...]``
            previous = info.assignments.get(stmt.target.id)
            added = ex.value(stmt.value)
            prev_items = previous.items if isinstance(previous, Seq) else ()
            new_items = added.items if isinstance(added, Seq) else (added,)
            info.assignments[stmt.target.id] = Seq(prev_items + new_items)
    return info
