"""The data model: SQLAlchemy 2 typed tables, one natural key each."""

from __future__ import annotations

import fnmatch
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from core.timeutil import as_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(18, 6)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every dialect (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: every timestamp must be timezone-aware")
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Money}


class BedrockUsageHourly(Base):
    """One model or inference profile in one account and region for one hour."""

    __tablename__ = "bedrock_usage_hourly"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    base_model_id: Mapped[str] = mapped_column(String(512))
    team: Mapped[str] = mapped_column(String(64))
    invocations: Mapped[int] = mapped_column(BigInteger, default=0)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_read_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    client_errors: Mapped[int] = mapped_column(BigInteger, default=0)
    server_errors: Mapped[int] = mapped_column(BigInteger, default=0)
    throttles: Mapped[int] = mapped_column(BigInteger, default=0)
    latency_ms_avg: Mapped[float | None] = mapped_column(Float)
    estimated_cost_usd: Mapped[Decimal | None]
    priced: Mapped[bool] = mapped_column(Boolean)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    # where the estimate's price came from and the date it took effect (None: unpriced)
    price_source: Mapped[str | None] = mapped_column(String(256))
    price_as_of: Mapped[str | None] = mapped_column(String(32))
    # the id that carries the call's model and routing scope (an application profile's
    # ``global.X``): what ``prices reprice`` prices the row as (None: rows stored before it)
    routed_model_id: Mapped[str | None] = mapped_column(String(512))
    collected_at: Mapped[datetime]
    # the API the tokens came through: bedrock-runtime (AWS/Bedrock) or bedrock-mantle (the
    # OpenAI-compatible and Messages APIs, AWS/BedrockMantle; their model_id reads "mantle:<model>")
    endpoint: Mapped[str] = mapped_column(
        String(32), default="bedrock-runtime", server_default="bedrock-runtime"
    )

    __table_args__ = (Index("ix_bedrock_usage_hourly_hour_team", "hour", "team"),)


# JSONB on Postgres: plain json has no equality, which the upsert's change check needs.
EndpointJSON: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")


class Endpoint(Base):
    """One SageMaker endpoint's life: a re-created endpoint of the same name is a new row."""

    __tablename__ = "endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    endpoint_name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    endpoint_arn: Mapped[str | None] = mapped_column(String(512))
    endpoint_config_name: Mapped[str | None] = mapped_column(String(128))
    endpoint_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    last_modified_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    team: Mapped[str] = mapped_column(String(64))
    tags: Mapped[dict[str, str]] = mapped_column(EndpointJSON, default=dict)
    variants: Mapped[list[dict[str, Any]]] = mapped_column(EndpointJSON, default=list)
    inference_components: Mapped[list[dict[str, Any]]] = mapped_column(EndpointJSON, default=list)
    async_inference: Mapped[dict[str, Any] | None] = mapped_column(EndpointJSON)
    # multi-model endpoints publish no per-model metrics: invocations are the endpoint's total
    multi_model: Mapped[bool] = mapped_column(Boolean, default=False)
    # an async endpoint whose autoscaling floor is zero: not idle waste
    scales_to_zero: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("account_id", "region", "endpoint_name", "created_at"),)


