"""Receivers that can be down, fail or act while a delivery is in flight: HTTP and SMTP."""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A loopback port nobody listens on (a receiver that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def message_key(headers: Any, body: Any) -> str:
    """What identifies one message on each channel: its Idempotency-Key, else its content."""
    key = headers.get("Idempotency-Key")
    if key:
        return str(key)
    return json.dumps(body, sort_keys=True)


@dataclass
class Receiver:
    """An HTTP receiver on ``port`` (a free one if 0) answering ``status``.

    ``during`` runs inside the handler of every request before it answers: a fault injected
    while a delivery is in flight. Answered-2xx requests are counted per message key, so a
    receiver that deduplicates by that key would process each once.
    """

    port: int = 0
    status: int = 200
    during: Callable[[int], None] | None = None
    keys: Counter = field(default_factory=Counter)
    requests: int = 0
    failures: int = 0
    in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Receiver:
        """Listen and answer in a thread."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                with receiver.lock:
                    receiver.requests += 1
                    receiver.in_flight += 1
                    number = receiver.requests
                try:
                    if receiver.during:
                        receiver.during(number)
                    with receiver.lock:
                        if receiver.status >= 300:
                            receiver.failures += 1
                        else:
                            receiver.keys[message_key(self.headers, body)] += 1
                    self.send_response(receiver.status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"status": "ok"}')
                finally:
                    with receiver.lock:
                        receiver.in_flight -= 1

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        """Where it listens."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def duplicates(self) -> int:
        """Messages processed more than once, had the receiver not deduplicated."""
        return sum(count - 1 for count in self.keys.values())

    def stop(self) -> None:
        """Stop listening."""
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Mailbox:
    """An SMTP server on ``port`` answering the DATA command with ``reply``; keeps what it accepted."""

    port: int
    reply: str = "250 OK"
    keys: Counter = field(default_factory=Counter)
    refused: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        """Accept (counting by Message-ID) or refuse with ``reply``."""
        if not self.reply.startswith("2"):
            self.refused += 1
            return self.reply
        self.keys[str(message_from_bytes(envelope.content)["Message-ID"])] += 1
        return "250 OK"

    def start(self) -> Mailbox:
        """Listen in a thread."""
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        self.controller.stop()
