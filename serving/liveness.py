"""Liveness for a pod: tritonserver answers /v2/health/live and none of its stage processes has died.

A killed or crashed Python stub stays a zombie child of tritonserver (it is never reaped), while
/v2/health/live keeps answering 200 and requests to that stage fail. Readiness (serving.probe) takes such a pod
out of the Service; this restarts it. It sends no request, so a slow synthesis never restarts a pod.

Run: python -m serving.liveness [--url http://localhost:8000/v2/health/live] [--parent PID]
(exit 0 = alive; the pod's exec liveness probe)
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request
from pathlib import Path

STUB_NAME = "triton_python_backend_stub"[:15]  # /proc/<pid>/stat holds the first 15 characters


def dead_stages(proc: Path = Path("/proc"), parent: int | None = None) -> list[int]:
    """Pids of stage processes (of `parent` only, if given) that have exited: zombies."""
    dead = []
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended while we looked
            continue
        name, fields = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()
        state, ppid = fields[0], int(fields[1])
        if name == STUB_NAME and state == "Z" and (parent is None or ppid == parent):
            dead.append(int(stat.parent.name))
    return sorted(dead)


def problem(url: str, parent: int | None = None, proc: Path = Path("/proc")) -> str | None:
    """None when alive, else why not."""
    try:
        with urllib.request.urlopen(url, timeout=4.0) as response:
            if response.status != 200:
                return f"{url} answered {response.status}"
    except (urllib.error.URLError, OSError) as exc:
        return f"{url}: {exc}"
    dead = dead_stages(proc, parent)
    return f"{len(dead)} stage process(es) died (zombies {', '.join(map(str, dead))})" if dead else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://localhost:8000/v2/health/live")
    parser.add_argument("--parent", type=int, help="only this tritonserver's stages (default: every one: a pod has one server)")
    args = parser.parse_args()
    found = problem(args.url, args.parent)
    if found:
        sys.exit(f"not alive: {found}")
    print("alive")


if __name__ == "__main__":
    main()