class EndpointHourly(Base):
    """One endpoint-hour: status, capacity, invocations over all variants, estimated cost."""

    __tablename__ = "endpoint_hourly"

    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("endpoints.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    instance_type: Mapped[str | None] = mapped_column(String(64))
    instance_count: Mapped[int] = mapped_column(Integer, default=0)
    # the fraction of the hour the endpoint was in service (first and last hours are prorated)
    service_hours: Mapped[Decimal] = mapped_column(Numeric(9, 6), default=0)
    invocations: Mapped[int] = mapped_column(BigInteger, default=0)
    component_invocations: Mapped[int] = mapped_column(BigInteger, default=0)
    # serverless variants' summed inference duration (CloudWatch ModelLatency); None otherwise
    inference_seconds: Mapped[Decimal | None] = mapped_column(Numeric(16, 6))
    estimated_cost_usd: Mapped[Decimal | None]
    priced: Mapped[bool] = mapped_column(Boolean)
    # where the estimate's price came from and the date it took effect (None: unpriced, or
    # stored before the collector recorded it)
    price_source: Mapped[str | None] = mapped_column(String(256))
    price_as_of: Mapped[str | None] = mapped_column(String(32))
    collected_at: Mapped[datetime]

    __table_args__ = (Index("ix_endpoint_hourly_hour", "hour"),)


class CostDaily(Base):
    """One Cost Explorer line: day x account x service x usage group x team."""

    __tablename__ = "cost_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    service: Mapped[str] = mapped_column(String(256), primary_key=True)
    usage_group: Mapped[str] = mapped_column(String(64), primary_key=True)
    team: Mapped[str] = mapped_column(String(64), primary_key=True)
    amount_usd: Mapped[Decimal]
    amortized_usd: Mapped[Decimal | None]
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    collected_at: Mapped[datetime]


class Budget(Base):
    """A team's budget for one month (period ``YYYY-MM``), for all its GenAI spend or one service."""

    __tablename__ = "budgets"

    team: Mapped[str] = mapped_column(String(64), primary_key=True)
    # a Cost Explorer service name, or "all" for every GenAI service of the team
    service: Mapped[str] = mapped_column(String(256), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    amount_usd: Mapped[Decimal]
    updated_at: Mapped[datetime]


class CollectorRun(Base):
    """One collector window for one target; the watermark is read from these rows."""

    __tablename__ = "collector_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(index=True)  # the data version
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("source", "account_id", "region", "window_start"),
        Index(
            "ix_collector_runs_source_status_end",
            "source",
            "account_id",
            "region",
            "status",
            "window_end",
        ),
    )


class Alert(Base):
    """One alert episode of one rule for one subject: pending -> firing -> resolved (or silenced)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(512))
    opened_at: Mapped[datetime]
    team: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    # when the condition began, from the evidence (e.g. the last invocation), else opened_at
    active_since: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime] = mapped_column(index=True)  # the data version
    last_notified_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    silenced_until: Mapped[datetime | None]
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the subject of the higher alert that inhibits it (kept once resolved: history, not news)
    inhibited_by: Mapped[str | None] = mapped_column(String(512))

    __table_args__ = (
        UniqueConstraint("rule", "subject", "opened_at"),
        Index("ix_alerts_state", "state"),
    )


class Notification(Base):
    """An outbox row: one message about one alert to one channel, delivered at least once."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # firing, repeat or resolved
    sequence: Mapped[int] = mapped_column(Integer)  # 0 for the first message, +1 per repeat
    # notifications created by one evaluation for one channel, rule, team and kind go out as one message
    group_key: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    # when the outbox was done with it: delivered, or sent without an answer and not re-sent
    # (then last_error says so)
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # attempts that went out but got no answer in time (the receiver may have processed them)
    unknown_outcomes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        UniqueConstraint("alert_id", "channel", "kind", "sequence"),
        Index("ix_notifications_due", "delivered_at", "next_attempt_at"),
    )


class Silence(Base):
    """Mutes matching alerts until it ends: by rule, subject pattern and team."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule: Mapped[str | None] = mapped_column(String(64))
    subject_pattern: Mapped[str] = mapped_column(String(512), default="*")
    team: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(128))
    comment: Mapped[str] = mapped_column(Text, default="")

    def covers(self, rule: str, subject: str, team: str) -> bool:
        """Whether the silence covers an alert of ``rule`` about ``subject`` of ``team``."""
        return (
            (self.rule is None or self.rule == rule)
            and (self.team is None or self.team == team)
            and fnmatch.fnmatchcase(subject, self.subject_pattern or "*")
        )


class DashboardAudit(Base):
    """One dashboard request that served data: who (user, role), when, what and with which filters."""

    __tablename__ = "dashboard_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    user: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))  # page, callback or export
    target: Mapped[str] = mapped_column(String(512))  # the page path, callback output or table
    filters: Mapped[str] = mapped_column(Text, default="")  # as a URL query string

    __table_args__ = (Index("ix_dashboard_audit_at", "at"),)


class WorkClaim(Base):
    """One (source, target, cycle) of `run`'s work, claimed by one process under a lease."""

    __tablename__ = "work_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    cycle_start: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    status: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        UniqueConstraint("source", "account_id", "region", "cycle_start"),
        Index("ix_work_claims_source_cycle_start", "source", "cycle_start"),
    )


