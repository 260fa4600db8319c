"""The served pipeline in one process, without Triton: the same frontend, acoustic and vocoder stages.

Used to compare served audio with offline audio, and as the benchmark's in-process limit.
"""

from __future__ import annotations

import numpy as np

from triton_tts.frontend import TextFrontend
from triton_tts.stages import AcousticRequest, AcousticStage, VocoderStage
from triton_tts.vocoder import GriffinLim
from triton_tts.voice import Voice


class Synthesizer:
    """Text to audio for batches of utterances, exactly as the `tts` ensemble computes it."""

    def __init__(self, voice: Voice) -> None:
        self.frontend = TextFrontend(voice.config)
        self.acoustic = AcousticStage(voice)
        self.vocoder = VocoderStage(GriffinLim(voice.config.mel))

    @property
    def sample_rate(self) -> int:
        return self.vocoder.sample_rate

    def synthesize(self, texts: list[str], voices: list[str] | None = None, rates: list[float] | None = None) -> list[np.ndarray]:
        """One waveform per text; raises InvalidRequest for input the server would reject."""
        voices = voices or [None] * len(texts)
        rates = rates or [1.0] * len(texts)
        requests = [
            AcousticRequest(p.ids, p.segment_lengths, p.speaker, p.pace)
            for p in (self.frontend.process(t.encode(), v and v.encode(), r) for t, v, r in zip(texts, voices, rates))
        ]
        return self.vocoder.run(self.acoustic.run(requests))
