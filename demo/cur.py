"""Writes AWS Data Exports CUR 2.0 exports (Parquet + manifest) into S3, for tests, the demo and bench.

The layout is the one Data Exports delivers (overwrite mode):
``<prefix>/<export>/data/BILLING_PERIOD=YYYY-MM/<export>-00001.snappy.parquet`` and
``<prefix>/<export>/metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json`` (both paths as
docs.aws.amazon.com/cur/latest/userguide/dataexports-export-delivery.html gives them). AWS
documents what the manifest holds (the export's columns, its data files with their paths, the
period covered, and an ``additionalOutputFiles`` section when Athena or Redshift integration is
on) but not its key names nor the data files' names: the keys and names here are stand-ins, and
the collector depends on neither (it takes every string ending in .parquet). The Parquet files
carry CUR 2.0's column names and types (costs as doubles, rates as strings, timestamps,
``product``, ``resource_tags`` and ``cost_category`` as MAP<string,string>); the columns the
monitor does not read are present and empty, as in a real export with nothing to say there.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from core.aws import ClientFactory, Target
from core.services import BEDROCK_SERVICE as BEDROCK
from core.services import SAGEMAKER_SERVICE as SAGEMAKER
from demo.generate import World, usage_unit
from demo.world import ACCOUNT, REGION_CODES

STRING_MAP = pa.map_(pa.string(), pa.string())
TIMESTAMP = pa.timestamp("ms")

# CUR 2.0 columns (the static schema's groups), name -> Arrow type. Every name is in the CUR 2.0
# table (docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2*.html; the full column
# list of a COST_AND_USAGE_REPORT export query); line_item_iam_principal is the column the
# caller identity (IAM principal) allocation option adds (dataexports-migrate.html). Rates are
# strings as in CUR, savings_plan_savings_plan_rate excepted (a double, as the Cloud Intelligence
# Dashboards' CUR 2.0 table types it: aws-samples/aws-cudos-framework-deployment cid/helpers/cur.py)
_STRINGS = """
identity_line_item_id identity_time_interval bill_bill_type bill_billing_entity bill_invoice_id
bill_invoicing_entity bill_payer_account_id bill_payer_account_name line_item_availability_zone
line_item_blended_rate line_item_currency_code line_item_legal_entity line_item_line_item_description
line_item_line_item_type line_item_net_unblended_rate line_item_operation line_item_product_code
line_item_resource_id line_item_tax_type line_item_unblended_rate line_item_usage_account_id
line_item_usage_account_name line_item_usage_type line_item_iam_principal pricing_currency
pricing_lease_contract_length pricing_offering_class pricing_public_on_demand_rate
pricing_purchase_option pricing_rate_code pricing_rate_id pricing_term pricing_unit product_comment
product_fee_code product_fee_description product_from_location product_from_location_type
product_from_region_code product_instance_family product_instance_type product_instanceSKU
product_location product_location_type product_operation product_pricing_unit
product_product_family product_region_code product_servicecode product_sku product_to_location
product_to_location_type product_to_region_code product_usagetype reservation_reservation_a_r_n
reservation_subscription_id savings_plan_offering_type savings_plan_payment_option
savings_plan_purchase_term savings_plan_region savings_plan_savings_plan_a_r_n
""".split()
_DOUBLES = """
discount_bundled_discount discount_total_discount line_item_blended_cost
line_item_net_unblended_cost line_item_normalization_factor line_item_normalized_usage_amount
line_item_unblended_cost line_item_usage_amount pricing_public_on_demand_cost
reservation_amortized_upfront_cost_for_usage reservation_effective_cost
reservation_recurring_fee_for_usage reservation_unused_amortized_upfront_fee_for_billing_period
reservation_unused_quantity reservation_unused_recurring_fee
savings_plan_amortized_upfront_commitment_for_billing_period savings_plan_net_savings_plan_effective_cost
savings_plan_recurring_commitment_for_billing_period savings_plan_savings_plan_effective_cost
savings_plan_savings_plan_rate savings_plan_total_commitment_to_date savings_plan_used_commitment
""".split()
_TIMESTAMPS = """
bill_billing_period_end_date bill_billing_period_start_date line_item_usage_end_date
line_item_usage_start_date
""".split()
_MAPS = "cost_category product resource_tags".split()
_DOUBLE_MAPS = ["discount"]

SCHEMA = pa.schema(
    sorted(
        [(name, pa.string()) for name in _STRINGS]
        + [(name, pa.float64()) for name in _DOUBLES]
        + [(name, TIMESTAMP) for name in _TIMESTAMPS]
        + [(name, STRING_MAP) for name in _MAPS]
        + [(name, pa.map_(pa.string(), pa.float64())) for name in _DOUBLE_MAPS]
    )
)


@dataclass(frozen=True)
class CurLine:
    """One CUR 2.0 line item, described by what the monitor reads (the rest stays empty)."""

    start: datetime  # the usage hour (UTC)
    account_id: str
    product_code: str
    service: str  # product['product_name'], as CUR names the service
    usage_type: str
    unblended: Decimal
    line_type: str = "Usage"
    region: str = "us-east-1"
    resource_id: str = ""
    principal: str = ""
    tags: dict[str, str] = field(default_factory=dict)  # user tags, without the user_ prefix
    net: Decimal | None = None  # net unblended; None: as unblended
    savings_plan_effective: Decimal | None = None
    reservation_effective: Decimal | None = None
    public_on_demand: Decimal | None = None
    usage_amount: Decimal = Decimal(0)
    pricing_unit: str = ""
    operation: str = ""
    description: str = ""
    billing_entity: str = "AWS"


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _row(line: CurLine, period_start: datetime, number: int) -> dict[str, Any]:
    start = line.start.astimezone(UTC).replace(tzinfo=None)
    period = period_start.replace(tzinfo=None)
    following = (period + timedelta(days=32)).replace(day=1)
    return {
        "identity_line_item_id": f"line-{number:08d}",
        "identity_time_interval": f"{start.isoformat()}Z/{(start + timedelta(hours=1)).isoformat()}Z",
        "bill_bill_type": "Anniversary",
        "bill_billing_entity": line.billing_entity,
        "bill_payer_account_id": line.account_id,
        "bill_billing_period_start_date": period,
        "bill_billing_period_end_date": following,
        "line_item_usage_start_date": start,
        "line_item_usage_end_date": start + timedelta(hours=1),
        "line_item_usage_account_id": line.account_id,
        "line_item_product_code": line.product_code,
        "line_item_usage_type": line.usage_type,
        "line_item_operation": line.operation,
        "line_item_line_item_type": line.line_type,
        "line_item_line_item_description": line.description,
        "line_item_resource_id": line.resource_id or None,
        "line_item_iam_principal": line.principal or None,
        "line_item_unblended_cost": _float(line.unblended),
        "line_item_net_unblended_cost": _float(line.unblended if line.net is None else line.net),
        "line_item_usage_amount": _float(line.usage_amount),
        "line_item_currency_code": "USD",
        "pricing_unit": line.pricing_unit or None,
        "pricing_public_on_demand_cost": _float(line.public_on_demand),
        "savings_plan_savings_plan_effective_cost": _float(line.savings_plan_effective),
        "reservation_effective_cost": _float(line.reservation_effective),
        "product_region_code": line.region or None,
        "product_servicecode": line.product_code,
        "product_usagetype": line.usage_type,
        "product": [("product_name", line.service), ("servicename", line.service)],
        "resource_tags": [(f"user_{key}", value) for key, value in sorted(line.tags.items())],
        "cost_category": [],
        "discount": [],
    }


def cur_table(lines: Sequence[CurLine], billing_period: str) -> pa.Table:
    """The CUR 2.0 Arrow table of ``lines`` for a ``YYYY-MM`` billing period."""
    period_start = datetime.strptime(billing_period + "-01", "%Y-%m-%d")
    rows = [_row(line, period_start, number) for number, line in enumerate(lines)]
    columns = {name: [row.get(name) for row in rows] for name in SCHEMA.names}
    return pa.table(columns, schema=SCHEMA)


def parquet_bytes(lines: Sequence[CurLine], billing_period: str) -> bytes:
    """One Parquet file (snappy, as Data Exports writes) holding ``lines``."""
    buffer = io.BytesIO()
    pq.write_table(cur_table(lines, billing_period), buffer, compression="snappy")
    return buffer.getvalue()


def data_key(prefix: str, export_name: str, billing_period: str, number: int = 1) -> str:
    """The key of a period's numbered data file."""
    base = f"{prefix.strip('/')}/{export_name}" if prefix.strip("/") else export_name
    return f"{base}/data/BILLING_PERIOD={billing_period}/{export_name}-{number:05d}.snappy.parquet"


