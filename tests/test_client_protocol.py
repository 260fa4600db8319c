"""The SDK's no-I/O layer: request encoding, response parsing, error mapping, the retry plan, WAV output."""

from __future__ import annotations

import io
import random
import wave

import grpc
import numpy as np
import pytest

from triton_tts_client import Audio, ClientOptions, RetryPolicy, errors, protocol
from triton_tts_client._proto import inference_pb2 as pb
from triton_tts_client.retrying import Attempts, StreamAttempt, TryNextEndpoint


def test_request_carries_text_and_only_non_default_options() -> None:
    plain = protocol.synthesize_request("Hello.", request_id="abc")
    assert plain.model_name == "tts" and plain.id == "abc"
    assert [i.name for i in plain.inputs] == ["TEXT"] and list(plain.inputs[0].shape) == [1, 1]
    assert protocol.parse_bytes_tensor(plain.raw_input_contents[0]) == [b"Hello."]
    full = protocol.synthesize_request("Héllo.", voice="en_us_joe", rate=1.5)
    assert [i.name for i in full.inputs] == ["TEXT", "VOICE", "RATE"]
    assert protocol.parse_bytes_tensor(full.raw_input_contents[0]) == ["Héllo.".encode()]
    assert np.frombuffer(full.raw_input_contents[2], "<f4")[0] == 1.5
    assert full.id, "every request gets an id for tracing"


def response_with(samples: np.ndarray, rate: int = 22050) -> pb.ModelInferResponse:
    response = pb.ModelInferResponse(model_name="tts", id="r1")
    response.outputs.add(name="AUDIO", datatype="FP32", shape=[1, len(samples)])
    response.outputs.add(name="SAMPLE_RATE", datatype="INT32", shape=[1, 1])
    response.raw_output_contents.extend([samples.astype("<f4").tobytes(), np.array([rate], "<i4").tobytes()])
    return response


def test_audio_is_parsed_and_written_as_wav(tmp_path) -> None:
    samples = np.sin(np.linspace(0, 100, 22050)).astype(np.float32) * 0.5
    audio = protocol.parse_audio(response_with(samples))
    assert audio.sample_rate == 22050 and audio.duration == 1.0 and audio.request_id == "r1"
    np.testing.assert_array_equal(audio.samples, samples)
    audio.write_wav(tmp_path / "a.wav")
    with wave.open(str(tmp_path / "a.wav")) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (1, 2, 22050, 22050)
    with wave.open(io.BytesIO(Audio(np.array([2.0, -2.0], np.float32), 8000).wav_bytes())) as w:
        assert np.frombuffer(w.readframes(2), "<i2").tolist() == [32767, -32767]  # clipped, not wrapped


def test_a_malformed_response_is_a_server_error() -> None:
    response = response_with(np.zeros(4, np.float32))
    del response.raw_output_contents[1]
    with pytest.raises(errors.ServerError):
        protocol.parse_audio(response)


@pytest.mark.parametrize(
    "code, kind",
    [
        (grpc.StatusCode.INVALID_ARGUMENT, errors.InvalidRequestError),
        (grpc.StatusCode.UNAVAILABLE, errors.ServiceUnavailableError),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, errors.ServiceUnavailableError),
        (grpc.StatusCode.DEADLINE_EXCEEDED, errors.DeadlineExceededError),
        (grpc.StatusCode.UNAUTHENTICATED, errors.AuthenticationError),
        (grpc.StatusCode.NOT_FOUND, errors.NotFoundError),
        (grpc.StatusCode.INTERNAL, errors.ServerError),
        (grpc.StatusCode.UNKNOWN, errors.ServerError),
    ],
)
def test_status_codes_map_to_the_exception_tree(code, kind) -> None:
    error = errors.from_grpc(code, "details here", "eu:8001")
    assert type(error) is kind and isinstance(error, errors.TTSError)
    assert error.code == code.name and "details here" in str(error) and "eu:8001" in str(error)


class FakeRpcError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode, details: str = "fake") -> None:
        self._code, self._details = code, details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


def test_attempts_fail_over_in_order_then_back_off_with_jitter() -> None:
    options = ClientOptions(endpoints=("near:1", "far:2"), retry=RetryPolicy(max_rounds=3, initial_backoff_s=0.1))
    attempts = Attempts(options, random.Random(0), deadline_s=60)
    plan = []
    for endpoint, sleep_s in attempts:
        plan.append((endpoint, sleep_s))
        attempts.failed(FakeRpcError(grpc.StatusCode.UNAVAILABLE), endpoint)
    assert [e for e, _ in plan] == ["near:1", "far:2"] * 3
    sleeps = [s for _, s in plan]
    assert sleeps[0] == sleeps[1] == sleeps[3] == sleeps[5] == 0.0  # failover is immediate
    assert 0 < sleeps[2] <= 0.1 and 0 < sleeps[4] <= 0.2  # full jitter under the exponential cap
    error = attempts.exhausted()
    assert isinstance(error, errors.ServiceUnavailableError) and isinstance(error.__cause__, FakeRpcError)


def test_non_retryable_errors_raise_at_once() -> None:
    attempts = Attempts(ClientOptions(endpoints=("a:1", "b:2")), random.Random(0), deadline_s=60)
    endpoint, _ = next(iter(attempts))
    with pytest.raises(errors.InvalidRequestError):
        attempts.failed(FakeRpcError(grpc.StatusCode.INVALID_ARGUMENT), endpoint)


