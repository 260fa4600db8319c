"""The served pipeline in one process, without Triton: the same frontend, acoustic and vocoder stages.

Used to compare served audio with offline audio, and as the benchmark's in-process limit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from torch import nn

from triton_tts.frontend import TextFrontend
from triton_tts.runtimes import DEFAULT_RUNTIME, Placement, acoustic_runner, vocoder_runner
from triton_tts.stages import AcousticRequest, AcousticStage, VocoderStage, window_frames_for
from triton_tts.voice import Voice, load_vocoder, load_voice


class Synthesizer:
    """Text to audio for batches of utterances, exactly as the `tts` ensemble computes it. `placement` and
    `compute_batch_size` are the stages' config parameters of those names (the GPU's offline limit: device cuda,
    whole batches)."""

    def __init__(self, voice: Voice, vocoder: nn.Module, runtime: str = DEFAULT_RUNTIME, threads: int = 1,
                 placement: Placement = Placement(), compute_batch_size: int = 1) -> None:
        self.frontend = TextFrontend(voice.config)
        self.acoustic = AcousticStage(voice.config, acoustic_runner(voice, runtime, threads, placement), compute_batch_size)
        self.vocoder = VocoderStage(voice.config.mel, vocoder_runner(vocoder, runtime, threads, placement), compute_batch_size,
                                    window_frames_for(vocoder))

    @classmethod
    def load(cls, directory: Path | str, vocoder: str = "neural", runtime: str = DEFAULT_RUNTIME, threads: int = 1,
             placement: Placement = Placement(), compute_batch_size: int = 1) -> "Synthesizer":
        """The voice in `directory` with the named vocoder (see triton_tts.voice.VOCODERS) on the named runtime."""
        voice = load_voice(directory)
        return cls(voice, load_vocoder(vocoder, directory, voice.config.mel), runtime, threads, placement, compute_batch_size)

    @property
    def sample_rate(self) -> int:
        return self.vocoder.sample_rate

    def synthesize(self, texts: list[str], voices: list[str] | None = None, rates: list[float] | None = None) -> list[np.ndarray]:
        """One waveform per text; raises InvalidRequest for input the server would reject."""
        voices = voices or [None] * len(texts)
        rates = rates or [1.0] * len(texts)
        requests = [
            AcousticRequest(p.ids, p.segment_lengths, p.speaker, p.pace, p.segment_paces, p.segment_pause_frames)
            for p in (self.frontend.process(t.encode(), v and v.encode(), r) for t, v, r in zip(texts, voices, rates))
        ]
        return self.vocoder.run([result.mel for result in self.acoustic.run(requests)])
