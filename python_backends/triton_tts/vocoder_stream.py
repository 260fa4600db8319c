"""The neural vocoder run incrementally: each call vocodes only the mel frames it is given, and state carries over.

Streaming with NeuralVocoder itself recomputes limits.VOCODER_CONTEXT_FRAMES of mel on both sides of every
chunk. Yet each of its layers is a convolution over frames (kernel k, zero padding k // 2) and then per-frame
work, so a layer can keep its last k - 1 inputs and compute just the outputs that its new inputs complete, k // 2
frames behind its newest input; the inverse STFT (in numpy, by FFT: fft_vocoder) keeps its un-normalised
overlap-add tail. The audio of all the calls joined is NeuralVocoder's audio of the whole mel (to float rounding)
wherever the calls split the mel.

Each layer computes each of its frames once, as the whole model does: the first call starts every layer on
k // 2 zeros (the whole model's padding before frame 0), and the last call ends every layer on k // 2 zeros (its
padding after the last frame), so no layer computes frames outside the utterance and nothing needs masking.
Which of the two a call is, the graph reads from its inputs' shapes (the caches' width, END_PADDING's length):
one graph serves every call. (Two graphs, a step and a final one, cost ~1 ms more per sentence: two sessions
with their own copies of the weights take turns in the CPU caches.) It gives STFT frames; VocoderStream turns
them into the samples they complete.
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
from triton_tts.neural_vocoder import NeuralVocoder
from triton_tts.onnx_export import export_graph
from triton_tts.runtimes import OnnxRunner, check_runtime

State = tuple[torch.Tensor, torch.Tensor]

STREAM_INPUTS = ["MEL", "END_PADDING", "EMBED_CACHE", "BLOCK_CACHE"]  # ONNX tensor names
STREAM_OUTPUTS = ["SPECTRUM", "EMBED_CACHE_OUT", "BLOCK_CACHE_OUT"]


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
    """The graphs' state before frame 0: each convolution's k // 2 zeros of padding, for the embedding
    (B, n_mels, k // 2) and each block's depthwise convolution (B, layers, dim, k // 2). Later states hold the
    last k - 1 inputs."""
    c, mel = vocoder.config, vocoder.mel
    half = c.kernel_size // 2
    return torch.zeros(batch, mel.n_mels, half), torch.zeros(batch, c.layers, c.dim, half)


class StreamingVocoder(nn.Module):
    """NeuralVocoder (sharing its parameters) up to its STFT frames, as a step over new mel frames.

    forward(mel (B, n_mels, N), end_padding (1, 1, 0 or k // 2), *state) -> (STFT frames (B, M, n_freq, 2),
    *new state). Every layer works on its cached inputs, its new ones and end_padding's zeros, and outputs
    the frames those complete: on the first call (state initial_state's, k // 2 wide) M = N - spectrum_lag
    frames from frame 0 (N > spectrum_lag), on later calls (k - 1 wide) M = N frames from fed - spectrum_lag,
    and on the last call spectrum_lag more, up to the last frame. Rows share N and the call's kind. A call
    costs about N frames of the whole model, plus k - 1 cached frames per convolution.
    """

    def __init__(self, vocoder: NeuralVocoder) -> None:
        super().__init__()
        self.vocoder = vocoder
        self.half = vocoder.config.kernel_size // 2

    def forward(self, mel: torch.Tensor, end_padding: torch.Tensor, embed_cache: torch.Tensor, block_cache: torch.Tensor) -> tuple[torch.Tensor, ...]:
        v = self.vocoder
        x, embed_cache = self._window(embed_cache, (mel - v.mel_offset) * v.mel_scale, end_padding)
        h = v.embed_norm(F.conv1d(x, v.embed.weight, v.embed.bias).transpose(1, 2)).transpose(1, 2)
        block_caches = []
        for i, block in enumerate(v.blocks):
            x, cache = self._window(block_cache[:, i], h, end_padding)
            block_caches.append(cache)
            mixed = F.conv1d(x, block.depthwise.weight, block.depthwise.bias, groups=x.shape[1])
            h = x[..., self.half : x.shape[-1] - self.half] + block.update(mixed)
        log_magnitude, phase = v.head(v.final_norm(h.transpose(1, 2))).chunk(2, dim=-1)
        magnitude = torch.exp(torch.clamp(log_magnitude, max=6.0))
        spectrum = torch.stack([magnitude * torch.cos(phase), magnitude * torch.sin(phase)], dim=-1)
        return spectrum, embed_cache, torch.stack(block_caches, dim=1)

    def _window(self, cache: torch.Tensor, new: torch.Tensor, end_padding: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A convolution's inputs (cached frames, new ones, the end's zeros) and the cache for the next call:
        the last k - 1 inputs before the end's zeros."""
        x = torch.cat([cache, new], dim=-1)
        zeros = end_padding.expand(x.shape[0], x.shape[1], -1)
        return torch.cat([x, zeros], dim=-1), x[..., -2 * self.half :]


def export_streaming_vocoder(vocoder: NeuralVocoder, path: Path) -> None:
    """The step graph as ONNX at `path`: batch, frames, END_PADDING's length and the caches' width dynamic."""
    axes = {name: {0: "batch"} for name in STREAM_INPUTS + STREAM_OUTPUTS}
    axes["MEL"] = {0: "batch", 2: "frames"}
    axes["END_PADDING"] = {2: "padding"}
    axes["SPECTRUM"] = {0: "batch", 1: "frames"}
    for name in ("EMBED_CACHE", "EMBED_CACHE_OUT"):
        axes[name] = {0: "batch", 2: "cached"}
    for name in ("BLOCK_CACHE", "BLOCK_CACHE_OUT"):
        axes[name] = {0: "batch", 3: "cached"}
    embed, blocks = initial_state(vocoder, 2)
    wide = (torch.randn(2, vocoder.mel.n_mels, 5) - 5.0, torch.zeros(1, 1, vocoder.config.kernel_size // 2), torch.cat([embed, embed], -1), torch.cat([blocks, blocks], -1))
    export_graph(StreamingVocoder(vocoder), wide, path, STREAM_INPUTS, STREAM_OUTPUTS, axes)


Graph = Callable[..., tuple[torch.Tensor, ...]]


class VocoderStream:
    """One utterance through the incremental vocoder: its mel frames fed in order, the last ones as final; the
    graph's STFT frames overlap-added here, and the samples they complete normalised and emitted.

    The first graph call needs more than spectrum_lag frames (or the last ones): until then frames are held,
    and their calls emit nothing, as the lag says they would."""

    def __init__(self, graph: Graph, state: State, overlap: OverlapAdd, lag: int, half_kernel: int) -> None:
        self.graph, self.state = graph, state
        self.overlap, self.spectrum_lag = overlap, lag
        self.paddings = {False: torch.zeros(1, 1, 0), True: torch.zeros(1, 1, half_kernel)}  # END_PADDING
        self.tail = np.zeros(overlap.span - overlap.hop, dtype=np.float32)  # overlap-added, not yet complete
        self.held: list[np.ndarray] = []  # frames before the first call
        self.fed = 0  # frames through the graph
        self.finished = False

    def feed(self, mel: np.ndarray, final: bool) -> np.ndarray:
        """The samples that the next frames `mel` (n_mels, N >= 1) complete; with `final`, every sample left."""
        if self.finished:
            raise RuntimeError("this vocoder stream is finished")
        if self.fed == 0:
            self.held.append(mel)
            mel = np.concatenate(self.held, axis=1) if len(self.held) > 1 else mel
            if not final and mel.shape[1] <= self.spectrum_lag:
                return np.zeros(0, dtype=np.float32)
        frames = mel.shape[1]
        inputs = (torch.from_numpy(np.ascontiguousarray(mel[None], dtype=np.float32)), self.paddings[final], *self.state)
        with torch.inference_mode():
            spectrum, *state = self.graph(*inputs)
        audio = self._emit(spectrum[0].numpy(), frames, final)
        self.state, self.fed, self.finished, self.held = tuple(state), self.fed + frames, final, []
        return audio

    def _emit(self, spectrum: np.ndarray, frames: int, final: bool) -> np.ndarray:
        """Overlap-add the STFT frames `spectrum` (M, n_freq, 2) onto the tail, keep the new tail, and return the
        samples complete from where the last call stopped, normalised. Sample positions here are before the
        inverse STFT's n_fft // 2 trim."""
        o = self.overlap
        added = o.add(o.frames(spectrum))
        added[: self.tail.size] += self.tail
        first = max(0, self.fed - self.spectrum_lag) * o.hop  # the position of added[0]: the first call's is frame 0
        complete = added.size if final else spectrum.shape[0] * o.hop
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
        self.half_kernel = vocoder.config.kernel_size // 2
        self.overlap = OverlapAdd(vocoder.mel)
        if runtime == "torch":
            self.graph = StreamingVocoder(vocoder).eval()
        else:
            self.graph = OnnxRunner("vocoder-step", partial(export_streaming_vocoder, vocoder), threads)

    def start(self) -> VocoderStream:
        return VocoderStream(self.graph, self.initial, self.overlap, self.spectrum_lag, self.half_kernel)
