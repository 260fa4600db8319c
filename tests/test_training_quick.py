"""The recipe end to end at toy scale: Piper teacher data, training, artifact, and the loss goes down; the post-filter's choice."""

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import DEFAULT_VOICE_DIR, REPO
from training.postfilter import best, write_choice
from training.recipe import Recipe
from training.train import train
from triton_tts.voice import load_voice, save_voice
from triton_tts.voice_config import PostfilterConfig


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


def test_the_postfilter_choice_keeps_intelligibility_and_is_written_to_the_voice(tmp_path: Path) -> None:
    rows = [
        {"bin_width": 1, "bin_gain": 0.0, "frame_width": 1, "frame_gain": 0.0, "mos_mean": 3.2, "wer": 0.30},
        {"bin_width": 35, "bin_gain": 1.5, "frame_width": 1, "frame_gain": 0.0, "mos_mean": 3.9, "wer": 0.33},  # too costly
        {"bin_width": 35, "bin_gain": 0.75, "frame_width": 9, "frame_gain": 0.5, "mos_mean": 3.8, "wer": 0.31},
    ]
    choice = best(rows)
    assert choice is rows[2]
    voice = tmp_path / "voice"
    shutil.copytree(DEFAULT_VOICE_DIR, voice)
    write_choice(voice, choice)
    assert load_voice(voice).config.model.postfilter == PostfilterConfig(35, 0.75, 9, 0.5)
