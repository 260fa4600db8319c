"""Where the torch stages compute (triton_tts.runtimes.Placement): the device path runs on the CPU in CI and
gives the module's own output; placements that cannot work are refused at start-up with what to change."""

import numpy as np
import pytest
import torch

from tests.conftest import DEFAULT_VOICE_DIR
from triton_tts.acoustic import AcousticInference
from triton_tts.offline import Synthesizer
from triton_tts.pipeline import AcousticInput, pad_ids
from triton_tts.runtimes import DeviceRunner, Placement, acoustic_runner, vocoder_runner
from triton_tts.voice import load_neural_vocoder, load_voice


@pytest.fixture(scope="module")
def voice():
    return load_voice(DEFAULT_VOICE_DIR)


def test_the_device_path_on_the_cpu_gives_the_modules_own_output(voice) -> None:
    batch = pad_ids([AcousticInput([5, 9, 12, 7, 3], 0, 1.0), AcousticInput([8, 4, 11], 0, 0.8)])
    runner = acoustic_runner(voice, "torch", 1, Placement("cpu", "fp32"))
    assert isinstance(runner, DeviceRunner)
    with torch.inference_mode():
        expected = AcousticInference(voice.model).eval()(*batch)
    for got, want in zip(runner(*batch), expected):
        assert got.device.type == "cpu" and got.dtype == want.dtype
        assert torch.equal(got, want)


def test_the_vocoder_on_the_device_path_returns_host_audio(voice) -> None:
    vocoder = load_neural_vocoder(DEFAULT_VOICE_DIR, voice.config.mel)
    runner = vocoder_runner(vocoder, "torch", 1, Placement("cpu"))
    mel, lengths = torch.full((2, 80, 30), -5.0), torch.tensor([30, 20])
    audio, sample_lengths = runner(mel, lengths)
    with torch.inference_mode():
        expected, _ = vocoder(mel, lengths)
    assert audio.device.type == "cpu" and sample_lengths.tolist() == [29 * 256, 19 * 256]
    assert torch.equal(audio, expected)


@pytest.mark.parametrize("runtime, placement, message", [
    ("torch", Placement("tpu"), "unknown device 'tpu'"),
    ("torch", Placement("cpu", "int8"), "unknown precision 'int8'"),
    ("onnxruntime", Placement("cuda"), "device cuda needs runtime torch"),
    ("torch", Placement("cpu", "fp16"), "precision fp16 needs device cuda"),
])
def test_a_placement_that_cannot_work_is_refused_with_what_to_change(voice, runtime, placement, message) -> None:
    with pytest.raises(ValueError, match=message):
        acoustic_runner(voice, runtime, 1, placement)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_refused_at_start_up(voice) -> None:
    with pytest.raises(ValueError, match="torch sees no CUDA GPU"):
        acoustic_runner(voice, "torch", 1, Placement("cuda"))


def test_the_offline_pipeline_on_the_device_path_in_whole_batches_gives_each_utterances_own_audio() -> None:
    """The GPU's offline limit (one padded pass per batch, device path) must not change any utterance's audio:
    padding is masked, so a batch of mixed lengths equals each utterance synthesized alone."""
    texts = ["Short.", "A somewhat longer sentence, with a pause in it.", "Numbers like 42 are read out."]
    alone = Synthesizer.load(DEFAULT_VOICE_DIR, runtime="torch")
    batched = Synthesizer.load(DEFAULT_VOICE_DIR, runtime="torch", placement=Placement("cpu"), compute_batch_size=len(texts))
    for want, got in zip((alone.synthesize([t])[0] for t in texts), batched.synthesize(texts)):
        assert got.shape == want.shape
        # Relative L2. A batch sums in another order: float noise up to ~1e-4 for a one-word utterance was seen
        # (its max sample differed by 6e-5 to 1.1e-4 with the thread count); padding leaking in would be ~1e-1.
        assert np.linalg.norm(got - want) / np.linalg.norm(want) <= 1e-3
