"""The acoustic model: batch invariance under padding, pace scaling, a loop-free length regulator, the post-filter."""

import dataclasses
import json

import pytest
import torch

from triton_tts.acoustic import AcousticInference, AcousticModel, MelPostfilter, length_regulate
from triton_tts.voice_config import AcousticConfig, PostfilterConfig
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


def test_postfilter_sharpens_across_bins_then_frames_and_keeps_flat_mels() -> None:
    mel = torch.randn(2, 80, 9)
    lengths = torch.tensor([9, 6])
    sharpened = MelPostfilter(80, PostfilterConfig(bin_width=5, bin_gain=1.5, frame_width=3, frame_gain=0.5))(mel, lengths)
    kernel = torch.tensor([1.0, 2.0, 3.0, 2.0, 1.0]) / 9.0
    padded = torch.nn.functional.pad(mel.transpose(1, 2).reshape(-1, 1, 80), (2, 2), mode="replicate")  # edge bins repeat
    across_bins = torch.nn.functional.conv1d(padded, kernel[None, None]).reshape(2, 9, 80).transpose(1, 2)
    expected = mel + 1.5 * (mel - across_bins)
    for row, length in enumerate(lengths.tolist()):  # across frames, within each row's own frames
        own = torch.nn.functional.pad(expected[row : row + 1, :, :length], (1, 1), mode="replicate")
        blurred = 0.25 * own[..., :-2] + 0.5 * own[..., 1:-1] + 0.25 * own[..., 2:]
        torch.testing.assert_close(sharpened[row, :, :length], (expected[row : row + 1, :, :length] + 0.5 * (expected[row : row + 1, :, :length] - blurred))[0], atol=1e-5, rtol=1e-5)
    silence = torch.full((1, 80, 4), -11.5)
    torch.testing.assert_close(MelPostfilter(80, PostfilterConfig(35, 0.75, 5, 0.5))(silence, torch.tensor([4])), silence)


@torch.inference_mode()
def test_served_mels_are_the_model_mels_post_filtered_and_still_batch_invariant() -> None:
    model = small_model()
    ids, lengths, speakers, paces = pad_ids([AcousticInput(list(range(1, 12)), speaker=0)])
    plain, frames, _ = AcousticInference(model)(ids, lengths, speakers, paces)
    settings = PostfilterConfig(bin_width=3, bin_gain=2.0, frame_width=3, frame_gain=0.5)
    model.config = dataclasses.replace(model.config, postfilter=settings)
    filtered, _, _ = AcousticInference(model)(ids, lengths, speakers, paces)
    torch.testing.assert_close(filtered, MelPostfilter(model.config.n_mels, settings)(plain, frames))
    assert not torch.allclose(filtered, plain)
    short = AcousticInput([1, 5, 6, 7, 2], speaker=1)
    alone = generate_mels(AcousticInference(model), [short])[0]
    batched = generate_mels(AcousticInference(model), [AcousticInput(list(range(1, 19)), speaker=0), short])[1]
    torch.testing.assert_close(torch.from_numpy(batched), torch.from_numpy(alone), atol=1e-5, rtol=1e-5)


def test_postfilter_settings_round_trip_and_are_checked() -> None:
    config = AcousticConfig(n_tokens=5, n_speakers=1, postfilter=PostfilterConfig(35, 0.75, 5, 0.5))
    assert AcousticConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert AcousticConfig.from_dict({"n_tokens": 5, "n_speakers": 1}).postfilter == PostfilterConfig()  # older voices: off
    with pytest.raises(ValueError, match="odd and positive"):
        PostfilterConfig(bin_width=4, bin_gain=1.0)
