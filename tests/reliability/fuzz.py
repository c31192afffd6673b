"""Fuzz budgets and Hypothesis settings for the reliability suite.

CI runs every property with a small, fixed budget and derandomized generation, so a failure
reproduces exactly. Longer runs raise the budget with ``DJVET_FUZZ_EXAMPLES`` (examples per
property; each test's CI default is the number passed to :func:`fuzz`) and explore another
part of the input space with ``DJVET_FUZZ_SEED``:

    DJVET_FUZZ_EXAMPLES=2000 DJVET_FUZZ_SEED=7 python -m pytest tests/reliability -q
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, seed, settings

F = TypeVar("F", bound=Callable[..., Any])

FUZZ_EXAMPLES = os.environ.get("DJVET_FUZZ_EXAMPLES")
FUZZ_SEED = os.environ.get("DJVET_FUZZ_SEED")


def examples(ci_default: int) -> int:
    """Examples per property: the CI default unless ``DJVET_FUZZ_EXAMPLES`` asks for more."""
    return int(FUZZ_EXAMPLES) if FUZZ_EXAMPLES else ci_default


def fuzz(ci_default: int) -> Callable[[F], F]:
    """Hypothesis settings for one property: reproducible, no deadline, no example database."""
    chosen = settings(
        max_examples=examples(ci_default),
        deadline=None,
        derandomize=FUZZ_SEED is None,
        database=None,
        # Without ``explain``: it re-runs a failing example under a tracer, which is slow for
        # a server round trip and says nothing these properties' messages do not.
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )

    def decorate(test: F) -> F:
        test = chosen(test)
        if FUZZ_SEED is not None:
            test = seed(int(FUZZ_SEED))(test)
        return test

    return decorate
