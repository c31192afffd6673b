"""Check (and fix) files on disk for the CLI: index the project, then run the engine per file.

Each Python file is parsed once: the index build keeps the trees it parsed (within a budget
of text per process) and the check of the same file reuses them. Small trees are handled in
this process. Large ones are split across forked workers: each parses and summarises chunks
of files it takes from the parent as it is ready, the workers swap their module facts (as the
pickled bytes they sent, so the parent never re-pickles them) so every worker holds the whole
project index, then each checks the files it parsed and takes further work from the parent as
it finishes.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from stat import S_ISLNK
from typing import Any

from .core.config import Settings
from .core.engine import check, fix_document
from .core.project import (
    MAX_INDEX_BYTES,
    ModuleNames,
    ProjectIndex,
    RelativePaths,
    digest_text,
    has_py_suffix,
    is_excluded,
    walk_file_paths,
)
from .core.python import facts as facts_module
from .core.python.async_orm import remember_functions
from .core.python.edits import round_trips
from .core.python.facts import (
    ModuleInfo,
    SharedValues,
    extract_module,
    opaque_migration,
    opaque_module,
)
from .core.python.parse import PythonSource, parse_python
from .core.python.parse import prime as prime_parse
from .core.rule import Document
from .core.sources import classify
from .core.types import CheckResult, SourceKind
from .report import FileOutcome

PARALLEL_THRESHOLD = 150  # files; below this, process start-up costs more than it saves
MAX_CHECK_BYTES = 10_000_000
# Parsed trees kept from the index build for the check, counted in characters of source text
# and shared between the worker processes: a tree and its position tables take ~38 bytes of
# memory per character, so this bounds the extra memory near 115 MB whatever the number of
# cores (measured on bench/corpus/x1: 6.9 M characters of Python). Files beyond it are
# parsed a second time by the check.
TREE_BUDGET_CHARS = 3_000_000
# Texts read by the index build kept for the check of the same files (one read per file):
# two bytes a character at most, so this bounds them near 128 MB; beyond it, a second read.
TEXT_BUDGET_CHARS = 64_000_000
FILES_PER_WORKER = 100  # a smaller share does not pay for a worker's start and its index
WORK_CHUNK = 16  # jobs handed to a worker at a time: small enough to balance the tail
EXTRACT_CHUNK = 32  # files a worker summarises at a time (fewer when the tree is small)

CachedModules = Mapping[str, tuple[int, int, ModuleInfo]]
Trees = dict[str, tuple[str, PythonSource]]  # path -> (text as read, its parse)
Texts = dict[str, "SourceFile"]  # path -> the file as the index build read it


@dataclass(frozen=True)
class SourceFile:
    """A file's text as djvet read it, and what is needed to write it back faithfully."""

    path: Path | str
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
    return _decoded(path, data)


def _decoded(path: Path | str, data: bytes) -> SourceFile:
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    try:
        return SourceFile(path, data.decode("utf-8"), bom, False)
    except UnicodeDecodeError:
        return SourceFile(path, data.decode("utf-8", errors="replace"), bom, True)


def _read_once(path: str, size: int) -> tuple[str, SourceFile | None]:
    """One read of a Python file for both the index and the check: the index's text (as
    ``read_source`` gives it) and, when ``read_file`` would accept the file, what it would
    return (the same text). Raises as ``read_source`` does."""
    with open(path, "rb") as file:
        data = file.read()
    nul = b"\x00" in data
    if nul and b"\x00" in data[:8192]:
        raise UnicodeDecodeError("utf-8", data[:1], 0, 1, "binary file (NUL byte)")
    source = _decoded(path, data)
    return source.text, (None if nul or size > MAX_CHECK_BYTES else source)


