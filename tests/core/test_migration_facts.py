"""Numbered migration modules (no ``import`` statement can name them): without ``async`` or a
logout in their text the index keeps no facts of them and does not parse them; with one, it
leaves out the attribute values of their Django migration classes, and only those."""

from __future__ import annotations

from pathlib import Path

import pytest

from djvet.core import project as project_module
from djvet.core.project import ProjectIndex, in_memory_project
from djvet.core.python.facts import Call, ClassInfo, ModuleInfo, Seq, Unknown
from djvet.runner import extract_modules

MIGRATION = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [("books", "0001_initial")]
    operations = [
        migrations.AddField(model_name="book", name="x", field=models.BooleanField()),
    ]
    atomic: bool = False

    def helper(self):
        return 1


async def unused():  # makes the module one the index reads (see test_opaque_*)
    pass
"""


def _classes(files: dict[str, str], path: str) -> dict[str, ClassInfo]:
    project = in_memory_project(files)
    info = project.modules[f"/project/{path}"]
    return dict(info.classes)


def test_a_numbered_migration_keeps_its_attribute_names_not_their_values() -> None:
    classes = _classes({"books/migrations/0002_x.py": MIGRATION}, "books/migrations/0002_x.py")
    migration = classes["Migration"]
    assert set(migration.attrs) == {"initial", "dependencies", "operations", "atomic"}
    assert all(isinstance(v, Unknown) for v in migration.attrs.values())
    assert migration.bases == ("django.db.migrations.Migration",)
    assert set(migration.methods) == {"helper"}


def test_an_importable_module_with_a_migration_class_is_summarised_whole() -> None:
    # Importable by a statement: another module could read ``operations``.
    classes = _classes({"books/migrations/helpers.py": MIGRATION}, "books/migrations/helpers.py")
    operations = classes["Migration"].attrs["operations"]
    assert isinstance(operations, Seq)
    assert isinstance(operations.items[0], Call)
    assert operations.items[0].func == "django.db.migrations.AddField"


def test_other_classes_of_a_numbered_module_are_summarised_whole() -> None:
    text = (
        MIGRATION
        + """

class Book(models.Model):
    title = models.CharField(max_length=10)
"""
    )
    classes = _classes({"books/migrations/0003_y.py": text}, "books/migrations/0003_y.py")
    title = classes["Book"].attrs["title"]
    assert isinstance(title, Call) and title.func == "django.db.models.CharField"
    assert isinstance(classes["Migration"].attrs["operations"], Unknown)


def test_a_base_named_migration_that_is_not_djangos_is_summarised_whole() -> None:
    text = """
class Migration:
    async def step(self):
        pass


class Step(Migration):
    operations = [1, 2]
"""
    classes = _classes({"app/migrations/0004_z.py": text}, "app/migrations/0004_z.py")
    assert isinstance(classes["Step"].attrs["operations"], Seq)


# -- opaque migrations --------------------------------------------------------------------------

PLAIN_MIGRATION = """
from django.db import migrations, models


def forwards(apps, schema_editor):
    Book = apps.get_model("books", "Book")
    Book.objects.filter(x__isnull=True).update(x=False)


class Migration(migrations.Migration):
    dependencies = [("books", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
"""


def _module(files: dict[str, str], path: str) -> ModuleInfo:
    return in_memory_project(files).modules[f"/project/{path}"]


def test_a_numbered_migration_without_async_or_logout_is_indexed_without_facts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[str] = []
    real = project_module.parse_python

    def spy(text: str, path: str = "<document>") -> object:
        parsed.append(path)
        return real(text, path)

    monkeypatch.setattr(project_module, "parse_python", spy)
    info = _module({"books/migrations/0002_x.py": PLAIN_MIGRATION}, "books/migrations/0002_x.py")
    assert (info.classes, info.functions, info.imports, info.assignments) == ({}, {}, {}, {})
    assert info.module == "books.migrations.0002_x"
    assert info.mentions_django and not info.syntax_error
    assert parsed == []  # not parsed at all


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("books/migrations/0002_x.py", "\n\nasync def later():\n    pass\n"),
        ("books/migrations/0002_x.py", "\n# async data migration\n"),
        ("books/migrations/0002_x.py", "\n\ndef f(request):\n    logout(request)\n"),
        ("books/migrations/0002_x.py", "\nLOGIN = 'LogoutView'\n"),
        ("books/migrations/helpers.py", ""),  # importable
        ("books/0002_x.py", ""),  # not in a migrations package
        ("books/migrations/squash.py", ""),
        ("books/migrations/__init__.py", ""),
    ],
)
def test_other_modules_keep_their_facts(path: str, extra: str) -> None:
    info = _module({path: PLAIN_MIGRATION + extra}, path)
    assert "forwards" in info.functions
    assert "Migration" in info.classes


def test_the_cli_extraction_and_the_index_agree_on_opaque_migrations(tmp_path: Path) -> None:
    files = {
        "books/__init__.py": "",
        "books/migrations/__init__.py": "",
        "books/migrations/0002_x.py": PLAIN_MIGRATION,
        "books/migrations/0003_y.py": PLAIN_MIGRATION + "\n\nasync def f():\n    pass\n",
    }
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    paths = sorted(str(tmp_path / relative) for relative in files)
    extracted, trees = extract_modules(paths, tmp_path)
    index = ProjectIndex(tmp_path)
    index.scan()
    for key in paths:
        assert extracted[key][2].classes.keys() == index.modules[key].classes.keys(), key
        assert extracted[key][2].functions.keys() == index.modules[key].functions.keys(), key
    plain, with_async = (str(tmp_path / f"books/migrations/{n}.py") for n in ("0002_x", "0003_y"))
    assert extracted[plain][2].classes == {}
    assert "f" in extracted[with_async][2].functions
    assert plain not in trees


def test_typing_async_into_an_open_migration_gives_it_facts() -> None:
    project = in_memory_project({"books/migrations/0002_x.py": PLAIN_MIGRATION})
    key = "/project/books/migrations/0002_x.py"
    assert project.modules[key].functions == {}
    project.update_text(key, PLAIN_MIGRATION + "\n\nasync def f():\n    pass\n")
    assert {"forwards", "f"} <= set(project.modules[key].functions)
    project.update_text(key, PLAIN_MIGRATION)
    assert project.modules[key].functions == {}
    assert project.reread_text(key, PLAIN_MIGRATION)
    assert project.modules[key].functions == {}
