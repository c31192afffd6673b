"""The project index: cross-module resolution, re-exports, incremental updates, never executing code."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from djvet.core.project import (
    ProjectIndex,
    has_py_suffix,
    in_memory_project,
    is_excluded,
    walk_file_paths,
)
from djvet.core.python.facts import Call, Lit, Ref, Seq
from djvet.layout import DEFAULT_EXCLUDES

FILES = {
    "shop/__init__.py": "",
    "shop/models.py": (
        "from django.db import models\n"
        "class Base(models.Model):\n"
        "    class Meta:\n"
        "        abstract = True\n"
        "class Item(Base):\n"
        "    owner = models.ForeignKey('auth.User', on_delete=models.CASCADE, related_name='items')\n"
    ),
    "shop/views/__init__.py": "from .edit import ItemCreate\n",
    "shop/views/edit.py": (
        "from django.views import generic as g\n"
        "from ..models import Item\n"
        "class Mixin:\n"
        "    pass\n"
        "class ItemCreate(Mixin, g.CreateView):\n"
        "    model = Item\n"
        "    async def get(self, request):\n"
        "        pass\n"
        "    head = get\n"
    ),
    "shop/urls.py": (
        "from django.urls import path\n"
        "from . import views\n"
        "app_name = 'shop'\n"
        "urlpatterns = [path('new/', views.ItemCreate.as_view(), name='new')]\n"
        "urlpatterns += [path('x/', views.ItemCreate.as_view())]\n"
    ),
}


def test_classes_bases_and_methods_resolve_across_modules():
    index = in_memory_project(FILES)
    cls = index.resolve_class("shop.views.ItemCreate")  # via the package re-export
    assert cls is not None and cls.module == "shop.views.edit"
    assert cls.bases == ("shop.views.edit.Mixin", "django.views.generic.CreateView")
    assert cls.methods["get"].is_async and cls.methods["head"].alias_of == "get"
    assert cls.attrs["model"] == Ref("shop.models.Item")
    item = index.resolve_class("shop.models.Item")
    assert list(index.base_names(item)) == ["shop.models.Base", "django.db.models.Model"]
    assert index.resolve_class("shop.models.Base").meta == {"abstract": Lit(True)}


def test_urlpatterns_are_summarised_with_augmented_assignment():
    module = in_memory_project(FILES).find_module("shop.urls")
    patterns = module.assignments["urlpatterns"]
    assert isinstance(patterns, Seq) and len(patterns.items) == 2
    first = patterns.items[0]
    assert isinstance(first, Call) and first.func == "django.urls.path"
    assert first.kwarg("name") == Lit("new")
    assert first.args[1].func == "shop.views.ItemCreate.as_view"


def test_incremental_update_touches_only_the_changed_file():
    index = in_memory_project(FILES)
    before = {p: id(m) for p, m in index.modules.items()}
    generation = index.generation
    path = str(index.root / "shop/models.py")
    assert index.update_text(path, FILES["shop/models.py"]) is False  # same content: no work
    assert index.generation == generation
    assert index.update_text(path, FILES["shop/models.py"] + "class Extra(Item):\n    pass\n")
    assert index.generation == generation + 1
    after = {p: id(m) for p, m in index.modules.items()}
    assert [p for p in after if after[p] != before[p]] == [path]
    assert index.resolve_class("shop.models.Extra") is not None


def test_derived_views_rebuild_only_after_a_change():
    index = in_memory_project(FILES)
    calls = []
    index.derived("n", lambda: calls.append(1) or len(index.modules))
    index.derived("n", lambda: calls.append(1) or len(index.modules))
    assert len(calls) == 1
    index.update_text(str(index.root / "new.py"), "x = 1\n")
    assert index.derived("n", lambda: calls.append(1) or len(index.modules)) == 6
    assert len(calls) == 2


def test_remove_and_pickle_roundtrip():
    index = in_memory_project(FILES)
    index.remove(str(index.root / "shop/views/edit.py"))
    assert index.resolve_class("shop.views.ItemCreate") is None
    clone = pickle.loads(pickle.dumps(index))
    assert clone.resolve_class("shop.models.Item") is not None


def test_scan_reads_disk_without_executing_anything(tmp_path):
    marker = tmp_path / "executed"
    (tmp_path / "app").mkdir()
    (tmp_path / "app/models.py").write_text(
        f"open({str(marker)!r}, 'w').write('x')\nclass M: pass\n"
    )
    (tmp_path / "app/broken.py").write_bytes(b"\xff\xfe not utf8 \x00")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates/base.html").write_text("<p>hi</p>")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv/junk.py").write_text("class Hidden: pass\n")
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop/self").symlink_to(tmp_path / "loop")
    index = ProjectIndex(tmp_path)
    index.scan()
    assert not marker.exists()
    assert index.resolve_class("app.models.M") is not None
    assert index.resolve_class(".venv.junk.Hidden") is None
    assert str(tmp_path / "templates/base.html") in index.templates
    assert any("broken.py" in p for p in index.errors)


def test_exclude_globs():
    assert is_excluded("node_modules/x.py", ["node_modules"])
    assert is_excluded("app/migrations/0001.py", ["*/migrations/*"])
    assert is_excluded("legacy/a/b.py", ["legacy/**"])
    assert not is_excluded("app/views.py", ["legacy/**", "*.html"])


@given(
    st.lists(st.sampled_from(["a", ".", "py", "P", "Y", "x", "_"]), max_size=8).map("".join),
    st.sampled_from(["", "/dir/", "/d.py/", "rel/"]),
)
def test_has_py_suffix_is_paths_suffix_test(name: str, folder: str) -> None:
    path = f"{folder}{name}"
    if name in ("", ".", "..") or path.endswith("/"):
        return  # the walk yields file paths only
    assert has_py_suffix(path) == (Path(path).suffix == ".py")


def test_the_walk_yields_path_strings_of_the_files_the_index_reads(tmp_path: Path) -> None:
    for rel in ("a.py", "pkg/b.py", "pkg/templates/t.html", ".git/x.py", "venv/pyvenv.cfg",
                "venv/lib/c.py", ".py", "notes.txt"):  # fmt: skip
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n")
    found = list(walk_file_paths(tmp_path, tmp_path))
    assert all(isinstance(path, str) for path in found)
    relative = [os.path.relpath(path, tmp_path) for path in found]
    assert relative == [".py", "a.py", "notes.txt", "pkg/b.py", "pkg/templates/t.html"]
    index = ProjectIndex(tmp_path)
    index.scan(files=found)
    assert sorted(os.path.relpath(p, tmp_path) for p in index.modules) == ["a.py", "pkg/b.py"]
    assert [os.path.relpath(p, tmp_path) for p in index.templates] == ["pkg/templates/t.html"]


@pytest.mark.parametrize(
    "excludes",
    [(), ("legacy",), ("legacy/**",), ("*/migrations/*",), ("*.html", "build/"), ("a?c",)],
)
@pytest.mark.parametrize("start", ["", "app", "legacy", "legacy/deep", "node_modules/pkg"])
def test_the_walk_excludes_what_the_patterns_name_from_any_start(
    tmp_path: Path, excludes: tuple[str, ...], start: str
) -> None:
    """A folder's own name is tested on the way down (the start's path once), globs against
    the whole relative path: the walk yields exactly the files of a plain walk that
    ``is_excluded`` keeps."""
    for rel in ("a.py", "app/views.py", "app/migrations/0001_x.py", "app/t.html",
                "legacy/old.py", "legacy/deep/x.py", "build/out.py", "abc/y.py",
                "node_modules/pkg/z.py", "app/__pycache__/v.pyc"):  # fmt: skip
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    patterns = (*DEFAULT_EXCLUDES, *excludes)
    top = tmp_path / start
    expected = sorted(
        str(path)
        for path in top.rglob("*")
        if path.is_file() and not is_excluded(path.relative_to(tmp_path).as_posix(), patterns)
    )
    assert sorted(walk_file_paths(tmp_path, top, excludes)) == expected
