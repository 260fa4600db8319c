"""Triton's config.pbtxt through protobuf's text format and the project's schema (serving/proto/model_config.proto):
read strictly (a misspelt field is an error here, not at Triton's start), edited as messages, written back.
The launcher's derived configs, the GPU variant's generated ones and the offline checks all go through it.
"""

from __future__ import annotations

from pathlib import Path

from google.protobuf import text_format

from serving._proto.model_config_pb2 import DataType, ModelConfig


def parse(text: str) -> ModelConfig:
    return text_format.Parse(text, ModelConfig())


def read(path: Path) -> ModelConfig:
    try:
        return parse(Path(path).read_text())
    except text_format.ParseError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def dump(config: ModelConfig) -> str:
    return text_format.MessageToString(config)


def tensors(config: ModelConfig, kind: str) -> dict[str, tuple[str, tuple[int, ...]]]:
    """`input` or `output` entries as {name: (data type name, dims)}."""
    return {t.name: (DataType.Name(t.data_type), tuple(t.dims)) for t in getattr(config, kind)}


def set_parameter(config: ModelConfig, stage: str, key: str, value: str) -> None:
    """Change an existing string parameter of `stage` (a key its config does not have is a mistake: ValueError)."""
    if key not in config.parameters:
        raise ValueError(f"{stage}/config.pbtxt has no parameter {key!r} to set")
    config.parameters[key].string_value = value
