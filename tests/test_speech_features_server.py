"""SSML, the lexicon and the output formats through a real Triton server: what each does to the audio, and
bad values refused with INVALID_ARGUMENT without harming the requests beside them."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import soundfile

from serving.launcher import ServerOptions, TritonServer
from tests.conftest import free_port
from triton_tts_client import InvalidRequestError, RetryPolicy, TTSClient

pytestmark = pytest.mark.slow
SILENCE = 1e-3


@pytest.fixture(scope="module")
def client(triton_server):
    with TTSClient(triton_server.grpc_url, retry=RetryPolicy(max_rounds=1)) as c:
        yield c


def longest_silence_s(samples: np.ndarray, rate: int) -> float:
    quiet = np.abs(samples) < SILENCE
    longest = run = 0
    for q in quiet:
        run = run + 1 if q else 0
        longest = max(longest, run)
    return longest / rate


def test_ssml_break_is_that_much_silence(client):
    """Between sentences the break takes the place of the voice's 200 ms sentence pause."""
    plain = client.synthesize("<speak>Up next. The weather.</speak>")
    paused = client.synthesize("<speak>Up next. <break time='1200ms'/> The weather.</speak>")
    assert abs((paused.duration - plain.duration) - (1.2 - 0.2)) < 0.02
    assert longest_silence_s(paused.samples, paused.sample_rate) >= 1.2


def test_sentences_are_apart_by_the_voices_pause_and_a_break_takes_its_place(client):
    """The default voice's 200 ms between sentences (voice.json sentence_pause_ms); none after the last."""
    apart = client.synthesize("Up next.").duration + client.synthesize("The weather.").duration
    assert abs(client.synthesize("Up next. The weather.").duration - apart - 0.2) < 0.02
    assert abs(client.synthesize("<speak>Up next. <break time='1200ms'/> The weather.</speak>").duration - apart - 1.2) < 0.02


def test_ssml_prosody_slows_only_its_part(client):
    normal = client.synthesize("<speak>Good evening, everybody.</speak>")
    slow = client.synthesize("<speak><prosody rate='x-slow'>Good evening, everybody.</prosody></speak>")
    assert 1.6 < slow.duration / normal.duration < 2.4


def test_lexicon_words_sound_exactly_like_their_ipa(client):
    from_lexicon = client.synthesize("Now playing Sade.")
    from_ssml = client.synthesize("<speak>Now playing <phoneme alphabet='ipa' ph='ʃˈɑːdeɪ'>Sade</phoneme>.</speak>")
    from_espeak = client.synthesize("Now playing sade.")
    assert np.array_equal(from_lexicon.samples, from_ssml.samples)
    assert not np.array_equal(from_lexicon.samples, from_espeak.samples)


def test_bad_markup_and_formats_are_refused_beside_good_requests(client):
    bad = [
        ("<speak><audio src='x'/></speak>", {}, "SSML <audio> at line 1, column 8"),
        ("<speak>open", {}, "not well-formed XML"),
        ("Hello.", {"encoding": "mp3"}, "ENCODING 'mp3' is not supported"),
        ("Hello.", {"encoding": "opus", "sample_rate": 44100}, "not an Opus rate"),
        ("Hello.", {"sample_rate": 100}, "OUTPUT_SAMPLE_RATE must be from 8000"),
    ]

    def call(args):
        text, options, _ = args
        try:
            return client.synthesize(text, **options)
        except InvalidRequestError as exc:
            return exc

    good = [("A good request.", {}, None)] * 4
    with ThreadPoolExecutor(len(bad) + len(good)) as pool:
        results = list(pool.map(call, bad + good))
    for (_, _, message), result in zip(bad, results):
        assert isinstance(result, InvalidRequestError) and message in str(result)
    assert all(r.duration > 0.5 for r in results[len(bad):])


