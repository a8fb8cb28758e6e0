"""Overview: this month's GenAI spend per team against budget, the top models and endpoints, open alerts."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard.components import (
    card,
    card_row,
    graph_section,
    grid,
    price_note,
    table_section,
    usd,
)
from dashboard.context import DashboardContext
from dashboard.figures import budget_figure
from dashboard.filters import Filters, FilterSpec
from dashboard.pages import add_filtered_page, filtered_layout
from dashboard.views.overview import OverviewData, attribution_frame, overview_data

PAGE = "overview"
SPEC = FilterSpec(PAGE)


layout = filtered_layout(
    SPEC,
    "Overview",
    "What has each team spent on GenAI this month, will it stay in budget, and what costs most?",
)


def view(context: DashboardContext, filters: Filters) -> html.Div:
    """Query and render the page body: the callback's whole work."""
    with context.sessions() as session:
        data = overview_data(context, session, filters)
    return render(data)


def share_card(data: OverviewData) -> html.Div:
    """What fraction of this month's billed spend has a team, and the unattributed rest by reason."""
    share = data.attribution
    reasons = "; ".join(
        f"{reason} {usd(amount)}" for reason, amount in share.unattributed_usd.items() if amount
    )
    return card(
        f"{PAGE}-attributed-share",
        f"Spend with a team {data.month}",
        "n/a" if share.share is None else f"{share.share:.1%}",
        f"unattributed: {reasons}" if reasons else "nothing unattributed",
    )


def render(data: OverviewData) -> html.Div:
    """The page body from its data."""
    budgets = data.budgets
    month_projected = sum(budgets["projected_usd"]) if not budgets.empty else None
    budget_total = (
        sum(v for v in budgets["budget_usd"] if v is not None) if not budgets.empty else None
    )
    cards = card_row(
        card(
            f"{PAGE}-month-spent",
            f"Spent {data.month} (billed, to {data.as_of})",
            usd(data.month_spent_usd),
        ),
        card(
            f"{PAGE}-month-saved",
            f"Saved {data.month}",
            usd(data.month_saved_usd),
            "stopped waste: price x hours stopped",
        ),
        card(f"{PAGE}-month-projected", "Projected month-end", usd(month_projected)),
        card(f"{PAGE}-month-budget", "Budgets this month", usd(budget_total or None)),
        card(f"{PAGE}-window-spend", "Billed in the days shown", usd(data.window_spend_usd)),
        card(
            f"{PAGE}-window-estimate",
            "Bedrock estimate in the days shown",
            usd(data.window_estimate_usd),
            "from token metrics",
        ),
        card(
            f"{PAGE}-waste-monthly",
            "Idle waste a month",
            usd(data.waste_monthly_usd),
            "if left running (Waste page)",
        ),
        card(f"{PAGE}-alert-count", "Firing or pending alerts", str(len(data.alerts))),
        share_card(data),
    )
    return html.Div(
        [
            cards,
            graph_section(f"{PAGE}-budget-graph", budget_figure(budgets, data.month)),
            table_section(
                f"Budgets {data.month}",
                f"{PAGE}-budgets",
                budgets,
                "No Cost Explorer spend or budgets for this month yet: run `genai-monitor collect costs`.",
            ),
            price_note(
                f"{PAGE}-bedrock-price-sources", "Bedrock estimate", data.bedrock_price_sources
            ),
            price_note(
                f"{PAGE}-endpoint-price-sources", "Endpoint cost", data.endpoint_price_sources
            ),
            grid(
                table_section(
                    "Top models by estimated cost",
                    f"{PAGE}-models",
                    data.top_models,
                    "No Bedrock usage in the days shown.",
                    columns=[
                        "model",
                        "invocations",
                        "input_tokens",
                        "output_tokens",
                        "estimated_cost_usd",
                        "price_source",
                    ],
                ),
                table_section(
                    "Top endpoints by cost",
                    f"{PAGE}-endpoints",
                    data.top_endpoints,
                    "No SageMaker endpoints in the days shown.",
                    columns=[
                        "endpoint_name",
                        "team",
                        "status",
                        "instance_type",
                        "estimated_cost_usd",
                        "idle_hours",
                        "idle_cost_usd",
                    ],
                ),
            ),
            table_section(
                f"Attribution of the spend {data.month}: with a team, and unattributed by reason",
                f"{PAGE}-attribution",
                attribution_frame(data.attribution)
                if data.attribution.total_usd
                else pd.DataFrame(),
                "No billed spend this month yet.",
            ),
            table_section(
                "Active alerts",
                f"{PAGE}-alerts",
                data.alerts,
                "No alert is firing or pending.",
                columns=["state", "severity", "rule", "team", "subject", "opened_at", "message"],
            ),
        ]
    )


add_filtered_page(
    SPEC,
    __name__,
    layout,
    view,
    label="Overview",
    title="GenAI cost monitor: overview",
    order=0,
    path="/",
)
