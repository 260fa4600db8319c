"""Pack what a lent GPU machine lacks to run the real server (scripts/gpu_check.sh), within what one call carries.

Those machines (the `device` tool) have Python 3.12 with torch + CUDA, numpy 2, onnxruntime, grpcio, protobuf
and psutil; no tritonserver, no espeak-ng, no network, and at most 64 MiB of files per call, the tracked tree
(~33 MB, mostly voices) included. The pack, in build/gpu_pack:

- tritonserver.tar.xz: nvidia-pytriton's tritonserver (binary, Python backend, the stub for the target Python,
  and the libraries it was built against, less libpython: the target's own Python provides it), laid out as
  serving.launcher's $TRITON_HOME expects.
- espeak-ng.tar.xz: libespeak-ng from the espeakng-loader wheel (self-contained; the Debian library pulls in
  audio output libraries) and its data with the English dictionary only ($ESPEAK_NG_LIBRARY, $ESPEAK_DATA_PATH).
- site.tar.xz: the pure-Python packages the stages import that those machines lack, copied from this venv.
- corpus.tar.xz: the corpus's held-out sentences as one fortune file ($TTS_FORTUNE_DIR): the benchmark's
  texts, which training.corpus finds in Debian's fortune files here, are then the same sentences there.

Run: python -m serving.gpu_pack [--out build/gpu_pack] [--python 3.12] [--preset 9]
There (scripts/gpu_check.sh): eval "$(python3 -m serving.gpu_pack --unpack build/gpu_pack --into DIR)"
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import io
import lzma
import os
import shlex
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Callable

from serving.launcher import TRITON_HOME_ENV, triton_home, triton_libraries
from serving.paths import REPO
from training.corpus import FORTUNE_DIR_ENV, held_out
from triton_tts.espeak import LIBRARY_ENV

CARRY_LIMIT_BYTES = 64 * 2**20  # the device tool's limit per call: the working tree and the carried paths together
SITE_PACKAGES = ("num2words", "docopt", "defusedxml")  # imported by the text frontend; absent on those machines
ESPEAK_LANGUAGE = "en"  # the dictionary kept: the voices are English
TARGET_PYTHON = "3.12"  # the lent machines' python3


def add_tree(archive: tarfile.TarFile, source: Path, name: str, keep: Callable[[Path], bool] = lambda path: True) -> None:
    """`source` under `name`, files in sorted order, without bytecode caches (the target compiles its own)."""
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if "__pycache__" in relative.parts or not keep(relative) or path.is_dir():
            continue
        archive.add(path, f"{name}/{relative}", recursive=False)


def open_archive(path: Path, preset: int) -> tarfile.TarFile:
    """An xz tar; from preset 6 on, also xz's extreme mode (25.8 MB instead of 26.9 for tritonserver, 1 min)."""
    return tarfile.open(path, "w:xz", preset=preset | lzma.PRESET_EXTREME if preset >= 6 else preset)


def pack_tritonserver(out: Path, python_version: str, preset: int) -> Path:
    home = triton_home()
    stub = home / "python_backend_stubs" / python_version
    if not stub.is_dir():
        raise FileNotFoundError(f"no Python backend stub for Python {python_version} in {home}")
    path = out / "tritonserver.tar.xz"
    with open_archive(path, preset) as archive:
        for part in ("bin", "backends", "caches"):
            add_tree(archive, home / part, f"tritonserver/{part}")
        add_tree(archive, stub, f"tritonserver/python_backend_stubs/{python_version}")
        add_tree(archive, triton_libraries(), "tritonserver/lib", keep=lambda p: not p.name.startswith("libpython"))
    return path


def only_our_dictionary(path: Path) -> bool:
    """espeak-ng's data without the other languages' dictionaries (18 MB of its 19)."""
    return not path.name.endswith("_dict") or path.name == f"{ESPEAK_LANGUAGE}_dict"


def pack_espeak(out: Path, preset: int) -> Path:
    spec = importlib.util.find_spec("espeakng_loader")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("espeakng-loader is not installed: run make setup")
    source = Path(spec.submodule_search_locations[0])
    path = out / "espeak-ng.tar.xz"
    with open_archive(path, preset) as archive:
        archive.add(source / "libespeak-ng.so.1", "espeak-ng/libespeak-ng.so.1")
        add_tree(archive, source / "espeak-ng-data", "espeak-ng/espeak-ng-data", keep=only_our_dictionary)
    return path


