"""Intelligibility of served audio vs the same pipeline run offline: WER per speaker, side by side.

Start the server first (make serve), then: python -m training.evaluate_served [--url localhost:8001] [--sentences 120]
"""

from __future__ import annotations

import argparse
from multiprocessing import Pool
from pathlib import Path

from training import asr
from training.evaluate import _transcribe, test_sentences
from triton_tts.offline import Synthesizer
from triton_tts.voice import VOCODERS
from triton_tts.voice_config import load_voice_config
from triton_tts_client import TTSClient


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="localhost:8001")
    parser.add_argument("--voice", type=Path, default=Path("voices/default"))
    parser.add_argument("--sentences", type=int, default=120)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--vocoder", choices=VOCODERS, default="neural", help="the served repository's vocoder")
    args = parser.parse_args()
    offline = Synthesizer.load(args.voice, args.vocoder)
    sentences = test_sentences(args.sentences)
    print(f"{len(sentences)} held-out sentences per speaker\n")
    print("| speaker | WER offline | WER served | served - offline |\n|---|---|---|---|")
    with Pool(args.workers) as pool, TTSClient(args.url) as client:
        for speaker in load_voice_config(args.voice).speakers:
            offline_audio = [offline.synthesize([s], [speaker])[0] for s in sentences]
            served_audio = [client.synthesize(s, speaker).samples for s in sentences]
            rate = offline.sample_rate
            wers = [
                asr.word_error_rate(sentences, pool.map(_transcribe, [(a, rate, k) for k, a in enumerate(audios)]))
                for audios in (offline_audio, served_audio)
            ]
            print(f"| {speaker} | {wers[0]:.3f} | {wers[1]:.3f} | {wers[1] - wers[0]:+.3f} |", flush=True)


if __name__ == "__main__":
    main()
