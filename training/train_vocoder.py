"""Train the neural vocoder on espeak-ng teacher audio; resumable, seeded, with a progress bar.

Losses are multi-resolution STFT (spectral convergence + log magnitude) and log-mel L1 on the synthesised
waveform; phase is learnt through them (incoherent phases cancel in the overlap-add and show up as magnitude
error). No adversarial loss: it would double the cost per step, and intelligibility is the bar here.
Run: python -m training.train_vocoder --data data --run runs/vocoder --out voices/default
"""

from __future__ import annotations

import argparse
import logging
import random
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

from training import corpus
from training.dataset import assign_sentences
from training.loop import learning_rate, resume, save_checkpoint
from training.recipe import SPEAKERS, VocoderRecipe
from training.vocoder_data import AUDIO_FILE, load_audio
from triton_tts import espeak
from triton_tts.mel import LogMel, MelConfig
from triton_tts.neural_vocoder import NeuralVocoder
from triton_tts.voice import save_neural_vocoder

logger = logging.getLogger(__name__)
STFT_RESOLUTIONS = ((512, 128), (1024, 256), (2048, 512))


class SpectralLoss(nn.Module):
    """Log-mel L1 plus multi-resolution STFT loss between synthesised and teacher waveforms (B, samples)."""

    def __init__(self, mel: MelConfig) -> None:
        super().__init__()
        self.log_mel = LogMel(mel)
        for n_fft, _ in STFT_RESOLUTIONS:
            self.register_buffer(f"window_{n_fft}", torch.hann_window(n_fft), persistent=False)

    def _magnitude(self, audio: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
        window = getattr(self, f"window_{n_fft}")
        return torch.stft(audio, n_fft, hop, n_fft, window, center=True, return_complex=True).abs().clamp(min=1e-5)

    def forward(self, audio: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
        mel_l1 = F.l1_loss(self.log_mel(audio), self.log_mel(target))
        stft = audio.new_zeros(())
        for n_fft, hop in STFT_RESOLUTIONS:
            predicted, wanted = self._magnitude(audio, n_fft, hop), self._magnitude(target, n_fft, hop)
            convergence = torch.linalg.norm(wanted - predicted) / torch.linalg.norm(wanted)
            stft = stft + convergence + F.l1_loss(predicted.log(), wanted.log())
        return {"mel_l1": mel_l1, "stft": stft / len(STFT_RESOLUTIONS)}


def sample_segments(clips: list[np.ndarray], count: int, samples: int, rng: random.Random) -> torch.Tensor:
    """`count` random teacher segments of `samples` samples, clips picked in proportion to their length."""
    weights = [len(c) for c in clips]
    batch = torch.zeros(count, samples)
    for row, clip in enumerate(rng.choices(clips, weights=weights, k=count)):
        start = rng.randrange(max(1, len(clip) - samples + 1))
        piece = clip[start : start + samples]
        batch[row, : len(piece)] = torch.from_numpy(piece)
    return batch


def synthesise(model: NeuralVocoder, log_mel: LogMel, audio: torch.Tensor) -> torch.Tensor:
    """Resynthesise teacher audio (B, samples) from its own mels; same length out."""
    mel = log_mel(audio)
    frame_lengths = torch.full((audio.shape[0],), mel.shape[-1])
    return model(mel, frame_lengths)[0]


def validation_clips(recipe: VocoderRecipe, per_speaker: int = 8) -> list[torch.Tensor]:
    """Held-out sentences (validation split) spoken by every speaker: never seen in training."""
    sentences = [s for s in corpus.sentences() if corpus.split_of(s) == "validation"]
    pairs = assign_sentences(sentences, per_speaker, recipe.seed)
    return [torch.from_numpy(espeak.synthesize(s, SPEAKERS[k]).audio.astype(np.float32) / 32768.0) for s, k in pairs]


@torch.inference_mode()
def validate(model: NeuralVocoder, loss: SpectralLoss, clips: list[torch.Tensor]) -> dict[str, float]:
    """Whole-utterance resynthesis losses, averaged over clips."""
    model.eval()
    totals = {"mel_l1": 0.0, "stft": 0.0}
    for clip in clips:
        n = (len(clip) // model.mel.hop_length) * model.mel.hop_length
        audio = clip[None, :n]
        for key, value in loss(synthesise(model, loss.log_mel, audio), audio).items():
            totals[key] += value.item() / len(clips)
    model.train()
    return totals


def train(data_dir: Path, run_dir: Path, recipe: VocoderRecipe, threads: int = 2) -> tuple[NeuralVocoder, dict, list[float]]:
    """Train (resuming from `run_dir` if it holds a checkpoint); returns the model, its provenance and the loss history."""
    torch.set_num_threads(threads)
    clips, data_hash = load_audio(data_dir / AUDIO_FILE)
    torch.manual_seed(recipe.seed)
    model = NeuralVocoder(recipe.mel, recipe.model)
    loss = SpectralLoss(recipe.mel)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate, betas=(0.8, 0.99), weight_decay=0.01)
    rng = random.Random(recipe.seed)
    step, history, started = resume(run_dir, model, optimizer, rng)
    model.train()
    samples = recipe.segment_frames * recipe.mel.hop_length
    progress = tqdm(total=recipe.steps, initial=step, desc="vocoder", unit="step")
    while step < recipe.steps:
        target = sample_segments(clips, recipe.batch_size, samples, rng)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, recipe.learning_rate, recipe.warmup_steps, recipe.steps)
        parts = loss(synthesise(model, loss.log_mel, target), target)
        optimizer.zero_grad()
        (parts["mel_l1"] + parts["stft"]).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        history.append(sum(p.item() for p in parts.values()))
        progress.update(1)
        progress.set_postfix({k: f"{v.item():.3f}" for k, v in parts.items()})
        if step % 500 == 0 or step == recipe.steps:
            save_checkpoint(run_dir, model, optimizer, step, history, started, rng)
    progress.close()
    metrics = validate(model, loss, validation_clips(recipe))
    logger.info("validation: %s", metrics)
    provenance = {
        "corpus_hash": data_hash,
        "clips": len(clips),
        "steps": step,
        "train_seconds": round(time.monotonic() - started),
        "seed": recipe.seed,
        "validation": {k: round(v, 4) for k, v in metrics.items()},
    }
    return model.eval(), provenance, history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--run", type=Path, default=Path("runs/vocoder"), help="checkpoints; rerun to resume")
    parser.add_argument("--out", type=Path, default=Path("voices/default"), help="the voice directory it joins")
    parser.add_argument("--quick", action="store_true", help="a tiny model for tests")
    parser.add_argument("--steps", type=int, help="override the recipe's step count")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    recipe = VocoderRecipe.quick() if args.quick else VocoderRecipe()
    if args.steps:
        recipe = replace(recipe, steps=args.steps)
    model, provenance, _ = train(args.data, args.run, recipe, args.threads)
    save_neural_vocoder(args.out, model, provenance)
    logger.info("vocoder written to %s", args.out)


if __name__ == "__main__":
    main()
