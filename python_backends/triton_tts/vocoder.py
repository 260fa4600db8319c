"""Vocoders: log-mel (B, n_mels, F) + frame lengths -> waveform (B, samples) in [-1, 1] + sample lengths.

Griffin-Lim: no training, any voice, torch only; the fallback to the neural vocoder (triton_tts.neural_vocoder),
which has the same call.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from triton_tts.mel import mel_filterbank, silence_past_end
from triton_tts.voice_config import MelConfig


def _fixed_phase(n_freq: int, n_frames: int) -> torch.Tensor:
    """Pseudo-random start phases that depend only on (bin, frame): batching cannot change the result."""
    bins = torch.arange(n_freq, dtype=torch.float64)[:, None]
    frames = torch.arange(n_frames, dtype=torch.float64)[None, :]
    noise = torch.frac(torch.sin(bins * 12.9898 + frames * 78.233) * 43758.5453)
    return (2 * math.pi * noise).float()


class GriffinLim(nn.Module):
    """Mel pseudo-inverse, then fast Griffin-Lim (momentum) iterations.

    Every utterance gets silent frames appended (more than one window's reach) and the STFT pads with zeros,
    so the frames of an utterance see the same neighbourhood alone or padded in a batch: batching does not
    change its audio.
    """

    def __init__(self, mel: MelConfig, iterations: int = 32, momentum: float = 0.99) -> None:
        super().__init__()
        self.mel = mel
        self.iterations = iterations
        self.momentum = momentum
        self.register_buffer("inverse_filters", torch.linalg.pinv(mel_filterbank(mel)), persistent=False)
        self.register_buffer("window", torch.hann_window(mel.win_length), persistent=False)

    def magnitudes(self, log_mel: torch.Tensor) -> torch.Tensor:
        """Least-squares linear magnitudes from log-mel, (B, n_fft // 2 + 1, F)."""
        return torch.clamp(torch.matmul(self.inverse_filters, torch.exp(log_mel)), min=0.0)

    def _istft(self, spec: torch.Tensor, length: int) -> torch.Tensor:
        c = self.mel
        return torch.istft(spec, c.n_fft, c.hop_length, c.win_length, self.window, center=True, length=length)

    def _stft(self, audio: torch.Tensor) -> torch.Tensor:
        c = self.mel
        return torch.stft(
            audio, c.n_fft, c.hop_length, c.win_length, self.window, center=True, pad_mode="constant", return_complex=True
        )

    def forward(self, log_mel: torch.Tensor, frame_lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        tail = self.mel.n_fft // self.mel.hop_length + 1
        magnitude = torch.nn.functional.pad(self.magnitudes(log_mel), (0, tail))
        n_samples = (magnitude.shape[-1] - 1) * self.mel.hop_length
        frame_mask = (torch.arange(magnitude.shape[-1])[None, :] < frame_lengths[:, None])[:, None, :]
        magnitude = magnitude * frame_mask
        phase = torch.polar(torch.ones_like(magnitude), _fixed_phase(*magnitude.shape[1:]))
        previous = torch.zeros_like(phase)
        for _ in range(self.iterations):
            rebuilt = self._stft(self._istft(magnitude * phase, n_samples))
            accelerated = rebuilt - (self.momentum / (1 + self.momentum)) * previous
            previous = rebuilt
            phase = accelerated / torch.clamp(accelerated.abs(), min=1e-8)
        audio = torch.clamp(self._istft(magnitude * phase, n_samples), -1.0, 1.0)
        return silence_past_end(audio, frame_lengths, self.mel.hop_length)