class CostUsageDaily(Base):
    """A Cost Explorer usage type's day per account, service and team (rate = cost / quantity)."""

    __tablename__ = "cost_usage_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    service: Mapped[str] = mapped_column(String(256), primary_key=True)
    usage_type: Mapped[str] = mapped_column(String(256), primary_key=True)
    team: Mapped[str] = mapped_column(String(64), primary_key=True)
    amount_usd: Mapped[Decimal]
    usage_quantity: Mapped[Decimal | None] = mapped_column(Numeric(24, 6))
    unit: Mapped[str | None] = mapped_column(String(64))
    collected_at: Mapped[datetime]


class PricePoint(Base):
    """One price from the AWS Price List: an item (model or instance type) in a region for one
    usage kind, in force from ``effective_from`` until a later point of the same key."""

    __tablename__ = "price_points"

    item_kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # token, instance, ...
    item_key: Mapped[str] = mapped_column(String(256), primary_key=True)  # model id, instance type
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)  # input, hourly, ...
    effective_from: Mapped[datetime] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(32))
    price_usd: Mapped[Decimal] = mapped_column(Numeric(20, 10))
    source: Mapped[str] = mapped_column(String(256))
    fetched_at: Mapped[datetime]


BilledMoney = Numeric(24, 10)  # CUR amounts carry up to 10 decimals; sums must match to the cent


class CostLine(Base):
    """One billed line from CUR 2.0 (or Cost Explorer), summed on its key; a restatement replaces
    its ``billing_period``."""

    __tablename__ = "cost_lines"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)  # cur, cost_explorer
    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)  # "" for global lines
    service: Mapped[str] = mapped_column(String(256), primary_key=True)
    usage_type: Mapped[str] = mapped_column(String(256), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(1024), primary_key=True)  # "" when none
    principal: Mapped[str] = mapped_column(String(1024), primary_key=True)  # "" when none
    team: Mapped[str] = mapped_column(String(64), primary_key=True)
    line_type: Mapped[str] = mapped_column(String(64), primary_key=True)  # Usage, Tax, Credit, ...
    billing_period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    product_code: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(256))
    unblended_usd: Mapped[Decimal] = mapped_column(BilledMoney)
    net_usd: Mapped[Decimal | None] = mapped_column(BilledMoney)
    amortized_usd: Mapped[Decimal | None] = mapped_column(BilledMoney)
    list_usd: Mapped[Decimal | None] = mapped_column(BilledMoney)
    usage_quantity: Mapped[Decimal | None] = mapped_column(Numeric(28, 10))
    pricing_unit: Mapped[str | None] = mapped_column(String(64))
    collected_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_cost_lines_source_billing_period", "source", "billing_period"),
        Index("ix_cost_lines_day", "day"),
    )


class CurObject(Base):
    """One object of a CUR 2.0 export as last loaded: its ETag says whether it changed since."""

    __tablename__ = "cur_objects"

    bucket: Mapped[str] = mapped_column(String(255), primary_key=True)
    key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    billing_period: Mapped[str] = mapped_column(String(7))
    etag: Mapped[str] = mapped_column(String(128))
    last_modified: Mapped[datetime]
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[int] = mapped_column(BigInteger)  # rows it contributed after the GenAI filter
    loaded_at: Mapped[datetime]

    __table_args__ = (Index("ix_cur_objects_bucket_billing_period", "bucket", "billing_period"),)


from core import (  # noqa: E402,F401  (the tables of other modules, on the one metadata)
    models_cost_principals,
    models_principal_tags,
    models_principals,
    models_rollups,
    models_vector,
)
from core.models_actions import ActionAudit as ActionAudit  # noqa: E402
from core.models_actions import ActionNotice as ActionNotice  # noqa: E402
from core.models_actions import Snapshot as Snapshot  # noqa: E402
from core.models_bedrock import BatchJob as BatchJob  # noqa: E402
from core.models_bedrock import CustomModel as CustomModel  # noqa: E402
from core.models_bedrock import ProvisionedThroughput as ProvisionedThroughput  # noqa: E402
from core.models_bedrock import (  # noqa: E402
    ProvisionedThroughputHourly as ProvisionedThroughputHourly,
)
