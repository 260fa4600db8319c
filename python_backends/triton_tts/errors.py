"""The error contract every stage shares: what a caller can fix. Torch-free, so any stage can raise it."""

from __future__ import annotations

# Why a request was refused: the `reason` label of tts_requests_rejected_total (a fixed, small set).
REJECT_REASONS = (
    "not_one_utterance", "invalid_utf8", "empty_text", "text_too_long", "too_many_phonemes", "nothing_to_speak",
    "unknown_voice", "bad_rate", "bad_ssml", "bad_format", "bad_tensor",
)


class InvalidRequest(ValueError):
    """Bad input from the caller; the message says how to fix it, `reason` (one of REJECT_REASONS) names it."""

    def __init__(self, message: str, reason: str = "bad_tensor") -> None:
        super().__init__(message)
        self.reason = reason if reason in REJECT_REASONS else "bad_tensor"
