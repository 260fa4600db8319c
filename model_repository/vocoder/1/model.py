"""Triton stage `vocoder`: tensors in and out; the logic is triton_tts.stages.VocoderStage."""

import json

import numpy as np
import triton_python_backend_utils as pb_utils

from triton_tts.model_config import parameter, voice_dir
from triton_tts.stages import VocoderStage, set_torch_threads
from triton_tts.triton_batch import execute_batch
from triton_tts.vocoder import GriffinLim
from triton_tts.voice import load_voice_config


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        config = json.loads(args["model_config"])
        set_torch_threads(int(parameter(config, "torch_threads", "0")))
        mel_config = load_voice_config(voice_dir(config, args["model_repository"])).mel
        self.stage = VocoderStage(GriffinLim(mel_config), int(parameter(config, "compute_batch_size", "1")))
        self.stage.warm_up()
        self.sample_rate = np.array([[self.stage.sample_rate]], dtype=np.int32)

    def _decode(self, request) -> np.ndarray:
        mel = pb_utils.get_input_tensor_by_name(request, "MEL").as_numpy()
        return self.stage.validate(mel[0] if mel.ndim == 3 and mel.shape[0] == 1 else mel)

    def _encode(self, audio: np.ndarray) -> list:
        return [pb_utils.Tensor("AUDIO", audio[None, :]), pb_utils.Tensor("SAMPLE_RATE", self.sample_rate)]

    def execute(self, requests: list) -> list:
        return execute_batch(pb_utils, requests, self._decode, self.stage.run, self._encode)
