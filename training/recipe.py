"""The default voice's recipe in one place: speakers, data sizes, model size and training schedule."""

from __future__ import annotations

from dataclasses import dataclass, field

from triton_tts.acoustic import AcousticConfig
from triton_tts.mel import MelConfig

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
