"""Stage benchmark: each compute stage alone, per implementation, on the same inputs in the same run.

Acoustic model on torch and onnxruntime; vocoders Griffin-Lim (torch), neural (torch), neural (onnxruntime),
all on the same mels (the acoustic model's output for held-out sentences). One thread, as one Triton instance
has. Prints a markdown table: milliseconds per call (p50), audio seconds produced per compute second, and the
speed relative to the stage's first row (the baseline).

Run: python -m loadtests.bench_stages [--sentences 32] [--batch 1 8] [--threads 1] [--rounds 3]
"""

from __future__ import annotations

import argparse
import platform
import time
from typing import Callable

import numpy as np
import torch

from loadtests.bench import benchmark_texts
from serving.paths import DEFAULT_VOICE_DIR
from triton_tts.frontend import TextFrontend
from triton_tts.pipeline import AcousticInput, generate_mels, vocode
from triton_tts.runtimes import acoustic_runner, vocoder_runner
from triton_tts.vocoder import GriffinLim
from triton_tts.voice import load_neural_vocoder, load_voice


def measure(run: Callable[[list], list], items: list, batch: int, rounds: int) -> list[float]:
    """Seconds per call over `rounds` passes through `items` in batches of `batch` (after one warm-up call)."""
    run(items[:batch])
    times = []
    for _ in range(rounds):
        for start in range(0, len(items) - batch + 1, batch):
            began = time.perf_counter()
            run(items[start : start + batch])
            times.append(time.perf_counter() - began)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=32)
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    voice = load_voice(DEFAULT_VOICE_DIR)
    frontend = TextFrontend(voice.config)
    items = [AcousticInput(frontend.process(t.encode()).ids.tolist(), 0) for t in benchmark_texts(args.sentences)]
    acoustics = {runtime: acoustic_runner(voice, runtime, args.threads) for runtime in ("torch", "onnxruntime")}
    mels = generate_mels(acoustics["torch"], items)
    audio_s = sum((m.shape[1] - 1) * voice.config.mel.hop_length for m in mels) / voice.config.mel.sample_rate
    neural = load_neural_vocoder(DEFAULT_VOICE_DIR, voice.config.mel)
    vocoders = {
        "Griffin-Lim, torch": GriffinLim(voice.config.mel),
        "neural, torch": neural,
        "neural, onnxruntime": vocoder_runner(neural, "onnxruntime", args.threads),
    }
    floor = voice.config.mel.log_floor
    stages: list[tuple[str, str, Callable[[list], list], list]] = [
        *(("acoustic", name, lambda b, a=a: generate_mels(a, b), items) for name, a in acoustics.items()),
        *(("vocoder", name, lambda b, v=v: vocode(v, b, floor), mels) for name, v in vocoders.items()),
    ]
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, {args.threads} thread(s), "
          f"{len(items)} held-out sentences = {audio_s:.1f} s of audio, {args.rounds} rounds\n")
    print("| stage | implementation | batch | ms per call p50 | audio s per compute s | vs first row |\n|---|---|---|---|---|---|")
    baselines: dict[tuple[str, int], float] = {}
    with torch.inference_mode():
        for stage, name, run, inputs in stages:
            for batch in args.batch:
                times = measure(run, inputs, batch, args.rounds)
                speed = audio_s * args.rounds * (len(inputs) // batch * batch) / len(inputs) / sum(times)
                base = baselines.setdefault((stage, batch), speed)
                print(f"| {stage} | {name} | {batch} | {np.median(times) * 1000:.1f} | {speed:.1f} | {speed / base:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
