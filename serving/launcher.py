"""Start a real Triton server on this machine with the project's model repository, and stop it cleanly.

Triton comes from the nvidia-pytriton wheel (server binary, Python backend, a stub per Python version). We
assemble a backend directory from it, derive a model repository (chosen instance counts, optionally no
dynamic batching) under build/, point the stages at the voice with $TTS_VOICE_DIR, start `tritonserver`, and
wait until every model is ready and a real request succeeds. Then supervise it (serving.supervisor): a
crash, or a stage that stops answering, means a restart, logged and counted.

Run: python -m serving.launcher [--grpc-port 8001] [--http-port 8000] [--metrics-port 8002] [--instances acoustic=2]
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import shutil
import secrets
import signal
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from serving import model_config, shm
from serving._proto.model_config_pb2 import ModelConfig, ModelInstanceGroup
from serving.paths import DEFAULT_VOICE_DIR, ENSEMBLE_REPOSITORY, REFERENCE_REPOSITORY, REPO, STAGE_REPOSITORY
from serving.drain import drain
from serving.liveness import dead_stages
from serving.probe import probe
from serving.supervisor import Supervisor
from serving.triton_args import EXIT_TIMEOUT_S, GrpcTls, triton_args
from triton_tts_client import TLSConfig
from triton_tts.draining import DRAIN_FILE_ENV
from triton_tts.model_config import VOICE_DIR_ENV

logger = logging.getLogger("serving.launcher")


@dataclass(frozen=True)
class ServerOptions:
    grpc_port: int = 8001
    http_port: int = 8000
    metrics_port: int = 8002
    instances: dict[str, int] = field(default_factory=dict)  # stage -> instance count override
    max_queue: dict[str, int] = field(default_factory=dict)  # stage -> default_queue_policy max_queue_size override
    parameters: dict[str, dict[str, str]] = field(default_factory=dict)  # stage -> {config parameter: value}
    dynamic_batching: bool = True
    queue_bounds: bool = True  # False: the stages' default_queue_policy removed (the overload baseline)
    build_dir: Path = REPO / "build"
    voice_dir: Path = DEFAULT_VOICE_DIR
    exit_timeout_s: int = EXIT_TIMEOUT_S
    reference_voice: bool = False  # serve REFERENCE_REPOSITORY instead of the stages and ensembles
    bind: str = "127.0.0.1"  # this machine only, unless asked (--bind 0.0.0.0)
    tls: GrpcTls | None = None
    device: str = "cpu"  # cuda: the compute stages on one GPU (gpu_stage)

    def client_tls(self) -> TLSConfig | None:
        """What the launcher's own probe presents: the CA, and (mutual TLS) the server's own certificate."""
        if self.tls is None:
            return None
        client_files = (self.tls.cert, self.tls.key) if self.tls.mutual else (None, None)
        return TLSConfig.from_files(self.tls.ca, *client_files)

    @property
    def source_repositories(self) -> tuple[Path, ...]:
        return (REFERENCE_REPOSITORY,) if self.reference_voice else (STAGE_REPOSITORY, ENSEMBLE_REPOSITORY)

    def model_names(self) -> tuple[str, ...]:
        """Every model this server loads (what the readiness probe checks)."""
        return tuple(sorted(p.name for root in self.source_repositories for p in root.iterdir() if (p / "config.pbtxt").exists()))


TRITON_HOME_ENV = "TRITON_HOME"  # an unpacked serving.gpu_pack tritonserver, where nvidia-pytriton is not installed


def triton_home() -> Path:
    """Where tritonserver is: $TRITON_HOME (serving.gpu_pack's layout) if set, else the nvidia-pytriton wheel's
    folder (found, not imported: importing pulls in tritonclient)."""
    if os.environ.get(TRITON_HOME_ENV):
        return Path(os.environ[TRITON_HOME_ENV])
    spec = importlib.util.find_spec("pytriton")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"nvidia-pytriton is not installed (run make setup), and ${TRITON_HOME_ENV} is not set")
    return Path(spec.submodule_search_locations[0]) / "tritonserver"


def triton_libraries() -> Path:
    """The shared libraries tritonserver was built against: lib/ in $TRITON_HOME, else the wheel's own folder."""
    home = triton_home()
    return home / "lib" if os.environ.get(TRITON_HOME_ENV) else home.parents[1] / "nvidia_pytriton.libs"


def backend_directory(build_dir: Path) -> Path:
    """A backends/ folder with the Python backend and the stub for the running interpreter."""
    home = triton_home()
    python_dir = build_dir / "backends" / "python"
    python_dir.mkdir(parents=True, exist_ok=True)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    sources = {
        "libtriton_python.so": home / "backends" / "python" / "libtriton_python.so",
        "triton_python_backend_utils.py": home / "backends" / "python" / "triton_python_backend_utils.py",
        "triton_python_backend_stub": home / "python_backend_stubs" / version / "triton_python_backend_stub",
    }
    for name, source in sources.items():
        if not source.exists():
            raise FileNotFoundError(f"{source} is missing: is nvidia-pytriton installed for Python {version}?")
        target = python_dir / name
        target.unlink(missing_ok=True)
        target.symlink_to(source)
    return python_dir.parent


GPU_STAGES = ("acoustic", "vocoder")  # what --device cuda moves; the text frontend and tts_stream stay on the CPU


def gpu_stage(config: ModelConfig, stage: str) -> None:
    """Put a compute stage on the GPU: one KIND_GPU instance, the torch runtime on cuda, and every request of the
    batch Triton forms in one padded pass (compute_batch_size = max_batch_size; on the CPU one at a time measured
    best). Precision stays fp32 until fp16's parity is measured on a GPU (--set acoustic.precision=fp16)."""
    del config.instance_group[:]
    config.instance_group.add(count=1, kind=ModelInstanceGroup.KIND_GPU)
    for key, value in (("runtime", "torch"), ("device", "cuda"), ("compute_batch_size", str(config.max_batch_size))):
        model_config.set_parameter(config, stage, key, value)


def derive_config(text: str, stage: str, options: ServerOptions) -> str:
    """A stage's config.pbtxt with this run's device, instance count, queue bound and parameters (--set wins over
    the device's settings) and, for baselines, no dynamic batcher or no queue bounds."""
    config = model_config.parse(text)
    if options.device == "cuda" and stage in GPU_STAGES:
        gpu_stage(config, stage)
    for key, value in options.parameters.get(stage, {}).items():
        model_config.set_parameter(config, stage, key, value)
    if stage in options.instances:
        if not config.instance_group:
            raise ValueError(f"{stage}/config.pbtxt has no instance_group to override")
        config.instance_group[0].count = options.instances[stage]
    if stage in options.max_queue:
        if not config.dynamic_batching.HasField("default_queue_policy"):
            raise ValueError(f"{stage}/config.pbtxt has no default_queue_policy to override")
        config.dynamic_batching.default_queue_policy.max_queue_size = options.max_queue[stage]
    if not options.queue_bounds and config.HasField("dynamic_batching"):
        config.dynamic_batching.ClearField("default_queue_policy")
    if not options.dynamic_batching:
        config.ClearField("dynamic_batching")
    return model_config.dump(config)


def derive_repository(options: ServerOptions, target: Path | None = None) -> Path:
    """`target` (default build/model_repository): every stage and ensemble, configs derived for this run,
    everything else linked."""
    target = target or options.build_dir / "model_repository"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    unknown = {*options.instances, *options.max_queue, *options.parameters} - set(options.model_names())
    if unknown:
        raise ValueError(f"no stage named {', '.join(sorted(unknown))}")
    for source_root in options.source_repositories:
        for model_dir in sorted(p for p in source_root.iterdir() if (p / "config.pbtxt").exists()):
            (target / model_dir.name).mkdir()
            config = derive_config((model_dir / "config.pbtxt").read_text(), model_dir.name, options)
            (target / model_dir.name / "config.pbtxt").write_text(config)
            for item in model_dir.iterdir():  # the version folder and data files beside it (lexicon.tsv)
                if item.name != "config.pbtxt":
                    (target / model_dir.name / item.name).symlink_to(item)
    return target


def server_environment(options: ServerOptions) -> dict[str, str]:
    """The bundled libraries and libpython on the loader path; this venv's python3 first for the stubs."""
    libraries = [str(triton_libraries()), sysconfig.get_config_var("LIBDIR") or ""]
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = ":".join(filter(None, [*libraries, env.get("LD_LIBRARY_PATH", "")]))
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    env[VOICE_DIR_ENV] = str(options.voice_dir.resolve())
    env[DRAIN_FILE_ENV] = str(drain_file(options))
    return env


def drain_file(options: ServerOptions) -> Path:
    """While it exists the server takes no new requests (triton_tts.draining)."""
    return options.build_dir.resolve() / "draining"


def server_command(options: ServerOptions, repository: Path, backends: Path) -> list[str]:
    args = triton_args(
        str(repository),
        options.grpc_port,
        options.http_port,
        options.metrics_port,
        admin_key=secrets.token_hex(16),  # local runs need no admin APIs: an unguessable key disables them
        exit_timeout_s=options.exit_timeout_s,
        tls=options.tls,
        address=options.bind,
    )
    return [str(triton_home() / "bin" / "tritonserver"), *args, f"--backend-directory={backends}"]


class ServerStopped(Exception):
    """tritonserver exited 0 (someone sent it SIGTERM) while the launcher waited for it to become ready."""


class TritonServer:
    """A running tritonserver process; use as a context manager or call start()/stop()."""

    def __init__(self, options: ServerOptions, log_path: Path | None = None) -> None:
        self.options = options
        self.log_path = log_path or options.build_dir / "tritonserver.log"
        self.process: subprocess.Popen | None = None
        self.log_start = 0  # where this run of tritonserver begins in the log (a restart appends)
        self.shm_before: set[Path] = set()
        self.started_stubs: list[psutil.Process] = []

    @property
    def grpc_url(self) -> str:
        return f"localhost:{self.options.grpc_port}"

    @property
    def http_url(self) -> str:
        return f"localhost:{self.options.http_port}"

    def start(self, timeout_s: float = 300.0) -> None:
        self.shm_before = shm.regions()
        drain_file(self.options).unlink(missing_ok=True)
        repository = derive_repository(self.options)
        backends = backend_directory(self.options.build_dir)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        restarted = self.process is not None  # keep what the server before it logged (why it died)
        with open(self.log_path, "ab" if restarted else "wb") as log:  # the child keeps its own descriptor
            if restarted:
                log.write(f"\n--- restarted by the launcher at {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n".encode())
                log.flush()
            self.log_start = log.tell()
            self.process = subprocess.Popen(
                server_command(self.options, repository, backends), stdout=log, stderr=subprocess.STDOUT, env=server_environment(self.options)
            )
        self.wait_until_ready(timeout_s)

    def wait_until_ready(self, timeout_s: float) -> None:
        """Ready means: every model reports ready AND a real request through `tts` returns audio."""
        deadline = time.monotonic() + timeout_s
        problem = "not started"
        while time.monotonic() < deadline:
            if self.process and self.process.poll() == 0:
                raise ServerStopped(f"tritonserver was asked to stop before it was ready; see {self.log_path}")
            if self.process and self.process.poll() is not None:
                raise RuntimeError(f"tritonserver exited with {self.process.returncode}; see {self.log_path}, which ends:\n{self.log_tail()}")
            problem = self.probe()
            if problem is None:
                self.started_stubs = self._stubs()  # known while tritonserver lives: a crash orphans them
                return
            time.sleep(1.0)
        self.stop()
        raise TimeoutError(f"Triton not ready after {timeout_s:.0f} s ({problem}); see {self.log_path}, which ends:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        """The server's last log lines (why it stopped: a build directory may be gone once the error is read)."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError as exc:
            return f"(no log: {exc})"

    def probe(self) -> str | None:
        """serving.probe against this server: None when every model is ready, a real request speaks and no stage
        process has died (serving.liveness: one dead instance of a stage with two passes the request probe half
        the time while its share of requests fails)."""
        problem = probe(self.grpc_url, timeout_s=10.0, models=self.options.model_names(), tls=self.options.client_tls())
        dead = dead_stages(parent=self.process.pid) if problem is None and self.process else []
        return f"{len(dead)} stage process(es) died (zombies {', '.join(map(str, dead))})" if dead else problem

    def exit_code(self) -> int | None:
        """tritonserver's exit status, None while it runs (or before it started)."""
        return None if self.process is None else self.process.poll()

    def was_asked_to_stop(self) -> bool:
        """True when this run of tritonserver logged that it received SIGTERM or SIGINT (whoever sent it)."""
        with open(self.log_path, "rb") as log:
            log.seek(self.log_start)
            return any(f"Signal ({int(s)}) received.".encode() in line for line in log for s in (signal.SIGTERM, signal.SIGINT))

    def stop(self, grace_s: float | None = None) -> None:
        """Drain (serving.drain: new requests refused, those in flight finish), then SIGTERM, which gives Triton
        up to --exit-timeout-secs; then kill. `grace_s` (a broken server's restart): no drain, SIGTERM, kill
        after `grace_s`. What a crashed server leaves (stage processes without a parent, their shared-memory
        files) goes with it."""
        stubs = self._stubs() or self.started_stubs
        if self.process and self.process.poll() is None:
            if grace_s is None:
                metrics_url = f"http://localhost:{self.options.metrics_port}/metrics"
                if not drain(metrics_url, drain_file(self.options), timeout_s=self.options.exit_timeout_s):
                    logger.warning("requests still in flight after %d s of draining; stopping anyway", self.options.exit_timeout_s)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=self.options.exit_timeout_s + 10 if grace_s is None else grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stub in stubs:
            if stub.is_running():
                logger.warning("killing stage process %d, left running by tritonserver", stub.pid)
                stub.kill()
        if self.process:
            for region in shm.remove_leftovers(self.shm_before):
                logger.warning("removed %s, left behind by a stage that died", region)

    def _stubs(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children(recursive=True) if self.process else []
        except psutil.NoSuchProcess:
            return []

    def __enter__(self) -> "TritonServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def parse_instances(values: list[str]) -> dict[str, int]:
    """["vocoder=2", ...] -> {"vocoder": 2} (--instances, --max-queue)."""
    pairs = (v.split("=", 1) for v in values)
    return {name: int(count) for name, count in pairs}


def parse_parameters(values: list[str]) -> dict[str, dict[str, str]]:
    """["vocoder.runtime=onnxruntime", ...] -> {"vocoder": {"runtime": "onnxruntime"}}."""
    parameters: dict[str, dict[str, str]] = {}
    for value in values:
        name, _, setting = value.partition("=")
        stage, _, key = name.partition(".")
        if not (stage and key and setting):
            raise ValueError(f"--set takes STAGE.PARAMETER=VALUE, got {value!r}")
        parameters.setdefault(stage, {})[key] = setting
    return parameters


def _interrupt(signum: int, frame) -> None:
    """SIGTERM takes the same clean-shutdown path as Ctrl-C."""
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grpc-port", type=int, default=8001)
    parser.add_argument("--http-port", type=int, default=8000)
    parser.add_argument("--metrics-port", type=int, default=8002)
    parser.add_argument("--instances", nargs="*", default=[], metavar="STAGE=N", help="e.g. vocoder=2")
    parser.add_argument("--max-queue", nargs="*", default=[], metavar="STAGE=N",
                        help="requests a stage queues before it answers UNAVAILABLE, e.g. acoustic=64")
    parser.add_argument("--build-dir", type=Path, default=ServerOptions.build_dir,
                        help="where the derived model repository and tritonserver.log go (one per server on a machine)")
    parser.add_argument("--voice-dir", type=Path, default=DEFAULT_VOICE_DIR, help="a voice artifact directory")
    parser.add_argument("--set", nargs="*", default=[], metavar="STAGE.PARAMETER=VALUE",
                        help="override a stage's config parameter, e.g. vocoder.vocoder=griffin_lim acoustic.runtime=onnxruntime")
    parser.add_argument("--reference-voice", action="store_true",
                        help="serve the Piper teacher as `tts` instead of the default voice (A/B listening, benchmarks)")
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    # triton_tts.runtimes.DEVICES, spelled out: importing it would load torch into the launcher.
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="cuda: the acoustic and vocoder stages on one GPU (torch runtime, whole batches)")
    parser.add_argument("--tls-cert", help="gRPC over TLS: the server's PEM certificate (with --tls-key and --tls-ca)")
    parser.add_argument("--tls-key", help="the server's PEM private key")
    parser.add_argument("--tls-ca", help="PEM CA that signed the server's certificate and, for mutual TLS, the clients'")
    parser.add_argument("--tls-server-only", action="store_true", help="TLS without client certificates (default: mutual TLS)")
    parser.add_argument("--repository-only", type=Path, metavar="DIR",
                        help="write the model repository these options derive to DIR and exit (the image's model_repository_cuda)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    tls_files = (args.tls_cert, args.tls_key, args.tls_ca)
    if any(tls_files) and not all(tls_files):
        parser.error("TLS needs all of --tls-cert, --tls-key and --tls-ca")
    options = ServerOptions(
        args.grpc_port, args.http_port, args.metrics_port, parse_instances(args.instances), parse_instances(args.max_queue), parse_parameters(args.set),
        build_dir=args.build_dir, voice_dir=args.voice_dir, reference_voice=args.reference_voice, bind=args.bind, device=args.device,
        tls=GrpcTls(*tls_files, mutual=not args.tls_server_only) if all(tls_files) else None,
    )
    if args.repository_only:
        print(f"model repository written to {derive_repository(options, args.repository_only.resolve())}")
        return
    server = TritonServer(options)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"starting Triton (log: {server.log_path}) ...", flush=True)
    try:
        server.start()
        print(
            f"\nTriton is serving `tts`{'' if options.reference_voice else ' and `tts_stream` (streaming)'} with "
            f"{'the Piper reference voice' if options.reference_voice else 'the default voice'} on the {'GPU' if options.device == 'cuda' else 'CPU'}:\n"
            f"  gRPC     {options.bind}:{options.grpc_port}{'  (TLS' + (', client certificates required)' if options.tls.mutual else ')') if options.tls else ''}\n"
            f"  HTTP     http://{options.bind}:{options.http_port}  (ready: /v2/health/ready, model: /v2/models/tts)\n"
            f"  metrics  http://{options.bind}:{options.metrics_port}/metrics\n"
            f"Try:  .venv/bin/tts say 'Hello from Triton.' -o hello.wav --server localhost:{options.grpc_port}\n"
            f"Ctrl-C stops it.",
            flush=True,
        )
        if Supervisor(server).run() != 0:
            sys.exit(f"tritonserver could not be restarted; see {server.log_path}")
        print("tritonserver stopped cleanly (it was sent SIGTERM or SIGINT)", flush=True)
    except ServerStopped:
        print("tritonserver stopped cleanly before it was ready (it was sent SIGTERM or SIGINT)", flush=True)
    except KeyboardInterrupt:
        print("\nstopping Triton ...", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
