"""Start djvet's language server with the copy of djvet bundled in the VS Code extension.

The extension runs ``<python> bundled/tool/server.py`` for ``djvet.importStrategy: useBundled``
(and in untrusted workspaces). The copy ships as one archive, ``bundled/libs.zip``, unpacked once
per content digest into a cache folder (``DJVET_BUNDLE_CACHE``, which the extension points at its
global storage). This script then puts ``libs/`` (djvet and its pure-Python dependencies) first on
``sys.path`` -- last for ``fromEnvironment`` -- and adds the folder of libcst's compiled module for
this platform when the archive has one, then runs ``python -m djvet server``. It must run on any
Python >= 3.10 with the standard library only.
"""

from __future__ import annotations

import os
import platform
import runpy
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

BUNDLED = Path(__file__).resolve().parent.parent
ARCHIVE = BUNDLED / "libs.zip"
MIN_PYTHON = (3, 10)
COMPLETE = ".complete"


def default_cache() -> Path:
    """Where to unpack when the extension did not say (running the launcher by hand)."""
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "djvet-vscode"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "djvet-vscode"


def unpack(archive: Path = ARCHIVE) -> Path:
    """The folder holding ``libs/`` and ``native/``: unpacked once per archive digest.

    Unpacking goes to a fresh temporary folder that is renamed into place, so a second window
    starting at the same moment either finds the finished folder or loses the rename and uses
    the winner's. Older digests are removed on the way (best effort: a running server on Windows
    keeps its files open).
    """
    digest_file = archive.with_name(archive.name + ".sha256")
    digest = digest_file.read_text(encoding="utf-8").strip()[:16]
    root = Path(os.environ.get("DJVET_BUNDLE_CACHE") or default_cache())
    target = root / f"bundle-{digest}"
    if (target / COMPLETE).exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="unpacking-", dir=root))
    try:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(scratch)
        (scratch / COMPLETE).write_text(digest, encoding="utf-8")
        os.replace(scratch, target)
    except OSError:
        if not (target / COMPLETE).exists():
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for old in root.glob("bundle-*"):
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    return target


def native_dir(bundle: Path) -> Path | None:
    """The folder with libcst's compiled module for this interpreter, if the bundle has one."""
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "aarch64": "arm64"}.get(machine, machine)
    folder = bundle / "native" / f"{sys.platform}-{machine}"
    tag = f"cpython-{sys.version_info[0]}{sys.version_info[1]}"
    if sys.implementation.name != "cpython" or not folder.is_dir():
        return None
    modules = (folder / "libcst").glob("native.*")
    return folder if any(tag in module.name for module in modules) else None


def extend_path(bundle: Path, strategy: str) -> None:
    """Bundled libraries first for useBundled, last (a fallback) for fromEnvironment."""
    entries = [str(bundle / "libs")]
    native = native_dir(bundle)
    if native is not None:
        entries.append(str(native))
    if strategy == "useBundled":
        sys.path[0:0] = entries
    else:
        sys.path.extend(entries)


def check_libcst() -> str | None:
    """A message when libcst (djvet's fix validator) cannot be imported, else None."""
    try:
        import libcst  # noqa: F401
    except ImportError as error:
        return (
            f"djvet's bundled copy has no compiled libcst for {sys.platform} "
            f"{platform.machine()} / Python {sys.version_info[0]}.{sys.version_info[1]} "
            f"({error}). Install it into this interpreter with `{sys.executable} -m pip install "
            f"libcst`, or install djvet itself (`pip install djvet`) and set "
            f"djvet.importStrategy to fromEnvironment."
        )
    return None


def main() -> int:
    if sys.version_info < MIN_PYTHON:
        sys.stderr.write(
            f"djvet needs Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer; "
            f"{sys.executable} is {sys.version.split()[0]}.\n"
        )
        return 2
    extend_path(unpack(), os.environ.get("DJVET_IMPORT_STRATEGY", "useBundled"))
    problem = check_libcst()
    if problem is not None:
        sys.stderr.write(problem + "\n")
        return 2
    sys.argv = [sys.argv[0], "server", *sys.argv[1:]]
    runpy.run_module("djvet", run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
