"""SageMaker endpoints: inventory (List/Describe now) and hourly uptime, invocations and cost.

get (``sagemaker_inventory``: ListEndpoints, DescribeEndpoint, DescribeEndpointConfig, ListTags,
DescribeModel, ListInferenceComponents, application-autoscaling DescribeScalableTargets; then
GetMetricData per window) -> transform (pure: ``sagemaker_lives``, ``sagemaker_hours``) -> load
(upsert ``endpoints`` on its natural key, then ``endpoint_hourly``).

Endpoint state is a snapshot: the API answers for *now*. The snapshot is taken once per
target and cycle (at the first window's ``collected_at``) and every hour of the cycle's
windows is recorded with it, except hours already observed after they ended, which keep
what was seen then (a closer observation than today's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session

from collector.cloudwatch import MetricData, datapoints, get_metric_data
from collector.runner import HourlyRegionalSource
from collector.sagemaker_components import component_rows, priced
from collector.sagemaker_hours import HOUR, LifeKey, hourly_rows, metric_series
from collector.sagemaker_inventory import Described, describe_endpoints
from collector.sagemaker_lives import EndpointLife, active_lives, snapshot_lives
from core.aws import ClientFactoryFn, Target
from core.db import upsert
from core.models import Endpoint, EndpointHourly
from core.models_vector import InferenceComponentHourly
from core.pricing import InstancePriceCatalog
from core.pricing.dated import DatedInstancePrices
from core.registry import SourceDeps, SourceEntry, sources
from core.rollups import ENDPOINT
from core.settings import MonitorConfig, SourceConfig
from core.timeutil import as_utc


@dataclass
class PreparedTarget:
    """One target's state for all its windows: stored lives now, the snapshot once taken."""

    target: Target
    stored: list[EndpointLife]
    prices: DatedInstancePrices
    described: list[Described] | None = None
    snapshot_at: datetime | None = None
    lives: list[EndpointLife] | None = None


@dataclass(frozen=True)
class WindowAnswers:
    """One window's answers: the target's snapshot (Describe answers) and the window's metrics."""

    described: list[Described]
    snapshot_at: datetime
    metrics: MetricData


@dataclass
class FetchedWindow:
    """One window's lives and hourly rows, ready to load."""

    lives: list[EndpointLife]
    hourly: list[tuple[LifeKey, dict[str, Any]]]
    start: datetime
    end: datetime
    # inference components' hours (their cost follows from the endpoint-hour's at load)
    components: list[tuple[LifeKey, dict[str, Any]]] = field(default_factory=list)


def stored_lives(
    session: Session, target: Target, start: datetime, end: datetime
) -> list[EndpointLife]:
    """The target's stored lives that are live or overlap [start, end)."""
    statement = select(Endpoint).where(
        Endpoint.account_id == target.account_id,
        Endpoint.region == target.region,
        Endpoint.created_at < end,
        or_(Endpoint.deleted_at.is_(None), Endpoint.deleted_at > start),
    )
    return [EndpointLife.from_model(model) for model in session.scalars(statement)]


