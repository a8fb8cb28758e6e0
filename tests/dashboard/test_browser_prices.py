"""Prices in a real browser (Chromium via Playwright) over the seeded world: the Bedrock page
says where its estimates' prices came from, per row and in all, and its daily reconciliation
shows the list estimate, the effective-rate estimate and the bill side by side."""

from __future__ import annotations

from datetime import timedelta

from dashboard.filters import parse_filters
from demo import small as world
from tests.dashboard.test_browser import cell_texts, open_page
from tests.dashboard.views.test_price_sources import LABELS, expected_line


def test_the_bedrock_page_shows_price_sources_and_list_effective_and_billed(served, page):
    start, end = world.TODAY - timedelta(days=6), world.TODAY - timedelta(days=1)
    query = f"start={start}&end={end}&by=region"
    # four charts with data and three tables: slow to draw on a loaded machine (no time asserted)
    page.set_default_timeout(60000)
    open_page(page, served, f"/bedrock?{query}", "#bedrock-estimate")
    filters = parse_filters({"start": str(start), "end": str(end)}, world.TODAY)
    assert page.locator("#bedrock-price-sources").inner_text() == (
        f"Estimates priced from: {expected_line(served.sessions, filters)}"
    )
    shown = dict(
        zip(
            cell_texts(page, "bedrock-totals", "region"),
            cell_texts(page, "bedrock-totals", "price_source"),
            strict=True,
        )
    )
    assert shown == LABELS
    # per team and model: the list estimate's sources, next to list, effective and billed
    assert len(cell_texts(page, "bedrock-model-reconciliation", "price_source")) == len(
        cell_texts(page, "bedrock-model-reconciliation", "model")
    )
    legend = page.locator("#bedrock-reconciliation-graph .legendtext").all_text_contents()
    assert legend == ["estimate at list price", "estimate at effective rate", "billed"]
    days = cell_texts(page, "bedrock-reconciliation", "estimate_basis")
    assert days == ["billed"] * 6  # the world's bill covers every day shown


def test_the_endpoints_page_says_the_shipped_catalog_priced_its_endpoints(served, page):
    open_page(page, served, "/endpoints", "#endpoints-count")
    assert page.locator("#endpoints-price-sources").inner_text() == (
        "Endpoint cost priced from: shipped data 100% of the dollars."
    )
