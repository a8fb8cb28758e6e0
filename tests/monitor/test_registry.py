"""A source, a rule, a notifier and a page registered here, in a test module alone, appear in the
config schema, the scheduler, the CLI, `config check` (secrets masked) and the dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, Literal

import dash
import pytest
from click.testing import CliRunner
from dash import html
from pydantic import SecretStr
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from collector.runner import HourlyRegionalSource
from core import registry
from core.aws import Target
from core.models import CollectorRun
from core.registry import NotifierEntry, PageEntry, RuleEntry, SourceEntry
from core.settings import (
    NotifierSettings,
    RuleSettings,
    SourceConfig,
    config_model,
    env_settings,
    parse_config,
)
from dashboard.app import create_app
from monitor.cli import main
from monitor.context import AppContext
from monitor.scheduler import JobSpec, job_specs

CONFIG = """
accounts: [{id: "123456789012"}]
collection:
  probe: {interval: 2h, api_token: s3cret-token}
alerts:
  default_route: [probe-channel]
  rules: [{kind: probe_rule, threshold: 3}]
notifiers:
  probe-channel: {type: probe_notifier, token: hunter2-token}
"""


class ProbeSettings(SourceConfig):
    """A source's own settings, with a secret."""

    api_token: SecretStr | None = None


class ProbeCollector(HourlyRegionalSource):
    """The smallest collector: one target per configured one, a window of nothing."""

    name = "probe"

    def __init__(self, deps: Any) -> None:
        self.config = deps.config
        self.windows: list[tuple[datetime, datetime]] = []

    def prepare(self, session: Session, target: Target, start: datetime, end: datetime) -> None:
        return None

    def fetch(self, prepared: None, start: datetime, end: datetime, collected_at: datetime) -> list:
        self.windows.append((start, end))
        return []

    def transform(self, prepared: None, fetched: list, collected_at: datetime) -> list:
        return fetched

    def load(self, session: Session, fetched: list) -> int:
        return len(fetched)


class ProbeRule(RuleSettings):
    kind: Literal["probe_rule"]
    threshold: int


class ProbeNotifier(NotifierSettings):
    type: Literal["probe_notifier"]
    token: SecretStr


def probe_layout(**_query: Any) -> html.Div:
    return html.Div("the probe page", id="probe-body")


@pytest.fixture
def probes() -> Iterator[None]:
    entries = [
        (
            registry.sources,
            SourceEntry("probe", ProbeSettings, ProbeCollector, timedelta(minutes=3)),
        ),
        (registry.rules, RuleEntry("probe_rule", ProbeRule, lambda _rule, _snap: [], "targets")),
        (registry.notifiers, NotifierEntry("probe_notifier", ProbeNotifier, lambda *_: None)),
        (
            registry.pages,
            PageEntry(
                "probe", __name__, "/probe", "Probe", "Probe", probe_layout, lambda _app: None
            ),
        ),
    ]
    for where, entry in entries:
        where.add(entry)  # type: ignore[attr-defined]
    yield
    for where, entry in entries:
        where.remove(entry.name)  # type: ignore[attr-defined]
    dash.page_registry.pop(__name__, None)


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    path = tmp_path / "genai-monitor.yaml"
    path.write_text(CONFIG)
    monkeypatch.setenv("GENAI_MONITOR_CONFIG", str(path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'probe.db'}")
    return path


def test_the_config_model_takes_what_is_registered(probes):
    config = parse_config(CONFIG)
    assert config.collection.source("probe").interval == timedelta(hours=2)
    assert config.alerts.rules[0].kind == "probe_rule"
    assert config.notifiers["probe-channel"].type == "probe_notifier"
    schema = str(config_model().model_json_schema())
    for name in ("api_token", "probe_rule", "probe_notifier"):
        assert name in schema


def test_without_the_registration_the_same_config_is_refused():
    with pytest.raises(Exception, match="probe"):
        parse_config(CONFIG)


def test_the_scheduler_runs_a_job_for_the_new_source(probes, config_file, aws):
    app = AppContext(env_settings())
    specs = job_specs(app.config, app.sources())
    assert JobSpec("probe", timedelta(hours=2), timedelta(minutes=3)) in specs
    assert [spec.id for spec in specs][:3] == ["bedrock", "sagemaker", "costs"]


def test_the_cli_collects_the_new_source_and_config_check_masks_its_secrets(
    probes, config_file, aws, tmp_path
):
    runner = CliRunner()
    assert "probe" in runner.invoke(main, ["collect", "--help"]).output
    collected = runner.invoke(main, ["collect", "probe", "--since", "3h"], catch_exceptions=False)
    assert collected.exit_code == 0, collected.output
    engine = create_engine(f"sqlite:///{tmp_path / 'probe.db'}")
    with Session(engine) as session:
        runs = session.scalars(select(CollectorRun).where(CollectorRun.source == "probe")).all()
    engine.dispose()
    assert runs and {run.status for run in runs} == {"succeeded"}

    checked = runner.invoke(main, ["config", "check"], catch_exceptions=False)
    assert checked.exit_code == 0, checked.output
    assert "s3cret-token" not in checked.output and "hunter2-token" not in checked.output
    assert "api_token: '***'" in checked.output and "\n    token: '***'" in checked.output
    assert "kind: probe_rule" in checked.output


def test_the_dashboard_serves_and_links_the_new_page(probes, tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'page.db'}", parse_config(""))
    assert dash.page_registry[__name__]["path"] == "/probe"
    shell = str(app.layout())
    assert "'/probe'" in shell and "nav-test_registry" in shell
    assert app.server.test_client().get("/probe").status_code == 200
