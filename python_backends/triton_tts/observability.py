"""What on-call sees of each request: TTS metrics through Triton's custom metrics API, and one JSON log line.

Metrics are listed in METRICS (Prometheus names, base units, `_total` counters, labels from small fixed sets:
stage, reason, voice). Every stage process registers the families; Triton serves equal series once. Request and
error counts come from these counters, not Triton's: Triton 2.51 does not count a Python model's error
responses as failures, and counts a failed ensemble request twice (measured, tests/test_monitoring.py).

The request's trace (start time, voice, sizes, per-stage times) travels with it between stages as the
TRACE tensor; the vocoder stage, the last one, writes the log line. Text is never logged unless
TTS_LOG_TEXT=1 (debugging only). TTS_LOG_LEVEL sets the level (default INFO) at model load: a restart, no
rebuild.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
import time
from dataclasses import asdict, dataclass, replace
from typing import Any, Callable, Generic, TypeVar

import numpy as np

from triton_tts.errors import REJECT_REASONS
from triton_tts.limits import TRACE_SIZE

COMPUTE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
RTF_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0]
LATENCY_BUCKETS = [0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0]
BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64]
TTFA_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0]
CHUNK_BUCKETS = [1, 2, 3, 4, 6, 8, 16, 32, 64, 128]
LOG_LEVEL_ENV, LOG_TEXT_ENV = "TTS_LOG_LEVEL", "TTS_LOG_TEXT"


@dataclass
class RequestTrace:
    """Per-request facts gathered along the pipeline; an INT64 vector on the wire (TRACE [8]).

    `server_id` is non-zero when the caller sent no request id: the frontend made one up, so that all of the
    request's log lines still share an id (`srv-<hex>`); it cannot reach such a caller.
    """

    started_ns: int
    speaker: int
    characters: int
    phonemes: int
    frontend_ns: int = 0
    acoustic_ns: int = 0
    vocoder_ns: int = 0
    server_id: int = 0

    def to_array(self) -> np.ndarray:
        return np.array(list(asdict(self).values()), dtype=np.int64)


NO_TRACE = np.zeros(TRACE_SIZE, dtype=np.int64)  # sent on when a stage was called without one


def read_trace(tensor: Any) -> RequestTrace | None:
    """A stage's optional TRACE input tensor (absent or all zeros: the stage was called directly)."""
    return None if tensor is None else trace_from_array(tensor.as_numpy())


def trace_from_array(values: np.ndarray) -> RequestTrace | None:
    """A TRACE tensor's values (all zeros: no trace)."""
    if values.size != TRACE_SIZE or int(values.reshape(-1)[0]) == 0:
        return None
    return RequestTrace(*(int(v) for v in values.reshape(-1)))


def trace_array(trace: RequestTrace | None) -> np.ndarray:
    """The TRACE output, (1, TRACE_SIZE)."""
    return (NO_TRACE if trace is None else trace.to_array())[None, :]


# key -> (Prometheus name, help, kind, labels)
METRICS = {
    "requests": ("tts_requests_total", "Requests the text frontend accepted, by voice", "COUNTER", ("voice",)),
    "rejected": ("tts_requests_rejected_total", "Requests refused with INVALID_ARGUMENT, by stage and reason", "COUNTER", ("stage", "reason")),
    "failed": ("tts_requests_failed_total", "Requests that failed inside a stage (server errors), by stage", "COUNTER", ("stage",)),
    "characters": ("tts_input_characters_total", "Characters of accepted text, by voice", "COUNTER", ("voice",)),
    "phonemes": ("tts_input_phonemes_total", "Phonemes of accepted text, by voice", "COUNTER", ("voice",)),
    "audio": ("tts_audio_seconds_total", "Seconds of audio produced, by voice", "COUNTER", ("voice",)),
    "rtf": ("tts_real_time_factor", "Time in the pipeline divided by audio duration, per request", "HISTOGRAM", ("voice",)),
    "latency": ("tts_request_duration_seconds", "Time from the frontend's start to the last stage's end, per request", "HISTOGRAM", ("voice",)),
    "compute": ("tts_stage_compute_seconds", "Compute time of one execute() call", "HISTOGRAM", ("stage",)),
    "batch": ("tts_batch_size", "Requests per execute() call", "HISTOGRAM", ("stage",)),
    "ttfa": ("tts_time_to_first_audio_seconds", "Streaming: time from a request's arrival to its first audio chunk", "HISTOGRAM", ("voice",)),
    "chunks": ("tts_stream_chunks", "Streaming: audio chunks sent per completed request", "HISTOGRAM", ("voice",)),
    "in_progress": ("tts_requests_in_progress", "Requests a stage is computing now; for tts_stream, streams in flight (serving.drain waits for 0)", "GAUGE", ("stage",)),
    "cancelled": ("tts_stream_cancelled_total", "Streaming requests stopped early: the client cancelled or its deadline passed", "COUNTER", ("voice",)),
}


