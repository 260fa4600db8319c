"""Streaming synthesis: a request's audio in chunks as soon as the mels behind them exist.

The acoustic model runs once per sentence; the incremental vocoder (triton_tts.vocoder_stream) is fed the
joined mel chunk by chunk and keeps its state between calls, so every frame is vocoded once and the chunks
joined equal the non-streaming response (to float rounding). A call's audio ends the vocoder's lag behind the
frames fed. The first chunk is small (time to first audio); each later one is `growth` times larger, so that
each chunk plays for longer than the next one takes to compute, and the calls per stream stay few.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import numpy as np


@dataclass(frozen=True)
class ChunkSchedule:
    """Frames per chunk: `first_frames` (24 frames: 0.28 s at 22,050 Hz and hop 256), then x `growth` up to
    `max_frames` (a bound on each vocoder call's memory)."""

    first_frames: int = 24
    growth: float = 4.0
    max_frames: int = 1024

    def __post_init__(self) -> None:
        if self.first_frames < 1 or self.growth < 1 or self.max_frames < self.first_frames:
            raise ValueError(f"invalid chunk schedule {self}: need first_frames >= 1, growth >= 1, max_frames >= first_frames")

    def frames(self, index: int) -> int:
        return int(min(self.max_frames, self.first_frames * self.growth**index))


@dataclass(frozen=True)
class Feed:
    """The next mel frames for the incremental vocoder, and whether they are the utterance's last."""

    mel: np.ndarray
    final: bool


class ChunkPlanner:
    """Which mel frames to feed the incremental vocoder next, as sentence mels arrive; no I/O, so the synchronous
    stream_audio and the asynchronous server share it.

    Call k's audio is schedule.frames(k) frames long: the first call feeds first_frames + lag frames, each later
    one the next chunk's frames, and the last call (final) everything left. A non-final call always leaves a
    frame, so the final call has one. Only frames not yet fed are kept.
    """

    def __init__(self, schedule: ChunkSchedule, lag: int) -> None:
        self.schedule, self.lag = schedule, lag
        self.pending: list[np.ndarray] = []  # mel pieces holding frames [fed, known)
        self.known = self.fed = self.calls = 0
        self.finished = False

    def add(self, mel: np.ndarray) -> None:
        self.pending.append(mel)
        self.known += mel.shape[1]

    def finish(self) -> None:
        """No more mels. Called as soon as the last mel is added (the server knows its sentence count), so a short
        last piece joins the call before it."""
        self.finished = True

    def needs_more(self) -> bool:
        """The next call needs frames not yet added (its own, and one to leave for the final call)."""
        return not self.finished and self.known <= self._target()

    def next_feed(self) -> Feed | None:
        """The next call's frames (call once needs_more() is False), or None when every frame is fed."""
        size, rest = self._target() - self.fed, self.known - self.fed
        if rest == 0:
            return None
        final = self.finished and (rest <= size or (self.calls > 0 and self._rest_joins(rest - size, rest)))
        count = rest if final else size
        window = np.concatenate(self.pending, axis=1) if len(self.pending) > 1 else self.pending[0]
        self.pending = [window[:, count:]] if count < rest else []
        self.fed, self.calls = self.fed + count, self.calls + 1
        return Feed(window[:, :count], final)

    def _rest_joins(self, left_after: int, rest: int) -> bool:
        """What a normal call would leave is shorter than the next chunk, and the call with it stays within
        max_frames: one call instead of a short last one (a round trip saved). Never the first call: it stays small
        for the first audio."""
        return left_after < self.schedule.frames(self.calls + 1) and rest <= self.schedule.max_frames

    def _target(self) -> int:
        """Frames fed once the next call is made."""
        return self.lag + sum(self.schedule.frames(k) for k in range(self.calls + 1))


def stream_audio(
    mels: Iterable[np.ndarray], feed: Callable[[np.ndarray, bool], np.ndarray], schedule: ChunkSchedule, lag: int,
) -> Iterator[np.ndarray]:
    """Audio chunks of the joined `mels` (each (n_mels, frames); pulled only when a chunk needs them), which
    concatenated are the whole joined mel's audio ((frames - 1) * hop_length samples). `feed(mel, final)` is one
    utterance's incremental vocoder (triton_tts.vocoder_stream.VocoderStream.feed). Empty chunks are skipped."""
    planner, pending = ChunkPlanner(schedule, lag), iter(mels)
    while True:
        while planner.needs_more():
            mel = next(pending, None)
            if mel is None:
                planner.finish()
            else:
                planner.add(mel)
        step = planner.next_feed()
        if step is None:
            return
        audio = feed(step.mel, step.final)
        if audio.size:
            yield audio
