"""The recipe end to end at toy scale: Piper teacher data, training, artifact, and the loss goes down."""

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import REPO
from training.recipe import Recipe
from training.train import train
from triton_tts.voice import load_voice, save_voice


@pytest.mark.slow
def test_quick_training_reduces_the_loss(tmp_path: Path) -> None:
    data = tmp_path / "data"
    subprocess.run([sys.executable, "-m", "training.teacher_data", "--quick", "--out", str(data), "--workers", "1"], cwd=REPO, check=True)
    train(data, tmp_path / "run", replace(Recipe.quick(), steps=15), threads=1)
    model, config, history = train(data, tmp_path / "run", Recipe.quick(), threads=1)  # resumes at step 15
    assert len(history) == Recipe.quick().steps
    first, last = sum(history[:5]) / 5, sum(history[-5:]) / 5
    assert last < 0.8 * first, f"loss went from {first:.3f} to {last:.3f}"
    save_voice(tmp_path / "voice", config, model)
    assert load_voice(tmp_path / "voice").config.inventory == config.inventory
