"""The audit log: one row per dashboard request that served data (a page, a callback, a CSV export).

Pages and figures reach the browser only through Dash's callback route, so a hook on that route
sees every one; the filters are those the request was answered with, after scoping.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, Response, g, request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.models import DashboardAudit

log = logging.getLogger(__name__)

CALLBACK_PATH = "/_dash-update-component"
PAGES_OUTPUT = "_pages_content.children"
EXPORT_LOG = "table-export-log"
_TARGET_CHARS = 512


def describe(payload: Any) -> tuple[str, str]:
    """(action, target) of a callback request: a page view, a CSV export or another data callback."""
    if not isinstance(payload, dict):
        return "callback", ""
    output = str(payload.get("output", ""))
    inputs = [item for item in payload.get("inputs") or [] if isinstance(item, dict)]
    if PAGES_OUTPUT in output:
        paths = [
            str(item.get("value") or "") for item in inputs if item.get("property") == "pathname"
        ]
        return "page", (paths[0] if paths else "")
    for item in inputs:
        component = item.get("id")
        if isinstance(component, dict) and component.get("type") == EXPORT_LOG:
            return "export", str(component.get("table", ""))
    return "callback", output


def install_audit(
    server: Flask, sessions: sessionmaker[Session], clock: Callable[[], datetime]
) -> None:
    """Write who (user, role), when, what and which filters for every callback that served data.

    A row that cannot be written withholds the answer (503): nothing is served unrecorded.
    """

    def record(response: Response) -> Response:
        if request.path != CALLBACK_PATH or response.status_code != 200 or g.get("served_no_data"):
            # assets, the page shell, 204s (nothing updated) and "database unavailable" serve no data
            return response
        viewer = g.get("viewer")
        action, target = describe(request.get_json(silent=True))
        row = DashboardAudit(
            at=clock(),
            user=(viewer.user if viewer else "")[:256],
            role=viewer.role if viewer else "",
            action=action,
            target=target[:_TARGET_CHARS],
            filters=g.get("audit_filters", ""),
        )
        try:
            with sessions.begin() as session:
                session.add(row)
        except SQLAlchemyError as exc:
            log.error("dashboard: the audit log cannot be written (%s)", type(exc).__name__)
            return Response(
                "the audit log cannot be written; try again later\n",
                status=503,
                mimetype="text/plain",
            )
        return response

    server.after_request(record)
