"""The module-fact extraction's fast paths (type dispatch, spans without ``column``, slot-built
values, one pass over the line table per deferred function, no statement memo for deferred
modules) summarise exactly what a straightforward extraction does, on generated modules:
ASCII and not, with and without a BOM, that parse whole or not, packages and migrations."""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from djvet.core.project import ModuleNames, module_name
from djvet.core.python import facts as facts_module
from djvet.core.python.facts import (
    Call,
    ClassInfo,
    DeferredBody,
    FunctionInfo,
    Lit,
    ModuleInfo,
    Qualifier,
    Ref,
    Seq,
    Starred,
    Unknown,
    Value,
    decorator_shape,
    dotted,
    extract_module,
    qualify_name,
    resolve_import,
)
from djvet.core.python.parse import PythonSource, parse_python
from djvet.core.types import Span

# ---------------------------------------------------------------------------------------------
# The reference: the extraction spelled out plainly (isinstance tests, dataclass constructors,
# spans from the UTF-8 bytes of each line, the line table read through ``line_start``).
# ---------------------------------------------------------------------------------------------


def reference_dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def reference_column(source: PythonSource, line0: int, byte_col: int) -> int:
    """A UTF-8 byte column of the parsed text (no BOM) as a column of ``source.text``."""
    shift = 1 if source.bom and line0 == 0 else 0
    line = source.lines.line_text(line0)[shift:]
    return len(line.encode("utf-8")[: max(byte_col, 0)].decode("utf-8", errors="ignore")) + shift


def reference_span(source: PythonSource, node: Any) -> Span:
    end_line = (node.end_lineno or node.lineno) - 1
    end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
    return Span(
        node.lineno - 1,
        reference_column(source, node.lineno - 1, node.col_offset),
        end_line,
        reference_column(source, end_line, end_col),
    )


def reference_name_span(source: PythonSource, node: Any) -> Span:
    """After the keyword on the header line (``name_span``'s answer when it finds the name)."""
    line0 = node.lineno - 1
    text = source.lines.line_text(line0)
    keyword = "class" if isinstance(node, ast.ClassDef) else "def"
    start = reference_column(source, line0, node.col_offset)
    index = text.find(keyword, start)
    if index >= 0:
        index = text.find(node.name, index + len(keyword))
        if index >= 0:
            return Span(line0, index, line0, index + len(node.name))
    return Span(line0, start, line0, start)


