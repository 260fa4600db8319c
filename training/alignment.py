"""Per-token durations from espeak-ng's phoneme events: the teacher's exact timing, tiling the audio."""

from __future__ import annotations

import numpy as np

from triton_tts.espeak import PhonemeEvent
from triton_tts.phonemes import BOUNDARY_TOKENS, is_pause, phoneme_name


class AlignmentError(ValueError):
    """The frontend's tokens and the synthesizer's phoneme events disagree (the sentence is skipped)."""


def event_durations(events: list[PhonemeEvent], n_samples: int) -> list[int]:
    """Each event lasts until the next one; the last until the end of the audio."""
    starts = [e.sample for e in events] + [n_samples]
    return [b - a for a, b in zip(starts, starts[1:])]


def token_sample_durations(tokens: list[str], events: list[PhonemeEvent], n_samples: int) -> list[int]:
    """Samples per token. Phonemes take their event; boundaries (and the start) take the pauses around them.

    The result sums to `n_samples` exactly, or AlignmentError is raised.
    """
    if not events:
        raise AlignmentError("espeak-ng produced no phoneme events")
    lengths = event_durations(events, n_samples)
    durations = [0] * len(tokens)
    durations[0] = events[0].sample  # silence before the first event belongs to the start token
    i, last = 0, 0
    for t, token in enumerate(tokens):
        if token in BOUNDARY_TOKENS:
            while i < len(events) and is_pause(events[i].name):
                durations[t] += lengths[i]
                i += 1
            last = t
            continue
        name = phoneme_name(token)
        while i < len(events) and is_pause(events[i].name) and events[i].name != name:
            durations[last] += lengths[i]  # a pause inside a word stays with the phoneme before it
            i += 1
        if i < len(events) and events[i].name == name:
            durations[t] += lengths[i]
            i += 1
        elif not is_pause(name):
            found = events[i].name if i < len(events) else "the end of the events"
            raise AlignmentError(f"token {t} ({token!r}) meets {found!r}")
        last = t
    if i != len(events):
        raise AlignmentError(f"{len(events) - i} phoneme events are left over")
    return durations


def samples_to_frames(sample_durations: list[int], hop_length: int, n_frames: int) -> np.ndarray:
    """Round the cumulative boundaries to frames, so frame durations sum exactly to `n_frames`."""
    ends = np.rint(np.cumsum(sample_durations) / hop_length).astype(np.int64)
    ends[-1] = n_frames
    return np.diff(ends, prepend=0)
