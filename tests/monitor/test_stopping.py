"""Stopping, as real processes: SIGTERM at any moment of `run`'s start-up is a clean exit 0;
SIGTERM in the middle of a `collect` backfill stops after the window being written (exit 0),
and running it again completes the same tables as an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.db import make_engine, session_factory
from core.models import BedrockUsageHourly, CollectorRun
from demo.seed import put_bedrock_metrics

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
CLI = [sys.executable, "-m", "monitor.cli"]


def environment(tmp_path, database: str, config: str) -> dict[str, str]:
    path = tmp_path / "genai-monitor.yaml"
    path.write_text(config)
    return {**os.environ, "DATABASE_URL": database, "GENAI_MONITOR_CONFIG": str(path)}


@pytest.mark.fault
def test_sigterm_while_run_starts_is_a_clean_exit(aws, tmp_path):
    env = environment(tmp_path, f"sqlite:///{tmp_path / 'run.db'}", "regions: [us-east-1]\n")
    figures = []
    for delay in (0.2, 0.5, 1.0, 2.0):
        process = subprocess.Popen(
            [*CLI, "run", "--port", "0"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        time.sleep(delay)
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
        figures.append(
            f"{delay:.1f} s -> exit {process.returncode} in {time.monotonic() - signalled:.2f} s"
        )
        assert process.returncode == 0, (delay, output[-2000:])
        assert "Traceback" not in output, output[-2000:]
    print("\nSIGTERM after start:", "; ".join(figures))


def seed_days(days: int) -> datetime:
    """A Bedrock datapoint in every hour-ish of ``days`` days; returns the backfill's end."""
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    points = [
        (HAIKU, "InputTokenCount", end - timedelta(hours=h, minutes=30), 100 + h)
        for h in range(1, days * 24, 5)
    ]
    put_bedrock_metrics("us-east-1", points)
    return end


def table(url: str) -> list[tuple]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return [
                (row.model_id, row.hour, row.input_tokens, row.team)
                for row in session.scalars(
                    select(BedrockUsageHourly).order_by(
                        BedrockUsageHourly.model_id, BedrockUsageHourly.hour
                    )
                )
            ]
    finally:
        engine.dispose()


def windows(url: str) -> list[datetime]:
    """When each collector window was written."""
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(select(CollectorRun.finished_at)))
    except Exception:  # noqa: BLE001 - the database is not made yet: no window written
        return []
    finally:
        engine.dispose()


@pytest.mark.fault
def test_sigterm_mid_backfill_stops_after_the_window_and_a_rerun_completes(aws, tmp_path):
    days = 30
    end = seed_days(days)
    start = end - timedelta(days=days)
    config = (
        "regions: [us-east-1]\nattribution: {discover_inference_profiles: false}\n"
        "collection: {bedrock: {window: 6h}}\n"
    )
    stopped_url = f"sqlite:///{tmp_path / 'stopped.db'}"
    whole_url = f"sqlite:///{tmp_path / 'whole.db'}"
    command = [*CLI, "collect", "bedrock", "--start", start.isoformat(), "--end", end.isoformat()]
    env = environment(tmp_path, stopped_url, config)
    process = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while len(windows(stopped_url)) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    signalled = datetime.now(UTC)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err[-2000:]
    written = windows(stopped_url)
    after = [at for at in written if at > signalled]
    planned = days * 4 + 1  # 6-hour windows cut on the epoch's: up to one more than whole days
    print(
        f"\nSIGTERM mid-backfill: {len(written)} of ~{planned} windows written, "
        f"{len(after)} after the signal"
    )
    assert len(after) <= 1
    assert len(written) < planned - 1, "the backfill ended before the signal: nothing was tested"
    assert "stopped by SIGTERM after the window ending" in err and "Traceback" not in err
    # running the same command again completes the tables an uninterrupted run writes
    again = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr[-2000:]
    whole = subprocess.run(
        command,
        env=environment(tmp_path, whole_url, config),
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert whole.returncode == 0, whole.stderr[-2000:]
    assert table(stopped_url) == table(whole_url) != []
    assert len(windows(stopped_url)) == len(windows(whole_url)) >= planned - 1
