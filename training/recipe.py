"""The default voice's recipes in one place: speakers, data sizes, model sizes and training schedules."""

from __future__ import annotations

from dataclasses import dataclass, field

from triton_tts.acoustic import AcousticConfig
from triton_tts.mel import MelConfig
from triton_tts.neural_vocoder import NeuralVocoderConfig

# Speaker name (the serving API's VOICE) -> espeak-ng voice that teaches it.
SPEAKERS = {"en_us_male": "en-us", "en_us_female": "en-us+f3", "en_gb_male": "en"}


@dataclass(frozen=True)
class Recipe:
    seed: int = 1234
    train_per_speaker: int = 4000
    validation_per_speaker: int = 150
    mel: MelConfig = field(default_factory=MelConfig)
    model: AcousticConfig = field(default_factory=AcousticConfig)
    max_frames_per_batch: int = 6000
    learning_rate: float = 1.5e-3
    warmup_steps: int = 300
    steps: int = 3000

    @classmethod
    def quick(cls) -> "Recipe":
        """Minutes-scale settings for tests: the loss must still go down."""
        return cls(
            train_per_speaker=40,
            validation_per_speaker=4,
            model=AcousticConfig(hidden=32, encoder_layers=1, decoder_layers=1, filter_size=64),
            max_frames_per_batch=2000,
            warmup_steps=5,
            steps=30,
        )


@dataclass(frozen=True)
class VocoderRecipe:
    """The neural vocoder's data, size and schedule: fits in under an hour on 2 CPU cores."""

    seed: int = 1234
    sentences_per_speaker: int = 800
    mel: MelConfig = field(default_factory=MelConfig)
    model: NeuralVocoderConfig = field(default_factory=NeuralVocoderConfig)
    segment_frames: int = 32
    batch_size: int = 16
    learning_rate: float = 1e-3
    warmup_steps: int = 500
    steps: int = 20000

    @classmethod
    def quick(cls) -> "VocoderRecipe":
        """Seconds-scale settings for tests: the loss must still go down."""
        return cls(
            sentences_per_speaker=8,
            model=NeuralVocoderConfig(dim=32, intermediate=64, layers=2),
            batch_size=8,
            learning_rate=3e-3,
            warmup_steps=5,
            steps=60,
        )
