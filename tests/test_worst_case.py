"""The longest requests the server accepts, against the real server, whole and streamed: audio or
INVALID_ARGUMENT, and every stage's peak memory (VmHWM from /proc) within its budget.

Budgets: the CPU pod's memory limit is 6 GiB (k8s/components/cpu/cpu-resources.patch.yaml, /dev/shm counted in
it) for seven stage processes (frontend, two acoustic and two vocoder instances, voices, tts_stream) and tritonserver.
A stage peaking at 1 GiB leaves room for the others and for concurrent requests; before sentences were cut into rows of at most 400 tokens, one 2,000-character
sentence took the acoustic stage past 4 GB.
"""

from __future__ import annotations

import psutil
import pytest

from triton_tts.errors import InvalidRequest
from triton_tts.frontend import MAX_TEXT_CHARS, TextFrontend
from triton_tts.voice_config import load_voice_config
from tests.conftest import DEFAULT_VOICE_DIR
from triton_tts_client import InvalidRequestError, RetryPolicy, TTSClient

pytestmark = pytest.mark.slow
GIB = 1024**3
PEAK_RSS_BUDGET = {"text_frontend": 1 * GIB, "acoustic": 1 * GIB, "vocoder": 1 * GIB, "voices": 1 * GIB, "tts_stream": 1 * GIB}
# Each class of text the normaliser or espeak-ng expands, repeated (space-separated) as often as the
# frontend still accepts: the worst case of its kind.
EXPANDING = {
    "one sentence of words": "word",
    "one-word sentences": "I?",  # the most rows, so the most sentence pauses
    "clock times": "12:59pm",
    "money": "$1,234,567.89",
    "ordinals": "1st 2nd 3rd",
    "long numbers": "999999999999999",
    "digit runs": "1234567890" * 20,
    "percentages": "99.9%",
    "abbreviations": "Dr. St. Mr. etc.",
    "symbols": "& + @ =",
    "spelled letters": "ABCDEFGHIJ",
    "markup-looking text": "<speak><p><s>x</s></p></speak>",
}


def longest_accepted(frontend: TextFrontend, unit: str) -> str:
    """`unit` repeated as often as the frontend accepts (binary search on the count)."""
    low, high = 1, MAX_TEXT_CHARS // (len(unit) + 1)
    while low < high:
        middle = (low + high + 1) // 2
        try:
            frontend.process(" ".join([unit] * middle).encode(), None, 0.5)
            low = middle
        except InvalidRequest:
            high = middle - 1
    return " ".join([unit] * low)


def stage_processes(server_pid: int) -> dict[str, list[psutil.Process]]:
    """The Python stub processes of each model (their command line names the model instance)."""
    found: dict[str, list[psutil.Process]] = {}
    for process in psutil.Process(server_pid).children(recursive=True):
        line = " ".join(process.cmdline())
        for model in PEAK_RSS_BUDGET:
            if f"{model}_" in line and "triton_python_backend_stub" in line:
                found.setdefault(model, []).append(process)
    return found


def peak_rss(process: psutil.Process) -> int:
    """VmHWM: the most resident memory the process ever had (bytes)."""
    with open(f"/proc/{process.pid}/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def test_worst_case_requests_speak_or_are_refused_within_the_memory_budget(triton_server) -> None:
    frontend = TextFrontend(load_voice_config(DEFAULT_VOICE_DIR))
    outcomes = {}
    with TTSClient(triton_server.grpc_url, retry=RetryPolicy(max_rounds=1), deadline_s=300) as client:
        for name, unit in EXPANDING.items():
            text = longest_accepted(frontend, unit)
            try:
                audio = client.synthesize(text, rate=0.5)
                streamed = sum(chunk.duration for chunk in client.stream(text, rate=0.5))
                outcomes[name] = f"{audio.duration:.0f} s of audio"
                assert audio.duration > 0.5 and abs(streamed - audio.duration) < 1e-3
            except InvalidRequestError as error:
                outcomes[name] = f"INVALID_ARGUMENT: {error}"
        assert client.synthesize("Still speaking after the worst cases.").duration > 0.5
    print(outcomes)
    stages = stage_processes(triton_server.process.pid)
    assert set(stages) == set(PEAK_RSS_BUDGET), f"stub processes found: {stages}"
    peaks = {model: max(peak_rss(p) for p in processes) for model, processes in stages.items()}
    print({model: f"{peak / GIB:.2f} GiB" for model, peak in peaks.items()})
    for model, peak in peaks.items():
        assert peak <= PEAK_RSS_BUDGET[model], f"{model} peaked at {peak / GIB:.2f} GiB"
