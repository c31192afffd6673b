"""The Rule base class, the per-document CheckContext rules read, and rule examples.

Everything about a rule lives on its class: code, kebab-case name, summary, severity,
Django version specifier, targets, docs (the class docstring, with fixed headings) and
examples that double as tests.
"""

from __future__ import annotations

import abc
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from packaging.version import Version

from .facts import docs_url
from .types import Finding, Fix, Related, Severity, SourceKind, Span

if TYPE_CHECKING:
    from .config import Settings
    from .project import ProjectIndex
    from .python.parse import PythonSource
    from .templates.lexer import TemplateSource

T = TypeVar("T")

DOC_HEADINGS = (
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "Fix safety",
    "Django versions",
    "References",
)


@dataclass(frozen=True)
class Document:
    """One source text to check. ``path`` is absolute when the document is a file."""

    text: str
    path: str | None
    kind: SourceKind
    version: int | None = None  # the editor's document version; None in the CLI


@dataclass(frozen=True)
class Valid:
    """Code the rule must stay silent on, and why."""

    code: str
    reason: str
    path: str = "app/views.py"
    files: Mapping[str, str] = field(default_factory=dict)  # other project files
    django: str | None = None  # Django version for this example (default: newest)


@dataclass(frozen=True)
class Invalid:
    """Code the rule must flag; ``fixed`` is the text after applying every fix it offers."""

    code: str
    reason: str
    lines: tuple[int, ...] = ()  # 1-based lines the findings start on (empty: just >= 1)
    fixed: str | None = None
    path: str = "app/views.py"
    files: Mapping[str, str] = field(default_factory=dict)
    django: str | None = None
    message: str | None = None  # a substring the first finding's message must contain


Example = Valid | Invalid


class CheckContext:
    """What a rule sees for one document: text, parse results, project index, settings.

    Parsing happens at most once per document however many rules ask; ``shared()`` lets
    a family of rules compute one analysis and each report its own part of it.
    """

    def __init__(self, document: Document, project: ProjectIndex, settings: Settings) -> None:
        self.document = document
        self.project = project
        self.settings = settings
        self._shared: dict[str, Any] = {}

    @property
    def django_version(self) -> Version:
        return self.settings.django_version

    @property
    def text(self) -> str:
        return self.document.text

    @cached_property
    def python(self) -> PythonSource:
        from .python.parse import parse_python

        return parse_python(self.document.text, self.document.path or "<document>")

    @cached_property
    def template(self) -> TemplateSource:
        from .templates.lexer import tokenize_template

        return tokenize_template(self.document.text, jinja=self.document.kind is SourceKind.JINJA2)

    def shared(self, key: str, factory: Callable[[], T]) -> T:
        """Compute ``factory()`` once per document for every rule that asks with ``key``."""
        if key not in self._shared:
            self._shared[key] = factory()
        value: T = self._shared[key]
        return value

    def docs_url(self, path_or_url: str) -> str:
        return docs_url(path_or_url, self.django_version)


def _at_least(clause: str) -> str | None:
    """``"4.1"`` for a clause ``>=4.1`` (the only clause rules use; spaces and tabs around
    allowed), None for any other clause."""
    text = clause.strip(" \t")
    if not text.startswith(">="):
        return None
    bound = text[2:].strip(" \t")
    parts = bound.split(".")
    return bound if all(part.isascii() and part.isdigit() for part in parts) else None


@cache
def _version_in(specifier: str, version: Version) -> bool:
    """``version`` satisfies ``specifier`` (memoised: every document asks for every rule).

    Specifiers made of ``>=X.Y`` clauses (or none: every version) are compared here:
    ``SpecifierSet`` gives the same answer for them (``>=`` admits pre-releases when asked
    to, and a local label never moves a version below a public one), and importing it costs
    ~14 ms of every start-up.
    """
    clauses = specifier.split(",") if specifier.strip() else []
    bounds = [_at_least(clause) for clause in clauses]
    if all(bound is not None for bound in bounds):
        return all(version >= Version(bound) for bound in bounds if bound is not None)
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(specifier).contains(version, prereleases=True)


class Rule(abc.ABC):
    """Base class of every djvet rule. Subclasses set the class attributes and ``check``.

    The class docstring is the rule's documentation, Markdown with the ``DOC_HEADINGS``.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    severity: ClassVar[Severity]
    targets: ClassVar[frozenset[SourceKind]]
    django: ClassVar[str] = ">=4.1"
    fixable: ClassVar[bool] = False
    reference: ClassVar[str]  # Django docs path (``topics/async/#async-views``) for finding.url
    examples: ClassVar[tuple[Example, ...]] = ()

    @classmethod
    def docs(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def applies_to_version(cls, version: Version) -> bool:
        return _version_in(cls.django, version)

    def gate(self, ctx: CheckContext) -> bool:
        """A cheap test that the document could contain a finding (default: yes)."""
        return True

    @abc.abstractmethod
    def check(self, ctx: CheckContext) -> Iterable[Finding]:
        """Yield this rule's findings for ``ctx.document``."""

    def finding(
        self,
        ctx: CheckContext,
        span: Span,
        message: str,
        *,
        fix: Fix | None = None,
        severity: Severity | None = None,
        related: Iterable[Related] = (),
        url: str | None = None,
        tags: tuple[str, ...] = (),
    ) -> Finding:
        """Build a finding of this rule with the project's docs URL."""
        return Finding(
            code=self.code,
            name=self.name,
            message=message,
            severity=severity if severity is not None else self.severity,
            span=span,
            url=ctx.docs_url(url or self.reference),
            fix=fix,
            related=tuple(related),
            tags=tags,
        )
