"""A TTS request (TEXT, VOICE, RATE) through the text frontend, with its trace, metrics and log line.

Shared by the `text_frontend` stage and the streaming model, which phonemizes in-process: a BLS call to the
frontend would cost a hop before the first audio, and Triton 2.51's BLS responses lose the INVALID_ARG code
(every stage error comes back INTERNAL), so bad input could not be told from a server fault.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from triton_tts.audio_format import AudioFormat, parse_format
from triton_tts.draining import refuse_if_draining
from triton_tts.frontend import PhonemizedRequest, TextFrontend
from triton_tts.observability import (
    RequestTrace, StageObserver, Traced, log_request, log_text_enabled, new_server_id, request_id_of, server_request_id,
)
from triton_tts.triton_batch import optional_scalar


def phonemize_request(pb_utils: Any, request: Any, frontend: TextFrontend, observer: StageObserver, voices: list[str]) -> Traced[PhonemizedRequest]:
    """The request's phoneme ids and trace; InvalidRequest (with what to fix) for bad input, Unavailable while
    the server drains."""
    refuse_if_draining()
    started = time.time_ns()
    client_id = request_id_of(request)
    server_id = 0 if client_id else new_server_id()
    request_id = client_id or server_request_id(server_id)
    text, rate = optional_scalar(pb_utils, request, "TEXT"), optional_scalar(pb_utils, request, "RATE")
    if log_text_enabled():
        log_request(observer.log, logging.DEBUG, request_id=request_id, text=bytes(text).decode("utf-8", "replace"))
    timestamps = optional_scalar(pb_utils, request, "WORD_TIMESTAMPS")
    result = frontend.process(text, optional_scalar(pb_utils, request, "VOICE"), None if rate is None else float(rate), bool(timestamps))
    characters = len(bytes(text).decode("utf-8"))
    observer.metrics.accepted(voices[result.speaker], characters, result.ids.size)
    trace = RequestTrace(started, result.speaker, characters, result.ids.size, frontend_ns=time.time_ns() - started, server_id=server_id)
    return Traced(request_id, result, trace)


def requested_format(pb_utils: Any, request: Any, native_rate: int, streaming: bool = False) -> AudioFormat:
    """The request's ENCODING and OUTPUT_SAMPLE_RATE, checked before any compute (InvalidRequest if bad)."""
    sample_rate = optional_scalar(pb_utils, request, "OUTPUT_SAMPLE_RATE")
    encoding = optional_scalar(pb_utils, request, "ENCODING")
    return parse_format(encoding, None if sample_rate is None else int(sample_rate), native_rate, streaming)
