"""Two real servers, the SDK holding both, 4 client threads: a stage of the first server killed with
SIGKILL, then the first server stopped with SIGTERM. Requests lost end to end: none (the SDK retries on the
other server when one says a stage is unhealthy, is unreachable, or is stopping)."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from pathlib import Path

import psutil
import pytest

from serving.launcher import ServerOptions, TritonServer
from tests.conftest import free_port
from triton_tts_client import RetryPolicy, TTSClient, TTSError

pytestmark = pytest.mark.slow
TEXTS = ["Stay tuned for more music.", "Up next, a classic from the nineties.", "That was the weather.", "Thanks for listening."]


def new_server(tmp_path: Path, name: str) -> TritonServer:
    options = ServerOptions(grpc_port=free_port(), http_port=free_port(), metrics_port=free_port(), build_dir=tmp_path / name)
    return TritonServer(options)


def traffic(endpoints: list[str], stop: threading.Event, counts: Counter, errors: list[str]) -> None:
    with TTSClient(endpoints, retry=RetryPolicy(max_rounds=3), deadline_s=60) as client:
        k = 0
        while not stop.is_set():
            try:
                client.synthesize(TEXTS[k % len(TEXTS)])
                counts["ok"] += 1
            except TTSError as exc:
                counts["lost"] += 1
                errors.append(f"{exc.code}: {exc}")
            k += 1


def stage_process(server: TritonServer, stage: str) -> psutil.Process:
    return next(p for p in psutil.Process(server.process.pid).children(recursive=True)
                if any(a.endswith(f"{stage}/1/model.py") for a in p.cmdline()))


@pytest.mark.parametrize("stage", ["text_frontend", "vocoder"])
def test_no_request_is_lost_when_a_stage_dies_then_its_server_stops(tmp_path: Path, stage: str):
    first, second = new_server(tmp_path, "a"), new_server(tmp_path, "b")
    first.start()
    second.start()
    try:
        counts, errors, stop = Counter(), [], threading.Event()
        threads = [threading.Thread(target=traffic, args=([first.grpc_url, second.grpc_url], stop, counts, errors)) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(3)
        before_kill = counts["ok"]
        stage_process(first, stage).kill()
        time.sleep(10)
        after_kill = counts["ok"]
        if first.exit_code() is None:
            first.process.send_signal(signal.SIGTERM)  # a rollout: the first server drains and stops
        time.sleep(10)
        stop.set()
        for thread in threads:
            thread.join(120)
        assert counts["lost"] == 0, errors[:5]
        assert before_kill > 0 and after_kill > before_kill and counts["ok"] > after_kill  # served throughout
        print(f"{stage} killed: {counts['ok']} requests served, 0 lost ({before_kill} before the kill, {after_kill} before SIGTERM)")
    finally:
        first.stop(grace_s=5)
        second.stop()
