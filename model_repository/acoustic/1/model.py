"""Triton stage `acoustic`: tensors in and out; the logic is triton_tts.stages.AcousticStage."""

import json

import triton_python_backend_utils as pb_utils

from triton_tts.model_config import required_parameter, voice_dir
from triton_tts.observability import StageObserver, Traced, traced, run_traced, trace_array
from triton_tts.runtimes import Placement, acoustic_runner
from triton_tts.stages import AcousticRequest, AcousticResult, AcousticStage, set_torch_threads
from triton_tts.triton_batch import execute_batch
from triton_tts.voice import load_voice


def _array(request, name: str):
    return pb_utils.get_input_tensor_by_name(request, name).as_numpy()


def _optional_row(request, name: str):
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    return None if tensor is None else tensor.as_numpy().reshape(-1)


def _word_spans(flat):
    """WORD_SPANS travels as flat (first, last) pairs; an odd count is refused by the stage's validation."""
    return None if flat is None else flat.reshape(-1, 2) if flat.size % 2 == 0 else flat.reshape(1, -1)


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        config = json.loads(args["model_config"])
        threads = int(required_parameter(config, "threads"))
        set_torch_threads(threads)
        voice = load_voice(voice_dir(config, args["model_repository"]))
        placement = Placement(required_parameter(config, "device"), required_parameter(config, "precision"))
        runner = acoustic_runner(voice, required_parameter(config, "runtime"), threads, placement)
        self.stage = AcousticStage(voice.config, runner, int(required_parameter(config, "compute_batch_size")))
        self.stage.warm_up()
        self.observer = StageObserver(pb_utils, "acoustic")

    def _decode(self, request) -> Traced[AcousticRequest]:
        value = self.stage.validate(
            AcousticRequest(
                ids=_array(request, "PHONEME_IDS").reshape(-1),
                segment_lengths=_array(request, "SEGMENT_LENGTHS").reshape(-1),
                speaker=int(_array(request, "SPEAKER").reshape(-1)[0]),
                pace=float(_array(request, "PACE").reshape(-1)[0]),
                segment_paces=_optional_row(request, "SEGMENT_PACES"),
                pause_frames=_optional_row(request, "SEGMENT_PAUSE_FRAMES"),
                word_spans=_word_spans(_optional_row(request, "WORD_SPANS")),
            )
        )
        return traced(request, value, pb_utils.get_input_tensor_by_name(request, "TRACE"))

    def _compute(self, items: list) -> list:
        return run_traced(self.stage.run, items, "acoustic_ns")

    @staticmethod
    def _encode(item: Traced[AcousticResult]) -> list:
        return [
            pb_utils.Tensor("MEL", item.value.mel[None, :, :]),
            pb_utils.Tensor("TRACE", trace_array(item.trace)),
            pb_utils.Tensor("WORD_TIMES", item.value.word_times[None, :, :]),
        ]

    def execute(self, requests: list) -> list:
        return execute_batch(pb_utils, requests, self._decode, self._compute, self._encode, self.observer)
