"""Triton model `voices`: the speaker names of the loaded voice artifact."""

import json

import numpy as np
import triton_python_backend_utils as pb_utils

from triton_tts.model_config import voice_dir
from triton_tts.voice_config import load_voice_config


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        config = json.loads(args["model_config"])
        speakers = load_voice_config(voice_dir(config, args["model_repository"])).speakers
        self.voices = np.array([name.encode() for name in speakers], dtype=object)

    def execute(self, requests: list) -> list:
        return [pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor("VOICES", self.voices)]) for _ in requests]
