"""The `genai-monitor run` processes the service tests start: a moto world to collect, the
config, and the collections each process's log reports."""

from __future__ import annotations

import itertools
import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from demo.seed import create_sagemaker_endpoint, put_bedrock_metrics, put_sagemaker_invocations
from monitor.scheduler import MAINTENANCE_JOB, PRICES_JOB

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"

CONFIG = """
regions: [us-east-1, us-west-2]
attribution:
  discover_inference_profiles: false
  inference_profiles: {prof-search: {team: search, model: anthropic.claude-3-5-haiku-20241022-v1:0}}
teams: [{name: search}]
collection:
  bedrock: {interval: 2s, initial_backfill: 2d}
  sagemaker: {interval: 2s, initial_backfill: 2d}
  costs: {interval: 2s}
  vector_stores: {interval: 2s, initial_backfill: 2d}
  cur: {interval: 2s}             # no targets: `cur` is not among the billing sources
  provisioned_throughput: {interval: 2s, initial_backfill: 2h}
  custom_models: {interval: 2s, initial_backfill: 1h}
  batch_jobs: {interval: 2s, initial_backfill: 2h, lookback: 2h}
  invocation_logs: {interval: 2s, initial_backfill: 2h}   # logging off: read nothing, fail nothing
alerts:
  interval: 2s
  default_route: [log]
  rules:
    - {kind: idle_endpoint, for: 24h}
    - {kind: stale_data, for: 1h}
notifiers: {log: {type: log}}
"""
CLAIMED = re.compile(
    r"(\w+) (\d{12})/([a-z0-9-]+): claimed from ([\d.]+) to ([\d.]+) by pid (\d+)"
    r"(?: for cycle (\S+))?: (\w+)"
)
TARGETS = (
    {("bedrock", region) for region in ("us-east-1", "us-west-2")}
    | {("sagemaker", region) for region in ("us-east-1", "us-west-2")}
    | {("costs", "us-east-1")}
    | {
        (source, region)
        for source in ("provisioned_throughput", "custom_models", "batch_jobs", "invocation_logs")
        for region in ("us-east-1", "us-west-2")
    }
    | {("vector_stores", region) for region in ("us-east-1", "us-west-2")}
)


def seed_world(now: datetime) -> tuple[int, int]:
    """Five hours of Bedrock usage in two regions, a busy and an idle endpoint; returns (rows, input tokens)."""
    last = now.replace(minute=0, second=0, microsecond=0)
    hours = [last - timedelta(hours=h) for h in range(1, 6)]
    put_bedrock_metrics(
        "us-east-1",
        [
            (model, "InputTokenCount", h + timedelta(minutes=20), 1000)
            for h in hours
            for model in ("prof-search", HAIKU)
        ],
    )
    put_bedrock_metrics(
        "us-west-2", [(HAIKU, "InputTokenCount", h + timedelta(minutes=20), 500) for h in hours]
    )
    created = last - timedelta(hours=30)
    create_sagemaker_endpoint(
        "busy-ep",
        [{"name": "AllTraffic", "instance_type": "ml.m5.large"}],
        created_at=created,
        tags={"team": "search"},
    )
    create_sagemaker_endpoint(
        "idle-ep",
        [{"name": "AllTraffic", "instance_type": "ml.m5.large"}],
        created_at=created,
        tags={"team": "search"},
    )
    put_sagemaker_invocations(
        "us-east-1",
        [("busy-ep", "AllTraffic", created + timedelta(hours=h, minutes=40), 7) for h in range(30)],
    )
    return 15, 5 * 2500


class Claim(NamedTuple):
    """One target's collection in one `run` process, from its log line."""

    source: str
    region: str
    started: float
    ended: float
    pid: int
    cycle: str | None
    status: str


class Service:
    """One `genai-monitor run` process; its log goes to a file (a full pipe would block it)."""

    def __init__(self, tmp_path: Path, name: str, env: dict[str, str]) -> None:
        self.log_path = tmp_path / f"{name}.log"
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "run", "--port", "0"],
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        self.url = None

    def log(self) -> str:
        return self.log_path.read_text()

    def health(self) -> dict:
        if self.url is None:
            found = re.search(r"health on (http://[\d.]+:\d+)/healthz", self.log())
            if not found:
                return {}
            self.url = found.group(1)
        with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as answer:
            return json.load(answer)

    def metrics(self) -> str:
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as answer:
            return answer.read().decode()

    def claims(self, since: int = 0) -> list[Claim]:
        return [
            Claim(m[1], m[3], float(m[4]), float(m[5]), int(m[6]), m[7], m[8])
            for m in CLAIMED.finditer(self.log()[since:])
        ]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(
                f"{self.log_path.name} did not stop within 30 s of SIGTERM:\n{self.log()[-3000:]}"
            ) from None
        finally:
            self.log_file.close()


def wait_for(condition, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def every_job_ran(service: Service, times: int = 1) -> bool:
    try:
        jobs = service.health().get("jobs", {})
    except OSError:
        return False
    # the Price List refresh waits for its weekly boundary: it does not run in a test's minutes;
    # the daily maintenance runs once at start
    ran = [
        job["runs"] >= (1 if name == MAINTENANCE_JOB else times)
        for name, job in jobs.items()
        if name != PRICES_JOB
    ]
    return bool(ran) and all(ran)


def overlapping(claims) -> list:
    """Pairs of claims of one target whose spans overlap."""
    found = []
    for (s1, r1, a1, b1, p1, *_), (s2, r2, a2, b2, p2, *_) in itertools.combinations(claims, 2):
        if (s1, r1) == (s2, r2) and a1 < b2 and a2 < b1:
            found.append(((s1, r1, a1, b1, p1), (s2, r2, a2, b2, p2)))
    return found
