"""The CLI's on-disk cache (like ruff's): index facts and check results from the previous run.

A re-run on an unchanged tree stats every file and reads nothing else. Validity:
- a file's index facts are reused when its (mtime, size) stamp is unchanged;
- check results are reused only when *nothing* any file could depend on changed — the
  project fingerprint (every module's content digest and every template path) is the same —
  and the file's own stamp is unchanged. Editing a model, a URLconf or any other module
  therefore re-checks everything, which is what cross-file rules need to stay correct.
- the cache file name carries djvet's version, a digest of djvet's own source files, the
  Python version and the settings (select/ignore/severity/Django version/excludes), so a
  different configuration never reads another's results.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .core.config import Settings
from .core.project import ProjectIndex
from .core.python.facts import ModuleInfo
from .core.types import CheckResult

CACHE_DIR_NAME = ".djvet_cache"
FORMAT = 1


def _code_digest() -> str:
    """Changes whenever djvet's own code changes (an editable install has no new version)."""
    package = Path(__file__).resolve().parent
    hasher = hashlib.blake2b(digest_size=8)
    for path in sorted(package.rglob("*.py")) + sorted(package.rglob("*.json")):
        try:
            stat = path.stat()
        except OSError:
            continue
        hasher.update(f"{path.relative_to(package)}:{stat.st_mtime_ns}:{stat.st_size}\n".encode())
    return hasher.hexdigest()


def settings_key(settings: Settings) -> str:
    parts = [
        f"format={FORMAT}",
        f"djvet={__version__}",
        f"code={_code_digest()}",
        f"python={sys.version_info[0]}.{sys.version_info[1]}",
        f"django={settings.django_version}",
        f"select={sorted(settings.select)}",
        f"ignore={sorted(settings.ignore)}",
        f"severity={sorted((k, int(v)) for k, v in settings.severity.items())}",
        f"exclude={sorted(settings.exclude)}",
        f"templates={sorted(settings.template_dirs)}",
    ]
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=10).hexdigest()


@dataclass
class CacheData:
    project_fingerprint: str = ""
    modules: dict[str, tuple[int, int, ModuleInfo]] = field(default_factory=dict)
    results: dict[str, tuple[int, int, CheckResult]] = field(default_factory=dict)


class ResultCache:
    """Load and store one CacheData per (project root, settings)."""

    def __init__(self, root: Path, settings: Settings, directory: Path | None = None) -> None:
        env_dir = os.environ.get("DJVET_CACHE_DIR")
        self.directory = directory or (Path(env_dir) if env_dir else root / CACHE_DIR_NAME)
        self.path = self.directory / f"{settings_key(settings)}.pickle"

    def load(self) -> CacheData:
        try:
            with self.path.open("rb") as fh:
                data = pickle.load(fh)
        except Exception:  # missing, truncated, from another version: start afresh
            return CacheData()
        return data if isinstance(data, CacheData) else CacheData()

    def save(self, project: ProjectIndex, results: dict[str, tuple[int, int, CheckResult]]) -> None:
        modules = {
            path: (*project.stamps[path], info)
            for path, info in project.modules.items()
            if path in project.stamps
        }
        data = CacheData(project.fingerprint(), modules, results)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Created by djvet\n*\n")
            tmp = self.path.with_suffix(f".tmp{os.getpid()}")
            with tmp.open("wb") as fh:
                pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only checkout still gets its results, just not cached


def file_stamp(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
