"""The Piper teacher served behind the `tts` contract: a reference voice for A/B listening and speed tests.

Requests get the same checks and the same text path as the default voice (decode, normalise, split into
sentences, Piper's IPA symbols); Piper's own VITS graph then speaks each sentence at its own noise scales.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from triton_tts.errors import InvalidRequest
from triton_tts.frontend import MAX_PHONEMES, check_rate, decode_text, speakable, split_sentences
from triton_tts.normalize import normalize
from triton_tts.phonemes import phonemize_ipa
from triton_tts.piper import PiperVoice

REFERENCE_VOICE = "en_us_joe_piper"


@dataclass(frozen=True)
class ReferenceRequest:
    sentences: list[list[str]]  # Piper symbols per sentence
    rate: float


class PiperReference:
    """(TEXT, VOICE, RATE) -> audio from the Piper voice itself."""

    def __init__(self, threads: int = 1) -> None:
        self.voice = PiperVoice(threads=threads)
        self.sample_rate = self.voice.sample_rate

    def prepare(self, text: bytes, voice: bytes | None = None, rate: float | None = None) -> ReferenceRequest:
        """Validate one request; InvalidRequest says what to fix."""
        name = (voice or b"").decode("utf-8", errors="replace").strip()
        if name and name != REFERENCE_VOICE:
            raise InvalidRequest(f"unknown VOICE {name!r}; available voices: {REFERENCE_VOICE}", "unknown_voice")
        pace = check_rate(rate)
        known, espeak_voice = self.voice.id_map, self.voice.config["espeak"]["voice"]
        sentences = [[t for t in phonemize_ipa(s, espeak_voice) if t in known] for s in split_sentences(normalize(decode_text(text)))]
        return ReferenceRequest(speakable(sentences, MAX_PHONEMES), pace)

    def synthesize(self, request: ReferenceRequest) -> np.ndarray:
        """The sentences spoken one by one, joined (as Piper does)."""
        return np.concatenate([self.voice.speak(symbols, request.rate).audio for symbols in request.sentences])
