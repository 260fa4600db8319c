"""ONNX export of the acoustic model and the neural vocoder: one graph per stage, dynamic batch and length axes.

Used by `python -m training.export` (files for TensorRT engine builds) and by the Python backend when a stage
runs on onnxruntime (it exports the loaded weights at start-up, so the graph can never be older than them).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import onnx
import torch
from torch import nn

OPSET = 17

# Stage -> (input names, output names, dynamic axes); the names are the Triton tensor names of the GPU variant.
SIGNATURES = {
    "acoustic": (
        ["PHONEME_IDS", "LENGTHS", "SPEAKER", "PACE"],
        ["MEL", "MEL_LENGTHS", "DURATIONS"],
        {"PHONEME_IDS": {0: "batch", 1: "tokens"}, "LENGTHS": {0: "batch"}, "SPEAKER": {0: "batch"},
         "PACE": {0: "batch"}, "MEL": {0: "batch", 2: "frames"}, "MEL_LENGTHS": {0: "batch"},
         "DURATIONS": {0: "batch", 1: "tokens"}},
    ),
    "vocoder": (
        ["MEL", "MEL_LENGTHS"],
        ["AUDIO", "AUDIO_LENGTHS"],
        {"MEL": {0: "batch", 2: "frames"}, "MEL_LENGTHS": {0: "batch"}, "AUDIO": {0: "batch", 1: "samples"},
         "AUDIO_LENGTHS": {0: "batch"}},
    ),
}


def example_inputs(stage: str, model: nn.Module) -> tuple[torch.Tensor, ...]:
    """A small mixed-length batch to trace with (the axes named in SIGNATURES stay dynamic)."""
    if stage == "acoustic":
        config = model.model.config
        ids = torch.randint(1, config.n_tokens, (2, 12))
        ids[1, 7:] = 0
        return ids, torch.tensor([12, 7]), torch.tensor([0, config.n_speakers - 1]), torch.tensor([1.0, 1.25])
    mel = torch.randn(2, model.mel.n_mels, 40) - 5.0
    return mel, torch.tensor([40, 23])


def export_stage(stage: str, model: nn.Module, path: Path) -> None:
    """Trace `model` into an ONNX file at `path` with the stage's serving signature, and check it."""
    inputs, outputs, axes = SIGNATURES[stage]
    export_graph(model, example_inputs(stage, model), path, inputs, outputs, axes)


def export_graph(model: nn.Module, example: tuple[torch.Tensor, ...], path: Path, inputs: list[str], outputs: list[str],
                 axes: dict[str, dict[int, str]]) -> None:
    """Trace `model` on `example` into an ONNX file at `path` (the `axes` dynamic) and check it.

    The TorchScript-based exporter is used: the frame count is data-dependent (it comes from the predicted
    durations), which torch.export cannot guard on, while the tracer records it as a Range over a dynamic size.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer and deprecation warnings about the exporter choice
        torch.onnx.export(
            model.eval(), example, str(path), dynamo=False, opset_version=OPSET,
            input_names=inputs, output_names=outputs, dynamic_axes=axes,
        )
    onnx.checker.check_model(str(path), full_check=True)
