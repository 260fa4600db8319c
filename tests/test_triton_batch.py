"""The per-request error contract, without Triton: bad requests get their own error, good ones still run;
and the GPU variant's trim step."""

from types import SimpleNamespace

import numpy as np
import pytest

from triton_tts.draining import DRAIN_FILE_ENV, refuse_if_draining
from triton_tts.errors import MAX_MESSAGE_CHARS, InvalidRequest
from triton_tts.trim import trim_audio
from triton_tts.triton_batch import execute_batch


class FakeError:
    INVALID_ARG, INTERNAL, UNAVAILABLE = "INVALID_ARG", "INTERNAL", "UNAVAILABLE"

    def __init__(self, message: str, code: str) -> None:
        self.message, self.code = message, code


fake_pb_utils = SimpleNamespace(
    TritonError=FakeError,
    InferenceResponse=lambda output_tensors=None, error=None: SimpleNamespace(outputs=output_tensors, error=error),
)


def decode(request: int) -> int:
    if request < 0:
        raise InvalidRequest(f"negative: {request}")
    return request


def test_bad_requests_get_their_own_errors_and_good_ones_run_as_one_batch() -> None:
    batches = []

    def compute(items):
        batches.append(items)
        return [i * 10 for i in items]

    responses = execute_batch(fake_pb_utils, [1, -2, 3, -4], decode, compute, lambda r: [r])
    assert batches == [[1, 3]]
    assert [r.outputs for r in responses] == [[10], None, [30], None]
    assert responses[1].error.code == "INVALID_ARG" and "negative: -2" in responses[1].error.message


def test_a_draining_server_refuses_new_requests_with_unavailable(tmp_path, monkeypatch) -> None:
    def decode_unless_draining(request: int) -> int:
        refuse_if_draining()
        return request

    monkeypatch.setenv(DRAIN_FILE_ENV, str(tmp_path / "draining"))
    assert [r.outputs for r in execute_batch(fake_pb_utils, [1], decode_unless_draining, lambda items: items, lambda r: [r])] == [[1]]
    (tmp_path / "draining").touch()
    (response,) = execute_batch(fake_pb_utils, [1], decode_unless_draining, lambda items: items, lambda r: [r])
    assert response.error.code == "UNAVAILABLE" and "another server" in response.error.message


def test_a_failing_batch_fails_its_requests_not_the_call() -> None:
    def compute(items):
        raise RuntimeError("boom")

    responses = execute_batch(fake_pb_utils, [1, -1], decode, compute, lambda r: [r])
    assert responses[0].error.code == "INTERNAL" and "boom" in responses[0].error.message
    assert responses[1].error.code == "INVALID_ARG"


def test_a_request_that_breaks_compute_fails_alone() -> None:
    calls = []

    def compute(items):
        calls.append(list(items))
        if 13 in items:
            raise ValueError("cannot compute 13")
        return [i * 10 for i in items]

    responses = execute_batch(fake_pb_utils, [1, 13, 3, -4], decode, compute, lambda r: [r])
    assert calls == [[1, 13, 3], [1], [13], [3]]  # the batch, then each request alone
    assert [r.outputs for r in responses] == [[10], None, [30], None]
    assert responses[1].error.code == "INTERNAL" and "cannot compute 13" in responses[1].error.message
    assert responses[3].error.code == "INVALID_ARG"


def test_a_request_whose_decoding_hits_a_bug_fails_alone_with_a_short_message() -> None:
    def decode_or_overflow(request: int) -> int:
        if request == 13:
            raise OverflowError("9" * 5000)
        return request

    responses = execute_batch(fake_pb_utils, [1, 13, 3], decode_or_overflow, lambda items: [i * 10 for i in items], lambda r: [r])
    assert [r.outputs for r in responses] == [[10], None, [30]]
    assert responses[1].error.code == "INTERNAL" and responses[1].error.message.startswith("internal error: OverflowError: 999")
    assert len(responses[1].error.message) <= MAX_MESSAGE_CHARS


def test_trim_audio_cuts_to_the_length_and_refuses_impossible_lengths() -> None:
    padded = np.arange(10, dtype=np.float32)[None, :]
    assert trim_audio(padded, np.array([[4]])).tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="outside the padded audio"):
        trim_audio(padded, np.array([11]))
