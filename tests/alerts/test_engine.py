"""The alert lifecycle on a controlled clock, on SQLite and Postgres."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from alerts.outbox import deliver
from alerts.service import evaluate_once
from alerts.snapshot import EndpointState, Snapshot, TargetFreshness
from core.models import Alert, Notification, Silence
from core.settings import parse_config

T0 = datetime(2026, 11, 2, 8, tzinfo=UTC)


def config(rules: str, extra: str = ""):
    return parse_config(
        f"""
teams: [{{name: search, routes: [search-hook]}}, {{name: support}}]
notifiers:
  search-hook: {{type: webhook, url: "http://127.0.0.1:9/hook"}}
  oncall: {{type: log}}
alerts:
  repeat_interval: 4h
  default_route: [oncall]
  rules: [{rules}]
{extra}""",
        "t.yaml",
    )


def stale(source_down_since: datetime | None):
    """A snapshot source whose bedrock target stopped succeeding at ``source_down_since``."""

    def snapshot(_session, now):
        last_success = (
            now if source_down_since is None or now < source_down_since else source_down_since
        )
        return Snapshot(
            now,
            targets=(TargetFreshness("bedrock", "111111111111", "us-east-1", last_success, now),),
        )

    return snapshot


def notifications(sessions):
    with sessions() as session:
        return [
            (n.kind, n.sequence, n.channel, n.created_at)
            for n in session.scalars(select(Notification).order_by(Notification.id))
        ]


def test_a_day_long_condition_evaluated_every_minute_gives_one_firing_repeats_and_one_resolved(
    sessions,
):
    cfg = config("{kind: stale_data, for: 1h}")
    down_since = T0
    snapshot = stale(down_since)
    minutes = 26 * 60
    for minute in range(minutes):
        now = T0 + timedelta(minutes=minute)
        # the target comes back 25 hours after it went down
        source = stale(None) if now >= T0 + timedelta(hours=25) else snapshot
        evaluate_once(sessions, cfg, source, now)
    sent = notifications(sessions)
    # condition (down > 1h) holds from T0+1h01 to T0+25h: fires once, repeats every 4h, resolves once
    fired_at = T0 + timedelta(hours=1, minutes=1)
    assert sent[0] == ("firing", 0, "oncall", fired_at)
    assert [s[:2] for s in sent] == [
        ("firing", 0),
        ("repeat", 1),
        ("repeat", 2),
        ("repeat", 3),
        ("repeat", 4),
        ("repeat", 5),
        ("resolved", 0),
    ]
    assert [s[3] for s in sent[1:6]] == [fired_at + timedelta(hours=4 * k) for k in range(1, 6)]
    assert sent[-1][3] == T0 + timedelta(hours=25)
    with sessions() as session:
        (alert,) = session.scalars(select(Alert)).all()
    assert (alert.state, alert.fired_at, alert.resolved_at) == (
        "resolved",
        fired_at,
        T0 + timedelta(hours=25),
    )


def idle_snapshot(names, team="search", idle_hours=30):
    def snapshot(_session, now):
        return Snapshot(
            now,
            endpoints=tuple(
                EndpointState(
                    "111111111111",
                    "us-east-1",
                    name,
                    team,
                    "real-time",
                    "ml.g5.xlarge",
                    1,
                    True,
                    True,
                    now - timedelta(hours=idle_hours),
                    Decimal("30.18"),
                )
                for name in names
            ),
        )

    return snapshot


def test_ten_idle_endpoints_of_a_team_make_one_message_on_the_teams_route(sessions):
    cfg = config("{kind: idle_endpoint, for: 24h}")
    summary = evaluate_once(sessions, cfg, idle_snapshot([f"ep-{i}" for i in range(10)]), T0)
    assert summary.count("fired") == 10 and summary.count("notify") == 10
    with sessions() as session:
        rows = session.scalars(select(Notification)).all()
    assert {n.channel for n in rows} == {"search-hook"}
    assert len({n.group_key for n in rows}) == 1


def test_pending_until_held_long_enough_and_forgotten_if_it_clears_first(sessions):
    cfg = config("{kind: idle_endpoint, for: 24h}")
    evaluate_once(sessions, cfg, idle_snapshot(["ep"], idle_hours=5), T0)
    with sessions() as session:
        assert session.scalars(select(Alert.state)).all() == ["pending"]
    evaluate_once(sessions, cfg, idle_snapshot([]), T0 + timedelta(hours=1))
    with sessions() as session:
        assert session.scalars(select(Alert)).all() == []
    assert notifications(sessions) == []
    # idle again, long enough this time: the evidence (idle since 25h ago) fires it at once
    evaluate_once(sessions, cfg, idle_snapshot(["ep"], idle_hours=25), T0 + timedelta(hours=2))
    assert [n[:3] for n in notifications(sessions)] == [("firing", 0, "search-hook")]


def test_silences_mute_until_they_end_and_the_alert_fires_after(sessions):
    cfg = config("{kind: idle_endpoint, for: 1h}")
    with sessions.begin() as session:
        session.add(
            Silence(
                rule="idle_endpoint",
                subject_pattern="*/ep-*",
                team=None,
                starts_at=T0,
                ends_at=T0 + timedelta(hours=2),
                created_by="test",
                comment="maintenance",
            )
        )
    evaluate_once(sessions, cfg, idle_snapshot(["ep-1"]), T0 + timedelta(minutes=5))
    with sessions() as session:
        alert = session.scalars(select(Alert)).one()
    assert (alert.state, alert.silenced_until) == ("silenced", T0 + timedelta(hours=2))
    assert notifications(sessions) == []
    evaluate_once(sessions, cfg, idle_snapshot(["ep-1"]), T0 + timedelta(hours=2))
    assert [n[:2] for n in notifications(sessions)] == [("firing", 0)]


def test_a_rule_without_data_leaves_its_alerts_alone(sessions):
    cfg = config("{kind: stale_data, for: 1h}")
    evaluate_once(sessions, cfg, stale(T0 - timedelta(hours=3)), T0)
    evaluate_once(sessions, cfg, lambda _s, now: Snapshot(now), T0 + timedelta(hours=5))
    with sessions() as session:
        assert session.scalars(select(Alert.state)).all() == ["firing"]
    assert [n[0] for n in notifications(sessions)] == ["firing"]


def test_dry_run_changes_nothing(sessions):
    cfg = config("{kind: stale_data, for: 1h}")
    summary = evaluate_once(sessions, cfg, stale(T0 - timedelta(hours=3)), T0, dry_run=True)
    assert summary.count("fired") == 1 and summary.count("notify") == 1
    with sessions() as session:
        assert session.scalars(select(Alert)).all() == []


def test_budget_thresholds_are_told_once_and_resolve_quietly(sessions):
    from alerts.snapshot import TeamBudgetState

    cfg = config("{kind: budget_threshold, thresholds: [0.5]}")

    def budgets(spent, period="2026-11"):
        return lambda _s, now: Snapshot(
            now, budgets=(TeamBudgetState("search", period, Decimal(1000), Decimal(spent)),)
        )

    for hour in range(30):
        evaluate_once(sessions, cfg, budgets(600), T0 + timedelta(hours=hour))
    evaluate_once(sessions, cfg, budgets(10, "2026-12"), T0 + timedelta(days=30))
    assert [n[:3] for n in notifications(sessions)] == [("firing", 0, "search-hook")]


def test_outbox_rows_are_delivered_once(sessions):
    cfg = config("{kind: stale_data, for: 1h}")
    evaluate_once(sessions, cfg, stale(T0 - timedelta(hours=3)), T0)
    sent = []

    class Recorder:
        name = "oncall"

        def send(self, message):
            sent.append(message)

    report = deliver(sessions, {"oncall": Recorder()}, clock=lambda: T0)
    again = deliver(sessions, {"oncall": Recorder()}, clock=lambda: T0 + timedelta(hours=1))
    assert (report.delivered, again.delivered, len(sent)) == (1, 0, 1)
    assert sent[0].title == "[FIRING] stale_data (unattributed): bedrock/111111111111/us-east-1"
