"""Errors raised by the TTS clients, mapped from gRPC status codes at the transport boundary.

    TTSError
    ├── InvalidRequestError      INVALID_ARGUMENT: fix the text, voice or rate; never retried
    ├── ServiceUnavailableError  UNAVAILABLE, RESOURCE_EXHAUSTED: retried with backoff, then raised
    ├── DeadlineExceededError    DEADLINE_EXCEEDED: the call's deadline passed
    ├── AuthenticationError      UNAUTHENTICATED, PERMISSION_DENIED: check credentials / metadata
    ├── NotFoundError            NOT_FOUND: the model (or voice model) is not deployed on this endpoint
    └── ServerError              INTERNAL, UNKNOWN and anything else: a server-side fault

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


def from_grpc(code: grpc.StatusCode, details: str | None, endpoint: str = "") -> TTSError:
    """The TTSError for a gRPC status (raise it `from` the original exception)."""
    return _BY_CODE.get(code, ServerError)(details or "no details", code.name, endpoint)
