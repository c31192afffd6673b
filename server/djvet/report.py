"""Print CLI results: text (ruff-like), JSON (the stable contract), SARIF 2.1.0, GitHub annotations.

This is the CLI's coordinate edge: the core's 0-based lines and code-point columns become
1-based lines and 1-based code-point columns here, and nowhere else in the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from . import __version__
from .core.types import CheckResult, Edit, Finding, Severity, Span

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "note",
    Severity.HINT: "note",
}
_GITHUB_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "notice",
    Severity.HINT: "notice",
}
_STYLE = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFORMATION: "cyan",
    Severity.HINT: "dim",
}


@dataclass
class FileOutcome:
    """What checking one file gave: its result, or why it could not be checked."""

    path: str  # display path
    result: CheckResult | None = None
    error: str | None = None
    fixed_text: str | None = None  # set in --fix/--diff mode when fixes changed the text
    original_text: str | None = None
    fixes_applied: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    outcomes: Sequence[FileOutcome]
    errors: Sequence[tuple[str, str]]  # (path, message) not tied to a checked file
    django_version: str
    django_version_source: str

    def findings(self) -> list[tuple[str, Finding]]:
        out: list[tuple[str, Finding]] = []
        for outcome in self.outcomes:
            if outcome.result is not None and outcome.result.findings:
                out.extend((outcome.path, f) for f in outcome.result.findings)
        return out

    def all_errors(self) -> list[tuple[str, str]]:
        errors = list(self.errors)
        for outcome in self.outcomes:  # one per checked file: most have nothing to add
            if outcome.error:
                errors.append((outcome.path, outcome.error))
            if outcome.warnings:
                errors.extend((outcome.path, warning) for warning in outcome.warnings)
            result = outcome.result
            if result is not None and (result.rule_errors or result.notes):
                errors.extend(
                    (outcome.path, f"rule {e.code} failed: {e.message}") for e in result.rule_errors
                )
                # "syntax error at line 12 (...); the rest of the file was checked"
                errors.extend((outcome.path, note) for note in result.notes)
        return errors


def one_based(span: Span) -> dict[str, int]:
    return {
        "line": span.line + 1,
        "column": span.column + 1,
        "end_line": span.end_line + 1,
        "end_column": span.end_column + 1,
    }


def _edit_json(edit: Edit) -> dict[str, Any]:
    return {**one_based(edit.span), "text": edit.text}


def finding_json(path: str, finding: Finding) -> dict[str, Any]:
    """One finding in the JSON contract (1-based lines and code-point columns)."""
    fix = None
    if finding.fix is not None:
        fix = {
            "title": finding.fix.title,
            "applicability": finding.fix.applicability.value,
            "edits": [_edit_json(e) for e in finding.fix.edits],
        }
    return {
        "path": path,
        **one_based(finding.span),
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.label,
        "message": finding.message,
        "url": finding.url,
        "fix": fix,
    }


def render_json(report: Report) -> str:
    payload = {
        "djvet": __version__,
        "django_version": report.django_version,
        "findings": [finding_json(path, f) for path, f in report.findings()],
        "errors": [{"path": path, "message": message} for path, message in report.all_errors()],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


def render_sarif(report: Report) -> str:
    """SARIF 2.1.0 for code-scanning upload (GitHub, GitLab, Azure DevOps)."""
    from .core.registry import all_rules

    rules = list(all_rules())
    index = {rule.code: i for i, rule in enumerate(rules)}
    results = []
    for path, finding in report.findings():
        region = {
            "startLine": finding.span.line + 1,
            "startColumn": finding.span.column + 1,
            "endLine": finding.span.end_line + 1,
            "endColumn": finding.span.end_column + 1,
        }
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "ruleIndex": index.get(finding.code, 0),
            "level": _SARIF_LEVEL[finding.severity],
            "message": {"text": finding.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"},
                        "region": region,
                    }
                }
            ],
        }
        if finding.related:
            result["relatedLocations"] = [
                {
                    "id": i,
                    "message": {"text": rel.message},
                    "physicalLocation": {
                        "artifactLocation": {"uri": rel.path or path, "uriBaseId": "%SRCROOT%"},
                        "region": {
                            "startLine": rel.span.line + 1,
                            "startColumn": rel.span.column + 1,
                        },
                    },
                }
                for i, rel in enumerate(finding.related)
            ]
        if finding.fix is not None:
            result["fixes"] = [
                {
                    "description": {"text": finding.fix.title},
                    "artifactChanges": [
                        {
                            "artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"},
                            "replacements": [
                                {
                                    "deletedRegion": {
                                        "startLine": e.span.line + 1,
                                        "startColumn": e.span.column + 1,
                                        "endLine": e.span.end_line + 1,
                                        "endColumn": e.span.end_column + 1,
                                    },
                                    "insertedContent": {"text": e.text},
                                }
                                for e in finding.fix.edits
                            ],
                        }
                    ],
                }
            ]
        results.append(result)
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "djvet",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/djvet/",
                        "rules": [
                            {
                                "id": rule.code,
                                "name": rule.name,
                                "shortDescription": {"text": rule.summary},
                                "fullDescription": {"text": rule.summary},
                                "help": {"text": rule.docs(), "markdown": rule.docs()},
                                "helpUri": f"https://docs.djangoproject.com/en/{report.django_version}/{rule.reference}",
                                "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
                            }
                            for rule in rules
                        ],
                    }
                },
                "originalUriBaseIds": {
                    "%SRCROOT%": {"description": {"text": "the directory djvet ran in"}}
                },
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {
                                "level": "warning",
                                "message": {"text": message},
                                "locations": [
                                    {
                                        "physicalLocation": {
                                            "artifactLocation": {
                                                "uri": path,
                                                "uriBaseId": "%SRCROOT%",
                                            }
                                        }
                                    }
                                ],
                            }
                            for path, message in report.all_errors()
                        ],
                    }
                ],
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False)


def _github_escape(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands (``::error file=...::message``)."""
    lines = []
    for path, finding in report.findings():
        span = finding.span
        props = (
            f"file={_github_escape(path, property_value=True)},line={span.line + 1},col={span.column + 1},"
            f"endLine={span.end_line + 1},endColumn={span.end_column + 1},"
            f"title={_github_escape(f'{finding.code} {finding.name}', property_value=True)}"
        )
        lines.append(
            f"::{_GITHUB_LEVEL[finding.severity]} {props}::{_github_escape(f'{finding.code} {finding.message}')}"
        )
    for path, message in report.all_errors():
        lines.append(
            f"::warning file={_github_escape(path, property_value=True)}::{_github_escape(message)}"
        )
    return "\n".join(lines)


