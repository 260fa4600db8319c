"""Speak one sentence through the running server and write a WAV file (a minimal tritonclient example).

Run: python -m serving.say "Hello from Triton." -o hello.wav [--voice en_gb_male] [--rate 1.2] [--url localhost:8001]
"""

from __future__ import annotations

import argparse
import wave

import numpy as np
import tritonclient.grpc as grpcclient

from serving.probe import text_input


def synthesize(url: str, text: str, voice: str | None = None, rate: float | None = None) -> tuple[np.ndarray, int]:
    """(float32 waveform, sample rate) from the `tts` ensemble."""
    inputs = [text_input(text)]
    if voice:
        inputs.append(grpcclient.InferInput("VOICE", [1, 1], "BYTES"))
        inputs[-1].set_data_from_numpy(np.array([[voice.encode()]], dtype=object))
    if rate is not None:
        inputs.append(grpcclient.InferInput("RATE", [1, 1], "FP32"))
        inputs[-1].set_data_from_numpy(np.array([[rate]], dtype=np.float32))
    with grpcclient.InferenceServerClient(url) as client:
        result = client.infer("tts", inputs)
    return result.as_numpy("AUDIO")[0], int(result.as_numpy("SAMPLE_RATE").reshape(-1)[0])


def write_wav(path: str, audio: np.ndarray, sample_rate: int) -> None:
    """16-bit mono PCM."""
    with wave.open(path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes((np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("text")
    parser.add_argument("-o", "--output", default="out.wav")
    parser.add_argument("--voice")
    parser.add_argument("--rate", type=float)
    parser.add_argument("--url", default="localhost:8001")
    args = parser.parse_args()
    audio, sample_rate = synthesize(args.url, args.text, args.voice, args.rate)
    write_wav(args.output, audio, sample_rate)
    print(f"wrote {args.output}: {len(audio) / sample_rate:.2f} s at {sample_rate} Hz")


if __name__ == "__main__":
    main()
