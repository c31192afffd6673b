"""The model knowledge djvet reads from the project index (core/django/models.py)."""

from __future__ import annotations

from djvet.core.django.models import DEFAULT_USER_MODEL, app_label_for, model_index
from djvet.core.project import in_memory_project

LIBRARY = """
from django.conf import settings
from django.db import models


class Stamped(models.Model):
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Owned(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="%(class)s_owned")

    class Meta:
        abstract = True


class BookQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)


class BookManager(models.Manager.from_queryset(BookQuerySet)):
    def recent(self):
        return self.order_by("-created")


PlainBookManager = models.Manager.from_queryset(BookQuerySet)


class Author(Stamped):
    name = models.CharField(max_length=100, unique=True)


class Book(Stamped, Owned):
    title = models.CharField(max_length=100)
    published = models.BooleanField(default=False)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    editor = models.ForeignKey("Author", on_delete=models.SET_NULL, null=True)
    tags = models.ManyToManyField("catalog.Tag")
    cover = models.OneToOneField("Cover", on_delete=models.CASCADE, null=True)
    hidden = models.ForeignKey("self", on_delete=models.CASCADE, null=True, related_name="+")

    objects = BookManager()
    plain = PlainBookManager()
    inline = models.Manager.from_queryset(BookQuerySet)()
    by_qs = BookQuerySet.as_manager()


class Cover(models.Model):
    url = models.CharField(max_length=200)


class Ebook(Book):
    size = models.IntegerField()
"""

CATALOG = """
from django.db import models
from library.models import Stamped


class Tag(Stamped):
    name = models.CharField(max_length=50)

    class Meta:
        app_label = "catalog"


class Shelf(models.Model):
    name = models.CharField(max_length=10)
"""


def index(extra: dict[str, str] | None = None):
    files = {"library/models.py": LIBRARY, "catalog/models.py": CATALOG, **(extra or {})}
    return model_index(in_memory_project(files, "/p"))


def test_models_across_apps_and_abstract_bases() -> None:
    models = index()
    assert models.model("library.models.Stamped").abstract
    assert not models.model("library.models.Book").abstract
    assert models.model("catalog.models.Tag").label == "catalog.Tag"
    assert models.model("library.models.Book").label == "library.Book"
    assert "library.models.BookQuerySet" not in models.models  # a QuerySet is not a model
    assert models.querysets == {"library.models.BookQuerySet"}
    assert models.managers == {"library.models.BookManager"}


def test_fields_are_inherited_from_abstract_and_concrete_bases() -> None:
    book = index().model("library.models.Book")
    assert {"created", "owner", "title", "author", "tags"} <= book.fields
    ebook = index().model("library.models.Ebook")
    assert {"created", "title", "author", "size"} <= ebook.fields


def test_relation_targets_by_reference_string_label_and_self() -> None:
    book = index().model("library.models.Book")
    assert book.relations["author"].target == "library.models.Author"
    assert book.relations["editor"].target == "library.models.Author"  # "Author": same app
    assert book.relations["tags"].target == "catalog.models.Tag"  # "catalog.Tag": app label
    assert book.relations["tags"].kind == "m2m"
    assert book.relations["cover"].kind == "o2o"
    assert book.relations["hidden"].target == "library.models.Book"  # "self"
    assert book.relations["owner"].target == DEFAULT_USER_MODEL  # settings.AUTH_USER_MODEL


def test_reverse_accessors() -> None:
    models = index()
    author = models.model("library.models.Author")
    assert author.reverse["books"].source == "library.models.Book"
    assert author.reverse["book_set"].field == "editor"  # default name: <model>_set
    assert models.model("catalog.models.Tag").reverse["book_set"].kind == "m2m"
    assert models.model("library.models.Cover").reverse["book"].kind == "o2o"  # reverse one-to-one
    assert "+" not in "".join(models.model("library.models.Book").reverse)  # related_name="+"
    assert "book_owned" in models.model(DEFAULT_USER_MODEL).reverse  # %(class)s expanded
    assert models.model("library.models.Book").reverse["ebook"].kind == "o2o"  # multi-table child


