"""Soak: N clients stream (or, with --whole, ask for whole responses) back to back for M minutes; prints
every server process's memory growth.

Triton's decoupled Python models have leaked memory in past releases, and a stream holds state (its mel
buffer and vocoder state, the BLS responses) that must be freed at its end. This starts its own server, warms it up, then
samples the resident memory (RSS) of tritonserver and of each stage's stub process once a minute; one stream
in ten (--cancel-every) is cancelled after its first chunk, so that path is soaked too. It prints a markdown table and exits
1 when any process grew by more than --max-growth (default 5%) from the first sample after warm-up to the end.

Run: python -m loadtests.stream_soak [--minutes 10] [--clients 8] [--whole] [--write docs/soak_latest.md] [--build-dir DIR]
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


def stream_forever(url: str, texts: list[str], offset: int, cancel_every: int, stop: threading.Event, counts: dict[str, int], whole: bool = False) -> None:
    client = TTSClient(url, retry=RetryPolicy(max_rounds=1), deadline_s=120)
    k = offset
    while not stop.is_set():
        try:
            if whole:
                client.synthesize(texts[k % len(texts)])
                counts["completed"] += 1
                k += 1
                continue
            chunks = client.stream(texts[k % len(texts)])
            if cancel_every and k % cancel_every == 0:
                next(chunks)
                chunks.close()  # a listener who skips: cancels the rest
                counts["cancelled"] += 1
            else:
                for _ in chunks:
                    pass
                counts["completed"] += 1
        except TTSError:
            counts["failed"] += 1
        k += 1
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warm-up-s", type=float, default=60.0)
    parser.add_argument("--cancel-every", type=int, default=10, help="cancel every Nth stream after its first chunk (0: none)")
    parser.add_argument("--whole", action="store_true", help="soak whole responses (`tts`) instead of streams")
    parser.add_argument("--max-growth", type=float, default=0.05, help="fail above this fraction of growth")
    parser.add_argument("--port", type=int, default=18101)
    parser.add_argument("--write", type=Path, help="also write the table (markdown) here")
    parser.add_argument("--build-dir", type=Path, help="keep the server's folder (tritonserver.log) here; default: a temporary one")
    args = parser.parse_args()
    texts = benchmark_texts()
    counts = {"completed": 0, "cancelled": 0, "failed": 0}
    options = ServerOptions(grpc_port=args.port, http_port=args.port + 1, metrics_port=args.port + 2)
    kept = nullcontext(args.build_dir) if args.build_dir else tempfile.TemporaryDirectory()
    with kept as build_dir, TritonServer(replace(options, build_dir=Path(build_dir))) as server:
        stop = threading.Event()
        threads = [threading.Thread(target=stream_forever, args=(server.grpc_url, texts, i, args.cancel_every, stop, counts, args.whole))
                   for i in range(args.clients)]
        for thread in threads:
            thread.start()
        time.sleep(args.warm_up_s)  # allocator pools and caches fill before the baseline sample
        pids = process_names(server)
        samples = [rss_mib(pids)]
        started = time.monotonic()
        while time.monotonic() - started < args.minutes * 60:
            time.sleep(min(60.0, args.minutes * 60 - (time.monotonic() - started)))
            samples.append(rss_mib(pids))
            print(f"{(time.monotonic() - started) / 60:.1f} min: {counts}", flush=True)
        stop.set()
        for thread in threads:
            thread.join()
    kind = "whole-response" if args.whole else "streaming"
    lines = [
        f"{args.clients} {kind} clients for {args.minutes:g} minutes after {args.warm_up_s:g} s of warm-up; "
        f"{counts['completed']} requests completed, {counts['cancelled']} streams cancelled after the first chunk, {counts['failed']} failed.",
        "RSS per sample: " + ", ".join(f"{s['tritonserver']:.0f}" for s in samples) + " MiB (tritonserver).",
        "",
        "| process | RSS at start (MiB) | RSS at end (MiB) | max (MiB) | growth |",
        "|---|---|---|---|---|",
    ]
    worst = 0.0
    for name in samples[0]:
        first, last, peak = samples[0][name], samples[-1][name], max(s[name] for s in samples)
        growth = (last - first) / first
        worst = max(worst, growth)
        lines.append(f"| {name} | {first:.0f} | {last:.0f} | {peak:.0f} | {growth:+.1%} |")
    lines.append(f"\nLargest growth {worst:+.1%} (limit {args.max_growth:.0%}).")
    report = "\n".join(lines)
    print(report)
    if args.write:
        args.write.write_text(report + "\n")
    raise SystemExit(1 if worst > args.max_growth or counts["failed"] else 0)


if __name__ == "__main__":
    main()
