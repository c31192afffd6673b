"""``ModelIndex``'s shortcuts build the table the plain construction builds.

``_kind`` keeps, per list of written bases, what the walk over them finds when none of them
can name a project class (``_plain_kind``), and ``_read_model`` reads a call's callee once,
skips the ``unique`` keywords once the model has unique checks and asks ``_manager_spec``
only of calls. Checked against the plain construction (the walk resolving every base, every
keyword read) on generated model modules: Django bases and mixins, project bases (abstract,
concrete, through re-exports, in cycles), ``from_queryset`` managers, relations by class,
label and ``"self"``, and managers of every kind.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from djvet.core.django.models import (
    RELATION_KINDS,
    ModelIndex,
    ModelInfo,
    Relation,
    _base_kinds,
    _last,
    _lit_str,
    _lit_true,
    is_field_call,
)
from djvet.core.project import in_memory_project
from djvet.core.python.facts import Call, ClassInfo


class PlainIndex(ModelIndex):
    """``ModelIndex`` with ``_kind`` and ``_read_model`` as they were."""

    def _kind(self, qualified: str, cls: ClassInfo, seen: frozenset[str]) -> str:
        known = self._class_kind.get(qualified)
        if known is not None:
            return known
        kind = ""
        if qualified in seen:
            return kind
        for base in cls.bases:
            kind = _base_kinds().get(base, "")
            if not kind:
                name, base_cls = self._resolve_base(base, cls)
                if base_cls is not None:
                    kind = self._kind(name, base_cls, seen | {qualified})
            if kind:
                break
        if not kind:
            for value in cls.base_values:
                if isinstance(value, Call) and _last(value.func) == "from_queryset":
                    kind = "manager"
                    break
        self._class_kind[qualified] = kind
        return kind

    def _read_model(self, info: ModelInfo) -> None:
        cls = info.cls
        assert cls is not None
        parents = []
        for base in cls.bases:
            name, _ = self._resolve_base(base, cls)
            if name in self.models:
                parents.append(name)
        info.parents = tuple(parents)
        for attr, value in cls.attrs.items():
            if is_field_call(value):
                assert isinstance(value, Call)
                info.fields.add(attr)
                kind = RELATION_KINDS.get(_last(value.func))
                if _lit_true(value.kwarg("unique")) or _lit_true(value.kwarg("primary_key")):
                    info.has_unique_checks = True
                if kind is not None:
                    info.has_unique_checks = True
                    target_value = value.args[0] if value.args else value.kwarg("to")
                    target = self._target(target_value, info, cls)
                    related = _lit_str(value.kwarg("related_name"))
                    info.relations[attr] = Relation(attr, kind, target, related)
            else:
                spec = self._manager_spec(attr, value, cls)
                if spec is not None:
                    if info.default_manager is None:
                        info.default_manager = attr
                    info.managers[attr] = spec
        meta = cls.meta
        if any(k in meta for k in ("unique_together", "constraints")):
            info.has_unique_checks = True
        default_name = _lit_str(meta.get("default_manager_name"))
        if default_name:
            info.default_manager = default_name


def table(index: ModelIndex) -> dict[str, object]:
    return {
        "models": index.models,
        "by_label": index.by_label,
        "querysets": index.querysets,
        "managers": index.managers,
        "user_model": index.user_model,
        "session_uses_db": index.session_uses_db,
        "token": index.token,
        "kinds": index._class_kind,
    }


BASES = [
    "models.Model",
    "models.QuerySet",
    "models.Manager",
    "models.Manager.from_queryset(base.BaseQS)",
    "LoginRequiredMixin",
    "View",
    "base.Stamped",
    "base.BaseQS",
    "reexport.AgainStamped",
    "Mixin",
]
FIELDS = [
    "models.CharField(max_length=5)",
    "models.CharField(max_length=5, unique=True)",
    "models.IntegerField(primary_key=True)",
    "models.ForeignKey('self', on_delete=models.CASCADE)",
    "models.ForeignKey(base.Stamped, on_delete=models.CASCADE, related_name='+')",
    "models.ManyToManyField('app.C0', related_name='%(class)s_set')",
    "models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)",
    "ArrayField(models.IntegerField())",
    "base.BaseQS.as_manager()",
    "models.Manager()",
    "base.StampedManager()",
    "'a literal'",
    "['a', 'list']",
    "helper()",
]
SEEN: dict[str, int] = {"model": 0, "queryset": 0, "manager": 0, "": 0}


@st.composite
def projects(draw: st.DrawFn) -> dict[str, str]:
    count = draw(st.integers(1, 6))
    lines = [
        "from django.conf import settings",
        "from django.contrib.auth.mixins import LoginRequiredMixin",
        "from django.contrib.postgres.fields import ArrayField",
        "from django.db import models",
        "from django.views import View",
        "from . import base, reexport",
        "",
        "class Mixin:",
        "    pass",
    ]
    for index in range(count):
        # Bases: the module's own classes (earlier or later: cycles too) among the rest.
        choices = [*BASES, *(f"C{i}" for i in range(count) if i != index)]
        bases = draw(st.lists(st.sampled_from(choices), min_size=1, max_size=3, unique=True))
        lines.append(f"class C{index}({', '.join(bases)}):")
        for number, field in enumerate(draw(st.lists(st.sampled_from(FIELDS), max_size=4))):
            lines.append(f"    f{number} = {field}")
        if draw(st.booleans()):
            meta = draw(
                st.sampled_from(["abstract = True", "app_label = 'other'", "unique_together = ()"])
            )
            lines.append(f"    class Meta:\n        {meta}")
        lines.append("    pass")
    return {
        "app/models.py": "\n".join(lines) + "\n",
        "app/base.py": (
            "from django.db import models\n\n\n"
            "class Stamped(models.Model):\n    class Meta:\n        abstract = True\n\n\n"
            "class BaseQS(models.QuerySet):\n    pass\n\n\n"
            "class StampedManager(models.Manager.from_queryset(BaseQS)):\n    pass\n"
        ),
        "app/reexport.py": "from .base import Stamped as AgainStamped\n",
        "settings.py": draw(st.sampled_from(["", "AUTH_USER_MODEL = 'app.C0'\n"])),
    }


@settings(max_examples=200, deadline=None)
@given(projects())
def test_the_table_is_the_plain_constructions(files: dict[str, str]) -> None:
    ours, plain = ModelIndex(in_memory_project(files)), PlainIndex(in_memory_project(files))
    assert table(ours) == table(plain)
    for name, info in ours.models.items():  # ModelInfo compares its fields; the order too
        assert list(info.relations) == list(plain.models[name].relations)
        assert list(info.managers) == list(plain.models[name].managers)
    for qualified, kind in ours._class_kind.items():
        if qualified.startswith("app.models."):
            SEEN[kind] += 1


def test_the_generator_reaches_every_kind() -> None:
    test_the_table_is_the_plain_constructions()
    assert min(SEEN.values()) > 20, SEEN


def test_the_memo_of_a_base_list_does_not_hide_a_project_base() -> None:
    # Must-find next to the shortcut: the same written bases, read first where nothing of
    # the project is reachable, then where the project defines the base.
    files = {
        "a/models.py": "from django.db import models\n\n\nclass Base(models.Model):\n    pass\n",
        "b/models.py": "from a.models import Base\n\n\nclass Child(Base):\n    pass\n",
        "c/views.py": "from somewhere import Mixin\n\n\nclass V(Mixin):\n    pass\n",
        "d/models.py": "from somewhere import Mixin\nfrom a.models import Base\n\n\nclass M(Mixin, Base):\n    pass\n",
    }
    index = ModelIndex(in_memory_project(files))
    assert index.class_kind("b.models.Child") == "model"  # through a project base
    assert index.class_kind("d.models.M") == "model"  # a mixin first, then a project model
    assert index.class_kind("c.views.V") == ""  # a mixin from outside: nothing
    assert table(index) == table(PlainIndex(in_memory_project(files)))


def test_unique_checks_come_from_any_field() -> None:
    # The keywords are read until one field gives unique checks: a later unique field
    # after a plain one still counts; a model without any has none.
    files = {
        "app/models.py": (
            "from django.db import models\n\n\n"
            "class Late(models.Model):\n    a = models.CharField()\n    b = models.CharField(unique=True)\n\n\n"
            "class Key(models.Model):\n    a = models.IntegerField(primary_key=True)\n\n\n"
            "class Plain(models.Model):\n    a = models.CharField()\n    b = 'x'\n"
        ),
    }
    index = ModelIndex(in_memory_project(files))
    assert index.models["app.models.Late"].has_unique_checks
    assert index.models["app.models.Key"].has_unique_checks
    assert not index.models["app.models.Plain"].has_unique_checks
    assert table(index) == table(PlainIndex(in_memory_project(files)))
