"""The policies over a real database (SQLite and Postgres), with a stand-in engine that writes
what the real one writes: auto_stop announces, waits the notice, acts once, and stands down on
a keep-alive tag or a silence; a schedule stops and restores; two replicas act once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from actions.policies.base import Window
from actions.policies.runner import run_policies
from actions.types import ActionRequest, ActionResult
from core.claims import Claims
from core.db import upsert
from core.models import (
    ActionAudit,
    ActionNotice,
    Alert,
    Endpoint,
    EndpointHourly,
    Notification,
    Silence,
)
from core.settings import parse_config
from demo.rows import endpoint_hour_row, endpoint_row, put_endpoints
from monitor.policies import LazyPerform, outbox_notifier, run_cycle
from tests.actions.fake_engine import FakeEngine

NOW = datetime(2026, 5, 12, 9, tzinfo=UTC)  # a Tuesday
ACCOUNT, REGION = "111122223333", "eu-central-1"
IDLE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/idle-llm"
DEV_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/dev-llm"
CONFIG = parse_config(
    """
teams:
  - {name: research, routes: [research-log]}
  - {name: search}
alerts: {default_route: [oncall]}
notifiers:
  research-log: {type: log}
  oncall: {type: log}
actions:
  enabled: true
  policies:
    - {kind: auto_stop, teams: [research], after: 72h, notice: 12h}
    - {kind: schedule, teams: [search], resources: ["dev-*"], stop: "0 20 * * 1-5", start: "0 8 * * 1-5", timezone: Europe/Berlin}
