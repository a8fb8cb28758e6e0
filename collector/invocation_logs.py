"""Bedrock model invocation logs -> principal_usage_hourly: who called which model, per hour (#14).

get (GetModelInvocationLoggingConfiguration once per target; per window the S3 objects not yet
in the ledger, streamed one line at a time, or the window's FilterLogEvents pages) -> transform
(pure: tallies -> rows attributed to a team by ``core.principals`` and priced like the Bedrock
source) -> load (``invocation_log_load``: S3 objects added exactly once with their ledger rows and
the cursor, CloudWatch Logs windows replaced).

Logging off: nothing to read, no error. Both destinations configured: ``prefer`` (default
``s3``) picks one, so no call is counted twice. Only metadata is read; prompts and completions
are never stored nor logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session

from collector.bedrock import priced_model_id
from collector.invocation_log_load import (
    LoadableWindow,
    ObjectRows,
    ledger_range,
    load_objects,
    replace_window,
)
from collector.invocation_log_reads import (
    CLOUDWATCH_LOGS,
    S3,
    Destination,
    ObjectRead,
    destination,
    list_keys,
    logging_configuration,
    read_log_events,
    read_object,
)
from collector.invocation_log_records import COUNT_COLUMNS, Tally
from collector.principal_tags import principal_tag_lookup
from collector.runner import HourlyRegionalSource
from core.aws import ClientFactoryFn, Target
from core.config_types import Duration
from core.pricing import PriceCatalog, TokenUsage, estimate_cost
from core.pricing.dated import DatedTokenPrices
from core.principals import NoPrincipalTags, PrincipalTags, attribute_principal, fallback_rules
from core.registry import SourceDeps, SourceEntry, sources
from core.settings import AttributionConfig, MonitorConfig, SourceConfig
from core.teams import attribute_model

SOURCE = "invocation_logs"


class InvocationLogsConfig(SourceConfig):
    """`collection.invocation_logs`: reads wherever GetModelInvocationLoggingConfiguration points."""

    interval: Duration = timedelta(minutes=15)
    # objects are delivered a few minutes after their hour folder opens: re-list recent hours
    # (the ledger skips what was read)
    lookback: Duration = timedelta(hours=2)
    initial_backfill: Duration = timedelta(days=1)
    # both destinations configured: read this one (s3: immutable objects, counted exactly once)
    prefer: Literal["s3", "cloudwatch_logs"] = "s3"
    # one transaction (and collector_runs row) per window: a backfill commits every 6 hours of logs
    window: Duration = timedelta(hours=6)


@dataclass
class PreparedTarget:
    """A target's destination (None: logging off), prices and the ledger's keys of the range."""

    target: Target
    where: Destination | None
    prices: DatedTokenPrices | None
    read: set[str] = field(default_factory=set)


@dataclass
class Fetched:
    """One window's reads: S3 objects' tallies, or the log group's window tally."""

    start: datetime
    end: datetime
    objects: list[ObjectRead] = field(default_factory=list)
    events: Tally | None = None


def rows_of(
    tally: Tally,
    *,
    target: Target,
    source: str,
    attribution: AttributionConfig,
    catalog: PriceCatalog,
    prices: DatedTokenPrices | None,
    tags: PrincipalTags,
    collected_at: datetime,
) -> list[dict[str, Any]]:
    """A tally's rows: each (hour, principal, model, metadata) attributed and priced (pure)."""
    rows = []
    for key, values in sorted(tally.counts.items()):
        counts = dict(zip(COUNT_COLUMNS, values, strict=True))
        metadata = json.loads(key.request_metadata)
        team = attribute_principal(key.principal, metadata, attribution, tags, target.default_team)
        owner = attribute_model(key.model_id, {}, attribution, target.default_team)
        routed = priced_model_id(key.model_id, owner)
        price = (
            prices.price(routed, target.region, key.hour, called_as=routed)
            if prices
            else catalog.price(routed, target.region)
        )
        cost = estimate_cost(
            price,
            TokenUsage(
                input_tokens=counts["input_tokens"],
                output_tokens=counts["output_tokens"],
                cache_read_tokens=counts["cache_read_tokens"],
                cache_write_tokens=counts["cache_write_tokens"],
            ),
        )
        rows.append(
            {
                "hour": key.hour,
                "account_id": target.account_id,
                "region": target.region,
                "principal": key.principal,
                "model_id": key.model_id,
                "request_metadata": key.request_metadata,
                "base_model_id": owner.base_model_id,
                "team": team.team,
                "team_rule": team.rule[:256],
                **counts,
                "estimated_cost_usd": cost,
                "priced": cost is not None,
                "price_source": price.source if cost is not None and price else None,
                "source": source,
                "collected_at": collected_at,
            }
        )
    return rows


FALLBACK_RULES = fallback_rules()


def window_rows(window: LoadableWindow) -> list[dict[str, Any]]:
    """Every row of a loadable window: its objects' rows, or its CloudWatch Logs rows."""
    if window.rows is not None:
        return window.rows
    return [row for item in window.objects for row in item.rows]


