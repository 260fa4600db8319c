"""Drain a Triton server before it is sent SIGTERM: refuse new requests, let those in flight finish.

Creates the drain file (triton_tts.draining: the entry points then answer new requests with UNAVAILABLE, which
the SDK retries on another server) and polls the server's metrics until nothing is in flight: no request
queued at any model (Triton's nv_inference_pending_request_count) and none computing in a stage or streaming
(the stages' tts_requests_in_progress), `quiet_polls` polls in a row. The launcher calls it before it stops
tritonserver; in Kubernetes it is the pod's preStop hook:

    python -m serving.drain [--metrics-url http://localhost:8002/metrics] [--timeout 20] [--min-seconds 5]

(the drain file is $TTS_DRAIN_FILE, as the stages see it, or --file). Exit 0 when drained, 1 on timeout.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from triton_tts.draining import DRAIN_FILE_ENV

IN_FLIGHT_SERIES = ("nv_inference_pending_request_count{", "tts_requests_in_progress{")


def in_flight(metrics_text: str) -> int:
    """Requests queued at a model or being computed or streamed by a stage, from a Prometheus scrape."""
    return round(sum(float(line.rsplit(" ", 1)[1]) for line in metrics_text.splitlines() if line.startswith(IN_FLIGHT_SERIES)))


def drain(metrics_url: str, drain_file: Path, timeout_s: float, min_s: float = 0.0, poll_s: float = 0.05, quiet_polls: int = 3) -> bool:
    """Create `drain_file`, then wait at least `min_s` and until `quiet_polls` scrapes in a row find nothing in
    flight (True), or `timeout_s` passes (False). A server whose metrics do not answer has nothing to drain."""
    drain_file.parent.mkdir(parents=True, exist_ok=True)
    drain_file.touch()
    began, quiet = time.monotonic(), 0
    while time.monotonic() - began < timeout_s:
        try:
            text = urllib.request.urlopen(metrics_url, timeout=2.0).read().decode()
        except (urllib.error.URLError, OSError):
            return True
        quiet = quiet + 1 if in_flight(text) == 0 else 0
        if quiet >= quiet_polls and time.monotonic() - began >= min_s:
            return True
        time.sleep(poll_s)
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metrics-url", default="http://localhost:8002/metrics")
    parser.add_argument("--file", type=Path, default=os.environ.get(DRAIN_FILE_ENV), help=f"default: ${DRAIN_FILE_ENV}")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for requests in flight")
    parser.add_argument("--min-seconds", type=float, default=0.0,
                        help="wait at least this long (in a pod: until the endpoints have dropped it)")
    args = parser.parse_args()
    if args.file is None:
        parser.error(f"no drain file: set ${DRAIN_FILE_ENV} (as the stages see it) or pass --file")
    began = time.monotonic()
    drained = drain(args.metrics_url, args.file, args.timeout, args.min_seconds)
    print(f"{'drained' if drained else 'still busy'} after {time.monotonic() - began:.1f} s", flush=True)
    sys.exit(0 if drained else 1)


if __name__ == "__main__":
    main()
