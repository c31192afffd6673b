"""Run the rules over one document (``check``) and apply the fixes they carry (``apply_fixes``).

Both front ends (CLI and language server) call only these functions; neither re-analyses.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from packaging.version import Version

from .config import Settings
from .django.template_engines import is_jinja2_template
from .project import ProjectIndex
from .registry import all_rules
from .rule import CheckContext, Document, Rule
from .text import apply_edits, line_index
from .types import CheckResult, Edit, Finding, RuleError, SourceKind

# Recognised: a bare noqa, noqa with a code list, djvet: ignore, djvet: ignore[DJV201,DJV202].
_PY_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.I)
_DJVET_IGNORE = re.compile(r"djvet:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.I)
ALL_CODES = "*"


def suppressions(text: str, kind: SourceKind) -> dict[int, frozenset[str]]:
    """Line -> codes suppressed on it (``*`` for all) from noqa / djvet:ignore comments."""
    out: dict[int, frozenset[str]] = {}
    if "noqa" not in text and "djvet" not in text:
        return out
    lines = line_index(text)
    for number in range(lines.line_count):
        line = lines.line_text(number)
        codes: set[str] = set()
        if kind is SourceKind.PYTHON:
            hash_at = line.find("#")
            if hash_at < 0:
                continue
            comment = line[hash_at:]
            match = _PY_NOQA.search(comment)
            if match:
                found = match.group("codes")
                codes |= (
                    {c.upper() for c in re.split(r"[\s,]+", found) if c} if found else {ALL_CODES}
                )
            match = _DJVET_IGNORE.search(comment)
        else:
            match = None
            if "{#" in line or "<!--" in line:
                match = _DJVET_IGNORE.search(line)
        if match:
            found = match.group("codes")
            codes |= (
                {c.strip().upper() for c in found.split(",") if c.strip()} if found else {ALL_CODES}
            )
        if codes:
            out[number] = frozenset(codes)
    return out


def _is_suppressed(finding: Finding, table: dict[int, frozenset[str]]) -> bool:
    for line in {finding.span.line, finding.span.end_line}:
        codes = table.get(line)
        if codes and (ALL_CODES in codes or finding.code in codes):
            return True
    return False


# (kind, id(settings)) -> (settings, rules): the registered rules active for a kind of document
# under one (frozen) Settings. Every document asks; the answer changes only with the settings.
_ACTIVE: dict[tuple[SourceKind, int], tuple[Settings, tuple[Rule, ...]]] = {}
_ACTIVE_LIMIT = 64


def active_rules(
    kind: SourceKind, settings: Settings, rules: Sequence[Rule] | None = None
) -> list[Rule]:
    """The rules that look at ``kind`` under these settings and this Django version."""
    if rules is None:
        key = (kind, id(settings))
        cached = _ACTIVE.get(key)
        if cached is None or cached[0] is not settings:
            if len(_ACTIVE) >= _ACTIVE_LIMIT:
                _ACTIVE.clear()
            cached = (settings, tuple(_select(kind, settings, all_rules())))
            _ACTIVE[key] = cached
        return list(cached[1])
    return _select(kind, settings, rules)


def _select(kind: SourceKind, settings: Settings, rules: Sequence[Rule]) -> list[Rule]:
    return [
        rule
        for rule in rules
        if kind in rule.targets
        and settings.is_enabled(rule.code)
        and rule.applies_to_version(settings.django_version)
    ]


@functools.lru_cache(maxsize=16)
def _version_label(version: Version) -> str:
    """``5.2`` for Django 5.2.x: every document's result carries it."""
    return f"{version.major}.{version.minor}"


