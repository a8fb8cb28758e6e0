"""The Bedrock view model on the world, on SQLite and on Postgres."""

from __future__ import annotations

from datetime import timedelta

from core.queries.bedrock import bedrock_slices
from dashboard.filters import parse_filters
from dashboard.views.bedrock import bedrock_totals_frame, totals_from_daily
from demo import small as world

START = world.NOW.replace(hour=0, minute=0) - timedelta(days=9)
END = world.NOW.replace(hour=0, minute=0) - timedelta(days=2)


def test_bedrock_totals_folded_from_days_equal_the_totals_query(seeded):
    filters = parse_filters(
        {"start": str(START.date()), "end": str(END.date()), "region": "us-west-2"}, world.TODAY
    )
    with seeded() as session:
        start, end = filters.window
        folded = totals_from_daily(
            bedrock_slices(session, start, end, "team", True, regions=["us-west-2"])
        )
        direct = bedrock_totals_frame(session, filters, "team")
    assert folded.to_dict("records") == direct.to_dict("records")
    assert list(folded["model"]) == ["unattributed", "support", "search"]  # costliest first
