"""Collection benchmark, measured side by side in one run (this machine is shared; absolute times drift).

A local AWS stand-in (moto's server in its own process, with the demo's stand-ins) adds a fixed
latency to every request; an organisation of ACCOUNTS x REGIONS targets (200 by default), each
region with MODELS Bedrock models reporting every token/invocation metric (the series a busy
account has). One incremental cycle of the `bedrock` source, each case in a fresh process on a
fresh Postgres database, every target's client made beforehand (as in a `run` process past its
first cycles):

1. sequential (1 worker) vs concurrent (`collection.workers` 16): the speed-up, the ideal
   (min(workers, targets): every target has its own (account, region) rate buckets, so the rate
   limits do not bind) and their ratio (target >= 0.7);
2. 3 `run` replicas vs 1, each taking the cycle's claims (`Service.collect`, the code `run`
   runs) with its worker pool: the speed-up (target >= 2.5x) and the targets collected twice
   (target 0: from each replica's collected targets; `collector_runs` has one row per window);
3. API calls per cycle against the minimum (ListMetrics once per namespace, GetMetricData once per window);
4. peak memory (max RSS) per process with a quarter of the targets and with all of them (flat).

Usage: python bench/collect.py [--accounts 40] [--regions 5] [--models 12] [--latency-ms 50]
Postgres: BENCH_DATABASE_URL (default: the local `postgres`); scratch databases are made and dropped.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

ADMIN_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ALL_REGIONS = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-northeast-1",
    "ap-south-1",
]
METRICS = ("Invocations", "InputTokenCount", "OutputTokenCount", "InvocationThrottles")
WORKERS = 16


# --- the stand-in: moto's server with a delay on every request, in its own process ---


def serve(port_file: str) -> None:
    """Run moto's server on a free port with the demo's stand-ins and a settable latency."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from demo.bedrock_control import BedrockControlState, bedrock_control_plane
    from demo.standins import indexed_metric_data

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    latency = [0.0]
    app = DomainDispatcherApplication(create_backend_app)

    def delayed(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_bench/latency/"):
            latency[0] = float(path.rsplit("/", 1)[1]) / 1000
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        if latency[0]:
            time.sleep(latency[0])
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, delayed, threaded=True, request_handler=MotoRequestHandler)
    with indexed_metric_data(), bedrock_control_plane(BedrockControlState()):
        Path(port_file).write_text(str(server.server_address[1]))
        server.serve_forever()


def start_standin() -> tuple[subprocess.Popen[bytes], str]:
    """The stand-in process and its URL."""
    port_file = Path(tempfile.mkdtemp()) / "port"
    process = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)])
    deadline = time.monotonic() + 60
    while not port_file.exists() or not port_file.read_text():
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit("the AWS stand-in did not start")
        time.sleep(0.1)
    return process, f"http://127.0.0.1:{port_file.read_text()}"


def set_latency(url: str, ms: float) -> None:
    """Make the stand-in wait ``ms`` before answering each request."""
    with urllib.request.urlopen(f"{url}/_bench/latency/{ms:g}", timeout=10):  # noqa: S310 - loopback
        pass


def seed(regions: list[str], models: int, now: datetime) -> int:
    """Six hours of every metric of every model in every region; returns the series per region."""
    from demo.seed import put_bedrock_metrics

    last = now.replace(minute=0, second=0, microsecond=0)
    points = [
        (f"vendor.model-{m}-v1:0", metric, last - timedelta(hours=h, minutes=-20), 100 + m + h)
        for m in range(models)
        for metric in METRICS
        for h in range(6)
    ]
    for region in regions:
        put_bedrock_metrics(region, points)
    return models * len(METRICS)


def config_text(accounts: int, regions: list[str], workers: int) -> str:
    """The organisation: ``accounts`` accounts (the stand-in's own credentials) in every region."""
    ids = ", ".join(f"{{id: '{200000000000 + n}', name: acct{n}}}" for n in range(accounts))
    return f"""
accounts: [{ids}]
regions: [{", ".join(regions)}]
attribution: {{discover_inference_profiles: false}}
collection:
  workers: {workers}
  bedrock: {{initial_backfill: 6h, window: 1d}}
"""


