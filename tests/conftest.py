"""Shared fixtures: the shipped default voice and a few sentences that are not training data."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from serving.launcher import ServerOptions, TritonServer
from triton_tts.voice import Voice, load_voice

REPO = Path(__file__).resolve().parents[1]
DEFAULT_VOICE_DIR = REPO / "voices" / "default"
SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Is this the right way to the station, or should we turn left?",
    "She sells sea shells; he sells nothing at all!",
    "Hello.",
    '"Quoted," she said (twice).',
]


@pytest.fixture(scope="session")
def default_voice() -> Voice:
    return load_voice(DEFAULT_VOICE_DIR)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def triton_server(tmp_path_factory) -> TritonServer:
    """A real tritonserver with the project's repository on free ports, for the whole test session."""
    build_dir = tmp_path_factory.mktemp("triton")
    options = ServerOptions(grpc_port=free_port(), http_port=free_port(), metrics_port=free_port(), build_dir=build_dir)
    server = TritonServer(options)
    server.start()
    yield server
    server.stop()
