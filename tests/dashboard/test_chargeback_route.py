"""The dashboard's /chargeback: the month's statement for finance, one team's rows for its viewers,
linked from the Teams page; on SQLite and Postgres."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from advisor import Advisor
from core.apportion import cents
from core.db import make_engine, session_factory
from core.models import CostDaily, DashboardAudit
from dashboard.app import AuthSettings, create_app
from tests.conftest import seeded_database
from tests.dashboard import two_teams as world


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def app(request, tmp_path_factory):
    for url in seeded_database(request.param, tmp_path_factory.mktemp("chargeback"), world.seed):
        engine = make_engine(url)
        served = create_app(
            url, world.config(), auth=AuthSettings(), clock=lambda: world.NOW, advisor=Advisor.load
        )
        served.sessions = session_factory(engine)
        yield served
        engine.dispose()


def get(app, path, headers):
    answer = app.server.test_client().get(path, headers=headers)
    return answer.status_code, answer.get_data(as_text=True), answer


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def march_bill(app) -> Decimal:
    with app.sessions() as session:
        total = session.scalar(
            select(func.sum(CostDaily.amount_usd)).where(
                CostDaily.day >= date(2026, 3, 1), CostDaily.day < date(2026, 4, 1)
            )
        )
    return Decimal(cents(Decimal(str(total)))) / 100


def test_finance_gets_every_team_and_the_reconciliation(app):
    status, html, answer = get(app, "/chargeback?month=2026-03", world.FINANCE)
    assert status == 200 and answer.mimetype == "text/html"
    assert "<h1>GenAI chargeback, 2026-03</h1>" in html and "reconciled to the cent" in html
    assert world.TEAM_A in html and world.TEAM_B in html
    status, text, answer = get(app, "/chargeback?month=2026-03&format=csv", world.FINANCE)
    assert status == 200 and answer.mimetype == "text/csv"
    assert 'filename="chargeback-2026-03.csv"' in answer.headers["Content-Disposition"]
    found = rows(text)
    (total,) = [row for row in found if row["kind"] == "total"]
    assert Decimal(total["billed_usd"]) == march_bill(app)
    teams = {
        row["team"]: Decimal(row["billed_usd"]) for row in found if row["kind"] == "team_total"
    }
    assert set(teams) == {world.TEAM_A, world.TEAM_B} and sum(teams.values()) == march_bill(app)


def test_a_viewer_of_team_a_gets_team_a_alone(app):
    _status, everything, _answer = get(app, "/chargeback?month=2026-03&format=csv", world.FINANCE)
    # the same figures finance sees for that team, without its share of the pool (which, with the
    # team's own spend, would tell the other teams' total)
    theirs = [row | {"share": ""} for row in rows(everything) if row["team"] == world.TEAM_A]
    assert any(row["share"] for row in rows(everything) if row["team"] == world.TEAM_A)
    for fmt in ("html", "csv"):
        status, body, _answer = get(app, f"/chargeback?month=2026-03&format={fmt}", world.VIEWER_A)
        assert status == 200 and world.TEAM_A in body
        assert world.leaks(body) == []
    assert "unattributed" not in body and rows(body) == theirs
    status, html, _answer = get(app, "/chargeback?month=2026-03", world.VIEWER_A)
    assert "Shown for your team(s) only" in html and "Reconciliation" not in html


def test_the_default_month_is_the_last_complete_one(app):
    status, html, _answer = get(app, "/chargeback", world.ADMIN)
    assert status == 200 and "<h1>GenAI chargeback, 2026-02</h1>" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("month=2026-13", "expected a month like 2026-03, got '2026-13'"),
        ("month=2026-04", "month 2026-04 has not begun yet"),
        ("month=2026-03&format=pdf", "format must be html or csv, got 'pdf'"),
    ],
)
def test_a_bad_request_is_answered_400_with_why(app, query, message):
    status, body, _answer = get(app, f"/chargeback?{query}", world.FINANCE)
    assert (status, body) == (400, message + "\n")


def test_someone_in_no_mapped_group_is_refused(app):
    status, body, _answer = get(app, "/chargeback?month=2026-03", world.NOBODY)
    assert status == 403 and world.leaks(body) == []


def test_a_download_is_in_the_audit_log(app):
    user = {**world.VIEWER_A, "X-Forwarded-User": "statement-reader@example.com"}
    assert get(app, "/chargeback?month=2026-03&format=csv", user)[0] == 200
    with app.sessions() as session:
        (row,) = session.scalars(
            select(DashboardAudit).where(DashboardAudit.user == "statement-reader@example.com")
        ).all()
    assert (row.role, row.action, row.target, row.filters) == (
        "viewer",
        "export",
        "/chargeback",
        "month=2026-03&format=csv",
    )
    assert row.at == world.NOW


def teams_body(team: str) -> dict:
    inputs = [
        {"id": "teams-dates", "property": "start_date", "value": world.START},
        {"id": "teams-dates", "property": "end_date", "value": world.END},
        {"id": "teams-team", "property": "value", "value": team},
        {"id": "teams-account", "property": "value", "value": []},
        {"id": "teams-region", "property": "value", "value": []},
        {"id": "teams-app", "property": "data", "value": None},
        {"id": "teams-principal", "property": "data", "value": None},
    ]
    return {
        "output": "teams-body.children",
        "outputs": {"id": "teams-body", "property": "children"},
        "inputs": inputs,
        "changedPropIds": [],
        "state": [],
    }


def hrefs(node: object) -> list[str]:
    """Every link target in a callback's JSON answer."""
    if isinstance(node, dict):
        own = [node["href"]] if isinstance(node.get("href"), str) else []
        return own + [href for value in node.values() for href in hrefs(value)]
    if isinstance(node, list):
        return [href for value in node for href in hrefs(value)]
    return []


def test_the_teams_page_links_to_the_statement(app):
    client = app.server.test_client()
    client.get("/", headers=world.VIEWER_A)
    answer = client.post(world.CALLBACK, json=teams_body(world.TEAM_A), headers=world.VIEWER_A)
    assert answer.status_code == 200
    found = set(hrefs(answer.get_json()))
    for href in ("/chargeback?month=2026-02", "/chargeback?month=2026-03&format=csv"):
        assert href in found, found
        status, statement, _answer = get(app, href, world.VIEWER_A)
        assert status == 200 and world.TEAM_A in statement and world.leaks(statement) == []
