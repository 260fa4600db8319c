"""One inventory and one frontend function for training and serving (the Piper symbols: tests/test_teacher.py).

The espeak-ng mnemonic tokens are those of the retired espeak-distilled voices, still loadable for comparison."""

import pytest

from tests.conftest import SENTENCES
from triton_tts.phonemes import BOS, EOS, PAD, PhonemeInventory, phonemize, text_to_ids, tokenize
from triton_tts.errors import InvalidRequest
from triton_tts.frontend import TextFrontend


def test_shipped_inventory_covers_everyday_text(default_voice) -> None:
    config = default_voice.config
    for espeak_voice in config.speakers.values():
        for sentence in SENTENCES:
            tokens = tokenize(sentence, espeak_voice, config.phonemizer)
            assert tokens and len(config.inventory.ids(tokens)) == len(tokens), sentence
            assert text_to_ids(sentence, espeak_voice, config.inventory, config.phonemizer) == config.inventory.ids(tokens)


def test_unknown_phonemizer_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown phonemizer"):
        tokenize("Hello.", "en-us", "g2p_en")


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
