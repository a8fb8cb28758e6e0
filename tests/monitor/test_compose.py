"""docker-compose.yml: valid for Debian's docker-compose, and each service's command, exactly as
declared, run on this machine with the environment the file declares. There is no Docker engine
here, so the adaptations are: the database host `postgres` becomes the local Postgres (a scratch
database), the mounted config file is read from its host path, and AWS is the moto stand-in."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from core.db import make_engine, session_factory
from core.models import BedrockUsageHourly, CollectorRun
from demo.seed import put_bedrock_metrics
from tests.conftest import _postgres_database

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = shutil.which("docker-compose")
BIN = Path(sys.executable).parent
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
CONFIG = """
regions: [us-east-1]
teams: [{name: search, monthly_budget_usd: 1000}]
attribution: {discover_inference_profiles: false}
alerts:
  default_route: [log]
  rules: [{kind: idle_endpoint, for: 24h}, {kind: budget_threshold}, {kind: stale_data}]
notifiers: {log: {type: log}}
"""

pytestmark = pytest.mark.skipif(
    COMPOSE is None, reason="docker-compose is not installed (make system-deps)"
)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "genai-monitor.yaml"
    path.write_text(CONFIG)
    return path


def resolved(config_file: Path, extra_env: dict[str, str] | None = None) -> dict:
    """`docker-compose config`: the file with the environment substituted, as Compose sees it."""
    env = {**os.environ, "GENAI_MONITOR_CONFIG_FILE": str(config_file), **(extra_env or {})}
    answer = subprocess.run(
        [COMPOSE, "-f", str(ROOT / "docker-compose.yml"), "config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert answer.returncode == 0, answer.stderr
    return yaml.safe_load(answer.stdout)


def test_docker_compose_config_accepts_the_file(config_file):
    env = {**os.environ, "GENAI_MONITOR_CONFIG_FILE": str(config_file)}
    check = subprocess.run(
        [COMPOSE, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
    services = resolved(config_file)["services"]
    assert set(services) == {"postgres", "migrate", "collector", "dashboard"}
    assert services["migrate"]["command"] == ["genai-monitor", "migrate"]
    assert services["collector"]["command"] == [
        "genai-monitor",
        "run",
        "--host",
        "0.0.0.0",
        "--port",
        "9108",
    ]
    assert services["dashboard"]["command"] == [
        "genai-monitor",
        "dashboard",
        "--host",
        "0.0.0.0",
        "--port",
        "8050",
    ]
    assert (
        services["collector"]["depends_on"]["migrate"]["condition"]
        == "service_completed_successfully"
    )
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    # the application's database URL names the postgres service's database and credentials
    url = make_url(services["collector"]["environment"]["DATABASE_URL"])
    postgres = services["postgres"]["environment"]
    assert (url.drivername, url.host, url.username, url.password, url.database) == (
        "postgresql+psycopg",
        "postgres",
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )
    assert (ROOT / "Dockerfile").exists() and "pip install ." in (ROOT / "Dockerfile").read_text()


def service_env(service: dict, database_url: str, aws: str) -> dict[str, str]:
    """The service's declared environment, adapted to this machine (see the module docstring)."""
    env = {
        key: "" if value is None else str(value) for key, value in service["environment"].items()
    }
    env["DATABASE_URL"] = database_url
    mounts = {}
    for volume in service.get("volumes", []):
        host, container = (
            (volume["source"], volume["target"])
            if isinstance(volume, dict)
            else volume.split(":")[:2]
        )
        mounts[container] = host
    env["GENAI_MONITOR_CONFIG"] = mounts[env["GENAI_MONITOR_CONFIG"]]
    env.update(
        AWS_ENDPOINT_URL=aws,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_MAX_ATTEMPTS="2",
    )
    env["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    env["HOME"] = os.environ.get("HOME", "/tmp")
    return env


def free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def poll(url: str, timeout: float = 45) -> dict | str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                body = answer.read().decode()
                return (
                    json.loads(body) if "json" in answer.headers.get("Content-Type", "") else body
                )
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout}s")


@pytest.fixture
def postgres_url():
    yield from _postgres_database()