class Reference:
    def __init__(self, source: PythonSource, module: str, path: str, defer: bool) -> None:
        self.source = source
        self.module = module
        self.path = path
        self.is_package = path.endswith("__init__.py")
        self.defer = defer and not source.recovered and not source.bom
        self.imports: dict[str, str] = {}
        self.star_imports: list[str] = []
        self.local_names: set[str] = set()
        self.importable = all(part.isidentifier() for part in module.split("."))

    def qualify(self, name: str) -> str:
        return qualify_name(self.module, self.imports, self.local_names, name)

    def value(self, node: ast.AST | None, depth: int = 0) -> Value:
        if node is None or depth > 12:
            return Unknown()
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (str, int, float, type(None))):
                return Lit(node.value)
            return Unknown("Constant")
        if isinstance(node, ast.Starred):
            return Starred(self.value(node.value, depth + 1))
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return Seq(tuple(self.value(e, depth + 1) for e in node.elts))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.value(node.left, depth + 1), self.value(node.right, depth + 1)
            left_items = left.items if isinstance(left, Seq) else (left,)
            right_items = right.items if isinstance(right, Seq) else (right,)
            return Seq(left_items + right_items)
        name = reference_dotted(node)
        if name is not None:
            return Ref(self.qualify(name))
        if isinstance(node, ast.Call):
            func = reference_dotted(node.func)
            inner: Value | None = None
            if func is None and isinstance(node.func, ast.Attribute):
                outer = self.value(node.func.value, depth + 1)
                func_name = (
                    f"{outer.func}().{node.func.attr}"
                    if isinstance(outer, Call)
                    else node.func.attr
                )
            elif func is None and isinstance(node.func, ast.Call):
                inner = self.value(node.func, depth + 1)
                func_name = f"{inner.func}()" if isinstance(inner, Call) else "<call>"
            else:
                func_name = self.qualify(func) if func else "<call>"
            return Call(
                func_name,
                tuple(self.value(a, depth + 1) for a in node.args),
                tuple(
                    (k.arg, self.value(k.value, depth + 1))
                    for k in node.keywords
                    if k.arg is not None
                ),
                node.lineno - 1,
                reference_span(self.source, node),
                inner if isinstance(inner, Call) else None,
            )
        return Unknown(type(node).__name__)

    def function(self, node: Any, prefix: str) -> FunctionInfo:
        decorators = tuple(self.value(d) for d in node.decorator_list)
        is_async = isinstance(node, ast.AsyncFunctionDef)
        name_span = reference_name_span(self.source, node)
        qualifier = Qualifier(self.module, self.imports, frozenset(self.local_names))
        if self.defer:
            lines = self.source.lines
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            last = node.end_lineno or node.lineno
            text = self.source.text[lines.line_start(first) : lines.line_start(last)]
            return FunctionInfo(
                node.name,
                f"{prefix}{node.name}",
                is_async,
                decorators,
                name_span,
                deferred=DeferredBody(text, first, qualifier, self.path),
            )
        summary = facts_module._BodySummariser(facts_module._Context(qualifier, self.source), node)
        return FunctionInfo(
            node.name,
            f"{prefix}{node.name}",
            is_async,
            decorators,
            name_span,
            calls=frozenset(summary.calls),
            body=None if is_async else summary.summary(),
            decorator_shape=decorator_shape(node),
        )

    def klass(self, node: ast.ClassDef, prefix: str, out: dict[str, ClassInfo]) -> None:
        qualname = f"{prefix}{node.name}"
        methods: dict[str, FunctionInfo] = {}
        attrs: dict[str, Value] = {}
        meta: dict[str, Value] = {}
        nested: list[str] = []
        bases = []
        for base in node.bases:
            name = reference_dotted(base)
            if name:
                bases.append(self.qualify(name))
            elif isinstance(base, ast.Subscript):
                inner = reference_dotted(base.value)
                if inner:
                    bases.append(self.qualify(inner))
        migration = not self.importable and any(
            base in facts_module._MIGRATION_BASES for base in bases
        )
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                methods[stmt.name] = self.function(stmt, f"{qualname}.")
            elif isinstance(stmt, ast.Assign):
                value = Unknown("not summarised") if migration else self.value(stmt.value)
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
                                name_span=reference_span(self.source, target),
                                calls=original._calls,
                                alias_of=original.name,
                                deferred=original._deferred,
                            )
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                attrs[stmt.target.id] = (
                    Unknown("not summarised") if migration else self.value(stmt.value)
                )
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
            name_span=reference_name_span(self.source, node),
            nested=tuple(nested),
            base_values=tuple(self.value(base) for base in node.bases),
        )


