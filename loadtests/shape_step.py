"""Step load to find capacity: +4 users every 60 s up to 32; watch where p95 and failures break the SLO."""

from loadtests.shapes import StagedShape


class StepLoad(StagedShape):
    stages = tuple((60 * (k + 1), 4 * (k + 1), 4.0) for k in range(8))
