"""Naturalness by a no-reference MOS predictor: Distill-MOS (PyPI `distillmos`, MIT, weights in the wheel).

It scores 16 kHz audio from 1 (bad) to 5 (excellent). Like pocketsphinx's WER, read it as relative: the
student beside its teacher, scored the same way in the same run.

distillmos imports torchaudio at module level for its file-reading command line only; the model itself is
plain torch. No torchaudio release matches this project's torch, so an empty stand-in module satisfies that
import (audio is resampled here with scipy's polyphase filter, as in training.asr).
"""

from __future__ import annotations

import sys
import types

import numpy as np
import torch
from scipy.signal import resample_poly

MOS_RATE = 16000
_model: torch.nn.Module | None = None


def _load() -> torch.nn.Module:
    global _model
    if _model is None:
        sys.modules.setdefault("torchaudio", types.ModuleType("torchaudio"))
        try:
            import distillmos
        except ImportError as exc:
            raise RuntimeError("MOS needs distillmos and xls-r-sqa (scripts/setup.sh installs them)") from exc
        _model = distillmos.ConvTransformerSQAModel().eval()
    return _model


@torch.inference_mode()
def predict_mos(audio: np.ndarray, sample_rate: int) -> float:
    """Distill-MOS of one utterance (float waveform in [-1, 1] at `sample_rate`)."""
    resampled = resample_poly(audio.astype(np.float64), MOS_RATE, sample_rate).astype(np.float32)
    return float(_load()(torch.from_numpy(resampled)[None]).item())
