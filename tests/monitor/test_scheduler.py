"""`genai-monitor run`: job schedules (pure), target claims on Postgres, and the service itself
run as two real processes against Postgres and moto."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from collector.bedrock import BedrockCollector
from collector.cost_explorer import CostExplorerCollector
from collector.sagemaker import SageMakerCollector
from core.db import make_engine, session_factory
from core.models import Alert, BedrockUsageHourly, Endpoint, Notification
from core.pricing import PriceCatalog
from core.settings import parse_config
from demo.seed import create_sagemaker_endpoint, put_bedrock_metrics, put_sagemaker_invocations
from monitor.migrate import upgrade
from monitor.scheduler import (
    AdvisoryLocks,
    AlignedInterval,
    LocalLocks,
    job_specs,
    lock_key,
    next_boundary,
    target_lock_name,
)
from tests.conftest import _postgres_database

ACCOUNT = "123456789012"  # moto's
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SCRIPT = Path(sys.executable).parent / "genai-monitor"


# --- schedules ---


def test_next_boundary_is_aligned_to_the_epoch_plus_the_offset():
    hour, five = timedelta(hours=1), timedelta(minutes=5)
    at = datetime(2026, 11, 3, 10, 2, 30, tzinfo=UTC)
    assert next_boundary(at, hour, five) == datetime(2026, 11, 3, 10, 5, tzinfo=UTC)
    assert next_boundary(datetime(2026, 11, 3, 10, 5, tzinfo=UTC), hour, five) == datetime(
        2026, 11, 3, 11, 5, tzinfo=UTC
    )
    assert next_boundary(at, timedelta(hours=6), timedelta(minutes=20)) == datetime(
        2026, 11, 3, 12, 20, tzinfo=UTC
    )
    assert next_boundary(at, timedelta(minutes=5)) == datetime(2026, 11, 3, 10, 5, tzinfo=UTC)


def test_the_trigger_fires_at_start_then_on_boundaries_even_after_a_late_run():
    trigger = AlignedInterval(timedelta(hours=1), timedelta(minutes=5))
    now = datetime(2026, 11, 3, 10, 2, 30, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, now) == now
    assert trigger.get_next_fire_time(now, now) == datetime(2026, 11, 3, 10, 5, tzinfo=UTC)
    late = datetime(
        2026, 11, 3, 10, 47, tzinfo=UTC
    )  # a run that started late does not shift the schedule
    assert trigger.get_next_fire_time(late, late) == datetime(2026, 11, 3, 11, 5, tzinfo=UTC)
    assert AlignedInterval(timedelta(hours=1), run_at_start=False).get_next_fire_time(
        None, now
    ) == datetime(2026, 11, 3, 11, 0, tzinfo=UTC)


def test_job_specs_follow_the_config_with_sensible_defaults():
    config = parse_config("collection: {costs: {interval: 12h}}\nalerts: {interval: 10m}")
    sources = {
        "bedrock": BedrockCollector(config, None, PriceCatalog({})),
        "sagemaker": SageMakerCollector(config, None),
        "costs": CostExplorerCollector(config, None),
    }
    specs = {spec.id: spec for spec in job_specs(config, sources)}
    assert specs["bedrock"].interval == timedelta(hours=1) and specs["bedrock"].offset == timedelta(
        minutes=5
    )
    assert specs["sagemaker"].offset == timedelta(minutes=7)
    assert specs["costs"].interval == timedelta(hours=12) and specs["costs"].offset == timedelta(
        minutes=20
    )
    assert specs["alerts"].interval == timedelta(minutes=10) and specs[
        "alerts"
    ].offset == timedelta(0)
    assert specs["bedrock"].misfire_grace_seconds == 1800
    short = parse_config("collection: {bedrock: {interval: 2s}}")
    assert {
        s.id: s
        for s in job_specs(short, {"bedrock": BedrockCollector(short, None, PriceCatalog({}))})
    }["bedrock"].offset == timedelta(0)
    assert parse_config("").alerts.interval == timedelta(minutes=5)


def test_lock_keys_are_stable_signed_64_bit_and_distinct():
    names = [
        target_lock_name(source, ACCOUNT, region)
        for source in ("bedrock", "sagemaker", "costs")
        for region in ("us-east-1", "us-west-2")
    ]
    keys = [lock_key(name) for name in names]
    assert len(set(keys)) == len(keys)
    assert all(-(2**63) <= key < 2**63 for key in keys)
    assert lock_key("collect:bedrock:123456789012:us-east-1") == lock_key(
        target_lock_name("bedrock", ACCOUNT, "us-east-1")
    )


def test_local_locks_exclude_a_second_claim_until_released():
    locks = LocalLocks()
    with locks.claim("a") as first:
        with locks.claim("a") as second, locks.claim("b") as other:
            assert (first, second, other) == (True, False, True)
    with locks.claim("a") as again:
        assert again


@pytest.fixture
def postgres_url():
    yield from _postgres_database()


def test_advisory_locks_exclude_other_connections_and_are_released(postgres_url):
    engine = make_engine(postgres_url)
    other_engine = make_engine(postgres_url)  # another process's pool
    try:
        mine, theirs = AdvisoryLocks(engine), AdvisoryLocks(other_engine)
        with mine.claim("collect:bedrock:1:us-east-1") as held:
            assert held
            with (
                theirs.claim("collect:bedrock:1:us-east-1") as contended,
                theirs.claim("collect:bedrock:1:us-west-2") as free,
            ):
                assert (contended, free) == (False, True)
        with theirs.claim("collect:bedrock:1:us-east-1") as after:
            assert after
        with engine.connect() as connection:  # nothing is left held on pooled connections
            held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            assert connection.scalar(text(held)) == 0
    finally:
        engine.dispose()
        other_engine.dispose()


# --- the service, as processes ---

CONFIG = """
regions: [us-east-1, us-west-2]
attribution:
  discover_inference_profiles: false
  inference_profiles: {prof-search: {team: search, model: anthropic.claude-3-5-haiku-20241022-v1:0}}
