"""The streaming stages' worker threads (triton_tts.priority_pool): waiting calls run lowest priority first,
a call's error reaches its caller, a cancelled call is skipped, and the order of streams' calls is first audio
first."""

from __future__ import annotations

import threading

import pytest

from triton_tts.priority_pool import PriorityPool
from triton_tts.stream_service import Stream


def test_waiting_calls_run_lowest_priority_first_ties_first_come() -> None:
    pool, started, gate = PriorityPool(1, "test"), [], threading.Event()
    blocker = pool.submit((0.0,), gate.wait)
    futures = [pool.submit((p,), started.append, (p, i)) for i, p in enumerate([5.0, 4.0, 9.0, 1.0, 7.0, 1.0, 3.0])]
    gate.set()
    for future in (blocker, *futures):
        future.result(timeout=10)
    assert started == [(1.0, 3), (1.0, 5), (3.0, 6), (4.0, 1), (5.0, 0), (7.0, 4), (9.0, 2)]
    pool.shutdown()


def test_every_worker_takes_calls_while_one_is_busy() -> None:
    pool, gate = PriorityPool(2, "test"), threading.Event()
    blocker = pool.submit((0.0,), gate.wait)
    assert pool.submit((1.0,), lambda: "ran").result(timeout=10) == "ran"  # the second thread, not after the first
    gate.set()
    blocker.result(timeout=10)
    pool.shutdown()


def test_a_calls_error_reaches_its_caller_and_the_worker_goes_on() -> None:
    pool = PriorityPool(1, "test")
    with pytest.raises(ZeroDivisionError):
        pool.submit((0.0,), lambda: 1 / 0).result(timeout=10)
    assert pool.submit((0.0,), lambda: 2).result(timeout=10) == 2
    pool.shutdown()


def test_a_call_cancelled_before_it_starts_is_skipped() -> None:
    pool, ran, gate = PriorityPool(1, "test"), [], threading.Event()
    blocker = pool.submit((0.0,), gate.wait)
    skipped = pool.submit((1.0,), ran.append, "skipped")
    kept = pool.submit((2.0,), ran.append, "kept")
    assert skipped.cancel()
    gate.set()
    blocker.result(timeout=10)
    kept.result(timeout=10)
    assert ran == ["kept"]
    pool.shutdown()


def test_the_initializer_runs_on_each_thread_and_shutdown_runs_what_was_queued() -> None:
    names: list[str] = []
    pool = PriorityPool(2, "named", initializer=lambda: names.append(threading.current_thread().name))
    futures = [pool.submit((float(i),), lambda: None) for i in range(5)]
    pool.shutdown()
    assert all(f.done() for f in futures)
    assert sorted(names) == ["named_0", "named_1"]


def test_fewer_than_one_worker_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        PriorityPool(0, "test")


def test_streams_still_silent_go_first_then_by_when_their_listener_runs_out() -> None:
    silent_late = Stream("a", None, arrived=5.0)
    silent_early = Stream("b", None, arrived=4.0)
    playing_long = Stream("c", None, arrived=0.0, chunks_sent=3, first_sent_at=1.0, audio_sent_s=9.0)
    playing_short = Stream("d", None, arrived=2.0, chunks_sent=1, first_sent_at=3.0, audio_sent_s=0.3)
    order = sorted([playing_long, silent_late, playing_short, silent_early], key=Stream.priority)
    assert [s.request_id for s in order] == ["b", "a", "d", "c"]
