"""Monitoring, checked for real: the PrometheusRule's rules pass promtool's checks and unit tests; a real
Prometheus (Debian's 2.42) loads the same rules, scrapes the live test server, sees every tts_* series and
raises the rejection alert when bad requests come in; every dashboard query returns data from that server;
and a request made with the CLI is found in the server's log by the request id the CLI prints."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import yaml

from serving.triton_http import infer
from tests.conftest import REPO, free_port
from triton_tts.observability import METRICS
from triton_tts_client import InvalidRequestError, TTSClient

MONITORING = REPO / "k8s" / "components" / "monitoring"
DASHBOARD = MONITORING / "dashboards" / "tts.json"
EXTERNAL_METRICS = ("kube_",)  # from kube-state-metrics in a cluster, absent here: checked for syntax only
RATE_INTERVAL = "30s"  # what $__rate_interval becomes against the test Prometheus (1 s scrapes)


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed: run `make setup` (Debian package prometheus)")
    return path


def write_rules(directory: Path, text: str | None = None) -> Path:
    """The PrometheusRule's groups as a Prometheus rule file, next to a copy of the promtool unit tests."""
    rule = yaml.safe_load(text or (MONITORING / "prometheusrule.yaml").read_text())
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "rules.yml").write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}, sort_keys=False))
    shutil.copy(MONITORING / "rules_test.yaml", directory / "rules_test.yaml")
    return directory


