"""Teams: one team's spend by service and model over time, its budget burn-down, endpoints and idle waste."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from dash import dcc, get_relative_path, html

from core.queries.billing import previous_month
from core.queries.costs import spend_totals
from dashboard.access import scoped
from dashboard.chargeback import ROUTE as CHARGEBACK_ROUTE
from dashboard.components import (
    card,
    card_row,
    graph_section,
    grid,
    highlight_rows,
    page_frame,
    price_note,
    table_section,
    usd,
)
from dashboard.context import DashboardContext, current_context, options_for
from dashboard.figures import burn_down_figure, endpoint_cost_figure, stacked_daily
from dashboard.filters import Filters, FilterSpec, parse_filters
from dashboard.pages import add_filtered_page
from dashboard.views.principals import DrillDown, drill_down
from dashboard.views.teams import TeamData, team_data

PAGE = "teams"
# the drill-down's choices, kept in the URL: an application of the team, a principal of it
DRILL = ("app", "principal")
SPEC = FilterSpec(
    PAGE, single_team=True, extra=tuple((key, f"{PAGE}-{key}", "data") for key in DRILL)
)
IDLE_ROW = highlight_rows("idle", "yes", backgroundColor="#fee2e2")


def layout(**query: Any) -> html.Div:
    """The page with its filters set from the URL; without a team, the biggest spender of the window."""
    context = current_context()
    filters = scoped(parse_filters(query, context.today(), extra_keys=DRILL))
    with context.sessions() as session:
        teams, accounts, regions = options_for(context, session, filters)
        if not filters.teams:
            spend = spend_totals(session, *filters.day_range, "team", filters.team_list())
            top = (
                max(spend, key=lambda team: spend[team]) if spend else (teams[0] if teams else None)
            )
            filters = replace(filters, teams=(top,) if top else ())
    return page_frame(
        PAGE,
        "Teams",
        "Where does one team's money go, will it stay in budget, and what is it wasting? (unattributed spend is a team of its own)",
        SPEC.bar(
            filters,
            teams,
            accounts,
            regions,
            *(dcc.Store(id=f"{PAGE}-{key}", data=filters.extra.get(key)) for key in DRILL),
        ),
        f"{PAGE}-body",
    )


def view(context: DashboardContext, filters: Filters) -> html.Div:
    """Query and render the page body: the callback's whole work."""
    if not filters.teams:
        return html.Div(html.P("Choose a team.", className="empty", id=f"{PAGE}-choose"))
    with context.sessions() as session:
        data = team_data(context, session, filters, filters.teams[0])
        keys = list(context.config.attribution.request_metadata_keys)
        drill = drill_down(session, filters, keys, filters.teams[0])
    return html.Div(
        [render(data), render_drill_down(drill, filters), chargeback_links(context.today())]
    )


def _drill_href(filters: Filters, **chosen: str) -> str:
    """The page's address with the same filters and the drill-down at ``chosen``."""
    query = replace(filters, extra={k: v for k, v in chosen.items() if v}).query_string()
    return str(get_relative_path(f"/{PAGE}?{query}"))  # type: ignore[no-untyped-call]


def _links(what: str, names: list[str], href: Any, link_id: str) -> html.P:
    """A line of links, one per name, each opening the next level of the drill-down."""
    items: list[Any] = [f"Open {what}: "]
    for index, name in enumerate(names):
        items += [dcc.Link(name, href=href(name), id=f"{link_id}-{index}"), " "]
    return html.P(items, className="note", id=link_id)


def render_drill_down(drill: DrillDown, filters: Filters) -> html.Div:
    """Who spent the team's Bedrock money: applications, then principals, then models (from the
    invocation logs), each level a table with links to the next."""
    crumbs: list[Any] = [dcc.Link(drill.team, href=_drill_href(filters), id=f"{PAGE}-drill-top")]
    for name, href in (
        (drill.application, _drill_href(filters, app=drill.application or "")),
        (
            drill.principal,
            _drill_href(filters, app=drill.application or "", principal=drill.principal or ""),
        ),
    ):
        if name:
            crumbs += [" › ", dcc.Link(name, href=href)]
    parts: list[Any] = [
        html.H3("Who spent it: application → principal → model (invocation logs)"),
        html.P(crumbs, id=f"{PAGE}-drill-path", className="note"),
        html.P(
            f"Billed to this team's principals (CUR 2.0, 24-48 h late): {usd(drill.billed_usd)}",
            id=f"{PAGE}-drill-billed",
            className="note",
        ),
    ]
    apps = list(drill.applications["application"])
    if apps:
        parts.append(
            _links("an application", apps, lambda a: _drill_href(filters, app=a), f"{PAGE}-apps")
        )
    parts.append(
        table_section(
            "Applications (a configured request-metadata value, else the principal)",
            f"{PAGE}-applications",
            drill.applications,
            "No invocation-log usage for this team in the days shown: "
            "run `genai-monitor collect invocation-logs`.",
        )
    )
    if drill.application:
        names = list(drill.principals["principal"])
        app = drill.application
        parts += [
            _links(
                "a principal",
                names,
                lambda p: _drill_href(filters, app=app, principal=p),
                f"{PAGE}-principal-links",
            ),
            table_section(
                f"Principals of {app} (billed: the principal's whole bill in the days shown)",
                f"{PAGE}-principals",
                drill.principals,
                "No principal.",
            ),
        ]
    if drill.principal:
        parts.append(
            table_section(
                f"Models of {drill.principal} in {drill.application}",
                f"{PAGE}-models",
                drill.models,
                "No model.",
            )
        )
    return html.Div(parts, className="section", id=f"{PAGE}-drill")


