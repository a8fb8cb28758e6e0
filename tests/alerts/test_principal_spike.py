"""principal_spike through the real snapshot reader and alert engine, on SQLite and Postgres."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from alerts.rules import evaluate
from alerts.service import evaluate_once
from alerts.snapshot_source import build_snapshot
from core.models import Alert, Notification
from core.settings import parse_config
from tests.alerts.principal_rows import role, store, usage_row

DAY0 = datetime(2026, 11, 10, tzinfo=UTC)
NIGHT = datetime(2026, 11, 18, tzinfo=UTC)  # the night the agent loops, 02:00 to 05:00
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


def config(rule: str = "{kind: principal_spike, factor: 5}"):
    return parse_config(
        f"""
teams: [{{name: search, routes: [search-hook]}}, {{name: support}}]
notifiers:
  search-hook: {{type: log}}
  oncall: {{type: log}}
alerts:
  default_route: [oncall]
  rules: [{rule}]
""",
        "t.yaml",
    )


def hours(start: datetime, end: datetime):
    cursor = start
    while cursor < end:
        yield cursor
        cursor += timedelta(hours=1)


def seed(sessions) -> None:
    agent, steady, big, lab = role("search-agent"), role("batch"), role("big"), role("lab")
    rows = []
    for hour in hours(DAY0, NIGHT + timedelta(hours=10)):
        if 9 <= hour.hour < 18:  # works by day: $2 an hour, $0.5 of it on haiku
            rows.append(usage_row(hour, agent, "1.5"))
            rows.append(usage_row(hour, agent, "0.5", model=HAIKU))
        if NIGHT + timedelta(hours=2) <= hour < NIGHT + timedelta(hours=5):
            rows.append(usage_row(hour, agent, "38"))  # the loop: $38 an hour, at night
            rows.append(usage_row(hour, agent, "1", model=HAIKU))
        # steady, around the clock, with +-40% noise: never 5x its own median
        rows.append(usage_row(hour, steady, "3.0" if hour.hour % 2 else "1.8", team="support"))
        # steadily large: $400 an hour, every hour
        rows.append(usage_row(hour, big, "400", team="support"))
        # unpriced calls are not spend
        rows.append(usage_row(hour, role("unpriced"), None))
    # a new principal: first calls tonight, $30 an hour; no baseline to compare with
    rows += [
        usage_row(h, lab, "30")
        for h in hours(NIGHT + timedelta(hours=3), NIGHT + timedelta(hours=6))
    ]
    store(sessions, rows)


def run(sessions, cfg, start: datetime, end: datetime, step=timedelta(minutes=15)):
    now = start
    while now <= end:
        evaluate_once(sessions, cfg, lambda session, at: build_snapshot(cfg, session, at), now)
        now += step


def test_a_runaway_principal_fires_once_and_steady_ones_never(sessions):
    seed(sessions)
    cfg = config()
    run(sessions, cfg, NIGHT, NIGHT + timedelta(hours=9))
    with sessions() as session:
        alerts = list(session.scalars(select(Alert)))
        told = list(session.scalars(select(Notification).where(Notification.kind == "firing")))
    assert [(a.rule, a.subject, a.state) for a in alerts] == [
        ("principal_spike", role("search-agent"), "resolved")
    ]
    (alert,) = alerts
    # fired in the first evaluation inside the runaway hour, resolved once both judged hours are calm
    assert alert.fired_at == NIGHT + timedelta(hours=2)
    assert alert.resolved_at == NIGHT + timedelta(hours=6)
    assert alert.team == "search"
    assert [(n.alert_id, n.channel) for n in told] == [(alert.id, "search-hook")]
    # the message names the principal, the hour and the model; the details carry the evidence
    assert alert.details["model_id"] == "anthropic.claude-3-5-sonnet-20240620-v1:0"
    assert alert.details["baseline_usd"] == "2.000000"
    assert role("search-agent") in alert.message and "anthropic.claude-3-5-sonnet" in alert.message


def test_the_first_message_names_the_first_runaway_hour(sessions):
    seed(sessions)
    cfg = config()
    now = NIGHT + timedelta(hours=2, minutes=10)
    with sessions() as session:
        snapshot = build_snapshot(cfg, session, now)
    (finding,) = evaluate(cfg.alerts.rules[0], snapshot)
    assert finding.message == (
        f"principal {role('search-agent')} spent $39.00 in the hour of 2026-11-18 02:00 UTC, "
        "19.5x its median hour of $2.00 over 63 hours with calls; "
        "most on anthropic.claude-3-5-sonnet-20240620-v1:0 ($38.00)"
    )
    assert finding.details["models"] == {
        "anthropic.claude-3-5-sonnet-20240620-v1:0": "38.000000",
        HAIKU: "1.000000",
    }
    assert finding.active_since == NIGHT + timedelta(hours=2)


def test_a_new_principal_is_judged_only_against_new_principal_usd(sessions):
    seed(sessions)
    cfg = config("{kind: principal_spike, factor: 5, new_principal_usd: 25, name: spikes}")
    run(
        sessions, cfg, NIGHT + timedelta(hours=2), NIGHT + timedelta(hours=9), timedelta(minutes=30)
    )
    with sessions() as session:
        fired = sorted(
            (a.subject, a.fired_at) for a in session.scalars(select(Alert)) if a.fired_at
        )
    assert fired == [
        (role("lab"), NIGHT + timedelta(hours=3)),
        (role("search-agent"), NIGHT + timedelta(hours=2)),
    ]


def test_a_rise_under_min_hourly_usd_stays_quiet(sessions):
    seed(sessions)
    cfg = config("{kind: principal_spike, factor: 5, min_hourly_usd: 50}")
    run(sessions, cfg, NIGHT + timedelta(hours=2), NIGHT + timedelta(hours=4), timedelta(hours=1))
    with sessions() as session:
        assert session.scalars(select(Alert)).all() == []


def test_settings_are_checked_at_load():
    import pytest

    from core.settings import ConfigError

    with pytest.raises(ConfigError, match="factor"):
        config("{kind: principal_spike, factor: 1}")
    with pytest.raises(ConfigError, match="new_principal_usd"):
        config("{kind: principal_spike, new_principal_usd: 0}")
