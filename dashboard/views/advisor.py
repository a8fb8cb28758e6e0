"""The Advisor page's view model: break-even per Bedrock workload and hints per endpoint, with their assumptions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.pricing import PriceCatalog
from core.queries.bedrock import model_usage
from core.queries.endpoints import endpoint_usage
from core.settings import MonitorConfig
from dashboard.advisor_port import AdvisorFactory
from dashboard.context import ZERO
from dashboard.filters import Filters


@dataclass(frozen=True)
class AdvisorData:
    """The advisor's answers for the days shown: one row per workload, per hint, per assumption."""

    workloads: pd.DataFrame
    hints: pd.DataFrame
    assumptions: pd.DataFrame

    @property
    def monthly_saving(self) -> Decimal:
        """The best hint per endpoint (hints are alternatives) plus the cheaper self-hosted workloads, a month."""
        hinted = (
            sum(self.hints.groupby("endpoint_name")["monthly_saving_usd"].max(), ZERO)
            if not self.hints.empty
            else ZERO
        )
        hosted = (
            sum(self.workloads["self_hosted_saving_usd"], ZERO)
            if not self.workloads.empty
            else ZERO
        )
        return hinted + hosted


def _assumption_refs(assumptions: list[Any], register: dict[tuple[str, str, str], int]) -> str:
    """Numbers like "A1, A4" pointing into the assumptions table, registering new ones."""
    refs = []
    for item in assumptions:
        key = (item.name, item.value, item.source)
        register.setdefault(key, len(register) + 1)
        refs.append(f"A{register[key]}")
    return ", ".join(refs)


def _workload_row(result: Any, register: dict[tuple[str, str, str], int]) -> dict[str, Any]:
    """One Bedrock workload's break-even as a row."""
    saving = ZERO
    if result.bedrock_monthly_usd is not None and result.self_hosted_monthly_usd is not None:
        saving = max(ZERO, result.bedrock_monthly_usd - result.self_hosted_monthly_usd)
    return {
        "team": result.team,
        "model_id": result.model_id,
        "region": result.region,
        "tokens_per_month": int(result.tokens_per_month),
        "bedrock_usd_per_month": result.bedrock_monthly_usd,
        "self_hosted_on": f"{result.instances} x {result.self_hosted.instance_type}"
        if result.self_hosted
        else "",
        "self_hosted_usd_per_month": result.self_hosted_monthly_usd,
        "breakeven_tokens_per_month": None
        if result.breakeven_tokens_per_month is None
        else int(result.breakeven_tokens_per_month),
        "self_hosted_saving_usd": saving,
        "verdict": result.verdict,
        "assumptions": _assumption_refs(result.assumptions, register),
    }


def advisor_data(
    session: Session, filters: Filters, config: MonitorConfig, make_advisor: AdvisorFactory
) -> AdvisorData:
    """Break-even per Bedrock workload and hints per endpoint over the days shown, with their assumptions."""
    start, end = filters.window
    teams, accounts, regions = filters.team_list(), filters.account_list(), filters.region_list()
    advisor = make_advisor(config.advisor, PriceCatalog.load(config.pricing.overrides))

    register: dict[tuple[str, str, str], int] = {}
    # a workload has no account: the account filter narrows the endpoints only
    workloads = [
        _workload_row(advisor.break_even(usage), register)
        for usage in model_usage(session, start, end, teams, regions)
    ]
    hints = [
        {
            "team": hint.team,
            "endpoint_name": hint.endpoint_name,
            "kind": hint.kind,
            "suggestion": hint.suggestion,
            "monthly_saving_usd": hint.monthly_saving_usd,
            "assumptions": _assumption_refs(hint.assumptions, register),
        }
        for usage in endpoint_usage(session, start, end, teams, accounts, regions)
        for hint in advisor.hints(usage)
    ]
    assumptions = [
        {"ref": f"A{number}", "assumption": name, "value": value, "source": source}
        for (name, value, source), number in register.items()
    ]
    order = ["team", "model_id", "region"]
    workload_frame = pd.DataFrame(workloads).sort_values(order) if workloads else pd.DataFrame()
    hint_frame = (
        pd.DataFrame(hints).sort_values("monthly_saving_usd", ascending=False)
        if hints
        else pd.DataFrame()
    )
    return AdvisorData(workload_frame, hint_frame, pd.DataFrame(assumptions))
