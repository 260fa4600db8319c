"""Triton stage `vocoder`: tensors in and out; the logic is triton_tts.stages.VocoderStage."""

import json

import triton_python_backend_utils as pb_utils

from triton_tts.model_config import required_parameter, voice_dir
from triton_tts.observability import StageObserver, Traced, traced, finish_request, run_traced
from triton_tts.runtimes import Placement, vocoder_runner
from triton_tts.cpu_priority import lower_cpu_priority
from triton_tts.stages import SpokenAudio, VocoderRequest, VocoderStage, set_torch_threads, window_frames_for
from triton_tts.triton_batch import audio_tensors, execute_batch, optional_scalar
from triton_tts.voice import load_vocoder
from triton_tts.voice_config import load_voice_config


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        config = json.loads(args["model_config"])
        threads = int(required_parameter(config, "threads"))
        set_torch_threads(threads)
        lower_cpu_priority(int(required_parameter(config, "nice")))
        directory = voice_dir(config, args["model_repository"])
        voice_config = load_voice_config(directory)
        mel, self.voices = voice_config.mel, list(voice_config.speakers)
        vocoder = load_vocoder(required_parameter(config, "vocoder"), directory, mel)
        placement = Placement(required_parameter(config, "device"), required_parameter(config, "precision"))
        runner = vocoder_runner(vocoder, required_parameter(config, "runtime"), threads, placement)
        self.stage = VocoderStage(mel, runner, int(required_parameter(config, "compute_batch_size")), window_frames_for(vocoder))
        self.stage.warm_up()
        self.observer = StageObserver(pb_utils, "vocoder")

    def _decode(self, request) -> Traced[VocoderRequest]:
        mel = pb_utils.get_input_tensor_by_name(request, "MEL").as_numpy()
        sample_rate = optional_scalar(pb_utils, request, "OUTPUT_SAMPLE_RATE")
        value = self.stage.request(
            mel[0] if mel.ndim == 3 and mel.shape[0] == 1 else mel,
            optional_scalar(pb_utils, request, "ENCODING"),
            None if sample_rate is None else int(sample_rate),
        )
        return traced(request, value, pb_utils.get_input_tensor_by_name(request, "TRACE"))

    def _compute(self, items: list) -> list:
        return run_traced(self.stage.synthesize, items, "vocoder_ns")

    def _encode(self, item: Traced[SpokenAudio]) -> list:
        audio = item.value
        finish_request(self.observer, item, self.voices, audio.samples.size / audio.sample_rate)
        return audio_tensors(pb_utils, audio.samples, audio.sample_rate, audio.encoded)

    def execute(self, requests: list) -> list:
        return execute_batch(pb_utils, requests, self._decode, self._compute, self._encode, self.observer)
