"""Triton stage `text_frontend`: tensors in and out; the logic is triton_tts.frontend."""

import json

import numpy as np
import triton_python_backend_utils as pb_utils

from triton_tts.frontend import PhonemizedRequest, load_frontend
from triton_tts.frontend_request import phonemize_request, requested_format
from triton_tts.model_config import lexicon_file, required_parameter, voice_dir
from triton_tts.observability import StageObserver, Traced
from triton_tts.triton_batch import execute_batch
from triton_tts.voice_config import load_voice_config


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        config = json.loads(args["model_config"])
        self.voice_config = load_voice_config(voice_dir(config, args["model_repository"]))
        max_phonemes = int(required_parameter(config, "max_phonemes"))
        self.frontend = load_frontend(self.voice_config, lexicon_file(args["model_repository"]), max_phonemes)
        self.observer = StageObserver(pb_utils, "text_frontend")
        self.voices = list(self.voice_config.speakers)

    def _decode(self, request) -> Traced[PhonemizedRequest]:
        requested_format(pb_utils, request, self.voice_config.mel.sample_rate)  # the vocoder uses it; refused here
        return phonemize_request(pb_utils, request, self.frontend, self.observer, self.voices)

    @staticmethod
    def _encode(item: Traced[PhonemizedRequest]) -> list:
        result = item.value
        return [
            pb_utils.Tensor("PHONEME_IDS", result.ids[None, :]),
            pb_utils.Tensor("SEGMENT_LENGTHS", result.segment_lengths[None, :]),
            pb_utils.Tensor("LENGTHS", np.array([[result.ids.size]], dtype=np.int64)),
            pb_utils.Tensor("SPEAKER", np.array([[result.speaker]], dtype=np.int64)),
            pb_utils.Tensor("PACE", np.array([[result.pace]], dtype=np.float32)),
            pb_utils.Tensor("SEGMENT_PACES", result.segment_paces[None, :]),
            pb_utils.Tensor("SEGMENT_PAUSE_FRAMES", result.segment_pause_frames[None, :]),
            pb_utils.Tensor("WORDS", np.array([w.encode() for w in result.words], dtype=np.object_).reshape(1, -1)),
            pb_utils.Tensor("WORD_SPANS", result.word_spans.reshape(1, -1)),
            pb_utils.Tensor("TRACE", item.trace.to_array()[None, :]),
        ]

    def execute(self, requests: list) -> list:
        return execute_batch(pb_utils, requests, self._decode, lambda items: items, self._encode, self.observer)
