"""Waste: everything billing while nobody uses it, what it has burnt, what it costs a month, what stops it."""

from __future__ import annotations

from datetime import date

from dash import Dash, dcc, html

from dashboard.act_panel import act_panel, register_act_callbacks
from dashboard.components import card, card_row, graph_section, table_section, usd
from dashboard.context import ZERO, DashboardContext
from dashboard.filters import Filters, FilterSpec
from dashboard.pages import add_filtered_page, filtered_layout
from dashboard.pictures import waste_figure
from dashboard.views.waste import (
    SAVED_COLUMNS,
    WASTE_COLUMNS,
    filtered_waste,
    saved_frame,
    waste_as_of,
)

PAGE = "waste"
# ?resource=ARN (an idle alert's link) shows that one resource
SPEC = FilterSpec(PAGE, extra=(("resource", f"{PAGE}-resource", "value"),))


def resource_control(filters: Filters, _today: date) -> html.Div:
    """The one-resource box: an ARN shows only that resource (empty: every idle resource)."""
    return html.Div(
        [
            html.Label("Resource (ARN)", htmlFor=f"{PAGE}-resource", className="filter-label"),
            dcc.Input(
                id=f"{PAGE}-resource",
                type="text",
                value=filters.extra.get("resource", ""),
                placeholder="all",
                debounce=True,
            ),
        ],
        className="filter",
    )


layout = filtered_layout(
    SPEC,
    "Waste",
    "What is billing while nobody uses it, what has it burnt, and what would it cost a month if left running?",
    extra_keys=("resource",),
    control=resource_control,
)


def view(context: DashboardContext, filters: Filters) -> html.Div:
    """Query and render the page body: the callback's whole work."""
    at = waste_as_of(context, filters)
    with context.sessions() as session:
        frame = filtered_waste(session, filters, at, context.idle_thresholds(), context.under_use())
        saved = saved_frame(session, filters, at)
    resource = filters.extra.get("resource", "").strip()
    if resource:
        frame = frame[frame["resource"] == resource].reset_index(drop=True)
        saved = saved[saved["resource"] == resource].reset_index(drop=True)
    empty = (
        f"{resource} is not idle or under-used (or not in the teams, accounts and regions shown) "
        f"as of {at:%Y-%m-%d %H:%M} UTC."
        if resource
        else "Nothing is idle or under-used: no resource is billing beyond its traffic."
    )

    def total(column: str) -> str:
        known = [v for v in frame[column] if v is not None] if not frame.empty else []
        return usd(sum(known, ZERO))

    return html.Div(
        [
            card_row(
                card(f"{PAGE}-count", "Idle resources", str(len(frame))),
                card(f"{PAGE}-burnt", "Burnt while idle", total("burnt_usd"), "so far"),
                card(
                    f"{PAGE}-monthly",
                    "A month if left running",
                    total("monthly_usd"),
                    "730 hours at today's rate",
                ),
            ),
            graph_section(f"{PAGE}-graph", waste_figure(frame)),
            html.P(
                f"As of {at:%Y-%m-%d %H:%M} UTC (the end of the days shown). A resource is idle once it has gone "
                "its alert rule's `for` without traffic; serverless and scale-to-zero endpoints bill per use and are "
                "never waste. `genai-monitor act` takes the resource column; `genai-monitor waste` exports these rows.",
                className="note",
            ),
            table_section(
                "Idle resources",
                f"{PAGE}-table",
                frame,
                empty,
                columns=WASTE_COLUMNS,
                filterable=True,
                page_size=25,
            ),
            table_section(
                "Stopped by actions: what each saved in the days shown",
                f"{PAGE}-saved",
                saved,
                "No resource was stopped in the days shown.",
                columns=SAVED_COLUMNS,
                page_size=25,
            ),
            act_panel(PAGE, frame, context),
        ]
    )


def _act_callbacks(app: Dash) -> None:
    register_act_callbacks(app, PAGE)


add_filtered_page(
    SPEC,
    __name__,
    layout,
    view,
    label="Waste",
    title="GenAI cost monitor: waste",
    order=7,
    callbacks=_act_callbacks,
)