def chargeback_links(today: date) -> html.Div:
    """Links to the month-end chargeback statement (HTML and CSV): last month and this month so far."""
    links: list[Any] = ["Month-end chargeback statement: "]
    for month, label in (
        (previous_month(today), "last month"),
        (f"{today:%Y-%m}", "this month so far"),
    ):
        href = get_relative_path(f"{CHARGEBACK_ROUTE}?month={month}")  # type: ignore[no-untyped-call]
        links += [
            f"{month} ({label}) ",
            html.A("HTML", href=href, id=f"{PAGE}-chargeback-{month}", target="_blank"),
            " ",
            html.A("CSV", href=f"{href}&format=csv", id=f"{PAGE}-chargeback-{month}-csv"),
            "; ",
        ]
    return html.Div(
        html.P(links[:-1], className="note"), className="section", id=f"{PAGE}-chargeback"
    )


def render(data: TeamData) -> html.Div:
    """The page body from its data."""
    idle_count = int(data.endpoints["idle"].sum()) if not data.endpoints.empty else 0
    cards = card_row(
        card(f"{PAGE}-spend", f"{data.team}: billed in the days shown", usd(data.spend_usd)),
        card(f"{PAGE}-budget", "Budget this month", usd(data.budget_usd)),
        card(f"{PAGE}-projected", "Projected month-end", usd(data.projected_usd)),
        card(
            f"{PAGE}-idle-waste",
            "Idle endpoint waste",
            usd(data.idle_waste_usd),
            f"{idle_count} idle endpoint(s), streak cost",
        ),
    )
    return html.Div(
        [
            cards,
            price_note(
                f"{PAGE}-bedrock-price-sources", "Bedrock estimate", data.bedrock_price_sources
            ),
            price_note(
                f"{PAGE}-endpoint-price-sources", "Endpoint cost", data.endpoint_price_sources
            ),
            grid(
                graph_section(
                    f"{PAGE}-service-graph",
                    stacked_daily(
                        data.spend_by_service,
                        "service",
                        "amount_usd",
                        f"{data.team}: billed spend by service",
                        "No Cost Explorer spend for this team in the days shown",
                    ),
                ),
                graph_section(
                    f"{PAGE}-model-graph",
                    stacked_daily(
                        data.cost_by_model,
                        "model",
                        "amount_usd",
                        f"{data.team}: Bedrock estimate by model",
                        "No Bedrock usage for this team in the days shown",
                    ),
                ),
                graph_section(
                    f"{PAGE}-burn-graph",
                    burn_down_figure(data.burn_down, data.budget_usd, data.team),
                ),
                graph_section(f"{PAGE}-endpoint-graph", endpoint_cost_figure(data.endpoints)),
            ),
            table_section(
                "Endpoints (idle ones highlighted)",
                f"{PAGE}-endpoints",
                data.endpoints,
                "This team has no SageMaker endpoints in the days shown.",
                columns=[
                    "endpoint_name",
                    "account_id",
                    "region",
                    "status",
                    "instance_type",
                    "instance_count",
                    "hours_in_service",
                    "idle_hours",
                    "last_invocation_at",
                    "estimated_cost_usd",
                    "idle_cost_usd",
                    "idle",
                ],
                highlight=[IDLE_ROW],
            ),
            table_section(
                "Spend by service and day",
                f"{PAGE}-services",
                data.spend_by_service,
                "No Cost Explorer spend for this team in the days shown.",
            ),
        ]
    )


add_filtered_page(
    SPEC, __name__, layout, view, label="Teams", title="GenAI cost monitor: teams", order=1
)
