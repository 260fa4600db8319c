"""The acoustic model: batch invariance under padding, pace scaling, a loop-free length regulator, the post-filter."""

import dataclasses
import json

import pytest
import torch

from triton_tts.acoustic import AcousticInference, AcousticModel, MelPostfilter, length_regulate
from triton_tts.voice_config import AcousticConfig
from triton_tts.pipeline import AcousticInput, generate_mels, pad_ids


def small_model() -> AcousticModel:
    torch.manual_seed(0)
    config = AcousticConfig(n_tokens=20, n_speakers=3, hidden=32, filter_size=64, encoder_layers=2, decoder_layers=2)
    model = AcousticModel(config).eval()
    torch.nn.init.constant_(model.duration_predictor.out.bias, 1.5)  # a few frames per token, like a trained model
    return model


def test_length_regulator_matches_repeat_interleave() -> None:
    x = torch.randn(2, 4, 3)
    durations = torch.tensor([[1, 0, 3, 2], [2, 2, 0, 0]])
    out, lengths = length_regulate(x, durations)
    assert lengths.tolist() == [6, 4]
    assert length_regulate(x, torch.zeros_like(durations))[1].tolist() == [1, 1]
    for row in range(2):
        expected = torch.repeat_interleave(x[row], durations[row], dim=0)
        torch.testing.assert_close(out[row, : lengths[row]], expected)
        assert torch.all(out[row, lengths[row] :] == 0)


@torch.inference_mode()
def test_output_does_not_change_when_batched_with_longer_inputs() -> None:
    model = small_model()
    short = AcousticInput([1, 5, 6, 7, 2], speaker=1)
    longer = [AcousticInput(list(range(1, 19)), speaker=0), AcousticInput([3] * 30, speaker=2, pace=0.7)]
    alone = generate_mels(AcousticInference(model), [short])[0]
    batched = generate_mels(AcousticInference(model), [*longer, short])[2]
    assert alone.shape == batched.shape
    torch.testing.assert_close(torch.from_numpy(batched), torch.from_numpy(alone), atol=1e-5, rtol=1e-5)


@torch.inference_mode()
def test_pace_scales_durations() -> None:
    model = small_model()
    ids, lengths, speakers, _ = pad_ids([AcousticInput(list(range(1, 15)), speaker=0)] * 3)
    x, mask = model.encode(ids, lengths, speakers)
    log_durations = model.duration_predictor(x, mask) + 2.0  # several frames per token, so rounding is small
    paces = torch.tensor([1.0, 2.0, 0.5])
    durations = model.predict_durations(log_durations, mask, paces)
    expected = torch.round(torch.clamp(torch.exp(log_durations) - 1, min=0) / paces[:, None]).long()
    assert torch.equal(durations, expected)
    normal, fast, slow = durations.sum(dim=1).tolist()
    assert abs(fast - normal / 2) <= len(ids[0]) / 2 and abs(slow - normal * 2) <= len(ids[0])
    _, frame_lengths, _ = model(ids, lengths, speakers, pace=paces)
    assert frame_lengths[1] < frame_lengths[0] < frame_lengths[2]


def test_postfilter_sharpens_across_bins_and_keeps_flat_frames() -> None:
    mel = torch.randn(2, 80, 7)
    kernel, gain = (1.0, 2.0, 3.0, 2.0, 1.0), 1.5
    sharpened = MelPostfilter(80, kernel, gain)(mel)
    padded = torch.nn.functional.pad(mel.transpose(1, 2), (2, 2), mode="replicate")  # edge bins repeated
    blur = torch.nn.functional.conv1d(padded.reshape(-1, 1, 84), torch.tensor(kernel)[None, None] / 9.0).reshape(2, 7, 80)
    torch.testing.assert_close(sharpened, mel + gain * (mel - blur.transpose(1, 2)), atol=1e-5, rtol=1e-5)
    silence = torch.full((1, 80, 3), -11.5)
    torch.testing.assert_close(MelPostfilter(80, kernel, gain)(silence), silence)


@torch.inference_mode()
def test_served_mels_are_the_model_mels_post_filtered() -> None:
    model = small_model()
    ids, lengths, speakers, paces = pad_ids([AcousticInput(list(range(1, 12)), speaker=0)])
    plain, _, _ = AcousticInference(model)(ids, lengths, speakers, paces)
    model.config = dataclasses.replace(model.config, postfilter_kernel=(1.0, 2.0, 1.0), postfilter_gain=2.0)
    filtered, _, _ = AcousticInference(model)(ids, lengths, speakers, paces)
    torch.testing.assert_close(filtered, MelPostfilter(model.config.n_mels, (1.0, 2.0, 1.0), 2.0)(plain))
    assert not torch.allclose(filtered, plain)


def test_postfilter_settings_round_trip_and_are_checked() -> None:
    config = AcousticConfig(n_tokens=5, n_speakers=1, postfilter_kernel=(1.0, 2.0, 1.0), postfilter_gain=1.5)
    assert AcousticConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert AcousticConfig.from_dict({"n_tokens": 5, "n_speakers": 1}).postfilter_gain == 0.0  # older voices: none
    with pytest.raises(ValueError, match="odd length"):
        AcousticConfig(postfilter_kernel=(1.0, 1.0), postfilter_gain=1.0)
