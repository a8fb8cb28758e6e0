"""What every dashboard response carries for the browser's protection, and the brake on guessing
passwords: a client that fails basic auth too often is refused for a while."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

from flask import Flask, Response, request

# Dash renders from inline scripts and evaluates clientside callbacks, hence 'unsafe-inline' and
# 'unsafe-eval' for scripts; everything else comes from this origin, and no one may frame it.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# responses that carry figures (callbacks, the CSV export) are never kept by a browser or proxy
DATA_PREFIXES = ("/_dash-update-component", "/_dash-layout", "/export")


def install_security_headers(server: Flask) -> None:
    """Add the protective headers to every response, and no-store to the data responses."""

    def protect(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith(DATA_PREFIXES) or response.mimetype == "application/json":
            response.headers["Cache-Control"] = "no-store"
        return response

    server.after_request(protect)


class FailureThrottle:
    """At most ``limit`` failed logins per client in ``window`` seconds; then refused until the
    oldest failure is older than the window, right password or not."""

    def __init__(
        self, limit: int = 5, window: float = 60.0, clock: Callable[[], float] | None = None
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock or time.monotonic
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> float:
        """Seconds until ``client`` may try again (0: now)."""
        with self._lock:
            failures = self._recent(client)
            if len(failures) < self.limit:
                return 0.0
            return max(0.0, failures[0] + self.window - self.clock())

    def failed(self, client: str) -> None:
        """Count one failed attempt of ``client``."""
        with self._lock:
            self._recent(client).append(self.clock())

    def _recent(self, client: str) -> deque[float]:
        failures = self._failures[client]
        while failures and failures[0] <= self.clock() - self.window:
            failures.popleft()
        return failures
