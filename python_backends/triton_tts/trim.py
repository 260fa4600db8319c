"""The GPU variant's last step: TensorRT returns each request's audio padded to its batch's longest; cut it,
time its words from the acoustic engine's durations, and encode it as the request asked."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from triton_tts.timing import word_times


def trim_audio(audio: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The first `length` samples of one request's padded waveform (shape [samples] or [1, samples])."""
    samples = audio.reshape(-1)
    count = int(np.asarray(length).reshape(-1)[0])
    if not 0 <= count <= samples.size:
        raise ValueError(f"AUDIO_LENGTHS {count} is outside the padded audio's {samples.size} samples")
    return samples[:count]


def engine_word_times(durations: np.ndarray | None, spans: np.ndarray | None, seconds_per_frame: float, audio_seconds: float) -> np.ndarray:
    """Word times of one request whose sentences the acoustic engine ran as one sequence (DURATIONS padded
    with zeros to the batch's longest: they add no time)."""
    if durations is None or spans is None or spans.size == 0:
        return np.zeros((0, 2), np.float32)
    frames = durations.reshape(-1)
    return word_times(spans.reshape(-1, 2), [frames], [int(frames.sum())], seconds_per_frame, audio_seconds)


@dataclass(frozen=True)
class FinishedAudio:
    """A request's audio in its format (float samples, encoded bytes) and its words' times."""

    samples: np.ndarray
    sample_rate: int
    encoded: bytes
    word_times: np.ndarray