def untagged_rows(window: LoadableWindow) -> list[dict[str, Any]]:
    """The rows no rule above the principal tags decided (the config's rules need no IAM call)."""
    return [row for row in window_rows(window) if row["team_rule"] in FALLBACK_RULES]


def callers_of(window: LoadableWindow) -> set[str]:
    """The principal ARNs whose IAM tags could decide a row of the window."""
    return {row["principal"] for row in untagged_rows(window)}


def attribute_rows(
    window: LoadableWindow, attribution: AttributionConfig, tags: PrincipalTags
) -> None:
    """Decide those rows' teams again now that their callers' IAM tags are known."""
    default_team = window.target.default_team
    for row in untagged_rows(window):
        metadata = json.loads(row["request_metadata"])
        team = attribute_principal(row["principal"], metadata, attribution, tags, default_team)
        row["team"], row["team_rule"] = team.team, team.rule[:256]


class InvocationLogsCollector(HourlyRegionalSource):
    """Collects per-principal usage from the model invocation logs, one target at a time."""

    name = SOURCE

    def __init__(
        self,
        config: MonitorConfig,
        clients: ClientFactoryFn,
        catalog: PriceCatalog,
    ) -> None:
        self.config = config
        self.clients = clients
        self.catalog = catalog

    @property
    def options(self) -> InvocationLogsConfig:
        """This source's settings, typed."""
        settings = self.settings
        assert isinstance(settings, InvocationLogsConfig)
        return settings

    def prepare(
        self, session: Session, target: Target, start: datetime, end: datetime
    ) -> PreparedTarget:
        """Where the target logs to, the stored prices, and the objects of the range already read."""
        answer = logging_configuration(self.clients("bedrock", target))
        where = destination(answer, self.options.prefer)
        if where is None:
            return PreparedTarget(target, None, None)
        prices = DatedTokenPrices.load(session, self.catalog, self.config.pricing.overrides)
        read: set[str] = set()
        if where.kind == S3:
            first, stop = where.hour_key(target, start), where.hour_key(target, end)
            read = ledger_range(session, target, where.name, first, stop)
        return PreparedTarget(target, where, prices, read)

    def fetch(
        self, prepared: PreparedTarget, start: datetime, end: datetime, collected_at: datetime
    ) -> Fetched:
        """Read the window: the S3 objects not read yet (streamed), or the log group's events."""
        fetched = Fetched(start, end)
        where, target = prepared.where, prepared.target
        keys = self.config.attribution.request_metadata_keys
        if where is None:
            return fetched
        if where.kind == CLOUDWATCH_LOGS:
            fetched.events = read_log_events(self.clients("logs", target), where, start, end, keys)
            return fetched
        s3 = self.clients("s3", target)
        for key, size in list_keys(s3, where, target, start, end):
            if key not in prepared.read:
                fetched.objects.append(read_object(s3, where, key, size, keys))
        return fetched

    def transform(
        self, prepared: PreparedTarget, fetched: Fetched, collected_at: datetime
    ) -> LoadableWindow | None:
        """The window's rows: per object (S3, for the ledger) or for the whole window (logs)."""
        where, target = prepared.where, prepared.target
        if where is None:
            return None

        def rows(tally: Tally) -> list[dict[str, Any]]:
            return rows_of(
                tally,
                target=target,
                source=where.kind,
                attribution=self.config.attribution,
                catalog=self.catalog,
                prices=prepared.prices,
                tags=NoPrincipalTags(),
                collected_at=collected_at,
            )

        window = LoadableWindow(
            target, where.name, where.kind, fetched.start, fetched.end, collected_at
        )
        if fetched.events is not None:
            window.rows = rows(fetched.events)
            window.records, window.malformed = fetched.events.records, fetched.events.malformed
        for item in fetched.objects:
            tally = item.tally
            window.objects.append(
                ObjectRows(
                    item.key,
                    item.size,
                    tally.records,
                    tally.malformed,
                    tally.truncated,
                    rows(tally),
                )
            )
        return window

    def load(self, session: Session, window: LoadableWindow | None) -> int:
        """Add the window's new objects exactly once, or replace its CloudWatch Logs rows."""
        if window is None:
            return 0
        if self.config.attribution.principal_tag_keys:
            # the IAM tags are cached in the database: looked up here, where a session is open
            tags = principal_tag_lookup(
                session, self.clients, window.target, callers_of(window), window.collected_at
            )
            attribute_rows(window, self.config.attribution, tags)
        if window.rows is not None:
            return replace_window(session, window)
        return load_objects(session, window)


def _build(deps: SourceDeps) -> InvocationLogsCollector:
    return InvocationLogsCollector(deps.config, deps.clients, deps.catalog)


# logs are delivered within minutes: the 15-minute job fires 3 minutes past each boundary
sources.add(
    SourceEntry(SOURCE, InvocationLogsConfig, _build, offset=timedelta(minutes=3), order=43)
)
