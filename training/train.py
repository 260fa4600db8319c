"""Train the default voice's acoustic model on the Piper teacher's data; resumable, seeded, with a progress bar.

The student reads the teacher's own symbols (inventory: padding, then the teacher's symbols in id order) and
learns its durations and log-mels. Run: python -m training.train --data data/joe --run runs/default --out voices/default
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import time
from dataclasses import replace
from pathlib import Path

import torch
from torch.nn import functional as F
from tqdm import tqdm

from training.loop import learning_rate, resume, save_checkpoint
from training.recipe import PHONEMIZER, RETIRED_SPEAKERS, SENTENCE_PAUSE_MS, SPEAKERS, VOICE_NAME, Recipe
from training.teacher_data import Utterance, data_hash, load_utterances, symbol_table
from triton_tts.acoustic import AcousticModel, sequence_mask
from triton_tts.phonemes import PAD, PhonemeInventory
from triton_tts.voice import save_voice
from triton_tts.voice_config import VoiceConfig

logger = logging.getLogger(__name__)


def make_batches(utterances: list[Utterance], max_frames: int, rng: random.Random) -> list[list[int]]:
    """Group utterances of similar length so each batch pads to at most `max_frames` frames; shuffled."""
    order = sorted(range(len(utterances)), key=lambda i: utterances[i].mel.shape[1] + rng.random())
    batches, current = [], []
    for i in order:
        longest = max([utterances[j].mel.shape[1] for j in current] + [utterances[i].mel.shape[1]])
        if current and longest * (len(current) + 1) > max_frames:
            batches.append(current)
            current = []
        current.append(i)
    batches.append(current)
    rng.shuffle(batches)
    return batches


def collate(utterances: list[Utterance], inventory: PhonemeInventory, log_floor: float) -> dict[str, torch.Tensor]:
    """Pad one batch: ids, lengths, speakers, durations (B, T); mel (B, n_mels, F, padded with the log of the
    mel config's floor: silence) and frame lengths."""
    speakers = list(SPEAKERS)
    ids = [torch.tensor(inventory.ids(u.tokens)) for u in utterances]
    if any(len(i) != len(u.tokens) for i, u in zip(ids, utterances)):
        raise ValueError("every training token must be in the inventory")
    mels = [u.mel.float() for u in utterances]
    n_mels, max_frames = mels[0].shape[0], max(m.shape[1] for m in mels)
    mel = torch.full((len(mels), n_mels, max_frames), math.log(log_floor))
    for k, m in enumerate(mels):
        mel[k, :, : m.shape[1]] = m
    return {
        "ids": torch.nn.utils.rnn.pad_sequence(ids, batch_first=True),
        "lengths": torch.tensor([len(i) for i in ids]),
        "speakers": torch.tensor([speakers.index(u.speaker) for u in utterances]),
        "durations": torch.nn.utils.rnn.pad_sequence(
            [u.durations.long() for u in utterances], batch_first=True
        ),
        "mel": mel,
        "frame_lengths": torch.tensor([m.shape[1] for m in mels]),
    }


def losses(model: AcousticModel, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Masked mel L1 (teacher durations) and duration MSE in log(1 + frames)."""
    mel, _, log_durations = model(batch["ids"], batch["lengths"], batch["speakers"], durations=batch["durations"])
    frame_mask = sequence_mask(batch["frame_lengths"], mel.shape[-1])[:, None, :]
    mel_loss = (F.l1_loss(mel, batch["mel"], reduction="none") * frame_mask).sum() / (frame_mask.sum() * mel.shape[1])
    token_mask = sequence_mask(batch["lengths"], batch["ids"].shape[1])
    target = torch.log1p(batch["durations"].float())
    duration_loss = (((log_durations - target) ** 2) * token_mask).sum() / token_mask.sum()
    return mel_loss, duration_loss


@torch.inference_mode()
def validate(model: AcousticModel, utterances: list[Utterance], inventory: PhonemeInventory, log_floor: float) -> dict[str, float]:
    model.eval()
    totals = [0.0, 0.0]
    batches = make_batches(utterances, 8000, random.Random(0))
    for indices in batches:
        mel_loss, duration_loss = losses(model, collate([utterances[i] for i in indices], inventory, log_floor))
        totals[0] += mel_loss.item() / len(batches)
        totals[1] += duration_loss.item() / len(batches)
    model.train()
    return {"mel_l1": totals[0], "duration_mse": totals[1]}


def train(data_dir: Path, run_dir: Path, recipe: Recipe, threads: int = 2) -> tuple[AcousticModel, VoiceConfig, list[float]]:
    """Train (resuming from `run_dir` if it holds a checkpoint); returns the model, its config and the loss history."""
    torch.set_num_threads(threads)
    speaker = next(iter(SPEAKERS))
    train_set = load_utterances(data_dir, "train", speaker)
    validation_set = load_utterances(data_dir, "validation", speaker)
    inventory = PhonemeInventory((PAD, *symbol_table(data_dir)))
    model_config = replace(recipe.model, n_tokens=len(inventory), n_speakers=len(SPEAKERS))
    torch.manual_seed(recipe.seed)
    model = AcousticModel(model_config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate, weight_decay=0.01)
    rng = random.Random(recipe.seed)
    step, history, started = resume(run_dir, model, optimizer, rng)
    model.train()
    batches: list[list[int]] = []
    progress = tqdm(total=recipe.steps, initial=step, desc="train", unit="step")
    while step < recipe.steps:
        if not batches:
            batches = make_batches(train_set, recipe.max_frames_per_batch, rng)
        batch = collate([train_set[i] for i in batches.pop()], inventory, recipe.mel.log_floor)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, recipe.learning_rate, recipe.warmup_steps, recipe.steps)
        mel_loss, duration_loss = losses(model, batch)
        optimizer.zero_grad()
        (mel_loss + duration_loss).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        history.append(mel_loss.item() + duration_loss.item())
        progress.update(1)
        progress.set_postfix(mel=f"{mel_loss.item():.3f}", dur=f"{duration_loss.item():.3f}")
        if step % 250 == 0 or step == recipe.steps:
            batches = []  # the epoch's remaining order is not checkpointed: restart it after a resume, too
            save_checkpoint(run_dir, model, optimizer, step, history, started, rng)
    progress.close()
    metrics = validate(model, validation_set, inventory, recipe.mel.log_floor)
    logger.info("validation: %s", metrics)
    provenance = {
        "corpus_hash": data_hash(data_dir),
        "utterances": len(train_set),
        "steps": step,
        "train_seconds": round(time.monotonic() - started),
        "seed": recipe.seed,
        "validation": {k: round(v, 4) for k, v in metrics.items()},
    }
    config = VoiceConfig(
        VOICE_NAME, dict(SPEAKERS), inventory, recipe.mel, model_config, provenance, PHONEMIZER, dict(RETIRED_SPEAKERS),
        SENTENCE_PAUSE_MS,
    )
    return model.eval(), config, history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data/joe"))
    parser.add_argument("--run", type=Path, default=Path("runs/default"), help="checkpoints; rerun to resume")
    parser.add_argument("--out", type=Path, default=Path("voices/default"), help="where the voice artifact goes")
    parser.add_argument("--quick", action="store_true", help="a tiny model for tests")
    parser.add_argument("--steps", type=int, help="override the recipe's step count")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    recipe = Recipe.quick() if args.quick else Recipe()
    if args.steps:
        recipe = replace(recipe, steps=args.steps)
    model, config, _ = train(args.data, args.run, recipe, args.threads)
    save_voice(args.out, config, model)
    logger.info("voice written to %s", args.out)


if __name__ == "__main__":
    main()
