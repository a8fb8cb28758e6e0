"""AWS's own forecast of a team's GenAI spend for the rest of the month (Cost Explorer GetCostForecast).

get (one GetCostForecast call per team and target, through the client factory) -> transform
(pure: the answer's total). Where AWS has no forecast (the operation is missing, as in the
local stand-in, denied, or there is too little history) the team is left out and the caller
keeps the project's own projection.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from core.aws import AwsError, ClientFactoryFn, Target, translated_errors
from core.projection import month_bounds
from core.settings import UNATTRIBUTED

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ForecastScope:
    """What to forecast: these teams' spend on these services in these accounts."""

    teams: tuple[str, ...]
    accounts: tuple[str, ...]
    services: tuple[str, ...]


# one Cost Explorer target (us-east-1, per account) and the accounts it answers for
TargetAccounts = tuple[Target, Sequence[str]]


def forecast_request(
    *, tag_key: str, team: str, accounts: Sequence[str], services: Sequence[str], today: date
) -> dict[str, Any] | None:
    """The GetCostForecast parameters from today to the month's end; None when there is nothing
    to ask (the unattributed team has no tag to filter on)."""
    if team == UNATTRIBUTED or not services or not accounts:
        return None
    _start, end = month_bounds(today)
    return {
        "TimePeriod": {"Start": today.isoformat(), "End": end.isoformat()},
        "Metric": "UNBLENDED_COST",
        "Granularity": "MONTHLY",
        "Filter": {
            "And": [
                {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": sorted(accounts)}},
                {"Dimensions": {"Key": "SERVICE", "Values": sorted(services)}},
                {"Tags": {"Key": tag_key, "Values": [team]}},
            ]
        },
    }


def get(clients: ClientFactoryFn, target: Target, request: Mapping[str, Any]) -> dict[str, Any]:
    """One GetCostForecast answer, as AWS gave it (errors as AwsDenied / AwsTransient / AwsFatal)."""
    client: Any = clients("ce", target)
    with translated_errors("ce", "GetCostForecast"):
        answer: dict[str, Any] = client.get_cost_forecast(**request)
    return answer


def transform(answer: Mapping[str, Any]) -> Decimal:
    """The forecast total of a GetCostForecast answer."""
    return Decimal(answer["Total"]["Amount"])


def _team_forecast(
    clients: ClientFactoryFn,
    targets: Sequence[TargetAccounts],
    tag_key: str,
    team: str,
    services: Sequence[str],
    today: date,
) -> Decimal | None:
    """A team's forecast summed over the targets; None if any target has none."""
    total: Decimal | None = None
    for target, accounts in targets:
        if not accounts:
            continue
        request = forecast_request(
            tag_key=tag_key, team=team, accounts=accounts, services=services, today=today
        )
        if request is None:
            return None
        try:
            answer = get(clients, target, request)
        except AwsError as exc:
            log.warning(
                "AWS cost forecast unavailable for team %s: %s; using the project's own projection",
                team,
                exc,
            )
            return None
        total = (total or Decimal(0)) + transform(answer)
    return total


def month_forecasts(
    clients: ClientFactoryFn,
    targets: Sequence[TargetAccounts],
    tag_key: str,
    scope: ForecastScope,
    today: date,
) -> dict[str, Decimal]:
    """AWS's rest-of-month forecast per team, summed over targets, each asked only for the
    accounts it answers for; a team some target has no forecast for is left out."""
    forecasts: dict[str, Decimal] = {}
    for team in scope.teams:
        total = _team_forecast(clients, targets, tag_key, team, scope.services, today)
        if total is not None:
            forecasts[team] = total
    return forecasts
