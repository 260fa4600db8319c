"""Intelligibility by word error rate from an independent recogniser (pocketsphinx's stock en-us model).

The decoding set-up is fixed (16 kHz, peak-normalised, seeded dither against espeak's runs of exact zeros,
stock language model) so numbers compare across runs. pocketsphinx is weak: read WER as relative.
"""

from __future__ import annotations

import re

import jiwer
import numpy as np
from pocketsphinx import Decoder
from scipy.signal import resample_poly

ASR_RATE = 16000
DITHER = 1e-3
_decoder: Decoder | None = None


def _prepare(audio: np.ndarray, sample_rate: int, seed: int) -> bytes:
    audio = resample_poly(audio.astype(np.float64), ASR_RATE, sample_rate)
    audio = 0.9 * audio / max(float(np.abs(audio).max()), 1e-6)
    audio = audio + DITHER * np.random.default_rng(seed).standard_normal(len(audio))
    return (np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes()


def transcribe(audio: np.ndarray, sample_rate: int, seed: int = 0) -> str:
    """pocketsphinx's best hypothesis for one utterance."""
    global _decoder
    if _decoder is None:
        _decoder = Decoder(samprate=ASR_RATE, loglevel="FATAL")
    _decoder.start_utt()
    _decoder.process_raw(_prepare(audio, sample_rate, seed), full_utt=True)
    _decoder.end_utt()
    hypothesis = _decoder.hyp()
    return hypothesis.hypstr if hypothesis else ""


def normalize_words(text: str) -> str:
    """Lower case, punctuation dropped (apostrophes kept): the form the recogniser writes."""
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Corpus-level WER: total edits over total reference words."""
    return jiwer.wer([normalize_words(r) for r in references], [normalize_words(h) or "<empty>" for h in hypotheses])
