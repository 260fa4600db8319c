"""Graceful shutdown of `make serve`'s launcher: SIGTERM under load drains (new requests refused with UNAVAILABLE,
every request in flight finishes, streams included) and the launcher exits 0. SIGTERM straight to tritonserver
skips the drain: requests then complete or get a retryable UNAVAILABLE, and the launcher exits 0 without a
restart. A draining server refuses new requests of both models."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from serving.launcher import server_environment
from serving.triton_args import EXIT_TIMEOUT_S
from triton_tts.draining import DRAIN_FILE_ENV
from tests.conftest import REPO, free_port
from triton_tts_client import RetryPolicy, TTSClient, TTSError

pytestmark = pytest.mark.slow
TEXT = "This request was in flight when the server was asked to stop, and it must still come back whole. " * 3


def start_launcher(tmp_path: Path) -> tuple[subprocess.Popen, str, int]:
    """The launcher, once it has printed that it serves (its own readiness check passed: supervision runs)."""
    grpc, http, metrics = free_port(), free_port(), free_port()
    command = [sys.executable, "-m", "serving.launcher", "--grpc-port", str(grpc), "--http-port", str(http),
               "--metrics-port", str(metrics), "--build-dir", str(tmp_path / "build")]
    with open(tmp_path / "launcher.log", "wb") as log:
        launcher = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while "Ctrl-C stops it." not in (tmp_path / "launcher.log").read_text():
        assert launcher.poll() is None and time.monotonic() < deadline, logs(tmp_path)
        time.sleep(1.0)
    return launcher, f"localhost:{grpc}", metrics


def logs(tmp_path: Path) -> str:
    """The ends of the launcher's and tritonserver's logs, for a failure's message."""
    return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                     for path in (tmp_path / "launcher.log", tmp_path / "build" / "tritonserver.log") if path.exists())


def metric(metrics_port: int, series: str) -> float:
    """The sum of a Prometheus series' samples (`series` with the start of its labels)."""
    text = urllib.request.urlopen(f"http://localhost:{metrics_port}/metrics", timeout=10).read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(series))


FRONTEND_REQUESTS = 'nv_inference_count{model="text_frontend"'  # a whole-response request past it is in flight
STREAMS_IN_FLIGHT = 'tts_requests_in_progress{stage="tts_stream"'


def in_flight_load(url: str, metrics_port: int, outcomes: list[str]) -> list[threading.Thread]:
    """Two whole-response and two streaming requests, each sent before this returns: the clients connect
    first, the whole-response requests have passed the text frontend and both streams are in tts_stream (a slow
    machine takes its time)."""
    clients = [TTSClient(url, retry=RetryPolicy(max_rounds=1)) for _ in range(4)]
    assert all(client.ready() for client in clients)
    sending = [threading.Event() for _ in clients]
    before = metric(metrics_port, FRONTEND_REQUESTS)

    def whole(client: TTSClient, sent: threading.Event) -> None:
        try:
            sent.set()
            outcomes.append("whole ok" if client.synthesize(TEXT).duration > 5 else "short")
        except TTSError as exc:
            outcomes.append("whole refused" if exc.code == "UNAVAILABLE" else f"error: {exc}")

    def streamed(client: TTSClient, sent: threading.Event) -> None:  # completes, or is cut with UNAVAILABLE (never INTERNAL)
        try:
            sent.set()
            chunks = list(client.stream(TEXT))
            outcomes.append("stream ok" if sum(c.duration for c in chunks) > 5 else "short")
        except TTSError as exc:
            outcomes.append("stream cut" if exc.code == "UNAVAILABLE" else f"error: {exc}")

    threads = [threading.Thread(target=f, args=args) for f, args in zip((whole, whole, streamed, streamed), zip(clients, sending))]
    for thread in threads:
        thread.start()
    for sent in sending:
        sent.wait(10)
    deadline = time.monotonic() + 10
    while (metric(metrics_port, FRONTEND_REQUESTS) < before + 2 or metric(metrics_port, STREAMS_IN_FLIGHT) < 2) \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    return threads


def stop_and_collect(launcher: subprocess.Popen, target: psutil.Process | subprocess.Popen, threads: list[threading.Thread],
                     tmp_path: Path) -> float:
    """SIGTERM to `target`; the seconds until the launcher exited 0, once every request thread has ended."""
    began = time.monotonic()
    target.send_signal(signal.SIGTERM)
    try:
        assert launcher.wait(timeout=60) == 0, logs(tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the launcher still ran 60 s after SIGTERM\n{logs(tmp_path)}")
    stopped_s = time.monotonic() - began
    for thread in threads:
        thread.join(60)
    return stopped_s


def test_sigterm_to_the_launcher_drains_every_request_in_flight_then_exits_0(tmp_path: Path) -> None:
    """The launcher drains first (serving.drain): the stages still take the in-flight requests' next steps."""
    launcher, url, metrics = start_launcher(tmp_path)
    try:
        outcomes: list[str] = []
        stopped_s = stop_and_collect(launcher, launcher, in_flight_load(url, metrics, outcomes), tmp_path)
        assert sorted(outcomes) == ["stream ok", "stream ok", "whole ok", "whole ok"], (outcomes, logs(tmp_path))
        # Nothing is in flight at SIGTERM, but Triton 2.51 sometimes takes its whole exit timeout to unload
        # tts_stream; the pod's grace period (60 s) covers the drain (20 s) and that.
        assert stopped_s < EXIT_TIMEOUT_S + 15, logs(tmp_path)
    finally:
        if launcher.poll() is None:
            launcher.kill()


def test_sigterm_straight_to_tritonserver_fails_nothing_with_a_server_error_and_is_not_restarted(tmp_path: Path) -> None:
    """Without the drain, Triton stops every model's scheduler at once: a request between two stages is refused
    with UNAVAILABLE (retryable), never INTERNAL; the launcher sees a requested stop, not a crash."""
    launcher, url, metrics = start_launcher(tmp_path)
    try:
        outcomes: list[str] = []
        triton = next(p for p in psutil.Process(launcher.pid).children() if p.name() == "tritonserver")
        stopped_s = stop_and_collect(launcher, triton, in_flight_load(url, metrics, outcomes), tmp_path)
        assert len(outcomes) == 4 and set(outcomes) <= {"whole ok", "whole refused", "stream ok", "stream cut"}, (outcomes, logs(tmp_path))
        assert "restarting Triton" not in (tmp_path / "launcher.log").read_text(), logs(tmp_path)
        assert stopped_s < EXIT_TIMEOUT_S + 15, logs(tmp_path)  # Triton's exit timeout, then the launcher's exit
    finally:
        if launcher.poll() is None:
            launcher.kill()


def test_a_draining_server_refuses_new_requests_with_unavailable_and_serves_again_without_the_file(triton_server) -> None:
    drain_file = Path(server_environment(triton_server.options)[DRAIN_FILE_ENV])
    with TTSClient(triton_server.grpc_url, retry=RetryPolicy(max_rounds=1)) as client:
        drain_file.touch()
        try:
            for call in (lambda: client.synthesize("Hello there."), lambda: list(client.stream("Hello there."))):
                with pytest.raises(TTSError) as refused:
                    call()
                assert refused.value.code == "UNAVAILABLE" and "another server" in str(refused.value)
        finally:
            drain_file.unlink()
        assert client.synthesize("Hello there.").duration > 0.3
