"""The index leaves out the attribute values of Django migration classes in numbered migration
modules (no ``import`` statement can name them), and only those."""

from __future__ import annotations

from djvet.core.project import in_memory_project
from djvet.core.python.facts import Call, ClassInfo, Seq, Unknown

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
    pass


class Step(Migration):
    operations = [1, 2]
"""
    classes = _classes({"app/migrations/0004_z.py": text}, "app/migrations/0004_z.py")
    assert isinstance(classes["Step"].attrs["operations"], Seq)
