"""The Piper teacher behind the same `tts` contract (serving/reference_repository), for A/B and benchmarks."""

from pathlib import Path

import numpy as np
import pytest

from serving.launcher import ServerOptions, TritonServer
from tests.conftest import free_port
from triton_tts.errors import InvalidRequest
from triton_tts.reference import REFERENCE_VOICE, PiperReference
from triton_tts_client import InvalidRequestError, TTSClient


@pytest.fixture(scope="module")
def reference() -> PiperReference:
    return PiperReference()


@pytest.mark.parametrize(
    "text, voice, rate, message",
    [
        (b"", None, None, "TEXT is empty"),
        (b"Hello.", b"en_us_joe", None, "available voices: en_us_joe_piper"),
        (b"Hello.", None, 9.0, "RATE must be"),
        (b" ... ", None, None, "nothing to speak"),
        (b"\xff\xfe", None, None, "not valid UTF-8"),
    ],
)
def test_bad_requests_are_refused_like_the_default_voice(reference: PiperReference, text, voice, rate, message) -> None:
    with pytest.raises(InvalidRequest, match=message):
        reference.prepare(text, voice, rate)


def test_sentences_are_spoken_and_rate_shortens_them(reference: PiperReference) -> None:
    request = reference.prepare(b"First sentence here. And a second one!", REFERENCE_VOICE.encode())
    assert len(request.sentences) == 2
    normal = reference.synthesize(request)
    fast = reference.synthesize(reference.prepare(b"First sentence here. And a second one!", None, 2.0))
    assert np.abs(normal).max() <= 1.0 and 0.4 < len(fast) / len(normal) < 0.65


@pytest.mark.slow
def test_reference_server_speaks_through_the_sdk(tmp_path: Path) -> None:
    options = ServerOptions(grpc_port=free_port(), http_port=free_port(), metrics_port=free_port(), build_dir=tmp_path, reference_voice=True)
    with TritonServer(options) as server, TTSClient(server.grpc_url) as tts:
        audio = tts.synthesize("The reference voice reads this line.")
        assert audio.sample_rate == 22050 and 1.0 < audio.duration < 6.0
        with pytest.raises(InvalidRequestError, match="unknown VOICE"):
            tts.synthesize("Hello.", voice="robot")
