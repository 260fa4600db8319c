"""Closed-loop load: N clients, each sending its next request when the last one returns, on threads of this
process or spread over several processes.

Why processes: the SDK costs about a millisecond of Python per request (the benchmark's load-generator column)
and one process's threads share one GIL, so one process cannot drive much past ~1,000 requests/s; a GPU server
goes further, and the benchmark would measure its own client.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import psutil

from triton_tts_client import RetryPolicy, TTSClient

READY_TIMEOUT_S = 180.0  # for every process to import, connect and wait at the start line


@dataclass
class Load:
    """What a closed loop measured (loadtests.bench.Result has the same fields and more)."""

    latencies: list[float] = field(default_factory=list)
    rtfs: list[float] = field(default_factory=list)
    audio_s: float = 0.0
    wall_s: float = 0.0
    client_cpu_s: float = 0.0  # CPU of the helper processes (threads: counted by the caller)
    failures: dict[str, int] = field(default_factory=dict)  # failed calls by exception type (not in latencies)


def closed_loop(load, call: Callable[[str], float], texts: list[str], concurrency: int, duration_s: float,
                first: int = 0, stride: int | None = None) -> None:
    """`concurrency` threads, each calling `call(text) -> audio seconds` back to back for `duration_s`, into
    `load`'s lists. Thread i takes texts first + i, then every `stride`-th (default: concurrency) after it. A call
    that raises is counted in `load.failures` and its thread goes on: one reset connection must not silently
    lower the concurrency for the rest of the row."""
    lock = threading.Lock()
    stride = stride or concurrency
    began = time.monotonic()
    stop_at = began + duration_s

    def worker(k: int) -> None:
        while time.monotonic() < stop_at:
            start = time.monotonic()
            text, k = texts[k % len(texts)], k + stride
            try:
                seconds = call(text)
            except Exception as exc:  # noqa: BLE001 - counted and reported, whatever the client raised
                with lock:
                    load.failures[type(exc).__name__] = load.failures.get(type(exc).__name__, 0) + 1
                continue
            latency = time.monotonic() - start
            with lock:
                load.latencies.append(latency)
                load.rtfs.append(latency / seconds)
                load.audio_s += seconds

    threads = [threading.Thread(target=worker, args=(first + i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.wall_s = time.monotonic() - began


def per_thread_client(url: str) -> Callable[[], TTSClient]:
    """A function giving each closed-loop thread its own SDK client (one attempt per call: no retries)."""
    clients = threading.local()

    def client() -> TTSClient:
        if not hasattr(clients, "tts"):
            clients.tts = TTSClient(url, retry=RetryPolicy(max_rounds=1), deadline_s=120)
        return clients.tts

    return client


def _process(url: str, texts: list[str], threads: int, first: int, stride: int, duration_s: float, ready, results) -> None:
    """One load process: its own SDK client per thread, `tts` requests, started with the others."""
    client = per_thread_client(url)

    def call(text: str) -> float:
        return client().synthesize(text).duration

    call(texts[first % len(texts)])  # connected before the start line
    me, load = psutil.Process(), Load()
    ready.wait(READY_TIMEOUT_S)
    before = me.cpu_times()
    closed_loop(load, call, texts, threads, duration_s, first, stride)
    after = me.cpu_times()
    load.client_cpu_s = (after.user - before.user) + (after.system - before.system)
    results.put(load)


def closed_loop_processes(url: str, texts: list[str], concurrency: int, duration_s: float, processes: int) -> Load:
    """closed_loop's load from `processes` processes (spawned: gRPC channels do not survive a fork), started
    together once all are connected; wall time from the start line to the last process's end."""
    if not 1 <= processes <= concurrency:
        raise ValueError(f"{processes} processes for {concurrency} clients: need 1 to {concurrency} processes")
    context = multiprocessing.get_context("spawn")
    ready, results = context.Barrier(processes + 1), context.Queue()
    shares = [concurrency // processes + (i < concurrency % processes) for i in range(processes)]
    firsts = [sum(shares[:i]) for i in range(processes)]
    workers = [
        context.Process(target=_process, args=(url, texts, share, first, concurrency, duration_s, ready, results), daemon=True)
        for share, first in zip(shares, firsts)
    ]
    for worker in workers:
        worker.start()
    ready.wait(READY_TIMEOUT_S)
    began, merged = time.monotonic(), Load()
    for _ in workers:
        part = results.get(timeout=duration_s + READY_TIMEOUT_S)
        merged.latencies += part.latencies
        merged.rtfs += part.rtfs
        merged.audio_s += part.audio_s
        merged.client_cpu_s += part.client_cpu_s
        for name, count in part.failures.items():
            merged.failures[name] = merged.failures.get(name, 0) + count
    merged.wall_s = time.monotonic() - began
    for worker in workers:
        worker.join()
    return merged
