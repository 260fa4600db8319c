"""The deployment lexicon: each entry is spoken exactly as written down, other words are untouched, and a bad
file stops the start with the line that is wrong."""

from pathlib import Path

import numpy as np
import pytest

from triton_tts.frontend import TextFrontend, load_frontend
from triton_tts.lexicon import Lexicon, LexiconError
from triton_tts.phonemes import phonemize_pieces
from triton_tts.utterance import Phonemes

SHIPPED = Path(__file__).resolve().parents[1] / "model_repository" / "text_frontend" / "lexicon.tsv"


@pytest.fixture(scope="module")
def config(default_voice):
    return default_voice.config


@pytest.fixture(scope="module")
def lexicon(config) -> Lexicon:
    return Lexicon.load(SHIPPED, config.inventory.tokens)


def _ids(config, pieces) -> list[int]:
    return config.inventory.ids(phonemize_pieces(pieces, "en-us"))


def test_shipped_lexicon_has_fifty_music_names(lexicon):
    assert len(lexicon) >= 50


def test_every_entry_is_spoken_exactly_as_its_phonemes(config, lexicon):
    frontend = TextFrontend(config, lexicon=lexicon)
    for key, ipa in lexicon.entries.items():
        spoken = frontend.process(f"Now playing {key}.".encode())
        expected = _ids(config, ["Now playing", Phonemes(ipa, key), "."])
        assert spoken.ids.tolist() == expected, key


def test_words_not_in_the_lexicon_are_unchanged(config, lexicon):
    with_lexicon, without = TextFrontend(config, lexicon=lexicon), TextFrontend(config)
    for text in ["The band played until midnight.", "Sadeness is not a word.", "the sade river, a muse, ye olde inn",
                 "Nasa and Nasdaq.", "ABBAS", "AC/DCX"]:
        assert with_lexicon.process(text.encode()).ids.tolist() == without.process(text.encode()).ids.tolist(), text


def test_case_rule_and_longest_match(config):
    lexicon = Lexicon.parse(["Sade\tʃˈɑːdeɪ", "muse\tmjˈuːz", "Nas\tnˈɑːz", "Lil Nas X\tlˈɪl nˈɑːz ˈɛks"], config.inventory.tokens)
    assert lexicon.split("sade") == ["sade"]  # a key with a capital matches that spelling only
    assert [p.text for p in lexicon.split("MUSE, Muse and muse") if isinstance(p, Phonemes)] == ["MUSE", "Muse", "muse"]
    assert lexicon.split("Lil Nas X and Nas") == [Phonemes("lˈɪl nˈɑːz ˈɛks", "Lil Nas X"), " and ", Phonemes("nˈɑːz", "Nas")]
    assert lexicon.split("Nashville") == ["Nashville"]  # whole words only
    assert lexicon.split("Sade's hit") == [Phonemes("ʃˈɑːdeɪz", "Sade's"), " hit"]  # possessive: /z/, /s/ or /ɪz/
    assert Lexicon.parse(["Nas\tnˈɑːz", "Kraftwerk\tkɹˈæftwɜːk"], config.inventory.tokens).split("Nas’s Kraftwerk's") == [
        Phonemes("nˈɑːzɪz", "Nas’s"), " ", Phonemes("kɹˈæftwɜːks", "Kraftwerk's")]


def test_lexicon_words_are_not_normalized_and_sentences_still_split(config, lexicon):
    frontend = TextFrontend(config, lexicon=lexicon)
    spoken = frontend.process(b"Blink-182 in 1999. Maroon 5 next.")
    assert spoken.segment_lengths.size == 2
    first = np.split(spoken.ids, spoken.segment_lengths.cumsum()[:-1])[0].tolist()
    assert first == _ids(config, [Phonemes(lexicon.entries["blink-182"], "Blink-182"), "in nineteen ninety-nine."])


@pytest.mark.parametrize(("line", "problem"), [
    ("AC/DC", "expected 'word or phrase<TAB>IPA'"),
    ("AC/DC\t", "expected 'word or phrase<TAB>IPA'"),
    ("a\tb\tc", "expected 'word or phrase<TAB>IPA'"),
    ("...\tdɒts", "has no letters or digits"),
    ("Sade\tʃˈɑːdeɪЖ", "symbols the voice does not have: Ж"),
])
def test_a_bad_line_is_named(config, tmp_path, line, problem):
    path = tmp_path / "lexicon.tsv"
    path.write_text(f"# comment\nSade\tʃˈɑːdeɪ\n\n{line}\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=f"{path}, line 4: .*{problem}"):
        load_frontend(config, path)


def test_duplicate_and_unreadable_files(config, tmp_path):
    path = tmp_path / "lexicon.tsv"
    path.write_text("Sade\tʃˈɑːdeɪ\nSade\tsˈeɪd\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="line 2: 'Sade' is listed twice"):
        load_frontend(config, path)
    with pytest.raises(LexiconError, match="cannot read the lexicon"):
        load_frontend(config, tmp_path / "missing.tsv")
    path.write_bytes(b"Sade\t\xff\n")
    with pytest.raises(LexiconError, match="cannot read the lexicon"):
        load_frontend(config, path)


def test_a_retired_mnemonic_voice_is_served_without_the_ipa_lexicon():
    from serving.paths import REPO
    from triton_tts.voice_config import load_voice_config

    frontend = load_frontend(load_voice_config(REPO / "voices" / "espeak-distilled-v1"), SHIPPED)
    assert len(frontend.lexicon) == 0 and frontend.process(b"AC/DC rocks.").ids.size > 3
