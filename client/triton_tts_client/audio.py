"""Synthesized audio: samples, rate, duration, the server's encoded bytes, and WAV output."""

from __future__ import annotations

import io
import struct
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np


ENCODINGS = ("float32", "pcm16", "wav", "opus")
# The encoding a file name asks for: `tts say -o x.ogg` gets Ogg/Opus from the server.
ENCODING_BY_SUFFIX = {".wav": "wav", ".ogg": "opus", ".opus": "opus", ".pcm": "pcm16", ".raw": "pcm16"}


@dataclass(frozen=True)
class Word:
    """A written word (or words spoken as one) and when it is heard: seconds from the start of the audio."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Audio:
    """Mono audio at `sample_rate` Hz; `request_id` traces it in server logs.

    `samples`: float32 in [-1, 1] (decoded from pcm16 and wav too; empty for opus). `encoded`: the bytes the
    server sent for a pcm16, wav or opus request (empty for float32), ready to write to a file as they are.
    """

    samples: np.ndarray
    sample_rate: int
    request_id: str = ""
    encoding: str = "float32"
    encoded: bytes = b""
    words: tuple[Word, ...] = ()  # with timestamps=True

    @classmethod
    def decode(cls, data: bytes, encoding: str, sample_rate: int, request_id: str = "") -> "Audio":
        if encoding == "pcm16":
            samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32767.0
        elif encoding == "wav":
            with wave.open(io.BytesIO(data), "rb") as reader:
                samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2").astype(np.float32) / 32767.0
        else:
            samples = np.zeros(0, np.float32)
        return cls(samples, sample_rate, request_id, encoding, data)

    @property
    def duration(self) -> float:
        """Seconds of audio (for Ogg/Opus, read from the stream's last page)."""
        if self.encoding == "opus":
            return ogg_opus_seconds(self.encoded)
        return len(self.samples) / self.sample_rate

    def pcm16(self) -> bytes:
        """Little-endian 16-bit PCM, the format WAV players and telephony expect."""
        if self.encoding == "pcm16":
            return self.encoded
        return (np.clip(self.samples, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()

    def wav_bytes(self) -> bytes:
        if self.encoding == "wav":
            return self.encoded
        buffer = io.BytesIO()
        with open_wav(buffer, self.sample_rate) as out:
            out.writeframes(self.pcm16())
        return buffer.getvalue()

    def file_bytes(self) -> bytes:
        """What a file of this encoding holds: the server's bytes, or WAV for float32 samples."""
        return self.encoded if self.encoding in ("opus", "pcm16") else self.wav_bytes()

    def write_wav(self, path: str | Path) -> None:
        Path(path).write_bytes(self.wav_bytes())


def ogg_opus_seconds(data: bytes) -> float:
    """An Ogg/Opus stream's duration: the last page's granule position (always 48 kHz) less the pre-skip."""
    last = data.rfind(b"OggS")
    head = data.find(b"OpusHead")
    if last < 0 or head < 0:
        return 0.0
    (granule,) = struct.unpack_from("<q", data, last + 6)
    (pre_skip,) = struct.unpack_from("<H", data, head + 10)
    return max(0, granule - pre_skip) / 48000


def open_wav(target: str | Path | io.BytesIO, sample_rate: int) -> wave.Wave_write:
    """A mono 16-bit WAV writer; frames can be written chunk by chunk (the header is finished on close)."""
    out = wave.open(str(target) if isinstance(target, Path) else target, "wb")
    out.setnchannels(1)
    out.setsampwidth(2)
    out.setframerate(sample_rate)
    return out