def manifest_key(prefix: str, export_name: str, billing_period: str) -> str:
    """The key of a period's manifest."""
    base = f"{prefix.strip('/')}/{export_name}" if prefix.strip("/") else export_name
    return f"{base}/metadata/BILLING_PERIOD={billing_period}/{export_name}-Manifest.json"


def manifest(
    bucket: str, keys: Iterable[str], billing_period: str, export_name: str
) -> dict[str, Any]:
    """A period's manifest: the export's columns, its data files and the period it covers."""
    start = datetime.strptime(billing_period + "-01", "%Y-%m-%d").replace(tzinfo=UTC)
    end = (start + timedelta(days=32)).replace(day=1)
    return {
        "exportName": export_name,
        "executionId": f"{export_name}-{billing_period}",
        "billingPeriod": {"start": start.isoformat(), "end": end.isoformat()},
        "columns": [{"name": f.name, "type": str(f.type)} for f in SCHEMA],
        "dataFiles": [f"s3://{bucket}/{key}" for key in keys],
    }


def write_export(
    s3: Any,
    bucket: str,
    prefix: str,
    export_name: str,
    billing_period: str,
    lines: Sequence[CurLine],
    *,
    files: int = 1,
) -> list[str]:
    """Write (overwrite) one billing period of an export: ``files`` data files and the manifest."""
    chunks = [list(lines[number::files]) for number in range(files)]
    keys = [data_key(prefix, export_name, billing_period, n + 1) for n in range(files)]
    for key, chunk in zip(keys, chunks, strict=True):
        s3.put_object(Bucket=bucket, Key=key, Body=parquet_bytes(chunk, billing_period))
    body = json.dumps(manifest(bucket, keys, billing_period, export_name), indent=2)
    s3.put_object(Bucket=bucket, Key=manifest_key(prefix, export_name, billing_period), Body=body)
    return keys


