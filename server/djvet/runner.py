"""Check (and fix) files on disk for the CLI: find the project, index it, run the engine per file.

Small trees are checked in this process; large ones are split across worker processes that
each receive the already-built project index, so every file is still checked against the
whole project (models, views, URL names).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .core.config import Settings
from .core.engine import check, fix_document
from .core.project import ProjectIndex, is_excluded, walk_files
from .core.python.facts import ModuleInfo
from .core.rule import Document
from .core.sources import classify
from .core.types import CheckResult, SourceKind

PARALLEL_THRESHOLD = 150  # files; below this, process start-up costs more than it saves
MAX_CHECK_BYTES = 10_000_000


@dataclass(frozen=True)
class SourceFile:
    """A file's text as djvet read it, and what is needed to write it back faithfully."""

    path: Path
    text: str
    bom: bool
    lossy: bool  # undecodable bytes were replaced: never write this text back


def read_file(path: Path) -> SourceFile:
    """Read a source file; raises OSError/ValueError with a readable message when it cannot be."""
    size = path.stat().st_size
    if size > MAX_CHECK_BYTES:
        raise ValueError(
            f"file is {size / 1e6:.1f} MB, larger than djvet checks ({MAX_CHECK_BYTES / 1e6:.0f} MB)"
        )
    data = path.read_bytes()
    if b"\x00" in data:
        raise ValueError("binary file (contains NUL bytes)")
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    try:
        return SourceFile(path, data.decode("utf-8"), bom, False)
    except UnicodeDecodeError:
        return SourceFile(path, data.decode("utf-8", errors="replace"), bom, True)


def write_file(source: SourceFile, text: str) -> None:
    """Write fixed text back with the original BOM; newlines are kept as they are in ``text``."""
    data = text.encode("utf-8")
    if source.bom:
        data = b"\xef\xbb\xbf" + data
    tmp = source.path.with_name(f".{source.path.name}.djvet-tmp")
    tmp.write_bytes(data)
    os.replace(tmp, source.path)


@dataclass
class FileOutcome:
    path: str  # display path
    result: CheckResult | None = None
    error: str | None = None
    fixed_text: str | None = None  # set in --fix/--diff mode when fixes changed the text
    original_text: str | None = None
    fixes_applied: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    path: str  # absolute
    display: str
    kind: SourceKind


