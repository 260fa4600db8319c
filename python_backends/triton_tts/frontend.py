"""The text frontend stage: validate a request, normalize, split into sentences, phonemize to ids.

Every problem a caller can fix raises InvalidRequest with a message that says what to change; the Triton
model turns it into that request's own INVALID_ARGUMENT error.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from triton_tts.errors import InvalidRequest
from triton_tts.normalize import normalize
from triton_tts.phonemes import text_to_ids
from triton_tts.voice_config import VoiceConfig

MAX_TEXT_CHARS = 2000
# 2000 characters of prose are ~1,700 phonemes, but numbers expand ("1234567." is ~60 phonemes): the cap keeps
# a request's audio within what the vocoder takes (MAX_REQUEST_FRAMES) even at the slowest RATE.
MAX_PHONEMES = 6000
MIN_RATE, MAX_RATE = 0.5, 2.0
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class PhonemizedRequest:
    """The frontend's output: ids of all sentences back to back, and how many ids each sentence has."""

    ids: np.ndarray  # int64 (n,)
    segment_lengths: np.ndarray  # int64 (sentences,), sums to n
    speaker: int
    pace: float


def decode_text(raw: bytes) -> str:
    """UTF-8 text with control characters removed; InvalidRequest when empty, too long or not UTF-8."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"TEXT is not valid UTF-8 (bad byte at offset {exc.start}): send UTF-8 encoded text", "invalid_utf8") from exc
    text = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text).strip()
    if not text:
        raise InvalidRequest("TEXT is empty: send at least one word to speak", "empty_text")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidRequest(
            f"TEXT has {len(text)} characters, more than the limit of {MAX_TEXT_CHARS}: split it into several requests",
            "text_too_long",
        )
    return text


def check_rate(rate: float | None) -> float:
    """RATE defaults to 1.0 (normal speed); it must be finite and in [MIN_RATE, MAX_RATE]."""
    if rate is None:
        return 1.0
    if not math.isfinite(rate) or not MIN_RATE <= rate <= MAX_RATE:
        raise InvalidRequest(f"RATE must be a number from {MIN_RATE} to {MAX_RATE} (1.0 = normal speed), got {rate}", "bad_rate")
    return float(rate)


def speakable(segments: list[list], max_phonemes: int, minimum: int = 1) -> list[list]:
    """The segments with at least `minimum` tokens; InvalidRequest when none is left or all are over the cap."""
    segments = [s for s in segments if len(s) >= minimum]
    if not segments:
        raise InvalidRequest("TEXT has nothing to speak (no letters or digits): send words", "nothing_to_speak")
    count = sum(len(s) for s in segments)
    if count > max_phonemes:
        raise InvalidRequest(f"TEXT is {count} phonemes long; this deployment takes at most {max_phonemes}: split it", "too_many_phonemes")
    return segments


def split_sentences(text: str) -> list[str]:
    """Sentences are synthesized as separate rows: attention stays short and each keeps its own intonation."""
    return [s for s in _SENTENCE_BREAK.split(text) if s.strip()]


class TextFrontend:
    """Turns (TEXT, VOICE, RATE) into phoneme ids for one voice artifact."""

    def __init__(self, config: VoiceConfig, default_speaker: str | None = None, max_phonemes: int = MAX_PHONEMES) -> None:
        """`max_phonemes` caps a request's phoneme ids (lower on the GPU variant: the engines' shape range)."""
        self.config = config
        self.max_phonemes = max_phonemes
        self.default_speaker = default_speaker or next(iter(config.speakers))
        config.speaker_id(self.default_speaker)  # fail at start-up, not per request

    def speaker(self, raw: bytes | None) -> str:
        if raw is None or not raw.strip():
            return self.default_speaker
        name = raw.decode("utf-8", errors="replace").strip()
        available = ", ".join(self.config.speakers)
        if name in self.config.retired_speakers:
            raise InvalidRequest(f"VOICE {name!r} was retired ({self.config.retired_speakers[name]}); available voices: {available}", "unknown_voice")
        if name not in self.config.speakers:
            raise InvalidRequest(f"unknown VOICE {name!r}; available voices: {available}", "unknown_voice")
        return name

    def process(self, text: bytes, voice: bytes | None = None, rate: float | None = None) -> PhonemizedRequest:
        speaker = self.speaker(voice)
        pace = check_rate(rate)
        espeak_voice = self.config.speakers[speaker]
        segments = [
            row
            for sentence in split_sentences(normalize(decode_text(text)))
            for row in text_to_ids(sentence, espeak_voice, self.config.inventory, self.config.phonemizer)
        ]
        segments = speakable(segments, self.max_phonemes, minimum=3)  # more than the sentence start and end marks
        return PhonemizedRequest(
            ids=np.concatenate([np.asarray(s, dtype=np.int64) for s in segments]),
            segment_lengths=np.asarray([len(s) for s in segments], dtype=np.int64),
            speaker=self.config.speaker_id(speaker),
            pace=pace,
        )
