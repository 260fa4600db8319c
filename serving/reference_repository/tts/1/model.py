"""Triton model `tts` of the reference repository: the Piper teacher; the logic is triton_tts.reference."""

import json

import numpy as np
import triton_python_backend_utils as pb_utils

from triton_tts.model_config import required_parameter
from triton_tts.reference import PiperReference, ReferenceRequest
from triton_tts.triton_batch import execute_batch, optional_scalar


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        config = json.loads(args["model_config"])
        self.reference = PiperReference(threads=int(required_parameter(config, "threads")))
        self.reference.synthesize(self.reference.prepare(b"Warm up."))
        self.sample_rate = np.array([[self.reference.sample_rate]], dtype=np.int32)

    def _decode(self, request) -> ReferenceRequest:
        text, voice, rate = (optional_scalar(pb_utils, request, name) for name in ("TEXT", "VOICE", "RATE"))
        return self.reference.prepare(text, voice, None if rate is None else float(rate))

    def _encode(self, audio: np.ndarray) -> list:
        return [pb_utils.Tensor("AUDIO", audio[None, :]), pb_utils.Tensor("SAMPLE_RATE", self.sample_rate)]

    def execute(self, requests: list) -> list:
        compute = lambda items: [self.reference.synthesize(item) for item in items]  # noqa: E731
        return execute_batch(pb_utils, requests, self._decode, compute, self._encode)
