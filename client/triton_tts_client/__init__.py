"""Python SDK for the triton-tts service: `TTSClient` (sync), `AsyncTTSClient` (asyncio), `Audio`, errors."""

from triton_tts_client.aio import AsyncTTSClient
from triton_tts_client.audio import Audio
from triton_tts_client.client import TTSClient
from triton_tts_client.errors import (
    AuthenticationError,
    DeadlineExceededError,
    InvalidRequestError,
    NotFoundError,
    ServerError,
    ServiceUnavailableError,
    TTSError,
)
from triton_tts_client.options import ClientOptions, RetryPolicy, TLSConfig

__all__ = [
    "AsyncTTSClient",
    "Audio",
    "AuthenticationError",
    "ClientOptions",
    "DeadlineExceededError",
    "InvalidRequestError",
    "NotFoundError",
    "RetryPolicy",
    "ServerError",
    "ServiceUnavailableError",
    "TLSConfig",
    "TTSClient",
    "TTSError",
]
