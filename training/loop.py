"""What the acoustic and the vocoder training loops share: the learning-rate schedule and resumable checkpoints."""

from __future__ import annotations

import logging
import math
import random
import time
from pathlib import Path

import torch

logger = logging.getLogger(__name__)
CHECKPOINT = "checkpoint.pt"


def learning_rate(step: int, peak: float, warmup_steps: int, total_steps: int) -> float:
    """Linear warm-up, then cosine decay to 5% of the peak."""
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def save_checkpoint(run_dir: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, step: int,
                    history: list[float], started: float, rng: random.Random) -> None:
    """Everything a rerun needs to continue exactly: weights, optimizer, step, losses, wall time, RNG states."""
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "step": step,
            "history": history,
            "elapsed": time.monotonic() - started,
            "rng": rng.getstate(),
            "torch_rng": torch.get_rng_state(),
        },
        run_dir / CHECKPOINT,
    )


def resume(run_dir: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, rng: random.Random) -> tuple[int, list[float], float]:
    """Load `run_dir`'s checkpoint into model, optimizer and RNGs if there is one; (step, history, started)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / CHECKPOINT
    if not path.exists():
        return 0, [], time.monotonic()
    state = torch.load(path, weights_only=False, map_location="cpu")  # load_state_dict copies to the model's device
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    rng.setstate(state["rng"])
    torch.set_rng_state(state["torch_rng"])
    logger.info("resumed from %s at step %d", path, state["step"])
    return state["step"], state["history"], time.monotonic() - state["elapsed"]
