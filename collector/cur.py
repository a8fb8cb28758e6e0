"""CUR 2.0 billing lines: an AWS Data Exports export in S3 -> `cost_lines` (source ``cur``).

get (ListObjectsV2 over the export once per cycle; per billing period whose objects changed,
its manifest and data files through GetObject) -> transform (pure, ``cur_rows``) -> load (per
period: delete its lines, insert the fresh ones, record its objects).

A window is one billing period (a calendar month, UTC), so each period is one transaction
and one collector_runs row. A period whose objects all have the ETag and LastModified stored in
`cur_objects` is not fetched at all; one with any object new, changed or gone is re-read whole
and replaces its lines, so a restatement never counts anything twice. A data file that cannot
be read fails its period alone (its lines stay as loaded before; the run exits 1), and the
other periods still load.

Where to read comes from `collection.costs` (`source`, `cur`, `engine`); `collection.cur` holds
only this source's schedule. The source has no targets unless `cur` is among the sources.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from collector.cost_explorer import CostsConfig
from collector.cur_local import LocalEngine, PeriodRead, read_object
from collector.cur_rows import (
    SOURCE,
    ExportObject,
    changed,
    cost_line_rows,
    export_base,
    manifest_files,
    parse_listing,
)
from collector.cur_settings import CurExportConfig
from collector.runner import Window
from core.aws import ClientFactoryFn, Target, pages
from core.db import upsert
from core.models import CostLine, CurObject
from core.registry import SourceDeps, SourceEntry, sources
from core.settings import Duration, MonitorConfig, SourceConfig

log = logging.getLogger(__name__)


class CurConfig(SourceConfig):
    """`collection.cur`: the CUR source's schedule (where to read is `collection.costs.cur`)."""

    interval: Duration = timedelta(hours=6)  # Data Exports refresh an export about once a day


# `collection.costs.engine` -> a factory (collector, target) -> an engine whose
# ``read_period(billing_period, files) -> PeriodRead`` aggregates one changed period with
# ``cur_sql.genai_lines_sql`` (its rows an iterable read once, by the load: never a period held
# in memory). "local" is built in; the Athena engine registers here.
# Listing and change detection stay in S3 whatever the engine: an unchanged period costs nothing.
ENGINES: dict[str, Callable[[Any, Target], Any]] = {}