def test_each_encoding_carries_the_same_speech(client):
    reference = client.synthesize("Thanks for listening.")
    pcm16 = client.synthesize("Thanks for listening.", encoding="pcm16")
    wav = client.synthesize("Thanks for listening.", encoding="wav")
    assert pcm16.encoded and len(pcm16.encoded) == 2 * len(reference.samples)
    assert np.max(np.abs(pcm16.samples - reference.samples)) < 1e-4
    assert np.array_equal(wav.samples, pcm16.samples) and wav.encoded[:4] == b"RIFF"
    opus = client.synthesize("Thanks for listening.", encoding="opus")
    decoded, rate = soundfile.read(io.BytesIO(opus.encoded), dtype="float32")
    assert rate == opus.sample_rate == 24000 and abs(len(decoded) / rate - reference.duration) < 0.03
    assert len(opus.encoded) < len(pcm16.encoded) / 5
    narrow = client.synthesize("Thanks for listening.", encoding="wav", sample_rate=16000)
    assert narrow.sample_rate == 16000 and abs(narrow.duration - reference.duration) < 1e-3


def test_streamed_pcm16_joins_into_the_whole_pcm16(client):
    whole = client.synthesize("Streaming in sixteen bits. Two sentences.", encoding="pcm16")
    chunks = list(client.stream("Streaming in sixteen bits. Two sentences.", encoding="pcm16"))
    joined = np.frombuffer(b"".join(c.encoded for c in chunks), "<i2").astype(int)
    assert len(chunks) > 1 and joined.size == len(whole.encoded) // 2
    assert np.max(np.abs(joined - np.frombuffer(whole.encoded, "<i2"))) <= 1  # float rounding moves a sample by 1 LSB at most
    with pytest.raises(InvalidRequestError, match="not supported for streaming"):
        list(client.stream("Hello.", encoding="opus"))


def test_a_bad_lexicon_line_stops_the_start_and_is_named(tmp_path, monkeypatch):
    lexicon = tmp_path / "lexicon.tsv"
    lexicon.write_text("Sade\tʃˈɑːdeɪ\nMåneskin mˈɔːnɛskɪn\n", encoding="utf-8")
    monkeypatch.setenv("TTS_LEXICON", str(lexicon))
    options = ServerOptions(grpc_port=free_port(), http_port=free_port(), metrics_port=free_port(), build_dir=tmp_path / "build")
    server = TritonServer(options)
    with pytest.raises(RuntimeError, match="tritonserver exited"):
        server.start(timeout_s=240)
    server.stop()
    assert f"{lexicon}, line 2: expected 'word or phrase<TAB>IPA'" in server.log_path.read_text()


def test_word_timestamps_mark_where_each_word_is_heard(client):
    text = "<speak>Now playing Sade. <break time='700ms'/> A bird in the bush, since 1999.</speak>"
    audio = client.synthesize(text, timestamps=True)
    assert [w.text for w in audio.words] == ["Now", "playing", "Sade", "A", "bird", "in the", "bush", "since", "nineteen", "ninety-nine"]
    starts, ends = np.array([w.start for w in audio.words]), np.array([w.end for w in audio.words])
    assert np.all(ends > starts) and np.all(starts[1:] >= ends[:-1]) and ends[-1] <= audio.duration
    assert starts[3] - ends[2] >= 0.7  # the break lies between "Sade" and "A"
    gap = audio.samples[int(ends[2] * audio.sample_rate) + 2205 : int(starts[3] * audio.sample_rate) - 2205]
    assert gap.size and np.max(np.abs(gap)) < 0.05  # and it is quiet there
    for word in audio.words:  # each word's span is speech
        span = audio.samples[int(word.start * audio.sample_rate) : int(word.end * audio.sample_rate)]
        assert np.sqrt(np.mean(span**2)) > 0.01, word
    plain = client.synthesize(text)
    assert plain.words == () and np.array_equal(plain.samples, audio.samples)


def test_streamed_word_timestamps_equal_the_whole_ones(client):
    text = "First sentence here. And a second, longer one with more words in it."
    whole = client.synthesize(text, timestamps=True).words
    streamed = [w for chunk in client.stream(text, timestamps=True) for w in chunk.words]
    assert [w.text for w in streamed] == [w.text for w in whole]
    assert np.allclose([(w.start, w.end) for w in streamed], [(w.start, w.end) for w in whole], atol=1e-4)
