"""AWS Price List -> price_points: GetProducts pages per service code, parsed, stored as dated points.

get (``get_products``: every page of one service code) -> transform (pure:
``core.pricing.price_list.parse_product``) -> load (``core.pricing.dated.store_points``).
A malformed product is reported with its SKU and skipped; nothing else is lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.aws import pages
from core.pricing.dated import store_points
from core.pricing.price_list import (
    SERVICE_CODES,
    SERVICE_FILTERS,
    MalformedProduct,
    ProductMapping,
    UnmappedProduct,
    parse_product,
)

PAGE_SIZE = 100


@dataclass
class RefreshReport:
    """What one refresh read and stored."""

    products: int = 0
    points: int = 0
    new: int = 0
    unmapped: int = 0
    malformed: list[MalformedProduct] = field(default_factory=list)

    def summary(self) -> str:
        """One line: ``N products, M price points stored (K new), J skipped: malformed SKU ...``."""
        text = f"{self.products} products, {self.points} price points stored ({self.new} new)"
        if self.unmapped:
            text += f", {self.unmapped} not mapped to a model or instance"
        if self.malformed:
            skipped = "; ".join(f"malformed SKU {m.sku} ({m.reason})" for m in self.malformed)
            text += f", {len(self.malformed)} skipped: {skipped}"
        return text


def get_products(client: Any, service_code: str) -> Iterator[str]:
    """Every PriceList entry (a JSON string) of one service code (filtered where it lists far
    more than the project prices)."""
    filters = SERVICE_FILTERS.get(service_code)
    extra: dict[str, Any] = {"Filters": list(filters)} if filters else {}
    for page in pages(
        client,
        "get_products",
        ServiceCode=service_code,
        FormatVersion="aws_v1",
        MaxResults=PAGE_SIZE,
        **extra,
    ):
        yield from page.get("PriceList", [])


def refresh(
    session: Session,
    client: Any,
    fetched_at: datetime,
    mapping: ProductMapping | None = None,
    service_codes: tuple[str, ...] = SERVICE_CODES,
) -> RefreshReport:
    """Read every product of the service codes and store what parses as dated price points.

    Everything is read before anything is stored: a denied or failed read stores nothing.
    """
    mapping = mapping or ProductMapping.load()
    report = RefreshReport()
    rows = []
    for code in service_codes:
        for text in get_products(client, code):
            report.products += 1
            try:
                rows.append(parse_product(text, mapping, fetched_at))
            except MalformedProduct as exc:
                report.malformed.append(exc)
            except UnmappedProduct:
                report.unmapped += 1
    report.points, report.new = store_points(session, rows)
    return report
