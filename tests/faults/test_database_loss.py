"""The database lost while `collect` writes a backfill and while `alerts evaluate` delivers."""

from __future__ import annotations

import sqlite3
import subprocess
from collections import Counter

import pytest
from sqlalchemy import func, select, text, update

from core.db import make_engine, session_factory
from core.models import CollectorRun, Notification
from tests.faults.conftest import migrated
from tests.faults.harness import (
    collected,
    command,
    compare,
    differences,
    drop_connections,
    one_line_error,
    restore_connections,
    run_cli,
    total,
    wait_for,
)
from tests.faults.receivers import Receiver

pytestmark = pytest.mark.fault

COMMITTED_BEFORE_FAULT = 3  # windows written before the database goes


def windows_written(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(CollectorRun)) or 0


def waiting_writer(engine) -> tuple | None:
    """The collector's backend, if it waits on a lock inside a transaction that has written."""
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT pid, query FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND backend_xid IS NOT NULL"
            )
        ).first()


def in_windows(clean: dict[str, Counter], runs: Counter) -> dict[str, Counter]:
    """The clean run's hourly rows that fall in the given collector windows (region, hour at 1, 3)."""
    tables = {"bedrock_usage_hourly": "bedrock", "endpoint_hourly": "sagemaker"}
    return {
        table: Counter(
            {
                row: n
                for row, n in clean[table].items()
                if any(
                    source == tables[table] and region == row[1] and start <= row[3] < end
                    for source, _account, region, start, end, _rows in runs
                )
            }
        )
        for table in tables
    }


def assert_whole_windows(clean: dict[str, Counter], faulted: dict[str, Counter]) -> None:
    """Every window recorded is there in full, and no row lies outside a recorded window."""
    runs = faulted["collector_runs"]
    assert not runs - clean["collector_runs"], (
        "a window was recorded with other rows than a clean run"
    )
    expected = in_windows(clean, runs)
    for table, rows in expected.items():
        assert faulted[table] == rows, f"{table}: a partial window, or rows of a window lost"
    for table in ("endpoints", "cost_daily"):
        assert not faulted[table] - clean[table], f"{table}: rows a clean run does not have"


def rerun_and_compare(world, url: str, clean: dict[str, Counter], what: str) -> None:
    start, end = world.backfill
    again = run_cli(world.env(url), "collect", "all", "--start", start, "--end", end)
    assert again.returncode == 0, again.stderr
    final = collected(url)
    lost, extra, duplicates = compare(clean, final)
    assert (lost, extra, duplicates) == (0, 0, 0), differences(clean, final)
    print(
        f"FAULT figure: {what}: re-run completed to the clean run's {total(clean)} rows: "
        f"{lost} lost, {duplicates} duplicate, {extra} different rows"
    )


def test_postgres_terminated_mid_window_keeps_whole_windows_and_a_rerun_completes(
    world, postgres, postgres_clean
):
    start, end = world.backfill
    clean_run = run_cli(world.env(postgres_clean), "collect", "all", "--start", start, "--end", end)
    assert clean_run.returncode == 0, clean_run.stderr
    clean = collected(postgres_clean)

    engine = make_engine(postgres)
    holder = make_engine(postgres).connect()
    process = subprocess.Popen(
        command("collect", "all", "--start", start, "--end", end),
        env=world.env(postgres),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: windows_written(engine) >= COMMITTED_BEFORE_FAULT, "windows to commit")
        # the next window's record waits behind this lock, its rows already written uncommitted
        holder.execute(text("LOCK TABLE collector_runs IN ACCESS EXCLUSIVE MODE"))
        wait_for(lambda: waiting_writer(engine), "a window's writes to wait on the lock")
        terminated = drop_connections(postgres)
        _out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        holder.invalidate()
        restore_connections(postgres)
    assert process.returncode == 1, err
    line = one_line_error(err)
    assert "database" in line, line

    faulted = collected(postgres)
    committed = sum(faulted["collector_runs"].values())
    assert COMMITTED_BEFORE_FAULT <= committed < sum(clean["collector_runs"].values())
    assert_whole_windows(clean, faulted)
    engine.dispose()
    print(
        f"FAULT figure: Postgres connections terminated ({terminated}) mid-window after "
        f"{committed} of {sum(clean['collector_runs'].values())} windows: exit 1, one line "
        f"({line[:80]}...), {committed} whole windows kept, 0 partial"
    )
    rerun_and_compare(world, postgres, clean, "Postgres dropped mid-window")


