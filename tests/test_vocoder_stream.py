"""The incremental vocoder: its calls joined give the whole mel's audio wherever the mel is split, each call emits
what the lag allows, streams share no state, batch rows are independent, and the exported graphs give the torch
module's audio."""

from pathlib import Path
from typing import Callable

import numpy as np
import onnxruntime
import pytest
import torch

from tests.conftest import DEFAULT_VOICE_DIR
from triton_tts.neural_vocoder import NeuralVocoder, NeuralVocoderConfig
from triton_tts.fft_vocoder import OverlapAdd
from triton_tts.vocoder_stream import (
    StreamingVocoder, VocoderStream, emitted_samples, end_padding, export_streaming_vocoder, initial_state, input_names,
    lag_frames, spectrum_lag,
)
from triton_tts.voice import load_neural_vocoder
from triton_tts.voice_config import MelConfig, load_voice_config

Step = Callable[..., tuple[torch.Tensor, ...]]


@pytest.fixture(scope="module")
def shipped() -> NeuralVocoder:
    return load_neural_vocoder(DEFAULT_VOICE_DIR, load_voice_config(DEFAULT_VOICE_DIR).mel).eval()


@pytest.fixture(scope="module")
def small() -> NeuralVocoder:
    torch.manual_seed(0)
    return NeuralVocoder(MelConfig(), NeuralVocoderConfig(dim=32, intermediate=64, layers=2)).eval()


def random_mel(frames: int, seed: int, batch: int = 1) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).normal(-5.0, 2.0, (batch, 80, frames)).astype(np.float32))


def random_splits(frames: int, seed: int, most: int = 40) -> list[int]:
    rng, splits = np.random.default_rng(seed + 100), []
    while sum(splits) < frames:
        splits.append(min(int(rng.integers(1, most)), frames - sum(splits)))
    return splits


def whole_audio(vocoder: NeuralVocoder, mel: torch.Tensor) -> np.ndarray:
    """NeuralVocoder's audio of one whole mel (1, n_mels, F): what the calls joined must give."""
    frames = mel.shape[-1]
    with torch.no_grad():
        return vocoder(mel, torch.tensor([frames]))[0][0, : (frames - 1) * vocoder.mel.hop_length].numpy()


def torch_graph(vocoder: NeuralVocoder) -> Step:
    return torch.no_grad()(StreamingVocoder(vocoder))


def new_stream(vocoder: NeuralVocoder, graph: Step | None = None) -> VocoderStream:
    paddings = {final: end_padding(vocoder, final) for final in (False, True)}
    return VocoderStream(graph or torch_graph(vocoder), initial_state(vocoder, 1), OverlapAdd(vocoder.mel), spectrum_lag(vocoder), paddings)


def stream(vocoder: NeuralVocoder, mel: torch.Tensor, splits: list[int], graph: Step | None = None) -> list[np.ndarray]:
    """Each call's audio for `mel` (1, n_mels, F) fed in calls of `splits` frames, the last one final."""
    vocoder_stream, fed, chunks = new_stream(vocoder, graph), 0, []
    for i, n in enumerate(splits):
        chunks.append(vocoder_stream.feed(mel[0, :, fed : fed + n].numpy(), final=i == len(splits) - 1))
        fed += n
    return chunks


def assert_joined_is_whole(vocoder: NeuralVocoder, mel: torch.Tensor, chunks: list[np.ndarray]) -> None:
    joined, whole = np.concatenate(chunks), whole_audio(vocoder, mel)
    assert joined.dtype == np.float32
    assert joined.shape == whole.shape == ((mel.shape[-1] - 1) * vocoder.mel.hop_length,)
    if whole.size:
        assert np.abs(whole).max() > 1e-3  # audio to compare, not silence
        assert np.abs(joined - whole).max() <= 1e-5


@pytest.mark.parametrize("frames", [1, 2, 3, 10, 11, 12, 40])
@pytest.mark.parametrize("seed", [0, 1])
def test_calls_joined_are_the_whole_audio_for_any_split(small, frames: int, seed: int) -> None:
    mel = random_mel(frames, seed)
    for splits in ([frames], [1] * frames, random_splits(frames, seed, most=15)):
        assert_joined_is_whole(small, mel, stream(small, mel, splits))


@pytest.mark.parametrize("frames, splits", [
    (1, [1]), (3, [1, 2]), (22, [5, 16, 1]), (30, [1] * 30), (300, [24 + 23, 300 - 24 - 23]), (300, random_splits(300, 0)),
])
def test_the_shipped_vocoder_streams_its_whole_audio(shipped, frames: int, splits: list[int]) -> None:
    mel = random_mel(frames, seed=frames)
    assert_joined_is_whole(shipped, mel, stream(shipped, mel, splits))


