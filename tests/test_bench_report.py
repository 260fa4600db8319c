"""The benchmark's arithmetic: slices of one setup merge into one row without losing or double-counting."""

from __future__ import annotations

import pytest

from loadtests.bench import Result, merged


def test_slices_measured_in_turns_merge_into_one_row() -> None:
    first = Result("Triton, streaming (tts_stream)", 16, wall_s=5.0, audio_s=800.0, cpu_s=9.0, latencies=[0.2, 0.3],
                   rtfs=[0.1, 0.1], batch_sizes={"acoustic": 1.0}, first_audio=[0.05], chunks=[2],
                   process_cpu_s={"tts_stream": 8.0, "load generator": 0.5}, failures={"ServerError": 1})
    second = Result("Triton, streaming (tts_stream)", 16, wall_s=5.0, audio_s=900.0, cpu_s=9.5, latencies=[0.4],
                    rtfs=[0.2], batch_sizes={"acoustic": 2.0}, first_audio=[0.07, 0.06], chunks=[3, 2],
                    process_cpu_s={"tts_stream": 8.5, "tritonserver": 0.4})
    row = merged([first, second])
    assert (row.name, row.concurrency) == (first.name, 16)
    assert (row.wall_s, row.audio_s, row.cpu_s) == (10.0, 1700.0, 18.5)
    assert row.latencies == [0.2, 0.3, 0.4] and row.rtfs == [0.1, 0.1, 0.2]
    assert row.first_audio == [0.05, 0.07, 0.06] and row.chunks == [2, 3, 2]
    assert row.process_cpu_s == {"tts_stream": 16.5, "load generator": 0.5, "tritonserver": 0.4}
    assert row.failures == {"ServerError": 1}
    assert row.batch_sizes == {"acoustic": pytest.approx(1.5)}
    assert first.latencies == [0.2, 0.3]  # the slices are left as they were
