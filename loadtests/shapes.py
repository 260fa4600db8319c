"""Load shapes as data: a table of (seconds from start, users, spawn rate) stages."""

from __future__ import annotations

from locust import LoadTestShape


class StagedShape(LoadTestShape):
    """Run each stage until its end time; stop after the last."""

    abstract = True
    stages: tuple[tuple[int, int, float], ...] = ()  # (end second, users, spawn rate per second)

    def tick(self) -> tuple[int, float] | None:
        elapsed = self.get_run_time()
        for end_s, users, spawn_rate in self.stages:
            if elapsed < end_s:
                return users, spawn_rate
        return None
