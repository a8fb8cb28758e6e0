"""Share of spend attributed (#14): how much of the GenAI bill of some days has a team, and why
the rest has none.

The definition, precisely:

* **The spend** is the billed GenAI spend of the days (Cost Explorer lines, ``cost_daily``: the
  same total as the Overview's "Spent" card).
* A billed line with a team (anything but ``unattributed``: a resource or cost allocation tag,
  an application inference profile's tag or mapping, an account default) is **attributed**.
* An unattributed line of any service but Bedrock (its own lines and its Marketplace models')
  is left unattributed for **no tag**.
* An unattributed Bedrock line cannot say more by itself (the bill has no hour or model), so
  the unattributed Bedrock bill of each UTC day is split in proportion to that day's
  unattributed Bedrock *estimate* (``bedrock_usage_hourly`` rows of team ``unattributed``,
  priced hours), and each (hour, account, region, model id) of that estimate is split by the
  invocation-log rows (``principal_usage_hourly``) of the same hour, account, region and
  model id:

  - the part principal rows with a team cover is **attributed by principal** (to that team);
  - the part principal rows without one cover (their rule: "no principal mapping") is left
    unattributed for **no principal mapping**;
  - the rest (no principal row, or principal rows costing less than the estimate) is left
    unattributed for **no profile**: model usage neither through an application inference
    profile nor otherwise attributed.

  Principal rows costing more than the estimate of their key are scaled down to it (the metrics'
  estimate is the whole); a day with an unattributed Bedrock bill but no unattributed estimate
  leaves it all for **no profile**.
* With teams chosen, only those teams' attributed amounts count (the reasons only when
  ``unattributed`` is among them); accounts filter the bill, the estimate and the principals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import BedrockUsageHourly, CostDaily
from core.models_principals import PrincipalUsageHourly
from core.queries.common import as_day, chosen, usd
from core.services import is_bedrock_service
from core.settings import UNATTRIBUTED

NO_TAG = "no tag"
NO_PROFILE = "no profile"
NO_PRINCIPAL_MAPPING = "no principal mapping"
REASONS = (NO_TAG, NO_PROFILE, NO_PRINCIPAL_MAPPING)
_MICRO = Decimal("0.000001")
ZERO = Decimal(0)

# (hour, account, region, model id): the key an estimate and its principal rows share
Key = tuple[datetime, str, str, str]


@dataclass(frozen=True)
class AttributedShare:
    """The spend of some days: attributed per team (by the bill's team, by principal), and the
    unattributed rest per reason."""

    total_usd: Decimal
    by_team_usd: dict[str, Decimal] = field(default_factory=dict)
    by_principal_usd: dict[str, Decimal] = field(default_factory=dict)
    unattributed_usd: dict[str, Decimal] = field(default_factory=dict)

    @property
    def attributed_usd(self) -> Decimal:
        """Everything with a team: the bill's teams plus what principals attribute."""
        return sum(self.by_team_usd.values(), ZERO) + sum(self.by_principal_usd.values(), ZERO)

    @property
    def share(self) -> Decimal | None:
        """The attributed fraction of the spend (0..1), None without spend."""
        return None if not self.total_usd else self.attributed_usd / self.total_usd


@dataclass(frozen=True)
class EstimateSplit:
    """One day's unattributed Bedrock estimate, split: per principal team, no mapping, no profile."""

    by_team: dict[str, Fraction] = field(default_factory=dict)
    no_mapping: Fraction = Fraction(0)
    no_profile: Fraction = Fraction(0)

    @property
    def total(self) -> Fraction:
        """The day's whole unattributed estimate."""
        return sum(self.by_team.values(), Fraction(0)) + self.no_mapping + self.no_profile


def split_estimates(
    estimates: Mapping[Key, Decimal], principals: Mapping[Key, Mapping[str, Decimal]]
) -> dict[date, EstimateSplit]:
    """Per UTC day: the unattributed estimate of each key split by its principal rows' teams
    (``unattributed`` meaning no principal mapping), capped at the estimate (pure)."""
    days: dict[date, EstimateSplit] = {}
    for key, estimate in estimates.items():
        whole = Fraction(estimate)
        if whole <= 0:
            continue
        found = {team: Fraction(cost) for team, cost in principals.get(key, {}).items() if cost}
        covered = sum(found.values(), Fraction(0))
        scale = min(Fraction(1), whole / covered) if covered else Fraction(0)
        day = key[0].astimezone(UTC).date()
        split = days.setdefault(day, EstimateSplit())
        teams = dict(split.by_team)
        for team, cost in found.items():
            if team != UNATTRIBUTED:
                teams[team] = teams.get(team, Fraction(0)) + cost * scale
        mapped_not = found.get(UNATTRIBUTED, Fraction(0)) * scale
        days[day] = EstimateSplit(
            teams,
            split.no_mapping + mapped_not,
            split.no_profile + whole - covered * scale,
        )
    return days


def _micro(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(_MICRO)


def share_of_bill(
    billed: Iterable[tuple[date, str, bool, Decimal]], splits: Mapping[date, EstimateSplit]
) -> AttributedShare:
    """The share from (day, team, is Bedrock, USD) bill amounts and the days' estimate splits (pure)."""
    total = ZERO
    by_team: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_principal: dict[str, Decimal] = defaultdict(lambda: ZERO)
    reasons: dict[str, Decimal] = dict.fromkeys(REASONS, ZERO)
    for day, team, bedrock, amount in billed:
        total += amount
        if team != UNATTRIBUTED:
            by_team[team] += amount
        elif not bedrock:
            reasons[NO_TAG] += amount
        elif (split := splits.get(day)) is None or split.total <= 0:
            reasons[NO_PROFILE] += amount
        else:
            part = Fraction(amount) / split.total
            given = ZERO
            for name, cost in sorted(split.by_team.items()):
                by_principal[name] += (share := _micro(cost * part))
                given += share
            mapped_not = _micro(split.no_mapping * part)
            reasons[NO_PRINCIPAL_MAPPING] += mapped_not
            # the remainder, so the parts add up to the line exactly
            reasons[NO_PROFILE] += amount - given - mapped_not
    return AttributedShare(total, dict(by_team), dict(by_principal), reasons)


def _billed(
    session: Session, first: date, after: date, accounts: list[str] | None
) -> list[tuple[date, str, bool, Decimal]]:
    statement = (
        select(CostDaily.day, CostDaily.team, CostDaily.service, func.sum(CostDaily.amount_usd))
        .where(CostDaily.day >= first, CostDaily.day < after)
        .where(*chosen((CostDaily.account_id, accounts)))
        .group_by(CostDaily.day, CostDaily.team, CostDaily.service)
    )
    return [
        (as_day(day), team, is_bedrock_service(service), usd(amount))
        for day, team, service, amount in session.execute(statement)
    ]


def _estimates(
    session: Session, start: datetime, end: datetime, accounts: list[str] | None
) -> dict[Key, Decimal]:
    usage = BedrockUsageHourly
    keys = (usage.hour, usage.account_id, usage.region, usage.model_id)
    statement = (
        select(*keys, func.sum(usage.estimated_cost_usd))
        .where(usage.hour >= start, usage.hour < end, usage.team == UNATTRIBUTED)
        .where(usage.priced.is_(True), *chosen((usage.account_id, accounts)))
        .group_by(*keys)
    )
    return {(h, a, r, m): usd(cost) for h, a, r, m, cost in session.execute(statement)}


def _principals(
    session: Session, start: datetime, end: datetime, accounts: list[str] | None
) -> dict[Key, dict[str, Decimal]]:
    usage = PrincipalUsageHourly
    keys = (usage.hour, usage.account_id, usage.region, usage.model_id, usage.team)
    statement = (
        select(*keys, func.sum(usage.estimated_cost_usd))
        .where(usage.hour >= start, usage.hour < end, usage.priced.is_(True))
        .where(*chosen((usage.account_id, accounts)))
        .group_by(*keys)
    )
    found: dict[Key, dict[str, Decimal]] = defaultdict(dict)
    for hour, account, region, model, team, cost in session.execute(statement):
        found[(hour, account, region, model)][team] = usd(cost)
    return found


def _only(amounts: dict[str, Decimal], teams: list[str]) -> dict[str, Decimal]:
    return {team: amount for team, amount in amounts.items() if team in teams}


def attributed_share(
    session: Session,
    first: date,
    after: date,
    teams: list[str] | None = None,
    accounts: list[str] | None = None,
) -> AttributedShare:
    """The share of the billed GenAI spend of the days in [first, after) that has a team, and
    the rest per reason (see the module for the definition)."""
    start = datetime.combine(first, time(0), tzinfo=UTC)
    end = datetime.combine(after, time(0), tzinfo=UTC)
    splits = split_estimates(
        _estimates(session, start, end, accounts), _principals(session, start, end, accounts)
    )
    whole = share_of_bill(_billed(session, first, after, accounts), splits)
    if teams is None:
        return whole
    by_team, by_principal = _only(whole.by_team_usd, teams), _only(whole.by_principal_usd, teams)
    reasons = whole.unattributed_usd if UNATTRIBUTED in teams else dict.fromkeys(REASONS, ZERO)
    total = sum((*by_team.values(), *by_principal.values(), *reasons.values()), ZERO)
    return AttributedShare(total, by_team, by_principal, reasons)
