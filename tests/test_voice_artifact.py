"""The voice artifact loads when intact and fails with a clear message when it is not."""

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import DEFAULT_VOICE_DIR
from triton_tts.voice import load_voice
from triton_tts.voice_config import CONFIG_FILE, WEIGHTS_FILE, VoiceArtifactError


@pytest.fixture
def voice_copy(tmp_path: Path) -> Path:
    target = tmp_path / "voice"
    shutil.copytree(DEFAULT_VOICE_DIR, target)
    return target


def test_shipped_voice_loads_and_is_small(default_voice) -> None:
    assert list(default_voice.config.speakers) == ["en_us_joe"] and default_voice.config.phonemizer == "piper_ipa"
    assert default_voice.config.model.n_tokens == len(default_voice.config.inventory)
    total = sum(p.stat().st_size for p in DEFAULT_VOICE_DIR.iterdir())
    assert total < 20 * 1024 * 1024


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(VoiceArtifactError, match="no config at"):
        load_voice(tmp_path / "nowhere")


def test_truncated_weights(voice_copy: Path) -> None:
    weights = voice_copy / WEIGHTS_FILE
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(VoiceArtifactError, match="truncated or replaced"):
        load_voice(voice_copy)


def test_truncated_config(voice_copy: Path) -> None:
    config = voice_copy / CONFIG_FILE
    config.write_text(config.read_text()[:100])
    with pytest.raises(VoiceArtifactError, match="not valid JSON"):
        load_voice(voice_copy)


def test_unknown_format_version(voice_copy: Path) -> None:
    config = voice_copy / CONFIG_FILE
    data = json.loads(config.read_text()) | {"format_version": 99}
    config.write_text(json.dumps(data))
    with pytest.raises(VoiceArtifactError, match="format_version"):
        load_voice(voice_copy)


def test_weights_that_do_not_fit_the_config(voice_copy: Path) -> None:
    config = voice_copy / CONFIG_FILE
    data = json.loads(config.read_text())
    data["model"]["hidden"] *= 2
    config.write_text(json.dumps(data))
    with pytest.raises(VoiceArtifactError, match="does not fit"):
        load_voice(voice_copy)


def test_unknown_speaker_names_the_choices(default_voice) -> None:
    with pytest.raises(KeyError, match="available: en_us_joe"):
        default_voice.config.speaker_id("robot")