@pytest.mark.parametrize(
    "code, details, retried",
    [
        (grpc.StatusCode.INTERNAL, "Stub process 'vocoder_0_1' is not healthy.", True),
        (grpc.StatusCode.NOT_FOUND, "Request for unknown model: 'tts' has no available versions", True),
        (grpc.StatusCode.UNAVAILABLE, "Server is stopping", True),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, "Received message larger than max (16777300 vs. 16777216)", False),
        (grpc.StatusCode.INTERNAL, "internal error: ValueError: boom", False),
        (grpc.StatusCode.NOT_FOUND, "Request for unknown model: 'ttz' is not found", False),
        (grpc.StatusCode.INVALID_ARGUMENT, "TEXT is empty", False),
    ],
)
def test_dying_servers_fail_over_and_bad_requests_do_not(code, details: str, retried: bool) -> None:
    assert errors.is_retryable(code, details) is retried
    attempts = Attempts(ClientOptions(endpoints=("a:1", "b:2")), random.Random(0), deadline_s=60)
    endpoint, _ = next(iter(attempts))
    if retried:
        attempts.failed(FakeRpcError(code, details), endpoint)
    else:
        with pytest.raises(errors.TTSError):
            attempts.failed(FakeRpcError(code, details), endpoint)


def test_a_message_over_the_size_limit_is_an_invalid_request() -> None:
    error = errors.from_grpc(grpc.StatusCode.RESOURCE_EXHAUSTED, "Sent message larger than max (20 vs. 10)")
    assert isinstance(error, errors.InvalidRequestError) and "send less text" in str(error)


def test_no_attempt_starts_after_the_deadline() -> None:
    attempts = Attempts(ClientOptions(), random.Random(0), deadline_s=1e-9)
    assert list(attempts) == []
    assert isinstance(attempts.exhausted(), errors.DeadlineExceededError)


def test_options_are_validated_and_tuned_for_audio() -> None:
    with pytest.raises(ValueError):
        ClientOptions(endpoints=())
    channel = dict(ClientOptions().channel_options())
    assert channel["grpc.max_receive_message_length"] >= 32 * 1024 * 1024
    assert channel["grpc.keepalive_time_ms"] > 0


def stream_message(samples: np.ndarray | None = None, error: str = "") -> pb.ModelStreamInferResponse:
    """A chunk (samples), the final empty response (None), or an error."""
    if error:
        return pb.ModelStreamInferResponse(error_message=error)
    if samples is None:
        response = pb.ModelInferResponse()
        response.parameters[protocol.FINAL_RESPONSE].bool_param = True
        return pb.ModelStreamInferResponse(infer_response=response)
    return pb.ModelStreamInferResponse(infer_response=response_with(samples))


def test_stream_request_asks_for_the_final_response() -> None:
    request = protocol.stream_request("Hello.", rate=1.2)
    assert request.model_name == "tts_stream"
    assert request.parameters[protocol.EMPTY_FINAL_RESPONSE].bool_param
    assert [i.name for i in request.inputs] == ["TEXT", "RATE"]


def test_stream_responses_are_chunks_the_end_or_mapped_errors() -> None:
    chunk = protocol.parse_stream_response(stream_message(np.ones(5, np.float32)))
    assert chunk.samples.size == 5 and chunk.sample_rate == 22050
    assert protocol.parse_stream_response(stream_message(None)) is None
    with pytest.raises(errors.InvalidRequestError, match="^INVALID_ARGUMENT: TEXT is empty"):
        protocol.parse_stream_response(stream_message(error="INVALID_ARGUMENT: TEXT is empty"))
    with pytest.raises(errors.ServerError, match="no status"):
        protocol.parse_stream_response(stream_message(error="no status: the message of another server"))


def test_a_stream_fails_over_only_before_its_first_chunk() -> None:
    options = ClientOptions(endpoints=("a:1", "b:1"), retry=RetryPolicy(max_rounds=1))
    attempt = StreamAttempt(Attempts(options, random.Random(0), 10.0), "a:1")
    with pytest.raises(TryNextEndpoint):
        attempt.chunk(stream_message(error="UNAVAILABLE: the server is stopping"))
    with pytest.raises(errors.InvalidRequestError):  # never retried
        attempt.chunk(stream_message(error="INVALID_ARGUMENT: unknown VOICE"))
    assert attempt.chunk(stream_message(np.ones(3, np.float32))) is not None
    with pytest.raises(errors.ServiceUnavailableError):  # audio was heard: raised, not retried
        attempt.chunk(stream_message(error="UNAVAILABLE: the server is stopping"))


def test_a_failed_endpoint_is_tried_last_until_its_cooldown_passes() -> None:
    from triton_tts_client.retrying import EndpointHealth

    now = [100.0]
    health = EndpointHealth(cooldown_s=10.0, clock=lambda: now[0])
    endpoints = ("near:1", "far:2", "farther:3")
    assert health.order(endpoints) == list(endpoints)
    health.mark_failed("near:1")
    assert health.order(endpoints) == ["far:2", "farther:3", "near:1"]  # still tried, last
    now[0] += 10.0
    assert health.order(endpoints) == list(endpoints)  # cooled down: nearest first again
    options = ClientOptions(endpoints=("a:1", "b:2"))
    shared = EndpointHealth(options.retry.cooldown_s)
    first = Attempts(options, random.Random(0), 60, shared)
    endpoint, _ = next(iter(first))
    first.failed_with(grpc.StatusCode.UNAVAILABLE, "down", endpoint, None)
    assert [e for e, _ in Attempts(options, random.Random(0), 60, shared)][:2] == ["b:2", "a:1"]  # the next call
