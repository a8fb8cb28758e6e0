"""In a real browser over the seeded world: the Waste page shows its rows and its figure, and every
page shows at least one figure holding data (issue #13, items 7 and 8)."""

from __future__ import annotations

from decimal import Decimal

from tests.dashboard.test_browser import PAGES, cell_texts, money, open_page

# the plotted points of every figure on the page: a blank figure (an annotation only) has none
PLOTTED = """
() => [...document.querySelectorAll('.js-plotly-plot')].map(plot => ({
    id: plot.closest('[id]').id,
    points: (plot.data || []).reduce((sum, trace) =>
        sum + Math.max((trace.x || []).length, (trace.y || []).length, (trace.z || []).length), 0),
}))
"""


def plotted(page) -> dict[str, int]:
    """Each figure's id and how many points it plots, once Plotly has drawn them."""
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot .main-svg').length > 0"
    )
    return {figure["id"]: figure["points"] for figure in page.evaluate(PLOTTED)}


def test_the_waste_page_shows_the_idle_endpoint_and_its_dollars(served, page):
    open_page(page, served, "/waste?start=2026-02-17&end=2026-03-18", "#waste-count")
    assert page.locator("#waste-count").inner_text() == "1"
    assert cell_texts(page, "waste-table", "name") == ["support-idle-llm"]
    assert cell_texts(page, "waste-table", "team") == ["support"]
    assert cell_texts(page, "waste-table", "idle_since") == ["2026-03-16 01:00"]
    # 59 idle hours and a 730-hour month of 2 x ml.g5.2xlarge at $1.515
    assert [money(t) for t in cell_texts(page, "waste-table", "burnt_usd")] == [Decimal("178.77")]
    assert [money(t) for t in cell_texts(page, "waste-table", "monthly_usd")] == [
        Decimal("2211.90")
    ]
    assert money(page.locator("#waste-monthly").inner_text()) == Decimal("2211.90")
    assert cell_texts(page, "waste-table", "action") == ["delete (snapshot first)"]
    assert plotted(page)["waste-graph"] > 0
    # the Overview's card says the same month
    open_page(page, served, "/", "#overview-waste-monthly")
    assert money(page.locator("#overview-waste-monthly").inner_text()) == Decimal("2211.90")


def test_a_team_without_waste_sees_none(served, page):
    open_page(page, served, "/waste?team=search", "#waste-count")
    assert page.locator("#waste-count").inner_text() == "0"
    assert page.locator("#waste-table-empty").is_visible()


def test_every_page_shows_at_least_one_figure_with_data(served, page):
    empty = {}
    for name, (path, ready) in PAGES.items():
        open_page(page, served, path, ready)
        figures = plotted(page)
        if not any(points > 0 for points in figures.values()):
            empty[name] = figures
    assert empty == {}
