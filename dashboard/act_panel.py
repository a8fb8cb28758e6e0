"""The Waste page's "Act" panel: pick an idle resource and an action, confirm in a dialog naming the
resource and its monthly cost, and the same engine as `genai-monitor act` performs it, audited as
``user:<name>``. Shown only to who may act; every callback checks again on the server."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import Dash, Input, Output, State, dcc, html

from core.queries.waste import WasteRow, WasteScope, waste_rows
from dashboard.access import current_viewer
from dashboard.actions_port import current_act, may_act
from dashboard.components import usd
from dashboard.context import DashboardContext, current_context

# the kinds the engine acts on (it refuses the rest with one line all the same)
ACTIONABLE = frozenset({"sagemaker_endpoint", "provisioned_throughput"})
ACTIONS = {"delete": "Delete", "scale-to-zero": "Scale to zero"}


def allowed_here(context: DashboardContext) -> bool:
    """Whether the request's viewer may act from the dashboard (and monitor wired the actions)."""
    return current_act() is not None and may_act(current_viewer(), context.config.actions)


def _actionable(kind: str, action: str) -> bool:
    return kind in ACTIONABLE and not action.startswith("committed")


def act_panel(page: str, frame: pd.DataFrame, context: DashboardContext) -> html.Div | None:
    """The panel over the page's idle resources, for a viewer who may act (else None)."""
    if frame.empty or not allowed_here(context):
        return None
    options = [
        {
            "label": f"{row.name} ({row.kind}, {row.team}): {usd(row.monthly_usd)} a month",
            "value": row.resource,
        }
        for row in frame.itertuples()
        if _actionable(row.kind, row.action)
    ]
    if not options:
        return None
    return html.Div(
        [
            html.H3("Act on an idle resource"),
            dcc.Dropdown(options=options, id=f"{page}-act-resource", placeholder="Idle resource"),
            dcc.RadioItems(
                options=[{"label": label, "value": value} for value, label in ACTIONS.items()],
                value="delete",
                id=f"{page}-act-action",
                inline=True,
            ),
            html.Button("Act…", id=f"{page}-act-button", n_clicks=0),
            dcc.ConfirmDialog(id=f"{page}-act-confirm"),
            html.P(
                "A snapshot is taken first; `genai-monitor act restore ARN` undoes it.",
                className="note",
            ),
            html.Div(id=f"{page}-act-result"),
        ],
        className="section",
        id=f"{page}-act",
    )


def visible_row(context: DashboardContext, arn: str | None) -> WasteRow | None:
    """The idle resource ``arn``, if the request's viewer sees it (its team) and it is actionable."""
    if not arn:
        return None
    teams = current_viewer().teams
    scope = WasteScope(
        at=context.clock(),
        teams=None if teams is None else list(teams),
        min_idle=context.idle_thresholds(),
    )
    with context.sessions() as session:
        rows = waste_rows(session, scope)
    return next(
        (row for row in rows if row.resource == arn and _actionable(row.kind, row.action)), None
    )


def ask(arn: str | None, action: str | None) -> tuple[str, bool, str]:
    """(dialog message, shown, result line) for a click on "Act…"."""
    context = current_context()
    if not allowed_here(context):
        return "", False, "You may not act from the dashboard."
    row = visible_row(context, arn)
    if row is None or action not in ACTIONS:
        return "", False, "Pick an idle resource and an action first."
    message = (
        f"{ACTIONS[action]} {row.name} ({row.resource})? It costs {usd(row.monthly_usd)} a month "
        f"if left running. A snapshot is taken first; `genai-monitor act restore` undoes it."
    )
    return message, True, ""


def confirm(arn: str | None, action: str | None) -> str:
    """Perform the confirmed action as ``user:<name>``; one line saying what happened."""
    context = current_context()
    act = current_act()
    if act is None or not may_act(current_viewer(), context.config.actions):
        return "You may not act from the dashboard."
    row = visible_row(context, arn)
    if row is None or action not in ACTIONS:
        return "Pick an idle resource and an action first."
    result = act(action, row.resource, f"user:{current_viewer().user}")
    return f"{result.outcome}: {result.message}"


def register_act_callbacks(app: Dash, page: str) -> None:
    """The panel's two callbacks: the dialog, then the action."""

    @app.callback(
        Output(f"{page}-act-confirm", "message"),
        Output(f"{page}-act-confirm", "displayed"),
        Output(f"{page}-act-result", "children"),
        Input(f"{page}-act-button", "n_clicks"),
        State(f"{page}-act-resource", "value"),
        State(f"{page}-act-action", "value"),
        prevent_initial_call=True,
    )
    def on_click(_clicks: Any, arn: str | None, action: str | None) -> tuple[str, bool, str]:
        return ask(arn, action)

    @app.callback(
        Output(f"{page}-act-result", "children", allow_duplicate=True),
        Input(f"{page}-act-confirm", "submit_n_clicks"),
        State(f"{page}-act-resource", "value"),
        State(f"{page}-act-action", "value"),
        prevent_initial_call=True,
    )
    def on_confirm(_clicks: Any, arn: str | None, action: str | None) -> str:
        return confirm(arn, action)
