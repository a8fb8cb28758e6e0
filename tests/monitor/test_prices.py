"""`prices refresh` against the Price List stand-in, dated prices, and `prices reprice`, on
SQLite and Postgres: every served product stored, idempotent, malformed SKUs reported, a denied
or unreachable Price List leaves the shipped prices in use with one warning."""

from __future__ import annotations

import socket
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from core.models import BedrockUsageHourly, PricePoint
from core.pricing import PriceCatalog
from core.pricing.dated import DatedTokenPrices
from core.pricing.reprice import reprice_bedrock
from core.rollups import rebuild_rollups
from demo.price_list import MALFORMED_SKU, PriceListState, price_list_server, products
from monitor.cli import main
from tests.core.rollup_world import expected_bedrock, stored_bedrock

LLAMA = "meta.llama3-8b-instruct-v1:0"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
CHANGE = datetime(2025, 10, 15, tzinfo=UTC)
CONFIG = "regions: [us-east-1]\nteams: [{name: search}]\n"
# the products a refresh reads: all but the OpenSearch domain instance its usage-type filter
# leaves out at the API (only OCU-hours are asked for)
READ = len(products()) - 1
# the products read that are neither malformed nor unmapped
STORED = READ - 2


@pytest.fixture
def price_list(monkeypatch):
    with price_list_server() as (url, state):
        monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", url)
        yield state


@pytest.fixture
def cli(tmp_path, monkeypatch, database_url, engine):
    def run(*args):
        config = tmp_path / "genai-monitor.yaml"
        config.write_text(CONFIG)
        monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(config))
        monkeypatch.setenv("DATABASE_URL", database_url)
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


def stored_points(sessions):
    with sessions() as session:
        return [
            (
                p.item_kind,
                p.item_key,
                p.region,
                p.dimension,
                p.effective_from,
                p.price_usd,
                p.fetched_at,
            )
            for p in session.scalars(select(PricePoint).order_by(*PricePoint.__table__.primary_key))
        ]


def test_refresh_stores_every_product_it_serves_and_twice_changes_nothing(
    cli, sessions, price_list
):
    first = cli("prices", "refresh")
    assert first.exit_code == 0, first.output
    summary = first.stdout.strip()
    assert summary.startswith(f"{READ} products, {STORED} price points stored ({STORED} new)")
    assert (
        f"1 skipped: malformed SKU {MALFORMED_SKU} (price 'not-a-number' is not a number)"
        in summary
    )
    assert "1 not mapped" in summary
    before = stored_points(sessions)
    assert len(before) == STORED
    assert ("instance", "ml.g4dn.12xlarge", "us-east-1", "hourly") in {p[:4] for p in before}
    assert ("token", f"global.{SONNET}", "us-east-1", "input") in {p[:4] for p in before}
    # OpenSearch Serverless OCU-hours, as core.pricing.ocu reads them
    ocu = {p[2:4]: p[5] for p in before if p[:2] == ("ocu", "opensearch-serverless")}
    assert ocu == {
        ("eu-west-1", "indexing"): Decimal("0.26"),
        ("eu-west-1", "search"): Decimal("0.26"),
        ("us-east-1", "indexing"): Decimal("0.24"),
        ("us-east-1", "search"): Decimal("0.24"),
    }

    second = cli("prices", "refresh")
    assert second.exit_code == 0
    assert f"{STORED} price points stored (0 new)" in second.stdout
    assert stored_points(sessions) == before


