"""One inventory and one frontend function for training and serving (the Piper symbols: tests/test_teacher.py).

The espeak-ng mnemonic tokens are those of the retired espeak-distilled voices, still loadable for comparison."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SENTENCES
from triton_tts.phonemes import (
    BOS, EOS, PAD, PIPER_BLANK, PIPER_BOS, PIPER_EOS, PhonemeInventory, phonemize, phonemize_ipa, split_long, text_to_ids, tokenize,
)
from triton_tts.errors import InvalidRequest
from triton_tts.frontend import TextFrontend


def test_shipped_inventory_covers_everyday_text(default_voice) -> None:
    config = default_voice.config
    for espeak_voice in config.speakers.values():
        for sentence in SENTENCES:
            tokens = tokenize(sentence, espeak_voice, config.phonemizer)
            assert tokens and len(config.inventory.ids(tokens)) == len(tokens), sentence
            assert text_to_ids(sentence, espeak_voice, config.inventory, config.phonemizer) == [config.inventory.ids(tokens)]


def test_long_sentences_are_cut_at_clauses_then_words_into_bounded_rows() -> None:
    clause = "the band played a long song about rivers and roads"
    tokens = phonemize_ipa(", ".join([clause] * 12) + ".", "en-us")
    rows = split_long(tokens, max_tokens=120)
    assert len(rows) > 1 and all(len(r) <= 120 for r in rows)
    assert all(r[:2] == [PIPER_BOS, PIPER_BLANK] and r[-1] == PIPER_EOS for r in rows)
    assert [t for r in rows for t in r[2:-1]] == tokens[2:-1]  # nothing lost, nothing added
    assert all(r[-3] == "." or r[-5:-2] == [",", PIPER_BLANK, " "] for r in rows)  # every cut follows a clause
    assert all(r[2] != " " for r in rows)
    words = split_long(phonemize_ipa(" ".join([clause] * 12) + ".", "en-us"), max_tokens=120)
    assert all(r[-3] in " ." for r in words)  # no punctuation: cut after a word
    runs = split_long(phonemize_ipa("9" * 300, "en-us"), max_tokens=120)
    assert all(len(r) <= 120 for r in runs)
    sentence = phonemize_ipa(", ".join([clause] * 3) + ".", "en-us")
    assert split_long(sentence) == [sentence]  # a sentence as long as the longest in training stays one row


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


def test_error_messages_quote_only_the_start_of_a_huge_value(default_voice) -> None:
    frontend = TextFrontend(default_voice.config)
    with pytest.raises(InvalidRequest) as error:
        frontend.process(b"Hello.", ("x" * 16000).encode())
    assert "unknown VOICE 'xxxx" in str(error.value) and len(str(error.value)) < 200  # gRPC trailers are small


@pytest.mark.parametrize("separator", [", ", ",", ";", "!", "?", '"', "(", " "])
def test_no_word_of_a_long_clause_is_dropped(separator: str) -> None:
    """espeak-ng silently drops a clause's words past ~300 words and marks: the frontend feeds it short runs."""
    symbols = phonemize_ipa(separator.join(["hi"] * 400) + ".", "en-us")
    assert "".join(symbols).count("a_ɪ") == 400


@pytest.mark.parametrize("text", ['"a.k.a. " * 30', '"a." * 85', '"x.y. " * 60', '("a." * 10 + " ") * 15'])
def test_dotted_letters_do_not_abort_espeak(text: str) -> None:
    """libespeak-ng 1.51 aborts the whole process on ~85 dotted lowercase letters in one clause: a child
    process phonemizes, so a regression fails this test instead of killing the test run."""
    code = f"from triton_tts.phonemes import phonemize_ipa; print(len(phonemize_ipa({text}, 'en-us')))"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "python_backends")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0 and int(done.stdout) > 0, done.stderr[-300:]

