"""The TTS ensemble on a real Triton server: round trip, each stage, batching, and per-request errors."""

from __future__ import annotations

import asyncio

import grpc
import numpy as np
import pytest

from tests.conftest import SENTENCES
from serving.launcher import DEFAULT_VOICE_DIR
from serving.triton_http import batch_counts, get_json, infer
from triton_tts.offline import Synthesizer
from triton_tts_client import AsyncTTSClient, InvalidRequestError, RetryPolicy, TTSClient, protocol
from triton_tts_client._proto.inference_pb2_grpc import GRPCInferenceServiceStub

pytestmark = pytest.mark.slow
LENGTHS_OF_TEXT = [
    "Hi.",
    "Good morning.",
    "The rain stopped an hour ago.",
    "Please turn left at the second set of traffic lights.",
    "Music is the one incorporeal entrance into the higher world of knowledge.",
    "We shipped the release on Tuesday, and nobody noticed anything unusual.",
    "A short one.",
    "Numbers like 42 and times like 9:30 are read out in words, as they should be.",
]


@pytest.fixture(scope="module")
def client(triton_server):
    with TTSClient(triton_server.grpc_url, retry=RetryPolicy(max_rounds=1)) as c:
        yield c


def speak(client: TTSClient, text: str, voice: str | None = None, rate: float = 1.0) -> np.ndarray:
    audio = client.synthesize(text, voice, rate)
    assert audio.sample_rate == 22050
    return audio.samples


def snr_db(reference: np.ndarray, other: np.ndarray) -> float:
    noise = float(np.sum((reference - other) ** 2))
    return float("inf") if noise == 0 else 10 * np.log10(float(np.sum(reference**2)) / noise)


def test_ensemble_returns_speech(client) -> None:
    audio = speak(client, SENTENCES[0])
    assert audio.dtype == np.float32 and np.all(np.abs(audio) <= 1.0)
    assert 1.0 < len(audio) / 22050 < 6.0
    assert np.sqrt(np.mean(audio**2)) > 0.01, "audio is not silent"


def test_metadata_documents_the_contract(triton_server) -> None:
    metadata = get_json(triton_server.http_url, "/v2/models/tts")
    assert [i["name"] for i in metadata["inputs"]] == ["TEXT", "VOICE", "RATE", "ENCODING", "OUTPUT_SAMPLE_RATE", "WORD_TIMESTAMPS"]
    assert [o["name"] for o in metadata["outputs"]] == ["AUDIO", "SAMPLE_RATE", "AUDIO_BYTES", "WORDS", "WORD_TIMES"]
    config = get_json(triton_server.http_url, "/v2/models/tts/config")
    # TEXT too: required, but declared optional so that a request without it reaches the frontend, which says so
    assert [i.get("optional", False) for i in config["input"]] == [True] * 6


def test_stages_chain_by_hand(client, triton_server) -> None:
    url = triton_server.http_url
    front = infer(url, "text_frontend", {"TEXT": ("BYTES", np.array([["Hello there."]], dtype=object))})
    assert front["PHONEME_IDS"].shape[0] == 1 and front["PHONEME_IDS"].shape[1] > 5
    types = {"PHONEME_IDS": "INT64", "SEGMENT_LENGTHS": "INT64", "SPEAKER": "INT64", "PACE": "FP32"}
    mel = infer(url, "acoustic", {name: (dtype, front[name]) for name, dtype in types.items()})["MEL"]
    assert mel.shape[:2] == (1, 80) and mel.shape[2] > 10
    audio = infer(url, "vocoder", {"MEL": ("FP32", mel.astype(np.float32))})["AUDIO"]
    assert audio.shape[1] == (mel.shape[2] - 1) * 256
    assert snr_db(speak(client, "Hello there."), audio[0].astype(np.float32)) > 40.0  # JSON rounds the mel


def test_voices_and_rate_change_the_audio(client) -> None:
    assert client.voices() == ["en_us_joe"]
    text = "Every voice reads this sentence."
    np.testing.assert_array_equal(speak(client, text, "en_us_joe"), speak(client, text))  # the default voice
    normal, fast, slow = (len(speak(client, text, rate=r)) for r in (1.0, 2.0, 0.5))
    assert 0.4 < fast / normal < 0.65 and 1.6 < slow / normal < 2.4


