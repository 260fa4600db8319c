"""The baseline users pick instead of Triton (the shape of Coqui's and Piper's servers): one HTTP endpoint,
one request at a time, the same pipeline in-process (default runtime) using every core.

Run: python -m loadtests.naive_server --port 18080   then POST {"text": ..., "voice": ...} to /synthesize
(response: float32 samples; header X-Sample-Rate).
"""

from __future__ import annotations

import argparse
import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

from serving.paths import DEFAULT_VOICE_DIR
from triton_tts.errors import InvalidRequest
from triton_tts.offline import Synthesizer


def make_handler(synthesizer: Synthesizer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            try:
                audio = synthesizer.synthesize([body["text"]], [body.get("voice")])[0]
            except InvalidRequest as exc:
                self.send_error(400, str(exc))
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("X-Sample-Rate", str(synthesizer.sample_rate))
            self.send_header("Content-Length", str(audio.nbytes))
            self.end_headers()
            self.wfile.write(audio.tobytes())

        def log_message(self, *args) -> None:
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=18080)
    args = parser.parse_args()
    synthesizer = Synthesizer.load(DEFAULT_VOICE_DIR, threads=os.cpu_count() or 1)  # all cores for its one request
    synthesizer.synthesize(["Warm up."])
    HTTPServer(("localhost", args.port), make_handler(synthesizer)).serve_forever()  # single-threaded


if __name__ == "__main__":
    main()
