"""#14 in a real browser (Debian's chromium via Playwright), on SQLite and Postgres: the Teams
page's team -> application -> principal -> model drill-down, the Bedrock page grouped by
principal, and the Overview's share of spend attributed, each figure checked against the rows."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from advisor import Advisor
from core.queries.principals import application_of
from core.settings import parse_config
from dashboard.app import AuthSettings, create_app
from tests.conftest import seeded_database
from tests.dashboard.conftest import ServerThread
from tests.dashboard.test_browser import cell_texts, money, wait_for_text
from tests.principal_world import (
    COST,
    DAY,
    ESTIMATES,
    HAIKU,
    NOW,
    PRINCIPAL_ROWS,
    SEARCH_API,
    SONNET,
    cur_row,
    seed_bill,
    seed_principals,
)

KEYS = ["project", "user"]
CONFIG = """
teams: [{name: search}, {name: support}]
attribution: {request_metadata_keys: [project, user]}
"""
CUR = [cur_row(DAY, SEARCH_API, "1.75"), cur_row(DAY, SEARCH_API, "0.5", service="Amazon Bedrock")]
CUR[1]["usage_type"] = "USE1-output"


def seed(session) -> None:
    seed_principals(session)
    seed_bill(session, COST, ESTIMATES, CUR)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request, tmp_path_factory) -> Iterator[str]:
    for url in seeded_database(request.param, tmp_path_factory.mktemp("principals"), seed):
        app = create_app(
            url, parse_config(CONFIG), auth=AuthSettings(), clock=lambda: NOW, advisor=Advisor.load
        )
        with ServerThread(app.server) as served:
            yield served.url


def search_rows(**match):
    return [
        r
        for r in PRINCIPAL_ROWS
        if r["team"] == "search" and all(r[k] == v for k, v in match.items())
    ]


def cost(rows) -> Decimal:
    return sum((r["estimated_cost_usd"] or Decimal(0) for r in rows), Decimal(0))


def test_teams_drill_down_from_team_to_application_to_principal_to_model(server, page):
    page.goto(f"{server}/teams?team=search")
    page.wait_for_selector("#teams-applications .ag-row")
    apps = {application_of(r["request_metadata"], r["principal"], KEYS) for r in search_rows()}
    shown = cell_texts(page, "teams-applications", "application")
    assert sorted(shown) == sorted(apps)
    by_app = dict(
        zip(shown, cell_texts(page, "teams-applications", "estimated_cost_usd"), strict=True)
    )
    for app in apps:
        rows = [
            r
            for r in search_rows()
            if application_of(r["request_metadata"], r["principal"], KEYS) == app
        ]
        assert money(by_app[app]) == cost(rows).quantize(Decimal("0.01")), app
    assert "stranger" not in page.inner_text("#teams-drill")  # another team's principal

    page.get_by_role("link", name="project=checkout", exact=True).click()
    page.wait_for_selector("#teams-principals .ag-row")
    assert cell_texts(page, "teams-principals", "principal") == [SEARCH_API]
    checkout = [r for r in search_rows(principal=SEARCH_API) if "checkout" in r["request_metadata"]]
    assert money(cell_texts(page, "teams-principals", "estimated_cost_usd")[0]) == cost(checkout)
    assert cell_texts(page, "teams-principals", "input_tokens") == [
        f"{sum(r['input_tokens'] for r in checkout):,}"
    ]
    # the bill: CUR 2.0's lines naming the principal
    assert money(cell_texts(page, "teams-principals", "billed_usd")[0]) == Decimal("2.25")
    assert "app=project%3Dcheckout" in page.url

    page.get_by_role("link", name=SEARCH_API, exact=True).first.click()
    page.wait_for_selector("#teams-models .ag-row")
    models = cell_texts(page, "teams-models", "model_id")
    assert models == [SONNET, HAIKU]  # costliest first
    costs = [money(t) for t in cell_texts(page, "teams-models", "estimated_cost_usd")]
    assert costs == [cost([r for r in checkout if r["model_id"] == m]) for m in models]
    query = parse_qs(urlsplit(page.url).query)
    assert query["principal"] == [SEARCH_API] and query["app"] == ["project=checkout"]
    wait_for_text(
        page,
        "#teams-drill-billed",
        "Billed to this team's principals (CUR 2.0, 24-48 h late): $2.25",
    )

    page.click("#teams-drill-top")
    # back at the top: the principal and model levels go, the applications stay
    page.wait_for_selector("#teams-principals", state="detached")
    page.wait_for_selector("#teams-applications .ag-row")
    assert page.locator("#teams-models").count() == 0
    assert "app=" not in page.url


def test_bedrock_page_groups_by_principal(server, page):
    page.goto(f"{server}/bedrock")
    page.wait_for_selector("#bedrock-estimate")
    page.get_by_label("IAM principal (invocation logs)").check()
    page.wait_for_selector("#bedrock-totals .ag-cell[col-id='principal']")
    principals = cell_texts(page, "bedrock-totals", "principal")
    assert sorted(principals) == sorted({r["principal"] for r in PRINCIPAL_ROWS})
    calls = dict(zip(principals, cell_texts(page, "bedrock-totals", "invocations"), strict=True))
    for name in principals:
        assert (
            calls[name]
            == f"{sum(r['invocations'] for r in PRINCIPAL_ROWS if r['principal'] == name):,}"
        )
    wait_for_text(page, "#bedrock-estimate", f"${cost(PRINCIPAL_ROWS):,.2f}")
    assert "by=principal" in page.url


def test_overview_shows_the_share_of_spend_attributed(server, page):
    page.goto(f"{server}/")
    page.wait_for_selector("#overview-attribution .ag-row")
    # figures of test_attributed_share: 16.90 of 31.00 has a team
    wait_for_text(page, "#overview-attributed-share", f"{Decimal('16.9') / 31:.1%}")
    rows = dict(
        zip(
            cell_texts(page, "overview-attribution", "attribution"),
            cell_texts(page, "overview-attribution", "amount_usd"),
            strict=True,
        )
    )
    assert rows == {
        "team (tag, profile, account)": "15.00",
        "team by IAM principal": "1.90",
        "unattributed: no tag": "10.00",
        "unattributed: no profile": "3.60",
        "unattributed: no principal mapping": "0.50",
    }
    note = page.inner_text("#overview-attributed-share >> xpath=..")
    assert "no principal mapping $0.50" in note and "no tag $10.00" in note
