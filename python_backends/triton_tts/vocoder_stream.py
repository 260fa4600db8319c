"""The neural vocoder run incrementally: each call vocodes only the mel frames it is given, and state carries over.

Streaming with NeuralVocoder itself recomputes limits.VOCODER_CONTEXT_FRAMES of mel on both sides of every
chunk. Yet each of its layers is a convolution over frames (kernel k, zero padding k // 2) and then per-frame
work, so a layer can keep its last k - 1 inputs and compute just the outputs that its new inputs complete, k // 2
frames behind its newest input; the inverse STFT keeps its un-normalised overlap-add tail. The audio of all the
calls joined is NeuralVocoder's audio of the whole mel (to float rounding) wherever the calls split the mel.

There are two graphs: a step (more frames follow) and a final step (the last N >= 1 frames: each layer is
flushed with the zero padding the whole model sees past the end, and every sample left is emitted).
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

from triton_tts.neural_vocoder import ConvNeXtBlock, InverseSTFT, NeuralVocoder
from triton_tts.onnx_export import OPSET
from triton_tts.runtimes import OnnxRunner, check_runtime

State = tuple[torch.Tensor, torch.Tensor, torch.Tensor]

# ONNX tensor names; the final graph has no state outputs (the stream is over).
STREAM_INPUTS = ["MEL", "FRAMES_BEFORE", "EMBED_CACHE", "BLOCK_CACHE", "OVERLAP_TAIL"]
STEP_OUTPUTS = ["AUDIO", "EMBED_CACHE_OUT", "BLOCK_CACHE_OUT", "OVERLAP_TAIL_OUT"]
FINAL_OUTPUTS = ["AUDIO"]


def lag_frames(vocoder: NeuralVocoder) -> int:
    """Frames fed beyond a frame before its audio is out: the audio of frames [0, k) has been emitted once
    k + lag_frames frames are fed (or the stream is finished). 23 for the shipped vocoder: 3 per convolution
    (the embedding and 6 blocks), and 2 for the inverse STFT's overlap past its n_fft // 2 trim."""
    return _spectrum_lag(vocoder) + math.ceil(vocoder.istft.trim / vocoder.mel.hop_length)


def _spectrum_lag(vocoder: NeuralVocoder) -> int:
    """Frames a spectrum frame is computed behind the newest mel frame: kernel // 2 per convolution."""
    c = vocoder.config
    return c.kernel_size // 2 * (c.layers + 1)


def emitted_samples(vocoder: NeuralVocoder, frames_before: int, frames: int, final: bool) -> int:
    """How many samples a call emits for a row that had fed `frames_before` frames and now feeds `frames`."""
    hop, trim, lag = vocoder.mel.hop_length, vocoder.istft.trim, _spectrum_lag(vocoder)
    done_from = max(0, (frames_before - lag) * hop - trim)
    done_to = (frames_before + frames - 1) * hop if final else max(0, (frames_before + frames - lag) * hop - trim)
    return done_to - done_from


def initial_state(vocoder: NeuralVocoder, batch: int) -> State:
    """The state before frame 0, all zeros (the whole model's zero padding): the last kernel - 1 inputs of the
    embedding (B, n_mels, kernel - 1) and of each block's depthwise convolution (B, layers, dim, kernel - 1),
    and the inverse STFT's overlap-add tail not yet complete (B, n_fft - hop)."""
    c, mel = vocoder.config, vocoder.mel
    return (
        torch.zeros(batch, mel.n_mels, c.kernel_size - 1),
        torch.zeros(batch, c.layers, c.dim, c.kernel_size - 1),
        torch.zeros(batch, mel.n_fft - mel.hop_length),
    )


