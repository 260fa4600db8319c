"""The voice artifact: `voice.json` + `model.safetensors` (acoustic model) and `vocoder.json` + `vocoder.safetensors`
(neural vocoder), saved by training, loaded by serving.

Loading validates everything it can (schema, file hash, tensor names and shapes) and raises VoiceArtifactError
with a message that says which file is wrong and how, instead of failing later inside a request.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from triton_tts.acoustic import AcousticModel
from triton_tts.neural_vocoder import NeuralVocoder, NeuralVocoderConfig
from triton_tts.vocoder import GriffinLim
from triton_tts.voice_config import (
    CONFIG_FILE, FORMAT_VERSION, WEIGHTS_FILE, MelConfig, VoiceArtifactError, VoiceConfig, load_voice_config, read_config,
)

@dataclass(frozen=True)
class Voice:
    config: VoiceConfig
    model: AcousticModel


def sha256_file(path: Path) -> str:
    """Hex digest of a file: the artifact records it so truncated or swapped weights are refused."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_voice(directory: Path, config: VoiceConfig, model: AcousticModel) -> None:
    save_weights(directory / WEIGHTS_FILE, directory / CONFIG_FILE, config.to_dict(), model)


def save_weights(weights: Path, config_path: Path, config: dict, model: torch.nn.Module) -> None:
    """Write weights, then the config with the weights' hash (so truncation is detected on load)."""
    weights.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights))
    config_path.write_text(json.dumps(config | {"weights_sha256": sha256_file(weights)}, indent=1) + "\n")


def load_weights(weights: Path, config_path: Path, model: torch.nn.Module) -> torch.nn.Module:
    """Fill `model` from `weights` after checking the hash recorded in `config_path`; returns it in eval mode."""
    if not weights.is_file():
        raise VoiceArtifactError(f"no weights at {weights}")
    expected = read_config(config_path).get("weights_sha256")
    if expected and sha256_file(weights) != expected:
        raise VoiceArtifactError(f"{weights} does not match the sha256 in {config_path.name}: truncated or replaced?")
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError) as exc:
        raise VoiceArtifactError(f"{weights} is not a readable safetensors file: {exc}") from exc
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise VoiceArtifactError(f"{weights} does not fit the model in {config_path.name}: {exc}") from exc
    return model.eval()


def load_voice(directory: Path | str) -> Voice:
    """Load and check a voice directory; the model is returned in eval mode."""
    directory = Path(directory)
    config = load_voice_config(directory)
    if config.model.n_tokens != len(config.inventory) or config.model.n_speakers != len(config.speakers):
        raise VoiceArtifactError(f"{CONFIG_FILE}: model sizes disagree with the inventory or the speaker list")
    model = load_weights(directory / WEIGHTS_FILE, directory / CONFIG_FILE, AcousticModel(config.model))
    return Voice(config, model)


VOCODER_CONFIG_FILE = "vocoder.json"
VOCODER_WEIGHTS_FILE = "vocoder.safetensors"
VOCODERS = ("neural", "griffin_lim")


def save_neural_vocoder(directory: Path, model: NeuralVocoder, training: dict) -> None:
    config = {"format_version": FORMAT_VERSION, "model": model.config.to_dict(), "mel": model.mel.to_dict(), "training": training}
    save_weights(directory / VOCODER_WEIGHTS_FILE, directory / VOCODER_CONFIG_FILE, config, model)


def load_neural_vocoder(directory: Path | str, mel: MelConfig) -> NeuralVocoder:
    """The voice's trained vocoder; its STFT settings must be the voice's (else it was trained for other mels)."""
    path = Path(directory) / VOCODER_CONFIG_FILE
    data = read_config(path)
    try:
        config = NeuralVocoderConfig.from_dict(data["model"])
        trained_mel = MelConfig.from_dict(data["mel"])
    except (KeyError, TypeError) as exc:
        raise VoiceArtifactError(f"{path} is invalid: {exc!r}") from exc
    if trained_mel != mel:
        raise VoiceArtifactError(f"{path}: the vocoder was trained on other mel settings than the voice's")
    return load_weights(Path(directory) / VOCODER_WEIGHTS_FILE, path, NeuralVocoder(mel, config))


def load_vocoder(kind: str, directory: Path | str, mel: MelConfig) -> NeuralVocoder | GriffinLim:
    """The serving vocoder by name: the voice's neural vocoder (default) or Griffin-Lim (fallback, no weights)."""
    if kind == "neural":
        return load_neural_vocoder(directory, mel)
    if kind == "griffin_lim":
        return GriffinLim(mel)
    raise VoiceArtifactError(f"unknown vocoder {kind!r}; choose one of {', '.join(VOCODERS)}")
