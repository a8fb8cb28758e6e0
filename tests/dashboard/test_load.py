"""20 concurrent clients on the demo database (issue #17, item 6): page loads, Dash Pages' layout
callbacks and the pages' data callbacks, each answer checked; prints p50/p95 per kind.

The demo is built at 30 days of history (the README's demo has 90; `bench/dashboard_load.py`
measures that) so that the test stays under a minute on two cores.
"""

from __future__ import annotations

import pytest

from bench.dashboard_load import KINDS, drive, serving
from monitor.demo import build_demo
from tests.dashboard.conftest import SCREENSHOTS

FIGURES = SCREENSHOTS.parent / "dashboard-load.txt"
CLIENTS = 20
ROUNDS = 10
DAYS = 30


@pytest.mark.load
def test_twenty_clients_get_every_page_and_its_figures_without_an_error(tmp_path, capsys):
    demo = build_demo(tmp_path / "demo", DAYS, progress=lambda _line: None)
    team = sorted(team.name for team in demo.config.teams)[0]
    with serving(demo.database_url, demo.config_path) as url:
        result = drive(url, demo.now.date(), team, CLIENTS, ROUNDS)
    report = "\n".join(
        [f"dashboard load, demo {DAYS} days, {CLIENTS} clients x {ROUNDS} page visits:"]
        + result.lines()
    )
    # printed, and kept under artifacts/ where pytest-xdist's workers' output is not shown
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(report + "\n", encoding="utf-8")
    with capsys.disabled():
        print("\n" + report)
    assert result.errors == []
    # every visit sent its three requests, and each was answered with the page's content
    assert {kind: len(result.seconds[kind]) for kind in KINDS} == {
        kind: CLIENTS * ROUNDS for kind in KINDS
    }
