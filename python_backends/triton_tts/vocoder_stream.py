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
Which of the two a call is, the graph reads from its inputs' shapes (the caches' width, the end paddings'
length): one graph serves every call. (Two graphs, a step and a final one, cost ~1 ms more per sentence: two
sessions with their own copies of the weights take turns in the CPU caches.) Every input comes in the shape it
is used in (a cache per layer, an end padding per width), so the exported graph computes no shapes: that was half
its nodes and a sixth of a short call's time. It gives STFT frames; VocoderStream turns them into the samples
they complete.
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

State = tuple[torch.Tensor, ...]  # the embedding's cache, then each block's


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
    """The graph's state before frame 0: each convolution's k // 2 zeros of padding, for the embedding
    (B, n_mels, k // 2) and for each block's depthwise convolution (B, dim, k // 2). Later states hold the last
    k - 1 inputs."""
    c, half = vocoder.config, vocoder.config.kernel_size // 2
    return torch.zeros(batch, vocoder.mel.n_mels, half), *(torch.zeros(batch, c.dim, half) for _ in range(c.layers))


def end_padding(vocoder: NeuralVocoder, final: bool, batch: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """The zeros after the new frames, for the embedding (B, n_mels, p) and for the blocks (B, dim, p): the
    whole model's k // 2 frames of padding after the last frame on the last call (p = k // 2), none before."""
    width = vocoder.config.kernel_size // 2 if final else 0
    return torch.zeros(batch, vocoder.mel.n_mels, width), torch.zeros(batch, vocoder.config.dim, width)


def input_names(vocoder: NeuralVocoder) -> list[str]:
    """The graph's inputs in order: MEL, the two end paddings, the embedding's cache, each block's cache."""
    return ["MEL", "END_PADDING_MEL", "END_PADDING_HIDDEN", "EMBED_CACHE", *(f"BLOCK_CACHE_{i}" for i in range(vocoder.config.layers))]


class StreamingVocoder(nn.Module):
    """NeuralVocoder (sharing its parameters) up to its STFT frames, as a step over new mel frames.

    forward(mel (B, n_mels, N), *end_padding, *state) -> (STFT frames (B, M, n_freq, 2), *new state). Every
    layer works on its cached inputs, its new ones and its end padding's zeros, and outputs the frames those
    complete: on the first call (state initial_state's, k // 2 wide) M = N - spectrum_lag frames from frame 0
    (N > spectrum_lag), on later calls (k - 1 wide) M = N frames from fed - spectrum_lag, and on the last call
    spectrum_lag more, up to the last frame. Rows share N and the call's kind. A call costs about N frames of
    the whole model, plus k - 1 cached frames per convolution.
    """

    def __init__(self, vocoder: NeuralVocoder) -> None:
        super().__init__()
        if vocoder.config.kernel_size < 3 or vocoder.config.kernel_size % 2 == 0:
            raise ValueError(f"the incremental vocoder needs an odd kernel of 3 or more, not {vocoder.config.kernel_size}")
        self.vocoder = vocoder
        self.half = vocoder.config.kernel_size // 2

    def forward(self, mel: torch.Tensor, end_mel: torch.Tensor, end_hidden: torch.Tensor, embed_cache: torch.Tensor,
                *block_caches: torch.Tensor) -> tuple[torch.Tensor, ...]:
        v = self.vocoder
        x, cache = self._window(embed_cache, (mel - v.mel_offset) * v.mel_scale, end_mel)
        caches = [cache]
        h = v.embed_norm(F.conv1d(x, v.embed.weight, v.embed.bias).transpose(1, 2)).transpose(1, 2)
        for block, block_cache in zip(v.blocks, block_caches):
            x, cache = self._window(block_cache, h, end_hidden)
            caches.append(cache)
            mixed = F.conv1d(x, block.depthwise.weight, block.depthwise.bias, groups=x.shape[1])
            h = x[..., self.half : -self.half] + block.update(mixed)
        log_magnitude, phase = v.head(v.final_norm(h.transpose(1, 2))).chunk(2, dim=-1)
        magnitude = torch.exp(torch.clamp(log_magnitude, max=6.0))
        spectrum = torch.stack([magnitude * torch.cos(phase), magnitude * torch.sin(phase)], dim=-1)
        return spectrum, *caches

    def _window(self, cache: torch.Tensor, new: torch.Tensor, end: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A convolution's inputs (cached frames, new ones, the end's zeros) and the cache for the next call: the
        last k - 1 inputs before the end's zeros."""
        x = torch.cat([cache, new], dim=-1)
        return torch.cat([x, end], dim=-1), x[..., -2 * self.half :]


def export_streaming_vocoder(vocoder: NeuralVocoder, path: Path) -> None:
    """The step graph as ONNX at `path`: batch, frames, the end paddings' length and the caches' width dynamic."""
    inputs = input_names(vocoder)
    outputs = ["SPECTRUM", *(f"{name}_OUT" for name in inputs[3:])]
    axes = {name: {0: "batch", 2: "frames"} for name in inputs + outputs}
    axes["SPECTRUM"] = {0: "batch", 1: "frames"}
    wide = tuple(torch.cat([cache, cache], -1) for cache in initial_state(vocoder, 2))
    example = (torch.randn(2, vocoder.mel.n_mels, 5) - 5.0, *end_padding(vocoder, True, 2), *wide)
    export_graph(StreamingVocoder(vocoder), example, path, inputs, outputs, axes)


Graph = Callable[..., tuple[torch.Tensor, ...]]


class VocoderStream:
    """One utterance through the incremental vocoder: its mel frames fed in order, the last ones as final; the
    graph's STFT frames overlap-added here, and the samples they complete normalised and emitted.

    The first graph call needs more than spectrum_lag frames (or the last ones): until then frames are held,
    and their calls emit nothing, as the lag says they would."""

    def __init__(self, graph: Graph, state: State, overlap: OverlapAdd, lag: int, paddings: dict[bool, tuple[torch.Tensor, ...]]) -> None:
        """`paddings`: end_padding's tensors for a call that is not the last (False) and for the last (True)."""
        self.graph, self.state = graph, state
        self.overlap, self.spectrum_lag = overlap, lag
        self.paddings = paddings
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
        inputs = (torch.from_numpy(np.ascontiguousarray(mel[None], dtype=np.float32)), *self.paddings[final], *self.state)
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
        self.paddings = {final: end_padding(vocoder, final) for final in (False, True)}
        self.overlap = OverlapAdd(vocoder.mel)
        if runtime == "torch":
            self.graph = StreamingVocoder(vocoder).eval()
        else:
            self.graph = OnnxRunner("vocoder-step", partial(export_streaming_vocoder, vocoder), threads)

    def start(self) -> VocoderStream:
        return VocoderStream(self.graph, self.initial, self.overlap, self.spectrum_lag, self.paddings)
