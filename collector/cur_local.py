"""The CUR source's local engine: a billing period's Parquet objects streamed to a temporary file
one at a time, each aggregated by DuckDB with the shared SELECT into a small partial file, the
partials re-aggregated day by day into the period's cost lines, which the load reads back in
batches. Memory holds one data file's groups or one day's, never a period's: it is flat in the
number of files, whatever the export's size."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow.parquet as pq

from collector.cur_rows import ExportObject
from collector.cur_settings import CurExportConfig
from collector.cur_sql import OUTPUT_COLUMNS, genai_lines_sql, merged_lines_sql, quote
from core.aws import translated_errors

log = logging.getLogger(__name__)

CHUNK = 1 << 20  # bytes per write while streaming an object to disk
BATCH_LINES = 10_000  # cost lines per batch read back from the aggregated file


def _nothing() -> None:
    return None


@dataclass
class PeriodRead:
    """A period's aggregated SELECT rows (``OUTPUT_COLUMNS`` order, to be read once), each data
    object's line count where the engine knows it, or why the period could not be read.

    ``cleanup`` removes what the read left on disk; the load calls it once the rows are in."""

    rows: Iterable[Sequence[Any]] = ()
    object_lines: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    cleanup: Callable[[], None] = _nothing


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


def batches(path: str) -> Iterator[tuple[Any, ...]]:
    """The aggregated lines in ``path``, a batch at a time, as tuples in ``OUTPUT_COLUMNS`` order."""
    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches(batch_size=BATCH_LINES, columns=list(OUTPUT_COLUMNS)):
        yield from zip(*(column.to_pylist() for column in batch.columns), strict=True)


def unreadable(billing_period: str, bucket: str, key: str, reason: str) -> str:
    """The error of a period one of whose objects is not CUR 2.0 Parquet."""
    return (
        f"billing period {billing_period}: s3://{bucket}/{key} cannot be read as CUR 2.0 "
        f"Parquet ({reason}); the period keeps the lines loaded before"
    )


def first_line(text: str, fallback: str) -> str:
    """The first line of an error message (DuckDB's run on with context)."""
    text = text.strip()
    return text.splitlines()[0] if text else fallback


class LocalEngine:
    """Aggregates a billing period's Parquet files on this machine with DuckDB.

    One data file is on disk at a time (disk: its compressed size, plus the partials, a small
    fraction of it). DuckDB streams each file row group by row group and keeps only its
    group-by state, which ``memory_limit`` caps (it spills to the folder past that). The lines
    go to Parquet files, read back in batches by the load: Python never holds a period.
    """

    def __init__(
        self,
        s3: Any,
        export: CurExportConfig,
        tag_key: str,
        extra_services: Sequence[str],
        default_teams: Mapping[str, str] | None = None,
    ) -> None:
        self.s3 = s3
        self.export = export
        self.tag_key = tag_key
        self.extra_services = list(extra_services)
        self.default_teams = dict(default_teams or {})

    def _connect(self, folder: str) -> duckdb.DuckDBPyConnection:
        connection = duckdb.connect(
            ":memory:",
            config={
                "memory_limit": self.export.memory_limit,
                "threads": self.export.threads,
                "temp_directory": os.path.join(folder, "spill"),
                # the result's order does not matter: let DuckDB stream it out as it comes
                "preserve_insertion_order": False,
            },
        )
        # usage start dates are UTC: a timestamp-with-zone column must not be cast in local time
        connection.execute("SET TimeZone = 'UTC'")
        # read a row group's pages as they are needed, not its column chunks at once
        connection.execute("SET disable_parquet_prefetching = true")
        return connection

    def read_period(self, billing_period: str, files: Sequence[ExportObject]) -> PeriodRead:
        """The period's data files aggregated one by one, then day by day; or the first failure."""
        lines = AggregatedLines(tempfile.mkdtemp(prefix="genai-cur-"))
        result = PeriodRead(cleanup=lines.remove)
        connection = self._connect(lines.folder)
        try:
            partials = []
            for number, obj in enumerate(files):
                partial = self._partial(connection, billing_period, obj, number, lines, result)
                if partial is None:
                    return result
                partials.append(partial)
            if partials:
                self._merge(connection, partials, lines)
                result.rows = lines
        finally:
            connection.close()
            if result.error is not None:
                lines.remove()
        return result

    def _partial(
        self,
        connection: duckdb.DuckDBPyConnection,
        billing_period: str,
        obj: ExportObject,
        number: int,
        lines: AggregatedLines,
        result: PeriodRead,
    ) -> str | None:
        """One data file downloaded, its GenAI lines aggregated into a partial file, the download
        removed; None (and ``result.error``) when the object is not CUR 2.0 Parquet."""
        path = os.path.join(lines.folder, f"{number:05d}.parquet")
        partial = os.path.join(lines.folder, f"partial-{number:05d}.parquet")
        download(self.s3, self.export.bucket, obj.key, path)
        sql = genai_lines_sql(
            f"read_parquet({quote(path)})",
            billing_period,
            tag_key=self.tag_key,
            extra_services=self.extra_services,
            default_teams=self.default_teams,
            dialect="duckdb",
        )
        try:
            # the footer first: a truncated or foreign object fails here, with a plain reason
            result.object_lines[obj.key] = pq.read_metadata(path).num_rows
            connection.execute(f"COPY ({sql}) TO {quote(partial)} (FORMAT PARQUET)")
        except (OSError, ValueError, duckdb.Error) as exc:
            reason = first_line(str(exc).replace(path, obj.key), type(exc).__name__)
            result.error = unreadable(billing_period, self.export.bucket, obj.key, reason)
            return None
        finally:
            os.remove(path)
        return partial

    @staticmethod
    def _merge(
        connection: duckdb.DuckDBPyConnection, partials: list[str], lines: AggregatedLines
    ) -> None:
        """The partial files re-aggregated one day at a time (a day's groups, not a month's, are
        held at once) into the lines' files; the partials removed."""
        relation = "read_parquet([" + ", ".join(quote(path) for path in partials) + "])"
        # a day's groups are small whatever the export: the merge may use every core
        connection.execute(f"SET threads = {max(os.cpu_count() or 1, 1)}")
        days = connection.execute(f"SELECT DISTINCT day FROM {relation} ORDER BY day").fetchall()
        for number, (day,) in enumerate(days):
            output = os.path.join(lines.folder, f"lines-{number:03d}.parquet")
            sql = merged_lines_sql(relation, day)
            connection.execute(f"COPY ({sql}) TO {quote(output)} (FORMAT PARQUET)")
            lines.paths.append(output)
        for path in partials:
            os.remove(path)


class AggregatedLines:
    """A period's aggregated lines in Parquet files (one per day) of a temporary folder, read in
    batches; the folder is removed by ``remove`` or, at the latest, when this object is collected."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.paths: list[str] = []  # one file per day, in day order
        self.remove = weakref.finalize(self, shutil.rmtree, folder, ignore_errors=True)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        for path in self.paths:
            yield from batches(path)
