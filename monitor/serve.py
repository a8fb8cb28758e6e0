"""Serving the dashboard for real: gunicorn's worker processes, or waitress's threads in one.

gunicorn (Linux, macOS) runs ``workers`` processes of ``threads`` threads each; every worker
builds its own app (engines and pools are never shared across a fork). The view cache's
filesystem directory, when the config names none, is made here, before the workers start, so
they all share it, and removed when the server stops. waitress is the fallback: one process
(``workers`` is ignored), ``threads`` threads, the same app.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

from core.serve_settings import DashboardCacheConfig, DashboardServerConfig

log = logging.getLogger(__name__)

# builds the dashboard's WSGI app given the cache directory the workers share (or None)
AppFactory = Callable[[str | None], Flask]


@contextmanager
def shared_cache_dir(cache: DashboardCacheConfig) -> Iterator[str | None]:
    """A temporary directory for the filesystem cache when none is configured, removed after."""
    if cache.type != "filesystem" or cache.dir is not None:
        yield None
        return
    directory = tempfile.mkdtemp(prefix="genai-monitor-cache-")
    owner = os.getpid()
    try:
        yield directory
    finally:
        # a gunicorn worker leaves through here too (it is a fork): only the server removes it
        if os.getpid() == owner:
            shutil.rmtree(directory, ignore_errors=True)


def bind_address(host: str, port: int) -> str:
    """``host:port`` as gunicorn binds it (an IPv6 address in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def gunicorn_options(settings: DashboardServerConfig, host: str, port: int) -> dict[str, Any]:
    """gunicorn's settings for the dashboard: threaded workers, logs on standard error."""
    return {
        "bind": [bind_address(host, port)],
        "workers": settings.worker_count(),
        "threads": settings.threads,
        "worker_class": "gthread",
        "timeout": settings.timeout,
        "graceful_timeout": min(settings.timeout, 30),
        "proc_name": "genai-monitor-dashboard",
        "errorlog": "-",
        "loglevel": "warning",
        "accesslog": None,
        # gunicorn 25+ opens a control socket in ~/.gunicorn by default: one path for every server
        # of the user (tests, replicas on one host); the dashboard needs none
        "control_socket_disable": True,
    }


def serve_dashboard(
    factory: AppFactory,
    server: DashboardServerConfig,
    cache: DashboardCacheConfig,
    host: str,
    port: int,
) -> None:
    """Serve the app ``factory`` builds on ``host:port`` until the process is stopped."""
    with shared_cache_dir(cache) as directory:
        if server.kind == "gunicorn":
            try:
                run_gunicorn(lambda: factory(directory), gunicorn_options(server, host, port))
                return
            except ImportError:  # Windows: gunicorn needs fork
                log.warning("gunicorn is not available here; serving with waitress")
        from waitress import serve as waitress_serve

        # waitress leaves SIGTERM to its default (death on the spot): exit through the
        # ``finally`` that removes the cache directory instead
        signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(0))
        waitress_serve(
            factory(directory),
            host=host,
            port=port,
            threads=server.threads,
            channel_timeout=server.timeout,
            ident="genai-cost-monitor",
        )


def run_gunicorn(load: Callable[[], Flask], options: dict[str, Any]) -> None:
    """Run gunicorn's arbiter with ``options``; each worker calls ``load`` after it forks."""
    from gunicorn.app.base import BaseApplication

    class DashboardServer(BaseApplication):  # type: ignore[misc]
        """gunicorn configured from the monitor's settings, never from the command line."""

        def load_config(self) -> None:
            for name, value in options.items():
                self.cfg.set(name, value)

        def load(self) -> Flask:
            return load()

    DashboardServer().run()
