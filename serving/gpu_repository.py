"""Generate the GPU (TensorRT) variant of the model repository from the CPU repository and the ONNX signatures.

One source of truth: the public ensemble's inputs and outputs and the text frontend are read from the CPU
repository, the ensemble's steps are routed by the CPU ensemble's rule (serving/ensemble_routing.py) over the
CPU ensemble's models followed by trim_audio (serving/gpu_variant/trim_audio); the TensorRT stages' tensors come from triton_tts.onnx_export.SIGNATURES; their shape ranges and
batch limits are set here once and written both into the Triton configs and into the trtexec shape profiles
next to the ONNX files (scripts/build_trt_engines.sh reads those), so engines and configs agree by construction.

The GPU pipeline: text_frontend (Python, CPU) -> acoustic (TensorRT) -> vocoder (TensorRT) -> trim_audio
(Python): TensorRT returns each request's audio padded to its batch's longest, and trim_audio cuts it, times
its words, encodes it and writes the request's log line and metrics (the engines' own times are not in it:
acoustic_ms and vocoder_ms are 0; Triton's per-model compute metrics have them). A request's sentences go through the acoustic engine as one sequence (the engine has no per-request loop), so
SSML <break> and <prosody> and the voice's pause between sentences are not applied on this variant (the
request's RATE is).

Run: python -m serving.gpu_repository --onnx build/onnx/default --out build/model_repository_gpu
"""

from __future__ import annotations

import argparse
import shutil
from dataclasses import dataclass
from pathlib import Path

from serving import model_config
from serving._proto.model_config_pb2 import DataType, ModelConfig, ModelInstanceGroup
from serving.ensemble_routing import with_steps
from serving.paths import ENSEMBLE_REPOSITORY, STAGE_REPOSITORY, TRIM_STAGE
from triton_tts.acoustic import MAX_FRAMES
from triton_tts.limits import GPU_MAX_PHONEMES, N_MELS
from triton_tts.onnx_export import SIGNATURES

# scripts/build_trt_engines.sh points this link at the engines built for the pod's GPU and TensorRT version.
ENGINE_DIR = "/var/cache/triton-tts/engines/current"


@dataclass(frozen=True)
class Tensor:
    name: str
    data_type: str
    dims: tuple[int, ...]  # per request, without the batch dimension
    scalar: bool = False  # [1] per request in Triton, a plain (batch,) vector in the engine: reshape []


@dataclass(frozen=True)
class EngineStage:
    """A TensorRT stage: its Triton tensors, batch limit and the (opt, max) size of its one dynamic length axis."""

    name: str
    inputs: tuple[Tensor, ...]
    outputs: tuple[Tensor, ...]
    max_batch_size: int
    preferred_batch_sizes: tuple[int, ...]
    opt_length: int
    max_length: int
    comment: str

    def profile(self) -> str:
        """trtexec's --minShapes/--optShapes/--maxShapes for the engine inputs, one per line."""
        def shapes(batch: int, length: int) -> str:
            dims = {t.name: (batch,) if t.scalar else (batch, *(length if d == -1 else d for d in t.dims)) for t in self.inputs}
            return ",".join(f"{name}:" + "x".join(map(str, shape)) for name, shape in dims.items())
        return "\n".join([
            f"minShapes={shapes(1, 1)}",
            f"optShapes={shapes(max(self.preferred_batch_sizes), self.opt_length)}",
            f"maxShapes={shapes(self.max_batch_size, self.max_length)}",
        ]) + "\n"


STAGES = (
    EngineStage(
        "acoustic",
        inputs=(Tensor("PHONEME_IDS", "TYPE_INT64", (-1,)), Tensor("LENGTHS", "TYPE_INT64", (1,), True),
                Tensor("SPEAKER", "TYPE_INT64", (1,), True), Tensor("PACE", "TYPE_FP32", (1,), True)),
        outputs=(Tensor("MEL", "TYPE_FP32", (N_MELS, -1)), Tensor("MEL_LENGTHS", "TYPE_INT64", (1,), True),
                 Tensor("DURATIONS", "TYPE_INT64", (-1,))),
        max_batch_size=32, preferred_batch_sizes=(4, 8), opt_length=64, max_length=GPU_MAX_PHONEMES,
        comment="Acoustic model as a TensorRT engine: phoneme ids -> log-mel, padded to the batch's longest.",
    ),
    EngineStage(
        "vocoder",
        inputs=(Tensor("MEL", "TYPE_FP32", (N_MELS, -1)), Tensor("MEL_LENGTHS", "TYPE_INT64", (1,), True)),
        outputs=(Tensor("AUDIO", "TYPE_FP32", (-1,)), Tensor("AUDIO_LENGTHS", "TYPE_INT64", (1,), True)),
        max_batch_size=32, preferred_batch_sizes=(4, 8), opt_length=400, max_length=MAX_FRAMES,
        comment="Neural vocoder as a TensorRT engine: log-mel -> waveform, padded to the batch's longest.",
    ),
)


