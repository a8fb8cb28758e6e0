"""Building blocks the pages share: tables with CSV download, number cards, empty states."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from dash import dash_table, dcc, html
from dash.dash_table.Format import Format, Scheme

from core.timeutil import iso_utc

MONEY_SUFFIX = "_usd"
RATIO_COLUMNS = frozenset({"used", "projected_use", "change"})
INTEGER_COLUMNS = frozenset(
    {
        "invocations",
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "client_errors",
        "server_errors",
        "throttles",
        "unpriced_hours",
        "instance_count",
        "id",
    }
)
HOURS_COLUMNS = frozenset({"hours_in_service", "idle_hours"})


def cell(value: Any) -> Any:
    """A value as the browser table holds it: money and hours as numbers (the edge), times as ISO text."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as JSON-ready dicts for a DataTable."""
    return [
        {column: cell(value) for column, value in zip(frame.columns, row, strict=True)}
        for row in frame.itertuples(index=False)
    ]


def _column(name: str) -> dict[str, Any]:
    label = name.replace("_usd", " (USD)").replace("_", " ")
    spec: dict[str, Any] = {"name": label, "id": name}
    if name.endswith(MONEY_SUFFIX):
        spec.update(type="numeric", format=Format(precision=2, scheme=Scheme.fixed, group=True))
    elif name in RATIO_COLUMNS:
        spec.update(type="numeric", format=Format(precision=1, scheme=Scheme.percentage))
    elif name in INTEGER_COLUMNS:
        spec.update(type="numeric", format=Format(group=True))
    elif name in HOURS_COLUMNS:
        spec.update(type="numeric", format=Format(precision=1, scheme=Scheme.fixed, group=True))
    return spec


def table(
    component_id: str,
    frame: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    page_size: int = 15,
    sortable: bool = True,
    filterable: bool = False,
    highlight: Sequence[dict[str, Any]] = (),
) -> dash_table.DataTable:
    """A DataTable of a frame with an Export (CSV) button; money right-aligned with cents."""
    shown = list(columns or frame.columns)
    return dash_table.DataTable(
        id=component_id,
        columns=[_column(name) for name in shown],
        data=records(frame[shown]) if not frame.empty else [],
        page_size=page_size,
        sort_action="native" if sortable else "none",
        filter_action="native" if filterable else "none",
        export_format="csv",
        export_headers="ids",
        style_table={"overflowX": "auto"},
        style_cell={
            "fontFamily": "inherit",
            "fontSize": "13px",
            "padding": "4px 8px",
            "textAlign": "left",
        },
        style_cell_conditional=[{"if": {"column_type": "numeric"}, "textAlign": "right"}],
        style_header={"fontWeight": "600", "backgroundColor": "#f1f5f9"},
        style_data_conditional=list(highlight),
    )


def table_section(
    title: str, component_id: str, frame: pd.DataFrame, empty_message: str, **kwargs: Any
) -> html.Div:
    """A titled table, or the reason there is nothing to show."""
    body: Any = (
        table(component_id, frame, **kwargs)
        if not frame.empty
        else html.P(empty_message, className="empty", id=f"{component_id}-empty")
    )
    return html.Div([html.H3(title), body], className="section")


def card(component_id: str, label: str, value: str, note: str = "") -> html.Div:
    """A headline number."""
    return html.Div(
        [
            html.Div(label, className="card-label"),
            html.Div(value, className="card-value", id=component_id),
            html.Div(note, className="card-note"),
        ],
        className="card",
    )


def usd(value: Decimal | None) -> str:
    """Money for a headline: $1,234.56 (or n/a when unknown)."""
    return "n/a" if value is None else f"${value:,.2f}"


def graph(component_id: str, figure: Any) -> dcc.Graph:
    """A figure without Plotly's mode bar clutter."""
    return dcc.Graph(
        id=component_id, figure=figure, config={"displaylogo": False, "displayModeBar": "hover"}
    )


def page_frame(page: str, title: str, question: str, controls: Any, body_id: str) -> html.Div:
    """A page: its title, the question it answers, its filters and a loading body the callback fills."""
    return html.Div(
        [
            html.H2(title, id=f"{page}-title"),
            html.P(question, className="question"),
            controls,
            dcc.Loading(html.Div(id=body_id), type="circle", delay_show=300),
        ],
        className="page",
        id=f"{page}-page",
    )
