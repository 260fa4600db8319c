"""Carry teacher audio to a lent GPU machine, whose calls take at most 64 MiB: a lossless pack of a random sample.

The vocoder trains on audio alone, so a pack holds only utterances' sentences and int16 samples. Samples are
stored as first differences split into low and high bytes, each LZMA-compressed: 0.53 of the raw size on
the teacher's speech (plain LZMA: 0.65). `unpack` writes shards that training.teacher_data reads as usual.
Run: python -m training.audio_pack pack --data data/joe --out .gpu/joe.npz --megabytes 50
     python -m training.audio_pack unpack --pack .gpu/joe.npz --out /tmp/joe
"""

from __future__ import annotations

import argparse
import logging
import lzma
import random
from pathlib import Path

import numpy as np

from training.teacher_data import shard_paths
from triton_tts.voice_config import MelConfig

logger = logging.getLogger(__name__)
SEED = 1234


def compress(samples: np.ndarray) -> tuple[bytes, bytes]:
    """(low bytes, high bytes) of the first differences of int16 `samples`, each LZMA-compressed."""
    delta = np.diff(samples.astype(np.int32), prepend=0).astype(np.int16).view(np.uint16)
    return lzma.compress((delta & 0xFF).astype(np.uint8).tobytes()), lzma.compress((delta >> 8).astype(np.uint8).tobytes())


def decompress(low: bytes, high: bytes) -> np.ndarray:
    delta = np.frombuffer(lzma.decompress(low), np.uint8).astype(np.uint16) | (np.frombuffer(lzma.decompress(high), np.uint8).astype(np.uint16) << 8)
    return np.cumsum(delta.view(np.int16), dtype=np.int64).astype(np.int16)  # int16 wrap-around undoes itself


def read_split(data_dir: Path, split: str) -> list[tuple[str, np.ndarray]]:
    """(sentence, int16 samples) of every utterance in the split."""
    rows = []
    for path in shard_paths(data_dir, split):
        with np.load(path) as shard:
            audio, offsets = shard["audio"], shard["audio_offsets"]
            rows += [(str(s), audio[a:b]) for s, a, b in zip(shard["sentences"], offsets[:-1], offsets[1:])]
    return rows


def pack_rows(rows: list[tuple[str, np.ndarray]]) -> dict[str, np.ndarray]:
    samples = np.concatenate([audio for _, audio in rows])
    low, high = compress(samples)
    return {
        "sentences": np.array([s for s, _ in rows]),
        "audio_offsets": np.cumsum([0] + [len(a) for _, a in rows]),
        "low": np.frombuffer(low, np.uint8),
        "high": np.frombuffer(high, np.uint8),
    }


def pack(data_dir: Path, out: Path, megabytes: float, validation_clips: int) -> None:
    """A random sample of training utterances (seeded) whose packed size stays under `megabytes`, plus the
    first `validation_clips` validation utterances."""
    rows = read_split(data_dir, "train")
    random.Random(SEED).shuffle(rows)
    validation = pack_rows(read_split(data_dir, "validation")[:validation_clips])
    budget = megabytes * 1e6 - sum(v.nbytes for v in validation.values())
    ratio = len(b"".join(compress(rows[0][1]))) / rows[0][1].nbytes
    taken, size = [], 0.0
    for sentence, audio in rows:  # estimate by the first clip's ratio, then check the real size below
        if size + audio.nbytes * ratio * 1.02 > budget:
            break
        taken.append((sentence, audio))
        size += audio.nbytes * ratio * 1.02
    train = pack_rows(taken)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, **{f"train_{k}": v for k, v in train.items()}, **{f"validation_{k}": v for k, v in validation.items()})
    seconds = train["audio_offsets"][-1] / MelConfig().sample_rate
    logger.info("%d utterances, %.1f minutes of audio -> %s (%.1f MB)", len(taken), seconds / 60, out, out.stat().st_size / 1e6)


def unpack(pack_file: Path, out: Path) -> None:
    """Shards in training.teacher_data's layout (audio and sentences only) under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    with np.load(pack_file) as packed:
        for split, name in (("train", "train_00000.npz"), ("validation", "validation.npz")):
            audio = decompress(packed[f"{split}_low"].tobytes(), packed[f"{split}_high"].tobytes())
            np.savez(out / name, sentences=packed[f"{split}_sentences"], audio=audio, audio_offsets=packed[f"{split}_audio_offsets"])
    logger.info("unpacked %s into %s", pack_file, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    packing = commands.add_parser("pack")
    packing.add_argument("--data", type=Path, default=Path("data/joe"))
    packing.add_argument("--out", type=Path, required=True)
    packing.add_argument("--megabytes", type=float, default=50.0)
    packing.add_argument("--validation-clips", type=int, default=48)
    unpacking = commands.add_parser("unpack")
    unpacking.add_argument("--pack", type=Path, required=True)
    unpacking.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.command == "pack":
        pack(args.data, args.out, args.megabytes, args.validation_clips)
    else:
        unpack(args.pack, args.out)


if __name__ == "__main__":
    main()
