"""Advisor: token-priced or self-hosted? Break-even per Bedrock workload and right-sizing hints."""

from __future__ import annotations

from dash import html

from dashboard.advisor_port import current_advisor
from dashboard.components import card, card_row, graph_section, table_section, usd
from dashboard.context import DashboardContext
from dashboard.filters import Filters, FilterSpec
from dashboard.pages import add_filtered_page, filtered_layout
from dashboard.pictures import break_even_figure
from dashboard.views.advisor import AdvisorData, advisor_data

PAGE = "advisor"
SPEC = FilterSpec(PAGE)
WORKLOAD_COLUMNS = [
    "team",
    "model_id",
    "region",
    "tokens_per_month",
    "bedrock_usd_per_month",
    "self_hosted_on",
    "self_hosted_usd_per_month",
    "breakeven_tokens_per_month",
    "verdict",
    "assumptions",
]


layout = filtered_layout(
    SPEC,
    "Advisor",
    "Pay per token or pay for compute? What each workload would cost the other way, and where they break even.",
)


def view(context: DashboardContext, filters: Filters) -> html.Div:
    """Query and render the page body: the callback's whole work."""
    make_advisor = current_advisor()
    if make_advisor is None:
        return html.Div(
            html.P(
                "The hosting advisor is not part of this dashboard (serve it with `genai-monitor dashboard`).",
                className="empty",
                id=f"{PAGE}-unavailable",
            )
        )
    with context.sessions() as session:
        data = advisor_data(session, filters, context.config, make_advisor)
    return render(data)


def render(data: AdvisorData) -> html.Div:
    """The page body from its data."""
    return html.Div(
        [
            card_row(
                card(f"{PAGE}-workload-count", "Bedrock workloads", str(len(data.workloads))),
                card(f"{PAGE}-hint-count", "Endpoint hints", str(len(data.hints))),
                card(
                    f"{PAGE}-saving",
                    "Possible saving a month",
                    usd(data.monthly_saving),
                    "the best suggestion per endpoint, and self-hosting where cheaper",
                ),
            ),
            html.P(
                "Monthly figures scale the days shown to a month. Every figure names its assumptions (A1, A2, ...), "
                "listed below with where each is set: the catalogs under core/prices/ and advisor/, and the `advisor` section of the config.",
                className="note",
            ),
            graph_section(f"{PAGE}-break-even-graph", break_even_figure(data.workloads)),
            table_section(
                "Bedrock workloads",
                f"{PAGE}-workloads",
                data.workloads,
                "No Bedrock usage in the days shown.",
                columns=WORKLOAD_COLUMNS,
            ),
            table_section(
                "Endpoint hints",
                f"{PAGE}-hints",
                data.hints,
                "No hint: every endpoint looks right-sized, or none has a comparable model configured (advisor.endpoint_models).",
                columns=[
                    "team",
                    "endpoint_name",
                    "kind",
                    "suggestion",
                    "monthly_saving_usd",
                    "assumptions",
                ],
            ),
            table_section(
                "Assumptions",
                f"{PAGE}-assumptions",
                data.assumptions,
                "No figure, so no assumption.",
                page_size=30,
            ),
        ]
    )


add_filtered_page(
    SPEC, __name__, layout, view, label="Advisor", title="GenAI cost monitor: advisor", order=6
)
