"""Step load to find capacity: +4 users every 60 s up to 32; at the end it prints a row per step (throughput,
latency percentiles, time to first audio, failures) and the most users that still met the SLO.

  locust -f loadtests/locustfile.py,loadtests/shape_step.py --headless --host localhost:8001 [--step-report FILE]
"""

from __future__ import annotations

import logging
from pathlib import Path

from locust import events

from loadtests.shapes import StagedShape
from loadtests.slo import SLO
from loadtests.step_table import Call, step_seconds, step_table

_calls: list[Call] = []
_environment = None


class StepLoad(StagedShape):
    stages = tuple((60 * (k + 1), 4 * (k + 1), 4.0) for k in range(8))


@events.init_command_line_parser.add_listener
def add_report_option(parser) -> None:
    parser.add_argument("--step-report", type=str, default="", help="also write the per-step table (markdown) here")


@events.init.add_listener
def keep_environment(environment, **_) -> None:
    global _environment
    _environment = environment


@events.request.add_listener
def record(request_type, name, response_time, exception=None, **_) -> None:
    """Each call under the step's number of users (the shape's target: a step's users spawn within a second)."""
    runner = _environment.runner if _environment else None
    users = getattr(runner, "target_user_count", None) or (runner.user_count if runner else 0)
    _calls.append(Call(users, request_type, name, response_time, exception is not None))


@events.quitting.add_listener
def report(environment, **_) -> None:
    options = environment.parsed_options
    slo = SLO(options.slo_max_fail_ratio, options.slo_p95_ms, options.slo_ttfa_p95_ms)
    stages = getattr(environment.shape_class, "stages", StepLoad.stages)
    table, capacity = step_table(_calls, step_seconds(stages), slo)
    text = f"{table}\n\nMost users with the SLO met in their step: {capacity or 'none'}."
    logging.info("step load:\n%s", text)
    if options.step_report:
        Path(options.step_report).write_text(text + "\n")
