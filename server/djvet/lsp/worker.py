"""The one background thread that owns the project indexes and runs every check.

Index mutations and checks all happen on this thread, so the core's ``ProjectIndex`` needs
no locks; the asyncio event loop stays free to read messages (a new keystroke, a cancel)
while a check runs. Jobs carry a priority: the document being edited first, then index
updates, then re-checks of other open documents, then whole-workspace diagnostics — so a
cross-file refresh of twenty files never sits in front of the next keystroke.

Garbage collection (``manage_gc``, the server process only): every check builds and drops an
AST of tens of thousands of objects, so CPython's automatic cyclic collector keeps running in
the middle of checks, and its full passes over the whole index cost hundreds of milliseconds
(p95 of an index update on a 2,000-line module: 70 ms without, 260 ms with). Almost all of
djvet's garbage is acyclic and freed by reference counting anyway; the collector is switched
off and run when the worker has been idle for a second (or every few hundred jobs), and the
index, once built, is moved out of its sight with ``gc.freeze()``.
"""

from __future__ import annotations

import asyncio
import enum
import gc
import itertools
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger("djvet.lsp")


class Priority(enum.IntEnum):
    EDIT = 0  # the document the user is typing in, hover, code actions, pulls
    INDEX = 1  # applying a saved/watched file to the index
    REFRESH = 2  # re-checking other open documents after a cross-file change
    BULK = 3  # workspace/diagnostic over every project file


_Job = tuple[int, int, Callable[[], Any] | None, "asyncio.Future[Any] | None"]

IDLE_COLLECT_SECONDS = 1.0
MAX_JOBS_BETWEEN_COLLECTIONS = 300


class Worker:
    """Runs callables on a dedicated daemon thread; results come back as asyncio futures."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, name: str = "djvet-check", *, manage_gc: bool = False
    ) -> None:
        self._loop = loop
        self._manage_gc = manage_gc
        self._queue: queue.PriorityQueue[_Job] = queue.PriorityQueue()
        self._counter = itertools.count()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._stopped = False
        self._thread.start()

    def submit(
        self, function: Callable[[], T], priority: Priority = Priority.EDIT
    ) -> asyncio.Future[T]:
        future: asyncio.Future[T] = self._loop.create_future()
        if self._stopped:
            future.cancel()
            return future
        self._queue.put((int(priority), next(self._counter), function, future))
        return future

    def stop(self) -> None:
        """Finish the job in hand, drop the rest, end the thread (it is a daemon either way)."""
        self._stopped = True
        self._queue.put((-1, next(self._counter), None, None))

    def join(self, timeout: float) -> None:
        """Wait for the job in hand to finish: a daemon thread still inside a C extension
        (libcst's parser) when the interpreter finalises can abort the process."""
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def freeze_long_lived(self) -> None:
        """Call on the worker thread after building an index: it is not garbage for a long time."""
        if self._manage_gc:
            gc.freeze()

    def _run(self) -> None:
        if self._manage_gc:
            gc.disable()
        since_collection = 0
        while True:
            try:
                _, _, function, future = self._queue.get(timeout=IDLE_COLLECT_SECONDS)
            except queue.Empty:
                if self._manage_gc and since_collection:
                    gc.collect()
                    since_collection = 0
                continue
            if function is None or future is None:
                return
            if future.cancelled():
                continue
            try:
                result = function()
            except BaseException as exc:  # handed to the awaiting coroutine, which logs it
                self._deliver(future, None, exc)
            else:
                self._deliver(future, result, None)
            since_collection += 1
            if self._manage_gc and since_collection >= MAX_JOBS_BETWEEN_COLLECTIONS:
                gc.collect()
                since_collection = 0

    def _deliver(
        self, future: asyncio.Future[Any], result: Any, error: BaseException | None
    ) -> None:
        def settle() -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

        try:
            self._loop.call_soon_threadsafe(settle)
        except RuntimeError:  # the loop closed during shutdown
            log.debug("worker result dropped: event loop closed")
