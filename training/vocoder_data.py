"""Teacher audio for the neural vocoder: espeak-ng speaks train-split sentences, all speakers.

The vocoder learns mel -> waveform, so it needs waveforms; mels are computed from them during training.
Stored as one int16 array plus offsets in a .npz (no pickle). Run: python -m training.vocoder_data --out data
"""

from __future__ import annotations

import argparse
import logging
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from training import corpus
from training.dataset import assign_sentences
from training.recipe import SPEAKERS, VocoderRecipe
from triton_tts import espeak

logger = logging.getLogger(__name__)
AUDIO_FILE = "vocoder_audio.npz"


def _speak(pair: tuple[str, str]) -> np.ndarray:
    sentence, speaker = pair
    return espeak.synthesize(sentence, SPEAKERS[speaker]).audio


def generate(pairs: list[tuple[str, str]], workers: int) -> list[np.ndarray]:
    with Pool(workers) as pool:
        return pool.map(_speak, pairs, chunksize=32)


def save_audio(path: Path, clips: list[np.ndarray], corpus_hash: str) -> None:
    offsets = np.cumsum([0] + [len(c) for c in clips])
    np.savez(path, audio=np.concatenate(clips).astype(np.int16), offsets=offsets, corpus_hash=np.array(corpus_hash))


def load_audio(path: Path) -> tuple[list[np.ndarray], str]:
    """Clips as float32 in [-1, 1] and the corpus hash they were made from."""
    with np.load(path) as saved:
        audio = saved["audio"].astype(np.float32) / 32768.0
        offsets = saved["offsets"]
        return [audio[a:b] for a, b in zip(offsets[:-1], offsets[1:])], str(saved["corpus_hash"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("data"))
    parser.add_argument("--quick", action="store_true", help="a tiny set for tests")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    recipe = VocoderRecipe.quick() if args.quick else VocoderRecipe()
    train_sentences = [s for s in corpus.sentences() if corpus.split_of(s) == "train"]
    pairs = assign_sentences(train_sentences, recipe.sentences_per_speaker, recipe.seed)
    clips = generate(pairs, args.workers)
    args.out.mkdir(parents=True, exist_ok=True)
    save_audio(args.out / AUDIO_FILE, clips, corpus.corpus_hash([s for s, _ in pairs]))
    seconds = sum(len(c) for c in clips) / espeak.espeak().sample_rate
    logger.info("wrote %s: %d clips, %.0f s of audio", args.out / AUDIO_FILE, len(clips), seconds)


if __name__ == "__main__":
    main()