def test_the_stand_in_pages_get_products(price_list):
    import boto3

    client = boto3.client("pricing", region_name="us-east-1")
    pages = list(
        client.get_paginator("get_products").paginate(ServiceCode="AmazonBedrock", MaxResults=5)
    )
    served = [p for p in products() if p["serviceCode"] == "AmazonBedrock"]
    assert len(pages) == -(-len(served) // 5)
    assert sum(len(page["PriceList"]) for page in pages) == len(served)
    found = client.get_products(
        ServiceCode="AmazonSageMaker",
        Filters=[{"Type": "TERM_MATCH", "Field": "instanceName", "Value": "ml.g5.4xlarge"}],
    )
    assert len(found["PriceList"]) == 3
    ocus = client.get_products(
        ServiceCode="AmazonES",
        Filters=[{"Type": "CONTAINS", "Field": "usagetype", "Value": "OCU"}],
    )
    assert len(ocus["PriceList"]) == 4  # not the domain instance
    services = client.describe_services()["Services"]
    assert [s["ServiceCode"] for s in services] == sorted(
        [
            "AmazonSageMaker",
            "AmazonBedrock",
            "AmazonBedrockService",
            "AmazonBedrockFoundationModels",
            "AmazonES",
        ]
    )


@pytest.mark.parametrize("failure", ["denied", "unreachable"])
def test_a_closed_price_list_warns_once_and_leaves_the_shipped_prices(
    cli, sessions, monkeypatch, failure
):
    with ExitStack() as stack:
        if failure == "denied":
            url, _state = stack.enter_context(price_list_server(PriceListState(denied=True)))
        else:
            with socket.socket() as probe:  # a loopback port nobody listens on
                probe.bind(("127.0.0.1", 0))
                url = f"http://127.0.0.1:{probe.getsockname()[1]}"
        monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", url)
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
        result = cli("prices", "refresh")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "warning: the AWS Price List is not available" in lines[0]
    assert "the shipped prices stay in use" in lines[0]
    assert stored_points(sessions) == []
    with sessions() as session:
        prices = DatedTokenPrices.load(session, PriceCatalog.load())
    assert prices.price(LLAMA, "us-east-1", CHANGE) == PriceCatalog.load().price(LLAMA, "us-east-1")


def usage_row(hour: datetime, cost: str | None) -> dict:
    return {
        "account_id": "123456789012",
        "region": "us-east-1",
        "model_id": LLAMA,
        "hour": hour,
        "base_model_id": LLAMA,
        "team": "search",
        "input_tokens": 1_000_000,
        "output_tokens": 0,
        "estimated_cost_usd": None if cost is None else Decimal(cost),
        "priced": cost is not None,
        "collected_at": hour,
    }


def costs(sessions) -> dict[datetime, Decimal | None]:
    with sessions() as session:
        rows = session.execute(
            select(BedrockUsageHourly.hour, BedrockUsageHourly.estimated_cost_usd)
        )
        return {hour: cost for hour, cost in rows}


def test_a_price_change_on_day_d_leaves_earlier_hours_at_the_old_price(cli, sessions, price_list):
    assert cli("prices", "refresh").exit_code == 0
    hours = [CHANGE + timedelta(hours=h) for h in (-25, -1, 0, 1, 24)]
    with sessions.begin() as session:
        session.add_all(BedrockUsageHourly(**usage_row(hour, "0.300000")) for hour in hours)
        session.flush()
        rebuild_rollups(session)  # a writer of hourly rows keeps their daily rollups
    price_list.catalog = products(price_change="2025-10-15")
    result = cli("prices", "refresh")
    assert "(2 new)" in result.stdout  # the old points are kept: history
    with sessions() as session:
        prices = DatedTokenPrices.load(session, PriceCatalog.load())
    assert prices.price(LLAMA, "us-east-1", CHANGE - timedelta(hours=1)).input == Decimal("0.3")
    assert prices.price(LLAMA, "us-east-1", CHANGE).input == Decimal("0.4")
    assert prices.price(LLAMA, "eu-west-1", CHANGE).input == Decimal("0.39")
    assert prices.price(f"global.{SONNET}", "us-east-1", CHANGE).input == Decimal("3.0")
    assert prices.price(f"us.{SONNET}", "us-east-1", CHANGE).input == Decimal("3.3")
    assert prices.price(SONNET, "us-east-1", CHANGE, called_as=f"global.{SONNET}").output == 15
    assert costs(sessions) == dict.fromkeys(
        hours, Decimal("0.300000")
    )  # nothing re-priced silently

    result = cli("prices", "reprice", "--since", "2025-10-14", "--until", "2025-10-15T01:00")
    assert result.exit_code == 0, result.output
    assert "2 rows read, 2 re-priced, difference +0.100000 USD" in result.stdout
    after = costs(sessions)
    assert [after[h] for h in hours] == [
        Decimal("0.3"),
        Decimal("0.3"),
        Decimal("0.4"),
        Decimal("0.3"),
        Decimal("0.3"),
    ]
    with sessions() as session:
        row = session.get(BedrockUsageHourly, ("123456789012", "us-east-1", LLAMA, CHANGE))
        assert row.price_source.startswith("aws-price-list AmazonBedrock sku ")
        assert row.price_as_of == "2025-10-15"
        # the re-priced days' rollups moved with their rows (new price source, date and cost)
        assert stored_bedrock(session) == expected_bedrock(session)
        assert any(key[8] == "2025-10-15" for key in stored_bedrock(session))

    result = cli("prices", "reprice", "--since", "2025-10-14")
    assert "4 rows read, 2 re-priced" in result.stdout
    assert costs(sessions)[hours[0]] == Decimal("0.3")  # before --since: untouched


def test_config_overrides_win_over_stored_points(sessions, price_list, cli):
    assert cli("prices", "refresh").exit_code == 0
    from core.settings import PriceOverride

    override = {LLAMA: PriceOverride(input_per_mtok=0.1, output_per_mtok=0.1)}
    with sessions.begin() as session:
        session.add(BedrockUsageHourly(**usage_row(CHANGE, None)))
    with sessions.begin() as session:
        prices = DatedTokenPrices.load(session, PriceCatalog.load(override), override)
        assert prices.price(LLAMA, "us-east-1", CHANGE).input == Decimal("0.1")
        report = reprice_bedrock(session, prices, CHANGE - timedelta(days=1))
    assert (report.rows, report.changed, report.difference) == (1, 1, Decimal("0.1"))


def test_reprice_refuses_an_until_before_since(cli):
    result = cli("prices", "reprice", "--since", "2025-10-15", "--until", "2025-10-14")
    assert result.exit_code == 2


def test_run_refreshes_the_price_list_once_per_cycle_and_carries_on_without_it(
    tmp_path, monkeypatch, database_url, engine, sessions, caplog
):
    from core.settings import EnvSettings
    from monitor.context import AppContext
    from monitor.scheduler import PRICES_JOB, Service, job_specs

    config = tmp_path / "genai-monitor.yaml"
    config.write_text(CONFIG + "pricing: {refresh: {interval: 1d}}\n")
    app = AppContext(EnvSettings(database_url, config, True))
    spec = {s.id: s for s in job_specs(app.config, app.sources())}[PRICES_JOB]
    # weekly by default; the first refresh waits for its boundary (set-up runs `prices refresh`)
    assert spec.interval == timedelta(days=1) and not spec.run_at_start
    with price_list_server(PriceListState(denied=True)) as (url, _state):
        monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", url)
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
        day = datetime(2026, 11, 2, 12, tzinfo=UTC)
        service = Service(app, clock=lambda: day)
        assert service.refresh_prices() == "failed"
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("the shipped prices stay in use" in w for w in warnings), warnings
    assert stored_points(sessions) == []
    app.engine.dispose()
    with price_list_server() as (url, _state):
        monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", url)
        # a process started later: its clients reach the Price List (now available)
        app = AppContext(EnvSettings(database_url, config, True))
        next_day = Service(app, clock=lambda: day + timedelta(days=1))
        assert next_day.refresh_prices() == "succeeded"
        assert len(stored_points(sessions)) == STORED
        # a second process in the same cycle finds it done
        assert Service(app, clock=lambda: day + timedelta(days=1)).refresh_prices() == (
            "held_elsewhere"
        )
    app.engine.dispose()


def test_reprice_prices_an_application_profile_at_its_stored_routing_scope(sessions):
    """A profile copied from ``global.`` Sonnet 4.5 re-prices at 3.00/15.00, not in-region's
    3.30/16.50; a row stored before the routing scope was (None) stays in-region."""
    hour = datetime(2026, 11, 2, 9, tzinfo=UTC)

    def profile_row(model_id: str, routed: str | None) -> dict:
        return usage_row(hour, "0") | {
            "model_id": model_id,
            "base_model_id": SONNET,
            "output_tokens": 1_000_000,
            "routed_model_id": routed,
        }

    with sessions.begin() as session:
        session.add(BedrockUsageHourly(**profile_row("prof-global", f"global.{SONNET}")))
        session.add(BedrockUsageHourly(**profile_row("prof-old", None)))
        prices = DatedTokenPrices.load(session, PriceCatalog.load())
        report = reprice_bedrock(session, prices, hour)
    assert (report.rows, report.changed) == (2, 2)
    with sessions() as session:
        got = {
            row.model_id: (row.estimated_cost_usd, row.priced, row.price_source.split()[0])
            for row in session.scalars(select(BedrockUsageHourly))
        }
    assert got == {
        "prof-global": (Decimal("18"), True, "genai-prices"),
        "prof-old": (Decimal("19.8"), True, "genai-prices"),
    }
