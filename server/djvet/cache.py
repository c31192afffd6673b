"""The CLI's on-disk cache (like ruff's), in two levels, under ``.djvet_cache/``.

1. **Answers** (``answers-<key>.pickle``, about the size of the output): for one command line (paths, flags, output
   format, working directory, djvet build, Python), the exact output and exit code of the
   last run, with a fingerprint of everything that output can depend on: the (mtime, size,
   mode) of every file under the project root and the targets — only the folders every
   walk skips (VCS, virtualenvs, caches) are left out — and of the virtualenvs the Django
   version is detected from. An unchanged fingerprint replays the output: no settings, no
   index, no parsing; none of djvet's analysis modules is even imported. Nothing here may
   import them: this module is the warm path.
2. **Index and results** (``<settings-key>.modules.pickle`` / ``.results.pickle``), read
   only when the answer is stale. A module's facts are reused when its file's (mtime, size)
   stamp is unchanged. A file's check result is reused only when *no* file any check could
   read changed: the stamps of every Python file and template (templates are read by
   cross-file rules) equal those the results were computed from. Editing a model, a URLconf,
   a template or any other module therefore re-checks everything, which cross-file rules
   need to stay correct — unless the edit is local (``runner.local_edits``: the edited
   modules' facts, everything the index shows other files, are unchanged), when only the
   edited files are checked again. The settings key carries djvet's version, a digest of
   its own source files, the Python version and the resolved settings.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .layout import DEFAULT_EXCLUDES, VENV_NAMES, site_packages_candidates

if TYPE_CHECKING:
    from .core.config import Settings
    from .core.python.facts import ModuleInfo
    from .core.types import CheckResult
    from .runner import ModuleFacts

CACHE_DIR_NAME = ".djvet_cache"
FORMAT = 4  # 3: facts pickle with spans and deferred bodies folded into their holders; 4: opaque migrations
# Folder names the answer fingerprint does not descend into: the project walk never reads
# them, so skipping them here cannot hide a change the check would see.
SKIPPED_DIRS = frozenset(DEFAULT_EXCLUDES)
MAX_PARTS = 8  # pickled parts of the module-facts file before they are merged into one

Stamp = tuple[int, int]  # (mtime_ns, size)


def _code_digest() -> str:
    """Changes whenever djvet's own code changes (an editable install has no new version)."""
    package = Path(__file__).resolve().parent
    hasher = hashlib.blake2b(digest_size=8)
    stack = [str(package)]
    entries: list[tuple[str, int, int]] = []
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as scan:
                for entry in scan:
                    if entry.is_dir():
                        if entry.name != "__pycache__":
                            stack.append(entry.path)
                    elif entry.name.endswith((".py", ".json")):
                        stat = entry.stat()
                        entries.append((entry.path, stat.st_mtime_ns, stat.st_size))
        except OSError:
            continue
    for path, mtime, size in sorted(entries):
        hasher.update(f"{os.path.relpath(path, package)}:{mtime}:{size}\n".encode())
    return hasher.hexdigest()


def cache_dir(root: Path) -> Path:
    env_dir = os.environ.get("DJVET_CACHE_DIR")
    return Path(env_dir) if env_dir else root / CACHE_DIR_NAME


def _write_atomic(path: Path, data: object) -> None:
    """Pickle ``data`` to ``path`` via a temporary file; an unwritable folder is not an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore = path.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by djvet\n*\n")
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with tmp.open("wb") as fh:
            pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only checkout still gets its results, just not cached


def _read(path: Path) -> Any:
    """Unpickle ``path`` with the collector off (unpickling many objects triggers it often)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except Exception:  # missing, truncated, from another version: start afresh
        return None
    finally:
        if enabled:
            gc.enable()


# -------------------------------------------------------------------------------------------
# Level 1: answers
# -------------------------------------------------------------------------------------------


def _walk_stamps(top: str, skip: str, hasher: Any) -> None:
    """Feed (path, mtime, size, mode) of every file below ``top`` to ``hasher``, in name order.

    Follows directory symlinks as the project walk does (each directory once), and skips the
    ``SKIPPED_DIRS`` names, virtualenvs (a ``pyvenv.cfg`` inside) and the cache folder ``skip``.
    """
    seen: set[tuple[int, int]] = set()
    stack = [top]
    while stack:
        directory = stack.pop()
        try:
            info = os.stat(directory)
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            hasher.update(f"E{directory}\0{exc.errno}\n".encode("utf-8", "surrogatepass"))
            continue
        if (info.st_dev, info.st_ino) in seen:
            continue
        seen.add((info.st_dev, info.st_ino))
        subdirs = []
        for entry in entries:
            try:
                if entry.is_dir():
                    if (
                        entry.name not in SKIPPED_DIRS
                        and entry.path != skip
                        and not os.path.exists(os.path.join(entry.path, "pyvenv.cfg"))
                    ):
                        subdirs.append(entry.path)
                    continue
                stat = entry.stat()
            except OSError as exc:
                hasher.update(f"E{entry.path}\0{exc.errno}\n".encode("utf-8", "surrogatepass"))
                continue
            hasher.update(
                f"{entry.path}\0{stat.st_mtime_ns}\0{stat.st_size}\0{stat.st_mode}\n".encode(
                    "utf-8", "surrogatepass"
                )
            )
        stack.extend(reversed(subdirs))


