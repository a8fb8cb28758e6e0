"""The CUR source's local engine: each Parquet object streamed to a temporary file, aggregated by
DuckDB with the shared SELECT, only the aggregates handed back to Python."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from collector.cur_rows import ExportObject
from collector.cur_settings import CurExportConfig
from collector.cur_sql import genai_lines_sql, quote
from core.aws import translated_errors

log = logging.getLogger(__name__)

CHUNK = 1 << 20  # bytes per write while streaming an object to disk


@dataclass
class PeriodRead:
    """A period's SELECT rows per data object, or why the period could not be read."""

    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    error: str | None = None


def download(s3: Any, bucket: str, key: str, path: str) -> int:
    """Stream one object to ``path`` chunk by chunk (never whole in memory); returns its bytes."""
    with translated_errors("s3", "GetObject"):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        written = 0
        with open(path, "wb") as out:
            for chunk in body.iter_chunks(CHUNK):
                out.write(chunk)
                written += len(chunk)
    return written


def read_object(s3: Any, bucket: str, key: str) -> bytes:
    """A small object (a manifest) whole."""
    with translated_errors("s3", "GetObject"):
        return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


class LocalEngine:
    """Aggregates a billing period's Parquet files on this machine with DuckDB.

    DuckDB streams row groups and keeps only the group-by state; ``memory_limit`` caps it (it
    spills to the temporary folder past that), so memory stays flat whatever the export's size.
    """

    def __init__(
        self, s3: Any, export: CurExportConfig, tag_key: str, extra_services: Sequence[str]
    ) -> None:
        self.s3 = s3
        self.export = export
        self.tag_key = tag_key
        self.extra_services = list(extra_services)

    def _connect(self, folder: str) -> duckdb.DuckDBPyConnection:
        connection = duckdb.connect(
            ":memory:",
            config={
                "memory_limit": self.export.memory_limit,
                "threads": self.export.threads,
                "temp_directory": os.path.join(folder, "spill"),
            },
        )
        # usage start dates are UTC: a timestamp-with-zone column must not be cast in local time
        connection.execute("SET TimeZone = 'UTC'")
        return connection

    def read_period(self, billing_period: str, files: Sequence[ExportObject]) -> PeriodRead:
        """Every data file of a period, one at a time: its aggregated rows, or the first failure."""
        result = PeriodRead()
        with tempfile.TemporaryDirectory(prefix="genai-cur-") as folder:
            connection = self._connect(folder)
            try:
                for number, obj in enumerate(files):
                    path = os.path.join(folder, f"{number:05d}.parquet")
                    download(self.s3, self.export.bucket, obj.key, path)
                    try:
                        result.rows[obj.key] = self._aggregate(connection, path, billing_period)
                    except duckdb.Error as exc:
                        text = str(exc).replace(path, obj.key).strip()
                        reason = text.splitlines()[0] if text else type(exc).__name__
                        result.error = (
                            f"billing period {billing_period}: s3://{self.export.bucket}/{obj.key} "
                            f"cannot be read as CUR 2.0 Parquet ({reason}); the period keeps the "
                            "lines loaded before"
                        )
                        return result
                    finally:
                        os.remove(path)
            finally:
                connection.close()
        return result

    def _aggregate(
        self, connection: duckdb.DuckDBPyConnection, path: str, billing_period: str
    ) -> list[tuple[Any, ...]]:
        sql = genai_lines_sql(
            f"read_parquet({quote(path)})",
            billing_period,
            tag_key=self.tag_key,
            extra_services=self.extra_services,
            dialect="duckdb",
        )
        return connection.execute(sql).fetchall()
