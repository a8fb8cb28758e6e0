"""Billed lines -> FOCUS 1.2 records (pure): charge categories, commitment discounts, services,
regions and resources as FOCUS names them, plus the x_ columns (team, model, tokens, source)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from core.queries.billing import SAVINGS_PLAN_NEGATION, BilledLine, month_bounds
from core.services import MARKETPLACE_SUFFIX, SAGEMAKER_SERVICE, is_bedrock_service
from core.settings import UNATTRIBUTED

PROVIDER = "AWS"
CURRENCY = "USD"
# AWS's names for its billing and sub account constructs, as FOCUS's supporting content lists
# them (FOCUS_Spec v1.2 supporting_content/columns/billingaccounttype.md, subaccounttype.md)
BILLING_ACCOUNT_TYPE = "Payer Account"
SUB_ACCOUNT_TYPE = "Membership Account"

# CUR line_item_line_item_type -> ChargeCategory. Refunds give back earlier charges whose own
# category CUR does not say: Adjustment. Discounts of the bill are Credits.
CHARGE_CATEGORIES = {
    "Usage": "Usage",
    "DiscountedUsage": "Usage",
    "SavingsPlanCoveredUsage": "Usage",
    SAVINGS_PLAN_NEGATION: "Usage",  # EffectiveCost 0: the covered line carries the effective cost
    "RIFee": "Purchase",
    "SavingsPlanRecurringFee": "Purchase",
    "SavingsPlanUpfrontFee": "Purchase",
    "Fee": "Purchase",
    "Tax": "Tax",
    "Credit": "Credit",
    "BundledDiscount": "Credit",
    "Discount": "Credit",
    "EdpDiscount": "Credit",
    "PrivateRateDiscount": "Credit",
    "DistributorDiscount": "Credit",
    "Refund": "Adjustment",
}
RECURRING = {"RIFee", "SavingsPlanRecurringFee"}
# usage priced by a commitment: FOCUS PricingCategory "Committed" (the negation undoes the
# covered line's on-demand cost under the same Savings Plan)
COMMITTED_USAGE = {"DiscountedUsage", "SavingsPlanCoveredUsage", SAVINGS_PLAN_NEGATION}
# commitment purchases whose resource id is the commitment (Savings Plan ARN, reservation id)
COMMITMENT_FEES = {
    "SavingsPlanRecurringFee": ("Spend", "Savings Plan"),
    "SavingsPlanUpfrontFee": ("Spend", "Savings Plan"),
    "RIFee": ("Usage", "Reservation"),
}
SERVICE_CATEGORIES = {
    SAGEMAKER_SERVICE: ("AI and Machine Learning", "Machine Learning"),
    "Amazon OpenSearch Service": ("Analytics", "Search"),
    "Amazon Kendra": ("AI and Machine Learning", "Natural Language Processing"),
    "Amazon Q": ("AI and Machine Learning", "Generative AI"),
}
DEFAULT_CATEGORY = ("AI and Machine Learning", "Other (AI and Machine Learning)")
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "ca-central-1": "Canada (Central)",
    "eu-central-1": "Europe (Frankfurt)",
    "eu-central-2": "Europe (Zurich)",
    "eu-west-1": "Europe (Ireland)",
    "eu-west-2": "Europe (London)",
    "eu-west-3": "Europe (Paris)",
    "eu-north-1": "Europe (Stockholm)",
    "eu-south-1": "Europe (Milan)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "sa-east-1": "South America (Sao Paulo)",
}
# Marketplace model name -> its publisher (the seller); others: the AWS Marketplace seller
PUBLISHERS = {
    "claude": "Anthropic",
    "llama": "Meta",
    "mistral": "Mistral AI",
    "pixtral": "Mistral AI",
    "command": "Cohere",
    "cohere": "Cohere",
    "jamba": "AI21 Labs",
    "stable": "Stability AI",
    "deepseek": "DeepSeek",
    "palmyra": "Writer",
}
TOKEN_SCALES = (("1m", 1_000_000), ("million", 1_000_000), ("1k", 1000), ("thousand", 1000))


@dataclass(frozen=True)
class FocusContext:
    """What the lines do not carry: account names, the team tag's key, which lines are shared."""

    account_names: dict[str, str] = field(default_factory=dict)
    tag_key: str = "team"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def charge_category(line: BilledLine) -> str:
    """The FOCUS ChargeCategory of a line (Cost Explorer's lines are all usage)."""
    if line.line_type is None:
        return "Usage"
    return CHARGE_CATEGORIES.get(line.line_type, "Adjustment")


