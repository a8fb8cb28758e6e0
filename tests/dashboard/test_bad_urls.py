"""Filters that mean nothing (year 9999, week 0001-W01, an end before the start, non-dates,
overlong values) are refused with 400 and the reason for a page's URL, and shown as the reason
inside the page for a callback: never a 500."""

from __future__ import annotations

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.app import AuthSettings, create_app
from demo import small as world
from tests.dashboard.callbacks import PAGE_PATHS, body_request, content_request, texts

CALLBACK = "/_dash-update-component"
BAD_URLS = {
    "/?start=9999-12-31&end=9999-12-31": "end: expected a day from 2000-01-01",
    "/?start=0001-01-01": "start: expected a day from 2000-01-01",
    "/teams?end=1999-12-31": "end: expected a day",
    "/bedrock?start=2026-03-10&end=2026-03-01": "end: 2026-03-01 is before start 2026-03-10",
    "/endpoints?start=garbage": "start: expected a day like 2026-03-01, got 'garbage'",
    "/alerts?start=2026-01-01T99": "start: expected a day like",
    "/?start=2026-03-01&start=2026-03-02": "start: expected a day like",
    "/weekly?week=0001-W01": "week 0001-W01: expected a day from 2000-01-01",
    "/weekly/?week=9999-W01": "week 9999-W01: expected a day",
    "/weekly?week=2026-W99": "week: expected an ISO week like 2026-W07",
    "/bedrock?by=everything": "by: expected one of model, model_id, region, team, account",
    "/advisor?team=" + "x" * 5000: "team: expected at most 200 characters",
    "/?region=" + ",".join(f"r{n}" for n in range(101)): "region: expected at most 100 choices",
}
GOOD_URLS = [
    "/",
    "/?start=2026-03-01&end=2026-03-07&team=search",
    "/weekly?week=2026-W10",
    "/bedrock?by=region&start=2026-03-01T00:00:00",
    "/teams?team=unattributed",
]
# one value per page's own controls that no page can show
BAD_VALUES = {"start": "9999-12-31", "week": "0001-W01"}


@pytest.mark.parametrize("path", sorted(BAD_URLS))
def test_a_url_with_filters_that_mean_nothing_is_refused_with_400_and_why(served, path):
    response = requests.get(served.url + path, timeout=30)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text.startswith("bad filter in the URL: ")
    assert BAD_URLS[path] in response.text
    assert response.text.count("\n") == 1  # one line, no traceback


@pytest.mark.parametrize("path", GOOD_URLS)
def test_a_url_with_meaningful_filters_is_served(served, path):
    assert requests.get(served.url + path, timeout=30).status_code == 200


@pytest.mark.parametrize("page", sorted(PAGE_PATHS))
def test_a_callback_with_filters_that_mean_nothing_shows_why_in_the_page(served, page):
    bad = {key: BAD_VALUES[key] for key, _c, _p in _bindings(page) if key in BAD_VALUES}
    response = requests.post(served.url + CALLBACK, json=body_request(page, bad), timeout=60)
    assert response.status_code == 200
    shown = " ".join(texts(response.json()))
    assert "Cannot show this view: " in shown and "expected a day from 2000-01-01" in shown
    # the same controls with meaningful values render the page's figures
    fine = requests.post(served.url + CALLBACK, json=body_request(page), timeout=60)
    assert fine.status_code == 200 and "Cannot show" not in " ".join(texts(fine.json()))


@pytest.mark.parametrize("path", sorted(BAD_URLS)[:6])
def test_navigating_inside_the_app_to_such_a_url_shows_why(served, path):
    pathname, _, search = path.partition("?")
    response = requests.post(
        served.url + CALLBACK, json=content_request(pathname, "?" + search), timeout=60
    )
    assert response.status_code == 200
    assert "Cannot show this view: " + BAD_URLS[path] in " ".join(texts(response.json()))


def test_a_browser_opening_such_a_url_reads_the_reason(served, page):
    response = page.goto(served.url + "/weekly?week=0001-W01")
    assert response.status == 400
    assert "week 0001-W01: expected a day from 2000-01-01" in page.inner_text("body")
    # the app itself still works in the same browser
    page.goto(served.url + f"/weekly?week={world.TODAY.isocalendar()[0]}-W10")
    page.wait_for_selector("#weekly-this-week")


def _bindings(page: str) -> list[tuple[str, str, str]]:
    from tests.dashboard.callbacks import spec_of

    return spec_of(page).bindings()


@pytest.fixture(scope="module")
def client(seeded_url):
    """The dashboard app's test client on the seeded database (no HTTP: many examples, quickly)."""
    app = create_app(seeded_url, world.config(), auth=AuthSettings(), clock=lambda: world.NOW)
    return app.server.test_client()


ODD_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
ODD_VALUES = st.one_of(
    st.none(),
    ODD_TEXT,
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(ODD_TEXT, max_size=3),
    st.dates().map(lambda day: day.isoformat()),
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.from_regex(r"\A\d{1,5}-W\d{1,3}\Z"),
    st.dictionaries(ODD_TEXT, ODD_TEXT, max_size=1),
)


@pytest.mark.parametrize("seeded_url", ["sqlite"], indirect=True)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(PAGE_PATHS)), st.data())
def test_any_callback_values_render_the_page_or_the_reason(client, page, data):
    values = {key: data.draw(ODD_VALUES, label=key) for key, _component, _prop in _bindings(page)}
    response = client.post(CALLBACK, json=body_request(page, values))
    assert response.status_code == 200, values
    body = response.get_json()["response"][f"{page}-body"]["children"]
    assert texts(body)  # the page's figures, or why they cannot be shown


@pytest.mark.parametrize("seeded_url", ["sqlite"], indirect=True)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(PAGE_PATHS.values())),
    st.dictionaries(
        st.sampled_from(["start", "end", "team", "account", "region", "week", "by"]),
        ODD_TEXT,
        max_size=3,
    ),
)
def test_any_url_is_served_or_refused_with_400(client, path, query):
    response = client.get(path, query_string=query)
    assert response.status_code in {200, 400}, (path, query)
    if response.status_code == 400:
        assert (
            response.text.startswith("bad filter in the URL: ") and response.text.count("\n") == 1
        )