def _envelope_head(istft: InverseSTFT, n_fft: int) -> torch.Tensor:
    """The overlap-added squared window at samples [0, n_fft), as InverseSTFT computes it: short of a frame
    before sample n_fft - hop, periodic with period hop from there on."""
    frames = torch.ones(1, 1, (n_fft - 1) // istft.hop + 1)
    return F.conv_transpose1d(frames, istft.window_squared, stride=istft.hop)[0, 0, :n_fft]


class StreamingVocoder(nn.Module):
    """NeuralVocoder (sharing its parameters) as a step over new mel frames; `final` picks the graph.

    forward(mel (B, n_mels, N), frames_before (B,), *state) -> (audio (B, S), *new state), or (audio,) when
    final. Rows share N; a row's audio is its first emitted_samples(...) of the S (all S when rows are at the
    same point of their streams). The last N >= 1 frames go through the final graph, whose utterance then ends
    at frames_before + N (so no end-frame input). A call costs about N frames of the whole model, plus
    kernel - 1 cached frames per convolution (and on the final call, the flush of the lag's frames).
    """

    def __init__(self, vocoder: NeuralVocoder, final: bool) -> None:
        super().__init__()
        self.vocoder, self.final = vocoder, final
        self.half = vocoder.config.kernel_size // 2
        self.hop, self.trim = vocoder.mel.hop_length, vocoder.istft.trim
        self.tail = vocoder.mel.n_fft - self.hop
        if vocoder.mel.n_fft % self.hop or self.trim % self.hop:
            raise ValueError(f"the incremental vocoder needs n_fft ({vocoder.mel.n_fft}) a multiple of hop_length ({self.hop})")
        self.spectrum_lag = _spectrum_lag(vocoder)
        # The overlap-added squared window hop by hop: row k for the samples of hop k, the last row from then on.
        envelope = _envelope_head(vocoder.istft, vocoder.mel.n_fft).reshape(-1, self.hop)
        self.register_buffer("envelope_hops", envelope, persistent=False)

    def forward(
        self, mel: torch.Tensor, frames_before: torch.Tensor, embed_cache: torch.Tensor, block_cache: torch.Tensor,
        overlap_tail: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
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
        magnitude_phase = v.head(v.final_norm(h.transpose(1, 2))).transpose(1, 2)
        log_magnitude, phase = magnitude_phase.chunk(2, dim=1)
        magnitude = torch.exp(torch.clamp(log_magnitude, max=6.0)) * self._real(frames_before, lag, h)
        spectrum = torch.cat([magnitude * torch.cos(phase), magnitude * torch.sin(phase)], dim=1)
        added = F.conv_transpose1d(spectrum, v.istft.basis, stride=self.hop)[:, 0]
        added = torch.cat([added[:, : self.tail] + overlap_tail, added[:, self.tail :]], dim=1)
        n_new = mel.shape[-1]
        if self.final:
            return (self._emit(added, frames_before, (frames_before + n_new - 1) * self.hop),)
        done_to = torch.clamp((frames_before + n_new - self.spectrum_lag) * self.hop - self.trim, min=0)
        audio = self._emit(added[:, : added.shape[1] - self.tail], frames_before, done_to)
        return audio, embed_cache, torch.stack(block_caches, dim=1), added[:, added.shape[1] - self.tail :]

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

    def _emit(self, added: torch.Tensor, frames_before: torch.Tensor, done_to: torch.Tensor) -> torch.Tensor:
        """The output samples from where the previous call stopped to done_to (B,), per row, left-aligned and
        zero-padded to the longest row: overlap-added samples divided by the window envelope at their absolute
        position, and clamped as the whole model clamps them. Every bound is a whole hop (n_fft and the trim
        are), so rows are gathered and divided hop by hop, not sample by sample."""
        first = frames_before - self.spectrum_lag  # the hop of `added`'s first sample (before the trim)
        done_from = torch.clamp(first * self.hop - self.trim, min=0)
        hops = (done_to - done_from) // self.hop
        steps = torch.arange(hops.max(), device=added.device)[None, :]
        position = (done_from + self.trim) // self.hop  # the first emitted hop, from the utterance's start
        added_hops = added.reshape(added.shape[0], -1, self.hop)
        index = torch.clamp((position - first)[:, None] + steps, max=added_hops.shape[1] - 1)
        picked = torch.gather(added_hops, 1, index[:, :, None].expand(-1, -1, self.hop))
        envelope = self.envelope_hops[torch.clamp(position[:, None] + steps, max=self.envelope_hops.shape[0] - 1)]
        audio = torch.clamp(picked / torch.clamp(envelope, min=1e-11), -1.0, 1.0) * (steps < hops[:, None]).to(added.dtype)[:, :, None]
        return audio.reshape(added.shape[0], -1)


def export_streaming_vocoder(vocoder: NeuralVocoder, path: Path, final: bool) -> None:
    """Trace the step (or final step) graph into an ONNX file at `path` and check it; batch, frames and samples
    stay dynamic, and so does how many samples a call emits (it depends on FRAMES_BEFORE)."""
    outputs = FINAL_OUTPUTS if final else STEP_OUTPUTS
    axes = {name: {0: "batch"} for name in STREAM_INPUTS + outputs}
    axes["MEL"] = {0: "batch", 2: "frames"}
    axes["AUDIO"] = {0: "batch", 1: "samples"}
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
    """One utterance through the incremental vocoder: its mel frames fed in order, the last ones as final."""

    def __init__(self, step: Graph, final: Graph, state: State) -> None:
        self.step, self.final, self.state = step, final, state
        self.fed = 0
        self.finished = False

    def feed(self, mel: np.ndarray, final: bool) -> np.ndarray:
        """The samples that the next frames `mel` (n_mels, N >= 1) complete; with `final`, every sample left."""
        if self.finished:
            raise RuntimeError("this vocoder stream is finished")
        inputs = (torch.from_numpy(np.ascontiguousarray(mel[None], dtype=np.float32)), torch.tensor([self.fed]), *self.state)
        with torch.inference_mode():
            outputs = (self.final if final else self.step)(*inputs)
        self.state, self.fed, self.finished = tuple(outputs[1:]), self.fed + mel.shape[1], final
        return outputs[0][0].numpy()


class IncrementalVocoder:
    """StreamingVocoder's step and final graphs on a runtime: torch, or onnxruntime on graphs exported from the
    loaded weights at start-up. Thread-safe: each stream's state is its own."""

    def __init__(self, vocoder: NeuralVocoder, runtime: str = "onnxruntime", threads: int = 1) -> None:
        check_runtime(runtime)
        self.lag = lag_frames(vocoder)
        self.initial = initial_state(vocoder, 1)
        if runtime == "torch":
            self.step, self.final = (StreamingVocoder(vocoder, final).eval() for final in (False, True))
        else:
            self.step, self.final = (
                OnnxRunner(f"vocoder-{name}", partial(export_streaming_vocoder, vocoder, final=final), threads)
                for name, final in (("step", False), ("final", True))
            )

    def start(self) -> VocoderStream:
        return VocoderStream(self.step, self.final, self.initial)
