"""ONNX export: valid graphs with dynamic axes, torch/onnxruntime parity on mixed-length batches, stale detection."""

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

from tests.conftest import DEFAULT_VOICE_DIR, SENTENCES
from training.export import MANIFEST, export_voice, is_current
from triton_tts.acoustic import AcousticInference
from triton_tts.offline import Synthesizer
from triton_tts.onnx_export import OPSET, SIGNATURES
from triton_tts.voice import load_neural_vocoder, load_voice
from triton_tts.voice_config import WEIGHTS_FILE

# Per utterance, over its real (unpadded) positions: ||onnx - torch|| / ||torch|| (L2). The worst sample alone,
# relative to the peak, sits at the vocoder's own float32 noise floor (torch fp32 against fp64 differs by up
# to 7e-5 of the peak), so it cannot separate an export bug from rounding; the L2 ratio can (measured worst
# over 174 utterances: 2e-5 for the vocoder, 1e-6 for the acoustic model).
MAX_RELATIVE_ERROR = 1e-4


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("onnx")
    export_voice(DEFAULT_VOICE_DIR, out)
    return out


def session(path: Path) -> onnxruntime.InferenceSession:
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    return float(np.linalg.norm(got - expected) / np.linalg.norm(expected))


def random_acoustic_batch(seed: int, n_tokens: int, n_speakers: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    batch = int(rng.integers(1, 9))
    lengths = rng.integers(2, 80, size=batch)
    ids = rng.integers(1, n_tokens, size=(batch, int(lengths.max())))
    ids[np.arange(ids.shape[1])[None, :] >= lengths[:, None]] = 0
    return {
        "PHONEME_IDS": ids,
        "LENGTHS": lengths,
        "SPEAKER": rng.integers(0, n_speakers, size=batch),
        "PACE": rng.uniform(0.5, 2.0, size=batch).astype(np.float32),
    }


def test_graphs_are_valid_with_dynamic_axes(export_dir: Path) -> None:
    manifest = json.loads((export_dir / MANIFEST).read_text())
    for stage, (inputs, outputs, axes) in SIGNATURES.items():
        model = onnx.load(str(export_dir / manifest["stages"][stage]["file"]))
        onnx.checker.check_model(model, full_check=True)
        assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= OPSET
        assert [i.name for i in model.graph.input] == inputs and [o.name for o in model.graph.output] == outputs
        for value in [*model.graph.input, *model.graph.output]:
            dims = value.type.tensor_type.shape.dim
            for axis, name in axes[value.name].items():
                assert dims[axis].dim_param == name, f"{stage}.{value.name} axis {axis} is not dynamic"


@pytest.mark.parametrize("seed", range(4))
def test_acoustic_parity(export_dir: Path, seed: int) -> None:
    voice = load_voice(DEFAULT_VOICE_DIR)
    feeds = random_acoustic_batch(seed, voice.config.model.n_tokens, voice.config.model.n_speakers)
    with torch.inference_mode():
        mel, frames, durations = AcousticInference(voice.model)(*(torch.from_numpy(v) for v in feeds.values()))
    got_mel, got_frames, got_durations = session(export_dir / "acoustic.onnx").run(None, feeds)
    assert got_frames.tolist() == frames.tolist() and got_durations.tolist() == durations.tolist()
    assert got_frames.tolist() == [max(1, int(d.sum())) for d in got_durations]  # the durations made the frames
    for row, n in enumerate(frames.tolist()):
        assert relative_error(got_mel[row, :, :n], mel[row, :, :n].numpy()) < MAX_RELATIVE_ERROR


@pytest.mark.parametrize("seed", range(4))
def test_vocoder_parity(export_dir: Path, seed: int) -> None:
    voice = load_voice(DEFAULT_VOICE_DIR)
    vocoder = load_neural_vocoder(DEFAULT_VOICE_DIR, voice.config.mel)
    acoustic = session(export_dir / "acoustic.onnx")
    mel, frames, _ = acoustic.run(None, random_acoustic_batch(100 + seed, voice.config.model.n_tokens, voice.config.model.n_speakers))
    padding = np.broadcast_to(np.arange(mel.shape[2])[None, None, :] >= frames[:, None, None], mel.shape)
    mel[padding] = np.log(voice.config.mel.log_floor)
    with torch.inference_mode():
        audio, samples = vocoder(torch.from_numpy(mel), torch.from_numpy(frames))
    got_audio, got_samples = session(export_dir / "vocoder.onnx").run(None, {"MEL": mel, "MEL_LENGTHS": frames})
    assert got_samples.tolist() == samples.tolist()
    for row, n in enumerate(samples.tolist()):
        if n:
            assert relative_error(got_audio[row, :n], audio[row, :n].numpy()) < MAX_RELATIVE_ERROR


def test_a_changed_voice_makes_the_export_stale(export_dir: Path, tmp_path: Path) -> None:
    assert is_current(DEFAULT_VOICE_DIR, export_dir)
    voice_copy = tmp_path / "voice"
    shutil.copytree(DEFAULT_VOICE_DIR, voice_copy)
    (voice_copy / WEIGHTS_FILE).write_bytes((voice_copy / WEIGHTS_FILE).read_bytes() + b"\0")
    assert not is_current(voice_copy, export_dir)


def test_onnxruntime_pipeline_sounds_like_the_torch_pipeline() -> None:
    texts = SENTENCES[:3]
    on_torch = Synthesizer.load(DEFAULT_VOICE_DIR, runtime="torch").synthesize(texts)
    on_onnx = Synthesizer.load(DEFAULT_VOICE_DIR, runtime="onnxruntime").synthesize(texts)
    for expected, got in zip(on_torch, on_onnx):
        assert got.shape == expected.shape
        assert relative_error(got, expected) < MAX_RELATIVE_ERROR
