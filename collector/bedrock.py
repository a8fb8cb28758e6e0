"""Bedrock token usage: CloudWatch AWS/Bedrock metrics per ModelId and hour, and the Mantle
endpoint's AWS/BedrockMantle metrics per Model and hour -> bedrock_usage_hourly.

get (ListMetrics per namespace, ListInferenceProfiles + ListTagsForResource once per target;
GetMetricData per window, both namespaces' series in the same batches of 500) -> transform
(pure: ``plan_series``, ``inference_profiles``, ``transform``) -> load (upsert).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector import bedrock_mantle as mantle
from collector.cloudwatch import (
    Datapoint,
    MetricData,
    MetricSeries,
    Page,
    datapoints,
    get_metric_data,
    list_metrics_pages,
    metric_dimensions,
)
from collector.runner import HourlyRegionalSource
from core.aws import AwsError, ClientFactoryFn, Target, pages
from core.db import upsert
from core.models import BedrockUsageHourly
from core.pricing import PriceCatalog, TokenUsage, estimate_cost, foundation_model_id
from core.pricing.bedrock_ids import routed_model_id
from core.pricing.dated import DatedTokenPrices
from core.registry import SourceDeps, SourceEntry, sources
from core.rollups import BEDROCK
from core.settings import AttributionConfig, MonitorConfig, SourceConfig
from core.teams import InferenceProfile, ModelAttribution, attribute_model, index_profiles

log = logging.getLogger(__name__)

NAMESPACE = "AWS/Bedrock"
DIMENSION = "ModelId"
# CloudWatch metric -> (column, statistic)
METRICS: dict[str, tuple[str, str]] = {
    "Invocations": ("invocations", "Sum"),
    "InputTokenCount": ("input_tokens", "Sum"),
    "OutputTokenCount": ("output_tokens", "Sum"),
    "CacheReadInputTokenCount": ("cache_read_tokens", "Sum"),
    "CacheWriteInputTokenCount": ("cache_write_tokens", "Sum"),
    "InvocationClientErrors": ("client_errors", "Sum"),
    "InvocationServerErrors": ("server_errors", "Sum"),
    "InvocationThrottles": ("throttles", "Sum"),
    "InvocationLatency": ("latency_ms_avg", "Average"),
}
PROVISIONED = ":provisioned-model/"  # in a Provisioned Throughput's ARN
COUNT_COLUMNS = tuple(column for column, stat in METRICS.values() if stat == "Sum")
RUNTIME_ENDPOINT = "bedrock-runtime"
# Metrics arrive 5-10 minutes late: an hour is final only this long after it ends.
SETTLE_DELAY = timedelta(minutes=20)


@dataclass
class PreparedTarget:
    """What one target needs for all its windows: the series to read and who owns them."""

    target: Target
    series: list[MetricSeries]
    profiles: dict[str, InferenceProfile] = field(default_factory=dict)
    # the stored Price List points, read once per cycle (None: the catalog alone)
    prices: DatedTokenPrices | None = None


def series_for_models(
    model_ids: Iterable[str], present: set[tuple[str, str]] | None = None
) -> list[MetricSeries]:
    """The series to read for these ModelIds: every known metric, or only those ListMetrics saw."""
    result = []
    for model_id in sorted(set(model_ids)):
        for metric, (_column, stat) in METRICS.items():
            if present is None or (metric, model_id) in present:
                result.append(MetricSeries(NAMESPACE, metric, ((DIMENSION, model_id),), stat))
    return result


def transform(
    datapoints: Iterable[Datapoint],
    *,
    target: Target,
    profiles: Mapping[str, InferenceProfile],
    attribution: AttributionConfig,
    catalog: PriceCatalog,
    collected_at: datetime,
    prices: DatedTokenPrices | None = None,
) -> list[dict[str, Any]]:
    """Fold datapoints into one row per (ModelId, hour), attributed to a team and priced
    (at the stored price in force in that hour where ``prices`` has one)."""
    grouped: dict[tuple[str, datetime], dict[str, Any]] = {}
    for point in datapoints:
        found = _point_key(point)
        if found is None:
            continue
        model_id, column = found
        hour = point.timestamp.replace(minute=0, second=0, microsecond=0)
        row = grouped.get((model_id, hour))
        if row is None:
            row = {name: 0 for name in COUNT_COLUMNS}
            row["latency_ms_avg"] = None
            grouped[(model_id, hour)] = row
        if column == "latency_ms_avg":
            row[column] = point.value
        else:
            row[column] += int(round(point.value))

    rows = []
    for (model_id, hour), counts in sorted(
        grouped.items(), key=lambda item: (item[0][1], item[0][0])
    ):
        called = mantle.mantle_model(model_id) or model_id
        owner = attribute_model(called, profiles, attribution, target.default_team)
        usage = TokenUsage(
            input_tokens=counts["input_tokens"],
            output_tokens=counts["output_tokens"],
            cache_read_tokens=counts["cache_read_tokens"],
            cache_write_tokens=counts["cache_write_tokens"],
        )
        routed = priced_model_id(called, owner)
        price = (
            prices.price(routed, target.region, hour, called_as=routed)
            if prices
            else catalog.price(routed, target.region)
        )
        cost = estimate_cost(price, usage)
        rows.append(
            {
                "account_id": target.account_id,
                "region": target.region,
                "model_id": model_id,
                "hour": hour,
                "base_model_id": owner.base_model_id,
                "team": owner.team,
                **counts,
                "estimated_cost_usd": cost,
                "priced": cost is not None,
                "price_source": price.source if cost is not None and price else None,
                "price_as_of": price.as_of if cost is not None and price else None,
                "routed_model_id": routed,
                "provisional": hour + timedelta(hours=1) + SETTLE_DELAY > collected_at,
                "collected_at": collected_at,
                "endpoint": RUNTIME_ENDPOINT if called == model_id else mantle.ENDPOINT,
            }
        )
    return rows


def _point_key(point: Datapoint) -> tuple[str, str] | None:
    """The stored model_id and the column of a datapoint of either namespace (None: not ours)."""
    series = point.series
    if series.namespace == mantle.NAMESPACE:
        model = series.dimension(mantle.DIMENSION)
        if model is None or series.metric_name not in mantle.METRICS:
            return None
        return mantle.stored_model_id(model), mantle.METRICS[series.metric_name][0]
    model_id = series.dimension(DIMENSION)
    if model_id is None or series.metric_name not in METRICS:
        return None
    return model_id, METRICS[series.metric_name][0]


def priced_model_id(model_id: str, owner: ModelAttribution) -> str:
    """The id that carries a call's model and routing scope: a discovered application profile's
    routed model, else the ModelId itself (a model or system profile id names its own scope),
    else the model the config maps the profile to (priced in-region)."""
    if owner.profile is not None and owner.profile.base_model_id:
        return owner.profile.base_model_id
    if foundation_model_id(model_id) == owner.base_model_id:
        return model_id
    return owner.base_model_id


def plan_series(list_metrics: Iterable[Page], stored: Iterable[str]) -> list[MetricSeries]:
    """The series to read: the metrics ListMetrics lists, and every metric of the stored ModelIds
    it no longer lists (ListMetrics forgets models quiet for two weeks)."""
    present: set[tuple[str, str]] = set()
    for metric, dimensions in metric_dimensions(list_metrics, [DIMENSION]):
        if metric in METRICS:
            present.add((metric, dict(dimensions)[DIMENSION]))
    # a provisioned model's traffic is billed by the hour, not per token: its own source reads it
    present = {(metric, model_id) for metric, model_id in present if PROVISIONED not in model_id}
    listed = {model_id for _metric, model_id in present}
    quiet = {model_id for model_id in stored if mantle.mantle_model(model_id) is None} - listed
    return series_for_models(listed, present) + series_for_models(quiet)


@dataclass(frozen=True)
class ProfileAnswers:
    """ListInferenceProfiles' pages and each profile's ListTagsForResource pages, by ARN."""

    pages: list[Page]
    tags: dict[str, list[Page]]


def get_inference_profiles(client: Any) -> ProfileAnswers:
    """Read the target's application inference profiles and each one's tags after its page."""
    answers = ProfileAnswers([], {})
    for page in pages(
        client, "list_inference_profiles", token_param="nextToken", typeEquals="APPLICATION"
    ):
        answers.pages.append(page)
        for summary in page.get("inferenceProfileSummaries", []):
            arn = summary["inferenceProfileArn"]
            answers.tags[arn] = list(pages(client, "list_tags_for_resource", resourceARN=arn))
    return answers


def inference_profiles(answers: ProfileAnswers) -> list[InferenceProfile]:
    """Application inference profiles with their tags (pure).

    A profile's ``base_model_id`` is its routed model id (``global.X``, ``us.X`` or ``X``, see
    ``routed_model_id``), so a profile copied from a ``global.`` profile is priced globally.
    """
    profiles = []
    for page in answers.pages:
        for summary in page.get("inferenceProfileSummaries", []):
            arn = summary["inferenceProfileArn"]
            arns = [model["modelArn"] for model in summary.get("models") or []]
            tags = {
                tag["key"]: tag["value"]
                for tag_page in answers.tags.get(arn, [])
                for tag in tag_page.get("tags", [])
            }
            profiles.append(
                InferenceProfile(
                    profile_id=summary["inferenceProfileId"],
                    arn=arn,
                    base_model_id=routed_model_id(arns),
                    name=summary.get("inferenceProfileName"),
                    tags=tags,
                )
            )
    return profiles


def stored_model_ids(session: Session, target: Target, start: datetime, end: datetime) -> set[str]:
    """ModelIds already stored for a target in a window (ListMetrics forgets quiet ones)."""
    statement = (
        select(BedrockUsageHourly.model_id)
        .where(
            BedrockUsageHourly.account_id == target.account_id,
            BedrockUsageHourly.region == target.region,
            BedrockUsageHourly.hour >= start,
            BedrockUsageHourly.hour < end,
        )
        .distinct()
    )
    return set(session.scalars(statement))


class BedrockCollector(HourlyRegionalSource):
    """Collects hourly Bedrock token usage for one target at a time."""

    name = "bedrock"
    rollups = (BEDROCK,)  # the daily rollups of the hourly rows it writes

    def __init__(
        self, config: MonitorConfig, clients: ClientFactoryFn, catalog: PriceCatalog
    ) -> None:
        self.config = config
        self.clients = clients
        self.catalog = catalog

    def prepare(
        self, session: Session, target: Target, start: datetime, end: datetime
    ) -> PreparedTarget:
        """Discover the target's series and inference profiles once for all its windows."""
        cloudwatch = self.clients("cloudwatch", target)
        stored = stored_model_ids(session, target, start, end)
        listed = list_metrics_pages(cloudwatch, NAMESPACE, [DIMENSION])
        series = plan_series(listed, stored)
        # the Mantle endpoint's namespace: its series join the same GetMetricData batches
        mantle_listed = list_metrics_pages(cloudwatch, mantle.NAMESPACE, [mantle.DIMENSION])
        series += mantle.plan_series(mantle_listed, stored)
        prices = DatedTokenPrices.load(session, self.catalog, self.config.pricing.overrides)
        return PreparedTarget(target, series, self._profiles(target), prices)

    def _profiles(self, target: Target) -> dict[str, InferenceProfile]:
        if not self.config.attribution.discover_inference_profiles:
            return {}
        try:
            answers = get_inference_profiles(self.clients("bedrock", target))
        except AwsError as exc:
            log.warning(
                "%s: inference profiles unavailable (%s); attributing by the config mapping instead",
                target.label,
                exc,
            )
            return {}
        return index_profiles(inference_profiles(answers))

    def fetch(
        self, prepared: PreparedTarget, start: datetime, end: datetime, collected_at: datetime
    ) -> MetricData:
        """Read one window's GetMetricData pages."""
        if not prepared.series:
            return MetricData((), (), start, end)
        cloudwatch = self.clients("cloudwatch", prepared.target)
        return get_metric_data(cloudwatch, prepared.series, start, end)

    def transform(
        self, prepared: PreparedTarget, fetched: MetricData, collected_at: datetime
    ) -> list[dict[str, Any]]:
        """One window's pages -> one row per (ModelId, hour)."""
        return transform(
            datapoints(fetched),
            target=prepared.target,
            profiles=prepared.profiles,
            attribution=self.config.attribution,
            catalog=self.catalog,
            collected_at=collected_at,
            prices=prepared.prices,
        )

    def load(self, session: Session, rows: list[dict[str, Any]]) -> int:
        """Upsert one window's rows."""
        return upsert(session, BedrockUsageHourly, rows)


def _build(deps: SourceDeps) -> BedrockCollector:
    return BedrockCollector(deps.config, deps.clients, deps.catalog)


# metrics arrive 5-10 minutes late: the hourly job fires at :05
sources.add(SourceEntry("bedrock", SourceConfig, _build, offset=timedelta(minutes=5), order=10))
