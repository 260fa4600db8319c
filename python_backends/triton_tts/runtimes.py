"""Where a stage's compute runs: torch (on the CPU or a CUDA GPU), or onnxruntime on a graph exported from the
same weights at start-up.

Both take and return torch tensors on the host with the signatures of triton_tts.pipeline, so the stages do
not know which runtime or device they use. `threads` is the onnxruntime session's intra-op thread count
(torch's is per process: triton_tts.stages.set_torch_threads).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

import onnxruntime
import torch
from torch import nn

from triton_tts.acoustic import AcousticInference
from triton_tts.fft_vocoder import FftVocoder, export_spectrum_graph
from triton_tts.neural_vocoder import NeuralVocoder
from triton_tts.onnx_export import export_stage
from triton_tts.pipeline import AcousticRunner, VocoderRunner
from triton_tts.voice import Voice

RUNTIMES = ("torch", "onnxruntime")
# The stages' default: faster than torch for both stages at one sentence per call on CPU (docs/benchmarks.md).
DEFAULT_RUNTIME = "onnxruntime"
DEVICES = ("cpu", "cuda")
PRECISIONS = ("fp32", "fp16")


@dataclass(frozen=True)
class Placement:
    """The device and precision of a torch stage. fp16 is autocast on CUDA only: on the GPU it ran the acoustic
    model 2.2x faster with the same durations for most sentences, and the vocoder's inverse STFT slower and
    drifting (issue 15's measurements), so it is chosen per stage."""

    device: str = "cpu"
    precision: str = "fp32"

    def check(self, runtime: str) -> None:
        """ValueError saying what to change, at start-up rather than on the first request."""
        if self.device not in DEVICES:
            raise ValueError(f"unknown device {self.device!r}; choose one of {', '.join(DEVICES)}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}; choose one of {', '.join(PRECISIONS)}")
        if self.device == "cuda" and runtime != "torch":
            raise ValueError(f"device cuda needs runtime torch (this project's onnxruntime is the CPU build), not {runtime!r}")
        if self.precision == "fp16" and self.device != "cuda":
            raise ValueError("precision fp16 needs device cuda (CPU kernels have no fast fp16); use fp32 on the CPU")
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ValueError("device cuda, but torch sees no CUDA GPU here: use device cpu, or run where a GPU is")


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


class DeviceRunner:
    """A torch module on its placement's device: the host tensors go there, the outputs come back to the host
    (floating ones as float32, whatever the autocast computed them in). On the CPU at fp32 it is the module's
    own call, so the tests run the GPU's code path."""

    def __init__(self, module: nn.Module, placement: Placement) -> None:
        self.device = torch.device(placement.device)
        self.module = module.to(self.device).eval()
        self.fp16 = placement.precision == "fp16"
        if self.device.type == "cuda" and not self.fp16:
            # fp32 means IEEE fp32: cuDNN's default TF32 convolutions round inputs to 10 mantissa bits (~1e-3
            # relative), more than the ONNX parity tolerance (1e-4) GPU audio is held to. Per process: a stage is one.
            torch.backends.cudnn.allow_tf32 = False
            torch.backends.cuda.matmul.allow_tf32 = False

    @torch.inference_mode()
    def __call__(self, *tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        inputs = (t.to(self.device, non_blocking=True) for t in tensors)
        with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.fp16):
            outputs = self.module(*inputs)
        return tuple((o.float() if o.is_floating_point() else o).cpu() for o in outputs)


def check_runtime(runtime: str) -> None:
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}")


def acoustic_runner(voice: Voice, runtime: str, threads: int, placement: Placement = Placement()) -> AcousticRunner:
    check_runtime(runtime)
    placement.check(runtime)
    module = AcousticInference(voice.model).eval()
    if runtime == "torch":
        return DeviceRunner(module, placement)
    return OnnxRunner("acoustic", partial(export_stage, "acoustic", module), threads)


def vocoder_runner(vocoder: nn.Module, runtime: str, threads: int, placement: Placement = Placement()) -> VocoderRunner:
    """The neural vocoder on `runtime` and `placement`; Griffin-Lim on torch on the CPU whatever they say (its
    loop has no graph), so `--set vocoder.vocoder=griffin_lim` works without also changing the stage's runtime."""
    check_runtime(runtime)
    if not isinstance(vocoder, NeuralVocoder):
        return vocoder
    placement.check(runtime)
    if runtime == "torch":
        return DeviceRunner(vocoder, placement)
    return FftVocoder(OnnxRunner("vocoder-spectrum", partial(export_spectrum_graph, vocoder), threads), vocoder.mel)
