"""The neural vocoder run incrementally: each call vocodes only the mel frames it is given, and state carries over.

Streaming with NeuralVocoder itself recomputes limits.VOCODER_CONTEXT_FRAMES of mel on both sides of every
chunk. Yet each of its layers is a convolution over frames (kernel k, zero padding k // 2) and then per-frame
work, so a layer can keep its last k - 1 inputs and compute just the outputs that its new inputs complete, k // 2
frames behind its newest input; the inverse STFT (in numpy, by FFT: fft_vocoder) keeps its un-normalised
overlap-add tail. The audio of all the calls joined is NeuralVocoder's audio of the whole mel (to float rounding)
wherever the calls split the mel.

There are two graphs: a step (more frames follow) and a final step (the last N >= 1 frames: each layer is
flushed with the zero padding the whole model sees past the end). Both give STFT frames; VocoderStream turns
them into the samples they complete.
"""

from __future__ import annotations

import math
import warnings
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import torch
from torch import nn
from torch.nn import functional as F

from triton_tts.fft_vocoder import OverlapAdd
from triton_tts.neural_vocoder import ConvNeXtBlock, NeuralVocoder
from triton_tts.onnx_export import OPSET
from triton_tts.runtimes import OnnxRunner, check_runtime

State = tuple[torch.Tensor, torch.Tensor]

# ONNX tensor names; the final graph has no state outputs (the stream is over).
STREAM_INPUTS = ["MEL", "FRAMES_BEFORE", "EMBED_CACHE", "BLOCK_CACHE"]
STEP_OUTPUTS = ["SPECTRUM", "EMBED_CACHE_OUT", "BLOCK_CACHE_OUT"]
FINAL_OUTPUTS = ["SPECTRUM"]


def lag_frames(vocoder: NeuralVocoder) -> int:
    """Frames fed beyond a frame before its audio is out: the audio of frames [0, k) has been emitted once
    k + lag_frames frames are fed (or the stream is finished). 23 for the shipped vocoder: 3 per convolution
    (the embedding and 6 blocks), and 2 for the inverse STFT's overlap past its n_fft // 2 trim."""
    return spectrum_lag(vocoder) + math.ceil(vocoder.istft.trim / vocoder.mel.hop_length)


def spectrum_lag(vocoder: NeuralVocoder) -> int:
    """Frames an STFT frame is computed behind the newest mel frame: kernel // 2 per convolution."""
    c = vocoder.config
    return c.kernel_size // 2 * (c.layers + 1)


def emitted_samples(vocoder: NeuralVocoder, frames_before: int, frames: int, final: bool) -> int:
    """How many samples a call emits for a stream that had fed `frames_before` frames and now feeds `frames`."""
    return _done_to(vocoder, frames_before + frames, final) - _done_to(vocoder, frames_before, False)


def _done_to(vocoder: NeuralVocoder, fed: int, final: bool) -> int:
    """The samples emitted once `fed` frames are fed: all but the lag's, or all of them when the stream is over."""
    hop = vocoder.mel.hop_length
    return (fed - 1) * hop if final else max(0, (fed - spectrum_lag(vocoder)) * hop - vocoder.istft.trim)


def initial_state(vocoder: NeuralVocoder, batch: int) -> State:
    """The graphs' state before frame 0, all zeros (the whole model's zero padding): the last kernel - 1 inputs of
    the embedding (B, n_mels, kernel - 1) and of each block's depthwise convolution (B, layers, dim, kernel - 1)."""
    c, mel = vocoder.config, vocoder.mel
    return torch.zeros(batch, mel.n_mels, c.kernel_size - 1), torch.zeros(batch, c.layers, c.dim, c.kernel_size - 1)


