"""The storage upkeep of `migrate` and `run`: partitions ahead, retention from the config."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from core.db import make_engine, session_factory, upsert
from core.models import BedrockUsageHourly
from core.partitions import (
    HOURLY_TABLES,
    MONTHS_AHEAD,
    add_months,
    month_start,
    monthly_partitions,
)
from core.settings import parse_config
from core.timeutil import utcnow
from monitor.maintenance import maintain
from monitor.migrate import upgrade
from monitor.scheduler import MAINTENANCE_JOB, job_specs

NOW = datetime(2026, 11, 20, 13, tzinfo=UTC)


def test_run_maintains_daily_and_at_start():
    config = parse_config("")
    spec = {s.id: s for s in job_specs(config, {})}[MAINTENANCE_JOB]
    assert spec.interval == timedelta(days=1) and spec.run_at_start


def _row(hour: datetime) -> dict:
    return {
        "account_id": "123456789012",
        "region": "us-east-1",
        "model_id": "amazon.nova-lite-v1:0",
        "hour": hour,
        "base_model_id": "amazon.nova-lite-v1:0",
        "team": "search",
        "invocations": 3,
        "estimated_cost_usd": Decimal("0.25"),
        "priced": True,
        "collected_at": NOW,
    }


def test_the_maintenance_applies_the_configured_retention(engine):
    old = [NOW - timedelta(days=days) for days in (700, 400, 95)]
    recent = [NOW - timedelta(days=days) for days in (40, 1)]
    with session_factory(engine).begin() as session:
        upsert(session, BedrockUsageHourly, [_row(hour) for hour in old + recent])
    config = parse_config("retention: {bedrock_usage_hourly: 60d}")
    assert maintain(engine, config, lambda: NOW) == "succeeded"
    with engine.connect() as connection:
        kept = connection.execute(select(BedrockUsageHourly.hour).order_by("hour")).scalars()
        assert list(kept) == recent
        if engine.dialect.name == "postgresql":
            months = monthly_partitions(connection, "bedrock_usage_hourly")
            # the months the old rows fell in were made from the default partition, then dropped
            assert min(months) == month_start(recent[0])
            assert add_months(month_start(NOW), MONTHS_AHEAD) in months


@pytest.mark.parametrize("scratch_database_url", ["postgres"], indirect=True)
def test_migrate_creates_the_months_ahead_even_with_no_migration_pending(scratch_database_url):
    engine = make_engine(scratch_database_url)
    upgrade(engine)
    last = add_months(month_start(utcnow()), MONTHS_AHEAD)
    with engine.begin() as connection:
        for table in HOURLY_TABLES:
            connection.execute(text(f"DROP TABLE {table}_p{last:%Y%m}"))
    upgrade(engine)
    with engine.connect() as connection:
        for table in HOURLY_TABLES:
            assert last in monthly_partitions(connection, table)
        count = connection.execute(select(func.count()).select_from(BedrockUsageHourly))
        assert count.scalar() == 0
    engine.dispose()
