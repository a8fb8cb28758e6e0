"""A fault-injecting HTTP proxy in front of moto's server: throttles and 5xx as AWS sends them.

Each protocol gets the error body its clients parse: CloudWatch speaks Smithy RPC v2 CBOR (query
compatible), SageMaker and Cost Explorer JSON 1.1, the Bedrock control plane REST-JSON, STS the
query protocol (XML).
"""

from __future__ import annotations

import hashlib
import http.client
import random
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# status, error code, query-protocol code (CloudWatch's x-amzn-query-error), fault kind
THROTTLE = (400, "ThrottlingException", "Throttling;Sender")
UNAVAILABLE = (503, "ServiceUnavailableException", "ServiceUnavailable;Receiver")
INTERNAL = (500, "InternalFailure", "InternalFailure;Receiver")
CREDENTIAL = re.compile(r"Credential=([^/]+/[^/]+/[^/]+/[^/]+)/")  # key id, date, region, service
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
SIGNING_SERVICE = re.compile(r"Credential=[^/]+/\d{8}/[a-z0-9-]+/([a-z0-9-]+)/")
# services whose clients speak REST-JSON (the Bedrock control plane): the error code is a header
REST_JSON = {"bedrock"}
HOP_BY_HOP = {"connection", "transfer-encoding", "content-length", "keep-alive"}


def _cbor_text(value: str) -> bytes:
    data = value.encode()
    assert len(data) < 256
    return (bytes([0x60 | len(data)]) if len(data) < 24 else bytes([0x78, len(data)])) + data


def cbor_error(code: str, message: str) -> bytes:
    """A CBOR map {"__type": code, "message": message} (Smithy RPC v2 errors)."""
    return (
        b"\xa2"
        + _cbor_text("__type")
        + _cbor_text(code)
        + _cbor_text("message")
        + _cbor_text(message)
    )


def error_answer(
    request_headers: Any, fault: tuple[int, str, str]
) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body AWS answers with for ``fault`` in the request's protocol."""
    status, code, query_code = fault
    message = "Rate exceeded" if status == 400 else "Service unavailable"
    content_type = request_headers.get("Content-Type", "")
    if request_headers.get("smithy-protocol") == "rpc-v2-cbor":
        headers = {
            "Content-Type": "application/cbor",
            "smithy-protocol": "rpc-v2-cbor",
            "x-amzn-query-error": query_code,
        }
        return status, headers, cbor_error(code, message)
    signed_for = SIGNING_SERVICE.search(request_headers.get("Authorization", ""))
    if signed_for and signed_for[1] in REST_JSON:
        body = f'{{"message": "{message}"}}'.encode()
        return status, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, body
    if content_type.startswith("application/x-amz-json"):
        body = f'{{"__type": "{code}", "message": "{message}"}}'.encode()
        return status, {"Content-Type": content_type, "x-amzn-ErrorType": code}, body
    xml_code = query_code.split(";")[0]
    body = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{xml_code}</Code>"
        f"<Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
    ).encode()
    return status, {"Content-Type": "text/xml"}, body


def operation_of(path: str, headers: Any, body: bytes) -> str:
    """The API operation a request calls, whatever its protocol."""
    target = headers.get("X-Amz-Target")
    if target:
        return str(target).rsplit(".", 1)[-1]
    if "/operation/" in path:
        return path.rsplit("/", 1)[-1]
    action = parse_qs(body.decode(errors="replace")).get("Action") or parse_qs(
        urlsplit(path).query
    ).get("Action")
    return action[0] if action else "?"


@dataclass
class FaultProxy:
    """Forwards to ``upstream``; answers a seeded ``fraction`` of requests with one of ``kinds``.

    A request is faulted at most ``max_in_a_row`` times running (retries of one call look alike),
    so a client that retries more often than that always gets through. ``storm_region`` answers
    every request signed for that region with ``storm`` (a region that is down).
    """

    upstream: str
    fraction: float = 0.0
    kinds: tuple[tuple[int, str, str], ...] = (THROTTLE,)
    max_in_a_row: int = 2
    storm_region: str | None = None
    storm: tuple[int, str, str] = UNAVAILABLE
    seed: int = 17
    requests: Counter = field(default_factory=Counter)  # (region, operation) -> requests
    faults: Counter = field(default_factory=Counter)  # (region, operation) -> faulted requests

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 - fault injection, not security
        self._running: Counter = Counter()
        self._lock = threading.Lock()

    def _decide(self, region: str, operation: str, body_hash: str) -> tuple[int, str, str] | None:
        with self._lock:
            self.requests[(region, operation)] += 1
            fault: tuple[int, str, str] | None = None
            if region == self.storm_region:
                fault = self.storm
            elif (
                self._running[body_hash] < self.max_in_a_row
                and self._random.random() < self.fraction
            ):
                fault = self._random.choice(self.kinds)
            self._running[body_hash] = self._running[body_hash] + 1 if fault else 0
            if fault:
                self.faults[(region, operation)] += 1
            return fault

    def start(self) -> FaultProxy:
        """Listen on a free loopback port, in a thread."""
        proxy = self
        upstream = urlsplit(self.upstream)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                scope = SCOPE.search(self.headers.get("Authorization", ""))
                region = scope.group(1) if scope else "?"
                operation = operation_of(self.path, self.headers, body)
                # one call's retries look alike; the same call of another account or region (run
                # beside it by another worker) is another call: the signing credential tells them
                # apart
                credential = CREDENTIAL.search(self.headers.get("Authorization", ""))
                signer = credential.group(1) if credential else ""
                digest = hashlib.sha256(signer.encode() + self.path.encode() + body).hexdigest()
                fault = proxy._decide(region, operation, digest)
                if fault:
                    status, headers, answer = error_answer(self.headers, fault)
                else:
                    status, headers, answer = proxy._forward(
                        upstream, self.command, self.path, self.headers, body
                    )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle  # noqa: N815 - http.server's names

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @staticmethod
    def _forward(
        upstream: Any, method: str, path: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        try:
            forwarded = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
            connection.request(method, path, body=body, headers=forwarded)
            response = connection.getresponse()
            answer = response.read()
            kept = {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP}
            return response.status, kept, answer
        finally:
            connection.close()

    @property
    def url(self) -> str:
        """Where clients should send their requests (AWS_ENDPOINT_URL)."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        """Stop listening."""
        self.server.shutdown()
        self.server.server_close()
