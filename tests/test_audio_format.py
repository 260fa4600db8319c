"""Output formats without a server: what each encoding's bytes hold, resampling, and the refusals."""

import io
import wave

import numpy as np
import pytest
import soundfile

from triton_tts.audio_format import ENCODINGS, OPUS_DEFAULT_RATE, encode, parse_format, resample
from triton_tts.errors import InvalidRequest
from triton_tts_client.audio import Audio, ogg_opus_seconds

RATE = 22050


def tone(seconds: float = 1.0, hz: float = 440.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_defaults():
    assert parse_format(None, None, RATE) == parse_format(b"", 0, RATE) == parse_format("FLOAT32", None, RATE)
    assert parse_format(None, None, RATE).sample_rate == RATE
    assert parse_format(b"opus", None, RATE).sample_rate == OPUS_DEFAULT_RATE


@pytest.mark.parametrize(("encoding", "rate", "message"), [
    (b"mp3", None, "ENCODING 'mp3' is not supported; use one of float32, pcm16, wav, opus"),
    (b"opus", 22050, "not an Opus rate"),
    (b"wav", 4000, "must be from 8000 to 48000"),
    (b"pcm16", 96000, "must be from 8000 to 48000"),
])
def test_bad_formats_say_what_to_send(encoding, rate, message):
    with pytest.raises(InvalidRequest, match=message) as error:
        parse_format(encoding, rate, RATE)
    assert error.value.reason == "bad_format"


def test_streaming_takes_raw_formats_at_the_voice_rate():
    assert parse_format(b"pcm16", None, RATE, streaming=True).encoding == "pcm16"
    with pytest.raises(InvalidRequest, match="'opus' is not supported for streaming"):
        parse_format(b"opus", None, RATE, streaming=True)
    with pytest.raises(InvalidRequest, match="must be 22050"):
        parse_format(b"pcm16", 16000, RATE, streaming=True)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_each_encoding_decodes_to_the_same_audio(encoding):
    audio_format = parse_format(encoding, 16000 if encoding != "float32" else None, RATE)
    samples, data = encode(tone(), RATE, audio_format)
    assert len(samples) == audio_format.sample_rate  # one second at the requested rate
    if encoding == "float32":
        assert data == b""
        return
    if encoding == "opus":
        decoded, rate = soundfile.read(io.BytesIO(data), dtype="float32")
        assert rate == 16000 and abs(len(decoded) - len(samples)) <= 400  # Opus pads to whole frames
        assert abs(Audio.decode(data, "opus", 16000).duration - 1.0) < 0.03
        return
    client_side = Audio.decode(data, encoding, audio_format.sample_rate)
    assert np.max(np.abs(client_side.samples - samples)) < 1e-4  # 16-bit quantisation only
    if encoding == "wav":
        with wave.open(io.BytesIO(data)) as reader:
            assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (16000, 1, 2)


def test_resampling_keeps_a_tone_and_removes_what_the_new_rate_cannot_hold():
    low = resample(tone(hz=440.0), RATE, 8000)
    spectrum = np.abs(np.fft.rfft(low))
    assert abs(np.argmax(spectrum) * 8000 / len(low) - 440.0) < 2.0
    aliased = resample(tone(hz=6000.0), RATE, 8000)  # above the new Nyquist rate (4 kHz)
    assert np.sqrt(np.mean(aliased**2)) < 0.01
    assert resample(tone(), RATE, RATE) is not None


def test_ogg_duration_without_ogg_pages_is_zero():
    assert ogg_opus_seconds(b"not ogg") == 0.0
