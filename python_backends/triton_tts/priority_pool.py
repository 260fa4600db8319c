"""The worker threads of a streaming stage, taking calls in order of priority.

A thread pool's queue is first come, first served: a new stream's first chunk would wait behind every chunk
the other streams have queued, although those streams' listeners already hear audio. So `tts_stream` gives
each call a priority (stream_service.Stream.priority: streams that have sent nothing first, then the rest by
when their listener runs out of audio) and a stage's threads always take the waiting call of lowest priority.
(Ordering purely by deadline, first audio due at arrival, measured worse: under saturation a started stream's
next chunk was always due before a new one's.)

The threads take their next call themselves, as soon as they finish one: the event loop that sends every
stream's responses is not on that path, so a loop busy with round trips to tritonserver leaves no core idle.
"""

from __future__ import annotations

import itertools
import math
import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable, TypeVar

Result = TypeVar("Result")

_STOP = (math.inf,)  # sorts after every call's priority: the threads finish the queued calls first


class PriorityPool:
    """`workers` threads running submitted calls, lowest `priority` first (ties: first come)."""

    def __init__(self, workers: int, name: str, initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> None:
        if workers < 1:
            raise ValueError(f"a priority pool needs at least 1 worker thread, not {workers}")
        self._calls: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()
        self._threads = [
            threading.Thread(target=self._work, args=(initializer, initargs), name=f"{name}_{i}", daemon=True) for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, priority: tuple[float, ...], work: Callable[..., Result], *args: Any) -> Future:
        """`work(*args)` on a worker thread in its turn; cancelling the future before it starts skips it."""
        future: Future = Future()
        self._calls.put((priority, next(self._order), future, work, args))
        return future

    def shutdown(self) -> None:
        """Stop the threads once every call queued before this has run."""
        for _ in self._threads:
            self._calls.put((_STOP, next(self._order), None, None, ()))
        for thread in self._threads:
            thread.join()

    def _work(self, initializer: Callable[..., None] | None, initargs: tuple) -> None:
        if initializer is not None:
            initializer(*initargs)
        while True:
            _, _, future, work, args = self._calls.get()
            if future is None:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(work(*args))
            except BaseException as exc:  # noqa: BLE001 - the caller awaiting the future gets it
                future.set_exception(exc)
