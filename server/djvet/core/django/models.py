"""Model knowledge over the project index: which classes are Django models, their relations,
reverse accessors and managers, which classes are custom Managers / QuerySets, and the user model.

Everything is read from the index (``ProjectIndex``), never imported. Models are found across
apps and through abstract and concrete bases; a few ``django.contrib`` models (the user model
and its neighbours) are described here because they live outside the project. The view is
built once per index generation through ``project.derived("djvet.models", ...)``; per-class
results are memoised by the class object, so rebuilding after an edit elsewhere is cheap.
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass, field

from ..project import ProjectIndex
from ..python.facts import Call, ClassInfo, FunctionInfo, Lit, ModuleInfo, Ref, Value

MODEL_BASES = frozenset(
    {
        "django.db.models.Model",
        "django.db.models.base.Model",
        "django.contrib.gis.db.models.Model",
    }
)
QUERYSET_BASES = frozenset(
    {
        "django.db.models.QuerySet",
        "django.db.models.query.QuerySet",
        "django.contrib.gis.db.models.QuerySet",
    }
)
MANAGER_BASES = frozenset(
    {
        "django.db.models.Manager",
        "django.db.models.manager.Manager",
        "django.db.models.manager.BaseManager",
        "django.db.models.BaseManager",
        "django.contrib.gis.db.models.Manager",
        "django.contrib.auth.models.UserManager",
        "django.contrib.auth.models.BaseUserManager",
        "django.contrib.auth.base_user.BaseUserManager",
    }
)
USER_MANAGER = "django.contrib.auth.models.UserManager"
RELATION_KINDS = {
    "ForeignKey": "fk",
    "OneToOneField": "o2o",
    "ManyToManyField": "m2m",
    "ParentalKey": "fk",
    "ParentalManyToManyField": "m2m",
    "TreeForeignKey": "fk",
    "TreeOneToOneField": "o2o",
    "TreeManyToManyField": "m2m",
}
USER_MODEL_SETTING = "django.conf.settings.AUTH_USER_MODEL"
DEFAULT_USER_MODEL = "django.contrib.auth.models.User"


@dataclass(frozen=True)
class Relation:
    """A forward relation field (``author = ForeignKey(Author, related_name="books")``)."""

    name: str
    kind: str  # "fk" | "o2o" | "m2m"
    target: str | None  # qualified model name; None when djvet cannot tell
    related_name: str | None  # the reverse accessor on ``target``; None: no reverse accessor


@dataclass(frozen=True)
class ReverseRelation:
    """An accessor Django adds to the *target* of a relation (``author.books``, ``book_set``)."""

    accessor: str
    kind: str  # "fk" (a related manager) | "m2m" (a related manager) | "o2o" (one instance)
    source: str  # the model that declares the field
    field: str


@dataclass(frozen=True)
class ManagerSpec:
    """A manager attribute of a model, and where its extra methods come from."""

    name: str
    manager_class: str | None  # a project Manager subclass (its methods), or None
    queryset_class: str | None  # a project QuerySet subclass whose methods it exposes, or None
    builtin: str | None = None  # a django.contrib manager (``UserManager``)


@dataclass
class ModelInfo:
    """One model class: concrete or abstract, from the project or from ``django.contrib``."""

    name: str  # qualified: "library.models.Book"
    label: str  # "library.Book"
    abstract: bool
    cls: ClassInfo | None  # None for django.contrib models
    fields: set[str] = field(default_factory=set)  # every concrete field name (relations included)
    relations: dict[str, Relation] = field(default_factory=dict)
    reverse: dict[str, ReverseRelation] = field(default_factory=dict)
    managers: dict[str, ManagerSpec] = field(default_factory=dict)
    default_manager: str | None = None
    parents: tuple[str, ...] = ()  # model bases (qualified), nearest first
    has_unique_checks: bool = False  # unique fields/constraints or FKs: full_clean() queries

    @property
    def short_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    def relation(self, attr: str) -> Relation | None:
        return self.relations.get(attr)


# -- django.contrib models djvet knows without reading Django ------------------------------


def _builtin(
    name: str,
    label: str,
    fields: tuple[str, ...],
    relations: tuple[Relation, ...] = (),
    *,
    abstract: bool = False,
    manager: str | None = None,
    parents: tuple[str, ...] = (),
) -> ModelInfo:
    info = ModelInfo(name, label, abstract, None, parents=parents)
    info.fields = {*fields, *(r.name for r in relations)}
    info.relations = {r.name: r for r in relations}
    info.has_unique_checks = True
    if not abstract:
        info.managers = {"objects": ManagerSpec("objects", None, None, manager)}
        info.default_manager = "objects"
    return info


_AUTH = "django.contrib.auth.models"
_PERMISSIONS_RELATIONS = (
    Relation("groups", "m2m", f"{_AUTH}.Group", "user_set"),
    Relation("user_permissions", "m2m", f"{_AUTH}.Permission", "user_set"),
)
_USER_FIELDS = (
    "id", "password", "last_login", "is_superuser", "username", "first_name",
    "last_name", "email", "is_staff", "is_active", "date_joined",
)  # fmt: skip


def builtin_models() -> dict[str, ModelInfo]:
    """Fresh copies of the ``django.contrib`` models (a ``ModelIndex`` adds reverse accessors)."""
    copies: dict[int, ModelInfo] = {}
    out: dict[str, ModelInfo] = {}
    for name, info in _builtin_templates().items():
        copy = copies.get(id(info))
        if copy is None:
            copy = ModelInfo(
                info.name,
                info.label,
                info.abstract,
                None,
                set(info.fields),
                dict(info.relations),
                {},
                dict(info.managers),
                info.default_manager,
                info.parents,
                info.has_unique_checks,
            )
            copies[id(info)] = copy
        out[name] = copy
    return out


@functools.cache
def _builtin_templates() -> dict[str, ModelInfo]:
    """The ``django.contrib`` models, keyed by every qualified name they are imported under."""
    base_user = _builtin(
        "django.contrib.auth.base_user.AbstractBaseUser",
        "auth.AbstractBaseUser",
        ("password", "last_login"),
        abstract=True,
    )
    permissions_mixin = _builtin(
        f"{_AUTH}.PermissionsMixin",
        "auth.PermissionsMixin",
        ("is_superuser",),
        _PERMISSIONS_RELATIONS,
        abstract=True,
    )
    abstract_user = _builtin(
        f"{_AUTH}.AbstractUser",
        "auth.AbstractUser",
        _USER_FIELDS,
        _PERMISSIONS_RELATIONS,
        abstract=True,
        parents=(base_user.name, permissions_mixin.name),
    )
    abstract_user.managers = {"objects": ManagerSpec("objects", None, None, USER_MANAGER)}
    abstract_user.default_manager = "objects"
    user = _builtin(
        f"{_AUTH}.User", "auth.User", _USER_FIELDS, _PERMISSIONS_RELATIONS, manager=USER_MANAGER,
        parents=(abstract_user.name,),
    )  # fmt: skip
    content_type = _builtin(
        "django.contrib.contenttypes.models.ContentType",
        "contenttypes.ContentType",
        ("id", "app_label", "model"),
    )
    models = [
        base_user,
        permissions_mixin,
        abstract_user,
        user,
        _builtin(
            f"{_AUTH}.Group",
            "auth.Group",
            ("id", "name"),
            (Relation("permissions", "m2m", f"{_AUTH}.Permission", None),),
        ),
        _builtin(
            f"{_AUTH}.Permission",
            "auth.Permission",
            ("id", "name", "codename"),
            (Relation("content_type", "fk", content_type.name, None),),
        ),
        content_type,
        _builtin(
            "django.contrib.sessions.models.Session",
            "sessions.Session",
            ("session_key", "session_data", "expire_date"),
        ),
        _builtin("django.contrib.sites.models.Site", "sites.Site", ("id", "domain", "name")),
        _builtin(
            "django.contrib.admin.models.LogEntry",
            "admin.LogEntry",
            ("id", "action_time", "object_id", "object_repr", "action_flag", "change_message"),
            (
                Relation("user", "fk", USER_MODEL_SETTING, None),
                Relation("content_type", "fk", content_type.name, None),
            ),
        ),
    ]
    out = {m.name: m for m in models}
    out["django.contrib.auth.models.AbstractBaseUser"] = base_user
    return out


# -- helpers ----------------------------------------------------------------------------------


def app_label_for(module: str) -> str:
    """Django's default app label for a model defined in ``module``: the app package's last part."""
    parts = module.split(".")
    if "models" in parts:
        index = parts.index("models")
        if index > 0:
            return parts[index - 1]
    return parts[-2] if len(parts) > 1 else parts[0]


def _lit_str(value: Value | None) -> str | None:
    return value.value if isinstance(value, Lit) and isinstance(value.value, str) else None


def _lit_true(value: Value | None) -> bool:
    return isinstance(value, Lit) and value.value is True


def _last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


_UNREAD = "<unread>"  # not a kind: ``ModelIndex._plain`` has no entry


def _unique_kwarg(call: Call) -> bool:
    """``unique=True`` or ``primary_key=True`` among the call's keywords."""
    return _lit_true(call.kwarg("unique")) or _lit_true(call.kwarg("primary_key"))


