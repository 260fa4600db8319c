"""Where the frontend ends sentences (each is its own row with its own intonation), what a line break means,
and the normalizer's view past a lexicon name."""

from pathlib import Path

import pytest

from triton_tts.frontend import TextFrontend, decode_text, end_short_lines, is_caseless, split_piece_sentences, split_sentences
from triton_tts.lexicon import Lexicon
from triton_tts.normalize import normalize
from triton_tts.utterance import Phonemes, piece_text
from triton_tts.voice_config import load_voice_config

SPLITS = [
    ("Hello. World! Yes? No.", ["Hello.", "World!", "Yes?", "No."]),
    ("J. Cole is next. Then Mary J. Blige.", ["J. Cole is next.", "Then Mary J. Blige."]),
    ("This is B.B. King.", ["This is B.B. King."]),
    ("A. R. Rahman wrote it.", ["A. R. Rahman wrote it."]),
    ("They toured the U.S. and Canada.", ["They toured the U.S. and Canada."]),
    ("We toured the U.S. The fans were great.", ["We toured the U.S.", "The fans were great."]),
    ("Plan B. Then it ended.", ["Plan B.", "Then it ended."]),
    ("Panic! at the Disco is next.", ["Panic! at the Disco is next."]),
    ("HUMBLE. by Kendrick Lamar", ["HUMBLE. by Kendrick Lamar"]),
    ("Where Is My Mind? by the Pixies", ["Where Is My Mind? by the Pixies"]),
    ('Up next is "Hello." It\'s a classic.', ['Up next is "Hello."', "It's a classic."]),
    ("It's 3 p.m. Next up, Adele.", ["It's three p m.", "Next up, Adele."]),
    ("Symphony No. 5, Op. 67. Enjoy.", ["Symphony number five, opus sixty-seven.", "Enjoy."]),
    ("It was great. 2015 was a good year.", ["It was great.", "Twenty fifteen was a good year."]),
    ("Ms. Hill sang. Mrs. Robinson played.", ["miz Hill sang.", "Missus Robinson played."]),
    ("I live in the U.S.A. Do you?", ["I live in the U.S.A.", "Do you?"]),
    ("So did I. Everyone was happy.", ["So did I.", "Everyone was happy."]),
    ('He left. "2 more," she said.', ["He left.", '"Two more," she said.']),
]


@pytest.mark.parametrize(("text", "sentences"), SPLITS, ids=[t for t, _ in SPLITS])
def test_sentences_end_where_a_reader_would_pause(text, sentences):
    assert split_sentences(normalize(text)) == sentences


CASELESS = [
    ("i love this song. it is so good! play it again?", ["i love this song.", "it is so good!", "play it again?"]),
    ("lol ok. i.e. the one from 2015. brb", ["lol ok.", "that is the one from twenty fifteen.", "brb"]),
    ("poems by e. e. cummings. so good ... really", ["poems by e. e. cummings.", "so good ... really"]),
    ("great show. 10 out of 10. see you soon", ["great show.", "Ten out of ten.", "see you soon"]),
    ("play mr. brightside next. the u.s. and canada loved it", ["play mr. brightside next.", "the u.s. and canada loved it"]),
    ("oops!... i did it again. so did i. wow", ["oops!... i did it again.", "so did i.", "wow"]),
]


@pytest.mark.parametrize(("text", "sentences"), CASELESS, ids=[t for t, _ in CASELESS])
def test_text_without_capitals_ends_sentences_before_lowercase_words(text, sentences):
    """Chat has no capitals to tell a sentence's start; abbreviations, initials and ellipses still do not end one.
    Whether text is caseless is judged as written: the normalizer capitalises "Ten" at a sentence start."""
    assert split_sentences(normalize(text), caseless=is_caseless(text)) == sentences


def test_short_lines_are_read_as_a_list_and_wrapped_prose_is_not():
    assert end_short_lines("Adele\nHello\n2015") == "Adele.\nHello.\n2015"
    assert end_short_lines("Already ended.\nNext line") == "Already ended.\nNext line"
    assert end_short_lines("one paragraph\n\nand another") == "one paragraph.\nand another"
    assert end_short_lines('He said "hi"\n\nThen left') == 'He said "hi".\nThen left'

    wrapped = "This is a long line of prose that a mail client wrapped at column\nSeventy-two for us."
    assert end_short_lines(wrapped) == wrapped


@pytest.fixture(scope="module")
def frontend() -> TextFrontend:
    config = load_voice_config(Path(__file__).parents[1] / "voices" / "default")
    names = ["Lauryn Hill\tlˈɔːɹən hˈɪl", "Khalid\tkɑːlˈiːd", "Jay-Z\tdʒˈeɪziː", "Cole\tkˈoʊl"]
    return TextFrontend(config, lexicon=Lexicon.parse(names, config.inventory.tokens))


