"""Triton stage `trim_audio` (GPU variant only): padded AUDIO + AUDIO_LENGTHS (+ TRACE, DURATIONS, WORD_SPANS,
ENCODING, OUTPUT_SAMPLE_RATE) -> AUDIO, SAMPLE_RATE, AUDIO_BYTES, WORD_TIMES.

The logic is triton_tts.trim, .timing and .audio_format; a length that does not fit is the server's fault
(INTERNAL), not the client's.
As the pipeline's last step it writes the request's log line and audio metrics (triton_tts.observability).
"""

import json

import triton_python_backend_utils as pb_utils

from triton_tts.audio_format import encode, parse_format
from triton_tts.model_config import voice_dir
from triton_tts.observability import StageObserver, Traced, finish_request, traced
from triton_tts.trim import FinishedAudio, engine_word_times, trim_audio
from triton_tts.triton_batch import audio_tensors, execute_batch, optional_scalar
from triton_tts.voice_config import load_voice_config


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        config = json.loads(args["model_config"])
        voice_config = load_voice_config(voice_dir(config, args["model_repository"]))
        self.voices = list(voice_config.speakers)
        self.rate = voice_config.mel.sample_rate
        self.seconds_per_frame = voice_config.mel.hop_length / self.rate
        self.observer = StageObserver(pb_utils, "trim_audio")

    def _decode(self, request) -> Traced:
        audio, length = (pb_utils.get_input_tensor_by_name(request, name).as_numpy() for name in ("AUDIO", "AUDIO_LENGTHS"))
        rate = optional_scalar(pb_utils, request, "OUTPUT_SAMPLE_RATE")
        audio_format = parse_format(optional_scalar(pb_utils, request, "ENCODING"), None if rate is None else int(rate), self.rate)
        durations, spans = (_optional(request, name) for name in ("DURATIONS", "WORD_SPANS"))
        return traced(request, (audio, length, durations, spans, audio_format), pb_utils.get_input_tensor_by_name(request, "TRACE"))

    def _compute(self, items: list) -> list:
        return [Traced(item.request_id, self._finish(*item.value), item.trace) for item in items]

    def _finish(self, audio, length, durations, spans, audio_format) -> FinishedAudio:
        samples = trim_audio(audio, length)
        times = engine_word_times(durations, spans, self.seconds_per_frame, samples.size / self.rate)
        encoded_samples, encoded = encode(samples, self.rate, audio_format)
        return FinishedAudio(encoded_samples, audio_format.sample_rate, encoded, times)

    def _encode(self, item: Traced) -> list:
        audio = item.value
        finish_request(self.observer, item, self.voices, audio.samples.size / audio.sample_rate)
        return [*audio_tensors(pb_utils, audio.samples, audio.sample_rate, audio.encoded), pb_utils.Tensor("WORD_TIMES", audio.word_times[None, :, :])]

    def execute(self, requests: list) -> list:
        return execute_batch(pb_utils, requests, self._decode, self._compute, self._encode, self.observer)


def _optional(request, name: str):
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    return None if tensor is None else tensor.as_numpy()