def exported_series() -> set[str]:
    """Every series name the stages export (histograms as _bucket, _sum and _count)."""
    names = set()
    for name, _, kind, _ in METRICS.values():
        names |= {f"{name}{s}" for s in ("_bucket", "_sum", "_count")} if kind == "HISTOGRAM" else {name}
    return names


class StageMetrics:
    """The metric families of one stage, created once per model instance and kept referenced for its lifetime
    (a collected family invalidates its metrics). `pb_utils` is Triton's module (or a test double)."""

    def __init__(self, pb_utils: Any, stage: str, deferred: bool = False) -> None:
        """`deferred`: counter increments and gauge values wait for flush() (histograms never wait). Each update
        is a round trip to tritonserver; tts_stream, whose one event loop thread makes them all, sums them."""
        family = pb_utils.MetricFamily
        self.stage = stage
        self.families = {key: family(name, help_text, getattr(family, kind)) for key, (name, help_text, kind, _) in METRICS.items()}
        self._metrics: dict[tuple, Any] = {}
        self.deferred = deferred
        self._increments: dict[tuple, float] = {}
        self._gauges: dict[tuple, float] = {}
        for reason in REJECT_REASONS:  # series exist at 0 from the start, so rates and ratios are defined
            self._metric("rejected", stage=stage, reason=reason)
        self._metric("failed", stage=stage)
        self._metric("in_progress", stage=stage)

    def _metric(self, name: str, buckets: list | None = None, **labels: str) -> Any:
        return self._metrics[self._key(name, buckets, labels)]

    def _key(self, name: str, buckets: list | None, labels: dict[str, str]) -> tuple:
        """The metric's key in self._metrics, where it is created on first use."""
        key = (name, *sorted(labels.items()))
        if key not in self._metrics:
            kwargs = {"labels": labels} | ({"buckets": buckets} if buckets else {})
            self._metrics[key] = self.families[name].Metric(**kwargs)
        return key

    def _increment(self, name: str, value: float, **labels: str) -> None:
        key = self._key(name, None, labels)
        if self.deferred:
            self._increments[key] = self._increments.get(key, 0) + value
        else:
            self._metrics[key].increment(value)

    def _set(self, name: str, value: float, **labels: str) -> None:
        key = self._key(name, None, labels)
        if self.deferred:
            self._gauges[key] = value
        else:
            self._metrics[key].set(value)

    def flush(self) -> None:
        """Send the deferred counter increments and gauge values."""
        for key, value in self._increments.items():
            self._metrics[key].increment(value)
        for key, value in self._gauges.items():
            self._metrics[key].set(value)
        self._increments.clear()
        self._gauges.clear()

    def rejected(self, reason: str) -> None:
        self._increment("rejected", 1, stage=self.stage, reason=reason)

    def failed(self) -> None:
        self._increment("failed", 1, stage=self.stage)

    def batch(self, size: int, seconds: float) -> None:
        """One compute call of this stage, over `size` requests."""
        self._metric("batch", BATCH_BUCKETS, stage=self.stage).observe(size)
        self.computed(seconds)

    def computed(self, seconds: float, stage: str | None = None) -> None:
        """A compute call's time, of this stage or of `stage` when this process runs another's work (tts_stream's
        vocoder, one stream per call: no batch size to observe, and each observation is a round trip to Triton)."""
        self._metric("compute", COMPUTE_BUCKETS, stage=stage or self.stage).observe(seconds)

    def accepted(self, voice: str, characters: int, phonemes: int) -> None:
        self._increment("requests", 1, voice=voice)
        self._increment("characters", characters, voice=voice)
        self._increment("phonemes", phonemes, voice=voice)

    def spoken(self, voice: str, audio_seconds: float, pipeline_seconds: float) -> None:
        self._increment("audio", audio_seconds, voice=voice)
        self._metric("latency", LATENCY_BUCKETS, voice=voice).observe(pipeline_seconds)
        if audio_seconds > 0:
            self._metric("rtf", RTF_BUCKETS, voice=voice).observe(pipeline_seconds / audio_seconds)

    def first_audio(self, voice: str, seconds: float) -> None:
        self._metric("ttfa", TTFA_BUCKETS, voice=voice).observe(seconds)

    def streamed(self, voice: str, chunks: int) -> None:
        self._metric("chunks", CHUNK_BUCKETS, voice=voice).observe(chunks)

    def cancelled(self, voice: str) -> None:
        self._increment("cancelled", 1, voice=voice)

    def in_progress(self, requests: int) -> None:
        self._set("in_progress", requests, stage=self.stage)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, and the record's `fields` (or its message)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname, "logger": record.name}
        entry |= getattr(record, "fields", None) or {"message": record.getMessage()}
        return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


