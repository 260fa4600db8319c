"""A TTS request (TEXT, VOICE, RATE) through the text frontend, with its trace, metrics and log line.

Shared by the `text_frontend` stage and the streaming model, which phonemizes in-process: a BLS call to the
frontend would cost a hop before the first audio, and Triton 2.51's BLS responses lose the INVALID_ARG code
(every stage error comes back INTERNAL), so bad input could not be told from a server fault.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from triton_tts.audio_format import AudioFormat, parse_format
from triton_tts.draining import refuse_if_draining
from triton_tts.errors import InvalidRequest
from triton_tts.frontend import PhonemizedRequest, TextFrontend
from triton_tts.observability import (
    RequestTrace, StageObserver, Traced, log_request, log_text_enabled, new_server_id, request_id_of, server_request_id,
)
from triton_tts.triton_batch import optional_scalar


@dataclass(frozen=True)
class TextRequest:
    """A request's frontend inputs, read from its tensors (on the thread that owns the request), and when it started."""

    request_id: str
    server_id: int  # 0 when the caller sent its own id
    started_ns: int
    text: bytes
    voice: bytes | None
    rate: float | None
    word_timestamps: bool

    def phonemize(self, frontend: TextFrontend) -> PhonemizedRequest:
        """The frontend's work: pure, so the streaming model runs it on a worker thread."""
        return frontend.process(self.text, self.voice, self.rate, self.word_timestamps)


def read_text_request(pb_utils: Any, request: Any, observer: StageObserver) -> TextRequest:
    """TEXT, VOICE, RATE and WORD_TIMESTAMPS of a request; InvalidRequest without TEXT, Unavailable while the
    server drains."""
    refuse_if_draining()
    started = time.time_ns()
    client_id = request_id_of(request)
    server_id = 0 if client_id else new_server_id()
    request_id = client_id or server_request_id(server_id)
    text, rate = optional_scalar(pb_utils, request, "TEXT"), optional_scalar(pb_utils, request, "RATE")
    if text is None:
        raise InvalidRequest("TEXT is required: send the utterance to speak as a BYTES tensor of shape [1] (UTF-8)", "empty_text")
    if log_text_enabled():
        log_request(observer.log, logging.DEBUG, request_id=request_id, text=bytes(text).decode("utf-8", "replace"))
    return TextRequest(request_id, server_id, started, bytes(text), optional_scalar(pb_utils, request, "VOICE"),
                       None if rate is None else float(rate), bool(optional_scalar(pb_utils, request, "WORD_TIMESTAMPS")))


def traced(request: TextRequest, result: PhonemizedRequest, observer: StageObserver, voices: list[str]) -> Traced[PhonemizedRequest]:
    """The phonemized request with its trace, counted in the stage's metrics."""
    characters = len(request.text.decode("utf-8"))
    observer.metrics.accepted(voices[result.speaker], characters, result.ids.size)
    trace = RequestTrace(request.started_ns, result.speaker, characters, result.ids.size,
                         frontend_ns=time.time_ns() - request.started_ns, server_id=request.server_id)
    return Traced(request.request_id, result, trace)


def phonemize_request(pb_utils: Any, request: Any, frontend: TextFrontend, observer: StageObserver, voices: list[str]) -> Traced[PhonemizedRequest]:
    """The request's phoneme ids and trace; InvalidRequest (with what to fix) for bad input, Unavailable while
    the server drains."""
    text_request = read_text_request(pb_utils, request, observer)
    return traced(text_request, text_request.phonemize(frontend), observer, voices)


def requested_format(pb_utils: Any, request: Any, native_rate: int, streaming: bool = False) -> AudioFormat:
    """The request's ENCODING and OUTPUT_SAMPLE_RATE, checked before any compute (InvalidRequest if bad)."""
    sample_rate = optional_scalar(pb_utils, request, "OUTPUT_SAMPLE_RATE")
    encoding = optional_scalar(pb_utils, request, "ENCODING")
    return parse_format(encoding, None if sample_rate is None else int(sample_rate), native_rate, streaming)
