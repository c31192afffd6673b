"""Run a rule's Valid/Invalid examples: the machinery behind "examples are tests"."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from .core.config import Settings, parse_version
from .core.engine import check, fix_document
from .core.facts import newest_version
from .core.project import in_memory_project
from .core.rule import Document, Example, Invalid, Rule
from .core.sources import classify
from .core.types import Finding

EXAMPLE_ROOT = "/project"


@dataclass(frozen=True)
class ExampleRun:
    findings: tuple[Finding, ...]  # this rule's findings
    fixed: str  # text after applying every fix this rule offers (safe and unsafe)
    rule_errors: tuple[str, ...]


def run_example(rule: Rule, example: Example) -> ExampleRun:
    """Check ``example.code`` as ``example.path`` in a project holding ``example.files``."""
    files = {**example.files, example.path: example.code}
    project = in_memory_project(files, EXAMPLE_ROOT)
    version = parse_version(example.django) if example.django else newest_version()
    assert version is not None, f"bad django version {example.django!r} in example"
    settings = Settings(select=(rule.code,), django_version=version)
    path = str(PurePosixPath(EXAMPLE_ROOT) / example.path)
    document = Document(example.code, path, classify(example.path))
    result = check(document, project, settings, rules=[rule])
    fixed = example.code
    if isinstance(example, Invalid):
        fixed, _, _ = fix_document(document, project, settings, unsafe=True, rules=[rule])
    return ExampleRun(
        tuple(f for f in result.findings if f.code == rule.code),
        fixed,
        tuple(f"{e.code}: {e.message}" for e in result.rule_errors),
    )
