"""Test-only entry point: djvet's language server with extra rules injected.

``python -m tests.lsp.launcher [crash]`` runs the real server (``djvet.lsp.server.serve``)
with the registry's rules plus, with ``crash``, a rule that always raises — so the tests can
watch a rule failure travel to ``window/logMessage`` while the other rules keep reporting.
Production code has no hook for this: rules are injected through ``serve(rules=...)``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from djvet.core.registry import all_rules
from djvet.core.rule import CheckContext, Rule
from djvet.core.types import Finding, Severity, SourceKind
from djvet.lsp.server import serve


class AlwaysCrashes(Rule):
    """
    ## What it does
    Raises on every Python document (a test double for a broken rule).

    ## Why is this bad?
    It is not; it exists to prove one broken rule does not take the others down.

    ## Example
    ```python
    x = 1
    ```

    ## Use instead
    ```python
    x = 1
    ```

    ## Fix safety
    No fix.

    ## Django versions
    All.

    ## References
    - [Django](https://docs.djangoproject.com/en/stable/)
    """

    code = "TST999"
    name = "always-crashes"
    summary = "Always raises"
    severity = Severity.WARNING
    targets = frozenset({SourceKind.PYTHON})
    django = ">=3.0"
    reference = "topics/"

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        raise RuntimeError("deliberate failure for the test suite")


if __name__ == "__main__":
    extra: list[Rule] = [AlwaysCrashes()] if "crash" in sys.argv[1:] else []
    sys.exit(serve(rules=(*all_rules(), *extra)))