def check(
    document: Document,
    project: ProjectIndex,
    settings: Settings,
    *,
    rules: Sequence[Rule] | None = None,
) -> CheckResult:
    """Every finding of every active rule for ``document``, suppressions and overrides applied.

    A rule that raises is recorded as a RuleError; the other rules still run.
    """
    version_label = _version_label(settings.django_version)
    if (
        document.kind is SourceKind.DJANGO_TEMPLATE
        and document.path
        and is_jinja2_template(project, document.path)
    ):
        # The project's settings give this folder to the Jinja2 backend.
        document = Document(document.text, document.path, SourceKind.JINJA2, document.version)
    selected = active_rules(document.kind, settings, rules)
    if not selected:
        return CheckResult(document.path, document.kind, (), version_label)
    ctx = CheckContext(document, project, settings)
    findings: list[Finding] = []
    errors: list[RuleError] = []
    for rule in selected:
        try:
            if not rule.gate(ctx):
                continue
            findings.extend(rule.check(ctx))
        except RecursionError:
            errors.append(RuleError(rule.code, "input nested too deeply to analyse"))
        except Exception as exc:  # a broken rule must not take the others down
            _log_rule_failure(rule.code)
            errors.append(RuleError(rule.code, f"{type(exc).__name__}: {exc}"))
    table = suppressions(document.text, document.kind)
    kept = []
    for finding in findings:
        if table and _is_suppressed(finding, table):
            continue
        override = settings.severity.get(finding.code)
        if override is not None and override != finding.severity:
            finding = replace(finding, severity=override)
        kept.append(finding)
    kept.sort(key=lambda f: (f.span.line, f.span.column, f.code))
    notes: tuple[str, ...] = ()
    if document.kind is SourceKind.PYTHON and "python" in ctx.__dict__ and ctx.python.recovered:
        notes = tuple(parse_note(line, message) for line, message in ctx.python.syntax_errors)
    return CheckResult(
        document.path, document.kind, tuple(kept), version_label, tuple(errors), notes
    )


def _log_rule_failure(code: str) -> None:
    """Log the exception being handled (``logging`` is imported only when a rule fails)."""
    import logging

    logging.getLogger("djvet").debug("rule %s failed", code, exc_info=True)


def parse_note(line: int, message: str) -> str:
    """The per-file message for a part of a Python file that could not be analysed."""
    if message.startswith(("RecursionError", "MemoryError")):
        return f"line {line + 1} is nested too deeply to analyse; the rest of the file was checked"
    if message == "file too large to analyse":
        return "file too large to analyse; nothing in it was checked"
    return f"syntax error at line {line + 1} ({message}); the rest of the file was checked"


@dataclass(frozen=True)
class FixOutcome:
    text: str
    applied: tuple[Finding, ...]


def apply_fixes(text: str, findings: Iterable[Finding], *, unsafe: bool = False) -> FixOutcome:
    """Apply the fixes of ``findings`` that do not overlap an earlier accepted fix.

    Fixes are taken in document order; a fix whose edits overlap one already taken is
    skipped (a later pass of ``fix_document`` picks it up). Unsafe fixes only with ``unsafe``.
    """
    accepted: list[Edit] = []
    applied: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.span.line, f.span.column, f.code)):
        fix = finding.fix
        if fix is None or not fix.edits or (not fix.is_safe and not unsafe):
            continue
        if any(e.span.overlaps(a.span) for e in fix.edits for a in accepted):
            continue
        # Identical edits from two findings (e.g. the same import) are applied once.
        new_edits = [e for e in fix.edits if e not in accepted]
        accepted.extend(new_edits)
        applied.append(finding)
    if not accepted:
        return FixOutcome(text, ())
    return FixOutcome(apply_edits(text, accepted), tuple(applied))


def fix_document(
    document: Document,
    project: ProjectIndex,
    settings: Settings,
    *,
    unsafe: bool = False,
    max_passes: int = 8,
    rules: Sequence[Rule] | None = None,
) -> tuple[str, int, CheckResult]:
    """Apply fixes until none is left (ruff-style passes); returns (text, fixes applied, last result)."""
    text = document.text
    total = 0
    result = check(document, project, settings, rules=rules)
    for _ in range(max_passes):
        outcome = apply_fixes(text, result.findings, unsafe=unsafe)
        if not outcome.applied or outcome.text == text:
            break
        total += len(outcome.applied)
        text = outcome.text
        document = Document(text, document.path, document.kind, document.version)
        if document.kind is SourceKind.PYTHON and document.path:
            project.update_text(document.path, text)
        result = check(document, project, settings, rules=rules)
    return text, total, result
