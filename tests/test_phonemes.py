"""One inventory and one frontend function for training and serving."""

import pytest

from tests.conftest import SENTENCES
from training.dataset import teacher_audio
from triton_tts.phonemes import BOS, EOS, PAD, PhonemeInventory, phonemize, text_to_ids
from triton_tts.frontend import InvalidRequest, TextFrontend


def test_training_and_serving_give_the_same_ids(default_voice) -> None:
    config = default_voice.config
    frontend = TextFrontend(config)
    for speaker, espeak_voice in config.speakers.items():
        for sentence in SENTENCES:
            _, training_tokens, _ = teacher_audio(sentence, espeak_voice)
            served = frontend.process(sentence.encode(), speaker.encode()).ids.tolist()
            assert config.inventory.ids(training_tokens) == served
            assert served == text_to_ids(sentence, espeak_voice, config.inventory)


def test_shipped_inventory_covers_everyday_text(default_voice) -> None:
    inventory = default_voice.config.inventory
    for speaker, espeak_voice in default_voice.config.speakers.items():
        for sentence in SENTENCES:
            tokens = phonemize(sentence, espeak_voice)
            assert len(inventory.ids(tokens)) == len(tokens), (speaker, sentence)


def test_token_sequence_shape() -> None:
    tokens = phonemize("Hello there, world?", "en-us")
    assert tokens[0] == BOS and tokens[-1] == EOS
    assert "<,>" in tokens and tokens[-2] == "<?>"
    assert " " in tokens


def test_inventory_is_deterministic_and_validated() -> None:
    a = PhonemeInventory.from_token_sequences([["b", "a"], ["c"]])
    b = PhonemeInventory.from_token_sequences([["c"], ["a", "b"]])
    assert a == b and a.tokens[0] == PAD
    assert a.ids(["'a", "zz", "c"]) == [a.tokens.index("a"), a.tokens.index("c")]  # stress fallback, unknown dropped
    with pytest.raises(ValueError):
        PhonemeInventory(("a", PAD))
    with pytest.raises(ValueError):
        PhonemeInventory((PAD, "a", "a"))


def test_marks_glued_to_a_phoneme_are_split_off() -> None:
    """espeak-ng writes '_:n' (pause + n) and '_!w' (glottal onset + w): the phoneme must not be lost."""
    tokens = phonemize("(Nineteen) is a number.", "en-us")
    assert tokens[1:4] == ["_:", "_:", "n"]
    assert not any(t.startswith("_") and len(t) > 2 for t in tokens)


def test_phoneme_cap_rejects_long_text_with_a_message(default_voice) -> None:
    capped = TextFrontend(default_voice.config, max_phonemes=40)
    assert capped.process(b"Hello there.").ids.size <= 40
    with pytest.raises(InvalidRequest, match=r"TEXT is \d+ phonemes long; this deployment takes at most 40: split it"):
        capped.process(b"This sentence is clearly much longer than forty phonemes, so the frontend refuses it.")