class SageMakerCollector(HourlyRegionalSource):
    """Collects SageMaker endpoint inventory and hourly uptime, invocations and cost per target."""

    name = "sagemaker"
    rollups = (ENDPOINT,)  # the daily rollups of the hourly rows it writes

    def __init__(
        self,
        config: MonitorConfig,
        clients: ClientFactoryFn,
        catalog: InstancePriceCatalog | None = None,
    ) -> None:
        self.config = config
        self.clients = clients
        self.catalog = catalog or InstancePriceCatalog.load()

    def prepare(
        self, session: Session, target: Target, start: datetime, end: datetime
    ) -> PreparedTarget:
        """Read the target's stored lives and the stored price points; the AWS snapshot waits for
        the first window's time."""
        overrides = self.config.pricing.instance_overrides
        prices = DatedInstancePrices.load(session, self.catalog, overrides)
        return PreparedTarget(target, stored_lives(session, target, start, end), prices)

    def _autoscaling(self, target: Target) -> Any | None:
        return self.clients("application-autoscaling", target)

    def _lives(self, prepared: PreparedTarget, answers: WindowAnswers) -> list[EndpointLife]:
        """The snapshot's lives, computed once per target (a pure function of the answers)."""
        if prepared.lives is None:
            prepared.lives = snapshot_lives(
                answers.described,
                prepared.stored,
                target=prepared.target,
                attribution=self.config.attribution,
                snapshot_at=answers.snapshot_at,
            )
        return prepared.lives

    def fetch(
        self, prepared: PreparedTarget, start: datetime, end: datetime, collected_at: datetime
    ) -> WindowAnswers:
        """Take the snapshot (once per target), then read the window's invocations."""
        target = prepared.target
        if prepared.described is None or prepared.snapshot_at is None:
            sagemaker = self.clients("sagemaker", target)
            autoscaling = self._autoscaling(target)
            prepared.described = describe_endpoints(sagemaker, autoscaling, target, collected_at)
            prepared.snapshot_at = collected_at
        answers = WindowAnswers(
            prepared.described, prepared.snapshot_at, MetricData((), (), start, end)
        )
        # which series to ask for follows from the snapshot: the lives active in the window
        active = active_lives(self._lives(prepared, answers), start, end, prepared.snapshot_at)
        series = metric_series(active)
        if not series:
            return answers
        metrics = get_metric_data(self.clients("cloudwatch", target), series, start, end)
        return WindowAnswers(prepared.described, prepared.snapshot_at, metrics)

    def transform(
        self, prepared: PreparedTarget, fetched: WindowAnswers, collected_at: datetime
    ) -> FetchedWindow:
        """The snapshot's lives and the window's endpoint-hours."""
        lives = self._lives(prepared, fetched)
        start, end = fetched.metrics.start, fetched.metrics.end
        active = active_lives(lives, start, end, fetched.snapshot_at)
        points = list(datapoints(fetched.metrics))
        rows = hourly_rows(
            active,
            points,
            start=start,
            end=end,
            snapshot_at=fetched.snapshot_at,
            catalog=prepared.prices,
            collected_at=collected_at,
        )
        components = component_rows(
            active,
            points,
            start=start,
            end=end,
            snapshot_at=fetched.snapshot_at,
            collected_at=collected_at,
        )
        return FetchedWindow(lives, rows, start, end, components)

    def load(self, session: Session, fetched: FetchedWindow) -> int:
        """Upsert the lives, then their hours; hours already observed after they ended keep that observation."""
        if not fetched.lives:
            return 0
        natural = ["account_id", "region", "endpoint_name", "created_at"]
        upsert(session, Endpoint, [life.row() for life in fetched.lives], key=natural)
        keys = [life.key for life in fetched.lives]
        ids = {
            (account, region, name, as_utc(created)): endpoint_id
            for endpoint_id, account, region, name, created in session.execute(
                select(
                    Endpoint.id,
                    Endpoint.account_id,
                    Endpoint.region,
                    Endpoint.endpoint_name,
                    Endpoint.created_at,
                ).where(
                    tuple_(Endpoint.account_id, Endpoint.region, Endpoint.endpoint_name).in_(
                        {key[:3] for key in keys}
                    )
                )
            )
        }
        rows = [{"endpoint_id": ids[key], **row} for key, row in fetched.hourly]
        rows = _keep_earlier_observations(session, rows, fetched.start, fetched.end)
        upsert(session, EndpointHourly, rows)
        # a component's part of its endpoint-hour's cost, as that hour is recorded
        costs = {(row["endpoint_id"], row["hour"]): row for row in rows}
        components = []
        for key, component in fetched.components:
            hour_row = costs[(ids[key], component["hour"])]
            components.append(
                priced(
                    {"endpoint_id": ids[key], **component},
                    hour_row["estimated_cost_usd"],
                    hour_row["priced"],
                )
            )
        upsert(session, InferenceComponentHourly, components)
        return len(fetched.lives) + len(rows) + len(components)


# Capacity columns of an hour, kept from the first observation made after the hour ended
# (a serverless hour's cost follows its metrics, as invocations do: it is not kept).
_PRICE = ("estimated_cost_usd", "priced", "price_source", "price_as_of")
_OBSERVED = ("status", "instance_type", "instance_count", "service_hours", *_PRICE, "collected_at")


def _keep_earlier_observations(
    session: Session, rows: list[dict[str, Any]], start: datetime, end: datetime
) -> list[dict[str, Any]]:
    if not rows:
        return rows
    existing = {
        (row.endpoint_id, row.hour): row
        for row in session.scalars(
            select(EndpointHourly).where(
                EndpointHourly.endpoint_id.in_({row["endpoint_id"] for row in rows}),
                EndpointHourly.hour >= start,
                EndpointHourly.hour < end,
            )
        )
    }
    merged = []
    for row in rows:
        before = existing.get((row["endpoint_id"], row["hour"]))
        if before is not None and before.collected_at >= before.hour + HOUR:
            kept: tuple[str, ...] = _OBSERVED
            if row.get("inference_seconds") is not None:
                kept = tuple(name for name in _OBSERVED if name not in _PRICE)
            row = {**row, **{name: getattr(before, name) for name in kept}}
        merged.append(row)
    return merged


def _build(deps: SourceDeps) -> SageMakerCollector:
    return SageMakerCollector(deps.config, deps.clients)


sources.add(SourceEntry("sagemaker", SourceConfig, _build, offset=timedelta(minutes=7), order=20))