def test_sqlite_locked_mid_backfill_keeps_whole_windows_and_a_rerun_completes(
    world, clean_sqlite, tmp_path
):
    url = migrated(f"sqlite:///{tmp_path / 'locked.db'}")
    start, end = world.backfill
    clean_run = run_cli(world.env(clean_sqlite), "collect", "all", "--start", start, "--end", end)
    assert clean_run.returncode == 0, clean_run.stderr
    clean = collected(clean_sqlite)

    engine = make_engine(url)
    process = subprocess.Popen(
        command("collect", "all", "--start", start, "--end", end),
        env=world.env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    locker = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        wait_for(lambda: windows_written(engine) >= COMMITTED_BEFORE_FAULT, "windows to commit")
        locker.execute("BEGIN EXCLUSIVE")  # another process holds the file: writes time out
        _out, err = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
        locker.rollback()
        locker.close()
        engine.dispose()
    assert process.returncode == 1, err
    line = one_line_error(err)
    assert "locked" in line, line
    faulted = collected(url)
    committed = sum(faulted["collector_runs"].values())
    assert_whole_windows(clean, faulted)
    print(
        f"FAULT figure: SQLite file locked by another process after {committed} of "
        f"{sum(clean['collector_runs'].values())} windows: exit 1 after the busy timeout, one line, "
        f"{committed} whole windows kept, 0 partial"
    )
    rerun_and_compare(world, url, clean, "SQLite locked mid-backfill")


def webhook_config(world, url: str):
    """The world's config with every alert routed to a webhook at ``url``."""
    path = world.directory / "alerts.yaml"
    path.write_text(
        world.config.read_text().replace(
            "demo-log: {type: log}", f'demo-log: {{type: webhook, url: "{url}/hook/T0KEN"}}'
        )
    )
    return path


def lapse_delivery_leases(url: str) -> None:
    """Stand for the outbox's lease running out: the group claimed when the database went is due."""
    with make_engine(url).begin() as connection:
        connection.execute(
            update(Notification)
            .where(Notification.delivered_at.is_(None))
            .values(next_attempt_at=func.now() - text("interval '1 second'"))
        )


def test_postgres_terminated_mid_delivery_loses_no_notification(world, postgres):
    collect = run_cli(world.env(postgres), "collect", "all")
    assert collect.returncode == 0, collect.stderr
    dropped = {}

    def drop_on_third(number: int) -> None:
        # the message is received; the database goes before the sender can record it
        if number == 3:
            dropped["in_flight"] = receiver.in_flight
            dropped["terminated"] = drop_connections(postgres)

    receiver = Receiver(during=drop_on_third).start()
    env = world.env(postgres, GENAI_MONITOR_CONFIG=str(webhook_config(world, receiver.url)))
    try:
        first = run_cli(env, "alerts", "evaluate")
        restore_connections(postgres)
        lapse_delivery_leases(postgres)
        second = run_cli(env, "alerts", "evaluate")
    finally:
        restore_connections(postgres)
        receiver.stop()
    assert first.returncode == 1, first.stdout + first.stderr
    line = one_line_error(first.stderr)
    assert "database" in line, line
    assert second.returncode == 0, second.stderr

    sessions = session_factory(make_engine(postgres))
    with sessions() as session:
        notifications = session.scalars(select(Notification)).all()
    assert notifications and all(n.delivered_at for n in notifications)
    messages = len({(n.channel, n.group_key) for n in notifications})
    assert len(receiver.keys) == messages  # none lost, each under one stable key
    assert receiver.duplicates <= dropped["in_flight"]
    print(
        f"FAULT figure: Postgres dropped mid-delivery: {len(notifications)} notifications in "
        f"{messages} messages, 0 lost; {receiver.requests} requests, each key processed once by "
        f"a receiver deduplicating on Idempotency-Key; {receiver.duplicates} raw duplicate(s) "
        f"(bound: messages in flight when the database went = {dropped['in_flight']})"
    )
