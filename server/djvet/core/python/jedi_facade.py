"""A narrow, bounded jedi fallback: is a class imported from *outside* the project a Django model?

The project index decides everything about the project's own code; jedi is asked only about a
name the index cannot see — ``from taggit.models import Tag`` followed by ``Tag.objects...`` —
and only one question: does ``Name.objects`` infer to a Django manager? jedi parses the
installed package's source; it never imports project code (``smart_sys_path=False``: the
project directory is not put on jedi's path) and never loads compiled extensions from the
workspace (``load_unsafe_extensions=False``).

Bounds: answers are cached for the life of the process, keyed by a hash of the probe text
(the question, not the document); every document gets a time budget; jedi runs on one worker
thread, so a slow first answer (jedi loading Django's sources takes about a second) never
blocks a keystroke — the caller gets "unknown" now and the answer on a later check. Callers
that need a deterministic answer (a one-shot CLI run) may ``configure(blocking=True)``.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Imported where the first question is asked: a run that asks none (most CLI checks)
    # does not load ``concurrent.futures`` (and ``logging``, ``queue`` with it).
    from concurrent.futures import Future, ThreadPoolExecutor

MANAGER_ATTRS = frozenset({"objects", "_default_manager", "_base_manager"})
_MANAGER_NAMES = ("Manager", "BaseManager", "ManagerDescriptor")


@dataclass
class _Config:
    enabled: bool = True
    budget_seconds: float = 0.05  # per document
    blocking: bool = False  # wait for jedi however long it takes (CLI)
    max_probes_per_document: int = 8
    # Site-packages of the project's own environment (the language server's ``interpreter``
    # setting), searched by jedi besides its default path; read, never run.
    sys_path: tuple[str, ...] = ()


@dataclass
class _State:
    config: _Config = field(default_factory=_Config)
    answers: dict[str, bool] = field(default_factory=dict)  # probe hash -> is a model
    pending: dict[str, Future[bool]] = field(default_factory=dict)
    executor: ThreadPoolExecutor | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    calls: int = 0  # jedi inferences actually run (for tests and benchmarks)


_STATE = _State()


def configure(
    *,
    enabled: bool | None = None,
    budget_seconds: float | None = None,
    blocking: bool | None = None,
    sys_path: tuple[str, ...] | None = None,
) -> None:
    """Change the fallback's bounds (the language server keeps the defaults)."""
    config = _STATE.config
    if sys_path is not None and tuple(sys_path) != config.sys_path:
        config.sys_path = tuple(sys_path)
        clear_cache()  # the answers were for another environment
    if enabled is not None:
        config.enabled = enabled
    if budget_seconds is not None:
        config.budget_seconds = budget_seconds
    if blocking is not None:
        config.blocking = blocking


def jedi_available() -> bool:
    try:
        import jedi  # noqa: F401
    except ImportError:
        return False
    return True


def stats() -> dict[str, int]:
    return {
        "answers": len(_STATE.answers),
        "pending": len(_STATE.pending),
        "jedi_calls": _STATE.calls,
    }


def clear_cache() -> None:
    with _STATE.lock:
        _STATE.answers.clear()
        _STATE.pending.clear()


def _probe(qualified: str) -> tuple[str, str] | None:
    module, _, name = qualified.rpartition(".")
    if (
        not module
        or not name.isidentifier()
        or not all(p.isidentifier() for p in module.split("."))
    ):
        return None
    return f"from {module} import {name}\n{name}.objects\n", name


def _ask_jedi(code: str, name: str, root: str) -> bool:
    import jedi

    _STATE.calls += 1
    project = jedi.Project(
        root,
        load_unsafe_extensions=False,
        smart_sys_path=False,
        added_sys_path=list(_STATE.config.sys_path),
    )
    script = jedi.Script(code, path=f"{root}/__djvet_probe__.py", project=project)
    try:
        names = script.infer(2, len(name) + 2)
    except Exception:  # jedi's own failures mean "unknown", never a crash
        return False
    return any(
        (n.full_name or "").startswith("django.") and (n.full_name or "").endswith(_MANAGER_NAMES)
        for n in names
    )


def cached_answer(root: str, qualified: str) -> bool | None:
    """The cached answer for ``qualified`` (None: not known yet); never runs jedi."""
    probe = _probe(qualified)
    if probe is None:
        return None
    return _STATE.answers.get(_key(root, probe[0]))


def _key(root: str, code: str) -> str:
    return hashlib.blake2b(f"{root}\0{code}".encode(), digest_size=16).hexdigest()


class DocumentBudget:
    """The jedi time a single document's analysis may spend (shared by all its questions)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.deadline = time.monotonic() + _STATE.config.budget_seconds
        self.probes = 0

    def is_external_model(self, qualified: str) -> bool | None:
        """True/False when known (now or from the cache); None when jedi has not answered yet."""
        config = _STATE.config
        if not config.enabled or qualified.startswith(("builtins.", "typing.")):
            return None
        probe = _probe(qualified)
        if probe is None:
            return None
        code, name = probe
        key = _key(self.root, code)
        known = _STATE.answers.get(key)
        if known is not None:
            return known
        if self.probes >= config.max_probes_per_document or not jedi_available():
            return None
        self.probes += 1
        from concurrent.futures import ThreadPoolExecutor
        from concurrent.futures import TimeoutError as FutureTimeout

        with _STATE.lock:
            future = _STATE.pending.get(key)
            if future is None:
                if _STATE.executor is None:
                    _STATE.executor = ThreadPoolExecutor(
                        max_workers=1, thread_name_prefix="djvet-jedi"
                    )
                future = _STATE.executor.submit(_ask_jedi, code, name, self.root)
                _STATE.pending[key] = future
                future.add_done_callback(functools.partial(_store, key))
        timeout = None if config.blocking else max(0.0, self.deadline - time.monotonic())
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            return None
        except Exception:
            return False


def _store(key: str, future: Future[bool]) -> None:
    try:
        answer = future.result()
    except Exception:
        answer = False
    with _STATE.lock:
        _STATE.answers[key] = answer
        _STATE.pending.pop(key, None)
