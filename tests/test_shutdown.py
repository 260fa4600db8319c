"""Graceful shutdown of `make serve`'s launcher: SIGTERM under load finishes every whole-response request in
flight, ends a stream in flight with a retryable UNAVAILABLE (Triton refuses the stream's next stage call once
it stops; in Kubernetes the preStop pause lets streams finish first), and the launcher exits 0, also when
tritonserver itself is sent SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from serving.probe import probe
from tests.conftest import REPO, free_port
from triton_tts_client import RetryPolicy, TTSClient, TTSError

pytestmark = pytest.mark.slow
TEXT = "This request was in flight when the server was asked to stop, and it must still come back whole. " * 3


def start_launcher(tmp_path: Path) -> tuple[subprocess.Popen, str]:
    grpc, http, metrics = free_port(), free_port(), free_port()
    command = [sys.executable, "-m", "serving.launcher", "--grpc-port", str(grpc), "--http-port", str(http), "--metrics-port", str(metrics)]
    log = open(tmp_path / "launcher.log", "wb")
    launcher = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    url, deadline = f"localhost:{grpc}", time.monotonic() + 300
    while probe(url, timeout_s=5.0) is not None:
        assert launcher.poll() is None and time.monotonic() < deadline, (tmp_path / "launcher.log").read_text()[-3000:]
        time.sleep(1.0)
    return launcher, url


def in_flight_load(url: str, outcomes: list[str], started: threading.Event) -> list[threading.Thread]:
    """Two whole-response and two streaming requests, each started before the signal."""
    def whole() -> None:
        try:
            started.set()
            outcomes.append("whole ok" if TTSClient(url, retry=RetryPolicy(max_rounds=1)).synthesize(TEXT).duration > 5 else "short")
        except TTSError as exc:
            outcomes.append(f"error: {exc}")

    def streamed() -> None:  # completes, or is cut with UNAVAILABLE (never INTERNAL)
        try:
            started.set()
            chunks = list(TTSClient(url, retry=RetryPolicy(max_rounds=1)).stream(TEXT))
            outcomes.append("stream ok" if sum(c.duration for c in chunks) > 5 else "short")
        except TTSError as exc:
            outcomes.append("stream cut" if exc.code == "UNAVAILABLE" else f"error: {exc}")

    threads = [threading.Thread(target=f) for f in (whole, whole, streamed, streamed)]
    for thread in threads:
        thread.start()
    return threads


@pytest.mark.parametrize("target", ["launcher", "tritonserver"])
def test_sigterm_under_load_finishes_in_flight_requests_and_exits_0(tmp_path: Path, target: str) -> None:
    launcher, url = start_launcher(tmp_path)
    try:
        outcomes: list[str] = []
        started = threading.Event()
        threads = in_flight_load(url, outcomes, started)
        started.wait(10)
        time.sleep(0.3)  # the requests reach the server
        server = launcher if target == "launcher" else next(
            p for p in psutil.Process(launcher.pid).children() if p.name() == "tritonserver"
        )
        began = time.monotonic()
        server.send_signal(signal.SIGTERM)
        assert launcher.wait(timeout=60) == 0, (tmp_path / "launcher.log").read_text()[-3000:]
        stopped_s = time.monotonic() - began
        for thread in threads:
            thread.join(60)
        assert outcomes.count("whole ok") == 2 and len(outcomes) == 4, outcomes
        assert set(outcomes) <= {"whole ok", "stream ok", "stream cut"}, outcomes
        assert stopped_s < 30  # the pod's terminationGracePeriodSeconds leaves more
    finally:
        if launcher.poll() is None:
            launcher.kill()
