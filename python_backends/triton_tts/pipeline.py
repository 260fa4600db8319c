"""Batched building blocks shared by the stages, the offline synthesizer and evaluation: pad, run, unpad."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, TypeVar

import numpy as np
import torch

from triton_tts.limits import VOCODER_CONTEXT_FRAMES, VOCODER_WINDOW_FRAMES

# (ids (B, T), lengths, speakers, paces) -> (log-mel (B, n_mels, F), frame lengths, frames per token (B, T)):
# AcousticInference or its ONNX graph.
AcousticRunner = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]
# (log-mel (B, n_mels, F), frame lengths) -> (audio (B, samples), sample lengths): a vocoder or its ONNX graph.
VocoderRunner = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


Item = TypeVar("Item")
Result = TypeVar("Result")


def run_in_chunks(items: list[Item], size: int, length: Callable[[Item], int], run: Callable[[list[Item]], list[Result]]) -> list[Result]:
    """Run items in padded batches of at most `size`, similar lengths together; results in input order.

    On CPU, one item at a time (size 1) measured fastest for both stages (docs/benchmarks.md): padding and
    cache misses cost more than batching saves. On GPU a larger size pays.
    """
    order = sorted(range(len(items)), key=lambda i: length(items[i]))
    results: list = [None] * len(items)
    for start in range(0, len(order), size):
        chunk = order[start : start + size]
        for index, result in zip(chunk, run([items[i] for i in chunk])):
            results[index] = result
    return results


@dataclass(frozen=True)
class AcousticInput:
    """One utterance for the acoustic model."""

    ids: list[int]
    speaker: int
    pace: float = 1.0


def pad_ids(items: list[AcousticInput]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pad a batch into (ids (B, T), lengths, speakers, paces) tensors."""
    lengths = torch.tensor([len(item.ids) for item in items])
    ids = torch.zeros(len(items), int(lengths.max()), dtype=torch.long)
    for row, item in enumerate(items):
        ids[row, : len(item.ids)] = torch.tensor(item.ids)
    speakers = torch.tensor([item.speaker for item in items])
    paces = torch.tensor([item.pace for item in items], dtype=torch.float32)
    return ids, lengths, speakers, paces


@torch.inference_mode()
def generate_mels_and_durations(acoustic: AcousticRunner, items: list[AcousticInput]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(log-mel (n_mels, frames), frames per token) per utterance, computed in one padded batch."""
    mel, frame_lengths, durations = acoustic(*pad_ids(items))
    return [(mel[row, :, : int(n)].numpy(), durations[row, : len(item.ids)].numpy()) for row, (n, item) in enumerate(zip(frame_lengths, items))]


def generate_mels(acoustic: AcousticRunner, items: list[AcousticInput]) -> list[np.ndarray]:
    """Log-mel (n_mels, frames) per utterance, computed in one padded batch."""
    return [mel for mel, _ in generate_mels_and_durations(acoustic, items)]


def pad_mels(mels: list[np.ndarray], floor: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad log-mels to (B, n_mels, F) with the log floor (silence) and return their frame counts."""
    frame_lengths = torch.tensor([m.shape[1] for m in mels])
    batch = torch.full((len(mels), mels[0].shape[0], max(1, int(frame_lengths.max()))), float(np.log(floor)))
    for row, m in enumerate(mels):
        batch[row, :, : m.shape[1]] = torch.from_numpy(m)
    return batch, frame_lengths


@torch.inference_mode()
def vocode(vocoder: VocoderRunner, mels: list[np.ndarray], log_floor: float) -> list[np.ndarray]:
    """Waveforms (float32 in [-1, 1]) for a batch of log-mels (padded with the log floor: silence)."""
    batch, frame_lengths = pad_mels(mels, log_floor)
    audio, sample_lengths = vocoder(batch, frame_lengths)
    return [audio[row, : int(n)].numpy() for row, n in enumerate(sample_lengths)]




def vocode_windowed(
    vocoder: VocoderRunner, mel: np.ndarray, log_floor: float, hop_length: int,
    window: int = VOCODER_WINDOW_FRAMES, context: int = VOCODER_CONTEXT_FRAMES,
) -> np.ndarray:
    """One utterance's waveform, ((frames - 1) * hop samples), computed `window` frames at a time."""
    frames = mel.shape[1]
    if frames <= window + 2 * context:
        return vocode(vocoder, [mel], log_floor)[0]
    pieces = []
    for start in range(0, frames - 1, window):
        end = min(start + window, frames - 1)  # this piece is the samples of frames [start, end)
        first, last = max(0, start - context), min(frames, end + context + 1)
        audio = vocode(vocoder, [mel[:, first:last]], log_floor)[0]
        pieces.append(audio[(start - first) * hop_length : (end - first) * hop_length])
    return np.concatenate(pieces)