def test_managers() -> None:
    book = index().model("library.models.Book")
    assert book.default_manager == "objects"
    assert book.managers["objects"].manager_class == "library.models.BookManager"
    # From_queryset base
    assert book.managers["objects"].queryset_class == "library.models.BookQuerySet"
    # Module-level assignment
    assert book.managers["plain"].queryset_class == "library.models.BookQuerySet"
    # Inline from_queryset()
    assert book.managers["inline"].queryset_class == "library.models.BookQuerySet"
    assert book.managers["by_qs"].queryset_class == "library.models.BookQuerySet"  # as_manager()
    # The default
    assert index().model("library.models.Author").managers["objects"].manager_class is None
    assert set(index().model("library.models.Ebook").managers) >= {"objects", "by_qs"}  # inherited


def test_unique_checks_drive_full_clean() -> None:
    models = index()
    assert models.model("library.models.Author").has_unique_checks  # unique=True
    # Foreign keys validate with a query
    assert models.model("library.models.Book").has_unique_checks
    assert not models.model("catalog.models.Shelf").has_unique_checks


def test_user_model_default_and_from_settings() -> None:
    assert index().user_model == DEFAULT_USER_MODEL
    extra = {
        "accounts/models.py": "from django.contrib.auth.models import AbstractUser\n\n\nclass Member(AbstractUser):\n    pass\n",
        "site/settings.py": 'AUTH_USER_MODEL = "accounts.Member"\n',
    }
    models = index(extra)
    assert models.user_model == "accounts.models.Member"
    member = models.model("accounts.models.Member")
    assert {"groups", "user_permissions"} <= set(member.relations)  # from AbstractUser
    assert member.managers["objects"].builtin == "django.contrib.auth.models.UserManager"
    assert models.model("library.models.Book").relations["owner"].target == "accounts.models.Member"


def test_session_engine_setting() -> None:
    assert index().session_uses_db
    cookies = {
        "site/settings.py": 'SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"\n'
    }
    assert not index(cookies).session_uses_db
    cached_db = {
        "site/settings.py": 'SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"\n'
    }
    assert index(cached_db).session_uses_db


def test_token_changes_with_model_files_only() -> None:
    project = in_memory_project(
        {"library/models.py": LIBRARY, "catalog/models.py": CATALOG, "library/views.py": "x = 1\n"},
        "/p",
    )
    before = model_index(project).token
    project.update_text("/p/library/views.py", "x = 2\n")
    assert model_index(project).token == before  # a view edit keeps cached analyses valid
    project.update_text("/p/catalog/models.py", CATALOG + "\n# edited\n")
    assert model_index(project).token == before  # a comment changes no model
    project.update_text(
        "/p/catalog/models.py", CATALOG + "\n\nclass Extra(models.Model):\n    pass\n"
    )
    assert model_index(project).token != before
    assert "catalog.models.Extra" in model_index(project).models


def test_model_index_is_cached_per_generation() -> None:
    project = in_memory_project({"library/models.py": LIBRARY}, "/p")
    first = model_index(project)
    assert model_index(project) is first
    project.update_text("/p/library/views.py", "y = 1\n")
    rebuilt = model_index(project)
    assert rebuilt is not first  # a new module-level name: the interface changed
    assert set(rebuilt.models) == set(first.models)


def test_model_index_survives_edits_inside_function_bodies() -> None:
    views = "def helper(request):\n    return 1\n"
    project = in_memory_project({"library/models.py": LIBRARY, "library/views.py": views}, "/p")
    first = model_index(project)
    project.update_text("/p/library/views.py", views.replace("return 1", "x = 2\n    return x"))
    assert model_index(project) is first  # typing inside a function rebuilds no whole-index view
    project.update_text("/p/library/views.py", views + "\n\ndef other():\n    pass\n")
    assert model_index(project) is first  # nor does a new function (models are classes)
    project.update_text("/p/library/views.py", views + "\n\nclass Other:\n    pass\n")
    assert model_index(project) is not first  # a new class might be a model


def test_app_label() -> None:
    assert app_label_for("library.models") == "library"
    assert app_label_for("apps.library.models.books") == "library"
    assert app_label_for("library.entities") == "library"
