"""Where the billing lines come from: `collection.costs.source`, `.cur`, `.engine` and `.athena`.

These models are fields of `collection.costs` (the Cost Explorer source's settings, which
holds the billing configuration as a whole); the `cur` source reads them from there and has
only its schedule under `collection.cur`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from core.settings import Duration

BillingSource = Literal["cost_explorer", "cur"]
DEFAULT_SOURCES: tuple[BillingSource, ...] = ("cost_explorer",)


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CurExportConfig(_Settings):
    """`collection.costs.cur`: the Data Exports CUR 2.0 export to read (Parquet, overwrite mode)."""

    bucket: str = Field(min_length=3)
    prefix: str = ""  # the export's S3 prefix, as set when creating it
    export_name: str = Field(min_length=1)
    # the account that owns the bucket (its configured role is assumed); absent: the first account
    account: str | None = None
    region: str = "us-east-1"  # the bucket's region
    # DuckDB's limits while aggregating a data file: it spills to disk past the memory limit, and
    # each thread decodes a row group of its own on top of it (the day-by-day merge of the files'
    # partial results uses every core: its state is one day's groups). bench/cur.py: 64MB and two
    # threads keep a 5 GB export within 1.2x of a 50 MB one's peak, at 0.66x DuckDB's own speed
    memory_limit: str = "64MB"
    threads: int = Field(default=2, ge=1)
    # periods older than this many months are left as loaded (AWS restates the last few only)
    months: int = Field(default=13, ge=1)


class AthenaConfig(_Settings):
    """`collection.costs.athena`: where the export's Glue table is queried with Athena."""

    workgroup: str = "primary"
    database: str = Field(min_length=1)
    table: str = Field(min_length=1)
    # s3://bucket/prefix/ for the query results; absent: the workgroup's own result location
    output: str | None = Field(default=None, pattern=r"^s3://[^/]+")
    region: str | None = None  # absent: the export's bucket region
    # a query still running this long after it started fails its billing period
    timeout: Duration = timedelta(minutes=10)
    # the Glue table's partition column holding YYYY-MM (a crawler names the export's
    # BILLING_PERIOD= folders so); null when the table is not partitioned
    partition_column: str | None = "billing_period"


def _sources(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Sources = Annotated[list[BillingSource], BeforeValidator(_sources)]


class BillingSettings(_Settings):
    """The billing-source fields of `collection.costs` (mixed into its settings model)."""

    # cost_explorer, cur, or both as a list: both may run; every figure says which it comes from
    source: Sources = Field(default_factory=lambda: list(DEFAULT_SOURCES), min_length=1)
    cur: CurExportConfig | None = None
    engine: Literal["local", "athena"] = "local"
    athena: AthenaConfig | None = None

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if "cur" in self.source and self.cur is None:
            raise ValueError(
                "source cur needs cur: {bucket, prefix, export_name} (the Data Exports export)"
            )
        if self.engine == "athena" and self.athena is None:
            raise ValueError("engine athena needs athena: {workgroup, database, table, output}")
        return self
