"""The FOCUS 1.2 column list, the validator that fails on a wrong name, type or value, and the
mapping of each CUR line type."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from importlib import resources

import pytest
import yaml

from core.focus.mapping import FocusContext, focus_record, resource_parts, token_type, tokens
from core.focus.spec import SPEC_FILE, focus_spec, parse_spec
from core.focus.validate import as_text, check_header, check_rows
from core.queries.billing import BilledLine, month_bounds, parse_month, previous_month

MANDATORY = {
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
    "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost",
    "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory",
    "ServiceName",
}  # fmt: skip


def line(**changes) -> BilledLine:
    base = dict(
        day=date(2026, 3, 5),
        source="cur",
        account_id="111122223333",
        region="us-east-1",
        service="Amazon Bedrock",
        usage_type="USE1-Claude3.5Sonnet-input-tokens",
        resource_id="",
        principal="arn:aws:iam::111122223333:role/search-app",
        team="search",
        line_type="Usage",
        billing_period="2026-03",
        product_code="AmazonBedrock",
        model="anthropic.claude-3-5-sonnet-20240620-v1:0",
        unblended=Decimal("1.2345678901"),
        net=None,
        amortized=None,
        list_cost=None,
        quantity=Decimal("12.5"),
        pricing_unit="1K tokens",
    )
    return BilledLine(**(base | changes))


def text_row(record):
    return {name: as_text(record.get(name)) for name in focus_spec().names}


def record_of(**changes):
    return focus_record(line(**changes), FocusContext({"111122223333": "prod"}), False)


def test_the_spec_has_the_mandatory_columns_and_closed_value_sets():
    spec = focus_spec()
    assert spec.version == "1.2"
    assert {c.name for c in spec.columns if c.level == "Mandatory"} == MANDATORY
    assert spec.column("ChargeCategory").allowed == (
        "Usage",
        "Purchase",
        "Tax",
        "Credit",
        "Adjustment",
    )
    assert (
        spec.column("ChargeClass").allowed == ("Correction",)
        and spec.column("ChargeClass").nullable
    )
    assert spec.column("BilledCost").type == "Decimal" and not spec.column("BilledCost").nullable
    assert spec.column("Tags").type == "JSON"
    assert "AI and Machine Learning" in spec.column("ServiceCategory").allowed
    assert "Generative AI" in spec.subcategories["AI and Machine Learning"]
    custom = [c.name for c in spec.columns if c.level == "Custom"]
    assert custom and all(name.startswith("x_") for name in custom)


# facts read off the FOCUS_Spec repository at tag v1.2 (specification/columns/*.md)
def test_the_spec_matches_the_published_1_2_text():
    spec = focus_spec()
    assert len([c for c in spec.columns if c.level != "Custom"]) == 57  # one file per column
    recommended = {c.name for c in spec.columns if c.level == "Recommended"}
    assert recommended == {"AvailabilityZone", "ChargeFrequency", "InvoiceId", "ServiceSubcategory"}
    assert spec.column("PricingCategory").allowed == ("Standard", "Dynamic", "Committed", "Other")
    assert spec.column("CommitmentDiscountStatus").allowed == ("Used", "Unused")
    assert spec.column("CapacityReservationStatus").allowed == ("Used", "Unused")
    assert spec.column("CommitmentDiscountCategory").allowed == ("Spend", "Usage")
    # "Allows nulls: False" although Recommended / Conditional
    assert not spec.column("ServiceSubcategory").nullable
    assert not spec.column("BillingAccountType").nullable
    assert not spec.column("ChargeFrequency").nullable
    # Mandatory yet nullable
    assert all(spec.column(n).nullable for n in ("PricingQuantity", "PricingUnit", "ChargeClass"))
    assert spec.column("ConsumedQuantity").level == "Conditional"
    assert spec.column("SkuPriceDetails").type == "JSON"
    assert spec.column("BillingPeriodStart").type == "DateTime"
    assert len(spec.subcategories) == 19 and sum(map(len, spec.subcategories.values())) == 82
    raw = yaml.safe_load(resources.files("core.focus").joinpath(SPEC_FILE).read_text("utf-8"))
    since = {name: item["since"] for name, item in raw["columns"].items()}
    assert (since["BilledCost"], since["ChargeClass"], since["ListCost"]) == (
        "0.5",
        "1.0",
        "1.0-preview",
    )
    assert (since["SkuMeter"], since["InvoiceId"], since["PricingCurrency"]) == (
        "1.1",
        "1.2",
        "1.2",
    )


def test_a_custom_column_without_the_x_prefix_is_refused():
    raw = {
        "version": "1.2",
        "currency_pattern": ".*",
        "datetime_pattern": ".*",
        "subcategories": {},
        "columns": {},
        "custom": {"Team": {"type": "String", "nullable": True}},
    }
    with pytest.raises(ValueError, match="must start with x_"):
        parse_spec(raw)


def test_a_mapped_line_validates():
    assert check_rows(focus_spec().names, [text_row(record_of())]) == []


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("ChargeCategory", "Usages", "is not one of Usage, Purchase, Tax, Credit, Adjustment"),
        ("ChargeClass", "Fix", "is not one of Correction"),
        ("ChargeFrequency", "Monthly", "is not one of One-Time, Recurring, Usage-Based"),
        ("BilledCost", "1.2e3", "is not a decimal number"),
        ("BilledCost", "35.2E+7", "is not a decimal number"),  # the exponent's sign only if < 0
        ("BilledCost", "1,5", "is not a decimal number"),
        ("BilledCost", None, "is null, and the column may not be"),
        ("ChargePeriodStart", "2026-03-05 00:00:00", "is not an ISO 8601 UTC time"),
        ("Tags", "team=search", "is not JSON"),
        ("Tags", "[1]", "is not a JSON object"),
        ("Tags", '{"team": ["a", "b"]}', "has an object or array value"),
        ("ServiceCategory", "GenAI", "is not one of AI and Machine Learning"),
    ],
)
def test_a_wrong_value_fails(column, value, problem):
    row = text_row(record_of()) | {column: value}
    found = check_rows(focus_spec().names, [row])[0]  # then what follows from it, if anything
    assert found.startswith(f"row 1: {column} ") and problem in found


def test_wrong_names_fail():
    names = [n for n in focus_spec().names if n != "BilledCost"] + ["Team", "x_Anything"]
    problems = check_header(names, focus_spec())
    assert problems == [
        "mandatory column 'BilledCost' is missing",
        "column 'Team' is not a FOCUS 1.2 column (custom ones start with x_)",
    ]
    assert check_header([*focus_spec().names, "EffectiveCost"], focus_spec()) == [
        "column 'EffectiveCost' appears twice"
    ]


def test_cross_column_rules_fail():
    row = text_row(record_of(line_type="Tax")) | {"ConsumedQuantity": "3"}
    assert "row 1: ConsumedQuantity must be null when ChargeCategory is not Usage" in check_rows(
        focus_spec().names, [row]
    )
    row = text_row(record_of()) | {"ServiceSubcategory": "Search"}
    assert check_rows(focus_spec().names, [row]) == [
        "row 1: ServiceSubcategory 'Search' is not a subcategory of 'AI and Machine Learning'"
    ]
    row = text_row(record_of()) | {"BillingCurrency": "usd", "CommitmentDiscountType": "x"}
    assert len(check_rows(focus_spec().names, [row])) == 2
    row = text_row(record_of()) | {"ChargePeriodEnd": "2026-03-05T00:00:00Z"}
    assert "is not after ChargePeriodStart" in check_rows(focus_spec().names, [row])[0]


@pytest.mark.parametrize(
    ("line_type", "changes", "problem"),
    [
        ("Usage", {"PricingCategory": None}, "PricingCategory must not be null on a Usage row"),
        ("Fee", {"ChargeFrequency": "Usage-Based"}, "must not be Usage-Based when ChargeCategory is Purchase"),
        ("Tax", {"PricingCategory": "Standard"}, "PricingCategory must be null when ChargeCategory is Tax"),
        ("Usage", {"ConsumedUnit": None}, "ConsumedUnit must be null exactly when ConsumedQuantity is null"),
        ("Usage", {"PricingUnit": None}, "PricingUnit must be null exactly when PricingQuantity is null"),
        ("Usage", {"BillingAccountType": None}, "BillingAccountType must be null exactly when"),
        ("Usage", {"CommitmentDiscountId": "sp-1", "CommitmentDiscountCategory": "Spend",
                   "CommitmentDiscountType": "Savings Plan"}, "CommitmentDiscountStatus must not be null"),
        ("Usage", {"CommitmentDiscountName": "mine"}, "CommitmentDiscountName must be null when"),
        ("Usage", {"SkuMeter": "Input Tokens"}, "SkuMeter must be null when SkuId is null"),
    ],
)  # fmt: skip
def test_the_1_2_cross_column_rules(line_type, changes, problem):
    row = text_row(record_of(line_type=line_type))
    assert check_rows(focus_spec().names, [row]) == []
    problems = check_rows(focus_spec().names, [row | changes])
    assert any(problem in found for found in problems), problems


def test_e_notation_is_a_decimal():
    row = text_row(record_of()) | {"ListCost": "35.2E-7", "x_Tokens": "4"}
    assert check_rows(focus_spec().names, [row]) == []


@pytest.mark.parametrize(
    ("line_type", "category", "frequency"),
    [
        ("Usage", "Usage", "Usage-Based"),
        ("DiscountedUsage", "Usage", "Usage-Based"),
        ("SavingsPlanCoveredUsage", "Usage", "Usage-Based"),
        ("SavingsPlanNegation", "Usage", "Usage-Based"),
        ("RIFee", "Purchase", "Recurring"),
        ("SavingsPlanRecurringFee", "Purchase", "Recurring"),
        ("Fee", "Purchase", "One-Time"),
        ("Tax", "Tax", "One-Time"),
        ("Credit", "Credit", "One-Time"),
        ("EdpDiscount", "Credit", "One-Time"),
        ("Refund", "Adjustment", "One-Time"),
        ("SomethingNew", "Adjustment", "One-Time"),
        (None, "Usage", "Usage-Based"),  # Cost Explorer
    ],
)
def test_line_types_map_to_charge_categories(line_type, category, frequency):
    record = record_of(line_type=line_type)
    assert (record["ChargeCategory"], record["ChargeFrequency"]) == (category, frequency)
    assert check_rows(focus_spec().names, [text_row(record)]) == []


def test_savings_plan_lines():
    covered = record_of(
        line_type="SavingsPlanCoveredUsage",
        unblended=Decimal("2.0000000001"),
        amortized=Decimal("1.2345678901"),
        list_cost=Decimal("2.5"),
    )
    assert covered["BilledCost"] == Decimal("2.0000000001")
    assert covered["EffectiveCost"] == Decimal("1.2345678901")
    assert covered["ListCost"] == Decimal("2.5") and covered["PricingCategory"] == "Committed"
    negation = record_of(
        line_type="SavingsPlanNegation", unblended=Decimal("-2.0000000001"), amortized=None
    )
    assert negation["BilledCost"] == Decimal("-2.0000000001")
    assert negation["EffectiveCost"] == 0 and negation["ListCost"] == 0
    assert negation["ConsumedQuantity"] is None and negation["x_Tokens"] is None
    arn = "arn:aws:savingsplans::111122223333:savingsplan/3f1c"
    fee = record_of(line_type="SavingsPlanRecurringFee", resource_id=arn, quantity=None)
    assert (fee["CommitmentDiscountId"], fee["CommitmentDiscountCategory"]) == (arn, "Spend")
    assert fee["ChargeCategory"] == "Purchase" and fee["PricingCategory"] == "Standard"
    assert negation["PricingCategory"] == "Committed"


def test_a_line_of_an_earlier_day_is_a_correction():
    record = record_of(line_type="Refund", day=date(2026, 2, 27), unblended=Decimal("-0.5"))
    assert record["ChargeClass"] == "Correction"
    assert as_text(record["BillingPeriodStart"]) == "2026-03-01T00:00:00Z"
    assert as_text(record["ChargePeriodStart"]) == "2026-02-27T00:00:00Z"
    assert record_of()["ChargeClass"] is None


def test_net_cost_is_billed_and_the_columns_of_a_usage_line():
    record = record_of(net=Decimal("1.1"), list_cost=None)
    assert record["BilledCost"] == Decimal("1.1") and record["x_UnblendedCost"] == Decimal(
        "1.2345678901"
    )
    assert record["ListCost"] == Decimal("1.2345678901") and record["ContractedCost"] == Decimal(
        "1.1"
    )
    assert record["EffectiveCost"] == Decimal("1.1")
    assert record["ServiceCategory"] == "AI and Machine Learning"
    assert record["ServiceSubcategory"] == "Generative AI"
    assert (record["RegionId"], record["RegionName"]) == ("us-east-1", "US East (N. Virginia)")
    assert (record["SubAccountName"], record["BillingAccountName"]) == ("prod", "prod")
    assert record["Tags"] == '{"team": "search"}' and record["x_Team"] == "search"
    assert (record["x_TokenType"], record["x_Tokens"]) == ("input", Decimal("12500.0"))
    assert record["x_IamPrincipal"] == "arn:aws:iam::111122223333:role/search-app"
    assert record_of(team="unattributed")["Tags"] == "{}"
    assert (record["BillingAccountType"], record["SubAccountType"]) == (
        "Payer Account",
        "Membership Account",
    )
    assert record["PricingCurrency"] == "USD" and record["PricingCurrencyEffectiveCost"] == Decimal(
        "1.1"
    )
    assert record["PricingCategory"] == "Standard"
    assert record_of(line_type=None)["PricingCategory"] == "Standard"  # Cost Explorer
    tax = record_of(line_type="Tax", usage_type="", quantity=None)
    assert (tax["PricingCategory"], tax["PricingQuantity"], tax["ConsumedQuantity"]) == (None,) * 3


def test_services_resources_and_tokens():
    market = record_of(service="Claude 3.5 Sonnet (Amazon Bedrock Edition)")
    assert (
        market["PublisherName"] == "Anthropic" and market["ServiceSubcategory"] == "Generative AI"
    )
    arn = "arn:aws:sagemaker:us-east-1:111122223333:endpoint/search-ranker"
    sage = record_of(
        service="Amazon SageMaker", resource_id=arn, usage_type="USE1-Host:ml.g5.xlarge"
    )
    assert (sage["ResourceType"], sage["ResourceName"], sage["ResourceId"]) == (
        "endpoint",
        "search-ranker",
        arn,
    )
    assert sage["ServiceSubcategory"] == "Machine Learning" and sage["x_TokenType"] is None
    search = record_of(service="Amazon OpenSearch Service", usage_type="USE1-SearchOCU")
    assert (search["ServiceCategory"], search["ServiceSubcategory"]) == ("Analytics", "Search")
    assert record_of(region="")["RegionId"] is None
    assert resource_parts("arn:aws:bedrock:us-east-1:1:provisioned-model/abc") == (
        "provisioned-model",
        "abc",
    )
    assert resource_parts("i-123") == (None, "i-123")
    assert token_type("USE1-MP:USE1_InputTokenCount-Units") == "input"
    assert token_type("USE1-Claude4Sonnet-output-tokens") == "output"
    assert token_type("USE1-MP:USE1_CacheReadInputTokenCount-Units") == "cache_read"
    assert token_type("USE1-MP:USE1_CacheWrite1h-Units") == "cache_write"
    assert tokens(line(pricing_unit="1M tokens", quantity=Decimal("0.5")), "input") == Decimal(
        "500000.0"
    )


def test_months():
    assert parse_month("2026-03") == "2026-03"
    assert month_bounds("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    assert previous_month(date(2026, 1, 15)) == "2025-12"
    assert previous_month(date(2026, 3, 1)) == "2026-02"
    for bad, message in (
        ("2026-13", "expected a month like 2026-03, got '2026-13'"),
        ("March", "expected a month like 2026-03, got 'March'"),
        ("1999-12", "month 1999-12 is before 2000"),
    ):
        with pytest.raises(ValueError, match=message):
            parse_month(bad)
    with pytest.raises(ValueError, match="month 2026-04 has not begun yet"):
        parse_month("2026-04", date(2026, 3, 31))
