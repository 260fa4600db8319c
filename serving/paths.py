"""Where the repository's parts are, for the launcher, the GPU variant's generator and the tools."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STAGE_REPOSITORY = REPO / "model_repository"
ENSEMBLE_REPOSITORY = REPO / "ensembles"
# The Piper teacher as `tts`, served instead of the default voice with --reference-voice (A/B, benchmarks).
REFERENCE_REPOSITORY = REPO / "serving" / "reference_repository"
TRIM_STAGE = REPO / "serving" / "gpu_variant" / "trim_audio"  # the GPU variant's Python step after the engines
DEFAULT_VOICE_DIR = REPO / "voices" / "default"
