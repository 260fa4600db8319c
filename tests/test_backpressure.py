"""Backpressure on a real server with tiny bounds (one waiting request per model stage, two streams): overload
gets a fast, retryable UNAVAILABLE, never another error, and a stream that has started is never cut."""

from __future__ import annotations

import threading

import pytest

from serving.launcher import ServerOptions, TritonServer
from tests.conftest import free_port
from triton_tts_client import RetryPolicy, TTSClient, TTSError

pytestmark = pytest.mark.slow
TEXT = "A request among many, sent while the server is already as busy as it may get today. " * 2


@pytest.fixture(scope="module")
def small_server(tmp_path_factory):
    options = ServerOptions(
        grpc_port=free_port(), http_port=free_port(), metrics_port=free_port(),
        build_dir=tmp_path_factory.mktemp("backpressure"), instances={"vocoder": 1},
        max_queue={"acoustic": 1, "vocoder": 1}, parameters={"tts_stream": {"max_streams": "2"}},
    )
    with TritonServer(options) as server:
        yield server


def run_concurrently(calls: list) -> list[str]:
    """Each call in its own thread, started together: what each returned, or its error code."""
    outcomes: list[str] = []
    start = threading.Barrier(len(calls))

    def run(call) -> None:
        start.wait()
        try:
            outcomes.append(call())
        except TTSError as exc:
            outcomes.append(exc.code if exc.code != "UNAVAILABLE" or "busy" in str(exc) or "queue size" in str(exc) else str(exc))

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcomes


def test_overload_is_refused_with_unavailable_and_the_rest_is_served(small_server) -> None:
    def whole() -> str:
        with TTSClient(small_server.grpc_url, retry=RetryPolicy(max_rounds=1)) as client:
            return "ok" if client.synthesize(TEXT).duration > 3 else "short"

    outcomes = run_concurrently([whole] * 16)
    assert set(outcomes) == {"ok", "UNAVAILABLE"}, outcomes


def test_started_streams_are_never_cut_and_new_ones_past_the_bound_are_refused(small_server) -> None:
    """Two streams (the bound) start; then four more streams and eight whole requests arrive while they run."""
    first_chunks = threading.Barrier(3)
    long_text = TEXT * 6

    def started_stream() -> str:
        chunks = 0
        with TTSClient(small_server.grpc_url, retry=RetryPolicy(max_rounds=1)) as client:
            try:
                for _ in client.stream(long_text):
                    chunks += 1
                    if chunks == 1:
                        first_chunks.wait(30)
            except TTSError as exc:
                return f"cut after {chunks} chunks: {exc}"
        return "ok" if chunks > 1 else f"{chunks} chunks"

    def late_stream() -> str:
        with TTSClient(small_server.grpc_url, retry=RetryPolicy(max_rounds=1)) as client:
            return "ok" if sum(c.duration for c in client.stream(TEXT)) > 3 else "short"

    def whole() -> str:  # fills the stages' one-request queues while the streams run
        with TTSClient(small_server.grpc_url, retry=RetryPolicy(max_rounds=1)) as client:
            return "ok" if client.synthesize(TEXT).duration > 3 else "short"

    started: list[str] = []
    threads = [threading.Thread(target=lambda: started.append(started_stream())) for _ in range(2)]
    for thread in threads:
        thread.start()
    first_chunks.wait(30)  # both streams have sent audio
    late = run_concurrently([late_stream] * 4 + [whole] * 8)
    for thread in threads:
        thread.join(120)
    assert started == ["ok", "ok"], started
    assert set(late) <= {"ok", "UNAVAILABLE"} and "UNAVAILABLE" in late, late


def test_the_sdk_retries_refusals_through_a_burst(small_server) -> None:
    """Jittered backoff between rounds spreads a burst out: every request gets through."""
    def whole_with_retries() -> str:
        with TTSClient(small_server.grpc_url, retry=RetryPolicy(max_rounds=8)) as client:
            return "ok" if client.synthesize(TEXT).duration > 3 else "short"

    assert run_concurrently([whole_with_retries] * 6) == ["ok"] * 6
