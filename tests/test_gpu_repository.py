"""The GPU (TensorRT) repository variant, generated from the CPU one: same public contract, consistent
ensemble routing, engine configs that match the ONNX graphs and the engines' shape profiles."""

import inspect
import shutil
from pathlib import Path

import onnx
import pytest

from serving.ensemble_check import check_ensemble, check_repository
from serving.gpu_repository import ENGINE_DIR, STAGES, generate
from serving._proto.model_config_pb2 import DataType
from serving.model_config import read, tensors
from serving.probe import STREAM_MODEL, probe
from tests.conftest import DEFAULT_VOICE_DIR, REPO
from training.export import export_voice
from triton_tts.limits import GPU_MAX_PHONEMES

ONNX_TYPES = {onnx.TensorProto.INT64: "TYPE_INT64", onnx.TensorProto.FLOAT: "TYPE_FP32"}


@pytest.fixture(scope="module")
def variant(tmp_path_factory) -> tuple[Path, Path]:
    """(GPU repository, ONNX directory with the shape profiles)."""
    root = tmp_path_factory.mktemp("gpu")
    export_voice(DEFAULT_VOICE_DIR, root / "onnx")
    generate(root / "repository", root / "onnx")
    return root / "repository", root / "onnx"


@pytest.fixture(scope="module")
def cpu_repository(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cpu")
    for source in [*(REPO / "model_repository").iterdir(), REPO / "ensembles" / "tts"]:
        shutil.copytree(source, root / source.name)
    return root


def test_both_variants_route_every_tensor(variant, cpu_repository) -> None:
    assert check_repository(variant[0]) == []
    assert check_repository(cpu_repository) == []


def test_both_variants_expose_the_same_ensemble_contract(variant, cpu_repository) -> None:
    gpu, cpu = (read(root / "tts" / "config.pbtxt") for root in (variant[0], cpu_repository))
    for kind in ("input", "output"):
        assert tensors(gpu, kind) == tensors(cpu, kind)
    assert gpu.max_batch_size == cpu.max_batch_size
    assert {i.name: i.optional for i in gpu.input} == {i.name: i.optional for i in cpu.input}


@pytest.mark.parametrize("break_it", [
    lambda models: setattr(models["acoustic"].input[1], "name", "LENGTH"),
    lambda models: setattr(models["vocoder"].output[0], "data_type", DataType.TYPE_FP16),
    lambda models: models["trim_audio"].output.pop(),
    lambda models: setattr(models["acoustic"], "max_batch_size", 8),
], ids=["renamed-input", "changed-type", "missing-output", "small-batch"])
def test_the_ensemble_check_catches(variant, break_it) -> None:
    models = {p.parent.name: read(p) for p in variant[0].glob("*/config.pbtxt")}
    break_it(models)
    assert check_ensemble(models["tts"], models)


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_engine_configs_match_the_onnx_graphs(variant, stage) -> None:
    repository, onnx_dir = variant
    config = read(repository / stage.name / "config.pbtxt")
    assert config.platform == "tensorrt_plan"
    graph = onnx.load(str(onnx_dir / f"{stage.name}.onnx")).graph
    for kind, values in (("input", graph.input), ("output", graph.output)):
        declared = tensors(config, kind)
        assert list(declared) == [v.name for v in values]
        for value in values:
            data_type, dims = declared[value.name]
            assert ONNX_TYPES[value.type.tensor_type.elem_type] == data_type, value.name
            scalar = {t.name for t in (*stage.inputs, *stage.outputs) if t.scalar}
            rank = 1 if value.name in scalar else 1 + len(dims)
            assert len(value.type.tensor_type.shape.dim) == rank, value.name
    assert (repository / stage.name / "1" / "model.plan").readlink() == Path(f"{ENGINE_DIR}/{stage.name}.plan")


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_shape_profiles_match_the_batch_and_length_limits(variant, stage) -> None:
    repository, onnx_dir = variant
    profile = dict(line.split("=", 1) for line in (onnx_dir / f"{stage.name}.profile").read_text().splitlines())
    assert set(profile) == {"minShapes", "optShapes", "maxShapes"}
    max_shapes = dict(item.split(":") for item in profile["maxShapes"].split(","))
    assert list(max_shapes) == [t.name for t in stage.inputs]
    batch = read(repository / stage.name / "config.pbtxt").max_batch_size
    assert all(int(shape.split("x")[0]) == batch for shape in max_shapes.values())
    if stage.name == "acoustic":
        assert max_shapes["PHONEME_IDS"] == f"{batch}x{GPU_MAX_PHONEMES}"
        frontend = read(repository / "text_frontend" / "config.pbtxt")
        assert frontend.parameters["max_phonemes"].string_value == str(GPU_MAX_PHONEMES)


def test_the_readiness_probe_fits_both_variants(variant, cpu_repository) -> None:
    """The pods' probe runs with its defaults: the models it asks about exist in both repositories."""
    asked = set(inspect.signature(probe).parameters["models"].default)
    for repository in (variant[0], cpu_repository):
        served = {p.parent.name for p in repository.glob("*/config.pbtxt")}
        assert asked <= served, (repository, asked - served)
    assert STREAM_MODEL in {p.parent.name for p in cpu_repository.glob("*/config.pbtxt")}