def reference_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    out = []
    for stmt in body:
        out.append(stmt)
        if isinstance(stmt, ast.If):
            out += reference_statements(stmt.body) + reference_statements(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            out += reference_statements(stmt.body)
            for handler in stmt.handlers:
                out += reference_statements(handler.body)
            out += reference_statements(stmt.orelse) + reference_statements(stmt.finalbody)
    return out


def reference_extract(source: PythonSource, module: str, path: str, defer: bool) -> ModuleInfo:
    ex = Reference(source, module, path, defer)
    statements = reference_statements(source.tree.body)
    for node in statements:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    ex.imports[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    ex.imports.setdefault(head, head)
        elif isinstance(node, ast.ImportFrom):
            base = resolve_import(module, node.level, node.module, ex.is_package)
            for alias in node.names:
                if alias.name == "*":
                    if base:
                        ex.star_imports.append(base)
                    continue
                local = alias.asname or alias.name
                ex.imports[local] = f"{base}.{alias.name}" if base else alias.name
    for stmt in statements:
        if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            ex.local_names.add(stmt.name)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    ex.local_names.add(target.id)
    info = ModuleInfo(path=path, module=module, digest="d", imports=ex.imports)
    info.star_imports = tuple(ex.star_imports)
    info.syntax_error = source.recovered
    info.mentions_django = "django" in source.text
    info.has_async = "async " in source.text
    for stmt in statements:
        if isinstance(stmt, ast.ClassDef):
            out: dict[str, ClassInfo] = {}
            ex.klass(stmt, "", out)
            info.classes.update(out)
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
            previous = info.assignments.get(stmt.target.id)
            added = ex.value(stmt.value)
            prev_items = previous.items if isinstance(previous, Seq) else ()
            new_items = added.items if isinstance(added, Seq) else (added,)
            info.assignments[stmt.target.id] = Seq(prev_items + new_items)
    return info


def canon(obj: object) -> object:
    """Every field, deferred bodies included (``==`` on facts summarises deferred bodies)."""
    if isinstance(obj, FunctionInfo):
        deferred = obj.deferred
        return (
            "function",
            canon(obj._shape()),
            None
            if deferred is None
            else (
                deferred.text,
                deferred.first_line,
                deferred.path,
                deferred.qualifier.module,
                canon(deferred.qualifier.imports),
                sorted(deferred.qualifier.local_names),
            ),
            sorted(obj._calls),
            canon(obj._body),
            canon(obj._decorator_shape),
        )
    if isinstance(obj, dict):
        return ("dict", [(key, canon(value)) for key, value in obj.items()])
    if isinstance(obj, (tuple, list)):
        return (type(obj).__name__, [canon(item) for item in obj])
    if hasattr(obj, "__dataclass_fields__"):
        return (type(obj).__name__, [(f, canon(getattr(obj, f))) for f in obj.__dataclass_fields__])
    if isinstance(obj, frozenset):
        return ("frozenset", sorted(obj))
    return (type(obj).__name__, obj)


# ---------------------------------------------------------------------------------------------
# Generated modules
# ---------------------------------------------------------------------------------------------

NAMES = st.sampled_from(["models", "Book", "path", "views", "x", "forms", "include", "QS", "é"])
CONSTANTS = st.sampled_from(
    ["1", "0", "-1", "1.5", "True", "False", "None", "'s'", "'é'", "'日本'", "b'x'", "1j",
     "...", "'''a\nb'''", "f'{x}'"]
)  # fmt: skip


_EXPRESSIONS: dict[int, st.SearchStrategy[str]] = {}


def expressions(depth: int = 0) -> st.SearchStrategy[str]:
    """Python expressions nested at most ``4 - depth`` deep (one strategy per depth)."""
    if depth not in _EXPRESSIONS:
        _EXPRESSIONS[depth] = _expressions(depth)
    return _EXPRESSIONS[depth]


def _expressions(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(
        CONSTANTS,
        NAMES,
        st.builds(lambda a, b: f"{a}.{b}", NAMES, NAMES),
        st.builds(lambda a, b, c: f"{a}.{b}.{c}", NAMES, NAMES, NAMES),
    )
    if depth > 3:
        return leaf
    inner = st.deferred(lambda: expressions(depth + 1))
    args = st.lists(inner, max_size=3)
    kwargs = st.lists(st.tuples(st.sampled_from(["a", "name", "é", "to"]), inner), max_size=2)

    def call(func: str, positional: list[str], named: list[tuple[str, str]], star: bool) -> str:
        parts = [*positional, *(f"{k}={v}" for k, v in named)]
        if star:
            parts.append("**kw")
        return f"{func}({', '.join(parts)})"

    funcs = st.one_of(
        NAMES,
        st.builds(lambda a, b: f"{a}.{b}", NAMES, NAMES),
        st.builds(lambda a, b: f"{a}().{b}", NAMES, NAMES),  # an attribute of a call
        st.builds(lambda a: f"{a}(1)", NAMES),  # a call of a call
        st.builds(lambda a: f"{a}[0]", NAMES),  # a subscript: "<call>"
        st.just("(lambda: 1)"),
    )
    return st.one_of(
        leaf,
        st.builds(call, funcs, args, kwargs, st.booleans()),
        st.builds(lambda items: f"[{', '.join(items)}]", args),
        st.builds(lambda items: f"({', '.join(items)},)" if items else "()", args),
        st.builds(lambda items: f"{{{', '.join(items)}}}", args.filter(bool)),
        st.builds(lambda items: f"[*{items}]", inner),
        st.builds(lambda a, b: f"{a} + {b}", inner, inner),
        st.builds(lambda a, b: f"{a} * {b}", inner, inner),
        st.builds(lambda a: f"{{'k': {a}}}", inner),
        st.builds(lambda a: f"(\n    {a}\n)", inner),  # a value over several lines
        st.builds(lambda n: "[" * n + "x" + "]" * n, st.integers(10, 16)),  # past the depth cap
        st.builds(lambda n: "f(" * n + "x" + ")" * n, st.integers(10, 16)),
        st.builds(lambda n: "f(k=" * n + "'v', **kw" + ")" * n, st.integers(10, 16)),
    )


DECORATORS = st.lists(
    st.sampled_from(["@deco", "@app.route('/é')", "@(\n    deco\n)", "@functools.wraps(f)"]),
    max_size=2,
)


@st.composite
def functions(draw: st.DrawFn, indent: str) -> str:
    name = draw(st.sampled_from(["get", "post", "view", "défaut", "define", "classy", "f"]))
    prefix = draw(st.sampled_from(["def ", "async def ", "async  def ", "def  "]))
    lines = [f"{indent}{d}" for d in draw(DECORATORS)]
    params = draw(st.sampled_from(["", "self", "request, pk: int", "self, *a, **k"]))
    lines.append(f"{indent}{prefix}{name}({params}):")
    body = draw(
        st.lists(
            st.one_of(
                st.builds(lambda e: f"x = {e}", expressions(2)),
                st.builds(lambda e: f"return {e}", expressions(2)),
                st.just("return request"),
                st.just("pass"),
                st.just("y = 'é'"),
            ),
            min_size=1,
            max_size=3,
        )
    )
    lines += [f"{indent}    {b}".replace("\n", f"\n{indent}    ") for b in body]
    return "\n".join(lines)


@st.composite
def classes(draw: st.DrawFn, indent: str = "", level: int = 0) -> str:
    name = draw(st.sampled_from(["Book", "V", "Migration", "Ünï", "Meta2", "classy"]))
    bases = draw(
        st.lists(
            st.sampled_from(
                ["models.Model", "View", "Generic[T]", "typing.Generic[T]",
                 "models.Manager.from_queryset(QS)", "f().Base", "migrations.Migration",
                 "django.db.migrations.Migration", "object", "metaclass=M"]
            ),
            max_size=3,
        )
    )  # fmt: skip
    head = [f"{indent}{d}" for d in draw(DECORATORS)]
    spelled = draw(st.sampled_from(["class ", "class  "]))
    head.append(f"{indent}{spelled}{name}({', '.join(bases)}):")
    members: list[str] = []
    for kind in draw(
        st.lists(
            st.sampled_from(["assign", "ann", "method", "alias", "meta", "nested", "pass"]),
            min_size=1,
            max_size=5,
        )
    ):
        inner = indent + "    "
        if kind == "assign":
            members.append(f"{inner}{draw(NAMES)} = {draw(expressions(1))}")
        elif kind == "ann":
            members.append(f"{inner}field: int = {draw(expressions(1))}")
        elif kind == "method":
            members.append(draw(functions(inner)))
        elif kind == "alias":
            members.append(f"{inner}put = get")
        elif kind == "meta":
            members.append(f"{inner}class Meta:\n{inner}    ordering = {draw(expressions(2))}")
        elif kind == "nested" and level < 2:
            members.append(draw(classes(inner, level + 1)))
        else:
            members.append(f"{inner}pass")
    return "\n".join([*head, *members])


@st.composite
def modules(draw: st.DrawFn) -> str:
    statements = draw(
        st.lists(
            st.one_of(
                st.sampled_from(
                    ["import os", "import django.db.models as models", "import a.b.c",
                     "from django.urls import path, include as inc", "from . import views",
                     "from .models import *", "from ..core import é", "from .. import *",
                     "from typing import Generic", "urlpatterns += [path('x/', v)]",
                     "urlpatterns += extra", "x: int", "n -= 1", "a = b = c.d",
                     "a.b = 1", "x, y = 1, 2"]
                ),
                st.builds(lambda e: f"urlpatterns = {e}", expressions()),
                st.builds(lambda n, e: f"{n} = {e}", NAMES, expressions()),
                st.builds(lambda e: f"x: list = {e}", expressions()),
                functions(""),
                classes(),
                st.builds(
                    lambda f, c: "if TYPE_CHECKING:\n    import typing\nelse:\n"
                    + "\n".join("    " + line for line in f"{f}\n{c}".split("\n")),
                    functions(""),
                    classes(),
                ),
                st.builds(
                    lambda f: "try:\n    from x import y\nexcept ImportError:\n"
                    + "\n".join("    " + line for line in f.split("\n"))
                    + "\nelse:\n    z = 1\nfinally:\n    w = 2",
                    functions(""),
                ),
            ),
            max_size=8,
        )
    )  # fmt: skip
    return "\n".join(statements) + "\n"


PATHS = [
    ("/p/app/views.py", "app.views"),
    ("/p/app/__init__.py", "app"),
    ("/p/app/migrations/0001_initial.py", "app.migrations.0001_initial"),
]


def _check(text: str, path: str, module: str) -> None:
    source = parse_python(text, path)
    for defer in (True, False):
        expected = canon(reference_extract(source, module, path, defer))
        for _ in range(2):  # again: statement summaries reused (eager) or made anew (deferred)
            got = extract_module(source, module, path, "d", defer_bodies=defer)
            assert canon(got) == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules(), st.sampled_from(PATHS), st.sampled_from(["", "\ufeff", "# é\n"]))
def test_extraction_equals_the_straightforward_reference(
    text: str, where: tuple[str, str], prefix: str
) -> None:
    path, module = where
    _check(prefix + text, path, module)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules(), st.sampled_from(PATHS), st.integers(0, 10_000))
def test_extraction_of_a_file_that_does_not_parse_whole(
    text: str, where: tuple[str, str], cut: int
) -> None:
    # Cutting the text somewhere (and adding a broken line) makes the parse recover blocks:
    # nothing is deferred, one-line stubs stand in for broken functions.
    path, module = where
    lines = text.split("\n")
    at = cut % (len(lines) + 1)
    _check("\n".join([*lines[:at], "def broken(:", *lines[at:]]), path, module)


@pytest.mark.parametrize(
    "text",
    [
        "x = f(a)(b)(c)\n",  # calls of calls keep the inner call
        "x = f(a).g(b).h(c)\n",  # attributes of calls name the call
        "x = 'é'; y = f(g(1), k='日本')\n",  # non-ASCII columns
        "\ufeffx = f(1)\nclass A(B): pass\ndef g(): ...\n",  # a BOM shifts line 0
        "class A(Generic[T], mod.Base, f().G, Manager.from_queryset(QS)): pass\n",
        "x = " + "[" * 14 + "1" + "]" * 14 + "\n",  # deeper than the summaries go
        "x = " + "f(k=" * 14 + "1, j=y" + ")" * 14 + "\n",  # keywords deeper than that
        "async def v(r):\n    pass\nasync  def w(r): ...\n@d\n@e(\n 1)\ndef u(): ...\n",
        "x = (1, True, 1.0, None, b'', 1j, ..., 'a')\n",  # literals that are equal but differ
    ],
)
def test_extraction_of_known_shapes_equals_the_reference(text: str) -> None:
    for path, module in PATHS:
        _check(text, path, module)


@given(expressions())
def test_dotted_fast_paths_equal_the_loop(text: str) -> None:
    for node in ast.walk(ast.parse(text.lstrip())):
        assert dotted(node) == reference_dotted(node)


@settings(max_examples=100, deadline=None)
@given(modules(), st.sampled_from(["", "\ufeff", "# é\n", "# e\n"]))
def test_spans_equal_the_byte_column_conversion(text: str, prefix: str) -> None:
    source = parse_python(prefix + text, "<document>")
    for node in ast.walk(source.tree):
        if hasattr(node, "end_col_offset") and hasattr(node, "lineno"):
            assert source.span(node) == reference_span(source, node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            assert source.name_span(node) == reference_name_span(source, node)


def test_module_names_through_symbolic_links(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "app").mkdir(parents=True)
    (root / "app" / "views.py").write_text("x = 1\n")
    (root / "app" / "__init__.py").write_text("")
    (root / "linked.py").symlink_to(root / "app" / "views.py")  # a linked file: its target
    (tmp_path / "elsewhere.py").write_text("")
    (root / "outside.py").symlink_to(tmp_path / "elsewhere.py")  # leads outside: own name
    (tmp_path / "alias").symlink_to(root)  # a linked root
    memo: dict[str, str] = {}
    assert module_name(root, root / "app" / "views.py", memo) == "app.views"
    assert module_name(root, root / "app" / "__init__.py", memo) == "app"
    assert module_name(root, root / "linked.py", memo) == "app.views"
    assert module_name(root, root / "outside.py", memo) == "outside"
    assert module_name(tmp_path / "alias", root / "app" / "views.py", {}) == "app.views"
    assert module_name(root, tmp_path / "alias" / "app" / "views.py", {}) == "app.views"
    assert module_name(root, root / "missing.py", memo) == "missing"  # no file: no link
    relative = os.path.relpath(root / "app" / "views.py")
    assert module_name(root, Path(relative), memo) == "app.views"


def reference_module_name(root: Path, path: Path) -> str:
    """Session 5's ``module_name``, path by path: the real path relative to the real root."""
    real_root = os.path.realpath(root)
    full = os.path.abspath(path)
    directory, name = os.path.split(full)
    real = (
        os.path.realpath(full)
        if os.path.islink(full)
        else os.path.join(os.path.realpath(directory), name)
    )
    if real.startswith(real_root + os.sep):
        relative = real[len(real_root) + 1 :]
    else:
        relative = name
    parts = relative.split(os.sep)
    stem = parts[-1]
    dot = stem.rfind(".")
    parts[-1] = stem[:dot] if 0 < dot < len(stem) - 1 else stem
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def test_one_module_namer_for_many_files_names_each_as_module_name_does(tmp_path: Path) -> None:
    """``ModuleNames`` remembers each folder's prefix: every file, asked in any order and
    with the caller's ``link`` or without, gets ``module_name``'s answer."""
    root = tmp_path / "root"
    (root / "app" / "sub.pkg").mkdir(parents=True)
    (root / "app" / "views.py").write_text("")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "sub.pkg" / "m.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "linked.py").symlink_to(root / "app" / "views.py")
    (root / "init_link.py").symlink_to(root / "app" / "__init__.py")
    (tmp_path / "elsewhere.py").write_text("")
    (root / "outside.py").symlink_to(tmp_path / "elsewhere.py")
    (root / "alias_dir").symlink_to(root / "app")  # a linked folder: its files are app's
    (root / "alias_dir_out").symlink_to(tmp_path)  # a folder outside the root
    files = [
        root / "app" / "views.py",
        root / "app" / "__init__.py",
        root / "app" / "sub.pkg" / "m.py",
        root / "__init__.py",
        root / "linked.py",
        root / "init_link.py",
        root / "outside.py",
        root / "alias_dir" / "views.py",
        root / "alias_dir_out" / "elsewhere.py",
        root / "missing.py",
    ]
    expected = [reference_module_name(root, path) for path in files]
    assert [module_name(root, path, {}) for path in files] == expected
    assert expected[:8] == [
        *("app.views", "app", "app.sub.pkg.m", ""),
        *("app.views", "app", "outside", "app.views"),
    ]
    for order in (files, list(reversed(files))):
        names = ModuleNames(root)
        got = {str(path): names.of(str(path)) for path in order}
        assert [got[str(path)] for path in files] == expected
        told = ModuleNames(root)
        got = {str(path): told.of(str(path), path.is_symlink()) for path in order}
        assert [got[str(path)] for path in files] == expected
