"""Train the neural vocoder on the Piper teacher's audio; resumable, seeded, with a progress bar.

Losses: log-mel L1 and multi-resolution STFT (spectral convergence + log magnitude) on the synthesised
waveform, and, from `adversarial_from` on, multi-period and multi-resolution discriminators with feature
matching (training.discriminators): spectral losses alone left audible buzz (see docs/voice.md).
`--init DIR` starts from a trained vocoder (same sizes and mel settings) instead of random weights;
`--student-mels DIR` trains on that voice's acoustic-model mels (StudentSegments); `--device cuda` on a GPU.
Run: python -m training.train_vocoder --data data/joe --run runs/vocoder --out voices/default
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

from training.discriminators import Discriminators, discriminator_loss, generator_losses
from training.loop import learning_rate, resume, save_checkpoint
from training.recipe import VocoderRecipe
from training.teacher_data import data_hash, load_audio_clips, load_utterances
from triton_tts.mel import LogMel
from triton_tts.voice_config import MelConfig
from triton_tts.neural_vocoder import NeuralVocoder
from triton_tts.voice import load_neural_vocoder, load_voice, save_neural_vocoder

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


class StudentSegments:
    """Random windows of the student's own mels with the teacher audio they stand for.

    The student runs with the teacher's durations, so its frames line up with the teacher's samples (frame i is
    centred on sample i * hop); the vocoder then learns the slightly smoothed mels it is given in serving,
    not only the teacher's. Utterances and clips come from the same shards in the same order.
    """

    def __init__(self, voice_dir: Path, data_dir: Path) -> None:
        self.voice = load_voice(voice_dir)
        self.utterances = load_utterances(data_dir, "train", next(iter(self.voice.config.speakers)))
        self.clips = load_audio_clips(data_dir, "train")
        self.hop = self.voice.config.mel.hop_length

    @torch.inference_mode()
    def sample(self, count: int, frames: int, rng: random.Random) -> tuple[torch.Tensor, torch.Tensor]:
        """(mels (count, n_mels, frames), teacher audio (count, (frames - 1) * hop)); short utterances are padded
        with silence (the log floor, zero samples)."""
        picks = rng.choices(range(len(self.utterances)), k=count)
        ids = [torch.tensor(self.voice.config.inventory.ids(self.utterances[k].tokens)) for k in picks]
        durations = [self.utterances[k].durations.long() for k in picks]
        mel, frame_lengths, _ = self.voice.model(
            torch.nn.utils.rnn.pad_sequence(ids, batch_first=True), torch.tensor([len(i) for i in ids]),
            torch.zeros(count, dtype=torch.long), durations=torch.nn.utils.rnn.pad_sequence(durations, batch_first=True),
        )
        mels = torch.full((count, mel.shape[1], frames), math.log(self.voice.config.mel.log_floor))
        audio = torch.zeros(count, (frames - 1) * self.hop)
        for row, (k, n) in enumerate(zip(picks, frame_lengths.tolist())):
            start = rng.randrange(max(1, n - frames + 1))
            window = mel[row, :, start : min(n, start + frames)]
            mels[row, :, : window.shape[1]] = window
            piece = self.clips[k][start * self.hop : (start + frames - 1) * self.hop]
            audio[row, : len(piece)] = torch.from_numpy(piece)
        return mels, audio


def synthesise(model: NeuralVocoder, log_mel: LogMel, audio: torch.Tensor, mel: torch.Tensor | None = None) -> torch.Tensor:
    """Audio (B, samples) from `mel`, by default the mels of `audio` itself (resynthesis); same length out."""
    mel = log_mel(audio) if mel is None else mel
    frame_lengths = torch.full((mel.shape[0],), mel.shape[-1], device=mel.device)
    return model(mel, frame_lengths)[0]


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


class TrainingState(nn.Module):
    """Generator and discriminators under one state dict, so one checkpoint resumes both."""

    def __init__(self, generator: NeuralVocoder, recipe: VocoderRecipe) -> None:
        super().__init__()
        self.generator = generator
        self.discriminators = Discriminators(recipe.discriminator_channels, recipe.discriminator_resolutions)


class Optimizers:
    """Both optimizers behind the one-optimizer interface that training.loop checkpoints."""

    def __init__(self, state: TrainingState, recipe: VocoderRecipe) -> None:
        betas = (0.8, 0.99)
        self.generator = torch.optim.AdamW(state.generator.parameters(), lr=recipe.learning_rate, betas=betas, weight_decay=0.01)
        self.discriminators = torch.optim.AdamW(state.discriminators.parameters(), lr=recipe.learning_rate, betas=betas, weight_decay=0.01)

    def set_learning_rate(self, value: float) -> None:
        for optimizer in (self.generator, self.discriminators):
            for group in optimizer.param_groups:
                group["lr"] = value

    def state_dict(self) -> dict:
        return {"generator": self.generator.state_dict(), "discriminators": self.discriminators.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.load_state_dict(state["generator"])
        self.discriminators.load_state_dict(state["discriminators"])


def step_losses(
    state: TrainingState, loss: SpectralLoss, optimizers: Optimizers, target: torch.Tensor, adversarial: bool, mel: torch.Tensor | None = None
) -> dict[str, torch.Tensor]:
    """One optimisation step of the generator (and, when adversarial, the discriminators first); `mel` (the
    student's) replaces the target's own mels as the input when given."""
    audio = synthesise(state.generator, loss.log_mel, target, mel)
    parts = loss(audio, target)
    generator_loss = parts["mel_l1"] + parts["stft"]
    if adversarial:
        real, fake = state.discriminators(target), state.discriminators(audio.detach())
        parts["disc"] = discriminator_loss(real, fake)
        optimizers.discriminators.zero_grad()
        parts["disc"].backward()
        torch.nn.utils.clip_grad_norm_(state.discriminators.parameters(), 10.0)
        optimizers.discriminators.step()
        with torch.no_grad():
            real = state.discriminators(target)
        parts["adv"], parts["fm"] = generator_losses(real, state.discriminators(audio))
        # Vocos' weights: the mel term dominates; the STFT term keeps the spectral recipe's balance.
        generator_loss = 45 * parts["mel_l1"] + 15 * parts["stft"] + parts["adv"] + 2 * parts["fm"]
    optimizers.generator.zero_grad()
    generator_loss.backward()
    torch.nn.utils.clip_grad_norm_(state.generator.parameters(), 10.0 if adversarial else 1.0)
    optimizers.generator.step()
    return parts


class WallClockSchedule:
    """The step count that fits a wall-time budget, so that a lent machine's minutes end with a decayed
    learning rate and a checkpoint, not a kill. The speed is measured over `probe` steps after `warmup`
    steps (the first GPU steps pay for CUDA start-up and cuDNN's search, 26 s for one on an H200)."""

    def __init__(self, total_steps: int, minutes: float | None, warmup: int = 10, probe: int = 50) -> None:
        self.total, self.minutes, self.warmup, self.probe = total_steps, minutes, warmup, probe
        self.first_step: int | None = None
        self.deadline = self.probe_started = 0.0

    def update(self, step: int) -> int:
        """The total steps for this run, given that `step` steps are done."""
        if self.minutes is None:
            return self.total
        now = time.monotonic()
        if self.first_step is None:
            self.first_step, self.deadline = step, now + self.minutes * 60
        elif step - self.first_step == self.warmup:
            self.probe_started = now
        elif step - self.first_step == self.warmup + self.probe:
            seconds_per_step = (now - self.probe_started) / self.probe
            self.total = min(self.total, step + max(0, int((self.deadline - now) / seconds_per_step)))
            logger.info("%.3f s per step: %d steps end %.1f minutes after the start", seconds_per_step, self.total, self.minutes)
        return self.total


def train(
    data_dir: Path, run_dir: Path, recipe: VocoderRecipe, threads: int = 2, init: Path | None = None, device: str = "cpu",
    student: Path | None = None, minutes: float | None = None,
) -> tuple[NeuralVocoder, dict, list[float]]:
    """Train (resuming from `run_dir` if it holds a checkpoint) on `device`, for at most `minutes` of wall time
    when given; returns the model (on the CPU), its provenance and the loss history. A checkpoint resumes on
    either device. With `student` (a voice directory), the inputs are that acoustic model's mels
    (StudentSegments) instead of the teacher audio's own."""
    torch.set_num_threads(threads)
    torch.backends.cudnn.benchmark = True  # fixed segment shapes: let cuDNN pick its fastest convolutions
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    clips = load_audio_clips(data_dir, "train")
    torch.manual_seed(recipe.seed)
    generator = load_neural_vocoder(init, recipe.mel).train() if init else NeuralVocoder(recipe.mel, recipe.model)
    if generator.config != recipe.model:
        raise ValueError(f"--init {init} has sizes {generator.config}, the recipe wants {recipe.model}")
    state = TrainingState(generator, recipe).to(device)
    loss = SpectralLoss(recipe.mel).to(device)
    optimizers = Optimizers(state, recipe)
    rng = random.Random(recipe.seed)
    step, history, started = resume(run_dir, state, optimizers, rng)
    state.train()
    samples = recipe.segment_frames * recipe.mel.hop_length
    segments = StudentSegments(student, data_dir) if student else None
    schedule = WallClockSchedule(recipe.steps, minutes)
    total = schedule.update(step)
    progress = tqdm(total=total, initial=step, desc="vocoder", unit="step", mininterval=10 if device != "cpu" else 0.1)
    while step < total:
        mel = None
        if segments:
            mel, target = segments.sample(recipe.batch_size, recipe.segment_frames + 1, rng)
            mel = mel.to(device)
        else:
            target = sample_segments(clips, recipe.batch_size, samples, rng)
        optimizers.set_learning_rate(learning_rate(step, recipe.learning_rate, recipe.warmup_steps, total))
        parts = step_losses(state, loss, optimizers, target.to(device), step >= recipe.adversarial_from, mel)
        step += 1
        total = schedule.update(step)
        progress.total = total
        history.append(parts["mel_l1"].item())
        progress.update(1)
        if step % 25 == 0:
            progress.set_postfix({k: f"{v.item():.3f}" for k, v in parts.items()}, refresh=False)
        if step % 250 == 0 or step == total:
            save_checkpoint(run_dir, state, optimizers, step, history, started, rng)
    progress.close()
    generator = generator.cpu()
    loss = loss.cpu()
    validation = [torch.from_numpy(c) for c in load_audio_clips(data_dir, "validation")[: recipe.validation_clips]]
    metrics = validate(generator, loss, validation)
    logger.info("validation: %s", metrics)
    provenance = {
        "corpus_hash": data_hash(data_dir),
        "clips": len(clips),
        "steps": step,
        "adversarial_from": recipe.adversarial_from,
        "segment_frames": recipe.segment_frames,
        "batch_size": recipe.batch_size,
        "discriminators": {"period_channels": list(recipe.discriminator_channels),
                           "resolutions": [list(r) for r in recipe.discriminator_resolutions]},
        "device": torch.cuda.get_device_name() if device.startswith("cuda") else "cpu",
        "init": str(init) if init else None,
        "student_mels": str(student) if student else None,
        "train_seconds": round(time.monotonic() - started),
        "seed": recipe.seed,
        "validation": {k: round(v, 4) for k, v in metrics.items()},
    }
    return generator.eval(), provenance, history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data/joe"))
    parser.add_argument("--run", type=Path, default=Path("runs/vocoder"), help="checkpoints; rerun to resume")
    parser.add_argument("--init", type=Path, help="a voice directory whose vocoder to start from")
    parser.add_argument("--out", type=Path, default=Path("voices/default"), help="the voice directory it joins")
    parser.add_argument("--quick", action="store_true", help="a tiny model for tests")
    parser.add_argument("--steps", type=int, help="override the recipe's step count")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (a lent GPU: the adversarial steps are ~100x faster)")
    parser.add_argument("--student-mels", type=Path, help="a voice directory: train on its acoustic model's mels")
    parser.add_argument("--recipe", choices=("cpu", "gpu"), default="cpu", help="gpu: VocoderRecipe.gpu (bigger batches and discriminators)")
    parser.add_argument("--minutes", type=float, help="wall-time budget: the schedule shrinks to the steps that fit")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    recipe = VocoderRecipe.quick() if args.quick else VocoderRecipe.gpu() if args.recipe == "gpu" else VocoderRecipe()
    if args.steps:
        recipe = replace(recipe, steps=args.steps)
    model, provenance, _ = train(args.data, args.run, recipe, args.threads, args.init, args.device, args.student_mels, args.minutes)
    save_neural_vocoder(args.out, model, provenance)
    logger.info("vocoder written to %s", args.out)


if __name__ == "__main__":
    main()
