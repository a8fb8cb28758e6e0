"""`budgets:` in the config: monthly budgets per IAM principal pattern and/or request-metadata value
(e.g. a project), beside the per-team ``teams[].monthly_budget_usd``.

Their spend is the estimate of the invocation logs (principal_usage_hourly), not the bill: the
bill knows the caller only 24-48 h late and never the request metadata.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.config_types import Number

if TYPE_CHECKING:
    from core.settings import MonitorConfig

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:=+@-]{0,63}$")


class ScopedBudgetConfig(BaseModel):
    """One budget on the calls of some principals and/or with some request metadata.

    A call counts when its principal ARN matches one of ``principals`` (shell patterns; none
    listed: any principal) and its request metadata has every key/value of ``request_metadata``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    monthly_budget_usd: Number = Field(ge=0)
    principals: list[str] = Field(default_factory=list)
    request_metadata: dict[str, str] = Field(default_factory=dict)
    # whose budget it is: its alerts go to this team's routes (absent: alerts.default_route)
    team: str | None = None
    routes: list[str] | None = None  # these notifiers instead of the team's

    @model_validator(mode="after")
    def _scope(self) -> Self:
        if not _NAME.match(self.name):
            raise ValueError(
                f"expected a budget name of letters, digits and -_.:=+@, got {self.name!r}"
            )
        if not self.principals and not self.request_metadata:
            raise ValueError(
                f"budget {self.name!r} needs principals (ARN patterns) or request_metadata (key: value)"
            )
        return self

    def matches(self, principal: str, metadata: dict[str, Any]) -> bool:
        """Whether a call of ``principal`` with ``metadata`` counts against this budget."""
        if self.principals and not any(fnmatchcase(principal, p) for p in self.principals):
            return False
        return all(str(metadata.get(key)) == value for key, value in self.request_metadata.items())

    def describe(self) -> str:
        """What the budget covers, in words."""
        parts = [f"principals {', '.join(self.principals)}"] if self.principals else []
        parts += [f"{key}={value}" for key, value in sorted(self.request_metadata.items())]
        return "; ".join(parts)


def check_scoped_budgets(config: MonitorConfig) -> None:
    """Unique names; the teams, routes and request-metadata keys they name are configured."""
    names = [budget.name for budget in config.budgets]
    teams = {team.name for team in config.teams}
    for budget in config.budgets:
        if names.count(budget.name) > 1:
            raise ValueError(f"budget {budget.name!r} is listed twice")
        if budget.team is not None and teams and budget.team not in teams:
            raise ValueError(
                f"budget {budget.name!r} names team {budget.team!r}, which is not under teams"
            )
        for route in budget.routes or []:
            if route not in config.notifiers:
                raise ValueError(
                    f"budget {budget.name!r} routes to {route!r}, which is not under notifiers"
                )
        for key in budget.request_metadata:
            if key not in config.attribution.request_metadata_keys:
                raise ValueError(
                    f"budget {budget.name!r} reads request metadata {key!r}, which is not in "
                    "attribution.request_metadata_keys (only those keys are kept)"
                )


@dataclass(frozen=True)
class ScopedSpend:
    """One budget's estimated spend per UTC day."""

    budget: ScopedBudgetConfig
    daily: dict[date, Decimal]


def scoped_spend(
    budgets: Iterable[ScopedBudgetConfig], rows: Iterable[tuple[date, str, str, Decimal]]
) -> list[ScopedSpend]:
    """Each budget's daily spend from (day, principal, request metadata JSON, USD) rows; a row
    may count against several budgets (a project budget and its team's agent budget)."""
    result = [ScopedSpend(budget, {}) for budget in budgets]
    for day, principal, metadata_json, amount in rows:
        metadata = json.loads(metadata_json) if metadata_json else {}
        for spend in result:
            if spend.budget.matches(principal, metadata):
                spend.daily[day] = spend.daily.get(day, Decimal(0)) + amount
    return result