def write_file(source: SourceFile, text: str) -> None:
    """Write fixed text back with the original BOM; newlines are kept as they are in ``text``."""
    data = text.encode("utf-8")
    if source.bom:
        data = b"\xef\xbb\xbf" + data
    path = Path(source.path)
    tmp = path.with_name(f".{path.name}.djvet-tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


@dataclass(frozen=True)
class Job:
    path: str  # absolute
    display: str
    kind: SourceKind


def collect_jobs(
    targets: Sequence[Path],
    root: Path,
    settings: Settings,
    cwd: Path,
    on_error: Callable[[str, str], None],
    walked: dict[str, list[str]] | None = None,
) -> list[Job]:
    """The files to check under ``targets``, classified; explicitly named files are always checked.

    ``walked`` receives each target folder's walk (by absolute path): the walk of the root is
    the index's, which need not walk the tree again.
    """
    jobs: list[Job] = []
    seen: set[str] = set()
    below_root, below_cwd = RelativePaths(root), RelativePaths(cwd)
    for target in targets:
        absolute = (target if target.is_absolute() else cwd / target).resolve()
        if not absolute.exists():
            on_error(str(target), "no such file or directory")
            continue
        explicit = absolute.is_file()

        def walk_error(path: Path, message: str) -> None:
            on_error(below_cwd.of(str(path)) or str(path), message)

        found = list(walk_file_paths(root, absolute, settings.exclude, walk_error))
        if walked is not None and not explicit:
            walked[str(absolute)] = found
        for key in found:
            if key in seen:
                continue
            relative = below_root.of(key) or key.rpartition(os.sep)[2]
            if not explicit and settings.exclude and is_excluded(relative, settings.exclude):
                continue
            kind = classify(relative, None, settings.template_dirs)
            display = below_cwd.of(key) or key
            if kind is SourceKind.OTHER:
                if explicit:
                    on_error(display, "not a Python, Django template or Jinja2 file; skipped")
                continue
            seen.add(key)
            jobs.append(Job(key, display, kind))
    return jobs


def run_job(
    job: Job,
    project: ProjectIndex,
    settings: Settings,
    mode: str,
    unsafe: bool,
    trees: Trees | None = None,
    texts: Texts | None = None,
) -> FileOutcome:
    """Check one file (``mode`` "check", "fix" or "diff").

    ``trees`` holds parses from the index build; the file's entry is used when the text read
    now is still the text parsed then. Entries stay: other files' checks read function bodies
    from them (``facts.KEPT_TREES``), and the budget already bounds what they hold.
    ``texts``: files as the index build read them in this run; a check takes (and drops) its
    file's entry instead of reading it again. Fixes always read the file as it is now.
    """
    outcome = FileOutcome(job.display)
    kept = trees.get(job.path) if trees else None
    try:
        source = texts.pop(job.path, None) if texts and mode == "check" else None
        if source is None:
            source = read_file(Path(job.path))
    except (OSError, ValueError) as exc:
        outcome.error = getattr(exc, "strerror", None) or str(exc)
        return outcome
    if source.lossy:
        outcome.warnings.append(
            "not valid UTF-8; undecodable bytes were replaced and no fix will be written"
        )
    text = source.text
    if kept is not None and kept[0] == text:
        text = kept[0]
        prime_parse(text, kept[1])
    document = Document(text, job.path, job.kind)
    try:
        if mode in ("fix", "diff") and not source.lossy:
            fixed, applied, result = fix_document(document, project, settings, unsafe=unsafe)
            outcome.result = result
            if (
                applied
                and fixed != source.text
                and job.kind is SourceKind.PYTHON
                and not round_trips(fixed)
            ):
                outcome.warnings.append(
                    "the fixed text does not parse with libcst; no fix was written"
                )
            elif applied and fixed != source.text:
                outcome.fixed_text = fixed
                outcome.original_text = source.text
                outcome.fixes_applied = applied
                if mode == "fix":
                    write_file(source, fixed)
        else:
            outcome.result = check(document, project, settings)
    except RecursionError:
        outcome.error = "nested too deeply to analyse"
    except Exception as exc:  # never let one file stop the run
        outcome.error = f"internal error while checking: {type(exc).__name__}: {exc}"
    return outcome


@dataclass
class Budget:
    """What one process may still keep from its index build for the check, in characters:
    parsed trees (``TREE_BUDGET_CHARS`` shared by the processes) and texts; and the value
    objects its modules share."""

    trees: int = field(default_factory=lambda: TREE_BUDGET_CHARS)
    texts: int = field(default_factory=lambda: TEXT_BUDGET_CHARS)
    # The literals and names of every module the process summarises, shared (one object
    # each, which a worker's pickle of its facts writes once).
    values: SharedValues = field(default_factory=SharedValues)


def extract_modules(
    paths: Iterable[str], root: Path, budget: Budget | None = None, texts: Texts | None = None
) -> tuple[dict[str, tuple[int, int, ModuleInfo]], Trees]:
    """Read, parse and summarise Python files as ``ProjectIndex.update_file`` does.

    Returns the module facts with their (mtime_ns, size) stamps, in the form
    ``ProjectIndex.scan(cached=...)`` adopts, and the parsed trees of the first files within
    ``budget.trees`` characters. A file that cannot be read or summarised is left out: the
    index's own read of it records the error. ``texts`` (when given) gets each file as the
    check reads it, within ``budget.texts``. The budget is spent: a later call with the same
    one keeps only what is left.
    """
    modules: dict[str, tuple[int, int, ModuleInfo]] = {}
    trees: Trees = {}
    budget = budget if budget is not None else Budget()
    shared = budget.values
    names = ModuleNames(root)
    for key in paths:
        try:
            stat = os.lstat(key)
            link = S_ISLNK(stat.st_mode)
            if link:
                stat = os.stat(key)
            if stat.st_size > MAX_INDEX_BYTES:
                continue
            text, as_checked = _read_once(key, stat.st_size)
            if as_checked is not None and texts is not None and len(text) <= budget.texts:
                texts[key] = as_checked
                budget.texts -= len(text)
            module = names.of(key, link)
            if opaque_migration(key, text):
                modules[key] = (
                    stat.st_mtime_ns,
                    stat.st_size,
                    opaque_module(key, module, digest_text(text), text),
                )
                continue
            source = parse_python(text, key)
            info = extract_module(
                source, module, key, digest_text(text), defer_bodies=True, shared=shared
            )
        except Exception:  # the index's own read of the file reports what went wrong
            continue
        modules[key] = (stat.st_mtime_ns, stat.st_size, info)
        if len(text) <= budget.trees and _tree_worthy(text, info):
            trees[key] = (text, source)
            budget.trees -= len(text)
    return modules, trees


def _tree_worthy(text: str, info: ModuleInfo) -> bool:
    """Whether a check is likely to want the file's tree: what the rules' gates let through
    (async code, redirects, logout, a test client's GET, a module that mentions views and has
    a class with a base). Most modules (models, forms, migrations, URLconfs, re-exporting
    packages) are turned away before their tree is asked for. Only a guess about what to keep
    within the budget: a tree that was not kept is parsed again when a check does want it.
    """
    if "async " in text or "edirect" in text or "ogout" in text or "success_url" in text:
        return True
    if "lient" in text and (".get" in text or ".head" in text):
        return True
    return "View" in text and any(cls.bases for cls in info.classes.values())


@dataclass
class ModuleFacts:
    """Every module's facts after a run, as the cache stores them without re-pickling.

    ``adopted`` are the cached entries still valid; ``fresh`` what was extracted now, each
    part a mapping or the pickled bytes a worker sent (the parent never unpickles those).
    """

    adopted: Mapping[str, tuple[int, int, ModuleInfo]]
    fresh: list[bytes | Mapping[str, tuple[int, int, ModuleInfo]]]


MAX_LOCAL_EDITS = 32  # changed files compared one by one; more than this re-checks everything


def local_edits(
    before: Mapping[str, tuple[int, int] | None],
    now: Mapping[str, tuple[int, int] | None],
    cached: CachedModules,
    root: Path,
) -> dict[str, tuple[int, int, ModuleInfo]] | None:
    """The new facts of the changed files, when no other file's check can see the change.

    ``before``/``now`` are the stamps of every file a check may read (Python files and
    templates). The change is local when the same files exist, only Python files changed,
    and each changed module's facts — everything the index shows other files, positions
    included — are equal to its cached facts, and it is not a settings module (whose
    ``TEMPLATES`` are read from its text). Then only the changed files need checking.
    Returns None when anything else changed.
    """
    if before.keys() != now.keys():
        return None
    changed = [path for path, stamp in now.items() if before[path] != stamp]
    if len(changed) > MAX_LOCAL_EDITS or not all(p.endswith(".py") for p in changed):
        return None
    fresh, _ = extract_modules(changed, root, Budget(0, 0))
    for path in changed:
        old, new = cached.get(path), fresh.get(path)
        if old is None or new is None:
            return None
        old_info, new_info = old[2], new[2]
        if "TEMPLATES" in old_info.assignments or "TEMPLATES" in new_info.assignments:
            return None
        if replace(new_info, digest=old_info.digest) != old_info:
            return None
    return fresh


def _settle_gc() -> None:
    """After a build with the collector off: exempt what exists from it, switch it back on.

    The index lives until the process ends; a full collection during the check would
    re-traverse it (and forked workers would copy its pages to update GC headers). The check
    allocates many short-lived objects (trees, summaries) and few cycles: the youngest
    generation is collected every 20,000 allocations instead of 700, which keeps memory flat
    (a cycle lives a little longer) and saves ~300 collections on a 3,000-file project.
    """
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)
    gc.enable()


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), not all the machine's."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _split_cached(
    paths: Sequence[str], cached: CachedModules | None
) -> tuple[dict[str, tuple[int, int, ModuleInfo]], list[str]]:
    """Cached facts still valid by their file's stamp, and the files to (re)read."""
    hits: dict[str, tuple[int, int, ModuleInfo]] = {}
    stale: list[str] = []
    for key in paths:
        hit = cached.get(key) if cached else None
        if hit is not None:
            try:
                stat = os.stat(key)
            except OSError:
                hit = None
            else:
                if (stat.st_mtime_ns, stat.st_size) != hit[:2]:
                    hit = None
        if hit is None:
            stale.append(key)
        else:
            hits[key] = hit
    return hits, stale


