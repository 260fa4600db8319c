"""Service-level objectives a load test must meet; the locustfile's exit code follows them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SLO:
    max_fail_ratio: float = 0.01
    p95_ms: float = 10_000.0
    ttfa_p95_ms: float = 1_000.0  # streaming: time to first audio


def violations(slo: SLO, requests: int, fail_ratio: float, p95_ms: float, ttfa_p95_ms: float | None = None) -> list[str]:
    """What the run broke (empty: it passed). A run without requests proves nothing, so it fails.
    `ttfa_p95_ms` is None when the run streamed nothing."""
    problems = []
    if requests == 0:
        problems.append("no requests were made")
    if fail_ratio > slo.max_fail_ratio:
        problems.append(f"failure ratio {fail_ratio:.3f} > {slo.max_fail_ratio}")
    if p95_ms > slo.p95_ms:
        problems.append(f"p95 latency {p95_ms:.0f} ms > {slo.p95_ms:.0f} ms")
    if ttfa_p95_ms is not None and ttfa_p95_ms > slo.ttfa_p95_ms:
        problems.append(f"time to first audio p95 {ttfa_p95_ms:.0f} ms > {slo.ttfa_p95_ms:.0f} ms")
    return problems