# the demo's export: the organisation's CUR 2.0 bill, consistent with its Cost Explorer answers
DEMO_BUCKET = "genai-demo-cur"
DEMO_PREFIX = "cur2"
DEMO_EXPORT = "genai"
_PRODUCT_CODES = {BEDROCK: "AmazonBedrock", SAGEMAKER: "AmazonSageMaker"}


def _region_of(usage_type: str) -> str:
    """The region a usage type's prefix names (``USE1-...`` -> us-east-1)."""
    code = usage_type.split("-", 1)[0]
    return next((r for r, c in REGION_CODES.items() if c == code), "us-east-1")


def _tags(team_key: str) -> dict[str, str]:
    tag, _, value = team_key.partition("$")
    return {tag: value} if value else {}


def world_lines(world: World) -> dict[str, list[CurLine]]:
    """The world's bill as CUR 2.0 lines per billing period: Bedrock and Marketplace lines as
    Cost Explorer reports them, SageMaker per endpoint with its ARN as the resource id."""
    periods: dict[str, list[CurLine]] = {}
    for item in world.cost_items():
        if item.service == SAGEMAKER:
            continue
        start = datetime(item.day.year, item.day.month, item.day.day, tzinfo=UTC)
        code = _PRODUCT_CODES.get(item.service, "prod-" + item.service.split()[0].lower())
        periods.setdefault(f"{item.day:%Y-%m}", []).append(
            CurLine(
                start,
                ACCOUNT,
                code,
                item.service,
                item.usage_type,
                item.amount,
                region=_region_of(item.usage_type),
                tags=_tags(item.team_key),
                public_on_demand=item.amount,
                usage_amount=item.quantity,
                pricing_unit=item.unit,
            )
        )
    for (day, usage, team_key, region, name), amount in sorted(world.endpoint_costs.items()):
        if amount <= 0:
            continue
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        arn = f"arn:aws:sagemaker:{region}:{ACCOUNT}:endpoint/{name.lower()}"
        periods.setdefault(f"{day:%Y-%m}", []).append(
            CurLine(
                start,
                ACCOUNT,
                _PRODUCT_CODES[SAGEMAKER],
                SAGEMAKER,
                usage,
                amount,
                region=region,
                resource_id=arn,
                tags=_tags(team_key),
                public_on_demand=amount,
                pricing_unit=usage_unit(usage),
            )
        )
    return periods


def seed_cur(world: World, clients: ClientFactory | None = None) -> int:
    """Write the world's CUR 2.0 export into the stand-in's S3; returns the lines written."""
    s3 = (clients or ClientFactory())("s3", Target(ACCOUNT, "us-east-1"))
    s3.create_bucket(Bucket=DEMO_BUCKET)
    periods = world_lines(world)
    for period, lines in sorted(periods.items()):
        write_export(s3, DEMO_BUCKET, DEMO_PREFIX, DEMO_EXPORT, period, lines)
    return sum(len(lines) for lines in periods.values())
