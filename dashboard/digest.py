"""The Weekly view as a self-contained HTML digest: inline CSS, tables with bars, no script."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from html import escape
from typing import Any

import pandas as pd

from core.timeutil import iso_utc
from dashboard.views.weekly import WeeklyData

CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #0f172a; max-width: 860px; margin: 0 auto; padding: 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 22px 0 6px; }
.sub { color: #475569; margin: 0 0 14px; }
.numbers td { padding: 6px 18px 6px 0; } .numbers .value { font-size: 20px; font-weight: 600; }
table.data { border-collapse: collapse; width: 100%; font-size: 13px; }
table.data th { text-align: left; background: #f1f5f9; padding: 4px 8px; }
table.data td { border-top: 1px solid #e2e8f0; padding: 4px 8px; }
td.num, th.num { text-align: right; white-space: nowrap; }
.bar { height: 8px; background: #2563eb; display: inline-block; } .bar.before { background: #cbd5e1; }
.up { color: #b91c1c; } .down { color: #15803d; } .empty { color: #64748b; font-style: italic; }
.over { color: #b91c1c; font-weight: 600; } .risk { color: #c2410c; font-weight: 600; }
"""


def _usd(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    return f"${Decimal(value):,.2f}".replace("$-", "-$")


def _ratio(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "new" if value is None else "-"
    return f"{Decimal(value) * 100:+.1f}%"


def _change_class(value: Decimal) -> str:
    return "up" if value > 0 else "down" if value < 0 else ""


def _compare_table(frame: pd.DataFrame, key: str, empty: str) -> str:
    if frame.empty:
        return f'<p class="empty">{escape(empty)}</p>'
    largest = max([*frame["this_week_usd"], *frame["last_week_usd"], Decimal(0)]) or Decimal(1)
    rows = []
    for row in frame.itertuples(index=False):
        name, now, before, change, ratio = (
            getattr(row, key),
            row.this_week_usd,
            row.last_week_usd,
            row.change_usd,
            row.change,
        )
        bars = (
            f'<span class="bar" style="width:{int(140 * now / largest)}px"></span><br>'
            f'<span class="bar before" style="width:{int(140 * before / largest)}px"></span>'
        )
        rows.append(
            f'<tr><td>{escape(str(name))}</td><td>{bars}</td><td class="num">{_usd(now)}</td><td class="num">{_usd(before)}</td>'
            f'<td class="num {_change_class(change)}">{_usd(change)}</td><td class="num">{_ratio(ratio)}</td></tr>'
        )
    header = f'<tr><th>{escape(key)}</th><th></th><th class="num">this week</th><th class="num">week before</th><th class="num">change</th><th class="num">%</th></tr>'
    return f'<table class="data">{header}{"".join(rows)}</table>'


def _when(value: Any) -> str:
    if value is None or value is pd.NaT or not isinstance(value, datetime):
        return "-"
    return iso_utc(value)


def _alerts_table(frame: pd.DataFrame, when: str, empty: str) -> str:
    if frame.empty:
        return f'<p class="empty">{escape(empty)}</p>'
    rows = "".join(
        f"<tr><td>{escape(str(r.rule))}</td><td>{escape(str(r.team))}</td><td>{escape(str(r.subject))}</td><td>{escape(str(r.state))}</td>"
        f"<td>{escape(_when(getattr(r, when)))}</td></tr>"
        for r in frame.itertuples(index=False)
    )
    return f'<table class="data"><tr><th>rule</th><th>team</th><th>subject</th><th>state</th><th>{escape(when.replace("_", " "))}</th></tr>{rows}</table>'


def _budgets_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return '<p class="empty">No budgets for this month.</p>'
    rows = []
    for r in frame.itertuples(index=False):
        css = {"over": "over", "at risk": "risk"}.get(r.status, "")
        used = "-" if r.used is None else f"{Decimal(r.used) * 100:.0f}%"
        projected = "-" if r.projected_use is None else f"{Decimal(r.projected_use) * 100:.0f}%"
        rows.append(
            f'<tr><td>{escape(r.team)}</td><td>{escape(r.service)}</td><td class="num">{_usd(r.budget_usd)}</td><td class="num">{_usd(r.spent_usd)}</td>'
            f'<td class="num">{used}</td><td class="num">{_usd(r.projected_usd)}</td><td class="num">{projected}</td><td class="{css}">{escape(r.status)}</td></tr>'
        )
    header = '<tr><th>team</th><th>service</th><th class="num">budget</th><th class="num">spent</th><th class="num">used</th><th class="num">projected</th><th class="num">proj. use</th><th>status</th></tr>'
    return f'<table class="data">{header}{"".join(rows)}</table>'


def _movers(frame: pd.DataFrame) -> str:
    if frame.empty:
        return '<p class="empty">Nothing moved.</p>'
    items = "".join(
        f"<li>{escape(r.kind)} <b>{escape(str(r.name))}</b>: {_usd(r.last_week_usd)} &rarr; {_usd(r.this_week_usd)} "
        f'(<span class="{_change_class(r.change_usd)}">{_usd(r.change_usd)}</span>)</li>'
        for r in frame.itertuples(index=False)
    )
    return f"<ul>{items}</ul>"


def _waste_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return '<p class="empty">Nothing idle: no resource is billing without traffic.</p>'
    rows = "".join(
        f"<tr><td>{escape(str(r.kind).replace('_', ' '))}</td><td>{escape(str(r.name))}</td><td>{escape(str(r.team))}</td>"
        f'<td>{escape(_when(r.idle_since))}</td><td class="num">{_usd(r.burnt_usd)}</td><td class="num">{_usd(r.monthly_usd)}</td>'
        f"<td>{escape(str(r.action))}</td></tr>"
        for r in frame.itertuples(index=False)
    )
    header = (
        '<tr><th>kind</th><th>name</th><th>team</th><th>idle since</th><th class="num">burnt</th>'
        '<th class="num">a month</th><th>action</th></tr>'
    )
    return f'<table class="data" id="waste">{header}{rows}</table>'


def render_weekly_html(
    data: WeeklyData, generated_at: datetime, dashboard_url: str | None = None
) -> str:
    """The whole digest as one HTML document that needs nothing else to display."""
    last_day = data.end - timedelta(days=1)
    period = f"{data.start:%a %d %b} &ndash; {last_day:%a %d %b %Y}" + (
        "" if data.complete else " (to date)"
    )
    change = data.total_this_week - data.total_last_week
    link = (
        f'<p><a href="{escape(dashboard_url)}">Open the dashboard</a></p>' if dashboard_url else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>GenAI spend, week {escape(data.week)}</title><style>{CSS}</style></head>
<body>
<h1>GenAI spend, week {escape(data.week)}</h1>
<p class="sub">{period}, against the same days of the week before. Billed spend from Cost Explorer; model costs estimated from Bedrock token metrics.</p>
<table class="numbers"><tr>
<td>Billed this week<br><span class="value" id="total-this-week">{_usd(data.total_this_week)}</span></td>
<td>Week before<br><span class="value" id="total-last-week">{_usd(data.total_last_week)}</span></td>
<td>Change<br><span class="value {_change_class(change)}">{_usd(change)}</span></td>
<td>New alerts<br><span class="value">{len(data.new_alerts)}</span></td>
<td>Resolved<br><span class="value">{len(data.resolved_alerts)}</span></td>
</tr><tr>
<td>Spent {escape(data.month)}<br><span class="value" id="month-spent">{_usd(data.month_spent_usd)}</span></td>
<td>Saved {escape(data.month)}<br><span class="value down" id="month-saved">{_usd(data.month_saved_usd)}</span></td>
</tr></table>
<h2>Top movers</h2>{_movers(data.movers)}
<h2>Per team (billed)</h2>{_compare_table(data.teams, "team", "No Cost Explorer spend in either week.")}
<h2>Per model (Bedrock estimate)</h2>{_compare_table(data.models, "model", "No Bedrock usage in either week.")}
<h2>Budgets at the end of the week</h2>{_budgets_table(data.budgets)}
<h2>Idle waste: the five costing most a month if left running</h2>{_waste_table(data.waste)}
<h2>New alerts</h2>{_alerts_table(data.new_alerts, "opened_at", "No alert opened this week.")}
<h2>Resolved alerts</h2>{_alerts_table(data.resolved_alerts, "resolved_at", "No alert resolved this week.")}
{link}<p class="sub">Generated {escape(iso_utc(generated_at))} by genai-cost-monitor.</p>
</body></html>
"""


def render_weekly_text(data: WeeklyData) -> str:
    """A plain-text summary, the alternative part of the e-mail."""
    lines = [f"GenAI spend, week {data.week}" + ("" if data.complete else " (to date)"), ""]
    lines.append(
        f"Billed this week {_usd(data.total_this_week)}, week before {_usd(data.total_last_week)}."
    )
    lines.append(
        f"Spent {data.month} {_usd(data.month_spent_usd)}, saved {data.month} "
        f"{_usd(data.month_saved_usd)} (stopped waste)."
    )
    for r in data.teams.itertuples(index=False):
        lines.append(f"  {r.team}: {_usd(r.this_week_usd)} (week before {_usd(r.last_week_usd)})")
    if not data.waste.empty:
        lines.append("Idle waste (a month if left running):")
        for r in data.waste.itertuples(index=False):
            lines.append(f"  {r.kind} {r.name} ({r.team}): {_usd(r.monthly_usd)}, {r.action}")
    lines.append(f"New alerts: {len(data.new_alerts)}, resolved: {len(data.resolved_alerts)}.")
    return "\n".join(lines) + "\n"
