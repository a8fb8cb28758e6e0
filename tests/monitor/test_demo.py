"""The demo: the world of `demo/` seeded, collected and evaluated end to end, through the CLI too,
at a pinned time."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from core.db import make_engine, session_factory
from core.models import (
    ActionAudit,
    Alert,
    BedrockUsageHourly,
    CostDaily,
    CostLine,
    CustomModel,
    Endpoint,
    ProvisionedThroughput,
    Snapshot,
)
from core.models_principals import PrincipalUsageHourly
from core.queries.batch import batch_jobs
from core.queries.costs import bedrock_reconciliation
from core.queries.model_reconciliation import model_reconciliation
from core.queries.savings import saved_by_team, stopped_intervals
from core.queries.waste import under_use, waste_rows
from core.queries.waste_provisioned import provisioned_waste
from core.queries.waste_row import WasteScope
from core.settings import parse_config
from dashboard.filters import parse_filters
from dashboard.views.waste import saved_frame
from demo.genai_seed import MANTLE_MODEL
from demo.principal_traffic import ETL, LOG_DAYS, RUNAWAY
from demo.world import ACCOUNT, MODELS, TEAMS
from monitor import demo as demo_module
from monitor.cli import main
from monitor.demo import build_demo, summary_lines

NOW = datetime(2026, 3, 19, 15, 40, tzinfo=UTC)  # a Thursday in the middle of a month
DAYS = 21  # enough for the spike rule's 14-day baseline


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The demo built once for the module: 21 days at NOW, into SQLite."""
    directory = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    result = build_demo(directory, DAYS, progress=lines.append, now=NOW)
    return result, lines


def alerts(result) -> set[tuple[str, str, str]]:
    engine = make_engine(result.database_url)
    try:
        with session_factory(engine)() as session:
            return {
                (
                    a.rule,
                    a.subject.split("/")[-1] if a.rule == "idle_endpoint" else a.subject,
                    a.state,
                )
                for a in session.scalars(select(Alert))
            }
    finally:
        engine.dispose()


def test_the_demo_collects_a_whole_organisation_without_failures(built):
    result, progress = built
    assert result.failed == []
    assert any("local AWS stand-in (moto) at http://127.0.0.1:" in line for line in progress)
    assert result.endpoints == 9 and result.datapoints > 20_000
    engine = make_engine(result.database_url)
    try:
        with session_factory(engine)() as session:
            model_ids = set(
                session.execute(
                    select(BedrockUsageHourly.region, BedrockUsageHourly.model_id).distinct()
                )
            )
            # the twelve ModelIds of AWS/Bedrock, the custom model deployment called on demand by
            # its ARN, and the model called through the Mantle endpoint
            deployment = (
                f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model-deployment/support-tuned-live"
            )
            mantle = ("us-east-1", f"mantle:{MANTLE_MODEL}")
            assert model_ids == {(m.region, m.model_id) for m in MODELS} | {
                ("us-east-1", deployment),
                mantle,
            }
            # twelve models, the custom model deployment, the model called through Mantle
            assert len(model_ids) == 14
            assert set(session.scalars(select(BedrockUsageHourly.team).distinct())) == {
                *TEAMS,
                "unattributed",
            }
            assert session.scalar(select(func.min(BedrockUsageHourly.hour))) == datetime(
                2026, 2, 26, tzinfo=UTC
            )
            types = sorted(session.scalars(select(Endpoint.endpoint_type)))
            # seven real-time endpoints (the dev one's restored life is created on the stand-in's
            # wall clock, after this test's pinned NOW, so the collector does not see it yet)
            assert types == ["async", "inference-components", *["real-time"] * 7, "serverless"]
            assert {t for (t,) in session.execute(select(CostDaily.team).distinct())} == {
                *TEAMS,
                "unattributed",
            }
            services = set(session.scalars(select(CostDaily.service).distinct()))
            assert {
                "Amazon Bedrock",
                "Amazon SageMaker",
                "Claude 3.5 Sonnet v2 (Amazon Bedrock Edition)",
            } <= services
    finally:
        engine.dispose()


