"""What each `tts_stream` response carries: only the outputs the client asked for (tritonserver 2.51 drops the
others inside ResponseSender.send() without the GIL, which corrupted the stub's heap under load)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np

from serving import model_config
from triton_tts.stream_service import STREAM_OUTPUTS, chunk_tensors, requested_outputs


class FakeTensor:
    def __init__(self, name: str, array: np.ndarray) -> None:
        self._name, self.array = name, array

    def name(self) -> str:
        return self._name


PB = SimpleNamespace(Tensor=FakeTensor)
AUDIO = np.linspace(-0.5, 0.5, 256, dtype=np.float32)
WORDS = [("hello", (0.0, 0.4)), ("there", (0.4, 0.9))]


def test_a_chunk_carries_only_the_requested_outputs() -> None:
    for wanted in ({"AUDIO", "SAMPLE_RATE"}, {"AUDIO_BYTES", "SAMPLE_RATE"}, {"AUDIO", "SAMPLE_RATE", "WORDS", "WORD_TIMES"}):
        tensors = chunk_tensors(PB, AUDIO, 22050, "AUDIO_BYTES" in wanted, WORDS, wanted)
        assert {t.name() for t in tensors} == wanted


def test_the_words_and_pcm16_bytes_are_the_chunks() -> None:
    tensors = {t.name(): t.array for t in chunk_tensors(PB, AUDIO, 22050, True, WORDS, set(STREAM_OUTPUTS))}
    assert tensors["WORDS"].tolist() == [[b"hello", b"there"]]
    assert tensors["WORD_TIMES"].shape == (1, 2, 2)
    assert len(tensors["AUDIO_BYTES"][0, 0]) == 2 * AUDIO.size
    assert tensors["SAMPLE_RATE"].item() == 22050


def test_a_request_naming_no_outputs_gets_all_of_them() -> None:
    assert requested_outputs(SimpleNamespace(requested_output_names=lambda: [])) == set(STREAM_OUTPUTS)
    assert requested_outputs(SimpleNamespace(requested_output_names=lambda: ["AUDIO"])) == {"AUDIO"}


def test_the_outputs_are_the_models_declared_outputs() -> None:
    config = model_config.read(Path(__file__).parents[1] / "model_repository" / "tts_stream" / "config.pbtxt")
    assert [output.name for output in config.output] == list(STREAM_OUTPUTS)
