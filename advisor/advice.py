"""The hosting advice of a window: break-even per Bedrock workload and right-sizing hints per
endpoint, from the observed usage (the `advise` command's one call)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from advisor.break_even import BreakEven
from advisor.hints import Hint
from advisor.service import Advisor
from core.pricing import PriceCatalog
from core.queries.bedrock import model_usage
from core.queries.endpoints import endpoint_usage
from core.settings import MonitorConfig
from core.timeutil import floor_hour


@dataclass(frozen=True)
class Advice:
    """The advice over [start, end): every workload priced both ways, and the endpoint hints."""

    start: datetime
    end: datetime
    workloads: list[BreakEven]
    hints: list[Hint]


def hosting_advice(
    sessions: sessionmaker[Session],
    config: MonitorConfig,
    prices: PriceCatalog,
    now: datetime,
    days: int,
) -> Advice:
    """Advice on the ``days`` whole hours before ``now``."""
    end = floor_hour(now)
    start = end - timedelta(days=days)
    advisor = Advisor.load(config.advisor, prices)
    with sessions() as session:
        workloads = [advisor.break_even(usage) for usage in model_usage(session, start, end)]
        hints = [
            hint for usage in endpoint_usage(session, start, end) for hint in advisor.hints(usage)
        ]
    return Advice(start, end, workloads, hints)