def test_each_call_emits_the_audio_its_lag_allows(shipped, small) -> None:
    assert lag_frames(shipped) == 23 and lag_frames(small) == 3 * 3 + 2
    for vocoder in (shipped, small):
        hop, lag = vocoder.mel.hop_length, lag_frames(vocoder)
        splits = [1, 2, lag - 4, 1, 1, 30, 1, 9]
        chunks = stream(vocoder, random_mel(sum(splits), seed=3), splits)
        fed = np.cumsum(splits)
        emitted = np.cumsum([c.size for c in chunks])
        # The audio of frames [0, k) is out once k + lag frames are fed; the final call emits the rest.
        assert emitted[:-1].tolist() == [max(0, f - lag) * hop for f in fed[:-1]]
        assert emitted[-1] == (fed[-1] - 1) * hop
        before = [0, *fed[:-1]]
        assert [c.size for c in chunks] == [emitted_samples(vocoder, b, n, i == len(splits) - 1) for i, (b, n) in enumerate(zip(before, splits))]


def test_interleaved_streams_keep_their_own_state(small) -> None:
    graph = torch_graph(small)
    mels, splits = [random_mel(40, seed=5), random_mel(31, seed=6)], [[3, 20, 2, 15], [10, 1, 19, 1]]
    streams, chunks = [new_stream(small, graph), new_stream(small, graph)], [[], []]
    for call in range(4):
        for s in (0, 1):
            fed = sum(splits[s][:call])
            chunks[s].append(streams[s].feed(mels[s][0, :, fed : fed + splits[s][call]].numpy(), final=call == 3))
    for s in (0, 1):
        assert_joined_is_whole(small, mels[s], chunks[s])


def test_batch_rows_may_be_at_different_points_of_their_streams(small) -> None:
    """Rows share N and the call's kind (the last or not), not where they are: each row's STFT frames and state
    are its own stream's."""
    graph = torch_graph(small)
    first, second = random_mel(50, seed=7), random_mel(50, seed=8)
    not_last = end_padding(small, False)
    states = [graph(mel[..., :fed], *not_last, *initial_state(small, 1))[1:] for mel, fed in ((first, 12), (second, 30))]
    batched_state = [torch.cat(parts) for parts in zip(*states)]
    for final in (False, True):
        batched = graph(torch.cat([first[..., 12:22], second[..., 30:40]]), *end_padding(small, final, 2), *batched_state)
        end = end_padding(small, final)
        alone = [graph(first[..., 12:22], *end, *states[0]), graph(second[..., 30:40], *end, *states[1])]
        for row, expected in enumerate(alone):
            for got, want in zip(batched, expected):
                assert torch.allclose(got[row], want[0], rtol=1e-5, atol=1e-5)
        assert batched[0].shape[1] == 10 + (spectrum_lag(small) if final else 0)


def test_each_layer_computes_only_the_utterances_frames(small) -> None:
    """The first call's spectrum starts at frame 0 and the last one ends at the last frame: no layer works on
    frames outside the utterance (the cost the whole model has)."""
    graph, lag = torch_graph(small), spectrum_lag(small)
    mel = random_mel(40, seed=4)
    spectrum, *state = graph(mel[..., :25], *end_padding(small, False), *initial_state(small, 1))
    assert spectrum.shape[1] == 25 - lag
    spectrum, *_ = graph(mel[..., 25:], *end_padding(small, True), *state)
    assert spectrum.shape[1] == 15 + lag
    whole, *_ = graph(mel, *end_padding(small, True), *initial_state(small, 1))
    assert whole.shape[1] == 40


def onnx_graph(path: Path, names: list[str]) -> Step:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return lambda *tensors: tuple(torch.from_numpy(o) for o in session.run(None, dict(zip(names, (t.numpy() for t in tensors)))))


def test_the_exported_graph_gives_the_torch_audio(shipped, tmp_path: Path) -> None:
    export_streaming_vocoder(shipped, tmp_path / "step.onnx")
    graph = onnx_graph(tmp_path / "step.onnx", input_names(shipped))
    for splits in ([1, 5, 30, 2, 40, 15, 7], [4]):  # calls of 0 samples, then of several sizes; a single final call
        mel = random_mel(sum(splits), seed=len(splits))
        exported, in_torch = stream(shipped, mel, splits, graph), stream(shipped, mel, splits)
        assert [c.shape for c in exported] == [c.shape for c in in_torch]
        assert max(np.abs(a - b).max() if a.size else 0.0 for a, b in zip(exported, in_torch)) <= 1e-5
        assert_joined_is_whole(shipped, mel, exported)


def test_a_window_that_is_not_whole_hops_streams_its_whole_audio_too() -> None:
    """n_fft 1000 over hops of 256: frames are zero-padded to whole hops for the overlap-add."""
    torch.manual_seed(1)
    vocoder = NeuralVocoder(MelConfig(n_fft=1000, win_length=1000, hop_length=256), NeuralVocoderConfig(dim=8, intermediate=16, layers=1)).eval()
    mel = random_mel(23, seed=9)
    for splits in ([23], [1, 4, 17, 1], random_splits(23, 9, most=6)):
        assert_joined_is_whole(vocoder, mel, stream(vocoder, mel, splits))