def test_the_invocation_logs_name_the_callers_and_add_up_to_the_metrics(built):
    result, progress = built
    assert any("model invocation log records" in line for line in progress)
    engine = make_engine(result.database_url)
    since = NOW.replace(minute=0) - timedelta(days=LOG_DAYS)
    try:
        with session_factory(engine)() as session:
            by_principal = {
                (principal, metadata): team
                for principal, metadata, team in session.execute(
                    select(
                        PrincipalUsageHourly.principal,
                        PrincipalUsageHourly.request_metadata,
                        PrincipalUsageHourly.team,
                    ).distinct()
                )
            }
            logged = dict(
                session.execute(
                    select(
                        PrincipalUsageHourly.model_id, func.sum(PrincipalUsageHourly.input_tokens)
                    ).group_by(PrincipalUsageHourly.model_id)
                ).all()
            )
            metrics = dict(
                session.execute(
                    select(BedrockUsageHourly.model_id, func.sum(BedrockUsageHourly.input_tokens))
                    .where(
                        BedrockUsageHourly.hour >= since, ~BedrockUsageHourly.model_id.like("%:%/%")
                    )
                    .where(~BedrockUsageHourly.model_id.like("mantle:%"))
                    .group_by(BedrockUsageHourly.model_id)
                ).all()
            )
    finally:
        engine.dispose()
    shared = f"arn:aws:sts::{ACCOUNT}:assumed-role/genai-shared/lambda"
    assert by_principal[(shared, '{"project":"atlas"}')] == "platform"
    assert by_principal[(shared, '{"project":"orion"}')] == "platform"
    assert by_principal[(ETL, "{}")] == "unattributed"
    assert {"search", "support", "research", "marketing", "platform", "data"} <= set(
        by_principal.values()
    )
    # every token the metrics counted in the logged weeks has a caller, model by model
    assert logged == metrics


def test_the_demo_shows_each_bedrock_kind(built):
    result, _ = built
    engine = make_engine(result.database_url)
    try:
        with session_factory(engine)() as session:
            pts = {
                pt.name: (pt.team, pt.commitment)
                for pt in session.scalars(select(ProvisionedThroughput))
            }
            waste = [(row.name, row.team) for row in provisioned_waste(session, NOW)]
            models = {m.name: (m.kind, m.team) for m in session.scalars(select(CustomModel))}
            jobs = {j.name: (j.team, j.priced) for j in batch_jobs(session)}
    finally:
        engine.dispose()
    assert pts == {
        "support-titan-pt": ("support", "OneMonth"),
        "research-instant-pt": ("research", None),
        "data-nightly-pt": ("data", None),
    }
    assert waste == [("research-instant-pt", "research")]
    assert models == {
        "support-tuned-haiku": ("custom", "support"),
        "support-tuned-live": ("deployment", "support"),
    }
    assert jobs == {"data-nightly-classify": ("data", True)}


