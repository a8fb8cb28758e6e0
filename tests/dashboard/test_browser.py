"""The dashboard in a real browser (Debian's chromium via Playwright) over a seeded database.

Every page loads; filters change what is shown and the URL; the numbers shown equal the
database's; a table downloads as CSV; each page is saved as a screenshot under
artifacts/screenshots/.
"""

from __future__ import annotations

import codecs
import csv
import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from core.models import BedrockUsageHourly, CostDaily
from demo import small as world
from tests.dashboard.conftest import SCREENSHOTS

# page path -> an element that appears once its callback has filled the body
PAGES = {
    "overview": ("/", "#overview-month-spent"),
    "teams": ("/teams", "#teams-spend"),
    "bedrock": ("/bedrock", "#bedrock-estimate"),
    "endpoints": ("/endpoints", "#endpoints-count"),
    "weekly": ("/weekly", "#weekly-this-week"),
    "alerts": ("/alerts", "#alerts-firing-count"),
    "advisor": ("/advisor", "#advisor-workload-count"),
    "waste": ("/waste", "#waste-count"),
}
CENT = Decimal("0.01")


def money(text: str) -> Decimal:
    """A shown amount ($1,234.56, 1,234.56 or -$3.00) as Decimal."""
    cleaned = text.replace("$", "").replace(",", "").replace("+", "").strip()
    return Decimal(cleaned)


def cells(table_id: str, column: str) -> str:
    """The selector of a table's body cells in one column (AG Grid; every row and column is drawn)."""
    return f"#{table_id} .ag-row .ag-cell[col-id='{column}']"


def cell_texts(page, table_id: str, column: str) -> list[str]:
    """A column's cells as shown, top to bottom, once the grid has drawn its rows."""
    page.wait_for_selector(cells(table_id, column))
    return page.locator(cells(table_id, column)).all_inner_texts()


def open_page(page, served, path: str, ready: str) -> None:
    page.goto(served.url + path)
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    # every table has drawn its rows (AG Grid renders after its script chunk loads)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.table')].every(t => t.querySelector('.ag-row'))"
    )


def choose(page, dropdown_id: str, option: str) -> None:
    """Pick an option of a dcc.Dropdown the way a person does: open it, click the option."""
    page.click(f"#{dropdown_id}")
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def wait_for_text(page, selector: str, expected: str) -> None:
    page.wait_for_function(
        "([selector, expected]) => { const e = document.querySelector(selector); return e && e.innerText.trim() === expected; }",
        arg=[selector, expected],
    )


