"""Compute of the acoustic and vocoder stages, with per-request validation.

A Triton `execute` call hands us N requests: each is validated alone (InvalidRequest), the valid ones run
in padded batches of up to `compute_batch_size` (similar lengths together), and results come back in
request order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from triton_tts.acoustic import MAX_FRAMES
from triton_tts.acoustic_request import AcousticRequest, AcousticResult
from triton_tts.audio_format import AudioFormat, encode, parse_format
from triton_tts.errors import InvalidRequest
from triton_tts.frontend import MAX_PAUSE_SECONDS, MAX_RATE, MIN_RATE
from triton_tts.limits import MAX_SEGMENT_TOKENS
from triton_tts.neural_vocoder import NeuralVocoder
from triton_tts.pipeline import (
    VOCODER_WINDOW_FRAMES, AcousticInput, AcousticRunner, VocoderRunner, generate_mels_and_durations, run_in_chunks, vocode, vocode_windowed,
)
from triton_tts.timing import word_times
from triton_tts.voice_config import MelConfig, VoiceConfig

# A request's sentences are joined, so its mel may exceed one utterance's MAX_FRAMES; the frontend's phoneme
# cap keeps it below this (~19 minutes of audio) even at the slowest rate.
MAX_REQUEST_FRAMES = 5 * MAX_FRAMES
# A mel of audio in [-1, 1] lies within about [-17, 7] (log floor, post-filter overshoot); ±3e38 made NaN audio.
MAX_ABS_LOG_MEL = 100.0


class AcousticStage:
    """Phoneme ids (sentence segments) -> one log-mel per request, all sentences of a batch in one forward pass."""

    def __init__(self, config: VoiceConfig, acoustic: AcousticRunner, compute_batch_size: int = 1) -> None:
        self.acoustic = acoustic
        self.silence = float(np.log(config.mel.log_floor))
        self.max_pause_frames = math.ceil(MAX_PAUSE_SECONDS * config.mel.sample_rate / config.mel.hop_length)
        self.sentence_pause_frames = math.ceil(config.sentence_pause_ms / 1000 * config.mel.sample_rate / config.mel.hop_length)
        self.seconds_per_frame = config.mel.hop_length / config.mel.sample_rate
        self.compute_batch_size = compute_batch_size
        self.n_tokens = config.model.n_tokens
        self.n_speakers = config.model.n_speakers

    def validate(self, request: AcousticRequest) -> AcousticRequest:
        ids, lengths = request.ids, request.segment_lengths
        if ids.ndim != 1 or ids.size == 0:
            raise InvalidRequest("PHONEME_IDS must be a non-empty 1-D list of ids")
        if ids.min() < 1 or ids.max() >= self.n_tokens:
            raise InvalidRequest(f"PHONEME_IDS must be in [1, {self.n_tokens - 1}] for this voice")
        if lengths.ndim != 1 or lengths.size == 0 or lengths.min() < 1 or lengths.max() > MAX_SEGMENT_TOKENS or lengths.sum() != ids.size:
            raise InvalidRequest(f"SEGMENT_LENGTHS must be from 1 to {MAX_SEGMENT_TOKENS} each and sum to the number of PHONEME_IDS")
        if not 0 <= request.speaker < self.n_speakers:
            raise InvalidRequest(f"SPEAKER must be in [0, {self.n_speakers - 1}]")
        if not MIN_RATE <= request.pace <= MAX_RATE:
            raise InvalidRequest(f"PACE must be in [{MIN_RATE}, {MAX_RATE}]")
        paces, pauses = request.paces(), request.pauses()
        if paces.shape != lengths.shape or not np.all((paces >= MIN_RATE) & (paces <= MAX_RATE)):
            raise InvalidRequest(f"SEGMENT_PACES must have one pace in [{MIN_RATE}, {MAX_RATE}] per segment")
        most = self.max_pause_frames + self.sentence_pause_frames * lengths.size  # SSML breaks and sentence pauses
        if pauses.shape != lengths.shape or pauses.min() < 0 or pauses.max() > self.max_pause_frames + self.sentence_pause_frames or pauses.sum() > most:
            raise InvalidRequest(f"SEGMENT_PAUSE_FRAMES must have one count per segment, >= 0, at most {most} in all")
        spans = request.word_spans
        if spans is not None and (spans.ndim != 2 or spans.shape[1] != 2 or (spans.size and (spans.min() < 0 or spans.max() >= ids.size or np.any(spans[:, 0] > spans[:, 1])))):
            raise InvalidRequest(f"WORD_SPANS must be (first, last) pairs of PHONEME_IDS indices, first <= last < {ids.size}")
        return request

    def warm_up(self) -> None:
        """One small batch at start-up, so the first real request does not pay for lazy initialisation."""
        self.run([AcousticRequest(np.arange(1, 9) % (self.n_tokens - 1) + 1, np.array([8]), 0, 1.0)] * 2)

    def run(self, requests: list[AcousticRequest]) -> list[AcousticResult]:
        rows = [
            AcousticInput(segment.tolist(), r.speaker, float(pace))
            for r in requests
            for segment, pace in zip(np.split(r.ids, np.cumsum(r.segment_lengths)[:-1]), r.paces())
        ]
        generate = partial(generate_mels_and_durations, self.acoustic)
        outputs = iter(run_in_chunks(rows, self.compute_batch_size, lambda r: len(r.ids), generate))
        results = []
        for request in requests:
            mels, durations = zip(*(next(outputs) for _ in request.segment_lengths))
            mel = self._join(mels, request.pauses())
            results.append(AcousticResult(mel, self._word_times(request, mels, durations, mel.shape[1])))
        return results

    def _join(self, mels: tuple[np.ndarray, ...], pauses: np.ndarray) -> np.ndarray:
        """A request's sentence mels back to back, each followed by its pause as silent (log floor) frames."""
        parts = []
        for mel, pause in zip(mels, pauses):
            parts.append(mel)
            if pause:
                parts.append(np.full((mel.shape[0], int(pause)), self.silence, dtype=mel.dtype))
        return np.concatenate(parts, axis=1)

    def _word_times(self, request: AcousticRequest, mels: tuple[np.ndarray, ...], durations: tuple[np.ndarray, ...], frames: int) -> np.ndarray:
        """Each word's (start, end) seconds; the vocoder makes (frames - 1) * hop samples of the mel."""
        if request.word_spans is None:
            return np.zeros((0, 2), np.float32)
        sentence_frames = [m.shape[1] + int(p) for m, p in zip(mels, request.pauses())]
        return word_times(request.word_spans, durations, sentence_frames, self.seconds_per_frame, (frames - 1) * self.seconds_per_frame)


