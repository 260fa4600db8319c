"""Export a voice's acoustic model and neural vocoder to ONNX: the hand-off to onnxruntime and TensorRT.

One file per stage with dynamic batch and length axes, checked with onnx.checker, plus `manifest.json` with
the inputs, outputs, shape limits and the hashes of the weights they came from (`--if-stale` compares them to
skip a current export; scripts/build_trt_engines.sh keys its engines on the ONNX files and profiles instead). Run: python -m training.export --voice voices/default --out build/onnx
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from triton_tts.acoustic import MAX_FRAMES, AcousticInference
from triton_tts.onnx_export import OPSET, SIGNATURES, export_stage
from triton_tts.voice import VOCODER_WEIGHTS_FILE, load_neural_vocoder, load_voice, sha256_file
from triton_tts.voice_config import WEIGHTS_FILE

logger = logging.getLogger(__name__)
MANIFEST = "manifest.json"


def source_hashes(voice_dir: Path) -> dict[str, str]:
    """Hashes of the weights an export is made from: a changed voice makes the export stale."""
    return {name: sha256_file(voice_dir / name) for name in (WEIGHTS_FILE, VOCODER_WEIGHTS_FILE)}


def export_voice(voice_dir: Path, out_dir: Path) -> dict:
    """Export both stages of a voice and write the manifest; returns the manifest."""
    voice = load_voice(voice_dir)
    models = {
        "acoustic": AcousticInference(voice.model),
        "vocoder": load_neural_vocoder(voice_dir, voice.config.mel),
    }
    manifest = {
        "opset": OPSET,
        "source": source_hashes(voice_dir),
        # The engines' token range is the GPU variant's (triton_tts.limits.GPU_MAX_PHONEMES), not the graph's.
        "limits": {"max_frames": MAX_FRAMES, "n_mels": voice.config.mel.n_mels},
        "stages": {},
    }
    for stage, model in models.items():
        path = out_dir / f"{stage}.onnx"
        export_stage(stage, model, path)
        inputs, outputs, _ = SIGNATURES[stage]
        manifest["stages"][stage] = {"file": path.name, "sha256": sha256_file(path), "inputs": inputs, "outputs": outputs}
        logger.info("wrote %s (%.1f MB)", path, path.stat().st_size / 1e6)
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def is_current(voice_dir: Path, out_dir: Path) -> bool:
    """True when `out_dir` holds an export of exactly these weights."""
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return False
    files_ok = all(
        (out_dir / s["file"]).is_file() and sha256_file(out_dir / s["file"]) == s["sha256"] for s in manifest["stages"].values()
    )
    return files_ok and manifest.get("source") == source_hashes(voice_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--voice", type=Path, default=Path("voices/default"))
    parser.add_argument("--out", type=Path, default=Path("build/onnx/default"))
    parser.add_argument("--if-stale", action="store_true", help="do nothing when the export is current")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.if_stale and is_current(args.voice, args.out):
        logger.info("%s is current", args.out)
        return
    export_voice(args.voice, args.out)


if __name__ == "__main__":
    main()
