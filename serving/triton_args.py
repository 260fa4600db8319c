"""Triton's command-line flags in one place: the local launcher and the Kubernetes StatefulSet use the same.

tests/test_k8s_manifests.py checks that the StatefulSet's container args equal `triton_args(...)` for the
paths and ports of the image.
"""

from __future__ import annotations

from dataclasses import dataclass

# Admin APIs (loading/unloading models, shared memory, tracing, log settings) need this header on gRPC and HTTP.
# Clients never send it; operators get the key from the deployment's secret.
RESTRICTED_PROTOCOLS = "model-repository,shared-memory,trace,logging"
ADMIN_HEADER = "tts-admin-key"
EXIT_TIMEOUT_S = 30
MIN_CLIENT_PING_INTERVAL_MS = 10_000


@dataclass(frozen=True)
class GrpcTls:
    """PEM files for gRPC over TLS: the server's certificate and key, and the CA that signed it. `mutual`:
    clients must also present a certificate that CA signed (Triton has no TLS for HTTP: keep that port private)."""

    cert: str
    key: str
    ca: str
    mutual: bool = True

    def flags(self) -> list[str]:
        mode = ["--grpc-use-ssl-mutual=true", f"--grpc-root-cert={self.ca}"] if self.mutual else ["--grpc-use-ssl=true"]
        return [*mode, f"--grpc-server-cert={self.cert}", f"--grpc-server-key={self.key}"]


def triton_args(
    model_repository: str,
    grpc_port: int = 8001,
    http_port: int = 8000,
    metrics_port: int = 8002,
    admin_key: str = "$(TRITON_ADMIN_KEY)",
    exit_timeout_s: int = EXIT_TIMEOUT_S,
    tls: GrpcTls | None = None,
    address: str | None = None,
) -> list[str]:
    """Flags after the `tritonserver` binary (the backend directory is added where it is not the default).
    `address`: bind every endpoint to it (Triton's default is all interfaces)."""
    bind = [f"--grpc-address={address}", f"--http-address={address}", f"--metrics-address={address}"] if address else []
    return [*(tls.flags() if tls else []), *bind, *[
        f"--model-repository={model_repository}",
        "--model-control-mode=none",  # the repository is baked into the image: nothing loads or unloads at run time
        "--strict-readiness=true",
        f"--exit-timeout-secs={exit_timeout_s}",
        f"--grpc-port={grpc_port}",
        f"--http-port={http_port}",
        f"--metrics-port={metrics_port}",
        "--allow-metrics=true",
        "--metrics-config=histogram_latencies=true",
        "--metrics-config=summary_latencies=true",
        # Clients (our SDK: every 30 s) ping idle connections so load balancers keep them; Triton's defaults
        # answer such pings with GOAWAY "too_many_pings". Accept one every 10 s or slower.
        "--grpc-keepalive-permit-without-calls=1",
        "--grpc-http2-max-pings-without-data=0",
        f"--grpc-http2-min-recv-ping-interval-without-data={MIN_CLIENT_PING_INTERVAL_MS}",
        f"--grpc-restricted-protocol={RESTRICTED_PROTOCOLS}:{ADMIN_HEADER}={admin_key}",
        f"--http-restricted-api={RESTRICTED_PROTOCOLS}:{ADMIN_HEADER}={admin_key}",
        "--log-info=false",
    ]]
