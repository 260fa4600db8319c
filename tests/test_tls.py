"""gRPC over mutual TLS on a real server, with certificates made here: the SDK with a client certificate
speaks; without one, or over plain text, it cannot."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from serving.launcher import ServerOptions, TritonServer
from serving.triton_args import GrpcTls, triton_args
from tests.conftest import free_port
from triton_tts_client import RetryPolicy, TLSConfig, TTSClient, TTSError


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(directory: Path) -> None:
    """A CA, and a server and a client certificate it signed (localhost; both usable for client auth)."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=tts-test-ca", cwd=directory)
    extensions = directory / "leaf.ext"
    extensions.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n")
    for name in ("server", "client"):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=directory)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", f"{name}.pem",
                "-days", "2", "-extfile", "leaf.ext", cwd=directory)


def test_flags_for_each_mode():
    mutual = triton_args("/m", tls=GrpcTls("s.pem", "s.key", "ca.pem"), address="127.0.0.1")
    assert mutual[:4] == ["--grpc-use-ssl-mutual=true", "--grpc-root-cert=ca.pem", "--grpc-server-cert=s.pem", "--grpc-server-key=s.key"]
    assert "--grpc-address=127.0.0.1" in mutual and "--http-address=127.0.0.1" in mutual
    server_only = triton_args("/m", tls=GrpcTls("s.pem", "s.key", "ca.pem", mutual=False))
    assert server_only[0] == "--grpc-use-ssl=true" and not any(a.startswith("--grpc-root-cert") for a in server_only)
    assert not any("ssl" in a or "-address=" in a for a in triton_args("/m"))


@pytest.mark.slow
def test_mutual_tls_end_to_end(tmp_path: Path):
    make_certificates(tmp_path)
    files = {name: str(tmp_path / name) for name in ("server.pem", "server.key", "ca.pem", "client.pem", "client.key")}
    options = ServerOptions(grpc_port=free_port(), http_port=free_port(), metrics_port=free_port(), build_dir=tmp_path / "build",
                            tls=GrpcTls(files["server.pem"], files["server.key"], files["ca.pem"]))
    with TritonServer(options) as server:  # its readiness probe already spoke mutual TLS
        client_tls = TLSConfig.from_files(files["ca.pem"], files["client.pem"], files["client.key"])
        with TTSClient(server.grpc_url, tls=client_tls, retry=RetryPolicy(max_rounds=1)) as client:
            assert client.synthesize("Secure hello.").duration > 0.3
            assert sum(chunk.duration for chunk in client.stream("Secure hello.")) > 0.3
        for tls in (TLSConfig.from_files(files["ca.pem"]), None):  # no client certificate; plain text
            with TTSClient(server.grpc_url, tls=tls, deadline_s=5, retry=RetryPolicy(max_rounds=1)) as client:
                with pytest.raises(TTSError):
                    client.synthesize("Let me in.")
