"""The Athena engine of the CUR 2.0 source: the generated SQL runs in Amazon Athena over the
export's Glue table, and only its aggregated rows come back, through GetQueryResults.

StartQueryExecution (workgroup, database, output location from config) -> GetQueryExecution
polled with a growing pause until SUCCEEDED (FAILED or CANCELLED raise with Athena's own
reason; a query still running after ``timeout`` is stopped with StopQueryExecution and raises) -> GetQueryResults pages of at most
1,000 rows, the first page's first row being the header row. Athena answers every value as a
string: each is turned back into its column's type (``decimal`` -> Decimal exactly, ``date``
-> date, integers -> int), so the rows equal the local engine's and share its load step.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from collector.cur import ENGINES
from collector.cur_local import PeriodRead
from collector.cur_sql import OUTPUT_COLUMNS, genai_lines_sql
from core.aws import AwsError, AwsFatal, ClientFactoryFn, Target, pages, translated_errors

log = logging.getLogger(__name__)

SERVICE = "athena"
PAGE_SIZE = 1000  # GetQueryResults' maximum
DONE = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
# the key of a period's rows in PeriodRead: Athena's sums span every object of the period
_INTEGERS = frozenset({"tinyint", "smallint", "integer", "int", "bigint"})


class AthenaQueryFailed(Exception):
    """An Athena query ended FAILED or CANCELLED, or did not end in time; says why."""


@dataclass(frozen=True)
class AthenaPlace:
    """Where the queries run: Athena's workgroup, the Glue database and table, the output."""

    workgroup: str
    database: str
    table: str
    output: str | None = None  # None: the workgroup's own result location
    timeout: timedelta = timedelta(minutes=10)
    first_pause: float = 0.5  # seconds before the second GetQueryExecution; doubles each time
    max_pause: float = 5.0


