"""What the acoustic and vocoder stages refuse when called directly (to debug, or by another client): values
that would overflow, take gigabytes or make NaN audio get INVALID_ARGUMENT, never a crash or bad audio."""

import numpy as np
import pytest

from triton_tts.errors import InvalidRequest
from triton_tts.limits import MAX_SEGMENT_TOKENS
from triton_tts.runtimes import acoustic_runner
from triton_tts.stages import MAX_ABS_LOG_MEL, AcousticRequest, AcousticStage, VocoderStage

HUGE = np.iinfo(np.int64).max


@pytest.fixture(scope="module")
def acoustic(default_voice) -> AcousticStage:
    return AcousticStage(default_voice.config, acoustic_runner(default_voice, "torch", 1))


@pytest.mark.parametrize(
    ("ids", "lengths", "pauses", "message"),
    [
        (10, [HUGE, HUGE, 12], None, "SEGMENT_LENGTHS"),  # sums to 10 in int64 arithmetic
        (MAX_SEGMENT_TOKENS + 1, [MAX_SEGMENT_TOKENS + 1], None, "SEGMENT_LENGTHS must be from 1 to 400"),
        (10, [5, 5], [HUGE, 2], "SEGMENT_PAUSE_FRAMES"),  # sums to a small negative number
    ],
)
def test_acoustic_stage_refuses_lengths_that_overflow_or_are_too_long(acoustic, ids, lengths, pauses, message) -> None:
    request = AcousticRequest(np.full(ids, 5, np.int64), np.array(lengths, np.int64), 0, 1.0,
                              pause_frames=None if pauses is None else np.array(pauses, np.int64))
    with pytest.raises(InvalidRequest, match=message):
        acoustic.validate(request)


@pytest.mark.parametrize("value", [3e38, -3e38, np.nan, MAX_ABS_LOG_MEL * 1.01])
def test_vocoder_stage_refuses_mels_no_audio_has(default_voice, value) -> None:
    stage = VocoderStage(default_voice.config.mel, vocoder=None)
    mel = np.full((default_voice.config.mel.n_mels, 20), -5.0, np.float32)
    stage.validate(mel)
    mel[3, 7] = value
    with pytest.raises(InvalidRequest, match="natural-log mel"):
        stage.validate(mel)
