"""The ensembles' steps follow one routing rule (serving.ensemble_routing): the shipped CPU ensemble is exactly
that rule applied to its stages' configs, so a stage that gains or renames a tensor fails here until the
ensemble is routed again, and the GPU variant (routed by the same code) cannot drift from it."""

from __future__ import annotations

import pytest
from google.protobuf import text_format

from serving._proto.model_config_pb2 import ModelConfig
from serving.ensemble_routing import route
from serving.model_config import parse, read
from serving.paths import ENSEMBLE_REPOSITORY, STAGE_REPOSITORY

ENSEMBLE = read(ENSEMBLE_REPOSITORY / "tts" / "config.pbtxt")


def _stages() -> list:
    return [(step.model_name, read(STAGE_REPOSITORY / step.model_name / "config.pbtxt")) for step in ENSEMBLE.ensemble_scheduling.step]


def test_the_cpu_ensemble_is_routed_by_the_rule() -> None:
    routed = route(ENSEMBLE, _stages())
    shipped = list(ENSEMBLE.ensemble_scheduling.step)
    assert shipped == routed, "ensembles/tts/config.pbtxt: route its steps again; expected\n" + "\n".join(
        text_format.MessageToString(step, as_one_line=True) for step in routed)


def _model(inputs: str, outputs: str) -> ModelConfig:
    """A config with these tensors; an input ending in ? is optional."""
    return parse("".join(f'input {{ name: "{name.strip("?")}" data_type: TYPE_FP32 dims: 1 optional: {str(name.endswith("?")).lower()} }}'
                         for name in inputs.split())
                 + "".join(f'output {{ name: "{name}" data_type: TYPE_FP32 dims: 1 }}' for name in outputs.split()))


def test_inputs_read_the_latest_value_and_outputs_go_public_only_when_final() -> None:
    ensemble = _model("TEXT", "AUDIO WORDS")
    steps = route(ensemble, [("a", _model("TEXT", "X WORDS TRACE UNUSED")), ("b", _model("X TRACE", "TRACE AUDIO")),
                             ("c", _model("AUDIO TRACE MISSING?", "AUDIO"))])
    assert [dict(s.input_map) for s in steps] == [
        {"TEXT": "TEXT"}, {"X": "x", "TRACE": "trace"}, {"AUDIO": "audio", "TRACE": "trace_after_b"}]
    assert [dict(s.output_map) for s in steps] == [
        {"X": "x", "WORDS": "WORDS", "TRACE": "trace"}, {"TRACE": "trace_after_b", "AUDIO": "audio"}, {"AUDIO": "AUDIO"}]


@pytest.mark.parametrize("models, message", [
    ([("a", _model("TEXT", "X")), ("b", _model("Y", "AUDIO"))], "required input Y"),
    ([("a", _model("TEXT", "X"))], "ensemble outputs ['AUDIO']"),
], ids=["unmade-input", "unmade-output"])
def test_a_pipeline_that_cannot_be_routed_is_refused_by_name(models, message) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        route(_model("TEXT", "AUDIO"), models)
