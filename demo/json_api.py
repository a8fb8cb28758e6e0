"""A loopback HTTP server speaking AWS's JSON 1.1 protocol, for the stand-ins of what moto lacks.

A request is a POST whose ``X-Amz-Target: <Service>.<Operation>`` header names the operation
and whose body is the JSON of its parameters; the answer is JSON, an error being
``{"__type": "<Code>", "message": ...}`` with a 4xx status, which botocore turns into the
service's modelled exception.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# (operation, request body) -> (HTTP status, answer document)
Answerer = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]


def _handler(answerer: Answerer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"] or 0)) or b"{}")
            operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
            status, document = answerer(operation, body)
            data = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:
            return  # one line per request otherwise

    return Handler


@contextmanager
def json_api_server(answerer: Answerer) -> Iterator[str]:
    """Serve ``answerer`` on a free loopback port until the block ends; yields the URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(answerer))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
