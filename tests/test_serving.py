"""The TTS ensemble on a real Triton server: round trip, each stage, batching, and per-request errors."""

from __future__ import annotations

import queue
from functools import partial

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

from tests.conftest import SENTENCES
from triton_tts.offline import Synthesizer

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


def tensor(name: str, value, datatype: str) -> grpcclient.InferInput:
    array = np.array([[value]], dtype=object if datatype == "BYTES" else np.float32)
    result = grpcclient.InferInput(name, list(array.shape), datatype)
    result.set_data_from_numpy(array)
    return result


def tts_inputs(text: bytes, voice: bytes | None = None, rate: float | None = None) -> list[grpcclient.InferInput]:
    inputs = [tensor("TEXT", text, "BYTES")]
    if voice is not None:
        inputs.append(tensor("VOICE", voice, "BYTES"))
    if rate is not None:
        inputs.append(tensor("RATE", rate, "FP32"))
    return inputs


@pytest.fixture(scope="module")
def client(triton_server):
    with grpcclient.InferenceServerClient(triton_server.grpc_url) as c:
        yield c


def speak(client, text: str, voice: str | None = None, rate: float | None = None) -> np.ndarray:
    result = client.infer("tts", tts_inputs(text.encode(), voice and voice.encode(), rate))
    assert int(result.as_numpy("SAMPLE_RATE").reshape(-1)[0]) == 22050
    return result.as_numpy("AUDIO")[0]


def test_ensemble_returns_speech(client) -> None:
    audio = speak(client, SENTENCES[0])
    assert audio.dtype == np.float32 and np.all(np.abs(audio) <= 1.0)
    assert 1.0 < len(audio) / 22050 < 6.0
    assert np.sqrt(np.mean(audio**2)) > 0.01, "audio is not silent"


def test_metadata_documents_the_contract(client) -> None:
    metadata = client.get_model_metadata("tts", as_json=True)
    assert [i["name"] for i in metadata["inputs"]] == ["TEXT", "VOICE", "RATE"]
    assert [o["name"] for o in metadata["outputs"]] == ["AUDIO", "SAMPLE_RATE"]
    config = client.get_model_config("tts", as_json=True)["config"]
    assert [i.get("optional", False) for i in config["input"]] == [False, True, True]


def test_stages_chain_by_hand(client) -> None:
    front = client.infer("text_frontend", tts_inputs(b"Hello there."))
    ids = front.as_numpy("PHONEME_IDS")
    assert ids.shape[0] == 1 and ids.shape[1] > 5
    acoustic_inputs = []
    for name, dtype in (("PHONEME_IDS", "INT64"), ("SEGMENT_LENGTHS", "INT64"), ("SPEAKER", "INT64"), ("PACE", "FP32")):
        value = front.as_numpy(name)
        acoustic_inputs.append(grpcclient.InferInput(name, list(value.shape), dtype))
        acoustic_inputs[-1].set_data_from_numpy(value)
    mel = client.infer("acoustic", acoustic_inputs).as_numpy("MEL")
    assert mel.shape[:2] == (1, 80) and mel.shape[2] > 10
    mel_input = grpcclient.InferInput("MEL", list(mel.shape), "FP32")
    mel_input.set_data_from_numpy(mel)
    audio = client.infer("vocoder", [mel_input]).as_numpy("AUDIO")
    assert audio.shape[1] == (mel.shape[2] - 1) * 256
    np.testing.assert_array_equal(audio[0], speak(client, "Hello there."))


def test_voices_and_rate_change_the_audio(client) -> None:
    text = "Every voice reads this sentence."
    voices = {v: speak(client, text, v) for v in ("en_us_male", "en_us_female", "en_gb_male")}
    assert not np.array_equal(voices["en_us_male"][:20000], voices["en_us_female"][:20000])
    assert not np.array_equal(voices["en_us_male"][:20000], voices["en_gb_male"][:20000])
    normal, fast, slow = (len(speak(client, text, rate=r)) for r in (1.0, 2.0, 0.5))
    assert 0.4 < fast / normal < 0.65 and 1.6 < slow / normal < 2.4


