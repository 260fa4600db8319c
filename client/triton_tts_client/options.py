"""Client settings: endpoints (nearest region first), deadline, retries, TLS, metadata, channel tuning."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

MiB = 1024 * 1024


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter between rounds over all endpoints (only for retryable codes)."""

    max_rounds: int = 3
    initial_backoff_s: float = 0.1
    max_backoff_s: float = 2.0
    multiplier: float = 2.0
    # An endpoint that failed with a retryable error is tried after the others for this long: one broken
    # server must not cost every later request a failed attempt first.
    cooldown_s: float = 10.0

    def backoff_s(self, round_index: int, rng: random.Random) -> float:
        """Sleep before round `round_index` (>= 1): uniform in [0, capped exponential] so clients spread out."""
        cap = min(self.max_backoff_s, self.initial_backoff_s * self.multiplier ** (round_index - 1))
        return rng.uniform(0.0, cap)


@dataclass(frozen=True)
class TLSConfig:
    """Server-authenticated TLS; add a client certificate and key for mutual TLS."""

    root_certificates: bytes | None = None  # None: the system's trust store
    certificate_chain: bytes | None = None
    private_key: bytes | None = None
    server_name_override: str | None = None  # for test certificates whose name differs from the address

    @classmethod
    def from_files(cls, ca: str | None = None, cert: str | None = None, key: str | None = None) -> "TLSConfig":
        """PEM files: the CA to trust (None: system store), and a client certificate and key for mutual TLS."""
        return cls(*(Path(p).read_bytes() if p else None for p in (ca, cert, key)))


DEFAULT_ENDPOINT = "localhost:8001"  # Triton's gRPC port on this machine
DEFAULT_DEADLINE_S = 30.0


@dataclass(frozen=True)
class ClientOptions:
    endpoints: tuple[str, ...] = (DEFAULT_ENDPOINT,)
    deadline_s: float = DEFAULT_DEADLINE_S  # per synthesize() call, across retries and failover
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    tls: TLSConfig | None = None
    metadata: tuple[tuple[str, str], ...] = ()  # e.g. (("authorization", "Bearer ..."),)
    keepalive_time_s: int = 30
    keepalive_timeout_s: int = 10
    # Ping idle connections too. The project's servers allow it (serving/triton_args.py); a Triton with
    # default settings answers with GOAWAY "too_many_pings": set False for those.
    keepalive_without_calls: bool = True
    max_message_bytes: int = 64 * MiB  # a minute of float32 audio is ~5 MiB; long texts need room

    def __post_init__(self) -> None:
        if not self.endpoints:
            raise ValueError("at least one endpoint (host:port) is needed")
        if self.deadline_s <= 0:
            raise ValueError("deadline_s must be positive")

    def channel_options(self) -> list[tuple[str, int | str]]:
        """gRPC channel arguments: large audio messages, keepalive pings that survive idle load balancers."""
        options: list[tuple[str, int | str]] = [
            ("grpc.max_receive_message_length", self.max_message_bytes),
            ("grpc.max_send_message_length", self.max_message_bytes),
            ("grpc.keepalive_time_ms", self.keepalive_time_s * 1000),
            ("grpc.keepalive_timeout_ms", self.keepalive_timeout_s * 1000),
            ("grpc.keepalive_permit_without_calls", int(self.keepalive_without_calls)),
            ("grpc.enable_retries", 0),  # retries are ours: only retryable codes, with failover
        ]
        if self.tls and self.tls.server_name_override:
            options.append(("grpc.ssl_target_name_override", self.tls.server_name_override))
        return options
