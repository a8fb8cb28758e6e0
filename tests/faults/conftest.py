"""The fault suite's world: the demo organisation (one day of it) in moto, and scratch databases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from core.db import make_engine
from core.timeutil import utcnow
from demo.config import demo_config
from demo.cost_explorer import cost_explorer
from demo.generate import generate
from demo.principal_traffic import LOG_DAYS
from demo.seed import seed_endpoints, seed_metrics
from demo.standins import indexed_metric_data
from monitor.migrate import upgrade
from tests.conftest import _postgres_database
from tests.faults.harness import cli_env, hour_floor

DAYS = 1
# three-hour windows: a day's backfill is eight transactions per target; a 20-second claim
# lease, so a target whose `run` was killed is free again within the test (15 minutes by default)
LEASE = "claim_lease: 20s"
WINDOWS = {
    "bedrock: {initial_backfill: 2d}": f"bedrock: {{initial_backfill: 1d, window: 3h, interval: 5s, {LEASE}}}",
    "sagemaker: {initial_backfill: 2d}": f"sagemaker: {{initial_backfill: 1d, window: 3h, interval: 5s, {LEASE}}}",
    # the fault world's bill is Cost Explorer's alone (the CUR export is the demo's, not seeded here)
    "  costs:\n    initial_backfill: 2d\n": f"  costs:\n    initial_backfill: 2d\n    interval: 5s\n    {LEASE}\n",
    "    source: [cost_explorer, cur]\n": "    source: [cost_explorer]\n",
    "provisioned_throughput: {initial_backfill: 31d}": f"provisioned_throughput: {{initial_backfill: 1d, interval: 5s, {LEASE}}}",
    "custom_models: {initial_backfill: 1d}": f"custom_models: {{initial_backfill: 1d, interval: 5s, {LEASE}}}",
    "batch_jobs: {initial_backfill: 31d, window: 31d}": f"batch_jobs: {{initial_backfill: 1d, interval: 5s, {LEASE}}}",
    "vector_stores: {initial_backfill: 2d}": f"vector_stores: {{initial_backfill: 1d, window: 3h, interval: 5s, {LEASE}}}",
    # like the others, every 5 s from the start (its default, 3 minutes past each quarter hour,
    # made whether `run` reached it during a test depend on the time of day)
    f"invocation_logs: {{initial_backfill: {LOG_DAYS + 1}d, window: 7d}}": f"invocation_logs: {{initial_backfill: 1d, window: 3h, interval: 5s, {LEASE}}}",
}


@dataclass
class DemoWorld:
    """The demo's organisation seeded into moto, and its config file."""

    now: datetime
    config: Path
    directory: Path

    def env(self, database_url: str, **extra: str) -> dict[str, str]:
        """The environment of a `genai-monitor` child collecting this world into a database."""
        return cli_env(database_url, self.config, **extra)

    @property
    def settled(self) -> datetime:
        """Hours before this are complete and settled in any run made during the test."""
        return hour_floor(self.now) - timedelta(hours=1)

    @property
    def span(self) -> tuple[datetime, datetime]:
        """Settled hours every incremental run during the test reads, whenever in the hour it
        starts: the first hours of a first run's range move with the clock."""
        return self.settled - timedelta(hours=18), self.settled

    @property
    def backfill(self) -> tuple[str, str]:
        """--start and --end of a settled one-day backfill: eight windows per target."""
        return (
            (self.settled - timedelta(hours=22)).isoformat(),
            self.settled.isoformat(),
        )


def world_config(text: str) -> str:
    """The demo's config with short windows and intervals."""
    for old, new in WINDOWS.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


@pytest.fixture
def world(aws: str, tmp_path: Path) -> Iterator[DemoWorld]:
    """One day of the demo organisation in a fresh moto, answered while the test runs."""
    now = utcnow()
    generated = generate(now, DAYS)
    config = tmp_path / "genai-monitor.yaml"
    config.write_text(world_config(demo_config(generated, DAYS)))
    with indexed_metric_data(), cost_explorer(generated):
        seed_metrics(generated)
        seed_endpoints(now)
        yield DemoWorld(now, config, tmp_path)


def migrated(url: str) -> str:
    """``url`` after `migrate`."""
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def postgres() -> Iterator[str]:
    """A migrated scratch database on the local Postgres."""
    for url in _postgres_database():
        yield migrated(url)


@pytest.fixture
def postgres_clean() -> Iterator[str]:
    """A second scratch Postgres database: where the clean, uninterrupted run goes."""
    for url in _postgres_database():
        yield migrated(url)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated scratch database of each kind."""
    if request.param == "sqlite":
        yield migrated(f"sqlite:///{tmp_path / 'faults.db'}")
    else:
        for url in _postgres_database():
            yield migrated(url)


@pytest.fixture
def clean_sqlite(tmp_path: Path) -> str:
    """A migrated SQLite file for a clean reference run."""
    return migrated(f"sqlite:///{tmp_path / 'clean.db'}")