def check_project(
    root: Path,
    settings: Settings,
    jobs: Sequence[Job],
    *,
    mode: str = "check",
    unsafe: bool = False,
    workers: int | None = None,
    cached: CachedModules | None = None,
    reuse: Mapping[str, CheckResult] | None = None,
    want_facts: bool = True,
    tree: Sequence[str] | None = None,
    index_progress: Callable[[int, int], None] | None = None,
    check_progress: Callable[[int], None] | None = None,
) -> tuple[ModuleFacts | None, list[FileOutcome]]:
    """Index the project under ``root`` and check ``jobs``; outcomes keep the jobs' order.

    ``cached`` holds module facts from an earlier run (adopted when the file's stamp is
    unchanged), ``reuse`` still-valid results by absolute path (those jobs are not checked),
    ``tree`` the walk of ``root`` when the caller has it. Also returns every module's facts,
    for the cache; a caller that does not keep them says so with ``want_facts`` false: they
    may then come back incomplete, or None when every job was reused (nothing is indexed).
    """
    outcomes: list[FileOutcome | None] = [None] * len(jobs)
    todo: list[int] = []
    for number, job in enumerate(jobs):
        hit = reuse.get(job.path) if reuse else None
        if hit is not None:
            outcomes[number] = FileOutcome(job.display, hit)
        else:
            todo.append(number)
    if check_progress and len(todo) < len(jobs):
        check_progress(len(jobs) - len(todo))
    if not todo and not want_facts:
        return None, [o for o in outcomes if o is not None]
    gc.disable()
    project = ProjectIndex(root, settings.exclude, settings.template_dirs)
    files = (
        list(tree)
        if tree is not None
        else list(walk_file_paths(project.root, project.root, project.excludes))
    )
    python = [key for key in files if has_py_suffix(key)]
    hits, stale = _split_cached(python, cached)
    count = workers if workers is not None else available_cores()
    # Each worker holds a whole index: no more workers than the tree keeps busy.
    count = min(count, max(1, (len(todo) + len(stale)) // FILES_PER_WORKER))
    parallel = (
        count > 1
        and sys.platform != "win32"
        and len(todo) + len(stale) >= PARALLEL_THRESHOLD
        and len(todo) > 1
    )
    run = _Run(
        project, files, settings, jobs, todo, hits, stale, outcomes, mode, unsafe,
        index_progress, check_progress, want_facts,
    )  # fmt: skip
    # A check analyses each file once: nothing gains from keeping each function's async-ORM
    # issues for a re-analysis (fixes re-check the files they change, so they keep them).
    remember_functions(mode != "check")
    try:
        facts = _run_parallel(run, count) if parallel else None
        if facts is None:
            facts = _run_serial(run)
    finally:
        remember_functions(True)
    return facts, [o for o in outcomes if o is not None]


@dataclass
class _Run:
    """What one ``check_project`` run indexes and checks, for the serial and parallel paths."""

    project: ProjectIndex
    files: Sequence[str]  # the walk of the root
    settings: Settings
    jobs: Sequence[Job]
    todo: Sequence[int]  # the jobs to check (the others' outcomes are known)
    hits: Mapping[str, tuple[int, int, ModuleInfo]]  # cached facts still valid
    stale: Sequence[str]  # the Python files to summarise
    outcomes: list[FileOutcome | None]
    mode: str
    unsafe: bool
    index_progress: Callable[[int, int], None] | None
    check_progress: Callable[[int], None] | None
    want_facts: bool = True  # the caller keeps the facts (for its cache)

    def index(self, modules: Mapping[str, tuple[int, int, ModuleInfo]]) -> None:
        """Adopt every module's facts (just extracted or validated) into the index."""
        self.project.scan(
            progress=self.index_progress, cached=modules, files=self.files, validated=True
        )

    def check(self, number: int, trees: Trees, texts: Texts) -> FileOutcome:
        job = self.jobs[number]
        return run_job(job, self.project, self.settings, self.mode, self.unsafe, trees, texts)


def _run_serial(run: _Run) -> ModuleFacts:
    """Index and check in this process (jobs whose outcome is already known are skipped)."""
    gc.disable()
    texts: Texts = {}
    fresh, trees = extract_modules(run.stale, run.project.root, texts=texts)
    run.index({**run.hits, **fresh})
    _settle_gc()
    with _kept_trees(trees):
        for number in run.todo:
            if run.outcomes[number] is not None:
                continue
            run.outcomes[number] = run.check(number, trees, texts)
            if run.check_progress:
                run.check_progress(1)
    return ModuleFacts(run.hits, [fresh])


@contextlib.contextmanager
def _kept_trees(trees: Trees) -> Iterator[None]:
    """Deferred function bodies of files whose tree is still kept are summarised from it."""
    facts_module.KEPT_TREES = trees
    try:
        yield
    finally:
        facts_module.KEPT_TREES = {}


# A worker's facts reach the others through a file in shared memory when the system has it
# (the parent passes on its name): each reads the file at once, instead of the parent relaying
# megabytes through two pipes, one worker after another, while all of them wait.
_SHARED_MEMORY = "/dev/shm"
_FACTS_FILE = "djvet-facts-"  # then the writing worker's process id


def _sweep_stale_facts() -> None:
    """Remove facts files left by workers that no longer run (a run killed with SIGKILL
    cannot remove its own): shared memory is held until the machine restarts."""
    try:
        names = [n for n in os.listdir(_SHARED_MEMORY) if n.startswith(_FACTS_FILE)]
    except OSError:
        return
    for name in names:
        pid = name[len(_FACTS_FILE) :].partition("-")[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:  # gone: nobody will read or remove its file
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(_SHARED_MEMORY, name))
        except OSError:  # alive (another user's, say): not ours to judge
            continue


def _hand_over(blob: bytes) -> bytes:
    """The message that hands ``blob`` over: ``F`` and the name of a file holding it, or
    ``B`` and the blob itself when no such file can be written."""
    if os.path.isdir(_SHARED_MEMORY):
        import tempfile

        try:
            fd, name = tempfile.mkstemp(prefix=f"{_FACTS_FILE}{os.getpid()}-", dir=_SHARED_MEMORY)
        except OSError:
            pass
        else:
            try:
                with open(fd, "wb") as file:
                    file.write(blob)
                return b"F" + os.fsencode(name)
            except OSError:  # full: hand it over in the message itself
                _discard(b"F" + os.fsencode(name))
    return b"B" + blob


def _taken(message: bytes) -> bytes | memoryview:
    """The blob a ``_hand_over`` message hands over."""
    if message[:1] == b"F":
        with open(os.fsdecode(message[1:]), "rb") as file:
            return file.read()
    return memoryview(message)[1:]


def _discard(message: bytes) -> None:
    """Remove the file a ``_hand_over`` message names, if any."""
    if message[:1] == b"F":
        with contextlib.suppress(OSError):
            os.unlink(os.fsdecode(message[1:]))


def _worker_main(conn: Any, run: _Run, budget: Budget) -> None:
    """A forked worker: summarise the chunks of files it is sent, send their facts, adopt
    the others' facts, then check what it is sent."""
    try:
        gc.disable()
        texts: Texts = {}
        fresh: dict[str, tuple[int, int, ModuleInfo]] = {}
        trees: Trees = {}
        while True:
            chunk = conn.recv()  # the parent keeps one more queued, so none waits for it
            if chunk is None:
                break
            modules, kept = extract_modules(chunk, run.project.root, budget, texts)
            fresh.update(modules)
            trees.update(kept)
            conn.send_bytes(b"")  # done with a chunk
        message = _hand_over(pickle.dumps(fresh, protocol=pickle.HIGHEST_PROTOCOL))
        try:
            conn.send_bytes(message)
        except BaseException:  # the parent will not know of the file: remove it here
            _discard(message)
            raise
        modules = dict(run.hits)
        for _ in range(conn.recv()):
            modules.update(pickle.loads(_taken(conn.recv_bytes())))
        modules.update(fresh)
        run.index_progress = None  # the parent reports the index's progress
        run.index(modules)
        del modules, fresh
        _settle_gc()
        results: list[tuple[int, FileOutcome]] = []
        with _kept_trees(trees):
            while True:
                conn.send(results)
                numbers = conn.recv()
                if numbers is None:
                    break
                results = [(n, run.check(n, trees, texts)) for n in numbers]
    except (EOFError, OSError, KeyboardInterrupt):
        # The parent went away, or the others' facts cannot be read: it finishes serially.
        pass
    finally:
        conn.close()


def _run_parallel(run: _Run, count: int) -> ModuleFacts | None:
    """Index and check across ``count`` forked workers; None when a worker failed.

    After a failure the outcomes gathered so far stay; the caller finishes the rest serially.
    """
    import multiprocessing
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("fork")
    jobs, stale, outcomes = run.jobs, run.stale, run.outcomes
    # Files are summarised in chunks handed to whichever worker is ready (no worker waits
    # at the exchange for a slower one), in walk order: a folder's files go together.
    size = max(1, min(EXTRACT_CHUNK, len(stale) // (count * 8)))
    chunks = [list(stale[start : start + size]) for start in range(0, len(stale), size)]
    chunks.reverse()  # popped from the end
    summarised_by: dict[str, int] = {}
    handed: list[list[list[str]]] = [[] for _ in range(count)]  # chunks sent, oldest first
    done = 0
    conns: list[Any] = []
    processes = []
    stopped = False  # every worker was sent the end of its work
    blobs: dict[int, bytes] = {}  # each worker's ``_hand_over`` message
    _sweep_stale_facts()
    try:
        for _ in range(count):
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=_worker_main,
                args=(child_end, run, Budget(TREE_BUDGET_CHARS // count, TEXT_BUDGET_CHARS)),
                daemon=True,
            )
            process.start()
            child_end.close()
            conns.append(parent_end)
            processes.append(process)

        ended = [False] * count  # sent the end of its chunks

        def hand(index: int) -> None:
            chunk = chunks.pop() if chunks else None
            if chunk is not None:
                handed[index].append(chunk)
            ended[index] = chunk is None
            conns[index].send(chunk)

        for _ in range(2):
            for index in range(count):
                if chunks:
                    hand(index)
        for index in range(count):
            if not handed[index]:
                hand(index)  # nothing for it: straight to the exchange
        while len(blobs) < count:
            for ready in wait([c for i, c in enumerate(conns) if i not in blobs]):
                index = conns.index(ready)
                message = conns[index].recv_bytes()
                if message:  # its facts: it has summarised every chunk it was sent
                    blobs[index] = message
                    continue
                finished = handed[index].pop(0)
                done += len(finished)
                for key in finished:
                    summarised_by[key] = index
                if not ended[index]:
                    hand(index)  # queues the next chunk, or the end after the last one
                if run.index_progress:
                    run.index_progress(done, len(stale))
        own: list[list[int]] = [[] for _ in range(count)]
        pool: list[int] = []
        for number in run.todo:
            worker = summarised_by.get(jobs[number].path)
            (own[worker] if worker is not None else pool).append(number)
        for queue in own:
            queue.reverse()  # popped from the end: checked in walk order
        pool.reverse()
        for index, conn in enumerate(conns):
            conn.send(count - 1)
            for other in range(count):
                if other != index:
                    conn.send_bytes(blobs[other])
        fresh: list[bytes | Mapping[str, tuple[int, int, ModuleInfo]]] = (
            [bytes(_taken(blobs[index])) for index in range(count)] if run.want_facts else []
        )
        facts = ModuleFacts(run.hits, fresh)
        _settle_gc()

        def next_chunk(index: int) -> list[int] | None:
            queue = own[index] or pool
            if queue:
                return [queue.pop() for _ in range(min(WORK_CHUNK, len(queue)))]
            # Done early: take the files another worker would check last (parsed again here).
            victim = max(own, key=len)
            chunk = victim[:WORK_CHUNK]
            del victim[:WORK_CHUNK]
            return chunk or None

        active = set(range(count))
        loading = set(range(count))  # yet to adopt the others' facts
        while active:
            for ready in wait([conns[i] for i in active]):
                index = conns.index(ready)
                conn = conns[index]
                results = conn.recv()
                loading.discard(index)
                if not loading and blobs:  # every worker has read the facts files
                    for message in blobs.values():
                        _discard(message)
                    blobs.clear()
                for number, outcome in results:
                    outcomes[number] = outcome
                if run.check_progress and results:
                    run.check_progress(len(results))
                chunk = next_chunk(index)
                conn.send(chunk)
                if chunk is None:
                    active.discard(index)
        stopped = True
    except (EOFError, OSError, pickle.UnpicklingError):
        return None
    finally:
        for message in blobs.values():
            _discard(message)
        for conn in conns:
            conn.close()
        for process in processes:
            if stopped:
                # Told to stop, it only frees its memory now (~50 ms for a process holding a
                # whole index): not waited for. ``multiprocessing`` reaps it later.
                continue
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()
    return facts


# Worker state for ``run_jobs``: the index and settings are inherited once per worker.
_WORKER: dict[str, Any] = {}


def _init_worker(project: ProjectIndex, settings: Settings, mode: str, unsafe: bool) -> None:
    _WORKER.update(project=project, settings=settings, mode=mode, unsafe=unsafe)


def _run_in_worker(job: Job) -> FileOutcome:
    return run_job(job, _WORKER["project"], _WORKER["settings"], _WORKER["mode"], _WORKER["unsafe"])


def run_jobs(
    jobs: Sequence[Job],
    project: ProjectIndex,
    settings: Settings,
    *,
    mode: str = "check",
    unsafe: bool = False,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[FileOutcome]:
    """Check every job against an index built already; results keep the jobs' order.

    The CLI uses ``check_project`` instead, which parses each file once for both the index
    and the check; this is the benchmark's split of the two phases.
    """
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count <= 1 or len(jobs) < PARALLEL_THRESHOLD or sys.platform == "win32":
        outcomes = []
        for job in jobs:
            outcomes.append(run_job(job, project, settings, mode, unsafe))
            if progress:
                progress(1)
        return outcomes
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(
        max_workers=count,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_init_worker,
        initargs=(project, settings, mode, unsafe),
    ) as pool:
        outcomes = []
        for outcome in pool.map(
            _run_in_worker, jobs, chunksize=max(1, min(64, len(jobs) // (count * 8)))
        ):
            outcomes.append(outcome)
            if progress:
                progress(1)
    return outcomes


def build_index(
    root: Path,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
    cached: CachedModules | None = None,
) -> ProjectIndex:
    """The project index alone (with the collector off while it is built)."""
    gc.disable()
    project = ProjectIndex(root, settings.exclude, settings.template_dirs)
    project.scan(progress=progress, cached=cached)
    _settle_gc()
    return project


def flatten(values: Iterable[str]) -> list[str]:
    """``["DJV1,DJV2", "DJV301"]`` (repeated, comma-separated flags) -> ``["DJV1", "DJV2", "DJV301"]``."""
    out: list[str] = []
    for value in values:
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out