# --- the cases, each in a fresh process ---


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user and system) of this process, or of another one from /proc."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib() -> float:
    """This process's peak resident memory so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def warm(app: Any, source: Any) -> list[Any]:
    """The source's targets, each with its CloudWatch client made, as a `run` process has them
    after its first cycles (making a client costs tens of milliseconds of CPU)."""
    targets: list[Any] = source.targets(app.targets())
    for target in targets:
        app.clients.client("cloudwatch", target)
    return targets


def case_cycle(database_url: str, config: str) -> dict[str, Any]:
    """One cycle of `bedrock` over every target with the runner (`collect`'s path)."""
    from collector.runner import Runner
    from core.settings import EnvSettings
    from monitor.context import AppContext

    app = AppContext(EnvSettings(database_url, Path(config), True))
    sessions = app.database()
    source = app.sources()["bedrock"]
    runner = Runner(sessions, app.clients.counter, workers=app.config.collection.worker_count)
    targets = warm(app, source)
    base = rss_mib()
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    plans = runner.plan(source, targets)
    result = runner.run(source, plans)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu": cpu_seconds() - cpu_before,
        "targets": len(plans),
        "windows": sum(len(plan.windows) for plan in plans),
        "failed": len(result.failed),
        "rows": result.rows,
        "calls": app.clients.counter.snapshot(),
        "peak_mib": rss_mib(),
        "base_mib": base,
    }


def case_replica(database_url: str, config: str, start_at: float) -> dict[str, Any]:
    """One `run` replica's cycle of `bedrock`: take claims with its workers until none is left."""
    from core.settings import EnvSettings
    from monitor.context import AppContext
    from monitor.scheduler import Service

    app = AppContext(EnvSettings(database_url, Path(config), True))
    service = Service(app)
    collected: list[tuple[str, str]] = []
    lock = threading.Lock()
    original = service._collect_target  # noqa: SLF001 - the bench counts what each replica ran

    def counted(source: Any, target: Any, claim: Any) -> str:
        with lock:
            collected.append((target.account_id, target.region))
        return original(source, target, claim)

    service._collect_target = counted  # type: ignore[method-assign]  # noqa: SLF001
    warm(app, service.sources["bedrock"])
    time.sleep(max(0.0, start_at - time.time()))
    started = time.time()
    outcome = service.collect("bedrock")
    return {
        "started": started,
        "finished": time.time(),
        "outcome": outcome,
        "collected": collected,
        "calls": app.clients.counter.snapshot(),
        "peak_mib": rss_mib(),
    }


# --- the driver ---


def scratch_database(admin: Any) -> str:
    """A fresh, migrated database; its URL."""
    from core.db import make_engine
    from monitor.migrate import upgrade

    name = f"gcm_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def drop_database(admin: Any, url: str) -> None:
    """Drop a scratch database (its connections are closed by then)."""
    name = url.rsplit("/", 1)[1]
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def child(*args: str) -> subprocess.Popen[str]:
    """This script in a fresh interpreter, answering one JSON line."""
    return subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )


def answer(process: subprocess.Popen[str]) -> dict[str, Any]:
    """A child's JSON answer (its last line)."""
    out, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"a case failed (exit {process.returncode})")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def run_cycle(admin: Any, config: Path, standin: int) -> dict[str, Any]:
    """One cycle in a fresh process on a fresh database: its answer, with the windows recorded."""
    url = scratch_database(admin)
    try:
        standin_before = cpu_seconds(standin)
        result = answer(child("--case", "cycle", url, str(config)))
        result["standin_cpu"] = cpu_seconds(standin) - standin_before
        result["recorded"] = recorded_windows(url)
    finally:
        drop_database(admin, url)
    return result


def recorded_windows(url: str) -> int:
    """Rows of collector_runs (one per target window collected)."""
    from core.db import make_engine
    from core.models import CollectorRun

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(CollectorRun)) or 0)
    finally:
        engine.dispose()


def run_replicas(admin: Any, config: Path, replicas: int) -> dict[str, Any]:
    """``replicas`` processes on one fresh database, started together; wall time and duplicates."""
    url = scratch_database(admin)
    try:
        start_at = time.time() + 8  # every replica imported and connected by then
        processes = [
            child("--case", "replica", url, str(config), str(start_at)) for _ in range(replicas)
        ]
        answers = [answer(process) for process in processes]
        collected = Counter(tuple(t) for a in answers for t in a["collected"])
        return {
            "seconds": max(a["finished"] for a in answers) - min(a["started"] for a in answers),
            "targets": len(collected),
            "twice": sum(1 for n in collected.values() if n > 1),
            "per_replica": [len(a["collected"]) for a in answers],
            "outcomes": [a["outcome"] for a in answers],
            "recorded": recorded_windows(url),
            "peak_mib": max(a["peak_mib"] for a in answers),
        }
    finally:
        drop_database(admin, url)


def api_minimum(targets: int, windows: int, series: int) -> int:
    """ListMetrics once per namespace per target (Bedrock's and Mantle's), GetMetricData once per
    window per 500 series."""
    return targets * 2 + windows * math.ceil(series / 500)


