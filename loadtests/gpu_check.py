"""The GPU check: the real Triton server with the acoustic and vocoder stages on CUDA, measured against issue
15's bars in one command, on a lent GPU machine (scripts/gpu_check.sh unpacks serving.gpu_pack first).

It prints, and writes to --out as gpu_check.md (with each server's log beside it), even when a server does not
start or fails under load (what did not run, and why, is in the report):
- parity: the served audio of held-out sentences against the CPU pipeline in this process: same length, and the
  worst relative L2 error. The bar holds the GPU against torch on the CPU (the same modules: the change of
  device alone) to the ONNX parity tolerance (1e-4); against onnxruntime, which the CPU server serves, it is
  reported too (device and runtime changed: on the CPU alone torch and onnxruntime differ by up to ~1e-4). With
  --fp16, the served fp16-acoustic audio against the served fp32 audio;
- served end to end over gRPC: 30-word sentences at concurrency 1, and held-out sentences at --concurrency
  (clients spread over --client-processes), with the benchmark's columns and its CPU-by-process table;
- GPU memory in use once the server has served (nvidia-smi), beside before it started;
- the offline limit, measured first: the same stages in this process on the same GPU, one padded pass per batch
  (batch sweep), and its audio's parity with the CPU;
- the bars, met or not.

With --device cpu it is a dry run of this script on a machine without a GPU (the stages on their CPU defaults):
the bars are the GPU's and mean nothing there.

Run: python -m loadtests.gpu_check [--device cuda] [--duration 10] [--fp16] [--out build/gpu_check]
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import psutil
import torch

from loadtests.bench import HEADER, Result, benchmark_texts, best, process_table, run_offline, run_triton, thirty_word_sentences
from serving.launcher import ServerOptions, TritonServer
from serving.paths import DEFAULT_VOICE_DIR
from triton_tts.offline import Synthesizer
from triton_tts.runtimes import DEVICES, Placement
from triton_tts_client import TTSClient

ONNX_PARITY = 1e-4  # tests/test_onnx_export.py's MAX_RELATIVE_ERROR: what a change of runtime may change
PARITY_TEXTS = 16
LATENCY_ROW = "served, 30-word sentences"


@dataclass(frozen=True)
class Parity:
    """Audio against a reference: how many utterances came out the same length, and the worst relative L2
    error among those (a different length is a different duration rounding: not comparable sample by sample)."""

    name: str
    compared: int
    same_length: int
    worst: float

    def row(self) -> str:
        return f"| {self.name} | {self.same_length} of {self.compared} | {self.worst:.2e} |"

    def holds(self, tolerance: float) -> bool:
        return self.same_length == self.compared and self.worst <= tolerance


def parity(name: str, got: list[np.ndarray], want: list[np.ndarray]) -> Parity:
    same = [(g, w) for g, w in zip(got, want) if g.shape == w.shape]
    worst = max((float(np.linalg.norm(g - w) / np.linalg.norm(w)) for g, w in same), default=float("inf"))
    return Parity(name, len(want), len(same), worst)


def gpu_memory_mib() -> float | None:
    """Memory in use on GPU 0 by everyone (nvidia-smi), or None without nvidia-smi (the CPU dry run)."""
    try:
        out = subprocess.run(["nvidia-smi", "-i", "0", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return float(out.split()[0])


def served_audio(server: TritonServer, texts: list[str]) -> list[np.ndarray]:
    with TTSClient(server.grpc_url) as client:
        return [client.synthesize(text).samples for text in texts]


def installed(name: str) -> str:
    try:
        return f"{name} {version(name)}"
    except PackageNotFoundError:
        return f"{name} (not installed as a package)"


def machine() -> str:
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "none"
    packages = ", ".join(installed(name) for name in ("torch", "numpy", "grpcio", "protobuf"))
    return f"GPU: {gpu}. {psutil.cpu_count()} CPU cores, Python {platform.python_version()}, {packages}."


def bars(results: list[Result], fp32: Parity | None, limit: float, concurrency: int) -> list[str]:
    """Issue 15's bars against this run's figures (the served ones need the fp32 server)."""
    latency = next((r for r in results if r.name.startswith(LATENCY_ROW) and r.concurrency == 1), None)
    loaded = next((r for r in results if r.name == "served, fp32" and r.concurrency == concurrency), None)
    if latency is None or loaded is None or fp32 is None:
        return ["No served figures, so no bars: the fp32 server did not run (see \"Did not run\" below)."]
    p50, p99 = np.percentile(latency.latencies, 50) * 1000, np.percentile(loaded.latencies, 99) * 1000
    rate, share = len(loaded.latencies) / loaded.wall_s, (loaded.audio_s / loaded.wall_s) / limit
    checks = [
        ("served p50, 30-word sentence, concurrency 1", f"{p50:.1f} ms", "<= 20 ms", p50 <= 20),
        (f"served utterances/s, concurrency {concurrency}", f"{rate:.0f}", ">= 1,000", rate >= 1000),
        (f"served p99, concurrency {concurrency}", f"{p99:.0f} ms", "<= 100 ms", p99 <= 100),
        (f"served / offline limit (audio s/s), concurrency {concurrency}", f"{share:.2f}", ">= 0.5", share >= 0.5),
        ("fp32 served audio vs the CPU pipeline (torch)", f"{fp32.same_length}/{fp32.compared} same length, {fp32.worst:.1e}",
         f"all, <= {ONNX_PARITY:g}", fp32.holds(ONNX_PARITY)),
    ]
    return ["| bar | measured | target | met |", "|---|---|---|---|",
            *(f"| {name} | {value} | {target} | {'yes' if met else 'NO'} |" for name, value, target, met in checks)]


@dataclass
class CheckRun:
    """What the check has measured so far; the report is rewritten from it after every phase, so a call cut off
    at the device's time limit still brings back what was done."""

    on_cpu: dict[str, list[np.ndarray]]
    offline_audio: list[np.ndarray] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    served: dict[str, list[np.ndarray]] = field(default_factory=dict)
    memory: dict[str, float | None] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def report(run: CheckRun, args: argparse.Namespace) -> str:
    checks = [parity(f"offline ({args.device}, fp32) vs CPU torch", run.offline_audio, run.on_cpu["torch"])] if run.offline_audio else []
    if "fp32" in run.served:
        checks += [parity(f"served fp32 vs CPU {runtime}", run.served["fp32"], want) for runtime, want in run.on_cpu.items()]
    if "fp16 acoustic" in run.served and "fp32" in run.served:
        checks.append(parity("served fp16 acoustic vs served fp32", run.served["fp16 acoustic"], run.served["fp32"]))
    served_fp32 = next((c for c in checks if c.name == "served fp32 vs CPU torch"), None)
    dry_run = " (a dry run on the CPU: the bars are the GPU's)" if args.device == "cpu" else ""
    lines = [
        f"# GPU check{dry_run}", "", machine(), f"Command: `python -m loadtests.gpu_check {' '.join(sys.argv[1:])}`; "
        f"{args.duration:.0f} s per row, 64 held-out sentences (16 for parity), 16 sentences of 30 words.", "",
        *bars(run.results, served_fp32, best(run.results, "offline"), args.concurrency), "",
        "| audio | same length | worst relative L2 error |", "|---|---|---|", *(c.row() for c in checks), "",
        "| GPU memory in use (nvidia-smi, MiB) | |", "|---|---|",
        *(f"| {when} | {'n/a' if mib is None else f'{mib:.0f}'} |" for when, mib in run.memory.items()), "",
        HEADER, *(r.row() for r in run.results), *process_table(run.results),
        *(["", "Did not run:", "", "```", *run.failures, "```"] if run.failures else []),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=DEVICES, default="cuda", help="cpu: a dry run of this script")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per served or offline row")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--client-processes", type=int, default=8)
    parser.add_argument("--frontend-instances", type=int, default=4, help="text_frontend instances (CPU, G2P)")
    parser.add_argument("--offline-batch", type=int, nargs="+", default=[1, 8, 64, 256])
    parser.add_argument("--fp16", action="store_true", help="also serve with the acoustic stage at fp16")
    parser.add_argument("--start-timeout", type=float, default=150.0, help="seconds a server may take to be ready")
    parser.add_argument("--out", type=Path, default=Path("build/gpu_check"))
    parser.add_argument("--port", type=int, default=18101)
    args = parser.parse_args()
    if args.fp16 and args.device == "cpu":
        parser.error("--fp16 needs --device cuda (the stages refuse fp16 on the CPU)")
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(psutil.cpu_count())
    texts, long_texts = benchmark_texts(), thirty_word_sentences()
    parity_texts = texts[:PARITY_TEXTS]
    print(machine(), flush=True)
    run = CheckRun({runtime: Synthesizer.load(DEFAULT_VOICE_DIR, runtime=runtime, threads=psutil.cpu_count()).synthesize(parity_texts)
                    for runtime in ("torch", "onnxruntime")})
    written = args.out / "gpu_check.md"

    # The offline limit first, in this process: its figures and its parity come back even if no server starts.
    synthesizer = Synthesizer.load(DEFAULT_VOICE_DIR, runtime="torch", threads=psutil.cpu_count(), placement=Placement(args.device),
                                   compute_batch_size=max(args.offline_batch))
    run.offline_audio = synthesizer.synthesize(parity_texts)  # and the warm-up
    for batch_size in args.offline_batch:
        run.results.append(run_offline(synthesizer, texts, batch_size, args.duration))
        print(run.results[-1].row(), flush=True)
    del synthesizer
    if torch.cuda.is_available():
        torch.cuda.empty_cache()  # this process keeps only its CUDA context while the servers are measured
    run.memory["before the server (this process's CUDA context included)"] = gpu_memory_mib()
    written.write_text(report(run, args))

    variants = {"fp32": {}, **({"fp16 acoustic": {"acoustic": {"precision": "fp16"}}} if args.fp16 else {})}
    for index, (name, parameters) in enumerate(variants.items()):
        port = args.port + 10 * index
        options = ServerOptions(grpc_port=port, http_port=port + 1, metrics_port=port + 2, device=args.device,
                                instances={"text_frontend": args.frontend_instances}, parameters=parameters,
                                build_dir=args.out / f"build-{index}")
        server = TritonServer(options, log_path=args.out / f"tritonserver-{name.replace(' ', '-')}.log")
        try:
            server.start(args.start_timeout)
            run.served[name] = served_audio(server, parity_texts)
            for row in (run_triton(server, f"{LATENCY_ROW}, {name}", long_texts, 1, args.duration),
                        run_triton(server, f"served, {name}", texts, args.concurrency, args.duration, args.client_processes)):
                run.results.append(row)
                print(row.row(), flush=True)
            run.memory[f"served, {name}"] = gpu_memory_mib()
        except Exception as exc:  # noqa: BLE001 - a server that did not start (its log tail says why) or failed under load
            run.failures.append(f"{name}: {type(exc).__name__}: {exc}")
            print(run.failures[-1], flush=True)
        finally:
            server.stop()
        written.write_text(report(run, args))
    print("\n" + written.read_text())


if __name__ == "__main__":
    main()
