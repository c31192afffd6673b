"""Every rule's Valid and Invalid examples, run as tests (examples are tests)."""

from __future__ import annotations

import ast
from dataclasses import replace

import pytest

from djvet.core.registry import all_rules
from djvet.core.rule import Invalid, Valid
from djvet.core.types import SourceKind
from djvet.testing import run_example

CASES = [
    pytest.param(rule, example, id=f"{rule.code}-{type(example).__name__}-{index}")
    for rule in all_rules()
    for index, example in enumerate(rule.examples)
]


def test_every_rule_has_examples() -> None:
    for rule in all_rules():
        valid = [e for e in rule.examples if isinstance(e, Valid)]
        invalid = [e for e in rule.examples if isinstance(e, Invalid)]
        assert invalid, f"{rule.code} has no Invalid example"
        assert len(valid) >= len(invalid), (
            f"{rule.code}: fewer must-not-fire than must-fire examples"
        )
        assert all(e.reason.strip() for e in rule.examples), (
            f"{rule.code}: an example without a reason"
        )


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_example(rule, example) -> None:
    run = run_example(rule, example)
    assert not run.rule_errors, run.rule_errors
    if isinstance(example, Valid):
        assert not run.findings, f"must not fire ({example.reason}): {run.findings}"
        return
    assert run.findings, f"must fire ({example.reason})"
    if example.lines:
        assert sorted(f.span.line + 1 for f in run.findings) == sorted(example.lines)
    if example.message:
        assert example.message in run.findings[0].message
    fixes = [f.fix for f in run.findings if f.fix is not None]
    if fixes:
        assert example.fixed is not None, (
            f"{rule.code} offers a fix but the example has no expected text"
        )
    if example.fixed is not None:
        assert run.fixed == example.fixed
        if rule.targets == frozenset({SourceKind.PYTHON}):
            ast.parse(run.fixed)


FIXED_CASES = [
    pytest.param(rule, example, id=f"{rule.code}-{index}")
    for rule in all_rules()
    for index, example in enumerate(rule.examples)
    if isinstance(example, Invalid) and example.fixed is not None
]


@pytest.mark.parametrize(("rule", "example"), FIXED_CASES)
def test_crlf_documents_fix_to_crlf(rule, example) -> None:
    """The same example written with CRLF endings fixes to the expected text with CRLF endings."""
    crlf = replace(example, code=example.code.replace("\n", "\r\n"))
    run = run_example(rule, crlf)
    assert run.findings, "must fire on CRLF text too"
    assert run.fixed == example.fixed.replace("\n", "\r\n")


@pytest.mark.parametrize(("rule", "example"), FIXED_CASES)
def test_fix_all_is_idempotent(rule, example) -> None:
    """Checking the fixed text again offers no further fix for this rule."""
    again = run_example(rule, replace(example, code=example.fixed))
    assert again.fixed == example.fixed
