"""Weekly: the managers' view, one ISO week against the same days of the week before."""

from __future__ import annotations

from datetime import date, timedelta

from dash import dcc, html

from dashboard.components import card, card_row, graph_section, grid, table_section, usd
from dashboard.context import DashboardContext
from dashboard.figures import week_compare_figure
from dashboard.filters import BadFilter, Filters, FilterSpec, check_day
from dashboard.pages import add_filtered_page, filtered_layout
from dashboard.views.weekly import WeeklyData, iso_week, week_monday, weekly_data

PAGE = "weekly"
SPEC = FilterSpec(PAGE, dates=False, extra=(("week", f"{PAGE}-week", "value"),))
WEEKS_OFFERED = 26


def chosen_week(filters: Filters, today: date) -> date:
    """The Monday of the week in the URL, else of this week; BadFilter for a week that means nothing."""
    week = filters.extra.get("week")
    if week is None:
        return today - timedelta(days=today.weekday())
    try:
        monday = week_monday(week)
    except ValueError as exc:
        raise BadFilter(f"week: {exc}") from None
    return check_day(f"week {week}", monday, today)


def week_picker(filters: Filters, today: date) -> html.Div:
    """The week shown: this one and the weeks before it, the chosen one included."""
    monday = chosen_week(filters, today)
    this_monday = today - timedelta(days=today.weekday())
    weeks = sorted(
        {this_monday - timedelta(weeks=n) for n in range(WEEKS_OFFERED)} | {monday}, reverse=True
    )
    return html.Div(
        [
            html.Label("Week", htmlFor=f"{PAGE}-week", className="filter-label"),
            dcc.Dropdown(
                id=f"{PAGE}-week",
                options=[
                    {
                        "label": f"{iso_week(w)} ({w:%d %b} - {w + timedelta(days=6):%d %b %Y})",
                        "value": iso_week(w),
                    }
                    for w in weeks
                ],
                value=iso_week(monday),
                clearable=False,
            ),
        ],
        className="filter",
        style={"minWidth": "300px"},
    )


layout = filtered_layout(
    SPEC,
    "Weekly",
    "How did this week go against last week, and what moved?",
    extra_keys=("week",),
    control=week_picker,
)


def view(context: DashboardContext, filters: Filters) -> html.Div:
    """Query and render the page body: the callback's whole work."""
    monday = chosen_week(filters, context.today())
    with context.sessions() as session:
        data = weekly_data(
            session,
            monday,
            context.clock(),
            filters.team_list(),
            filters.account_list(),
            filters.region_list(),
            context.idle_thresholds(),
            context.under_use(),
        )
    return render(data)


def period_label(data: WeeklyData) -> str:
    """What is compared with what, in words."""
    last_day = data.end - timedelta(days=1)
    span = f"{data.start:%a %d %b} - {last_day:%a %d %b %Y}"
    before = f"{data.previous_start:%a %d %b} - {data.previous_end - timedelta(days=1):%a %d %b}"
    return f"{data.week}: {span}" + ("" if data.complete else " (to date)") + f", against {before}"


def render(data: WeeklyData) -> html.Div:
    """The page body from its data."""
    change = data.total_this_week - data.total_last_week
    cards = card_row(
        card(f"{PAGE}-this-week", "Billed this week", usd(data.total_this_week)),
        card(f"{PAGE}-last-week", "Billed the week before", usd(data.total_last_week)),
        card(
            f"{PAGE}-change",
            "Change",
            ("+" if change > 0 else "") + usd(change).replace("$-", "-$"),
        ),
        card(f"{PAGE}-new-alerts", "New alerts", str(len(data.new_alerts))),
        card(f"{PAGE}-resolved-alerts", "Resolved alerts", str(len(data.resolved_alerts))),
    )
    return html.Div(
        [
            html.P(period_label(data), id=f"{PAGE}-period", className="note"),
            cards,
            grid(
                graph_section(
                    f"{PAGE}-teams-graph",
                    week_compare_figure(data.teams, "team", "Billed spend per team"),
                ),
                graph_section(
                    f"{PAGE}-models-graph",
                    week_compare_figure(data.models, "model", "Bedrock estimate per model"),
                ),
            ),
            table_section("Top movers", f"{PAGE}-movers", data.movers, "Nothing moved."),
            table_section(
                "Per team (billed)",
                f"{PAGE}-teams",
                data.teams,
                "No Cost Explorer spend in either week: run `genai-monitor collect costs`.",
            ),
            table_section(
                "Per model (Bedrock estimate)",
                f"{PAGE}-models",
                data.models,
                "No Bedrock usage in either week.",
            ),
            table_section(
                "Budget status at the end of the week",
                f"{PAGE}-budgets",
                data.budgets,
                "No budgets for this month.",
            ),
            grid(
                table_section(
                    "New alerts",
                    f"{PAGE}-new",
                    data.new_alerts,
                    "No alert opened this week.",
                    columns=["state", "severity", "rule", "team", "subject", "opened_at"],
                ),
                table_section(
                    "Resolved alerts",
                    f"{PAGE}-resolved",
                    data.resolved_alerts,
                    "No alert resolved this week.",
                    columns=["rule", "team", "subject", "opened_at", "resolved_at"],
                ),
            ),
        ]
    )


add_filtered_page(
    SPEC,
    __name__,
    layout,
    view,
    label="Weekly",
    title="GenAI cost monitor: weekly",
    order=4,
    check=chosen_week,
)