def print_text(
    report: Report, out: TextIO, err: TextIO, *, color: bool, show_fixes_hint: bool = True
) -> None:
    """ruff-like ``path:line:col: CODE message`` lines and a summary."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(
        file=out, force_terminal=color, no_color=not color, highlight=False, soft_wrap=True
    )
    err_console = Console(
        file=err, force_terminal=color, no_color=not color, highlight=False, soft_wrap=True
    )
    findings = report.findings()
    for path, finding in findings:
        span = finding.span
        style = _STYLE[finding.severity]
        fixable = " [cyan]\\[*][/]" if finding.fix is not None else ""
        console.print(
            f"[bold]{escape(path)}[/]:{span.line + 1}:{span.column + 1}: [{style}]{finding.code}[/]"
            f"{fixable} {escape(finding.message)}"
        )
    for path, message in report.all_errors():
        err_console.print(f"[bold]{escape(path)}[/]: [yellow]warning:[/] {escape(message)}")
    fixed = sum(o.fixes_applied for o in report.outcomes)
    if fixed:
        console.print(f"Fixed {fixed} problem{'s' if fixed != 1 else ''}.")
    if findings:
        fixable_count = sum(1 for _, f in findings if f.fix is not None)
        safe = sum(1 for _, f in findings if f.fix is not None and f.fix.is_safe)
        summary = f"Found {len(findings)} problem{'s' if len(findings) != 1 else ''}"
        if show_fixes_hint and fixable_count:
            summary += f" ([*] {safe} fixable with --fix"
            if fixable_count > safe:
                summary += f", {fixable_count - safe} more with --unsafe-fixes"
            summary += ")"
        console.print(
            f"{summary}. Django {report.django_version} ({escape(report.django_version_source)})."
        )
    elif not fixed:
        console.print(f"All checks passed (Django {report.django_version}).")


def render_diff(outcomes: Sequence[FileOutcome]) -> str:
    import difflib  # only ``--diff`` needs it

    chunks = []
    for outcome in outcomes:
        if outcome.fixed_text is None or outcome.original_text is None:
            continue
        diff = difflib.unified_diff(
            outcome.original_text.splitlines(keepends=True),
            outcome.fixed_text.splitlines(keepends=True),
            fromfile=f"a/{outcome.path}",
            tofile=f"b/{outcome.path}",
        )
        chunks.append("".join(diff))
    return "".join(chunks)
