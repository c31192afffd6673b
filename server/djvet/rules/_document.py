"""The document's module facts, looked up once per document for every rule that needs them.

``document_module`` hashes the whole text to check the index still holds it; several gates
and rules ask for the same document, so they share one answer through ``CheckContext.shared``.
"""

from __future__ import annotations

from ..core.django.views import document_module
from ..core.python.facts import ModuleInfo
from ..core.rule import CheckContext


def module_facts(ctx: CheckContext) -> ModuleInfo:
    """``document_module(ctx)``, computed once per document."""
    return ctx.shared("djvet.rules.module-facts", lambda: document_module(ctx))
