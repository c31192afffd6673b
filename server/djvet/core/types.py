"""The value types every layer of djvet exchanges: spans, edits, fixes, findings, results.

Coordinates are always 0-based lines and 0-based *code-point* columns (Python ``str``
indices within a line). Front ends convert at their edge: the CLI to 1-based columns,
the language server to UTF-16 (see ``djvet.lsp.convert``).
"""

from __future__ import annotations

import dataclasses
import enum
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

_T = TypeVar("_T")


def fast_pickle(cls: type[_T]) -> type[_T]:
    """Pickle a frozen, slotted dataclass as ``cls(*fields)``, unpickled slot by slot.

    The generic ``__getstate__``/``__setstate__`` that dataclasses give slotted classes call
    ``fields()`` for every object; the project index holds hundreds of thousands of these
    objects, and the CLI cache and worker processes pickle it.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if not fields or not all(f.init for f in fields):
        return cls
    names = tuple(f.name for f in fields)
    values = operator.attrgetter(*names)  # the fields' values in C: a tuple for two or more
    slotted = "__slots__" in cls.__dict__ and not hasattr(cls, "__post_init__")
    make: Callable[..., _T] = slot_constructor(cls) if slotted else cls

    def __reduce__(self: _T) -> tuple[Callable[..., _T], tuple[Any, ...]]:
        return make, values(self)

    def __reduce_one__(self: _T) -> tuple[Callable[..., _T], tuple[Any, ...]]:
        return make, (values(self),)

    cls.__reduce__ = __reduce__ if len(names) > 1 else __reduce_one__  # type: ignore[assignment,method-assign]
    return cls


def slot_constructor(cls: type[_T]) -> Callable[..., _T]:
    """``make(*fields)`` -> a ``cls`` holding exactly those field values, for a slotted
    dataclass, without calling its ``__init__``: each value goes straight into its slot.

    About 40% cheaper than ``cls(*fields)`` for a frozen dataclass (whose ``__init__`` stores
    each field through ``object.__setattr__``). For rebuilding objects that were whole when
    they were taken apart (unpickling): no ``__post_init__``, every field given positionally
    in declaration order. The function is kept as ``cls._from_fields``, where pickle finds it
    by name.
    """
    existing = cls.__dict__.get("_from_fields")
    if existing is not None:
        return existing.__func__  # type: ignore[no-any-return]
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    params = ", ".join(f"v{i}" for i in range(len(names)))
    stores = "".join(f"    set{i}(obj, v{i})\n" for i in range(len(names)))
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    for i, name in enumerate(names):
        namespace[f"set{i}"] = cls.__dict__[name].__set__  # the slot's member descriptor
    exec(f"def make({params}):\n    obj = new(cls)\n{stores}    return obj\n", namespace)
    make: Callable[..., _T] = namespace["make"]
    make.__module__ = cls.__module__
    make.__qualname__ = f"{cls.__qualname__}._from_fields"
    cls._from_fields = staticmethod(make)  # type: ignore[attr-defined]
    return make


class Severity(enum.IntEnum):
    """Finding severity; the numbers match LSP's DiagnosticSeverity."""

    ERROR = 1
    WARNING = 2
    INFORMATION = 3
    HINT = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Severity:
        """Parse ``error``/``warning``/``information``/``info``/``hint`` (any case)."""
        text = value.strip().lower()
        if text == "info":
            text = "information"
        for member in cls:
            if member.label == text:
                return member
        raise ValueError(f"unknown severity {value!r} (use error, warning, information or hint)")


class SourceKind(str, enum.Enum):
    """What kind of source a document is; decides which rules look at it."""

    PYTHON = "python"
    DJANGO_TEMPLATE = "django-template"
    JINJA2 = "jinja2"
    OTHER = "other"


class Applicability(str, enum.Enum):
    """Whether a fix may be applied without review (``--fix``) or only on request."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@fast_pickle
@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A half-open range: from (line, column) up to, not including, (end_line, end_column)."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, line: int, column: int) -> Span:
        return cls(line, column, line, column)

    def contains(self, line: int, column: int) -> bool:
        """True when the position lies inside the span (end inclusive, as editors expect)."""
        if (line, column) < (self.line, self.column):
            return False
        return (line, column) <= (self.end_line, self.end_column)

    def overlaps(self, other: Span) -> bool:
        """True when two spans share at least one character (or both insert at one point)."""
        start, end = (self.line, self.column), (self.end_line, self.end_column)
        o_start, o_end = (other.line, other.column), (other.end_line, other.end_column)
        if start == end and o_start == o_end:
            return start == o_start
        return (start < o_end and o_start < end) or start == o_start


@fast_pickle
@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text of ``span`` with ``text`` (an empty span inserts)."""

    span: Span
    text: str


@fast_pickle
@dataclass(frozen=True, slots=True)
class Fix:
    """A titled set of non-overlapping edits that together repair one finding."""

    title: str
    applicability: Applicability
    edits: tuple[Edit, ...]

    @property
    def is_safe(self) -> bool:
        return self.applicability is Applicability.SAFE


@fast_pickle
@dataclass(frozen=True, slots=True)
class Related:
    """A secondary location that explains a finding (an inherited handler, a query line)."""

    message: str
    span: Span
    path: str | None = None  # None: the same document


@fast_pickle
@dataclass(frozen=True, slots=True)
class Finding:
    """One problem djvet reports."""

    code: str
    name: str
    message: str
    severity: Severity
    span: Span
    url: str
    fix: Fix | None = None
    related: tuple[Related, ...] = ()
    tags: tuple[str, ...] = ()  # "deprecated" / "unnecessary", mapped to LSP tags


@fast_pickle
@dataclass(frozen=True, slots=True)
class RuleError:
    """A rule that raised instead of reporting; the other rules still ran."""

    code: str
    message: str


@fast_pickle
@dataclass(frozen=True, slots=True)
class CheckResult:
    """Everything ``check()`` learned about one document."""

    path: str | None
    kind: SourceKind
    findings: tuple[Finding, ...]
    django_version: str
    rule_errors: tuple[RuleError, ...] = ()
    notes: tuple[str, ...] = field(default=())  # e.g. "syntax error at line 12; rest analysed"
