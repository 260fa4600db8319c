"""The GPU check's pack (serving.gpu_pack) serves for real: packed for this machine's Python, unpacked, and a real
tritonserver started from it answers, its processes running the packed tritonserver and libespeak-ng."""

import sys
from pathlib import Path

import psutil
import pytest

from serving.gpu_pack import CARRY_LIMIT_BYTES, build_pack, over_limit, unpack
from serving.launcher import ServerOptions, TritonServer
from training.corpus import held_out, sentences, split_of
from tests.conftest import free_port
from triton_tts_client import TTSClient


def test_a_pack_over_the_device_calls_limit_says_what_to_do() -> None:
    assert over_limit(30_000_000, 33_000_000) is None
    message = over_limit(CARRY_LIMIT_BYTES - 1_000_000, 2_000_000)
    assert message is not None and "over the 67.1 MB one device call carries" in message and "--preset 9" in message


def mapped_files(process: psutil.Process) -> set[str]:
    return {m.path for m in process.memory_maps()}


@pytest.mark.slow
def test_the_unpacked_pack_serves_real_audio_with_its_own_binaries(tmp_path: Path, monkeypatch) -> None:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    paths = build_pack(tmp_path / "pack", version, preset=0)
    assert [p.name for p in paths] == ["tritonserver.tar.xz", "espeak-ng.tar.xz", "site.tar.xz", "corpus.tar.xz"]
    into = tmp_path / "unpacked"
    for key, value in unpack(tmp_path / "pack", into).items():
        monkeypatch.setenv(key, value)
    assert not any((into / "tritonserver" / "lib").glob("libpython*")), "the target's Python provides libpython"
    assert [p.name for p in (into / "espeak-ng" / "espeak-ng-data").glob("*_dict")] == ["en_dict"]
    # The GPU machine has no fortune files: the packed held-out sentences are the same test split.
    test_split = held_out()
    assert sentences(into / "corpus") == test_split and all(split_of(s) == "test" for s in test_split)

    options = ServerOptions(grpc_port=free_port(), http_port=free_port(), metrics_port=free_port(), build_dir=tmp_path / "build")
    with TritonServer(options) as server, TTSClient(server.grpc_url) as tts:
        audio = tts.synthesize("The pack serves this sentence.")
        assert audio.duration > 1.0 and abs(audio.samples).max() > 0.05
        root = psutil.Process(server.process.pid)
        maps = set().union(*(mapped_files(p) for p in [root, *root.children(recursive=True)]))
    assert any(path.startswith(str(into / "tritonserver" / "lib")) and "libtritonserver" in path for path in maps)
    assert str(into / "espeak-ng" / "libespeak-ng.so.1") in maps
