"""Streaming synthesis: a request's audio in chunks as soon as the mels behind them exist.

The acoustic model runs once per sentence; the vocoder runs over chunks of the joined mel. The neural vocoder
is local (pipeline.VOCODER_CONTEXT_FRAMES covers its receptive field), so a chunk vocoded with that much mel
on both sides gives, sample for sample, the audio the whole mel gives (to float rounding): the chunks joined
equal the non-streaming response. The first chunk is small (time to first audio); each later one is
`growth` times larger, so that each chunk plays for longer than the next one takes to compute, while the
context paid for per chunk stays a small share of the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from typing import Callable, Iterable, Iterator

import numpy as np

from triton_tts.pipeline import VOCODER_CONTEXT_FRAMES


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


def stream_audio(
    mels: Iterable[np.ndarray], vocode: Callable[[np.ndarray], np.ndarray], hop_length: int,
    schedule: ChunkSchedule = ChunkSchedule(), context: int = VOCODER_CONTEXT_FRAMES,
) -> Iterator[np.ndarray]:
    """Audio chunks of the joined `mels` (each (n_mels, frames); pulled only when a chunk needs them), which
    concatenated are vocode(joined mel): ((frames - 1) * hop_length samples). `vocode` maps one mel window to
    its audio. Only the frames later chunks still need are kept."""
    pending = iter(mels)
    kept: list[np.ndarray] = []  # mel pieces holding frames [offset, known)
    offset = known = emitted = 0  # emitted: the frames whose samples have been yielded
    exhausted = False
    for index in count():
        wanted = emitted + schedule.frames(index)
        while not exhausted and known < wanted + context + 1:
            mel = next(pending, None)
            if mel is None:
                exhausted = True
            else:
                kept.append(mel)
                known += mel.shape[1]
        end = min(wanted, known - 1)
        if end <= emitted:
            return
        window = np.concatenate(kept, axis=1) if len(kept) > 1 else kept[0]
        first, last = max(0, emitted - context), min(known, end + context + 1)
        audio = vocode(window[:, first - offset : last - offset])
        yield audio[(emitted - first) * hop_length : (end - first) * hop_length]
        emitted = end
        keep_from = max(0, emitted - context)
        kept, offset = [window[:, keep_from - offset :]], keep_from
