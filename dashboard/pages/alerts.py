"""Alerts: what is firing, pending and silenced now, and what was resolved in the days shown."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from dash import html

from dashboard.components import card, card_row, graph_section, table_section
from dashboard.context import DashboardContext
from dashboard.filters import Filters, FilterSpec
from dashboard.pages import add_filtered_page, filtered_layout
from dashboard.pictures import alert_timeline_figure
from dashboard.views.alerts import AlertsData, alerts_data

PAGE = "alerts"
SPEC = FilterSpec(PAGE, fields=("team",))
OPEN_COLUMNS = ["id", "severity", "rule", "team", "subject", "opened_at", "fired_at", "message"]


layout = filtered_layout(
    SPEC,
    "Alerts",
    "What needs attention now, and what has settled? (the days shown choose the resolved ones)",
)


def view(context: DashboardContext, filters: Filters) -> html.Div:
    """Query and render the page body: the callback's whole work."""
    with context.sessions() as session:
        data = alerts_data(session, filters)
    return render(data, min(filters.window[1], context.clock()))


def render(data: AlertsData, now: datetime) -> html.Div:
    """The page body from its data; open episodes run to ``now`` on the timeline."""
    frames = [data.firing, data.pending, data.silenced, data.resolved]
    episodes = pd.concat([frame for frame in frames if not frame.empty] or [data.firing])
    return html.Div(
        [
            card_row(
                card(f"{PAGE}-firing-count", "Firing", str(len(data.firing))),
                card(f"{PAGE}-pending-count", "Pending", str(len(data.pending))),
                card(f"{PAGE}-silenced-count", "Silenced", str(len(data.silenced))),
                card(
                    f"{PAGE}-resolved-count",
                    "Resolved in the days shown",
                    str(len(data.resolved)),
                ),
            ),
            graph_section(f"{PAGE}-timeline-graph", alert_timeline_figure(episodes, now)),
            table_section(
                "Firing", f"{PAGE}-firing", data.firing, "Nothing is firing.", columns=OPEN_COLUMNS
            ),
            table_section(
                "Pending",
                f"{PAGE}-pending",
                data.pending,
                "Nothing is pending.",
                columns=OPEN_COLUMNS,
            ),
            table_section(
                "Silenced",
                f"{PAGE}-silenced",
                data.silenced,
                "Nothing is silenced.",
                columns=[*OPEN_COLUMNS, "silenced_until"],
            ),
            table_section(
                "Resolved",
                f"{PAGE}-resolved",
                data.resolved,
                "No alert was resolved in the days shown.",
                columns=[
                    "id",
                    "severity",
                    "rule",
                    "team",
                    "subject",
                    "opened_at",
                    "resolved_at",
                    "message",
                ],
            ),
        ]
    )


add_filtered_page(
    SPEC, __name__, layout, view, label="Alerts", title="GenAI cost monitor: alerts", order=5
)
