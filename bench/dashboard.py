"""Dashboard benchmark: does a view's cost follow the window shown, not the history stored?

Two scratch Postgres databases are seeded with 90 and with 900 days of history (50 models x 3
regions of hourly Bedrock usage, 40 SageMaker endpoints hour by hour, daily Cost Explorer lines
for 8 teams, budgets and alerts). Each page's main callback (the function the Dash callback
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
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from core.db import make_engine, session_factory, upsert  # noqa: E402
from core.models import Alert, BedrockUsageHourly, Budget, CostDaily, Endpoint, EndpointHourly  # noqa: E402
from core.settings import parse_config  # noqa: E402
from dashboard.app import AuthSettings, create_app  # noqa: E402
from dashboard.context import EXTENSION, DashboardContext  # noqa: E402
from dashboard.filters import parse_filters  # noqa: E402
from monitor.migrate import upgrade  # noqa: E402

ADMIN_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
NOW = datetime(2026, 6, 17, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
MODELS = [f"vendor.model-{index:02d}-v1:0" for index in range(50)]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
ACCOUNTS = ["111111111111", "222222222222", "333333333333"]
TEAMS = [f"team-{index}" for index in range(7)] + ["unattributed"]
SERVICES = ["Amazon Bedrock", "Amazon SageMaker", "Claude 3.5 Sonnet (Amazon Bedrock Edition)"]
ENDPOINTS = 40
VIEW_DAYS = 30
CONFIG = parse_config(
    "regions: [us-east-1, us-west-2, eu-west-1]\n"
    "teams:\n"
    + "".join(
        f"  - {{name: {team}, monthly_budget_usd: 20000}}\n"
        for team in TEAMS
        if team != "unattributed"
    )
    + "alerts:\n  rules:\n    - {kind: idle_endpoint, for: 24h}\n"
)


def bedrock_rows(first_hour: datetime, hours: int) -> Iterator[dict[str, Any]]:
    """Every model in every region for every hour: the hourly table at its fullest."""
    for offset in range(hours):
        hour = first_hour + timedelta(hours=offset)
        for model_index, model in enumerate(MODELS):
            team = TEAMS[model_index % len(TEAMS)]
            account = ACCOUNTS[model_index % len(ACCOUNTS)]
            for region_index, region in enumerate(REGIONS):
                calls = 5 + (model_index * 7 + region_index * 3 + offset) % 40
                yield {
                    "account_id": account,
                    "region": region,
                    "model_id": model,
                    "hour": hour,
                    "base_model_id": model,
                    "team": team,
                    "invocations": calls,
                    "input_tokens": calls * 900,
                    "output_tokens": calls * 150,
                    "cache_read_tokens": calls * 20,
                    "cache_write_tokens": calls,
                    "client_errors": int(calls % 3 == 0),
                    "server_errors": 0,
                    "throttles": int(calls % 11 == 0),
                    "latency_ms_avg": 700.0,
                    "estimated_cost_usd": Decimal(calls * 9) / 1000,
                    "priced": True,
                    "provisional": False,
                    "collected_at": NOW,
                }


def endpoint_rows(ids: list[int], first_hour: datetime, hours: int) -> Iterator[dict[str, Any]]:
    """Every endpoint every hour; the last two have had no call for ten days."""
    idle_since = NOW - timedelta(days=10)
    for offset in range(hours):
        hour = first_hour + timedelta(hours=offset)
        for index, endpoint_id in enumerate(ids):
            idle = index >= len(ids) - 2 and hour >= idle_since
            yield {
                "endpoint_id": endpoint_id,
                "hour": hour,
                "status": "InService",
                "instance_type": "ml.g5.xlarge",
                "instance_count": 1,
                "service_hours": Decimal(1),
                "invocations": 0 if idle else 10 + index,
                "component_invocations": 0,
                "estimated_cost_usd": Decimal("1.408"),
                "priced": True,
                "collected_at": NOW,
            }


def seed(url: str, days: int) -> float:
    """Fill a migrated database with ``days`` of history ending at NOW; returns seconds taken."""
    started = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    first_day = TODAY - timedelta(days=days - 1)
    first_hour = datetime.combine(first_day, datetime.min.time(), tzinfo=UTC)
    hours = int((NOW - first_hour).total_seconds() // 3600)
    with sessions.begin() as session:
        upsert(session, BedrockUsageHourly, bedrock_rows(first_hour, hours))
    with sessions.begin() as session:
        upsert(
            session,
            Endpoint,
            [
                {
                    "account_id": ACCOUNTS[index % 3],
                    "region": REGIONS[index % 3],
                    "endpoint_name": f"endpoint-{index:02d}",
                    "created_at": first_hour,
                    "endpoint_type": "real-time",
                    "status": "InService",
                    "team": TEAMS[index % len(TEAMS)],
                    "tags": {},
                    "variants": [
                        {"name": "AllTraffic", "instance_type": "ml.g5.xlarge", "instance_count": 1}
                    ],
                    "inference_components": [],
                    "async_inference": None,
                    "multi_model": False,
                    "scales_to_zero": False,
                    "last_seen_at": NOW,
                    "endpoint_arn": None,
                    "endpoint_config_name": None,
                    "last_modified_at": None,
                    "deleted_at": None,
                }
                for index in range(ENDPOINTS)
            ],
            key=["account_id", "region", "endpoint_name", "created_at"],
        )
        ids = [
            row[0]
            for row in session.execute(text("SELECT id FROM endpoints ORDER BY endpoint_name"))
        ]
        upsert(session, EndpointHourly, endpoint_rows(ids, first_hour, hours))
    with sessions.begin() as session:
        upsert(session, CostDaily, cost_rows(first_day, days))
        periods = sorted(
            {
                f"{d.year:04d}-{d.month:02d}"
                for d in (first_day + timedelta(days=n) for n in range(days))
            }
        )
        upsert(
            session,
            Budget,
            [
                {
                    "team": team,
                    "service": "all",
                    "period": period,
                    "amount_usd": Decimal(20000),
                    "updated_at": NOW,
                }
                for team in TEAMS[:-1]
                for period in periods
            ],
        )
        session.add_all(alerts(first_day, days))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def cost_rows(first_day: date, days: int) -> Iterator[dict[str, Any]]:
    """One bill line per day, team and service."""
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        for team_index, team in enumerate(TEAMS):
            for service_index, service in enumerate(SERVICES):
                amount = Decimal(100 + team_index * 20 + service_index * 5 + offset % 9)
                yield {
                    "day": day,
                    "account_id": ACCOUNTS[team_index % 3],
                    "service": service,
                    "usage_group": "all",
                    "team": team,
                    "amount_usd": amount,
                    "amortized_usd": None,
                    "estimated": False,
                    "collected_at": NOW,
                }


def alerts(first_day: date, days: int) -> list[Alert]:
    """Two resolved alert episodes a day over the history, and a few open ones now."""
    rows = []
    for offset in range(days):
        opened = datetime.combine(
            first_day + timedelta(days=offset), datetime.min.time(), tzinfo=UTC
        ) + timedelta(hours=3)
        for index in range(2):
            open_now = offset >= days - 2
            rows.append(
                Alert(
                    rule="idle_endpoint",
                    subject=f"{ACCOUNTS[0]}/us-east-1/endpoint-{(offset + index) % ENDPOINTS:02d}",
                    opened_at=opened + timedelta(hours=index),
                    team=TEAMS[index],
                    severity="warning",
                    state="firing" if open_now else "resolved",
                    active_since=opened,
                    fired_at=opened,
                    last_seen_at=opened,
                    last_notified_at=None,
                    resolved_at=None if open_now else opened + timedelta(hours=20),
                    silenced_until=None,
                    message="idle",
                    details={},
                )
            )
    return rows


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