@dataclass(frozen=True)
class VocoderRequest:
    mel: np.ndarray
    audio_format: AudioFormat


@dataclass(frozen=True)
class SpokenAudio:
    """A request's audio: float samples at `sample_rate`, and `encoded` bytes (empty for float32)."""

    samples: np.ndarray
    sample_rate: int
    encoded: bytes


class VocoderStage:
    """Log-mels -> waveforms, batched; each then in the format its request asked for."""

    def __init__(self, mel: MelConfig, vocoder: VocoderRunner, compute_batch_size: int = 1, window_frames: int | None = None) -> None:
        """`window_frames`: vocode longer mels window by window (the neural vocoder; Griffin-Lim is not local)."""
        self.mel = mel
        self.vocoder = vocoder
        self.compute_batch_size = compute_batch_size
        self.window_frames = window_frames
        self.n_mels = mel.n_mels

    @property
    def sample_rate(self) -> int:
        return self.mel.sample_rate

    def validate(self, mel: np.ndarray) -> np.ndarray:
        if mel.ndim != 2 or mel.shape[0] != self.n_mels or not 1 <= mel.shape[1] <= MAX_REQUEST_FRAMES:
            raise InvalidRequest(
                f"MEL must have shape [{self.n_mels}, frames] with 1 to {MAX_REQUEST_FRAMES} frames, got {list(mel.shape)}"
            )
        if not np.all(np.abs(mel) <= MAX_ABS_LOG_MEL):  # NaN fails too
            raise InvalidRequest(f"MEL must be natural-log mel magnitudes, finite and within [-{MAX_ABS_LOG_MEL}, {MAX_ABS_LOG_MEL}]")
        return mel.astype(np.float32, copy=False)

    def request(self, mel: np.ndarray, encoding: bytes | None = None, sample_rate: int | None = None) -> VocoderRequest:
        """A validated request; InvalidRequest for a bad mel, encoding or sample rate."""
        return VocoderRequest(self.validate(mel), parse_format(encoding, sample_rate, self.sample_rate))

    def warm_up(self) -> None:
        self.run([np.full((self.n_mels, 40), -5.0, dtype=np.float32)] * 2)

    def synthesize(self, requests: list[VocoderRequest]) -> list[SpokenAudio]:
        """Each request's audio in the format it asked for."""
        audios = self.run([r.mel for r in requests])
        return [SpokenAudio(*self._format(audio, r.audio_format)) for audio, r in zip(audios, requests)]

    def _format(self, audio: np.ndarray, audio_format: AudioFormat) -> tuple[np.ndarray, int, bytes]:
        samples, encoded = encode(audio, self.sample_rate, audio_format)
        return samples, audio_format.sample_rate, encoded

    def run(self, mels: list[np.ndarray]) -> list[np.ndarray]:
        """Short mels in padded batches; a mel longer than a window alone, window by window (bounded memory)."""
        if self.window_frames is None:
            return run_in_chunks(mels, self.compute_batch_size, lambda m: m.shape[1], self._vocode)
        long = {i for i, m in enumerate(mels) if m.shape[1] > self.window_frames}
        short = run_in_chunks([m for i, m in enumerate(mels) if i not in long], self.compute_batch_size, lambda m: m.shape[1], self._vocode)
        results = iter(short)
        return [
            vocode_windowed(self.vocoder, m, self.mel.log_floor, self.mel.hop_length, self.window_frames) if i in long else next(results)
            for i, m in enumerate(mels)
        ]

    def _vocode(self, mels: list[np.ndarray]) -> list[np.ndarray]:
        return vocode(self.vocoder, mels, self.mel.log_floor)


def window_frames_for(vocoder: torch.nn.Module) -> int | None:
    """The neural vocoder is local (windows give the same audio); Griffin-Lim's phase search is not."""
    return VOCODER_WINDOW_FRAMES if isinstance(vocoder, NeuralVocoder) else None


def set_torch_threads(threads: int) -> None:
    """One Triton instance per process: pin its intra-op threads so instances don't oversubscribe cores."""
    if threads > 0:
        torch.set_num_threads(threads)
