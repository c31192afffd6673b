"""The shared base of the DJV30x rules: each reports its own code's part of one analysis.

``core.python.async_orm`` walks every async function once per document (shared through
``CheckContext.shared``); a DJV30x rule only picks the issues carrying its code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..core.python.async_orm import async_orm_report
from ..core.rule import CheckContext, Rule
from ..core.types import Finding

# The analysis looks only inside ``async def`` functions, and the tokens ``async`` and ``def``
# can be separated only by blanks and backslash line continuations. (``\s`` also takes a bare
# newline: a wider test, never a narrower one.)
_ASYNC_DEF = re.compile(r"\basync[\s\\]+def\b")


class AsyncOrmRule(Rule):
    """A rule whose findings come from the shared async-ORM analysis."""

    def gate(self, ctx: CheckContext) -> bool:
        text = ctx.text
        if "async" not in text:
            return False
        return ctx.shared("djv30x.has-async-def", lambda: _ASYNC_DEF.search(text) is not None)

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
