"""The one SELECT that turns a CUR 2.0 export into GenAI cost lines, for DuckDB and for Athena.

``genai_lines_sql(relation, billing_period, tag_key=..., extra_services=..., default_teams=...,
dialect=..., partition_column=...)`` returns SQL that runs unchanged on DuckDB (the local engine, over a
``read_parquet([...])`` scan) and on Amazon Athena (Trino, over the export's Glue table). Both
engines get their SQL here, so they cannot drift. The only dialect difference is map access
(DuckDB ``m['k']`` gives NULL for a missing key, Trino's ``m['k']`` fails on it and
``element_at`` is the safe form there, while DuckDB's ``element_at`` returns a list): it is
confined to :func:`map_value`.

What the SELECT does:

* filters to one billing period (``bill_billing_period_start_date`` within the month, plus
  ``<partition_column> = 'YYYY-MM'`` when the table is partitioned, as the Data Exports Glue
  table is by ``billing_period``) and to GenAI lines: Bedrock (product codes ``AmazonBedrock``,
  ``AmazonBedrockService``, ``AmazonBedrockFoundationModels``, the service ``Amazon Bedrock`` and
  every Marketplace "<model> (Amazon Bedrock Edition)" service), SageMaker, and the configured
  extra services (matched on the service name or the product code);
* names the service as CUR does: ``product['product_name']``, else ``product['servicename']``,
  else the product code (CUR 2.0 keeps both names in its ``product`` map column);
* resolves the team in SQL: the ``user_<tag_key>`` resource tag (trimmed, 1 to 64
  characters), else the account's default team (``default_teams``), else ``unattributed``;
* groups by exactly `cost_lines`'s key (day, account, region, service, usage type, resource
  id, IAM principal, team, line item type) and returns, in :data:`OUTPUT_COLUMNS` order, the
  sums of unblended, net unblended (the unblended cost where the net column is empty),
  amortized and public on-demand (list) cost, the usage amount, the pricing unit and the
  product code. No two rows share a key, so rows go to the table as they stream out, with no
  merging in Python (memory stays flat whatever the export's size).

The amortized rule (as AWS's Cloud Intelligence Dashboards compute it):

=============================  ============================================================
line item type                 amortized cost
=============================  ============================================================
SavingsPlanCoveredUsage        ``savings_plan_savings_plan_effective_cost``
SavingsPlanNegation            0 (it undoes the covered line's on-demand cost)
SavingsPlanUpfrontFee          0 (spread over the covered lines' effective cost)
SavingsPlanRecurringFee        the unused commitment: total commitment to date - used
DiscountedUsage                ``reservation_effective_cost``
RIFee                          the unused part: unused amortized upfront + unused recurring fee
Fee with a reservation ARN     0 (a reservation's upfront fee, spread over its usage)
anything else                  ``line_item_unblended_cost`` (usage, tax, credit, refund, ...)
=============================  ============================================================

Sources of the column names: the CUR 2.0 table dictionary
(docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2*.html: bill, line item,
pricing, product, reservation, savings plan and resource tags columns; ``product`` and
``resource_tags`` are MAP<string,string>), ``line_item_iam_principal`` from the caller identity
option (dataexports-migrate.html); the ``product['product_name']`` and ``product['servicename']``
keys and the ``user_`` prefix of user tags in ``resource_tags`` as the Cloud Intelligence
Dashboards map legacy CUR's ``product_product_name``, ``product_servicename`` and
``resource_tags_user_<key>`` (aws-samples/aws-cudos-framework-deployment cid/helpers/cur_proxy.py),
and the amortized rule as their summary_view (cid/builtin/core/data/queries/cid/summary_view.sql).

Money is cast to DECIMAL(38, 10) before summing (CUR writes doubles): sums are exact to the
cent whatever the engine's float summation order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Literal

from core.settings import UNATTRIBUTED

Dialect = Literal["duckdb", "athena"]

BEDROCK_PRODUCT_CODES = ("AmazonBedrock", "AmazonBedrockService", "AmazonBedrockFoundationModels")
SAGEMAKER_PRODUCT_CODE = "AmazonSageMaker"
GENAI_SERVICES = ("Amazon Bedrock", "Amazon SageMaker")
MARKETPLACE_PATTERN = "%(Amazon Bedrock Edition)"
USER_TAG_PREFIX = "user_"  # CUR 2.0 keeps user-defined cost allocation tags as user_<key>

# the SELECT's columns, in order
OUTPUT_COLUMNS = (
    "day",
    "account_id",
    "region",
    "service",
    "usage_type",
    "resource_id",
    "principal",
    "team",
    "line_type",
    "unblended_usd",
    "net_usd",
    "amortized_usd",
    "list_usd",
    "usage_quantity",
    "pricing_unit",
    "product_code",
)

KEY_COLUMNS = OUTPUT_COLUMNS[:9]  # cost_lines's key, less its source
SUMMED_COLUMNS = ("unblended_usd", "net_usd", "amortized_usd", "list_usd", "usage_quantity")

MAX_TEAM_LENGTH = 64  # cost_lines.team: a longer tag value is not a team name

MONEY = "DECIMAL(38, 10)"


def quote(value: str) -> str:
    """A SQL string literal (standard quoting: both engines double the quote)."""
    return "'" + value.replace("'", "''") + "'"


def map_value(column: str, key: str, dialect: Dialect) -> str:
    """The value of ``key`` in a MAP<string,string> column, NULL when absent, in the dialect."""
    if dialect == "athena":
        return f"element_at({column}, {quote(key)})"
    return f"{column}[{quote(key)}]"


def _money(column: str) -> str:
    return f"CAST(COALESCE({column}, 0) AS {MONEY})"


def amortized_expression() -> str:
    """The amortized cost of one line (the rule in the module docstring)."""
    line_type = "line_item_line_item_type"
    return (
        "CASE"
        f" WHEN {line_type} = 'SavingsPlanCoveredUsage'"
        f" THEN {_money('savings_plan_savings_plan_effective_cost')}"
        f" WHEN {line_type} IN ('SavingsPlanNegation', 'SavingsPlanUpfrontFee') THEN CAST(0 AS {MONEY})"
        f" WHEN {line_type} = 'SavingsPlanRecurringFee'"
        f" THEN {_money('savings_plan_total_commitment_to_date')}"
        f" - {_money('savings_plan_used_commitment')}"
        f" WHEN {line_type} = 'DiscountedUsage' THEN {_money('reservation_effective_cost')}"
        f" WHEN {line_type} = 'RIFee'"
        f" THEN {_money('reservation_unused_amortized_upfront_fee_for_billing_period')}"
        f" + {_money('reservation_unused_recurring_fee')}"
        f" WHEN {line_type} = 'Fee' AND COALESCE(reservation_reservation_a_r_n, '') <> ''"
        f" THEN CAST(0 AS {MONEY})"
        f" ELSE {_money('line_item_unblended_cost')} END"
    )


def service_expression(dialect: Dialect) -> str:
    """The service name as CUR names it: the product name, its service name, or the product code."""
    return (
        f"COALESCE(NULLIF({map_value('product', 'product_name', dialect)}, ''),"
        f" NULLIF({map_value('product', 'servicename', dialect)}, ''), line_item_product_code)"
    )


def genai_filter(service: str, extra_services: Sequence[str]) -> str:
    """The WHERE condition keeping GenAI lines: Bedrock (Marketplace too), SageMaker, the extras."""
    codes = (*BEDROCK_PRODUCT_CODES, SAGEMAKER_PRODUCT_CODE, *extra_services)
    names = (*GENAI_SERVICES, *extra_services)
    return (
        f"(line_item_product_code IN ({', '.join(quote(code) for code in codes)})"
        f" OR {service} IN ({', '.join(quote(name) for name in names)})"
        f" OR {service} LIKE {quote(MARKETPLACE_PATTERN)})"
    )


def team_expression(tag_key: str, default_teams: Mapping[str, str], dialect: Dialect) -> str:
    """The line's team: its tag (trimmed, 1 to 64 characters), else its account's default team,
    else unattributed."""
    tag = f"TRIM({map_value('resource_tags', USER_TAG_PREFIX + tag_key, dialect)})"
    fallback = quote(UNATTRIBUTED)
    if default_teams:
        cases = " ".join(
            f"WHEN {quote(account)} THEN {quote(team)}"
            for account, team in sorted(default_teams.items())
        )
        fallback = f"CASE line_item_usage_account_id {cases} ELSE {fallback} END"
    return f"CASE WHEN LENGTH({tag}) BETWEEN 1 AND {MAX_TEAM_LENGTH} THEN {tag} ELSE {fallback} END"


def period_bounds(billing_period: str) -> tuple[date, date]:
    """The first day of a ``YYYY-MM`` billing period and of the next one."""
    year, month = (int(part) for part in billing_period.split("-"))
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following


def genai_lines_sql(
    relation: str,
    billing_period: str,
    *,
    tag_key: str = "team",
    extra_services: Sequence[str] = (),
    default_teams: Mapping[str, str] | None = None,
    dialect: Dialect = "duckdb",
    partition_column: str | None = None,
) -> str:
    """The SELECT of one billing period's GenAI lines, aggregated (see the module docstring).

    ``relation`` is put in the FROM clause as given: ``read_parquet([...])`` for DuckDB, a
    (quoted) ``database.table`` for Athena. ``billing_period`` is ``YYYY-MM``.
    """
    first, following = period_bounds(billing_period)
    service = service_expression(dialect)
    keys = {
        "day": "CAST(line_item_usage_start_date AS DATE)",
        "account_id": "COALESCE(line_item_usage_account_id, '')",
        "region": "COALESCE(product_region_code, '')",
        "service": f"COALESCE({service}, '')",
        "usage_type": "COALESCE(line_item_usage_type, '')",
        "resource_id": "COALESCE(line_item_resource_id, '')",
        "principal": "COALESCE(line_item_iam_principal, '')",
        "team": team_expression(tag_key, default_teams or {}, dialect),
        "line_type": "COALESCE(line_item_line_item_type, '')",
    }
    measures = {
        "unblended_usd": f"SUM({_money('line_item_unblended_cost')})",
        "net_usd": (
            "SUM(CAST(COALESCE(line_item_net_unblended_cost, line_item_unblended_cost, 0)"
            f" AS {MONEY}))"
        ),
        "amortized_usd": f"SUM({amortized_expression()})",
        "list_usd": f"SUM({_money('pricing_public_on_demand_cost')})",
        "usage_quantity": f"SUM({_money('line_item_usage_amount')})",
        "pricing_unit": "MAX(pricing_unit)",
        "product_code": "MAX(COALESCE(line_item_product_code, ''))",
    }
    where = [
        f"bill_billing_period_start_date >= TIMESTAMP {quote(first.isoformat() + ' 00:00:00')}",
        f"bill_billing_period_start_date < TIMESTAMP {quote(following.isoformat() + ' 00:00:00')}",
        genai_filter(service, extra_services),
    ]
    if partition_column:
        where.insert(0, f"{partition_column} = {quote(billing_period)}")
    select = ",\n  ".join(
        [f"{expression} AS {name}" for name, expression in keys.items()]
        + [f"{expression} AS {name}" for name, expression in measures.items()]
    )
    group = ", ".join(str(position) for position in range(1, len(keys) + 1))
    return (
        f"SELECT\n  {select}\nFROM {relation}\nWHERE "
        + "\n  AND ".join(where)
        + f"\nGROUP BY {group}"
    )


def merged_lines_sql(relation: str, day: date) -> str:
    """The SELECT that re-aggregates partial results of :func:`genai_lines_sql` (one per data
    file) for one day: sums of the sums on the same key, so the rows equal one query's."""
    measures = [f"SUM({name}) AS {name}" for name in SUMMED_COLUMNS] + [
        "MAX(pricing_unit) AS pricing_unit",
        "MAX(product_code) AS product_code",
    ]
    group = ", ".join(str(position) for position in range(1, len(KEY_COLUMNS) + 1))
    return (
        f"SELECT {', '.join(KEY_COLUMNS)}, {', '.join(measures)}\nFROM {relation}\n"
        f"WHERE day = DATE {quote(day.isoformat())}\nGROUP BY {group}"
    )
