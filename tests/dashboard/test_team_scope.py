"""Issue #17's acceptance: a viewer of team A gets 0 bytes of team B's data from any route.

Every route the server knows, every registered page (with the URL asking for team B) and every
server callback (with its payload asking for team B, for both teams and for all) is requested as
the viewer of A, and each answer is grepped for team B's names and figures. The same walk as an
admin must find them, so the grep can fail.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from advisor import Advisor
from core import registry
from core.db import make_engine, session_factory
from core.models import DashboardAudit
from dashboard.app import AuthSettings, create_app
from tests.conftest import seeded_database
from tests.dashboard import two_teams as world
from tests.dashboard.conftest import ServerThread

CALLBACK, START, END = world.CALLBACK, world.START, world.END
TEAM_ASKS: list[Any] = [
    [world.TEAM_B],
    [world.TEAM_A, world.TEAM_B],
    [],
    None,
    world.TEAM_B,
    ["unattributed"],
]
SEARCHES = [
    f"?team={world.TEAM_B}",
    f"?team={world.TEAM_A},{world.TEAM_B}",
    "",
    "?team=unattributed",
]
GROUPINGS = ["model", "model_id", "region", "team", "account", "principal"]
WEEKS = ["2026-W12", "2026-W11", None]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def scoped_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """The dashboard over the two-team world, on each kind of database."""
    for url in seeded_database(request.param, tmp_path_factory.mktemp("scope"), world.seed):
        engine = make_engine(url)
        app = create_app(
            url, world.config(), auth=AuthSettings(), clock=lambda: world.NOW, advisor=Advisor.load
        )
        app.sessions = session_factory(engine)  # type: ignore[attr-defined]
        yield app
        engine.dispose()


def concrete_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every rule of the server, path variables filled in (a real script for assets)."""
    script = sorted(app.registered_paths["dash"])[0]
    names = {"package_name": "dash", "fingerprinted_path": script, "path": "x"}
    routes = []
    for rule in app.server.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: names.get(m.group(1), "x"), rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


def input_values(spec: dict[str, Any]) -> list[Any]:
    """The values a walk sends for one callback input: team B, both teams, all teams, and so on."""
    component, prop = str(spec["id"]), spec["property"]
    if prop == "start_date":
        return [START]
    if prop == "end_date":
        return [END]
    if component.endswith("-team"):
        return TEAM_ASKS
    if component.endswith("-by"):
        return GROUPINGS
    if component.endswith("-week"):
        return WEEKS
    if component.endswith("-app"):  # the Teams drill-down: team B's application and principal
        return [None, world.PROJECT_B, "project=alpha-web"]
    if component.endswith("-principal"):
        return [None, world.PRINCIPAL_B, world.SHARED]
    if component.startswith("{"):  # a table's export log: the URL the export was made at
        return [{"query": search, "clicks": 1} for search in SEARCHES]
    return [[]]


def concrete(component: Any) -> Any:
    """A pattern id with its wildcards replaced by one table, as the browser sends it."""
    if isinstance(component, str) and component.startswith("{"):
        pattern = json.loads(component)
        return {
            key: "overview-budgets" if value == ["MATCH"] else value
            for key, value in pattern.items()
        }
    return component


def callback_payloads(app: Any) -> Iterator[dict[str, Any]]:
    """Every server callback's request with every combination of the walk's input values."""
    for output, callback in app.callback_map.items():
        if "callback" not in callback:  # clientside: runs in the browser, never on the server
            continue
        specs = callback["inputs"]
        outputs = [
            {"id": concrete(item.rsplit(".", 1)[0]), "property": item.rsplit(".", 1)[1]}
            for item in output.strip(".").split("...")
        ]
        if any(spec["id"] == "_pages_location" for spec in specs):
            continue  # the page callback is walked page by page
        for values in itertools.product(*(input_values(spec) for spec in specs)):
            yield {
                "output": output,
                "outputs": outputs[0] if len(outputs) == 1 else outputs,
                "inputs": [
                    {"id": concrete(spec["id"]), "property": spec["property"], "value": value}
                    for spec, value in zip(specs, values, strict=True)
                ],
                "changedPropIds": [],
                # the browser sends each State's value too (the Act panel's picks): none picked
                "state": [
                    {"id": concrete(spec["id"]), "property": spec["property"], "value": None}
                    for spec in callback.get("state", [])
                ],
            }


