"""The default voice's recipes in one place: speakers, data sizes, model sizes and training schedules."""

from __future__ import annotations

from dataclasses import dataclass, field

from triton_tts.neural_vocoder import NeuralVocoderConfig
from triton_tts.voice_config import AcousticConfig, MelConfig

# Speaker name (the serving API's VOICE) -> the espeak-ng voice that phonemizes its text (Piper's joe: en-us).
SPEAKERS = {"en_us_joe": "en-us"}
PHONEMIZER = "piper_ipa"
VOICE_NAME = "piper-joe-distilled-v1"
SENTENCE_PAUSE_MS = 200  # between sentences, as Piper's --sentence_silence default (the teacher's own pause is ~0.2 s)
# The espeak-distilled speakers it replaced: a request that names one gets INVALID_ARGUMENT saying so.
RETIRED_SPEAKERS = {
    name: "the espeak-distilled voices were replaced on 2026-11-27 by the natural voice en_us_joe"
    for name in ("en_us_male", "en_us_female", "en_gb_male")
}


@dataclass(frozen=True)
class Recipe:
    seed: int = 1234
    mel: MelConfig = field(default_factory=MelConfig)
    model: AcousticConfig = field(default_factory=AcousticConfig)
    max_frames_per_batch: int = 6000
    learning_rate: float = 1.5e-3
    warmup_steps: int = 300
    steps: int = 5000

    @classmethod
    def quick(cls) -> "Recipe":
        """Minutes-scale settings for tests: the loss must still go down."""
        return cls(
            model=AcousticConfig(hidden=32, encoder_layers=1, decoder_layers=1, filter_size=64),
            max_frames_per_batch=2000,
            learning_rate=5e-3,
            warmup_steps=5,
            steps=30,
        )


@dataclass(frozen=True)
class VocoderRecipe:
    """The neural vocoder's size and schedule: fine-tuned from the previous voice's vocoder on the teacher's audio."""

    seed: int = 1234
    mel: MelConfig = field(default_factory=MelConfig)
    model: NeuralVocoderConfig = field(default_factory=NeuralVocoderConfig)
    segment_frames: int = 32
    batch_size: int = 16
    learning_rate: float = 2e-4
    warmup_steps: int = 200
    steps: int = 6000
    adversarial_from: int = 0  # step at which the discriminators join (0: from the start of a fine-tune)
    validation_clips: int = 48
    discriminator_channels: tuple[int, ...] = (16, 32, 64, 128)  # multi-period, per layer
    discriminator_resolutions: tuple[tuple[int, int], ...] = ()  # (n_fft, hop) of each spectrogram discriminator

    @classmethod
    def gpu(cls) -> "VocoderRecipe":
        """A lent GPU's recipe: longer segments, bigger batches, both discriminator kinds at useful sizes; its
        run is bounded by wall time (train_vocoder --minutes), `steps` is only the schedule's ceiling."""
        return cls(
            segment_frames=64,
            batch_size=32,
            steps=40000,
            discriminator_channels=(32, 64, 128, 256),
            discriminator_resolutions=((512, 128), (1024, 256), (2048, 512)),
        )

    @classmethod
    def quick(cls) -> "VocoderRecipe":
        """Seconds-scale settings for tests: the loss must still go down."""
        return cls(
            adversarial_from=30,
            validation_clips=2,
            model=NeuralVocoderConfig(dim=32, intermediate=64, layers=2),
            batch_size=8,
            learning_rate=3e-3,
            warmup_steps=5,
            steps=60,
        )
