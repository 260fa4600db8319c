"""A lower CPU priority for the vocoder's work, which can wait: when the cores are contended the acoustic stage,
on the way to every stream's first audio, gets them first; idle cores are used alike."""

from __future__ import annotations

import os
import threading


def lower_cpu_priority(niceness: int) -> None:
    """Add `niceness` to the calling thread's nice value. Linux keeps one per thread (os.nice did the same), so
    the `vocoder` stage calls it where its model runs and `tts_stream` in each of its vocoder threads."""
    if niceness > 0:
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + niceness)
