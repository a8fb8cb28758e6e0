"""Pure figure builders for the pages that were tables only: waste, endpoint hours, alert episodes,
break-even. A DataFrame in, a Plotly figure out; no I/O (as in dashboard.figures)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import LAYOUT, PALETTE, empty_figure

HOUR = timedelta(hours=1)
MAX_STRIPS = 20  # endpoints in the hour strip; more would not be readable
CENT = Decimal("0.01")
ONE = Decimal(1)
MAX_CURVES = 6  # workloads on the break-even chart, the most expensive first
# the hour strip's three states and their colours
STRIP_STATES = (
    ("not in service", "#e5e7eb"),
    ("not called, bills per use", "#bfdbfe"),
    ("in service, idle", "#f87171"),
    ("called", "#2563eb"),
)
EPISODE_COLOURS = {"pending": "#f59e0b", "firing": "#dc2626", "silenced": "#94a3b8"}
RESOLVED_COLOUR = "#16a34a"


def _money(value: Any) -> float:
    return 0.0 if value is None or (isinstance(value, float) and pd.isna(value)) else float(value)


def _present(value: Any) -> bool:
    return (
        value is not None
        and value is not pd.NaT
        and not (isinstance(value, float) and pd.isna(value))
    )


def waste_figure(rows: pd.DataFrame) -> go.Figure:
    """Idle dollars per month if left running, a bar per kind, stacked by team."""
    title = "Idle dollars per month by kind and team"
    if rows.empty:
        return empty_figure("Nothing idle: no resource is billing without traffic", title)
    per = (
        rows.assign(_usd=[_money(v) for v in rows["monthly_usd"]])
        .groupby(["kind", "team"], as_index=False)["_usd"]
        .sum()
    )
    kinds = list(per.groupby("kind")["_usd"].sum().sort_values(ascending=False).index)
    figure = go.Figure()
    for team in sorted(per["team"].unique()):
        part = per[per["team"] == team].set_index("kind")
        figure.add_bar(
            name=str(team),
            x=[kind.replace("_", " ") for kind in kinds],
            y=[float(part["_usd"].get(kind, 0.0)) for kind in kinds],
        )
    figure.update_layout(**LAYOUT, title=title, barmode="stack", yaxis_title="USD per month")
    return figure


def _strip_labels(hours: pd.DataFrame) -> dict[int, str]:
    """A label per endpoint life: its name, with account/region where two share a name."""
    lives = hours.drop_duplicates("endpoint_id")
    counts = lives["endpoint_name"].value_counts()
    return {
        int(row.endpoint_id): row.endpoint_name
        if counts[row.endpoint_name] == 1
        else f"{row.endpoint_name} ({row.account_id}/{row.region})"
        for row in lives.itertuples(index=False)
    }


def _hour_state(row: Any) -> int:
    """An in-service hour's state: called (3), idle and billing (2), or idle at no cost (1)."""
    if row.invocations > 0:
        return 3
    return 1 if row.bills_per_use else 2