def _stamp_paths(paths: Iterable[Path], hasher: Any) -> None:
    for path in paths:
        try:
            stat = path.stat()
            hasher.update(
                f"{path}\0{stat.st_mtime_ns}\0{stat.st_size}\0{stat.st_mode}\n".encode(
                    "utf-8", "surrogatepass"
                )
            )
        except OSError:
            hasher.update(f"-{path}\n".encode("utf-8", "surrogatepass"))


def _environments(root: Path) -> list[Path]:
    """The virtualenvs the Django version may be read from (config.py's candidates)."""
    prefixes = [root / name for name in VENV_NAMES]
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        prefixes.append(Path(venv))
    out: list[Path] = []
    for prefix in prefixes:
        out.append(prefix / "pyvenv.cfg")
        out.extend(site_packages_candidates(prefix))
    return out


def tree_fingerprint(root: Path, targets: Sequence[Path], skip: Path) -> str:
    """A digest of every file (stamp) the run could read, and of the Django environments."""
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update(f"root {root}\n".encode("utf-8", "surrogatepass"))
    _walk_stamps(str(root), str(skip), hasher)
    for target in targets:
        if target == root:
            continue
        if target.is_dir():
            hasher.update(f"target {target}\n".encode("utf-8", "surrogatepass"))
            _walk_stamps(str(target), str(skip), hasher)
        else:
            _stamp_paths([target], hasher)  # named files are checked even where walks skip
    _stamp_paths(_environments(root), hasher)
    return hasher.hexdigest()


class Answer:
    """One run's output, replayed when nothing it depends on changed.

    A plain class, not a dataclass: importing ``dataclasses`` alone costs the warm path 15 ms.
    """

    __slots__ = ("chunks", "exit_code", "fingerprint")

    def __init__(self, fingerprint: str, chunks: list[tuple[int, str]], exit_code: int) -> None:
        self.fingerprint = fingerprint
        self.chunks = chunks  # (1 stdout / 2 stderr, text) in the order written
        self.exit_code = exit_code

    def __reduce__(self) -> tuple[type[Answer], tuple[str, list[tuple[int, str]], int]]:
        return Answer, (self.fingerprint, self.chunks, self.exit_code)


class AnswerCache:
    """The level-1 file for one command line (``key``) in ``directory``."""

    def __init__(self, directory: Path, command_key: str) -> None:
        digest = hashlib.blake2b(
            "\n".join(
                (
                    f"format={FORMAT}",
                    f"djvet={__version__}",
                    f"code={_code_digest()}",
                    f"python={sys.version_info[0]}.{sys.version_info[1]}",
                    command_key,
                )
            ).encode("utf-8", "surrogatepass"),
            digest_size=10,
        ).hexdigest()
        self.path = directory / f"answers-{digest}.pickle"

    def load(self, fingerprint: str) -> Answer | None:
        try:
            with self.path.open("rb") as fh:
                answer = pickle.load(fh)
        except Exception:
            return None
        if isinstance(answer, Answer) and answer.fingerprint == fingerprint:
            return answer
        return None

    def save(self, answer: Answer) -> None:
        _write_atomic(self.path, answer)


class Recorder:
    """A text stream that writes through to ``stream`` and records what was written."""

    def __init__(self, stream: Any, tag: int, log: list[tuple[int, str]]) -> None:
        self._stream = stream
        self._tag = tag
        self._log = log

    def write(self, text: str) -> int:
        self._log.append((self._tag, text))
        return int(self._stream.write(text))

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return bool(self._stream.isatty())

    @property
    def encoding(self) -> str:
        return str(getattr(self._stream, "encoding", "utf-8"))

    def fileno(self) -> int:
        return int(self._stream.fileno())


# -------------------------------------------------------------------------------------------
# Level 2: module facts and check results
# -------------------------------------------------------------------------------------------


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


