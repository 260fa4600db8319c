"""The CPU vocoder (STFT frames on onnxruntime, inverse STFT by FFT in numpy) gives NeuralVocoder's audio."""

import numpy as np
import pytest
import torch

from tests.conftest import DEFAULT_VOICE_DIR
from triton_tts.fft_vocoder import OverlapAdd
from triton_tts.neural_vocoder import InverseSTFT, NeuralVocoder
from triton_tts.runtimes import vocoder_runner
from triton_tts.voice import load_neural_vocoder
from triton_tts.voice_config import MelConfig, load_voice_config


@pytest.fixture(scope="module")
def shipped() -> NeuralVocoder:
    return load_neural_vocoder(DEFAULT_VOICE_DIR, load_voice_config(DEFAULT_VOICE_DIR).mel).eval()


@pytest.mark.parametrize("mel", [MelConfig(), MelConfig(n_fft=1000, win_length=800, hop_length=256)], ids=["whole hops", "padded"])
def test_overlap_add_of_fft_frames_is_the_inverse_stft(mel: MelConfig) -> None:
    n_freq, frames = mel.n_fft // 2 + 1, 37
    spectrum = np.random.default_rng(0).normal(size=(2, frames, n_freq, 2)).astype(np.float32)
    real, imag = (torch.from_numpy(spectrum[..., k]).transpose(1, 2) for k in (0, 1))
    expected = InverseSTFT(mel)(real, imag).numpy()
    overlap = OverlapAdd(mel)
    begin = overlap.trim
    summed = overlap.add(overlap.frames(spectrum))[:, begin : begin + expected.shape[1]]
    # InverseSTFT divides by the envelope of these frames alone: near the end it is not an endless sequence's.
    envelope = np.maximum(overlap.envelope(frames)[begin : begin + expected.shape[1]], 1e-11)
    assert np.abs(summed / envelope - expected).max() <= 1e-5 * np.abs(expected).max()


def test_the_cpu_vocoder_gives_the_torch_audio_of_a_mixed_length_batch(shipped) -> None:
    rng = np.random.default_rng(1)
    lengths = torch.tensor([300, 120, 1, 2])
    mel = torch.from_numpy(rng.normal(-5.0, 2.0, (4, 80, 300)).astype(np.float32))
    with torch.inference_mode():
        expected, expected_lengths = shipped(mel, lengths)
    runner = vocoder_runner(shipped, "onnxruntime", 1)
    audio, sample_lengths = runner(mel, lengths)
    assert audio.dtype == torch.float32 and audio.shape == expected.shape
    assert sample_lengths.tolist() == expected_lengths.tolist() == [299 * 256, 119 * 256, 0, 256]
    assert expected.abs().max() > 1e-2 and (audio - expected).abs().max() <= 1e-5
    alone, _ = runner(mel[1:2, :, :120], lengths[1:2])  # a row's audio does not depend on its batch
    assert (alone[0] - audio[1, : alone.shape[1]]).abs().max() <= 1e-6