def _strip_states(
    hours: pd.DataFrame, ids: list[int], start: datetime, slots: int
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """Per endpoint and hour slot: its state (an index of STRIP_STATES), and its calls."""
    states = {endpoint_id: [0] * slots for endpoint_id in ids}
    calls = {endpoint_id: [0] * slots for endpoint_id in ids}
    for row in hours.itertuples(index=False):
        index = int((row.hour - start) / HOUR)
        if row.endpoint_id in states and 0 <= index < slots and row.service_hours > 0:
            states[row.endpoint_id][index] = _hour_state(row)
            calls[row.endpoint_id][index] = int(row.invocations)
    return states, calls


def endpoint_strip_figure(hours: pd.DataFrame, start: datetime, end: datetime) -> go.Figure:
    """Per endpoint, hour by hour over [start, end): not in service, in service but idle, or called."""
    title = "Endpoints hour by hour: in service, called, idle"
    if hours.empty or end <= start:
        return empty_figure("No endpoint hours in the days shown", title)
    labels = _strip_labels(hours)
    ids = list(labels)[:MAX_STRIPS]
    slots = int((end - start) / HOUR)
    axis = [start + HOUR * index for index in range(slots)]
    states, calls = _strip_states(hours, ids, start, slots)
    names = [name for name, _colour in STRIP_STATES]
    figure = go.Figure(
        go.Heatmap(
            x=axis,
            y=[labels[endpoint_id] for endpoint_id in ids],
            z=[states[endpoint_id] for endpoint_id in ids],
            customdata=[
                [
                    f"{names[state]}, {count:,} calls"
                    for state, count in zip(states[i], calls[i], strict=True)
                ]
                for i in ids
            ],
            hovertemplate="%{y}<br>%{x|%Y-%m-%d %H:00} UTC<br>%{customdata}<extra></extra>",
            zmin=-0.5,
            zmax=len(STRIP_STATES) - 0.5,
            colorscale=[
                [bound, colour]
                for index, (_name, colour) in enumerate(STRIP_STATES)
                for bound in (index / len(STRIP_STATES), (index + 1) / len(STRIP_STATES))
            ],
            colorbar={"tickvals": list(range(len(names))), "ticktext": names, "thickness": 12},
            xgap=0,
            ygap=2,
        )
    )
    layout = {**LAYOUT, "height": 140 + 28 * len(ids)}
    figure.update_layout(**layout, title=title, yaxis={"autorange": "reversed"})
    return figure


def _segment(
    traces: dict[str, tuple[list[Any], list[Any], list[str]]],
    state: str,
    lane: str,
    start: Any,
    end: Any,
    text: str,
) -> None:
    xs, ys, texts = traces[state]
    xs += [start, end, None]
    ys += [lane, lane, None]
    texts += [text, text, ""]


def alert_timeline_figure(alerts: pd.DataFrame, now: datetime) -> go.Figure:
    """Per rule, each alert episode over time: pending, then firing (or silenced), then resolved."""
    title = "Alert episodes per rule: pending, firing, resolved"
    if alerts.empty:
        return empty_figure("No alert episode in the days shown", title)
    traces: dict[str, tuple[list[Any], list[Any], list[str]]] = {
        state: ([], [], []) for state in EPISODE_COLOURS
    }
    resolved: tuple[list[Any], list[Any], list[str]] = ([], [], [])
    for row in alerts.sort_values("opened_at").itertuples(index=False):
        close = row.resolved_at if _present(row.resolved_at) else now
        fired = row.fired_at if _present(row.fired_at) else None
        text = f"{row.subject} ({row.team})"
        _segment(traces, "pending", row.rule, row.opened_at, fired or close, text)
        if fired is not None:
            _segment(
                traces,
                "silenced" if row.state == "silenced" else "firing",
                row.rule,
                fired,
                close,
                text,
            )
        elif row.state == "silenced":
            _segment(traces, "silenced", row.rule, row.opened_at, close, text)
        if _present(row.resolved_at):
            resolved[0].append(row.resolved_at)
            resolved[1].append(row.rule)
            resolved[2].append(text)
    figure = go.Figure()
    for state, (xs, ys, texts) in traces.items():
        if xs:
            figure.add_scatter(
                name=state,
                x=xs,
                y=ys,
                text=texts,
                mode="lines",
                hoverinfo="x+text",
                line={"color": EPISODE_COLOURS[state], "width": 14},
            )
    if resolved[0]:
        figure.add_scatter(
            name="resolved",
            x=resolved[0],
            y=resolved[1],
            text=resolved[2],
            mode="markers",
            hoverinfo="x+text",
            marker={
                "color": RESOLVED_COLOUR,
                "symbol": "line-ns-open",
                "size": 18,
                "line": {"width": 3},
            },
        )
    lanes = alerts["rule"].nunique()
    figure.update_layout(**{**LAYOUT, "height": 180 + 40 * lanes}, title=title)
    figure.update_yaxes(type="category", categoryorder="category descending")
    return figure


def break_even_figure(workloads: pd.DataFrame) -> go.Figure:
    """Per workload: its monthly cost on Bedrock tokens and on one self-hosted instance against monthly
    volume (log-log), where they cross, and today's volume marked."""
    title = "Break-even: Bedrock tokens vs self-hosted, per workload"
    if workloads.empty:
        return empty_figure("No Bedrock usage in the days shown", title)
    priced = workloads[[_present(v) and _money(v) > 0 for v in workloads["bedrock_usd_per_month"]]]
    priced = priced[[int(v or 0) > 0 for v in priced["tokens_per_month"]]]
    if priced.empty:
        return empty_figure("No priced Bedrock workload in the days shown", title)
    # the workloads a self-hosted instance can serve first (they have a break-even), then the costliest
    comparable = [_present(v) for v in priced["breakeven_tokens_per_month"]]
    top = (
        priced.assign(_usd=[_money(v) for v in priced["bedrock_usd_per_month"]], _cmp=comparable)
        .sort_values(["_cmp", "_usd"], ascending=[False, False])
        .head(MAX_CURVES)
    )
    figure = go.Figure()
    for index, row in enumerate(top.itertuples(index=False)):
        _add_curve(figure, row, PALETTE[index % len(PALETTE)])
    layout = {**LAYOUT, "height": 460, "legend": {"orientation": "h", "y": -0.25}}
    figure.update_layout(
        **layout,
        title=title,
        xaxis={"type": "log", "title": "tokens per month"},
        yaxis={"type": "log", "title": "USD per month"},
    )
    if not any(comparable):
        figure.add_annotation(
            text="No workload shown has a self-hosted equivalent in the catalog: Bedrock only",
            showarrow=False,
            xref="paper",
            yref="paper",
            x=0.02,
            y=0.98,
            xanchor="left",
            font={"color": "#6b7280"},
        )
    return figure


def _add_curve(figure: go.Figure, row: Any, colour: str) -> None:
    """One workload's two cost lines, its break-even point and today's volume."""
    today = Decimal(int(row.tokens_per_month))
    per_token = Decimal(str(row.bedrock_usd_per_month)) / today
    breakeven = row.breakeven_tokens_per_month
    crossing = Decimal(int(breakeven)) if _present(breakeven) else None
    lowest = min(today, crossing or today) / 10
    highest = max(today, crossing or today) * 10
    # tokens cost in proportion to volume, a straight line on log-log axes: its two ends draw it
    # (whole tokens and cents: the figure carries no digits the table does not)
    volumes = [float(lowest.quantize(ONE)), float(highest.quantize(ONE))]
    name = f"{row.model_id} ({row.team}, {row.region})"
    figure.add_scatter(
        name=f"{name}: Bedrock",
        x=volumes,
        y=[float((Decimal(str(v)) * per_token).quantize(CENT)) for v in volumes],
        mode="lines",
        line={"color": colour},
        legendgroup=name,
    )
    if crossing is not None:
        # break-even is where one instance's month costs what the tokens do
        instance = float((crossing * per_token).quantize(CENT))
        figure.add_scatter(
            name=f"{name}: one self-hosted instance",
            x=[volumes[0], volumes[-1]],
            y=[instance, instance],
            mode="lines",
            line={"color": colour, "dash": "dash"},
            legendgroup=name,
        )
        figure.add_scatter(
            name=f"{name}: break-even",
            x=[float(crossing)],
            y=[instance],
            mode="markers",
            marker={"color": colour, "symbol": "x", "size": 10},
            legendgroup=name,
            showlegend=False,
        )
    figure.add_scatter(
        name=f"{name}: today",
        x=[float(today)],
        y=[_money(row.bedrock_usd_per_month)],
        mode="markers",
        marker={
            "color": colour,
            "symbol": "circle",
            "size": 11,
            "line": {"color": "white", "width": 2},
        },
        legendgroup=name,
        showlegend=False,
        hovertemplate="today: %{x:,.0f} tokens, $%{y:,.2f}/month<extra></extra>",
    )
