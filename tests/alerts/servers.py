"""Real local servers standing in for Slack, PagerDuty, webhooks and SMTP."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class HttpRecorder:
    """An HTTP server on a free loopback port that records every POST and answers ``status``.

    ``delay``: seconds it works on a request before answering (it has processed it by then).
    ``dedup``: a request whose Idempotency-Key it processed before is answered at once, not
    processed again. ``intervals``: (arrived, answered) monotonic times of every request.
    """

    status: int = 200
    delay: float = 0.0
    dedup: bool = False
    requests: list[Received] = field(default_factory=list)
    failures: int = 0  # requests answered with an error status
    dropped: int = 0  # requests recognised by their Idempotency-Key and not processed again
    intervals: list[tuple[float, float]] = field(default_factory=list)

    def start(self) -> HttpRecorder:
        recorder = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                arrived = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status = recorder.status
                key = self.headers.get("Idempotency-Key")
                with lock:
                    seen = recorder.dedup and key in {
                        r.headers.get("Idempotency-Key") for r in recorder.requests
                    }
                    if status >= 300:
                        recorder.failures += 1
                    elif seen:
                        recorder.dropped += 1
                    else:
                        recorder.requests.append(
                            Received(self.path, dict(self.headers), json.loads(raw or b"null"))
                        )
                if not seen:
                    time.sleep(recorder.delay)
                with lock:
                    recorder.intervals.append((arrived, time.monotonic()))
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"status": "success"}')
                except OSError:
                    pass  # the client gave up waiting: what it sent was processed all the same

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