def is_field_call(value: Value) -> bool:
    """``models.CharField(...)``, ``ForeignKey(...)``, ``ArrayField(...)``: a model field."""
    return isinstance(value, Call) and _is_field_name(_last(value.func))


def _is_field_name(last: str) -> bool:
    """The last part of a callee's name says it makes a model field."""
    return last.endswith("Field") or last in RELATION_KINDS or last == "ForeignObject"


class ModelIndex:
    """The models, managers and querysets of one index generation."""

    def __init__(self, project: ProjectIndex, memo: dict[int, tuple[ClassInfo, str]] | None = None):
        self.project = project
        self.models: dict[str, ModelInfo] = {}
        self.by_label: dict[str, str] = {}
        self.querysets: set[str] = set()
        self.managers: set[str] = set()
        self.user_model: str = DEFAULT_USER_MODEL
        self.session_uses_db = True  # False when settings pick a session engine without a DB
        # Changes whenever a file that defines models/managers/querysets or the user model /
        # session settings changes: analyses cached across index generations key on it.
        self.token: tuple[tuple[str, str], ...] = ()
        self._class_kind: dict[str, str] = {}  # qualified class -> "model"|"queryset"|"manager"|""
        self._classes: dict[str, ClassInfo] = {}
        self._memo = memo if memo is not None else {}
        self._outside: dict[str, bool] = {}  # base name -> no prefix of it is a project module
        self._plain: dict[tuple[str, ...], str | None] = {}  # bases -> ``_plain_kind``
        self._build()

    # -- building ------------------------------------------------------------------------------
    def _build(self) -> None:
        builtins = builtin_models()
        for name, info in builtins.items():
            self.models[name] = info
            self.by_label.setdefault(info.label, info.name)
        for module in self.project.modules.values():
            for cls in module.classes.values():
                self._classes[f"{module.module}.{cls.qualname}"] = cls
        relevant: set[str] = set()  # files defining models, managers or querysets
        no_seen: frozenset[str] = frozenset()
        for qualified, cls in self._classes.items():
            kind = self._kind(qualified, cls, no_seen)
            if not kind:
                continue
            relevant.add(cls.path)
            if kind == "model":
                info = ModelInfo(qualified, "", _lit_true(cls.meta.get("abstract")), cls)
                label = _lit_str(cls.meta.get("app_label")) or app_label_for(cls.module)
                info.label = f"{label}.{cls.name}"
                self.models[qualified] = info
                if not info.abstract:
                    self.by_label.setdefault(info.label, qualified)
            elif kind == "queryset":
                self.querysets.add(qualified)
            elif kind == "manager":
                self.managers.add(qualified)
        self.user_model = self._find_user_model()
        engines: list[Value] = []
        for module in self.project.modules.values():
            if "AUTH_USER_MODEL" in module.assignments or "SESSION_ENGINE" in module.assignments:
                relevant.add(module.path)
            if "SESSION_ENGINE" in module.assignments:
                engines.append(module.assignments["SESSION_ENGINE"])
        literal = [_lit_str(e) for e in engines]
        if engines and all(literal):
            self.session_uses_db = any(".db" in v or v.endswith("db") for v in literal if v)
        self.token = tuple(
            sorted(
                (path, self.project.modules[path].digest)
                for path in relevant
                if path in self.project.modules
            )
        )
        for info in list(self.models.values()):
            if info.cls is not None:
                self._read_model(info)
        for info in self.models.values():
            self._inherit(info, set())
        for info in list(self.models.values()):
            if info.cls is not None and not info.abstract:
                self._add_reverse(info)

    def _resolve_base(self, base: str, cls: ClassInfo) -> tuple[str, ClassInfo | None]:
        if base in self._classes:
            return base, self._classes[base]
        if self._outside_project(base):
            return base, None  # ``resolve`` finds no module for any prefix: nothing
        found = self.project.resolve(base, cls.path)
        if found is not None and found.kind == "class":
            target: ClassInfo = found.obj
            return f"{found.module.module}.{target.qualname}", target
        return base, None

    def _outside_project(self, base: str) -> bool:
        """True when ``base`` cannot name a project class (no prefix of it is a project
        module): the kind a class gets through such a base depends on the class alone, so
        the kind memoised for an unchanged class object still holds. A base that reaches a
        project class, directly or re-exported, is judged again."""
        outside = self._outside.get(base)
        if outside is None:
            parts = base.split(".")
            outside = self._outside[base] = all(
                self.project.find_module(".".join(parts[:cut])) is None
                for cut in range(len(parts), 0, -1)
            )
        return outside

    def _plain_kind(self, bases: tuple[str, ...]) -> str | None:
        """What the loop over ``bases`` in ``_kind`` finds when ``_resolve_base`` finds no
        class for any base it reaches (the first Django base's kind, else ""); None when it
        may find one. Classes share few base lists: ``_kind`` keeps this per list."""
        known_bases = _base_kinds()
        for base in bases:
            kind = known_bases.get(base, "")
            if kind:
                return kind
            if base in self._classes or not self._outside_project(base):
                return None
        return ""

    def _kind(self, qualified: str, cls: ClassInfo, seen: frozenset[str]) -> str:
        """ "model" / "queryset" / "manager" / "" for a project class, through its bases."""
        known = self._class_kind.get(qualified)
        if known is not None:
            return known
        memo = self._memo.get(id(cls))
        if memo is not None and memo[0] is cls and all(self._outside_project(b) for b in cls.bases):
            self._class_kind[qualified] = memo[1]
            return memo[1]
        kind = ""
        if qualified in seen:
            return kind
        bases = cls.bases
        plain = self._plain.get(bases, _UNREAD)
        if plain is _UNREAD:
            plain = self._plain[bases] = self._plain_kind(bases)
        if plain is not None:
            kind = plain
        else:
            known_bases = _base_kinds()
            outside = self._outside
            for base in bases:
                kind = known_bases.get(base, "")
                if kind:
                    break
                if outside.get(base) and base not in self._classes:
                    continue  # ``_resolve_base`` finds no class (Django's views, mixins)
                name, base_cls = self._resolve_base(base, cls)
                if base_cls is not None:
                    found = self._class_kind.get(name)  # what ``_kind`` answers first
                    kind = (
                        found
                        if found is not None
                        else self._kind(name, base_cls, seen | {qualified})
                    )
                    if kind:
                        break
        if not kind:
            for value in cls.base_values:
                if isinstance(value, Call) and _last(value.func) == "from_queryset":
                    kind = "manager"
                    break
        self._class_kind[qualified] = kind
        self._memo[id(cls)] = (cls, kind)
        return kind

    def _find_user_model(self) -> str:
        for module in self.project.modules.values():
            value = module.assignments.get("AUTH_USER_MODEL")
            label = _lit_str(value) if value is not None else None
            if label and "." in label:
                found = self.by_label.get(label)
                if found is None:
                    found = next(
                        (m.name for m in self.models.values() if m.label.lower() == label.lower()),
                        None,
                    )
                if found is not None:
                    return found
        return DEFAULT_USER_MODEL

    def _read_model(self, info: ModelInfo) -> None:
        cls = info.cls
        assert cls is not None
        parents = []
        for base in cls.bases:
            name, _ = self._resolve_base(base, cls)
            if name in self.models:
                parents.append(name)
        info.parents = tuple(parents)
        fields = info.fields
        for attr, value in cls.attrs.items():
            # ``is_field_call``, with the callee's last part found once for both questions.
            last = value.func.rpartition(".")[2] if isinstance(value, Call) else None
            if last is not None and _is_field_name(last):
                assert isinstance(value, Call)
                fields.add(attr)
                kind = RELATION_KINDS.get(last)
                if not info.has_unique_checks and _unique_kwarg(value):
                    info.has_unique_checks = True
                if kind is not None:
                    info.has_unique_checks = True  # ForeignKey.validate() queries the target
                    target_value = value.args[0] if value.args else value.kwarg("to")
                    target = self._target(target_value, info, cls)
                    related = _lit_str(value.kwarg("related_name"))
                    info.relations[attr] = Relation(attr, kind, target, related)
            elif last is not None:  # a call (``_manager_spec`` answers None for anything else)
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

    def _target(self, value: Value | None, info: ModelInfo, cls: ClassInfo) -> str | None:
        if isinstance(value, Ref):
            if value.name == USER_MODEL_SETTING or value.name.endswith("settings.AUTH_USER_MODEL"):
                return self.user_model
            name, _ = self._resolve_base(value.name, cls)
            return name if name in self.models else None
        text = _lit_str(value)
        if text is None:
            return None
        if text == "self":
            return info.name
        if "." in text:
            return self.by_label.get(text) or next(
                (m.name for m in self.models.values() if m.label.lower() == text.lower()), None
            )
        app = info.label.partition(".")[0]
        return self.by_label.get(f"{app}.{text}")

    def _manager_spec(self, attr: str, value: Value, cls: ClassInfo) -> ManagerSpec | None:
        if not isinstance(value, Call):
            return None
        func = value.func
        if func.endswith(".as_manager"):
            qs, _ = self._resolve_base(func[: -len(".as_manager")], cls)
            if qs in self.querysets or qs in QUERYSET_BASES:
                return ManagerSpec(attr, None, qs if qs in self.querysets else None)
            return None
        if func.endswith(".from_queryset()") and value.inner is not None:
            return self._from_queryset(attr, value.inner, cls)
        if func in MANAGER_BASES:
            builtin = func if func.startswith("django.contrib.auth") else None
            return ManagerSpec(attr, None, None, USER_MANAGER if builtin else None)
        name, target = self._resolve_base(func, cls)
        if name in self.managers and target is not None:
            return ManagerSpec(attr, name, self._manager_queryset(target))
        found = self.project.resolve(func, cls.path)
        if found is not None and found.kind == "assignment" and isinstance(found.obj, Call):
            assigned: Call = found.obj
            if _last(assigned.func) == "from_queryset":
                return self._from_queryset(attr, assigned, cls)
        return None

    def _from_queryset(self, attr: str, call: Call, cls: ClassInfo) -> ManagerSpec | None:
        """``SomeManager.from_queryset(QS)``: the manager class (if the project's) and QS."""
        if not call.args or not isinstance(call.args[0], Ref):
            return None
        qs, _ = self._resolve_base(call.args[0].name, cls)
        manager, _ = self._resolve_base(call.func[: -len(".from_queryset")], cls)
        return ManagerSpec(
            attr,
            manager if manager in self.managers else None,
            qs if qs in self.querysets else None,
        )

    def _manager_queryset(self, manager: ClassInfo) -> str | None:
        """The custom QuerySet of a project Manager class (``from_queryset`` base), if any."""
        for value in manager.base_values:
            if isinstance(value, Call) and _last(value.func) == "from_queryset" and value.args:
                arg = value.args[0]
                if isinstance(arg, Ref):
                    qs, _ = self._resolve_base(arg.name, manager)
                    if qs in self.querysets:
                        return qs
        for base in manager.bases:
            name, base_cls = self._resolve_base(base, manager)
            if base_cls is not None and name in self.managers:
                found = self._manager_queryset(base_cls)
                if found:
                    return found
        return None

    def _inherit(self, info: ModelInfo, seen: set[str]) -> None:
        """Fields, relations and managers from model bases (abstract and concrete)."""
        if info.name in seen:
            return
        seen.add(info.name)
        for parent_name in info.parents:
            parent = self.models.get(parent_name)
            if parent is None:
                continue
            self._inherit(parent, seen)
            info.fields |= parent.fields
            for name, relation in parent.relations.items():
                info.relations.setdefault(name, relation)
            inherited = {k: v for k, v in parent.managers.items() if k not in info.managers}
            if inherited:
                info.managers = {**info.managers, **inherited}
                if info.default_manager is None:
                    info.default_manager = parent.default_manager
            info.has_unique_checks = info.has_unique_checks or parent.has_unique_checks
        if not info.managers and not info.abstract:
            info.managers["objects"] = ManagerSpec("objects", None, None)
            info.default_manager = "objects"

    def _add_reverse(self, info: ModelInfo) -> None:
        for relation in info.relations.values():
            target = self.models.get(relation.target or "")
            if target is None:
                continue
            accessor = relation.related_name
            if accessor is not None:
                accessor = accessor.replace("%(class)s", info.short_name.lower()).replace(
                    "%(app_label)s", info.label.partition(".")[0].lower()
                )
                if accessor.endswith("+"):
                    continue
            elif relation.kind == "o2o":
                accessor = info.short_name.lower()
            else:
                accessor = f"{info.short_name.lower()}_set"
            kind = "o2o" if relation.kind == "o2o" else relation.kind
            reverse = ReverseRelation(accessor, kind, info.name, relation.name)
            target.reverse.setdefault(accessor, reverse)
        for parent in info.parents:
            parent_model = self.models.get(parent)
            if parent_model is not None and not parent_model.abstract:
                # Multi-table inheritance: ``place.restaurant`` is a reverse one-to-one.
                accessor = info.short_name.lower()
                parent_model.reverse.setdefault(
                    accessor, ReverseRelation(accessor, "o2o", info.name, "")
                )

    # -- queries -------------------------------------------------------------------------------
    def model(self, qualified: str) -> ModelInfo | None:
        return self.models.get(qualified)

    def class_info(self, qualified: str) -> ClassInfo | None:
        cls = self._classes.get(qualified)
        return self._current(cls) if cls is not None else None

    def _current(self, cls: ClassInfo) -> ClassInfo:
        """``cls`` as the index has it now: this table outlives edits to function bodies
        (``ProjectIndex.derived``), so the method bodies it hands out are read afresh."""
        module = self.module_of(cls)
        if module is None:
            return cls
        return module.classes.get(cls.qualname, cls)

    def class_kind(self, qualified: str) -> str:
        return self._class_kind.get(qualified, "")

    def qualified_class(self, name: str, near: str | None = None) -> str | None:
        """The qualified name of the project class ``name`` refers to (through re-exports)."""
        if name in self._classes or name in self.models:
            return name
        found = self.project.resolve(name, near)
        if found is not None and found.kind == "class":
            return f"{found.module.module}.{found.obj.qualname}"
        return None

    def find_method(
        self, qualified_class: str, method: str
    ) -> tuple[str, ClassInfo, FunctionInfo] | None:
        """A method defined on a project class or one of its project bases (MRO order, roughly)."""
        seen: set[str] = set()
        queue = [qualified_class]
        while queue:
            name = queue.pop(0)
            if name in seen:
                continue
            seen.add(name)
            cls = self._classes.get(name)
            if cls is None:
                continue
            cls = self._current(cls)
            function = cls.methods.get(method)
            if function is not None:
                if function.alias_of and function.alias_of in cls.methods:
                    function = cls.methods[function.alias_of]
                return name, cls, function
            for base in cls.bases:
                resolved, _ = self._resolve_base(base, cls)
                queue.append(resolved)
        return None

    def module_of(self, cls: ClassInfo) -> ModuleInfo | None:
        # A class's path is the index key of its module (``module_at`` without normalising it).
        found = self.project.modules.get(cls.path)
        return found if found is not None else self.project.module_at(cls.path)


