"""The whole TTS pipeline in one process (no server): text -> ids -> mel -> audio, batched.

Serving splits these same steps across Triton stages; evaluation and the offline benchmark call them here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from triton_tts.acoustic import AcousticModel
from triton_tts.phonemes import text_to_ids
from triton_tts.vocoder import GriffinLim
from triton_tts.voice import Voice


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
def generate_mels(model: AcousticModel, items: list[AcousticInput]) -> list[np.ndarray]:
    """Log-mel (n_mels, frames) per utterance, computed in one padded batch."""
    ids, lengths, speakers, paces = pad_ids(items)
    mel, frame_lengths, _ = model(ids, lengths, speakers, pace=paces)
    return [mel[row, :, : int(n)].numpy() for row, n in enumerate(frame_lengths)]


def pad_mels(mels: list[np.ndarray], floor: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad log-mels to (B, n_mels, F) with the log floor (silence) and return their frame counts."""
    frame_lengths = torch.tensor([m.shape[1] for m in mels])
    batch = torch.full((len(mels), mels[0].shape[0], max(1, int(frame_lengths.max()))), float(np.log(floor)))
    for row, m in enumerate(mels):
        batch[row, :, : m.shape[1]] = torch.from_numpy(m)
    return batch, frame_lengths


@torch.inference_mode()
def vocode(vocoder: GriffinLim, mels: list[np.ndarray]) -> list[np.ndarray]:
    """Waveforms (float32 in [-1, 1]) for a batch of log-mels."""
    batch, frame_lengths = pad_mels(mels, vocoder.mel.log_floor)
    audio, sample_lengths = vocoder(batch, frame_lengths)
    return [audio[row, : int(n)].numpy() for row, n in enumerate(sample_lengths)]


class Synthesizer:
    """Text to audio with one voice and one vocoder, for batches of utterances."""

    def __init__(self, voice: Voice, vocoder: GriffinLim | None = None) -> None:
        self.voice = voice
        self.vocoder = vocoder or GriffinLim(voice.config.mel)

    @property
    def sample_rate(self) -> int:
        return self.voice.config.mel.sample_rate

    def acoustic_input(self, text: str, speaker: str, pace: float = 1.0) -> AcousticInput:
        config = self.voice.config
        ids = text_to_ids(text, config.speakers[speaker], config.inventory)
        return AcousticInput(ids, config.speaker_id(speaker), pace)

    def synthesize(self, texts: list[str], speakers: list[str], paces: list[float] | None = None) -> list[np.ndarray]:
        paces = paces or [1.0] * len(texts)
        items = [self.acoustic_input(t, s, p) for t, s, p in zip(texts, speakers, paces)]
        return vocode(self.vocoder, generate_mels(self.voice.model, items))
