"""Amazon Athena for the demo and the tests: StartQueryExecution, GetQueryExecution,
GetQueryResults and StopQueryExecution, answered by running the query with DuckDB over the Glue table's Parquet files.

moto's Athena returns canned results, which cannot show that a query means what it should.
This stand-in speaks Athena's real protocol (JSON 1.1, ``X-Amz-Target: AmazonAthena.<Op>``) on a
loopback port: a query goes QUEUED -> RUNNING -> SUCCEEDED or FAILED (with Athena's
``StateChangeReason``) over a few GetQueryExecution polls; results come back as VarChar strings,
the first page's first row being the header row, at most 1,000 rows a page, paged by NextToken.
Tables resolve through Glue (moto) to the objects under their S3 location, read at query time,
as Athena does (``demo.athena_catalog``). Point a client at it with ``AWS_ENDPOINT_URL_ATHENA``.

The SQL is Trino's and DuckDB runs it: the two agree on what ``collector.cur_sql`` generates
(standard SELECT, CAST, CASE, COALESCE, TIMESTAMP literals, GROUP BY positions) except
``element_at`` on a map, which is defined here with Trino's meaning. A query using other
Trino-only syntax fails here as a SYNTAX_ERROR rather than answering wrongly.
"""

from __future__ import annotations

import base64
import csv
import io
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import duckdb
from duckdb.sqltypes import DuckDBPyType

from demo.athena_catalog import Catalog, CatalogError, referenced_tables
from demo.json_api import Answerer, json_api_server

MAX_RESULTS = 1000
# Athena's name and precision for each DuckDB type the generated SQL can return
_TYPES = {
    "varchar": ("varchar", 2147483647),
    "bigint": ("bigint", 19),
    "integer": ("integer", 10),
    "hugeint": ("decimal", 38),
    "double": ("double", 17),
    "date": ("date", 0),
    "timestamp": ("timestamp", 3),
    "boolean": ("boolean", 0),
}


class InvalidRequest(Exception):
    """Answered as Athena's InvalidRequestException (HTTP 400)."""


@dataclass
class Query:
    """One query execution as the stand-in tracks it."""

    id: str
    sql: str
    database: str
    workgroup: str
    output: str
    submitted: datetime
    state: str = "QUEUED"
    reason: str = ""
    polls: int = 0
    columns: list[dict[str, Any]] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    scanned_bytes: int = 0
    result_url: str = ""


@dataclass
class AthenaState:
    """What the running stand-in knows: its workgroups, the catalog, the queries it was sent.

    ``polls_queued`` / ``polls_running``: how many GetQueryExecution answers say QUEUED, then
    RUNNING, before the final state. ``fail_with``: a reason every query fails with (as when
    Athena cannot read the data), or None.
    """

    catalog: Catalog = field(default_factory=Catalog)
    workgroups: dict[str, str] = field(default_factory=lambda: {"primary": ""})
    polls_queued: int = 1
    polls_running: int = 1
    fail_with: str | None = None
    queries: dict[str, Query] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _column(name: str, kind: DuckDBPyType) -> dict[str, Any]:
    """Athena's ColumnInfo for one result column."""
    scale = 0
    if kind.id == "decimal":
        children: dict[str, Any] = dict(kind.children)
        athena, precision, scale = "decimal", int(children["precision"]), int(children["scale"])
    else:
        athena, precision = _TYPES.get(kind.id, ("varchar", 2147483647))
    return {
        "CatalogName": "hive",
        "SchemaName": "",
        "TableName": "",
        "Name": name,
        "Label": name,
        "Type": athena,
        "Precision": precision,
        "Scale": scale,
        "Nullable": "UNKNOWN",
        "CaseSensitive": athena == "varchar",
    }