_BUILTIN_NAMES: frozenset[str] | None = None


def builtin_models_names() -> frozenset[str]:
    global _BUILTIN_NAMES
    if _BUILTIN_NAMES is None:
        _BUILTIN_NAMES = frozenset(builtin_models())
    return _BUILTIN_NAMES


_BASE_KINDS: dict[str, str] | None = None


def _base_kinds() -> dict[str, str]:
    """Django's own model / QuerySet / Manager bases -> "model" / "queryset" / "manager" (a
    name in several sets takes the first of that order)."""
    global _BASE_KINDS
    if _BASE_KINDS is None:
        kinds = dict.fromkeys(MANAGER_BASES, "manager")
        kinds.update(dict.fromkeys(QUERYSET_BASES, "queryset"))
        kinds.update(dict.fromkeys(MODEL_BASES | builtin_models_names(), "model"))
        _BASE_KINDS = kinds
    return _BASE_KINDS


_MEMOS: weakref.WeakKeyDictionary[ProjectIndex, dict[int, tuple[ClassInfo, str]]] = (
    weakref.WeakKeyDictionary()
)


_PRUNED_SIZE: weakref.WeakKeyDictionary[ProjectIndex, int] = weakref.WeakKeyDictionary()
_PRUNE_SLACK = 256


def model_index(project: ProjectIndex) -> ModelIndex:
    """The project's ``ModelIndex``, rebuilt only when a module's shape changed or a
    function it looked up by name did (``ProjectIndex.derived``; never for a new function).

    Class kinds are memoised across generations by ``ClassInfo`` identity (the index keeps
    the same objects for files that did not change), so a keystroke in a view module does
    not re-derive every model class's bases."""
    memo = _MEMOS.setdefault(project, {})
    if len(memo) > _PRUNED_SIZE.get(project, 0) + _PRUNE_SLACK:
        # Every keystroke re-extracts the edited module's classes: drop the memo entries of
        # class objects the index no longer holds, or each edit would keep its old classes alive.
        live = {id(cls) for cls in project.classes()}
        for key in [key for key in memo if key not in live]:
            del memo[key]
        _PRUNED_SIZE[project] = len(memo)
    return project.derived(
        "djvet.models", lambda: ModelIndex(project, memo), reads_functions="by name"
    )
