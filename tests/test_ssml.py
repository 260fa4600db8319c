"""The SSML subset: each element's effect on what the acoustic stage receives, and every kind of bad markup
refused with a message that names the element and where it is."""

import time

import numpy as np
import pytest

from triton_tts.errors import InvalidRequest
from triton_tts.frontend import TextFrontend
from triton_tts.phonemes import phonemize_pieces
from triton_tts.ssml import LETTER_IPA, PARAGRAPH_PAUSE_MS, STRENGTH_MS, parse_ssml
from triton_tts.utterance import Phonemes, Segment, Words


@pytest.fixture(scope="module")
def frontend(default_voice) -> TextFrontend:
    return TextFrontend(default_voice.config)


@pytest.fixture(scope="module")
def symbols(default_voice) -> frozenset:
    return frozenset(default_voice.config.inventory.tokens)


def _rows(frontend, text: str) -> list[list[int]]:
    result = frontend.process(text.encode())
    return [row.tolist() for row in np.split(result.ids, result.segment_lengths.cumsum()[:-1])]


def test_plain_text_in_speak_is_the_same_as_plain_text(frontend):
    text = "The next song is a classic. Stay with us!"
    assert _rows(frontend, f"<speak>{text}</speak>") == _rows(frontend, text)
    assert _rows(frontend, f'<?xml version="1.0"?>\n<speak version="1.1" xml:lang="en-US">{text}</speak>') == _rows(frontend, text)


def test_break_ends_the_sentence_and_adds_silence(frontend, default_voice):
    result = frontend.process(b"<speak>Hello <break time='500ms'/> world. And <break strength='strong'/> more.</speak>")
    frames_per_ms = default_voice.config.mel.sample_rate / default_voice.config.mel.hop_length / 1000
    sentence_pause = round(default_voice.config.sentence_pause_ms * frames_per_ms)  # "world." ends a sentence
    assert result.segment_pause_frames.tolist() == [round(500 * frames_per_ms), sentence_pause, round(STRENGTH_MS["strong"] * frames_per_ms), 0]
    assert parse_ssml("<speak>a<break time='1.5s'/>b<break/></speak>", frozenset()) == [
        Segment(["a"], 1.0, 1500, has_break=True), Segment(["b"], 1.0, STRENGTH_MS["medium"], has_break=True)]


def test_prosody_rate_multiplies_the_request_rate_within_limits(frontend):
    result = frontend.process(b"<speak>Normal. <prosody rate='slow'>Slow.</prosody> <prosody rate='150%'>Fast. "
                              b"<prosody rate='+20%'>Faster.</prosody></prosody></speak>", None, 1.2)
    assert np.allclose(result.segment_paces, [1.2, 0.9, 1.8, 2.0])  # 1.2 * 1.5 * 1.2 = 2.16, held at the 2.0 limit


def test_say_as_reads_each_kind(symbols):
    def spoken(kind, text, extra=""):
        return parse_ssml(f"<speak><say-as interpret-as='{kind}' {extra}>{text}</say-as></speak>", symbols)[0].pieces

    assert spoken("cardinal", "1,234") == [Words("one thousand two hundred thirty-four")]
    assert spoken("ordinal", "3") == [Words("third")]
    assert spoken("digits", "2024") == [Words("two zero two four")]
    assert spoken("date", "2026-11-27", "format='ymd'") == [Words("November twenty-seventh, twenty twenty-six")]
    assert spoken("date", "27/11", "format='dm'") == [Words("November twenty-seventh")]
    assert spoken("time", "2:45") == [Words("two forty-five")]
    assert spoken("telephone", "555-0100") == [Words("five five five, zero one zero zero")]
    assert spoken("characters", "AC/DC") == [Phonemes(LETTER_IPA["A"], "A"), Phonemes(LETTER_IPA["C"], "C"), Words("slash"),
                                             Phonemes(LETTER_IPA["D"], "D"), Phonemes(LETTER_IPA["C"], "C")]


def test_phoneme_and_sub(frontend, default_voice, symbols):
    rows = _rows(frontend, "<speak>I say <phoneme alphabet='ipa' ph='təmˈɑːtoʊ'>tomato</phoneme>. <sub alias='World Wide Web'>WWW</sub>.</speak>")
    inventory = default_voice.config.inventory
    assert rows == [inventory.ids(phonemize_pieces(["I say", Phonemes("təmˈɑːtoʊ", "tomato"), "."], "en-us")),
                    inventory.ids(phonemize_pieces(["World Wide Web."], "en-us"))]