def render(value: Any) -> str | None:
    """A value as Athena writes it in a VarCharValue (None stays absent)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _csv(query: Query) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow([column["Name"] for column in query.columns])
    writer.writerows([["" if value is None else value for value in row] for row in query.rows])
    return out.getvalue()


def execute(state: AthenaState, query: Query) -> None:
    """Run a query on DuckDB over the tables it names; fill in its rows or its failure reason."""
    if state.fail_with:
        query.state, query.reason = "FAILED", state.fail_with
        return
    connection = duckdb.connect(config={"python_enable_replacements": False})
    try:
        # Trino's element_at on a map gives NULL for a missing key; DuckDB's gives a list
        connection.execute("CREATE MACRO element_at(m, k) AS map_extract_value(m, k)")
        for database, table in sorted(referenced_tables(query.sql, query.database)):
            files, size = state.catalog.files(database, table)
            query.scanned_bytes += size
            connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{database}"')
            if not files:
                raise CatalogError(f"HIVE_CANNOT_OPEN_SPLIT: no data under {database}.{table}")
            listed = ", ".join("'" + path.replace("'", "''") + "'" for path in files)
            connection.execute(
                f'CREATE VIEW "{database}"."{table}" AS SELECT * FROM '
                f"read_parquet([{listed}], union_by_name = true, hive_partitioning = true)"
            )
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{query.database}"')
        connection.execute(f'SET schema = "{query.database}"')
        relation = connection.sql(query.sql)
        query.columns = [
            _column(name.lower(), kind)  # Athena (Trino) names result columns in lower case
            for name, kind in zip(relation.columns, relation.types, strict=True)
        ]
        query.rows = [[render(value) for value in row] for row in relation.fetchall()]
        if query.output.startswith("s3://"):
            query.result_url = state.catalog.write_result(query.output, query.id, _csv(query))
        query.state = "SUCCEEDED"
    except CatalogError as exc:
        query.state, query.reason = "FAILED", str(exc)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        query.state, query.reason = "FAILED", f"SYNTAX_ERROR: line 1:1: {first}"
    finally:
        connection.close()


def _start(state: AthenaState, request: Mapping[str, Any]) -> dict[str, Any]:
    sql = request.get("QueryString") or ""
    if not sql.strip():
        raise InvalidRequest("QueryString must not be empty")
    workgroup = request.get("WorkGroup") or "primary"
    if workgroup not in state.workgroups:
        raise InvalidRequest(f"WorkGroup {workgroup} is not found.")
    output = (request.get("ResultConfiguration") or {}).get("OutputLocation") or state.workgroups[
        workgroup
    ]
    if not output:
        raise InvalidRequest(
            "No output location provided. An output location is required either through the "
            "Workgroup result configuration setting or as an API input."
        )
    database = (request.get("QueryExecutionContext") or {}).get("Database") or "default"
    query = Query(str(uuid.uuid4()), sql, database, workgroup, output, datetime.now(UTC))
    execute(state, query)
    with state.lock:
        state.queries[query.id] = query
    return {"QueryExecutionId": query.id}


def _find(state: AthenaState, request: Mapping[str, Any]) -> Query:
    query_id = request.get("QueryExecutionId") or ""
    with state.lock:
        query = state.queries.get(query_id)
    if query is None:
        raise InvalidRequest(f"QueryExecution {query_id} was not found")
    return query


def _visible_state(state: AthenaState, query: Query) -> str:
    """QUEUED, then RUNNING, for the configured number of polls; then the query's real end."""
    with state.lock:
        query.polls += 1
        polls = query.polls
    if polls <= state.polls_queued:
        return "QUEUED"
    if polls <= state.polls_queued + state.polls_running:
        return "RUNNING"
    return query.state


def _finished_for_caller(state: AthenaState, query: Query) -> bool:
    """Whether the caller has been shown the query's end (it ran while it was QUEUED/RUNNING)."""
    return query.polls > state.polls_queued + state.polls_running


