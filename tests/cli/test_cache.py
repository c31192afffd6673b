"""The CLI's result cache: reused on an unchanged tree, invalidated by any cross-file change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = (
    "from .base import Base\n\n\n"
    "class Child(Base):\n"
    "    async def get(self, request):\n"
    "        return None\n"
)


def djvet(*args: str, cwd: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "djvet", "check", "--format", "json", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "manage.py").write_text("")
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "base.py").write_text(
        "from django.views.generic import FormView\n\nclass Base(FormView):\n    pass\n"
    )
    (app / "child.py").write_text(CHILD)
    return tmp_path


def codes(payload: dict) -> list[tuple[str, str]]:
    return [(f["path"], f["code"]) for f in payload["findings"]]


def test_cache_is_written_and_reused_for_unchanged_stamps(project):
    first = djvet(cwd=project)
    assert codes(first) == [("app/child.py", "DJV201")]
    assert list((project / ".djvet_cache").glob("*.pickle"))
    # Same size, same mtime, different content: only a cache hit can still report the old finding.
    child = project / "app/child.py"
    stat = child.stat()
    child.write_text(CHILD.replace("async def get", "def       get"))
    os.utime(child, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert child.stat().st_size == stat.st_size
    assert codes(djvet(cwd=project)) == [("app/child.py", "DJV201")]
    # --no-cache reads the real content.
    assert codes(djvet("--no-cache", cwd=project)) == []


def test_a_change_in_another_module_invalidates_every_result(project):
    assert codes(djvet(cwd=project)) == [("app/child.py", "DJV201")]
    (project / "app/base.py").write_text(
        "from django.views import View\n\nclass Base(View):\n    pass\n"
    )
    assert (
        codes(djvet(cwd=project)) == []
    )  # child.py unchanged, but its base lost its sync handlers


def test_changed_settings_use_a_separate_cache(project):
    assert codes(djvet(cwd=project)) == [("app/child.py", "DJV201")]
    assert codes(djvet("--ignore", "DJV201", cwd=project)) == []
    assert codes(djvet(cwd=project)) == [("app/child.py", "DJV201")]


def test_a_base_gaining_sync_handlers_adds_a_finding_in_an_unchanged_module(project):
    """The cached run must re-read the changed module (not drop it) and re-check the others."""
    (project / "app/base.py").write_text(
        "from django.views import View\n\nclass Base(View):\n    pass\n"
    )
    assert codes(djvet(cwd=project)) == []
    (project / "app/base.py").write_text(
        "from django.views.generic import FormView\n\nclass Base(FormView):\n    pass\n"
    )
    assert codes(djvet(cwd=project)) == [("app/child.py", "DJV201")]
    assert codes(djvet(cwd=project)) == codes(djvet("--no-cache", cwd=project))
