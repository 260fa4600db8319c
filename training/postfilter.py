"""Choose the served voice's mel post-filter (triton_tts.acoustic.MelPostfilter) by measurement.

The student's mels, trained with L1 towards the teacher's, have about half the teacher's contrast across mel
bins. This tries triangular blur kernels and gains on held-out validation sentences (never the model card's
test split): per candidate, Distill-MOS and pocketsphinx WER through the served vocoder, and the teacher's
contrast divided by the filtered student's (1.0: as sharp as the teacher). `--write` stores the candidate
with the best MOS whose WER is at most the unfiltered WER + 0.02 in the voice's voice.json.

Run: python -m training.postfilter --voice voices/default --widths 5 9 13 --gains 1 1.5 2 [--write]
(about 1.5 minutes per candidate for 40 sentences on 2 cores).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import random
from pathlib import Path

import numpy as np
import torch

from training import asr, mos
from training.teacher_data import TeacherDataRecipe, units
from triton_tts.acoustic import MelPostfilter
from triton_tts.mel import LogMel
from triton_tts.offline import Synthesizer
from triton_tts.phonemes import phonemize_ipa
from triton_tts.piper import PiperVoice
from triton_tts.stages import AcousticRequest
from triton_tts.voice import Voice, load_neural_vocoder, load_voice
from triton_tts.voice_config import CONFIG_FILE

logger = logging.getLogger(__name__)
WER_SLACK = 0.02  # a candidate may cost this much intelligibility, no more


def triangle(width: int) -> tuple[float, ...]:
    """A triangular kernel of odd `width`: 1, 2, ..., peak, ..., 2, 1."""
    half = width // 2
    return tuple(float(half + 1 - abs(k - half)) for k in range(width))


def contrast(mels: list[np.ndarray]) -> np.ndarray:
    """Per bin, the mean over utterances of the std over frames of the difference to the next bin up."""
    return np.mean([np.diff(m, axis=0).std(axis=-1) for m in mels], axis=0)


def unfiltered(voice: Voice) -> Voice:
    """The voice with its post-filter off: the candidates are applied to these mels."""
    voice.model.config = dataclasses.replace(voice.model.config, postfilter_gain=0.0)
    return voice


def score(audios: list[np.ndarray], sentences: list[str], rate: int) -> dict[str, float]:
    scores = [mos.predict_mos(a, rate) for a in audios]
    hypotheses = [asr.transcribe(a, rate, k) for k, a in enumerate(audios)]
    return {"mos_mean": float(np.mean(scores)), "mos_p10": float(np.percentile(scores, 10)),
            "wer": asr.word_error_rate(sentences, hypotheses)}


def tune(voice_dir: Path, widths: list[int], gains: list[float], count: int, seed: int) -> list[dict]:
    """One row per candidate (width 0: no post-filter), all on the same validation sentences."""
    torch.set_num_threads(2)
    recipe = TeacherDataRecipe()
    sentences = sorted(random.Random(seed).sample(units("validation", recipe), count))
    voice = unfiltered(load_voice(voice_dir))
    student = Synthesizer(voice, load_neural_vocoder(voice_dir, voice.config.mel), threads=2)
    processed = (student.frontend.process(s.encode(), None, 1.0) for s in sentences)
    requests = [AcousticRequest(p.ids, p.segment_lengths, p.speaker, p.pace, p.segment_paces, p.segment_pause_frames) for p in processed]
    mels = [result.mel for result in student.acoustic.run(requests)]
    teacher, log_mel = PiperVoice(seed=0, threads=2, scales=recipe.scales), LogMel(voice.config.mel)
    with torch.inference_mode():
        teacher_mels = [log_mel(torch.from_numpy(teacher.speak(phonemize_ipa(s, recipe.espeak_voice)).audio)[None])[0].numpy() for s in sentences]
    target = contrast(teacher_mels)
    rows = []
    for width, gain in [(0, 0.0)] + [(w, g) for w in widths for g in gains]:
        if width:
            postfilter = MelPostfilter(voice.config.mel.n_mels, triangle(width), gain)
            with torch.inference_mode():
                filtered = [postfilter(torch.from_numpy(m)[None])[0].numpy() for m in mels]
        else:
            filtered = mels
        row = {"width": width, "gain": gain, "teacher_contrast_ratio": float(np.median(target / contrast(filtered)))}
        row |= score(student.vocoder.run(filtered), sentences, student.sample_rate)
        logger.info("%s", row)
        rows.append(row)
    return rows


def best(rows: list[dict]) -> dict:
    """The best MOS among the candidates that keep intelligibility (the unfiltered row is a candidate too)."""
    allowed = [r for r in rows if r["wer"] <= rows[0]["wer"] + WER_SLACK]
    return max(allowed, key=lambda r: r["mos_mean"])


def write_choice(voice_dir: Path, row: dict) -> None:
    path = voice_dir / CONFIG_FILE
    config = json.loads(path.read_text())
    config["model"] |= {"postfilter_kernel": list(triangle(row["width"])) if row["width"] else [], "postfilter_gain": row["gain"]}
    path.write_text(json.dumps(config, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voice", type=Path, default=Path("voices/default"))
    parser.add_argument("--widths", type=int, nargs="+", default=[5, 9, 13])
    parser.add_argument("--gains", type=float, nargs="+", default=[1.0, 1.5, 2.0])
    parser.add_argument("--sentences", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="store the best candidate in the voice's voice.json")
    args = parser.parse_args()
    if any(w < 1 or w % 2 == 0 for w in args.widths):
        parser.error("--widths must be odd and positive")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    rows = tune(args.voice, args.widths, args.gains, args.sentences, args.seed)
    print(f"{args.sentences} validation sentences\n\n| kernel width | gain | teacher/student contrast | WER | Distill-MOS mean | MOS p10 |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['width'] or '-'} | {r['gain']:g} | {r['teacher_contrast_ratio']:.2f} | {r['wer']:.3f} | {r['mos_mean']:.2f} | {r['mos_p10']:.2f} |")
    choice = best(rows)
    print(f"\nbest: width {choice['width']}, gain {choice['gain']:g}")
    if args.write:
        write_choice(args.voice, choice)
        print(f"written to {args.voice / CONFIG_FILE}")


if __name__ == "__main__":
    main()
