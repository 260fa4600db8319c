"""Reading a Triton model config's `parameters` and locating the voice artifact from inside a stage."""

from __future__ import annotations

import os
import re
from pathlib import Path

VOICE_DIR_ENV = "TTS_VOICE_DIR"
LEXICON_ENV = "TTS_LEXICON"


def parameter(model_config: dict, name: str, default: str) -> str:
    """A `parameters { key: name value { string_value: ... } }` entry of config.pbtxt, or `default`."""
    return model_config.get("parameters", {}).get(name, {}).get("string_value", default)


def required_parameter(model_config: dict, name: str) -> str:
    """A parameter the model's config.pbtxt sets: its value lives there alone, not in a second default here."""
    try:
        return model_config["parameters"][name]["string_value"]
    except KeyError:
        raise ValueError(f"{model_config.get('name', 'the model')}'s config.pbtxt has no parameter {name!r}") from None


def voice_dir(model_config: dict, model_directory: str) -> Path:
    """$TTS_VOICE_DIR if set, else the `voice_dir` parameter (relative paths start at the model's directory)."""
    configured = os.environ.get(VOICE_DIR_ENV) or parameter(model_config, "voice_dir", "../../voices/default")
    return (Path(model_directory) / configured).resolve()


def stage_parameter(model_directory: str, stage: str, name: str, default: str) -> str:
    """A parameter of another model's config.pbtxt in the same repository: one source for a limit two models
    enforce (the streaming model takes the text frontend's)."""
    path = Path(model_directory).parent / stage / "config.pbtxt"
    # Hand-written (one line) or written by protobuf's text format (the launcher's derived configs: one field a line).
    pattern = rf'parameters\s*\{{\s*key:\s*"{re.escape(name)}"\s*,?\s*value:?\s*\{{\s*string_value:\s*"([^"]*)"'
    match = re.search(pattern, path.read_text()) if path.exists() else None
    return match.group(1) if match else default


def lexicon_file(model_directory: str) -> Path | None:
    """$TTS_LEXICON if set (a ConfigMap in Kubernetes), else the text frontend's `lexicon` parameter (relative
    to its directory): the one lexicon of both models that phonemize (text_frontend and tts_stream)."""
    configured = os.environ.get(LEXICON_ENV) or stage_parameter(model_directory, "text_frontend", "lexicon", "")
    return (Path(model_directory).parent / "text_frontend" / configured).resolve() if configured else None
