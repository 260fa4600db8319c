"""Triton's HTTP/JSON API (KServe v2) for tools and tests: statistics, configs, calling a stage directly."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import numpy as np


def get_json(base_url: str, path: str) -> dict:
    with urllib.request.urlopen(f"http://{base_url}{path}", timeout=30) as response:
        return json.load(response)


def infer(base_url: str, model: str, inputs: dict[str, tuple[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """POST /v2/models/<model>/infer with {name: (datatype, array)}; outputs as arrays of their shapes."""
    body = {
        "inputs": [
            {"name": name, "datatype": datatype, "shape": list(array.shape), "data": array.flatten().tolist()}
            for name, (datatype, array) in inputs.items()
        ]
    }
    request = urllib.request.Request(
        f"http://{base_url}/v2/models/{model}/infer", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        outputs = json.load(response)["outputs"]
    return {o["name"]: np.array(o["data"]).reshape(o["shape"]) for o in outputs}


def batch_counts(base_url: str, model: str) -> tuple[int, int]:
    """(inferences, executions) so far: their ratio is the average batch size."""
    stats = get_json(base_url, f"/v2/models/{model}/stats")["model_stats"][0]
    return int(stats.get("inference_count", 0)), int(stats.get("execution_count", 0))