def page_payloads() -> Iterator[dict[str, Any]]:
    """Every registered page, opened with the URL asking for team B, both teams or all."""
    for page in registry.pages:
        for search in SEARCHES:
            yield {
                "output": ".._pages_content.children..._pages_store.data..",
                "outputs": [
                    {"id": "_pages_content", "property": "children"},
                    {"id": "_pages_store", "property": "data"},
                ],
                "inputs": [
                    {"id": "_pages_location", "property": "pathname", "value": page.path},
                    {"id": "_pages_location", "property": "search", "value": search},
                ],
                "changedPropIds": ["_pages_location.pathname"],
                "state": [],
            }


def walk(app: Any, headers: dict[str, str]) -> list[tuple[str, int, str]]:
    """(what, status, body) of every route, page and callback answered to the person of ``headers``."""
    client = app.server.test_client()
    answers = []
    client.get("/", headers=headers)  # the index registers the scripts the asset route serves
    for method, path in concrete_routes(app):
        if path == CALLBACK:
            continue
        answer = client.open(path, method=method, headers=headers)
        body = answer.get_data().decode("utf-8", errors="replace")
        answers.append((f"{method} {path}", answer.status_code, body))
    for page in registry.pages:
        url = f"{page.path}?team={world.TEAM_B}"
        answer = client.get(url, headers=headers)
        # the page shell echoes the address asked for in its meta tags: the asker's words, not data
        body = answer.get_data(as_text=True).replace(f"http://localhost{url}", "")
        answers.append((f"GET {page.path}", answer.status_code, body))
    for payload in [*page_payloads(), *callback_payloads(app)]:
        answer = client.post(CALLBACK, json=payload, headers=headers)
        what = f"{payload['output']} {json.dumps(payload['inputs'])}"
        answers.append((what, answer.status_code, answer.get_data(as_text=True)))
    return answers


def test_a_viewer_of_team_a_gets_nothing_of_team_b_from_any_route(scoped_app):
    answers = walk(scoped_app, world.VIEWER_A)
    data = [
        (what, status, body)
        for what, status, body in answers
        if what.startswith(
            (
                "..",
                "{",
                "overview",
                "teams",
                "bedrock",
                "endpoints",
                "weekly",
                "alerts",
                "advisor",
                "waste",
            )
        )
    ]
    assert len(data) > 100, "the walk must reach every page and callback"
    assert all(status == 200 for _what, status, _body in data), [
        (what, status) for what, status, _body in data if status != 200
    ]
    leaked = [
        (what[:120], world.leaks(body)) for what, _status, body in answers if world.leaks(body)
    ]
    assert not leaked
    # the viewer's own team is there: the answers are real pages, not empty ones
    bodies = "".join(body for _what, _status, body in data)
    assert world.TEAM_A in bodies and "$5,000.00" in bodies and "alpha-ranker" in bodies


def test_an_admin_sees_team_b_so_the_grep_can_fail(scoped_app):
    bodies = "".join(body for _what, status, body in walk(scoped_app, world.ADMIN) if status == 200)
    found = set(world.leaks(bodies))
    for token in (
        world.TEAM_B,
        "zulu-vault-vectorizer",
        "$86,420.13",
        "9137.46",
        '"unattributed"',
        world.PRINCIPAL_B.replace("/", "\\u002f"),  # as Dash's JSON spells it
        world.PROJECT_B,
        "$6,317.23",  # B's principal's bill, in the Teams drill-down
    ):
        assert token in found, token


