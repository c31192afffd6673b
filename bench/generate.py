"""Generate a deterministic, realistic Django code base for djvet's benchmarks.

``python bench/generate.py [OUT] [--scale S] [--seed N]`` writes a project of
``round(40 * S)`` apps. At ``--scale 1``: 40 apps, 400 models (FK / O2O / M2M with
``related_name``, abstract bases, custom QuerySets and managers), about 3,000 Python files
(models, sync and async views, CBVs, forms, admin, URLconfs, migrations, tests, channels
consumers, middleware, management commands ...) and about 1,000 templates (Django, plus
Jinja2 in every eighth app), and one 2,000-line async-heavy views module for the editor
latency benchmark.

The code is mostly clean, idiomatic Django 5.2. A few real problems are planted at a low,
realistic rate (GET logout links, CBVs mixing ``async def`` and ``def`` handlers, sync ORM
calls inside ``async def``), and a few *near misses* that must not be flagged (a sync ORM call
in a ``database_sync_to_async`` helper, a ``dict.get`` in an async view, a logout POST form).
Every planted problem and near miss is listed in ``bench-manifest.json`` at the project root,
so ``bench/run.py`` can report what djvet found where.

App ``i`` is generated from ``(seed, i)`` alone and refers only to apps before it, so a larger
scale is a strict superset of a smaller one: the scaling series measures more of the same code.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import shutil
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

BASE_APPS = 40
DEFAULT_SEED = 20240901
DEFAULT_OUT = Path(__file__).resolve().parent / "corpus" / "x1"
MANIFEST = "bench-manifest.json"
PROJECT = "benchsite"
HEAVY_MODULE_LINES = 2000

APP_NAMES = (
    "billing", "catalog", "inventory", "shipping", "accounts", "reviews", "blog", "forum",
    "payments", "orders", "crm", "support", "analytics", "notifications", "events", "scheduling",
    "media", "search", "wiki", "projects", "tasks", "staffing", "payroll", "marketing",
    "newsletter", "coupons", "loyalty", "warehouse", "suppliers", "contracts", "invoicing",
    "ledger", "reporting", "surveys", "courses", "library", "booking", "rentals", "fleet",
    "maintenance",
)  # fmt: skip

MODEL_NOUNS = (
    "Account", "Address", "Attachment", "Batch", "Category", "Channel", "Comment", "Contact",
    "Document", "Entry", "Event", "Invoice", "Item", "Label", "Ledger", "LineItem", "Location",
    "Membership", "Message", "Milestone", "Note", "Order", "Organisation", "Package", "Payment",
    "Period", "Plan", "Policy", "Price", "Product", "Profile", "Project", "Quote", "Rating",
    "Receipt", "Region", "Reminder", "Report", "Request", "Reservation", "Resource", "Review",
    "Rule", "Schedule", "Section", "Session", "Shipment", "Slot", "Snapshot", "Subscription",
    "Supplier", "Tag", "Task", "Team", "Template", "Ticket", "Topic", "Transaction", "Unit",
    "Vendor", "Version", "Visit", "Voucher", "Warehouse", "Webhook", "Workflow",
)  # fmt: skip

WORDS = (
    "alpha", "amber", "archive", "beacon", "bright", "cedar", "civic", "coral", "delta", "ember",
    "fable", "flint", "garnet", "harbor", "indigo", "juniper", "kestrel", "lumen", "maple",
    "nimbus", "onyx", "pioneer", "quartz", "raven", "sierra", "tundra", "umber", "vertex",
    "willow", "zephyr",
)  # fmt: skip

# Rates of planted problems (per candidate site) — low, as in a real, mostly healthy code base.
RATE_ASYNC_SYNC_ORM = 0.04  # an async function view that calls the sync ORM
RATE_MIXED_CBV = 0.06  # an async CBV that also has a sync handler (own or inherited)
RATE_GET_LOGOUT_NAV = 0.10  # an app nav partial with <a href="{% url 'logout' %}">
RATE_GET_LOGOUT_TEST = 0.10  # a test module that logs out with client.get()


def snake(name: str) -> str:
    out = []
    for index, char in enumerate(name):
        if char.isupper() and index:
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def plural(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def kebab(name: str) -> str:
    return snake(name).replace("_", "-")


# ---------------------------------------------------------------------------------------------
# Source builder that remembers where problems were planted
# ---------------------------------------------------------------------------------------------


@dataclass
class Planted:
    path: str
    line: int  # 1-based
    family: str  # logout-get | mixed-cbv | sync-orm-in-async
    expect: str  # code prefix djvet should report ("DJV1", "DJV2", "DJV3"); "" for near misses
    note: str
    end_line: int = 0  # last line of the planted block (1-based, inclusive)
    anchor: int = 0  # line of the enclosing class a finding may point at instead (0: none)


class Src:
    """Lines of one generated file; ``plant``/``near`` record 1-based lines for the manifest."""

    def __init__(self, path: str, sink: list[Planted]) -> None:
        self.path = path
        self.lines: list[str] = []
        self.sink = sink

    def add(self, text: str = "", indent: int = 0) -> None:
        lines = textwrap.dedent(text).split("\n")
        if lines and not lines[0].strip():
            lines = lines[1:]  # the newline after an opening triple quote
        if lines and not lines[-1].strip():
            lines = lines[:-1]  # the indentation before a closing triple quote
        if not lines:
            self.lines.append("")
            return
        pad = " " * indent
        self.lines.extend((pad + line) if line.strip() else "" for line in lines)

    def blank(self) -> None:
        self.lines.append("")

    @property
    def next_line(self) -> int:
        return len(self.lines) + 1

    def plant(
        self, family: str, expect: str, note: str, text: str, indent: int = 0, anchor: int = 0
    ) -> None:
        """Add ``text``; its first line is a planted problem of ``family``."""
        start = len(self.lines) + 1
        self.add(text, indent)
        self.sink.append(Planted(self.path, start, family, expect, note, len(self.lines), anchor))

    def near(self, family: str, note: str, text: str, indent: int = 0) -> None:
        """Add ``text``; its first line looks like ``family`` but is correct code."""
        start = len(self.lines) + 1
        self.add(text, indent)
        self.sink.append(Planted(self.path, start, family, "", note, len(self.lines)))

    def text(self) -> str:
        return "\n".join(self.lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------------------------
# The model of the project being generated
# ---------------------------------------------------------------------------------------------


@dataclass
class FieldSpec:
    name: str
    kind: str  # char | text | int | decimal | bool | datetime | date | json | slug | email | url | fk | o2o | m2m | user
    target: str = ""  # "app.Model" for relations
    related_name: str = ""
    null: bool = False


@dataclass
class ModelSpec:
    app: str
    name: str
    module: str  # models submodule: core | catalog | relations
    base: str  # "models.Model" or an abstract base of the app
    fields: list[FieldSpec] = field(default_factory=list)
    manager: str = "default"  # default | as_manager | from_queryset | custom_manager
    title_field: str = "name"

    @property
    def lower(self) -> str:
        return snake(self.name)

    @property
    def url(self) -> str:
        return kebab(self.name)

    def fks(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.kind in ("fk", "o2o", "user")]

    def scalar(self, kinds: tuple[str, ...]) -> list[FieldSpec]:
        return [f for f in self.fields if f.kind in kinds]


@dataclass
class AppSpec:
    index: int
    name: str
    models: list[ModelSpec]
    jinja: bool
    rng: random.Random

    def model_names(self) -> list[str]:
        return [m.name for m in self.models]


SCALAR_FIELDS = (
    ("description", "text"),
    ("code", "slug"),
    ("position", "int"),
    ("amount", "decimal"),
    ("is_active", "bool"),
    ("is_public", "bool"),
    ("starts_at", "datetime"),
    ("due_on", "date"),
    ("metadata", "json"),
    ("email", "email"),
    ("website", "url"),
    ("priority", "int"),
    ("notes", "text"),
    ("reference", "char"),
    ("weight", "decimal"),
)


def app_name(index: int) -> str:
    base = APP_NAMES[index % len(APP_NAMES)]
    cycle = index // len(APP_NAMES)
    return base if cycle == 0 else f"{base}_{cycle + 1}"


def plan_app(index: int, seed: int, earlier: list[AppSpec]) -> AppSpec:
    rng = random.Random(f"{seed}:{index}")
    name = app_name(index)
    nouns = rng.sample(MODEL_NOUNS, 10)
    models: list[ModelSpec] = []
    modules = (
        "core",
        "core",
        "core",
        "catalog",
        "catalog",
        "catalog",
        "relations",
        "relations",
        "relations",
        "relations",
    )
    for position, noun in enumerate(nouns):
        base = rng.choice(("models.Model", "TimeStampedModel", "TimeStampedModel", "OwnedModel"))
        spec = ModelSpec(name, noun, modules[position], base)
        spec.fields.append(FieldSpec("name", "char"))
        for field_name, kind in rng.sample(SCALAR_FIELDS, rng.randint(3, 7)):
            spec.fields.append(FieldSpec(field_name, kind))
        # Relations: to earlier models of this app, to earlier apps, to the user model.
        if position:
            for target in rng.sample(models, min(len(models), rng.randint(1, 2))):
                fk_name = (
                    target.lower
                    if target.lower not in {f.name for f in spec.fields}
                    else f"{target.lower}_ref"
                )
                kind = "o2o" if rng.random() < 0.08 else "fk"
                related = plural(spec.lower) if kind == "fk" else spec.lower
                if related in {f.name for f in target.fields}:
                    related = f"{spec.lower}_items"
                spec.fields.append(
                    FieldSpec(fk_name, kind, f"{name}.{target.name}", related, rng.random() < 0.3)
                )
        if earlier and rng.random() < 0.35:
            other_app = rng.choice(earlier[-8:])
            target = rng.choice(other_app.models)
            spec.fields.append(
                FieldSpec(
                    f"{other_app.name}_{target.lower}",
                    "fk",
                    f"{other_app.name}.{target.name}",
                    f"{name}_{spec.lower}_set",
                    True,
                )
            )
        if rng.random() < 0.5:
            spec.fields.append(
                FieldSpec("owner", "user", "auth.User", f"{name}_{spec.lower}_owned", True)
            )
        if position > 1 and rng.random() < 0.3:
            target = rng.choice(models)
            spec.fields.append(
                FieldSpec(
                    f"{target.lower}_links", "m2m", f"{name}.{target.name}", f"linked_{spec.lower}s"
                )
            )
        spec.manager = rng.choice(
            ("default", "as_manager", "as_manager", "from_queryset", "custom_manager")
        )
        models.append(spec)
    return AppSpec(index, name, models, jinja=index % 8 == 3, rng=rng)


# ---------------------------------------------------------------------------------------------
# Python modules
# ---------------------------------------------------------------------------------------------


def field_code(f: FieldSpec, app: AppSpec) -> str:
    def target_ref() -> str:
        target_app, target_model = f.target.split(".")
        return f'"{target_model}"' if target_app == app.name else f'"{f.target}"'

    null = ", null=True, blank=True" if f.null else ""
    match f.kind:
        case "char":
            return "models.CharField(max_length=200)"
        case "slug":
            return "models.SlugField(max_length=64, unique=True)"
        case "text":
            return 'models.TextField(blank=True, default="")'
        case "int":
            return "models.PositiveIntegerField(default=0)"
        case "decimal":
            return 'models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))'
        case "bool":
            return "models.BooleanField(default=True)"
        case "datetime":
            return "models.DateTimeField(default=timezone.now, db_index=True)"
        case "date":
            return "models.DateField(null=True, blank=True)"
        case "json":
            return "models.JSONField(default=dict, blank=True)"
        case "email":
            return "models.EmailField(blank=True)"
        case "url":
            return "models.URLField(blank=True)"
        case "fk":
            on_delete = "models.SET_NULL" if f.null else "models.CASCADE"
            return f'models.ForeignKey({target_ref()}, on_delete={on_delete}, related_name="{f.related_name}"{null})'
        case "o2o":
            return f'models.OneToOneField({target_ref()}, on_delete=models.CASCADE, related_name="{f.related_name}")'
        case "m2m":
            return f'models.ManyToManyField({target_ref()}, related_name="{f.related_name}", blank=True)'
        case "user":
            return f'models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="{f.related_name}"{null})'
    raise ValueError(f.kind)


def gen_models_base(app: AppSpec, sink: list[Planted]) -> Src:
    src = Src(f"{app.name}/models/base.py", sink)
    src.add(f'''
        """Abstract model bases shared by the {app.name} models."""

        from django.conf import settings
        from django.db import models
        from django.utils import timezone


        class TimeStampedModel(models.Model):
            """Adds creation and modification timestamps."""

            created = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
            modified = models.DateTimeField(auto_now=True)

            class Meta:
                abstract = True
                get_latest_by = "created"


        class OwnedModel(TimeStampedModel):
            """A timestamped model that belongs to a user."""

            created_by = models.ForeignKey(
                settings.AUTH_USER_MODEL,
                on_delete=models.SET_NULL,
                null=True,
                blank=True,
                related_name="+",
            )

            class Meta(TimeStampedModel.Meta):
                abstract = True

            def is_owned_by(self, user) -> bool:
                return user.is_authenticated and self.created_by_id == user.pk
    ''')
    return src


def gen_querysets(app: AppSpec, sink: list[Planted]) -> Src:
    src = Src(f"{app.name}/models/querysets.py", sink)
    src.add(f'''
        """Custom QuerySets and managers of the {app.name} models."""

        from datetime import timedelta

        from django.db import models
        from django.db.models import Count, Q
        from django.utils import timezone
    ''')
    for model in app.models:
        if model.manager == "default":
            continue
        bools = model.scalar(("bool",))
        active = bools[0].name if bools else None
        dates = model.scalar(("datetime",))
        recent_field = (
            dates[0].name if dates else ("created" if model.base != "models.Model" else "pk")
        )
        src.blank()
        src.blank()
        src.add(f'''
            class {model.name}QuerySet(models.QuerySet):
                """Chainable filters for {model.name}."""

                def search(self, term: str):
                    if not term:
                        return self
                    return self.filter(Q(name__icontains=term) | Q(reference__iexact=term) if hasattr(self.model, "reference") else Q(name__istartswith=term))

                def recent(self, days: int = 30):
                    since = timezone.now() - timedelta(days=days)
                    return self.filter({recent_field}__gte=since).order_by("-{recent_field}")
        ''')
        if active:
            src.blank()
            src.add(
                f"""
                def active(self):
                    return self.filter({active}=True)

                def inactive(self):
                    return self.filter({active}=False)
            """,
                indent=4,
            )
        fks = model.fks()
        if fks:
            src.blank()
            src.add(
                f"""
                def with_related(self):
                    return self.select_related({", ".join(f'"{f.name}"' for f in fks[:3])})
            """,
                indent=4,
            )
        if model.scalar(("m2m",)):
            src.blank()
            src.add(
                f'''
                def with_counts(self):
                    return self.annotate(link_count=Count("{model.scalar(("m2m",))[0].name}"))
            ''',
                indent=4,
            )
        if model.manager == "custom_manager":
            src.blank()
            src.blank()
            src.add(f'''
                class {model.name}Manager(models.Manager):
                    """The default manager of {model.name}: hides archived rows from the admin lists."""

                    def get_queryset(self):
                        return {model.name}QuerySet(self.model, using=self._db)

                    def search(self, term: str):
                        return self.get_queryset().search(term)

                    def create_default(self, **kwargs):
                        kwargs.setdefault("name", "{model.name} {app.rng.choice(WORDS)}")
                        return self.create(**kwargs)
            ''')
    return src


def gen_models_module(app: AppSpec, module: str, sink: list[Planted]) -> Src:
    models_here = [m for m in app.models if m.module == module]
    src = Src(f"{app.name}/models/{module}.py", sink)
    qs_imports = sorted(
        {f"{m.name}QuerySet" for m in models_here if m.manager != "default"}
        | {f"{m.name}Manager" for m in models_here if m.manager == "custom_manager"}
    )
    bases = sorted({m.base for m in models_here if m.base != "models.Model"})
    src.add(f'''
        """{module.capitalize()} models of the {app.name} app."""

        from decimal import Decimal

        from django.conf import settings
        from django.db import models
        from django.urls import reverse
        from django.utils import timezone
        from django.utils.translation import gettext_lazy as _
    ''')
    src.blank()
    if bases:
        src.add(f"from .base import {', '.join(bases)}")
    if qs_imports:
        src.add(f"from .querysets import {', '.join(qs_imports)}")
    for model in models_here:
        src.blank()
        src.blank()
        src.add(f'''
            class {model.name}({model.base}):
                """{article(model.name).capitalize()} {model.name.lower()} of the {app.name} app."""

                STATUS_DRAFT = "draft"
                STATUS_PUBLISHED = "published"
                STATUS_CHOICES = [(STATUS_DRAFT, _("Draft")), (STATUS_PUBLISHED, _("Published"))]

        ''')
        for f in model.fields:
            src.add(f"{f.name} = {field_code(f, app)}", indent=4)
        src.add(
            "status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=STATUS_DRAFT)",
            indent=4,
        )
        src.blank()
        if model.manager == "as_manager":
            src.add(f"objects = {model.name}QuerySet.as_manager()", indent=4)
        elif model.manager == "from_queryset":
            src.add(f"objects = models.Manager.from_queryset({model.name}QuerySet)()", indent=4)
        elif model.manager == "custom_manager":
            src.add(f"objects = {model.name}Manager()", indent=4)
            src.add("all_objects = models.Manager()", indent=4)
        src.blank()
        meta_base = "" if model.base == "models.Model" else f"({model.base}.Meta)"
        src.add(
            f'''
            class Meta{meta_base}:
                ordering = ["-pk"]
                verbose_name = _("{model.name.lower()}")
                verbose_name_plural = _("{plural(model.name.lower())}")
                indexes = [models.Index(fields=["status"])]

            def __str__(self) -> str:
                return self.name

            def get_absolute_url(self) -> str:
                return reverse("{app.name}:{model.url}-detail", kwargs={{"pk": self.pk}})

            @property
            def is_published(self) -> bool:
                return self.status == self.STATUS_PUBLISHED

            def publish(self, *, commit: bool = True) -> None:
                self.status = self.STATUS_PUBLISHED
                if commit:
                    self.save(update_fields=["status"])
        ''',
            indent=4,
        )
        decimals = model.scalar(("decimal",))
        if decimals:
            src.add(
                f"""

                def total_with_tax(self, rate: Decimal = Decimal("0.2")) -> Decimal:
                    return (self.{decimals[0].name} * (1 + rate)).quantize(Decimal("0.01"))
            """,
                indent=4,
            )
    return src


def gen_models_init(app: AppSpec, sink: list[Planted]) -> Src:
    src = Src(f"{app.name}/models/__init__.py", sink)
    src.add(f'"""The {app.name} models, re-exported so that ``{app.name}.models.X`` works."""')
    src.blank()
    names: list[str] = []
    for module in ("catalog", "core", "relations"):
        here = [m.name for m in app.models if m.module == module]
        names.extend(here)
        src.add(f"from .{module} import {', '.join(sorted(here))}")
    src.blank()
    src.add(f"__all__ = {sorted(names)!r}".replace("'", '"'))
    return src


def gen_app_boilerplate(app: AppSpec, sink: list[Planted]) -> list[Src]:
    out = []
    init = Src(f"{app.name}/__init__.py", sink)
    init.add(f'"""The {app.name} app."""')
    out.append(init)
    apps = Src(f"{app.name}/apps.py", sink)
    apps.add(f'''
        """App configuration of {app.name}: connects its signal receivers."""

        from django.apps import AppConfig


        class {app.name.title().replace("_", "")}Config(AppConfig):
            default_auto_field = "django.db.models.BigAutoField"
            name = "{app.name}"

            def ready(self) -> None:
                from . import signals  # noqa: F401
    ''')
    out.append(apps)
    constants = Src(f"{app.name}/constants.py", sink)
    constants.add(f'''
        """Constants of the {app.name} app."""

        PAGE_SIZE = {app.rng.choice((20, 25, 50))}
        MAX_EXPORT_ROWS = 10_000
        CACHE_TIMEOUT = 60 * {app.rng.randint(1, 15)}
        FEATURE_FLAGS = {{
            "{app.rng.choice(WORDS)}": True,
            "{app.rng.choice(WORDS)}_v2": False,
        }}
    ''')
    out.append(constants)
    return out


def gen_admin(app: AppSpec, sink: list[Planted]) -> Src:
    src = Src(f"{app.name}/admin.py", sink)
    src.add(f'''
        """Admin registrations for the {app.name} models."""

        from django.contrib import admin

        from .models import {", ".join(sorted(app.model_names()))}
    ''')
    for model in app.models:
        scal = [f.name for f in model.fields if f.kind not in ("m2m", "json", "text")][:4]
        fks = [f.name for f in model.fks() if f.kind != "user"]
        src.blank()
        src.blank()
        src.add(
            f"""
            @admin.register({model.name})
            class {model.name}Admin(admin.ModelAdmin):
                list_display = {(*scal, "status")!r}
                list_filter = ("status",)
                search_fields = ("name",)
        """.replace("'", '"')
        )
        if fks:
            src.add(f"raw_id_fields = {tuple(fks)!r}".replace("'", '"'), indent=4)
        src.add(
            """
            actions = ["mark_published"]

            @admin.action(description="Mark selected as published")
            def mark_published(self, request, queryset):
                updated = queryset.update(status="published")
                self.message_user(request, f"{updated} updated")
        """,
            indent=4,
        )
    return src


def gen_forms(app: AppSpec, sink: list[Planted]) -> Src:
    src = Src(f"{app.name}/forms.py", sink)
    src.add(f'''
        """Forms of the {app.name} app."""

        from django import forms
        from django.core.exceptions import ValidationError

        from .models import {", ".join(sorted(app.model_names()))}
        from .validators import validate_reference
    ''')
    for model in app.models:
        fields = [f.name for f in model.fields if f.kind not in ("json",)][:6]
        src.blank()
        src.blank()
        src.add(
            f"""
            class {model.name}Form(forms.ModelForm):
                class Meta:
                    model = {model.name}
                    fields = {fields!r}

                def clean_name(self):
                    name = self.cleaned_data["name"].strip()
                    if not name:
                        raise ValidationError("A name is required.")
                    validate_reference(name)
                    return name
        """.replace("'", '"')
        )
    src.blank()
    src.blank()
    src.add("""
        class SearchForm(forms.Form):
            q = forms.CharField(required=False, max_length=100)
            page = forms.IntegerField(required=False, min_value=1)
    """)
    return src


def gen_urls(app: AppSpec, sink: list[Planted], extra_async_views: list[str]) -> Src:
    src = Src(f"{app.name}/urls.py", sink)
    src.add(f'''
        """URLconf of the {app.name} app (namespace ``{app.name}``)."""

        from django.urls import path

        from . import views
        from .views import {"api, async_cbv, async_heavy, async_views, generic" if extra_async_views else "api, async_cbv, async_views, generic"}

        app_name = "{app.name}"

        urlpatterns = [
    ''')
    for model in app.models:
        u, n = model.url, model.name
        src.add(
            f'''
            path("{u}/", generic.{n}ListView.as_view(), name="{u}-list"),
            path("{u}/<int:pk>/", generic.{n}DetailView.as_view(), name="{u}-detail"),
            path("{u}/new/", generic.{n}CreateView.as_view(), name="{u}-create"),
            path("{u}/<int:pk>/edit/", generic.{n}UpdateView.as_view(), name="{u}-update"),
            path("{u}/<int:pk>/delete/", generic.{n}DeleteView.as_view(), name="{u}-delete"),
            path("{u}/table/", views.{model.lower}_table, name="{u}-table"),
            path("{u}/<int:pk>/summary/", async_views.{model.lower}_summary, name="{u}-summary"),
            path("{u}/feed/", async_views.{model.lower}_feed, name="{u}-feed"),
            path("api/{u}/<int:pk>/", async_cbv.{n}ApiView.as_view(), name="{u}-api"),
            path("api/{u}/", api.{model.lower}_collection, name="{u}-api-collection"),
        ''',
            indent=4,
        )
    for view in extra_async_views:
        src.add(
            f'path("heavy/{kebab(view)}/", async_heavy.{view}, name="heavy-{kebab(view)}"),',
            indent=4,
        )
    src.add("]")
    return src


def gen_validators(app: AppSpec, sink: list[Planted]) -> Src:
    src = Src(f"{app.name}/validators.py", sink)
    src.add(f'''
        """Field validators of the {app.name} app."""

        import re

        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext_lazy as _

        REFERENCE = re.compile(r"^[\\w .-]{{1,200}}$")


        def validate_reference(value: str) -> None:
            if not REFERENCE.match(value):
                raise ValidationError(_("%(value)s is not a valid reference"), params={{"value": value}})


        def validate_positive(value) -> None:
            if value is not None and value < 0:
                raise ValidationError(_("Must not be negative."))
    ''')
    return src


def gen_sync_views(app: AppSpec, sink: list[Planted]) -> Src:
    """Function views, sync: the sync ORM is correct here."""
    src = Src(f"{app.name}/views/pages.py", sink)
    src.add(f'''
        """Server-rendered function views of the {app.name} app (sync)."""

        from django.contrib import messages
        from django.contrib.auth import logout
        from django.contrib.auth.decorators import login_required
        from django.core.paginator import Paginator
        from django.db import transaction
        from django.http import HttpRequest, HttpResponse
        from django.shortcuts import get_object_or_404, redirect, render
        from django.views.decorators.http import require_POST

        from ..constants import PAGE_SIZE
        from ..forms import SearchForm
        from ..models import {", ".join(sorted(app.model_names()))}
    ''')
    for model in app.models:
        fks = [f.name for f in model.fks()][:2]
        related = (
            f".select_related({', '.join(repr(f) for f in fks)})".replace("'", '"') if fks else ""
        )
        src.blank()
        src.blank()
        src.add(f'''
            @login_required
            def {model.lower}_table(request: HttpRequest) -> HttpResponse:
                form = SearchForm(request.GET or None)
                queryset = {model.name}.objects.all(){related}.order_by("-pk")
                if form.is_valid() and form.cleaned_data["q"]:
                    queryset = queryset.filter(name__icontains=form.cleaned_data["q"])
                paginator = Paginator(queryset, PAGE_SIZE)
                page = paginator.get_page(request.GET.get("page"))
                return render(request, "{app.name}/{model.lower}_list.html", {{"page_obj": page, "form": form}})


            @login_required
            @require_POST
            def {model.lower}_publish(request: HttpRequest, pk: int) -> HttpResponse:
                with transaction.atomic():
                    obj = get_object_or_404({model.name}.objects.select_for_update(), pk=pk)
                    obj.publish()
                messages.success(request, f"{{obj}} published")
                return redirect(obj)
        ''')
    src.blank()
    src.blank()
    src.near(
        "logout-get",
        "logout() in a POST-only view",
        """
        @require_POST
        def sign_out(request: HttpRequest) -> HttpResponse:
            logout(request)
            return redirect("/")
    """,
    )
    return src


def gen_generic_views(app: AppSpec, sink: list[Planted]) -> Src:
    src = Src(f"{app.name}/views/generic.py", sink)
    src.add(f'''
        """Generic class-based views of the {app.name} app (sync)."""

        from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
        from django.urls import reverse_lazy
        from django.views.generic import CreateView, DeleteView, DetailView, ListView, UpdateView

        from ..constants import PAGE_SIZE
        from ..forms import {", ".join(sorted(f"{m}Form" for m in app.model_names()))}
        from ..models import {", ".join(sorted(app.model_names()))}
        from .mixins import OwnerQuerysetMixin, TitleMixin
    ''')
    for model in app.models:
        n, u = model.name, model.url
        fks = [f.name for f in model.fks()][:2]
        related = (
            f".select_related({', '.join(repr(f) for f in fks)})".replace("'", '"') if fks else ""
        )
        src.blank()
        src.blank()
        src.add(f'''
            class {n}ListView(LoginRequiredMixin, TitleMixin, ListView):
                model = {n}
                paginate_by = PAGE_SIZE
                title = "{plural(n)}"

                def get_queryset(self):
                    return super().get_queryset(){related}


            class {n}DetailView(LoginRequiredMixin, DetailView):
                model = {n}


            class {n}CreateView(LoginRequiredMixin, PermissionRequiredMixin, CreateView):
                model = {n}
                form_class = {n}Form
                permission_required = "{app.name}.add_{n.lower()}"


            class {n}UpdateView(LoginRequiredMixin, OwnerQuerysetMixin, UpdateView):
                model = {n}
                form_class = {n}Form


            class {n}DeleteView(LoginRequiredMixin, OwnerQuerysetMixin, DeleteView):
                model = {n}
                success_url = reverse_lazy("{app.name}:{u}-list")
        ''')
    return src


def gen_mixins(app: AppSpec, sink: list[Planted]) -> Src:
    src = Src(f"{app.name}/views/mixins.py", sink)
    src.add(f'''
        """View mixins of the {app.name} app."""

        from django.core.exceptions import PermissionDenied


        class TitleMixin:
            title = ""

            def get_context_data(self, **kwargs):
                context = super().get_context_data(**kwargs)
                context["title"] = self.title
                return context


        class OwnerQuerysetMixin:
            """Limit edits to rows the user created (staff see everything)."""

            def get_queryset(self):
                queryset = super().get_queryset()
                if self.request.user.is_staff:
                    return queryset
                if not hasattr(queryset.model, "created_by"):
                    return queryset
                return queryset.filter(created_by=self.request.user)

            def dispatch(self, request, *args, **kwargs):
                if not request.user.is_authenticated:
                    raise PermissionDenied
                return super().dispatch(request, *args, **kwargs)
    ''')
    return src


def async_view_body(
    src: Src, app: AppSpec, model: ModelSpec, rng: random.Random, planted_ok: bool, variant: int
) -> None:
    """One async function view; with probability RATE_ASYNC_SYNC_ORM it has a planted sync ORM call."""
    n, low = model.name, model.lower
    fks = [f for f in model.fks() if f.kind != "user"]
    related = f'.select_related("{fks[0].name}")' if fks else ""
    planted = planted_ok and rng.random() < RATE_ASYNC_SYNC_ORM
    if variant == 0:
        src.add(f'''
            async def {low}_summary(request: HttpRequest, pk: int) -> JsonResponse:
                """JSON summary of one {n.lower()}."""
        ''')
        if planted:
            src.plant(
                "sync-orm-in-async",
                "DJV3",
                "Manager.get() in async def",
                f"obj = {n}.objects{related}.get(pk=pk)",
                indent=4,
            )
        else:
            src.add(f"obj = await {n}.objects{related}.aget(pk=pk)", indent=4)
        src.add(
            """
            user = await request.auser()
            payload = {"id": obj.pk, "name": obj.name, "status": obj.status, "mine": user.is_authenticated}
        """,
            indent=4,
        )
        if fks:
            src.add(
                f'payload["{fks[0].name}"] = str(obj.{fks[0].name}) if obj.{fks[0].name}_id else None',
                indent=4,
            )
        src.add("return JsonResponse(payload)", indent=4)
    elif variant == 1:
        src.add(f'''
            async def {low}_feed(request: HttpRequest) -> JsonResponse:
                """The newest {plural(n.lower())} as JSON."""
                limit = min(int(request.GET.get("limit", 50)), 200)
                queryset = {n}.objects.order_by("-pk")[:limit]
        ''')
        if planted:
            src.plant(
                "sync-orm-in-async",
                "DJV3",
                "for loop over a QuerySet in async def",
                """
                items = []
                for obj in queryset:
                    items.append({"id": obj.pk, "name": obj.name})
            """,
                indent=4,
            )
        else:
            src.add(
                'items = [{"id": obj.pk, "name": obj.name} async for obj in queryset]', indent=4
            )
        src.add('return JsonResponse({"items": items, "count": len(items)})', indent=4)
    elif variant == 2:
        src.add(f'''
            async def {low}_touch(request: HttpRequest, pk: int) -> JsonResponse:
                """Mark one {n.lower()} as published (POST only)."""
                if request.method != "POST":
                    return JsonResponse({{"error": "POST required"}}, status=405)
                obj = await aget_object_or_404({n}, pk=pk)
                obj.status = {n}.STATUS_PUBLISHED
        ''')
        if planted:
            src.plant(
                "sync-orm-in-async",
                "DJV3",
                "Model.save() in async def",
                'obj.save(update_fields=["status"])',
                indent=4,
            )
        else:
            src.add('await obj.asave(update_fields=["status"])', indent=4)
        src.add('return JsonResponse({"ok": True})', indent=4)
    elif variant == 3:
        src.add(f'''
            async def {low}_stats(request: HttpRequest) -> JsonResponse:
                """Counts of {plural(n.lower())} by status."""
                queryset = {n}.objects.all()
        ''')
        if planted:
            src.plant(
                "sync-orm-in-async",
                "DJV3",
                "QuerySet.count() in async def",
                "total = queryset.count()",
                indent=4,
            )
        else:
            src.add("total = await queryset.acount()", indent=4)
        src.add(
            f"""
            published = await queryset.filter(status={n}.STATUS_PUBLISHED).acount()
            latest = await queryset.order_by("-pk").afirst()
            return JsonResponse({{"total": total, "published": published, "latest": latest.pk if latest else None}})
        """,
            indent=4,
        )
    else:
        src.add(f'''
            async def {low}_whoami(request: HttpRequest) -> JsonResponse:
                """Who is asking, and how many {plural(n.lower())} they may see."""
        ''')
        rest = f"""
            if not user.is_authenticated:
                return JsonResponse({{"user": None}}, status=401)
            visible = await {n}.objects.filter(status={n}.STATUS_PUBLISHED).acount()
            return JsonResponse({{"user": user.get_username(), "visible": visible}})
        """
        if planted:
            # The lazy request.user is loaded where it is first used: the block is the problem.
            src.plant(
                "sync-orm-in-async",
                "DJV3",
                "request.user (lazy) used in async def",
                "user = request.user\n" + textwrap.dedent(rest).strip("\n"),
                indent=4,
            )
        else:
            src.add("user = await request.auser()", indent=4)
            src.add(rest, indent=4)


def gen_async_views(app: AppSpec, sink: list[Planted]) -> Src:
    src = Src(f"{app.name}/views/async_views.py", sink)
    src.add(f'''
        """Async JSON views of the {app.name} app."""

        import json

        from asgiref.sync import sync_to_async
        from django.core.cache import cache
        from django.http import HttpRequest, JsonResponse
        from django.shortcuts import aget_object_or_404

        from ..models import {", ".join(sorted(app.model_names()))}
        from ..services import rebuild_{app.models[0].lower}_index
    ''')
    rng = app.rng
    for model in app.models:
        for variant in (0, 1, 2, 3, 4):
            src.blank()
            src.blank()
            async_view_body(src, app, model, rng, True, variant)
    first = app.models[0]
    src.blank()
    src.blank()
    src.near(
        "sync-orm-in-async",
        "sync ORM inside a nested def handed to sync_to_async",
        f"""
        async def rebuild(request: HttpRequest) -> JsonResponse:
            def _ids():
                return list({first.name}.objects.filter(status="draft").values_list("pk", flat=True))

            ids = await sync_to_async(_ids)()
            await sync_to_async(rebuild_{first.lower}_index)(ids)
            return JsonResponse({{"rebuilt": len(ids)}})
    """,
    )
    src.blank()
    src.blank()
    src.near(
        "sync-orm-in-async",
        "dict.get / request.GET.get / cache.aget are not queries",
        f'''
        async def cached_lookup(request: HttpRequest) -> JsonResponse:
            body = json.loads(request.body or b"{{}}")
            key = body.get("key") or request.GET.get("key", "default")
            value = await cache.aget(f"{app.name}:{{key}}")
            if value is None:
                obj = await {first.name}.objects.filter(name=key).afirst()
                value = obj.pk if obj else None
                await cache.aset(f"{app.name}:{{key}}", value, 60)
            return JsonResponse({{"key": key, "value": value}})
    ''',
    )
    return src


def gen_async_cbv(app: AppSpec, sink: list[Planted]) -> Src:
    src = Src(f"{app.name}/views/async_cbv.py", sink)
    src.add(f'''
        """Async class-based API views of the {app.name} app."""

        import json

        from django.http import HttpRequest, JsonResponse
        from django.shortcuts import aget_object_or_404
        from django.views import View
        from django.views.generic import CreateView, TemplateView

        from ..forms import {app.models[0].name}Form
        from ..models import {", ".join(sorted(app.model_names()))}
    ''')
    rng = app.rng
    for model in app.models:
        n = model.name
        planted = rng.random() < RATE_MIXED_CBV
        src.blank()
        src.blank()
        class_line = src.next_line
        src.add(f'''
            class {n}ApiView(View):
                """Read and update one {n.lower()} as JSON."""

                async def get(self, request: HttpRequest, pk: int) -> JsonResponse:
                    obj = await aget_object_or_404({n}, pk=pk)
                    return JsonResponse({{"id": obj.pk, "name": obj.name, "status": obj.status}})

        ''')
        if planted:
            src.plant(
                "mixed-cbv",
                "DJV2",
                "sync post next to async get",
                f"""
                def post(self, request: HttpRequest, pk: int) -> JsonResponse:
                    payload = json.loads(request.body or b"{{}}")
                    {n}.objects.filter(pk=pk).update(name=payload.get("name", ""))
                    return JsonResponse({{"ok": True}})
            """,
                indent=4,
                anchor=class_line,
            )
        else:
            src.add(
                f"""
                async def post(self, request: HttpRequest, pk: int) -> JsonResponse:
                    payload = json.loads(request.body or b"{{}}")
                    updated = await {n}.objects.filter(pk=pk).aupdate(name=payload.get("name", ""))
                    return JsonResponse({{"ok": bool(updated)}})

                async def delete(self, request: HttpRequest, pk: int) -> JsonResponse:
                    obj = await aget_object_or_404({n}, pk=pk)
                    await obj.adelete()
                    return JsonResponse({{}}, status=204)
            """,
                indent=4,
            )
    first = app.models[0].name
    src.blank()
    src.blank()
    src.add(f'''
        class DashboardView(TemplateView):
            """TemplateView defines only ``get``: an async ``get`` keeps the view consistent."""

            template_name = "{app.name}/dashboard.html"

            async def get(self, request: HttpRequest, *args, **kwargs):
                latest = [obj async for obj in {first}.objects.order_by("-pk")[:10]]
                return self.render_to_response({{"latest": latest}})
    ''')
    src.blank()
    src.blank()
    src.near(
        "mixed-cbv",
        "post is not in http_method_names, so Django ignores it",
        """
        class ReadOnlyPingView(View):
            http_method_names = ["get"]

            async def get(self, request: HttpRequest) -> JsonResponse:
                return JsonResponse({"pong": True})

            def post(self, request: HttpRequest) -> JsonResponse:  # unreachable: not an allowed method
                return JsonResponse({}, status=405)
    """,
    )
    if rng.random() < RATE_MIXED_CBV * 3:
        src.blank()
        src.blank()
        src.plant(
            "mixed-cbv",
            "DJV2",
            "async get on CreateView: inherited post/put stay sync",
            f'''
            class Quick{first}CreateView(CreateView):
                form_class = {first}Form
                template_name = "{app.name}/form.html"

                async def get(self, request: HttpRequest, *args, **kwargs):
                    return self.render_to_response({{"form": self.get_form()}})
        ''',
        )
    return src


def gen_api(app: AppSpec, sink: list[Planted]) -> Src:
    src = Src(f"{app.name}/views/api.py", sink)
    src.add(f'''
        """Collection endpoints of the {app.name} JSON API (async)."""

        import json

        from django.http import HttpRequest, JsonResponse
        from django.views.decorators.http import require_http_methods

        from ..models import {", ".join(sorted(app.model_names()))}
    ''')
    for model in app.models:
        n, low = model.name, model.lower
        src.blank()
        src.blank()
        src.add(f"""
            @require_http_methods(["GET", "POST"])
            async def {low}_collection(request: HttpRequest) -> JsonResponse:
                if request.method == "POST":
                    payload = json.loads(request.body or b"{{}}")
                    obj = await {n}.objects.acreate(name=payload.get("name", "unnamed"))
                    return JsonResponse({{"id": obj.pk}}, status=201)
                rows = [
                    {{"id": row["pk"], "name": row["name"]}}
                    async for row in {n}.objects.values("pk", "name").order_by("name")[:100]
                ]
                exists = await {n}.objects.filter(status="published").aexists()
                return JsonResponse({{"results": rows, "any_published": exists}})
        """)
    return src


def gen_views_init(app: AppSpec, sink: list[Planted]) -> Src:
    src = Src(f"{app.name}/views/__init__.py", sink)
    src.add('"""Views of the app; function views are re-exported for the URLconf."""')
    src.blank()
    names = []
    for model in app.models:
        names += [f"{model.lower}_table", f"{model.lower}_publish"]
    src.add(f"from .pages import {', '.join(sorted(names))}, sign_out")
    src.blank()
    src.add(f"__all__ = {[*sorted(names), 'sign_out']!r}".replace("'", '"'))
    return src


def gen_dashboard_and_exports(app: AppSpec, sink: list[Planted]) -> list[Src]:
    dash = Src(f"{app.name}/views/dashboard.py", sink)
    names = ", ".join(sorted(app.model_names()))
    dash.add(f'''
        """The {app.name} dashboard: counts per model, computed concurrently."""

        import asyncio

        from django.http import HttpRequest
        from django.template.response import TemplateResponse

        from ..models import {names}


        async def dashboard(request: HttpRequest) -> TemplateResponse:
            counts = await asyncio.gather(
    ''')
    for model in app.models:
        dash.add(f"{model.name}.objects.acount(),", indent=8)
    dash.add(
        f'''
            )
            labels = {[m.name for m in app.models]!r}
            context = {{"rows": list(zip(labels, counts))}}
            return TemplateResponse(request, "{app.name}/dashboard.html", context)
    '''.replace("'", '"'),
        indent=0,
    )
    exports = Src(f"{app.name}/views/exports.py", sink)
    exports.add(f'''
        """CSV exports of the {app.name} models (sync, streamed)."""

        import csv

        from django.contrib.admin.views.decorators import staff_member_required
        from django.http import StreamingHttpResponse

        from ..constants import MAX_EXPORT_ROWS
        from ..models import {names}


        class Echo:
            def write(self, value):
                return value
    ''')
    for model in app.models:
        cols = [f.name for f in model.fields if f.kind not in ("m2m", "json")][:5]
        exports.blank()
        exports.blank()
        exports.add(f'''
            @staff_member_required
            def export_{model.lower}(request):
                writer = csv.writer(Echo())
                rows = {model.name}.objects.values_list({", ".join(map(json.dumps, cols))}).iterator()
                header = {json.dumps(cols)}
                stream = (writer.writerow(row) for row in [header, *list(rows)[:MAX_EXPORT_ROWS]])
                response = StreamingHttpResponse(stream, content_type="text/csv")
                response["Content-Disposition"] = 'attachment; filename="{model.lower}.csv"'
                return response
        ''')
    return [dash, exports]


def gen_services(app: AppSpec, sink: list[Planted]) -> list[Src]:
    names = ", ".join(sorted(app.model_names()))
    services = Src(f"{app.name}/services.py", sink)
    services.add(f'''
        """Business operations of the {app.name} app (sync, transactional)."""

        import logging

        from django.db import transaction
        from django.db.models import F

        from .models import {names}

        log = logging.getLogger(__name__)
    ''')
    for model in app.models:
        services.blank()
        services.blank()
        services.add(f"""
            def rebuild_{model.lower}_index(ids=None) -> int:
                queryset = {model.name}.objects.all()
                if ids is not None:
                    queryset = queryset.filter(pk__in=ids)
                count = 0
                with transaction.atomic():
                    for obj in queryset.select_for_update():
                        obj.name = obj.name.strip()
                        obj.save(update_fields=["name"])
                        count += 1
                log.info("rebuilt %s {model.lower} rows", count)
                return count


            def archive_{model.lower}(pk: int) -> None:
                {model.name}.objects.filter(pk=pk).update(status="draft", pk=F("pk"))
        """)
    selectors = Src(f"{app.name}/selectors.py", sink)
    selectors.add(f'''
        """Read-only queries of the {app.name} app, shared by views and tasks."""

        from django.db.models import Count, Max, QuerySet

        from .models import {names}
    ''')
    for model in app.models:
        selectors.blank()
        selectors.blank()
        selectors.add(f"""
            def published_{model.lower}s() -> QuerySet:
                return {model.name}.objects.filter(status="published").order_by("-pk")


            def {model.lower}_stats() -> dict:
                return {model.name}.objects.aggregate(total=Count("pk"), newest=Max("pk"))
        """)
    tasks = Src(f"{app.name}/tasks.py", sink)
    tasks.add(f'''
        """Background jobs of the {app.name} app (run by a worker, sync)."""

        from celery import shared_task

        from . import services
    ''')
    for model in app.models[:5]:
        tasks.blank()
        tasks.blank()
        tasks.add(f"""
            @shared_task(bind=True, max_retries=3)
            def rebuild_{model.lower}s(self, ids=None):
                try:
                    return services.rebuild_{model.lower}_index(ids)
                except Exception as exc:  # retried with back-off
                    raise self.retry(exc=exc, countdown=30) from exc
        """)
    signals = Src(f"{app.name}/signals.py", sink)
    signals.add(f'''
        """Signal receivers of the {app.name} app."""

        from django.core.cache import cache
        from django.db.models.signals import post_delete, post_save
        from django.dispatch import receiver

        from .models import {names}
    ''')
    for model in app.models[:6]:
        signals.blank()
        signals.blank()
        signals.add(f'''
            @receiver([post_save, post_delete], sender={model.name})
            def forget_{model.lower}(sender, instance, **kwargs):
                cache.delete(f"{app.name}:{model.lower}:{{instance.pk}}")
        ''')
    return [services, selectors, tasks, signals]


def gen_misc(app: AppSpec, sink: list[Planted]) -> list[Src]:
    first = app.models[0]
    out = []
    utils = Src(f"{app.name}/utils.py", sink)
    utils.add(f'''
        """Small helpers of the {app.name} app."""

        from decimal import ROUND_HALF_UP, Decimal

        from django.utils.text import slugify


        def money(value) -> Decimal:
            return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


        def unique_slug(name: str, taken: set[str]) -> str:
            base = slugify(name) or "{app.name}"
            slug, counter = base, 2
            while slug in taken:
                slug, counter = f"{{base}}-{{counter}}", counter + 1
            return slug


        def chunked(items, size: int = 100):
            for start in range(0, len(items), size):
                yield items[start : start + size]
    ''')
    out.append(utils)
    perms = Src(f"{app.name}/permissions.py", sink)
    perms.add(f'''
        """Permission checks of the {app.name} app."""


        def can_edit(user, obj) -> bool:
            if not user.is_authenticated:
                return False
            if user.is_superuser:
                return True
            return getattr(obj, "created_by_id", None) == user.pk


        def can_publish(user) -> bool:
            return user.has_perm("{app.name}.change_{first.name.lower()}")
    ''')
    out.append(perms)
    middleware = Src(f"{app.name}/middleware.py", sink)
    middleware.add(f'''
        """Timing middleware of the {app.name} app (sync and async capable)."""

        import time

        from asgiref.sync import iscoroutinefunction, markcoroutinefunction


        class {app.name.title().replace("_", "")}TimingMiddleware:
            async_capable = True
            sync_capable = True

            def __init__(self, get_response):
                self.get_response = get_response
                if iscoroutinefunction(self.get_response):
                    markcoroutinefunction(self)

            def __call__(self, request):
                if iscoroutinefunction(self):
                    return self.__acall__(request)
                started = time.perf_counter()
                response = self.get_response(request)
                response["X-{app.name}-Time"] = f"{{time.perf_counter() - started:.4f}}"
                return response

            async def __acall__(self, request):
                started = time.perf_counter()
                response = await self.get_response(request)
                response["X-{app.name}-Time"] = f"{{time.perf_counter() - started:.4f}}"
                return response
    ''')
    out.append(middleware)
    ctx = Src(f"{app.name}/context_processors.py", sink)
    ctx.add(f'''
        """Template context of the {app.name} app."""

        from .constants import FEATURE_FLAGS


        def {app.name}_flags(request):
            return {{"{app.name}_flags": FEATURE_FLAGS}}
    ''')
    out.append(ctx)
    consumers = Src(f"{app.name}/consumers.py", sink)
    consumers.add(f'''
        """WebSocket consumers of the {app.name} app (Django Channels)."""

        from channels.db import database_sync_to_async
        from channels.generic.websocket import AsyncJsonWebsocketConsumer

        from .models import {first.name}


        class {first.name}Consumer(AsyncJsonWebsocketConsumer):
            async def connect(self):
                self.group = f"{app.name}-{{self.scope['url_route']['kwargs']['pk']}}"
                await self.channel_layer.group_add(self.group, self.channel_name)
                await self.accept()

            async def disconnect(self, code):
                await self.channel_layer.group_discard(self.group, self.channel_name)

    ''')
    consumers.near(
        "sync-orm-in-async",
        "sync ORM in a database_sync_to_async helper",
        f"""
        @database_sync_to_async
        def load(self, pk):
            return {first.name}.objects.get(pk=pk)
    """,
        indent=4,
    )
    consumers.blank()
    consumers.add(
        """
        async def receive_json(self, content, **kwargs):
            obj = await self.load(content["id"])
            await self.send_json({"id": obj.pk, "name": obj.name})
    """,
        indent=4,
    )
    out.append(consumers)
    feeds = Src(f"{app.name}/feeds.py", sink)
    feeds.add(f'''
        """RSS feed of published {plural(first.name.lower())}."""

        from django.contrib.syndication.views import Feed

        from .models import {first.name}


        class Latest{first.name}Feed(Feed):
            title = "{app.name}: latest"
            link = "/{app.name}/"

            def items(self):
                return {first.name}.objects.filter(status="published").order_by("-pk")[:20]

            def item_title(self, item):
                return item.name
    ''')
    out.append(feeds)
    tags_init = Src(f"{app.name}/templatetags/__init__.py", sink)
    tags_init.add("")
    out.append(tags_init)
    tags = Src(f"{app.name}/templatetags/{app.name}_tags.py", sink)
    tags.add(f'''
        """Template tags of the {app.name} app."""

        from django import template
        from django.utils.html import format_html

        register = template.Library()


        @register.simple_tag
        def status_badge(obj):
            css = "ok" if getattr(obj, "status", "") == "published" else "muted"
            return format_html('<span class="badge {{}}">{{}}</span>', css, obj.status)


        @register.filter
        def initials(value: str) -> str:
            return "".join(part[:1].upper() for part in str(value).split())


        @register.inclusion_tag("{app.name}/includes/pagination.html", takes_context=True)
        def paginate(context, page_obj):
            return {{"page_obj": page_obj, "request": context.get("request")}}
    ''')
    out.append(tags)
    for rel in ("management/__init__.py", "management/commands/__init__.py"):
        empty = Src(f"{app.name}/{rel}", sink)
        empty.add("")
        out.append(empty)
    for verb in ("rebuild", "prune"):
        cmd = Src(f"{app.name}/management/commands/{verb}_{app.name}.py", sink)
        cmd.add(f'''
            """``manage.py {verb}_{app.name}``."""

            from django.core.management.base import BaseCommand

            from ...models import {first.name}
            from ...services import rebuild_{first.lower}_index


            class Command(BaseCommand):
                help = "{verb.capitalize()} {app.name} data"

                def add_arguments(self, parser):
                    parser.add_argument("--dry-run", action="store_true")

                def handle(self, *args, dry_run=False, **options):
                    count = {first.name}.objects.count()
                    if dry_run:
                        self.stdout.write(f"would {verb} {{count}} rows")
                        return
                    done = rebuild_{first.lower}_index()
                    self.stdout.write(self.style.SUCCESS(f"{verb}: {{done}} of {{count}}"))
        ''')
        out.append(cmd)
    return out


def gen_migrations(app: AppSpec, earlier: list[AppSpec], sink: list[Planted]) -> list[Src]:
    out = []
    init = Src(f"{app.name}/migrations/__init__.py", sink)
    init.add("")
    out.append(init)
    deps_other = sorted(
        {
            f.target.split(".")[0]
            for m in app.models
            for f in m.fields
            if f.target and f.target.split(".")[0] not in (app.name, "auth")
        }
    )
    initial = Src(f"{app.name}/migrations/0001_initial.py", sink)
    initial.add("""
        # Generated by Django 5.2 on 2025-04-02 10:00

        import decimal

        import django.db.models.deletion
        import django.utils.timezone
        from django.conf import settings
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True

            dependencies = [
                migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    """)
    for other in deps_other:
        initial.add(f'("{other}", "0001_initial"),', indent=8)
    initial.add(
        """
            ]

            operations = [
    """,
        indent=4,
    )
    for model in app.models:
        initial.add(
            f'''
            migrations.CreateModel(
                name="{model.name}",
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
        ''',
            indent=8,
        )
        if model.base != "models.Model":
            initial.add(
                '("created", models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),',
                indent=16,
            )
            initial.add('("modified", models.DateTimeField(auto_now=True)),', indent=16)
        for f in model.fields:
            if f.kind == "m2m":
                continue
            code = (
                field_code(f, app)
                .replace("Decimal(", "decimal.Decimal(")
                .replace("timezone.now", "django.utils.timezone.now")
            )
            code = code.replace("models.CASCADE", "django.db.models.deletion.CASCADE").replace(
                "models.SET_NULL", "django.db.models.deletion.SET_NULL"
            )
            code = (
                code.replace('"' + f.target.split(".")[-1] + '"', f'"{f.target.lower()}"')
                if f.target and "." in f.target and f.kind != "user"
                else code
            )
            initial.add(f'("{f.name}", {code}),', indent=16)
        initial.add(
            '("status", models.CharField(choices=[("draft", "Draft"), ("published", "Published")], default="draft", max_length=16)),',
            indent=16,
        )
        initial.add(
            f'''
                ],
                options={{
                    "verbose_name": "{model.name.lower()}",
                    "verbose_name_plural": "{plural(model.name.lower())}",
                    "ordering": ["-pk"],
                }},
            ),
        ''',
            indent=8,
        )
    initial.add("]", indent=4)
    out.append(initial)
    previous = "0001_initial"
    rng = app.rng
    for number in range(2, 15):
        model = rng.choice(app.models)
        word = rng.choice(WORDS)
        name = f"{number:04d}_{model.lower}_{word}"
        mig = Src(f"{app.name}/migrations/{name}.py", sink)
        mig.add(f'''
            # Generated by Django 5.2 on 2025-05-{number:02d} 12:00

            from django.db import migrations, models


            def forwards(apps, schema_editor):
                {model.name} = apps.get_model("{app.name}", "{model.name}")
                {model.name}.objects.filter({word}_flag__isnull=True).update({word}_flag=False)


            class Migration(migrations.Migration):
                dependencies = [
                    ("{app.name}", "{previous}"),
                ]

                operations = [
                    migrations.AddField(
                        model_name="{model.name.lower()}",
                        name="{word}_flag",
                        field=models.BooleanField(default=False, null=True),
                    ),
                    migrations.RunPython(forwards, migrations.RunPython.noop),
                    migrations.AlterField(
                        model_name="{model.name.lower()}",
                        name="name",
                        field=models.CharField(max_length=200, verbose_name="{word} name"),
                    ),
                    migrations.AddIndex(
                        model_name="{model.name.lower()}",
                        index=models.Index(fields=["status"], name="{app.name[:8]}_{number}_{model.lower[:6]}_idx"),
                    ),
                ]
        ''')
        out.append(mig)
        previous = name
    return out


def gen_tests(app: AppSpec, sink: list[Planted]) -> list[Src]:
    out = []
    rng = app.rng
    names = ", ".join(sorted(app.model_names()))
    init = Src(f"{app.name}/tests/__init__.py", sink)
    init.add("")
    out.append(init)
    factories = Src(f"{app.name}/tests/factories.py", sink)
    factories.add(f'''
        """Test data builders for the {app.name} models."""

        from django.contrib.auth import get_user_model

        from ..models import {names}


        def make_user(username="alice", **extra):
            return get_user_model().objects.create_user(username=username, password="pw", **extra)
    ''')
    for model in app.models:
        factories.blank()
        factories.blank()
        factories.add(f'''
            def make_{model.lower}(**fields):
                fields.setdefault("name", "{model.name} {rng.choice(WORDS)}")
                return {model.name}.objects.create(**fields)
        ''')
    out.append(factories)
    base = Src(f"{app.name}/tests/base.py", sink)
    base.add(f'''
        """Shared test case of the {app.name} tests: a logged-in user."""

        from django.test import TestCase

        from .factories import make_user


        class LoggedInTestCase(TestCase):
            @classmethod
            def setUpTestData(cls):
                cls.user = make_user(is_staff=True)

            def setUp(self):
                self.client.force_login(self.user)
    ''')
    out.append(base)
    for model in app.models:
        t = Src(f"{app.name}/tests/test_{model.lower}.py", sink)
        fks_required = [f for f in model.fks() if not f.null and f.kind != "user"]
        t.add(f'''
            """Tests of the {model.name} model and its views."""

            from django.test import TransactionTestCase
            from django.urls import reverse

            from ..models import {model.name}
            from .base import LoggedInTestCase
            from .factories import make_{model.lower}


            class {model.name}ViewTests(LoggedInTestCase):
                def test_list(self):
                    response = self.client.get(reverse("{app.name}:{model.url}-list"))
                    self.assertEqual(response.status_code, 200)

                def test_table_search(self):
                    response = self.client.get(reverse("{app.name}:{model.url}-table"), {{"q": "x"}})
                    self.assertContains(response, "<table")

                def test_str(self):
                    self.assertEqual(str({model.name}(name="n")), "n")


            class {model.name}AsyncTests(TransactionTestCase):
                async def test_feed_is_json(self):
                    response = await self.async_client.get(reverse("{app.name}:{model.url}-feed"))
                    self.assertEqual(response.status_code, 200)
                    self.assertEqual(response.json()["count"], await {model.name}.objects.acount())
        ''')
        if not fks_required:
            t.blank()
            t.add(
                f'''
                async def test_summary(self):
                    obj = await {model.name}.objects.acreate(name="async")
                    response = await self.async_client.get(reverse("{app.name}:{model.url}-summary", args=[obj.pk]))
                    self.assertEqual(response.json()["name"], "async")
            ''',
                indent=4,
            )
            t.blank()
            t.add(
                f"""
                def test_factory(self):
                    self.assertTrue(make_{model.lower}().pk)
            """,
                indent=4,
            )
        out.append(t)
    auth = Src(f"{app.name}/tests/test_auth.py", sink)
    auth.add('''
        """Logging in and out of the app."""

        from django.urls import reverse

        from .base import LoggedInTestCase


        class LogoutTests(LoggedInTestCase):
    ''')
    auth.near(
        "logout-get",
        "logout with POST (the correct way)",
        """
        def test_logout_with_post(self):
            response = self.client.post(reverse("logout"))
            self.assertIn(response.status_code, (200, 302))
    """,
        indent=4,
    )
    if rng.random() < RATE_GET_LOGOUT_TEST:
        auth.blank()
        auth.add("def test_logout_link(self):", indent=4)
        auth.plant(
            "logout-get",
            "DJV1",
            "test client GET to the logout URL",
            'response = self.client.get(reverse("logout"))',
            indent=8,
        )
        auth.add("self.assertEqual(response.status_code, 200)", indent=8)
    auth.blank()
    auth.add(
        """
        def test_login_page(self):
            self.client.logout()
            response = self.client.get(reverse("login"))
            self.assertEqual(response.status_code, 200)
    """,
        indent=4,
    )
    out.append(auth)
    for topic in (
        "forms",
        "services",
        "signals",
        "urls",
        "commands",
        "admin",
        "templatetags",
        "api",
    ):
        t = Src(f"{app.name}/tests/test_{topic}.py", sink)
        first = app.models[0]
        t.add(f'''
            """Tests of the {app.name} {topic}."""

            from django.core.management import call_command
            from django.test import SimpleTestCase, TestCase
            from django.urls import resolve, reverse

            from .. import services
            from ..forms import {first.name}Form, SearchForm


            class {topic.title()}Tests(TestCase):
                def test_search_form_accepts_empty(self):
                    self.assertTrue(SearchForm({{}}).is_valid())

                def test_{first.lower}_form_requires_name(self):
                    form = {first.name}Form(data={{"name": ""}})
                    self.assertFalse(form.is_valid())

                def test_rebuild_empty(self):
                    self.assertEqual(services.rebuild_{first.lower}_index([]), 0)

                def test_command_dry_run(self):
                    call_command("rebuild_{app.name}", dry_run=True)


            class {topic.title()}UrlTests(SimpleTestCase):
                def test_resolves(self):
                    match = resolve(reverse("{app.name}:{first.url}-list"))
                    self.assertEqual(match.namespace, "{app.name}")
        ''')
        out.append(t)
    return out


def gen_heavy_module(app: AppSpec, sink: list[Planted]) -> tuple[Src, list[str]]:
    """The 2,000-line async-heavy views module the editor latency benchmark opens and edits."""
    rng = random.Random(f"heavy:{app.name}")
    src = Src(f"{app.name}/views/async_heavy.py", sink)
    src.add(f'''
        """Async-heavy views of the {app.name} app: API endpoints, streaming, fan-out, webhooks.

        This module is large on purpose: it is the file the editor-latency benchmark opens.
        """

        import asyncio
        import json
        import logging
        from datetime import timedelta

        from asgiref.sync import sync_to_async
        from django.core.cache import cache
        from django.db.models import Count, Q
        from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
        from django.shortcuts import aget_object_or_404
        from django.utils import timezone
        from django.views import View

        from ..models import {", ".join(sorted(app.model_names()))}
        from ..services import rebuild_{app.models[0].lower}_index

        log = logging.getLogger(__name__)
        PAGE = 50
    ''')
    views: list[str] = []
    counter = 0
    while len(src.lines) < HEAVY_MODULE_LINES - 40:
        model = app.models[counter % len(app.models)]
        n, low = model.name, model.lower
        kind = counter % 8
        counter += 1
        src.blank()
        src.blank()
        name = f"{low}_{['page', 'search', 'bulk', 'stream', 'fanout', 'webhook', 'detail', 'sync'][kind]}_{counter}"
        planted = rng.random() < 0.06
        class_line = src.next_line
        if kind == 7:
            src.add(f'''
                class {n}Resource{counter}(View):
                    """GET/PATCH/DELETE one {n.lower()}."""

                    async def get(self, request: HttpRequest, pk: int) -> JsonResponse:
                        obj = await aget_object_or_404({n}, pk=pk)
                        return JsonResponse({{"id": obj.pk, "name": obj.name}})

            ''')
            if planted:
                src.plant(
                    "mixed-cbv",
                    "DJV2",
                    "sync patch next to async get",
                    f"""
                    def patch(self, request: HttpRequest, pk: int) -> JsonResponse:
                        {n}.objects.filter(pk=pk).update(name=json.loads(request.body)["name"])
                        return JsonResponse({{"ok": True}})
                """,
                    indent=4,
                    anchor=class_line,
                )
            else:
                src.add(
                    f"""
                    async def patch(self, request: HttpRequest, pk: int) -> JsonResponse:
                        payload = json.loads(request.body or b"{{}}")
                        await {n}.objects.filter(pk=pk).aupdate(name=payload.get("name", ""))
                        return JsonResponse({{"ok": True}})

                    async def delete(self, request: HttpRequest, pk: int) -> JsonResponse:
                        obj = await aget_object_or_404({n}, pk=pk)
                        await obj.adelete()
                        return JsonResponse({{}}, status=204)
                """,
                    indent=4,
                )
            continue
        views.append(name)
        if kind == 0:
            src.add(f'''
                async def {name}(request: HttpRequest) -> JsonResponse:
                    """One page of {plural(n.lower())}, newest first."""
                    page = max(int(request.GET.get("page", 1)), 1)
                    start = (page - 1) * PAGE
                    queryset = {n}.objects.order_by("-pk")[start : start + PAGE]
                    rows = [{{"id": obj.pk, "name": obj.name, "status": obj.status}} async for obj in queryset]
                    total = await {n}.objects.acount()
                    return JsonResponse({{"page": page, "rows": rows, "total": total}})
            ''')
        elif kind == 1:
            src.add(f'''
                async def {name}(request: HttpRequest) -> JsonResponse:
                    """Search {plural(n.lower())} by name; cached for a minute."""
                    term = request.GET.get("q", "").strip()
                    key = f"{low}:search:{{term}}"
                    cached = await cache.aget(key)
                    if cached is not None:
                        return JsonResponse(cached)
                    queryset = {n}.objects.filter(Q(name__icontains=term) | Q(status=term))
            ''')
            if planted:
                src.plant(
                    "sync-orm-in-async",
                    "DJV3",
                    "list(queryset) in async def",
                    "found = list(queryset[:PAGE])",
                    indent=4,
                )
            else:
                src.add("found = [obj async for obj in queryset[:PAGE]]", indent=4)
            src.add(
                """
                result = {"results": [{"id": obj.pk, "name": obj.name} for obj in found]}
                await cache.aset(key, result, 60)
                return JsonResponse(result)
            """,
                indent=4,
            )
        elif kind == 2:
            src.add(f'''
                async def {name}(request: HttpRequest) -> JsonResponse:
                    """Create many {plural(n.lower())} from a JSON list."""
                    if request.method != "POST":
                        return JsonResponse({{"error": "POST required"}}, status=405)
                    payload = json.loads(request.body or b"[]")
                    objs = [{n}(name=item.get("name", "")) for item in payload if isinstance(item, dict)]
            ''')
            if planted:
                src.plant(
                    "sync-orm-in-async",
                    "DJV3",
                    "bulk_create() in async def",
                    f"created = {n}.objects.bulk_create(objs, batch_size=100)",
                    indent=4,
                )
            else:
                src.add(f"created = await {n}.objects.abulk_create(objs, batch_size=100)", indent=4)
            src.add(
                """
                log.info("created %d rows", len(created))
                return JsonResponse({"created": len(created)}, status=201)
            """,
                indent=4,
            )
        elif kind == 3:
            src.add(f'''
                async def {name}(request: HttpRequest) -> StreamingHttpResponse:
                    """Stream every {n.lower()} as JSON lines."""

                    async def rows():
                        async for obj in {n}.objects.order_by("pk").aiterator(chunk_size=500):
                            yield json.dumps({{"id": obj.pk, "name": obj.name}}) + "\\n"

                    return StreamingHttpResponse(rows(), content_type="application/x-ndjson")
            ''')
        elif kind == 4:
            other = app.models[(counter + 3) % len(app.models)]
            src.add(f'''
                async def {name}(request: HttpRequest) -> JsonResponse:
                    """Several counts at once."""
                    since = timezone.now() - timedelta(days=int(request.GET.get("days", 7)))
                    totals = await asyncio.gather(
                        {n}.objects.acount(),
                        {n}.objects.filter(status="published").acount(),
                        {other.name}.objects.acount(),
                    )
                    grouped = {n}.objects.values("status").annotate(n=Count("pk")).order_by("status")
                    by_status = {{row["status"]: row["n"] async for row in grouped}}
                    return JsonResponse({{"since": since.isoformat(), "totals": totals, "by_status": by_status}})
            ''')
        elif kind == 5:
            src.add(f'''
                async def {name}(request: HttpRequest) -> JsonResponse:
                    """Webhook: upsert a {n.lower()} by name."""
                    event = json.loads(request.body or b"{{}}")
                    name = event.get("name")
                    if not name:
                        return JsonResponse({{"error": "name missing"}}, status=400)
            ''')
            if planted:
                src.plant(
                    "sync-orm-in-async",
                    "DJV3",
                    "update_or_create() in async def",
                    f'obj, created = {n}.objects.update_or_create(name=name, defaults={{"status": "draft"}})',
                    indent=4,
                )
            else:
                src.add(
                    f'obj, created = await {n}.objects.aupdate_or_create(name=name, defaults={{"status": "draft"}})',
                    indent=4,
                )
            src.add(
                f"""
                if created:
                    await sync_to_async(rebuild_{app.models[0].lower}_index)([obj.pk])
                return JsonResponse({{"id": obj.pk, "created": created}})
            """,
                indent=4,
            )
        else:
            fks = [f for f in model.fks() if f.kind != "user"]
            src.add(f'''
                async def {name}(request: HttpRequest, pk: int) -> JsonResponse:
                    """One {n.lower()} with its related rows."""
            ''')
            if fks:
                src.add(
                    f'obj = await {n}.objects.select_related("{fks[0].name}").aget(pk=pk)', indent=4
                )
                src.add(
                    f"related = str(obj.{fks[0].name}) if obj.{fks[0].name}_id else None", indent=4
                )
            else:
                src.add(f"obj = await {n}.objects.aget(pk=pk)", indent=4)
                src.add("related = None", indent=4)
            src.add(
                """
                user = await request.auser()
                return JsonResponse({"id": obj.pk, "related": related, "viewer": user.get_username()})
            """,
                indent=4,
            )
    # Fill up to exactly HEAVY_MODULE_LINES with a route table, one view per line.
    src.blank()
    src.blank()
    src.add("# (path, view) pairs for an API index page")
    src.add("ROUTES = (")
    room = HEAVY_MODULE_LINES - len(src.lines) - 1
    for index in range(room):
        view = views[index % len(views)]
        src.add(f'("{kebab(view)}/{index // len(views) or ""}", {view}),', indent=4)
    src.add(")")
    return src, views


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------


def tpl_list(app: AppSpec, model: ModelSpec) -> str:
    cols = [f.name for f in model.fields if f.kind not in ("m2m", "json", "text")][:5]
    head = "\n".join(f'        <th>{{% translate "{c.replace("_", " ")}" %}}</th>' for c in cols)
    cells = "\n".join(f'        <td>{{{{ obj.{c}|default:"—" }}}}</td>' for c in cols)
    return f"""{{% extends "{app.name}/base_{app.name}.html" %}}
{{% load i18n {app.name}_tags %}}

{{% block title %}}{{% translate "{plural(model.name)}" %}}{{% endblock %}}

{{% block content %}}
<header class="page-header">
  <h1>{{% translate "{plural(model.name)}" %}}</h1>
  {{% if perms.{app.name}.add_{model.name.lower()} %}}
    <a class="button" href="{{% url '{app.name}:{model.url}-create' %}}">{{% translate "New" %}}</a>
  {{% endif %}}
</header>

<form method="get" class="search">
  {{{{ form.q }}}}
  <button type="submit">{{% translate "Search" %}}</button>
</form>

<table class="table">
  <thead>
    <tr>
{head}
        <th>{{% translate "Status" %}}</th>
        <th></th>
    </tr>
  </thead>
  <tbody>
  {{% for obj in page_obj %}}
    <tr class="{{% cycle 'odd' 'even' %}}">
{cells}
        <td>{{% status_badge obj %}}</td>
        <td><a href="{{{{ obj.get_absolute_url }}}}">{{% translate "Open" %}}</a></td>
    </tr>
  {{% empty %}}
    <tr><td colspan="{len(cols) + 2}">{{% translate "Nothing here yet." %}}</td></tr>
  {{% endfor %}}
  </tbody>
</table>

{{% paginate page_obj %}}
{{% endblock %}}
"""


def tpl_detail(app: AppSpec, model: ModelSpec) -> str:
    rows = "\n".join(
        f'  <dt>{f.name.replace("_", " ")}</dt><dd>{{{{ object.{f.name}|default:"—" }}}}</dd>'
        for f in model.fields
        if f.kind not in ("m2m",)
    )
    return f"""{{% extends "{app.name}/base_{app.name}.html" %}}
{{% load i18n {app.name}_tags %}}

{{% block title %}}{{{{ object }}}}{{% endblock %}}

{{% block content %}}
<article class="detail">
<h1>{{{{ object.name }}}} {{% status_badge object %}}</h1>
<dl>
{rows}
</dl>
<p class="meta">{{% blocktranslate with name=object.name %}}Last changed: {{{{ name }}}}{{% endblocktranslate %}}</p>
<nav class="actions">
  <a href="{{% url '{app.name}:{model.url}-update' object.pk %}}">{{% translate "Edit" %}}</a>
  <form method="post" action="{{% url '{app.name}:{model.url}-delete' object.pk %}}" class="inline">
    {{% csrf_token %}}
    <button type="submit" class="danger">{{% translate "Delete" %}}</button>
  </form>
</nav>
</article>
{{% endblock %}}
"""


def gen_templates(app: AppSpec, sink: list[Planted]) -> dict[str, str]:
    rng = app.rng
    files: dict[str, str] = {}
    t = f"{app.name}/templates/{app.name}"
    for model in app.models:
        files[f"{t}/{model.lower}_list.html"] = tpl_list(app, model)
        files[f"{t}/{model.lower}_detail.html"] = tpl_detail(app, model)
    files[f"{t}/base_{app.name}.html"] = f"""{{% extends "base.html" %}}
{{% load static %}}

{{% block extra_head %}}<link rel="stylesheet" href="{{% static '{app.name}/app.css' %}}">{{% endblock %}}
{{% block nav %}}{{% include "{app.name}/includes/nav.html" %}}{{% endblock %}}
"""
    links = "\n".join(
        f"    <li><a href=\"{{% url '{app.name}:{m.url}-list' %}}\">{plural(m.name)}</a></li>"
        for m in app.models
    )
    nav_path = f"{t}/includes/nav.html"
    nav_lines = [
        '<nav class="app-nav">',
        "  <ul>",
        *links.split("\n"),
        "  </ul>",
        "  {% if user.is_authenticated %}",
    ]
    if rng.random() < RATE_GET_LOGOUT_NAV:
        sink.append(
            Planted(
                nav_path, len(nav_lines) + 1, "logout-get", "DJV1", "GET link to the logout URL"
            )
        )
        nav_lines.append('    <a class="logout" href="{% url \'logout\' %}">Log out</a>')
    else:
        sink.append(
            Planted(nav_path, len(nav_lines) + 1, "logout-get", "", "logout as a POST form")
        )
        nav_lines += [
            '    <form method="post" action="{% url \'logout\' %}" class="inline">',
            "      {% csrf_token %}",
            '      <button type="submit" class="link">Log out</button>',
            "    </form>",
        ]
    nav_lines += [
        "  {% else %}",
        "    <a href=\"{% url 'login' %}?next={{ request.path|urlencode }}\">Log in</a>",
        "  {% endif %}",
        "</nav>",
    ]
    files[nav_path] = "\n".join(nav_lines) + "\n"
    files[f"{t}/includes/pagination.html"] = """{% if page_obj.has_other_pages %}
<nav class="pagination">
  {% if page_obj.has_previous %}<a href="?page={{ page_obj.previous_page_number }}">&laquo;</a>{% endif %}
  <span>{{ page_obj.number }} / {{ page_obj.paginator.num_pages }}</span>
  {% if page_obj.has_next %}<a href="?page={{ page_obj.next_page_number }}">&raquo;</a>{% endif %}
</nav>
{% endif %}
"""
    files[f"{t}/form.html"] = f"""{{% extends "{app.name}/base_{app.name}.html" %}}
{{% load i18n %}}
{{% block content %}}
<form method="post" novalidate>
  {{% csrf_token %}}
  {{{{ form.non_field_errors }}}}
  {{% for field in form %}}
    <div class="field{{% if field.errors %}} error{{% endif %}}">
      {{{{ field.label_tag }}}} {{{{ field }}}}
      {{% for error in field.errors %}}<p class="error">{{{{ error }}}}</p>{{% endfor %}}
    </div>
  {{% endfor %}}
  <button type="submit">{{% translate "Save" %}}</button>
</form>
{{% endblock %}}
"""
    files[f"{t}/email/notification.txt"] = f"""{{% load i18n %}}{{% autoescape off %}}
{{% blocktranslate %}}Hello {{{{ user }}}},{{% endblocktranslate %}}

{{% translate "Something changed in" %}} {app.name}:
{{% for item in items %}}  - {{{{ item.name }}}} ({{{{ item.status }}}})
{{% endfor %}}
{{{{ site_url }}}}{{% url '{app.name}:{app.models[0].url}-list' %}}
{{% endautoescape %}}
"""
    dashboard = f"""{{% extends "{app.name}/base_{app.name}.html" %}}
{{% block content %}}
<h1>{app.name}</h1>
<table>{{% for label, count in rows %}}<tr><th>{{{{ label }}}}</th><td>{{{{ count }}}}</td></tr>{{% endfor %}}</table>
<ul>{{% for obj in latest %}}<li>{{{{ obj }}}}</li>{{% endfor %}}</ul>
{{% endblock %}}
"""
    files[f"{t}/dashboard.html"] = dashboard
    if app.jinja:
        # Jinja2 apps keep some pages in jinja2/<app>/ (Django's Jinja2 backend looks there).
        j = f"{app.name}/jinja2/{app.name}"
        moved = [k for k in list(files) if k.endswith(("_detail.html",))][:4]
        for key in moved:
            del files[key]
            model_lower = key.rsplit("/", 1)[1].removesuffix("_detail.html")
            files[f"{j}/{model_lower}_card.html"] = f"""{{% extends "{app.name}/layout.html" %}}
{{% block content %}}
<article class="card">
  <h1>{{{{ object.name }}}}</h1>
  {{% for field, value in fields %}}<p><b>{{{{ field }}}}</b> {{{{ value|default("—") }}}}</p>{{% endfor %}}
  <a href="{{{{ url('{app.name}:{kebab("".join(p.title() for p in model_lower.split("_")))}-list') }}}}">back</a>
</article>
{{% endblock %}}
"""
        layout = [
            "<!doctype html>",
            "<html><head><title>{% block title %}" + app.name + "{% endblock %}</title></head>",
            "<body>",
            "<header>",
        ]
        if rng.random() < 0.5:
            sink.append(
                Planted(
                    f"{j}/layout.html",
                    len(layout) + 1,
                    "logout-get",
                    "DJV1",
                    "Jinja2 GET link to logout",
                )
            )
            layout.append("  <a href=\"{{ url('logout') }}\">Log out</a>")
        else:
            sink.append(
                Planted(
                    f"{j}/layout.html", len(layout) + 1, "logout-get", "", "Jinja2 logout POST form"
                )
            )
            layout += [
                '  <form method="post" action="{{ url(\'logout\') }}">',
                "    {{ csrf_input }}",
                "    <button>Log out</button>",
                "  </form>",
            ]
        layout += ["</header>", "{% block content %}{% endblock %}", "</body></html>"]
        files[f"{j}/layout.html"] = "\n".join(layout) + "\n"
    # Pad to 25 templates per app with partials (every real app grows a few).
    partial = 0
    while len(files) < 25:
        partial += 1
        model = app.models[partial % len(app.models)]
        files[f"{t}/includes/{model.lower}_row_{partial}.html"] = f"""{{% load {app.name}_tags %}}
<tr id="{model.url}-{{{{ obj.pk }}}}">
  <td>{{{{ obj.name|initials }}}}</td>
  <td>{{{{ obj.name }}}}</td>
  <td>{{% status_badge obj %}}</td>
</tr>
"""
    return files


def project_files(apps: list[AppSpec], sink: list[Planted]) -> dict[str, str]:
    files: dict[str, str] = {}
    installed = "\n".join(f'    "{a.name}",' for a in apps)
    files["manage.py"] = f'''#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{PROJECT}.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
'''
    files["requirements.txt"] = "Django==5.2.1\nchannels==4.2.0\ncelery==5.4.0\njinja2==3.1.4\n"
    files[f"{PROJECT}/__init__.py"] = ""
    files[f"{PROJECT}/settings.py"] = f'''"""Settings of the generated benchmark project."""

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
{installed}
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "{PROJECT}.urls"
ASGI_APPLICATION = "{PROJECT}.asgi.application"

TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        }},
    }},
    {{
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {{"environment": "{PROJECT}.jinja2.environment"}},
    }},
]

DATABASES = {{"default": {{"ENGINE": "django.db.backends.postgresql", "NAME": "bench"}}}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
STATIC_URL = "static/"
USE_TZ = True
'''
    files[
        f"{PROJECT}/jinja2.py"
    ] = '''"""The Jinja2 environment: Django's url() and static() as globals."""

from django.templatetags.static import static
from django.urls import reverse
from jinja2 import Environment


def url(name, *args, **kwargs):
    return reverse(name, args=args or None, kwargs=kwargs or None)


def environment(**options):
    env = Environment(**options)
    env.globals.update({"static": static, "url": url})
    return env
'''
    includes = "\n".join(
        f'    path("{a.name.replace("_", "-")}/", include("{a.name}.urls")),' for a in apps
    )
    files[
        f"{PROJECT}/urls.py"
    ] = f'''"""Root URLconf: Django's auth views (``logout`` is LogoutView), the admin, every app."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
{includes}
]
'''
    for name in ("asgi", "wsgi"):
        files[f"{PROJECT}/{name}.py"] = f'''"""{name.upper()} entry point."""

import os

from django.core.{name} import get_{name}_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{PROJECT}.settings")
application = get_{name}_application()
'''
    files["templates/base.html"] = """{% load static i18n %}<!doctype html>
<html lang="{{ LANGUAGE_CODE|default:'en' }}">
<head>
  <meta charset="utf-8">
  <title>{% block title %}Bench{% endblock %}</title>
  <link rel="stylesheet" href="{% static 'site.css' %}">
  {% block extra_head %}{% endblock %}
</head>
<body>
<header class="site">
  <a href="/">{% translate "Home" %}</a>
  {% if user.is_authenticated %}
    <span>{{ user.get_username }}</span>
    <form id="logout-form" method="post" action="{% url 'logout' %}">
      {% csrf_token %}
      <button type="submit">{% translate "Log out" %}</button>
    </form>
  {% endif %}
</header>
{% block nav %}{% endblock %}
<main>{% block content %}{% endblock %}</main>
</body>
</html>
"""
    form_line = (
        files["templates/base.html"]
        .split("\n")
        .index(next(x for x in files["templates/base.html"].split("\n") if "logout-form" in x))
        + 1
    )
    sink.append(
        Planted("templates/base.html", form_line, "logout-get", "", "site-wide POST logout form")
    )
    admin_lines = [
        '{% extends "admin/base.html" %}',
        "{% load i18n %}",
        "{% block branding %}<h1>Bench admin</h1>{% endblock %}",
        "{% block userlinks %}",
        "  <a href=\"{% url 'admin:password_change' %}\">{% translate 'Change password' %}</a> /",
    ]
    sink.append(
        Planted(
            "templates/admin/base_site.html",
            len(admin_lines) + 1,
            "logout-get",
            "DJV1",
            "admin userlinks GET link",
        )
    )
    admin_lines += [
        "  <a href=\"{% url 'admin:logout' %}\">{% translate 'Log out' %}</a>",
        "{% endblock %}",
    ]
    files["templates/admin/base_site.html"] = "\n".join(admin_lines) + "\n"
    files["templates/registration/login.html"] = """{% extends "base.html" %}
{% block content %}
<form method="post">{% csrf_token %}{{ form.as_p }}<button>Log in</button></form>
{% endblock %}
"""
    files["templates/registration/logged_out.html"] = """{% extends "base.html" %}
{% block content %}<p>You have been logged out. <a href="{% url 'login' %}">Log in again</a></p>{% endblock %}
"""
    files["templates/registration/password_change_done.html"] = """{% extends "base.html" %}
{% block content %}<p>Password changed.</p>{% endblock %}
"""
    files["static/site.css"] = (
        "body { font-family: sans-serif; }\n#logout-form { display: inline; }\n"
    )
    return files


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------


def app_files(
    app: AppSpec, earlier: list[AppSpec], sink: list[Planted], heavy: bool
) -> tuple[dict[str, str], str | None]:
    sources: list[Src] = []
    sources += gen_app_boilerplate(app, sink)
    sources.append(gen_models_init(app, sink))
    sources.append(gen_models_base(app, sink))
    sources.append(gen_querysets(app, sink))
    for module in ("core", "catalog", "relations"):
        sources.append(gen_models_module(app, module, sink))
    sources.append(gen_admin(app, sink))
    sources.append(gen_forms(app, sink))
    sources.append(gen_validators(app, sink))
    sources.append(gen_views_init(app, sink))
    sources.append(gen_sync_views(app, sink))
    sources.append(gen_generic_views(app, sink))
    sources.append(gen_mixins(app, sink))
    sources.append(gen_async_views(app, sink))
    sources.append(gen_async_cbv(app, sink))
    sources.append(gen_api(app, sink))
    sources += gen_dashboard_and_exports(app, sink)
    sources += gen_services(app, sink)
    sources += gen_misc(app, sink)
    sources += gen_migrations(app, earlier, sink)
    sources += gen_tests(app, sink)
    heavy_path = None
    heavy_views: list[str] = []
    if heavy:
        heavy_src, heavy_views = gen_heavy_module(app, sink)
        sources.append(heavy_src)
        heavy_path = heavy_src.path
    sources.append(gen_urls(app, sink, heavy_views))
    files = {s.path: s.text() for s in sources}
    files.update(gen_templates(app, sink))
    files[f"{app.name}/static/{app.name}/app.css"] = f".{app.name} table {{ width: 100%; }}\n"
    files[f"{app.name}/static/{app.name}/app.js"] = (
        f"document.documentElement.dataset.app = '{app.name}';\n"
    )
    return files, heavy_path


def generate(
    out: Path, scale: float, seed: int, *, force: bool = False, quiet: bool = False
) -> dict[str, object]:
    """Write the project to ``out`` (replacing an older one) and return its manifest."""
    napps = max(1, round(BASE_APPS * scale))
    manifest_path = out / MANIFEST
    if manifest_path.exists() and not force:
        existing = json.loads(manifest_path.read_text())
        if (
            existing.get("seed") == seed
            and existing.get("apps") == napps
            and existing.get("generator") == _generator_digest()
        ):
            if not quiet:
                print(f"{out}: up to date ({napps} apps, seed {seed})", file=sys.stderr)
            return dict(existing)
    if out.exists():
        if not (out / MANIFEST).exists() and any(out.iterdir()):
            raise SystemExit(
                f"{out} exists and is not a generated corpus; refusing to overwrite it"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)
    sink: list[Planted] = []
    apps: list[AppSpec] = []
    counts = {"python": 0, "templates": 0, "jinja2": 0, "other": 0, "python_lines": 0, "bytes": 0}
    heavy_module = None
    for index in range(napps):
        app = plan_app(index, seed, apps)
        files, heavy = app_files(app, apps, sink, heavy=index == 0)
        heavy_module = heavy_module or heavy
        _write(out, files, counts)
        apps.append(app)
    _write(out, project_files(apps, sink), counts)
    for planted in sink:
        planted.end_line = max(planted.end_line, planted.line)
        if planted.path.endswith((".html", ".txt")) and not planted.expect:
            planted.end_line = planted.line + 3  # a logout POST form spans four lines
    problems = [p for p in sink if p.expect]
    near = [p for p in sink if not p.expect]
    manifest: dict[str, object] = {
        "generator": _generator_digest(),
        "seed": seed,
        "scale": scale,
        "apps": napps,
        "models": sum(len(a.models) for a in apps),
        "files": counts,
        "latency_module": heavy_module,
        "latency_module_lines": HEAVY_MODULE_LINES,
        "planted": [p.__dict__ for p in problems],
        "near_misses": [p.__dict__ for p in near],
    }
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    if not quiet:
        fams: dict[str, int] = {}
        for p in problems:
            fams[p.family] = fams.get(p.family, 0) + 1
        print(
            f"{out}: {napps} apps, {manifest['models']} models, {counts['python']} Python files "
            f"({counts['python_lines']} lines), {counts['templates']} templates ({counts['jinja2']} Jinja2), "
            f"{counts['bytes'] / 1e6:.1f} MB; planted {fams}, {len(near)} near misses",
            file=sys.stderr,
        )
    return manifest


def _write(out: Path, files: dict[str, str], counts: dict[str, int]) -> None:
    for relative, text in files.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        counts["bytes"] += len(text.encode())
        if relative.endswith(".py"):
            counts["python"] += 1
            counts["python_lines"] += text.count("\n")
        elif "/jinja2/" in f"/{relative}":
            counts["jinja2"] += 1
            counts["templates"] += 1
        elif "/templates/" in f"/{relative}":
            counts["templates"] += 1
        else:
            counts["other"] += 1


def _generator_digest() -> str:
    import hashlib

    return hashlib.blake2b(Path(__file__).read_bytes(), digest_size=8).hexdigest()


def verify(out: Path) -> int:
    """Parse every generated Python file; returns the number of files that do not parse."""
    bad = 0
    for path in sorted(out.rglob("*.py")):
        try:
            ast.parse(path.read_text(encoding="utf-8"), str(path))
        except SyntaxError as exc:
            bad += 1
            print(f"{path}:{exc.lineno}: {exc.msg}", file=sys.stderr)
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "out",
        nargs="?",
        type=Path,
        default=DEFAULT_OUT,
        help=f"output directory (default: {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1 = 40 apps / 400 models / ~3,000 Python files"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--force", action="store_true", help="regenerate even when the manifest matches"
    )
    parser.add_argument(
        "--verify", action="store_true", help="ast.parse every generated file afterwards"
    )
    args = parser.parse_args(argv)
    generate(args.out.resolve(), args.scale, args.seed, force=args.force)
    if args.verify:
        bad = verify(args.out)
        if bad:
            print(f"{bad} generated files do not parse", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