def pack_site(out: Path, preset: int) -> Path:
    """Each distribution's installed files (its metadata too), relative to site-packages as the target expects."""
    path = out / "site.tar.xz"
    with open_archive(path, preset) as archive:
        for name in SITE_PACKAGES:
            distribution = importlib.metadata.distribution(name)
            for file in sorted(distribution.files or [], key=str):
                source = Path(distribution.locate_file(file))
                if file.parts[0] != ".." and "__pycache__" not in file.parts and source.is_file():
                    archive.add(source, f"site/{file}", recursive=False)
    return path


def pack_corpus(out: Path, preset: int) -> Path:
    """The held-out sentences, sorted, as one fortune file: training.corpus reads them back as the same test split."""
    data = "\n%\n".join(held_out()).encode()
    path = out / "corpus.tar.xz"
    with open_archive(path, preset) as archive:
        info = tarfile.TarInfo("corpus/held_out")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return path


def tracked_bytes() -> int:
    """The size of what the device tool sends besides the pack: the files git tracks."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout.split(b"\0")
    return sum((REPO / name.decode()).stat().st_size for name in names if name and (REPO / name.decode()).is_file())


def over_limit(pack_bytes: int, tree_bytes: int) -> str | None:
    """Why the pack cannot travel beside the tree, or None when both fit in one call."""
    total = pack_bytes + tree_bytes
    if total <= CARRY_LIMIT_BYTES:
        return None
    return (f"the pack ({pack_bytes / 1e6:.1f} MB) and the tracked tree ({tree_bytes / 1e6:.1f} MB) make {total / 1e6:.1f} MB, "
            f"over the {CARRY_LIMIT_BYTES / 1e6:.1f} MB one device call carries: pack with --preset 9, or carry less")


def build_pack(out: Path, python_version: str = TARGET_PYTHON, preset: int = 9) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    return [pack_tritonserver(out, python_version, preset), pack_espeak(out, preset), pack_site(out, preset), pack_corpus(out, preset)]


def unpack(pack: Path, into: Path) -> dict[str, str]:
    """Unpack `pack` into `into`; the environment that points the launcher, the stages and espeak-ng at it."""
    for name in ("tritonserver", "espeak-ng", "site", "corpus"):
        with tarfile.open(pack / f"{name}.tar.xz") as archive:
            archive.extractall(into, filter="tar")  # keeps the executables' modes
    return {
        TRITON_HOME_ENV: str(into / "tritonserver"),
        LIBRARY_ENV: str(into / "espeak-ng" / "libespeak-ng.so.1"),
        "ESPEAK_DATA_PATH": str(into / "espeak-ng" / "espeak-ng-data"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(into / "site"), os.environ.get("PYTHONPATH", "")])),
        FORTUNE_DIR_ENV: str(into / "corpus"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "build" / "gpu_pack")
    parser.add_argument("--python", default=TARGET_PYTHON, help="the target's Python version (its backend stub)")
    parser.add_argument("--preset", type=int, default=9, choices=range(10), help="xz preset (9: smallest, about a minute)")
    parser.add_argument("--unpack", type=Path, metavar="PACK", help="instead: unpack PACK into --into, print the exports")
    parser.add_argument("--into", type=Path, default=Path("/tmp/gpu_pack"))
    args = parser.parse_args()
    if args.unpack:
        for key, value in unpack(args.unpack, args.into.resolve()).items():
            print(f"export {key}={shlex.quote(value)}")
        return
    paths = build_pack(args.out, args.python, args.preset)
    for path in paths:
        print(f"{path}: {path.stat().st_size / 1e6:.1f} MB")
    problem = over_limit(sum(p.stat().st_size for p in paths), tracked_bytes())
    if problem:
        sys.exit(problem)
    print("fits one device call; carry it with carry=['build/gpu_pack'] and run bash scripts/gpu_check.sh")


if __name__ == "__main__":
    main()
