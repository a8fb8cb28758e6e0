"""At a laptop's viewport every table fits its card: the cost columns, the ones people come for,
are never hidden behind a horizontal scroll (issue #17, item 8)."""

from __future__ import annotations

from contextlib import suppress

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.dashboard.test_browser import PAGES, open_page

VIEWPORTS = [(1366, 768), (1280, 800)]
# for every table of the page: its id, its money columns (col-id), and how they sit in the card
MEASURE = """
() => [...document.querySelectorAll('.table')].map(table => {
    const card = table.closest('.section').getBoundingClientRect();
    const viewport = table.querySelector('.ag-center-cols-viewport');
    const cells = [...table.querySelectorAll('.ag-header-cell[col-id], .ag-row .ag-cell[col-id]')]
        .filter(cell => /(^|_)usd($|_)/.test(cell.getAttribute('col-id')))
        .map(cell => {
            const box = cell.getBoundingClientRect();
            return {column: cell.getAttribute('col-id'), left: box.left, right: box.right};
        });
    return {
        id: table.id,
        cardLeft: card.left,
        cardRight: card.right,
        scrollWidth: viewport.scrollWidth,
        clientWidth: viewport.clientWidth,
        money: cells,
    };
})
"""


@pytest.fixture(params=VIEWPORTS, ids=lambda size: f"{size[0]}x{size[1]}")
def laptop(browser, request):
    """A page at a common laptop's viewport."""
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(20000)
    yield context.new_page()
    context.close()


# every table once its grid has sized its columns (AG Grid does so after the first render)
SETTLED = (
    "() => [...document.querySelectorAll('.table .ag-center-cols-viewport')]"
    ".every(v => v.scrollWidth <= v.clientWidth)"
)


# the layout does not depend on the database: SQLite only, to spare the shared machine
@pytest.mark.parametrize("seeded_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_table_fits_its_card_with_the_cost_columns_in_view(served, laptop, name):
    path, ready = PAGES[name]
    open_page(laptop, served, path, ready)
    with suppress(PlaywrightTimeout):  # measured below, where the failure names the table
        laptop.wait_for_function(SETTLED, timeout=10000)
    tables = laptop.evaluate(MEASURE)
    for table in tables:
        # nothing to scroll sideways: every column is drawn inside the grid
        assert table["scrollWidth"] <= table["clientWidth"], table["id"]
        for cell in table["money"]:
            assert table["cardLeft"] <= cell["left"] and cell["right"] <= table["cardRight"], (
                table["id"],
                cell,
            )
    if name == "overview":
        shown = {table["id"]: {cell["column"] for cell in table["money"]} for table in tables}
        assert "estimated_cost_usd" in shown["overview-models"]
        assert {"estimated_cost_usd", "idle_cost_usd"} <= shown["overview-endpoints"]