def machine() -> str:
    """What this ran on."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{platform.node()}: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, load {load}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=40)
    parser.add_argument("--regions", type=int, default=5)
    parser.add_argument("--models", type=int, default=12)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--replicas", type=int, default=3)
    args = parser.parse_args()
    regions = ALL_REGIONS[: args.regions]
    targets = args.accounts * len(regions)
    process, url = start_standin()
    folder = Path(tempfile.mkdtemp())
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": regions[0],
        }
    )
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        series = seed(regions, args.models, datetime.now(UTC))
        set_latency(url, args.latency_ms)
        print(machine())
        print(
            f"organisation: {args.accounts} accounts x {len(regions)} regions = {targets} targets, "
            f"{series} Bedrock series per target; {args.latency_ms:g} ms added to every AWS request"
        )
        quarter_accounts = max(1, args.accounts // 4)
        cases = {"sequential": (args.accounts, 1), "concurrent": (args.accounts, args.workers)}
        cases["quarter"] = (quarter_accounts, args.workers)
        configs = {name: folder / f"{name}.yaml" for name in cases}
        for name, (accounts, workers) in cases.items():
            configs[name].write_text(config_text(accounts, regions, workers))

        sequential = run_cycle(admin, configs["sequential"], process.pid)
        concurrent = run_cycle(admin, configs["concurrent"], process.pid)
        ideal = min(args.workers, targets)
        speedup = sequential["seconds"] / concurrent["seconds"]
        print("\n1. one cycle, in-process worker pool (Postgres):")
        for label, r in (
            ("sequential (1 worker)", sequential),
            (f"concurrent ({args.workers} workers)", concurrent),
        ):
            print(
                f"  {label:<26} {r['seconds']:7.1f} s  {r['targets']} targets, {r['windows']} windows, "
                f"{r['recorded']} recorded, {r['failed']} failed, {r['rows']} rows"
            )
        print(
            f"  speed-up {speedup:.1f}x, ideal {ideal}x (min(workers, targets); the rate limits are per "
            f"(account, region) and do not bind), ratio {speedup / ideal:.2f} (target >= 0.7)"
        )

        cores = os.cpu_count() or 1
        for label, r in (("sequential", sequential), ("concurrent", concurrent)):
            per = 1000 / r["targets"]
            print(
                f"  CPU per target, {label}: collector {r['cpu'] * per:.0f} ms, AWS stand-in "
                f"{r['standin_cpu'] * per:.0f} ms (Postgres not counted); {args.latency_ms:g} ms of "
                f"latency x {sum(r['calls'].values()) / r['targets']:.0f} calls"
            )
        busy = concurrent["cpu"] + concurrent["standin_cpu"]
        print(
            f"  the CPU alone bounds the concurrent cycle at {busy / cores:.1f} s on {cores} free "
            f"cores: a speed-up of at most {sequential['seconds'] / (busy / cores):.1f}x here"
        )

        one = run_replicas(admin, configs["concurrent"], 1)
        many = run_replicas(admin, configs["concurrent"], args.replicas)
        print(
            f"\n2. {args.replicas} `run` replicas vs 1 on Postgres, {args.workers} workers each, one cycle:"
        )
        for label, r in (("1 replica", one), (f"{args.replicas} replicas", many)):
            print(
                f"  {label:<12} {r['seconds']:7.1f} s  {r['targets']} targets (per replica {r['per_replica']}), "
                f"collected twice: {r['twice']}, collector_runs rows: {r['recorded']}, outcomes {r['outcomes']}"
            )
        print(
            f"  speed-up {one['seconds'] / many['seconds']:.2f}x (target >= 2.5x), targets collected twice: {many['twice']} (target 0)"
        )

        calls = sum(concurrent["calls"].values())
        minimum = api_minimum(concurrent["targets"], concurrent["windows"], series)
        by_op = ", ".join(f"{k} {v}" for k, v in sorted(concurrent["calls"].items()))
        print(
            f"\n3. API calls per cycle: {calls} ({by_op}); the API minimum {minimum}; ratio {calls / minimum:.2f}"
        )

        quarter = run_cycle(admin, configs["quarter"], process.pid)
        print(f"\n4. peak memory per process (max RSS; {args.workers} workers; target: flat):")
        for r in (quarter, concurrent):
            print(
                f"  {r['targets']:>4} targets: {r['peak_mib']:6.1f} MiB; {r['base_mib']:6.1f} MiB once every "
                f"target's client is made, {r['peak_mib'] - r['base_mib']:5.1f} MiB more in the cycle"
            )
        ratio = concurrent["peak_mib"] / quarter["peak_mib"]
        print(f"  ratio {ratio:.2f}; the replicas' peak {many['peak_mib']:.1f} MiB per process")
    finally:
        process.terminate()
        process.wait(timeout=30)
        admin.dispose()


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        serve(sys.argv[2])
    elif len(sys.argv) > 2 and sys.argv[1] == "--case":
        logging.basicConfig(level=logging.WARNING)
        if sys.argv[2] == "cycle":
            print(json.dumps(case_cycle(sys.argv[3], sys.argv[4])))
        else:
            print(json.dumps(case_replica(sys.argv[3], sys.argv[4], float(sys.argv[5]))))
    else:
        main()
