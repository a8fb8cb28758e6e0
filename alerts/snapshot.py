"""What the rules look at: a point-in-time snapshot of the stored data, plain and immutable."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class EndpointState:
    """A SageMaker endpoint as the idle rule needs it."""

    account_id: str
    region: str
    endpoint_name: str
    team: str
    endpoint_type: str
    instance_type: str | None
    instance_count: int
    in_service: bool
    # instance-backed real-time endpoints bill while idle; serverless and scale-to-zero ones do not
    bills_while_idle: bool
    idle_since: datetime | None  # the last invocation, or when it came into service if never called
    idle_cost_usd: Decimal | None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def subject(self) -> str:
        """The alert subject: account/region/name."""
        return f"{self.account_id}/{self.region}/{self.endpoint_name}"


@dataclass(frozen=True)
class TeamBudgetState:
    """A team's budget (or a principal/metadata budget), its spend so far this period and where
    the period is heading."""

    team: str
    period: str  # e.g. 2026-11
    budget_usd: Decimal
    spent_usd: Decimal
    projected_usd: Decimal | None = None
    crossing_date: date | None = None  # when the projection crosses the budget
    # a `budgets:` entry (principals / request metadata) rather than a team's own budget
    name: str | None = None
    covers: str = ""  # what such a budget counts, in words
    routes: tuple[str, ...] | None = None  # its own notifiers, else the team's

    @property
    def key(self) -> str:
        """What the alert subjects start with: the team, or ``budget/<name>``."""
        return self.team if self.name is None else f"budget/{self.name}"

    @property
    def label(self) -> str:
        """The budget in a message: ``team search`` or ``budget checkout (project=checkout)``."""
        return f"team {self.team}" if self.name is None else f"budget {self.name} ({self.covers})"

    def routing(self) -> dict[str, list[str]]:
        """The alert details that route it to the budget's own notifiers, if it has any."""
        return {} if self.routes is None else {"routes": list(self.routes)}


@dataclass(frozen=True)
class DailySpend:
    """One spend series (a team's or a model's), one amount per complete UTC day, oldest first."""

    scope: str  # "team" or "model"
    name: str
    team: str
    days: tuple[tuple[date, Decimal], ...]


@dataclass(frozen=True)
class TargetFreshness:
    """When a collector target last succeeded."""

    source: str
    account_id: str
    region: str
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None = None

    @property
    def subject(self) -> str:
        """The alert subject: source/account/region."""
        return f"{self.source}/{self.account_id}/{self.region}"


@dataclass(frozen=True)
class ProvisionedState:
    """A live Bedrock Provisioned Throughput as the idle and commitment rules need it."""

    account_id: str
    region: str
    name: str
    arn: str
    team: str
    model_id: str
    model_units: int
    commitment: str | None  # in force now; None: no commitment (or its term has ended)
    commitment_expires_at: datetime | None
    created_at: datetime
    in_service: bool
    idle_since: datetime  # the end of the last hour with invocations, else the creation
    idle_cost_usd: Decimal | None
    hourly_usd: Decimal | None

    @property
    def subject(self) -> str:
        """The alert subject: account/region/name."""
        return f"{self.account_id}/{self.region}/{self.name}"


@dataclass(frozen=True)
class VectorStoreState:
    """An OpenSearch Serverless collection as the idle rule needs it."""

    account_id: str
    region: str
    collection_id: str
    name: str
    arn: str
    team: str
    created_at: datetime
    idle_since: datetime  # the end of the last hour with a search, or the creation
    account_ocu_hours: Decimal  # the account's OCU-hours in the region in the last 24 hours
    idle_cost_usd: Decimal  # its share of the OCU cost since the last search
    knowledge_bases: tuple[str, ...] = ()

    @property
    def subject(self) -> str:
        """The alert subject: account/region/collection name."""
        return f"{self.account_id}/{self.region}/{self.name}"


@dataclass(frozen=True)
class PrincipalHour:
    """One hour of one principal's priced calls: the total and the models it went to."""

    hour: datetime
    cost_usd: Decimal
    models: tuple[tuple[str, Decimal], ...]  # (model id, USD), most spent first


@dataclass(frozen=True)
class PrincipalSpend:
    """One IAM principal's estimated spend per hour, from the invocation logs."""

    principal: str
    team: str
    hours: tuple[PrincipalHour, ...]  # only hours with priced calls, oldest first


@dataclass(frozen=True)
class Snapshot:
    """Everything the rules evaluate, as of ``now``; a part that could not be read is None."""

    now: datetime
    endpoints: tuple[EndpointState, ...] | None = None
    budgets: tuple[TeamBudgetState, ...] | None = None
    daily_spend: tuple[DailySpend, ...] | None = None
    targets: tuple[TargetFreshness, ...] | None = None
    provisioned: tuple[ProvisionedState, ...] | None = None
    vector_stores: tuple[VectorStoreState, ...] | None = None
    principal_spend: tuple[PrincipalSpend, ...] | None = None
