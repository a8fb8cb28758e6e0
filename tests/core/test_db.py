from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

import core.db
from core.db import COPY_THRESHOLD, upsert
from core.models import BedrockUsageHourly, CollectorRun

HOUR = datetime(2026, 10, 1, tzinfo=UTC)


def usage_row(
    index: int, hour: datetime = HOUR, tokens: int = 100, collected_at: datetime = HOUR
) -> dict:
    return {
        "account_id": "111111111111",
        "region": "us-east-1",
        "model_id": f"model-{index % 50}",
        "hour": hour + timedelta(hours=index // 50),
        "base_model_id": f"model-{index % 50}",
        "team": "search",
        "invocations": 1,
        "input_tokens": tokens,
        "output_tokens": tokens // 2,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
        "client_errors": 0,
        "server_errors": 0,
        "throttles": 0,
        "latency_ms_avg": 12.5,
        "estimated_cost_usd": Decimal("0.123456"),
        "priced": True,
        "provisional": False,
        "collected_at": collected_at,
    }


def table_contents(sessions) -> list[tuple]:
    with sessions() as session:
        rows = session.scalars(
            select(BedrockUsageHourly).order_by(
                BedrockUsageHourly.hour, BedrockUsageHourly.model_id
            )
        )
        columns = [c.name for c in BedrockUsageHourly.__table__.columns]
        return [tuple(getattr(row, c) for c in columns) for row in rows]


@pytest.fixture(params=["merge", "on_conflict"])
def pg_merge_path(request, monkeypatch):
    """Run a test once as Postgres 15+ does (MERGE) and once as older servers do (ON CONFLICT)."""
    monkeypatch.setattr(core.db, "_FORCE_ON_CONFLICT", request.param == "on_conflict")
    return request.param


@pytest.mark.parametrize("count", [10, COPY_THRESHOLD + 7])
def test_upsert_inserts_then_updates_only_what_changed(sessions, count, pg_merge_path):
    with sessions.begin() as session:
        assert upsert(session, BedrockUsageHourly, (usage_row(i) for i in range(count))) == count
    first = table_contents(sessions)
    assert len(first) == count

    later = HOUR + timedelta(days=3)
    changed = {0, count - 1}
    rows = [
        usage_row(i, tokens=999 if i in changed else 100, collected_at=later) for i in range(count)
    ]
    with sessions.begin() as session:
        upsert(session, BedrockUsageHourly, rows)
    second = table_contents(sessions)
    assert len(second) == count
    at = [c.name for c in BedrockUsageHourly.__table__.columns].index("collected_at")
    collected = [row[at] for row in second]
    # only the changed rows are rewritten: the others keep their first collected_at
    assert collected.count(later) == 2
    input_tokens = [c.name for c in BedrockUsageHourly.__table__.columns].index("input_tokens")
    assert sum(1 for row in second if row[input_tokens] == 999) == 2


def test_upsert_path_is_the_same_below_and_above_copy_threshold(sessions, pg_merge_path):
    rows = [usage_row(i) for i in range(COPY_THRESHOLD + 1)]
    with sessions.begin() as session:
        upsert(session, BedrockUsageHourly, rows[:5])
    small = table_contents(sessions)
    with sessions.begin() as session:
        session.execute(BedrockUsageHourly.__table__.delete())
        upsert(session, BedrockUsageHourly, rows)
    big = table_contents(sessions)
    assert len(big) == len(rows)
    assert [row for row in big if row in small] == small


def test_timestamps_come_back_utc_aware_and_money_exact(sessions):
    offset = datetime(2026, 10, 1, 2, tzinfo=timezone(timedelta(hours=2)))
    row = usage_row(0, hour=offset) | {"estimated_cost_usd": Decimal("1234567.000001")}
    with sessions.begin() as session:
        upsert(session, BedrockUsageHourly, [row])
    with sessions() as session:
        stored = session.scalars(select(BedrockUsageHourly)).one()
    assert stored.hour == HOUR and stored.hour.tzinfo is not None
    assert stored.hour.utcoffset() == timedelta(0)
    assert stored.estimated_cost_usd == Decimal("1234567.000001")


def test_naive_timestamps_are_refused(sessions):
    with pytest.raises(Exception, match="naive datetime"), sessions.begin() as session:
        upsert(session, BedrockUsageHourly, [usage_row(0, hour=datetime(2026, 10, 1))])


def test_upsert_on_a_unique_key_other_than_the_primary_key(sessions):
    run = {
        "source": "bedrock",
        "account_id": "111111111111",
        "region": "us-east-1",
        "window_start": HOUR,
        "window_end": HOUR + timedelta(days=1),
        "status": "failed",
        "started_at": HOUR,
        "finished_at": HOUR,
        "api_calls": 3,
        "rows": 0,
        "message": "throttled",
    }
    key = ["source", "account_id", "region", "window_start"]
    with sessions.begin() as session:
        upsert(session, CollectorRun, [run], key=key)
        upsert(
            session,
            CollectorRun,
            [run | {"status": "succeeded", "rows": 5, "message": None}],
            key=key,
        )
    with sessions() as session:
        stored = session.scalars(select(CollectorRun)).all()
    assert [(r.status, r.rows, r.message) for r in stored] == [("succeeded", 5, None)]


def test_a_big_batch_that_starts_new_but_overlaps_stored_rows_is_merged(sessions, pg_merge_path):
    """On Postgres the first row decides the fast path (a direct COPY); an overlap falls back to the merge."""
    count = COPY_THRESHOLD + 50
    with sessions.begin() as session:
        upsert(session, BedrockUsageHourly, [usage_row(i) for i in range(100, count)])
    later = HOUR + timedelta(days=3)
    rows = [usage_row(i, tokens=777 if i % 2 else 100, collected_at=later) for i in range(count)]
    with sessions.begin() as session:
        upsert(session, BedrockUsageHourly, rows)
    stored = table_contents(sessions)
    assert len(stored) == count
    columns = [c.name for c in BedrockUsageHourly.__table__.columns]
    tokens, collected = columns.index("input_tokens"), columns.index("collected_at")
    assert sum(1 for row in stored if row[tokens] == 777) == count // 2
    # rows that existed unchanged keep their first collected_at; new and changed rows carry the new one
    unchanged = [row for row in stored if row[tokens] == 100 and row[collected] == HOUR]
    assert len(unchanged) == (count - 100) // 2


def test_staged_batches_of_one_call_merge_once_and_the_later_value_of_a_repeated_key_wins(
    sessions, pg_merge_path, monkeypatch
):
    """Big batches of one call (staged together on Postgres), stored keys repeated in two of them,
    a batch of new history after them and a small last batch: the result is that of one upsert
    per row, in order."""
    monkeypatch.setattr(core.db, "BATCH_ROWS", COPY_THRESHOLD)
    count = COPY_THRESHOLD * 3
    with sessions.begin() as session:
        upsert(session, BedrockUsageHourly, [usage_row(i) for i in range(count)])
    later = HOUR + timedelta(days=3)
    rows = [
        *[usage_row(i, tokens=200, collected_at=later) for i in range(COPY_THRESHOLD)],
        *[usage_row(i, tokens=300, collected_at=later) for i in range(COPY_THRESHOLD)],
        *[usage_row(i, tokens=500) for i in range(COPY_THRESHOLD, count)],
        *[usage_row(i, tokens=600) for i in range(count, count + COPY_THRESHOLD)],  # all new
        usage_row(5, tokens=400, collected_at=later),  # the small last batch: the statement path
    ]
    with sessions.begin() as session:
        assert upsert(session, BedrockUsageHourly, rows) == len(rows)
    stored = table_contents(sessions)
    columns = [c.name for c in BedrockUsageHourly.__table__.columns]
    tokens = columns.index("input_tokens")
    assert len(stored) == count + COPY_THRESHOLD
    assert sorted(row[tokens] for row in stored) == sorted(
        [300] * (COPY_THRESHOLD - 1)
        + [400]
        + [500] * (count - COPY_THRESHOLD)
        + [600] * COPY_THRESHOLD
    )
