"""The GPU variant's last step: TensorRT returns each request's audio padded to its batch's longest; cut it."""

from __future__ import annotations

import numpy as np


def trim_audio(audio: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The first `length` samples of one request's padded waveform (shape [samples] or [1, samples])."""
    samples = audio.reshape(-1)
    count = int(np.asarray(length).reshape(-1)[0])
    if not 0 <= count <= samples.size:
        raise ValueError(f"AUDIO_LENGTHS {count} is outside the padded audio's {samples.size} samples")
    return samples[:count]
