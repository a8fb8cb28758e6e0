"""What the Athena stand-in reads: Glue tables (moto's Glue) over Parquet files (moto's S3 or a
local folder), fetched as Athena would at query time, and where it writes each result CSV.

Athena resolves a table through the Glue Data Catalog (GetDatabase, GetTable, GetPartitions)
and reads the objects under its location with the caller's credentials; this module does the
same through the one client factory, so the calls show up where the IAM test records them.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from core.aws import ClientFactory, Target

ACCOUNT = "123456789012"
# the identifiers after FROM / JOIN: the tables a query reads (quoted or not, with or without schema)
_TABLE_REFERENCE = re.compile(
    r'\b(?:from|join)\s+(?:"?([A-Za-z0-9_-]+)"?\s*\.\s*)?"?([A-Za-z0-9_-]+)"?', re.IGNORECASE
)


class CatalogError(Exception):
    """A table or schema the query names does not exist: Athena fails the query with this reason."""


def s3_parts(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> (bucket, prefix)."""
    parts = urlsplit(url)
    return parts.netloc, parts.path.lstrip("/")


def referenced_tables(sql: str, default_database: str) -> set[tuple[str, str]]:
    """Every (database, table) a query reads; CTE names and sub-queries are not tables."""
    ctes = {name.lower() for name in re.findall(r"\b([A-Za-z0-9_]+)\s+as\s*\(", sql, re.I)}
    found: set[tuple[str, str]] = set()
    for schema, table in _TABLE_REFERENCE.findall(sql):
        if not schema and table.lower() in ctes:
            continue
        found.add(((schema or default_database).lower(), table.lower()))
    return found


@dataclass
class Catalog:
    """Glue lookups and S3 reads for the stand-in; ``locations`` overrides Glue with local folders."""

    region: str = "us-east-1"
    locations: dict[str, str] = field(default_factory=dict)  # "db.table" -> local folder
    clients: ClientFactory = field(default_factory=ClientFactory)
    cache: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="athena-standin-")))

    def _client(self, service: str) -> Any:
        return self.clients(service, Target(ACCOUNT, self.region))

    def files(self, database: str, table: str) -> tuple[list[str], int]:
        """The Parquet files behind a table, on local disk, and the bytes they hold."""
        local = self.locations.get(f"{database}.{table}")
        if local is not None:
            paths = sorted(str(path) for path in Path(local).rglob("*.parquet"))
            return paths, sum(Path(path).stat().st_size for path in paths)
        files: list[str] = []
        size = 0
        for location in self._glue_locations(database, table):
            found, scanned = self._download(location)
            files.extend(found)
            size += scanned
        return files, size

    def _glue_locations(self, database: str, table: str) -> list[str]:
        glue = self._client("glue")
        try:
            glue.get_database(Name=database)
        except glue.exceptions.EntityNotFoundException as exc:
            raise CatalogError(
                f"SCHEMA_NOT_FOUND: line 1:1: Schema '{database}' does not exist"
            ) from exc
        try:
            answer = glue.get_table(DatabaseName=database, Name=table)["Table"]
        except glue.exceptions.EntityNotFoundException as exc:
            raise CatalogError(
                f"TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.{database}.{table}' does not exist"
            ) from exc
        if not answer.get("PartitionKeys"):
            return [answer["StorageDescriptor"]["Location"]]
        locations: list[str] = []
        for page in glue.get_paginator("get_partitions").paginate(
            DatabaseName=database, TableName=table
        ):
            locations.extend(p["StorageDescriptor"]["Location"] for p in page["Partitions"])
        return sorted(locations)

    def _download(self, location: str) -> tuple[list[str], int]:
        """Every Parquet object under an S3 location, fetched once per ETag into the cache."""
        s3 = self._client("s3")
        bucket, prefix = s3_parts(location)
        files: list[str] = []
        size = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                if not item["Key"].endswith(".parquet"):
                    continue
                # keep the key's folders: DuckDB reads hive partitions (BILLING_PERIOD=...) from them
                etag = item["ETag"].strip('"')
                path = self.cache / bucket / etag / item["Key"]
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                    path.write_bytes(body)
                files.append(str(path))
                size += int(item["Size"])
        return files, size

    def write_result(self, output: str, query_id: str, csv_text: str) -> str:
        """Store the result CSV where Athena would: ``<output>/<query id>.csv``; its S3 URL."""
        bucket, prefix = s3_parts(output)
        key = f"{prefix.rstrip('/')}/{query_id}.csv".lstrip("/")
        s3 = self._client("s3")
        try:
            # Athena checks the output bucket's region before it writes there
            s3.get_bucket_location(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key=key, Body=csv_text.encode())
        except ClientError as exc:
            raise CatalogError(f"Unable to verify/create output bucket {bucket}") from exc
        return f"s3://{bucket}/{key}"


def register_table(
    database: str,
    table: str,
    location: str,
    partitions: list[tuple[str, str]] | None = None,
    region: str = "us-east-1",
) -> None:
    """Create a Glue database and table over an export's S3 location, as a Glue crawler would:
    with ``partitions`` [(billing period, its S3 folder)] the table is partitioned by period."""
    glue = ClientFactory()("glue", Target(ACCOUNT, region))
    try:
        glue.create_database(DatabaseInput={"Name": database})
    except glue.exceptions.AlreadyExistsException:
        pass
    table_input: dict[str, Any] = {
        "Name": table,
        "StorageDescriptor": {"Location": location, "Columns": []},
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet"},
    }
    if partitions:
        table_input["PartitionKeys"] = [{"Name": "billing_period", "Type": "string"}]
    glue.create_table(DatabaseName=database, TableInput=table_input)
    for period, folder in partitions or []:
        glue.create_partition(
            DatabaseName=database,
            TableName=table,
            PartitionInput={"Values": [period], "StorageDescriptor": {"Location": folder}},
        )
