"""Endpoints: every SageMaker endpoint with uptime, calls, cost and idle waste; idle ones highlighted."""

from __future__ import annotations

from dash import Dash, html

from dashboard.act_panel import act_panel, allowed_here, register_act_callbacks
from dashboard.components import (
    card,
    card_row,
    graph_section,
    highlight_rows,
    price_note,
    table_section,
    usd,
)
from dashboard.context import ZERO, DashboardContext
from dashboard.filters import Filters, FilterSpec
from dashboard.pages import add_filtered_page, filtered_layout
from dashboard.pictures import endpoint_strip_figure
from dashboard.views.endpoints import (
    ENDPOINT_COLUMNS,
    endpoint_hours_frame,
    endpoint_sources_line,
    endpoints_frame,
)
from dashboard.views.waste import filtered_waste, waste_as_of

PAGE = "endpoints"
SPEC = FilterSpec(PAGE)
# a red bar marks the row as bold text did in the old table, without widening the columns
IDLE_ROW = highlight_rows("idle", "yes", backgroundColor="#fee2e2", boxShadow="inset 4px 0 #dc2626")


layout = filtered_layout(
    SPEC, "Endpoints", "Which SageMaker endpoint is running and billing while nobody calls it?"
)


def view(context: DashboardContext, filters: Filters) -> html.Div:
    """Query and render the page body: the callback's whole work."""
    threshold = context.idle_threshold_hours()
    with context.sessions() as session:
        frame = endpoints_frame(session, filters, threshold)
        sources = endpoint_sources_line(session, filters)
        hours = endpoint_hours_frame(session, filters)
        # the idle endpoints, to act on: only asked for whoever may act
        wasted = (
            filtered_waste(
                session, filters, waste_as_of(context, filters), context.idle_thresholds()
            )
            if allowed_here(context)
            else None
        )
    start, end = filters.window
    # the strip ends at the newest hour that can have been collected
    shown_end = max(start, min(end, context.clock().replace(minute=0, second=0, microsecond=0)))
    idle = frame[frame["idle"]] if not frame.empty else frame
    cost = (
        sum((v for v in frame["estimated_cost_usd"] if v is not None), ZERO)
        if not frame.empty
        else ZERO
    )
    waste = (
        sum((v for v in idle["idle_cost_usd"] if v is not None), ZERO) if not idle.empty else ZERO
    )
    cards = card_row(
        card(f"{PAGE}-count", "Endpoints", str(len(frame))),
        card(f"{PAGE}-idle-count", f"Idle {threshold:g}h or more", str(len(idle))),
        card(f"{PAGE}-cost", "Cost in the days shown", usd(cost)),
        card(f"{PAGE}-idle-waste", "Idle waste", usd(waste), "cost of the idle streaks"),
    )
    return html.Div(
        [
            cards,
            graph_section(f"{PAGE}-strip-graph", endpoint_strip_figure(hours, start, shown_end)),
            price_note(f"{PAGE}-price-sources", "Endpoint cost", sources),
            html.P(
                "Idle hours are the in-service hours since the last call, as of the end of the days shown. "
                "Serverless and scale-to-zero endpoints bill per use and are never idle waste. "
                "Estimated cost: instance-hours at list price (the monitor's estimate); billed: the "
                "CUR 2.0 lines of the endpoint's ARN (source cur; shown when a CUR export is read). "
                "Sort and filter by column; Export downloads CSV.",
                className="note",
            ),
            table_section(
                "Endpoints",
                f"{PAGE}-table",
                frame,
                "No SageMaker endpoints in the days shown: run `genai-monitor collect sagemaker`.",
                columns=[column for column in ENDPOINT_COLUMNS if column in frame.columns],
                filterable=True,
                page_size=25,
                highlight=[IDLE_ROW],
            ),
            None
            if wasted is None
            else act_panel(PAGE, wasted[wasted["kind"] == "sagemaker_endpoint"], context),
        ]
    )


def _act_callbacks(app: Dash) -> None:
    register_act_callbacks(app, PAGE)


add_filtered_page(
    SPEC,
    __name__,
    layout,
    view,
    label="Endpoints",
    title="GenAI cost monitor: endpoints",
    order=3,
    callbacks=_act_callbacks,
)
