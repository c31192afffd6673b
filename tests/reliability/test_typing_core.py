"""Typing never breaks the core: random edit sequences over real Django files.

The documents are the demo project's files and every rule example; the edits insert
half-typed code (``async def get(self,``, unclosed strings and brackets, ``{% if``, ``{{``),
odd characters (CR, BOM, emoji, astral plane, NUL, form feed, U+2028) and delete ranges.
After every keystroke, as the language server does, the buffer goes into the project index
and is checked. The properties:

- no rule crashes (``rule_errors`` is empty) and ``check`` itself never raises;
- every finding, related location and fix edit is a valid range of the current text;
- each fix offered on a document that parses gives a document that still parses
  (Python: ``ast``; templates: Django's / Jinja2's own parser);
- the result after the incremental updates equals a check of the final text in a freshly
  built index (no state leaks from the versions typed before).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from djvet.core.config import Settings, parse_version
from djvet.core.engine import check
from djvet.core.project import in_memory_project
from djvet.core.rule import Document
from djvet.core.text import apply_edits

from .corpus import CorpusDocument, by_name, corpus, edit_scripts
from .fuzz import fuzz
from .invariants import fingerprint, result_problems, source_is_valid

ROOT = "/fuzz-project"

# jedi raises the (process-wide) recursion limit while it works on its own thread; Hypothesis
# notices the change and says so. Nothing to act on here.
pytestmark = pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")


def settings_for(document: CorpusDocument) -> Settings:
    if document.django:
        version = parse_version(document.django)
        assert version is not None
        return Settings(django_version=version)
    return Settings()


def check_text(document: CorpusDocument, text: str, project, version: int = 0):
    path = f"{ROOT}/{document.path}"
    return check(Document(text, path, document.kind, version), project, settings_for(document))


def assert_fixes_keep_valid(document: CorpusDocument, text: str, result) -> None:
    if not source_is_valid(text, document.kind):
        return
    for finding in result.findings:
        if finding.fix is None:
            continue
        fixed = apply_edits(text, finding.fix.edits)
        assert source_is_valid(fixed, document.kind), (
            f"{finding.code} fix {finding.fix.title!r} breaks the document:\n{fixed}"
        )


@fuzz(250)
@given(data=st.data(), name=st.sampled_from([d.name for d in corpus()]))
def test_typing_never_breaks_the_core(data: st.DataObject, name: str) -> None:
    document = by_name(name)
    script = data.draw(edit_scripts(document.kind), label="edits")
    project = in_memory_project(document.project_files(), ROOT)
    path = f"{ROOT}/{document.path}"
    text = document.text
    result = None
    for version, edit in enumerate(script, 1):
        text = edit.apply(text)
        project.update_text(path, text)
        result = check_text(document, text, project, version)
        problems = result_problems(result, text)
        assert not problems, "\n".join(problems) + f"\n--- text ---\n{text}"
        assert_fixes_keep_valid(document, text, result)
    assert result is not None
    fresh = in_memory_project(document.project_files(text), ROOT)
    again = check_text(document, text, fresh, len(script))
    assert fingerprint(again.findings) == fingerprint(result.findings), (
        "the incrementally updated index and a fresh one disagree"
    )
