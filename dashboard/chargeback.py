"""The month-end chargeback statement as a self-contained HTML page (the weekly digest's look) and as
CSV for finance, and the dashboard route that serves either to the viewers of its teams."""

from __future__ import annotations

import csv
import io
import logging
from datetime import datetime
from decimal import Decimal
from html import escape

from flask import Flask, Response, request
from sqlalchemy.exc import SQLAlchemyError

from core.chargeback import MEASURES, Statement
from core.models import DashboardAudit
from core.queries.billing import CUR, parse_month, previous_month
from core.queries.chargeback import month_statement
from core.timeutil import iso_utc
from dashboard.access import Viewer, current_viewer
from dashboard.context import DashboardContext, current_context
from dashboard.digest import CSS, _usd

log = logging.getLogger(__name__)

ROUTE = "/chargeback"
SHARE_PLACES = Decimal("0.000001")
CSV_COLUMNS = (
    "month",
    "source",
    "team",
    "kind",
    "service",
    "model",
    "billed_usd",
    "amortized_usd",
    "share",
)
RULES = {
    "proportional": "in proportion to each team's attributed amortized spend of the month",
    "fixed": "by the fixed shares of the config (chargeback.shares)",
}


def _source(statement: Statement) -> str:
    if statement.source == CUR:
        return "CUR 2.0 line items"
    return "Cost Explorer (no CUR 2.0 lines stored for this month)"


def _share(value: Decimal | None) -> str:
    return "-" if value is None else f"{value * 100:.2f}%"


def _teams_table(statement: Statement) -> str:
    header = (
        '<tr><th>team</th><th class="num">attributed billed</th><th class="num">shared billed</th>'
        '<th class="num">total billed</th><th class="num">attributed amortized</th>'
        '<th class="num">shared amortized</th><th class="num">total amortized</th><th class="num">share of shared</th></tr>'
    )
    rows = "".join(
        f'<tr><td>{escape(t.team)}</td><td class="num">{_usd(t.attributed["billed"])}</td>'
        f'<td class="num">{_usd(t.shared["billed"])}</td><td class="num" id="team-{escape(t.team)}-billed">{_usd(t.total("billed"))}</td>'
        f'<td class="num">{_usd(t.attributed["amortized"])}</td><td class="num">{_usd(t.shared["amortized"])}</td>'
        f'<td class="num" id="team-{escape(t.team)}-amortized">{_usd(t.total("amortized"))}</td><td class="num">{_share(t.share)}</td></tr>'
        for t in statement.teams
    )
    if statement.totals:
        rows += (
            f'<tr><th>all teams</th><th></th><th></th><th class="num" id="total-billed">{_usd(statement.totals["billed"])}</th>'
            f'<th></th><th></th><th class="num" id="total-amortized">{_usd(statement.totals["amortized"])}</th><th></th></tr>'
        )
    return f'<table class="data">{header}{rows}</table>'


def _details_table(statement: Statement) -> str:
    if not statement.details:
        return '<p class="empty">No attributed GenAI cost this month.</p>'
    rows = "".join(
        f"<tr><td>{escape(r.team)}</td><td>{escape(r.service)}</td><td>{escape(r.model or '-')}</td>"
        f'<td class="num">{_usd(r.amounts["billed"])}</td><td class="num">{_usd(r.amounts["amortized"])}</td></tr>'
        for r in statement.details
    )
    header = '<tr><th>team</th><th>service</th><th>model</th><th class="num">billed</th><th class="num">amortized</th></tr>'
    return f'<table class="data">{header}{rows}</table>'


def _shared_table(statement: Statement) -> str:
    if not statement.shared:
        return '<p class="empty">No shared lines this month.</p>'
    rows = "".join(
        f"<tr><td>{escape(r.reason)}</td><td>{escape(r.service)}</td>"
        f'<td class="num">{_usd(r.amounts["billed"])}</td><td class="num">{_usd(r.amounts["amortized"])}</td></tr>'
        for r in statement.shared
    )
    header = '<tr><th>shared because</th><th>service</th><th class="num">billed</th><th class="num">amortized</th></tr>'
    return f'<table class="data">{header}{rows}</table>'


def _saved_table(statement: Statement) -> str:
    if not statement.saved:
        return '<p class="empty">No resource was stopped this month.</p>'
    rows = "".join(
        f'<tr><td>{escape(team)}</td><td class="num" id="team-{escape(team)}-saved">{_usd(amount)}</td></tr>'
        for team, amount in sorted(statement.saved.items())
    )
    header = '<tr><th>team</th><th class="num">saved</th></tr>'
    return f'<table class="data">{header}{rows}</table>'


def _reconciliation(statement: Statement) -> str:
    if statement.scoped:
        return '<p class="sub">Shown for your team(s) only: the organisation totals and the shared lines are for finance.</p>'
    verdict = "reconciled to the cent" if statement.reconciles() else "DOES NOT RECONCILE"
    cells = "".join(
        f'<tr><td>{name}</td><td class="num">{escape(format(statement.export_totals[m], "f"))}</td>'
        f'<td class="num">{_usd(statement.totals[m])}</td></tr>'
        for m, name in zip(MEASURES, ("BilledCost", "EffectiveCost"), strict=True)
    )
    return (
        f'<h2>Reconciliation with the FOCUS export</h2><p class="sub" id="reconciliation">'
        f"`genai-monitor export focus --month {escape(statement.month)}`: {statement.lines} line(s); "
        f"the teams' totals add up to the export's sums: {verdict}.</p>"
        f'<table class="data"><tr><th>export column</th><th class="num">exact sum</th>'
        f'<th class="num">statement total</th></tr>{cells}</table>'
    )


