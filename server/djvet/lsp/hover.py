"""Hover text for a flagged range: what is wrong, why, what to write instead, the docs link.

Built from the finding (its message already names the replacement for the project's Django
version) and the rule's own documentation (the class docstring's fixed sections), so the
hover, ``djvet explain`` and the docs pages never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..core.rule import Rule
from ..core.types import Finding

_HEADING = re.compile(r"^## +(.+?)\s*$", re.M)


def doc_sections(docs: str) -> dict[str, str]:
    """``## Heading`` -> section body of a rule's Markdown docs."""
    sections: dict[str, str] = {}
    matches = list(_HEADING.finditer(docs))
    for number, match in enumerate(matches):
        end = matches[number + 1].start() if number + 1 < len(matches) else len(docs)
        sections[match.group(1).strip()] = docs[match.end() : end].strip()
    return sections


def hover_text(
    findings: Sequence[Finding], rules: Sequence[Rule], django_version: str, markdown: bool
) -> str:
    """The hover for every finding under the cursor, separated by rules."""
    by_code = {rule.code: rule for rule in rules}
    parts = [_one(finding, by_code.get(finding.code), django_version) for finding in findings]
    text = "\n\n---\n\n".join(parts)
    return text if markdown else _plain(text)


def _one(finding: Finding, rule: Rule | None, django_version: str) -> str:
    lines = [f"**{finding.code}** `{finding.name}` ({finding.severity.label})", "", finding.message]
    sections = doc_sections(rule.docs()) if rule is not None else {}
    why = sections.get("Why is this bad?")
    if why:
        lines += ["", "**Why is this bad?**", "", why]
    instead = sections.get("Use instead")
    if instead:
        version = f" (Django {django_version})" if django_version else ""
        lines += ["", f"**Use instead**{version}", "", instead]
    if finding.fix is not None:
        safety = "safe" if finding.fix.is_safe else "review before applying"
        lines += ["", f"**Quick fix:** {finding.fix.title} ({safety})"]
    label = f"Django {django_version} documentation" if django_version else "Django documentation"
    lines += ["", f"[{label}]({finding.url}) · `djvet explain {finding.code}`"]
    return "\n".join(lines)


def _plain(text: str) -> str:
    """Markdown-lite to plain text for clients without Markdown hovers."""
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1: \2", text)
    return text.replace("`", "")
