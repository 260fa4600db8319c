"""The order in which the streaming model's calls go to a stage's worker threads.

A thread pool's queue is first come, first served: a new stream's first chunk would wait behind every chunk
the other streams have queued, although those streams' listeners already hear audio. So `tts_stream` hands
a stage at most `limit` calls at once (its worker threads) and holds the rest here, in the order of a
priority the caller gives (stream_service.Stream.priority: streams that have sent nothing first, then the
rest by when their listener runs out of audio). Work-conserving: a stage is never left idle while a call
waits here. (Ordering purely by deadline, first audio due at arrival, measured worse: under saturation a
started stream's next chunk was always due before a new one's.)
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from contextlib import asynccontextmanager
from typing import AsyncIterator


class StageQueue:
    """At most `limit` calls in flight; the others start in order of `priority`, lowest first (ties: first come)."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"a stage queue needs a limit of at least 1 call in flight, not {limit}")
        self.limit = limit
        self.in_flight = 0
        self._waiting: list[tuple[tuple[float, ...], int, asyncio.Future]] = []
        self._order = itertools.count()

    @asynccontextmanager
    async def turn(self, priority: tuple[float, ...]) -> AsyncIterator[None]:
        """Wait until this call may go to the stage; the slot passes to the next waiting call on exit."""
        if self.in_flight < self.limit and not self._waiting:
            self.in_flight += 1
        else:
            ready = asyncio.get_running_loop().create_future()
            entry = (priority, next(self._order), ready)
            heapq.heappush(self._waiting, entry)
            try:
                await ready  # the slot is handed over with in_flight already counted
            except asyncio.CancelledError:
                if ready.done() and not ready.cancelled():
                    self._release()  # handed over as this call was cancelled: pass it on
                elif entry in self._waiting:
                    self._waiting.remove(entry)
                    heapq.heapify(self._waiting)
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        """Hand this slot to the first waiting call still waiting (one whose wait was cancelled is skipped)."""
        while self._waiting:
            ready = heapq.heappop(self._waiting)[2]
            if not ready.done():
                ready.set_result(None)
                return
        self.in_flight -= 1
