"""Choose the served voice's mel post-filter (triton_tts.acoustic.MelPostfilter) by measurement.

The student's mels, trained with L1 towards the teacher's, have about half the teacher's contrast across mel
bins. This tries triangular blurs and gains on held-out validation sentences (never the model card's test
split), in two rounds: across bins first (frames untouched), then across frames on top of the best of the
first round. Per candidate: Distill-MOS and pocketsphinx WER through the served vocoder, and the teacher's
contrast across bins divided by the filtered student's (1.0: as sharp as the teacher). The best candidate is
the best MOS whose WER is at most the unfiltered WER + 0.02; `--write` stores it in the voice's voice.json.

Run: python -m training.postfilter --voice voices/default --bin-widths 9 17 35 --bin-gains 0.75 1 1.5
     --frame-widths 3 5 7 --frame-gains 0.5 0.75 [--write]   (about a minute per candidate for 40 sentences)
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
from triton_tts.voice_config import CONFIG_FILE, PostfilterConfig

logger = logging.getLogger(__name__)
WER_SLACK = 0.02  # a candidate may cost this much intelligibility, no more


def contrast(mels: list[np.ndarray]) -> np.ndarray:
    """Per bin, the mean over utterances of the std over frames of the difference to the next bin up."""
    return np.mean([np.diff(m, axis=0).std(axis=-1) for m in mels], axis=0)


def unfiltered(voice: Voice) -> Voice:
    """The voice with its post-filter off: the candidates are applied to these mels."""
    voice.model.config = dataclasses.replace(voice.model.config, postfilter=PostfilterConfig())
    return voice


def score(audios: list[np.ndarray], sentences: list[str], rate: int) -> dict[str, float]:
    scores = [mos.predict_mos(a, rate) for a in audios]
    hypotheses = [asr.transcribe(a, rate, k) for k, a in enumerate(audios)]
    return {"mos_mean": float(np.mean(scores)), "mos_p10": float(np.percentile(scores, 10)),
            "wer": asr.word_error_rate(sentences, hypotheses)}


def tune(voice_dir: Path, bins: list[PostfilterConfig], frames: list[tuple[int, float]], count: int, seed: int) -> list[dict]:
    """One row per candidate (the first: no post-filter), all on the same validation sentences: `bins`, then
    each of `frames` (width, gain) on top of the best of those."""
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

    def row(config: PostfilterConfig) -> dict:
        postfilter = MelPostfilter(voice.config.mel.n_mels, config)
        with torch.inference_mode():
            filtered = [postfilter(torch.from_numpy(m)[None], torch.tensor([m.shape[1]]))[0].numpy() for m in mels]
        found = dataclasses.asdict(config) | {"teacher_contrast_ratio": float(np.median(target / contrast(filtered)))}
        found |= score(student.vocoder.run(filtered), sentences, student.sample_rate)
        logger.info("%s", found)
        return found

    rows = [row(config) for config in [PostfilterConfig(), *bins]]
    chosen = PostfilterConfig(best(rows)["bin_width"], best(rows)["bin_gain"])
    return rows + [row(dataclasses.replace(chosen, frame_width=w, frame_gain=g)) for w, g in frames]


def best(rows: list[dict]) -> dict:
    """The best MOS among the candidates that keep intelligibility (the unfiltered row is a candidate too)."""
    allowed = [r for r in rows if r["wer"] <= rows[0]["wer"] + WER_SLACK]
    return max(allowed, key=lambda r: r["mos_mean"])


def write_choice(voice_dir: Path, row: dict) -> None:
    path = voice_dir / CONFIG_FILE
    config = json.loads(path.read_text())
    config["model"]["postfilter"] = {key: row[key] for key in ("bin_width", "bin_gain", "frame_width", "frame_gain")}
    path.write_text(json.dumps(config, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voice", type=Path, default=Path("voices/default"))
    parser.add_argument("--bin-widths", type=int, nargs="+", default=[9, 17, 35])
    parser.add_argument("--bin-gains", type=float, nargs="+", default=[0.75, 1.0, 1.5])
    parser.add_argument("--frame-widths", type=int, nargs="*", default=[3, 5, 7])
    parser.add_argument("--frame-gains", type=float, nargs="*", default=[0.5, 0.75])
    parser.add_argument("--sentences", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="store the best candidate in the voice's voice.json")
    args = parser.parse_args()
    try:
        bins = [PostfilterConfig(bin_width=w, bin_gain=g) for w in args.bin_widths for g in args.bin_gains]
        frames = [(w, g) for w in args.frame_widths for g in args.frame_gains]
        for width in args.frame_widths:
            PostfilterConfig(frame_width=width)  # checks it
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    rows = tune(args.voice, bins, frames, args.sentences, args.seed)
    print(f"{args.sentences} validation sentences\n\n| bins: width, gain | frames: width, gain | teacher/student contrast | WER | Distill-MOS mean | MOS p10 |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['bin_width']}, {r['bin_gain']:g} | {r['frame_width']}, {r['frame_gain']:g} | {r['teacher_contrast_ratio']:.2f} | {r['wer']:.3f} | {r['mos_mean']:.2f} | {r['mos_p10']:.2f} |")
    choice = best(rows)
    print(f"\nbest: bins {choice['bin_width']}, {choice['bin_gain']:g}; frames {choice['frame_width']}, {choice['frame_gain']:g}")
    if args.write:
        write_choice(args.voice, choice)
        print(f"written to {args.voice / CONFIG_FILE}")


if __name__ == "__main__":
    main()
