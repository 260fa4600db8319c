"""Synthesized audio: samples, rate, duration, and WAV output."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1] at `sample_rate` Hz; `request_id` traces it in server logs."""

    samples: np.ndarray
    sample_rate: int
    request_id: str = ""

    @property
    def duration(self) -> float:
        """Seconds of audio."""
        return len(self.samples) / self.sample_rate

    def pcm16(self) -> bytes:
        """Little-endian 16-bit PCM, the format WAV players and telephony expect."""
        return (np.clip(self.samples, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()

    def wav_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with open_wav(buffer, self.sample_rate) as out:
            out.writeframes(self.pcm16())
        return buffer.getvalue()

    def write_wav(self, path: str | Path) -> None:
        Path(path).write_bytes(self.wav_bytes())


def open_wav(target: str | Path | io.BytesIO, sample_rate: int) -> wave.Wave_write:
    """A mono 16-bit WAV writer; frames can be written chunk by chunk (the header is finished on close)."""
    out = wave.open(str(target) if isinstance(target, Path) else target, "wb")
    out.setnchannels(1)
    out.setsampwidth(2)
    out.setframerate(sample_rate)
    return out
