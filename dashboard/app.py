"""The Dash app: a small factory and the page shell, with authentication, scoping and the audit log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import dash
from dash import dcc, html

from core import registry
from core.db import make_engine, session_factory
from core.registry import import_submodules
from core.settings import MonitorConfig
from core.timeutil import utcnow
from dashboard.actions_port import ACTIONS_EXTENSION, Act
from dashboard.advisor_port import ADVISOR_EXTENSION, AdvisorFactory
from dashboard.audit import install_audit
from dashboard.auth import AuthSettings, auth_from_env, install_auth
from dashboard.cache import install_cache
from dashboard.chargeback import install_chargeback
from dashboard.components import register_table_export
from dashboard.context import EXTENSION, DashboardContext
from dashboard.security import install_security_headers
from dashboard.unavailable import install_database_errors, on_callback_error

log = logging.getLogger(__name__)


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #0f172a; background: #f8fafc; }
.header { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #0f172a; color: white; }
.header h1 { font-size: 18px; margin: 0; font-weight: 600; }
.nav a { color: #cbd5e1; text-decoration: none; margin-right: 18px; font-size: 14px; }
.nav a:hover { color: white; }
.page { padding: 12px 24px 40px; }
.page h2 { margin: 8px 0 0; }
.question { color: #475569; margin: 4px 0 12px; }
.filter-bar { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; background: white; padding: 10px 12px; border: 1px solid #e2e8f0; border-radius: 8px; margin-bottom: 12px; }
.filter { min-width: 200px; }
.filter-label { display: block; font-size: 12px; color: #475569; margin-bottom: 2px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0 12px; }
.card { background: white; border: 1px solid #e2e8f0; border-radius: 8px; padding: 10px 16px; min-width: 180px; }
.card-label { font-size: 12px; color: #475569; }
.card-value { font-size: 22px; font-weight: 600; }
.card-note { font-size: 11px; color: #64748b; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 12px; }
.section { background: white; border: 1px solid #e2e8f0; border-radius: 8px; padding: 8px 12px; margin-bottom: 12px; }
.section h3 { font-size: 15px; margin: 6px 0; }
.empty { color: #64748b; font-style: italic; }
.note { color: #64748b; font-size: 12px; }
.ag-center-cols-viewport { min-height: unset !important; } /* AG Grid's autoHeight keeps 150px for empty grids */
"""

INDEX = (
    """<!DOCTYPE html>
<html>
<head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}<style>"""
    + STYLE
    + """</style></head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body>
</html>"""
)


def _shell() -> html.Div:
    links = [
        dcc.Link(
            page["name"], href=page["relative_path"], id=f"nav-{page['module'].rsplit('.', 1)[-1]}"
        )
        for page in dash.page_registry.values()
    ]
    return html.Div(
        [
            html.Div(
                [html.H1("GenAI cost monitor"), html.Nav(links, className="nav")],
                className="header",
            ),
            dash.page_container,
        ]
    )


def create_app(
    database_url: str,
    config: MonitorConfig,
    *,
    auth: AuthSettings | None = None,
    clock: Callable[[], datetime] = utcnow,
    advisor: AdvisorFactory | None = None,
    act: Act | None = None,
    cache_dir: str | None = None,
) -> dash.Dash:
    """The dashboard over the database at ``database_url``; auth from the environment unless given.

    ``advisor`` makes the hosting advisor for the Advisor page (monitor wires ``advisor.Advisor``
    in: the dashboard imports core only); without it the page says it is not available. ``act``
    performs an action from the Waste page (monitor wires the actions engine); without it, or for
    a viewer who may not act, the page shows no way to act. ``cache_dir``: where the filesystem
    view cache lives when ``dashboard.cache.dir`` is absent (the server's workers share it).
    """
    auth = auth_from_env() if auth is None else auth
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        suppress_callback_exceptions=True,  # pages' components appear only when their page is shown
        title="GenAI cost monitor",
        update_title="",  # no "Updating..." in the tab while a callback runs
        index_string=INDEX,
        include_assets_files=False,
        on_error=on_callback_error,  # a lost database: one log line and a message, no traceback
    )
    app.server.extensions[ADVISOR_EXTENSION] = advisor
    app.server.extensions[ACTIONS_EXTENSION] = act
    sessions = session_factory(make_engine(database_url))
    app.server.extensions[EXTENSION] = DashboardContext(sessions, config, clock)
    install_cache(app.server, config.dashboard.cache, cache_dir)
    import_submodules("dashboard.pages")  # each page module registers itself
    for page in registry.pages:
        # registered with Dash after the app exists, as dash.register_page requires
        dash.register_page(  # type: ignore[no-untyped-call]
            page.module,
            path=page.path,
            name=page.label,
            title=page.title,
            order=page.order,
            layout=page.layout,
        )
        page.register_callbacks(app)
    app.layout = _shell
    install_auth(app.server, auth, dashboard=config.dashboard)
    install_security_headers(app.server)
    install_audit(app.server, sessions, clock)  # after the headers: they run in reverse order
    install_database_errors(app.server)
    register_table_export(app)
    install_chargeback(app.server)
    return app


def serve(app: dash.Dash, host: str = "127.0.0.1", port: int = 8050) -> None:
    """Serve the app with waitress (a production WSGI server; Dash's debug mode stays off)."""
    from waitress import serve as waitress_serve

    log.warning("dashboard on http://%s:%d/", host, port)
    waitress_serve(app.server, host=host, port=port, threads=8, ident="genai-cost-monitor")
