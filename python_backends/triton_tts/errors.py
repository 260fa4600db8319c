"""The error contract every stage shares: what a caller can fix. Torch-free, so any stage can raise it."""

from __future__ import annotations

# Why a request was refused: the `reason` label of tts_requests_rejected_total (a fixed, small set).
REJECT_REASONS = (
    "not_one_utterance", "invalid_utf8", "empty_text", "text_too_long", "too_many_phonemes", "nothing_to_speak",
    "unknown_voice", "bad_rate", "bad_ssml", "bad_format", "bad_tensor",
)


MAX_MESSAGE_CHARS = 1000  # gRPC carries the message in a trailer: an echoed 16,000-character value broke it


def shown(value: object, limit: int = 60) -> str:
    """`value` quoted for an error message, cut to `limit` characters: messages echo what was sent, not all of it."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def internal_message(error: Exception) -> str:
    """What the caller of a request that hit a bug reads: the error's type and its message, cut to size."""
    message = f"internal error: {type(error).__name__}: {error}"
    return message if len(message) <= MAX_MESSAGE_CHARS else message[: MAX_MESSAGE_CHARS - 1] + "…"


class InvalidRequest(ValueError):
    """Bad input from the caller; the message says how to fix it, `reason` (one of REJECT_REASONS) names it."""

    def __init__(self, message: str, reason: str = "bad_tensor") -> None:
        super().__init__(message if len(message) <= MAX_MESSAGE_CHARS else message[: MAX_MESSAGE_CHARS - 1] + "…")
        self.reason = reason if reason in REJECT_REASONS else "bad_tensor"


class Unavailable(Exception):
    """The server takes no new requests now (it is draining before it stops): the caller retries elsewhere."""
