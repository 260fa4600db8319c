"""Word timestamps from the durations that made the audio: exact, not estimated from the waveform."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def word_times(
    spans: np.ndarray, durations: Sequence[np.ndarray], sentence_frames: Sequence[int], seconds_per_frame: float, audio_seconds: float,
) -> np.ndarray:
    """(words, 2) float32 start and end seconds of each word.

    `spans`: each word's first and last token index in the request's tokens (its sentences back to back);
    `durations`: frames per token, one array per sentence; `sentence_frames`: the frames each sentence takes
    in the mel, its pause included (so the next sentence starts after it). Times stop at `audio_seconds`.
    """
    if spans.size == 0:
        return np.zeros((0, 2), np.float32)
    sentence_starts = np.concatenate([[0], np.cumsum(sentence_frames)[:-1]])
    token_ends = np.concatenate([start + np.cumsum(d) for start, d in zip(sentence_starts, durations)])
    token_starts = token_ends - np.concatenate(durations)
    times = np.stack([token_starts[spans[:, 0]], token_ends[spans[:, 1]]], axis=1) * seconds_per_frame
    return np.minimum(times, audio_seconds).astype(np.float32)
