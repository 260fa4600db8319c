"""Output formats measured: bytes per second of audio and encoding time per second of audio, per format.

Synthesizes held-out sentences in-process with the served pipeline (triton_tts.offline), then encodes each
the way the vocoder stage does (triton_tts.audio_format). Prints a markdown table.

Run: python -m loadtests.format_sizes [--sentences 20]
"""

from __future__ import annotations

import argparse
import time

from loadtests.bench import benchmark_texts
from serving.paths import DEFAULT_VOICE_DIR
from triton_tts.audio_format import encode, parse_format
from triton_tts.offline import Synthesizer

FORMATS = (("float32", None), ("pcm16", None), ("wav", None), ("wav", 16000), ("opus", 16000), ("opus", 24000), ("opus", 48000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=20)
    args = parser.parse_args()
    synthesizer = Synthesizer.load(DEFAULT_VOICE_DIR, threads=1)
    audios = [synthesizer.synthesize([text])[0] for text in benchmark_texts(args.sentences)]
    rate = synthesizer.sample_rate
    seconds = sum(a.size for a in audios) / rate
    encode(audios[0], rate, parse_format("opus", None, rate))  # first use loads libsndfile and scipy
    print(f"{len(audios)} sentences, {seconds:.1f} s of audio; encoding on one thread\n")
    print("| encoding | sample rate | bytes per audio second | kbit/s | encode ms per audio second |")
    print("|---|---|---|---|---|")
    for name, sample_rate in FORMATS:
        audio_format = parse_format(name, sample_rate, rate)
        began = time.perf_counter()
        sizes = [(len(data) or samples.nbytes) for samples, data in (encode(a, rate, audio_format) for a in audios)]
        elapsed = time.perf_counter() - began
        per_second = sum(sizes) / seconds
        print(f"| {name} | {audio_format.sample_rate} | {per_second:,.0f} | {per_second * 8 / 1000:,.1f} | {elapsed / seconds * 1000:.1f} |")


if __name__ == "__main__":
    main()