def collecting(health: dict) -> list[dict]:
    """The health records of the jobs that run at start (all but the weekly price refresh)."""
    return [job for name, job in health["jobs"].items() if name != "prices"]


def test_the_migrate_and_collector_services_run_as_declared(
    aws, postgres_url, config_file, tmp_path
):
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    put_bedrock_metrics(
        "us-east-1", [(HAIKU, "InputTokenCount", hour + timedelta(minutes=9), 1234)]
    )
    services = resolved(config_file)["services"]

    migrate = services["migrate"]
    migrated = subprocess.run(
        migrate["command"],
        env=service_env(migrate, postgres_url, aws),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stderr
    assert "upgraded from (empty)" in migrated.stdout

    collector = services["collector"]
    command = list(collector["command"])
    assert command[-1] == "9108"
    if not free(9108):  # something else on this machine has the declared port
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            command[-1] = str(probe.getsockname()[1])
    log_path = tmp_path / "collector.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            env=service_env(collector, postgres_url, aws),
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            health: dict = {}
            while time.monotonic() < deadline:
                health = poll(f"http://127.0.0.1:{command[-1]}/healthz")
                if all(job["runs"] >= 1 for job in collecting(health)):
                    break
                time.sleep(0.3)
            assert health["status"] == "ok" and all(
                job["runs"] >= 1 for job in collecting(health)
            ), health
            assert {name: job["last_outcome"] for name, job in health["jobs"].items()} == {
                "bedrock": "succeeded",
                "sagemaker": "succeeded",
                "costs": "succeeded",
                "cur": "succeeded",  # no targets: cur is not among the billing sources
                "provisioned_throughput": "succeeded",
                "custom_models": "succeeded",
                "batch_jobs": "succeeded",
                "vector_stores": "succeeded",
                "invocation_logs": "succeeded",
                "alerts": "succeeded",
                "prices": None,  # the weekly Price List refresh waits for its boundary
                "maintenance": "succeeded",  # partitions ahead and retention, at start and daily
            }
            # the container's healthcheck command answers the same
            check = [
                sys.executable if part == "python" else part
                for part in collector["healthcheck"]["test"][1:]
            ]
            check[-1] = check[-1].replace(":9108/", f":{command[-1]}/")
            assert subprocess.run(check, timeout=30).returncode == 0
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=60)
    assert code == 0, log_path.read_text()[-3000:]
    engine = make_engine(postgres_url)
    try:
        with session_factory(engine)() as session:
            assert session.scalar(select(func.sum(BedrockUsageHourly.input_tokens))) == 1234
            assert {
                source for (source,) in session.execute(select(CollectorRun.source).distinct())
            } == {
                "bedrock",
                "sagemaker",
                "costs",
                "provisioned_throughput",
                "custom_models",
                "batch_jobs",
                "vector_stores",
                "invocation_logs",
            }  # not cur: it has no target unless it is among the billing sources
    finally:
        engine.dispose()


def test_the_dashboard_service_runs_as_declared(aws, postgres_url, config_file, tmp_path):
    services = resolved(config_file)["services"]
    dashboard = services["dashboard"]
    env = service_env(dashboard, postgres_url, aws)
    if (
        subprocess.run(
            [dashboard["command"][0], "dashboard", "--help"],
            env=env,
            capture_output=True,
            timeout=60,
        ).returncode
        != 0
    ):
        pytest.skip("the `genai-monitor dashboard` command does not exist yet (issue #6)")
    migrate = services["migrate"]
    assert (
        subprocess.run(
            migrate["command"],
            env=service_env(migrate, postgres_url, aws),
            cwd=tmp_path,
            capture_output=True,
            timeout=120,
        ).returncode
        == 0
    )
    command = list(dashboard["command"])
    if not free(int(command[-1])):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            command[-1] = str(probe.getsockname()[1])
    log_path = tmp_path / "dashboard.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            page = poll(f"http://127.0.0.1:{command[-1]}/", timeout=60)
            assert "<html" in str(page).lower(), log_path.read_text()[-2000:]
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=60)
    assert code in (0, -signal.SIGTERM), log_path.read_text()[-2000:]