class StreamingVocoder(nn.Module):
    """NeuralVocoder (sharing its parameters) up to its STFT frames, as a step over new mel frames; `final` picks
    the graph.

    forward(mel (B, n_mels, N), frames_before (B,), *state) -> (STFT frames (B, M, n_freq, 2), *new state), or
    (STFT frames,) when final. The M frames are those at positions frames_before - spectrum_lag on: M = N, or
    N + spectrum_lag on the final call (the rest of the utterance, which ends at frames_before + N). Frames at
    negative positions are zero. Rows share N, not frames_before. A call costs about N frames of the whole
    model, plus kernel - 1 cached frames per convolution.
    """

    def __init__(self, vocoder: NeuralVocoder, final: bool) -> None:
        super().__init__()
        self.vocoder, self.final = vocoder, final
        self.half = vocoder.config.kernel_size // 2

    def forward(self, mel: torch.Tensor, frames_before: torch.Tensor, embed_cache: torch.Tensor, block_cache: torch.Tensor) -> tuple[torch.Tensor, ...]:
        v = self.vocoder
        x, embed_cache = self._window(embed_cache, (mel - v.mel_offset) * v.mel_scale)
        h = v.embed_norm(F.conv1d(x, v.embed.weight, v.embed.bias).transpose(1, 2)).transpose(1, 2)
        lag = self.half
        h = h * self._real(frames_before, lag, h)
        block_caches = []
        for i, block in enumerate(v.blocks):
            x, cache = self._window(block_cache[:, i], h)
            block_caches.append(cache)
            lag += self.half
            h = self._block(block, x)
            h = h * self._real(frames_before, lag, h)
        log_magnitude, phase = v.head(v.final_norm(h.transpose(1, 2))).chunk(2, dim=-1)
        magnitude = torch.exp(torch.clamp(log_magnitude, max=6.0)) * self._real(frames_before, lag, h).transpose(1, 2)
        spectrum = torch.stack([magnitude * torch.cos(phase), magnitude * torch.sin(phase)], dim=-1)
        if self.final:
            return (spectrum,)
        return spectrum, embed_cache, torch.stack(block_caches, dim=1)

    def _window(self, cache: torch.Tensor, new: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A convolution's inputs (cached frames, then new ones, then on the final call the right zero padding)
        and the cache for the next call: the last kernel - 1 inputs."""
        x = torch.cat([cache, new], dim=-1)
        next_cache = x[..., x.shape[-1] - cache.shape[-1] :]
        return (F.pad(x, (0, self.half)) if self.final else x), next_cache

    def _block(self, block: ConvNeXtBlock, x: torch.Tensor) -> torch.Tensor:
        """ConvNeXtBlock.forward without padding: the outputs at x's frames that have a whole kernel of inputs."""
        mixed = F.conv1d(x, block.depthwise.weight, block.depthwise.bias, groups=x.shape[1])
        return x[..., self.half : x.shape[-1] - self.half] + block.update(mixed)

    @staticmethod
    def _real(frames_before: torch.Tensor, lag: int, h: torch.Tensor) -> torch.Tensor:
        """(B, 1, frames) 1 where h's frames (the newest mel frame's position - lag, and before) are >= 0: frames
        before 0 are the zero padding of the next convolution, and are no spectrum frames."""
        positions = frames_before[:, None] - lag + torch.arange(h.shape[-1], device=h.device)[None, :]
        return (positions >= 0).to(h.dtype)[:, None, :]


def export_streaming_vocoder(vocoder: NeuralVocoder, path: Path, final: bool) -> None:
    """Trace the step (or final step) graph into an ONNX file at `path` and check it; batch and frames stay
    dynamic."""
    outputs = FINAL_OUTPUTS if final else STEP_OUTPUTS
    axes = {name: {0: "batch"} for name in STREAM_INPUTS + outputs}
    axes["MEL"] = {0: "batch", 2: "frames"}
    axes["SPECTRUM"] = {0: "batch", 1: "frames"}
    example = (torch.randn(2, vocoder.mel.n_mels, 5) - 5.0, torch.tensor([30, 3]), *initial_state(vocoder, 2))
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer and deprecation warnings about the exporter choice
        torch.onnx.export(
            StreamingVocoder(vocoder, final).eval(), example, str(path), dynamo=False, opset_version=OPSET,
            input_names=STREAM_INPUTS, output_names=outputs, dynamic_axes=axes,
        )
    onnx.checker.check_model(str(path), full_check=True)


Graph = Callable[..., tuple[torch.Tensor, ...]]


class VocoderStream:
    """One utterance through the incremental vocoder: its mel frames fed in order, the last ones as final; the
    graphs' STFT frames overlap-added here, and the samples they complete normalised and emitted."""

    def __init__(self, step: Graph, final: Graph, state: State, overlap: OverlapAdd, lag: int) -> None:
        self.step, self.final, self.state = step, final, state
        self.overlap, self.spectrum_lag = overlap, lag
        self.tail = np.zeros(overlap.span - overlap.hop, dtype=np.float32)  # overlap-added, not yet complete
        self.fed = 0
        self.finished = False

    def feed(self, mel: np.ndarray, final: bool) -> np.ndarray:
        """The samples that the next frames `mel` (n_mels, N >= 1) complete; with `final`, every sample left."""
        if self.finished:
            raise RuntimeError("this vocoder stream is finished")
        inputs = (torch.from_numpy(np.ascontiguousarray(mel[None], dtype=np.float32)), torch.tensor([self.fed]), *self.state)
        with torch.inference_mode():
            outputs = (self.final if final else self.step)(*inputs)
        audio = self._emit(outputs[0][0].numpy(), mel.shape[1], final)
        self.state, self.fed, self.finished = tuple(outputs[1:]), self.fed + mel.shape[1], final
        return audio

    def _emit(self, spectrum: np.ndarray, frames: int, final: bool) -> np.ndarray:
        """Overlap-add the STFT frames `spectrum` (M, n_freq, 2) onto the tail, keep the new tail, and return the
        samples complete from where the last call stopped, normalised. Sample positions here are before the
        inverse STFT's n_fft // 2 trim."""
        o = self.overlap
        added = o.add(o.frames(spectrum))
        added[: self.tail.size] += self.tail
        first = (self.fed - self.spectrum_lag) * o.hop  # the position of added[0]
        complete = added.size if final else spectrum.shape[0] * o.hop
        self.tail = added[complete:]
        begin = max(first, o.trim)  # the trim: samples before it are no audio
        end = o.trim + ((self.fed + frames - 1) * o.hop if final else max(0, first + complete - o.trim))
        return o.normalised(added[begin - first : end - first], begin)


class IncrementalVocoder:
    """StreamingVocoder's step and final graphs on a runtime: torch, or onnxruntime on graphs exported from the
    loaded weights at start-up. Thread-safe: each stream's state is its own."""

    def __init__(self, vocoder: NeuralVocoder, runtime: str = "onnxruntime", threads: int = 1) -> None:
        check_runtime(runtime)
        self.lag = lag_frames(vocoder)
        self.spectrum_lag = spectrum_lag(vocoder)
        self.initial = initial_state(vocoder, 1)
        self.overlap = OverlapAdd(vocoder.mel)
        if runtime == "torch":
            self.step, self.final = (StreamingVocoder(vocoder, final).eval() for final in (False, True))
        else:
            self.step, self.final = (
                OnnxRunner(f"vocoder-{name}", partial(export_streaming_vocoder, vocoder, final=final), threads)
                for name, final in (("step", False), ("final", True))
            )

    def start(self) -> VocoderStream:
        return VocoderStream(self.step, self.final, self.initial, self.overlap, self.spectrum_lag)
