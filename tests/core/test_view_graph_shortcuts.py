"""Shortcuts of the view graph that skip work without changing an answer.

- ``outside_the_view_graph``: a class whose bases alone rule ``View`` out is not placed in the
  index's shared resolver (the DJV20x gate). Checked on generated modules against the
  resolver's own MRO and against the gate's answer without the shortcut, and on hand-made
  cases that must be kept or may be skipped, each with its reason.
- ``ViewResolver.linearize`` takes bases with disjoint MROs whole, in order: checked against
  the MRO Python builds on generated forests, with the C3 merge made unreachable.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from djvet.core.config import Settings, parse_version
from djvet.core.django import views as views_module
from djvet.core.django.views import (
    VIEW,
    MroError,
    ViewResolver,
    _Node,
    outside_the_view_graph,
    resolvers_shareable,
)
from djvet.core.project import in_memory_project
from djvet.core.python.facts import ClassInfo
from djvet.core.rule import CheckContext, Document
from djvet.core.types import SourceKind
from djvet.rules._view_rule import has_view_class

V52 = Version("5.2")

HEADER = (
    "import typing\n"
    "from abc import ABC\n"
    "from django import forms\n"
    "from django.contrib import admin\n"
    "from django.contrib.auth.mixins import LoginRequiredMixin\n"
    "from django.db import models\n"
    "from django.test import TestCase\n"
    "from django.views import View\n"
    "from django.views import generic\n"
    "from django.views.generic import ListView\n"
    "from elsewhere import Mystery\n"
    "from .base import ProjectView, ProjectModel\n"
)
BASE_MODULE = (
    "from django.db import models\n"
    "from django.views.generic import TemplateView\n\n\n"
    "class ProjectView(TemplateView):\n    pass\n\n\n"
    "class ProjectModel(models.Model):\n    pass\n"
)
# Base spellings: outside names, view-graph names, project names and unknown ones.
BASES = [
    "object", "ABC", "typing.Generic", "models.Model", "forms.Form", "admin.ModelAdmin",
    "TestCase", "View", "ListView", "generic.RedirectView", "LoginRequiredMixin",
    "ProjectView", "ProjectModel", "Mystery",
]  # fmt: skip


@st.composite
def modules(draw: st.DrawFn) -> str:
    chunks = [HEADER]
    names: list[str] = []
    for index in range(draw(st.integers(1, 8))):
        pool = BASES + names
        bases = draw(st.lists(st.sampled_from(pool), max_size=3))
        name = f"C{index}"
        chunks.append(f"\n\nclass {name}({', '.join(bases)}):\n    pass\n")
        names.append(name)
    return "".join(chunks)


def classes_and_resolver(text: str) -> tuple[list[ClassInfo], ViewResolver]:
    project = in_memory_project({"app/base.py": BASE_MODULE, "app/views.py": text})
    module = project.find_module("app.views")
    assert module is not None
    return list(module.classes.values()), ViewResolver(project, V52)


def holds_view(resolver: ViewResolver, cls: ClassInfo) -> bool:
    try:
        return VIEW in resolver.linearize(resolver.class_key(cls))
    except MroError:
        return False


SEEN = {"skipped": 0, "kept views": 0}


@settings(max_examples=200, deadline=None)
@given(modules())
def test_a_skipped_class_has_no_view_in_its_mro(text: str) -> None:
    classes, resolver = classes_and_resolver(text)
    for cls in classes:
        if outside_the_view_graph(cls):
            SEEN["skipped"] += 1
            assert not holds_view(resolver, cls), (cls.qualname, cls.bases)
        elif holds_view(resolver, cls):
            SEEN["kept views"] += 1


@settings(max_examples=150, deadline=None)
@given(modules())
def test_the_gate_answers_as_without_the_shortcut(text: str) -> None:
    """``has_view_class`` (shared resolver, skipped classes) agrees with every class of the
    document placed in a fresh resolver, in document order."""
    files = {"app/base.py": BASE_MODULE, "app/views.py": text}
    project = in_memory_project(files)
    document = Document(text, "/project/app/views.py", SourceKind.PYTHON)
    ctx = CheckContext(document, project, Settings(django_version=parse_version("5.2")))
    assert resolvers_shareable(project)  # the path that skips classes
    module = project.find_module("app.views")
    assert module is not None
    resolver = ViewResolver(project, V52)
    expected = any(holds_view(resolver, cls) for cls in module.classes.values())
    assert has_view_class(ctx) is expected


def test_the_generator_makes_both_kinds() -> None:
    """The property above saw skipped classes and kept views (it asserts on both sides)."""
    test_a_skipped_class_has_no_view_in_its_mro()
    assert SEEN["skipped"] > 50 and SEEN["kept views"] > 50


def one_class(text: str, files: dict[str, str] | None = None) -> ClassInfo:
    project = in_memory_project({**(files or {}), "app/views.py": text})
    module = project.find_module("app.views")
    assert module is not None
    return list(module.classes.values())[-1]


# Classes the shortcut must keep: something in their bases may reach Django's View.
MUST_KEEP = [
    ("from django.views.generic import ListView\n\nclass A(ListView): ...\n", "a view-graph class"),
    ("from django.views import View\n\nclass A(View): ...\n", "View itself"),
    ("from django.views.generic import base\n\nclass A(base.View): ...\n", "module attribute"),
    ("from django.contrib.auth.views import LogoutView\n\nclass A(LogoutView): ...\n", "auth view"),
    ("from .mixins import M\n\nclass A(M): ...\n", "a project base (may subclass View)"),
    ("from thirdparty import Base\n\nclass A(Base): ...\n", "a third-party base: not judged"),
    ("class A(Undefined): ...\n", "an unresolved bare name"),
    ("import django.views\n\nclass A(object, django.views.View): ...\n", "View after object"),
]
# Classes the shortcut may skip: each base is neutral or an outside name.
MAY_SKIP = [
    ("from django.db import models\n\nclass A(models.Model): ...\n", "a model"),
    ("from django import forms\n\nclass A(forms.ModelForm): ...\n", "a form"),
    ("from django.test import TestCase\n\nclass A(TestCase): ...\n", "a test case"),
    ("from django.contrib import admin\n\nclass A(admin.ModelAdmin): ...\n", "an admin"),
    ("class A: ...\n", "no base"),
    ("class A(object): ...\n", "object"),
    ("import typing\n\nclass A(typing.Generic, typing.Protocol): ...\n", "typing bases"),
    ("from abc import ABC\n\nclass A(ABC): ...\n", "abc"),
    ("from django.apps import AppConfig\n\nclass A(AppConfig): ...\n", "an app config"),
    ("from django.db import models\n\nclass A(models.Model, models.Model): ...\n", "MroError"),
]


@pytest.mark.parametrize(("text", "reason"), MUST_KEEP)
def test_classes_that_may_be_views_are_kept(text: str, reason: str) -> None:
    assert not outside_the_view_graph(one_class(text)), reason


@pytest.mark.parametrize(("text", "reason"), MAY_SKIP)
def test_classes_outside_the_view_graph_are_skipped(text: str, reason: str) -> None:
    cls = one_class(text)
    assert outside_the_view_graph(cls), reason
    assert not holds_view(ViewResolver(in_memory_project({}), V52), cls), reason


def test_may_skip_outnumbers_must_keep() -> None:
    assert len(MAY_SKIP) >= len(MUST_KEEP)


def test_djangos_own_view_class_is_kept() -> None:
    """A project holding Django's source: ``View`` itself has only ``object`` as a base."""
    project = in_memory_project({"django/views/generic/base.py": "class View:\n    pass\n"})
    module = project.find_module("django.views.generic.base")
    assert module is not None
    cls = module.classes["View"]
    assert not outside_the_view_graph(cls)
    assert holds_view(ViewResolver(project, V52), cls)


