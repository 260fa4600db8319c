"""A small Vocos-style neural vocoder: log-mel frames -> STFT magnitude and phase per frame -> inverse STFT.

All layers run at the frame rate (256x fewer steps than the waveform), and the inverse STFT is a transposed
convolution with a fixed inverse-DFT basis, so the whole vocoder is one ONNX/TensorRT graph. It has the
same call as GriffinLim: (log-mel (B, n_mels, F), frame lengths) -> (audio (B, samples), sample lengths).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from triton_tts.mel import silence_past_end
from triton_tts.voice_config import MelConfig


@dataclass(frozen=True)
class NeuralVocoderConfig:
    """Model sizes; the STFT is the voice's MelConfig (n_fft, hop, window)."""

    dim: int = 192
    intermediate: int = 576
    layers: int = 6
    kernel_size: int = 7

    @classmethod
    def from_dict(cls, data: dict) -> "NeuralVocoderConfig":
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)


def padded_window(mel: MelConfig) -> torch.Tensor:
    """Hann window of win_length centred in n_fft samples (what torch.stft/istft do)."""
    window = torch.hann_window(mel.win_length, dtype=torch.float64)
    left = (mel.n_fft - mel.win_length) // 2
    return F.pad(window, (left, mel.n_fft - mel.win_length - left))


class InverseSTFT(nn.Module):
    """Centred inverse STFT as a transposed convolution: (real, imag) (B, n_fft // 2 + 1, F) -> (B, (F - 1) * hop).

    Each frame's one-sided spectrum times the inverse real DFT basis (already multiplied by the synthesis window)
    gives a windowed frame; the stride-hop transposed convolution overlap-adds them; dividing by the overlap-added
    squared window and cutting n_fft // 2 samples from each end gives what torch.istft(center=True) gives.
    """

    def __init__(self, mel: MelConfig) -> None:
        super().__init__()
        n_fft, self.hop = mel.n_fft, mel.hop_length
        window = padded_window(mel)
        n = torch.arange(n_fft, dtype=torch.float64)
        k = torch.arange(n_fft // 2 + 1, dtype=torch.float64)
        scale = torch.full_like(k, 2.0 / n_fft)
        scale[0] = 1.0 / n_fft
        if n_fft % 2 == 0:
            scale[-1] = 1.0 / n_fft
        angles = 2 * math.pi * k[:, None] * n[None, :] / n_fft
        basis = torch.cat([scale[:, None] * torch.cos(angles), -scale[:, None] * torch.sin(angles)]) * window
        self.register_buffer("basis", basis[:, None, :].float(), persistent=False)
        self.register_buffer("window_squared", (window**2)[None, None, :].float(), persistent=False)
        self.trim = n_fft // 2

    def forward(self, real: torch.Tensor, imag: torch.Tensor) -> torch.Tensor:
        frames = torch.cat([real, imag], dim=1)
        audio = F.conv_transpose1d(frames, self.basis, stride=self.hop)
        envelope = F.conv_transpose1d(torch.ones_like(frames[:1, :1, :]), self.window_squared, stride=self.hop)
        audio = audio / torch.clamp(envelope, min=1e-11)
        n_samples = (frames.shape[-1] - 1) * self.hop
        return audio[:, 0, self.trim : self.trim + n_samples]


class ConvNeXtBlock(nn.Module):
    """Depthwise conv over frames, layer norm, pointwise MLP, scaled residual (ConvNeXt, as in Vocos)."""

    def __init__(self, c: NeuralVocoderConfig) -> None:
        super().__init__()
        self.depthwise = nn.Conv1d(c.dim, c.dim, c.kernel_size, padding=c.kernel_size // 2, groups=c.dim)
        self.norm = nn.LayerNorm(c.dim, eps=1e-6)
        self.expand = nn.Linear(c.dim, c.intermediate)
        self.project = nn.Linear(c.intermediate, c.dim)
        self.scale = nn.Parameter(torch.full((c.dim,), 1.0 / c.layers))

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        return x + self.update(self.depthwise(x * keep))

    def update(self, mixed: torch.Tensor) -> torch.Tensor:
        """The residual update from the depthwise convolution's output (B, dim, F): per frame."""
        y = self.project(F.gelu(self.expand(self.norm(mixed.transpose(1, 2)))))
        return (self.scale * y).transpose(1, 2)


class NeuralVocoder(nn.Module):
    """Mel -> ConvNeXt backbone -> (log magnitude, phase) per STFT bin -> InverseSTFT.

    Hidden frames past an utterance's end are zeroed before every convolution, exactly what a lone utterance's
    zero padding gives, and silent frames are appended before the inverse STFT so its last samples are normalised
    by the same window overlap alone or in a batch: an utterance's audio does not depend on what it is batched with.
    """

    def __init__(self, mel: MelConfig, config: NeuralVocoderConfig) -> None:
        super().__init__()
        self.mel = mel
        self.config = config
        n_freq = mel.n_fft // 2 + 1
        self.embed = nn.Conv1d(mel.n_mels, config.dim, config.kernel_size, padding=config.kernel_size // 2)
        self.embed_norm = nn.LayerNorm(config.dim, eps=1e-6)
        self.blocks = nn.ModuleList(ConvNeXtBlock(config) for _ in range(config.layers))
        self.final_norm = nn.LayerNorm(config.dim, eps=1e-6)
        self.head = nn.Linear(config.dim, 2 * n_freq)
        self.istft = InverseSTFT(mel)
        # Input log-mels are centred and scaled to about unit range (log floor 1e-5 -> -1.5).
        self.register_buffer("mel_offset", torch.tensor(-4.0), persistent=False)
        self.register_buffer("mel_scale", torch.tensor(1.0 / 5.0), persistent=False)

    def spectrum_frames(self, log_mel: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """STFT frames (B, F, n_freq, 2: real, imaginary) for log-mel frames; `keep` (B, 1, F) marks real frames.
        Frame-major, so a CPU runtime can view the pairs as complex numbers for an inverse FFT (fft_vocoder)."""
        x = (log_mel - self.mel_offset) * self.mel_scale * keep
        x = self.embed_norm(self.embed(x).transpose(1, 2)).transpose(1, 2)
        for block in self.blocks:
            x = block(x, keep)
        log_magnitude, phase = self.head(self.final_norm(x.transpose(1, 2))).chunk(2, dim=-1)
        magnitude = torch.exp(torch.clamp(log_magnitude, max=6.0)) * keep.transpose(1, 2)
        return torch.stack([magnitude * torch.cos(phase), magnitude * torch.sin(phase)], dim=-1)

    def forward(self, log_mel: torch.Tensor, frame_lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        frames = self.spectrum_frames(log_mel, keep_mask(log_mel, frame_lengths))
        tail = self.mel.n_fft // self.mel.hop_length
        real, imag = (F.pad(frames[..., part].transpose(1, 2), (0, tail)) for part in (0, 1))
        n_samples = (log_mel.shape[-1] - 1) * self.mel.hop_length
        audio = torch.clamp(self.istft(real, imag)[:, :n_samples], -1.0, 1.0)
        return silence_past_end(audio, frame_lengths, self.mel.hop_length)


def keep_mask(log_mel: torch.Tensor, frame_lengths: torch.Tensor) -> torch.Tensor:
    """(B, 1, F) 1 for each row's real frames, 0 for the padding past its length."""
    frames = torch.arange(log_mel.shape[-1], device=log_mel.device)
    return (frames[None, :] < frame_lengths[:, None]).to(log_mel.dtype)[:, None, :]
