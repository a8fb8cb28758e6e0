"""`genai-monitor run` losing its Postgres database: each failed job is one log line (what,
why, "retrying next cycle"), never a traceback, and the service recovers when it returns."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.db import make_engine
from monitor.migrate import upgrade
from tests.conftest import POSTGRES_ADMIN_URL, _postgres_database
from tests.monitor.run_processes import Service, every_job_ran, wait_for

CONFIG = """
regions: [us-east-1]
attribution: {discover_inference_profiles: false}
collection:
  bedrock: {interval: 2s, initial_backfill: 1d}
  sagemaker: {interval: 2s, initial_backfill: 1d}
  costs: {interval: 2s}
alerts: {interval: 2s, default_route: [log], rules: [{kind: idle_endpoint, for: 24h}]}
notifiers: {log: {type: log}}
"""
FAILED = "retrying next cycle"


@pytest.fixture
def postgres_url():
    yield from _postgres_database()


def set_reachable(url: str, reachable: bool) -> None:
    """Let connections into the database, or refuse new ones and end those it has."""
    name = make_url(url).database
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(
                text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(reachable).lower()}')
            )
            if not reachable:
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": name},
                )
    finally:
        admin.dispose()


@pytest.mark.fault
def test_a_lost_database_is_one_line_per_failure_and_run_recovers(aws, postgres_url, tmp_path):
    engine = make_engine(postgres_url)
    upgrade(engine)
    engine.dispose()
    config = tmp_path / "genai-monitor.yaml"
    config.write_text(CONFIG)
    env = {**os.environ, "DATABASE_URL": postgres_url, "GENAI_MONITOR_CONFIG": str(config)}
    service = Service(tmp_path, "run", env)
    try:
        wait_for(lambda: every_job_ran(service), "every job to run once")
        lost_at = len(service.log())
        set_reachable(postgres_url, False)
        try:
            wait_for(
                lambda: service.log()[lost_at:].count(FAILED) >= 8,
                "eight failed jobs while the database is away",
            )
        finally:
            set_reachable(postgres_url, True)
        back_at = len(service.log())
        outage = service.log()[lost_at:back_at]
        wait_for(
            lambda: (
                "succeeded" in service.log()[back_at:]
                and "alerts: cycle" in service.log()[back_at:]
            ),
            "a collection and an alert evaluation after the database returns",
        )
    finally:
        code = service.stop()
    log = service.log()
    failures = outage.count(FAILED)
    # every line but the ordinary INFO ones: what the operator reads about the outage
    noise = [line for line in outage.splitlines() if " INFO: " not in line]
    print(
        f"\ndatabase lost: {failures} failed job(s), {len(noise)} warning/error line(s), "
        f"{len(noise) / failures:.2f} line(s) per failure, "
        f"{log.count('Traceback')} traceback(s)"
    )
    assert code == 0, log[-2000:]
    assert "Traceback" not in log, log[log.index("Traceback") - 500 :][:3000]
    assert len(noise) <= 2 * failures, "\n".join(noise[:20])
    for line in noise:
        assert len(line) < 400, line
