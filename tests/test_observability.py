"""Stage metrics and request logs without Triton: names, labels, values, the trace between stages, privacy."""

from __future__ import annotations

import json
import logging
import time
from types import SimpleNamespace

import numpy as np

from triton_tts.errors import REJECT_REASONS, InvalidRequest
from triton_tts.observability import (
    METRICS,
    JsonFormatter,
    RequestTrace,
    StageObserver,
    Traced,
    finish_request,
    read_trace,
    run_traced,
    trace_array,
)
from tests.test_triton_batch import fake_pb_utils
from triton_tts.triton_batch import execute_batch


class FakeMetric:
    def __init__(self, labels: dict, buckets=None) -> None:
        self.labels, self.buckets, self.value, self.observed = labels, buckets, 0.0, []

    def increment(self, value: float) -> None:
        self.value += value

    def set(self, value: float) -> None:
        self.value = value

    def observe(self, value: float) -> None:
        self.observed.append(value)


class FakeFamily:
    COUNTER, GAUGE, HISTOGRAM = "counter", "gauge", "histogram"
    created: dict[str, "FakeFamily"] = {}

    def __init__(self, name: str, description: str, kind: str) -> None:
        self.name, self.kind, self.metrics = name, kind, []
        FakeFamily.created[name] = self

    def Metric(self, labels: dict, buckets=None) -> FakeMetric:  # noqa: N802 - Triton's name
        assert (buckets is not None) == (self.kind == "histogram"), self.name
        self.metrics.append(FakeMetric(labels, buckets))
        return self.metrics[-1]


FAKE_PB_UTILS = SimpleNamespace(MetricFamily=FakeFamily)


def metric(name: str, **labels: str) -> FakeMetric:
    return next(m for m in FakeFamily.created[name].metrics if m.labels == labels)


def test_names_follow_prometheus_conventions() -> None:
    for name, _, kind, labels in METRICS.values():
        assert name.startswith("tts_")
        assert name.endswith("_total") == (kind == "COUNTER"), name
        assert set(labels) <= {"stage", "reason", "voice"}, name  # no request ids, texts or other unbounded labels


def test_rejections_count_by_reason_from_zero() -> None:
    observer = StageObserver(FAKE_PB_UTILS, "text_frontend")
    assert all(metric("tts_requests_rejected_total", stage="text_frontend", reason=r).value == 0 for r in REJECT_REASONS)
    request = SimpleNamespace(request_id=lambda: "abc")
    observer.rejected(request, InvalidRequest("unknown VOICE 'robot'", "unknown_voice"))
    assert metric("tts_requests_rejected_total", stage="text_frontend", reason="unknown_voice").value == 1


def test_execute_batch_reports_rejections_and_batches() -> None:
    observer = StageObserver(FAKE_PB_UTILS, "acoustic")

    def decode(request: int) -> int:
        if request < 0:
            raise InvalidRequest("negative", "bad_tensor")
        return request

    execute_batch(fake_pb_utils, [1, -1, 2], decode, lambda items: items, lambda r: [r], observer)
    assert metric("tts_requests_rejected_total", stage="acoustic", reason="bad_tensor").value == 1
    assert metric("tts_batch_size", stage="acoustic").observed == [2]
    assert len(metric("tts_stage_compute_seconds", stage="acoustic").observed) == 1


def test_deferred_counters_and_gauges_wait_for_flush_and_histograms_do_not() -> None:
    """tts_stream's metrics: each update is a round trip to tritonserver, so counters are summed until flush()."""
    metrics = StageObserver(FAKE_PB_UTILS, "tts_stream", deferred_metrics=True).metrics
    for phonemes in (10, 20):
        metrics.accepted("en_us_joe", characters=5, phonemes=phonemes)
    metrics.in_progress(2)
    metrics.in_progress(1)
    metrics.first_audio("en_us_joe", 0.05)
    requests, gauge = metric("tts_requests_total", voice="en_us_joe"), metric("tts_requests_in_progress", stage="tts_stream")
    assert (requests.value, gauge.value) == (0, 0)
    assert metric("tts_time_to_first_audio_seconds", voice="en_us_joe").observed == [0.05]
    metrics.flush()
    assert (requests.value, metric("tts_input_phonemes_total", voice="en_us_joe").value, gauge.value) == (2, 30, 1)
    metrics.flush()  # nothing pending: nothing added twice
    assert requests.value == 2


def test_trace_round_trips_and_absent_trace_is_none() -> None:
    trace = RequestTrace(time.time_ns(), 2, 30, 25, frontend_ns=1000)
    tensor = SimpleNamespace(as_numpy=lambda: trace_array(trace))
    assert read_trace(tensor) == trace
    assert read_trace(None) is None
    assert read_trace(SimpleNamespace(as_numpy=lambda: trace_array(None))) is None


def test_the_last_stage_logs_one_json_line_without_text(caplog) -> None:
    observer = StageObserver(FAKE_PB_UTILS, "vocoder")
    observer.log.addHandler(caplog.handler)
    caplog.handler.setFormatter(JsonFormatter())
    items = [Traced("req-1", np.zeros(22050, dtype=np.float32), RequestTrace(time.time_ns(), 1, 12, 10))]
    (done,) = run_traced(lambda values: values, items, "vocoder_ns")
    with caplog.at_level(logging.INFO, logger="tts.requests"):
        finish_request(observer, done, ["en_us_male", "en_us_female"], 1.0)
    entry = json.loads(caplog.handler.format(caplog.records[-1]))
    assert entry["request_id"] == "req-1" and entry["voice"] == "en_us_female" and entry["outcome"] == "ok"
    assert entry["characters"] == 12 and entry["audio_seconds"] == 1.0 and entry["real_time_factor"] >= 0
    assert "text" not in entry
    assert metric("tts_audio_seconds_total", voice="en_us_female").value == 1.0
    assert len(metric("tts_real_time_factor", voice="en_us_female").observed) == 1
