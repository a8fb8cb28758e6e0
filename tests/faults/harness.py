"""What the fault tests share: the commands as subprocesses, the collected tables, Postgres levers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import and_, select, text
from sqlalchemy.engine import make_url

from core.db import make_engine
from core.models import BedrockUsageHourly, CollectorRun, CostDaily, Endpoint, EndpointHourly
from tests.conftest import POSTGRES_ADMIN_URL

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def cli_env(database_url: str, config: Path, **extra: str) -> dict[str, str]:
    """This process's environment (moto's endpoint, fake credentials) for a `genai-monitor` child."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "GENAI_MONITOR_CONFIG": str(config),
        **extra,
    }


def command(*args: str) -> list[str]:
    """The `genai-monitor` command line, run by this interpreter."""
    return [sys.executable, "-m", "monitor.cli", *args]


def run_cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run one command to its end."""
    return subprocess.run(
        command(*args), env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def start_cli(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    """Start one command, its output going to ``log`` (a full pipe would block it)."""
    with log.open("ab") as out:
        return subprocess.Popen(command(*args), env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for(condition: Callable[[], T], what: str, timeout: float = 60, every: float = 0.05) -> T:
    """Poll ``condition`` until it is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def one_line_error(stderr: str) -> str:
    """The error line of a failed command; fails on a traceback."""
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


# --- the collected tables, as comparable rows ---

_SKIPPED = {"collected_at", "last_seen_at", "id", "endpoint_id"}


def _value(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def _rows(connection: Any, table: Any, where: Any = None, extra: tuple = ()) -> Counter:
    columns = [c for c in table.__table__.columns if c.name not in _SKIPPED]
    statement = select(*extra, *columns)
    if where is not None:
        statement = statement.where(where)
    return Counter(tuple(_value(v) for v in row) for row in connection.execute(statement))


def _coverage(connection: Any, since: datetime, before: datetime) -> Counter:
    """The hours of ``[since, before)`` each target's succeeded windows cover, once each."""
    runs = select(
        CollectorRun.source,
        CollectorRun.account_id,
        CollectorRun.region,
        CollectorRun.window_start,
        CollectorRun.window_end,
    ).where(
        CollectorRun.status == "succeeded",
        CollectorRun.window_end > since,
        CollectorRun.window_start < before,
    )
    hours = set()
    for source, account, region, start, end in connection.execute(runs):
        hour = max(start, since)
        while hour < min(end, before):
            hours.add((source, account, region, hour))
            hour += timedelta(hours=1)
    return Counter(hours)


def collected(
    database_url: str, span: tuple[datetime, datetime] | None = None
) -> dict[str, Counter]:
    """The collected tables as counters of rows.

    Surrogate ids and collection times are left out: two runs over the same world must agree on
    everything else. Without ``span`` (backfills of the same window), collector_runs is its
    succeeded windows with their row counts. With a ``span`` of settled hours (incremental runs
    made at different moments, whose windows start where each run's watermark was), only the
    hours within it are kept, and collector_runs becomes the hours each target's succeeded
    windows cover.
    """
    engine = make_engine(database_url)
    endpoint_key = (Endpoint.account_id, Endpoint.region, Endpoint.endpoint_name)
    hourly = select(
        *endpoint_key, *[c for c in EndpointHourly.__table__.columns if c.name not in _SKIPPED]
    ).join(Endpoint, Endpoint.id == EndpointHourly.endpoint_id)
    bedrock_cut = None
    if span:
        since, before = span
        hourly = hourly.where(EndpointHourly.hour >= since, EndpointHourly.hour < before)
        bedrock_cut = and_(BedrockUsageHourly.hour >= since, BedrockUsageHourly.hour < before)
    windows = select(
        CollectorRun.source,
        CollectorRun.account_id,
        CollectorRun.region,
        CollectorRun.window_start,
        CollectorRun.window_end,
        CollectorRun.rows,
    ).where(CollectorRun.status == "succeeded")
    try:
        with engine.connect() as connection:
            return {
                "bedrock_usage_hourly": _rows(connection, BedrockUsageHourly, bedrock_cut),
                "endpoints": _rows(connection, Endpoint),
                "endpoint_hourly": Counter(
                    tuple(map(_value, r)) for r in connection.execute(hourly)
                ),
                "cost_daily": _rows(connection, CostDaily),
                "collector_runs": _coverage(connection, *span)
                if span
                else Counter(tuple(r) for r in connection.execute(windows)),
            }
    finally:
        engine.dispose()


def compare(clean: dict[str, Counter], got: dict[str, Counter]) -> tuple[int, int, int]:
    """(rows lost, rows extra or changed, duplicate rows) of ``got`` against a clean run.

    Use as ``assert compare(...) == (0, 0, 0), differences(...)``."""
    lost = sum(sum((clean[t] - got[t]).values()) for t in clean)
    extra = sum(sum((got[t] - clean[t]).values()) for t in clean)
    duplicates = sum(n - 1 for t in got for n in got[t].values() if n > 1)
    return lost, extra, duplicates


def differences(clean: dict[str, Counter], got: dict[str, Counter]) -> dict[str, tuple]:
    """Per table, the rows only a clean run has and the rows only ``got`` has (for messages)."""
    return {
        table: (list(clean[table] - got[table])[:3], list(got[table] - clean[table])[:3])
        for table in clean
        if clean[table] != got[table]
    }


def total(tables: dict[str, Counter]) -> int:
    """Rows over every table."""
    return sum(sum(rows.values()) for rows in tables.values())


def hour_floor(moment: datetime) -> datetime:
    """The start of the hour of ``moment``."""
    return moment.replace(minute=0, second=0, microsecond=0)


# --- Postgres levers ---


def database_name(database_url: str) -> str:
    """The database a URL names."""
    return str(make_url(database_url).database)


@contextmanager
def admin() -> Iterator[Any]:
    """An autocommit connection to the maintenance database."""
    engine = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def drop_connections(database_url: str) -> int:
    """Refuse new connections to the database and terminate every open one; returns how many."""
    name = database_name(database_url)
    with admin() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        return len(
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            ).all()
        )


def restore_connections(database_url: str) -> None:
    """Accept connections to the database again."""
    with admin() as connection:
        connection.execute(
            text(f'ALTER DATABASE "{database_name(database_url)}" WITH ALLOW_CONNECTIONS true')
        )
