"""The CLI cache after an edit: findings with the cache equal findings without it.

Each case fills the cache, changes the tree, and compares a cached run with a ``--no-cache``
run. ``answers`` goes through the level-1 file (a replayed output, keyed by a fingerprint of
the tree); ``results`` deletes the answers first, so the level-2 index and results decide.
The cross-file cases also assert that the edit changed a finding in a file that was *not*
edited, so a cache that kept the old answer would fail them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

MODELS = """\
from django.db import models


class BookQuerySet(models.QuerySet):
    def stats(self):
        return self.aggregate(n=models.Count("id"))


class Book(models.Model):
    title = models.CharField(max_length=100)

    objects = BookQuerySet.as_manager()
"""
API = """\
from .models import Book


async def book_stats(request):
    return Book.objects.stats()
"""
VIEWS = """\
from django.contrib.auth import logout
from django.shortcuts import redirect


def bye(request):
    logout(request)
    return redirect("/")
"""
URLS = """\
from django.urls import include, path

from app import views

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("bye/", views.bye, name="bye"),
]
"""
LEAF = """\
async def ping(request):
    return None
"""
BASE = """<a href="{% url 'logout' %}">Log out</a>\n"""

BEFORE = [
    ("app/api.py", "DJV301"),  # the QuerySet method runs aggregate(): a query (models.py)
    ("app/views.py", "DJV103"),  # a routed view that logs out on GET (project/urls.py)
    ("templates/base.html", "DJV101"),  # a GET link to auth's LogoutView (project/urls.py)
]


def run(root: Path, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "djvet", "check", "--format", "json", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "DJVET_CACHE_DIR"},
    )
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def codes(payload: dict) -> list[tuple[str, str]]:
    return [(f["path"], f["code"]) for f in payload["findings"]]


def write(path: Path, text: str) -> None:
    """Write and move the mtime clearly forward (a coarse clock must not hide the edit)."""
    old = path.stat().st_mtime_ns if path.exists() else 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    mtime = max(path.stat().st_mtime_ns, old + 2_000_000_000)
    os.utime(path, ns=(mtime, mtime))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "manage.py").write_text("")
    for relative, text in {
        "app/__init__.py": "",
        "app/models.py": MODELS,
        "app/api.py": API,
        "app/views.py": VIEWS,
        "app/leaf.py": LEAF,
        "project/__init__.py": "",
        "project/urls.py": URLS,
        "templates/base.html": BASE,
    }.items():
        write(tmp_path / relative, text)
    return tmp_path


def edit_model(root: Path) -> None:
    # stats() becomes a lazy filter: the call in app/api.py no longer queries.
    write(
        root / "app/models.py",
        MODELS.replace('self.aggregate(n=models.Count("id"))', 'self.filter(title="x")'),
    )


def edit_urls(root: Path) -> None:
    # No auth URLs and no route to bye(): the template link and the view are fine now.
    write(
        root / "project/urls.py",
        'from django.urls import path\n\nurlpatterns = [\n    path("", lambda r: None),\n]\n',
    )


def edit_leaf(root: Path) -> None:
    write(
        root / "app/leaf.py",
        "from .models import Book\n\n\nasync def ping(request):\n    return Book.objects.get(pk=1)\n",
    )


def delete_models(root: Path) -> None:
    (root / "app/models.py").unlink()


def add_module(root: Path) -> None:
    write(root / "app/more.py", API.replace("book_stats", "more_stats"))


def edit_template(root: Path) -> None:
    write(
        root / "templates/base.html",
        '<form method="post" action="{% url \'logout\' %}">{% csrf_token %}<button>Out</button></form>\n',
    )


# (edit, the findings after it): the model, urls.py and deletion cases change the findings of
# files that were not edited (app/api.py, app/views.py, templates/base.html).
CASES: dict[str, tuple[Callable[[Path], None], list[tuple[str, str]]]] = {
    "edited model": (edit_model, BEFORE[1:]),
    "edited urls.py": (edit_urls, [BEFORE[0]]),
    "edited leaf": (edit_leaf, [BEFORE[0], ("app/leaf.py", "DJV301"), *BEFORE[1:]]),
    "deleted model file": (delete_models, BEFORE[1:]),
    "added module": (add_module, [BEFORE[0], ("app/more.py", "DJV301"), *BEFORE[1:]]),
    "edited template": (edit_template, BEFORE[:2]),
}


@pytest.mark.parametrize("level", ["answers", "results"])
@pytest.mark.parametrize("case", list(CASES))
def test_cached_run_after_an_edit_equals_an_uncached_run(project: Path, case: str, level: str):
    edit, expected = CASES[case]
    assert codes(run(project)) == BEFORE  # fills the cache
    assert codes(run(project)) == BEFORE  # and answers from it
    assert list((project / ".djvet_cache").glob("answers-*.pickle"))
    if level == "results":
        for answer in (project / ".djvet_cache").glob("answers-*.pickle"):
            answer.unlink()
    edit(project)
    cached = run(project)
    assert cached == run(project, "--no-cache")
    assert codes(cached) == expected
    assert codes(run(project)) == expected  # the answer written after the edit is right too


def test_an_unchanged_tree_replays_the_answer_without_analysing(project: Path):
    """Proof that the warm run answers from the level-1 file: its recorded output is replayed."""
    first = run(project)
    (answer,) = (project / ".djvet_cache").glob("answers-*.pickle")
    for level2 in (project / ".djvet_cache").glob("*.results.pickle"):
        level2.unlink()  # the level-2 results are not even needed
    assert run(project) == first
    assert answer.exists()


def test_the_replay_imports_no_analysis_module(project: Path):
    """The warm path is cheap because it loads neither the index nor the rules, nor rich."""
    first = run(project)
    script = (
        "import sys\n"
        "from djvet.cli import main\n"
        "code = main(['check', '--format', 'json'])\n"
        "loaded = [m for m in sys.modules if m.startswith(('djvet.core', 'djvet.rules', 'rich'))]\n"
        "print(repr(loaded), file=sys.stderr)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "DJVET_CACHE_DIR"},
    )
    assert json.loads(out.stdout) == first
    assert out.stderr.strip() == "[]"


def test_output_format_has_its_own_answer(project: Path):
    assert codes(run(project)) == BEFORE
    text = subprocess.run(
        [sys.executable, "-m", "djvet", "check", "--no-color"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "app/api.py:5:12: DJV301" in text.stdout
    assert len(list((project / ".djvet_cache").glob("answers-*.pickle"))) == 2


def test_a_changed_flag_is_not_answered_from_another_commands_answer(project: Path):
    assert codes(run(project)) == BEFORE
    assert codes(run(project, "--ignore", "DJV301")) == BEFORE[1:]
    assert codes(run(project, "--select", "DJV101")) == [BEFORE[2]]
    assert codes(run(project)) == BEFORE


def test_a_virtualenv_gaining_django_changes_the_answer(project: Path):
    """The Django version is read from ``.venv``; a new install there must not be missed."""
    (project / ".venv").mkdir()
    (project / ".venv/pyvenv.cfg").write_text("home = /usr/bin\n")
    site = project / ".venv/lib/python3.11/site-packages"
    site.mkdir(parents=True)
    (site / "django-4.2.dist-info").mkdir()
    first = run(project)
    assert first["django_version"] == "4.2"
    (site / "django-4.2.dist-info").rmdir()
    (site / "django-5.1.dist-info").mkdir()
    assert run(project)["django_version"] == "5.1"


def test_cache_root_finder_matches_config(tmp_path: Path):
    from djvet.cache import SKIPPED_DIRS
    from djvet.layout import DEFAULT_EXCLUDES, ROOT_MARKERS, find_project_root
    from djvet.layout import find_project_root as find_root

    assert SKIPPED_DIRS <= set(DEFAULT_EXCLUDES)  # the fingerprint may skip only what walks skip
    nested = tmp_path / "a/b/c"
    nested.mkdir(parents=True)
    (nested / "x.py").write_text("")
    layouts = [(), ("a/manage.py",), ("a/b/pyproject.toml",), ("setup.cfg",), ("a/b/c/.git",)]
    for markers in layouts:
        for marker in ROOT_MARKERS:
            for found in tmp_path.rglob(marker):
                found.unlink() if found.is_file() else found.rmdir()
        for marker in markers:
            target = tmp_path / marker
            target.mkdir() if marker.endswith(".git") else target.write_text("")
        for paths, cwd in (
            ([Path("x.py")], nested),
            ([nested / "x.py"], tmp_path),
            ([Path(".")], tmp_path / "a"),
        ):
            assert find_root(paths, cwd) == find_project_root(paths, cwd), (markers, paths)


def test_an_edit_no_other_file_can_see_rechecks_only_that_file(project: Path):
    """A trailing comment in models.py leaves its facts equal: the other results are reused."""
    assert codes(run(project)) == BEFORE
    # api.py changes behind the cache's back (same size, same mtime): only a reused result
    # still shows its finding.
    api = project / "app/api.py"
    stat = api.stat()
    api.write_text(API.replace("Book.objects.stats()", "Book.objects.xxxxx()"))
    os.utime(api, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    write(project / "app/models.py", MODELS + "# a trailing comment\n")
    assert codes(run(project)) == BEFORE
    # A change the other files can see re-checks them: api.py's real content counts again.
    write(project / "app/models.py", MODELS.replace("n=models.Count", "total=models.Count"))
    assert codes(run(project)) == BEFORE[1:]
    assert run(project) == run(project, "--no-cache")


def test_a_settings_module_edit_rechecks_everything(project: Path):
    """``TEMPLATES`` is read from the settings text, so its module is never a local edit."""
    settings = project / "project/settings.py"
    write(
        settings, 'TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates"}]\n'
    )
    assert codes(run(project)) == BEFORE
    base = project / "templates/base.html"
    stat = base.stat()
    # No logout link any more, behind the cache's back (same size, same mtime): only a
    # reused result would still report it.
    base.write_text("<p>" + "x" * (len(BASE) - 8) + "</p>\n")
    os.utime(base, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    write(settings, settings.read_text() + "# comment\n")
    cached = run(project)
    assert codes(cached) == BEFORE[:2]
    assert cached == run(project, "--no-cache")