def charge_frequency(line: BilledLine, category: str) -> str:
    """Usage-Based for usage, Recurring for commitment fees, One-Time for the rest."""
    if category == "Usage":
        return "Usage-Based"
    return "Recurring" if line.line_type in RECURRING else "One-Time"


def pricing_category(line: BilledLine, category: str) -> str | None:
    """FOCUS PricingCategory: null for tax, credits and adjustments; Committed for usage a Savings
    Plan or reservation priced; Standard for other usage and for purchases (FOCUS 1.2 requires a
    value on every Usage and Purchase row; Cost Explorer's lines carry the on-demand price)."""
    if category not in ("Usage", "Purchase"):
        return None
    return "Committed" if line.line_type in COMMITTED_USAGE else "Standard"


def publisher(service: str) -> str:
    """Who publishes a service: a Marketplace model's seller, else AWS."""
    if not service.endswith(MARKETPLACE_SUFFIX):
        return PROVIDER
    name = service.lower()
    return next((who for key, who in PUBLISHERS.items() if key in name), "AWS Marketplace seller")


def service_category(service: str) -> tuple[str, str]:
    """ServiceCategory and ServiceSubcategory of a billing service."""
    if is_bedrock_service(service):
        return "AI and Machine Learning", "Generative AI"
    return SERVICE_CATEGORIES.get(service, DEFAULT_CATEGORY)


def resource_parts(resource_id: str) -> tuple[str | None, str | None]:
    """ResourceType and ResourceName of an ARN (``...:endpoint/name`` -> endpoint, name)."""
    if not resource_id:
        return None, None
    if not resource_id.startswith("arn:"):
        return None, resource_id
    resource = resource_id.split(":", 5)[-1]
    kind, _, name = resource.partition("/") if "/" in resource else resource.partition(":")
    return (kind or None), (name or kind or None)


def token_type(usage_type: str) -> str | None:
    """input, output, cache_read or cache_write for a Bedrock token usage type, else None."""
    text = usage_type.lower()
    if "cache" in text:
        return "cache_read" if "read" in text else "cache_write" if "write" in text else None
    if "token" not in text:
        return None
    return "input" if "input" in text else "output" if "output" in text else None


def tokens(line: BilledLine, kind: str | None) -> Decimal | None:
    """Tokens a token line counts: its quantity times its unit (1K tokens -> x1000)."""
    if kind is None or line.quantity is None or line.line_type == SAVINGS_PLAN_NEGATION:
        return None
    unit = (line.pricing_unit or "").lower().replace(" ", "")
    scale = next((factor for key, factor in TOKEN_SCALES if key in unit), 1)
    return line.quantity * scale


def _commitment(line: BilledLine) -> dict[str, Any]:
    found = COMMITMENT_FEES.get(line.line_type or "")
    if found is None or not line.resource_id:
        return {}
    category, kind = found
    return {
        "CommitmentDiscountId": line.resource_id,
        "CommitmentDiscountCategory": category,
        "CommitmentDiscountType": kind,
    }


