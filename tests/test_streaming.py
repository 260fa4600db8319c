"""Streaming without Triton: chunks joined equal the whole request's audio wherever the boundaries fall."""

import numpy as np
import pytest

from tests.conftest import DEFAULT_VOICE_DIR
from triton_tts.pipeline import vocode_windowed
from triton_tts.streaming import ChunkPlanner, ChunkSchedule, stream_audio
from triton_tts.vocoder_stream import IncrementalVocoder
from triton_tts.voice import load_neural_vocoder
from triton_tts.voice_config import MelConfig


@pytest.fixture(scope="module")
def vocoder():
    return load_neural_vocoder(DEFAULT_VOICE_DIR, MelConfig())


@pytest.fixture(scope="module")
def incremental(vocoder) -> IncrementalVocoder:
    return IncrementalVocoder(vocoder)  # onnxruntime, as served


def whole_audio(vocoder, mels: list[np.ndarray]) -> np.ndarray:
    """What the non-streaming vocoder stage returns for these sentences' joined mel."""
    mel = np.concatenate(mels, axis=1)
    return vocode_windowed(vocoder, mel, vocoder.mel.log_floor, vocoder.mel.hop_length)


def streamed(incremental: IncrementalVocoder, mels: list[np.ndarray], schedule: ChunkSchedule) -> list[np.ndarray]:
    return list(stream_audio(mels, incremental.start().feed, schedule, incremental.lag))


@pytest.mark.parametrize("lengths", [[1], [2], [5, 3], [40], [57, 1, 200], [300, 12, 900], [2500]])
@pytest.mark.parametrize("seed", [0, 1])
def test_chunks_join_into_the_whole_audio(vocoder, incremental, lengths: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    mels = [rng.normal(-5.0, 2.0, (80, n)).astype(np.float32) for n in lengths]
    schedule = ChunkSchedule(first_frames=int(rng.integers(1, 40)), growth=float(rng.uniform(1.0, 5.0)), max_frames=int(rng.integers(40, 700)))
    chunks = streamed(incremental, mels, schedule)
    whole = whole_audio(vocoder, mels)
    joined = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    assert joined.shape == whole.shape == ((sum(lengths) - 1) * 256,)
    if whole.size:
        assert np.abs(joined - whole).max() <= 1e-4
    assert all(c.size > 0 for c in chunks)


def test_first_chunk_is_small_and_later_ones_grow(incremental) -> None:
    mels = [np.full((80, 700), -5.0, np.float32)]
    sizes = [c.size // 256 for c in streamed(incremental, mels, ChunkSchedule(first_frames=24, growth=4.0, max_frames=1024))]
    assert sizes == [24, 96, 384, 699 - 24 - 96 - 384]


def test_sentences_are_pulled_only_when_a_chunk_needs_them(incremental) -> None:
    pulled = []

    def sentences():
        for n in (100, 100, 100):
            pulled.append(n)
            yield np.full((80, n), -5.0, np.float32)

    chunks = stream_audio(sentences(), incremental.start().feed, ChunkSchedule(24, 4.0, 1024), incremental.lag)
    next(chunks)
    assert len(pulled) == 1  # the first chunk needed only the first sentence's mel


def test_no_mels_give_no_chunks_and_bad_schedules_are_refused(incremental) -> None:
    assert streamed(incremental, [], ChunkSchedule()) == []
    with pytest.raises(ValueError, match="invalid chunk schedule"):
        ChunkSchedule(first_frames=0)


def planned(vocoder, incremental, lengths: list[int], schedule: ChunkSchedule, seed: int = 0) -> tuple[list[int], np.ndarray, np.ndarray]:
    """As the server plans: every mel added, then finish() at once. (chunk frames, joined audio, whole audio)"""
    rng = np.random.default_rng(seed)
    mels = [rng.normal(-5.0, 2.0, (80, n)).astype(np.float32) for n in lengths]
    planner, stream = ChunkPlanner(schedule, incremental.lag), incremental.start()
    for mel in mels:
        planner.add(mel)
    planner.finish()
    chunks = []
    while (feed := planner.next_feed()) is not None:
        chunks.append(stream.feed(feed.mel, feed.final))
    return [c.size // 256 for c in chunks], np.concatenate(chunks), whole_audio(vocoder, mels)


@pytest.mark.parametrize("lengths, max_frames, sizes", [
    ([700], 1024, [24, 96, 579]),  # the 195 frames left after 384 join the third chunk
    ([260], 1024, [24, 235]),  # a 3 s sentence: two chunks, not three
    ([700], 500, [24, 96, 384, 195]),  # unless the chunk would outgrow max_frames
    ([60], 1024, [24, 35]),  # the first chunk stays small
])
def test_a_short_last_piece_joins_the_chunk_before_it_once_the_end_is_known(vocoder, incremental, lengths, max_frames, sizes) -> None:
    chunk_frames, joined, whole = planned(vocoder, incremental, lengths, ChunkSchedule(24, 4.0, max_frames))
    assert chunk_frames == sizes
    assert np.abs(joined - whole).max() <= 1e-4
