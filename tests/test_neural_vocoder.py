"""The neural vocoder: its inverse STFT equals torch.istft, batching does not change audio, artifacts are checked,
and its training recipe runs, resumes and lowers the loss."""

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import DEFAULT_VOICE_DIR, REPO
from training.recipe import VocoderRecipe
from training.train_vocoder import train
from triton_tts.neural_vocoder import InverseSTFT, NeuralVocoder, NeuralVocoderConfig
from triton_tts.pipeline import vocode, vocode_windowed
from triton_tts.runtimes import vocoder_runner
from triton_tts.vocoder import GriffinLim
from triton_tts.voice import VOCODER_CONFIG_FILE, VOCODER_WEIGHTS_FILE, load_neural_vocoder, load_vocoder, save_neural_vocoder
from triton_tts.voice_config import MelConfig, VoiceArtifactError


@pytest.mark.parametrize("mel", [MelConfig(), MelConfig(n_fft=512, hop_length=128, win_length=400)])
def test_inverse_stft_equals_torch_istft(mel: MelConfig) -> None:
    torch.manual_seed(0)
    spectrum = torch.randn(3, mel.n_fft // 2 + 1, 37, dtype=torch.complex64)
    window = torch.hann_window(mel.win_length)
    expected = torch.istft(spectrum, mel.n_fft, mel.hop_length, mel.win_length, window, center=True)
    got = InverseSTFT(mel)(spectrum.real, spectrum.imag)
    assert got.shape == expected.shape
    assert (got - expected).abs().max() <= 1e-5 * expected.abs().max()


def small_vocoder() -> NeuralVocoder:
    torch.manual_seed(0)
    return NeuralVocoder(MelConfig(), NeuralVocoderConfig(dim=32, intermediate=64, layers=2)).eval()


def test_audio_does_not_change_when_batched_with_longer_mels() -> None:
    vocoder = small_vocoder()
    torch.manual_seed(1)
    short, longer = torch.randn(80, 23).numpy() - 5, torch.randn(80, 61).numpy() - 5
    alone = vocode(vocoder, [short], vocoder.mel.log_floor)[0]
    batched = vocode(vocoder, [longer, short], vocoder.mel.log_floor)[1]
    assert alone.shape == batched.shape == ((23 - 1) * 256,)
    assert abs(alone - batched).max() < 1e-5


def test_shipped_vocoder_loads_and_griffin_lim_stays_available() -> None:
    mel = MelConfig()
    assert isinstance(load_vocoder("neural", DEFAULT_VOICE_DIR, mel), NeuralVocoder)
    assert isinstance(load_vocoder("griffin_lim", DEFAULT_VOICE_DIR, mel), GriffinLim)
    with pytest.raises(VoiceArtifactError, match="unknown vocoder 'wavenet'"):
        load_vocoder("wavenet", DEFAULT_VOICE_DIR, mel)
    griffin_lim = load_vocoder("griffin_lim", DEFAULT_VOICE_DIR, mel)
    assert vocoder_runner(griffin_lim, "onnxruntime", 1) is griffin_lim  # the stage's default runtime still starts


def test_vocoder_artifact_errors(tmp_path: Path) -> None:
    save_neural_vocoder(tmp_path, small_vocoder(), {"steps": 0})
    assert isinstance(load_neural_vocoder(tmp_path, MelConfig()), NeuralVocoder)
    with pytest.raises(VoiceArtifactError, match="other mel settings"):
        load_neural_vocoder(tmp_path, MelConfig(n_mels=64))
    weights = tmp_path / VOCODER_WEIGHTS_FILE
    weights.write_bytes(weights.read_bytes()[:-100])
    with pytest.raises(VoiceArtifactError, match="does not match the sha256"):
        load_neural_vocoder(tmp_path, MelConfig())
    weights.unlink()
    with pytest.raises(VoiceArtifactError, match="no weights"):
        load_neural_vocoder(tmp_path, MelConfig())
    (tmp_path / VOCODER_CONFIG_FILE).write_text('{"model": ')
    with pytest.raises(VoiceArtifactError, match="not valid JSON"):
        load_neural_vocoder(tmp_path, MelConfig())


@pytest.mark.slow
def test_quick_vocoder_training_reduces_the_loss_and_resumes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    subprocess.run([sys.executable, "-m", "training.teacher_data", "--quick", "--out", str(data), "--workers", "1"], cwd=REPO, check=True)
    train(data, tmp_path / "run", replace(VocoderRecipe.quick(), steps=20), threads=1)
    _, provenance, history = train(data, tmp_path / "run", VocoderRecipe.quick(), threads=1)  # resumes at step 20
    assert provenance["steps"] == len(history) == VocoderRecipe.quick().steps
    first, last = sum(history[:10]) / 10, sum(history[-10:]) / 10  # mel L1, through the adversarial steps too
    assert last < 0.8 * first, f"loss went from {first:.3f} to {last:.3f}"
    assert provenance["adversarial_from"] < provenance["steps"]


def test_long_mels_vocoded_in_windows_give_the_whole_utterances_audio() -> None:
    """The served vocoder takes a long request window by window (bounded memory): the audio must not change."""
    vocoder = load_neural_vocoder(DEFAULT_VOICE_DIR, MelConfig())
    mel = np.random.default_rng(0).normal(-5.0, 2.0, (80, 1000)).astype(np.float32)
    whole = vocode(vocoder, [mel], vocoder.mel.log_floor)[0]
    for window in (100, 333):
        windowed = vocode_windowed(vocoder, mel, vocoder.mel.log_floor, vocoder.mel.hop_length, window=window)
        assert windowed.shape == whole.shape == ((1000 - 1) * 256,)
        assert np.abs(windowed - whole).max() <= 1e-4 * np.abs(whole).max()