# ---------------------------------------------------------------------------------------------
# linearize: bases with disjoint MROs
# ---------------------------------------------------------------------------------------------


def test_disjoint_bases_linearize_like_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forests (each class's bases share no ancestor) never need the C3 merge, and the MRO
    is Python's; a shared ancestor still goes through the merge."""

    def merge_not_expected(head: str, sequences: list[list[str]]) -> bool:
        raise AssertionError("the C3 merge ran for disjoint bases")

    rng = random.Random(11)
    checked = 0
    for _ in range(200):
        resolver = ViewResolver(in_memory_project({}), V52)
        real: dict[str, type] = {}
        roots: list[str] = []  # classes no other class derives from yet
        for index in range(rng.randint(2, 10)):
            name = f"C{index}"
            bases = rng.sample(roots, k=min(len(roots), rng.choice((0, 1, 2, 2, 3))))
            for base in bases:
                roots.remove(base)  # each tree is used once: the bases' MROs stay disjoint
            real[name] = type(name, tuple(real[b] for b in bases) or (object,), {})
            resolver._nodes[name] = _Node(name, tuple(bases))
            roots.append(name)
        with monkeypatch.context() as patch:
            patch.setattr(views_module, "_in_a_tail", merge_not_expected)
            for name, cls in real.items():
                assert resolver.linearize(name) == tuple(
                    c.__name__ for c in cls.__mro__ if c is not object
                )
                checked += 1
    assert checked > 500

    # A diamond shares an ancestor: the merge decides (and agrees with Python).
    resolver = ViewResolver(in_memory_project({}), V52)
    for name, bases in (("A", ()), ("B", ("A",)), ("C", ("A",)), ("D", ("B", "C"))):
        resolver._nodes[name] = _Node(name, bases)
    assert resolver.linearize("D") == ("D", "B", "C", "A")
    # The same base twice is no disjoint pair: Python's error, not a doubled MRO.
    resolver._nodes["E"] = _Node("E", ("A", "A"))
    with pytest.raises(MroError):
        resolver.linearize("E")
