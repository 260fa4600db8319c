"""Overload: requests arriving faster than the server can serve them, with the stages' queue bounds (as shipped)
and without them (the baseline), one server after the other in one run, same arrivals and texts.

Open loop: whole-response requests and streams arrive at fixed mean rates (Poisson), each sent once (no SDK
retry), whatever happened to the ones before: past capacity, an unbounded queue only grows, and so does the
latency of every later request. Per server and kind: requests answered with audio per second, refused per
second (UNAVAILABLE), latency p50/p95/p99 of the answered ones (streams: time to first audio), p99 time to a
refusal, streams cut after audio had started (must be 0) and any other error.

Run: python -m loadtests.overload [--rate 60] [--stream-rate 6] [--duration 30] [--max-queue acoustic=64 ...]
     [--no-baseline]
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from loadtests.bench import benchmark_texts
from serving.launcher import ServerOptions, TritonServer, parse_instances
from triton_tts_client import RetryPolicy, TTSClient, TTSError


@dataclass
class Outcomes:
    """What one kind of client saw from one server."""

    served: list[float] = field(default_factory=list)  # latency (streams: time to first audio), seconds
    refused: list[float] = field(default_factory=list)  # time until the UNAVAILABLE answer, seconds
    cut: int = 0  # streams that failed after their first chunk
    errors: dict[str, int] = field(default_factory=dict)

    def row(self, setup: str, kind: str, rate: float, wall_s: float) -> str:
        p50, p95, p99 = (np.percentile(self.served, q) * 1000 if self.served else float("nan") for q in (50, 95, 99))
        refusal = np.percentile(self.refused, 99) * 1000 if self.refused else float("nan")
        errors = ", ".join(f"{code} {n}" for code, n in sorted(self.errors.items())) or "0"
        return (f"| {setup} | {kind} | {rate:g} | {len(self.served) / wall_s:.2f} | {len(self.refused) / wall_s:.2f} | "
                f"{p50:.0f} | {p95:.0f} | {p99:.0f} | {refusal:.0f} | {self.cut} | {errors} |")


HEADER = ("| setup | kind | arrivals/s | answered/s | refused/s | p50 ms | p95 ms | p99 ms | refusal p99 ms | streams cut | other errors |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|")


def whole_call(client, text: str, outcomes: Outcomes, lock: threading.Lock) -> None:
    began = time.monotonic()
    try:
        client().synthesize(text)
        with lock:
            outcomes.served.append(time.monotonic() - began)
    except TTSError as exc:
        with lock:
            if exc.code == "UNAVAILABLE":
                outcomes.refused.append(time.monotonic() - began)
            else:
                outcomes.errors[exc.code] = outcomes.errors.get(exc.code, 0) + 1


def stream_call(client, text: str, outcomes: Outcomes, lock: threading.Lock) -> None:
    began, first = time.monotonic(), None
    try:
        for _ in client().stream(text):
            first = first or time.monotonic() - began
        with lock:
            outcomes.served.append(first or 0.0)
    except TTSError as exc:
        with lock:
            if first is not None:
                outcomes.cut += 1
            elif exc.code == "UNAVAILABLE":
                outcomes.refused.append(time.monotonic() - began)
            else:
                outcomes.errors[exc.code] = outcomes.errors.get(exc.code, 0) + 1


def overload(server: TritonServer, texts: list[str], rate: float, stream_rate: float, duration_s: float,
             seed: int = 11) -> tuple[Outcomes, Outcomes, float]:
    """Poisson arrivals of whole requests at `rate` and streams at `stream_rate` per second for `duration_s`;
    the outcomes of each kind and the wall time until the last one ended."""
    shared = TTSClient(server.grpc_url, retry=RetryPolicy(max_rounds=1), deadline_s=120)  # one channel, every thread
    client, lock, rng = (lambda: shared), threading.Lock(), random.Random(seed)
    whole, streams = Outcomes(), Outcomes()
    arrivals = sorted([(t, whole_call, whole) for t in poisson_times(rng, rate, duration_s)]
                      + [(t, stream_call, streams) for t in poisson_times(rng, stream_rate, duration_s)], key=lambda a: a[0])
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=1024) as pool:
        for k, (at, call, outcomes) in enumerate(arrivals):
            time.sleep(max(0.0, began + at - time.monotonic()))
            pool.submit(call, client, texts[k % len(texts)], outcomes, lock)
    shared.close()
    return whole, streams, time.monotonic() - began


def poisson_times(rng: random.Random, rate: float, duration_s: float) -> list[float]:
    times, t = [], rng.expovariate(rate) if rate > 0 else duration_s
    while t < duration_s:
        times.append(t)
        t += rng.expovariate(rate)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=60.0, help="whole-response requests per second")
    parser.add_argument("--stream-rate", type=float, default=6.0, help="streams per second")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--max-queue", nargs="*", default=[], metavar="STAGE=N", help="bounds other than the shipped ones")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    texts = benchmark_texts()
    rows = []
    bounds = parse_instances(args.max_queue)
    setups = [(f"queue bounds ({' '.join(args.max_queue) or 'shipped'})", ServerOptions(max_queue=bounds))]
    if not args.no_baseline:
        setups.append(("no bounds (baseline)", ServerOptions(queue_bounds=False)))
    for setup, options in setups:
        with TritonServer(options) as server:
            whole, streamed, wall_s = overload(server, texts, args.rate, args.stream_rate, args.duration)
        rows += [whole.row(setup, "whole", args.rate, wall_s), streamed.row(setup, "stream (TTFA)", args.stream_rate, wall_s)]
        print(rows[-2], rows[-1], sep="\n", flush=True)
    print(f"\n{args.duration:.0f} s of arrivals per setup, {len(texts)} texts\n\n{HEADER}\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
