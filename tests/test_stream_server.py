"""`tts_stream` on a real Triton server: chunks equal `tts`'s audio, bad input, cancellation, deadlines, metrics."""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from tests.test_serving import BAD_REQUESTS, LENGTHS_OF_TEXT
from triton_tts_client import AsyncTTSClient, DeadlineExceededError, InvalidRequestError, RetryPolicy, TTSClient

pytestmark = pytest.mark.slow
LONG_TEXT = " ".join(f"This is announcement number {i}, for everyone listening in the car tonight." for i in range(20))


@pytest.fixture(scope="module")
def client(triton_server):
    with TTSClient(triton_server.grpc_url, retry=RetryPolicy(max_rounds=1)) as c:
        yield c


def metric(triton_server, name: str, label: str = "") -> float:
    """The sum of a Prometheus series' samples (those whose labels contain `label`)."""
    text = urllib.request.urlopen(f"http://localhost:{triton_server.options.metrics_port}/metrics", timeout=10).read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + ("{" if label else "")) and label in line)


def streamed(client: TTSClient, text: str, voice: str | None = None, rate: float = 1.0) -> list[np.ndarray]:
    chunks = list(client.stream(text, voice, rate))
    assert all(c.sample_rate == 22050 for c in chunks)
    return [c.samples for c in chunks]


@pytest.mark.parametrize(("text", "rate"), [(LENGTHS_OF_TEXT[0], 1.0), (LENGTHS_OF_TEXT[4], 0.7), (" ".join(LENGTHS_OF_TEXT), 1.3)])
def test_chunks_join_into_the_non_streaming_audio(client, text: str, rate: float) -> None:
    chunks = streamed(client, text, rate=rate)
    whole = client.synthesize(text, rate=rate).samples
    joined = np.concatenate(chunks)
    assert joined.shape == whole.shape
    assert np.abs(joined - whole).max() <= 1e-4


def test_first_chunk_is_short_and_long_text_comes_in_several(client) -> None:
    chunks = streamed(client, LONG_TEXT)
    assert chunks[0].size <= 0.3 * 22050
    assert len(chunks) >= 5
    assert all(c.size > 0 for c in chunks)


def test_a_sync_stream_is_read_on_the_callers_thread(triton_server) -> None:
    """No grpc channel thread per stream: a client that streams one utterance at a time would start one each time."""
    with TTSClient(triton_server.grpc_url, retry=RetryPolicy(max_rounds=1)) as fresh:
        threads = threading.active_count()
        for _ in fresh.stream(LONG_TEXT):
            assert threading.active_count() == threads


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=list(BAD_REQUESTS))
def test_bad_input_gets_a_clear_invalid_argument(client, case: str) -> None:
    text, voice, rate, message = BAD_REQUESTS[case]
    with pytest.raises(InvalidRequestError, match=message) as error:
        list(client.stream(text, voice, rate))
    assert error.value.code == "INVALID_ARGUMENT"


def test_concurrent_streams_and_a_bad_one_do_not_disturb_each_other(client) -> None:
    texts = [LENGTHS_OF_TEXT[1], "", LENGTHS_OF_TEXT[3], LENGTHS_OF_TEXT[7]]
    expected = {t: client.synthesize(t).samples for t in texts if t}

    def run(text: str):
        try:
            return np.concatenate(streamed(client, text))
        except InvalidRequestError as exc:
            return exc

    with ThreadPoolExecutor(len(texts)) as pool:
        results = dict(zip(texts, pool.map(run, texts)))
    assert isinstance(results[""], InvalidRequestError)
    for text, audio in expected.items():
        assert np.abs(results[text] - audio).max() <= 1e-4


def vocoder_calls(triton_server) -> float:
    """tts_stream's calls into its in-process vocoder."""
    return metric(triton_server, "tts_stage_compute_seconds_count", 'stage="tts_stream_vocoder"')


def wait_for_cancellations(triton_server, count: float) -> None:
    deadline = time.monotonic() + 20
    while metric(triton_server, "tts_stream_cancelled_total") < count and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_cancelled_stream_stops_the_servers_work(client, triton_server) -> None:
    full = vocoder_calls(triton_server)
    chunks = len(streamed(client, LONG_TEXT))
    full = vocoder_calls(triton_server) - full
    assert full == chunks  # one vocoder call per chunk
    cancelled_before, calls_before = metric(triton_server, "tts_stream_cancelled_total"), vocoder_calls(triton_server)
    stream = client.stream(LONG_TEXT)
    next(stream)
    stream.close()  # cancels the gRPC call
    wait_for_cancellations(triton_server, cancelled_before + 1)
    assert metric(triton_server, "tts_stream_cancelled_total") == cancelled_before + 1
    time.sleep(1.0)  # any work still running would show up in the counter by now
    assert vocoder_calls(triton_server) - calls_before <= 3 < chunks


def test_a_passed_deadline_stops_the_servers_work(client, triton_server) -> None:
    cancelled_before = metric(triton_server, "tts_stream_cancelled_total")
    with pytest.raises(DeadlineExceededError):
        for _ in client.stream(LONG_TEXT, rate=0.5, deadline_s=0.2):
            time.sleep(0.1)  # a slow reader: the deadline passes mid-stream
    wait_for_cancellations(triton_server, cancelled_before + 1)
    assert metric(triton_server, "tts_stream_cancelled_total") == cancelled_before + 1


def test_async_client_streams_the_same_audio(triton_server, client) -> None:
    async def collect() -> list[np.ndarray]:
        async with AsyncTTSClient(triton_server.grpc_url) as tts:
            return [chunk.samples async for chunk in tts.stream(LENGTHS_OF_TEXT[5])]

    joined = np.concatenate(asyncio.run(collect()))
    assert np.abs(joined - client.synthesize(LENGTHS_OF_TEXT[5]).samples).max() <= 1e-4


def test_streaming_metrics_are_exported(client, triton_server) -> None:
    before = metric(triton_server, "tts_time_to_first_audio_seconds_count")
    streamed(client, LENGTHS_OF_TEXT[2])
    assert metric(triton_server, "tts_time_to_first_audio_seconds_count") == before + 1
    assert metric(triton_server, "tts_stream_chunks_count") >= 1
    # Triton's own nv_inference_first_response_histogram_ms is not compiled into the 2.51 build of the
    # nvidia-pytriton wheel (its library has no such series); tritonserver images that have it export it.
