"""Two and three `genai-monitor run` replicas on one Postgres split every cycle: each target is
collected once per cycle (0 duplicate target-cycles), every target in every cycle, and the
alert rules are evaluated once per cycle."""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import UTC, datetime

import pytest

from core.db import make_engine
from monitor.migrate import upgrade
from tests.conftest import _postgres_database
from tests.monitor.run_processes import TARGETS, Service, seed_world, wait_for

INTERVAL = 3  # seconds: short cycles, long enough for a cycle's eleven targets
CONFIG = f"""
regions: [us-east-1, us-west-2]
attribution:
  discover_inference_profiles: false
teams: [{{name: search}}]
collection:
  bedrock: {{interval: {INTERVAL}s, initial_backfill: 1d}}
  sagemaker: {{interval: {INTERVAL}s, initial_backfill: 1d}}
  costs: {{interval: {INTERVAL}s}}
  provisioned_throughput: {{interval: {INTERVAL}s, initial_backfill: 2h}}
  custom_models: {{interval: {INTERVAL}s, initial_backfill: 1h}}
  batch_jobs: {{interval: {INTERVAL}s, initial_backfill: 2h, lookback: 2h}}
  vector_stores: {{interval: {INTERVAL}s, initial_backfill: 1d}}
  invocation_logs: {{interval: {INTERVAL}s, initial_backfill: 2h}}
alerts:
  interval: {INTERVAL}s
  default_route: [log]
  rules: [{{kind: idle_endpoint, for: 24h}}]
notifiers: {{log: {{type: log}}}}
"""
EVALUATED = re.compile(
    r"^(\S+ \S+) genai-monitor: INFO: alerts: (?:cycle (\S+): )?\d+ opened", re.MULTILINE
)
CYCLES = 3  # complete cycles of every source seen before the replicas are stopped


@pytest.fixture
def postgres_url():
    yield from _postgres_database()


def cycle_of(claim) -> str:
    """The cycle a collection belongs to: as logged, else (older processes) its start's boundary."""
    if claim.cycle:
        return claim.cycle
    return str(int(claim.started // INTERVAL * INTERVAL))


def evaluations(log: str) -> list[str]:
    """The cycle of each alert evaluation in a log (as logged, else its time's boundary)."""
    found = []
    for stamp, cycle in EVALUATED.findall(log):
        if not cycle:
            at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").astimezone(UTC).timestamp()
            cycle = str(int(at // INTERVAL * INTERVAL))
        found.append(cycle)
    return found


def complete_cycles(claims) -> dict[str, list[str]]:
    """Per source, the cycles in which every one of its targets was collected."""
    seen: dict[tuple[str, str], set[str]] = {}
    for claim in claims:
        seen.setdefault((claim.source, cycle_of(claim)), set()).add(claim.region)
    wanted: dict[str, set[str]] = {}
    for source, region in TARGETS:
        wanted.setdefault(source, set()).add(region)
    complete: dict[str, list[str]] = {source: [] for source in wanted}
    for (source, cycle), regions in sorted(seen.items()):
        if regions == wanted[source]:
            complete[source].append(cycle)
    return complete


@pytest.mark.fault
@pytest.mark.parametrize("replicas", [2, 3])
def test_replicas_collect_each_target_once_per_cycle(aws, postgres_url, tmp_path, replicas):
    engine = make_engine(postgres_url)
    upgrade(engine)
    engine.dispose()
    seed_world(datetime.now(UTC))
    config = tmp_path / "genai-monitor.yaml"
    config.write_text(CONFIG)
    env = {**os.environ, "DATABASE_URL": postgres_url, "GENAI_MONITOR_CONFIG": str(config)}
    processes = [Service(tmp_path, f"replica-{n}", env) for n in range(replicas)]
    try:
        wait_for(
            lambda: all(
                len(cycles) >= CYCLES
                for cycles in complete_cycles([c for p in processes for c in p.claims()]).values()
            ),
            f"{CYCLES} complete cycles of every source",
            timeout=50,
        )
    finally:
        codes = [process.stop() for process in processes]
    logs = [process.log() for process in processes]
    assert codes == [0] * replicas, [log[-1500:] for log in logs]
    # a collection the stop cut short between two windows is continued by another (or the next)
    claims = [c for process in processes for c in process.claims() if c.status != "stopped"]
    per_target_cycle = Counter((c.source, c.region, cycle_of(c)) for c in claims)
    duplicates = {key: n for key, n in per_target_cycle.items() if n > 1}
    per_cycle = Counter(cycle for log in logs for cycle in evaluations(log))
    twice_evaluated = {cycle: n for cycle, n in per_cycle.items() if n > 1}
    print(
        f"\n{replicas} replicas: {len(per_target_cycle)} target-cycles, {len(duplicates)} "
        f"duplicates; {len(per_cycle)} alert cycles, {len(twice_evaluated)} evaluated twice"
    )
    assert not duplicates, sorted(duplicates.items())[:5]
    assert not twice_evaluated, sorted(twice_evaluated.items())[:5]
    # every target of every cycle a source ran in, but the last two (cut short by the stop)
    cycles: dict[str, set[str]] = {}
    for claim in claims:
        cycles.setdefault(claim.source, set()).add(cycle_of(claim))
    complete = complete_cycles(claims)
    for source, seen in cycles.items():
        assert set(complete[source]) >= set(sorted(seen)[:-2]), source
    assert all(c.status == "succeeded" for c in claims)
    # the replicas shared the work
    assert len({c.pid for c in claims}) >= 2
