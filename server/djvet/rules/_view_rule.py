"""The shared gate of the DJV20x rules: a document without a class-based view has nothing to report.

The DJV20x rules report only on ``analyze_document(ctx).views``: the document's classes whose
linearised bases include Django's ``View``. Finding that out needs only the index's facts and
the base-class graph, not the document's syntax tree, so a module of models, forms or tests is
never parsed (nor its classes' handlers resolved) for these rules.
"""

from __future__ import annotations

from ..core.django.views import (
    VIEW,
    MroError,
    ViewResolver,
    index_resolver,
    outside_the_view_graph,
    resolvers_shareable,
)
from ..core.rule import CheckContext, Rule
from ._document import module_facts


def has_view_class(ctx: CheckContext) -> bool:
    """True when some class of the document is a Django ``View`` subclass (computed once).

    The same test ``ViewResolver.analyze`` applies before it returns an analysis (a class whose
    bases cannot be linearised, or whose MRO lacks ``View``, gives none), on the same module
    facts, so a document this says no to has no ``analyze_document(ctx).views``.
    """

    def build() -> bool:
        if "class" not in ctx.text:
            return False
        module = module_facts(ctx)
        if not module.classes:
            return False
        classes = list(module.classes.values())
        project = ctx.project
        version = ctx.django_version
        # ``module_facts`` hands out the index's own object when the index holds this text
        # (its ``path`` is the index key); a re-extracted one is another object.
        if ctx.document.path and project.modules.get(module.path) is module:
            # The index holds this very text: one resolver (and its linearisations) serves
            # every document until the index changes.
            if resolvers_shareable(project):
                # No class of such an index replaces the node of another: a class whose bases
                # alone rule ``View`` out (models, forms, tests) changes no other class's MRO
                # and is not placed at all.
                classes = [cls for cls in classes if not outside_the_view_graph(cls)]
                if not classes:
                    return False
                resolver = index_resolver(project, version)  # the route classifier's too
            else:
                resolver = project.derived(
                    f"djv20x.view-resolver.{version}",
                    lambda: ViewResolver(project, version),
                    reads_bodies=True,
                )
        else:
            resolver = ViewResolver(project, version, module)  # the document is fresher
        for cls in classes:
            try:
                if VIEW in resolver.linearize(resolver.class_key(cls)):
                    return True
            except MroError:
                continue
        return False

    return ctx.shared("djv20x.has-view-class", build)


class ViewRule(Rule):
    """A rule that reports on the class-based views of the document (DJV201-DJV203)."""

    def gate(self, ctx: CheckContext) -> bool:
        return has_view_class(ctx)