def test_pages_callbacks_and_exports_are_in_the_audit_log(scoped_app):
    client = scoped_app.server.test_client()
    asks = [
        next(p for p in page_payloads() if p["inputs"][0]["value"] == "/teams"),
        *(p for p in callback_payloads(scoped_app) if p["output"] == "alerts-body.children"),
        next(p for p in callback_payloads(scoped_app) if "table-export" in p["output"]),
    ]
    user = {**world.VIEWER_A, "X-Forwarded-User": "auditee@example.com"}
    for payload in asks:
        assert client.post(CALLBACK, json=payload, headers=user).status_code == 200
    client.get("/_dash-layout", headers=user)  # no data: not logged
    with scoped_app.sessions() as session:
        rows = session.scalars(
            select(DashboardAudit).where(DashboardAudit.user == "auditee@example.com")
        ).all()
    assert len(rows) == len(asks)
    assert {row.role for row in rows} == {"viewer"}
    assert {row.action for row in rows} == {"page", "callback", "export"}
    assert all(row.at == world.NOW for row in rows)
    # what was asked for team B was answered, and recorded, for team A only
    assert all(f"team={world.TEAM_A}" in row.filters for row in rows)
    assert not any(world.TEAM_B in row.filters for row in rows)
    assert {(row.action, row.target) for row in rows} >= {
        ("page", "/teams"),
        ("callback", "alerts-body.children"),
        ("export", "overview-budgets"),
    }


def test_in_a_browser_the_viewer_of_a_is_offered_and_shown_only_a(scoped_app, browser, tmp_path):
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000},
        accept_downloads=True,
        extra_http_headers=world.VIEWER_A,
    )
    context.set_default_timeout(20000)
    page = context.new_page()
    try:
        with ServerThread(scoped_app.server) as server:
            page.goto(f"{server.url}/teams?team={world.TEAM_B}")
            page.wait_for_selector("#teams-spend")
            page.wait_for_load_state("networkidle")
            # the body's DOM (the head's meta tags echo the address typed, not data)
            assert not world.page_leaks(page.inner_html("body"))
            assert world.TEAM_A in page.inner_text("#teams-page")
            assert f"team={world.TEAM_A}" in page.url
            page.click("#teams-team")
            options = page.get_by_role("option").all_inner_texts()
            assert options == [world.TEAM_A]
            page.keyboard.press("Escape")

            page.goto(f"{server.url}/?team={world.TEAM_B}")
            page.wait_for_selector("#overview-budgets .ag-row")
            with page.expect_download() as download_info:
                page.locator("#overview-budgets button.export").click()
            path = tmp_path / "budgets.csv"
            download_info.value.save_as(path)
            rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
            assert [row["team"] for row in rows] == [world.TEAM_A]
            assert not world.leaks(path.read_text(encoding="utf-8-sig"))
            assert not world.page_leaks(page.inner_html("body"))
    finally:
        context.close()


def test_in_a_browser_the_viewer_of_a_drills_into_a_principals_only(scoped_app, browser):
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, extra_http_headers=world.VIEWER_A
    )
    context.set_default_timeout(20000)
    page = context.new_page()
    try:
        with ServerThread(scoped_app.server) as server:
            page.goto(f"{server.url}/teams?team={world.TEAM_B}&app=project%3Dalpha-web")
            page.wait_for_selector("#teams-principals .ag-row")
            page.wait_for_load_state("networkidle")
            principals = page.locator(
                "#teams-principals .ag-row .ag-cell[col-id='principal']"
            ).all_inner_texts()
            assert sorted(principals) == [world.PRINCIPAL_A, world.SHARED]
            billed = page.locator(
                "#teams-principals .ag-row .ag-cell[col-id='billed_usd']"
            ).all_inner_texts()
            # the shared role's bill holds B's calls: not shown; A's own role's is
            assert dict(zip(principals, billed, strict=True)) == {
                world.PRINCIPAL_A: "3.21",
                world.SHARED: "",
            }
            assert "$3.21" in page.inner_text("#teams-drill-billed")
            assert not world.page_leaks(page.inner_html("body"))

            page.goto(f"{server.url}/bedrock?by=principal&team={world.TEAM_B}")
            page.wait_for_selector("#bedrock-totals .ag-cell[col-id='principal']")
            page.wait_for_load_state("networkidle")
            shown = page.locator(
                "#bedrock-totals .ag-row .ag-cell[col-id='principal']"
            ).all_inner_texts()
            assert sorted(shown) == [world.PRINCIPAL_A, world.SHARED]
            assert not world.page_leaks(page.inner_html("body"))
    finally:
        context.close()
