"""Bedrock: tokens and estimated cost by model, inference profile or region; errors; estimate vs bill."""

from __future__ import annotations

from datetime import date

from dash import dcc, html

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
from dashboard.figures import errors_figure, reconciliation_figure, stacked_daily, tokens_figure
from dashboard.filters import BadFilter, Filters, FilterSpec
from dashboard.pages import add_filtered_page, filtered_layout
from dashboard.views.bedrock import BedrockData, bedrock_data

PAGE = "bedrock"
GROUPINGS = {
    "model": "foundation model",
    "model_id": "model id / inference profile",
    "region": "region",
    "team": "team",
    "account": "account",
    "endpoint": "endpoint (runtime / Mantle)",
    "principal": "IAM principal (invocation logs)",
}
SPEC = FilterSpec(PAGE, extra=(("by", f"{PAGE}-by", "value"),))


def grouping(filters: Filters, _today: date | None = None) -> str:
    """The dimension the page groups by (foundation model unless the URL says otherwise)."""
    chosen = filters.extra.get("by", "model")
    if chosen not in GROUPINGS:
        raise BadFilter(f"by: expected one of {', '.join(GROUPINGS)}, got {chosen[:40]!r}")
    return chosen


def grouping_control(filters: Filters, _today: date) -> html.Div:
    """The group-by choice."""
    return html.Div(
        [
            html.Label("Group by", htmlFor=f"{PAGE}-by", className="filter-label"),
            dcc.RadioItems(
                id=f"{PAGE}-by",
                options=[{"label": label, "value": key} for key, label in GROUPINGS.items()],
                value=grouping(filters),
                inline=True,
                inputStyle={"marginRight": "4px", "marginLeft": "10px"},
            ),
        ],
        className="filter",
    )


layout = filtered_layout(
    SPEC,
    "Bedrock",
    "Which models, inference profiles and regions use the tokens and the money, and does the estimate match the bill?",
    extra_keys=("by",),
    control=grouping_control,
)


def view(context: DashboardContext, filters: Filters) -> html.Div:
    """Query and render the page body: the callback's whole work."""
    with context.sessions() as session:
        data = bedrock_data(session, filters, grouping(filters))
    return render(data)


def render(data: BedrockData) -> html.Div:
    """The page body from its data."""
    totals = data.totals
    label = GROUPINGS[data.by]
    estimate = (
        sum(v for v in totals["estimated_cost_usd"] if v is not None) if not totals.empty else None
    )
    unpriced = int(totals["unpriced_hours"].sum()) if not totals.empty else 0
    cards = card_row(
        card(
            f"{PAGE}-estimate",
            "Estimated cost in the days shown",
            usd(estimate),
            f"{unpriced} unpriced model-hour(s)" if unpriced else "every hour priced",
        ),
        card(
            f"{PAGE}-invocations",
            "Invocations",
            f"{int(totals['invocations'].sum()):,}" if not totals.empty else "0",
        ),
        card(
            f"{PAGE}-tokens",
            "Input / output tokens",
            f"{int(totals['input_tokens'].sum()):,} / {int(totals['output_tokens'].sum()):,}"
            if not totals.empty
            else "0 / 0",
        ),
        card(
            f"{PAGE}-throttles",
            "Throttles",
            f"{int(totals['throttles'].sum()):,}" if not totals.empty else "0",
        ),
    )
    batch = data.batch
    return html.Div(
        [
            cards,
            card_row(
                card(
                    f"{PAGE}-batch-cost",
                    "Batch inference (apart from on-demand)",
                    usd(batch.batch_usd),
                    f"{len(batch.jobs)} job(s) submitted in the days shown"
                    + (f", {batch.unpriced} unpriced" if batch.unpriced else ""),
                ),
                card(
                    f"{PAGE}-batch-saving",
                    "Saved by batch vs on-demand",
                    usd(batch.saving_usd),
                    f"the same tokens on demand: {usd(batch.on_demand_usd)}",
                ),
            ),
            price_note(f"{PAGE}-price-sources", "Estimates", data.price_sources),
            grid(
                graph_section(
                    f"{PAGE}-cost-graph",
                    stacked_daily(
                        data.daily,
                        "key",
                        "estimated_cost_usd",
                        f"Estimated cost per day by {label}",
                        "No Bedrock usage in the days shown",
                    ),
                ),
                graph_section(f"{PAGE}-tokens-graph", tokens_figure(data.daily)),
                graph_section(f"{PAGE}-errors-graph", errors_figure(data.daily)),
                graph_section(
                    f"{PAGE}-reconciliation-graph",
                    reconciliation_figure(data.reconciliation),
                ),
            ),
            table_section(
                f"Usage by {label}",
                f"{PAGE}-totals",
                totals.rename(columns={"model": data.by}),
                "No Bedrock usage in the days shown: run `genai-monitor collect bedrock`.",
            ),
            table_section(
                "Batch inference jobs: the batch rate against the same tokens on demand",
                f"{PAGE}-batch",
                batch.jobs,
                "No batch inference job submitted in the days shown.",
            ),
            table_section(
                "List price, effective rate and bill per day",
                f"{PAGE}-reconciliation",
                data.reconciliation,
                "Nothing to reconcile in the days shown (the bill has no region or account split here: clear those filters).",
            ),
            table_section(
                "List price, effective rate and bill per team and model",
                f"{PAGE}-model-reconciliation",
                data.model_reconciliation,
                "Nothing to reconcile per model in the days shown (clear the account and region filters).",
            ),
        ]
    )


add_filtered_page(
    SPEC,
    __name__,
    layout,
    view,
    label="Bedrock",
    title="GenAI cost monitor: Bedrock",
    order=2,
    check=grouping,
)
