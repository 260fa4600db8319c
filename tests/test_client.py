"""The SDK, CLI and .proto against the real server: round trips, errors, failover, deadlines, other clients."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO, free_port
from triton_tts_client import (
    AsyncTTSClient,
    DeadlineExceededError,
    InvalidRequestError,
    NotFoundError,
    RetryPolicy,
    ServiceUnavailableError,
    TTSClient,
    protocol,
)

pytestmark = pytest.mark.slow
TEXT = "Hello from the default voice."
NODE_DIR = REPO / "client" / "node"


def test_round_trip_sync_and_async_agree(triton_server, tmp_path: Path) -> None:
    with TTSClient(triton_server.grpc_url) as tts:
        assert tts.ready()
        audio = tts.synthesize(TEXT, "en_us_joe", 1.1, request_id="trace-me")
    assert audio.request_id == "trace-me" and 1.0 < audio.duration < 5.0
    audio.write_wav(tmp_path / "hello.wav")
    with wave.open(str(tmp_path / "hello.wav")) as w:
        assert w.getframerate() == 22050 and w.getnframes() == len(audio.samples)

    async def speak() -> np.ndarray:
        async with AsyncTTSClient(triton_server.grpc_url) as tts:
            assert await tts.ready() and await tts.voices() == ["en_us_joe"]
            return (await tts.synthesize(TEXT, "en_us_joe", 1.1)).samples

    np.testing.assert_array_equal(asyncio.run(speak()), audio.samples)


def test_bad_input_is_an_invalid_request_and_never_retried(triton_server) -> None:
    with TTSClient(triton_server.grpc_url) as tts:
        with pytest.raises(InvalidRequestError, match="available voices") as error:
            tts.synthesize(TEXT, voice="robot")
    assert error.value.code == "INVALID_ARGUMENT" and error.value.endpoint == triton_server.grpc_url


def test_a_model_that_is_not_deployed_is_not_found(triton_server) -> None:
    request = protocol.synthesize_request(TEXT)
    request.model_name = "no_such_model"
    with TTSClient(triton_server.grpc_url) as tts, pytest.raises((NotFoundError, InvalidRequestError)):
        tts._call("ModelInfer", request, None)


def test_failover_from_a_dead_endpoint_to_a_live_one(triton_server) -> None:
    dead = f"localhost:{free_port()}"
    with TTSClient([dead, triton_server.grpc_url], retry=RetryPolicy(max_rounds=1)) as tts:
        audio = tts.synthesize(TEXT)
    assert audio.duration > 1.0


def test_only_dead_endpoints_is_unavailable_after_retries(triton_server) -> None:
    dead = [f"localhost:{free_port()}", f"localhost:{free_port()}"]
    with TTSClient(dead, deadline_s=20, retry=RetryPolicy(max_rounds=3, initial_backoff_s=0.05)) as tts:
        with pytest.raises(ServiceUnavailableError, match="every endpoint failed"):
            tts.synthesize(TEXT)
        assert not tts.ready()


def test_deadline_exceeded(triton_server) -> None:
    long_text = "This sentence is long enough to take a while to synthesize on a small machine. " * 12
    with TTSClient(triton_server.grpc_url) as tts, pytest.raises(DeadlineExceededError):
        tts.synthesize(long_text, deadline_s=0.05)


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    tts = Path(sys.executable).parent / "tts"
    return subprocess.run([str(tts), *args], input=stdin, capture_output=True, text=True, timeout=120)


def test_cli_say_voices_health_and_exit_codes(triton_server, tmp_path: Path) -> None:
    server = ["--server", triton_server.grpc_url]
    done = run_cli("say", TEXT, "-o", str(tmp_path / "one.wav"), *server)
    assert done.returncode == 0, done.stderr
    with wave.open(str(tmp_path / "one.wav")) as w:
        assert w.getnframes() > 22050
    lines = tmp_path / "lines.txt"
    lines.write_text("First line.\n\nSecond line.\n")
    assert run_cli("say", "--file", str(lines), "-o", str(tmp_path / "many.wav"), *server).returncode == 0
    assert sorted(p.name for p in tmp_path.glob("many_*.wav")) == ["many_001.wav", "many_002.wav"]
    assert run_cli("say", "-o", str(tmp_path / "stdin.wav"), *server, stdin="From standard input.\n").returncode == 0
    assert run_cli("voices", *server).stdout.split() == ["en_us_joe"]
    assert run_cli("health", *server).returncode == 0
    bad = run_cli("say", TEXT, "--voice", "robot", "-o", str(tmp_path / "x.wav"), *server)
    assert bad.returncode == 2 and "unknown VOICE" in bad.stderr
    with TTSClient(triton_server.grpc_url) as tts:
        expected = tts.synthesize(TEXT).pcm16()
    piped = subprocess.run([str(Path(sys.executable).parent / "tts"), "say", "--stream", "-o", "-", TEXT, *server], capture_output=True, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert len(piped.stdout) == len(expected)  # raw PCM16 on stdout, the report on stderr
    assert np.abs(np.frombuffer(piped.stdout, "<i2").astype(int) - np.frombuffer(expected, "<i2")).max() <= 1
    assert run_cli("say", "--stream", TEXT, "-o", str(tmp_path / "streamed.wav"), *server).returncode == 0
    with wave.open(str(tmp_path / "streamed.wav")) as w:
        assert w.getnframes() == len(expected) // 2
    assert run_cli("say", "--stream", TEXT, "--voice", "robot", *server).returncode == 2
    down = run_cli("health", "--server", f"localhost:{free_port()}", "--deadline", "2")
    assert down.returncode == 3
    assert run_cli("say", TEXT, "--server", f"localhost:{free_port()}", "--deadline", "2").returncode == 3


TRITONCLIENT_SCRIPT = """
import sys, numpy as np, tritonclient.grpc as g
text = g.InferInput("TEXT", [1, 1], "BYTES"); text.set_data_from_numpy(np.array([[sys.argv[2].encode()]], dtype=object))
voice = g.InferInput("VOICE", [1, 1], "BYTES"); voice.set_data_from_numpy(np.array([[b"en_us_joe"]], dtype=object))
result = g.InferenceServerClient(sys.argv[1]).infer("tts", [text, voice])
np.save(sys.argv[3], result.as_numpy("AUDIO")[0])
"""


def test_nvidia_tritonclient_gets_the_same_audio(triton_server, tmp_path: Path) -> None:
    """A separate process: tritonclient and our stubs both register the protocol in protobuf's default pool."""
    subprocess.run(
        [sys.executable, "-c", TRITONCLIENT_SCRIPT, triton_server.grpc_url, TEXT, str(tmp_path / "theirs.npy")], check=True, timeout=120
    )
    with TTSClient(triton_server.grpc_url) as tts:
        ours = tts.synthesize(TEXT, "en_us_joe").samples
    np.testing.assert_array_equal(np.load(tmp_path / "theirs.npy"), ours)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_nodejs_client_from_the_same_proto_gets_the_same_audio(triton_server, tmp_path: Path) -> None:
    if not (NODE_DIR / "node_modules").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=300)
    out = tmp_path / "node.f32"
    done = subprocess.run(
        ["node", str(NODE_DIR / "say.js"), triton_server.grpc_url, TEXT, str(out), "en_us_joe"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sample_rate"] == 22050
    with TTSClient(triton_server.grpc_url) as tts:
        ours = tts.synthesize(TEXT, "en_us_joe").samples
    np.testing.assert_array_equal(np.fromfile(out, dtype="<f4"), ours)
    bad = subprocess.run(["node", str(NODE_DIR / "say.js"), triton_server.grpc_url, " ", str(out)], capture_output=True, text=True)
    assert bad.returncode == 2 and "INVALID_ARGUMENT" in bad.stderr
    for args in ([], ["--stream"]):
        bad = subprocess.run(["node", str(NODE_DIR / "say.js"), triton_server.grpc_url, " ", str(out), *args], capture_output=True, text=True)
        assert bad.returncode == 2 and "INVALID_ARGUMENT" in bad.stderr
    streamed = subprocess.run(
        ["node", str(NODE_DIR / "say.js"), triton_server.grpc_url, TEXT, str(out), "en_us_joe", "--stream"],
        capture_output=True, text=True, timeout=120,
    )
    assert streamed.returncode == 0, streamed.stderr
    assert json.loads(streamed.stdout)["chunks"] >= 2
    assert np.abs(np.fromfile(out, dtype="<f4") - ours).max() <= 1e-4


def test_generated_stubs_are_up_to_date(tmp_path: Path) -> None:
    client_dir = REPO / "client"
    subprocess.run(["make", "-C", str(client_dir), "proto", f"PY={sys.executable}", f"OUT={tmp_path}"], check=True)
    for name in ("inference_pb2.py", "inference_pb2.pyi", "inference_pb2_grpc.py"):
        fresh = (tmp_path / "triton_tts_client" / "_proto" / name).read_text()
        committed = (client_dir / "triton_tts_client" / "_proto" / name).read_text()
        assert fresh == committed, f"{name} is stale: run `make -C client proto`"