def test_the_policies_stopped_and_restored_with_snapshots_and_the_savings_add_up(built):
    """research's idle endpoint was announced, then stopped after the notice; search's
    dev endpoint went off at 20:00 Berlin (19:00 UTC in March) and back at 08:00 on weekdays."""
    result, progress = built
    assert any(line.startswith("acted on waste: ") for line in progress)
    engine = make_engine(result.database_url)
    try:
        with session_factory(engine)() as session:
            audit = session.scalars(select(ActionAudit).order_by(ActionAudit.at)).all()
            done = [(a.actor, a.action, a.name, a.at) for a in audit if a.outcome == "succeeded"]
            snapshots = {s.id: s for s in session.scalars(select(Snapshot))}
            saved = saved_by_team(session, "2026-03", NOW)
            live = {
                e.endpoint_name
                for e in session.scalars(select(Endpoint).where(Endpoint.deleted_at.is_(None)))
            }
            rows = waste_rows(session, WasteScope(at=NOW, under_use=under_use(result.config)))
    finally:
        engine.dispose()
    announced = NOW.replace(minute=0) - timedelta(days=4)  # the first cycle: idle for days already
    stopped = announced + timedelta(hours=12)  # the notice
    assert [d for d in done if d[0] == "policy:auto_stop"] == [
        ("policy:auto_stop", "announce", "research-llm-eval", announced),
        ("policy:auto_stop", "delete", "research-llm-eval", stopped),
    ]
    night = [datetime(2026, 3, day, hour, tzinfo=UTC) for day in (16, 17, 18) for hour in (19,)]
    morning = [datetime(2026, 3, day, 7, tzinfo=UTC) for day in (17, 18, 19)]
    schedule = [(a, when) for actor, a, name, when in done if actor == "policy:schedule"]
    assert schedule == sorted(
        [("delete", when) for when in night] + [("restore", when) for when in morning],
        key=lambda item: item[1],
    )
    assert all(name == "dev-search-sandbox" for actor, _, name, _ in done if "schedule" in actor)
    # each stop is price x hours until its restore (or NOW), from the snapshot's hourly price
    expected: dict[str, Decimal] = {}
    for stop in (a for a in audit if a.outcome == "succeeded" and a.action == "delete"):
        snapshot = snapshots[stop.snapshot_id]
        until = snapshot.restored_at or NOW
        hours = Decimal((until - stop.at).total_seconds()) / 3600
        expected[stop.team] = expected.get(stop.team, Decimal(0)) + snapshot.hourly_usd * hours
    assert set(expected) == {"research", "search"} and all(v > 0 for v in expected.values())
    assert {team: saved[team].quantize(Decimal("0.01")) for team in expected} == {
        team: value.quantize(Decimal("0.01")) for team, value in expected.items()
    }
    # the monitor collected what the policies did: research's stopped endpoint is no waste now
    # (its idle PT is out of the policy's `resources`: still waste)
    assert "research-llm-eval" not in live
    names = {row.name for row in rows}
    assert "research-llm-eval" not in names and "research-instant-pt" in names


def test_the_waste_page_shows_what_the_stopped_endpoints_saved(built):
    result, _ = built
    engine = make_engine(result.database_url)
    try:
        with session_factory(engine)() as session:
            saved = saved_frame(session, parse_filters({}, NOW.date()), NOW)
            intervals = stopped_intervals(session, NOW)
    finally:
        engine.dispose()
    rows = {row["name"]: row for row in saved.to_dict("records")}
    assert set(rows) == {"research-llm-eval", "dev-search-sandbox"}
    assert (rows["research-llm-eval"]["team"], rows["research-llm-eval"]["stopped_now"]) == (
        "research",
        "yes",
    )
    assert (rows["dev-search-sandbox"]["team"], rows["dev-search-sandbox"]["stopped_now"]) == (
        "search",
        "no",  # restored at 08:00 Berlin this morning
    )
    # the dev endpoint: three nights of 12 hours (19:00 to 07:00 UTC in March)
    assert rows["dev-search-sandbox"]["hours_stopped"] == Decimal(36)
    for name, row in rows.items():
        mine = [i for i in intervals if i.name == name]
        assert row["saved_usd"] == sum(i.saved_usd for i in mine).quantize(Decimal("0.01"))


def test_every_kind_of_waste_is_on_the_waste_page_and_in_the_waste_command(built, monkeypatch):
    result, _ = built
    engine = make_engine(result.database_url)
    try:
        with session_factory(engine)() as session:
            rows = waste_rows(session, WasteScope(at=NOW, under_use=under_use(result.config)))
    finally:
        engine.dispose()
    kinds = {row.kind for row in rows}
    # the under-used ones: busy, yet paying for more than their traffic needs
    assert sorted((row.kind, row.name) for row in rows if row.kind.endswith("_underused")) == [
        ("provisioned_throughput_underused", "data-nightly-pt"),
        ("sagemaker_endpoint_underused", "support-intent-classifier"),
    ]
    assert kinds == {
        "sagemaker_endpoint",
        "provisioned_throughput",
        "vector_store",
        "sagemaker_endpoint_underused",
        "provisioned_throughput_underused",
    }
    monkeypatch.setenv("DATABASE_URL", result.database_url)
    monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(result.config_path))
    cli = CliRunner().invoke(
        main, ["waste", "--format", "json", "--at", NOW.isoformat()], catch_exceptions=False
    )
    assert cli.exit_code == 0, cli.output
    assert {row["kind"] for row in json.loads(cli.output)} == kinds


