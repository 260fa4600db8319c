"""The GPU check (loadtests.gpu_check) runs end to end without a GPU (its dry run), so the one command a lent
GPU machine gets is known to work before its minutes are spent; and its parity measure compares what it says."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from loadtests.gpu_check import parity
from serving.paths import REPO


def test_parity_counts_other_lengths_apart_and_measures_the_rest() -> None:
    want = [np.ones(100, np.float32), np.ones(50, np.float32)]
    got = [np.ones(100, np.float32) * 1.001, np.ones(60, np.float32)]
    result = parity("x", got, want)
    assert (result.compared, result.same_length) == (2, 1)
    assert result.worst == pytest.approx(1e-3, rel=1e-3)
    assert not result.holds(1e-2) and parity("x", want, want).holds(0.0)


@pytest.mark.slow
def test_the_dry_run_serves_measures_and_reports(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "loadtests.gpu_check", "--device", "cpu", "--duration", "2", "--concurrency", "4",
               "--client-processes", "2", "--frontend-instances", "1", "--offline-batch", "1", "2", "--out", str(tmp_path)]
    subprocess.run(command, cwd=REPO, check=True, timeout=600)
    report = (tmp_path / "gpu_check.md").read_text()
    assert "| served p50, 30-word sentence, concurrency 1 |" in report
    # The CPU server serves onnxruntime: its audio is the offline onnxruntime pipeline's, exactly.
    assert "| served fp32 vs CPU onnxruntime | 16 of 16 | 0.00e+00 |" in report
    assert "| served, fp32 | 4 |" in report and "| offline, batch 2 | 2 |" in report
    assert (tmp_path / "tritonserver-fp32.log").stat().st_size > 0


@pytest.mark.slow
def test_a_server_that_cannot_start_still_leaves_the_offline_figures(tmp_path: Path) -> None:
    """A lent machine's minutes are few: with no tritonserver where $TRITON_HOME points, the report still comes
    back with the offline rows, their parity, and why the server did not run."""
    command = [sys.executable, "-m", "loadtests.gpu_check", "--device", "cpu", "--duration", "1", "--offline-batch", "1",
               "--out", str(tmp_path)]
    subprocess.run(command, cwd=REPO, check=True, timeout=600, env={**os.environ, "TRITON_HOME": str(tmp_path / "nothing")})
    report = (tmp_path / "gpu_check.md").read_text()
    assert "No served figures, so no bars" in report and "| offline, batch 1 | 1 |" in report
    assert "| offline (cpu, fp32) vs CPU torch | 16 of 16 |" in report
    assert "Did not run:" in report and "fp32: FileNotFoundError" in report