def request_logger() -> logging.Logger:
    """The `tts.requests` logger: JSON lines on stderr (the pod log), level from $TTS_LOG_LEVEL."""
    logger = logging.getLogger("tts.requests")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.propagate = False
    level = os.environ.get(LOG_LEVEL_ENV, "INFO").upper()
    logger.setLevel(level if level in logging.getLevelNamesMapping() else "INFO")
    return logger


def log_text_enabled() -> bool:
    return os.environ.get(LOG_TEXT_ENV, "").lower() in ("1", "true", "yes")


def log_request(logger: logging.Logger, level: int, **fields: Any) -> None:
    logger.log(level, "request", extra={"fields": fields})


def seconds_since(started_ns: int) -> float:
    return max(0.0, (time.time_ns() - started_ns) / 1e9)


def request_id_of(request: Any) -> str:
    """The client's request id (gRPC/HTTP `id`), which Triton hands to every stage of the ensemble."""
    getter = getattr(request, "request_id", None)
    return (getter() if callable(getter) else "") or ""


def new_server_id() -> int:
    return secrets.randbits(62) or 1


def server_request_id(server_id: int) -> str:
    return f"srv-{server_id:016x}"


def traced(request: Any, value: Any, trace_tensor: Any) -> "Traced":
    """A later stage's work item: the value, the request's trace, and its id (the client's, else the frontend's)."""
    trace = read_trace(trace_tensor)
    request_id = request_id_of(request) or (server_request_id(trace.server_id) if trace and trace.server_id else "")
    return Traced(request_id, value, trace)


class StageObserver:
    """Metrics and logs for one stage's execute(): rejections, failures, batch sizes and compute times."""

    def __init__(self, pb_utils: Any, stage: str, deferred_metrics: bool = False) -> None:
        self.stage = stage
        self.metrics = StageMetrics(pb_utils, stage, deferred_metrics)
        self.log = request_logger()

    def rejected(self, request: Any, error: Exception) -> None:
        reason = getattr(error, "reason", "bad_tensor")
        self.metrics.rejected(reason)
        request_id = request_id_of(request) or server_request_id(new_server_id())
        log_request(self.log, logging.INFO, request_id=request_id, stage=self.stage, outcome="rejected",
                    reason=reason, error=str(error))

    def failed(self, request: Any, error: Exception) -> None:
        self.metrics.failed()
        log_request(self.log, logging.ERROR, request_id=request_id_of(request), stage=self.stage, outcome="error",
                    reason="internal", error=f"{type(error).__name__}: {error}")

    def computed(self, size: int, seconds: float) -> None:
        self.metrics.batch(size, seconds)


Value = TypeVar("Value")


@dataclass(frozen=True)
class Traced(Generic[Value]):
    """A stage's work item with the request's id and trace (None when a caller sent no TRACE)."""

    request_id: str
    value: Value
    trace: RequestTrace | None


def run_traced(run: Callable[[list], list], items: list[Traced], stage_field: str) -> list[Traced]:
    """`run` on the items' values; each trace gets the batch's compute time in `stage_field` (e.g. acoustic_ns)."""
    began = time.perf_counter_ns()
    results = run([item.value for item in items])
    elapsed = time.perf_counter_ns() - began
    return [
        Traced(item.request_id, result, item.trace and replace(item.trace, **{stage_field: elapsed}))
        for item, result in zip(items, results)
    ]


def finish_request(observer: StageObserver, item: Traced, voices: list[str], audio_seconds: float) -> None:
    """The last stage's report: audio and RTF metrics and the request's one log line."""
    trace = item.trace
    if trace is None:  # the stage was called directly, not through the tts ensemble
        return
    voice = voices[trace.speaker] if 0 <= trace.speaker < len(voices) else "unknown"
    pipeline_seconds = seconds_since(trace.started_ns)
    observer.metrics.spoken(voice, audio_seconds, pipeline_seconds)
    log_request(
        observer.log, logging.INFO, request_id=item.request_id, outcome="ok", voice=voice,
        characters=trace.characters, phonemes=trace.phonemes, audio_seconds=round(audio_seconds, 3),
        pipeline_ms=round(pipeline_seconds * 1000, 1), frontend_ms=round(trace.frontend_ns / 1e6, 1),
        acoustic_ms=round(trace.acoustic_ns / 1e6, 1), vocoder_ms=round(trace.vocoder_ns / 1e6, 1),
        real_time_factor=round(pipeline_seconds / audio_seconds, 4) if audio_seconds else None,
    )
