"""The dashboard as monitor serves it: wired to the hosting advisor (the dashboard imports core only)."""

from __future__ import annotations

from typing import Any

import dash

from advisor import Advisor
from core.settings import MonitorConfig
from dashboard.app import create_app as create_dashboard
from dashboard.app import serve

__all__ = ["create_app", "serve"]


def create_app(database_url: str, config: MonitorConfig, **options: Any) -> dash.Dash:
    """The dashboard over ``database_url`` with every page, the Advisor's included."""
    return create_dashboard(database_url, config, advisor=Advisor.load, **options)