def test_the_bill_agrees_with_the_token_estimate_as_a_real_bill_does(built):
    result, _ = built
    engine = make_engine(result.database_url)
    try:
        with session_factory(engine)() as session:
            rows = bedrock_reconciliation(
                session, date(2026, 3, 1), date(2026, 3, 19)
            )  # closed days
    finally:
        engine.dispose()
    estimated: dict[str, Decimal] = defaultdict(Decimal)
    billed: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        estimated[row.team] += row.estimated_usd
        billed[row.team] += row.billed_usd
    for team in TEAMS:
        assert billed[team] > 0
        assert abs(billed[team] - estimated[team]) <= Decimal("0.01") * billed[team] + Decimal(
            "0.05"
        ), (team, billed[team], estimated[team])
    # the model the price catalog lacks is billed but cannot be estimated
    assert billed["unattributed"] > estimated["unattributed"]


MODEL_IDS = {model.base_model for model in MODELS}


def test_the_cur_export_agrees_with_cost_explorer_per_team_and_service_to_the_cent(built):
    result, progress = built
    assert any("a CUR 2.0 export of" in line for line in progress)
    assert result.config.collection.costs.source == ["cost_explorer", "cur"]
    engine = make_engine(result.database_url)
    try:
        with session_factory(engine)() as session:
            explorer = {
                (team, service): amount
                for team, service, amount in session.execute(
                    select(
                        CostDaily.team, CostDaily.service, func.sum(CostDaily.amount_usd)
                    ).group_by(CostDaily.team, CostDaily.service)
                )
            }
            cur = {
                (team, service): amount
                for team, service, amount in session.execute(
                    select(CostLine.team, CostLine.service, func.sum(CostLine.unblended_usd))
                    .where(CostLine.source == "cur")
                    .group_by(CostLine.team, CostLine.service)
                )
            }
            endpoints = session.scalar(
                select(func.count(func.distinct(CostLine.resource_id))).where(
                    CostLine.resource_id.like("arn:aws:sagemaker:%:endpoint/%")
                )
            )
    finally:
        engine.dispose()
    cents = Decimal("0.01")
    assert {k: Decimal(v).quantize(cents) for k, v in cur.items()} == {
        k: Decimal(v).quantize(cents) for k, v in explorer.items()
    }
    assert endpoints >= 6


def test_per_model_the_estimate_at_the_bill_s_effective_rates_closes_the_gap(built):
    result, _ = built
    engine = make_engine(result.database_url)
    try:
        with session_factory(engine)() as session:
            rows = model_reconciliation(session, date(2026, 3, 1), date(2026, 3, 19))
    finally:
        engine.dispose()
    billed = [row for row in rows if row.billed_usd > 0]
    # every billed line found the model whose tokens it bills (else it shows under its usage key)
    assert billed and all(row.model in MODEL_IDS for row in billed), [r.model for r in billed]
    # the model the price catalog lacks has no list estimate, but the bill's rate prices it
    unpriced = [row for row in billed if row.model == "minimax.minimax-m2"]
    assert unpriced and all(row.list_usd == 0 < row.effective_usd for row in unpriced)
    for row in billed:
        assert row.gap_pct is not None and abs(row.gap_pct) <= 1, (row.team, row.model, row.gap_pct)


