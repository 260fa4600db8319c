"""Log-mel spectrograms in pure torch (no torchaudio/librosa), the acoustic model's target and the vocoder's input."""

from __future__ import annotations

import math

import torch

from triton_tts.voice_config import MelConfig


def _hz_to_mel(hz: torch.Tensor) -> torch.Tensor:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    linear = hz / f_sp
    return torch.where(hz >= min_log_hz, min_log_mel + torch.log(hz / min_log_hz) / logstep, linear)


def _mel_to_hz(mel: torch.Tensor) -> torch.Tensor:
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    return torch.where(mel >= min_log_mel, min_log_hz * torch.exp(logstep * (mel - min_log_mel)), f_sp * mel)


def mel_filterbank(config: MelConfig) -> torch.Tensor:
    """Slaney-normalised triangular filters, shape (n_mels, n_fft // 2 + 1)."""
    fft_hz = torch.linspace(0, config.sample_rate / 2, config.n_fft // 2 + 1, dtype=torch.float64)
    mel_points = torch.linspace(
        _hz_to_mel(torch.tensor(config.f_min, dtype=torch.float64)),
        _hz_to_mel(torch.tensor(config.f_max, dtype=torch.float64)),
        config.n_mels + 2,
        dtype=torch.float64,
    )
    hz_points = _mel_to_hz(mel_points)
    lower, centre, upper = hz_points[:-2, None], hz_points[1:-1, None], hz_points[2:, None]
    rising = (fft_hz[None, :] - lower) / (centre - lower)
    falling = (upper - fft_hz[None, :]) / (upper - centre)
    filters = torch.clamp(torch.minimum(rising, falling), min=0.0)
    filters *= (2.0 / (upper - lower))  # equal area per filter (Slaney)
    return filters.float()


class LogMel(torch.nn.Module):
    """Waveform (batch, samples) in [-1, 1] -> natural-log mel (batch, n_mels, frames)."""

    def __init__(self, config: MelConfig) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("window", torch.hann_window(config.win_length), persistent=False)
        self.register_buffer("filters", mel_filterbank(config), persistent=False)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        c = self.config
        spec = torch.stft(
            audio, c.n_fft, c.hop_length, c.win_length, self.window, center=True, pad_mode="reflect", return_complex=True
        )
        mel = torch.matmul(self.filters, spec.abs())
        return torch.log(torch.clamp(mel, min=c.log_floor))


def silence_past_end(audio: torch.Tensor, frame_lengths: torch.Tensor, hop_length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero each row's samples past its (frames - 1) * hop: what both vocoders return, with those lengths."""
    sample_lengths = torch.clamp(frame_lengths - 1, min=0) * hop_length
    sample_mask = torch.arange(audio.shape[-1], device=audio.device)[None, :] < sample_lengths[:, None]
    return audio * sample_mask, sample_lengths
