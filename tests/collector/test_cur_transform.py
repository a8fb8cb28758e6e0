"""The CUR source's pure parts: the shared SELECT on DuckDB, the listing, and rows -> cost_lines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import duckdb
import pyarrow as pa

from collector.cur_rows import (
    ExportObject,
    changed,
    cost_line_rows,
    manifest_files,
    model_of,
    parse_listing,
)
from collector.cur_sql import OUTPUT_COLUMNS, genai_lines_sql, merged_lines_sql
from demo.cur import CurLine, cur_table, manifest

ACCOUNT = "123456789012"
COLLECTED = datetime(2026, 11, 3, tzinfo=UTC)
HOUR = datetime(2026, 10, 3, 5, tzinfo=UTC)


def run_sql(lines, period="2026-10", patch=None, asked=None, **options):
    table = cur_table(lines, period)
    for name, values in (patch or {}).items():
        column = table.schema.get_field_index(name)
        table = table.set_column(column, name, pa.array(values, type=table.schema.field(name).type))
    connection = duckdb.connect()
    connection.register("cur", table)
    return [
        dict(zip(OUTPUT_COLUMNS, row, strict=True))
        for row in connection.execute(genai_lines_sql("cur", asked or period, **options)).fetchall()
    ]


def line(line_type="Usage", unblended="1", **extra):
    return CurLine(
        HOUR,
        ACCOUNT,
        "AmazonSageMaker",
        "Amazon SageMaker",
        "USE1-Host:ml.m5.large",
        Decimal(unblended),
        line_type=line_type,
        **extra,
    )


def test_amortized_cost_follows_the_documented_rule_per_line_type():
    lines = [
        line("SavingsPlanCoveredUsage", "1.41", savings_plan_effective=Decimal("0.98")),
        line("SavingsPlanNegation", "-1.41"),
        line("DiscountedUsage", "0", reservation_effective=Decimal("0.55")),
        line("RIFee", "10"),
        line("Fee", "100"),
        line("Credit", "-2.5"),
        line("Tax", "0.3"),
    ]
    patch = {
        "reservation_unused_amortized_upfront_fee_for_billing_period": [None] * 3
        + [1.25]
        + [None] * 3,
        "reservation_unused_recurring_fee": [None] * 3 + [0.5] + [None] * 3,
        "reservation_reservation_a_r_n": [None] * 4
        + ["arn:aws:sagemaker:reservation/x"]
        + [None] * 2,
    }
    amortized = {row["line_type"]: row["amortized_usd"] for row in run_sql(lines, patch=patch)}
    assert amortized == {
        "SavingsPlanCoveredUsage": Decimal("0.98"),
        "SavingsPlanNegation": Decimal(0),
        "DiscountedUsage": Decimal("0.55"),
        "RIFee": Decimal("1.75"),
        "Fee": Decimal(0),
        "Credit": Decimal("-2.5"),
        "Tax": Decimal("0.3"),
    }


def test_the_select_keeps_genai_lines_of_the_period_and_sums_exactly():
    lines = [
        CurLine(
            HOUR,
            ACCOUNT,
            "AmazonBedrock",
            "Amazon Bedrock",
            "USE1-Nova-input-tokens",
            Decimal("0.1000000001"),
            tags={"team": "search"},
        ),
        CurLine(
            HOUR,
            ACCOUNT,
            "AmazonBedrock",
            "Amazon Bedrock",
            "USE1-Nova-input-tokens",
            Decimal("0.2000000002"),
            tags={"team": "search"},
            net=Decimal("0.15"),
        ),
        CurLine(
            HOUR,
            ACCOUNT,
            "prod-x",
            "Llama 9 (Amazon Bedrock Edition)",
            "USE1-MP:Units",
            Decimal("3"),
        ),
        CurLine(HOUR, ACCOUNT, "AmazonES", "Amazon OpenSearch Service", "ES:OCU", Decimal("4")),
        CurLine(
            HOUR, ACCOUNT, "AmazonEC2", "Amazon Elastic Compute Cloud", "BoxUsage", Decimal("5")
        ),
    ]
    rows = run_sql(lines, extra_services=["Amazon OpenSearch Service"])
    by_service = {row["service"]: row for row in rows}
    assert set(by_service) == {
        "Amazon Bedrock",
        "Llama 9 (Amazon Bedrock Edition)",
        "Amazon OpenSearch Service",
    }
    nova = by_service["Amazon Bedrock"]
    assert (nova["unblended_usd"], nova["net_usd"], nova["team"]) == (
        Decimal("0.3000000003"),
        Decimal("0.2500000001"),
        "search",
    )
    assert by_service["Llama 9 (Amazon Bedrock Edition)"]["team"] == "unattributed"
    assert run_sql(lines, extra_services=[]) != rows
    assert run_sql(lines, asked="2026-09") == []


def test_the_athena_dialect_reads_maps_with_element_at_and_filters_the_partition():
    sql = genai_lines_sql(
        '"cid"."cur2"', "2026-10", dialect="athena", partition_column="billing_period"
    )
    assert "element_at(resource_tags, 'user_team')" in sql and "['" not in sql
    assert "billing_period = '2026-10'" in sql and 'FROM "cid"."cur2"' in sql
    assert "resource_tags['user_team']" in genai_lines_sql("cur", "2026-10")


def test_tag_else_account_default_else_unattributed_and_lines_meeting_in_a_team_are_summed():
    other = "999999999999"
    tokens = "USE1-Claude3Haiku-input-tokens"
    lines = [
        CurLine(
            HOUR,
            ACCOUNT,
            "AmazonBedrock",
            "Amazon Bedrock",
            tokens,
            Decimal("1.5"),
            tags={"team": "platform"},
        ),
        # untagged in an account whose default team is platform: meets the tagged line
        CurLine(HOUR, ACCOUNT, "AmazonBedrock", "Amazon Bedrock", tokens, Decimal("1.25")),
        # a blank tag and a tag too long to be a team name fall back like no tag
        CurLine(
            HOUR,
            ACCOUNT,
            "AmazonBedrock",
            "Amazon Bedrock",
            tokens,
            Decimal("0.5"),
            tags={"team": "  "},
        ),
        CurLine(
            HOUR,
            ACCOUNT,
            "AmazonBedrock",
            "Amazon Bedrock",
            tokens,
            Decimal("0.25"),
            tags={"team": "x" * 65},
        ),
        CurLine(HOUR, other, "AmazonBedrock", "Amazon Bedrock", tokens, Decimal("2")),
        CurLine(
            HOUR,
            other,
            "AmazonBedrock",
            "Amazon Bedrock",
            tokens,
            Decimal("3"),
            tags={"team": " search "},
        ),
    ]
    selected = run_sql(lines, default_teams={ACCOUNT: "platform", "111111111111": "o'hare"})
    rows = list(
        cost_line_rows(
            ([row[name] for name in OUTPUT_COLUMNS] for row in selected), "2026-10", COLLECTED
        )
    )
    assert sorted((r["account_id"], r["team"], r["unblended_usd"]) for r in rows) == [
        (ACCOUNT, "platform", Decimal("3.5")),
        (other, "search", Decimal("3")),
        (other, "unattributed", Decimal("2")),
    ]
    platform = next(r for r in rows if r["team"] == "platform")
    assert platform["model"] == "Claude3Haiku" and platform["source"] == "cur"
    assert platform["billing_period"] == "2026-10" and platform["collected_at"] == COLLECTED
    assert platform["product_code"] == "AmazonBedrock"


def test_partial_results_merged_day_by_day_equal_one_query_over_every_file():
    lines = [
        CurLine(
            HOUR.replace(day=day),
            ACCOUNT,
            "AmazonBedrock",
            "Amazon Bedrock",
            "USE1-Nova-input-tokens",
            Decimal(f"0.{day}000000001"),
            tags=tags,
        )
        for day in (3, 4)
        for tags in ({"team": "search"}, {})
    ]
    first, second = cur_table(lines[:3], "2026-10"), cur_table(lines[1:], "2026-10")
    connection = duckdb.connect()
    connection.register("a", first)
    connection.register("b", second)
    connection.execute(f"CREATE TABLE partials AS {genai_lines_sql('a', '2026-10')}")
    connection.execute(f"INSERT INTO partials {genai_lines_sql('b', '2026-10')}")
    merged = [
        row
        for day in (date(2026, 10, 3), date(2026, 10, 4))
        for row in connection.execute(merged_lines_sql("partials", day)).fetchall()
    ]
    union = "(SELECT * FROM a UNION ALL SELECT * FROM b)"
    whole = connection.execute(genai_lines_sql(union, "2026-10")).fetchall()
    assert sorted(merged, key=str) == sorted(whole, key=str)
    assert len(whole) == 4 and sum(row[9] for row in whole) == sum(
        line.unblended for line in lines[:3] + lines[1:]
    )


def test_model_from_marketplace_service_or_bedrock_usage_type():
    assert (
        model_of("Claude 3.5 Sonnet (Amazon Bedrock Edition)", "USE1-MP:X") == "Claude 3.5 Sonnet"
    )
    assert model_of("Amazon Bedrock", "USE1-Claude4Sonnet-input-tokens-cross-region-global") == (
        "Claude4Sonnet"
    )
    assert model_of("Amazon Bedrock", "USE1-ProvisionedThroughput") is None
    assert model_of("Amazon SageMaker", "USE1-Host:ml.m5.large") is None


def test_listing_groups_the_export_by_period_and_detects_new_changed_and_gone_objects():
    when = datetime(2026, 10, 4, 1, 2, 3, tzinfo=UTC)
    base = "cur2/genai/"
    contents = [
        {
            "Key": f"{base}data/BILLING_PERIOD=2026-10/genai-00001.snappy.parquet",
            "ETag": '"a"',
            "LastModified": when,
            "Size": 10,
        },
        {
            "Key": f"{base}metadata/BILLING_PERIOD=2026-10/genai-Manifest.json",
            "ETag": '"m"',
            "LastModified": when,
            "Size": 5,
        },
        {
            "Key": f"{base}data/BILLING_PERIOD=2026-09/genai-00001.snappy.parquet",
            "ETag": '"b"',
            "LastModified": when,
            "Size": 10,
        },
        {
            "Key": "cur2/other/data/BILLING_PERIOD=2026-10/other-00001.snappy.parquet",
            "ETag": '"c"',
            "LastModified": when,
            "Size": 10,
        },
    ]
    periods = parse_listing(contents, base)
    assert sorted(periods) == ["2026-09", "2026-10"]
    october = periods["2026-10"]
    assert [obj.kind for obj in october] == ["data", "metadata"] and october[0].is_parquet
    stored = {obj.key: (obj.etag, obj.last_modified.replace(tzinfo=None)) for obj in october}
    assert not changed(october, stored)
    assert changed(october, {**stored, "gone": ("x", when)})
    assert changed(october[:1], stored)
    assert changed(
        [ExportObject(october[0].key, "new", when, 1, "2026-10", "data"), october[1]], stored
    )


def test_manifest_names_the_period_data_files():
    keys = ["p/genai/data/BILLING_PERIOD=2026-10/genai-00001.snappy.parquet"]
    import json

    text = json.dumps(manifest("bucket", keys, "2026-10", "genai"))
    assert manifest_files(text, "bucket") == keys
    assert manifest_files("not json", "bucket") is None
    assert manifest_files('{"columns": []}', "bucket") is None
