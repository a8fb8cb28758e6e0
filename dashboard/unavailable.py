"""A lost database, as the dashboard shows it: one log line and a readable message, no traceback.

Page callbacks (the page routing included) that hit a database error answer with a short
"database unavailable" message in their ``children`` outputs; any other route answers 503.
Other errors are bugs and keep Dash's and Flask's handling.
"""

from __future__ import annotations

import logging
from typing import Any

from dash import callback_context, html, no_update
from flask import Flask, Response, g
from sqlalchemy.exc import SQLAlchemyError

from core.db import DatabaseError, error_reason

log = logging.getLogger(__name__)

MESSAGE = "The database is unavailable right now; the figures return once it answers again."


def _logged(exc: Exception) -> str:
    reason = str(exc) if isinstance(exc, DatabaseError) else error_reason(exc)
    log.error("dashboard: the database is unavailable: %s", reason)
    return reason


def on_callback_error(exc: Exception) -> Any:
    """Dash's ``on_error``: a database error fills the callback's ``children`` with the message."""
    if not isinstance(exc, SQLAlchemyError | DatabaseError):
        raise exc
    g.served_no_data = True  # the audit log has nothing to record, and no database to record it in
    message = html.Div(
        [html.Strong("Database unavailable. "), MESSAGE, html.Div(_logged(exc), className="note")],
        className="empty",
        role="alert",
    )
    outputs = callback_context.outputs_list
    if isinstance(outputs, dict):
        return message if outputs.get("property") == "children" else no_update
    return [
        message if isinstance(output, dict) and output.get("property") == "children" else no_update
        for output in outputs
    ]


def install_database_errors(server: Flask) -> None:
    """Any other route that hits a database error answers 503 with one line, logged once."""

    def unavailable(exc: Exception) -> Response:
        _logged(exc)
        return Response(f"database unavailable: {MESSAGE}\n", status=503, mimetype="text/plain")

    server.register_error_handler(SQLAlchemyError, unavailable)
    server.register_error_handler(DatabaseError, unavailable)
