"""An abstract Locust user that speaks gRPC through the project's SDK and reports every call to Locust.

A streamed call is reported twice: the whole stream under its task's name, and its time to first audio as
request type `ttfa` under FIRST_AUDIO, so Locust's table and the SLO gate show TTFA percentiles of their own.
"""

from __future__ import annotations

import time

import grpc.experimental.gevent as grpc_gevent
from locust import User

from triton_tts_client import RetryPolicy, TTSClient, TTSError

FIRST_AUDIO = "first audio"
grpc_gevent.init_gevent()  # gRPC's I/O must yield to gevent, or one user blocks all others


class TTSGrpcUser(User):
    """Subclasses add tasks that call `speak`; `host` is HOST:PORT (or several, comma-separated, for failover)."""

    abstract = True
    deadline_s = 60.0

    def on_start(self) -> None:
        # One attempt per call: the load test measures the service, not the client's retries.
        self.client = TTSClient(self.host.split(","), deadline_s=self.deadline_s, retry=RetryPolicy(max_rounds=1))

    def on_stop(self) -> None:
        self.client.close()

    def speak(self, name: str, text: str, voice: str | None = None, rate: float = 1.0) -> None:
        """Time one synthesis; the response length is the audio's size in bytes, a failure carries its status."""
        started = time.perf_counter()
        length, error = 0, None
        try:
            length = self.client.synthesize(text, voice, rate).samples.nbytes
        except TTSError as exc:
            error = exc
        self._report("grpc", name, started, length, error, voice, rate)

    def stream(self, name: str, text: str, voice: str | None = None, rate: float = 1.0) -> None:
        """Time one streamed synthesis to its first chunk (reported as `ttfa`) and to its end."""
        started = time.perf_counter()
        length, error = 0, None
        try:
            for chunk in self.client.stream(text, voice, rate):
                if length == 0:
                    self._report("ttfa", FIRST_AUDIO, started, chunk.samples.nbytes, None, voice, rate)
                length += chunk.samples.nbytes
        except TTSError as exc:
            error = exc
        self._report("grpc-stream", name, started, length, error, voice, rate)

    def _report(self, kind: str, name: str, started: float, length: int, error: Exception | None, voice: str | None, rate: float) -> None:
        self.environment.events.request.fire(
            request_type=kind,
            name=name,
            response_time=(time.perf_counter() - started) * 1000.0,
            response_length=length,
            exception=error,
            context={"voice": voice, "rate": rate},
        )
