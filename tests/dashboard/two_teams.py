"""Two teams with names and figures found nowhere else, plus unattributed spend: the world the
team-scoping tests grep for leaks. Team A (alpha-squad) is the viewer's; team B (zulu-vault) is not."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from core.alert_state import AlertState
from core.db import upsert
from core.models import BedrockUsageHourly, Budget, CostDaily, CostLine, EndpointHourly
from core.models_principals import PrincipalUsageHourly
from core.services import BEDROCK_SERVICE
from core.settings import MonitorConfig, parse_config
from demo.rows import (
    alert,
    bedrock_row,
    budget_row,
    cost_row,
    endpoint_hour_row,
    endpoint_row,
    put_endpoints,
)

NOW = datetime(2026, 3, 18, 12, 30, tzinfo=UTC)
CALLBACK = "/_dash-update-component"
START, END = "2026-02-20", "2026-03-18"
TEAM_A, TEAM_B = "alpha-squad", "zulu-vault"
DAYS = 20
HOURS = 48  # of endpoint history, up to NOW

# team -> account, region, Bedrock base model, per-row Bedrock estimate, invocations a row,
# daily bill, budget, endpoint, endpoint hourly cost
WORLD = {
    TEAM_A: (
        "111122223333",
        "us-east-1",
        "anthropic.claude-3-haiku-20240307-v1:0",
        Decimal("12.34"),
        211,
        Decimal("101.11"),
        Decimal("5000"),
        "alpha-ranker",
        Decimal("1.2500"),
    ),
    TEAM_B: (
        "999988887777",
        "eu-west-3",
        "mistral.mistral-large-2402-v1:0",
        Decimal("9137.4613"),
        7919,
        Decimal("8642.1357"),
        Decimal("86420.13"),
        "zulu-vault-vectorizer",
        Decimal("37.6891"),
    ),
}
UNATTRIBUTED_ACCOUNT, UNATTRIBUTED_BILL = "555566667777", Decimal("4417.8311")
# #14: each team's principal (B's with a project of its own), one role both teams call through
# (its bill is neither team's alone), and a principal no rule maps; the bill of each
PRINCIPAL_A = "arn:aws:iam::111122223333:role/alpha-squad-app"
PRINCIPAL_B = "arn:aws:iam::999988887777:role/zulu-vault-agent"
PROJECT_B = "project=zulu-vault-secret"
SHARED = "arn:aws:iam::111122223333:role/shared-runner"
UNMAPPED = "arn:aws:iam::555566667777:user/nobody-knows"
# in February: a March CUR line would make the March statements read CUR instead of Cost Explorer
BILLED_DAY = date(2026, 2, 25)
PRINCIPAL_BILLS = {
    PRINCIPAL_A: Decimal("3.21"),
    PRINCIPAL_B: Decimal("6317.2293"),
    SHARED: Decimal("4242.4242"),
    UNMAPPED: Decimal("5151.3131"),
}

CONFIG = f"""
regions: [us-east-1]
attribution: {{request_metadata_keys: [project]}}
teams:
  - {{name: {TEAM_A}, monthly_budget_usd: 5000}}
  - {{name: {TEAM_B}, monthly_budget_usd: 86420.13}}
alerts:
  rules:
    - {{kind: idle_endpoint, for: 24h}}
dashboard:
  auth: {{mode: trusted_header, trusted_proxies: [127.0.0.1/32]}}
  roles: {{finance: [finance], admin: [platform-admins]}}
  team_groups: {{{TEAM_A}: [alpha-devs], {TEAM_B}: [zulu-devs]}}
