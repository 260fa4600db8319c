"""Readiness that means "can speak": Triton's own readiness misses a dead Python stub (server issues
7230, 8604), so the probe also sends one short real request through the ensemble, and one short stream
through `tts_stream` where the server has it.

Run: python -m serving.probe [--url localhost:8001] [--timeout 5] [--tls-ca ca.pem [--tls-cert c.pem --tls-key k.pem]]
(exit 0 = ready; a Kubernetes exec probe)
"""

from __future__ import annotations

import argparse
import sys

from triton_tts_client import RetryPolicy, TLSConfig, TTSClient, TTSError
from triton_tts_client.options import DEFAULT_ENDPOINT

PROBE_TEXT = "Ready."
NOT_READY = "server or one of"  # how a probe's answer starts when Triton itself says it is not ready
STREAM_MODEL = "tts_stream"


def probe(url: str, timeout_s: float = 10.0, models: tuple[str, ...] = ("tts",), tls: TLSConfig | None = None) -> str | None:
    """None when the server and `models` are ready (--strict-readiness: the server is ready only when every model
    it loaded is), a short request through `tts` returns audio and, where the server has the streaming model,
    a short stream does too; else what is wrong. The requests pass through every stage, so the default needs
    no list of stages and fits every repository (the CPU one, the GPU variant, the reference voice)."""
    with TTSClient(url, deadline_s=timeout_s, retry=RetryPolicy(max_rounds=1), tls=tls) as client:
        if not client.ready(models):
            return f"{NOT_READY} {', '.join(models)} not ready"
        try:
            if client.synthesize(PROBE_TEXT).duration <= 0:
                return "tts returned no audio"
            if client.ready((STREAM_MODEL,)) and sum(chunk.duration for chunk in client.stream(PROBE_TEXT)) <= 0:
                return f"{STREAM_MODEL} returned no audio"
        except TTSError as exc:
            return str(exc)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=DEFAULT_ENDPOINT)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--tls-ca", help="gRPC over TLS: the CA that signed the server's certificate")
    parser.add_argument("--tls-cert", help="mutual TLS: a client certificate (in a pod: the server's own)")
    parser.add_argument("--tls-key")
    args = parser.parse_args()
    tls = TLSConfig.from_files(args.tls_ca, args.tls_cert, args.tls_key) if args.tls_ca else None
    problem = probe(args.url, args.timeout, tls=tls)
    if problem:
        sys.exit(f"not ready: {problem}")
    print("ready")


if __name__ == "__main__":
    main()
