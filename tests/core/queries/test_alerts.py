"""Alert episodes and filter options read from the dashboard's world, on SQLite and on Postgres."""

from __future__ import annotations

from datetime import timedelta

from core.alert_state import AlertState
from core.queries.alerts import alert_rows, alerts_resolved
from core.queries.options import filter_options
from demo import small as world

START = world.NOW.replace(hour=0, minute=0) - timedelta(days=9)
END = world.NOW.replace(hour=0, minute=0) - timedelta(days=2)


def test_filter_options_and_resolved_alerts(seeded):
    with seeded() as session:
        options = filter_options(session, START, END)
        resolved = alerts_resolved(session, world.NOW - timedelta(days=7), world.NOW)
        nobody = alerts_resolved(session, world.NOW - timedelta(days=7), world.NOW, ["nobody"])
    assert options.teams == ["search", "support", "unattributed"]
    assert options.accounts == list(world.ACCOUNTS) and options.regions == list(world.REGIONS)
    assert [a.rule for a in resolved] == ["budget_threshold"] and nobody == []


def test_alert_rows_by_state_and_team(seeded):
    with seeded() as session:
        everything = alert_rows(session)
        firing = alert_rows(session, [AlertState.FIRING])
        teams = {a.team for a in everything if a.team}
        team = sorted(teams)[0]
        mine = alert_rows(session, teams=[team])
    assert {a.state for a in firing} <= {"firing"} and firing
    assert [a.id for a in mine] == [a.id for a in everything if a.team == team]