def promtool(directory: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([require("promtool"), *args], cwd=directory, capture_output=True, text=True, timeout=60)


def test_rules_pass_promtool_check(tmp_path: Path) -> None:
    result = promtool(write_rules(tmp_path), "check", "rules", "rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_passes_its_promtool_unit_test(tmp_path: Path) -> None:
    result = promtool(write_rules(tmp_path), "test", "rules", "rules_test.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test() -> None:
    rules = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())["spec"]["groups"]
    alerts = {r["alert"] for group in rules for r in group["rules"] if "alert" in r}
    tests = yaml.safe_load((MONITORING / "rules_test.yaml").read_text())["tests"]
    tested = {case["alertname"] for test in tests for case in test["alert_rule_test"] if case.get("exp_alerts")}
    assert alerts <= tested, f"alerts without a firing unit test: {sorted(alerts - tested)}"


@pytest.mark.parametrize("wrong", [
    ("tts_real_time_factor_bucket", "tts_rtf_bucket"),
    ('stage=~"text_frontend|tts_stream"', 'stage=~"frontend|tts_stream"'),
    ("nv_inference_request_summary_us", "nv_inference_request_summary"),
    ("tts_requests_failed_total", "tts_request_failures_total"),
], ids=["metric", "label", "triton-metric", "failure-counter"])
def test_promtool_unit_tests_fail_when_a_rule_names_a_wrong_series(tmp_path: Path, wrong) -> None:
    text = (MONITORING / "prometheusrule.yaml").read_text().replace(*wrong)
    result = promtool(write_rules(tmp_path, text), "test", "rules", "rules_test.yaml")
    assert result.returncode != 0


# --- a real Prometheus scraping the live test server ---------------------------------------------------------


class Prometheus:
    """prometheus 2.42 on a free port, scraping Triton's metrics every second, with the shipped rules."""

    def __init__(self, directory: Path, metrics_port: int) -> None:
        write_rules(directory)
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": ["rules.yml"],
            "scrape_configs": [{
                "job_name": "tts",
                "static_configs": [{"targets": [f"localhost:{metrics_port}"], "labels": {"namespace": "tts", "pod": "tts-0"}}],
            }],
        }
        (directory / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.url = f"http://127.0.0.1:{free_port()}"
        self.process = subprocess.Popen(
            [require("prometheus"), f"--config.file={directory / 'prometheus.yml'}", f"--storage.tsdb.path={directory / 'data'}",
             f"--web.listen-address={self.url.removeprefix('http://')}", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=open(directory / "prometheus.log", "w"),
        )

    def get(self, path: str, **params: str) -> dict:
        with urllib.request.urlopen(f"{self.url}{path}?{urllib.parse.urlencode(params)}", timeout=10) as response:
            return json.load(response)

    def query(self, expr: str) -> list[dict]:
        return self.get("/api/v1/query", query=expr)["data"]["result"]

    def wait(self, condition, timeout_s: float, what: str):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                value = condition()
                if value:
                    return value
            except OSError:
                pass
            time.sleep(0.5)
        pytest.fail(f"timed out after {timeout_s} s waiting for {what}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def prometheus(triton_server, tmp_path_factory):
    server = Prometheus(tmp_path_factory.mktemp("prometheus"), triton_server.options.metrics_port)
    try:
        server.wait(lambda: server.query('up{job="tts"} == 1'), 60, "Prometheus to scrape Triton")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def traffic(triton_server, prometheus) -> None:
    """After Prometheus' first scrape: good requests with every voice, as many bad ones (unknown voice), a
    stream and a cancelled stream."""
    with TTSClient(triton_server.grpc_url) as client:
        voices = client.voices()
        for k in range(6):
            client.synthesize(f"Monitoring check number {k}.", voices[k % len(voices)])
            with pytest.raises(InvalidRequestError):
                client.synthesize("Hello.", "robot")
        list(client.stream("A streamed monitoring check."))
        stream = client.stream(" ".join(["A streamed line that the listener skips."] * 8))
        next(stream)
        stream.close()  # cancelled: tts_stream_cancelled_total
    time.sleep(3)  # a few scrapes and rule evaluations


def test_prometheus_sees_every_tts_series(prometheus, traffic) -> None:
    for name, _, kind, labels in METRICS.values():
        series = name + ("_bucket" if kind == "HISTOGRAM" else "")
        result = prometheus.query(f'{series}{{namespace="tts"}}')
        assert result, f"no {series} series"
        assert all(set(labels) <= set(r["metric"]) for r in result), f"{series} lacks labels {labels}"
    stages = {r["metric"]["stage"] for r in prometheus.query('tts_stage_compute_seconds_count{namespace="tts"}')}
    assert stages == {"text_frontend", "acoustic", "vocoder", "tts_stream_acoustic", "tts_stream_vocoder"}  # the last two: tts_stream in-process
    refused = prometheus.query('tts_requests_rejected_total{stage="text_frontend", reason="unknown_voice"} > 0')
    assert refused, "the refused requests were not counted under reason unknown_voice"


def test_recording_rules_produce_series(prometheus, traffic) -> None:
    for record in ("namespace:tts_requests:rate5m", "namespace:tts_requests_rejected:rate5m",
                   "namespace:tts_server_errors:rate5m", "namespace:tts_real_time_factor:p95_5m"):
        assert prometheus.wait(lambda: prometheus.query(record), 20, record)


def test_bad_requests_raise_the_rejection_alert_and_not_the_error_alert(prometheus, traffic) -> None:
    def alert_states() -> dict[str, str]:
        return {a["labels"]["alertname"]: a["state"] for a in prometheus.get("/api/v1/alerts")["data"]["alerts"]}

    states = prometheus.wait(lambda: (s := alert_states()).get("TTSRejectionRateHigh") and s, 30, "TTSRejectionRateHigh")
    assert states["TTSRejectionRateHigh"] in ("pending", "firing")
    assert "TTSErrorRateHigh" not in states, "refused requests were counted as server errors"


def dashboard_queries(dashboard: dict) -> list[str]:
    return [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]


def dashboard_problems(prometheus: Prometheus, dashboard: dict) -> list[str]:
    """Queries that do not parse, or (for metrics a live server exports) return no series."""
    problems = []
    for expr in dashboard_queries(dashboard):
        query = expr.replace("$__rate_interval", RATE_INTERVAL)
        try:
            result = prometheus.query(query)
        except urllib.error.HTTPError as exc:
            problems.append(f"{expr}: {exc.read().decode(errors='replace')}")
            continue
        external = any(re.search(rf"\b{prefix}\w+", query) for prefix in EXTERNAL_METRICS)
        if not result and not external:
            problems.append(f"{expr}: no series")
    return problems


def test_every_dashboard_query_returns_data(prometheus, traffic) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert len(dashboard_queries(dashboard)) >= 9
    assert dashboard_problems(prometheus, dashboard) == []


@pytest.mark.parametrize("wrong", [
    ("tts_audio_seconds_total", "tts_audio_seconds"),
    ('stage="text_frontend"', 'stage="frontend"'),
    ("sum by (voice)", "sum by (voice"),
], ids=["metric", "label", "syntax"])
def test_the_dashboard_check_catches_a_wrong_query(prometheus, traffic, wrong) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            target["expr"] = target["expr"].replace(*wrong)
    assert dashboard_problems(prometheus, dashboard)


# --- logs ----------------------------------------------------------------------------------------------------


def request_log_lines(log_path: Path) -> list[dict]:
    lines = []
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"logger":"tts.requests"' in line:
            lines.append(json.loads(line))
    return lines


def test_a_cli_request_is_found_in_the_server_log_by_its_request_id(triton_server, tmp_path: Path) -> None:
    text = "Find me in the log, please."
    result = subprocess.run(
        [str(Path(sys.executable).parent / "tts"), "say", text, "-o", str(tmp_path / "out.wav"), "--server", triton_server.grpc_url],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    request_id = re.search(r"request (\w+)", result.stdout + result.stderr).group(1)

    def line_for_request():
        return [e for e in request_log_lines(triton_server.log_path) if e.get("request_id") == request_id]

    deadline = time.monotonic() + 10
    while not line_for_request() and time.monotonic() < deadline:
        time.sleep(0.2)
    (entry,) = line_for_request()
    assert entry["outcome"] == "ok" and entry["voice"] and entry["audio_seconds"] > 0
    assert entry["characters"] == len(text) and entry["real_time_factor"] > 0
    assert {"frontend_ms", "acoustic_ms", "vocoder_ms", "pipeline_ms"} <= set(entry)
    assert text not in triton_server.log_path.read_text(errors="replace"), "text content was logged"


def test_a_refused_request_is_logged_with_its_reason(triton_server) -> None:
    with TTSClient(triton_server.grpc_url) as client, pytest.raises(InvalidRequestError):
        client.synthesize("Hello.", "robot", request_id="refused-request-check")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        entries = [e for e in request_log_lines(triton_server.log_path) if e.get("request_id") == "refused-request-check"]
        if entries:
            break
        time.sleep(0.2)
    (entry,) = entries
    assert entry["outcome"] == "rejected" and entry["reason"] == "unknown_voice" and "robot" in entry["error"]


def test_a_request_without_an_id_gets_one_server_id_across_its_log_lines(triton_server) -> None:
    before = {e.get("request_id") for e in request_log_lines(triton_server.log_path)}
    text = np.array([["Nobody sent an id with this."]], dtype=object)
    infer(triton_server.http_url.removeprefix("http://"), "tts", {"TEXT": ("BYTES", text)})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        new = [e for e in request_log_lines(triton_server.log_path) if e.get("request_id") not in before]
        if new:
            break
        time.sleep(0.2)
    (entry,) = new
    assert re.fullmatch(r"srv-[0-9a-f]{16}", entry["request_id"]) and entry["outcome"] == "ok"
