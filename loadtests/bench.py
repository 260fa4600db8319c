"""Benchmark: the pipeline's in-process limit, the Triton ensemble with and without dynamic batching, and a
naive one-request-at-a-time HTTP server (loadtests/naive_server.py) serving the same pipeline.

Same machine, same texts, one run. Closed loop: N clients each send their next request when the last one
returns. Prints a markdown table: requests/s, audio seconds per wall second, latency p50/p95/p99, real-time
factor per request (compute latency / audio duration), CPU cores busy, and the average batch size each
stage formed (from Triton's statistics API); and for the Triton rows, CPU per audio second by process
(tritonserver, each stage's stub, and the load generator, which shares the cores).

With --stream, the dynamic-batching server also serves every concurrency through `tts_stream` (same texts:
throughput beside the non-streaming rows), and 30-word sentences at concurrency 1 and 8 for the time to first
audio (TTFA) table. --turns N measures each concurrency's two rows in N alternating slices (whole, streaming,
whole, ...), so that a drift in the machine's speed does not fall on one row alone.

With --device cuda, the acoustic and vocoder stages run on the GPU (torch, fp32; serving.launcher's --device),
served and offline: the offline rows are then the batch sweep of the GPU's limit (one padded pass per batch), and
there is no naive CPU server. --client-processes spreads each row's clients over processes (one Python
process's GIL cannot drive a GPU server), and --compare-at names the concurrency compared with the limit.

With --runtimes torch onnxruntime, one dynamic-batching server per runtime of the acoustic and vocoder
stages (the model config parameter `runtime`), so the runtimes are compared in one run. With --reference,
also the Piper teacher served behind the same `tts` contract (serving/reference_repository), same clients.

Run: python -m loadtests.bench [--duration 20] [--concurrency 1 4 16] [--instances vocoder=2]
     [--runtimes torch onnxruntime] [--set vocoder.vocoder=griffin_lim] [--reference] [--stream]
     python -m loadtests.bench --device cuda --offline-batch 1 8 64 256 --concurrency 1 64 --compare-at 64
     --client-processes 8 --no-baseline
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import psutil
import torch

from loadtests.closed_loop import closed_loop, closed_loop_processes, per_thread_client
from serving.launcher import ServerOptions, TritonServer, parse_instances, parse_parameters
from serving.paths import DEFAULT_VOICE_DIR
from serving.triton_http import batch_counts
from training.corpus import held_out
from triton_tts.offline import Synthesizer
from triton_tts.runtimes import DEFAULT_RUNTIME, DEVICES, RUNTIMES, Placement

STAGES = ("text_frontend", "acoustic", "vocoder")
LOAD_GENERATOR = "load generator"  # this process, in the per-process CPU table


@dataclass
class Result:
    name: str
    concurrency: int
    wall_s: float = 0.0
    audio_s: float = 0.0
    cpu_s: float = 0.0
    latencies: list[float] = field(default_factory=list)
    rtfs: list[float] = field(default_factory=list)
    batch_sizes: dict[str, float] = field(default_factory=dict)
    first_audio: list[float] = field(default_factory=list)  # streaming: seconds to the first chunk
    chunks: list[int] = field(default_factory=list)
    process_cpu_s: dict[str, float] = field(default_factory=dict)  # Triton rows: CPU seconds per process group
    failures: dict[str, int] = field(default_factory=dict)  # failed calls by exception type (not in latencies)

    def process_row(self, groups: list[str]) -> str:
        """CPU milliseconds per audio second of each process group (where a setup's cost goes)."""
        cells = " | ".join(f"{self.process_cpu_s.get(g, 0.0) / self.audio_s * 1000:.2f}" for g in groups)
        return f"| {self.name} | {self.concurrency} | {cells} |"

    def ttfa_row(self) -> str:
        p50, p95, p99 = (np.percentile(self.first_audio, q) * 1000 for q in (50, 95, 99))
        return f"| {self.name} | {self.concurrency} | {len(self.first_audio)} | {p50:.0f} | {p95:.0f} | {p99:.0f} | {np.mean(self.chunks):.1f} |"

    def row(self) -> str:
        p50, p95, p99 = (np.percentile(self.latencies, q) * 1000 for q in (50, 95, 99))
        batches = " / ".join(f"{size:.1f}" for size in self.batch_sizes.values()) if self.batch_sizes else "-"
        return (
            f"| {self.name} | {self.concurrency} | {len(self.latencies) / self.wall_s:.2f} | {self.audio_s / self.wall_s:.1f} | "
            f"{p50:.0f} | {p95:.0f} | {p99:.0f} | {np.median(self.rtfs):.3f} | {self.cpu_s / self.wall_s:.2f} | "
            f"{self.audio_s / self.cpu_s:.1f} | {batches} |"
        )


HEADER = (
    "| setup | concurrency | req/s | audio s/s | p50 ms | p95 ms | p99 ms | RTF p50 | CPU cores | audio s per CPU s "
    "| avg batch (front / acoustic / vocoder) |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|"
)


TTFA_HEADER = (
    "| setup | concurrency | streams | TTFA p50 ms | TTFA p95 ms | TTFA p99 ms | chunks per request |\n"
    "|---|---|---|---|---|---|---|"
)


def benchmark_texts(count: int = 64, seed: int = 7) -> list[str]:
    """Held-out sentences (the corpus test split), never seen in training."""
    return random.Random(seed).sample(held_out(), count)


def thirty_word_sentences(count: int = 16, seed: int = 7) -> list[str]:
    """Single sentences of exactly 30 words (the TTFA bar's), made of held-out sentences joined by ", and"
    (the corpus has no sentence that long; one sentence, so the acoustic model must speak all of it first)."""
    test_split = held_out()
    pool = random.Random(seed).sample(test_split, len(test_split))  # the corpus read once, in benchmark_texts' order
    texts, words = [], []
    for sentence in pool:
        words += (["and"] if words else []) + sentence.rstrip(".!?;:").replace(".", ",").replace("?", ",").replace("!", ",").split()
        if len(words) >= 30:
            texts.append(" ".join(words[:30]).rstrip(",") + ".")
            words = []
            if len(texts) == count:
                break
    return texts


def cpu_seconds(processes: list[psutil.Process]) -> float:
    return sum(cpu_by_group(processes).values())


def process_group(process: psutil.Process) -> str:
    """A Python backend stub by its model's name (its first argument is .../<model>/1/model.py), else the
    executable's name (tritonserver)."""
    command = process.cmdline()
    if len(command) > 1 and command[0].endswith("triton_python_backend_stub"):
        return Path(command[1]).parent.parent.name
    return Path(command[0]).name if command else process.name()


def cpu_by_group(processes: list[psutil.Process]) -> dict[str, float]:
    """User + system CPU seconds so far, summed per process_group; processes gone since are skipped."""
    totals: dict[str, float] = {}
    for process in processes:
        try:
            times, group = process.cpu_times(), process_group(process)
        except psutil.NoSuchProcess:
            continue
        totals[group] = totals.get(group, 0.0) + times.user + times.system
    return totals


def run_offline(synthesizer: Synthesizer, texts: list[str], batch_size: int, duration_s: float) -> Result:
    """The limit: the same stages called in-process, `batch_size` utterances per call, no server."""
    result = Result(f"offline, batch {batch_size}", batch_size)
    me = [psutil.Process()]
    cpu_start, start, k = cpu_seconds(me), time.monotonic(), 0
    while time.monotonic() - start < duration_s:
        batch = [texts[(k + i) % len(texts)] for i in range(batch_size)]
        k += batch_size
        began = time.monotonic()
        audios = synthesizer.synthesize(batch)
        latency = time.monotonic() - began
        for audio in audios:
            seconds = len(audio) / synthesizer.sample_rate
            result.audio_s += seconds
            result.latencies.append(latency)
            result.rtfs.append(latency / seconds)
    result.wall_s = time.monotonic() - start
    result.cpu_s = cpu_seconds(me) - cpu_start
    return result


def stage_counts(http_url: str, stages: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    return {stage: batch_counts(http_url, stage) for stage in stages}


def process_tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def run_triton(server: TritonServer, name: str, texts: list[str], concurrency: int, duration_s: float, client_processes: int = 1) -> Result:
    """`concurrency` SDK clients in a closed loop (threads here, or spread over `client_processes` processes);
    batch sizes from Triton's statistics."""
    result = Result(name, concurrency)
    if client_processes > 1:
        def generate(result: Result) -> float:
            load = closed_loop_processes(server.grpc_url, texts, concurrency, duration_s, client_processes)
            result.latencies, result.rtfs, result.audio_s, result.wall_s = load.latencies, load.rtfs, load.audio_s, load.wall_s
            result.failures = load.failures
            return load.client_cpu_s
    else:
        client = per_thread_client(server.grpc_url)

        def generate(result: Result) -> float:
            closed_loop(result, lambda text: client().synthesize(text).duration, texts, concurrency, duration_s)
            return 0.0

    return measure(server, result, generate, ("tts",) if server.options.reference_voice else STAGES)


def measure(server: TritonServer, result: Result, generate: Callable[[Result], float], stages: tuple[str, ...]) -> Result:
    """`generate(result)` loads `server` (filling the result's latencies, audio and wall time; returning its helper
    processes' CPU seconds); with the server's processes' CPU time and the batch sizes `stages` formed."""
    processes = process_tree(server.process.pid)
    me = psutil.Process()  # the load generator shares the cores: its CPU is reported, not counted as the server's
    counts_before, cpu_start = stage_counts(server.http_url, stages), cpu_by_group([*processes, me])
    helper_cpu_s = generate(result)
    cpu_end = cpu_by_group([*processes, me])
    result.process_cpu_s = {group: cpu_end[group] - cpu_start.get(group, 0.0) for group in cpu_end}
    result.process_cpu_s[LOAD_GENERATOR] = result.process_cpu_s.pop(process_group(me), 0.0) + helper_cpu_s
    result.cpu_s = sum(seconds for group, seconds in result.process_cpu_s.items() if group != LOAD_GENERATOR)
    for stage, (inferences, executions) in stage_counts(server.http_url, stages).items():
        before = counts_before[stage]
        result.batch_sizes[stage] = (inferences - before[0]) / max(1, executions - before[1])
    return result


def run_triton_stream(server: TritonServer, name: str, texts: list[str], concurrency: int, duration_s: float) -> Result:
    """As run_triton (threads), through `tts_stream`: latency to the last chunk, TTFA to the first."""
    result, client = Result(name, concurrency), per_thread_client(server.grpc_url)

    def call(text: str) -> float:
        began, seconds, chunks = time.monotonic(), 0.0, 0
        for chunk in client().stream(text):
            if chunks == 0:
                result.first_audio.append(time.monotonic() - began)
            seconds, chunks = seconds + chunk.duration, chunks + 1
        result.chunks.append(chunks)
        return seconds

    def generate(result: Result) -> float:
        closed_loop(result, call, texts, concurrency, duration_s)
        return 0.0

    return measure(server, result, generate, ())  # every stage runs inside tts_stream: no Triton batches


def run_in_turns(server: TritonServer, name: str, texts: list[str], concurrency: int, duration_s: float, turns: int,
                 client_processes: int = 1) -> list[Result]:
    """The whole-response row and the streaming row at `concurrency`, measured in `turns` alternating slices
    (whole, streaming, whole, ...) of duration_s / turns each and merged: a drift in the machine's speed
    during the run then falls on both rows alike."""
    slice_s, wholes, streams = duration_s / turns, [], []
    for _ in range(turns):
        wholes.append(run_triton(server, name, texts, concurrency, slice_s, client_processes))
        streams.append(run_triton_stream(server, "Triton, streaming (tts_stream)", texts, concurrency, slice_s))
    return [merged(wholes), merged(streams)]


def merged(parts: list[Result]) -> Result:
    """One row from slices of the same setup: their calls, audio, wall and CPU time together; the average batch
    sizes are the slices' mean."""
    total = Result(parts[0].name, parts[0].concurrency)
    for part in parts:
        total.wall_s, total.audio_s, total.cpu_s = total.wall_s + part.wall_s, total.audio_s + part.audio_s, total.cpu_s + part.cpu_s
        for mine, theirs in ((total.latencies, part.latencies), (total.rtfs, part.rtfs), (total.first_audio, part.first_audio), (total.chunks, part.chunks)):
            mine.extend(theirs)
        for totals, counts in ((total.process_cpu_s, part.process_cpu_s), (total.failures, part.failures)):
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
    for stage in parts[0].batch_sizes:
        total.batch_sizes[stage] = float(np.mean([part.batch_sizes[stage] for part in parts]))
    return total


@contextmanager
def naive_server(port: int):
    """The baseline server in its own process, ready when it answers."""
    process = subprocess.Popen([sys.executable, "-m", "loadtests.naive_server", "--port", str(port)])
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                naive_call(port, "Ready.")
                break
            except OSError:
                time.sleep(1)
        yield process
    finally:
        process.terminate()
        process.wait()


def naive_call(port: int, text: str) -> float:
    request = urllib.request.Request(
        f"http://localhost:{port}/synthesize", json.dumps({"text": text}).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        return len(response.read()) / 4 / int(response.headers["X-Sample-Rate"])


def run_naive(port: int, process: subprocess.Popen, texts: list[str], concurrency: int, duration_s: float) -> Result:
    result = Result("naive HTTP server", concurrency)
    processes = process_tree(process.pid)
    cpu_start = cpu_seconds(processes)
    closed_loop(result, partial(naive_call, port), texts, concurrency, duration_s)
    result.cpu_s = cpu_seconds(processes) - cpu_start
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16, 32])
    parser.add_argument("--offline-batch", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--instances", nargs="*", default=[], metavar="STAGE=N")
    parser.add_argument("--no-baseline", action="store_true", help="skip Triton without dynamic batching")
    parser.add_argument("--runtimes", nargs="+", default=[DEFAULT_RUNTIME], choices=RUNTIMES, help="one server per runtime")
    parser.add_argument("--set", nargs="*", default=[], metavar="STAGE.PARAMETER=VALUE", help="for every server")
    parser.add_argument("--port", type=int, default=18001, help="first port for the benchmark servers")
    parser.add_argument("--write", type=Path, help="also write the report (markdown) to this file")
    parser.add_argument("--reference", action="store_true", help="also the Piper teacher served the same way")
    parser.add_argument("--stream", action="store_true", help="also tts_stream: throughput rows and a TTFA table")
    parser.add_argument("--turns", type=int, default=1,
                        help="with --stream: measure each concurrency's whole and streaming rows in this many alternating slices")
    parser.add_argument("--device", choices=DEVICES, default="cpu", help="cuda: the compute stages on the GPU (torch)")
    parser.add_argument("--client-processes", type=int, default=1, help="spread each row's clients over processes")
    parser.add_argument("--compare-at", type=int, default=16, help="the concurrency compared with the offline limit")
    args = parser.parse_args()
    cuda = args.device == "cuda"
    if cuda and args.stream:
        parser.error("--stream measures tts_stream, whose vocoder runs on the CPU: run it without --device cuda")
    texts = benchmark_texts()
    results = []
    torch.set_num_threads(psutil.cpu_count())
    settings = parse_parameters(args.set)
    vocoder = settings.get("vocoder", {}).get("vocoder", "neural")
    runtimes = ["torch"] if cuda else args.runtimes  # the GPU path is torch's (runtimes.Placement)
    synthesizer = Synthesizer.load(DEFAULT_VOICE_DIR, vocoder, runtimes[0], threads=psutil.cpu_count(), placement=Placement(args.device),
                                   compute_batch_size=max(args.offline_batch) if cuda else 1)
    synthesizer.synthesize(texts[:2])  # warm up
    for batch_size in args.offline_batch:
        results.append(run_offline(synthesizer, texts, batch_size, args.duration))
        print(results[-1].row(), flush=True)

    def options(runtime: str) -> ServerOptions:
        if cuda:  # serving.launcher.gpu_stage sets the runtime, device and batching of the GPU stages
            return ServerOptions(device="cuda", instances=parse_instances(args.instances), parameters=settings)
        parameters = {stage: {**settings.get(stage, {}), "runtime": runtime} for stage in ("acoustic", "vocoder")}
        return ServerOptions(instances=parse_instances(args.instances), parameters={**settings, **parameters})

    label = {"cpu": "", "cuda": " cuda"}[args.device]
    variants = [(f"Triton, dynamic batching, {runtime}{label}", options(runtime)) for runtime in runtimes]
    if not args.no_baseline:
        variants.append((f"Triton, no dynamic batching, {runtimes[0]}{label}", replace(options(runtimes[0]), dynamic_batching=False)))
    if args.reference:
        variants.append(("Triton, Piper teacher (reference)", ServerOptions(reference_voice=True)))
    for index, (name, options) in enumerate(variants):
        port = args.port + 10 * index  # fresh ports: the previous server's may linger in TIME_WAIT
        options = replace(options, grpc_port=port, http_port=port + 1, metrics_port=port + 2)
        with tempfile.TemporaryDirectory() as build_dir:
            with TritonServer(replace(options, build_dir=Path(build_dir))) as server:
                for concurrency in args.concurrency:
                    processes = min(args.client_processes, concurrency)
                    if args.stream and index == 0:
                        results += run_in_turns(server, name, texts, concurrency, args.duration, args.turns, processes)
                        print(results[-2].row(), results[-1].row(), sep="\n", flush=True)
                    else:
                        results.append(run_triton(server, name, texts, concurrency, args.duration, processes))
                        print(results[-1].row(), flush=True)
                if args.stream and index == 0:
                    for concurrency in (1, 8):
                        results.append(run_triton_stream(server, "Triton, streaming, 30-word sentences", thirty_word_sentences(), concurrency, args.duration))
                        print(results[-1].ttfa_row(), flush=True)
    if not cuda:  # the naive server is a CPU baseline; the GPU's is its offline limit
        with naive_server(args.port + 50) as process:
            for concurrency in args.concurrency:
                results.append(run_naive(args.port + 50, process, texts, concurrency, args.duration))
                print(results[-1].row(), flush=True)
    report = markdown_report(results, args.duration, len(texts), args.compare_at, args.turns)
    print("\n" + report)
    if args.write:
        args.write.write_text(report)


def best(results: list[Result], name: str, concurrency: int | None = None) -> float:
    """Highest audio seconds per second among rows of `name` (at `concurrency`, if given)."""
    rates = [r.audio_s / r.wall_s for r in results if r.name.startswith(name) and concurrency in (None, r.concurrency)]
    return max(rates, default=float("nan"))


def per_core(results: list[Result], name: str, concurrency: int) -> float:
    """Audio seconds per CPU second of the server's processes, for the first row of `name` at `concurrency`."""
    rows = [r for r in results if r.name.startswith(name) and r.concurrency == concurrency]
    return rows[0].audio_s / rows[0].cpu_s if rows else float("nan")


def process_table(results: list[Result]) -> list[str]:
    """Markdown lines: CPU ms per audio second of each process group, for the rows that measured them."""
    profiled = [r for r in results if r.process_cpu_s and r.audio_s]
    if not profiled:
        return []
    groups = sorted({g for r in profiled for g, seconds in r.process_cpu_s.items() if seconds / r.wall_s >= 0.005} - {LOAD_GENERATOR})
    groups.append(LOAD_GENERATOR)
    return [
        "", "CPU ms per audio second, by process (a stage's stub by its model; the load generator shares the cores):", "",
        f"| setup | concurrency | {' | '.join(groups)} |", "|---|---|" + "---|" * len(groups),
        *(r.process_row(groups) for r in profiled),
    ]


def markdown_report(results: list[Result], duration_s: float, n_texts: int, compare_at: int = 16, turns: int = 1) -> str:
    """The table, the machine, the command and the ratios the benchmark exists for."""
    served = best(results, "Triton, dynamic batching", compare_at)
    limit, naive = best(results, "offline"), best(results, "naive")
    machine = f"{psutil.cpu_count()} CPU cores ({platform.processor() or platform.machine()}), Python {platform.python_version()}, torch {torch.__version__}"
    if torch.cuda.is_available():
        machine += f", GPU {torch.cuda.get_device_name()}"
    against_naive = f" and {served / naive:.1f}x the naive server's best ({naive:.1f})" if naive == naive else ""
    lines = [
        f"Machine: {machine}. Command: `python -m loadtests.{' '.join(['bench', *sys.argv[1:]])}`.",
        f"{duration_s:.0f} s per row, {n_texts} held-out sentences.",
        "",
        HEADER,
        *(r.row() for r in results if not r.name.endswith("30-word sentences")),
        "",
        f"Triton with dynamic batching at concurrency {compare_at}: {served:.1f} audio s/s = {served / limit:.0%} of the offline "
        f"limit ({limit:.1f}){against_naive}.",
        *(f"- {r}: best {best(results, f'Triton, dynamic batching, {r}'):.1f} audio s/s, at concurrency {compare_at} "
          f"{best(results, f'Triton, dynamic batching, {r}', compare_at):.1f}." for r in RUNTIMES if any(r in x.name for x in results)),
    ]
    streams = [r for r in results if r.first_audio]
    if streams:
        streamed, whole = best(results, "Triton, streaming (tts_stream)", 16), best(results, "Triton, dynamic batching", 16)
        lines += [
            "", "Streaming (time to first audio: request sent -> first chunk received, at the client):", "",
            TTFA_HEADER, *(r.ttfa_row() for r in streams), "",
            f"Streaming throughput at concurrency 16: {streamed:.1f} audio s/s = {streamed / whole:.0%} of the "
            f"non-streaming {whole:.1f} in the same run" + (f" (each row {turns} alternating slices of {duration_s / turns:.0f} s)." if turns > 1 else "."),
        ]
    lines += process_table(results)
    failed = [f"- {r.name}, concurrency {r.concurrency}: " + ", ".join(f"{n} x {name}" for name, n in sorted(r.failures.items()))
              for r in results if r.failures]
    if failed:
        lines += ["", "Failed calls (counted apart from the latencies above):", *failed]
    if any(r.name.startswith("Triton, Piper teacher") for r in results):
        ours, teacher = per_core(results, "Triton, dynamic batching", 16), per_core(results, "Triton, Piper teacher", 16)
        lines.append(
            f"Per CPU second at concurrency 16: default voice {ours:.1f} audio s, the Piper teacher served the same "
            f"way {teacher:.1f} audio s ({ours / teacher:.1f}x)."
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