def test_paragraphs_and_sentences_are_rows(frontend):
    """</s> ends a sentence without a mark: the voice's sentence pause; </p> the paragraph's 400 ms instead."""
    result = frontend.process(b"<speak><p><s>One</s><s>Two</s></p><p>Three</p></speak>")
    assert result.segment_lengths.size == 3
    sentence_pause, paragraph = (round(ms * frontend.frames_per_ms) for ms in (frontend.config.sentence_pause_ms, PARAGRAPH_PAUSE_MS))
    assert result.segment_pause_frames.tolist() == [sentence_pause, paragraph, paragraph]


@pytest.mark.parametrize(("ssml", "message"), [
    ("<speak><audio src='x.wav'/></speak>", r"<audio> at line 1, column 8: is not supported"),
    ("<speak>\n  <prosody pitch='high'>x</prosody></speak>", r"<prosody> at line 2, column 3: has no attribute 'pitch'"),
    ("<speak><prosody rate='warp'>x</prosody></speak>", r"<prosody> .*rate='warp' must be"),
    ("<speak><prosody rate='400%'>x</prosody></speak>", r"<prosody> .*must be from 0.5x to 2.0x"),
    ("<speak>a<break time='forever'/></speak>", r"<break> .*time='forever' must be like"),
    ("<speak>a<break time='11s'/></speak>", r"<break> .*longer than the limit of 10000 ms"),
    ("<speak>a<break strength='loud'/></speak>", r"<break> .*strength='loud' must be one of"),
    ("<speak><say-as interpret-as='cardinal'>lots</say-as></speak>", r"<say-as> .*'lots' cannot be read as interpret-as='cardinal'"),
    ("<speak><say-as interpret-as='currency'>5</say-as></speak>", r"<say-as> .*interpret-as='currency' is not supported"),
    ("<speak><say-as interpret-as='date' format='qq'>1</say-as></speak>", r"<say-as> .*format='qq' must be one of"),
    ("<speak><say-as interpret-as='date'>13/40/2020</say-as></speak>", r"<say-as> .*has no month 13"),
    ("<speak><say-as interpret-as='digits'>1<break/>2</say-as></speak>", r"<say-as> .*holds text only"),
    ("<speak><phoneme alphabet='x-sampa' ph='t@'>x</phoneme></speak>", r"<phoneme> .*alphabet='x-sampa' is not supported"),
    ("<speak><phoneme ph=''>x</phoneme></speak>", r"<phoneme> .*needs ph="),
    ("<speak><phoneme ph='Ж'>x</phoneme></speak>", r"<phoneme> .*symbols this voice does not have: Ж"),
    ("<speak><sub>x</sub></speak>", r"<sub> .*needs alias="),
    ("<speak><speak>x</speak></speak>", r"<speak> at line 1, column 8: <speak> cannot be nested"),
    ("<speak>unclosed", r"not well-formed XML at line 1, column 16"),
    ("<speak>a < b</speak>", r"not well-formed XML at line 1"),
    ("<speak>Tom &amp; Jerry &nbsp;</speak>", r"not well-formed XML .*undefined entity"),
    ("<speak>text</speak><speak>again</speak>", r"not well-formed XML"),
    ("<?xml version='1.0' encoding='ISO-8859-1'?><speak>Héllo</speak>", r"declares encoding 'ISO-8859-1', but TEXT is UTF-8"),
])
def test_bad_markup_is_refused_with_its_position(frontend, ssml, message):
    with pytest.raises(InvalidRequest, match=message) as error:
        frontend.process(ssml.encode())
    assert error.value.reason == "bad_ssml"


def test_a_utf8_declaration_is_read_as_utf8(frontend):
    plain = frontend.process("<speak>Beyoncé</speak>".encode(), word_timestamps=True)
    declared = frontend.process("<?xml version='1.0' encoding='utf-8'?><speak>Beyoncé</speak>".encode(), word_timestamps=True)
    assert declared.words == plain.words == ("Beyoncé",)
    np.testing.assert_array_equal(declared.ids, plain.ids)


def test_dtds_and_entities_are_refused_before_any_expansion(frontend):
    laughs = "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10 if i else "lol"}">' for i in range(10))
    for document in (
        f'<?xml version="1.0"?><!DOCTYPE speak [{laughs}]><speak>&l9;</speak>',  # a billion "lol"s
        '<?xml version="1.0"?><!DOCTYPE speak [<!ENTITY x SYSTEM "file:///etc/passwd">]><speak>&x;</speak>',
        '<!DOCTYPE speak SYSTEM "http://example.invalid/speak.dtd"><speak>x</speak>',
    ):
        started = time.perf_counter()
        with pytest.raises(InvalidRequest, match="must not contain a DTD"):
            frontend.process(document.encode())
        assert time.perf_counter() - started < 0.5  # refused, not expanded


def test_breaks_are_capped_per_request(frontend):
    with pytest.raises(InvalidRequest, match="breaks add up to 70.0 s; at most 60 s"):
        frontend.process(("<speak>Hi" + "<break time='10s'/>" * 7 + "</speak>").encode())
