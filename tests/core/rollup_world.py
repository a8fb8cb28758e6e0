"""A tiny world for the rollup tests: three targets, three models, two endpoints per target, four
days; hourly rows drawn by Hypothesis and written through the collector runner."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from collector.runner import Runner, TargetPlan, Window
from core.aws import ApiCallCounter, Target
from core.db import upsert
from core.models import BedrockUsageHourly, Endpoint, EndpointHourly
from core.models_rollups import RollupDailyBedrockUsage, RollupDailyEndpoint
from core.rollups import BEDROCK, ENDPOINT
from demo.rows import endpoint_row

START = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 4
TARGETS = [
    ("111111111111", "us-east-1"),
    ("111111111111", "eu-west-1"),
    ("222222222222", "us-east-1"),
]
MODELS = {"m.a": "m.a", "us.m.a": "m.a", "m.b": "m.b"}
TEAMS = ["search", "support"]
ENDPOINTS = ["ep-1", "ep-2"]
SOURCES = [None, "aws-price-list", "genai-prices"]
AS_OF = [None, "2026-10-01"]

MONEY = st.decimals(min_value=0, max_value=100, places=6, allow_nan=False, allow_infinity=False)


@st.composite
def bedrock_values(draw: Any) -> dict[str, Any]:
    """One Bedrock hour's values (the key is added when it is placed)."""
    cost = draw(st.none() | MONEY)
    counts = st.integers(min_value=0, max_value=10**6)
    return {
        "team": draw(st.sampled_from(TEAMS)),
        "endpoint": draw(st.sampled_from(["bedrock-runtime", "bedrock-mantle"])),
        "invocations": draw(counts),
        "input_tokens": draw(counts),
        "output_tokens": draw(counts),
        "cache_read_tokens": draw(counts),
        "cache_write_tokens": draw(counts),
        "client_errors": draw(st.integers(0, 9)),
        "server_errors": draw(st.integers(0, 9)),
        "throttles": draw(st.integers(0, 9)),
        "estimated_cost_usd": cost,
        "priced": cost is not None,
        "price_source": None if cost is None else draw(st.sampled_from(SOURCES)),
        "price_as_of": draw(st.sampled_from(AS_OF)),
    }


@st.composite
def endpoint_values(draw: Any) -> dict[str, Any]:
    """One endpoint-hour's values."""
    cost = draw(st.none() | MONEY)
    return {
        "status": "InService",
        "instance_type": "ml.g5.xlarge",
        "instance_count": draw(st.integers(0, 3)),
        "service_hours": draw(st.sampled_from([Decimal("0.25"), Decimal("0.5"), Decimal(1)])),
        "invocations": draw(st.integers(0, 1000)),
        "component_invocations": draw(st.integers(0, 1000)),
        "estimated_cost_usd": cost,
        "priced": cost is not None,
        "price_source": None if cost is None else draw(st.sampled_from(SOURCES)),
        "price_as_of": draw(st.sampled_from(AS_OF)),
    }


@dataclass(frozen=True)
class Load:
    """One window of one target: its hours' Bedrock rows per model and endpoint rows per endpoint."""

    target: int
    first_hour: int
    hours: int
    models: tuple[str, ...]
    endpoints: tuple[str, ...]
    bedrock: tuple[dict[str, Any], ...]
    endpoint: tuple[dict[str, Any], ...]

    @property
    def window(self) -> Window:
        start = START + timedelta(hours=self.first_hour)
        return Window(start, start + timedelta(hours=self.hours))


LOADS = st.builds(
    Load,
    st.integers(0, len(TARGETS) - 1),
    st.integers(0, DAYS * 24 - 1),
    st.integers(1, 30),
    st.lists(st.sampled_from(list(MODELS)), min_size=0, max_size=3, unique=True).map(tuple),
    st.lists(st.sampled_from(ENDPOINTS), min_size=0, max_size=2, unique=True).map(tuple),
    st.lists(bedrock_values(), min_size=1, max_size=5).map(tuple),
    st.lists(endpoint_values(), min_size=1, max_size=5).map(tuple),
)


class StubSource:
    """A source whose AWS answers are one prepared Load: the runner's real path around it."""

    name = "stub"
    rollups = (BEDROCK, ENDPOINT)

    def __init__(self, load: Load) -> None:
        self.spec = load

    def prepare(self, session: Session, target: Target, start: datetime, end: datetime) -> None:
        return None

    def fetch(self, prepared: None, start: datetime, end: datetime, collected_at: datetime) -> Load:
        return self.spec

    def transform(self, prepared: None, fetched: Load, collected_at: datetime) -> Load:
        return fetched

    def load(self, session: Session, load: Load) -> int:
        account, region = TARGETS[load.target]
        window = load.window
        hours = [window.start + timedelta(hours=n) for n in range(load.hours)]
        rows = []
        for n, (hour, model) in enumerate((h, m) for h in hours for m in load.models):
            values = load.bedrock[n % len(load.bedrock)]
            rows.append(
                {
                    "account_id": account,
                    "region": region,
                    "model_id": model,
                    "hour": hour,
                    "base_model_id": MODELS[model],
                    **values,
                    "latency_ms_avg": None,
                    "provisional": False,
                    "routed_model_id": None,
                    "collected_at": window.start,
                }
            )
        if rows:
            upsert(session, BedrockUsageHourly, rows)
        ids = put_lives(session, load.target)
        hourly = []
        for n, (hour, name) in enumerate((h, e) for h in hours for e in load.endpoints):
            values = load.endpoint[n % len(load.endpoint)]
            hourly.append(
                {"endpoint_id": ids[name], "hour": hour, **values, "collected_at": window.start}
            )
        if hourly:
            upsert(session, EndpointHourly, hourly)
        return len(rows) + len(hourly)