def test_every_page_loads_and_is_saved_as_a_screenshot(served, page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, (path, ready) in PAGES.items():
        open_page(page, served, path, ready)
        assert page.locator(f"#{name}-title").inner_text()
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{served.kind}.png"), full_page=True)
    # the navigation reaches every page
    assert page.locator(".nav a").all_inner_texts() == [
        "Overview",
        "Teams",
        "Bedrock",
        "Endpoints",
        "Weekly",
        "Alerts",
        "Advisor",
        "Waste",
    ]


def test_overview_numbers_equal_the_database(served, page):
    open_page(page, served, "/", "#overview-month-spent")
    month_start = world.TODAY.replace(day=1)
    window_start = world.TODAY - timedelta(days=29)
    with served.sessions() as session:
        month = session.scalar(
            select(func.sum(CostDaily.amount_usd)).where(
                CostDaily.day >= month_start, CostDaily.day <= world.TODAY
            )
        )
        window = session.scalar(
            select(func.sum(CostDaily.amount_usd)).where(
                CostDaily.day >= window_start, CostDaily.day <= world.TODAY
            )
        )
        models = dict(
            session.execute(
                select(
                    BedrockUsageHourly.base_model_id,
                    func.sum(BedrockUsageHourly.estimated_cost_usd),
                )
                .where(
                    BedrockUsageHourly.hour
                    >= world.NOW.replace(hour=0, minute=0) - timedelta(days=29)
                )
                .group_by(BedrockUsageHourly.base_model_id)
            ).all()
        )
    assert money(page.locator("#overview-month-spent").inner_text()) == Decimal(
        str(month)
    ).quantize(CENT)
    assert money(page.locator("#overview-window-spend").inner_text()) == Decimal(
        str(window)
    ).quantize(CENT)
    shown = dict(
        zip(
            cell_texts(page, "overview-models", "model"),
            map(money, cell_texts(page, "overview-models", "estimated_cost_usd")),
            strict=True,
        )
    )
    assert shown == {model: Decimal(str(cost)).quantize(CENT) for model, cost in models.items()}
    assert page.locator("#overview-alert-count").inner_text() == "2"  # one firing, one pending
    assert set(cell_texts(page, "overview-budgets", "team")) == {
        "search",
        "support",
        "unattributed",
    }


def test_a_team_filter_narrows_the_numbers_and_the_url_shares_the_view(served, page):
    open_page(page, served, "/endpoints", "#endpoints-count")
    assert page.locator("#endpoints-count").inner_text() == "3"
    choose(page, "endpoints-team", "support")
    wait_for_text(page, "#endpoints-count", "1")
    assert cell_texts(page, "endpoints-table", "endpoint_name") == ["support-idle-llm"]
    # the idle endpoint is flagged and highlighted
    assert cell_texts(page, "endpoints-table", "idle") == ["yes"]
    background = page.locator("#endpoints-table .ag-row").first.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert background == "rgb(254, 226, 226)"
    assert page.locator("#endpoints-idle-count").inner_text() == "1"
    # idle hours: in service every hour since the last call, 60 hours before now
    assert cell_texts(page, "endpoints-table", "idle_hours") == ["59.0"]
    query = parse_qs(urlsplit(page.url).query)
    assert query["team"] == ["support"] and query["start"] == [
        str(world.TODAY - timedelta(days=29))
    ]

    # the link opens the same view in a fresh page
    shared = page.url
    page.goto(served.url + "/")
    open_page(page, served, shared.removeprefix(served.url), "#endpoints-count")
    assert page.locator("#endpoints-count").inner_text() == "1"
    assert page.locator("#endpoints-team").inner_text().strip().startswith("support")


def test_bedrock_view_from_a_url_groups_and_filters(served, page):
    start, end = world.TODAY - timedelta(days=6), world.TODAY - timedelta(days=1)
    open_page(
        page,
        served,
        f"/bedrock?start={start}&end={end}&region=us-west-2&by=region",
        "#bedrock-estimate",
    )
    assert cell_texts(page, "bedrock-totals", "region") == ["us-west-2"]
    first = world.NOW.replace(hour=0, minute=0) - timedelta(days=6)
    with served.sessions() as session:
        cost, tokens = session.execute(
            select(
                func.sum(BedrockUsageHourly.estimated_cost_usd),
                func.sum(BedrockUsageHourly.input_tokens),
            ).where(
                BedrockUsageHourly.region == "us-west-2",
                BedrockUsageHourly.hour >= first,
                BedrockUsageHourly.hour < first + timedelta(days=6),
            )
        ).one()
    assert money(cell_texts(page, "bedrock-totals", "estimated_cost_usd")[0]) == Decimal(
        str(cost)
    ).quantize(CENT)
    assert int(cell_texts(page, "bedrock-totals", "input_tokens")[0].replace(",", "")) == tokens
    # a region filter makes the bill (which has no region) incomparable: reconciliation says so
    assert page.locator("#bedrock-reconciliation-empty").count() == 1
    # batch inference is shown apart from on-demand; this world ran no batch job
    assert page.locator("#bedrock-batch-cost").inner_text() == "$0.00"
    assert page.locator("#bedrock-batch-empty").count() == 1

    # changing the grouping in the page regroups and is kept in the URL
    page.get_by_label("foundation model").check()
    page.wait_for_selector(cells("bedrock-totals", "model"))
    assert sorted(cell_texts(page, "bedrock-totals", "model")) == sorted(world.MODELS)
    assert parse_qs(urlsplit(page.url).query)["by"] == ["model"]


def test_a_table_downloads_as_csv_with_the_numbers_shown(served, page, tmp_path):
    open_page(page, served, "/endpoints", "#endpoints-count")
    with page.expect_download() as download_info:
        page.locator("#endpoints-table button.export").click()
    path = tmp_path / "endpoints.csv"
    download_info.value.save_as(path)
    # the table's export starts with a byte order mark, for spreadsheets
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(text.splitlines()))
    assert sorted(row["endpoint_name"] for row in rows) == [
        "search-ranker",
        "search-serverless",
        "support-idle-llm",
    ]
    ranker = next(row for row in rows if row["endpoint_name"] == "search-ranker")
    # 30 days of one ml.g5.xlarge at $1.408 an hour, up to now (the window ends with today)
    hours = 29 * 24 + 12
    assert Decimal(ranker["estimated_cost_usd"]).quantize(CENT) == (
        Decimal("1.408") * hours
    ).quantize(CENT)
    assert ranker["hours_in_service"] == str(hours)


def test_a_table_sorts_and_filters_by_column_and_exports_what_it_shows(served, page, tmp_path):
    open_page(page, served, "/endpoints", "#endpoints-count")
    # a click on a header sorts by it, smallest first
    page.click(
        "#endpoints-table .ag-header-cell[col-id='estimated_cost_usd'] .ag-header-cell-label"
    )
    page.wait_for_selector(
        "#endpoints-table .ag-header-cell[col-id='estimated_cost_usd'][aria-sort='ascending']"
    )
    costs = [money(text) for text in cell_texts(page, "endpoints-table", "estimated_cost_usd")]
    assert costs == sorted(costs) and len(costs) == 3
    # the filter under a header keeps the rows that match
    page.get_by_label("team Filter Input", exact=True).fill("support")
    page.wait_for_function(
        "() => document.querySelectorAll('#endpoints-table .ag-row').length === 1"
    )
    assert cell_texts(page, "endpoints-table", "endpoint_name") == ["support-idle-llm"]
    with page.expect_download() as download_info:
        page.locator("#endpoints-table button.export").click()
    path = tmp_path / "filtered.csv"
    download_info.value.save_as(path)
    rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert [row["endpoint_name"] for row in rows] == ["support-idle-llm"]
    assert download_info.value.suggested_filename == "endpoints-table.csv"


