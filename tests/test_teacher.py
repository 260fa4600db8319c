"""The Piper teacher and its data: durations from inside the VITS graph tile the audio, and training reads
the same symbols that serving makes from the same text."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

from tests.conftest import REPO, SENTENCES
from triton_tts.piper import HOP_LENGTH, PiperVoice, PiperVoiceError, with_duration_output
from training.teacher_data import load_audio_clips, load_utterances, symbol_table
from triton_tts.frontend import TextFrontend, split_sentences
from triton_tts.normalize import normalize
from triton_tts.phonemes import PAD, PIPER_BLANK, PIPER_BOS, PIPER_EOS, PhonemeInventory, phonemize_ipa


@pytest.fixture(scope="module")
def teacher() -> PiperVoice:
    return PiperVoice(seed=0)


@pytest.fixture(scope="module")
def quick_data(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("teacher") / "data"
    subprocess.run([sys.executable, "-m", "training.teacher_data", "--quick", "--out", str(data), "--workers", "1"], cwd=REPO, check=True)
    return data


def test_durations_times_hop_are_the_samples(teacher: PiperVoice) -> None:
    for sentence in SENTENCES + ["Up next, number 7 on the chart: Summer Rain, from 1999."]:
        for unit in split_sentences(normalize(sentence)):
            tokens = phonemize_ipa(unit, "en-us")
            spoken = teacher.speak(tokens)
            assert len(spoken.durations) == len(tokens)
            assert spoken.durations.min() >= 0
            assert len(spoken.audio) == spoken.durations.sum() * HOP_LENGTH


def test_symbols_are_piper_shaped(teacher: PiperVoice) -> None:
    tokens = phonemize_ipa("Hello there, world?", "en-us")
    assert tokens[:2] == [PIPER_BOS, PIPER_BLANK] and tokens[-1] == PIPER_EOS
    assert tokens[1::2] == [PIPER_BLANK] * (len(tokens) // 2)  # the blank after every symbol
    assert "," in tokens and "?" in tokens and " " in tokens
    assert all(t in teacher.id_map for t in tokens)
    assert phonemize_ipa("...", "en-us") == []


def test_a_graph_without_the_duration_path_is_refused() -> None:
    graph = onnx.helper.make_graph([onnx.helper.make_node("Relu", ["x"], ["y"])], "g",
                                   [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])],
                                   [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])])
    with pytest.raises(PiperVoiceError, match="Ceil"):
        with_duration_output(onnx.helper.make_model(graph))


def test_teacher_refuses_symbols_it_does_not_know(teacher: PiperVoice) -> None:
    with pytest.raises(PiperVoiceError, match="does not know"):
        teacher.speak([PIPER_BOS, PIPER_BLANK, "☃", PIPER_BLANK, PIPER_EOS])


def test_quick_data_tiles_and_matches_serving(quick_data: Path, default_voice) -> None:
    utterances = load_utterances(quick_data, "train", "en_us_joe")
    clips = load_audio_clips(quick_data, "train")
    assert utterances and len(utterances) == len(clips)
    inventory = PhonemeInventory((PAD, *symbol_table(quick_data)))
    frontend = TextFrontend(default_voice.config)
    for utterance, clip in zip(utterances, clips):
        assert int(utterance.durations.sum()) == utterance.mel.shape[1]
        assert len(clip) == (utterance.mel.shape[1] - 1) * HOP_LENGTH
        # The same sentence through the serving frontend gives the ids of the symbols the teacher spoke.
        assert frontend.process(utterance.sentence.encode()).ids.tolist() == inventory.ids(utterance.tokens)
    assert np.all(np.abs(np.concatenate(clips)) <= 1.0)


def test_mos_predictor_scores_speech_above_noise(teacher: PiperVoice) -> None:
    """Distill-MOS (the model card's naturalness measure) loads from its wheel and can tell speech from noise."""
    from training.mos import predict_mos

    speech = teacher.speak(phonemize_ipa("Here is the next song on the station.", "en-us")).audio
    noise = np.random.default_rng(0).uniform(-0.5, 0.5, len(speech)).astype(np.float32)
    assert 1.0 <= predict_mos(noise, teacher.sample_rate) < predict_mos(speech, teacher.sample_rate) - 1.0 <= 4.0