@pytest.mark.parametrize(("text", "spoken"), [
    ("Ms. Lauryn Hill is next.", "miz Lauryn Hill is next."),
    ("Nas vs. Jay-Z tonight.", "Nas versus Jay-Z tonight."),
    ("Live from St. Khalid", "Live from Saint Khalid"),
    ("This is J. Cole.", "This is J. Cole."),
])
def test_rules_see_the_name_after_them_when_the_lexicon_speaks_it(frontend, text, spoken):
    (segment,) = frontend.segments(text)
    sentences = split_piece_sentences(frontend.written(segment.pieces))
    assert len(sentences) == 1
    assert " ".join("".join(piece_text(p) for p in sentences[0]).split()) == spoken
    assert any(isinstance(p, Phonemes) for p in sentences[0])


def test_invisible_and_full_width_characters_are_made_plain():
    assert decode_text("beauti\u00adful\u200bsong\ufeff".encode()) == "beautiful song"
    assert decode_text("Ｈｅｌｌｏ ＤＪ, Rocky Ⅳ".encode()) == "Hello DJ, Rocky IV"
    assert decode_text("a\u0007b\nc".encode()) == "a b\nc"


def test_a_date_rule_stays_linear_on_long_text():
    """The word before each date was found by a regex anchored at the end of all the text before it:
    140 dates after 1,000 letters took 2.4 s. The bound: a few hundred thousand regex steps, far below that."""
    import re
    calls = []
    original = re.search

    def counting(pattern, string, *args, **kwargs):
        calls.append(len(string))
        return original(pattern, string, *args, **kwargs)

    from unittest import mock
    with mock.patch("triton_tts.normalize.re.search", counting):
        normalize("a" * 1000 + ". " + "5 May, " * 140)
    assert max(calls) <= 100


def test_the_frontend_judges_caseless_text_as_written(frontend):
    """The normalizer writes "Ten" at a sentence start; the request's text had no capital, so it is chat.
    SSML markup is not text ("<speak xml:lang='en-US'>"), and "can't." is no initial."""
    assert len(frontend.process(b"great show. 10 out of 10. see you soon").segment_lengths) == 3
    assert len(frontend.process(b"Great show. fun. is next").segment_lengths) == 1
    assert len(frontend.process(b"<speak xml:lang='en-US'>ok. see you later. bye</speak>").segment_lengths) == 3
    assert len(frontend.process(b"i really can't. see you later").segment_lengths) == 2


def test_sentences_are_apart_by_the_voices_sentence_pause_and_a_break_takes_its_place(frontend):
    """Piper's --sentence_silence: the default voice adds 200 ms between sentences, none after the last."""
    pause = round(frontend.config.sentence_pause_ms * frontend.frames_per_ms)
    assert frontend.config.sentence_pause_ms == 200 and pause > 0
    assert frontend.process(b"Hello there. How are you? Fine!").segment_pause_frames.tolist() == [pause, pause, 0]
    assert frontend.process(b"Hello there, how are you").segment_pause_frames.tolist() == [0]
    broken = frontend.process(b'<speak>Hello there. <break time="500ms"/> How are you?</speak>')
    assert broken.segment_pause_frames.tolist() == [round(500 * frontend.frames_per_ms), 0]
    across = frontend.process(b'<speak>Hello there. <prosody rate="slow">How are you?</prosody></speak>')
    assert across.segment_pause_frames.tolist() == [pause, 0]
    none = frontend.process(b'<speak>Hello there. <break strength="none"/> How are you?</speak>')
    assert none.segment_pause_frames.tolist() == [0, 0]  # "none" means no pause
    band = frontend.process(b'<speak>Panic! <prosody rate="slow">at the Disco</prosody> is next.</speak>')
    assert band.segment_pause_frames.tolist() == [0, 0, 0]  # one sentence, as in plain text
    marked = frontend.process(b'<speak><s>Hello there</s><s>How are you</s></speak>')
    assert marked.segment_pause_frames.tolist() == [pause, 0]


def test_sentence_pauses_are_not_counted_as_ssml_breaks(frontend):
    """500 one-letter sentences carry ~98 s of sentence pauses: accepted (the 60 s bound is for SSML breaks)."""
    result = frontend.process(b"A. " * 500)
    assert len(result.segment_lengths) == 500
    assert result.segment_pause_frames.sum() / frontend.frames_per_ms / 1000 > 60
