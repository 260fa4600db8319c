"""Errors raised by the TTS clients, mapped from gRPC status codes at the transport boundary.

    TTSError
    ├── InvalidRequestError      INVALID_ARGUMENT (or a message over gRPC's size limit): fix the request; never retried
    ├── ServiceUnavailableError  UNAVAILABLE, RESOURCE_EXHAUSTED: retried with backoff, then raised
    ├── DeadlineExceededError    DEADLINE_EXCEEDED: the call's deadline passed
    ├── AuthenticationError      UNAUTHENTICATED, PERMISSION_DENIED: check credentials / metadata
    ├── NotFoundError            NOT_FOUND: the model (or voice model) is not deployed on this endpoint
    └── ServerError              INTERNAL, UNKNOWN and anything else: a server-side fault

A server that is dying or stopping also fails over to the next endpoint: INTERNAL "... is not healthy" (a
crashed Python stage) and NOT_FOUND "... has no available versions" (models unloading at shutdown).
Each keeps the gRPC status name in `code` and the server's message in `details`.
"""

from __future__ import annotations

import grpc


class TTSError(Exception):
    """Base of every error the client raises."""

    def __init__(self, details: str, code: str = "", endpoint: str = "") -> None:
        where = f" [{endpoint}]" if endpoint else ""
        super().__init__(f"{code + ': ' if code else ''}{details}{where}")
        self.details = details
        self.code = code
        self.endpoint = endpoint


class InvalidRequestError(TTSError):
    """The request was rejected as bad input; the message says what to fix."""


class ServiceUnavailableError(TTSError):
    """No endpoint could take the request (down, overloaded or unreachable)."""


class DeadlineExceededError(TTSError):
    """The call did not finish within its deadline."""


class AuthenticationError(TTSError):
    """The server refused the caller's credentials."""


class NotFoundError(TTSError):
    """The endpoint does not serve the requested model."""


class ServerError(TTSError):
    """The server failed while handling a valid request."""


RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED})
_BY_CODE: dict[grpc.StatusCode, type[TTSError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidRequestError,
    grpc.StatusCode.OUT_OF_RANGE: InvalidRequestError,
    grpc.StatusCode.UNAVAILABLE: ServiceUnavailableError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ServiceUnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.UNAUTHENTICATED: AuthenticationError,
    grpc.StatusCode.PERMISSION_DENIED: AuthenticationError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
}


# Messages of servers that cannot serve now but whose peers can; and of requests no server will take.
_FAILOVER_MESSAGES = {
    grpc.StatusCode.INTERNAL: ("is not healthy",),  # Triton: "Stub process '<stage>' is not healthy"
    grpc.StatusCode.NOT_FOUND: ("has no available versions",),  # Triton unloading its models on SIGTERM
}
_TOO_LARGE = "larger than max"  # gRPC's RESOURCE_EXHAUSTED for a message over the size limit


def is_retryable(code: grpc.StatusCode, details: str | None) -> bool:
    """Whether another endpoint (or a later round) may succeed where this call failed."""
    details = details or ""
    if code in RETRYABLE:
        return _TOO_LARGE not in details
    return any(message in details for message in _FAILOVER_MESSAGES.get(code, ()))


def from_grpc(code: grpc.StatusCode, details: str | None, endpoint: str = "") -> TTSError:
    """The TTSError for a gRPC status (raise it `from` the original exception)."""
    details = details or "no details"
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED and _TOO_LARGE in details:
        return InvalidRequestError(f"the request is larger than the server accepts ({details}): send less text", code.name, endpoint)
    return _BY_CODE.get(code, ServerError)(details, code.name, endpoint)
