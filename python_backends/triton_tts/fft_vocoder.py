"""The neural vocoder on the CPU: onnxruntime computes its STFT frames, numpy the inverse STFT with a real FFT.

NeuralVocoder's InverseSTFT is a transposed convolution with an inverse-DFT basis: one graph, which TensorRT and
torch on a GPU run well. On the CPU it costs O(n_fft^2) per frame: 42% of the whole graph's time (onnxruntime,
one thread, a 267-frame mel: 6.2 of 14.7 ms). An inverse real FFT per frame computes the same sums in
O(n_fft log n_fft) (0.4 ms for that mel in scipy, float32): the basis is the inverse real DFT times the synthesis
window, so the audio is the same to float rounding (3e-7).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from triton_tts.mel import silence_past_end
from triton_tts.neural_vocoder import NeuralVocoder, keep_mask, padded_window
from triton_tts.onnx_export import export_graph
from triton_tts.voice_config import MelConfig

try:
    from scipy import fft
except ImportError:  # the lent GPU machines have no scipy (serving.gpu_pack): numpy's FFT, slower before numpy 2
    from numpy import fft

ENVELOPE_FLOOR = 1e-11  # InverseSTFT's: never divide by zero where no window reaches

SPECTRUM_INPUTS, SPECTRUM_OUTPUTS = ["MEL", "MEL_LENGTHS"], ["SPECTRUM"]


class OverlapAdd:
    """Inverse FFT of each STFT frame, windowed, and overlap-added hop by hop: frames are zero-padded to `span`,
    whole hops (n_fft itself for the shipped voices), so the sum is a few shifted adds."""

    def __init__(self, mel: MelConfig) -> None:
        self.n_fft, self.hop, self.trim = mel.n_fft, mel.hop_length, mel.n_fft // 2
        self.hops_per_frame = -(-mel.n_fft // mel.hop_length)
        self.span = self.hops_per_frame * self.hop
        self.window = np.pad(padded_window(mel).numpy().astype(np.float32), (0, self.span - self.n_fft))
        # The envelope of an endless frame sequence: its first `span` samples, then period hop (span - hop on).
        self.head = np.maximum(self.envelope(self.hops_per_frame)[: self.span], ENVELOPE_FLOOR)
        self.steady = self.head[self.span - self.hop :]

    def frames(self, spectrum: np.ndarray) -> np.ndarray:
        """Windowed time frames (..., F, span) of STFT frames (..., F, n_freq, 2: real, imaginary)."""
        pairs = np.ascontiguousarray(spectrum, dtype=np.float32).view(np.complex64)[..., 0]
        frames = fft.irfft(pairs, n=self.n_fft, axis=-1).astype(np.float32, copy=False)
        if self.span > self.n_fft:
            frames = np.pad(frames, [(0, 0)] * (frames.ndim - 1) + [(0, self.span - self.n_fft)])
        return frames * self.window

    def add(self, frames: np.ndarray) -> np.ndarray:
        """Frames (..., F, span) overlap-added, frame f from sample f * hop: (..., (F - 1) * hop + span)."""
        *lead, count, _ = frames.shape
        hops = frames.reshape(*lead, count, self.hops_per_frame, self.hop)
        summed = np.zeros((*lead, count + self.hops_per_frame - 1, self.hop), dtype=np.float32)
        for k in range(self.hops_per_frame):
            summed[..., k : k + count, :] += hops[..., k, :]
        return summed.reshape(*lead, -1)

    def envelope(self, count: int) -> np.ndarray:
        """The overlap-added squared window of `count` frames: what the sum of windowed frames is divided by."""
        return self.add(np.broadcast_to(self.window**2, (count, self.span)))

    def divisor(self, begin: int, end: int) -> np.ndarray:
        """The envelope at samples [begin, end) of an endless frame sequence (floored): what a row's overlap-added
        samples there are divided by, as long as the frames that reach them are all in it (or silent)."""
        head = self.head[begin : min(end, self.span)]
        start = max(begin, self.span)
        periodic = np.resize(np.roll(self.steady, -(start % self.hop)), max(0, end - start))
        return np.concatenate([head, periodic])

    def normalised(self, summed: np.ndarray, begin: int) -> np.ndarray:
        """Overlap-added samples from sample `begin` divided by the envelope and clamped to [-1, 1], as
        NeuralVocoder's audio is."""
        return np.clip(summed / self.divisor(begin, begin + summed.shape[-1]), -1.0, 1.0).astype(np.float32, copy=False)


class SpectrumGraph(nn.Module):
    """NeuralVocoder up to its STFT frames: (log-mel (B, n_mels, F), frame lengths) -> (B, F, n_freq, 2)."""

    def __init__(self, vocoder: NeuralVocoder) -> None:
        super().__init__()
        self.vocoder = vocoder

    def forward(self, log_mel: torch.Tensor, frame_lengths: torch.Tensor) -> torch.Tensor:
        return self.vocoder.spectrum_frames(log_mel, keep_mask(log_mel, frame_lengths))


def export_spectrum_graph(vocoder: NeuralVocoder, path: Path) -> None:
    """SpectrumGraph as ONNX at `path`, batch and frames dynamic."""
    example = (torch.randn(2, vocoder.mel.n_mels, 7) - 5.0, torch.tensor([7, 4]))
    axes = {"MEL": {0: "batch", 2: "frames"}, "MEL_LENGTHS": {0: "batch"}, "SPECTRUM": {0: "batch", 1: "frames"}}
    export_graph(SpectrumGraph(vocoder), example, path, SPECTRUM_INPUTS, SPECTRUM_OUTPUTS, axes)


class FftVocoder:
    """A VocoderRunner: NeuralVocoder's audio, its STFT frames on onnxruntime and the inverse STFT in numpy.

    As NeuralVocoder.forward: `n_fft // hop` silent frames are appended, so the last samples are normalised by the
    same window overlap alone or in a batch, and each row's samples past (frames - 1) * hop are zero.
    """

    def __init__(self, spectrum_graph: Callable[..., tuple[torch.Tensor, ...]], mel: MelConfig) -> None:
        self.graph = spectrum_graph  # SpectrumGraph, or its export on onnxruntime (runtimes.vocoder_runner)
        self.overlap = OverlapAdd(mel)

    def __call__(self, log_mel: torch.Tensor, frame_lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        (spectrum,) = self.graph(log_mel, frame_lengths)
        overlap, count = self.overlap, spectrum.shape[1]
        begin, end = overlap.trim, overlap.trim + (count - 1) * overlap.hop
        audio = overlap.normalised(overlap.add(overlap.frames(spectrum.numpy()))[:, begin:end], begin)
        return silence_past_end(torch.from_numpy(audio), frame_lengths, overlap.hop)
