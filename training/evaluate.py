"""The model card's table: the student beside its Piper teacher and the previous voice, on held-out sentences.

Rows: (a) the Piper teacher as Piper users hear it (its own noise scales), (b) the teacher as distilled (no
noise: the student's target), (c) our vocoder on (b)'s mels (the vocoder's ceiling), (d) the student through
our vocoder, exactly as served (triton_tts.offline.Synthesizer), (e) the previous default voice (espeak-distilled)
the same way. Per row: pocketsphinx WER, Distill-MOS mean and 10th percentile, and speed as audio seconds per
compute second on one core (one thread, one sentence per call).

Run: python -m training.evaluate --voice voices/default --previous voices/espeak-distilled-v1 [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from multiprocessing import Pool
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from training import asr, mos
from triton_tts.piper import PiperVoice
from training.teacher_data import TeacherDataRecipe, units
from triton_tts.mel import LogMel
from triton_tts.offline import Synthesizer
from triton_tts.phonemes import phonemize_ipa
from triton_tts.pipeline import vocode
from triton_tts.voice import load_neural_vocoder
from triton_tts.voice_config import load_voice_config

logger = logging.getLogger(__name__)
ROWS = {
    "teacher": "(a) Piper teacher, its noise scales",
    "teacher_no_noise": "(b) teacher as distilled (no noise)",
    "teacher_mel_vocoder": "(c) our vocoder on (b)'s mels",
    "student": "(d) student + our vocoder (served)",
    "previous": "(e) previous voice (espeak-distilled)",
}


def test_sentences(count: int, seed: int = 0) -> list[str]:
    """A fixed sample of the held-out test split (fortunes and music-host lines, as the frontend splits them)."""
    found = units("test", TeacherDataRecipe())
    return sorted(random.Random(seed).sample(found, min(count, len(found))))


def timed(speak: Callable[[str], np.ndarray], sentences: list[str], sample_rate: int) -> tuple[list[np.ndarray], float]:
    """Audio per sentence and audio seconds per compute second."""
    audios, compute = [], 0.0
    for sentence in sentences:
        started = time.perf_counter()
        audios.append(speak(sentence))
        compute += time.perf_counter() - started
    return audios, sum(len(a) for a in audios) / sample_rate / compute


def rows_audio(voice_dir: Path, previous_dir: Path | None, sentences: list[str]) -> tuple[dict[str, list[np.ndarray]], dict[str, float], int]:
    """Every row's audio (one thread everywhere) and the speed of the rows that are whole systems."""
    torch.set_num_threads(1)
    teacher = PiperVoice(seed=0, threads=1)
    rate = teacher.sample_rate
    espeak_voice = TeacherDataRecipe().espeak_voice
    audio, speed = {}, {}
    audio["teacher"], speed["teacher"] = timed(lambda s: teacher.speak(phonemize_ipa(s, espeak_voice)).audio, sentences, rate)
    distilled = PiperVoice(seed=0, threads=1, scales=TeacherDataRecipe().scales)
    audio["teacher_no_noise"], _ = timed(lambda s: distilled.speak(phonemize_ipa(s, espeak_voice)).audio, sentences, rate)
    mel_config = load_voice_config(voice_dir).mel
    log_mel, vocoder = LogMel(mel_config), load_neural_vocoder(voice_dir, mel_config)
    with torch.inference_mode():
        mels = [log_mel(torch.from_numpy(a)[None])[0].numpy() for a in audio["teacher_no_noise"]]
    audio["teacher_mel_vocoder"] = [vocode(vocoder, [m], mel_config.log_floor)[0] for m in mels]
    student = Synthesizer.load(voice_dir, threads=1)
    audio["student"], speed["student"] = timed(lambda s: student.synthesize([s])[0], sentences, rate)
    if previous_dir:
        previous = Synthesizer.load(previous_dir, threads=1)
        audio["previous"], speed["previous"] = timed(lambda s: previous.synthesize([s])[0], sentences, rate)
    return audio, speed, rate


def _transcribe(job: tuple[np.ndarray, int, int]) -> str:
    return asr.transcribe(*job)


def evaluate(voice_dir: Path, previous_dir: Path | None, count: int, workers: int) -> dict:
    sentences = test_sentences(count)
    audio, speed, rate = rows_audio(voice_dir, previous_dir, sentences)
    results: dict = {"sentences": len(sentences), "rows": {}}
    with Pool(workers) as pool:
        for name, audios in audio.items():
            hypotheses = pool.map(_transcribe, [(a, rate, k) for k, a in enumerate(audios)])
            scores = [mos.predict_mos(a, rate) for a in audios]
            results["rows"][name] = {
                "wer": asr.word_error_rate(sentences, hypotheses),
                "mos_mean": float(np.mean(scores)),
                "mos_p10": float(np.percentile(scores, 10)),
                "audio_seconds_per_second_per_core": speed.get(name),
            }
            logger.info("%s: %s", name, results["rows"][name])
    return results


def markdown_table(results: dict) -> str:
    lines = ["| system | WER | Distill-MOS mean | MOS p10 | audio s per s per core |", "|---|---|---|---|---|"]
    for name, row in results["rows"].items():
        speed = row["audio_seconds_per_second_per_core"]
        lines.append(
            f"| {ROWS[name]} | {row['wer']:.3f} | {row['mos_mean']:.2f} | {row['mos_p10']:.2f} | "
            + (f"{speed:.1f} |" if speed else "- |")
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voice", type=Path, default=Path("voices/default"))
    parser.add_argument("--previous", type=Path, help="the previous default voice, for its row")
    parser.add_argument("--sentences", type=int, default=120)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    results = evaluate(args.voice, args.previous, args.sentences, args.workers)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    print(f"{results['sentences']} held-out sentences\n")
    print(markdown_table(results))


if __name__ == "__main__":
    main()
