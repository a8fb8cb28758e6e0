"""`genai-monitor run`: job schedules (pure), target claims on Postgres, and the service itself
run as two real processes against Postgres and moto."""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from collector.bedrock import BedrockCollector
from collector.cost_explorer import CostExplorerCollector
from collector.sagemaker import SageMakerCollector
from core.db import make_engine, session_factory
from core.models import Alert, BedrockUsageHourly, Endpoint, Notification
from core.pricing import PriceCatalog
from core.settings import parse_config
from monitor.migrate import upgrade
from monitor.scheduler import AlignedInterval, cycle_start, job_specs, next_boundary
from tests.conftest import _postgres_database
from tests.monitor.run_processes import (
    CONFIG,
    TARGETS,
    Service,
    every_job_ran,
    overlapping,
    seed_world,
    wait_for,
)

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


def test_the_actions_job_runs_only_when_actions_and_policies_are_configured():
    policy = "{kind: auto_stop, teams: [research]}"
    for text, expected in (
        ("", False),
        (f"actions: {{policies: [{policy}]}}", False),
        ("actions: {enabled: true}", False),
        (f"alerts: {{interval: 10m}}\nactions: {{enabled: true, policies: [{policy}]}}", True),
    ):
        specs = {spec.id: spec for spec in job_specs(parse_config(text), {})}
        assert ("actions" in specs) is expected, text
        if expected:
            assert specs["actions"].interval == timedelta(minutes=10)


def test_a_cycle_is_named_by_its_boundary_whenever_its_run_starts():
    hour, five = timedelta(hours=1), timedelta(minutes=5)
    boundary = datetime(2026, 11, 3, 10, 5, tzinfo=UTC)
    assert cycle_start(boundary, hour, five) == boundary
    assert cycle_start(boundary + timedelta(minutes=59), hour, five) == boundary
    assert cycle_start(boundary - timedelta(seconds=1), hour, five) == boundary - hour


@pytest.fixture
def postgres_url():
    yield from _postgres_database()


# --- the service, as processes ---


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

        def delivered():
            with sessions() as session:
                return session.scalar(
                    select(func.count())
                    .select_from(Notification)
                    .where(Notification.delivered_at.is_not(None))
                )

        # the channel prints before the outbox row is marked delivered
        wait_for(delivered, "the notification marked delivered")
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
        wait_for(lambda: every_job_ran(second, 2), "the second process to run every job twice", 90)
        # cycles are claimed target by target: the second process takes its share
        wait_for(lambda: second.claims(), "the second process to collect a target", 45)

    finally:
        codes = [first.stop()] + ([second.stop()] if second else [])
        engine.dispose()
    assert codes == [0, 0], first.log()[-2000:] + (second.log()[-2000:] if second else "")
    assert "stopped" in first.log() and "stopped" in second.log()

    claims = first.claims() + second.claims()
    assert not overlapping(claims), overlapping(claims)[:3]
    together = [c for c in claims if c.ended > joined]
    assert {c[:2] for c in together} == TARGETS  # between them, every target
    assert {c.pid for c in second.claims()} == {
        second.process.pid
    }  # the second process did its share
    assert {c.status for c in claims} <= {"succeeded", "stopped"}
