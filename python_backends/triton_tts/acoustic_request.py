"""What the acoustic stage takes and gives per request; no torch, so the streaming model's logic imports it
without the model's dependencies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AcousticRequest:
    """One request's sentences. Optional per sentence: its pace (default: `pace`) and the frames of silence
    after it (SSML <prosody rate> and <break>, and the voice's pause between sentences; default none)."""

    ids: np.ndarray
    segment_lengths: np.ndarray
    speaker: int
    pace: float
    segment_paces: np.ndarray | None = None
    pause_frames: np.ndarray | None = None
    word_spans: np.ndarray | None = None  # (words, 2): each word's first and last id, for its timestamps

    def paces(self) -> np.ndarray:
        return np.full(self.segment_lengths.size, self.pace, np.float32) if self.segment_paces is None else self.segment_paces

    def pauses(self) -> np.ndarray:
        return np.zeros(self.segment_lengths.size, np.int64) if self.pause_frames is None else self.pause_frames


@dataclass(frozen=True)
class AcousticResult:
    """A request's log-mel (n_mels, frames) and its words' (start, end) seconds in the audio made from it."""

    mel: np.ndarray
    word_times: np.ndarray  # float32 (words, 2)
