"""Share of spend attributed (#14), with exact figures: the bill's teams, what principals
attribute of the unattributed Bedrock bill, and the rest per reason; SQLite and Postgres."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from core.queries.attributed_share import (
    NO_PRINCIPAL_MAPPING,
    NO_PROFILE,
    NO_TAG,
    attributed_share,
    split_estimates,
)
from tests.principal_world import (
    ACCOUNT,
    AFTER,
    COST,
    DAY,
    ESTIMATES,
    FIRST,
    H10,
    REGION,
    SONNET,
    seed_bill,
    seed_principals,
)


def seed(sessions):
    with sessions.begin() as session:
        seed_principals(session)
        seed_bill(session, COST, ESTIMATES, [])


def test_split_of_one_key_caps_principals_at_the_estimate():
    key = (H10, ACCOUNT, REGION, SONNET)
    over = {"search": Decimal(6), "unattributed": Decimal(2)}
    split = split_estimates({key: Decimal(4)}, {key: over})[DAY]
    assert split.by_team == {"search": Fraction(3)}
    assert (split.no_mapping, split.no_profile, split.total) == (1, 0, 4)
    bare = split_estimates({key: Decimal(4)}, {})[DAY]
    assert (bare.by_team, bare.no_mapping, bare.no_profile) == ({}, 0, 4)


def test_share_of_the_month_by_team_principal_and_reason(sessions):
    seed(sessions)
    with sessions() as session:
        share = attributed_share(session, FIRST, AFTER)
    # the 4.00 unattributed Bedrock bill of DAY follows that day's unattributed estimate of 8.00:
    # search 1.8/8, support 2.0/8, no mapping 1.0/8, no profile (1.2 + 2.0)/8
    assert share.by_team_usd == {"search": Decimal(10), "support": Decimal(5)}
    assert share.by_principal_usd == {"search": Decimal("0.9"), "support": Decimal("1")}
    assert share.unattributed_usd == {
        NO_TAG: Decimal(10),  # 3 + 7 of SageMaker without the tag
        NO_PROFILE: Decimal("3.6"),  # 1.6 of DAY's Bedrock + the 2.00 Marketplace of DAY2
        NO_PRINCIPAL_MAPPING: Decimal("0.5"),
    }
    assert share.total_usd == Decimal(31)
    assert share.attributed_usd == Decimal("16.9")
    assert share.share == Decimal("16.9") / 31
    assert share.attributed_usd + sum(share.unattributed_usd.values()) == share.total_usd


def test_share_under_account_and_team_filters(sessions):
    seed(sessions)
    with sessions() as session:
        one_account = attributed_share(session, FIRST, AFTER, accounts=[ACCOUNT])
        support = attributed_share(session, FIRST, AFTER, teams=["support"])
        unattributed = attributed_share(session, FIRST, AFTER, teams=["unattributed"])
        empty = attributed_share(session, date(2026, 1, 1), date(2026, 2, 1))
    assert one_account.total_usd == Decimal(24)
    assert one_account.unattributed_usd[NO_TAG] == Decimal(3)
    # a team sees its own share only: no other team's amounts, no reasons
    assert support.by_team_usd == {"support": Decimal(5)}
    assert support.by_principal_usd == {"support": Decimal(1)}
    assert set(support.unattributed_usd.values()) == {Decimal(0)}
    assert (support.total_usd, support.share) == (Decimal(6), Decimal(1))
    assert unattributed.by_team_usd == unattributed.by_principal_usd == {}
    assert unattributed.total_usd == Decimal("14.1")
    assert unattributed.share == Decimal(0)
    assert (empty.total_usd, empty.share) == (Decimal(0), None)
