"""`chargeback:` in the config: which billed lines are shared, and how they are split over the teams."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from core.settings import MonitorConfig


def _share(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"expected a fraction like 0.6, got {value!r}")
    try:
        share = Decimal(str(value))  # through str: 0.6 stays 0.6, not the float's binary value
    except InvalidOperation:
        raise ValueError(f"expected a fraction like 0.6, got {value!r}") from None
    if not share.is_finite() or not Decimal(0) <= share <= Decimal(1):
        raise ValueError(f"expected a fraction from 0 to 1, got {value!r}")
    return share


Share = Annotated[Decimal, BeforeValidator(_share)]


class ChargebackConfig(BaseModel):
    """The month-end statement's rule (README "Chargeback and FOCUS").

    A line is *shared* when its team is ``unattributed``, its CUR line type is one of
    ``shared_line_types``, its service is one of ``shared_services``, or its usage type matches
    one of ``shared_usage_types`` (shell patterns). Shared lines are split over the teams:
    ``proportional`` to each team's attributed spend of the month, or by ``fixed`` shares.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    split: Literal["proportional", "fixed"] = "proportional"
    shares: dict[str, Share] = Field(default_factory=dict)  # split: fixed; team -> fraction, sum 1
    # account-level charges: taxes and fees (support plans, Marketplace subscriptions) carry no team
    shared_line_types: list[str] = Field(default_factory=lambda: ["Tax", "Fee"])
    shared_services: list[str] = Field(default_factory=list)  # e.g. "AWS Support (Business)"
    shared_usage_types: list[str] = Field(default_factory=list)  # e.g. "*SearchOCU*" (OCU floors)

    @model_validator(mode="after")
    def _shares(self) -> Self:
        if self.split == "proportional" and self.shares:
            raise ValueError(
                "shares are only read with split: fixed (remove them, or set split: fixed)"
            )
        if self.split == "fixed":
            if not self.shares:
                raise ValueError("split: fixed needs shares, e.g. {search: 0.6, support: 0.4}")
            total = sum(self.shares.values(), Decimal(0))
            if total != 1:
                raise ValueError(f"shares must sum to 1, they sum to {total}")
        return self


def check_chargeback_teams(config: MonitorConfig) -> None:
    """Every team a fixed share names is configured under teams."""
    known = {team.name for team in config.teams}
    for team in config.chargeback.shares:
        if team not in known:
            raise ValueError(f"chargeback.shares names team {team!r}, which is not under teams")