BAD_REQUESTS = {
    "empty": (b"", None, None, "TEXT is empty"),
    "whitespace": (b" \n\t ", None, None, "TEXT is empty"),
    "too long": (b"word " * 500, None, None, "limit of 2000"),
    "invalid utf-8": (b"caf\xe9 \xff", None, None, "not valid UTF-8"),
    "unknown voice": (b"Hello.", b"robot", None, "unknown VOICE 'robot'"),
    "rate nan": (b"Hello.", None, float("nan"), "RATE must be"),
    "rate inf": (b"Hello.", None, float("inf"), "RATE must be"),
    "rate zero": (b"Hello.", None, 0.0, "RATE must be"),
    "rate too high": (b"Hello.", None, 10.0, "RATE must be"),
    "nothing to speak": (b"   ...   ", None, None, "nothing to speak"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=list(BAD_REQUESTS))
def test_bad_input_gets_a_clear_invalid_argument(client, case: str) -> None:
    text, voice, rate, message = BAD_REQUESTS[case]
    with pytest.raises(InferenceServerException) as error:
        client.infer("tts", tts_inputs(text, voice, rate))
    assert error.value.status() == "StatusCode.INVALID_ARGUMENT"
    assert message in error.value.message()
    assert client.is_server_ready() and client.is_model_ready("tts")


def test_batch_of_several_utterances_is_rejected(client) -> None:
    texts = grpcclient.InferInput("TEXT", [2, 1], "BYTES")
    texts.set_data_from_numpy(np.array([[b"One."], [b"Two."]], dtype=object))
    with pytest.raises(InferenceServerException, match="one utterance per request"):
        client.infer("tts", [texts])


def snr_db(reference: np.ndarray, other: np.ndarray) -> float:
    noise = float(np.sum((reference - other) ** 2))
    return float("inf") if noise == 0 else 10 * np.log10(float(np.sum(reference**2)) / noise)


def batch_counts(client, model: str) -> tuple[int, int]:
    """(inferences, executions) so far: their ratio is the average batch size."""
    stats = client.get_inference_statistics(model, as_json=True)["model_stats"][0]
    return int(stats.get("inference_count", 0)), int(stats.get("execution_count", 0))


def speak_concurrently(url: str, requests: list[tuple[bytes, bytes | None, float | None]]) -> list:
    """Fire all requests at once (async, one client) and wait; an error is returned, not raised."""
    done: queue.Queue = queue.Queue()
    with grpcclient.InferenceServerClient(url) as c:
        for index, request in enumerate(requests):
            c.async_infer("tts", tts_inputs(*request), partial(lambda i, result, error: done.put((i, result, error)), index))
        results: list = [None] * len(requests)
        for _ in requests:
            index, result, error = done.get(timeout=120)
            results[index] = error if error is not None else result.as_numpy("AUDIO")[0]
    return results


def test_concurrent_requests_of_different_lengths_batch_and_match_unbatched(client, triton_server) -> None:
    alone = [speak(client, text) for text in LENGTHS_OF_TEXT]
    before = {m: batch_counts(client, m) for m in ("acoustic", "vocoder")}
    together = speak_concurrently(triton_server.grpc_url, [(t.encode(), None, None) for t in LENGTHS_OF_TEXT])
    for expected, got in zip(alone, together):
        # Same durations, so the same length. Batched matmuls round differently in the last bit and
        # Griffin-Lim's phase iterations amplify that a little: require > 40 dB signal-to-difference.
        assert got.shape == expected.shape
        assert snr_db(expected, got) > 40.0
    for model in ("acoustic", "vocoder"):
        inferences, executions = (a - b for a, b in zip(batch_counts(client, model), before[model]))
        assert inferences == len(LENGTHS_OF_TEXT)
        assert executions < inferences, f"{model}: {inferences} requests ran in {executions} executions (no batching)"


def test_bad_requests_do_not_harm_good_ones_in_the_same_batch(client, triton_server) -> None:
    good = [(t.encode(), None, None) for t in LENGTHS_OF_TEXT[:4]]
    bad = [(b"", None, None), (b"Hello.", b"robot", None), (b"Hello.", None, float("nan")), (b"\xff", None, None)]
    mixed = [item for pair in zip(good, bad) for item in pair]
    results = speak_concurrently(triton_server.grpc_url, mixed)
    for k, result in enumerate(results):
        if k % 2 == 0:
            assert isinstance(result, np.ndarray) and result.size > 0
        else:
            assert isinstance(result, InferenceServerException) and result.status() == "StatusCode.INVALID_ARGUMENT"
    assert client.is_server_ready()


def test_served_audio_is_the_offline_pipelines_audio(client, default_voice) -> None:
    offline = Synthesizer(default_voice)
    for text, voice in (("I paid $5.50 at 3:45pm. Then I left!", "en_gb_male"), (SENTENCES[1], "en_us_female")):
        expected = offline.synthesize([text], [voice])[0]
        served = speak(client, text, voice)
        assert served.shape == expected.shape and snr_db(expected, served) > 40.0
