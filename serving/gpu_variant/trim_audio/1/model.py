"""Triton stage `trim_audio` (GPU variant only): padded AUDIO + AUDIO_LENGTHS (+ TRACE) -> AUDIO, SAMPLE_RATE.

The logic is triton_tts.trim; a length that does not fit is the server's fault (INTERNAL), not the client's.
As the pipeline's last step it writes the request's log line and audio metrics (triton_tts.observability).
"""

import json

import numpy as np
import triton_python_backend_utils as pb_utils

from triton_tts.model_config import voice_dir
from triton_tts.observability import StageObserver, Traced, finish_request, traced
from triton_tts.trim import trim_audio
from triton_tts.triton_batch import execute_batch
from triton_tts.voice_config import load_voice_config


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        config = json.loads(args["model_config"])
        voice_config = load_voice_config(voice_dir(config, args["model_repository"]))
        self.voices = list(voice_config.speakers)
        self.rate = voice_config.mel.sample_rate
        self.sample_rate = np.array([[self.rate]], dtype=np.int32)
        self.observer = StageObserver(pb_utils, "trim_audio")

    @staticmethod
    def _decode(request) -> Traced:
        audio, length = (pb_utils.get_input_tensor_by_name(request, name).as_numpy() for name in ("AUDIO", "AUDIO_LENGTHS"))
        return traced(request, (audio, length), pb_utils.get_input_tensor_by_name(request, "TRACE"))

    @staticmethod
    def _compute(items: list) -> list:
        return [Traced(item.request_id, trim_audio(*item.value), item.trace) for item in items]

    def _encode(self, item: Traced) -> list:
        finish_request(self.observer, item, self.voices, item.value.size / self.rate)
        return [pb_utils.Tensor("AUDIO", item.value[None, :]), pb_utils.Tensor("SAMPLE_RATE", self.sample_rate)]

    def execute(self, requests: list) -> list:
        return execute_batch(pb_utils, requests, self._decode, self._compute, self._encode, self.observer)