def _add_tensors(fields, tensors: tuple[Tensor, ...]) -> None:
    for t in tensors:
        tensor = fields.add(name=t.name, data_type=DataType.Value(t.data_type), dims=t.dims)
        if t.scalar:
            tensor.reshape.SetInParent()  # reshape: { shape: [ ] }


def engine_config(stage: EngineStage) -> ModelConfig:
    config = ModelConfig(platform="tensorrt_plan", max_batch_size=stage.max_batch_size)
    _add_tensors(config.input, stage.inputs)
    _add_tensors(config.output, stage.outputs)
    config.dynamic_batching.preferred_batch_size.extend(stage.preferred_batch_sizes)
    config.dynamic_batching.max_queue_delay_microseconds = 2000
    config.instance_group.add(count=1, kind=ModelInstanceGroup.KIND_GPU)
    return config


def _engine_header(stage: EngineStage) -> str:
    return (f"# {stage.comment}\n# Generated by serving/gpu_repository.py: edit it there. Shapes match the engine's "
            f"profile ({stage.name}.profile).\n")


def ensemble_config(cpu_ensemble: str, models: dict[str, ModelConfig]) -> str:
    """The CPU ensemble's comments, inputs and outputs (the public contract), its models followed by trim_audio,
    engines in place of the Python stages where `models` has them, routed by serving.ensemble_routing."""
    config = model_config.parse(cpu_ensemble)
    names = [step.model_name for step in config.ensemble_scheduling.step] + [TRIM_STAGE.name]
    routed = with_steps(config, [(name, models[name]) for name in names])
    comments = "".join(line + "\n" for line in cpu_ensemble.splitlines() if line.startswith("#"))
    return comments + "# The GPU steps: generated by serving/gpu_repository.py (serving/ensemble_routing.py).\n" + model_config.dump(routed)


def frontend_config(cpu_config: str) -> str:
    """The CPU frontend's config with its phoneme cap set to the acoustic engine's token range."""
    config = model_config.parse(cpu_config)
    model_config.set_parameter(config, "text_frontend", "max_phonemes", str(GPU_MAX_PHONEMES))
    return "# The CPU text_frontend's config, its phoneme cap the acoustic engine's: generated by serving/gpu_repository.py.\n" + model_config.dump(config)


def generate(out: Path, profiles: Path | None = None) -> None:
    """Write the GPU repository to `out` (replacing it) and, if given, the engines' shape profiles to `profiles`."""
    for stage in STAGES:
        inputs, outputs, _ = SIGNATURES[stage.name]
        if [t.name for t in stage.inputs] != inputs or [t.name for t in stage.outputs] != outputs:
            raise ValueError(f"{stage.name}: tensors differ from the ONNX signature {inputs} -> {outputs}")
    shutil.rmtree(out, ignore_errors=True)
    frontend = out / "text_frontend"
    shutil.copytree(STAGE_REPOSITORY / "text_frontend", frontend, ignore=shutil.ignore_patterns("__pycache__"))
    (frontend / "config.pbtxt").write_text(frontend_config((frontend / "config.pbtxt").read_text()))
    shutil.copytree(TRIM_STAGE, out / TRIM_STAGE.name, ignore=shutil.ignore_patterns("__pycache__"))
    models = {name: model_config.read(out / name / "config.pbtxt") for name in (frontend.name, TRIM_STAGE.name)}
    for stage in STAGES:
        models[stage.name] = engine_config(stage)
        (out / stage.name / "1").mkdir(parents=True)
        (out / stage.name / "config.pbtxt").write_text(_engine_header(stage) + model_config.dump(models[stage.name]))
        (out / stage.name / "1" / "model.plan").symlink_to(f"{ENGINE_DIR}/{stage.name}.plan")
        if profiles is not None:
            profiles.mkdir(parents=True, exist_ok=True)
            (profiles / f"{stage.name}.profile").write_text(stage.profile())
    (out / "tts" / "1").mkdir(parents=True)
    (out / "tts" / "config.pbtxt").write_text(ensemble_config((ENSEMBLE_REPOSITORY / "tts" / "config.pbtxt").read_text(), models))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("build/model_repository_gpu"))
    parser.add_argument("--onnx", type=Path, help="the ONNX export's directory: the shape profiles go next to the models")
    args = parser.parse_args()
    generate(args.out, args.onnx)
    print(f"GPU repository in {args.out}" + (f", shape profiles in {args.onnx}" if args.onnx else ""))


if __name__ == "__main__":
    main()
