from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from core.db import make_engine, session_factory, upsert
from core.models import Base, BedrockUsageHourly
from core.partitions import (
    HOURLY_TABLES,
    RetentionRefused,
    add_months,
    apply_retention,
    expired_months,
    include_name,
    maintain_partitions,
    month_start,
    monthly_partitions,
    partitioned_tables,
)
from monitor.migrate import upgrade
from tests.core.partition_helpers import retention_leaves_intact, seed_hourly, snapshot

NOW = datetime(2026, 11, 20, 13, tzinfo=UTC)


def at(month: date, day: int = 1, hour: int = 0) -> datetime:
    return datetime(month.year, month.month, day, hour, tzinfo=UTC)


# the hours seeded: months back to 14 before NOW's, the first and the last hour of each month
MONTHS = [add_months(month_start(NOW), -back) for back in range(14, -1, -1)]
HOURS = [h for m in MONTHS for h in (at(m), at(add_months(m, 1)) - timedelta(hours=1))]


@pytest.fixture
def postgres(scratch_database_url):
    engine = make_engine(scratch_database_url)
    yield engine
    engine.dispose()


def test_months_and_expiry_are_calendar_months():
    assert add_months(date(2026, 11, 1), 3) == date(2027, 2, 1)
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert month_start(datetime(2026, 2, 28, 23, tzinfo=UTC)) == date(2026, 2, 1)
    months = [date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1)]
    # November's last hour is older than Dec 1st only from Dec 1st on
    assert expired_months(months, datetime(2025, 11, 30, 23, tzinfo=UTC)) == [date(2025, 10, 1)]
    assert expired_months(months, datetime(2025, 12, 1, tzinfo=UTC)) == months[:2]


@pytest.mark.parametrize("scratch_database_url", ["sqlite", "postgres"], indirect=True)
def test_the_migration_keeps_every_row_and_the_downgrade_too(postgres):
    from alembic import command

    from monitor.migrate import alembic_config

    upgrade(postgres, "0016")
    for table in HOURLY_TABLES:
        seed_hourly(postgres, table, HOURS)
    before = {table: snapshot(postgres, table) for table in HOURLY_TABLES}
    assert all(len(rows) == len(HOURS) for rows in before.values())
    upgrade(postgres)
    after = {table: snapshot(postgres, table) for table in HOURLY_TABLES}
    assert after == before
    with postgres.connect() as connection:
        # names, keys and indexes as the models say (`alembic check`), the partitions left out
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        assert compare_metadata(context, Base.metadata) == []
    with postgres.connect() as connection:
        partitioned = partitioned_tables(connection)
        if postgres.dialect.name == "postgresql":
            assert partitioned == sorted(HOURLY_TABLES)
            for table in HOURLY_TABLES:
                assert set(MONTHS) <= set(monthly_partitions(connection, table))
                # every row is in its month, none left in the default partition
                default = connection.execute(text(f"SELECT count(*) FROM {table}_default"))
                assert default.scalar() == 0
        else:
            assert partitioned == []
    config = alembic_config()
    with postgres.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0016")
    assert {table: snapshot(postgres, table) for table in HOURLY_TABLES} == before
    with postgres.connect() as connection:
        assert partitioned_tables(connection) == []


@pytest.mark.parametrize("scratch_database_url", ["postgres"], indirect=True)
def test_partitions_are_created_ahead_once(postgres):
    upgrade(postgres)
    later = datetime(2031, 6, 30, 23, tzinfo=UTC)
    with postgres.begin() as connection:
        created = maintain_partitions(connection, later, ahead=2)
    months = [date(2031, 6, 1), date(2031, 7, 1), date(2031, 8, 1)]
    assert sorted(created) == sorted(
        f"{table}_p{m:%Y%m}" for table in HOURLY_TABLES for m in months
    )
    with postgres.begin() as connection:
        assert maintain_partitions(connection, later, ahead=2) == []
        for table in HOURLY_TABLES:
            assert set(months) <= set(monthly_partitions(connection, table))


@pytest.mark.parametrize("scratch_database_url", ["postgres"], indirect=True)
def test_rows_the_default_partition_caught_move_into_their_month(postgres):
    upgrade(postgres)
    old = [datetime(2019, 3, 5, 7, tzinfo=UTC), datetime(2019, 4, 30, 23, tzinfo=UTC)]
    seed_hourly(postgres, "bedrock_usage_hourly", old)
    rows = snapshot(postgres, "bedrock_usage_hourly")
    with postgres.begin() as connection:
        caught = connection.execute(text("SELECT count(*) FROM bedrock_usage_hourly_default"))
        assert caught.scalar() == 2
        created = maintain_partitions(connection, NOW)
    assert {"bedrock_usage_hourly_p201903", "bedrock_usage_hourly_p201904"} <= set(created)
    with postgres.connect() as connection:
        for name in ("p201903", "p201904"):
            moved = connection.execute(text(f"SELECT count(*) FROM bedrock_usage_hourly_{name}"))
            assert moved.scalar() == 1
        caught = connection.execute(text("SELECT count(*) FROM bedrock_usage_hourly_default"))
        assert caught.scalar() == 0
    assert snapshot(postgres, "bedrock_usage_hourly") == rows


