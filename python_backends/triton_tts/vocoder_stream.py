"""The neural vocoder run incrementally: each call vocodes only the mel frames it is given, and state carries over.

Streaming with NeuralVocoder itself recomputes limits.VOCODER_CONTEXT_FRAMES of mel on both sides of every
chunk. Yet each of its layers is a convolution over frames (kernel k, zero padding k // 2) and then per-frame
work, so a layer can keep its last k - 1 inputs and compute just the outputs that its new inputs complete, k // 2
frames behind its newest input; the inverse STFT (in numpy, by FFT: fft_vocoder) keeps its un-normalised
overlap-add tail. The audio of all the calls joined is NeuralVocoder's audio of the whole mel (to float rounding)
wherever the calls split the mel.

One graph serves every call, the last one too: it is told where the utterance ends (FRAMES_TOTAL), zeroes
every layer's frames past it as the whole model's padding does, and the last call appends spectrum_lag frames
of that padding to flush the layers. (Two graphs, a step and a final one with the padding built in, cost ~1 ms
more per sentence: two sessions with their own copies of the weights take turns in the CPU caches.) It gives
STFT frames; VocoderStream turns them into the samples they complete.
"""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from triton_tts.fft_vocoder import OverlapAdd
from triton_tts.neural_vocoder import ConvNeXtBlock, NeuralVocoder
from triton_tts.onnx_export import export_graph
from triton_tts.runtimes import OnnxRunner, check_runtime

State = tuple[torch.Tensor, torch.Tensor]

