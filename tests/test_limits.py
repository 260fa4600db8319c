"""The limits and shape constants of triton_tts.limits are the only source: every config.pbtxt, the engine
script's example, the README and the shipped voice agree with them, and the modules that need no torch
load none."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from serving.gpu_repository import STAGES
from serving.model_config import read, tensors
from tests.conftest import REPO
from triton_tts.limits import GPU_MAX_PHONEMES, MAX_PHONEMES, MAX_TEXT_CHARS, N_MELS, TRACE_SIZE
from triton_tts.observability import RequestTrace
from triton_tts.voice_config import load_voice_config

CONFIGS = sorted([*(REPO / "model_repository").glob("*/config.pbtxt"), *(REPO / "ensembles").glob("*/config.pbtxt"),
                  *(REPO / "serving" / "gpu_variant").glob("*/config.pbtxt")])


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.parent.name)
def test_configs_use_the_shape_constants(path: Path) -> None:
    config = read(path)
    for kind in ("input", "output"):
        for name, (_, dims) in tensors(config, kind).items():
            if name == "TRACE":
                assert dims == (TRACE_SIZE,), f"{path}: TRACE {dims}"
            if name == "MEL":
                assert dims == (N_MELS, -1), f"{path}: MEL {dims}"


def test_the_frontend_cap_is_the_one_in_limits() -> None:
    config = read(REPO / "model_repository" / "text_frontend" / "config.pbtxt")
    assert config.parameters["max_phonemes"].string_value == str(MAX_PHONEMES)


def test_the_trace_tensor_holds_every_trace_field() -> None:
    assert len(fields(RequestTrace)) == TRACE_SIZE


def test_the_engine_scripts_example_profile_is_the_generated_one() -> None:
    acoustic = next(stage for stage in STAGES if stage.name == "acoustic")
    script = (REPO / "scripts" / "build_trt_engines.sh").read_text()
    example = re.findall(r"#\s+((?:min|opt|max)Shapes=\S+)", script)
    assert example == acoustic.profile().split(), "update the example in scripts/build_trt_engines.sh"
    assert f"x{GPU_MAX_PHONEMES}," in acoustic.profile()


def test_the_readme_states_the_limits() -> None:
    readme = (REPO / "README.md").read_text()
    assert f"1 to {MAX_TEXT_CHARS} characters" in readme
    assert f"over {MAX_TEXT_CHARS} characters or over {MAX_PHONEMES} phoneme tokens" in readme


def test_the_shipped_voice_has_the_mel_bins_the_stages_expect() -> None:
    voice = load_voice_config(REPO / "voices" / "default")
    assert voice.mel.n_mels == voice.model.n_mels == N_MELS


def test_stages_that_need_no_torch_load_none() -> None:
    """The text frontend, the `voices` model and the GPU variant's trim step: smaller processes. (The streaming
    model's own logic too, though its process loads torch to export its vocoder's graphs.)"""
    modules = ("triton_tts.errors, triton_tts.limits, triton_tts.triton_batch, triton_tts.trim, triton_tts.frontend, "
               "triton_tts.voice_config, triton_tts.stream_service, triton_tts.draining")
    code = f"import sys, {modules}; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
