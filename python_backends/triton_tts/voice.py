"""The voice artifact: `voice.json` (config) + `model.safetensors` (weights), saved by training, loaded by serving.

Loading validates everything it can (schema, file hash, tensor names and shapes) and raises VoiceArtifactError
with a message that says which file is wrong and how, instead of failing later inside a request.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from triton_tts.acoustic import AcousticConfig, AcousticModel
from triton_tts.mel import MelConfig
from triton_tts.phonemes import PhonemeInventory

CONFIG_FILE = "voice.json"
WEIGHTS_FILE = "model.safetensors"
FORMAT_VERSION = 1


class VoiceArtifactError(ValueError):
    """A voice directory is missing, truncated, or does not match its config."""


@dataclass(frozen=True)
class VoiceConfig:
    """Everything serving needs besides the weights."""

    name: str
    speakers: dict[str, str]  # speaker name -> espeak-ng voice used by the frontend
    inventory: PhonemeInventory
    mel: MelConfig
    model: AcousticConfig
    training: dict = field(default_factory=dict)  # provenance: data hash, steps, wall time

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
        }

    def speaker_id(self, speaker: str) -> int:
        """Index of a speaker name; KeyError lists the names that exist."""
        names = list(self.speakers)
        if speaker not in names:
            raise KeyError(f"unknown voice {speaker!r}; available: {', '.join(names)}")
        return names.index(speaker)


@dataclass(frozen=True)
class Voice:
    config: VoiceConfig
    model: AcousticModel


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_voice(directory: Path, config: VoiceConfig, model: AcousticModel) -> None:
    """Write weights, then the config with the weights' hash (so truncation is detected on load)."""
    directory.mkdir(parents=True, exist_ok=True)
    weights = directory / WEIGHTS_FILE
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights))
    data = config.to_dict() | {"weights_sha256": _sha256(weights)}
    (directory / CONFIG_FILE).write_text(json.dumps(data, indent=1) + "\n")


def load_voice_config(directory: Path) -> VoiceConfig:
    path = Path(directory) / CONFIG_FILE
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise VoiceArtifactError(f"no voice config at {path}") from exc
    except json.JSONDecodeError as exc:
        raise VoiceArtifactError(f"{path} is not valid JSON ({exc}); is the file truncated?") from exc
    return VoiceConfig.from_dict(data)


def load_voice(directory: Path | str) -> Voice:
    """Load and check a voice directory; the model is returned in eval mode."""
    directory = Path(directory)
    config = load_voice_config(directory)
    weights = directory / WEIGHTS_FILE
    if not weights.is_file():
        raise VoiceArtifactError(f"no weights at {weights}")
    expected = json.loads((directory / CONFIG_FILE).read_text()).get("weights_sha256")
    if expected and _sha256(weights) != expected:
        raise VoiceArtifactError(f"{weights} does not match the sha256 in {CONFIG_FILE}: truncated or replaced?")
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError) as exc:
        raise VoiceArtifactError(f"{weights} is not a readable safetensors file: {exc}") from exc
    model = AcousticModel(config.model)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise VoiceArtifactError(f"{weights} does not fit the model in {CONFIG_FILE}: {exc}") from exc
    if config.model.n_tokens != len(config.inventory) or config.model.n_speakers != len(config.speakers):
        raise VoiceArtifactError(f"{CONFIG_FILE}: model sizes disagree with the inventory or the speaker list")
    return Voice(config, model.eval())