def render_statement_html(statement: Statement, generated_at: datetime) -> str:
    """The statement as one HTML document that needs nothing else to display."""
    notes = "".join(f"<li>{escape(note)}</li>" for note in statement.notes)
    shared = "" if statement.scoped else f"<h2>Shared lines</h2>{_shared_table(statement)}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>GenAI chargeback, {escape(statement.month)}</title><style>{CSS}</style></head>
<body>
<h1>GenAI chargeback, {escape(statement.month)}</h1>
<p class="sub">Billed (net unblended) and amortized GenAI cost per team, from {escape(_source(statement))}.
Shared lines (unattributed, account-level charges and the services the config names) are split {escape(RULES[statement.split])};
every amount is in whole cents and the cents of each split add up exactly.</p>
<h2>Per team</h2>{_teams_table(statement)}
{f"<ul>{notes}</ul>" if notes else ""}
<h2>Saved by stopping idle resources</h2>
<p class="sub">Not part of the cost above: each stopped resource's hourly price times the hours it stayed stopped this month.</p>
{_saved_table(statement)}
<h2>Attributed cost by service and model</h2>{_details_table(statement)}
{shared}
{_reconciliation(statement)}
<p class="sub">Generated {escape(iso_utc(generated_at))} by genai-cost-monitor.</p>
</body></html>
"""


def render_statement_text(statement: Statement) -> str:
    """A plain-text summary, the alternative part of the e-mail."""
    lines = [f"GenAI chargeback, {statement.month} ({_source(statement)})", ""]
    for team in statement.teams:
        lines.append(
            f"  {team.team}: billed {_usd(team.total('billed'))}, amortized {_usd(team.total('amortized'))}"
        )
    if statement.totals:
        lines.append(
            f"Total billed {_usd(statement.totals['billed'])}, amortized {_usd(statement.totals['amortized'])}."
        )
    for name, amount in sorted(statement.saved.items()):
        lines.append(f"  {name}: saved {_usd(amount)} by stopping idle resources")
    return "\n".join(lines) + "\n"


def _money(value: Decimal) -> str:
    return format(value, "f")


def statement_csv(statement: Statement) -> str:
    """One row per team and service/model (attributed), per team (shared, team_total) and the totals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    head = (statement.month, statement.source)
    for row in statement.details:
        writer.writerow(
            (
                *head,
                row.team,
                "attributed",
                row.service,
                row.model or "",
                _money(row.amounts["billed"]),
                _money(row.amounts["amortized"]),
                "",
            )
        )
    for team in statement.teams:
        share = (
            "" if team.share is None else format(team.share.quantize(SHARE_PLACES).normalize(), "f")
        )
        writer.writerow(
            (
                *head,
                team.team,
                "shared",
                "",
                "",
                _money(team.shared["billed"]),
                _money(team.shared["amortized"]),
                share,
            )
        )
        writer.writerow(
            (
                *head,
                team.team,
                "team_total",
                "",
                "",
                _money(team.total("billed")),
                _money(team.total("amortized")),
                "",
            )
        )
    if statement.totals:
        writer.writerow(
            (
                *head,
                "",
                "total",
                "",
                "",
                _money(statement.totals["billed"]),
                _money(statement.totals["amortized"]),
                "",
            )
        )
    return out.getvalue()


def _answer(text: str, status: int = 400) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


def _audited(context: DashboardContext, viewer: Viewer, filters: str) -> bool:
    """Record the download as an export in the audit log; False when the row cannot be written."""
    row = DashboardAudit(
        at=context.clock(),
        user=viewer.user[:256],
        role=viewer.role,
        action="export",
        target=ROUTE,
        filters=filters,
    )
    try:
        with context.sessions.begin() as session:
            session.add(row)
    except SQLAlchemyError as exc:
        log.error("dashboard: the audit log cannot be written (%s)", type(exc).__name__)
        return False
    return True


def serve_statement() -> Response:
    """GET /chargeback?month=YYYY-MM&format=html|csv: the statement, narrowed to the viewer's teams."""
    context = current_context()
    viewer = current_viewer()
    fmt = request.args.get("format", "html")
    if fmt not in ("html", "csv"):
        return _answer(f"format must be html or csv, got {fmt!r}")
    try:
        month = parse_month(
            request.args.get("month") or previous_month(context.today()), context.today()
        )
    except ValueError as exc:
        return _answer(str(exc))
    with context.sessions() as session:
        statement = month_statement(session, month, context.config, context.clock())
    if viewer.teams is not None:
        statement = statement.for_teams(viewer.teams)
    if not _audited(context, viewer, f"month={month}&format={fmt}"):
        return _answer("the audit log cannot be written; try again later", 503)
    if fmt == "csv":
        return Response(
            statement_csv(statement),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="chargeback-{month}.csv"'},
        )
    return Response(render_statement_html(statement, context.clock()), mimetype="text/html")


def install_chargeback(server: Flask) -> None:
    """Serve the month's statement at /chargeback (the Teams page links to it)."""
    server.add_url_rule(ROUTE, "chargeback", serve_statement, methods=["GET"])
