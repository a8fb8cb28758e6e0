"""What the dashboard-serving tests share: the two-team world, a window loaded the way `run`
loads one (the real Runner, one transaction per window), and the Bedrock page's callback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from collector.runner import Runner
from core.aws import ApiCallCounter, Target
from core.db import upsert
from core.models import BedrockUsageHourly
from demo.rows import bedrock_row
from tests.dashboard import two_teams as world
from tests.dashboard.callbacks import body_request, texts
from tests.helpers import Clock

HOUR = datetime(2026, 3, 17, 10, tzinfo=world.NOW.tzinfo)
ACCOUNT_A, REGION_A = world.WORLD[world.TEAM_A][0], world.WORLD[world.TEAM_A][1]
MODEL_A = world.WORLD[world.TEAM_A][2]
MODEL_B = world.WORLD[world.TEAM_B][2]


def usage(model_id: str) -> dict[str, Any]:
    """One hour of team A's Bedrock usage of a model named nowhere else."""
    return bedrock_row(
        account_id=ACCOUNT_A,
        region=REGION_A,
        model_id=model_id,
        hour=HOUR,
        team=world.TEAM_A,
        invocations=5,
        input_tokens=500,
        output_tokens=50,
        estimated_cost_usd=Decimal("3.21"),
        collected_at=world.NOW,
    )


def write_behind_the_version(sessions: sessionmaker[Session], model_id: str) -> None:
    """A row written without a collector window: the data version does not change."""
    with sessions.begin() as session:
        upsert(session, BedrockUsageHourly, [usage(model_id)])


@dataclass
class _Settings:
    window: timedelta = timedelta(days=1)


class OneRowSource:
    """A collector whose one window writes one usage row (the Runner records the window)."""

    name = "cache_check"
    settings = _Settings()

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id

    def targets(self, configured: Any) -> list[Target]:
        return list(configured)

    def prepare(self, session: Session, target: Target, start: datetime, end: datetime) -> Any:
        return None

    def fetch(self, prepared: Any, start: datetime, end: datetime, collected_at: datetime) -> Any:
        return None

    def transform(self, prepared: Any, fetched: Any, collected_at: datetime) -> Any:
        return [usage(self.model_id)]

    def load(self, session: Session, transformed: Any) -> int:
        return upsert(session, BedrockUsageHourly, transformed)


def load_window(sessions: sessionmaker[Session], model_id: str) -> None:
    """Collect one window through the real Runner: its row and its `collector_runs` record."""
    source = OneRowSource(model_id)
    runner = Runner(sessions, ApiCallCounter(), Clock(world.NOW))
    start = HOUR.replace(hour=0)
    plans = runner.plan(source, [Target(ACCOUNT_A, REGION_A)], start, start + timedelta(days=1))  # type: ignore[arg-type]
    result = runner.run(source, plans)  # type: ignore[arg-type]
    assert not result.failed and result.rows == 1


def bedrock_request() -> dict[str, Any]:
    """The Bedrock page's data callback over the world's days."""
    return body_request("bedrock", {"start": world.START, "end": world.END})


def answer_text(answer: Any) -> str:
    """Every string of a callback's answer, joined."""
    return " ".join(texts(answer))
