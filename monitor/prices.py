"""Price List refresh and re-pricing, wired for the `prices` commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from collector.price_list import RefreshReport, refresh
from core.aws import AwsDenied, AwsTransient, Target
from core.pricing.dated import DatedTokenPrices
from core.pricing.price_list import PRICING_REGION
from core.pricing.reprice import RepriceReport, reprice_bedrock
from core.timeutil import utcnow
from monitor.context import AppContext

# the Price List is public data: not a per-account call, the current credentials read it
PRICE_LIST_TARGET = Target(account_id="", region=PRICING_REGION)


class PriceListUnavailable(Exception):
    """The Price List was denied or unreachable: the shipped prices stay in use."""


def refresh_prices(app: AppContext) -> RefreshReport:
    """Read the AWS Price List into dated price points (raises PriceListUnavailable)."""
    sessions = app.database()
    client = app.clients.client("pricing", PRICE_LIST_TARGET)
    try:
        with sessions.begin() as session:
            return refresh(session, client, utcnow())
    except (AwsDenied, AwsTransient) as exc:
        raise PriceListUnavailable(
            f"the AWS Price List is not available ({exc}); the shipped prices stay in use"
        ) from None


def reprice(
    app: AppContext,
    since: datetime,
    until: datetime | None,
    progress: Callable[[int], None] | None = None,
) -> RepriceReport:
    """Re-price stored Bedrock estimates from ``since`` with the prices in force at each hour."""
    sessions = app.database()
    with sessions.begin() as session:
        prices = DatedTokenPrices.load(session, app.catalog, app.config.pricing.overrides)
        return reprice_bedrock(session, prices, since, until, progress)
