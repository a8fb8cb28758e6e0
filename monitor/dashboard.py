"""The dashboard as monitor serves it: wired to the hosting advisor and the actions engine (the
dashboard imports core only)."""

from __future__ import annotations

from typing import Any

import dash

from actions.engine import performer
from actions.types import ActionName, ActionRequest, ActionResult
from advisor import Advisor
from core.aws import ClientFactory
from core.db import make_engine, session_factory
from core.settings import MonitorConfig
from dashboard.actions_port import Act
from dashboard.app import create_app as create_dashboard
from dashboard.app import serve

__all__ = ["create_app", "dashboard_act", "serve"]


def dashboard_act(database_url: str, config: MonitorConfig, clients: ClientFactory) -> Act:
    """The Waste page's act: the engine `genai-monitor act` uses, performing (not planning)."""
    perform = performer(session_factory(make_engine(database_url)), clients, config.actions)

    def act(action: str, resource_arn: str, actor: str) -> ActionResult:
        stops: dict[str, ActionName] = {"delete": "delete", "scale-to-zero": "scale-to-zero"}
        if action not in stops:
            raise ValueError(f"the dashboard does not {action!r}")
        return perform(ActionRequest(stops[action], resource_arn, actor, execute=True))

    return act


def create_app(database_url: str, config: MonitorConfig, **options: Any) -> dash.Dash:
    """The dashboard over ``database_url`` with every page, the Advisor's and the Waste page's
    actions included (the latter only where ``actions.enabled``)."""
    if config.actions.enabled and "act" not in options:
        options["act"] = dashboard_act(database_url, config, ClientFactory())
    return create_dashboard(database_url, config, advisor=Advisor.load, **options)
