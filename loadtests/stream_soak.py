"""Soak: N clients stream and W clients ask for whole responses, back to back for M minutes; prints every
server process's memory growth and the traffic served minute by minute.

Triton's decoupled Python models have leaked memory in past releases, and a stream holds state (its mel
buffer and vocoder state, the BLS responses) that must be freed at its end. This starts its own server, warms it up, then
samples the resident memory (RSS) of tritonserver and of each stage's stub process once a minute; one stream
in ten (--cancel-every) is cancelled after its first chunk, so that path is soaked too. It prints markdown tables and exits
1 on any failed request, or when any process grew by more than --max-growth (default 5%) from the first sample after
warm-up to the end. Memory is sampled during the warm-up too and shown ("w" rows): a process that grows while its
pools and caches fill and then stays flat is bounded; one that keeps growing after --warm-up-s is a leak. Both kinds
of traffic at once is how a pod is used; each alone isolates a leak.

Run: python -m loadtests.stream_soak [--minutes 10] [--clients 8] [--whole-clients 0] [--warm-up-s 60] [--write docs/soak_latest.md] [--build-dir DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

import psutil

from loadtests.bench import benchmark_texts
from serving.launcher import ServerOptions, TritonServer
from triton_tts_client import RetryPolicy, TTSClient, TTSError


def process_names(server: TritonServer) -> dict[int, str]:
    """pid -> a readable name: tritonserver, or the model a Python stub serves (from its command line)."""
    root = psutil.Process(server.process.pid)
    names = {root.pid: "tritonserver"}
    for child in root.children(recursive=True):
        args = child.cmdline()
        model = next((a.split("/")[-3] for a in args if a.endswith("/model.py")), child.name())
        names[child.pid] = f"stub {model} (pid {child.pid})"
    return names


def rss_mib(pids: dict[int, str]) -> dict[str, float]:
    sizes = {}
    for pid, name in pids.items():
        try:
            sizes[name] = psutil.Process(pid).memory_info().rss / 2**20
        except psutil.NoSuchProcess:
            sizes[name] = float("nan")
    return sizes


class Counts:
    """Totals of what the clients did, shared by their threads; the first few errors kept to print."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.totals = {"streams": 0, "cancelled": 0, "whole": 0, "failed": 0}
        self.errors: list[str] = []

    def add(self, key: str, error: TTSError | None = None) -> None:
        with self.lock:
            self.totals[key] += 1
            if error is not None and len(self.errors) < 5:
                self.errors.append(f"{type(error).__name__}: {error}")

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return dict(self.totals)


def request_forever(url: str, texts: list[str], offset: int, cancel_every: int, stop: threading.Event, counts: Counts, whole: bool) -> None:
    """One client: whole responses (`tts`) or streams (`tts_stream`), back to back until `stop`."""
    client = TTSClient(url, retry=RetryPolicy(max_rounds=1), deadline_s=120)
    k = offset
    while not stop.is_set():
        try:
            if whole:
                client.synthesize(texts[k % len(texts)])
                counts.add("whole")
            elif cancel_every and k % cancel_every == 0:
                chunks = client.stream(texts[k % len(texts)])
                next(chunks)
                chunks.close()  # a listener who skips: cancels the rest
                counts.add("cancelled")
            else:
                for _ in client.stream(texts[k % len(texts)]):
                    pass
                counts.add("streams")
        except TTSError as error:
            counts.add("failed", error)
        k += 1
    client.close()


