"""Evaluate a voice on held-out sentences, per speaker: WER of teacher, vocoder ceilings and student.

Rows: (a) espeak-ng's audio, (b) Griffin-Lim on the teacher's mels (that vocoder's ceiling), (c) the student
with the teacher's durations, (d) the student with its own durations, both through Griffin-Lim, (e) the neural
vocoder on the teacher's mels, (f) the student with its own durations through the neural vocoder (what serving
does). Also mel L1 for (c) and the duration error of (d).

Run: python -m training.evaluate --voice voices/default [--sentences 120] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import random
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch

from training import asr, corpus
from training.alignment import AlignmentError, samples_to_frames
from training.dataset import teacher_audio
from triton_tts.mel import LogMel
from triton_tts.pipeline import AcousticInput, pad_ids, vocode
from triton_tts.vocoder import GriffinLim
from triton_tts.voice import Voice, load_neural_vocoder, load_voice

logger = logging.getLogger(__name__)
ROWS = {
    "teacher": "(a) espeak-ng audio",
    "teacher_mel_griffin_lim": "(b) Griffin-Lim on teacher mels",
    "student_teacher_durations": "(c) student, teacher durations",
    "student": "(d) student, predicted durations",
    "teacher_mel_neural": "(e) neural vocoder on teacher mels",
    "student_neural": "(f) student + neural vocoder (served)",
}
GAPS = {"(d) - (b)": ("student", "teacher_mel_griffin_lim"), "(e) - (b)": ("teacher_mel_neural", "teacher_mel_griffin_lim"),
        "(f) - (d)": ("student_neural", "student")}
BATCH = 16


def test_sentences(count: int, seed: int = 0) -> list[str]:
    """A fixed sample of the test split: same sentences every run."""
    sentences = [s for s in corpus.sentences() if corpus.split_of(s) == "test"]
    return sorted(random.Random(seed).sample(sentences, count))


@torch.inference_mode()
def speaker_audio(voice: Voice, neural: torch.nn.Module, speaker: str, sentences: list[str]) -> tuple[dict[str, list[np.ndarray]], dict]:
    """The rows' audio for one speaker, plus mel L1 and duration error."""
    config = voice.config
    log_mel, vocoder, floor = LogMel(config.mel), GriffinLim(config.mel), config.mel.log_floor
    rows: dict[str, list[np.ndarray]] = {name: [] for name in ROWS}
    mel_errors, duration_errors, length_ratios = [], [], []
    for start in range(0, len(sentences), BATCH):
        chunk = sentences[start : start + BATCH]
        teacher_mels, items, teacher_durations = [], [], []
        for sentence in chunk:
            audio, tokens, sample_durations = teacher_audio(sentence, config.speakers[speaker])
            rows["teacher"].append(audio)
            mel = log_mel(torch.from_numpy(audio)[None])[0]
            teacher_mels.append(mel.numpy())
            teacher_durations.append(samples_to_frames(sample_durations, config.mel.hop_length, mel.shape[1]))
            items.append(AcousticInput(config.inventory.ids(tokens), config.speaker_id(speaker)))
        rows["teacher_mel_griffin_lim"] += vocode(vocoder, teacher_mels, floor)
        rows["teacher_mel_neural"] += vocode(neural, teacher_mels, floor)
        ids, lengths, speakers, _ = pad_ids(items)
        forced = torch.nn.utils.rnn.pad_sequence([torch.from_numpy(d) for d in teacher_durations], batch_first=True)
        mel, frames, log_durations = voice.model(ids, lengths, speakers, durations=forced)
        forced_mels = [mel[k, :, : int(n)].numpy() for k, n in enumerate(frames)]
        rows["student_teacher_durations"] += vocode(vocoder, forced_mels, floor)
        mel_errors += [float(np.abs(s - t).mean()) for s, t in zip(forced_mels, teacher_mels)]
        predicted = voice.model.predict_durations(log_durations, ids > 0, None)
        for k, durations in enumerate(teacher_durations):
            guess = predicted[k, : len(durations)].numpy()
            duration_errors.append(float(np.abs(guess - durations).mean()))
            length_ratios.append(float(guess.sum() / durations.sum()))
        mel, frames, _ = voice.model(ids, lengths, speakers, durations=predicted)
        student_mels = [mel[k, :, : int(n)].numpy() for k, n in enumerate(frames)]
        rows["student"] += vocode(vocoder, student_mels, floor)
        rows["student_neural"] += vocode(neural, student_mels, floor)
    metrics = {
        "mel_l1_teacher_durations": float(np.mean(mel_errors)),
        "duration_mae_frames": float(np.mean(duration_errors)),
        "length_ratio": float(np.mean(length_ratios)),
    }
    return rows, metrics


def _transcribe(job: tuple[np.ndarray, int, int]) -> str:
    return asr.transcribe(*job)


def evaluate(voice_dir: Path, count: int, workers: int) -> dict:
    torch.set_num_threads(2)
    voice = load_voice(voice_dir)
    neural = load_neural_vocoder(voice_dir, voice.config.mel)
    rate = voice.config.mel.sample_rate
    sentences = []
    for sentence in test_sentences(count * 2):  # some test sentences may not align; take the first `count` that do
        try:
            for espeak_voice in voice.config.speakers.values():
                teacher_audio(sentence, espeak_voice)
            sentences.append(sentence)
        except AlignmentError:
            continue
        if len(sentences) == count:
            break
    results = {"sentences": len(sentences), "speakers": {}}
    with Pool(workers) as pool:
        for speaker in voice.config.speakers:
            rows, metrics = speaker_audio(voice, neural, speaker, sentences)
            wers = {}
            for name, audios in rows.items():
                hypotheses = pool.map(_transcribe, [(a, rate, k) for k, a in enumerate(audios)])
                wers[name] = asr.word_error_rate(sentences, hypotheses)
            results["speakers"][speaker] = {"wer": wers, **metrics}
            logger.info("%s: %s %s", speaker, wers, metrics)
    return results


def markdown_table(results: dict) -> str:
    """The model card's table: one column per speaker."""
    speakers = list(results["speakers"])
    lines = ["| | " + " | ".join(speakers) + " |", "|---" * (len(speakers) + 1) + "|"]
    for key, label in ROWS.items():
        lines.append(f"| WER {label} | " + " | ".join(f"{results['speakers'][s]['wer'][key]:.3f}" for s in speakers) + " |")
    for label, (row, baseline) in GAPS.items():
        wers = [results["speakers"][s]["wer"] for s in speakers]
        lines.append(f"| WER gap {label} | " + " | ".join(f"{w[row] - w[baseline]:+.3f}" for w in wers) + " |")
    for key, label in (("mel_l1_teacher_durations", "mel L1, (c) vs teacher"), ("duration_mae_frames", "duration MAE (frames/token)"), ("length_ratio", "predicted / teacher length")):
        lines.append(f"| {label} | " + " | ".join(f"{results['speakers'][s][key]:.3f}" for s in speakers) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--voice", type=Path, default=Path("voices/default"))
    parser.add_argument("--sentences", type=int, default=120)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    results = evaluate(args.voice, args.sentences, args.workers)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    print(f"{results['sentences']} held-out sentences per speaker\n")
    print(markdown_table(results))


if __name__ == "__main__":
    main()