def test_every_alert_kind_has_its_case_and_goes_to_the_log_channel(built):
    result, _ = built
    found = alerts(result)
    assert ("idle_endpoint", "research-llm-eval", "firing") in found
    assert ("idle_endpoint", "marketing-image-gen", "firing") in found
    assert ("idle_endpoint", "platform-canary-llm", "silenced") in found  # tagged keep-alive-until
    assert ("idle_endpoint", "platform-gateway-llm", "pending") in found  # idle 5h of the 24h
    assert not {name for rule, name, _ in found if rule == "idle_endpoint"} & {
        "search-rerank-prod",
        "data-classifier-serverless",
        "data-embed-batch",
    }
    # the vector store nobody searched for ten days, not the busy one
    stores = {(name, state) for rule, name, state in found if rule == "idle_vector_store"}
    assert stores == {("123456789012/us-east-1/support-kb-vectors", "firing")}
    assert ("budget_threshold", "research/2026-03/100%", "firing") in found
    assert ("budget_forecast", "search/2026-03", "firing") in found
    assert ("spend_spike", "team/research/2026-03-18", "firing") in found
    # research's agent looping in the last two hours, named by its ARN; nobody else spikes
    spiking = {(name, state) for rule, name, state in found if rule == "principal_spike"}
    assert spiking == {(RUNAWAY, "firing")}
    assert not [a for a in found if a[0] == "stale_data"]
    assert (
        "idle_provisioned_throughput",
        f"{ACCOUNT}/us-east-1/research-instant-pt",
        "firing",
    ) in found
    assert ("commitment_expiring", f"{ACCOUNT}/us-east-1/support-titan-pt", "firing") in found
    assert not [a for a in found if a[0] == "idle_provisioned_throughput" and "support" in a[1]]
    assert result.notifications_delivered > 0
    lines = summary_lines(result)
    research = next(line for line in lines if line.startswith("research "))
    assert int(re.search(r" (\d+)% ", research).group(1)) >= 100
    assert any("open alert(s)" in line for line in lines)


def test_the_cli_writes_a_valid_config_and_prints_the_summary(tmp_path, monkeypatch):
    monkeypatch.setattr(demo_module, "utcnow", lambda: NOW)
    result = CliRunner().invoke(
        main,
        ["demo", "--days", "3", "--dir", str(tmp_path / "d"), "--no-serve"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    config = parse_config((tmp_path / "d" / "genai-monitor.yaml").read_text())
    assert [team.name for team in config.teams] == list(TEAMS) and all(
        team.monthly_budget_usd for team in config.teams
    )
    assert "Bedrock est." in result.output and "open alert(s)" in result.output
    assert f"database: sqlite:///{(tmp_path / 'd' / 'demo.db').resolve()}" in result.output


def test_the_demo_dashboard_shows_non_empty_figures_on_every_page(built, browser, tmp_path):
    """The demo, built headless, served as `make demo` serves it, read in a real Chromium."""
    from dashboard.app import AuthSettings
    from monitor.dashboard import create_app
    from tests.conftest import SCREENSHOTS
    from tests.dashboard.conftest import ServerThread

    result, _progress = built
    app = create_app(result.database_url, result.config, auth=AuthSettings(), clock=lambda: NOW)
    pages = {
        "/": "#overview-month-spent",
        "/teams": "#teams-spend",
        "/bedrock": "#bedrock-estimate",
        "/endpoints": "#endpoints-count",
        "/weekly": "#weekly-this-week",
        "/alerts": "#alerts-firing-count",
        "/advisor": "#advisor-workload-count",
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        with ServerThread(app.server) as served:
            for path, ready in pages.items():
                page.goto(served.url + path)
                page.wait_for_selector(ready)
                page.wait_for_load_state("networkidle")
                # every table (AG Grid) has drawn its rows
                page.wait_for_function(
                    "() => [...document.querySelectorAll('.table')].every(t => t.querySelector('.ag-row'))"
                )
                # every Plotly figure on the page has a trace with points
                points = page.evaluate(
                    "() => Array.from(document.querySelectorAll('.js-plotly-plot')).map("
                    "g => (g.data || []).reduce((n, t) => n + ((t.x || t.values || t.y || []).length), 0))"
                )
                assert all(count > 0 for count in points), (path, points)
                rows = page.locator(".table .ag-row .ag-cell").count()
                assert points or rows, f"{path} shows neither a figure nor a table row"
                name = path.strip("/") or "overview"
                page.screenshot(path=str(SCREENSHOTS / f"demo-{name}.png"), full_page=True)
            assert page.goto(served.url + "/alerts") and page.wait_for_selector(
                "#alerts-firing-count"
            )
            assert int(page.locator("#alerts-firing-count").inner_text()) > 0
    finally:
        context.close()
