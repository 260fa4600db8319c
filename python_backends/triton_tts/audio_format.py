"""The audio a caller asked for: encoding (ENCODING) and sample rate (OUTPUT_SAMPLE_RATE), checked and produced.

float32 (the default) is the AUDIO tensor itself; pcm16, wav and opus (Ogg/Opus via libsndfile, bundled in
the soundfile wheel) come as bytes in AUDIO_BYTES. Another sample rate is made with a polyphase filter
(scipy's resample_poly: a Kaiser-windowed low-pass at the lower Nyquist rate). Opus only takes 8, 12, 16,
24 or 48 kHz, so an Opus request without a rate gets 24 kHz (speech loses nothing above 11 kHz here: the
voice's mels stop at 8 kHz).
"""

from __future__ import annotations

import io
import math
import wave
from dataclasses import dataclass

import numpy as np

from triton_tts.errors import InvalidRequest, shown

ENCODINGS = ("float32", "pcm16", "wav", "opus")
STREAM_ENCODINGS = ("float32", "pcm16")  # a container (WAV header, Ogg pages) needs the whole audio
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
OPUS_DEFAULT_RATE = 24000
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 8000, 48000


@dataclass(frozen=True)
class AudioFormat:
    encoding: str
    sample_rate: int

    @property
    def is_bytes(self) -> bool:
        """True when the audio goes in AUDIO_BYTES rather than as float samples."""
        return self.encoding != "float32"


def parse_format(encoding: bytes | str | None, sample_rate: int | None, native_rate: int, streaming: bool = False) -> AudioFormat:
    """The requested format, defaults filled in; InvalidRequest with what to send instead."""
    name = (encoding.decode("utf-8", "replace") if isinstance(encoding, bytes) else encoding or "").strip().lower() or "float32"
    allowed = STREAM_ENCODINGS if streaming else ENCODINGS
    if name not in allowed:
        where = " for streaming (tts_stream)" if streaming and name in ENCODINGS else ""
        raise InvalidRequest(f"ENCODING {shown(name)} is not supported{where}; use one of {', '.join(allowed)}", "bad_format")
    if sample_rate is None or sample_rate == 0:
        rate = OPUS_DEFAULT_RATE if name == "opus" else native_rate
    else:
        rate = int(sample_rate)
    if streaming and rate != native_rate:
        raise InvalidRequest(f"OUTPUT_SAMPLE_RATE must be {native_rate} (the voice's rate) for streaming, got {rate}", "bad_format")
    if name == "opus" and rate not in OPUS_RATES:
        raise InvalidRequest(f"OUTPUT_SAMPLE_RATE {rate} is not an Opus rate; use one of {', '.join(map(str, OPUS_RATES))}", "bad_format")
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise InvalidRequest(f"OUTPUT_SAMPLE_RATE must be from {MIN_SAMPLE_RATE} to {MAX_SAMPLE_RATE} Hz, got {rate}", "bad_format")
    return AudioFormat(name, rate)


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """`audio` at `to_rate` (polyphase, anti-aliased); the same array when the rates are equal."""
    if from_rate == to_rate:
        return audio
    from scipy.signal import resample_poly  # imported on first use: most requests keep the voice's rate

    common = math.gcd(from_rate, to_rate)
    return resample_poly(audio, to_rate // common, from_rate // common).astype(np.float32)


def pcm16(audio: np.ndarray) -> bytes:
    """Little-endian 16-bit PCM, clipped to [-1, 1]."""
    return (np.clip(audio, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()


def _wav(audio: np.ndarray, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm16(audio))
    return buffer.getvalue()


def _opus(audio: np.ndarray, sample_rate: int) -> bytes:
    import soundfile  # libsndfile with Opus, loaded on first use

    buffer = io.BytesIO()
    soundfile.write(buffer, np.clip(audio, -1.0, 1.0), sample_rate, format="OGG", subtype="OPUS")
    return buffer.getvalue()


def encode(audio: np.ndarray, native_rate: int, audio_format: AudioFormat) -> tuple[np.ndarray, bytes]:
    """(float samples at the requested rate, the encoded bytes: empty for float32)."""
    audio = resample(audio, native_rate, audio_format.sample_rate)
    if audio_format.encoding == "pcm16":
        return audio, pcm16(audio)
    if audio_format.encoding == "wav":
        return audio, _wav(audio, audio_format.sample_rate)
    if audio_format.encoding == "opus":
        return audio, _opus(audio, audio_format.sample_rate)
    return audio, b""
