"""Streaming synthesis: a request's audio in chunks as soon as the mels behind them exist.

The acoustic model runs once per sentence; the vocoder runs over chunks of the joined mel. The neural vocoder
is local (limits.VOCODER_CONTEXT_FRAMES covers its receptive field), so a chunk vocoded with that much mel
on both sides gives, sample for sample, the audio the whole mel gives (to float rounding): the chunks joined
equal the non-streaming response. The first chunk is small (time to first audio); each later one is
`growth` times larger, so that each chunk plays for longer than the next one takes to compute, while the
context paid for per chunk stays a small share of the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import numpy as np

from triton_tts.limits import VOCODER_CONTEXT_FRAMES


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
class Chunk:
    """One chunk to vocode: a mel window (with context) and the samples of its audio that are the chunk."""

    mel: np.ndarray
    start: int
    end: int


class ChunkPlanner:
    """Which mel window to vocode next, as sentence mels arrive; no I/O, so the synchronous stream_audio and
    the asynchronous server share it. Only the frames later chunks still need are kept."""

    def __init__(self, hop_length: int, schedule: ChunkSchedule = ChunkSchedule(), context: int = VOCODER_CONTEXT_FRAMES) -> None:
        self.hop_length, self.schedule, self.context = hop_length, schedule, context
        self.kept: list[np.ndarray] = []  # mel pieces holding frames [offset, known)
        self.offset = self.known = self.emitted = 0  # emitted: the frames whose chunks are planned
        self.chunks = 0
        self.finished = False

    def add(self, mel: np.ndarray) -> None:
        self.kept.append(mel)
        self.known += mel.shape[1]

    def finish(self) -> None:
        """No more mels: the last chunk may end at the last frame. Called as soon as the last mel is added
        (the server knows its sentence count), a short last piece joins the chunk before it."""
        self.finished = True

    def needs_more(self) -> bool:
        """The next chunk needs frames not yet added (its own and its right context)."""
        return not self.finished and self.known < self._wanted() + self.context + 1

    def next_chunk(self) -> Chunk | None:
        """The next chunk (call once needs_more() is False), or None when all audio is planned."""
        end = min(self._wanted(), self.known - 1)
        if end <= self.emitted:
            return None
        if self.finished and self.chunks > 0 and self._rest_fits(end):
            end = self.known - 1  # one call instead of a short last one: a BLS round trip and its context saved
        window = np.concatenate(self.kept, axis=1) if len(self.kept) > 1 else self.kept[0]
        first, last = max(0, self.emitted - self.context), min(self.known, end + self.context + 1)
        chunk = Chunk(window[:, first - self.offset : last - self.offset], (self.emitted - first) * self.hop_length, (end - first) * self.hop_length)
        self.emitted, self.chunks = end, self.chunks + 1
        keep_from = max(0, end - self.context)
        self.kept, self.offset = [window[:, keep_from - self.offset :]], keep_from
        return chunk

    def _rest_fits(self, end: int) -> bool:
        """After a chunk ending at `end`, what is left is shorter than the next chunk would be, and this chunk
        with it stays within max_frames (never the first chunk: it stays small for the first audio)."""
        rest = self.known - 1 - end
        return 0 < rest < self.schedule.frames(self.chunks + 1) and self.known - 1 - self.emitted <= self.schedule.max_frames

    def _wanted(self) -> int:
        return self.emitted + self.schedule.frames(self.chunks)


def stream_audio(
    mels: Iterable[np.ndarray], vocode: Callable[[np.ndarray], np.ndarray], hop_length: int,
    schedule: ChunkSchedule = ChunkSchedule(), context: int = VOCODER_CONTEXT_FRAMES,
) -> Iterator[np.ndarray]:
    """Audio chunks of the joined `mels` (each (n_mels, frames); pulled only when a chunk needs them), which
    concatenated are vocode(joined mel): ((frames - 1) * hop_length samples). `vocode` maps one mel window to
    its audio."""
    planner, pending = ChunkPlanner(hop_length, schedule, context), iter(mels)
    while True:
        while planner.needs_more():
            mel = next(pending, None)
            if mel is None:
                planner.finish()
            else:
                planner.add(mel)
        chunk = planner.next_chunk()
        if chunk is None:
            return
        yield vocode(chunk.mel)[chunk.start : chunk.end]
