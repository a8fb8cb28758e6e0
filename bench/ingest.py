"""Ingest benchmarks, measured side by side in one run (this machine is shared; absolute times drift).

1. Upsert throughput: 1,000,000 hourly usage rows through `core.db.upsert` into Postgres, as
   fresh inserts, as conflicts that change every row, and as conflicts that change nothing
   (a re-collection), each against a raw COPY of the same rows into a scratch table with the
   same primary key, in the same run. Target: upsert >= 0.5x COPY.
2. Backfill memory: the Bedrock collector and runner over 100,000 and 1,000,000 datapoints from
   an in-process CloudWatch answering from arithmetic (`demo.scale`), each in a fresh interpreter; the peak traced memory
   should be flat in the number of datapoints.

Usage: python bench/ingest.py [--rows N] [--rounds R] [--skip-memory]
Postgres: BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres);
a scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from core.db import make_engine, session_factory, upsert  # noqa: E402
from core.models import BedrockUsageHourly  # noqa: E402
from demo.scale import INGEST_START, ArithmeticCloudWatch, usage_rows  # noqa: E402
from monitor.migrate import upgrade  # noqa: E402

ADMIN_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
START = INGEST_START
COLUMNS = list(next(usage_rows(0, 1)))  # the columns a collector writes (the rest keep defaults)
CHUNK = 1 << 20  # bytes handed to COPY per write


def prepared_rows(count: int, salt: int) -> list[dict[str, Any]]:
    """The ``count`` rows of one case, built once before anything is timed."""
    return list(usage_rows(0, count, salt))


def copy_buffer(engine: Any, rows: list[dict[str, Any]]) -> bytes:
    """The rows in COPY's text format, held in memory: written once through psycopg's copy into
    the scratch table, then read back with COPY TO (untimed), so the baseline times the database."""
    column_list = ", ".join(f'"{c}"' for c in COLUMNS)
    getter = itemgetter(*COLUMNS)
    buffer = bytearray()
    with engine.begin() as connection:
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY copy_scratch ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(getter(row))
            with cursor.copy(f"COPY copy_scratch ({column_list}) TO STDOUT") as copy:
                for data in copy:
                    buffer += data
        connection.execute(text("TRUNCATE copy_scratch"))
    return bytes(buffer)


def copy_rows(engine: Any, table: str, buffer: bytes) -> float:
    """Seconds to COPY the prepared ``buffer`` into ``table`` in one transaction (the baseline)."""
    column_list = ", ".join(f'"{c}"' for c in COLUMNS)
    started = time.perf_counter()
    with engine.begin() as connection:
        raw = connection.connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f'COPY "{table}" ({column_list}) FROM STDIN') as copy,
        ):
            for offset in range(0, len(buffer), CHUNK):
                copy.write(buffer[offset : offset + CHUNK])
    return time.perf_counter() - started


def upsert_rows(sessions: Any, rows: list[dict[str, Any]]) -> float:
    """Seconds to upsert the prepared ``rows`` through core.db.upsert, 100,000 rows per transaction."""
    step = 100_000
    started = time.perf_counter()
    for offset in range(0, len(rows), step):
        with sessions.begin() as session:
            upsert(session, BedrockUsageHourly, rows[offset : offset + step])
    return time.perf_counter() - started


def throughput(count: int, rounds: int) -> None:
    """Print rows/s for COPY and the three upsert cases, and their ratios, best of ``rounds``."""
    first, changed = prepared_rows(count, salt=0), prepared_rows(count, salt=1)
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"gcm_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as connection:
            connection.execute(
                text("CREATE TABLE copy_scratch (LIKE bedrock_usage_hourly INCLUDING ALL)")
            )
        buffer = copy_buffer(engine, first)
        print(f"{count:,} rows built once; COPY buffer {len(buffer) / 2**20:,.0f} MiB", flush=True)
        sessions = session_factory(engine)
        best: dict[str, float] = {}
        for round_number in range(1, rounds + 1):
            with engine.begin() as connection:
                connection.execute(text("TRUNCATE copy_scratch, bedrock_usage_hourly"))
            timings = {
                "COPY from memory into scratch table": copy_rows(engine, "copy_scratch", buffer),
                "upsert, all new rows": upsert_rows(sessions, first),
                "upsert, every row conflicts and changes": upsert_rows(sessions, changed),
                "upsert, every row conflicts, unchanged (re-collection)": upsert_rows(
                    sessions, changed
                ),
            }
            for label, seconds in timings.items():
                best[label] = min(best.get(label, seconds), seconds)
            print(
                f"round {round_number}: "
                + ", ".join(
                    f"{'COPY' if label.startswith('COPY') else label}: {count / s:,.0f} rows/s"
                    for label, s in timings.items()
                ),
                flush=True,
            )
        with engine.connect() as connection:
            stored = connection.execute(
                text("SELECT count(*) FROM bedrock_usage_hourly")
            ).scalar_one()
            copied = connection.execute(text("SELECT count(*) FROM copy_scratch")).scalar_one()
        assert stored == copied == count, f"expected {count} rows, found {stored} and {copied}"
        baseline = best["COPY from memory into scratch table"]
        print(
            f"\nupsert throughput, {count:,} rows, best of {rounds} round(s) (ratio = upsert rows/s / COPY rows/s; target >= 0.5):"
        )
        for label, seconds in best.items():
            ratio = baseline / seconds
            print(f"  {label:<58} {count / seconds:>12,.0f} rows/s   ratio {ratio:5.2f}")
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def backfill_peak(datapoints: int, database_url: str) -> dict[str, float]:
    """Run one backfill of about ``datapoints`` datapoints; return peak traced MiB and rows."""
    import tracemalloc

    from collector.bedrock import METRICS, BedrockCollector
    from collector.runner import Runner
    from core.aws import ApiCallCounter, Target
    from core.pricing import PriceCatalog
    from core.settings import parse_config

    models = 50
    hours = max(1, datapoints // (models * len(METRICS)))
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    cloudwatch = ArithmeticCloudWatch(models, METRICS)
    config = parse_config("attribution: {discover_inference_profiles: false}", "bench")
    collector = BedrockCollector(config, lambda service, target: cloudwatch, PriceCatalog.load())
    end = START + timedelta(hours=hours)
    runner = Runner(sessions, ApiCallCounter(), clock=lambda: end + timedelta(days=1))
    plans = runner.plan(collector, [Target("111111111111", "us-east-1")], START, end)
    tracemalloc.start()
    result = runner.run(collector, plans)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "datapoints": models * len(METRICS) * hours,
        "rows": result.rows,
        "peak_mib": peak / 2**20,
    }


def memory(sizes: list[int]) -> None:
    """Each backfill in a fresh interpreter, on a fresh SQLite file; print peaks and their ratio."""
    import tempfile

    results = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite:///{directory}/bench.db"
            output = subprocess.run(
                [sys.executable, __file__, "--memory-child", str(size), url],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            results.append(json.loads(output.strip().splitlines()[-1]))
    print("\nbackfill peak memory (tracemalloc, Bedrock collector + runner, SQLite; target: flat):")
    for result in results:
        print(
            f"  {result['datapoints']:>12,} datapoints -> {result['rows']:>9,} rows   peak {result['peak_mib']:7.1f} MiB"
        )
    print(
        f"  ratio largest/smallest peak: {results[-1]['peak_mib'] / results[0]['peak_mib']:.2f} for {results[-1]['datapoints'] / results[0]['datapoints']:.0f}x the datapoints"
    )


def main() -> None:
    """Parse the arguments and run the benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows for the upsert benchmark")
    parser.add_argument(
        "--rounds", type=int, default=2, help="rounds of the upsert benchmark (best is kept)"
    )
    parser.add_argument(
        "--skip-memory", action="store_true", help="skip the backfill memory benchmark"
    )
    parser.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        size, url = args.memory_child
        print(json.dumps(backfill_peak(int(size), url)))
        return
    throughput(args.rows, args.rounds)
    if not args.skip_memory:
        memory([100_000, 1_000_000])


if __name__ == "__main__":
    main()