def report(args: argparse.Namespace, counts: Counts, samples: list[dict[str, float]], traffic: list[dict[str, int]],
           warm_up: int) -> tuple[str, float]:
    """The markdown report, and the largest growth of any process after the warm-up. Samples are a minute
    apart; the first `warm_up` minutes are the warm-up, so samples[warm_up] is the baseline."""
    totals = counts.snapshot()
    lines = [
        f"{args.clients} streaming and {args.whole_clients} whole-response clients for {args.minutes:g} minutes after "
        f"{args.warm_up_s:g} s of warm-up (its minutes are the \"w\" rows; growth is measured from its end); "
        f"{totals['streams']} streams completed, {totals['cancelled']} cancelled after the first chunk, {totals['whole']} whole responses, {totals['failed']} failed.",
        *(f"- first errors: {error}" for error in counts.errors),
        "",
        "| minute | streams | cancelled | whole | tritonserver RSS (MiB) | all stubs RSS (MiB) |",
        "|---|---|---|---|---|---|",
    ]
    for minute, (before, after, sample) in enumerate(zip(traffic, traffic[1:], samples[1:]), start=1):
        stubs = sum(size for name, size in sample.items() if name != "tritonserver")
        label = f"w{minute}" if minute <= warm_up else str(minute - warm_up)
        lines.append(f"| {label} | {after['streams'] - before['streams']} | {after['cancelled'] - before['cancelled']} | "
                     f"{after['whole'] - before['whole']} | {sample['tritonserver']:.0f} | {stubs:.0f} |")
    lines += ["", "| process | RSS at the first sample (MiB) | RSS after warm-up (MiB) | RSS at end (MiB) | max (MiB) | growth after warm-up |",
              "|---|---|---|---|---|---|"]
    worst = 0.0
    measured = samples[warm_up:]
    for name in measured[0]:
        first, last, peak = measured[0][name], measured[-1][name], max(s[name] for s in measured)
        growth = (last - first) / first
        worst = max(worst, growth)
        lines.append(f"| {name} | {samples[0][name]:.0f} | {first:.0f} | {last:.0f} | {peak:.0f} | {growth:+.1%} |")
    lines.append(f"\nLargest growth {worst:+.1%} (limit {args.max_growth:.0%}).")
    return "\n".join(lines), worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8, help="clients that stream (`tts_stream`)")
    parser.add_argument("--whole-clients", type=int, default=0, help="clients that ask for whole responses (`tts`)")
    parser.add_argument("--warm-up-s", type=float, default=60.0)
    parser.add_argument("--cancel-every", type=int, default=10, help="cancel every Nth stream after its first chunk (0: none)")
    parser.add_argument("--max-growth", type=float, default=0.05, help="fail above this fraction of growth")
    parser.add_argument("--port", type=int, default=18101)
    parser.add_argument("--write", type=Path, help="also write the report (markdown) here")
    parser.add_argument("--build-dir", type=Path, help="keep the server's folder (tritonserver.log) here; default: a temporary one")
    args = parser.parse_args()
    texts = benchmark_texts()
    counts = Counts()
    options = ServerOptions(grpc_port=args.port, http_port=args.port + 1, metrics_port=args.port + 2)
    kept = nullcontext(args.build_dir) if args.build_dir else tempfile.TemporaryDirectory()
    with kept as build_dir, TritonServer(replace(options, build_dir=Path(build_dir))) as server:
        stop = threading.Event()
        kinds = [False] * args.clients + [True] * args.whole_clients
        threads = [threading.Thread(target=request_forever, args=(server.grpc_url, texts, i, args.cancel_every, stop, counts, whole))
                   for i, whole in enumerate(kinds)]
        for thread in threads:
            thread.start()
        pids = process_names(server)
        warm_up = int(args.warm_up_s // 60)  # whole minutes, sampled while allocator pools and caches fill
        time.sleep(args.warm_up_s - 60 * warm_up)
        samples, traffic = [rss_mib(pids)], [counts.snapshot()]
        started = time.monotonic()
        while time.monotonic() - started < (warm_up + args.minutes) * 60:
            time.sleep(min(60.0, (warm_up + args.minutes) * 60 - (time.monotonic() - started)))
            samples.append(rss_mib(pids))
            traffic.append(counts.snapshot())
            print(f"{(time.monotonic() - started) / 60:.1f} min: {traffic[-1]}", flush=True)
        stop.set()
        for thread in threads:
            thread.join()
    text, worst = report(args, counts, samples, traffic, warm_up)
    print(text)
    if args.write:
        args.write.write_text(text + "\n")
    raise SystemExit(1 if worst > args.max_growth or counts.snapshot()["failed"] else 0)


if __name__ == "__main__":
    main()
