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
from training.audio_pack import compress, decompress
from training.discriminators import Discriminators
from training.train_vocoder import WallClockSchedule, train
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


def test_wall_clock_schedule_fits_the_steps_measured_after_warm_up(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([0.0, 30.0, 35.0])  # start; warm-up done after a slow first step; 50 probe steps at 0.1 s
    monkeypatch.setattr("training.train_vocoder.time.monotonic", lambda: next(clock))
    schedule = WallClockSchedule(total_steps=100_000, minutes=2.0, warmup=10, probe=50)
    assert schedule.update(0) == 100_000
    assert schedule.update(10) == 100_000
    assert schedule.update(60) == 60 + 850  # (120 s - 35 s) / 0.1 s per step
    assert WallClockSchedule(total_steps=7, minutes=None).update(3) == 7


def test_spectrogram_discriminators_judge_each_resolution() -> None:
    discriminators = Discriminators((8, 8, 8, 8), resolutions=((256, 64), (512, 128)))
    scores = discriminators(torch.randn(2, 4096))
    assert len(scores) == 5 + 2
    assert all(s.shape[0] == 2 and len(features) > 0 for s, features in scores)


def test_audio_pack_is_lossless(tmp_path: Path) -> None:
    samples = np.random.default_rng(0).normal(0, 9000, 50_000).clip(-32768, 32767).astype(np.int16)
    samples[:4] = [32767, -32768, 32767, -32768]  # differences that wrap around int16
    assert np.array_equal(decompress(*compress(samples)), samples)
