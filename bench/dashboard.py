"""Dashboard benchmark: does a view's cost follow the window shown, not the history stored?

Two scratch Postgres databases are seeded with 90 and with 900 days of history of the large
organisation of `demo.scale` (50 models x 3 regions of hourly Bedrock usage, 40 SageMaker
endpoints hour by hour, daily Cost Explorer lines for 8 teams, budgets and alerts). Each page's main callback (the function the Dash callback
calls: query + render) is then timed for the same 30-day view on both, the two databases
interleaved round by round so drift on this shared machine hits both alike. Printed: p50 and
p95 per page side by side, and the 900/90 p95 ratio (target <= 1.3).

Usage: python bench/dashboard.py [--rounds N] [--short-days 90] [--long-days 900]
Postgres: BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from core.db import make_engine, session_factory  # noqa: E402
from dashboard.app import AuthSettings, create_app  # noqa: E402
from dashboard.context import EXTENSION, DashboardContext  # noqa: E402
from dashboard.filters import parse_filters  # noqa: E402
from demo import scale  # noqa: E402
from demo.scale import NOW, TODAY  # noqa: E402
from monitor.migrate import upgrade  # noqa: E402

ADMIN_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
VIEW_DAYS = 30
CONFIG = scale.config()


def seed(url: str, days: int) -> float:
    """Fill a migrated database with ``days`` of the large organisation; returns seconds taken."""
    started = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    scale.seed(session_factory(engine), days)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def main() -> None:
    """Seed both databases, time every page's main callback on both, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="timed calls per page and database")
    parser.add_argument("--short-days", type=int, default=90)
    parser.add_argument("--long-days", type=int, default=900)
    args = parser.parse_args()
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    names = {
        days: f"gcm_bench_dash_{days}_{uuid.uuid4().hex[:6]}"
        for days in (args.short_days, args.long_days)
    }
    urls: dict[int, str] = {}
    try:
        for days, name in names.items():
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            urls[days] = admin.url.set(database=name).render_as_string(hide_password=False)
            print(f"seeding {days} days of history ...", flush=True)
            print(f"  seeded {days} days in {seed(urls[days], days):.0f}s", flush=True)
        contexts: dict[int, DashboardContext] = {}
        for days, url in urls.items():
            app = create_app(url, CONFIG, auth=AuthSettings(), clock=lambda: NOW)
            contexts[days] = app.server.extensions[EXTENSION]
        view = parse_filters(
            {
                "start": (TODAY - timedelta(days=VIEW_DAYS - 1)).isoformat(),
                "end": TODAY.isoformat(),
            },
            TODAY,
        )
        pages: dict[str, Callable[[DashboardContext], Any]] = {}
        for name in ("overview", "teams", "bedrock", "endpoints", "weekly", "alerts"):
            module = importlib.import_module(f"dashboard.pages.{name}")
            filters = (
                parse_filters(
                    {
                        "start": view.start.isoformat(),
                        "end": view.end.isoformat(),
                        "team": "team-1",
                    },
                    TODAY,
                )
                if name == "teams"
                else view
            )
            pages[name] = lambda context, module=module, filters=filters: module.view(
                context, filters
            )
        timings: dict[tuple[str, int], list[float]] = {}
        for page, call in pages.items():
            for context in contexts.values():
                call(context)  # warm the caches and the connection pool
            for _round in range(args.rounds):
                for days, context in contexts.items():
                    started = time.perf_counter()
                    call(context)
                    timings.setdefault((page, days), []).append(
                        (time.perf_counter() - started) * 1000
                    )
        short, long = args.short_days, args.long_days
        print(
            f"\nmain callback of each page, the same {VIEW_DAYS}-day view, {args.rounds} calls each (ms; target: {long}d p95 <= 1.3 x {short}d p95)"
        )
        print(
            f"{'page':<11}{f'{short}d p50':>10}{f'{short}d p95':>10}{f'{long}d p50':>11}{f'{long}d p95':>11}{'p95 ratio':>11}"
        )
        worst = 0.0
        for page in pages:
            a, b = timings[(page, short)], timings[(page, long)]
            ratio = percentile(b, 0.95) / percentile(a, 0.95)
            worst = max(worst, ratio)
            print(
                f"{page:<11}{statistics.median(a):>10.1f}{percentile(a, 0.95):>10.1f}{statistics.median(b):>11.1f}{percentile(b, 0.95):>11.1f}{ratio:>11.2f}"
            )
        print(
            f"worst p95 ratio {worst:.2f} ({'meets' if worst <= 1.3 else 'misses'} the 1.3 target)"
        )
    finally:
        for name in names.values():
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
