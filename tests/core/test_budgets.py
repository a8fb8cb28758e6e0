"""Budgets synced from the config, on SQLite and Postgres."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from core.budgets import budget_status, configured_budgets, period_of, sync_budgets
from core.models import Budget
from core.settings import parse_config

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)


def config(text: str):
    return parse_config(text, "test.yaml")


def budgets(sessions) -> dict[tuple[str, str, str], Decimal]:
    with sessions() as session:
        return {
            (b.team, b.service, b.period): b.amount_usd for b in session.scalars(select(Budget))
        }


def test_configured_budgets_per_team_and_per_team_and_service():
    specs = configured_budgets(
        config(
            "teams: [{name: search, monthly_budget_usd: 5000.1, monthly_service_budgets_usd: {Amazon Bedrock: 3000}}, {name: lab}]"
        )
    )
    assert [(s.team, s.service, s.amount_usd) for s in specs] == [
        ("search", "all", Decimal("5000.1")),
        ("search", "Amazon Bedrock", Decimal(3000)),
    ]
    assert period_of(NOW.date()) == "2026-11"


def test_sync_upserts_this_month_and_a_removed_budget_leaves_this_month_only(sessions):
    first = config(
        "teams: [{name: search, monthly_budget_usd: 5000}, {name: support, monthly_budget_usd: 1500, monthly_service_budgets_usd: {Amazon SageMaker: 700}}]"
    )
    october = datetime(2026, 10, 31, 23, tzinfo=UTC)
    with sessions.begin() as session:
        sync_budgets(session, first, october)
    with sessions.begin() as session:
        sync_budgets(session, first, NOW)
    assert budgets(sessions) == {
        ("search", "all", "2026-10"): Decimal(5000),
        ("support", "all", "2026-10"): Decimal(1500),
        ("support", "Amazon SageMaker", "2026-10"): Decimal(700),
        ("search", "all", "2026-11"): Decimal(5000),
        ("support", "all", "2026-11"): Decimal(1500),
        ("support", "Amazon SageMaker", "2026-11"): Decimal(700),
    }

    # search's budget is raised, support's removed; October keeps what applied then
    second = config("teams: [{name: search, monthly_budget_usd: 6000}, {name: support}]")
    with sessions.begin() as session:
        sync_budgets(session, second, NOW)
    assert budgets(sessions) == {
        ("search", "all", "2026-10"): Decimal(5000),
        ("support", "all", "2026-10"): Decimal(1500),
        ("support", "Amazon SageMaker", "2026-10"): Decimal(700),
        ("search", "all", "2026-11"): Decimal(6000),
    }


def test_syncing_the_same_config_again_rewrites_nothing(sessions):
    cfg = config("teams: [{name: search, monthly_budget_usd: 5000}]")
    with sessions.begin() as session:
        sync_budgets(session, cfg, NOW)
    with sessions.begin() as session:
        sync_budgets(session, cfg, datetime(2026, 11, 21, tzinfo=UTC))
    with sessions() as session:
        row = session.scalars(select(Budget)).one()
    assert row.updated_at == NOW  # an unchanged amount is not rewritten


def test_budget_words():
    assert budget_status(Decimal("1.01"), Decimal("1.5")) == "over"
    assert budget_status(Decimal("0.5"), Decimal("1.1")) == "at risk"
    assert budget_status(None, None) == "on track"
