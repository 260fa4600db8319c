"""Which written words each espeak-ng word speaks: for word timestamps.

espeak-ng joins some function words into one phonemized word ("in the" -> ɪnðə, "for a" -> fɚɹə) and can
split one written word into several ("AC/DC"), so written and spoken words do not pair one to one (21 of
120 test sentences). They are aligned in order by length: each step pairs one spoken word with up to three
written words or the reverse, at a cost of how far the spoken length is from the written words' own
phonemized lengths. A group that speaks several written words gets one timestamp, labelled with all of them.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from itertools import accumulate
from typing import Callable

# (spoken words, written words) taken by one step; (1, 0) and (0, 1) let any pair of sequences align.
_STEPS = ((1, 1), (1, 2), (2, 1), (1, 3), (3, 1), (1, 0), (0, 1))
_UNPAIRED_COST = 8.0


@dataclass(frozen=True)
class Group:
    """Spoken words [spoken_start, spoken_end) say written words [written_start, written_end)."""

    spoken_start: int
    spoken_end: int
    written_start: int
    written_end: int


BAND = 24  # written words a path may stray from where the running lengths of both sequences agree


def align(spoken_lengths: list[int], written: list[str], written_length: Callable[[str], int]) -> list[Group]:
    """Monotonic groups covering both sequences, least total length mismatch first (then fewest merges).

    Only cells near where the running lengths agree are searched (_bands): a sentence of thousands of words
    costs linear time, not quadratic (the full table took 30 s for 2,000 spoken digits)."""
    expected = [written_length(w) for w in written]
    n, m = len(spoken_lengths), len(written)
    spoken_at = list(accumulate(spoken_lengths, initial=0))  # spoken_at[i]: length of the first i spoken words
    written_at = list(accumulate(expected, initial=0))
    low, high = _bands(spoken_at, written_at)
    cost: list[dict[int, float]] = [{} for _ in range(n + 1)]
    back: list[dict[int, tuple[int, int]]] = [{} for _ in range(n + 1)]
    cost[0][0] = 0.0
    for i in range(n + 1):
        for j in range(low[i], high[i] + 1):
            here = cost[i].get(j)
            if here is None:
                continue
            for a, b in _STEPS:
                if i + a > n or not low[i + a] <= j + b <= high[i + a]:
                    continue
                if a == 0 or b == 0:
                    step = _UNPAIRED_COST + spoken_at[i + a] - spoken_at[i] + written_at[j + b] - written_at[j]
                else:
                    step = abs(spoken_at[i + a] - spoken_at[i] - written_at[j + b] + written_at[j]) + (a + b - 2)
                if here + step < cost[i + a].get(j + b, float("inf")):
                    cost[i + a][j + b] = here + step
                    back[i + a][j + b] = (a, b)
    groups: list[Group] = []
    i, j = n, m
    while i or j:
        a, b = back[i][j]
        groups.append(Group(i - a, i, j - b, j))
        i, j = i - a, j - b
    return _attach_unpaired(groups[::-1])


def _bands(spoken_at: list[int], written_at: list[int]) -> tuple[list[int], list[int]]:
    """For each count of spoken words i, the written words [low[i], high[i]] a path may have covered: within
    BAND of where the spoken words' running length meets the written words' (scaled to the same total; merges
    keep lengths, so the best path runs there). Each row's band reaches the next one's, so a path always exists."""
    n, m = len(spoken_at) - 1, len(written_at) - 1
    scale = written_at[-1] / spoken_at[-1] if spoken_at[-1] else 0.0
    centers = [min(m, bisect_left(written_at, spoken * scale)) for spoken in spoken_at]
    centers[-1] = m
    low = [0] + [max(0, c - BAND) for c in centers[1:]]  # every path starts at (0, 0)
    high = [min(m, c + BAND) for c in centers]
    for i in range(n):
        low[i + 1] = min(low[i + 1], high[i])
    return low, high


def _attach_unpaired(groups: list[Group]) -> list[Group]:
    """A spoken word with no written word joins the group before it (or after, at the start); a written word
    with no sound is dropped."""
    kept: list[Group] = []
    for group in groups:
        if group.spoken_start == group.spoken_end:
            continue
        if group.written_start == group.written_end and kept:
            last = kept[-1]
            kept[-1] = Group(last.spoken_start, group.spoken_end, last.written_start, last.written_end)
            continue
        if kept and kept[-1].written_start == kept[-1].written_end:
            first = kept.pop()
            group = Group(first.spoken_start, group.spoken_end, group.written_start, group.written_end)
        kept.append(group)
    return kept