def display_path(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return str(path)


def collect_jobs(
    targets: Sequence[Path],
    root: Path,
    settings: Settings,
    cwd: Path,
    on_error: Callable[[str, str], None],
) -> list[Job]:
    """The files to check under ``targets``, classified; explicitly named files are always checked."""
    jobs: list[Job] = []
    seen: set[str] = set()
    for target in targets:
        absolute = (target if target.is_absolute() else cwd / target).resolve()
        if not absolute.exists():
            on_error(str(target), "no such file or directory")
            continue
        explicit = absolute.is_file()

        def walk_error(path: Path, message: str) -> None:
            on_error(display_path(path, cwd), message)

        for path in walk_files(root, absolute, settings.exclude, walk_error):
            key = str(path)
            if key in seen:
                continue
            try:
                relative = path.relative_to(root).as_posix()
            except ValueError:
                relative = path.name
            if not explicit and settings.exclude and is_excluded(relative, settings.exclude):
                continue
            kind = classify(relative, None, settings.template_dirs)
            if kind is SourceKind.OTHER:
                if explicit:
                    on_error(
                        display_path(path, cwd),
                        "not a Python, Django template or Jinja2 file; skipped",
                    )
                continue
            seen.add(key)
            jobs.append(Job(key, display_path(path, cwd), kind))
    return jobs


# Worker-process state: the index and settings are sent once per worker, not once per file.
_WORKER: dict[str, object] = {}


def _init_worker(project: ProjectIndex, settings: Settings, mode: str, unsafe: bool) -> None:
    _WORKER.update(project=project, settings=settings, mode=mode, unsafe=unsafe)


def run_job(
    job: Job, project: ProjectIndex, settings: Settings, mode: str, unsafe: bool
) -> FileOutcome:
    """Check one file (``mode`` "check", "fix" or "diff")."""
    outcome = FileOutcome(job.display)
    try:
        source = read_file(Path(job.path))
    except (OSError, ValueError) as exc:
        outcome.error = getattr(exc, "strerror", None) or str(exc)
        return outcome
    if source.lossy:
        outcome.warnings.append(
            "not valid UTF-8; undecodable bytes were replaced and no fix will be written"
        )
    document = Document(source.text, job.path, job.kind)
    try:
        if mode in ("fix", "diff") and not source.lossy:
            text, applied, result = fix_document(document, project, settings, unsafe=unsafe)
            outcome.result = result
            if applied and text != source.text:
                outcome.fixed_text = text
                outcome.original_text = source.text
                outcome.fixes_applied = applied
                if mode == "fix":
                    write_file(source, text)
        else:
            outcome.result = check(document, project, settings)
    except RecursionError:
        outcome.error = "nested too deeply to analyse"
    except Exception as exc:  # never let one file stop the run
        outcome.error = f"internal error while checking: {type(exc).__name__}: {exc}"
    return outcome


def _run_in_worker(job: Job) -> FileOutcome:
    return run_job(
        job,
        _WORKER["project"],  # type: ignore[arg-type]
        _WORKER["settings"],  # type: ignore[arg-type]
        str(_WORKER["mode"]),
        bool(_WORKER["unsafe"]),
    )


def run_jobs(
    jobs: Sequence[Job],
    project: ProjectIndex,
    settings: Settings,
    *,
    mode: str = "check",
    unsafe: bool = False,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    reuse: Mapping[str, CheckResult] | None = None,
) -> list[FileOutcome]:
    """Check every job, in parallel when the tree is large; results keep the jobs' order.

    ``reuse`` holds still-valid cached results by absolute path (check mode only).
    """
    reused = {
        job.path: FileOutcome(job.display, reuse[job.path])
        for job in jobs
        if reuse and job.path in reuse
    }
    if progress and reused:
        progress(len(reused))
    todo = [job for job in jobs if job.path not in reused]
    fresh = _run_jobs(todo, project, settings, mode, unsafe, workers, progress)
    by_path = dict(zip((job.path for job in todo), fresh, strict=True))
    return [reused.get(job.path) or by_path[job.path] for job in jobs]


def _run_jobs(
    jobs: Sequence[Job],
    project: ProjectIndex,
    settings: Settings,
    mode: str,
    unsafe: bool,
    workers: int | None,
    progress: Callable[[int], None] | None,
) -> list[FileOutcome]:
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count <= 1 or len(jobs) < PARALLEL_THRESHOLD:
        results = []
        for job in jobs:
            results.append(run_job(job, project, settings, mode, unsafe))
            if progress:
                progress(1)
        return results
    chunk = max(1, min(64, len(jobs) // (count * 8)))
    context = None
    if sys.platform != "win32":
        import multiprocessing

        context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=count,
        mp_context=context,
        initializer=_init_worker,
        initargs=(project, settings, mode, unsafe),
    ) as pool:
        results = []
        for outcome in pool.map(_run_in_worker, jobs, chunksize=chunk):
            results.append(outcome)
            if progress:
                progress(1)
    return results


def build_index(
    root: Path,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
    cached: Mapping[str, tuple[int, int, ModuleInfo]] | None = None,
) -> ProjectIndex:
    project = ProjectIndex(root, settings.exclude, settings.template_dirs)
    project.scan(progress=progress, cached=cached)
    # The index lives until the process ends: move it out of the cyclic GC's reach, or every
    # full collection during the check re-traverses it (parsing ran 35-50% slower), and forked
    # workers would copy its pages just to update GC headers.
    gc.freeze()
    return project


def flatten(values: Iterable[str]) -> list[str]:
    """``["DJV1,DJV2", "DJV301"]`` (repeated, comma-separated flags) -> ``["DJV1", "DJV2", "DJV301"]``."""
    out: list[str] = []
    for value in values:
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out
