"""The shared base of the DJV30x rules: each reports its own code's part of one analysis.

``core.python.async_orm`` walks every async function once per document (shared through
``CheckContext.shared``); a DJV30x rule only picks the issues carrying its code.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..core.python.async_orm import async_orm_report
from ..core.rule import CheckContext, Rule
from ..core.types import Finding


class AsyncOrmRule(Rule):
    """A rule whose findings come from the shared async-ORM analysis."""

    def gate(self, ctx: CheckContext) -> bool:
        return "async" in ctx.text

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        for issue in async_orm_report(ctx).by_code(self.code):
            yield self.finding(
                ctx,
                issue.span,
                issue.message,
                fix=issue.fix,
                severity=issue.severity,
                related=issue.related,
                url=issue.url,
            )
