"""Keep a local Triton server serving: restart it when it crashes or stops answering real requests.

A stage that dies can leave tritonserver up with /v2/health/ready green (a killed Python stub), or take
the server down (an abort). The supervisor sends the readiness probe's real request every `period_s`; after
`failures` probes in a row fail, or when tritonserver exits with an error, it restarts the server, logs
why, and counts the restart. A server that says it is not ready gets `not_ready_failures` probes (longer
than Triton's 30 s drain: a server asked to stop is not restarted). tritonserver exiting after it was sent
SIGTERM or SIGINT ends supervision cleanly, whatever its exit status (1 when its exit timeout ran out).
It gives up, and the launcher exits 1, only when `max_failed_starts` restarts in a row fail to start.
In Kubernetes the kubelet does this job (readiness and liveness probes), not this module.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable, Protocol

from serving.probe import NOT_READY

logger = logging.getLogger("serving.supervisor")


class Server(Protocol):
    def start(self, timeout_s: float = ...) -> None: ...
    def stop(self, grace_s: float | None = None) -> None: ...
    def exit_code(self) -> int | None: ...
    def was_asked_to_stop(self) -> bool: ...
    def probe(self) -> str | None: ...


@dataclass
class Supervisor:
    server: Server
    period_s: float = 5.0
    failures: int = 3
    not_ready_failures: int = 12
    max_failed_starts: int = 3
    restart_grace_s: float = 5.0  # a broken server's drain would wait on its dead stage for Triton's 30 s
    sleep: Callable[[float], None] = time.sleep
    restarts: int = 0

    def run(self) -> int:
        """Supervise until tritonserver stops cleanly (0) or cannot be started again (1)."""
        failed_probes = 0
        while True:
            self.sleep(self.period_s)
            code = self.server.exit_code()
            if code == 0 or (code is not None and self.server.was_asked_to_stop()):
                return 0
            if code is not None:
                reason = f"tritonserver exited with {code}"
            else:
                problem = self.server.probe()
                failed_probes = 0 if problem is None else failed_probes + 1
                limit = self.not_ready_failures if problem and problem.startswith(NOT_READY) else self.failures
                if failed_probes < limit:
                    continue
                reason = f"{failed_probes} probes in a row failed: {problem}"
            if not self.restart(reason):
                return 1
            failed_probes = 0

    def restart(self, reason: str) -> bool:
        """Stop and start the server; False when `max_failed_starts` starts in a row failed."""
        for attempt in range(1, self.max_failed_starts + 1):
            self.restarts += 1
            logger.warning("restarting Triton (restart %d since the launcher started): %s", self.restarts, reason)
            self.server.stop(grace_s=self.restart_grace_s)
            try:
                self.server.start()
                logger.warning("Triton serves again after restart %d", self.restarts)
                return True
            except (RuntimeError, TimeoutError) as exc:
                reason = f"start attempt {attempt} failed: {exc}"
        logger.error("Triton did not start %d times in a row; giving up", self.max_failed_starts)
        return False
