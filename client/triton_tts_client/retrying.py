"""One call's attempts: failover across endpoints within a round, jittered backoff between rounds, one deadline.

Shared by the sync and async clients; they only differ in how they sleep and await.
"""

from __future__ import annotations

import random
import time
from typing import Iterator

import grpc

from triton_tts_client import protocol
from triton_tts_client.audio import Audio
from triton_tts_client.errors import DeadlineExceededError, ServerError, ServiceUnavailableError, TTSError, from_grpc, is_retryable
from triton_tts_client.options import ClientOptions


class EndpointHealth:
    """When each endpoint last failed with a retryable error: a client's calls share it, so after one call
    finds a server broken, the next calls try the others first until its cool-down has passed."""

    def __init__(self, cooldown_s: float, clock=time.monotonic) -> None:
        self.cooldown_s, self.clock = cooldown_s, clock
        self.failed_at: dict[str, float] = {}

    def mark_failed(self, endpoint: str) -> None:
        self.failed_at[endpoint] = self.clock()

    def order(self, endpoints: tuple[str, ...]) -> list[str]:
        """The endpoints in the configured order, those cooling down after the rest (still tried: last)."""
        now = self.clock()
        cooling = {e for e in endpoints if now - self.failed_at.get(e, float("-inf")) < self.cooldown_s}
        return [e for e in endpoints if e not in cooling] + [e for e in endpoints if e in cooling]


class Attempts:
    """Iterate to get (endpoint, seconds to sleep first); report each failure with `failed`."""

    def __init__(self, options: ClientOptions, rng: random.Random, deadline_s: float | None, health: EndpointHealth | None = None) -> None:
        self.options = options
        self.rng = rng
        self.health = health or EndpointHealth(options.retry.cooldown_s)
        self.deadline_s = deadline_s or options.deadline_s
        self.deadline = time.monotonic() + self.deadline_s
        self.last: tuple[TTSError, Exception | None] | None = None

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def __iter__(self) -> Iterator[tuple[str, float]]:
        policy = self.options.retry
        for round_index in range(policy.max_rounds):
            for position, endpoint in enumerate(self.health.order(self.options.endpoints)):
                sleep_s = policy.backoff_s(round_index, self.rng) if round_index and position == 0 else 0.0
                if self.remaining() - sleep_s <= 0:
                    return
                yield endpoint, sleep_s

    def failed(self, exc: grpc.RpcError, endpoint: str) -> None:
        """Raise the mapped error unless another attempt may succeed (errors.is_retryable)."""
        self.failed_with(exc.code(), exc.details(), endpoint, exc)

    def failed_with(self, code: grpc.StatusCode, details: str, endpoint: str, cause: Exception | None) -> None:
        error = from_grpc(code, details, endpoint)
        if not is_retryable(code, details):
            raise error from cause
        self.health.mark_failed(endpoint)
        self.last = (error, cause)

    def exhausted(self) -> TTSError:
        """The error to raise when no attempt succeeded."""
        if self.last is None or self.remaining() <= 0:
            return DeadlineExceededError(f"no response within {self.deadline_s} s", "DEADLINE_EXCEEDED")
        error, cause = self.last
        exhausted = ServiceUnavailableError(f"every endpoint failed; last: {error}", error.code)
        exhausted.__cause__ = cause
        return exhausted


class TryNextEndpoint(Exception):
    """This endpoint's stream failed in a way another endpoint may not."""


class StreamAttempt:
    """One endpoint's try at a stream: a failure before the first chunk may fail over (Attempts.failed);
    after it, the listener has heard audio, so the error is raised."""

    def __init__(self, attempts: Attempts, endpoint: str, encoding: str = "float32") -> None:
        self.attempts, self.endpoint, self.encoding = attempts, endpoint, encoding
        self.started = False

    def chunk(self, message) -> Audio | None:
        """The message's audio chunk, or None at the end of the stream. An error before the first chunk that
        another endpoint may not have (UNAVAILABLE: e.g. the server is stopping) raises TryNextEndpoint."""
        if message.error_message and not self.started:
            code, details = protocol.split_stream_error(message.error_message)
            if code is not None:
                self.attempts.failed_with(code, details, self.endpoint, None)
                raise TryNextEndpoint()
        chunk = protocol.parse_stream_response(message, self.encoding)
        self.started = self.started or chunk is not None
        return chunk

    def failed(self, exc: grpc.RpcError) -> None:
        if self.started:
            raise from_grpc(exc.code(), exc.details(), self.endpoint) from exc
        self.attempts.failed(exc, self.endpoint)

    def unfinished(self) -> TTSError:
        return ServerError("the stream ended without its final response", "UNKNOWN", self.endpoint)
