"""Reading a Triton model config's `parameters` and locating the voice artifact from inside a stage."""

from __future__ import annotations

import os
from pathlib import Path

VOICE_DIR_ENV = "TTS_VOICE_DIR"


def parameter(model_config: dict, name: str, default: str) -> str:
    """A `parameters { key: name value { string_value: ... } }` entry of config.pbtxt, or `default`."""
    return model_config.get("parameters", {}).get(name, {}).get("string_value", default)


def voice_dir(model_config: dict, model_directory: str) -> Path:
    """$TTS_VOICE_DIR if set, else the `voice_dir` parameter (relative paths start at the model's directory)."""
    configured = os.environ.get(VOICE_DIR_ENV) or parameter(model_config, "voice_dir", "../../voices/default")
    return (Path(model_directory) / configured).resolve()
