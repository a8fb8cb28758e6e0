"""The dashboard says where each estimate's prices came from: the line under the Bedrock,
Overview, Teams and Endpoints estimates and the Bedrock tables' price_source column, on the small
world (its first region priced from a Price List point, its second from genai-prices), on SQLite
and Postgres; and the wording itself (pure)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from core.models import BedrockUsageHourly
from core.pricing.sources import UNPRICED
from core.queries.price_sources import PriceMix
from dashboard.context import DashboardContext
from dashboard.filters import parse_filters
from dashboard.views.bedrock import bedrock_data
from dashboard.views.overview import overview_data
from dashboard.views.price_sources import price_sources_cell, price_sources_line
from dashboard.views.teams import team_data
from demo import small as world

WINDOW = {"start": "2026-03-10", "end": "2026-03-17"}


def test_the_line_gives_each_source_its_part_of_the_dollars_and_the_unpriced_part_of_the_usage():
    mix = PriceMix()
    mix.add("AWS Price List", "2026-11-20", Decimal("8.2"), Decimal(700), 7)
    mix.add("AWS Price List", "2026-11-01", Decimal("0"), Decimal(100), 1)
    mix.add("genai-prices 0.2.3", "2026-11-25", Decimal("1.5"), Decimal(150), 2)
    mix.add("config override", "config", Decimal("0.3"), Decimal(20), 1)
    mix.add(UNPRICED, None, Decimal(0), Decimal(30), 3)
    assert price_sources_line(mix, "tokens", "model-hours") == (
        "AWS Price List (2026-11-01 to 2026-11-20) 82%, genai-prices 0.2.3 (2026-11-25) 15%, "
        "config override 3% of the dollars; 3% of tokens unpriced (3 model-hours)."
    )
    assert price_sources_cell(mix) == (
        "AWS Price List (2026-11-01 to 2026-11-20) 82%; genai-prices 0.2.3 (2026-11-25) 15%; "
        "config override 3%"
    )
    only_unpriced = PriceMix()
    only_unpriced.add(UNPRICED, None, Decimal(0), Decimal(5), 1)
    assert price_sources_line(only_unpriced, "instance-hours", "endpoint-hours") == (
        "nothing; 100% of instance-hours unpriced (1 endpoint-hours)."
    )
    assert price_sources_cell(only_unpriced) == "unpriced"
    assert price_sources_line(PriceMix(), "tokens", "model-hours") == "no usage in the days shown."


LABELS = {
    "us-east-1": "AWS Price List (2026-01-01)",
    "us-west-2": "genai-prices 0.2.3 (2026-01-15)",
}


def expected_parts(sessions, filters, teams=None, model=None) -> list[str]:
    """Each source's part of the Bedrock dollars, the largest first, from the database's own
    sums per region (the small world prices each region from one source)."""
    start, end = filters.window
    usage = BedrockUsageHourly
    statement = (
        select(usage.region, func.sum(usage.estimated_cost_usd))
        .where(usage.hour >= start, usage.hour < end)
        .group_by(usage.region)
    )
    if teams:
        statement = statement.where(usage.team.in_(teams))
    if model:
        statement = statement.where(usage.base_model_id == model)
    with sessions() as session:
        cost = {region: Decimal(str(amount)) for region, amount in session.execute(statement)}
    total = sum(cost.values())
    return [
        f"{LABELS[region]} {(amount / total * 100).quantize(Decimal(1), ROUND_HALF_UP)}%"
        for region, amount in sorted(cost.items(), key=lambda item: -item[1])
    ]


def expected_line(sessions, filters, teams=None) -> str:
    return ", ".join(expected_parts(sessions, filters, teams)) + " of the dollars."


def test_the_bedrock_page_says_where_each_row_and_the_whole_estimate_got_their_prices(seeded):
    filters = parse_filters({**WINDOW, "by": "region"}, world.TODAY)
    with seeded() as session:
        data = bedrock_data(session, filters, "region")
    assert data.price_sources == expected_line(seeded, filters)
    assert dict(zip(data.totals["model"], data.totals["price_source"], strict=True)) == {
        "us-east-1": "AWS Price List (2026-01-01)",
        "us-west-2": "genai-prices 0.2.3 (2026-01-15)",
    }
    for team, model, cell in zip(
        data.model_reconciliation["team"],
        data.model_reconciliation["model"],
        data.model_reconciliation["price_source"],
        strict=True,
    ):
        assert cell == "; ".join(expected_parts(seeded, filters, [team], model)), (team, model)


def test_overview_and_teams_say_where_the_bedrock_and_endpoint_estimates_got_their_prices(seeded):
    context = DashboardContext(seeded, world.config(), clock=lambda: world.NOW)
    filters = parse_filters(WINDOW, world.TODAY)
    with seeded() as session:
        overview = overview_data(context, session, filters)
        team = team_data(
            context, session, parse_filters({**WINDOW, "team": "search"}, world.TODAY), "search"
        )
    assert overview.bedrock_price_sources == expected_line(seeded, filters)
    for model, cell in zip(
        overview.top_models["model"], overview.top_models["price_source"], strict=True
    ):
        assert cell == "; ".join(expected_parts(seeded, filters, model=model)), model
    # the small world's endpoint-hours carry no source: the shipped catalog priced them
    assert overview.endpoint_price_sources == "shipped data 100% of the dollars."
    assert team.bedrock_price_sources == expected_line(seeded, filters, ["search"])
    assert team.endpoint_price_sources == "shipped data 100% of the dollars."
