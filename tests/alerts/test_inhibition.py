"""Budget thresholds: the highest one reached stands and inhibits the lower ones, history kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from alerts.service import evaluate_once
from alerts.snapshot import Snapshot, TeamBudgetState
from core.alert_state import AlertState
from core.models import Alert, Notification
from core.queries.alerts import alert_rows
from dashboard.filters import Filters
from dashboard.views.alerts import alerts_data
from tests.alerts.test_engine import config, notifications

T0 = datetime(2026, 11, 2, 8, tzinfo=UTC)
THRESHOLDS = "{kind: budget_threshold, thresholds: [0.5, 0.8, 1.0]}"


def spent(amount, period="2026-11"):
    """A snapshot where team search has spent ``amount`` of its $1000 budget for ``period``."""
    return lambda _s, now: Snapshot(
        now, budgets=(TeamBudgetState("search", period, Decimal(1000), Decimal(amount)),)
    )


def states(sessions) -> dict[str, tuple[str, str | None]]:
    with sessions() as session:
        return {
            a.subject: (a.state, a.inhibited_by)
            for a in session.scalars(select(Alert).order_by(Alert.id))
        }


def told(sessions) -> list[tuple[str, str]]:
    """Each queued message: its kind and the subject of its alert."""
    with sessions() as session:
        return [
            (n.kind, session.get(Alert, n.alert_id).subject)
            for n in session.scalars(select(Notification).order_by(Notification.id))
        ]


def shown(sessions) -> list[str]:
    """What `alerts list`, the exports and the dashboard show by default."""
    with sessions() as session:
        return [a.subject for a in alert_rows(session)]


def test_a_team_past_its_budget_has_one_firing_alert_and_one_message(sessions):
    cfg = config(THRESHOLDS)
    for hour in range(3):
        summary = evaluate_once(sessions, cfg, spent(1050), T0 + timedelta(hours=hour))
    assert states(sessions) == {
        "search/2026-11/100%": ("firing", None),
        "search/2026-11/80%": ("inhibited", "search/2026-11/100%"),
        "search/2026-11/50%": ("inhibited", "search/2026-11/100%"),
    }
    assert summary.changes == []  # the later evaluations change nothing
    assert [n[:3] for n in notifications(sessions)] == [("firing", 0, "search-hook")]
    assert shown(sessions) == ["search/2026-11/100%"]
    with sessions() as session:
        page = alerts_data(session, Filters(date(2026, 11, 1), date(2026, 11, 30)))
        assert list(page.firing["subject"]) == ["search/2026-11/100%"]
        assert len(alert_rows(session, inhibited=True)) == 3  # the history keeps all three
        assert len(alert_rows(session, [AlertState.INHIBITED], inhibited=True)) == 2


def test_crossing_50_80_then_100_tells_each_once_and_the_next_month_starts_fresh(sessions):
    cfg = config(THRESHOLDS)
    for day, amount in enumerate((600, 850, 1010, 1020, 1030)):
        evaluate_once(sessions, cfg, spent(amount), T0 + timedelta(days=day))
    assert told(sessions) == [
        ("firing", "search/2026-11/50%"),
        ("firing", "search/2026-11/80%"),
        ("firing", "search/2026-11/100%"),
    ]
    assert shown(sessions) == ["search/2026-11/100%"]
    assert states(sessions)["search/2026-11/50%"] == ("inhibited", "search/2026-11/100%")
    # a new month: the old alerts end quietly, the history keeps them, 50% of December is news
    evaluate_once(sessions, cfg, spent(550, "2026-12"), datetime(2026, 12, 1, 8, tzinfo=UTC))
    assert [n[0] for n in notifications(sessions)] == ["firing"] * 4
    assert shown(sessions) == ["search/2026-12/50%", "search/2026-11/100%"]
    after = states(sessions)
    assert after["search/2026-11/80%"] == ("resolved", "search/2026-11/100%")
    assert after["search/2026-11/100%"] == ("resolved", None)
    assert after["search/2026-12/50%"] == ("firing", None)
    with sessions() as session:
        page = alerts_data(session, Filters(date(2026, 11, 1), date(2026, 12, 1)))
        assert list(page.resolved["subject"]) == ["search/2026-11/100%"]


def test_the_lower_threshold_stands_again_if_the_higher_one_clears(sessions):
    cfg = config(THRESHOLDS)
    evaluate_once(sessions, cfg, spent(850), T0)
    assert states(sessions)["search/2026-11/50%"] == ("inhibited", "search/2026-11/80%")
    # spend corrected downwards (a refund): 80% no longer holds, 50% stands and is told once
    evaluate_once(sessions, cfg, spent(600), T0 + timedelta(hours=1))
    evaluate_once(sessions, cfg, spent(600), T0 + timedelta(hours=2))
    assert states(sessions) == {
        "search/2026-11/80%": ("resolved", None),
        "search/2026-11/50%": ("firing", None),
    }
    assert told(sessions) == [
        ("firing", "search/2026-11/80%"),
        ("firing", "search/2026-11/50%"),
    ]
    assert shown(sessions) == ["search/2026-11/50%", "search/2026-11/80%"]
