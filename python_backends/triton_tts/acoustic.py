"""A small FastSpeech-style acoustic model: phoneme ids + speaker + pace -> log-mel frames.

Non-autoregressive and fully batched: padding is masked everywhere, so a sentence's output does not depend
on what it is batched with. The length regulator is cumsum + comparison masks (no Python loops), so the
model exports to ONNX/TensorRT as one graph.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from triton_tts.voice_config import AcousticConfig, PostfilterConfig


MAX_FRAMES = 20000  # frames per utterance, about 4 minutes at 22050 Hz / hop 256


def sequence_mask(lengths: torch.Tensor, max_length: int | torch.Tensor) -> torch.Tensor:
    """(batch, max_length) bool, True on real positions."""
    return torch.arange(max_length, device=lengths.device)[None, :] < lengths[:, None]


def positional_encoding(length: int | torch.Tensor, channels: int) -> torch.Tensor:
    """Sinusoidal positions, (length, channels)."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    frequency = torch.exp(torch.arange(0, channels, 2, dtype=torch.float32) * (-math.log(10000.0) / channels))
    angles = position * frequency[None, :]
    return torch.stack([torch.sin(angles), torch.cos(angles)], dim=-1).flatten(1)


def length_regulate(x: torch.Tensor, durations: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Repeat token vectors by their durations: x (B, T, C), durations (B, T) int -> (B, F, C), frame lengths (B,).

    Frame f takes token t when start[t] <= f < end[t]; the (B, F, T) mask is a matmul, not a loop. Every
    utterance gets at least one frame (silent if all durations are zero), so later stages never see empty input,
    and at most MAX_FRAMES (later tokens are cut), which bounds memory and the exported engines' shape ranges.
    """
    ends = torch.clamp(torch.cumsum(durations, dim=1), max=MAX_FRAMES)
    starts = ends - durations
    frame_lengths = torch.clamp(ends[:, -1], min=1)
    frames = torch.arange(frame_lengths.max(), device=x.device)[None, :, None]
    alignment = (frames >= starts[:, None, :]) & (frames < ends[:, None, :])
    return torch.matmul(alignment.to(x.dtype), x), frame_lengths


class SelfAttention(nn.Module):
    """Multi-head self-attention with a key padding mask, written out so that it exports with dynamic shapes.

    Parameter names and layout are nn.MultiheadAttention's (packed q/k/v projection), so weights carry over.
    """

    def __init__(self, hidden: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * hidden, hidden))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * hidden))
        self.out_proj = nn.Linear(hidden, hidden)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (B, T, C), mask (B, T) True on real positions; padded keys get no attention."""
        batch, length, channels = x.shape
        projected = F.linear(x, self.in_proj_weight, self.in_proj_bias).reshape(batch, length, 3, self.heads, -1)
        query, key, value = projected.permute(2, 0, 3, 1, 4).unbind(0)
        # Padded keys as -inf added to the scores, not a boolean mask: exported, a boolean mask also rewrites every
        # (B, heads, T, T) score tensor twice more (NaN guard), 7% of the acoustic model's time. Every row has a
        # real key (lengths >= 1), so no row is all -inf.
        padded_keys = torch.zeros_like(mask, dtype=query.dtype).masked_fill(~mask, float("-inf"))[:, None, None, :]
        attended = F.scaled_dot_product_attention(
            query, key, value, attn_mask=padded_keys, dropout_p=self.dropout if self.training else 0.0
        )
        return self.out_proj(attended.transpose(1, 2).reshape(batch, length, channels))


class FeedForwardBlock(nn.Module):
    """Self-attention then a convolutional feed-forward, each with a residual and layer norm (FastSpeech's FFT block)."""

    def __init__(self, c: AcousticConfig) -> None:
        super().__init__()
        self.attention = SelfAttention(c.hidden, c.heads, c.dropout)
        self.norm1 = nn.LayerNorm(c.hidden)
        self.conv1 = nn.Conv1d(c.hidden, c.filter_size, c.kernel_size, padding=c.kernel_size // 2)
        self.conv2 = nn.Conv1d(c.filter_size, c.hidden, 1)
        self.norm2 = nn.LayerNorm(c.hidden)
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        keep = mask[:, :, None].to(x.dtype)
        x = self.norm1(x + self.dropout(self.attention(x, mask))) * keep
        y = self.conv2(F.relu(self.conv1(x.transpose(1, 2)))).transpose(1, 2)
        return self.norm2(x + self.dropout(y)) * keep


class DurationPredictor(nn.Module):
    """Two masked convolutions -> log(1 + frames) per token."""

    def __init__(self, c: AcousticConfig) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(c.hidden, c.duration_filter, 3, padding=1)
        self.norm1 = nn.LayerNorm(c.duration_filter)
        self.conv2 = nn.Conv1d(c.duration_filter, c.duration_filter, 3, padding=1)
        self.norm2 = nn.LayerNorm(c.duration_filter)
        self.out = nn.Linear(c.duration_filter, 1)
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        keep = mask[:, :, None].to(x.dtype)
        x = self.dropout(self.norm1(F.relu(self.conv1((x * keep).transpose(1, 2)).transpose(1, 2))))
        x = self.dropout(self.norm2(F.relu(self.conv2((x * keep).transpose(1, 2)).transpose(1, 2))))
        return self.out(x).squeeze(-1) * mask


class AcousticModel(nn.Module):
    """Tokens -> encoder -> (+ speaker) -> durations -> length regulator -> decoder -> log-mel."""

    def __init__(self, config: AcousticConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.n_tokens, config.hidden, padding_idx=0)
        self.speaker_embedding = nn.Embedding(config.n_speakers, config.hidden)
        self.encoder = nn.ModuleList(FeedForwardBlock(config) for _ in range(config.encoder_layers))
        self.duration_predictor = DurationPredictor(config)
        self.decoder = nn.ModuleList(FeedForwardBlock(config) for _ in range(config.decoder_layers))
        self.mel_projection = nn.Linear(config.hidden, config.n_mels)

    def encode(self, ids: torch.Tensor, lengths: torch.Tensor, speakers: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mask = sequence_mask(lengths, ids.shape[1])
        x = self.embedding(ids) + positional_encoding(ids.shape[1], self.config.hidden).to(ids.device)
        x = x * mask[:, :, None]
        for block in self.encoder:
            x = block(x, mask)
        return (x + self.speaker_embedding(speakers)[:, None, :]) * mask[:, :, None], mask

    def decode(self, x: torch.Tensor, frame_lengths: torch.Tensor) -> torch.Tensor:
        mask = sequence_mask(frame_lengths, x.shape[1])
        x = (x + positional_encoding(x.shape[1], self.config.hidden).to(x.device)) * mask[:, :, None]
        for block in self.decoder:
            x = block(x, mask)
        return self.mel_projection(x).transpose(1, 2)  # (B, n_mels, F)

    def forward(
        self,
        ids: torch.Tensor,
        lengths: torch.Tensor,
        speakers: torch.Tensor,
        durations: torch.Tensor | None = None,
        pace: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns (log-mel (B, n_mels, F), frame lengths (B,), predicted log(1 + duration) (B, T)).

        With `durations` (teacher forcing) they set the frames; else the predicted ones, divided by `pace`
        (per utterance; 2.0 speaks twice as fast), are rounded to whole frames.
        """
        mel, frame_lengths, log_durations, _ = self.run(ids, lengths, speakers, durations, pace)
        return mel, frame_lengths, log_durations

    def run(
        self, ids: torch.Tensor, lengths: torch.Tensor, speakers: torch.Tensor, durations: torch.Tensor | None = None,
        pace: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """forward(), plus the frames each token was given (B, T): serving times words with them."""
        x, mask = self.encode(ids, lengths, speakers)
        log_durations = self.duration_predictor(x, mask)
        if durations is None:
            durations = self.predict_durations(log_durations, mask, pace)
        expanded, frame_lengths = length_regulate(x, durations)
        return self.decode(expanded, frame_lengths), frame_lengths, log_durations, durations

    @staticmethod
    def predict_durations(log_durations: torch.Tensor, mask: torch.Tensor, pace: torch.Tensor | None) -> torch.Tensor:
        frames = torch.clamp(torch.exp(log_durations) - 1.0, min=0.0)
        if pace is not None:
            frames = frames / pace[:, None]
        return torch.round(frames).long() * mask


def triangle(width: int) -> torch.Tensor:
    """A triangular kernel of odd `width` that sums to 1 (1, 2, ..., peak, ..., 2, 1)."""
    half = width // 2
    weights = torch.tensor([half + 1 - abs(k - half) for k in range(width)], dtype=torch.float64)
    return weights / weights.sum()


class MelPostfilter(nn.Module):
    """Sharpens the mels across bins, then across frames: mel + gain * (mel - blur(mel)) on each axis.

    Why: trained with L1 towards the teacher's mels, the student predicts their average, whose ripple across
    bins (harmonics, formants) is about half the teacher's, and which is smoother in time; the vocoder then
    hears a blurred spectrum. Raising that contrast is the post-filter of statistical parametric synthesis;
    its widths and gains were chosen by a MOS predictor on validation sentences (training/postfilter.py,
    docs/voice.md). Across bins it is one fixed (n_mels, n_mels) matrix. Across frames each row is blurred
    within its own frames (the edge frames repeat), so padding, batching and streaming do not change a sentence.
    """

    def __init__(self, n_mels: int, config: PostfilterConfig) -> None:
        super().__init__()
        identity = torch.eye(n_mels, dtype=torch.float64)
        blur = torch.zeros(n_mels, n_mels, dtype=torch.float64)
        half = config.bin_width // 2
        for row in range(n_mels):
            for offset, weight in enumerate(triangle(config.bin_width)):
                blur[row, min(max(row + offset - half, 0), n_mels - 1)] += weight
        self.register_buffer("bins", (identity + config.bin_gain * (identity - blur)).float(), persistent=False)
        self.register_buffer("frame_kernel", triangle(config.frame_width).float(), persistent=False)
        self.frame_gain = config.frame_gain

    def forward(self, mel: torch.Tensor, frame_lengths: torch.Tensor) -> torch.Tensor:
        """(B, n_mels, F) with each row's frame count -> the same shape."""
        mel = torch.matmul(self.bins, mel)
        if not self.frame_gain:
            return mel
        half = self.frame_kernel.shape[0] // 2
        frames = torch.arange(mel.shape[-1], device=mel.device)[None, :]
        blurred = torch.zeros_like(mel)
        for offset in range(self.frame_kernel.shape[0]):
            index = torch.minimum(torch.clamp(frames + offset - half, min=0), frame_lengths[:, None] - 1)
            blurred = blurred + self.frame_kernel[offset] * torch.gather(mel, 2, index[:, None, :].expand_as(mel))
        return mel + self.frame_gain * (mel - blurred)


def postfilter_for(config: AcousticConfig) -> MelPostfilter | None:
    """The voice's post-filter, or none (older voices, both gains 0)."""
    if not (config.postfilter.bin_gain or config.postfilter.frame_gain):
        return None
    return MelPostfilter(config.n_mels, config.postfilter)


class AcousticInference(nn.Module):
    """The serving signature: (ids, lengths, speakers, pace) -> (log-mel, frame lengths, frames per token), the
    durations predicted (they are returned too: word timestamps are exact because they made the audio).

    The torch runtime calls it directly; ONNX export traces it, so both runtimes share one signature.
    """

    def __init__(self, model: AcousticModel) -> None:
        super().__init__()
        self.model = model
        self.postfilter = postfilter_for(model.config)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, speakers: torch.Tensor, pace: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mel, frame_lengths, _, durations = self.model.run(ids, lengths, speakers, pace=pace)
        if self.postfilter is not None:
            mel = self.postfilter(mel, frame_lengths)
        return mel, frame_lengths, durations
