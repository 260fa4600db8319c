"""Readiness that means "can speak": Triton's own readiness misses a dead Python stub (server issues
7230, 8604), so the probe also sends one short real request through the ensemble.

Run: python -m serving.probe [--url localhost:8001]   (exit 0 = ready; for Kubernetes exec probes too)
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

MODELS = ("text_frontend", "acoustic", "vocoder", "tts")
PROBE_TEXT = "Ready."


def text_input(text: str) -> grpcclient.InferInput:
    tensor = grpcclient.InferInput("TEXT", [1, 1], "BYTES")
    tensor.set_data_from_numpy(np.array([[text.encode()]], dtype=object))
    return tensor


def probe(url: str, timeout_s: float = 10.0) -> str | None:
    """None when the server and every stage are ready and a short request returns audio; else what is wrong."""
    client = grpcclient.InferenceServerClient(url)
    try:
        if not client.is_server_ready(client_timeout=timeout_s):
            return "server not ready"
        for model in MODELS:
            if not client.is_model_ready(model, client_timeout=timeout_s):
                return f"model {model} not ready"
        result = client.infer("tts", [text_input(PROBE_TEXT)], client_timeout=timeout_s)
        if result.as_numpy("AUDIO").size == 0:
            return "tts returned no audio"
        return None
    except InferenceServerException as exc:
        return f"{exc.status() or 'error'}: {exc.message()}"
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="localhost:8001")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    problem = probe(args.url, args.timeout)
    if problem:
        sys.exit(f"not ready: {problem}")
    print("ready")


if __name__ == "__main__":
    main()
