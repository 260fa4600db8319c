"""The Locust load test runs against the real server, and its SLO gate sets the exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from loadtests.slo import SLO, violations
from tests.conftest import REPO


def run_locust(host: str, seconds: int, *slo: str) -> subprocess.CompletedProcess:
    locust = Path(sys.executable).parent / "locust"
    command = [str(locust), "-f", "loadtests/locustfile.py", "--headless", "-u", "2", "-r", "2", "-t", f"{seconds}s",
               "--host", host, "--only-summary", *slo]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=seconds + 60)


@pytest.mark.slow
def test_smoke_run_meets_the_slo_and_an_impossible_slo_fails(triton_server) -> None:
    smoke = run_locust(triton_server.grpc_url, 15, "--slo-p95-ms", "20000", "--slo-max-fail-ratio", "0.0")
    assert smoke.returncode == 0, smoke.stderr[-2000:]
    assert "SLO met" in smoke.stderr
    assert "first audio" in smoke.stdout + smoke.stderr  # the streaming user's TTFA row
    impossible = run_locust(triton_server.grpc_url, 10, "--slo-p95-ms", "1", "--slo-ttfa-p95-ms", "1")  # long enough for requests to finish on a busy machine
    assert impossible.returncode == 1 and "p95 latency" in impossible.stderr and "time to first audio p95" in impossible.stderr


def test_slo_violations() -> None:
    slo = SLO(max_fail_ratio=0.01, p95_ms=500)
    assert violations(slo, 100, 0.0, 400) == []
    assert violations(slo, 100, 0.05, 400) == ["failure ratio 0.050 > 0.01"]
    assert violations(slo, 100, 0.0, 900) == ["p95 latency 900 ms > 500 ms"]
    assert violations(slo, 0, 0.0, 0) == ["no requests were made"]
    assert violations(SLO(ttfa_p95_ms=100), 10, 0.0, 400, 150) == ["time to first audio p95 150 ms > 100 ms"]
    assert violations(SLO(ttfa_p95_ms=100), 10, 0.0, 400, None) == []  # nothing streamed


SHAPE_CHECK = """
from loadtests.shape_step import StepLoad
shape = StepLoad()
shape.get_run_time = lambda: 61
assert shape.tick() == (8, 4.0), shape.tick()
shape.get_run_time = lambda: 10_000
assert shape.tick() is None
from loadtests.step_table import step_seconds
assert step_seconds(StepLoad.stages) == {4 * k: 60 for k in range(1, 9)}
"""


def test_shapes_are_tables_of_stages() -> None:
    """In a subprocess: importing locust monkey-patches the interpreter with gevent."""
    subprocess.run([sys.executable, "-c", SHAPE_CHECK], cwd=REPO, check=True, timeout=60)


def test_the_step_table_names_the_last_step_that_met_the_slo() -> None:
    from loadtests.step_table import Call, step_seconds, step_table  # no locust import: it patches with gevent

    assert step_seconds(((60, 4, 4.0), (120, 8, 4.0), (150, 4, 1.0))) == {4: 90, 8: 60}
    calls = [Call(4, "grpc", "short", 100, False)] * 20 + [Call(4, "ttfa", "first audio", 50, False)] * 10
    calls += [Call(4, "grpc-stream", "short (stream)", 400, False)] * 10
    calls += [Call(8, "grpc", "short", 200, False)] * 20 + [Call(8, "ttfa", "first audio", 2000, False)] * 10  # TTFA past 1 s
    calls += [Call(12, "grpc", "short", 300, k < 5) for k in range(20)]  # 25% failed
    table, capacity = step_table(calls, {4: 10, 8: 10, 12: 10}, SLO())
    rows = table.splitlines()[2:]
    assert capacity == 4 and len(rows) == 3
    assert rows[0].startswith("| 4 | 2.00 | 100 / 100 / 100 | 1.00 | 400 / 400 / 400 | 50 / 50 / 50 | 0 | met |")
    assert "time to first audio" in rows[1] and "| 5 | failure ratio" in rows[2]


def test_a_failed_call_is_counted_and_its_client_goes_on() -> None:
    """The benchmark's closed loop: a call that raises (a reset connection) is reported, not a dead thread."""
    from loadtests.closed_loop import Load, closed_loop

    calls: list[str] = []

    def call(text: str) -> float:
        calls.append(text)
        if text == "bad":
            raise ConnectionResetError("reset by peer")
        return 1.0

    load = Load()
    closed_loop(load, call, ["bad", "good"], concurrency=1, duration_s=0.05)
    assert load.failures == {"ConnectionResetError": calls.count("bad")} and calls.count("bad") >= 2
    assert len(load.latencies) == calls.count("good") == load.audio_s >= 1