def convert(value: str | None, kind: str) -> Any:
    """One VarCharValue turned back into its column's type (None for an SQL NULL)."""
    if value is None:
        return None
    kind = kind.lower()
    if kind == "decimal":
        return Decimal(value)
    if kind in _INTEGERS:
        return int(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind.startswith("timestamp"):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if kind == "boolean":
        return value == "true"
    if kind in ("double", "real", "float"):
        # never money (the SQL casts money to decimal): kept exact anyway rather than rounded
        return Decimal(value)
    return value


def _cell(cell: Mapping[str, str]) -> str | None:
    return cell.get("VarCharValue")


@dataclass
class AthenaEngine:
    """Runs SQL in Athena through the one client factory and yields typed rows."""

    clients: ClientFactoryFn
    target: Target
    place: AthenaPlace
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    @property
    def _client(self) -> Any:
        return self.clients(SERVICE, self.target)

    def rows(self, sql: str) -> Iterator[dict[str, Any]]:
        """Every result row of ``sql`` as {column: typed value}, paged back from Athena."""
        query_id = self.start(sql)
        self.wait(query_id)
        yield from self.results(query_id)

    def start(self, sql: str) -> str:
        """Submit the query; its execution id."""
        request: dict[str, Any] = {
            "QueryString": sql,
            "QueryExecutionContext": {"Database": self.place.database},
            "WorkGroup": self.place.workgroup,
        }
        if self.place.output:
            request["ResultConfiguration"] = {"OutputLocation": self.place.output}
        with translated_errors(SERVICE, "StartQueryExecution"):
            return str(self._client.start_query_execution(**request)["QueryExecutionId"])

    def wait(self, query_id: str) -> dict[str, Any]:
        """Poll until the query ends, pausing longer each time; its QueryExecution if SUCCEEDED."""
        deadline = self.clock() + self.place.timeout.total_seconds()
        pause = self.place.first_pause
        while True:
            with translated_errors(SERVICE, "GetQueryExecution"):
                execution = self._client.get_query_execution(QueryExecutionId=query_id)
            execution = execution["QueryExecution"]
            status = execution["Status"]
            state = status["State"]
            if state == "SUCCEEDED":
                return dict(execution)
            if state in DONE:
                reason = status.get("StateChangeReason") or "no reason given"
                raise AthenaQueryFailed(
                    f"Athena query {query_id} in workgroup {self.place.workgroup} ended "
                    f"{state}: {reason}"
                )
            if self.clock() + pause > deadline:
                self.stop(query_id)
                raise AthenaQueryFailed(
                    f"Athena query {query_id} in workgroup {self.place.workgroup} was still "
                    f"{state} after {self.place.timeout} (collection.costs.athena.timeout); "
                    "it was stopped"
                )
            self.sleep(pause)
            pause = min(pause * 2, self.place.max_pause)

    def stop(self, query_id: str) -> None:
        """Cancel a query we gave up on: Athena would otherwise go on scanning, and billing."""
        try:
            with translated_errors(SERVICE, "StopQueryExecution"):
                self._client.stop_query_execution(QueryExecutionId=query_id)
        except AwsError as exc:
            log.warning("could not stop Athena query %s: %s", query_id, exc)

    def results(self, query_id: str) -> Iterator[dict[str, Any]]:
        """The rows of a finished query; the header row (first page, first row) is skipped."""
        header_pending = True
        for page in pages(
            self._client, "get_query_results", QueryExecutionId=query_id, MaxResults=PAGE_SIZE
        ):
            result = page["ResultSet"]
            columns = [
                (info["Name"], info["Type"]) for info in result["ResultSetMetadata"]["ColumnInfo"]
            ]
            rows = result["Rows"]
            if header_pending:
                header_pending = False
                rows = self._without_header(rows, columns)
            for row in rows:
                cells = [_cell(cell) for cell in row["Data"]]
                yield {
                    name: convert(value, kind)
                    for (name, kind), value in zip(columns, cells, strict=True)
                }

    @staticmethod
    def _without_header(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> list[Any]:
        names = [name for name, _kind in columns]
        if not rows or [_cell(cell) for cell in rows[0]["Data"]] != names:
            raise AwsFatal(
                "fatal",
                SERVICE,
                "GetQueryResults",
                "NoHeaderRow",
                "the first page of results does not start with the header row",
            )
        return rows[1:]


class AthenaPeriods:
    """The `cur` source's engine for ``engine: athena``: one query per changed billing period.

    The source decides which periods changed (ETags in `cur_objects`, as for the local engine)
    and hands each one here; the files it lists are not read here (Athena reads them itself, in
    the period's ``billing_period`` partition of the Glue table).
    """

    def __init__(self, collector: Any, target: Target) -> None:
        billing = collector.billing
        athena = billing.athena
        self.tag_key = collector.config.attribution.tag_key
        self.default_teams = collector.default_teams()
        self.extra_services = list(billing.extra_services)
        self.settings = athena
        place = AthenaPlace(
            athena.workgroup, athena.database, athena.table, athena.output, athena.timeout
        )
        region = athena.region or billing.cur.region
        self.engine = AthenaEngine(collector.clients, replace(target, region=region), place)

    def sql(self, billing_period: str) -> str:
        """The generated SELECT of one period over the Glue table, in Athena's dialect."""
        relation = f'"{self.settings.database}"."{self.settings.table}"'
        return genai_lines_sql(
            relation,
            billing_period,
            tag_key=self.tag_key,
            extra_services=self.extra_services,
            default_teams=self.default_teams,
            dialect="athena",
            partition_column=self.settings.partition_column,
        )

    def read_period(self, billing_period: str, files: Sequence[Any]) -> PeriodRead:
        """The period's query run to its end; its rows paged back from Athena as the load reads
        them (so a period's aggregates are never all in memory), or why the query failed."""
        try:
            query_id = self.engine.start(self.sql(billing_period))
            self.engine.wait(query_id)
        except AthenaQueryFailed as exc:
            return PeriodRead(
                error=f"billing period {billing_period}: {exc}; the period keeps the lines "
                "loaded before"
            )
        rows = (
            tuple(row[name] for name in OUTPUT_COLUMNS) for row in self.engine.results(query_id)
        )
        # Athena sums over every file of the period: no line count per object
        return PeriodRead(rows=rows)


ENGINES["athena"] = AthenaPeriods
