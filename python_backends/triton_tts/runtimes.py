"""Where a stage's compute runs: torch, or onnxruntime on a graph exported from the same weights at start-up.

Both take and return torch tensors with the signatures of triton_tts.pipeline, so the stages do not know
which runtime they use. `threads` is the onnxruntime session's intra-op thread count (torch's is per process:
triton_tts.stages.set_torch_threads).
"""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path
from typing import Callable

import onnxruntime
import torch
from torch import nn

from triton_tts.acoustic import AcousticInference
from triton_tts.neural_vocoder import NeuralVocoder
from triton_tts.onnx_export import export_stage
from triton_tts.pipeline import AcousticRunner, VocoderRunner
from triton_tts.voice import Voice

RUNTIMES = ("torch", "onnxruntime")
# The stages' default: faster than torch for both stages at one sentence per call on CPU (docs/benchmarks.md).
DEFAULT_RUNTIME = "onnxruntime"


class OnnxRunner:
    """One exported graph in an onnxruntime session, called like the torch module it was exported from.

    `export` writes the graph from the loaded weights into a temporary file: it can never be older than them.
    """

    def __init__(self, name: str, export: Callable[[Path], None], threads: int) -> None:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        with tempfile.TemporaryDirectory(prefix=f"tts-{name}-") as directory:
            path = Path(directory) / f"{name}.onnx"
            export(path)
            self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]

    def __call__(self, *tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        feeds = {name: tensor.numpy() for name, tensor in zip(self.input_names, tensors)}
        return tuple(torch.from_numpy(output) for output in self.session.run(None, feeds))


def check_runtime(runtime: str) -> None:
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}")


def acoustic_runner(voice: Voice, runtime: str, threads: int) -> AcousticRunner:
    check_runtime(runtime)
    module = AcousticInference(voice.model).eval()
    return module if runtime == "torch" else OnnxRunner("acoustic", partial(export_stage, "acoustic", module), threads)


def vocoder_runner(vocoder: nn.Module, runtime: str, threads: int) -> VocoderRunner:
    """The neural vocoder on `runtime`; Griffin-Lim on torch whatever `runtime` says (its loop has no graph), so
    `--set vocoder.vocoder=griffin_lim` works without also changing the stage's runtime."""
    check_runtime(runtime)
    if runtime == "torch" or not isinstance(vocoder, NeuralVocoder):
        return vocoder
    return OnnxRunner("vocoder", partial(export_stage, "vocoder", vocoder), threads)
