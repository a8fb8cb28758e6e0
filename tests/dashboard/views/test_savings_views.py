"""The Overview and the weekly digest show "saved this month" beside "spent this month": price x
hours stopped of the resources stopped this month, for the teams in scope, on SQLite and Postgres."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from core.models import ActionAudit, Snapshot
from dashboard.context import DashboardContext
from dashboard.digest import render_weekly_html, render_weekly_text
from dashboard.filters import parse_filters
from dashboard.pages.overview import render
from dashboard.views.overview import overview_data
from dashboard.views.weekly import weekly_data
from demo import small as world

STOPPED = world.NOW - timedelta(hours=50)  # still stopped: 50 h at $2.50 = $125


def _stop(
    session, sid: str, team: str, at: datetime, hourly: str, restored: datetime | None = None
) -> None:
    where = {
        "kind": "sagemaker_endpoint",
        "resource_arn": f"arn:aws:sagemaker:us-east-1:111111111111:endpoint/{sid}",
        "name": sid,
        "account_id": "111111111111",
        "region": "us-east-1",
        "team": team,
    }
    session.add(
        Snapshot(
            id=sid,
            taken_at=at,
            document={},
            hourly_usd=Decimal(hourly),
            restored_at=restored,
            **where,
        )
    )
    session.flush()
    session.add(
        ActionAudit(
            at=at,
            actor="policy:auto_stop",
            action="delete",
            snapshot_id=sid,
            outcome="succeeded",
            message=None,
            request_ids=[],
            **where,
        )
    )


def _history(seeded) -> tuple[str, str]:
    teams = world.config().teams
    first, second = teams[0].name, teams[1].name
    with seeded.begin() as session:
        _stop(session, "a", first, STOPPED, "2.50")
        # stopped in February, restored 6 h into March: only March's 6 h count
        _stop(
            session,
            "b",
            second,
            datetime(2026, 2, 27, tzinfo=world.NOW.tzinfo),
            "1.00",
            datetime(2026, 3, 1, 6, tzinfo=world.NOW.tzinfo),
        )
    return first, second


def test_saved_this_month_beside_spent(seeded):
    first, _second = _history(seeded)
    context = DashboardContext(seeded, world.config(), clock=lambda: world.NOW)
    filters = parse_filters({"start": "2026-03-10", "end": str(world.TODAY)}, world.TODAY)
    with seeded() as session:
        data = overview_data(context, session, filters)
        only_first = overview_data(
            context,
            session,
            parse_filters(
                {"start": "2026-03-10", "end": str(world.TODAY), "team": first}, world.TODAY
            ),
        )
    assert data.month_saved_usd == Decimal("131.00")
    assert only_first.month_saved_usd == Decimal("125.00")
    page = str(render(data))
    assert "Saved 2026-03" in page and "$131.00" in page
    assert page.index("overview-month-spent") < page.index("overview-month-saved")


def test_the_weekly_digest_says_saved_this_month_beside_spent(seeded):
    first, _second = _history(seeded)
    monday = world.TODAY - timedelta(days=world.TODAY.weekday())
    with seeded() as session:
        data = weekly_data(session, monday, world.NOW)
        mine = weekly_data(session, monday, world.NOW, teams=[first])
    assert (data.month, data.month_saved_usd, mine.month_saved_usd) == (
        "2026-03",
        Decimal("131.00"),
        Decimal("125.00"),
    )
    assert data.month_spent_usd > mine.month_spent_usd > 0
    html = render_weekly_html(data, world.NOW)
    assert 'Saved 2026-03<br><span class="value down" id="month-saved">$131.00</span>' in html
    assert f'id="month-spent">${data.month_spent_usd:,.2f}<' in html
    assert "saved 2026-03 $131.00 (stopped waste)" in render_weekly_text(data)