@pytest.mark.parametrize("scratch_database_url", ["sqlite", "postgres"], indirect=True)
def test_retention_expires_exactly_the_old_hours_and_leaves_the_rest(postgres):
    upgrade(postgres)
    for table in HOURLY_TABLES:
        seed_hourly(postgres, table, HOURS)
    before = {table: snapshot(postgres, table) for table in HOURLY_TABLES}
    keep = timedelta(days=200)
    cutoff = NOW - keep
    retention = {"bedrock_usage_hourly": keep, "endpoint_hourly": keep}
    done = apply_retention(postgres, retention, NOW, batch=3)
    with postgres.connect() as connection:
        partitioned = bool(partitioned_tables(connection))
    limit = at(month_start(cutoff)) if partitioned else cutoff
    for table in HOURLY_TABLES:
        rows = snapshot(postgres, table)
        if table in retention:
            hour_at = _hour_position(postgres, table)
            expected = [row for row in before[table] if _aware(row[hour_at]) >= limit]
            assert 0 < len(expected) < len(before[table])
            assert rows == expected
        else:
            assert rows == before[table]
    if partitioned:
        expired = [m for m in MONTHS if add_months(m, 1) <= month_start(cutoff)]
        assert done["bedrock_usage_hourly"] == "dropped " + ", ".join(
            f"bedrock_usage_hourly_p{m:%Y%m}" for m in expired
        )
        with postgres.connect() as connection:
            assert min(monthly_partitions(connection, "bedrock_usage_hourly")) == month_start(
                cutoff
            )
    else:
        gone = sum(1 for h in HOURS if h < cutoff)
        assert done["bedrock_usage_hourly"] == f"deleted {gone} rows"
    # a second pass has nothing left to expire
    again = apply_retention(postgres, retention, NOW)
    assert set(again.values()) <= {"nothing expired", "deleted 0 rows"}


def _hour_position(engine, table):
    from tests.core.partition_helpers import reflect

    return [column.name for column in reflect(engine, table).columns].index("hour")


def _aware(value):
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@pytest.mark.parametrize("scratch_database_url", ["sqlite", "postgres"], indirect=True)
def test_dropping_an_expired_partition_leaves_a_rollup_intact(postgres):
    # a stand-in for the rollup_daily_* tables: retention must never touch them
    upgrade(postgres)
    seed_hourly(postgres, "bedrock_usage_hourly", HOURS)
    with postgres.begin() as connection:
        connection.execute(
            text("CREATE TABLE rollup_daily_stand_in (day DATE PRIMARY KEY, calls BIGINT)")
        )
        connection.execute(
            text("INSERT INTO rollup_daily_stand_in VALUES (:day, :calls)"),
            [{"day": h.date(), "calls": i} for i, h in enumerate(HOURS)],
        )
    done = retention_leaves_intact(
        postgres, {"bedrock_usage_hourly": timedelta(days=90)}, NOW, ["rollup_daily_stand_in"]
    )
    assert done["bedrock_usage_hourly"] != "nothing expired"
    assert len(snapshot(postgres, "rollup_daily_stand_in")) == len(HOURS)


def test_retention_refuses_any_table_but_the_hourly_ones(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'refuse.db'}")
    upgrade(engine)
    with pytest.raises(RetentionRefused, match="rollup_daily_bedrock"):
        apply_retention(engine, {"rollup_daily_bedrock": timedelta(days=1)}, NOW)
    engine.dispose()


def test_upserts_land_in_their_month_and_update_in_place(engine):
    # the session's database is partitioned on Postgres (head): ON CONFLICT and the COPY path
    sessions = session_factory(engine)
    hours = [NOW - timedelta(hours=i) for i in range(2500)]  # over COPY_THRESHOLD, 4 months
    rows = [_bedrock(hour, 1) for hour in hours]
    with sessions.begin() as session:
        upsert(session, BedrockUsageHourly, rows)
    with sessions.begin() as session:
        upsert(session, BedrockUsageHourly, [_bedrock(hour, 2) for hour in hours])
        upsert(session, BedrockUsageHourly, [_bedrock(hours[0], 3)])
    with engine.connect() as connection:
        total = connection.execute(
            text("SELECT count(*), sum(invocations) FROM bedrock_usage_hourly")
        ).one()
    assert tuple(total) == (2500, 2 * 2499 + 3)


def _bedrock(hour, calls):
    return {
        "account_id": "123456789012",
        "region": "us-east-1",
        "model_id": "anthropic.claude-3-haiku-20240307-v1:0",
        "hour": hour,
        "base_model_id": "anthropic.claude-3-haiku-20240307-v1:0",
        "team": "search",
        "invocations": calls,
        "input_tokens": calls * 10,
        "output_tokens": calls,
        **dict.fromkeys(
            ("cache_read_tokens", "cache_write_tokens", "client_errors", "server_errors"), 0
        ),
        "throttles": 0,
        "provisional": False,
        "estimated_cost_usd": Decimal("0.5") * calls,
        "priced": True,
        "collected_at": NOW,
    }
