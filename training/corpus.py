"""English sentences from the Debian fortune files, cleaned, curated and split deterministically."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

FORTUNE_DIR_ENV = "TTS_FORTUNE_DIR"  # another folder of fortune files (serving.gpu_pack's held-out sentences)
FORTUNE_DIR = Path(os.environ.get(FORTUNE_DIR_ENV, "/usr/share/games/fortunes"))
MIN_WORDS, MAX_WORDS = 3, 20
_ALLOWED = re.compile(r"^[A-Z][A-Za-z0-9 ,.'?!;:\-]*[.?!]$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_ATTRIBUTION = re.compile(r"\n\s*--.*$", re.DOTALL)
# The voice speaks these sentences in demos: keep crude or hurtful ones out.
_BLOCKLIST = frozenset(
    "sex sexual sexy fuck shit damn hell ass bitch bastard kill killed suicide drunk drugs god jesus penis "
    "breasts nude naked rape whore crap piss die dies dead death murder gun guns nigger fag gay bomb".split()
)
SPLITS = ("train", "validation", "test")


def _entries(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return [_ATTRIBUTION.sub("", entry) for entry in text.split("\n%\n")]


def _is_clean(sentence: str) -> bool:
    words = sentence.split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS or not _ALLOWED.match(sentence):
        return False
    bare = [w.strip(",.'?!;:-").lower() for w in words]
    if any(w in _BLOCKLIST for w in bare):
        return False
    return not any(len(w) > 1 and w.isupper() for w in (x.strip(",.'?!;:-") for x in words))


def sentences(fortune_dir: Path = FORTUNE_DIR) -> list[str]:
    """Every clean sentence of 3-20 words in the fortune files, deduplicated and sorted."""
    files = sorted(p for p in fortune_dir.iterdir() if p.is_file() and not p.suffix)
    if not files:
        raise FileNotFoundError(f"no fortune files in {fortune_dir}: apt-get install fortunes fortunes-min")
    found = set()
    for path in files:
        for entry in _entries(path):
            for sentence in _SENTENCE_END.split(" ".join(entry.split())):
                if _is_clean(sentence):
                    found.add(sentence)
    return sorted(found)


def held_out(fortune_dir: Path = FORTUNE_DIR) -> list[str]:
    """The test split, sorted: never trained on, so the benchmarks, load tests and evaluations speak it."""
    return [s for s in sentences(fortune_dir) if split_of(s) == "test"]


def split_of(sentence: str) -> str:
    """90/5/5 train/validation/test by a hash of the sentence: stable across runs and machines."""
    bucket = int(hashlib.sha1(sentence.encode()).hexdigest(), 16) % 100
    return "train" if bucket < 90 else "validation" if bucket < 95 else "test"


def corpus_hash(items: list[str]) -> str:
    """A short fingerprint of a sentence list, stored in the artifact to say what it was trained on."""
    return hashlib.sha256("\n".join(items).encode()).hexdigest()[:16]
