"""Drain before stopping: once the drain file exists, the entry points (text_frontend for `tts`, and `tts_stream`)
refuse new requests with UNAVAILABLE while the requests already past them finish through the stages.

Why not Triton's own drain: on SIGTERM, Triton stops every model's scheduler at once, so a `tts` request
between two ensemble steps is refused by its next step ("Server is stopping, scheduler for model has stopped
accepting new inference requests", DynamicBatchScheduler::Enqueue in Triton core), and a stream's next BLS
call is refused the same way. serving.drain creates the file, waits until nothing is in flight, and only then
is Triton sent SIGTERM (the launcher's stop, the pod's preStop hook).
"""

from __future__ import annotations

import os

from triton_tts.errors import Unavailable

DRAIN_FILE_ENV = "TTS_DRAIN_FILE"  # unset: never draining


def refuse_if_draining() -> None:
    """Raise Unavailable when this server is draining."""
    path = os.environ.get(DRAIN_FILE_ENV)
    if path and os.path.exists(path):
        raise Unavailable("the server is shutting down and takes no new requests: send this request to another server")
