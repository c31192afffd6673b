"""Hostile files through the CLI: each gets a clear per-file message and the run goes on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from djvet.core.config import Settings
from djvet.core.project import ProjectIndex
from djvet.runner import Job, run_job

GOOD = "from django.views.generic import CreateView\n\n\nclass V(CreateView):\n    async def get(self, request):\n        return None\n"


def run_cli(cwd: Path, *args: str) -> tuple[int, dict]:
    out = subprocess.run(
        [sys.executable, "-m", "djvet", "check", "--format", "json", "--no-cache", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
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
        [
            sys.executable,
            "-m",
            "djvet",
            "check",
            "--fix",
            "--unsafe-fixes",
            "--no-cache",
            "app/latin1.py",
        ],
        cwd=project,
        capture_output=True,
        timeout=120,
    )
    assert path.read_bytes() == original


def test_file_deleted_between_index_and_check(project):
    index = ProjectIndex(project)
    index.scan()
    victim = project / "app/gone.py"
    victim.write_text(GOOD)
    job = Job(
        str(victim),
        "app/gone.py",
        __import__("djvet.core.types", fromlist=["SourceKind"]).SourceKind.PYTHON,
    )
    os.remove(victim)
    outcome = run_job(job, index, Settings(), "check", False)
    assert outcome.result is None and "No such file" in (outcome.error or "")


def test_directory_named_like_a_python_file_is_skipped(project):
    (project / "app/weird.py").mkdir()
    status, payload = run_cli(project)
    assert status == 1 and [f["path"] for f in payload["findings"]] == ["app/good.py"]


# ---------------------------------------------------------------------------------------------
# More hostile trees: unreadable files, nothing readable, a file vanishing mid-scan,
# positions after CR / CRLF / astral characters, non-UTF-8 templates, time bounds.
# ---------------------------------------------------------------------------------------------

TEMPLATE_LINK = "<p>😀 𝔘</p><a href=\"{% url 'logout' %}\">Log out</a>\n"
AUTH_URLS = (
    "from django.urls import include, path\n\n"
    'urlpatterns = [path("accounts/", include("django.contrib.auth.urls"))]\n'
)


def _unprivileged() -> list[str] | None:
    """A command prefix running as an unprivileged user (root reads every file regardless)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    probe = subprocess.run(
        [
            setpriv,
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-c",
            "import djvet",
        ],
        capture_output=True,
        timeout=60,
    )
    return (
        [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
        if probe.returncode == 0
        else None
    )


@pytest.fixture
def open_project():
    """A project in a directory any user may read (pytest's own tmp dirs are private)."""
    root = Path(tempfile.mkdtemp(prefix="djvet-hostile-"))
    root.chmod(0o755)
    (root / "manage.py").write_text("")
    (root / "app").mkdir()
    (root / "app/__init__.py").write_text("")
    (root / "app/good.py").write_text(GOOD)
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield root
    for path in root.rglob("*"):
        try:
            path.chmod(0o755 if path.is_dir() else 0o644)
        except OSError:
            pass
    shutil.rmtree(root, ignore_errors=True)


def test_unreadable_files_and_folders_are_reported_and_the_rest_checked(open_project) -> None:
    prefix = _unprivileged()
    if prefix is None:
        pytest.skip("no way to drop root privileges here")
    root = open_project
    (root / "app/secret.py").write_text(GOOD)
    (root / "app/secret.py").chmod(0o000)
    (root / "private").mkdir()
    (root / "private/views.py").write_text(GOOD)
    (root / "private").chmod(0o000)
    out = subprocess.run(
        [*prefix, sys.executable, "-m", "djvet", "check", "--format", "json", "--no-cache", "."],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
        env={k: v for k, v in os.environ.items() if k != "HOME"} | {"HOME": str(root)},
    )
    assert out.returncode == 1, out.stderr
    payload = json.loads(out.stdout)
    assert [f["path"] for f in payload["findings"]] == ["app/good.py"]
    assert any("ermission denied" in m for m in errors_for(payload, "secret.py"))
    assert any("ermission denied" in m for m in errors_for(payload, "private"))


def test_exit_2_only_when_nothing_could_be_read(project) -> None:
    bad = project / "bad"
    bad.mkdir()
    (bad / "nul.py").write_bytes(b"x = 1\x00\n")
    (bad / "huge.py").write_bytes(b"x = 1\n" * 1_800_000)
    status, payload = run_cli(project, "bad")
    assert status == 2
    assert len(payload["errors"]) == 2
    # One readable file with no finding beside them: the run succeeded.
    (bad / "fine.py").write_text("x = 1\n")
    status, payload = run_cli(project, "bad")
    assert status == 0 and payload["findings"] == [] and len(payload["errors"]) == 2


def test_a_file_deleted_while_the_index_is_built(project) -> None:
    """The index reads files one by one; one vanishing in between is skipped, not fatal."""
    for number in range(120):
        (project / f"app/m{number:03}.py").write_text(GOOD)
    index = ProjectIndex(project)

    def progress(done: int, total: int) -> None:
        victim = project / "app/m110.py"
        if victim.exists():
            victim.unlink()

    index.scan(progress=progress)
    assert str(project / "app/m109.py") in index.modules
    assert str(project / "app/m110.py") not in index.modules


@pytest.mark.parametrize(("name", "newline"), [("crlf", "\r\n"), ("cr", "\r"), ("lf", "\n")])
def test_positions_after_cr_crlf_and_astral_characters(project, name: str, newline: str) -> None:
    (project / "urls.py").write_text(AUTH_URLS)
    templates = project / "templates"
    templates.mkdir()
    (templates / f"{name}.html").write_bytes(
        ("<p>x</p>\n" + TEMPLATE_LINK).replace("\n", newline).encode()
    )
    (project / f"app/{name}.py").write_bytes(("# 😀𝔘\n" + GOOD).replace("\n", newline).encode())
    status, payload = run_cli(project)
    assert status == 1
    found = {(f["path"], f["code"]): (f["line"], f["column"]) for f in payload["findings"]}
    # 1-based lines, 1-based code-point columns: the emoji and 𝔘 count one each.
    assert found[(f"templates/{name}.html", "DJV101")] == (2, TEMPLATE_LINK.index("<a") + 1)
    assert found[(f"app/{name}.py", "DJV201")] == (5, 7)


def test_a_non_utf8_template_is_checked_with_a_warning(project) -> None:
    (project / "urls.py").write_text(AUTH_URLS)
    templates = project / "templates"
    templates.mkdir()
    (templates / "latin1.html").write_bytes(
        "<p>caf\xe9</p>\n".encode("latin-1") + TEMPLATE_LINK.encode()
    )
    status, payload = run_cli(project)
    assert status == 1
    assert ("templates/latin1.html", "DJV101") in {
        (f["path"], f["code"]) for f in payload["findings"]
    }
    assert any("not valid UTF-8" in m for m in errors_for(payload, "latin1.html"))


def test_hostile_templates_do_not_slow_the_run_down(project) -> None:
    (project / "urls.py").write_text(AUTH_URLS)
    templates = project / "templates"
    templates.mkdir()
    (templates / "long.html").write_text(TEMPLATE_LINK + "<p>" + "x" * 5_000_000 + "</p>")
    (templates / "braces.html").write_text(TEMPLATE_LINK + "{%" * 300_000)
    (templates / "deep.html").write_text(
        TEMPLATE_LINK + "{{ " + "(" * 5000 + " }}" + "<div>" * 50_000
    )
    (templates / "quotes.html").write_text(TEMPLATE_LINK + '<a href="' * 100_000)
    started = time.monotonic()
    status, payload = run_cli(project)
    elapsed = time.monotonic() - started
    assert status == 1
    found = sorted(f["path"] for f in payload["findings"] if f["code"] == "DJV101")
    assert found == [f"templates/{n}.html" for n in ("braces", "deep", "long", "quotes")]
    assert elapsed < 60, f"{elapsed:.0f} s"
