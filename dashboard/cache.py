"""The shared cache of page views: twenty people opening the same page with the same filters run
its queries once.

A view's result is kept under a key made of the page, its (already scoped) filters, what the
viewer may see and do (role, teams, groups: never one team's figures for another), today's date
and the data version (`core.queries.data_version`, read once per callback), so a loaded window
makes every older entry unreachable; ``timeout_seconds`` bounds what the version does not track.
The backend is Flask-Caching's: filesystem (shared by the server's worker processes), simple (in
one process) or redis (shared by replicas).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app
from flask_caching import Cache

from core.queries.data_version import data_version
from core.serve_settings import DashboardCacheConfig
from dashboard.access import Viewer, current_viewer
from dashboard.context import DashboardContext
from dashboard.filters import Filters

log = logging.getLogger(__name__)

CACHE_EXTENSION = "genai_monitor_cache"
LOCK = "-rendering"
# a request that finds the same view being rendered waits this long for it, then renders itself
RENDER_WAIT_SECONDS = 30
POLL_SECONDS = 0.05
T = TypeVar("T")
View = Callable[[DashboardContext, Filters], T]


def cache_config(settings: DashboardCacheConfig, directory: str | None = None) -> dict[str, Any]:
    """Flask-Caching's config for ``settings``; ``directory`` is where a filesystem cache lives
    when the settings name none (the server makes one its workers share)."""
    common: dict[str, Any] = {
        "CACHE_DEFAULT_TIMEOUT": settings.timeout_seconds,
        "CACHE_KEY_PREFIX": "gcm-view-",
    }
    if settings.type == "simple":
        return common | {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": settings.max_entries}
    if settings.type == "redis":
        return common | {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": settings.redis_url}
    folder = settings.dir or directory
    if folder is None:  # an app made outside the server (tests, tools): in this process only
        return common | {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": settings.max_entries}
    return common | {
        "CACHE_TYPE": "FileSystemCache",
        "CACHE_DIR": folder,
        "CACHE_THRESHOLD": settings.max_entries,
    }


def install_cache(
    server: Flask, settings: DashboardCacheConfig, directory: str | None = None
) -> Cache | None:
    """Attach the view cache to ``server`` (none when ``type: none``)."""
    if settings.type == "none":
        return None
    cache = Cache(config=cache_config(settings, directory))
    cache.init_app(server)
    server.extensions[CACHE_EXTENSION] = cache
    return cache


def view_key(page: str, filters: Filters, viewer: Viewer, day: str, version: str) -> str:
    """The cache key of one view: everything its result depends on, hashed."""
    scope = {
        "page": page,
        "filters": repr(filters),
        "role": viewer.role,
        "teams": None if viewer.teams is None else sorted(viewer.teams),
        "groups": sorted(viewer.groups),  # who may act changes what the Waste page shows
        "day": day,
        "version": version,
    }
    digest = hashlib.sha256(json.dumps(scope, sort_keys=True).encode()).hexdigest()
    return f"{page}-{digest}"


def cached_view(page: str, view: View[T]) -> View[T]:
    """``view``, answered from the app's cache when the same scope was rendered at this version;
    of several requests that miss together, one renders and the others wait for its result."""

    def answer(context: DashboardContext, filters: Filters) -> T:
        cache: Cache | None = current_app.extensions.get(CACHE_EXTENSION)
        if cache is None:
            return view(context, filters)
        with context.sessions() as session:
            version = data_version(session)
        key = view_key(page, filters, current_viewer(), context.today().isoformat(), version)
        try:
            found: T | None = cache.get(key)
            if found is not None:
                return found
            # one renderer per key: twenty people opening the same cold page run it once
            if not cache.add(key + LOCK, 1, timeout=RENDER_WAIT_SECONDS):
                found = _wait_for(cache, key)
                if found is not None:
                    return found
        except Exception as exc:  # noqa: BLE001 - any backend's failure (Redis down, disk full) costs speed, never the page
            log.warning("dashboard cache unavailable (%s); rendering without it", exc)
            return view(context, filters)
        try:
            result = view(context, filters)
            _keep(cache, key, result)
        finally:
            _release(cache, key)
        return result

    return answer


def _wait_for(cache: Cache, key: str) -> Any:
    """The result another request is rendering, once it is kept (None if it takes too long)."""
    deadline = time.monotonic() + RENDER_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        found = cache.get(key)
        if found is not None:
            return found
        if not cache.has(key + LOCK):  # the renderer failed: render here
            return None
    return None


def _keep(cache: Cache, key: str, result: Any) -> None:
    try:
        cache.set(key, result)
    except Exception as exc:  # noqa: BLE001 - as above
        log.warning("dashboard cache unavailable (%s); result not kept", exc)


def _release(cache: Cache, key: str) -> None:
    try:
        cache.delete(key + LOCK)
    except Exception as exc:  # noqa: BLE001 - as above
        log.warning("dashboard cache unavailable (%s); render lock left to expire", exc)