def put_lives(session: Session, target: int) -> dict[str, int]:
    """The target's endpoint lives (re-created after a delete), by name."""
    account, region = TARGETS[target]
    lives = [
        endpoint_row(
            account_id=account,
            region=region,
            name=name,
            team=TEAMS[n % 2],
            created_at=START - timedelta(days=1),
            seen_at=START,
            instance_type="ml.g5.xlarge",
        )
        for n, name in enumerate(ENDPOINTS)
    ]
    upsert(session, Endpoint, lives, key=["account_id", "region", "endpoint_name", "created_at"])
    found = session.execute(
        select(Endpoint.endpoint_name, Endpoint.id).where(
            Endpoint.account_id == account, Endpoint.region == region
        )
    )
    return {name: endpoint_id for name, endpoint_id in found}


def collect(sessions: sessionmaker[Session], load: Load) -> None:
    """Collect one Load through the runner (one transaction: load, rollups, run record)."""
    account, region = TARGETS[load.target]
    runner = Runner(sessions, ApiCallCounter(), clock=lambda: START + timedelta(days=30))
    result = runner.run(StubSource(load), [TargetPlan(Target(account, region), [load.window])])
    assert [o.status for o in result.outcomes] == ["succeeded"]


def day_of(hour: datetime) -> date:
    return hour.astimezone(UTC).date()


def _add(into: dict[str, Any], row: dict[str, Any]) -> None:
    for name, value in row.items():
        if name == "estimated_cost_usd":
            if value is not None:
                into[name] = (into.get(name) or Decimal(0)) + value
            else:
                into.setdefault(name, None)
        else:
            into[name] = into.get(name, 0) + value


BEDROCK_SUMS = (
    "invocations",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "client_errors",
    "server_errors",
    "throttles",
)


def expected_bedrock(session: Session) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The Bedrock rollup as Python sums the stored hourly rows."""
    found: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(dict)
    for r in session.scalars(select(BedrockUsageHourly)):
        key = (
            day_of(r.hour),
            r.account_id,
            r.region,
            r.model_id,
            r.base_model_id,
            r.team,
            r.endpoint,
            r.price_source or "",
            r.price_as_of or "",
            r.priced,
        )
        sums = {name: getattr(r, name) for name in BEDROCK_SUMS}
        _add(found[key], {"hours": 1, **sums, "estimated_cost_usd": r.estimated_cost_usd})
    return dict(found)


def stored_bedrock(session: Session) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The Bedrock rollup as stored."""
    rollup = RollupDailyBedrockUsage
    return {
        (
            r.day,
            r.account_id,
            r.region,
            r.model_id,
            r.base_model_id,
            r.team,
            r.endpoint,
            r.price_source,
            r.price_as_of,
            r.priced,
        ): {
            "hours": r.hours,
            **{name: getattr(r, name) for name in BEDROCK_SUMS},
            "estimated_cost_usd": r.estimated_cost_usd,
        }
        for r in session.scalars(select(rollup))
    }


def expected_endpoint(session: Session) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The endpoint rollup as Python sums the stored hourly rows."""
    found: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(dict)
    for r in session.scalars(select(EndpointHourly)):
        key = (r.endpoint_id, day_of(r.hour), r.price_source or "", r.price_as_of or "", r.priced)
        sums = {
            "hours": 1,
            "service_hours": r.service_hours,
            "instance_hours": r.service_hours * r.instance_count,
            "invocations": max(r.invocations, r.component_invocations),
            "estimated_cost_usd": r.estimated_cost_usd,
        }
        _add(found[key], sums)
    return dict(found)


def stored_endpoint(session: Session) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The endpoint rollup as stored."""
    return {
        (r.endpoint_id, r.day, r.price_source, r.price_as_of, r.priced): {
            "hours": r.hours,
            "service_hours": r.service_hours,
            "instance_hours": r.instance_hours,
            "invocations": r.invocations,
            "estimated_cost_usd": r.estimated_cost_usd,
        }
        for r in session.scalars(select(RollupDailyEndpoint))
    }


SAMPLE_BEDROCK = {
    "team": "search",
    "endpoint": "bedrock-runtime",
    "invocations": 3,
    "input_tokens": 3000,
    "output_tokens": 300,
    "cache_read_tokens": 0,
    "cache_write_tokens": 0,
    "client_errors": 1,
    "server_errors": 0,
    "throttles": 0,
    "estimated_cost_usd": Decimal("0.123456"),
    "priced": True,
    "price_source": "aws-price-list",
    "price_as_of": "2026-10-01",
}
SAMPLE_ENDPOINT = {
    "status": "InService",
    "instance_type": "ml.g5.xlarge",
    "instance_count": 2,
    "service_hours": Decimal(1),
    "invocations": 0,
    "component_invocations": 0,
    "estimated_cost_usd": Decimal("1.41"),
    "priced": True,
    "price_source": None,
    "price_as_of": None,
}
