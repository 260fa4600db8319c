"""The launcher's supervisor: restart on a crash or on a stage that stops answering, never on a clean stop
(unit tests with a fake server), and a real kill -9 of a stage's stub healed by a restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from serving.launcher import ServerOptions, TritonServer
from serving.probe import NOT_READY, probe
from serving.supervisor import Supervisor
from tests.conftest import REPO, free_port


class FakeServer:
    """Scripted exit codes and probe answers, one per supervision period."""

    def __init__(self, periods: list[tuple[int | None, str | None]], start_fails: int = 0, asked_to_stop: bool = False) -> None:
        self.periods, self.start_fails, self.asked_to_stop = list(periods), start_fails, asked_to_stop
        self.now: tuple[int | None, str | None] = (None, None)
        self.starts = self.stops = 0

    def tick(self, _seconds: float) -> None:
        self.now = self.periods.pop(0) if self.periods else (0, None)

    def exit_code(self) -> int | None:
        return self.now[0]

    def probe(self) -> str | None:
        return self.now[1]

    def was_asked_to_stop(self) -> bool:
        return self.asked_to_stop

    def stop(self, grace_s: float | None = None) -> None:
        self.stops += 1

    def start(self, timeout_s: float = 300.0) -> None:
        self.starts += 1
        if self.start_fails:
            self.start_fails -= 1
            raise RuntimeError("tritonserver exited with 1")


def supervise(server: FakeServer) -> tuple[int, int]:
    supervisor = Supervisor(server, failures=3, not_ready_failures=5, sleep=server.tick)
    return supervisor.run(), supervisor.restarts


def test_a_clean_exit_ends_supervision_without_a_restart():
    assert supervise(FakeServer([(None, None), (0, None)])) == (0, 0)


def test_a_crash_restarts():
    server = FakeServer([(None, None), (-6, None), (None, None), (0, None)])
    assert supervise(server) == (0, 1) and server.starts == 1


def test_a_server_sent_sigterm_is_not_restarted_whatever_its_exit_status():
    # tritonserver exits 1 when its exit timeout runs out on a stage that does not unload
    assert supervise(FakeServer([(None, None), (1, None)], asked_to_stop=True)) == (0, 0)


def test_failing_requests_restart_after_three_probes_not_before():
    failing = (None, "INTERNAL: Stub process 'text_frontend_0_0' is not healthy.")
    assert supervise(FakeServer([failing, failing, (None, None), failing, failing, (0, None)])) == (0, 0)
    assert supervise(FakeServer([failing, failing, failing, (0, None)])) == (0, 1)


def test_a_draining_server_is_not_restarted():
    not_ready = (None, f"{NOT_READY} tts not ready")
    assert supervise(FakeServer([not_ready] * 4 + [(0, None)])) == (0, 0)
    assert supervise(FakeServer([not_ready] * 5 + [(0, None)])) == (0, 1)


def test_gives_up_when_starts_keep_failing():
    server = FakeServer([(1, None)], start_fails=3)
    assert supervise(server) == (1, 3)


@pytest.mark.slow
@pytest.mark.parametrize(("stage", "instances"), [("text_frontend", []), ("vocoder", ["--instances", "vocoder=2"])],
                         ids=["the-only-frontend", "one-of-two-vocoders"])
def test_kill_9_of_a_stage_is_healed_by_a_restart(tmp_path: Path, stage: str, instances: list[str]):
    """A killed stage process means a restart, also when another instance of the stage still answers (the
    request probe alone would pass half the time)."""
    grpc = free_port()
    command = [sys.executable, "-m", "serving.launcher", "--grpc-port", str(grpc), "--http-port", str(free_port()),
               "--metrics-port", str(free_port()), "--build-dir", str(tmp_path / "build"), *instances]
    log_path = tmp_path / "launcher.log"
    with open(log_path, "wb") as log:
        launcher = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    url = f"localhost:{grpc}"
    try:
        deadline = time.monotonic() + 300
        while "Ctrl-C stops it." not in log_path.read_text():  # the launcher saw it ready: supervision runs
            assert launcher.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(1.0)
        stub = next(p for p in psutil.Process(launcher.pid).children(recursive=True)
                    if any(a.endswith(f"{stage}/1/model.py") for a in p.cmdline()))
        stub.kill()
        killed = time.monotonic()
        while "Triton serves again after restart 1" not in log_path.read_text():
            assert launcher.poll() is None and time.monotonic() - killed < 240, log_path.read_text()[-3000:]
            time.sleep(1.0)
        healed_s = time.monotonic() - killed
        assert probe(url, timeout_s=10.0) is None
        print(f"serving again {healed_s:.0f} s after kill -9 of a {stage} stub")
        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(timeout=60) == 0
    finally:
        if launcher.poll() is None:
            launcher.kill()


def test_leftover_shared_memory_is_removed_only_when_nobody_maps_it(tmp_path, monkeypatch):
    from serving import shm

    monkeypatch.setattr(shm, "SHM", tmp_path)
    old = tmp_path / f"{shm.PREFIX}old"
    old.write_bytes(b"x")
    before = shm.regions()
    new, used, starting = (tmp_path / f"{shm.PREFIX}{name}" for name in ("new", "used", "starting"))
    for region in (new, used, starting):
        region.write_bytes(b"x")
    for region in (new, used):
        os.utime(region, (time.time() - 60, time.time() - 60))
    monkeypatch.setattr(shm, "mapped", lambda: {str(used)})
    assert shm.remove_leftovers(before) == [new]  # `starting`: another server's, created a moment ago
    assert old.exists() and used.exists() and starting.exists() and not new.exists()


@pytest.mark.slow
def test_the_probe_notices_a_dead_streaming_stage(tmp_path: Path):
    """`tts` still speaks when the `tts_stream` stub is dead: only the probe's stream finds it."""
    options = ServerOptions(grpc_port=free_port(), http_port=free_port(), metrics_port=free_port(), build_dir=tmp_path / "build")
    server = TritonServer(options)
    server.start()
    try:
        assert probe(server.grpc_url) is None
        stub = next(p for p in psutil.Process(server.process.pid).children(recursive=True)
                    if any(a.endswith("tts_stream/1/model.py") for a in p.cmdline()))
        stub.kill()
        time.sleep(1.0)  # it stays a zombie: tritonserver does not reap it
        problem = probe(server.grpc_url)
        assert problem is not None and "tts_stream" in problem, problem
    finally:
        server.stop(grace_s=5.0)
