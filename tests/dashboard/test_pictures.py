"""The pictures' pure builders: a DataFrame in, a figure out, its data exactly what the rows say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd

from core.queries.waste_row import WasteRow
from dashboard.pictures import (
    alert_timeline_figure,
    break_even_figure,
    endpoint_strip_figure,
    waste_figure,
)
from dashboard.views.endpoints import HOUR_COLUMNS
from dashboard.views.waste import waste_frame

T0 = datetime(2026, 3, 18, tzinfo=UTC)
H = timedelta(hours=1)


def _waste(kind: str, team: str, monthly: str | None) -> WasteRow:
    return WasteRow(
        kind=kind,
        resource=f"arn:aws:x:us-east-1:111122223333:{kind}/{team}",
        name=f"{kind}-{team}",
        account_id="111122223333",
        region="us-east-1",
        team=team,
        idle_since=T0,
        idle_hours=Decimal(30),
        burnt_usd=Decimal(1),
        monthly_usd=None if monthly is None else Decimal(monthly),
        action="report only",
    )


def test_waste_figure_stacks_each_kind_by_team_the_costliest_kind_first():
    frame = waste_frame(
        [
            _waste("sagemaker_endpoint", "search", "100.004"),
            _waste("sagemaker_endpoint", "support", "50"),
            _waste("vector_store", "search", "700"),
            _waste("vector_store", "support", None),  # unpriced: shown as nothing, not $0 guessed
        ]
    )
    figure = waste_figure(frame)
    bars = {trace.name: (list(trace.x), list(trace.y)) for trace in figure.data}
    assert bars == {
        "search": (["vector store", "sagemaker endpoint"], [700.0, 100.0]),
        "support": (["vector store", "sagemaker endpoint"], [0.0, 50.0]),
    }
    assert figure.layout.barmode == "stack"
    assert figure.layout.title.text == "Idle dollars per month by kind and team"


def test_every_builder_says_why_it_is_blank():
    empty = [
        waste_figure(waste_frame([])),
        endpoint_strip_figure(pd.DataFrame(columns=HOUR_COLUMNS), T0, T0 + H),
        alert_timeline_figure(pd.DataFrame(), T0),
        break_even_figure(pd.DataFrame()),
    ]
    for figure in empty:
        assert figure.data == ()
        assert figure.layout.annotations[0].text


def test_endpoint_strip_marks_each_hour_not_in_service_idle_or_called():
    rows = [
        # endpoint 1: called, idle, idle, (no row: not in service)
        [1, "ranker", "1", "us-east-1", T0, Decimal(1), 20, False],
        [1, "ranker", "1", "us-east-1", T0 + H, Decimal(1), 0, False],
        [1, "ranker", "1", "us-east-1", T0 + 2 * H, Decimal("0.5"), 0, False],
        # endpoint 2: created in the third hour, called; an hour after the window is left out
        [2, "chat", "1", "us-east-1", T0 + 2 * H, Decimal("0.25"), 3, False],
        [2, "chat", "1", "us-east-1", T0 + 4 * H, Decimal(1), 3, False],
        # endpoint 3 shares a name with 2 in another account: labelled with where it lives
        [3, "chat", "2", "eu-west-1", T0 + 3 * H, Decimal(0), 0, False],
        # a serverless endpoint's hours without calls cost nothing: not red
        [4, "bursty", "1", "us-east-1", T0, Decimal(1), 0, True],
        [4, "bursty", "1", "us-east-1", T0 + H, Decimal(1), 2, True],
    ]
    figure = endpoint_strip_figure(pd.DataFrame(rows, columns=HOUR_COLUMNS), T0, T0 + 4 * H)
    (heatmap,) = figure.data
    assert list(heatmap.y) == ["ranker", "chat (1/us-east-1)", "chat (2/eu-west-1)", "bursty"]
    assert [list(z) for z in heatmap.z] == [
        [3, 2, 2, 0],
        [0, 0, 3, 0],
        [0, 0, 0, 0],
        [1, 3, 0, 0],
    ]
    assert list(heatmap.x) == [T0 + i * H for i in range(4)]
    assert heatmap.customdata[0][0] == "called, 20 calls"
    assert list(heatmap.colorbar.ticktext) == [
        "not in service",
        "not called, bills per use",
        "in service, idle",
        "called",
    ]


def test_alert_timeline_draws_pending_then_firing_and_marks_the_resolution():
    now = T0 + 10 * H
    alerts = pd.DataFrame(
        [
            # fired after 2 hours, resolved after 5
            ["idle_endpoint", "a/r/ranker", "search", "resolved", T0, T0 + 2 * H, T0 + 5 * H],
            # still pending
            ["budget_forecast", "search/all", "search", "pending", T0 + 8 * H, None, None],
            # firing until now
            ["idle_endpoint", "a/r/chat", "support", "firing", T0 + H, T0 + 3 * H, None],
        ],
        columns=["rule", "subject", "team", "state", "opened_at", "fired_at", "resolved_at"],
    )
    figure = alert_timeline_figure(alerts, now)
    traces = {trace.name: trace for trace in figure.data}
    assert set(traces) == {"pending", "firing", "resolved"}
    assert list(traces["pending"].x) == [
        T0, T0 + 2 * H, None, T0 + H, T0 + 3 * H, None, T0 + 8 * H, now, None,
    ]  # fmt: skip
    assert list(traces["pending"].y) == [
        "idle_endpoint", "idle_endpoint", None, "idle_endpoint", "idle_endpoint", None,
        "budget_forecast", "budget_forecast", None,
    ]  # fmt: skip
    assert list(traces["firing"].x) == [T0 + 2 * H, T0 + 5 * H, None, T0 + 3 * H, now, None]
    assert list(traces["resolved"].x) == [T0 + 5 * H]
    assert list(traces["resolved"].text) == ["a/r/ranker (search)"]


def test_break_even_curve_crosses_one_instance_at_the_break_even_volume():
    workloads = pd.DataFrame(
        [
            {
                "team": "search",
                "model_id": "meta.llama3-8b",
                "region": "us-east-1",
                "tokens_per_month": 1_000_000,
                "bedrock_usd_per_month": Decimal("10.00"),  # $0.00001 a token
                "breakeven_tokens_per_month": 5_000_000,
            },
            {
                "team": "support",
                "model_id": "anthropic.claude",
                "region": "us-east-1",
                "tokens_per_month": 2_000_000,
                "bedrock_usd_per_month": Decimal("60"),
                "breakeven_tokens_per_month": None,  # self-hosting never breaks even
            },
        ]
    )
    figure = break_even_figure(workloads)
    traces = {trace.name: trace for trace in figure.data}
    llama = "meta.llama3-8b (search, us-east-1)"
    claude = "anthropic.claude (support, us-east-1)"
    assert set(traces) == {
        f"{llama}: Bedrock",
        f"{llama}: one self-hosted instance",
        f"{llama}: break-even",
        f"{llama}: today",
        f"{claude}: Bedrock",
        f"{claude}: today",
    }
    bedrock = traces[f"{llama}: Bedrock"]
    # a tenth of today's volume to ten times the break-even's, a straight line on log-log axes
    assert (list(bedrock.x), list(bedrock.y)) == ([100_000.0, 50_000_000.0], [1.0, 500.0])
    assert list(traces[f"{llama}: one self-hosted instance"].y) == [50.0, 50.0]
    assert (traces[f"{llama}: break-even"].x[0], traces[f"{llama}: break-even"].y[0]) == (5e6, 50.0)
    assert (traces[f"{llama}: today"].x[0], traces[f"{llama}: today"].y[0]) == (1e6, 10.0)
    assert figure.layout.xaxis.type == "log" and figure.layout.yaxis.type == "log"
    # the workloads with a break-even first, then the costliest
    assert figure.data[0].name == f"{llama}: Bedrock"
    assert not figure.layout.annotations
    bedrock_only = break_even_figure(workloads.tail(1))
    assert bedrock_only.layout.annotations[0].text.startswith("No workload shown has a self-hosted")
