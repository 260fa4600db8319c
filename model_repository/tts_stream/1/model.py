"""Triton model `tts_stream` (decoupled): each request is a coroutine on the backend's event loop; the logic
is triton_tts.stream_service.StreamingSynthesis."""

import asyncio
import json

import triton_python_backend_utils as pb_utils

from triton_tts.frontend import MAX_PHONEMES, load_frontend
from triton_tts.model_config import lexicon_file, required_parameter, stage_parameter, voice_dir
from triton_tts.stream_service import StreamingSynthesis
from triton_tts.streaming import ChunkSchedule
from triton_tts.voice_config import load_voice_config


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        config = json.loads(args["model_config"])
        voice = load_voice_config(voice_dir(config, args["model_repository"]))
        max_phonemes = int(stage_parameter(args["model_repository"], "text_frontend", "max_phonemes", str(MAX_PHONEMES)))
        frontend = load_frontend(voice, lexicon_file(args["model_repository"]), max_phonemes)
        schedule = ChunkSchedule(
            int(required_parameter(config, "first_chunk_frames")),
            float(required_parameter(config, "chunk_growth")),
            int(required_parameter(config, "max_chunk_frames")),
        )
        self.synthesis = StreamingSynthesis(
            pb_utils, frontend, voice.mel.hop_length, voice.mel.sample_rate, schedule,
            max_streams=int(required_parameter(config, "max_streams")),
            calls_in_flight={stage: int(required_parameter(config, f"{stage}_calls_in_flight")) for stage in ("acoustic", "vocoder")},
        )

    async def execute(self, requests: list) -> None:
        await asyncio.gather(*(self.synthesis.run(request) for request in requests))
