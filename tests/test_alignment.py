"""Teacher durations come from espeak-ng's phoneme events and must tile the audio exactly."""

import numpy as np
import pytest

from tests.conftest import SENTENCES
from training.alignment import AlignmentError, samples_to_frames, token_sample_durations
from training.recipe import SPEAKERS
from triton_tts import espeak, phonemes
from triton_tts.espeak import PhonemeEvent
from triton_tts.mel import MelConfig


@pytest.mark.parametrize("espeak_voice", sorted(set(SPEAKERS.values())))
@pytest.mark.parametrize("sentence", SENTENCES)
def test_durations_tile_the_audio(sentence: str, espeak_voice: str) -> None:
    tokens = phonemes.phonemize(sentence, espeak_voice)
    synthesis = espeak.synthesize(sentence, espeak_voice)
    durations = token_sample_durations(tokens, synthesis.events, len(synthesis.audio))
    assert len(durations) == len(tokens)
    assert sum(durations) == len(synthesis.audio)
    assert min(durations) >= 0
    spoken = [d for t, d in zip(tokens, durations) if t not in phonemes.BOUNDARY_TOKENS]
    # espeak-ng sometimes folds a liquid into the vowel before it (two events at one sample): rare zeros only
    assert sum(d > 0 for d in spoken) >= 0.8 * len(spoken)
    n_frames = MelConfig().n_frames(len(synthesis.audio))
    frames = samples_to_frames(durations, MelConfig().hop_length, n_frames)
    assert frames.sum() == n_frames and frames.min() >= 0


def test_mismatched_events_are_rejected() -> None:
    tokens = ["<s>", "h", "@", "<.>", "</s>"]
    events = [PhonemeEvent("h", 10), PhonemeEvent("x", 20)]
    with pytest.raises(AlignmentError):
        token_sample_durations(tokens, events, 100)


def test_pauses_go_to_boundaries() -> None:
    tokens = ["<s>", "h", "<,>", "a", "<.>", "</s>"]
    events = [PhonemeEvent("h", 5), PhonemeEvent("_:", 10), PhonemeEvent("a", 30), PhonemeEvent("_:", 40)]
    assert token_sample_durations(tokens, events, 50) == [5, 5, 20, 10, 10, 0]


def test_frame_rounding_keeps_the_total() -> None:
    frames = samples_to_frames([100, 300, 7, 500, 1], 256, 4)
    assert frames.sum() == 4 and np.all(frames >= 0)