teams: [{name: search}]
collection:
  bedrock: {interval: 2s, initial_backfill: 2d}
  sagemaker: {interval: 2s, initial_backfill: 2d}
  costs: {interval: 2s}
alerts:
  interval: 2s
  default_route: [log]
  rules:
    - {kind: idle_endpoint, for: 24h}
    - {kind: stale_data, for: 1h}
notifiers: {log: {type: log}}
"""
CLAIMED = re.compile(
    r"(\w+) (\d{12})/([a-z0-9-]+): claimed from ([\d.]+) to ([\d.]+) by pid (\d+): (\w+)"
)
TARGETS = (
    {("bedrock", region) for region in ("us-east-1", "us-west-2")}
    | {("sagemaker", region) for region in ("us-east-1", "us-west-2")}
    | {("costs", "us-east-1")}
)


def seed_world(now: datetime) -> tuple[int, int]:
    """Five hours of Bedrock usage in two regions, a busy and an idle endpoint; returns (rows, input tokens)."""
    last = now.replace(minute=0, second=0, microsecond=0)
    hours = [last - timedelta(hours=h) for h in range(1, 6)]
    put_bedrock_metrics(
        "us-east-1",
        [
            (model, "InputTokenCount", h + timedelta(minutes=20), 1000)
            for h in hours
            for model in ("prof-search", HAIKU)
        ],
    )
    put_bedrock_metrics(
        "us-west-2", [(HAIKU, "InputTokenCount", h + timedelta(minutes=20), 500) for h in hours]
    )
    created = last - timedelta(hours=30)
    create_sagemaker_endpoint(
        "busy-ep",
        [{"name": "AllTraffic", "instance_type": "ml.m5.large"}],
        created_at=created,
        tags={"team": "search"},
    )
    create_sagemaker_endpoint(
        "idle-ep",
        [{"name": "AllTraffic", "instance_type": "ml.m5.large"}],
        created_at=created,
        tags={"team": "search"},
    )
    put_sagemaker_invocations(
        "us-east-1",
        [("busy-ep", "AllTraffic", created + timedelta(hours=h, minutes=40), 7) for h in range(30)],
    )
    return 15, 5 * 2500


class Service:
    """One `genai-monitor run` process; its log goes to a file (a full pipe would block it)."""

    def __init__(self, tmp_path: Path, name: str, env: dict[str, str]) -> None:
        self.log_path = tmp_path / f"{name}.log"
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(
            [str(SCRIPT), "run", "--port", "0"],
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        self.url = None

    def log(self) -> str:
        return self.log_path.read_text()

    def health(self) -> dict:
        if self.url is None:
            found = re.search(r"health on (http://[\d.]+:\d+)/healthz", self.log())
            if not found:
                return {}
            self.url = found.group(1)
        with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as answer:
            return json.load(answer)

    def metrics(self) -> str:
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as answer:
            return answer.read().decode()

    def claims(self, since: int = 0) -> list[tuple[str, str, float, float, int, str]]:
        return [
            (m[1], m[3], float(m[4]), float(m[5]), int(m[6]), m[7])
            for m in CLAIMED.finditer(self.log()[since:])
        ]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(
                f"{self.log_path.name} did not stop within 30 s of SIGTERM:\n{self.log()[-3000:]}"
            ) from None
        finally:
            self.log_file.close()


def wait_for(condition, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def every_job_ran(service: Service, times: int = 1) -> bool:
    try:
        jobs = service.health().get("jobs", {})
    except OSError:
        return False
    return bool(jobs) and all(job["runs"] >= times for job in jobs.values())


def overlapping(claims) -> list:
    """Pairs of claims of one target whose spans overlap."""
    found = []
    for (s1, r1, a1, b1, p1, _), (s2, r2, a2, b2, p2, _) in itertools.combinations(claims, 2):
        if (s1, r1) == (s2, r2) and a1 < b2 and a2 < b1:
            found.append(((s1, r1, a1, b1, p1), (s2, r2, a2, b2, p2)))
    return found


def test_run_collects_and_alerts_and_two_processes_never_run_a_target_at_once(
    aws, postgres_url, tmp_path
):
    engine = make_engine(postgres_url)
    upgrade(engine)
    sessions = session_factory(engine)
    rows, input_tokens = seed_world(datetime.now(UTC))
    config = tmp_path / "genai-monitor.yaml"
    config.write_text(CONFIG)
    env = {
        **os.environ,
        "DATABASE_URL": postgres_url,
        "GENAI_MONITOR_CONFIG": str(config),
        "AWS_MAX_ATTEMPTS": "2",
    }
    first = Service(tmp_path, "first", env)
    second = None
    try:
        # one cycle of every job, then the alert cycle that sees the collected endpoints
        wait_for(lambda: every_job_ran(first), "every job of the first process to run once")

        def idle_alert():
            with sessions() as session:
                return session.scalar(
                    select(Alert).where(
                        Alert.rule == "idle_endpoint",
                        Alert.subject.like("%/idle-ep"),
                        Alert.state == "firing",
                    )
                )

        alert = wait_for(idle_alert, "the idle endpoint's alert to fire")
        assert alert.team == "search" and "idle-ep" in alert.message
        with sessions() as session:
            assert session.scalar(select(func.count()).select_from(BedrockUsageHourly)) == rows
            assert session.scalar(select(func.sum(BedrockUsageHourly.input_tokens))) == input_tokens
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(BedrockUsageHourly)
                    .where(BedrockUsageHourly.team == "search")
                )
                == 5
            )
            assert sorted(session.scalars(select(Endpoint.endpoint_name))) == ["busy-ep", "idle-ep"]
            assert not session.scalar(
                select(func.count())
                .select_from(Alert)
                .where(Alert.subject.like("%/busy-ep"), Alert.state == "firing")
            )
            assert not session.scalar(
                select(func.count()).select_from(Alert).where(Alert.rule == "stale_data")
            )
        wait_for(
            lambda: "[FIRING] idle_endpoint" in first.log(), "the notification in the log channel"
        )
        with sessions() as session:
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(Notification)
                    .where(Notification.delivered_at.is_not(None))
                )
                >= 1
            )
        metrics = first.metrics()
        assert re.search(
            r'genai_monitor_collector_runs_total\{source="bedrock",status="succeeded"\} [1-9]',
            metrics,
        )
        assert re.search(
            r'genai_monitor_aws_api_calls_total\{operation="GetMetricData",service="cloudwatch"\} [1-9]',
            metrics,
        )
        assert re.search(r'genai_monitor_rows_written_total\{source="bedrock"\} [1-9]', metrics)
        assert 'genai_monitor_alerts{state="firing"} 1.0' in metrics
        assert "genai_monitor_notification_failures_total 0.0" in metrics

        # a second process joins; the jobs of both fire on the same aligned seconds
        joined = time.time()
        second = Service(tmp_path, "second", env)
        wait_for(lambda: every_job_ran(second, 2), "the second process to run every job twice", 45)

        # a held target is skipped by both processes while held, and collected once released
        held = target_lock_name("bedrock", ACCOUNT, "us-west-2")
        offsets = {"first": len(first.log()), "second": len(second.log())}
        with make_engine(postgres_url).connect() as holder:
            # a process may be collecting the target right now: take the lock once it lets go
            wait_for(
                lambda: holder.scalar(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": lock_key(held)}
                ),
                "the test to take the target's lock",
            )
            hold_from = time.time()
            skipped = "bedrock 123456789012/us-west-2: held by another process"
            wait_for(
                lambda: (
                    skipped in first.log()[offsets["first"] :]
                    and skipped in second.log()[offsets["second"] :]
                ),
                "both processes to skip the held target",
            )
            hold_to = time.time()
            holder.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(held)})
            holder.commit()
        released = {"first": len(first.log()), "second": len(second.log())}
        wait_for(
            lambda: any(
                c[:2] == ("bedrock", "us-west-2")
                for c in first.claims(released["first"]) + second.claims(released["second"])
            ),
            "the released target to be collected again",
        )
        assert "held_elsewhere" in first.metrics() + second.metrics()
    finally:
        codes = [first.stop()] + ([second.stop()] if second else [])
        engine.dispose()
    assert codes == [0, 0], first.log()[-2000:] + (second.log()[-2000:] if second else "")
    assert "stopped" in first.log() and "stopped" in second.log()

    claims = first.claims() + second.claims()
    assert not overlapping(claims), overlapping(claims)[:3]
    assert not [
        c
        for c in claims
        if c[:2] == ("bedrock", "us-west-2") and c[2] < hold_to and hold_from < c[3]
    ]
    together = [c for c in claims if c[3] > joined]
    assert {c[:2] for c in together} == TARGETS  # between them, every target
    assert {c[4] for c in second.claims()} == {
        second.process.pid
    }  # the second process did its share
    assert all(c[5] == "succeeded" for c in claims)
