"""Word timestamps without a server: aligning written words to espeak-ng's words, and where each word's ids
are in the request (through sentence splits, long-sentence cuts, lexicon words and SSML)."""

import numpy as np
import pytest

from triton_tts.frontend import TextFrontend
from triton_tts.lexicon import Lexicon
from triton_tts.phonemes import phonemize_with_words
from triton_tts.pipeline import AcousticInput, generate_mels_and_durations
from triton_tts.runtimes import acoustic_runner
from triton_tts.stages import AcousticRequest, AcousticStage
from triton_tts.utterance import Phonemes
from triton_tts.word_alignment import Group, align


def test_alignment_pairs_merged_and_split_words():
    lengths = {"a": 1, "bird": 4, "in": 2, "the": 2, "bush": 3}
    groups = align([1, 4, 4, 3], ["a", "bird", "in", "the", "bush"], lengths.get)
    assert groups == [Group(0, 1, 0, 1), Group(1, 2, 1, 2), Group(2, 3, 2, 4), Group(3, 4, 4, 5)]
    assert align([3, 5, 4], ["ACDC"], lambda w: 12) == [Group(0, 3, 0, 1)]  # one written word, three spoken
    assert align([], ["x"], len) == [] and align([2, 2], [], len) == [Group(0, 2, 0, 0)]


def test_alignment_of_thousands_of_words_keeps_merges_far_from_the_start():
    """Only a band around the diagonal is searched (linear time): merges late in a long sequence still pair."""
    lengths = {"in": 2, "the": 2, "bush": 3, "a": 1, "bird": 4}
    written = ["a", "bird"] * 700 + ["in", "the", "bush"] * 300
    spoken = [1, 4] * 700 + [4, 3] * 300
    groups = align(spoken, written, lengths.get)
    assert len(groups) == 2000
    assert groups[:2] == [Group(0, 1, 0, 1), Group(1, 2, 1, 2)]
    assert groups[-2:] == [Group(1998, 1999, 2297, 2299), Group(1999, 2000, 2299, 2300)]
    (group,) = align([3], ["x"] * 300, lambda w: 1)  # far from square: a path still exists
    assert (group.spoken_start, group.spoken_end) == (0, 1)


def test_spoken_words_cover_the_written_words_in_order():
    tokens, words = phonemize_with_words(["A bird in the bush usually has a friend in there with him."], "en-us")
    assert [w.text for w in words] == ["A", "bird", "in the", "bush", "usually", "has", "a", "friend", "in", "there", "with", "him"]
    assert all(tokens[w.first_token] not in " _" and tokens[w.last_token] not in " _" for w in words)
    assert all(a.last_token < b.first_token for a, b in zip(words, words[1:]))
    _, fixed = phonemize_with_words(["Now playing", Phonemes("ʃˈɑːdeɪ", "Sade"), "."], "en-us")
    assert [w.text for w in fixed] == ["Now", "playing", "Sade"]


@pytest.fixture(scope="module")
def frontend(default_voice):
    lexicon = Lexicon.parse(["AC/DC\tˌeɪsˌiːdˌiːsˈiː"], default_voice.config.inventory.tokens)
    return TextFrontend(default_voice.config, lexicon=lexicon)


def test_initialisms_are_one_word_as_espeak_speaks_them():
    _, words = phonemize_with_words(["This is B.B. King, in the U.S. with A.B.C.D.E."], "en-us")
    assert [w.text for w in words] == ["This", "is", "B.B", "King", "in the", "U.S", "with", "A.B.C.D.E"]


def test_word_spans_point_at_each_words_ids(frontend, default_voice):
    inventory = default_voice.config.inventory
    text = "<speak>I love AC/DC. <break time='300ms'/> " + ", ".join(["the band played a long song"] * 30) + ".</speak>"
    result = frontend.process(text.encode(), word_timestamps=True)
    assert result.segment_lengths.size > 2  # the long sentence was cut into rows
    assert len(result.words) == result.word_spans.shape[0] == 3 + 6 * 30
    assert result.words[:4] == ("I", "love", "AC/DC", "the")
    spelled = ["".join(inventory.tokens[i] for i in result.ids[a : b + 1 : 2]) for a, b in result.word_spans]
    assert spelled[2] == "ˌeɪsˌiːdˌiːsˈiː" and spelled[3] == "ðə" and spelled[-1] == "sˈɔŋ"
    assert np.all(result.word_spans[1:, 0] > result.word_spans[:-1, 1])


def test_without_the_flag_there_are_no_words(frontend):
    result = frontend.process(b"Hello there.")
    assert result.words == () and result.word_spans.shape == (0, 2)


def test_word_times_come_from_the_durations_that_made_the_mel(frontend, default_voice):
    runner = acoustic_runner(default_voice, "torch", 1)
    stage = AcousticStage(default_voice.config, runner)
    phonemized = frontend.process("<speak>Hello world. <break time='500ms'/> Good night.</speak>".encode(), word_timestamps=True)
    request = AcousticRequest(phonemized.ids, phonemized.segment_lengths, phonemized.speaker, phonemized.pace,
                              phonemized.segment_paces, phonemized.segment_pause_frames, phonemized.word_spans)
    (result,) = stage.run([stage.validate(request)])
    rows = np.split(phonemized.ids, phonemized.segment_lengths.cumsum()[:-1])
    durations = [d for _, d in generate_mels_and_durations(runner, [AcousticInput(r.tolist(), 0) for r in rows])]
    seconds = default_voice.config.mel.hop_length / default_voice.config.mel.sample_rate
    assert result.mel.shape[1] == sum(int(d.sum()) for d in durations) + int(phonemized.segment_pause_frames.sum())
    hello_end = durations[0][: phonemized.word_spans[0, 1] + 1].sum() * seconds
    assert result.word_times[0, 1] == pytest.approx(hello_end, abs=1e-5)
    assert np.all(result.word_times[:, 1] > result.word_times[:, 0])
    assert result.word_times[2, 0] - result.word_times[1, 1] >= 0.5  # "Good" comes after the break
    assert result.word_times[-1, 1] <= (result.mel.shape[1] - 1) * seconds


def test_bad_word_spans_are_refused(frontend, default_voice):
    stage = AcousticStage(default_voice.config, acoustic_runner(default_voice, "torch", 1))
    ids = frontend.process(b"Hi there.").ids
    for spans in (np.array([[0, ids.size]]), np.array([[3, 2]]), np.array([[-1, 2]]), np.array([[1, 2, 3]])):
        with pytest.raises(Exception, match="WORD_SPANS"):
            stage.validate(AcousticRequest(ids, np.array([ids.size]), 0, 1.0, word_spans=spans))


def test_the_gpu_variant_times_words_from_padded_engine_durations():
    from triton_tts.trim import engine_word_times

    durations = np.array([3, 0, 4, 0, 5, 2, 0, 0, 0])  # padded with zeros to the batch's longest
    times = engine_word_times(durations, np.array([1, 2, 4, 5]), 0.01, audio_seconds=0.13)
    assert np.allclose(times, [[0.03, 0.07], [0.07, 0.13]])  # the second word's end stops at the audio's end
    assert engine_word_times(durations, None, 0.01, 1.0).shape == (0, 2)