def month_start(moment: datetime) -> datetime:
    """The first instant (UTC) of the month holding ``moment``."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def next_month(start: datetime) -> datetime:
    """The first instant of the month after the one starting at ``start``."""
    return month_start(start + timedelta(days=32))


def billing_periods(start: datetime, end: datetime) -> list[Window]:
    """The calendar months (UTC) overlapping [start, end), whole."""
    windows: list[Window] = []
    cursor = month_start(start)
    while cursor < end:
        windows.append(Window(cursor, next_month(cursor)))
        cursor = windows[-1].end
    return windows


@dataclass
class PreparedExport:
    """The export as listed once per cycle, and what `cur_objects` holds of it."""

    target: Target
    export: CurExportConfig
    periods: dict[str, list[ExportObject]] = field(default_factory=dict)
    stored: dict[str, dict[str, tuple[str, datetime]]] = field(default_factory=dict)


@dataclass
class FetchedPeriod:
    """One period: unchanged (nothing fetched), or its objects and what the engine read."""

    billing_period: str
    objects: list[ExportObject] = field(default_factory=list)
    read: PeriodRead | None = None  # None: unchanged, or absent from the export


@dataclass
class CurLoad:
    """What ``load`` writes for one period; ``failure`` names the object that failed it."""

    bucket: str
    billing_period: str
    # streamed: read once, by load, inside the period's transaction
    lines: Iterable[dict[str, Any]] = ()
    objects: list[dict[str, Any]] = field(default_factory=list)
    replace: bool = False
    failure: str | None = None
    cleanup: Callable[[], None] | None = None


class CurCollector:
    """Reads an AWS Data Exports CUR 2.0 export's GenAI lines, one billing period at a time."""

    name = "cur"

    def __init__(self, config: MonitorConfig, clients: ClientFactoryFn) -> None:
        self.config = config
        self.clients = clients

    @property
    def settings(self) -> CurConfig:
        """This source's schedule."""
        return cast(CurConfig, self.config.collection.source(self.name))

    @property
    def billing(self) -> CostsConfig:
        """`collection.costs`: which sources, which export, which engine."""
        return cast(CostsConfig, self.config.collection.source("costs"))

    def targets(self, configured: Sequence[Target]) -> list[Target]:
        """One target, the bucket's account in its region; none unless `cur` is a billing source."""
        export = self.billing.cur
        if "cur" not in self.billing.source or export is None:
            return []
        chosen = next(
            (t for t in configured if export.account in (None, t.account_id)),
            Target(export.account or "", export.region),
        )
        return [replace(chosen, region=export.region)]

    def incremental_range(self, last_end: datetime | None, now: datetime) -> Window:
        """The last ``months`` billing periods up to the current one: unchanged ones cost nothing."""
        assert self.billing.cur is not None
        end = next_month(month_start(now))
        start = month_start(now)
        for _ in range(self.billing.cur.months - 1):
            start = month_start(start - timedelta(days=1))
        return Window(start, end)

    def plan_windows(self, start: datetime, end: datetime) -> list[Window]:
        """One window per billing period."""
        return billing_periods(start, end)

    def prepare(
        self, session: Session, target: Target, start: datetime, end: datetime
    ) -> PreparedExport:
        """List the export once, and read what `cur_objects` holds of its bucket."""
        export = self.billing.cur
        assert export is not None
        base = export_base(export.prefix, export.export_name)
        contents = [
            entry
            for page in pages(
                self.clients("s3", target),
                "list_objects_v2",
                token_param="ContinuationToken",
                token_key="NextContinuationToken",
                Bucket=export.bucket,
                Prefix=base,
            )
            for entry in page.get("Contents", [])
        ]
        prepared = PreparedExport(target, export, parse_listing(contents, base))
        stored = session.execute(
            select(
                CurObject.billing_period, CurObject.key, CurObject.etag, CurObject.last_modified
            ).where(CurObject.bucket == export.bucket)
        )
        for period, key, etag, last_modified in stored:
            prepared.stored.setdefault(period, {})[key] = (etag, last_modified)
        return prepared

    def engine(self, target: Target) -> Any:
        """The engine that aggregates a period: DuckDB on this machine, or a registered one."""
        billing = self.billing
        if billing.engine in ENGINES:
            return ENGINES[billing.engine](self, target)
        if billing.engine != "local":
            log.warning("cur: engine %s is not available: reading locally", billing.engine)
        assert billing.cur is not None
        return LocalEngine(
            self.clients("s3", target),
            billing.cur,
            self.config.attribution.tag_key,
            billing.extra_services,
            self.default_teams(),
        )

    def fetch(
        self, prepared: PreparedExport, start: datetime, end: datetime, collected_at: datetime
    ) -> FetchedPeriod:
        """Read one billing period if any of its objects changed since it was loaded."""
        period = start.astimezone(UTC).strftime("%Y-%m")
        objects = prepared.periods.get(period, [])
        fetched = FetchedPeriod(period, objects)
        if not objects or not changed(objects, prepared.stored.get(period, {})):
            return fetched
        s3 = self.clients("s3", prepared.target)
        files, problem = self._data_files(s3, prepared.export, objects)
        if problem:
            fetched.read = PeriodRead(error=f"billing period {period}: {problem}")
            return fetched
        log.info("cur: reading billing period %s (%d file(s))", period, len(files))
        fetched.read = self.engine(prepared.target).read_period(period, files)
        return fetched

    def _data_files(
        self, s3: Any, export: CurExportConfig, objects: list[ExportObject]
    ) -> tuple[list[ExportObject], str | None]:
        """The data files the period's manifest names (all listed ones when it has none)."""
        parquet = [obj for obj in objects if obj.is_parquet]
        manifests = [obj for obj in objects if obj.key.endswith("-Manifest.json")]
        if not manifests:
            return parquet, None
        named = manifest_files(read_object(s3, export.bucket, manifests[0].key), export.bucket)
        if named is None:
            return parquet, None
        by_key = {obj.key: obj for obj in parquet}
        missing = [key for key in named if key not in by_key]
        if missing:
            return [], (
                f"the manifest names s3://{export.bucket}/{missing[0]}, which is not in the bucket "
                "(the export is being rewritten?); the next cycle tries again"
            )
        return [by_key[key] for key in named], None

    def transform(
        self, prepared: PreparedExport, fetched: FetchedPeriod, collected_at: datetime
    ) -> CurLoad:
        """A read period -> its cost_lines and cur_objects rows (nothing for an unchanged one)."""
        load = CurLoad(prepared.export.bucket, fetched.billing_period)
        read = fetched.read
        if read is None:
            return load
        if read.error:
            load.failure = read.error
            return load
        load.replace = True
        load.cleanup = read.cleanup
        load.lines = cost_line_rows(read.rows, fetched.billing_period, collected_at)
        load.objects = [
            {
                "bucket": prepared.export.bucket,
                "key": obj.key,
                "billing_period": obj.billing_period,
                "etag": obj.etag,
                "last_modified": obj.last_modified,
                "size_bytes": obj.size,
                "lines": read.object_lines.get(obj.key, 0),
                "loaded_at": collected_at,
            }
            for obj in fetched.objects
        ]
        return load

    def default_teams(self) -> dict[str, str]:
        """Each configured account's default team (its untagged lines go there)."""
        return {account.id: account.team for account in self.config.accounts if account.team}

    def load(self, session: Session, load: CurLoad) -> int:
        """Replace a read period's lines and objects whole; leave a failed or unchanged one be."""
        if not load.replace:
            return 0
        try:
            return self._replace(session, load)
        finally:
            if load.cleanup is not None:
                load.cleanup()

    @staticmethod
    def _replace(session: Session, load: CurLoad) -> int:
        session.execute(
            delete(CostLine).where(
                CostLine.source == SOURCE, CostLine.billing_period == load.billing_period
            )
        )
        session.execute(
            delete(CurObject).where(
                CurObject.bucket == load.bucket, CurObject.billing_period == load.billing_period
            )
        )
        written = upsert(session, CostLine, load.lines)
        upsert(session, CurObject, load.objects)
        return written


def _build(deps: SourceDeps) -> CurCollector:
    return CurCollector(deps.config, deps.clients)


sources.add(SourceEntry("cur", CurConfig, _build, offset=timedelta(minutes=25), order=35))
