"""Pure figure builders: a DataFrame in, a Plotly figure out; no I/O.

Money arrives as Decimal and becomes float here, at the edge, for plotting only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import plotly.graph_objects as go

PALETTE = [
    "#2563eb",
    "#f97316",
    "#16a34a",
    "#dc2626",
    "#9333ea",
    "#0891b2",
    "#ca8a04",
    "#db2777",
    "#4b5563",
    "#65a30d",
]
LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "margin": {"l": 50, "r": 20, "t": 50, "b": 40},
    "legend": {"orientation": "h", "y": -0.15},
    "height": 360,
    "colorway": PALETTE,
}


def _floats(values: Any) -> list[float | None]:
    return [
        None if value is None or (isinstance(value, float) and pd.isna(value)) else float(value)
        for value in values
    ]


def empty_figure(message: str, title: str = "") -> go.Figure:
    """A blank figure that says why it is blank."""
    figure = go.Figure()
    figure.update_layout(**LAYOUT, title=title)
    figure.update_layout(xaxis={"visible": False}, yaxis={"visible": False})
    figure.add_annotation(
        text=message,
        showarrow=False,
        font={"size": 14, "color": "#6b7280"},
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
    )
    return figure


def _side_by_side(frame: pd.DataFrame, x: str, bars: list[tuple[str, str, str]]) -> go.Figure:
    """Bars side by side over ``frame[x]``, one series per (name, column of money, colour)."""
    figure = go.Figure()
    for name, column, colour in bars:
        figure.add_bar(name=name, x=frame[x], y=_floats(frame[column]), marker_color=colour)
    return figure


def budget_figure(budgets: pd.DataFrame, month: str) -> go.Figure:
    """Per team: spent so far and projected month-end as bars, the budget as a marker line."""
    title = f"GenAI spend {month} per team: actual, projected, budget"
    if budgets.empty:
        return empty_figure("No Cost Explorer spend or budgets for this month yet", title)
    figure = _side_by_side(
        budgets,
        "team",
        [
            ("spent so far", "spent_usd", PALETTE[0]),
            ("projected month-end", "projected_usd", "#93c5fd"),
        ],
    )
    with_budget = budgets[budgets["budget_usd"].notna()]
    if not with_budget.empty:
        figure.add_scatter(
            name="budget",
            x=with_budget["team"],
            y=_floats(with_budget["budget_usd"]),
            mode="markers",
            marker={
                "symbol": "line-ew-open",
                "size": 40,
                "color": PALETTE[3],
                "line": {"width": 3, "color": PALETTE[3]},
            },
        )
    figure.update_layout(**LAYOUT, title=title, barmode="group", yaxis_title="USD")
    return figure


def stacked_daily(
    frame: pd.DataFrame, key: str, value: str, title: str, empty_message: str, y_title: str = "USD"
) -> go.Figure:
    """Stacked bars of ``value`` per day, one colour per ``key`` (the biggest first)."""
    if frame.empty:
        return empty_figure(empty_message, title)
    totals = frame.groupby(key)[value].apply(
        lambda s: sum((v for v in s if v is not None), Decimal(0))
    )
    figure = go.Figure()
    for name in totals.sort_values(ascending=False).index:
        part = frame[frame[key] == name]
        figure.add_bar(name=str(name), x=list(part["day"]), y=_floats(part[value]))
    figure.update_layout(**LAYOUT, title=title, barmode="stack", yaxis_title=y_title)
    return figure


def tokens_figure(daily: pd.DataFrame) -> go.Figure:
    """Input, output and cache tokens per day, stacked."""
    title = "Tokens per day: input, output, cache"
    if daily.empty:
        return empty_figure("No Bedrock usage in this window", title)
    per_day = (
        daily.groupby("day")[
            ["input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"]
        ]
        .sum()
        .reset_index()
    )
    figure = go.Figure()
    for column, label in (
        ("input_tokens", "input"),
        ("output_tokens", "output"),
        ("cache_read_tokens", "cache read"),
        ("cache_write_tokens", "cache write"),
    ):
        figure.add_bar(name=label, x=list(per_day["day"]), y=[int(v) for v in per_day[column]])
    figure.update_layout(**LAYOUT, title=title, barmode="stack", yaxis_title="tokens")
    return figure


def errors_figure(daily: pd.DataFrame) -> go.Figure:
    """Client errors, server errors and throttles per day."""
    title = "Errors and throttles per day"
    if daily.empty:
        return empty_figure("No Bedrock usage in this window", title)
    per_day = (
        daily.groupby("day")[["client_errors", "server_errors", "throttles"]].sum().reset_index()
    )
    figure = go.Figure()
    for column, label in (
        ("client_errors", "client errors"),
        ("server_errors", "server errors"),
        ("throttles", "throttles"),
    ):
        figure.add_scatter(
            name=label,
            x=list(per_day["day"]),
            y=[int(v) for v in per_day[column]],
            mode="lines+markers",
        )
    figure.update_layout(**LAYOUT, title=title, yaxis_title="requests")
    return figure


def reconciliation_figure(reconciliation: pd.DataFrame) -> go.Figure:
    """Per day, side by side: the Bedrock estimate at list price, at the bill's effective rates,
    and the bill; a day the bill does not cover yet shows its estimate at the latest rate, hatched."""
    title = "Bedrock: list estimate, effective-rate estimate and bill per day"
    if reconciliation.empty:
        return empty_figure(
            "Nothing to reconcile: no Bedrock usage or bill in this window (or an account/region filter is set)",
            title,
        )
    billed = reconciliation["estimate_basis"] == "billed"
    frame = reconciliation.assign(
        effective_billed=reconciliation["effective_estimate_usd"].where(billed, None),
        effective_latest=reconciliation["effective_estimate_usd"].where(~billed, None),
    )
    figure = go.Figure()
    # both effective series share one slot per day: a day is either billed or not yet
    for name, column, group, marker in (
        ("estimate at list price", "list_estimate_usd", "list", {"color": "#93c5fd"}),
        ("estimate at effective rate", "effective_billed", "effective", {"color": PALETTE[0]}),
        (
            "not billed yet: at latest effective rate",
            "effective_latest",
            "effective",
            {"color": PALETTE[0], "pattern": {"shape": "/", "fgcolor": "#ffffff"}},
        ),
        ("billed", "billed_usd", "billed", {"color": PALETTE[2]}),
    ):
        if column != "effective_latest" or not billed.all():
            figure.add_bar(
                name=name,
                x=list(frame["day"]),
                y=_floats(frame[column]),
                offsetgroup=group,
                marker=marker,
            )
    figure.update_layout(**LAYOUT, title=title, barmode="group", yaxis_title="USD")
    return figure


def burn_down_figure(burn: pd.DataFrame, budget: Decimal | None, team: str) -> go.Figure:
    """Cumulative month spend, actual then projected, against the budget line."""
    title = f"{team}: budget burn-down"
    if burn.empty:
        return empty_figure("No spend this month", title)
    figure = go.Figure()
    actual = burn[burn["kind"] == "actual"]
    projected = burn[burn["kind"] == "projected"]
    if not actual.empty:
        figure.add_scatter(
            name="actual",
            x=list(actual["day"]),
            y=_floats(actual["cumulative_usd"]),
            mode="lines+markers",
            line={"color": PALETTE[0]},
        )
    if not projected.empty:
        # the projection starts where the actual line ends
        joined = pd.concat([actual.tail(1), projected])
        figure.add_scatter(
            name="projected",
            x=list(joined["day"]),
            y=_floats(joined["cumulative_usd"]),
            mode="lines",
            line={"color": PALETTE[0], "dash": "dot"},
        )
    if budget is not None:
        figure.add_scatter(
            name="budget",
            x=[burn["day"].iloc[0], burn["day"].iloc[-1]],
            y=[float(budget)] * 2,
            mode="lines",
            line={"color": PALETTE[3], "dash": "dash"},
        )
    figure.update_layout(**LAYOUT, title=title, yaxis_title="USD (cumulative)")
    return figure


def week_compare_figure(frame: pd.DataFrame, key: str, title: str) -> go.Figure:
    """This week next to last week per ``key``."""
    if frame.empty:
        return empty_figure("No spend in either week", title)
    figure = _side_by_side(
        frame,
        key,
        [("last week", "last_week_usd", "#cbd5e1"), ("this week", "this_week_usd", PALETTE[0])],
    )
    figure.update_layout(**LAYOUT, title=title, barmode="group", yaxis_title="USD")
    return figure


def endpoint_cost_figure(endpoints: pd.DataFrame) -> go.Figure:
    """Per endpoint: cost in the window, with the idle streak's cost apart."""
    title = "Endpoint cost in the window and idle waste"
    if endpoints.empty:
        return empty_figure("No SageMaker endpoints in this window", title)
    top = (
        endpoints.assign(_cost=[float(v or 0) for v in endpoints["estimated_cost_usd"]])
        .sort_values("_cost", ascending=False)
        .head(15)
    )
    figure = _side_by_side(
        top,
        "endpoint_name",
        [("cost", "estimated_cost_usd", PALETTE[0]), ("idle waste", "idle_cost_usd", PALETTE[3])],
    )
    figure.update_layout(**LAYOUT, title=title, barmode="group", yaxis_title="USD")
    return figure
