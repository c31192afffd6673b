"""Modules summarised with one ``SharedValues`` share their literal and name objects, each
still the value its own module gives it."""

from __future__ import annotations

import pickle

from djvet.core.python.facts import Call, Lit, ModuleInfo, Ref, SharedValues, extract_module
from djvet.core.python.parse import parse_python

A = """
from django.db import models
from books import views as v

class Book(models.Model):
    title = models.CharField(max_length=10, default="x")
    view = v.Index
"""
B = """
from django.db.models import CharField
from shop import views as v

TITLE = CharField(max_length=10, default="x")
view = v.Index
"""


def _extract(text: str, module: str, shared: SharedValues | None) -> ModuleInfo:
    return extract_module(
        parse_python(text, f"/p/{module}.py"), module, f"/p/{module}.py", "d", shared=shared
    )


def test_modules_summarised_together_share_equal_values_and_keep_distinct_ones() -> None:
    shared = SharedValues()
    a = _extract(A, "books.models", shared)
    b = _extract(B, "shop.models", shared)
    title = a.classes["Book"].attrs["title"]
    other = b.assignments["TITLE"]
    assert isinstance(title, Call) and isinstance(other, Call)
    # ``models.CharField`` and ``CharField`` qualify to the same name: one Ref; equal literals
    # are one Lit.
    assert title.func == other.func == "django.db.models.CharField"
    assert title.kwarg("max_length") is other.kwarg("max_length") == Lit(10)
    assert title.kwarg("default") is other.kwarg("default") == Lit("x")
    # The same local name ``v.Index`` names a different class in each module.
    assert a.classes["Book"].attrs["view"] == Ref("books.views.Index")
    assert b.assignments["view"] == Ref("shop.views.Index")


def test_sharing_changes_no_fact_and_pickles_smaller() -> None:
    shared = SharedValues()
    together = [_extract(A, "books.models", shared), _extract(B, "shop.models", shared)]
    apart = [_extract(A, "books.models", None), _extract(B, "shop.models", None)]
    assert together == apart
    assert pickle.loads(pickle.dumps(together)) == apart
    assert len(pickle.dumps(together)) < len(pickle.dumps(apart))
