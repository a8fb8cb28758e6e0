"""The policies with the real engine against moto, on SQLite and Postgres: auto_stop announces,
waits its notice, deletes once (and stands down on a keep-alive tag), a schedule stops and
restores on the wall clock across a DST change with the savings it made, two replicas delete
once, and `run`'s actions job acts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update

from actions.policies.base import Window
from actions.policies.runner import PolicyReport, run_policies
from collector.sagemaker_inventory import describe_endpoints
from collector.sagemaker_lives import endpoint_life
from core.aws import ClientFactory, Target
from core.claims import Claims
from core.db import upsert
from core.models import ActionAudit, ActionNotice, Endpoint, EndpointHourly, Notification, Snapshot
from core.queries.savings import saved_in_month, stopped_intervals
from core.settings import AttributionConfig, parse_config
from core.timeutil import as_utc
from demo.rows import endpoint_hour_row, endpoint_row, put_endpoints
from monitor.policies import engine_performer, outbox_notifier, run_cycle
from tests.actions.test_sagemaker_endpoint import exists, picture
from tests.actions.world import ACCOUNT, REGION, autoscaling, create_endpoint, sagemaker

ROLE = "arn:aws:iam::{account}:role/GenAIMonitorActions"
HOURLY = Decimal("1.515")  # each seeded hour: one ml.g5.2xlarge hour in service
CONFIG = parse_config(
    f"""
teams:
  - {{name: research, routes: [research-log]}}
  - {{name: search}}
alerts: {{default_route: [oncall]}}
notifiers:
  research-log: {{type: log}}
  oncall: {{type: log}}
actions:
  enabled: true
  role_arn: "{ROLE}"
  policies:
    - {{kind: auto_stop, teams: [research], after: 72h, notice: 12h}}
    - {{kind: schedule, teams: [search], resources: ["dev-*"], stop: "0 20 * * 1-5", start: "0 8 * * 1-5", timezone: Europe/Berlin}}
"""
)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _store(sessions, arn: str, name: str, team: str, now: datetime, called_hours: int) -> None:
    """The endpoint's rows as the collectors store them: its life (with its ARN and tags as in
    moto) and 100 priced hours, called in the first ``called_hours``."""
    with sessions.begin() as session:
        row = endpoint_row(
            account_id=ACCOUNT,
            region=REGION,
            name=name,
            team=team,
            created_at=now - timedelta(hours=100),
            seen_at=now,
            instance_type="ml.g5.2xlarge",
            tags=_collected_tags(name),
        ) | {"endpoint_arn": arn, "endpoint_config_name": f"{name}-config"}
        endpoint_id = put_endpoints(session, [row])[name]
        upsert(
            session,
            EndpointHourly,
            [
                endpoint_hour_row(
                    endpoint_id=endpoint_id,
                    hour=now - timedelta(hours=100 - index),
                    instance_type="ml.g5.2xlarge",
                    instance_count=1,
                    invocations=5 if index < called_hours else 0,
                    estimated_cost_usd=HOURLY,
                    collected_at=now,
                )
                for index in range(100)
            ],
        )


def _collected_tags(name: str) -> dict[str, str]:
    """The endpoint's tags as the SageMaker collector reads and stores them (from moto)."""
    described = describe_endpoints(
        sagemaker(), autoscaling(), Target(ACCOUNT, REGION), datetime.now(UTC) + timedelta(days=1)
    )
    (found,) = [d for d in described if d.endpoint["EndpointName"] == name]
    return endpoint_life(
        found, target=Target(ACCOUNT, REGION), attribution=AttributionConfig(), seen_at=NOW_AUTO
    ).tags


def _recollect_tags(sessions, name: str) -> None:
    with sessions.begin() as session:
        session.execute(
            update(Endpoint)
            .where(Endpoint.endpoint_name == name)
            .values(tags=_collected_tags(name))
        )


def _rows(sessions, model, *columns):
    with sessions() as session:
        return session.execute(
            select(*(getattr(model, c) for c in columns)).order_by(model.id)
        ).all()


# --- auto_stop ---

NOW_AUTO = datetime(2026, 5, 12, 9, tzinfo=UTC)


def _auto_stop_world(
    sessions,
) -> tuple[str, Clock, Callable[[datetime], PolicyReport], ClientFactory]:
    arn = create_endpoint("idle-llm", scaling=False)
    _store(sessions, arn, "idle-llm", "research", NOW_AUTO, called_hours=20)
    clock, clients = Clock(NOW_AUTO), ClientFactory()
    perform = engine_performer(sessions, clients, CONFIG, clock=clock)

    def cycle(at: datetime) -> PolicyReport:
        clock.now = at
        return run_policies(
            sessions,
            perform,
            CONFIG.actions,
            at,
            outbox_notifier(CONFIG),
            window=Window(at - timedelta(minutes=5), at),
        )

    return arn, clock, cycle, clients