STREAM_INPUTS = ["MEL", "FRAMES_BEFORE", "FRAMES_TOTAL", "EMBED_CACHE", "BLOCK_CACHE"]  # ONNX tensor names
STREAM_OUTPUTS = ["SPECTRUM", "EMBED_CACHE_OUT", "BLOCK_CACHE_OUT"]
UNKNOWN_END = torch.iinfo(torch.int64).max  # FRAMES_TOTAL while more frames follow


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
    """NeuralVocoder (sharing its parameters) up to its STFT frames, as a step over new mel frames.

    forward(mel (B, n_mels, N), frames_before (B,), frames_total (B,), *state) -> (STFT frames (B, N, n_freq, 2),
    *new state). The N frames are those at positions frames_before - spectrum_lag on; frames at negative
    positions or at frames_total and past it are zero, and so is every layer's input there (the whole model's
    zero padding). frames_total is UNKNOWN_END until the last call, which feeds the utterance's last frames and
    then spectrum_lag frames of padding (any values). Rows share N. A call costs about N frames of the whole
    model, plus kernel - 1 cached frames per convolution.
    """

    def __init__(self, vocoder: NeuralVocoder) -> None:
        super().__init__()
        self.vocoder = vocoder
        self.half = vocoder.config.kernel_size // 2

    def forward(self, mel: torch.Tensor, frames_before: torch.Tensor, frames_total: torch.Tensor, embed_cache: torch.Tensor,
                block_cache: torch.Tensor) -> tuple[torch.Tensor, ...]:
        v = self.vocoder
        positions = frames_before[:, None, None] + torch.arange(mel.shape[-1], device=mel.device)[None, None, :]
        end = frames_total[:, None, None]
        x, embed_cache = self._window(embed_cache, (mel - v.mel_offset) * v.mel_scale * (positions < end).to(mel.dtype))
        h = v.embed_norm(F.conv1d(x, v.embed.weight, v.embed.bias).transpose(1, 2)).transpose(1, 2)
        lag = self.half
        h = h * self._real(positions - lag, end, h.dtype)
        block_caches = []
        for i, block in enumerate(v.blocks):
            x, cache = self._window(block_cache[:, i], h)
            block_caches.append(cache)
            lag += self.half
            h = self._block(block, x) * self._real(positions - lag, end, h.dtype)
        log_magnitude, phase = v.head(v.final_norm(h.transpose(1, 2))).chunk(2, dim=-1)
        magnitude = torch.exp(torch.clamp(log_magnitude, max=6.0)) * self._real(positions - lag, end, h.dtype).transpose(1, 2)
        spectrum = torch.stack([magnitude * torch.cos(phase), magnitude * torch.sin(phase)], dim=-1)
        return spectrum, embed_cache, torch.stack(block_caches, dim=1)

    @staticmethod
    def _window(cache: torch.Tensor, new: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A convolution's inputs (cached frames, then new ones) and the cache for the next call: the last
        kernel - 1 inputs."""
        x = torch.cat([cache, new], dim=-1)
        return x, x[..., x.shape[-1] - cache.shape[-1] :]

    def _block(self, block: ConvNeXtBlock, x: torch.Tensor) -> torch.Tensor:
        """ConvNeXtBlock.forward without padding: the outputs at x's frames that have a whole kernel of inputs."""
        mixed = F.conv1d(x, block.depthwise.weight, block.depthwise.bias, groups=x.shape[1])
        return x[..., self.half : x.shape[-1] - self.half] + block.update(mixed)

    @staticmethod
    def _real(positions: torch.Tensor, end: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """(B, 1, frames) 1 at the utterance's frames, 0 before frame 0 and from `end` on: there the next
        convolution sees zero padding, and there are no spectrum frames."""
        return ((positions >= 0) & (positions < end)).to(dtype)


def export_streaming_vocoder(vocoder: NeuralVocoder, path: Path) -> None:
    """The step graph as ONNX at `path`, batch and frames dynamic."""
    axes = {name: {0: "batch"} for name in STREAM_INPUTS + STREAM_OUTPUTS}
    axes["MEL"] = {0: "batch", 2: "frames"}
    axes["SPECTRUM"] = {0: "batch", 1: "frames"}
    example = (torch.randn(2, vocoder.mel.n_mels, 5) - 5.0, torch.tensor([30, 3]), torch.tensor([33, UNKNOWN_END]), *initial_state(vocoder, 2))
    export_graph(StreamingVocoder(vocoder), example, path, STREAM_INPUTS, STREAM_OUTPUTS, axes)


Graph = Callable[..., tuple[torch.Tensor, ...]]


class VocoderStream:
    """One utterance through the incremental vocoder: its mel frames fed in order, the last ones as final; the
    graph's STFT frames overlap-added here, and the samples they complete normalised and emitted."""

    def __init__(self, graph: Graph, state: State, overlap: OverlapAdd, lag: int) -> None:
        self.graph, self.state = graph, state
        self.overlap, self.spectrum_lag = overlap, lag
        self.tail = np.zeros(overlap.span - overlap.hop, dtype=np.float32)  # overlap-added, not yet complete
        self.fed = 0
        self.finished = False

    def feed(self, mel: np.ndarray, final: bool) -> np.ndarray:
        """The samples that the next frames `mel` (n_mels, N >= 1) complete; with `final`, every sample left."""
        if self.finished:
            raise RuntimeError("this vocoder stream is finished")
        frames = mel.shape[1]
        padded = np.pad(mel, ((0, 0), (0, self.spectrum_lag))) if final else mel  # flushes the layers
        total = self.fed + frames if final else UNKNOWN_END
        inputs = (torch.from_numpy(np.ascontiguousarray(padded[None], dtype=np.float32)), torch.tensor([self.fed]), torch.tensor([total]), *self.state)
        with torch.inference_mode():
            spectrum, *state = self.graph(*inputs)
        audio = self._emit(spectrum[0].numpy(), frames, final)
        self.state, self.fed, self.finished = tuple(state), self.fed + frames, final
        return audio

    def _emit(self, spectrum: np.ndarray, frames: int, final: bool) -> np.ndarray:
        """Overlap-add the STFT frames `spectrum` (M, n_freq, 2) onto the tail, keep the new tail, and return the
        samples complete from where the last call stopped, normalised. Frames before frame 0 are zero and skipped
        (so is the tail then: all zero). Sample positions here are before the inverse STFT's n_fft // 2 trim."""
        o = self.overlap
        skip = min(max(0, self.spectrum_lag - self.fed), spectrum.shape[0])
        added = o.add(o.frames(spectrum[skip:]))
        added[: self.tail.size] += self.tail
        first = (self.fed - self.spectrum_lag + skip) * o.hop  # the position of added[0]
        complete = added.size if final else (spectrum.shape[0] - skip) * o.hop
        self.tail = added[complete:]
        begin = max(first, o.trim)  # the trim: samples before it are no audio
        end = o.trim + ((self.fed + frames - 1) * o.hop if final else max(0, first + complete - o.trim))
        return o.normalised(added[begin - first : end - first], begin)


class IncrementalVocoder:
    """StreamingVocoder's graph on a runtime: torch, or onnxruntime on the graph exported from the loaded
    weights at start-up. Thread-safe: each stream's state is its own."""

    def __init__(self, vocoder: NeuralVocoder, runtime: str = "onnxruntime", threads: int = 1) -> None:
        check_runtime(runtime)
        self.lag = lag_frames(vocoder)
        self.spectrum_lag = spectrum_lag(vocoder)
        self.initial = initial_state(vocoder, 1)
        self.overlap = OverlapAdd(vocoder.mel)
        if runtime == "torch":
            self.graph = StreamingVocoder(vocoder).eval()
        else:
            self.graph = OnnxRunner("vocoder-step", partial(export_streaming_vocoder, vocoder), threads)

    def start(self) -> VocoderStream:
        return VocoderStream(self.graph, self.initial, self.overlap, self.spectrum_lag)