def test_weekly_compares_weeks_and_any_past_week_is_selectable(served, page):
    open_page(page, served, "/weekly", "#weekly-this-week")
    monday = world.TODAY - timedelta(days=world.TODAY.weekday())
    assert "(to date)" in page.locator("#weekly-period").inner_text()

    def billed(start, end):
        with served.sessions() as session:
            return Decimal(
                str(
                    session.scalar(
                        select(func.sum(CostDaily.amount_usd)).where(
                            CostDaily.day >= start, CostDaily.day < end
                        )
                    )
                )
            ).quantize(CENT)

    days = (world.TODAY - monday).days + 1
    assert money(page.locator("#weekly-this-week").inner_text()) == billed(
        monday, monday + timedelta(days=days)
    )
    assert money(page.locator("#weekly-last-week").inner_text()) == billed(
        monday - timedelta(days=7), monday - timedelta(days=7 - days)
    )

    previous = monday - timedelta(days=7)
    year, week, _ = previous.isocalendar()
    label = f"{year}-W{week:02d}"
    page.click("#weekly-week")
    page.get_by_role("option", name=re.compile(f"^{label}")).click()
    page.wait_for_function(
        "l => document.querySelector('#weekly-period').innerText.startsWith(l)", arg=label
    )
    assert "(to date)" not in page.locator("#weekly-period").inner_text()
    assert money(page.locator("#weekly-this-week").inner_text()) == billed(previous, monday)
    assert money(page.locator("#weekly-last-week").inner_text()) == billed(
        previous - timedelta(days=7), previous
    )
    assert parse_qs(urlsplit(page.url).query)["week"] == [label]
    # the resolved budget alert of that week is listed
    assert "budget_threshold" in cell_texts(page, "weekly-resolved", "rule")


def test_teams_page_shows_unattributed_spend_as_a_team(served, page):
    open_page(page, served, "/teams?team=unattributed", "#teams-spend")
    with served.sessions() as session:
        spend = session.scalar(
            select(func.sum(CostDaily.amount_usd)).where(
                CostDaily.team == "unattributed", CostDaily.day >= world.TODAY - timedelta(days=29)
            )
        )
    assert money(page.locator("#teams-spend").inner_text()) == Decimal(str(spend)).quantize(CENT)
    choose(page, "teams-team", "support")
    page.wait_for_function(
        "() => document.querySelector('#teams-spend').innerText.length > 0 && !location.search.includes('unattributed')"
    )
    page.wait_for_selector(cells("teams-endpoints", "endpoint_name"))
    assert money(page.locator("#teams-idle-waste").inner_text()) > 0
    assert cell_texts(page, "teams-endpoints", "endpoint_name") == ["support-idle-llm"]


def test_alerts_page_lists_each_state(served, page):
    open_page(page, served, "/alerts", "#alerts-firing-count")
    counts = {
        state: page.locator(f"#alerts-{state}-count").inner_text()
        for state in ("firing", "pending", "silenced", "resolved")
    }
    # the window (30 days) holds both resolved alerts
    assert counts == {"firing": "1", "pending": "1", "silenced": "1", "resolved": "2"}
    choose(page, "alerts-team", "support")
    wait_for_text(page, "#alerts-pending-count", "0")
    assert page.locator("#alerts-firing-count").inner_text() == "1"


@pytest.mark.parametrize("path", ["/nowhere"])
def test_an_unknown_path_says_so(served, page, path):
    page.goto(served.url + path)
    page.wait_for_selector("text=404")


def test_advisor_shows_hints_with_their_assumptions(served, page):
    open_page(page, served, "/advisor", "#advisor-hint-count")
    kinds = cell_texts(page, "advisor-hints", "kind")
    assert "fewer_instances" in kinds and "smaller_instance" in kinds
    savings = dict(
        zip(kinds, map(money, cell_texts(page, "advisor-hints", "monthly_saving_usd")), strict=True)
    )
    # support-idle-llm runs 2 x ml.g5.2xlarge ($1.515/hour) for at most 3 calls an hour: one would do
    assert savings["fewer_instances"] == Decimal("1105.95")
    # the hints are alternatives: the headline takes the best one per endpoint
    assert money(page.locator("#advisor-saving").inner_text()) == max(savings.values())
    # both Bedrock models of the world are closed: no self-hosted equivalent
    assert set(cell_texts(page, "advisor-workloads", "verdict")) == {
        "no self-hosted equivalent in the catalog (closed or unknown model)"
    }
    refs = {
        ref for text in cell_texts(page, "advisor-hints", "assumptions") for ref in text.split(", ")
    }
    assert refs <= set(cell_texts(page, "advisor-assumptions", "ref"))
    sources = cell_texts(page, "advisor-assumptions", "source")
    assert any(source == "config advisor.endpoint_models" for source in sources)