def _costs(line: BilledLine) -> dict[str, Any]:
    negation = line.line_type == SAVINGS_PLAN_NEGATION
    contracted = Decimal(0) if negation else line.billed
    listed = line.list_cost if line.list_cost is not None else line.unblended
    return {
        "BilledCost": line.billed,
        "EffectiveCost": line.effective,
        "ListCost": Decimal(0) if negation else listed,
        "ContractedCost": contracted,
        "BillingCurrency": CURRENCY,
        # AWS prices and bills these lines in USD: the pricing currency columns repeat the billed
        # ones (FOCUS 1.2: PricingCurrency and PricingCurrencyEffectiveCost MUST NOT be null)
        "PricingCurrency": CURRENCY,
        "PricingCurrencyEffectiveCost": line.effective,
    }


def _quantities(line: BilledLine, category: str) -> dict[str, Any]:
    usage = category == "Usage" and line.line_type != SAVINGS_PLAN_NEGATION
    priced = category in ("Usage", "Purchase") and line.quantity is not None
    return {
        "ConsumedQuantity": line.quantity if usage else None,
        "ConsumedUnit": line.pricing_unit if usage and line.quantity is not None else None,
        "PricingQuantity": line.quantity if priced else None,
        "PricingUnit": line.pricing_unit if priced else None,
        "PricingCategory": pricing_category(line, category),
    }


def _periods(line: BilledLine) -> dict[str, Any]:
    first, following = month_bounds(line.billing_period)
    return {
        "BillingPeriodStart": _midnight(first),
        "BillingPeriodEnd": _midnight(following),
        "ChargePeriodStart": _midnight(line.day),
        "ChargePeriodEnd": _midnight(line.day + timedelta(days=1)),
        # a line of an earlier day billed in this period corrects a period already invoiced
        "ChargeClass": "Correction" if line.day < first else None,
    }


def _where(line: BilledLine, context: FocusContext) -> dict[str, Any]:
    kind, name = resource_parts(line.resource_id)
    category, subcategory = service_category(line.service)
    account_name = context.account_names.get(line.account_id)
    return {
        "BillingAccountId": line.account_id,
        "BillingAccountName": account_name,
        "BillingAccountType": BILLING_ACCOUNT_TYPE,
        "SubAccountId": line.account_id,
        "SubAccountName": account_name,
        "SubAccountType": SUB_ACCOUNT_TYPE,
        "ProviderName": PROVIDER,
        "PublisherName": publisher(line.service),
        "InvoiceIssuerName": PROVIDER,
        "ServiceName": line.service,
        "ServiceCategory": category,
        "ServiceSubcategory": subcategory,
        "RegionId": line.region or None,
        "RegionName": REGION_NAMES.get(line.region, line.region or None),
        "ResourceId": line.resource_id or None,
        "ResourceName": name,
        "ResourceType": kind,
    }


def _custom(line: BilledLine, shared: bool) -> dict[str, Any]:
    kind = token_type(line.usage_type) if is_bedrock_service(line.service) else None
    return {
        "x_Source": line.source,
        "x_Team": line.team,
        "x_Shared": "true" if shared else "false",
        "x_LineItemType": line.line_type,
        "x_UsageType": line.usage_type or None,
        "x_IamPrincipal": line.principal or None,
        "x_Model": line.model,
        "x_TokenType": kind,
        "x_Tokens": tokens(line, kind),
        "x_AmortizedCost": line.amortized,
        "x_UnblendedCost": line.unblended,
    }


def focus_record(line: BilledLine, context: FocusContext, shared: bool) -> dict[str, Any]:
    """One line as a FOCUS record: Decimal money, UTC datetimes, Tags as JSON text; absent columns
    of the spec are null (the writer fills them)."""
    category = charge_category(line)
    tags = {} if line.team == UNATTRIBUTED else {context.tag_key: line.team}
    description = f"{line.service}: {line.usage_type}" if line.usage_type else line.service
    return {
        **_costs(line),
        **_periods(line),
        **_where(line, context),
        **_quantities(line, category),
        **_commitment(line),
        "ChargeCategory": category,
        "ChargeDescription": description,
        "ChargeFrequency": charge_frequency(line, category),
        "Tags": json.dumps(tags, sort_keys=True),
        **_custom(line, shared),
    }