"""

# the request headers of each kind of person (the SSO proxy sets them)
VIEWER_A = {"X-Forwarded-User": "ana@example.com", "X-Forwarded-Groups": "alpha-devs, staff"}
ADMIN = {"X-Forwarded-User": "root@example.com", "X-Forwarded-Groups": "platform-admins"}
FINANCE = {"X-Forwarded-User": "fin@example.com", "X-Forwarded-Groups": "finance"}
NOBODY = {"X-Forwarded-User": "eve@example.com", "X-Forwarded-Groups": "staff,contractors"}


def config() -> MonitorConfig:
    """The config of this world."""
    return parse_config(CONFIG)


def with_dashboard(dashboard_yaml: str) -> MonitorConfig:
    """The two-team config with its `dashboard:` section replaced."""
    head = CONFIG.split("dashboard:")[0]
    return parse_config(head + dashboard_yaml)


def seed(session: Session) -> None:
    """Twenty days of Bedrock usage and bills, an endpoint, a budget and alerts per team."""
    start = datetime.combine(NOW.date() - timedelta(days=DAYS - 1), datetime.min.time(), UTC)
    days = [start + timedelta(days=n) for n in range(DAYS)]
    usage, bills, budgets = [], [], []
    for team, (account, region, model, cost, calls, bill, budget, *_e) in WORLD.items():
        for day in days:
            usage.append(
                bedrock_row(
                    account_id=account,
                    region=region,
                    model_id=f"{model}#{team}",
                    base_model_id=model,
                    hour=day + timedelta(hours=10),
                    team=team,
                    invocations=calls,
                    input_tokens=calls * 100,
                    output_tokens=calls * 10,
                    estimated_cost_usd=cost,
                    collected_at=NOW,
                )
            )
            bills.append(cost_row(day.date(), account, BEDROCK_SERVICE, team, bill, NOW))
        budgets.append(budget_row(team, f"{NOW:%Y-%m}", budget, NOW))
    for day in days:
        bills.append(
            cost_row(
                day.date(), UNATTRIBUTED_ACCOUNT, BEDROCK_SERVICE, "unattributed",
                UNATTRIBUTED_BILL, NOW,
            )
        )  # fmt: skip
    upsert(session, BedrockUsageHourly, usage)
    upsert(session, CostDaily, bills)
    upsert(session, Budget, budgets)
    seed_endpoints(session)
    seed_alerts(session)
    seed_principals(session)


def seed_principals(session: Session) -> None:
    """Invocation-log rows of each team's principal, the shared role and the unmapped one, and
    CUR 2.0 lines naming each."""
    from tests.principal_world import cur_row, principal_row

    hour = NOW.replace(minute=0) - timedelta(days=2)
    calls = [
        (PRINCIPAL_A, TEAM_A, '{"project":"alpha-web"}', "0.75"),
        (SHARED, TEAM_A, '{"project":"alpha-web"}', "0.25"),
        (PRINCIPAL_B, TEAM_B, '{"project":"zulu-vault-secret"}', "7131.4159"),
        (SHARED, TEAM_B, '{"project":"zulu-vault-secret"}', "2718.2818"),
        (UNMAPPED, "unattributed", "{}", "1618.0339"),
    ]
    rows = []
    for principal, team, metadata, cost in calls:
        account, region, model, *_rest = WORLD.get(team, WORLD[TEAM_A])
        row = principal_row(hour, principal, model, team, (3, 300, 30, 0, 0), cost, metadata)
        rows.append({**row, "account_id": account, "region": region, "base_model_id": model})
    upsert(session, PrincipalUsageHourly, rows)
    upsert(
        session,
        CostLine,
        [
            {**cur_row(BILLED_DAY, principal, str(amount)), "account_id": principal.split(":")[4]}
            for principal, amount in PRINCIPAL_BILLS.items()
        ],
    )


def seed_endpoints(session: Session) -> None:
    """One endpoint per team, in service for the last two days, the B one idle."""
    created = NOW - timedelta(hours=HOURS, minutes=30)
    ids = put_endpoints(
        session,
        (
            endpoint_row(
                account_id=account,
                region=region,
                name=name,
                team=team,
                instance_type="ml.g5.xlarge",
                created_at=created,
                seen_at=NOW,
                tags={"team": team},
            )
            for team, (account, region, *_m, name, _hourly) in WORLD.items()
        ),
    )
    first = NOW.replace(minute=0) - timedelta(hours=HOURS)
    upsert(
        session,
        EndpointHourly,
        [
            endpoint_hour_row(
                endpoint_id=ids[name],
                hour=first + timedelta(hours=n),
                instance_type="ml.g5.xlarge",
                instance_count=1,
                invocations=0 if team == TEAM_B else 20,
                estimated_cost_usd=hourly,
                collected_at=NOW,
            )
            for team, (*_w, name, hourly) in WORLD.items()
            for n in range(HOURS)
        ],
    )


def seed_alerts(session: Session) -> None:
    """A pending alert for A; a firing and a resolved one for B."""
    account_b, region_b, *_rest = WORLD[TEAM_B]
    episodes = [
        ("budget_forecast", f"{TEAM_A}/all/2026-03", TEAM_A, AlertState.PENDING, None),
        ("idle_endpoint", f"{account_b}/{region_b}/zulu-vault-vectorizer", TEAM_B,
         AlertState.FIRING, None),
        ("budget_threshold", f"{TEAM_B}/all/2026-03/0.8", TEAM_B, AlertState.RESOLVED,
         NOW - timedelta(days=1)),
    ]  # fmt: skip
    for rule, subject, team, state, resolved in episodes:
        session.add(
            alert(
                rule=rule,
                subject=subject,
                team=team,
                state=state,
                opened=NOW - timedelta(days=2),
                seen=NOW,
                resolved=resolved,
            )
        )


def money_forms(amount: Decimal) -> list[str]:
    """An amount as the pages show it ($1,234.56) and as the JSON carries it (1234.56)."""
    cents = amount.quantize(Decimal("0.01"))
    return [f"${cents:,.2f}", f"{cents:,.2f}", f"{cents}"]


def team_b_tokens() -> list[str]:
    """Team B's names and figures, and the unattributed spend's: none may reach a viewer of A."""
    account, region, model, cost, calls, bill, budget, endpoint, hourly = WORLD[TEAM_B]
    tokens = [TEAM_B, "zulu", account, region, model, "mistral", endpoint, f"{calls:,}", str(calls)]
    for amount in (cost, bill, budget, hourly, cost * DAYS, bill * DAYS, hourly * HOURS):
        tokens += money_forms(amount)
    tokens += [UNATTRIBUTED_ACCOUNT, '"unattributed"', *money_forms(UNATTRIBUTED_BILL)]
    # an ARN as a page shows it, and as Dash's JSON spells it ("/" escaped)
    arns = [PRINCIPAL_B, UNMAPPED]
    tokens += [PROJECT_B, *arns, *(arn.replace("/", "\\u002f") for arn in arns)]
    for amount in (
        PRINCIPAL_BILLS[PRINCIPAL_B],
        PRINCIPAL_BILLS[SHARED],  # the shared role's bill holds B's part
        PRINCIPAL_BILLS[UNMAPPED],
        Decimal("7131.4159"),
        Decimal("2718.2818"),
        Decimal("1618.0339"),
    ):
        tokens += money_forms(amount)
    return tokens


def leaks(text: str) -> list[str]:
    """Team B's tokens found in ``text``."""
    return [token for token in team_b_tokens() if token in text]


# a chart's drawing: path data, positions and styles are geometry, whose digits can spell any
# figure by chance (a path through x=7919.5 is not team B's 7,919 calls); text nodes stay
GEOMETRY = re.compile(r'\s(?:d|transform|style|x|y|x1|x2|y1|y2|width|height|viewBox)="[^"]*"')


def page_leaks(html: str) -> list[str]:
    """Team B's tokens in a page's DOM, its charts' geometry left out (their labels are kept)."""
    return leaks(GEOMETRY.sub(" ", html))


def overview(teams: list[str]) -> dict[str, Any]:
    """The Overview body's callback asking for ``teams`` ([] for all)."""
    inputs = [
        {"id": "overview-dates", "property": "start_date", "value": START},
        {"id": "overview-dates", "property": "end_date", "value": END},
        {"id": "overview-team", "property": "value", "value": teams},
        {"id": "overview-account", "property": "value", "value": []},
        {"id": "overview-region", "property": "value", "value": []},
    ]
    return {
        "output": "overview-body.children",
        "outputs": {"id": "overview-body", "property": "children"},
        "inputs": inputs,
        "changedPropIds": [],
        "state": [],
    }
