"""A step load's result as one row per step: what the service did at each number of users, and whether that
step met the SLO, so that capacity is the last step that did (loadtests/shape_step.py prints it at the end)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from loadtests.slo import SLO, violations


@dataclass(frozen=True)
class Call:
    """One finished call as Locust reported it: its request type (loadtests.grpc_user: grpc, grpc-stream, and
    ttfa for a stream's first audio) and name."""

    users: int
    kind: str
    name: str
    ms: float
    failed: bool


def _percentiles(values: list[float]) -> str:
    return " / ".join(f"{v:.0f}" for v in np.percentile(values, [50, 95, 99])) if values else "-"


def step_seconds(stages: tuple[tuple[int, int, float], ...]) -> dict[int, float]:
    """How long a staged shape (loadtests.shapes) holds each number of users."""
    seconds: dict[int, float] = defaultdict(float)
    for (start, _, _), (end, users, _) in zip(((0, 0, 0.0), *stages), stages):
        seconds[users] += end - start
    return dict(seconds)


def step_table(calls: list[Call], seconds: dict[int, float], slo: SLO) -> tuple[str, int]:
    """The markdown table, and the most users of a step that met the SLO (0: none did); `seconds`: how long
    each step lasted. TTFA rows are not calls of their own: a stream is counted once, with its whole time,
    and its first audio separately."""
    by_users: dict[int, list[Call]] = defaultdict(list)
    for call in calls:
        by_users[call.users].append(call)
    lines = [
        "| users | whole req/s | whole p50 / p95 / p99 ms | streams/s | stream p50 / p95 / p99 ms | first audio p50 / p95 / p99 ms | failed | SLO |",
        "|---|---|---|---|---|---|---|---|",
    ]
    capacity = 0
    for users in sorted(by_users):
        step = by_users[users]
        whole = [c.ms for c in step if c.kind == "grpc"]
        streams = [c.ms for c in step if c.kind == "grpc-stream"]
        first_audio = [c.ms for c in step if c.kind == "ttfa"]
        counted = [c for c in step if c.kind != "ttfa"]
        failed = sum(c.failed for c in counted)
        everything = [c.ms for c in counted]
        problems = violations(slo, len(counted), failed / max(1, len(counted)),
                              float(np.percentile(everything, 95)) if everything else 0.0,
                              float(np.percentile(first_audio, 95)) if first_audio else None)
        if not problems and users > capacity:
            capacity = users
        lasted = seconds.get(users, 1.0)
        lines.append(f"| {users} | {len(whole) / lasted:.2f} | {_percentiles(whole)} | {len(streams) / lasted:.2f} | "
                     f"{_percentiles(streams)} | {_percentiles(first_audio)} | {failed} | {'met' if not problems else '; '.join(problems)} |")
    return "\n".join(lines), capacity
