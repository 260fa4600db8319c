"""serving.liveness: a dead stage process (a zombie stub) or a silent server fails it; a slow one does not."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from serving.launcher import ServerOptions, TritonServer
from serving.liveness import dead_stages
from tests.conftest import REPO, free_port


def fake_proc(tmp_path: Path, processes: dict[int, tuple[str, str, int]]) -> Path:
    """A /proc with one stat file per pid: (name, state, parent pid)."""
    for pid, (name, state, ppid) in processes.items():
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} ({name}) {state} {ppid} 1 1 0 -1 4194560 100 0 0 0\n")
    return tmp_path


def test_only_dead_stage_processes_count(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, {
        1: ("tritonserver", "S", 0), 7: ("triton_python_b", "S", 1), 8: ("triton_python_b", "Z", 1),
        9: ("python3 (x) y", "Z", 1), 12: ("triton_python_b", "Z", 40),
    })
    assert dead_stages(proc) == [8, 12]
    assert dead_stages(proc, parent=1) == [8]


@pytest.mark.slow
def test_a_killed_stage_fails_liveness_while_tritons_own_stays_green(tmp_path: Path) -> None:
    http = free_port()
    options = ServerOptions(grpc_port=free_port(), http_port=http, metrics_port=free_port(), build_dir=tmp_path / "build")
    server = TritonServer(options)
    server.start()
    command = [sys.executable, "-m", "serving.liveness", "--url", f"http://localhost:{http}/v2/health/live",
               "--parent", str(server.process.pid)]
    try:
        assert subprocess.run(command, cwd=REPO, capture_output=True).returncode == 0
        stub = next(p for p in psutil.Process(server.process.pid).children()
                    if any(a.endswith("vocoder/1/model.py") for a in p.cmdline()))
        stub.kill()
        time.sleep(1.0)
        with urllib.request.urlopen(f"http://localhost:{http}/v2/health/live", timeout=5) as live:
            assert live.status == 200  # Triton's own liveness misses it
        dead = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
        assert dead.returncode == 1 and "stage process(es) died" in dead.stderr, dead.stderr
    finally:
        server.stop(grace_s=5.0)
