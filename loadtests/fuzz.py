"""Fuzz: 1,000+ generated bad or odd requests against a real server, with valid traffic beside them.

Every generated request must end as audio (finite samples in [-1, 1]) or INVALID_ARGUMENT; anything else (an
INTERNAL error, a crashed stage, a hung call, bad audio) is a failure. Two client threads send valid
requests the whole time: none of them may fail. Classes: invalid UTF-8, control and zero-width characters,
markup and SSML (malformed, unsupported, entity bombs, huge breaks), expanding text (digit runs, times,
money, ordinals up to the length limit), wrong dtypes and shapes, unknown or missing inputs, out-of-range
RATE, VOICE, ENCODING and OUTPUT_SAMPLE_RATE. The generator is seeded: a run can be repeated exactly.

Starts its own server unless --url is given. Prints a markdown table and exits 1 on any failure.

Run: python -m loadtests.fuzz [--count 1200] [--seed 1] [--url localhost:8001] [--write docs/fuzz_latest.md]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import grpc
import numpy as np

from loadtests.bench import benchmark_texts
from serving.launcher import ServerOptions, TritonServer
from triton_tts_client import RetryPolicy, TTSClient, TTSError
from triton_tts_client._proto import inference_pb2 as pb
from triton_tts_client._proto.inference_pb2_grpc import GRPCInferenceServiceStub
from triton_tts_client.protocol import bytes_tensor

MAX_MESSAGE = 64 * 2**20


@dataclass(frozen=True)
class Case:
    kind: str
    request: pb.ModelInferRequest


def tensor(request: pb.ModelInferRequest, name: str, datatype: str, shape: list[int], raw: bytes) -> None:
    request.inputs.add(name=name, datatype=datatype, shape=shape)
    request.raw_input_contents.append(raw)


def tts_request(text: bytes | None = b"Hello there.", **extra: tuple[str, list[int], bytes]) -> pb.ModelInferRequest:
    """A `tts` request with TEXT as raw bytes (any bytes, valid UTF-8 or not) and extra inputs as given."""
    request = pb.ModelInferRequest(model_name="tts")
    if text is not None:
        tensor(request, "TEXT", "BYTES", [1, 1], bytes_tensor(text))
    for name, (datatype, shape, raw) in extra.items():
        tensor(request, name, datatype, shape, raw)
    return request


def text(value: str) -> bytes:
    """A string's bytes, as TEXT takes them (tts_request adds the BYTES tensor's length prefix)."""
    return value.encode("utf-8", "surrogatepass")


def string_tensor(value: str) -> bytes:
    """A one-element BYTES tensor, for inputs other than TEXT."""
    return bytes_tensor(text(value))


def f32(*values: float) -> bytes:
    return np.array(values, dtype="<f4").tobytes()


def i32(*values: int) -> bytes:
    return np.array(values, dtype="<i4").tobytes()


WEIRD_CHARACTERS = "\u200b\u200c\u200d\u2060\ufeff\u202e\u0000\u0007\u001b\u00ad\ud7ff\ufffd\U0001f3b5\u0301\u0338"
SSML_SNIPPETS = [
    "<speak>", "</speak>", "<break time='{n}ms'/>", "<break time='{n}s'/>", "<prosody rate='{r}'>", "</prosody>",
    "<say-as interpret-as='{k}'>", "</say-as>", "<phoneme alphabet='ipa' ph='{p}'>", "</phoneme>", "<sub alias='x'>",
    "</sub>", "<p>", "</p>", "<s>", "</s>", "<audio src='x'/>", "<voice name='x'>", "&amp;", "&lt;", "&bogus;",
    "<!-- c -->", "<![CDATA[x]]>", "<?pi x?>", "<", ">", "'", '"', "hello", " world ", "1999", "$5",
]


def generators(rng: random.Random) -> dict[str, Callable[[], pb.ModelInferRequest]]:
    """Request makers per class; each call draws a new case."""
    def words(n: int) -> str:
        return " ".join(rng.choice(["the", "song", "Måneskin", "AC/DC", "1999", "2:45", "$5", "No.", "St.", "feat."]) for _ in range(n))

    def ssml() -> str:
        parts = [rng.choice(SSML_SNIPPETS).format(n=rng.choice([0, 1, 500, 10000, 99999, -1]), r=rng.choice(["slow", "400%", "-50%", "x", "1e9"]),
                                                  k=rng.choice(["digits", "date", "cardinal", "telephone", "bogus"]), p=rng.choice(["həlˈoʊ", "Ж", "", "'"]))
                 for _ in range(rng.randint(1, 12))]
        return "<speak>" + "".join(parts) + ("</speak>" if rng.random() < 0.7 else "")

    def expanding() -> str:
        unit = rng.choice(["9", "12:59pm ", "$1,234.56 ", "1st 2nd 3rd ", "-", "%", "1e5 ", "MCMXCIX ", "555-123-4567 ", "2026-11-27 ", "'90s "])
        return (unit * (2000 // len(unit) + 1))[: rng.choice([100, 500, 1999, 2000, 2001])]

    return {
        "invalid UTF-8": lambda: tts_request(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64))) + b"\xff\xfe"),
        "control and zero-width characters": lambda: tts_request(text("".join(rng.choice(WEIRD_CHARACTERS + "ab .") for _ in range(rng.randint(1, 80))))),
        "SSML and markup": lambda: tts_request(text(ssml())),
        "entity bombs and DTDs": lambda: tts_request(text(rng.choice([
            '<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><speak>&b;</speak>',
            '<!DOCTYPE speak SYSTEM "file:///etc/passwd"><speak>x</speak>',
            '<speak xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd"/></speak>',
        ]))),
        "expanding text up to the limit": lambda: tts_request(text(expanding())),
        "long ordinary text": lambda: tts_request(text(words(rng.randint(50, 400))[:2100])),
        "empty and whitespace": lambda: tts_request(text(rng.choice(["", " ", "\n\t", "...", "!!!", "-", "\u200b"]))),
        "wrong dtype or shape": lambda: rng.choice([
            lambda: tts_request(None, TEXT=("FP32", [1, 1], f32(1.0))),
            lambda: tts_request(None, TEXT=("BYTES", [2, 1], string_tensor("a") + string_tensor("b"))),
            lambda: tts_request(None, TEXT=("BYTES", [1, 0], b"")),
            lambda: tts_request(None, TEXT=("BYTES", [1, 1], b"\x05\x00")),  # truncated length prefix
            lambda: tts_request(RATE=("BYTES", [1, 1], string_tensor("fast"))),
            lambda: tts_request(RATE=("FP32", [1, 2], f32(1.0, 1.0))),
            lambda: tts_request(WORD_TIMESTAMPS=("INT32", [1, 1], i32(1))),
            lambda: tts_request(OUTPUT_SAMPLE_RATE=("FP32", [1, 1], f32(16000.0))),
        ])(),
        "unknown or missing inputs": lambda: rng.choice([
            lambda: tts_request(None),
            lambda: tts_request(BOGUS=("BYTES", [1, 1], string_tensor("x"))),
            lambda: tts_request(None, VOICE=("BYTES", [1, 1], string_tensor("en_us_joe"))),
        ])(),
        "RATE out of range": lambda: tts_request(RATE=("FP32", [1, 1], f32(rng.choice([float("nan"), float("inf"), -1.0, 0.0, 0.49, 2.01, 1e9])))),
        "VOICE unknown or odd": lambda: tts_request(VOICE=("BYTES", [1, 1], string_tensor(rng.choice(["nobody", "", " ", "en_us_male", "x" * 16000, "Ж" * 100, "\x00"])))),
        "ENCODING and OUTPUT_SAMPLE_RATE": lambda: tts_request(
            ENCODING=("BYTES", [1, 1], string_tensor(rng.choice(["mp3", "OPUS", "pcm16", "wav", "", "x" * 5000]))),
            OUTPUT_SAMPLE_RATE=("INT32", [1, 1], i32(rng.choice([0, 1, 7999, 8000, 22050, 44100, 48000, 96000, -16000]))),
        ),
        "word timestamps on odd text": lambda: tts_request(text(rng.choice([ssml(), expanding()[:300], words(30)])), WORD_TIMESTAMPS=("BOOL", [1, 1], b"\x01")),
    }


def outcome(stub: GRPCInferenceServiceStub, request: pb.ModelInferRequest, timeout_s: float) -> str:
    """'audio', 'INVALID_ARGUMENT', or what went wrong."""
    try:
        response = stub.ModelInfer(request, timeout=timeout_s)
    except grpc.RpcError as exc:
        return exc.code().name
    names = [o.name for o in response.outputs]
    if "AUDIO" not in names:
        return "no AUDIO"
    audio = np.frombuffer(response.raw_output_contents[names.index("AUDIO")], dtype="<f4")
    if audio.size == 0 or not np.all(np.isfinite(audio)) or np.max(np.abs(audio)) > 1.0:
        return "bad audio"
    return "audio"


def valid_traffic(url: str, stop: threading.Event, counts: Counter) -> None:
    texts = benchmark_texts()
    with TTSClient(url, retry=RetryPolicy(max_rounds=1), deadline_s=120) as client:
        k = 0
        while not stop.is_set():
            try:
                client.synthesize(texts[k % len(texts)])
                counts["ok"] += 1
            except TTSError as exc:
                counts[f"failed: {exc.code}"] += 1
            k += 1


def run(url: str, count: int, seed: int, timeout_s: float) -> tuple[dict[str, Counter], Counter, float]:
    rng = random.Random(seed)
    makers = generators(rng)
    kinds = list(makers)
    channel = grpc.insecure_channel(url, [("grpc.max_send_message_length", MAX_MESSAGE), ("grpc.max_receive_message_length", MAX_MESSAGE)])
    stub = GRPCInferenceServiceStub(channel)
    results: dict[str, Counter] = defaultdict(Counter)
    background: Counter = Counter()
    stop = threading.Event()
    threads = [threading.Thread(target=valid_traffic, args=(url, stop, background)) for _ in range(2)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    try:
        for k in range(count):
            kind = kinds[k % len(kinds)]
            results[kind][outcome(stub, makers[kind](), timeout_s)] += 1
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        channel.close()
    return results, background, time.monotonic() - started


def report(results: dict[str, Counter], background: Counter, seconds: float, seed: int) -> tuple[str, bool]:
    accepted = {"audio", "INVALID_ARGUMENT"}
    total = sum(sum(c.values()) for c in results.values())
    failed = sum(n for c in results.values() for name, n in c.items() if name not in accepted)
    lines = [
        f"{total} generated requests (seed {seed}) in {seconds:.0f} s, beside 2 threads of valid requests: "
        f"{background['ok']} valid requests succeeded, {sum(n for k, n in background.items() if k != 'ok')} failed.",
        "",
        "| class | requests | audio | INVALID_ARGUMENT | anything else |",
        "|---|---|---|---|---|",
    ]
    for kind, counts in results.items():
        other = ", ".join(f"{n} {name}" for name, n in counts.items() if name not in accepted) or "0"
        lines.append(f"| {kind} | {sum(counts.values())} | {counts['audio']} | {counts['INVALID_ARGUMENT']} | {other} |")
    ok = failed == 0 and background["ok"] > 0 and set(background) == {"ok"}
    lines.append(f"\n{'PASS' if ok else 'FAIL'}: {failed} generated requests ended otherwise than audio or INVALID_ARGUMENT.")
    return "\n".join(lines), ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="a running server's gRPC address; default: start one")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per generated request (longer counts as hung)")
    parser.add_argument("--port", type=int, default=18201)
    parser.add_argument("--write", type=Path, help="also write the table (markdown) here")
    args = parser.parse_args()
    if args.url:
        results, background, seconds = run(args.url, args.count, args.seed, args.timeout)
    else:
        options = ServerOptions(grpc_port=args.port, http_port=args.port + 1, metrics_port=args.port + 2)
        with tempfile.TemporaryDirectory() as build_dir, TritonServer(replace(options, build_dir=Path(build_dir))) as server:
            results, background, seconds = run(server.grpc_url, args.count, args.seed, args.timeout)
    table, ok = report(results, background, seconds, args.seed)
    print(table)
    if args.write:
        args.write.write_text(table + "\n")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
