"""Budgets per principal pattern and per request-metadata value (`budgets:`), from
principal_usage_hourly through the real snapshot reader, budget rules and engine, on both DBs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from alerts.service import evaluate_once
from alerts.snapshot_source import build_snapshot
from core.models import Alert, Notification
from core.settings import ConfigError, parse_config
from tests.alerts.principal_rows import role, store, usage_row

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
BOT = "arn:aws:sts::111111111111:assumed-role/support-bot/session-1"
LAB = "arn:aws:sts::111111111111:assumed-role/lab/alice"

CONFIG = """
attribution: {{request_metadata_keys: [project, user]}}
teams: [{{name: search, routes: [search-hook]}}, {{name: support}}]
notifiers:
  search-hook: {{type: log}}
  finance: {{type: log}}
  oncall: {{type: log}}
alerts:
  default_route: [oncall]
  rules:
    - {{kind: budget_threshold, thresholds: [0.5, 0.8, 1.0]}}
    - {{kind: budget_forecast}}
budgets:
{budgets}
"""
BUDGETS = """
  - {name: checkout, monthly_budget_usd: 1000, request_metadata: {project: checkout}, routes: [finance]}
  - {name: search-agents, monthly_budget_usd: 500, principals: ["arn:aws:iam::*:role/search-*"], team: search}
  - {name: lab, monthly_budget_usd: 10000, principals: ["arn:aws:sts::*:assumed-role/lab/*"]}
"""


def config(budgets: str = BUDGETS, extra: str = ""):
    return parse_config(CONFIG.format(budgets=budgets) + extra, "t.yaml")


def seed(sessions) -> None:
    agent, indexer = role("search-agent"), role("search-indexer", "222222222222")
    rows = []
    for day in range(1, 20):
        noon = datetime(2026, 11, day, 12, tzinfo=UTC)
        rows += [
            usage_row(noon, agent, "20", metadata={"project": "checkout"}),
            usage_row(noon, agent, "6", metadata={"project": "catalog", "user": "u1"}),
            usage_row(noon, indexer, "4"),  # another account, matched by the * in the pattern
            usage_row(noon, indexer, None, model="unpriced"),  # no price: no spend
            usage_row(noon, BOT, "10", metadata={"project": "checkout"}, team="support"),
            usage_row(noon, LAB, "1"),
        ]
    # October is another month: it feeds no November total
    rows.append(
        usage_row(
            datetime(2026, 10, 31, 12, tzinfo=UTC), BOT, "900", metadata={"project": "checkout"}
        )
    )
    store(sessions, rows)


def alerts(sessions):
    with sessions() as session:
        return {a.subject: a for a in session.scalars(select(Alert))}


def test_principal_and_project_budgets_alert_on_their_routes(sessions):
    seed(sessions)
    cfg = config()
    for minutes in (0, 5, 10):  # several evaluations: each alert is opened and told once
        evaluate_once(
            sessions,
            cfg,
            lambda s, at: build_snapshot(cfg, s, at),
            NOW + timedelta(minutes=minutes),
        )
    found = alerts(sessions)
    assert {subject: a.state for subject, a in found.items()} == {
        # checkout: ($20 + $10) x 19 days = $570 of $1000; projected ~$900: on track
        "budget/checkout/2026-11/50%": "firing",
        # search agents: ($20 + $6 + $4) x 19 = $570 of $500, projected far over
        "budget/search-agents/2026-11/50%": "inhibited",
        "budget/search-agents/2026-11/80%": "inhibited",
        "budget/search-agents/2026-11/100%": "firing",
        "budget/search-agents/2026-11": "firing",
    }
    checkout = found["budget/checkout/2026-11/50%"]
    assert Decimal(checkout.details["spent_usd"]) == Decimal("570")
    assert checkout.team == "all"
    assert checkout.message == (
        "budget checkout (project=checkout) has spent $570.00 of its $1,000.00 budget "
        "for 2026-11 (57%), past the 50% threshold"
    )
    over = found["budget/search-agents/2026-11/100%"]
    assert Decimal(over.details["spent_usd"]) == Decimal("570") and over.team == "search"
    assert Decimal(found["budget/search-agents/2026-11"].details["projected_usd"]) > 500
    with sessions() as session:
        told = sorted(
            (a.subject, n.channel)
            for n, a in session.execute(
                select(Notification, Alert).join(Alert, Alert.id == Notification.alert_id)
            )
        )
    assert told == [
        ("budget/checkout/2026-11/50%", "finance"),
        ("budget/search-agents/2026-11", "search-hook"),
        ("budget/search-agents/2026-11/100%", "search-hook"),
    ]


def test_principal_and_metadata_together_count_only_calls_matching_both(sessions):
    seed(sessions)
    cfg = config(
        "  - {name: agent-checkout, monthly_budget_usd: 400, team: search,"
        ' principals: ["*:role/search-agent"], request_metadata: {project: checkout}}'
    )
    evaluate_once(sessions, cfg, lambda s, at: build_snapshot(cfg, s, at), NOW)
    found = alerts(sessions)
    # $20 x 19 = $380 of $400: 80% reached, projected over
    assert set(found) == {
        "budget/agent-checkout/2026-11/50%",
        "budget/agent-checkout/2026-11/80%",
        "budget/agent-checkout/2026-11",
    }
    assert Decimal(found["budget/agent-checkout/2026-11/80%"].details["spent_usd"]) == Decimal(
        "380"
    )


@pytest.mark.parametrize(
    ("budgets", "extra", "message"),
    [
        ("  - {name: x, monthly_budget_usd: 5}", "", "needs principals"),
        (
            "  - {name: x, monthly_budget_usd: 5, request_metadata: {team: a}}",
            "",
            "not in attribution.request_metadata_keys",
        ),
        (
            "  - {name: x, monthly_budget_usd: 5, principals: ['*'], routes: [nope]}",
            "",
            "routes to 'nope'",
        ),
        ("  - {name: x, monthly_budget_usd: 5, principals: ['*'], team: nope}", "", "team 'nope'"),
        ("  - {name: x, monthly_budget_usd: -1, principals: ['*']}", "", "greater than or equal"),
        (
            "  - {name: x, monthly_budget_usd: 5, principals: ['*']}\n"
            "  - {name: x, monthly_budget_usd: 6, principals: ['*']}",
            "",
            "listed twice",
        ),
    ],
)
def test_bad_budgets_fail_at_load(budgets, extra, message):
    with pytest.raises(ConfigError, match=message):
        config(budgets, extra)
