"""Hostile files through the CLI: each gets a clear per-file message and the run goes on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from djvet.core.config import Settings
from djvet.core.project import ProjectIndex
from djvet.runner import Job, run_job

GOOD = "from django.views.generic import CreateView\n\n\nclass V(CreateView):\n    async def get(self, request):\n        return None\n"


def run_cli(cwd: Path, *args: str) -> tuple[int, dict]:
    out = subprocess.run(
        [sys.executable, "-m", "djvet", "check", "--format", "json", "--no-cache", *args],
        cwd=cwd, capture_output=True, text=True, timeout=180,
    )
    return out.returncode, json.loads(out.stdout)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "manage.py").write_text("")
    (tmp_path / "app").mkdir()
    (tmp_path / "app/__init__.py").write_text("")
    (tmp_path / "app/good.py").write_text(GOOD)
    return tmp_path


def errors_for(payload: dict, name: str) -> list[str]:
    return [e["message"] for e in payload["errors"] if e["path"].endswith(name)]


def test_every_hostile_file_is_reported_and_the_good_one_still_checked(project):
    app = project / "app"
    (app / "latin1.py").write_bytes("# caf\xe9\n".encode("latin-1") + GOOD.encode())
    (app / "nul.py").write_bytes(b"x = 1\x00\n")
    (app / "huge.py").write_bytes(b"x = 1\n" * 1_800_000)  # 10.8 MB
    (app / "deep.py").write_text("x = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
    (app / "crlf.py").write_bytes(GOOD.replace("\n", "\r\n").encode())
    (app / "cr.py").write_bytes(GOOD.replace("\n", "\r").encode())
    (app / "bom.py").write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    (app / "tabs.py").write_text(GOOD.replace("    ", "\t"))
    (app / "emoji.py").write_text("# 😀𝔘🧪\n" + GOOD.replace("class V", "class Vü"))
    templates = project / "templates"
    templates.mkdir()
    (templates / "logo.html").write_bytes(bytes(range(256)) * 10)
    (templates / "long.html").write_text("<p>" + "x" * 5_000_000 + "</p>")
    (project / "loop").mkdir()
    (project / "loop/again").symlink_to(project / "loop")
    status, payload = run_cli(project)
    assert status == 1
    by_file = sorted({(f["path"], f["code"]) for f in payload["findings"]})
    assert by_file == [
        (f"app/{name}.py", "DJV201")
        for name in ("bom", "cr", "crlf", "emoji", "good", "latin1", "tabs")
    ]
    assert any("not valid UTF-8" in m for m in errors_for(payload, "latin1.py"))
    assert any("binary" in m for m in errors_for(payload, "nul.py"))
    assert any("larger than djvet checks" in m for m in errors_for(payload, "huge.py"))
    assert any("binary" in m for m in errors_for(payload, "logo.html"))
    emoji = next(f for f in payload["findings"] if f["path"] == "app/emoji.py")
    assert (emoji["line"], emoji["column"], emoji["end_column"]) == (5, 7, 9)
    bom = next(f for f in payload["findings"] if f["path"] == "app/bom.py")
    assert (bom["line"], bom["column"]) == (4, 7)


def test_lossy_file_is_never_rewritten(project):
    path = project / "app/latin1.py"
    original = "# caf\xe9\n".encode("latin-1") + GOOD.encode()
    path.write_bytes(original)
    subprocess.run(
        [sys.executable, "-m", "djvet", "check", "--fix", "--unsafe-fixes", "--no-cache", "app/latin1.py"],
        cwd=project, capture_output=True, timeout=120,
    )
    assert path.read_bytes() == original


def test_file_deleted_between_index_and_check(project):
    index = ProjectIndex(project)
    index.scan()
    victim = project / "app/gone.py"
    victim.write_text(GOOD)
    job = Job(str(victim), "app/gone.py", __import__("djvet.core.types", fromlist=["SourceKind"]).SourceKind.PYTHON)
    os.remove(victim)
    outcome = run_job(job, index, Settings(), "check", False)
    assert outcome.result is None and "No such file" in (outcome.error or "")


def test_directory_named_like_a_python_file_is_skipped(project):
    (project / "app/weird.py").mkdir()
    status, payload = run_cli(project)
    assert status == 1 and [f["path"] for f in payload["findings"]] == ["app/good.py"]
