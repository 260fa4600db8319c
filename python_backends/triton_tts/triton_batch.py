"""The per-request error contract every stage's `execute` follows, written once and testable without Triton.

Each request is decoded alone: one that raises InvalidRequest gets its own INVALID_ARG error response. The
valid ones are computed as one batch. An unexpected failure in the batch fails those requests with INTERNAL
(logged), never the whole execute call, so the server stays up.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Sequence, TypeVar

from triton_tts.frontend import InvalidRequest
from triton_tts.observability import StageObserver

logger = logging.getLogger(__name__)
Item = TypeVar("Item")
Result = TypeVar("Result")


def execute_batch(
    pb_utils: Any,
    requests: Sequence[Any],
    decode: Callable[[Any], Item],
    compute: Callable[[list[Item]], list[Result]],
    encode: Callable[[Result], list[Any]],
    observer: StageObserver | None = None,
) -> list[Any]:
    """Responses in request order: encoded results for valid requests, an error response for each bad one.

    `observer` (if given) counts and logs rejections and failures and records the batch size and compute time.
    """
    responses: list[Any] = [None] * len(requests)
    valid: list[tuple[int, Item]] = []
    for index, request in enumerate(requests):
        try:
            valid.append((index, decode(request)))
        except InvalidRequest as exc:
            responses[index] = pb_utils.InferenceResponse(error=pb_utils.TritonError(str(exc), pb_utils.TritonError.INVALID_ARG))
            if observer:
                observer.rejected(request, exc)
    if valid:
        try:
            began = time.perf_counter()
            results = compute([item for _, item in valid])
            if observer:
                observer.computed(len(valid), time.perf_counter() - began)
            for (index, _), result in zip(valid, results):
                responses[index] = pb_utils.InferenceResponse(output_tensors=encode(result))
        except Exception as exc:  # noqa: BLE001 - a bug must fail these requests, not the server
            logger.exception("batch of %d failed", len(valid))
            for index, _ in valid:
                if observer:
                    observer.failed(requests[index], exc)
                responses[index] = pb_utils.InferenceResponse(
                    error=pb_utils.TritonError(f"internal error: {type(exc).__name__}: {exc}", pb_utils.TritonError.INTERNAL)
                )
    return responses
