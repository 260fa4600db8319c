"""Triton model `tts_stream` (decoupled): each request is a coroutine on the backend's event loop, the acoustic
model and the vocoder run in this process; the logic is triton_tts.stream_service.StreamingSynthesis."""

import asyncio
import json

import triton_python_backend_utils as pb_utils

from triton_tts.frontend import MAX_PHONEMES, load_frontend
from triton_tts.model_config import lexicon_file, required_parameter, stage_parameter, voice_dir
from triton_tts.runtimes import acoustic_runner
from triton_tts.stages import AcousticStage, set_torch_threads
from triton_tts.stream_service import STAGE_LABELS, StreamingSynthesis
from triton_tts.streaming import ChunkSchedule
from triton_tts.vocoder_stream import IncrementalVocoder
from triton_tts.voice import load_neural_vocoder, load_voice


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        config = json.loads(args["model_config"])
        directory = voice_dir(config, args["model_repository"])
        voice = load_voice(directory)
        set_torch_threads(1)  # torch only exports the graphs here; onnxruntime computes
        max_phonemes = int(stage_parameter(args["model_repository"], "text_frontend", "max_phonemes", str(MAX_PHONEMES)))
        frontend = load_frontend(voice.config, lexicon_file(args["model_repository"]), max_phonemes)
        schedule = ChunkSchedule(
            int(required_parameter(config, "first_chunk_frames")),
            float(required_parameter(config, "chunk_growth")),
            int(required_parameter(config, "max_chunk_frames")),
        )
        acoustic = AcousticStage(voice.config, acoustic_runner(voice, "onnxruntime", threads=1))
        acoustic.warm_up()
        mel = voice.config.mel
        vocoder = IncrementalVocoder(load_neural_vocoder(directory, mel), threads=1)
        self.synthesis = StreamingSynthesis(
            pb_utils, frontend, acoustic, vocoder, mel.hop_length, mel.sample_rate, schedule,
            max_streams=int(required_parameter(config, "max_streams")),
            workers={stage: int(required_parameter(config, f"{stage}_workers")) for stage in STAGE_LABELS},
            vocoder_nice=int(required_parameter(config, "vocoder_nice")),
        )

    async def execute(self, requests: list) -> None:
        await asyncio.gather(*(self.synthesis.run(request) for request in requests))
