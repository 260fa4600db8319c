"""Locust load test of the `tts` service over gRPC, with an SLO gate on the exit code.

  locust -f loadtests/locustfile.py --headless -u 8 -r 2 -t 2m --host localhost:8001 \
      [--slo-p95-ms 10000] [--slo-max-fail-ratio 0.01]
  locust -f loadtests/locustfile.py,loadtests/shape_step.py --headless --host localhost:8001   # capacity
  locust -f loadtests/locustfile.py,loadtests/shape_soak.py --headless --host localhost:8001   # soak

Traffic: short (3-10 words), medium (20-40) and long (80-150) utterances from held-out sentences, weighted
6:3:1, every voice, one request in five at a changed rate. Two kinds of users, one of each by default: a
Listener calls `tts` (whole responses), a StreamingListener calls `tts_stream` (its time to first audio
is its own row, "first audio", and has its own SLO). Name one class at the end of the command to run only it.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path

from locust import between, events, task

from loadtests.grpc_user import FIRST_AUDIO, TTSGrpcUser
from loadtests.slo import SLO, violations
from loadtests.texts import load_test_texts
from triton_tts.voice_config import load_voice_config

VOICES = tuple(load_voice_config(Path(__file__).resolve().parents[1] / "voices" / "default").speakers)
TEXTS = load_test_texts()


@events.init_command_line_parser.add_listener
def add_slo_options(parser) -> None:
    parser.add_argument("--slo-p95-ms", type=float, default=SLO.p95_ms, help="fail the run above this p95 latency")
    parser.add_argument("--slo-max-fail-ratio", type=float, default=SLO.max_fail_ratio, help="fail the run above this failure ratio")
    parser.add_argument("--slo-ttfa-p95-ms", type=float, default=SLO.ttfa_p95_ms, help="fail the run above this p95 time to first audio")


@events.quitting.add_listener
def slo_gate(environment, **_) -> None:
    """Set Locust's exit code from the SLO, so CI and on-call scripts can gate on it."""
    options = environment.parsed_options
    total = environment.stats.total
    first_audio = environment.stats.entries.get((FIRST_AUDIO, "ttfa"))
    problems = violations(
        SLO(options.slo_max_fail_ratio, options.slo_p95_ms, options.slo_ttfa_p95_ms),
        total.num_requests,
        total.fail_ratio,
        total.get_response_time_percentile(0.95) or 0.0,
        first_audio.get_response_time_percentile(0.95) if first_audio and first_audio.num_requests else None,
    )
    if problems:
        logging.error("SLO violated: %s", "; ".join(problems))
        environment.process_exit_code = 1
    else:
        logging.info("SLO met: %d requests, p95 %.0f ms", total.num_requests, total.get_response_time_percentile(0.95))


class Listener(TTSGrpcUser):
    """A backend service asking for speech: mostly short lines, some paragraphs, a few long reads."""

    wait_time = between(0.5, 2.0)
    streaming = False

    def _speak(self, kind: str, texts: tuple[str, ...]) -> None:
        rate = 1.0 if random.random() < 0.8 else round(random.uniform(0.8, 1.3), 2)
        text, voice = random.choice(texts), random.choice(VOICES)
        if self.streaming:
            self.stream(f"{kind} (stream)", text, voice, rate)
        else:
            self.speak(kind, text, voice, rate)

    @task(6)
    def short(self) -> None:
        self._speak("short", TEXTS.short)

    @task(3)
    def medium(self) -> None:
        self._speak("medium", TEXTS.medium)

    @task(1)
    def long(self) -> None:
        self._speak("long", TEXTS.long)


class StreamingListener(Listener):
    """The same traffic through `tts_stream`: a player that starts on the first chunk."""

    streaming = True