"""
)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _seed(sessions) -> None:
    """idle-llm (research): called for its first 20 of 100 hours; dev-llm (search): busy."""
    with sessions.begin() as session:
        rows = [
            endpoint_row(
                account_id=ACCOUNT,
                region=REGION,
                name=name,
                team=team,
                created_at=NOW - timedelta(hours=100),
                seen_at=NOW,
                instance_type="ml.g5.2xlarge",
            )
            | {"endpoint_arn": arn}
            for name, team, arn in (
                ("idle-llm", "research", IDLE_ARN),
                ("dev-llm", "search", DEV_ARN),
            )
        ]
        ids = put_endpoints(session, rows)
        hours = [
            endpoint_hour_row(
                endpoint_id=ids[name],
                hour=NOW - timedelta(hours=100 - index),
                instance_type="ml.g5.2xlarge",
                instance_count=1,
                invocations=5 if index < called else 0,
                estimated_cost_usd=Decimal("1.515"),
                collected_at=NOW,
            )
            for name, called in (("idle-llm", 20), ("dev-llm", 100))
            for index in range(100)
        ]
        upsert(session, EndpointHourly, hours)


@pytest.fixture
def world(sessions):
    _seed(sessions)
    clock = Clock(NOW)
    engine = FakeEngine(sessions, clock, {IDLE_ARN: "research", DEV_ARN: "search"})
    return sessions, clock, engine


def _cycle(world, at: datetime, step: timedelta = timedelta(minutes=5)):
    sessions, clock, engine = world
    clock.now = at
    return run_policies(
        sessions, engine, CONFIG.actions, at, outbox_notifier(CONFIG), window=Window(at - step, at)
    )


def _notices(sessions):
    with sessions() as session:
        return [
            (n.state, n.reason)
            for n in session.scalars(select(ActionNotice).order_by(ActionNotice.id))
        ]


def test_auto_stop_announces_waits_the_notice_and_acts_once(world):
    sessions, _clock, engine = world
    report = _cycle(world, NOW)
    assert [(i.what, i.resource.arn) for i in report.intents] == [("announce", IDLE_ARN)]
    with sessions() as session:
        notice = session.scalars(select(ActionNotice)).one()
        assert (notice.state, notice.act_after, notice.team) == (
            "open",
            NOW + timedelta(hours=12),
            "research",
        )
        [announced] = session.scalars(select(ActionAudit)).all()
        assert (announced.action, announced.actor, announced.outcome) == (
            "announce",
            "policy:auto_stop",
            "succeeded",
        )
        told = session.execute(select(Notification.channel, Notification.kind)).all()
        assert told == [("research-log", "firing")]  # the team's route, not the default
        alert = session.scalars(select(Alert)).one()
        assert alert.rule == "policy:auto_stop" and "will delete idle-llm" in alert.message
    assert _cycle(world, NOW + timedelta(hours=6)).intents == []
    assert engine.requests == []
    report = _cycle(world, NOW + timedelta(hours=12, minutes=5))
    assert [(r.action, r.resource_arn, r.actor, r.execute) for r in engine.requests] == [
        ("delete", IDLE_ARN, "policy:auto_stop", True)
    ]
    assert _notices(sessions) == [("acted", "succeeded: delete " + IDLE_ARN)]
    with sessions() as session:
        kinds = session.execute(select(Notification.kind).order_by(Notification.id)).scalars().all()
        assert kinds == ["firing", "resolved"]
    # the collector has not seen the delete yet: the endpoint still looks idle; nothing again
    for hours in (13, 30, 90):
        assert _cycle(world, NOW + timedelta(hours=hours)).intents == []
    assert len(engine.requests) == 1


def test_a_keep_alive_tag_during_the_notice_cancels_it(world):
    sessions, _clock, engine = world
    _cycle(world, NOW)
    with sessions.begin() as session:
        session.execute(
            update(Endpoint)
            .where(Endpoint.endpoint_arn == IDLE_ARN)
            .values(tags={"keep-alive-until": "2026-06-30"})
        )
    report = _cycle(world, NOW + timedelta(hours=2))
    assert [i.what for i in report.intents] == ["cancel"]
    assert _notices(sessions) == [("cancelled", "keep-alive-until tag until 2026-07-01")]
    for hours in (12, 13, 48):
        assert _cycle(world, NOW + timedelta(hours=hours)).intents == []
    assert engine.requests == []


def test_a_silence_on_the_idle_alert_cancels_it(world):
    sessions, _clock, engine = world
    _cycle(world, NOW)
    with sessions.begin() as session:
        session.add(
            Silence(
                rule="idle_endpoint",
                subject_pattern=f"{ACCOUNT}/{REGION}/idle-*",
                team=None,
                starts_at=NOW,
                ends_at=NOW + timedelta(days=30),
                created_by="alice",
                comment="demo next week",
            )
        )
    assert [i.what for i in _cycle(world, NOW + timedelta(hours=13)).intents] == ["cancel"]
    assert engine.requests == []
    assert _notices(sessions) == [("cancelled", "its idle alert is silenced")]


def test_the_schedule_stops_and_restores_only_what_it_stopped(world):
    _sessions, _clock, engine = world
    evening = datetime(2026, 5, 12, 18, tzinfo=UTC)  # 20:00 in Berlin (CEST)
    _cycle(world, evening - timedelta(minutes=5))
    assert engine.requests == []
    _cycle(world, evening)
    assert [(r.action, r.resource_arn, r.actor) for r in engine.requests] == [
        ("delete", DEV_ARN, "policy:schedule")
    ]
    # the next evening the endpoint row still says InService (no collection since): not re-stopped
    _cycle(world, evening + timedelta(hours=12))  # 08:00 Berlin: restored
    assert [r.action for r in engine.requests if r.resource_arn == DEV_ARN] == ["delete", "restore"]
    _cycle(world, evening + timedelta(days=1))
    assert [r.action for r in engine.requests if r.resource_arn == DEV_ARN] == [
        "delete",
        "restore",
        "delete",
    ]


def test_nothing_runs_when_actions_are_off(world):
    sessions, _clock, engine = world
    off = CONFIG.actions.model_copy(update={"enabled": False})
    assert (
        run_policies(
            sessions, engine, off, NOW, outbox_notifier(CONFIG), window=Window(NOW, NOW)
        ).ran
        == []
    )


def test_two_replicas_act_once(world, engine):
    """Two `run` processes on one database take the same cycle at once: one acts, once."""
    sessions, clock, _engine = world
    _cycle(world, NOW)  # the announcement
    clock.now = at = NOW + timedelta(hours=12, minutes=5)
    performer = FakeEngine(sessions, clock, {IDLE_ARN: "research"}, pause=0.3)
    replicas = [Claims(engine, owner=f"replica-{n}") for n in (1, 2)]
    start = threading.Barrier(2)
    reports = []

    def replica(claims: Claims) -> None:
        start.wait()
        reports.append(run_cycle(sessions, performer, CONFIG, claims, at, at, timedelta(minutes=5)))

    threads = [threading.Thread(target=replica, args=(claims,)) for claims in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.action for r in performer.requests] == ["delete"]
    ran = sorted(name for report in reports for name in report.ran)
    held = sorted(name for report in reports for name in report.held_elsewhere)
    assert ran == ["auto_stop", "schedule"] and held == ["auto_stop", "schedule"]


def test_the_engine_is_built_at_the_first_request_and_once():
    built = []

    def build():
        built.append(1)
        return lambda request: ActionResult("skipped", f"{request.action} nothing")

    perform = LazyPerform(build)
    assert built == []
    request = ActionRequest("restore", DEV_ARN, "policy:schedule", True)
    assert perform(request).outcome == perform(request).outcome == "skipped"
    assert built == [1]


def test_run_wires_the_policies_as_its_actions_job(world, database_url, tmp_path, monkeypatch):
    """`run`'s actions job: the engine comes from actions.engine (a stand-in here), the cycle is
    claimed, a second process in the same cycle finds it held."""
    from core.settings import EnvSettings
    from monitor import policies
    from monitor.context import AppContext
    from monitor.scheduler import Service

    sessions, clock, engine = world
    path = tmp_path / "genai-monitor.yaml"
    path.write_text(
        "teams: [{name: research}, {name: search}]\n"
        "alerts: {interval: 5m}\n"
        "actions: {enabled: true, policies: [{kind: auto_stop, teams: [research]}]}\n"
    )
    built = []

    def stand_in(sessions_, clients, config, clock=None):
        built.append(config.actions.enabled)
        return engine

    monkeypatch.setattr(policies, "engine_performer", stand_in)
    app = AppContext(EnvSettings(database_url, path, True))
    clock.now = NOW + timedelta(minutes=1)
    service = Service(app, clock=clock)
    assert "actions" in {spec.id for spec in service.specs}
    assert service.run_policies() == "succeeded"  # announced
    assert built == []  # nothing acted yet: the engine is not even built
    assert Service(app, clock=clock).run_policies() == "held_elsewhere"
    clock.now = NOW + timedelta(hours=12, minutes=6)
    assert service.run_policies() == "succeeded"
    assert built == [True]
    assert [(r.action, r.resource_arn) for r in engine.requests] == [("delete", IDLE_ARN)]
    app.engine.dispose()
