"""serving.drain without a server: what counts as in flight, and when the wait ends."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from serving.drain import drain, in_flight

SCRAPE = """# HELP nv_inference_pending_request_count Instantaneous number of pending requests awaiting execution per-model.
nv_inference_pending_request_count{model="tts",version="1"} 0
nv_inference_pending_request_count{model="acoustic",version="1"} 2
tts_requests_in_progress{stage="vocoder"} 1
tts_requests_in_progress{stage="tts_stream"} 3
tts_requests_total{voice="en_us_joe"} 40
nv_inference_count{model="acoustic",version="1"} 17
"""


def test_in_flight_counts_queued_computing_and_streaming_requests_only() -> None:
    assert in_flight(SCRAPE) == 6
    assert in_flight(SCRAPE.replace(" 2\n", " 0\n").replace(" 1\n", " 0\n").replace(" 3\n", " 0\n")) == 0


def serve_scrapes(scrapes: list[str]) -> HTTPServer:
    """A metrics endpoint answering each scrape with the next text (the last one for ever)."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = (scrapes.pop(0) if len(scrapes) > 1 else scrapes[0]).encode()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_drain_creates_the_file_and_waits_until_quiet(tmp_path: Path) -> None:
    busy, idle = "tts_requests_in_progress{stage=\"acoustic\"} 1\n", "tts_requests_in_progress{stage=\"acoustic\"} 0\n"
    scrapes = [busy, busy, idle, idle, busy, idle]  # two quiet scrapes between busy ones are not enough
    server = serve_scrapes(scrapes)
    url = f"http://127.0.0.1:{server.server_port}/metrics"
    try:
        assert drain(url, tmp_path / "run" / "draining", timeout_s=10, poll_s=0.01, quiet_polls=3)
        assert scrapes == [idle]  # it read past the last busy scrape
        assert (tmp_path / "run" / "draining").exists()
    finally:
        server.shutdown()


def test_drain_times_out_while_requests_stay_in_flight(tmp_path: Path) -> None:
    server = serve_scrapes(["tts_requests_in_progress{stage=\"tts_stream\"} 2\n"])
    try:
        assert not drain(f"http://127.0.0.1:{server.server_port}/metrics", tmp_path / "draining", timeout_s=0.3, poll_s=0.01)
    finally:
        server.shutdown()


def test_a_server_whose_metrics_do_not_answer_has_nothing_to_drain(tmp_path: Path) -> None:
    assert drain("http://127.0.0.1:9/metrics", tmp_path / "draining", timeout_s=5)
