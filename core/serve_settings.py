"""How the dashboard is served: `dashboard.server` (the WSGI server) and `dashboard.cache`."""

from __future__ import annotations

import os
import re
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_AUTO_WORKERS = 8


def auto_workers() -> int:
    """Workers for this machine when none are configured: one per CPU plus one, at most 8."""
    return min((os.cpu_count() or 1) + 1, MAX_AUTO_WORKERS)


class DashboardServerConfig(BaseModel):
    """`dashboard.server`: the WSGI server, its processes and threads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # gunicorn: several processes (Linux, macOS); waitress: one process of threads (any OS)
    kind: Literal["gunicorn", "waitress"] = "gunicorn"
    workers: int | None = Field(default=None, ge=1, le=64)  # absent: CPUs + 1, at most 8
    threads: int = Field(default=4, ge=1, le=64)  # per worker
    timeout: int = Field(default=60, ge=1, le=3600)  # seconds a request may take

    def worker_count(self) -> int:
        """The configured workers, else as many as suit this machine."""
        return self.workers or auto_workers()


class DashboardCacheConfig(BaseModel):
    """`dashboard.cache`: where page callbacks' results are kept, keyed by filters, viewer scope
    and data version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # filesystem: shared by the server's workers (absent dir: a private temporary directory per
    # server start); simple: in each process; redis: shared by every replica; none: no cache
    type: Literal["filesystem", "simple", "redis", "none"] = "filesystem"
    dir: str | None = None
    redis_url: str | None = None
    timeout_seconds: int = Field(default=300, ge=1, le=86400)  # the longest a result is kept
    max_entries: int = Field(default=2000, ge=10, le=1_000_000)  # simple and filesystem

    @model_validator(mode="after")
    def _backend(self) -> Self:
        if self.type == "redis" and not self.redis_url:
            raise ValueError("cache type redis needs redis_url (redis://host:6379/0)")
        if self.redis_url is not None and not re.match(r"^rediss?://", self.redis_url):
            raise ValueError(f"redis_url: expected redis://host:port/db, got {self.redis_url!r}")
        return self