def test_auto_stop_announces_waits_the_notice_and_deletes_once(aws, sessions):
    arn, _clock, cycle, clients = _auto_stop_world(sessions)

    assert [(i.what, i.resource.arn) for i in cycle(NOW_AUTO).intents] == [("announce", arn)]
    assert _rows(sessions, ActionNotice, "state", "act_after", "team") == [
        ("open", NOW_AUTO + timedelta(hours=12), "research")
    ]
    assert _rows(sessions, ActionAudit, "action", "actor", "outcome", "at") == [
        ("announce", "policy:auto_stop", "succeeded", NOW_AUTO)
    ]
    assert _rows(sessions, Notification, "channel", "kind") == [("research-log", "firing")]
    # the notice has not run out: nothing is done, nothing is even read in AWS
    assert cycle(NOW_AUTO + timedelta(hours=11, minutes=55)).intents == []
    assert clients.counter.total() == 0 and exists("idle-llm")

    acted_at = NOW_AUTO + timedelta(hours=12)
    report = cycle(acted_at)

    assert [r.outcome for r in report.results] == ["succeeded"], report.results
    assert not exists("idle-llm")
    assert clients.counter.count("sagemaker", "DeleteEndpoint") == 1
    ((snapshot_id, hourly, taken_at),) = _rows(sessions, Snapshot, "id", "hourly_usd", "taken_at")
    assert (Decimal(str(hourly)), as_utc(taken_at)) == (HOURLY, acted_at)
    audits = _rows(sessions, ActionAudit, "action", "actor", "outcome", "snapshot_id", "at")
    assert audits[1:] == [("delete", "policy:auto_stop", "succeeded", snapshot_id, acted_at)]
    assert [state for (state,) in _rows(sessions, ActionNotice, "state")] == ["acted"]
    assert [kind for (kind,) in _rows(sessions, Notification, "kind")] == ["firing", "resolved"]
    # the collector has not seen the delete yet, the endpoint still looks idle: nothing more
    for hours in (12.1, 13, 40):
        assert cycle(NOW_AUTO + timedelta(hours=hours)).intents == []
    assert clients.counter.count("sagemaker", "DeleteEndpoint") == 1
    assert len(_rows(sessions, ActionAudit, "id")) == 2


def test_a_keep_alive_tag_during_the_notice_cancels_auto_stop(aws, sessions):
    arn, _clock, cycle, clients = _auto_stop_world(sessions)
    cycle(NOW_AUTO)
    sagemaker().add_tags(ResourceArn=arn, Tags=[{"Key": "keep-alive-until", "Value": "2026-06-30"}])
    _recollect_tags(sessions, "idle-llm")

    assert [i.what for i in cycle(NOW_AUTO + timedelta(hours=2)).intents] == ["cancel"]
    for hours in (12, 13, 48):
        assert cycle(NOW_AUTO + timedelta(hours=hours)).intents == []

    assert exists("idle-llm") and clients.counter.total() == 0
    assert _rows(sessions, ActionNotice, "state", "reason") == [
        ("cancelled", "keep-alive-until tag until 2026-07-01")
    ]
    assert [a for (a,) in _rows(sessions, ActionAudit, "action")] == ["announce"]
    assert [kind for (kind,) in _rows(sessions, Notification, "kind")] == ["firing", "resolved"]
    with sessions() as session:
        assert session.scalars(select(Snapshot)).first() is None


# --- schedule across a DST change ---


