"""Shared-memory files the Python backend leaves behind when a stage is killed (kill -9, OOM, an abort).

Each stub and the server share tensors through /dev/shm files named triton_python_backend_shm_region_*; a
stub that dies does not remove them, and on a tmpfs they hold memory until removed. After a server stops,
the files that appeared during its life, that no live process still maps and that are not brand new are its
leftovers: removing only those never touches another server's regions on the same machine (one starting
beside it creates regions a moment before its stages map them).
"""

from __future__ import annotations

import time
from pathlib import Path

SHM = Path("/dev/shm")
PREFIX = "triton_python_backend_shm_region_"


def regions() -> set[Path]:
    return set(SHM.glob(PREFIX + "*")) if SHM.is_dir() else set()


def mapped() -> set[str]:
    """Every /dev/shm path some process on this machine maps (those we can see: our own user's, or all as root)."""
    paths: set[str] = set()
    for maps in Path("/proc").glob("[0-9]*/maps"):
        try:
            paths.update(line.split(maxsplit=5)[5].strip() for line in maps.read_text().splitlines() if str(SHM) in line)
        except (OSError, IndexError):
            continue
    return paths


def remove_leftovers(existing_before: set[Path], min_age_s: float = 30.0) -> list[Path]:
    """Remove the regions created since `existing_before` that no process maps and that are older than
    `min_age_s`; returns what was removed."""
    in_use, now = mapped(), time.time()
    removed = []
    for region in sorted(regions() - existing_before):
        try:
            young = now - region.stat().st_mtime < min_age_s
        except FileNotFoundError:
            continue
        if str(region) not in in_use and not young:
            region.unlink(missing_ok=True)
            removed.append(region)
    return removed
