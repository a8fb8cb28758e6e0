"""`export focus`: a month's billed GenAI lines as a FOCUS 1.2 dataset (CSV or Parquet), validated
against the column list before a byte is written."""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from core.chargeback import shared_reason
from core.focus.mapping import FocusContext, focus_record
from core.focus.spec import FocusSpec, focus_spec
from core.focus.validate import as_text, check_rows
from core.queries.billing import CUR, month_lines
from core.settings import MonitorConfig
from monitor.export import output

FORMATS = ("csv", "parquet")
_TEN_PLACES = Decimal("1e-10")


class FocusError(Exception):
    """The dataset does not conform to the FOCUS column list: nothing was written."""


@dataclass(frozen=True)
class FocusExport:
    """A month's FOCUS records, where they came from, and the column order."""

    month: str
    source: str
    columns: tuple[str, ...]
    records: list[dict[str, Any]]

    def describe(self) -> str:
        """One line for standard error: how many lines, and from which source."""
        if self.source == CUR:
            origin = "CUR 2.0 line items"
        else:
            origin = (
                "Cost Explorer (no CUR 2.0 lines stored for this month: no line types, resources "
                "or principals; ResourceId is null)"
            )
        return f"FOCUS {focus_spec().version} export of {self.month}: {len(self.records)} line(s) from {origin}"


def focus_export(session: Session, month: str, config: MonitorConfig) -> FocusExport:
    """The month's lines as FOCUS records (every column of the spec, absent ones null)."""
    source, lines = month_lines(session, month)
    context = FocusContext(
        account_names={a.id: a.name for a in config.accounts if a.name},
        tag_key=config.attribution.tag_key,
    )
    spec = focus_spec()
    records = []
    for line in lines:
        found = focus_record(line, context, shared_reason(line, config.chargeback) is not None)
        records.append({name: found.get(name) for name in spec.names})
    return FocusExport(month, source, spec.names, records)


def check(export: FocusExport, spec: FocusSpec | None = None) -> None:
    """Refuse a dataset the validator finds fault with (FocusError with the first problems)."""
    rows = ({name: as_text(value) for name, value in r.items()} for r in export.records)
    problems = check_rows(export.columns, rows, spec)
    if problems:
        raise FocusError("the export does not conform to FOCUS: " + "; ".join(problems[:5]))


def write_csv(export: FocusExport, out: IO[str]) -> None:
    """A header row and one row per line; null is an empty field."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(export.columns)
    for record in export.records:
        writer.writerow([as_text(record[name]) or "" for name in export.columns])


def arrow_table(export: FocusExport, spec: FocusSpec | None = None) -> Any:
    """The records as an Arrow table typed by the spec: decimal(38,10), UTC timestamps, strings."""
    import pyarrow as pa

    spec = spec or focus_spec()
    types = {"Decimal": pa.decimal128(38, 10), "DateTime": pa.timestamp("ms", tz="UTC")}
    arrays, fields = [], []
    for name in export.columns:
        column = spec.column(name)
        kind = types.get(column.type if column else "String", pa.string())
        values = [record[name] for record in export.records]
        if column is not None and column.type == "Decimal":
            values = [None if v is None else v.quantize(_TEN_PLACES) for v in values]
        arrays.append(pa.array(values, type=kind))
        fields.append(pa.field(name, kind, nullable=column.nullable if column else True))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _write_parquet(export: FocusExport, path: Path) -> None:
    """The Parquet file appears whole at ``path`` only once writing succeeded."""
    import pyarrow.parquet as pq

    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(descriptor)
    try:
        pq.write_table(arrow_table(export), temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write(export: FocusExport, fmt: str, path: str | None, stdout: IO[str]) -> None:
    """Validate, then write CSV (to ``path`` or standard output) or Parquet (to ``path``)."""
    check(export)
    if fmt == "parquet":
        if path is None or path == "-":
            raise ValueError("--format parquet needs -o FILE")
        _write_parquet(export, Path(path))
        return
    with output(path, stdout) as out:
        write_csv(export, out)
