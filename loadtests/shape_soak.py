"""Soak: a steady 8 users for an hour, to catch leaks and slow degradation."""

from loadtests.shapes import StagedShape


class Soak(StagedShape):
    stages = ((3600, 8, 1.0),)
