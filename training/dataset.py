"""Teacher data: espeak-ng speaks corpus sentences; we keep tokens, per-token frame durations and log-mel.

Features, not audio, are stored (audio is ~10x larger). Run: python -m training.dataset --out data/
"""

from __future__ import annotations

import argparse
import logging
import random
from dataclasses import asdict, dataclass
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch

from training import alignment, corpus
from training.recipe import SPEAKERS, Recipe
from triton_tts import espeak, phonemes
from triton_tts.mel import LogMel, MelConfig

logger = logging.getLogger(__name__)


@dataclass
class Utterance:
    """One teacher utterance: what the acoustic model reads and what it must produce."""

    sentence: str
    speaker: str
    tokens: list[str]
    durations: torch.Tensor  # frames per token, int16, sums to mel.shape[1]
    mel: torch.Tensor  # (n_mels, frames), float16


def save_utterances(path: Path, utterances: list[Utterance], corpus_hash: str) -> None:
    """Plain tensors, strings and lists, so loading needs no pickled classes (torch.load weights_only)."""
    torch.save({"utterances": [asdict(u) for u in utterances], "corpus_hash": corpus_hash}, path)


def load_utterances(path: Path) -> tuple[list[Utterance], str]:
    saved = torch.load(path, weights_only=True)
    return [Utterance(**u) for u in saved["utterances"]], saved["corpus_hash"]


_log_mel: LogMel | None = None


def teacher_audio(sentence: str, espeak_voice: str) -> tuple[np.ndarray, list[str], list[int]]:
    """espeak-ng audio in [-1, 1], the frontend's tokens and their sample durations (AlignmentError if they differ)."""
    tokens = phonemes.phonemize(sentence, espeak_voice)
    synthesis = espeak.synthesize(sentence, espeak_voice)
    durations = alignment.token_sample_durations(tokens, synthesis.events, len(synthesis.audio))
    return synthesis.audio.astype(np.float32) / 32768.0, tokens, durations


def make_utterance(sentence: str, speaker: str, mel_config: MelConfig) -> Utterance | None:
    """Speak, align and featurize one sentence; None (logged) when the alignment fails."""
    global _log_mel
    if _log_mel is None:
        torch.set_num_threads(1)
        _log_mel = LogMel(mel_config)
    try:
        audio, tokens, sample_durations = teacher_audio(sentence, SPEAKERS[speaker])
    except alignment.AlignmentError as exc:
        logger.warning("skipped %r (%s): %s", sentence, speaker, exc)
        return None
    with torch.inference_mode():
        mel = _log_mel(torch.from_numpy(audio)[None])[0]
    frames = alignment.samples_to_frames(sample_durations, mel_config.hop_length, mel.shape[1])
    return Utterance(sentence, speaker, tokens, torch.from_numpy(frames.astype(np.int16)), mel.half())


def _make(args: tuple[str, str, MelConfig]) -> tuple | None:
    """Worker side. NumPy arrays cross the process boundary: each torch tensor would hold a file descriptor
    until the parent reads it, and 12,000 utterances exceed the open-file limit."""
    utterance = make_utterance(*args)
    if utterance is None:
        return None
    return utterance.sentence, utterance.speaker, utterance.tokens, utterance.durations.numpy(), utterance.mel.numpy()


def assign_sentences(sentences: list[str], per_speaker: int, seed: int) -> list[tuple[str, str]]:
    """Give each speaker its own seeded slice of the sentences (more text variety than sharing one slice)."""
    shuffled = sorted(sentences)
    random.Random(seed).shuffle(shuffled)
    return [
        (sentence, speaker)
        for k, speaker in enumerate(SPEAKERS)
        for sentence in shuffled[k * per_speaker : (k + 1) * per_speaker]
    ]


def generate(pairs: list[tuple[str, str]], mel_config: MelConfig, workers: int) -> list[Utterance]:
    """Make utterances for (sentence, speaker) pairs in parallel; failed alignments are left out."""
    jobs = [(sentence, speaker, mel_config) for sentence, speaker in pairs]
    with Pool(workers) as pool:
        made = pool.map(_make, jobs, chunksize=64)
    utterances = [
        Utterance(sentence, speaker, tokens, torch.from_numpy(durations), torch.from_numpy(mel))
        for sentence, speaker, tokens, durations, mel in filter(None, made)
    ]
    logger.info("%d of %d utterances aligned", len(utterances), len(pairs))
    return utterances


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("data"))
    parser.add_argument("--quick", action="store_true", help="a tiny set for tests")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    recipe = Recipe.quick() if args.quick else Recipe()
    by_split: dict[str, list[str]] = {split: [] for split in corpus.SPLITS}
    for sentence in corpus.sentences():
        by_split[corpus.split_of(sentence)].append(sentence)
    args.out.mkdir(parents=True, exist_ok=True)
    for split, per_speaker in (("train", recipe.train_per_speaker), ("validation", recipe.validation_per_speaker)):
        pairs = assign_sentences(by_split[split], per_speaker, recipe.seed)
        utterances = generate(pairs, recipe.mel, args.workers)
        save_utterances(args.out / f"{split}.pt", utterances, corpus.corpus_hash([s for s, _ in pairs]))
        logger.info("wrote %s: %d utterances", args.out / f"{split}.pt", len(utterances))


if __name__ == "__main__":
    main()