def dependency_stamps(
    root: Path, settings: Settings, tree: Iterable[str] | None = None
) -> dict[str, Stamp | None]:
    """The stamp of every file a check may read: the index's Python files and templates.

    ``tree`` is the project walk of ``root`` (path strings) when the caller has it already.
    """
    from .core.project import RelativePaths, has_py_suffix, walk_file_paths
    from .core.sources import classify
    from .core.types import SourceKind

    wanted = (SourceKind.PYTHON, SourceKind.DJANGO_TEMPLATE, SourceKind.JINJA2)
    root = root.resolve()
    below_root = RelativePaths(root)
    out: dict[str, Stamp | None] = {}
    for key in tree if tree is not None else walk_file_paths(root, root, settings.exclude):
        if not has_py_suffix(key) and (
            classify(below_root.of(key) or key, None, settings.template_dirs) not in wanted
        ):
            continue
        out[key] = file_stamp(key)
    return out


class Results:
    """Check results and the stamps of every file they were computed from."""

    def __init__(
        self,
        dependencies: dict[str, Stamp | None] | None = None,
        results: dict[str, tuple[int, int, CheckResult]] | None = None,
    ) -> None:
        self.dependencies = dependencies or {}
        self.results = results or {}


class ResultCache:
    """Load and store the level-2 files of one (project root, settings)."""

    def __init__(self, root: Path, settings: Settings, directory: Path | None = None) -> None:
        self.directory = directory or cache_dir(root)
        key = settings_key(settings)
        self.modules_path = self.directory / f"{key}.modules.pickle"
        self.results_path = self.directory / f"{key}.results.pickle"
        self._parts: list[tuple[bytes, dict[str, tuple[int, int, ModuleInfo]]]] = []

    def load_results(self) -> Results:
        data = _read(self.results_path)
        return data if isinstance(data, Results) else Results()

    def load_modules(self) -> dict[str, tuple[int, int, ModuleInfo]]:
        """Every cached module's (mtime_ns, size, facts), by path."""
        data = _read(self.modules_path)
        self._parts = []
        merged: dict[str, tuple[int, int, ModuleInfo]] = {}
        if not isinstance(data, list):
            return merged
        enabled = gc.isenabled()
        gc.disable()
        try:
            for raw in data:
                part = pickle.loads(raw)
                self._parts.append((raw, part))
                merged.update(part)
        except Exception:
            self._parts = []
            return {}
        finally:
            if enabled:
                gc.enable()
        return merged

    def save_results(self, results: Results) -> None:
        _write_atomic(self.results_path, results)

    def save_modules(self, facts: ModuleFacts) -> None:
        """Store every module's facts as a list of pickled parts.

        Parts are read in order, a later entry replacing an earlier one, and every entry is
        checked against its file's stamp before use, so an outdated entry is only dead
        weight. A part read by ``load_modules`` that is still mostly valid is written back as
        the bytes it was read as (its changed entries follow in a later part), and parts fresh
        from workers as the bytes they sent: nothing already pickled is pickled again.
        """
        parts: list[bytes] = []
        covered: set[str] = set()
        adopted = facts.adopted
        for raw, part in self._parts:
            valid = [key for key, value in part.items() if adopted.get(key) is value]
            if part and len(valid) * 2 >= len(part):
                parts.append(raw)
                covered.update(valid)
        rest = {key: value for key, value in adopted.items() if key not in covered}
        if rest:
            parts.append(pickle.dumps(rest, protocol=pickle.HIGHEST_PROTOCOL))
        for fresh in facts.fresh:
            if isinstance(fresh, bytes):
                parts.append(fresh)
            elif fresh:
                parts.append(pickle.dumps(dict(fresh), protocol=pickle.HIGHEST_PROTOCOL))
        if len(parts) > MAX_PARTS:  # many edits: merge the current entries into one part
            merged: dict[str, Any] = dict(adopted)
            for fresh in facts.fresh:
                merged.update(pickle.loads(fresh) if isinstance(fresh, bytes) else fresh)
            parts = [pickle.dumps(merged, protocol=pickle.HIGHEST_PROTOCOL)]
        _write_atomic(self.modules_path, parts)


def reusable(
    cached: Results, dependencies: Mapping[str, Stamp | None], stamps: Mapping[str, Stamp | None]
) -> dict[str, CheckResult]:
    """Cached results still valid: no dependency changed, and the file itself did not."""
    if not cached.results or cached.dependencies != dependencies:
        return {}
    out: dict[str, CheckResult] = {}
    for path, stamp in stamps.items():
        hit = cached.results.get(path)
        if hit is not None and stamp is not None and hit[:2] == stamp:
            out[path] = hit[2]
    return out


def file_stamp(path: str) -> Stamp | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
