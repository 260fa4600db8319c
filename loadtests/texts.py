"""Load-test texts: short, medium and long utterances built from held-out sentences (never trained on)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from training.corpus import held_out

# Words per utterance, like real traffic: announcements, paragraphs, long reads.
LENGTHS = {"short": (3, 10), "medium": (20, 40), "long": (80, 150)}


@dataclass(frozen=True)
class TextSet:
    short: tuple[str, ...]
    medium: tuple[str, ...]
    long: tuple[str, ...]


def _join_until(pool: list[str], low: int, high: int, rng: random.Random) -> str:
    """Consecutive held-out sentences joined until the word count lands in [low, high]."""
    while True:
        start = rng.randrange(len(pool))
        words: list[str] = []
        for sentence in pool[start:] + pool[:start]:
            if len(words) + len(sentence.split()) > high:
                break
            words += sentence.split()
        if len(words) >= low:
            return " ".join(words)


def load_test_texts(per_kind: int = 40, seed: int = 11) -> TextSet:
    """A fixed sample of the corpus test split, so every run sends the same texts."""
    test_split = held_out()
    rng = random.Random(seed)
    low, high = LENGTHS["short"]
    short = [s for s in test_split if low <= len(s.split()) <= high]
    return TextSet(
        short=tuple(rng.sample(short, min(per_kind, len(short)))),
        medium=tuple(_join_until(test_split, *LENGTHS["medium"], rng) for _ in range(per_kind)),
        long=tuple(_join_until(test_split, *LENGTHS["long"], rng) for _ in range(per_kind)),
    )