BAD_REQUESTS = {
    "empty": ("", None, 1.0, "TEXT is empty"),
    "whitespace": (" \n\t ", None, 1.0, "TEXT is empty"),
    "too long": ("word " * 500, None, 1.0, "limit of 2000"),
    "unknown voice": ("Hello.", "robot", 1.0, "unknown VOICE 'robot'"),
    "retired voice": ("Hello.", "en_gb_male", 1.0, "VOICE 'en_gb_male' was retired .* available voices: en_us_joe"),
    "rate nan": ("Hello.", None, float("nan"), "RATE must be"),
    "rate inf": ("Hello.", None, float("inf"), "RATE must be"),
    "rate zero": ("Hello.", None, 0.0, "RATE must be"),
    "rate too high": ("Hello.", None, 10.0, "RATE must be"),
    "nothing to speak": ("   ...   ", None, 1.0, "nothing to speak"),
    "numbers expand too far": ("1234567. " * 222, None, 0.5, "phonemes long; this deployment takes at most 6000"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=list(BAD_REQUESTS))
def test_bad_input_gets_a_clear_invalid_argument(client, case: str) -> None:
    text, voice, rate, message = BAD_REQUESTS[case]
    with pytest.raises(InvalidRequestError, match=message) as error:
        client.synthesize(text, voice, rate)
    assert error.value.code == "INVALID_ARGUMENT"
    assert client.ready()


def raw_infer_error(url: str, request) -> grpc.RpcError:
    """Send a hand-made request with the generated stub (other languages can send anything) and return its error."""
    with grpc.insecure_channel(url) as channel:
        with pytest.raises(grpc.RpcError) as error:
            GRPCInferenceServiceStub(channel).ModelInfer(request, timeout=30)
    return error.value


def test_text_that_is_not_utf8_is_rejected(triton_server) -> None:
    request = protocol.synthesize_request("placeholder")
    request.raw_input_contents[0] = protocol.bytes_tensor(b"caf\xe9 \xff")
    error = raw_infer_error(triton_server.grpc_url, request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "not valid UTF-8" in error.details()


def test_several_utterances_in_one_request_are_rejected(triton_server) -> None:
    request = protocol.synthesize_request("One.")
    request.inputs[0].shape[:] = [2, 1]
    request.raw_input_contents[0] = protocol.bytes_tensor(b"One.", b"Two.")
    error = raw_infer_error(triton_server.grpc_url, request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "one utterance per request" in error.details()


@pytest.mark.parametrize("model", ["tts", "tts_stream"])
def test_a_request_without_text_is_told_to_send_it(triton_server, model: str) -> None:
    request = protocol.synthesize_request("placeholder", rate=1.2, model=model)
    del request.inputs[0], request.raw_input_contents[0]  # RATE alone
    with grpc.insecure_channel(triton_server.grpc_url) as channel:
        stub = GRPCInferenceServiceStub(channel)
        if model == "tts":
            with pytest.raises(grpc.RpcError) as error:
                stub.ModelInfer(request, timeout=30)
            assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            message = error.value.details()
        else:
            (response,) = list(stub.ModelStreamInfer(iter([request]), timeout=30))
            message = response.error_message
            assert message.startswith("INVALID_ARGUMENT: ")
    assert "TEXT is required" in message


def speak_concurrently(url: str, requests: list[tuple[str, str | None, float]]) -> list:
    """Send all requests at once from one asyncio client; an error is returned, not raised."""

    async def run() -> list:
        async with AsyncTTSClient(url, retry=RetryPolicy(max_rounds=1)) as tts:
            return await asyncio.gather(*(tts.synthesize(*r) for r in requests), return_exceptions=True)

    return [r if isinstance(r, Exception) else r.samples for r in asyncio.run(run())]


def test_concurrent_requests_of_different_lengths_batch_and_match_unbatched(client, triton_server) -> None:
    alone = [speak(client, text) for text in LENGTHS_OF_TEXT]
    before = {m: batch_counts(triton_server.http_url, m) for m in ("acoustic", "vocoder")}
    together = speak_concurrently(triton_server.grpc_url, [(t, None, 1.0) for t in LENGTHS_OF_TEXT])
    for expected, got in zip(alone, together):
        # Stages compute one sentence per forward pass on CPU (compute_batch_size 1): bit-identical.
        np.testing.assert_array_equal(got, expected)
    for model in ("acoustic", "vocoder"):
        inferences, executions = (a - b for a, b in zip(batch_counts(triton_server.http_url, model), before[model]))
        assert inferences == len(LENGTHS_OF_TEXT)
        assert executions < inferences, f"{model}: {inferences} requests ran in {executions} executions (no batching)"


def test_bad_requests_do_not_harm_good_ones_in_the_same_batch(client, triton_server) -> None:
    good = [(t, None, 1.0) for t in LENGTHS_OF_TEXT[:4]]
    bad = [("  ", None, 1.0), ("Hello.", "robot", 1.0), ("Hello.", None, float("nan")), ("x" * 2001, None, 1.0)]
    mixed = [item for pair in zip(good, bad) for item in pair]
    results = speak_concurrently(triton_server.grpc_url, mixed)
    for k, result in enumerate(results):
        if k % 2 == 0:
            assert isinstance(result, np.ndarray) and result.size > 0
        else:
            assert isinstance(result, InvalidRequestError)
    assert client.ready()


def test_served_audio_is_the_offline_pipelines_audio(client) -> None:
    offline = Synthesizer.load(DEFAULT_VOICE_DIR)
    for text, voice in (("I paid $5.50 at 3:45pm. Then I left!", "en_us_joe"), (SENTENCES[1], None)):
        expected = offline.synthesize([text], [voice])[0]
        served = speak(client, text, voice)
        assert served.shape == expected.shape and snr_db(expected, served) > 40.0
