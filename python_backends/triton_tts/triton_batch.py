"""The per-request error contract every stage's `execute` follows, written once and testable without Triton.

Each request is decoded alone: one that raises InvalidRequest gets its own INVALID_ARG error response (one that
raises Unavailable, an UNAVAILABLE one: the server is draining; one that hits a bug, an INTERNAL one). The
valid ones are computed as one batch. If the batch's compute raises, each of its requests is computed again
alone, so only a request that fails by itself gets INTERNAL (logged); never the whole execute call, so the
server stays up.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Sequence, TypeVar

import numpy as np

from triton_tts.errors import InvalidRequest, Unavailable, internal_message
from triton_tts.observability import StageObserver

logger = logging.getLogger(__name__)
Item = TypeVar("Item")
Result = TypeVar("Result")


def single_value(name: str, values: np.ndarray):
    """The one element of an input tensor: the API takes one utterance per request."""
    if values.size != 1:
        raise InvalidRequest(f"{name} must hold exactly one value per request (got shape {list(values.shape)}): send one utterance per request", "not_one_utterance")
    return values.reshape(-1)[0]


def optional_scalar(pb_utils: Any, request: Any, name: str):
    """The single value of input `name` of a Triton request, or None when the caller did not send it."""
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    return None if tensor is None else single_value(name, tensor.as_numpy())


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
        except Unavailable as exc:
            responses[index] = pb_utils.InferenceResponse(error=pb_utils.TritonError(str(exc), pb_utils.TritonError.UNAVAILABLE))
        except Exception as exc:  # noqa: BLE001 - a bug in one request's decoding must not fail its batch
            logger.exception("request failed while decoding")
            responses[index] = pb_utils.InferenceResponse(error=pb_utils.TritonError(internal_message(exc), pb_utils.TritonError.INTERNAL))
            if observer:
                observer.failed(requests[index], exc)
    if not valid:
        return responses
    began = time.perf_counter()
    if observer:
        observer.metrics.in_progress(len(valid))
    results = compute_isolated(compute, [item for _, item in valid])
    if observer:
        observer.metrics.in_progress(0)
        observer.computed(len(valid), time.perf_counter() - began)
    for (index, _), result in zip(valid, results):
        if isinstance(result, Exception):
            if observer:
                observer.failed(requests[index], result)
            responses[index] = pb_utils.InferenceResponse(error=pb_utils.TritonError(internal_message(result), pb_utils.TritonError.INTERNAL))
        else:
            responses[index] = pb_utils.InferenceResponse(output_tensors=encode(result))
    return responses


def compute_isolated(compute: Callable[[list[Item]], list[Result]], items: list[Item]) -> list[Result | Exception]:
    """`compute(items)`; if that raises, each item alone, so one request that breaks compute fails by itself."""
    try:
        return compute(items)
    except Exception as exc:  # noqa: BLE001 - a bug must fail the request that triggers it, not its batch
        if len(items) == 1:
            logger.exception("request failed")
            return [exc]
        logger.warning("batch of %d failed (%s: %s); computing its requests one by one", len(items), type(exc).__name__, exc)
    results: list[Result | Exception] = []
    for item in items:
        try:
            results.extend(compute([item]))
        except Exception as exc:  # noqa: BLE001
            logger.exception("request failed")
            results.append(exc)
    return results


def audio_tensors(pb_utils: Any, samples: np.ndarray, sample_rate: int, encoded: bytes) -> list:
    """The audio outputs every last stage sends: AUDIO (float32), SAMPLE_RATE and AUDIO_BYTES (encoded)."""
    return [
        pb_utils.Tensor("AUDIO", samples[None, :]),
        pb_utils.Tensor("SAMPLE_RATE", np.array([[sample_rate]], dtype=np.int32)),
        pb_utils.Tensor("AUDIO_BYTES", np.array([[encoded]], dtype=np.object_)),
    ]
