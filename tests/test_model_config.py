"""config.pbtxt through the project's schema: strict parsing, the launcher's derived configs, current stubs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from serving import model_config
from serving._proto.model_config_pb2 import ModelInstanceGroup
from serving.launcher import ServerOptions, derive_config
from tests.conftest import REPO
from triton_tts.model_config import required_parameter, stage_parameter

ACOUSTIC = (REPO / "model_repository" / "acoustic" / "config.pbtxt").read_text()
ENSEMBLE = (REPO / "ensembles" / "tts" / "config.pbtxt").read_text()


def test_a_misspelt_field_is_an_error_here_not_at_tritons_start(tmp_path: Path) -> None:
    (tmp_path / "config.pbtxt").write_text(ACOUSTIC.replace("max_batch_size", "max_batch_sise"))
    with pytest.raises(ValueError, match="max_batch_sise"):
        model_config.read(tmp_path / "config.pbtxt")


def test_derived_configs_change_only_what_was_asked() -> None:
    options = ServerOptions(instances={"acoustic": 3}, max_queue={"acoustic": 5}, parameters={"acoustic": {"threads": "2"}})
    derived = model_config.parse(derive_config(ACOUSTIC, "acoustic", options))
    original = model_config.parse(ACOUSTIC)
    assert derived.instance_group[0].count == 3 and derived.dynamic_batching.default_queue_policy.max_queue_size == 5
    assert derived.parameters["threads"].string_value == "2"
    derived.instance_group[0].count, derived.parameters["threads"].string_value = original.instance_group[0].count, "1"
    derived.dynamic_batching.default_queue_policy.max_queue_size = original.dynamic_batching.default_queue_policy.max_queue_size
    assert derived == original


def test_baselines_drop_the_queue_bound_or_the_batcher_and_leave_ensembles_alone() -> None:
    unbounded = model_config.parse(derive_config(ACOUSTIC, "acoustic", ServerOptions(queue_bounds=False)))
    assert unbounded.HasField("dynamic_batching") and not unbounded.dynamic_batching.HasField("default_queue_policy")
    assert not model_config.parse(derive_config(ACOUSTIC, "acoustic", ServerOptions(dynamic_batching=False))).HasField("dynamic_batching")
    for options in (ServerOptions(queue_bounds=False), ServerOptions(dynamic_batching=False)):
        assert model_config.parse(derive_config(ENSEMBLE, "tts", options)) == model_config.parse(ENSEMBLE)


def test_device_cuda_puts_the_compute_stages_on_one_gpu_with_whole_batches_and_set_still_wins() -> None:
    options = ServerOptions(device="cuda", parameters={"acoustic": {"precision": "fp16"}})
    for stage in ("acoustic", "vocoder"):
        text = (REPO / "model_repository" / stage / "config.pbtxt").read_text()
        derived = model_config.parse(derive_config(text, stage, options))
        assert [(g.count, g.kind) for g in derived.instance_group] == [(1, ModelInstanceGroup.KIND_GPU)]
        parameters = {key: value.string_value for key, value in derived.parameters.items()}
        assert (parameters["runtime"], parameters["device"]) == ("torch", "cuda")
        assert parameters["compute_batch_size"] == str(derived.max_batch_size)
        assert parameters["precision"] == ("fp16" if stage == "acoustic" else "fp32")
    frontend = (REPO / "model_repository" / "text_frontend" / "config.pbtxt").read_text()
    assert derive_config(frontend, "text_frontend", options) == derive_config(frontend, "text_frontend", ServerOptions())


def test_an_override_of_something_the_config_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="no parameter 'treads'"):
        derive_config(ACOUSTIC, "acoustic", ServerOptions(parameters={"acoustic": {"treads": "2"}}))
    with pytest.raises(ValueError, match="no default_queue_policy"):
        derive_config((REPO / "model_repository" / "tts_stream" / "config.pbtxt").read_text(), "tts_stream",
                      ServerOptions(max_queue={"tts_stream": 4}))


def test_generated_stubs_are_up_to_date(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-Iserving/_proto=serving/proto", f"--python_out={tmp_path}",
                    f"--pyi_out={tmp_path}", "serving/proto/model_config.proto"], cwd=REPO, check=True)
    for name in ("model_config_pb2.py", "model_config_pb2.pyi"):
        fresh = (tmp_path / "serving" / "_proto" / name).read_text()
        assert fresh == (REPO / "serving" / "_proto" / name).read_text(), f"{name} is stale: see serving/proto/model_config.proto"


def test_the_streaming_stage_reads_the_frontends_parameters_from_a_derived_config(tmp_path: Path) -> None:
    """tts_stream takes text_frontend's lexicon and phoneme cap from its config, hand-written or derived."""
    frontend = (REPO / "model_repository" / "text_frontend" / "config.pbtxt").read_text()
    for text in (frontend, derive_config(frontend, "text_frontend", ServerOptions(parameters={"text_frontend": {"max_phonemes": "700"}}))):
        (tmp_path / "text_frontend").mkdir(exist_ok=True)
        (tmp_path / "text_frontend" / "config.pbtxt").write_text(text)
        read = {name: stage_parameter(str(tmp_path / "tts_stream"), "text_frontend", name, "") for name in ("lexicon", "max_phonemes")}
        assert read["lexicon"] == "lexicon.tsv" and read["max_phonemes"] in ("6000", "700"), read


def test_a_stage_setting_lives_in_config_pbtxt_alone() -> None:
    """required_parameter has no second default: a config without the setting fails the model's load, by name."""
    config = {"name": "vocoder", "parameters": {"threads": {"string_value": "1"}}}
    assert required_parameter(config, "threads") == "1"
    with pytest.raises(ValueError, match="vocoder's config.pbtxt has no parameter 'runtime'"):
        required_parameter(config, "runtime")


def test_the_launcher_writes_the_cuda_repository_the_image_serves(tmp_path: Path) -> None:
    """The Dockerfile's model_repository_cuda (k8s/components/gpu-torch): every model, the compute stages on the GPU."""
    target = tmp_path / "model_repository_cuda"
    subprocess.run([sys.executable, "-m", "serving.launcher", "--device", "cuda", "--repository-only", str(target)], cwd=REPO, check=True)
    models = {p.name for p in target.iterdir()}
    assert {"text_frontend", "acoustic", "vocoder", "tts", "tts_stream"} <= models
    for stage in ("acoustic", "vocoder"):
        config = model_config.read(target / stage / "config.pbtxt")
        assert [g.kind for g in config.instance_group] == [ModelInstanceGroup.KIND_GPU]
        assert (target / stage / "1" / "model.py").exists()