def test_a_schedule_stops_and_restores_on_the_wall_clock_across_the_dst_change(
    aws, sessions, engine
):
    # Sunday 25 October 2026 03:00 CEST -> 02:00 CET: Friday 20:00 is 18:00 UTC, Monday 08:00 07:00 UTC
    friday = datetime(2026, 10, 23, 0, tzinfo=UTC)
    monday_noon = datetime(2026, 10, 26, 12, tzinfo=UTC)
    arn = create_endpoint("dev-llm")
    _store(sessions, arn, "dev-llm", "search", friday, called_hours=100)
    before = picture("dev-llm")
    clock, claims, hour = Clock(friday), Claims(engine), timedelta(hours=1)
    perform = engine_performer(sessions, ClientFactory(), CONFIG, clock=clock)
    client, seen, changes = sagemaker(), True, []
    at = friday
    while at <= monday_noon:
        clock.now = at
        run_cycle(sessions, perform, CONFIG, claims, at, at, hour)
        now_seen = bool(client.list_endpoints(NameContains="dev-llm")["Endpoints"])
        if now_seen != seen:
            changes.append((now_seen, at))
            seen = now_seen
        at += hour

    stopped, restored = (
        datetime(2026, 10, 23, 18, tzinfo=UTC),
        datetime(2026, 10, 26, 7, tzinfo=UTC),
    )
    assert changes == [(False, stopped), (True, restored)]  # gone at 20:00, back at 08:00 local
    after = picture("dev-llm")
    for part in before:
        assert after[part] == before[part], part
    audits = _rows(sessions, ActionAudit, "action", "actor", "outcome", "at")
    assert [(a, actor, o, as_utc(t)) for a, actor, o, t in audits] == [
        ("delete", "policy:schedule", "succeeded", stopped),
        ("restore", "policy:schedule", "succeeded", restored),
    ]
    # 61 hours, not 60: the night the clocks went back lasted 25
    with sessions() as session:
        (interval,) = stopped_intervals(session, monday_noon)
        assert (interval.hours, interval.restored) == (Decimal(61), True)
        assert saved_in_month(session, "2026-10", monday_noon) == HOURLY * 61
        assert saved_in_month(session, "2026-10", monday_noon, teams=["research"]) == 0


# --- replicas ---


def test_two_replicas_with_the_real_engine_delete_once(aws, sessions, engine):
    arn, clock, cycle, _clients = _auto_stop_world(sessions)
    cycle(NOW_AUTO)  # the announcement
    clock.now = at = NOW_AUTO + timedelta(hours=12, minutes=5)
    factories = [ClientFactory(), ClientFactory()]
    start, reports = threading.Barrier(2), []

    def replica(n: int) -> None:
        perform = engine_performer(sessions, factories[n], CONFIG, clock=clock)
        claims = Claims(engine, owner=f"replica-{n}")
        start.wait()
        reports.append(run_cycle(sessions, perform, CONFIG, claims, at, at, timedelta(minutes=5)))

    threads = [threading.Thread(target=replica, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(f.counter.count("sagemaker", "DeleteEndpoint") for f in factories) == 1
    assert not exists("idle-llm")
    outcomes = [o for a, o in _rows(sessions, ActionAudit, "action", "outcome") if a == "delete"]
    assert outcomes == ["succeeded"]
    assert sorted(n for r in reports for n in r.ran) == ["auto_stop", "schedule"]
    assert sorted(n for r in reports for n in r.held_elsewhere) == ["auto_stop", "schedule"]
    assert arn not in {e["EndpointArn"] for e in sagemaker().list_endpoints()["Endpoints"]}


# --- `run`'s actions job ---


def test_runs_actions_job_deletes_with_the_real_engine(aws, sessions, database_url, tmp_path):
    from core.settings import EnvSettings
    from monitor.context import AppContext
    from monitor.scheduler import Service

    create_endpoint("idle-llm", scaling=False)
    arn = sagemaker().describe_endpoint(EndpointName="idle-llm")["EndpointArn"]
    _store(sessions, arn, "idle-llm", "research", NOW_AUTO, called_hours=20)
    path = tmp_path / "genai-monitor.yaml"
    path.write_text(
        "teams: [{name: research}]\n"
        "alerts: {interval: 5m}\n"
        f'actions: {{enabled: true, role_arn: "{ROLE}", policies: [{{kind: auto_stop, teams: [research]}}]}}\n'
    )
    app = AppContext(EnvSettings(database_url, path, True))
    clock = Clock(NOW_AUTO + timedelta(minutes=1))
    service = Service(app, clock=clock)
    try:
        assert service.run_policies() == "succeeded"  # announced
        assert exists("idle-llm")
        clock.now = NOW_AUTO + timedelta(hours=12, minutes=6)
        assert service.run_policies() == "succeeded"
        assert not exists("idle-llm")
        assert app.clients.counter.count("sagemaker", "DeleteEndpoint") == 1
        audits = _rows(sessions, ActionAudit, "action", "outcome", "at")
        assert [(a, o) for a, o, _at in audits] == [
            ("announce", "succeeded"),
            ("delete", "succeeded"),
        ]
        assert as_utc(audits[1][2]) == clock.now  # audited at the cycle's clock
    finally:
        app.engine.dispose()
