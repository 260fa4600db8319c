"""Triton stage `trim_audio` (GPU variant only): padded AUDIO + AUDIO_LENGTHS -> AUDIO, SAMPLE_RATE.

The logic is triton_tts.trim; a length that does not fit is the server's fault (INTERNAL), not the client's.
"""

import json

import numpy as np
import triton_python_backend_utils as pb_utils

from triton_tts.model_config import voice_dir
from triton_tts.trim import trim_audio
from triton_tts.triton_batch import execute_batch
from triton_tts.voice import load_voice_config


def _inputs(request) -> tuple[np.ndarray, np.ndarray]:
    return tuple(pb_utils.get_input_tensor_by_name(request, name).as_numpy() for name in ("AUDIO", "AUDIO_LENGTHS"))


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        config = json.loads(args["model_config"])
        rate = load_voice_config(voice_dir(config, args["model_repository"])).mel.sample_rate
        self.sample_rate = np.array([[rate]], dtype=np.int32)

    def _encode(self, audio: np.ndarray) -> list:
        return [pb_utils.Tensor("AUDIO", audio[None, :]), pb_utils.Tensor("SAMPLE_RATE", self.sample_rate)]

    def execute(self, requests: list) -> list:
        return execute_batch(pb_utils, requests, _inputs, lambda items: [trim_audio(*item) for item in items], self._encode)
