"""The streaming model's per-stage call order (triton_tts.stage_queue): at most `limit` calls in flight, the
waiting ones started earliest deadline first, and no slot lost to a cancelled waiter."""

from __future__ import annotations

import asyncio

import pytest

from triton_tts.stage_queue import StageQueue
from triton_tts.stream_service import Stream


async def _calls(queue: StageQueue, deadlines: list[float], started: list[float], cancel: set[int] = frozenset()) -> None:
    gate = asyncio.Event()

    async def call(index: int, deadline: float) -> None:
        async with queue.turn(deadline):
            started.append(deadline)
            assert queue.in_flight <= queue.limit
            await gate.wait()
            await asyncio.sleep(0)

    tasks = [asyncio.create_task(call(i, d)) for i, d in enumerate(deadlines)]
    await asyncio.sleep(0)
    for index in cancel:
        tasks[index].cancel()
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(*tasks, return_exceptions=True)


def test_waiting_calls_start_earliest_deadline_first() -> None:
    queue, started = StageQueue(limit=2), []
    asyncio.run(_calls(queue, [5.0, 4.0, 9.0, 1.0, 7.0, 1.0, 3.0], started))
    assert started == [5.0, 4.0, 1.0, 1.0, 3.0, 7.0, 9.0]  # the first two went straight in
    assert queue.in_flight == 0 and not queue._waiting


def test_a_cancelled_waiter_gives_up_its_place_and_loses_no_slot() -> None:
    queue, started = StageQueue(limit=1), []
    asyncio.run(_calls(queue, [1.0, 2.0, 3.0, 4.0], started, cancel={1, 2}))
    assert started == [1.0, 4.0]
    assert queue.in_flight == 0 and not queue._waiting


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        StageQueue(0)


def test_streams_still_silent_go_first_then_by_when_their_listener_runs_out() -> None:
    silent_late = Stream("a", None, arrived=5.0)
    silent_early = Stream("b", None, arrived=4.0)
    playing_long = Stream("c", None, arrived=0.0, chunks_sent=3, first_sent_at=1.0, audio_sent_s=9.0)
    playing_short = Stream("d", None, arrived=2.0, chunks_sent=1, first_sent_at=3.0, audio_sent_s=0.3)
    order = sorted([playing_long, silent_late, playing_short, silent_early], key=Stream.priority)
    assert [s.request_id for s in order] == ["b", "a", "d", "c"]


def test_a_waiter_cancelled_as_a_slot_frees_ends_cancelled_and_the_slot_goes_on() -> None:
    async def scenario() -> tuple[list, list]:
        queue, started, release = StageQueue(limit=1), [], asyncio.Event()

        async def call(priority: float, hold: bool = False) -> None:
            async with queue.turn((priority,)):
                started.append(priority)
                if hold:
                    await release.wait()

        holder = asyncio.create_task(call(0.0, hold=True))
        await asyncio.sleep(0)
        first, second = asyncio.create_task(call(1.0)), asyncio.create_task(call(2.0))
        await asyncio.sleep(0)
        first.cancel()  # its wait ends cancelled while the slot is about to free
        release.set()
        results = await asyncio.gather(holder, first, second, return_exceptions=True)
        assert queue.in_flight == 0 and not queue._waiting
        return started, [type(r).__name__ for r in results]

    started, outcomes = asyncio.run(scenario())
    assert started == [0.0, 2.0]
    assert outcomes == ["NoneType", "CancelledError", "NoneType"]
