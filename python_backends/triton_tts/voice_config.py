"""What a voice artifact says about itself, readable without torch: its config files, mel and model settings.

The text frontend, the `voices` model, the GPU variant's trim step and the load tests need only this, so
they never load torch; triton_tts.voice loads the weights.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from triton_tts.limits import N_MELS
from triton_tts.phonemes import PHONEMIZERS, PhonemeInventory

CONFIG_FILE = "voice.json"
WEIGHTS_FILE = "model.safetensors"
FORMAT_VERSION = 1
MAX_SENTENCE_PAUSE_MS = 1000  # 545 one-word sentences at RATE 0.5 stay within the vocoder's MAX_REQUEST_FRAMES


class VoiceArtifactError(ValueError):
    """A voice directory is missing, truncated, or does not match its config."""


@dataclass(frozen=True)
class MelConfig:
    """STFT and mel parameters; stored in the voice artifact so that training and serving agree."""

    sample_rate: int = 22050
    n_fft: int = 1024
    hop_length: int = 256
    win_length: int = 1024
    n_mels: int = N_MELS
    f_min: float = 0.0
    f_max: float = 8000.0
    log_floor: float = 1e-5

    @classmethod
    def from_dict(cls, data: dict) -> "MelConfig":
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)

    def n_frames(self, n_samples: int) -> int:
        """Frames of a centred STFT over `n_samples` samples."""
        return 1 + n_samples // self.hop_length


@dataclass(frozen=True)
class PostfilterConfig:
    """Serving's post-filter of the acoustic model's mels (triton_tts.acoustic.MelPostfilter): triangular blurs of
    odd width across mel bins and across frames, and how much of each mel's difference to its blur is added
    (gain 0: off). Not trained: chosen after training by training/postfilter.py."""

    bin_width: int = 1
    bin_gain: float = 0.0
    frame_width: int = 1
    frame_gain: float = 0.0

    def __post_init__(self) -> None:
        if self.bin_width < 1 or self.bin_width % 2 == 0 or self.frame_width < 1 or self.frame_width % 2 == 0:
            raise ValueError(f"post-filter widths must be odd and positive, got {self}")


@dataclass(frozen=True)
class AcousticConfig:
    """Model sizes; `n_tokens` and `n_speakers` come from the data."""

    n_tokens: int = 0
    n_speakers: int = 0
    n_mels: int = N_MELS
    hidden: int = 128
    heads: int = 2
    filter_size: int = 384
    kernel_size: int = 5
    encoder_layers: int = 3
    decoder_layers: int = 3
    duration_filter: int = 128
    dropout: float = 0.1
    postfilter: PostfilterConfig = PostfilterConfig()

    @classmethod
    def from_dict(cls, data: dict) -> "AcousticConfig":
        return cls(**{**data, "postfilter": PostfilterConfig(**data.get("postfilter", {}))})

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class VoiceConfig:
    """Everything serving needs besides the weights."""

    name: str
    speakers: dict[str, str]  # speaker name -> espeak-ng voice used by the frontend
    inventory: PhonemeInventory
    mel: MelConfig
    model: AcousticConfig
    training: dict = field(default_factory=dict)  # provenance: data hash, steps, wall time
    phonemizer: str = "espeak_mnemonics"  # triton_tts.phonemes.PHONEMIZERS; older artifacts predate the field
    retired_speakers: dict[str, str] = field(default_factory=dict)  # old VOICE name -> why it is gone, what to use
    # Silence between two sentences of a request, on top of the pause the model ends a sentence with (as
    # Piper's --sentence_silence, 0.2 s by default): without it a period pauses no longer than a comma.
    sentence_pause_ms: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.sentence_pause_ms <= MAX_SENTENCE_PAUSE_MS:
            raise VoiceArtifactError(f"{CONFIG_FILE}: sentence_pause_ms must be within 0..{MAX_SENTENCE_PAUSE_MS}, got {self.sentence_pause_ms}")
        if self.phonemizer not in PHONEMIZERS:
            raise VoiceArtifactError(f"{CONFIG_FILE}: unknown phonemizer {self.phonemizer!r}; one of {', '.join(PHONEMIZERS)}")
        if self.model.n_mels != self.mel.n_mels:
            raise VoiceArtifactError(f"{CONFIG_FILE}: the model makes {self.model.n_mels} mel bins but the mel settings say {self.mel.n_mels}")

    @classmethod
    def from_dict(cls, data: dict) -> "VoiceConfig":
        if data.get("format_version") != FORMAT_VERSION:
            raise VoiceArtifactError(f"format_version is {data.get('format_version')!r}, expected {FORMAT_VERSION}")
        try:
            return cls(
                name=data["name"],
                speakers=dict(data["speakers"]),
                inventory=PhonemeInventory(tuple(data["inventory"])),
                mel=MelConfig.from_dict(data["mel"]),
                model=AcousticConfig.from_dict(data["model"]),
                training=dict(data.get("training", {})),
                phonemizer=data.get("phonemizer", "espeak_mnemonics"),
                retired_speakers=dict(data.get("retired_speakers", {})),
                sentence_pause_ms=int(data.get("sentence_pause_ms", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise VoiceArtifactError(f"{CONFIG_FILE} is invalid: {exc!r}") from exc

    def to_dict(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "speakers": self.speakers,
            "inventory": list(self.inventory.tokens),
            "mel": self.mel.to_dict(),
            "model": self.model.to_dict(),
            "training": self.training,
            "phonemizer": self.phonemizer,
            "retired_speakers": self.retired_speakers,
            "sentence_pause_ms": self.sentence_pause_ms,
        }

    def speaker_id(self, speaker: str) -> int:
        """Index of a speaker name; KeyError lists the names that exist."""
        names = list(self.speakers)
        if speaker not in names:
            raise KeyError(f"unknown voice {speaker!r}; available: {', '.join(names)}")
        return names.index(speaker)


def read_config(path: Path) -> dict:
    """A JSON config file of an artifact, with errors that name the file."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise VoiceArtifactError(f"no config at {path}") from exc
    except json.JSONDecodeError as exc:
        raise VoiceArtifactError(f"{path} is not valid JSON ({exc}); is the file truncated?") from exc


def load_voice_config(directory: Path) -> VoiceConfig:
    return VoiceConfig.from_dict(read_config(Path(directory) / CONFIG_FILE))