def _describe(state: AthenaState, request: Mapping[str, Any]) -> dict[str, Any]:
    query = _find(state, request)
    shown = _visible_state(state, query)
    status: dict[str, Any] = {"State": shown, "SubmissionDateTime": query.submitted.timestamp()}
    if shown in ("SUCCEEDED", "FAILED", "CANCELLED"):
        status["CompletionDateTime"] = query.submitted.timestamp()
    if shown in ("FAILED", "CANCELLED"):
        status["StateChangeReason"] = query.reason
        status["AthenaError"] = {"ErrorCategory": 2, "ErrorType": 1006, "Retryable": False}
    return {
        "QueryExecution": {
            "QueryExecutionId": query.id,
            "Query": query.sql,
            "StatementType": "DML",
            "ResultConfiguration": {"OutputLocation": query.result_url or query.output},
            "QueryExecutionContext": {"Database": query.database, "Catalog": "awsdatacatalog"},
            "Status": status,
            "Statistics": {
                "EngineExecutionTimeInMillis": 0,
                "DataScannedInBytes": query.scanned_bytes if shown == "SUCCEEDED" else 0,
                "TotalExecutionTimeInMillis": 0,
                "QueryQueueTimeInMillis": 0,
            },
            "WorkGroup": query.workgroup,
            "EngineVersion": {
                "SelectedEngineVersion": "AUTO",
                "EffectiveEngineVersion": "Athena engine version 3",
            },
        }
    }


def _token(query_id: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{query_id}:{offset}".encode()).decode()


def _offset(query: Query, token: str | None) -> int:
    if not token:
        return 0
    try:
        query_id, _, offset = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if query_id == query.id:
            return int(offset)
    except ValueError:
        pass
    raise InvalidRequest("The NextToken provided is not valid")


def _results(state: AthenaState, request: Mapping[str, Any]) -> dict[str, Any]:
    query = _find(state, request)
    size = int(request.get("MaxResults") or MAX_RESULTS)
    if not 1 <= size <= MAX_RESULTS:
        raise InvalidRequest(f"MaxResults must be between 1 and {MAX_RESULTS}")
    if not _finished_for_caller(state, query) or query.state != "SUCCEEDED":
        current = "RUNNING" if query.state == "SUCCEEDED" else query.state
        raise InvalidRequest(f"Query has not yet finished. Current state: {current}")
    # the header row is row 0 of the first page and counts toward MaxResults, as in Athena
    header = [column["Label"] for column in query.columns]
    table = [header, *query.rows]
    offset = _offset(query, request.get("NextToken"))
    chosen = table[offset : offset + size]
    answer: dict[str, Any] = {
        "UpdateCount": 0,
        "ResultSet": {
            "Rows": [
                {"Data": [{} if value is None else {"VarCharValue": value} for value in row]}
                for row in chosen
            ],
            "ResultSetMetadata": {"ColumnInfo": query.columns},
        },
    }
    if offset + size < len(table):
        answer["NextToken"] = _token(query.id, offset + size)
    return answer


def _stop(state: AthenaState, request: Mapping[str, Any]) -> dict[str, Any]:
    query = _find(state, request)
    with state.lock:
        if not _finished_for_caller(state, query):  # stopping an ended query changes nothing
            query.state, query.reason = "CANCELLED", "Query was cancelled by user"
            query.polls = state.polls_queued + state.polls_running  # the next poll sees it
    return {}


OPERATIONS = {
    "StartQueryExecution": _start,
    "GetQueryExecution": _describe,
    "GetQueryResults": _results,
    "StopQueryExecution": _stop,
}


def answer(state: AthenaState, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
    """The answer to one Athena request (its JSON body); raises InvalidRequest as Athena would."""
    handler = OPERATIONS.get(operation)
    if handler is None:
        raise InvalidRequest(f"the stand-in does not answer {operation}")
    return handler(state, request)


def _answerer(state: AthenaState) -> Answerer:
    def answerer(operation: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            return 200, answer(state, operation, request)
        except InvalidRequest as exc:
            error = {"__type": "InvalidRequestException", "Message": str(exc)}
            return 400, {**error, "AthenaErrorCode": "INVALID_INPUT"}

    return answerer


@contextmanager
def athena_server(state: AthenaState | None = None) -> Iterator[tuple[str, AthenaState]]:
    """Serve the Athena stand-in on a free loopback port: yields its URL and its state."""
    state = state or AthenaState()
    with json_api_server(_answerer(state)) as url:
        yield url, state
