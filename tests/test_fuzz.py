"""The fuzz tool against the real server, a short seeded run: every generated request ends as audio or
INVALID_ARGUMENT and the valid requests beside them all succeed (loadtests/fuzz.py runs 1,200)."""

import pytest

from loadtests.fuzz import report, run

pytestmark = pytest.mark.slow


def test_generated_bad_inputs_never_fail_otherwise_or_harm_valid_requests(triton_server):
    results, background, seconds = run(triton_server.grpc_url, count=130, seed=7, timeout_s=120)
    table, ok = report(results, background, seconds, seed=7)
    assert ok, table
    assert sum(c["INVALID_ARGUMENT"] for c in results.values()) > 50 and sum(c["audio"] for c in results.values()) > 10
