"""Cost Explorer by IAM principal cost allocation tag (`iamPrincipal/<key>`): the real collector
and runner against the demo's Cost Explorer stand-in (in moto), on SQLite and Postgres; the
GetCostAndUsage calls of a cycle counted with and without principal tag keys."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from core.aws import ClientFactory
from core.models import CostDaily
from core.models_cost_principals import CostPrincipalTagDaily
from core.queries.principal_tags import billed_by_principal_tag
from core.services import (
    BEDROCK_SERVICE,
    SAGEMAKER_SERVICE,
    is_bedrock_service,
    marketplace_service,
)
from core.settings import parse_config
from demo.cost_explorer import cost_explorer
from demo.generate import World
from tests.collector.test_cost_explorer_collect import collect

NOW = datetime(2026, 11, 3, 10, tzinfo=UTC)
SONNET = marketplace_service("Claude 3.5 Sonnet")
DAYS = [date(2026, 10, 30), date(2026, 11, 1), date(2026, 11, 2)]


def world() -> World:
    """Bedrock lines whose resource tag and caller's tags differ, a Marketplace model, SageMaker."""
    bill = World(now=NOW, start=NOW - timedelta(days=40))
    for day in DAYS:
        lines = [
            # (service, usage type, resource tag group, the caller's principal tags, USD)
            (
                BEDROCK_SERVICE,
                "USE1-Claude3.5Sonnet-input-tokens",
                "team$search",
                {"team": "search"},
                "10",
            ),
            # called directly (no profile, untagged resource) by a principal tagged support
            (
                BEDROCK_SERVICE,
                "USE1-Claude3Haiku-input-tokens",
                "team$",
                {"team": "support", "costcenter": "cc-7"},
                "4",
            ),
            # a Marketplace model called by an untagged principal
            (SONNET, "USE1-MP:USE1_InputTokenCount-Units", "team$", {}, "3"),
            # not Bedrock: never in the principal table
            (SAGEMAKER_SERVICE, "USE1-Host:ml.m5.large", "team$search", {"team": "search"}, "5"),
        ]
        for service, usage, team_key, tags, amount in lines:
            key = (day, service, usage, team_key)
            bill.costs[key] = Decimal(amount)
            bill.quantities[key] = Decimal(1)
            if tags:
                bill.principal_tags[key] = tags
    return bill


def config(keys: str):
    return parse_config(f"attribution: {{principal_tag_keys: {keys}}}", "t.yaml")


def calls(factory: ClientFactory) -> int:
    return factory.counter.count("ce", "GetCostAndUsage")


def principal_table(sessions) -> dict[tuple, Decimal]:
    with sessions() as session:
        return {
            (r.day, r.tag_key, r.team): r.amount_usd
            for r in session.scalars(select(CostPrincipalTagDaily))
        }


def test_principal_tag_keys_add_one_request_per_window_and_key_and_none_without(aws, sessions):
    bill = world()
    with cost_explorer(bill):
        without = ClientFactory()
        collect(sessions, config("[]"), without, NOW)
        assert principal_table(sessions) == {}
        with sessions() as session:
            resource_rows = session.scalars(select(CostDaily)).all()
        one_key = ClientFactory()
        collect(sessions, config("[team]"), one_key, NOW)
        two_keys = ClientFactory()
        collect(sessions, config("[team, costcenter]"), two_keys, NOW)
    # first cycle: Oct 1 to Nov 4 in 31-day windows = 2 windows; 3 (account, service) pairs
    # with spend in each: 1 discovery + 2 x 3 detail requests, one page each
    assert calls(without) == 7
    assert calls(one_key) == 7 + 2  # + one per window
    assert calls(two_keys) == 7 + 2 * 2  # + one per window and key
    with sessions() as session:
        # the resource-tag lines are untouched by the second dimension
        assert len(session.scalars(select(CostDaily)).all()) == len(resource_rows)


def test_bedrock_spend_by_principal_tag_beside_the_resource_tag(aws, sessions):
    with cost_explorer(world()):
        collect(sessions, config("[team, costcenter]"), ClientFactory(), NOW)
    stored = principal_table(sessions)
    for day in DAYS:
        assert stored[(day, "team", "search")] == Decimal("10")
        assert stored[(day, "team", "support")] == Decimal("4")  # its resource is untagged
        assert stored[(day, "team", "unattributed")] == Decimal("3")  # Marketplace, untagged caller
        assert stored[(day, "costcenter", "cc-7")] == Decimal("4")
        assert stored[(day, "costcenter", "unattributed")] == Decimal("13")
    assert len(stored) == len(DAYS) * 5  # SageMaker is not in it
    with sessions() as session:
        november = billed_by_principal_tag(session, date(2026, 11, 1), date(2026, 11, 4))
        resource: dict[str, Decimal] = {}
        for r in session.scalars(select(CostDaily).where(CostDaily.day == DAYS[1])):
            if r.service != SAGEMAKER_SERVICE:
                resource[r.team] = resource.get(r.team, Decimal(0)) + r.amount_usd
    assert [(row.team, row.amount_usd) for row in november] == [
        ("search", Decimal("20")),
        ("support", Decimal("8")),
        ("unattributed", Decimal("6")),
    ]
    assert all(row.estimated for row in november)  # Nov 2 is still restated
    # by resource tag alone, support's calls are unattributed
    assert resource == {"search": Decimal("10"), "unattributed": Decimal("7")}


def test_rereading_changes_nothing_and_a_tag_applied_later_moves_the_spend(aws, sessions):
    bill = world()
    cfg = config("[team]")
    with cost_explorer(bill):
        collect(sessions, cfg, ClientFactory(), NOW)
        first = principal_table(sessions)
        collect(sessions, cfg, ClientFactory(), NOW + timedelta(hours=6))
        assert principal_table(sessions) == first
        # the Marketplace caller is tagged afterwards: Cost Explorer restates Nov 2
        bill.principal_tags[(DAYS[2], SONNET, "USE1-MP:USE1_InputTokenCount-Units", "team$")] = {
            "team": "search"
        }
        collect(sessions, cfg, ClientFactory(), NOW + timedelta(hours=12))
    after = principal_table(sessions)
    assert (DAYS[2], "team", "unattributed") not in after
    assert after[(DAYS[2], "team", "search")] == Decimal("13")
    assert {k: v for k, v in after.items() if k[0] != DAYS[2]} == {
        k: v for k, v in first.items() if k[0] != DAYS[2]
    }


def test_on_the_demo_bill_both_dimensions_add_up_to_the_same_bedrock_spend(aws, sessions):
    from demo.generate import generate
    from demo.world import CALLER_TEAMS, MODELS

    now = datetime(2026, 3, 19, 15, 40, tzinfo=UTC)
    with cost_explorer(generate(now, 10)):
        collect(sessions, config("[team]"), ClientFactory(), now)
    with sessions() as session:
        by_caller = billed_by_principal_tag(session, date(2026, 2, 1), date(2026, 3, 20))
        bedrock = sum(
            (
                r.amount_usd
                for r in session.scalars(select(CostDaily))
                if is_bedrock_service(r.service)
            ),
            Decimal(0),
        )
    assert sum((row.amount_usd for row in by_caller), Decimal(0)) == bedrock > 0
    # the callers' tags name teams the resource tag leaves unattributed
    assert {row.team for row in by_caller} == {
        *(m.team for m in MODELS if m.team),
        *CALLER_TEAMS.values(),
        "unattributed",
    }
