"""Invocation-log benchmark: the collector's peak memory over a large log backfill vs a small one.

Builds Bedrock model invocation logs in the real format (demo/invocation_logs.py's records:
Converse and InvokeModel shapes, prompts and completions of a few KB, several principals,
models and request-metadata projects) as gzip'd JSON-lines objects of ~20 MB uncompressed each,
in the S3 key layout Bedrock delivers (``AWSLogs/<account>/BedrockModelInvocationLogs/<region>/
YYYY/MM/DD/HH/``), spread over two days. The files are cached under --dir. A large backfill
(~1 GB uncompressed) and a small one (~10 MB) are put into two buckets of a local S3 (moto's
server, in this parent process, so its memory is not counted), and each is read by the real
`invocation_logs` source (the runner, a backfill over the two days, a fresh SQLite database) in
a fresh child process, which reports its peak resident memory (VmHWM) and the records counted.
The two run in interleaved rounds and the medians are compared (the machine is shared).

Done when (issue #14): peak(large) <= 1.2 x peak(small).

Usage: python bench/invocation_logs.py [--mb 1000] [--small-mb 10] [--object-mb 20]
       [--dir /tmp/genai-bench-invocation-logs] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo.invocation_logs import ACCOUNT, Call, line, object_key  # noqa: E402

REGION = "us-east-1"
PREFIX = "bedrock"
START = datetime(2026, 10, 1, tzinfo=UTC)
HOURS = 48
MODELS = [
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "amazon.nova-lite-v1:0",
]
PRINCIPALS = [f"arn:aws:sts::{ACCOUNT}:assumed-role/search-api/i-0{n}" for n in range(4)] + [
    f"arn:aws:sts::{ACCOUNT}:assumed-role/genai-shared/lambda",
    f"arn:aws:iam::{ACCOUNT}:user/ann",
]
WORDS = "the quarterly report shows revenue growth across regions with notable gains".split()
CONFIG = f"""
accounts: [{{id: "{ACCOUNT}", name: bench}}]
regions: [{REGION}]
attribution:
  principals: {{"arn:aws:sts::*:assumed-role/search-*": search}}
  request_metadata_keys: [project]
"""


def build(
    folder: Path, total_bytes: int, object_bytes: int, seed: int
) -> list[tuple[str, Path, int]]:
    """Gzip'd log objects of about ``object_bytes`` uncompressed each, ``total_bytes`` in all,
    spread over HOURS hours: (key, file, records) each; reused when already built."""
    manifest = folder / "manifest.json"
    if manifest.exists():
        return [
            (key, Path(path), records) for key, path, records in json.loads(manifest.read_text())
        ]
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    count = max(1, round(total_bytes / object_bytes))
    built = []
    for number in range(count):
        delivered = START + timedelta(minutes=number * HOURS * 60 // count + 5)
        key = object_key(PREFIX, ACCOUNT, REGION, delivered, f"{number:05d}")
        path = folder / f"{number:05d}.json.gz"
        size = records = 0
        with gzip.open(path, "wb", compresslevel=6) as out:
            while size < min(object_bytes, total_bytes):
                words = rng.randint(200, 600)
                metadata = (
                    {"project": rng.choice(["atlas", "borealis"])} if rng.random() < 0.5 else {}
                )
                call = Call(
                    delivered - timedelta(seconds=rng.randint(0, 240)),
                    rng.choice(PRINCIPALS),
                    rng.choice(MODELS),
                    rng.randint(100, 4000),
                    rng.randint(10, 800),
                    operation=rng.choice(["Converse", "InvokeModel"]),
                    cache_read=rng.choice([None, rng.randint(0, 500)]),
                    metadata=metadata,
                    prompt=" ".join(rng.choice(WORDS) for _ in range(words)),
                    completion=" ".join(rng.choice(WORDS) for _ in range(words // 2)),
                )
                data = line(call)
                out.write(data)
                size += len(data)
                records += 1
        built.append((key, path, records))
    manifest.write_text(json.dumps([(key, str(path), records) for key, path, records in built]))
    return built


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM: per address space, not the parent's)."""
    for entry in Path("/proc/self/status").read_text().splitlines():
        if entry.startswith("VmHWM:"):
            return int(entry.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def measure(bucket: str) -> None:
    """(child) The invocation_logs source backfilling the bucket's two days into a fresh SQLite."""
    from sqlalchemy import func, select

    from collector.invocation_logs import InvocationLogsCollector
    from collector.runner import Runner
    from core.aws import ClientFactory, Target, resolve_targets
    from core.db import make_engine, session_factory
    from core.models_principals import InvocationLogCursor, PrincipalUsageHourly
    from core.pricing import PriceCatalog
    from core.settings import parse_config
    from monitor.migrate import upgrade

    config = parse_config(CONFIG, "bench.yaml")
    clients = ClientFactory()
    clients("bedrock", Target(ACCOUNT, REGION)).put_model_invocation_logging_configuration(
        loggingConfig={"s3Config": {"bucketName": bucket, "keyPrefix": PREFIX}}
    )
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{scratch}/bench.db")
        upgrade(engine)
        sessions = session_factory(engine)
        collector = InvocationLogsCollector(config, clients, PriceCatalog.load())
        runner = Runner(sessions, clients.counter)
        targets = resolve_targets(config.accounts, config.regions, clients)
        began = time.perf_counter()
        plans = runner.plan(collector, targets, START, START + timedelta(hours=HOURS + 1))
        result = runner.run(collector, plans)
        seconds = time.perf_counter() - began
        assert not result.failed, result.failed
        with sessions() as session:
            invocations = session.scalar(select(func.sum(PrincipalUsageHourly.invocations)))
            records = session.scalar(select(InvocationLogCursor.records_read))
        engine.dispose()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mib": peak_mib(),
                "invocations": invocations,
                "records": records,
            }
        )
    )


def child(bucket: str, endpoint: str) -> dict[str, float]:
    """Run the measuring side in a fresh process; its JSON answer."""
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint)
    out = subprocess.run(
        [sys.executable, __file__, "--child", bucket],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def upload(endpoint: str, bucket: str, objects: list[tuple[str, Path, int]]) -> None:
    """Put the objects into the local S3."""
    from core.aws import ClientFactory, Target

    os.environ["AWS_ENDPOINT_URL"] = endpoint
    s3 = ClientFactory()("s3", Target(ACCOUNT, REGION))
    s3.create_bucket(Bucket=bucket)
    for key, path, _records in objects:
        s3.upload_file(str(path), bucket, key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mb", type=float, default=1000.0, help="the large backfill, MB uncompressed"
    )
    parser.add_argument("--small-mb", type=float, default=10.0, help="the small backfill, MB")
    parser.add_argument("--object-mb", type=float, default=20.0, help="one object, MB uncompressed")
    parser.add_argument("--dir", default="/tmp/genai-bench-invocation-logs", help="the file cache")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs of each side")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure(args.child)
        return

    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    began = time.perf_counter()
    object_bytes = int(args.object_mb * 1e6)
    root = Path(args.dir)
    large = build(
        root / f"large-{args.mb:g}mb-{args.object_mb:g}", int(args.mb * 1e6), object_bytes, 1
    )
    small = build(
        root / f"small-{args.small_mb:g}mb-{args.object_mb:g}",
        int(args.small_mb * 1e6),
        object_bytes,
        2,
    )
    for name, objects in (("large", large), ("small", small)):
        on_disk = sum(path.stat().st_size for _key, path, _records in objects)
        print(
            f"{name}: {len(objects)} object(s), {sum(r for *_rest, r in objects):,} records, "
            f"{on_disk / 1e6:.0f} MB gzip'd"
        )
    print(f"(built or reused in {time.perf_counter() - began:.0f} s)")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server._server.server_port}"  # noqa: SLF001 - moto's bound port
    try:
        upload(endpoint, "bench-large", large)
        upload(endpoint, "bench-small", small)
        runs: dict[str, list[dict[str, float]]] = {"small": [], "large": []}
        for _ in range(args.rounds):
            runs["small"].append(child("bench-small", endpoint))
            runs["large"].append(child("bench-large", endpoint))
    finally:
        server.stop()
    result = {
        name: {key: statistics.median(run[key] for run in items) for key in items[0]}
        for name, items in runs.items()
    }
    for name, objects in (("large", large), ("small", small)):
        seeded = sum(records for *_rest, records in objects)
        assert result[name]["invocations"] == seeded == result[name]["records"], (name, seeded)
    ratio = result["large"]["peak_mib"] / result["small"]["peak_mib"]
    print(
        f"small backfill ({args.small_mb:g} MB): {result['small']['seconds']:.1f} s, "
        f"peak {result['small']['peak_mib']:.0f} MiB\n"
        f"large backfill ({args.mb:g} MB): {result['large']['seconds']:.1f} s, "
        f"peak {result['large']['peak_mib']:.0f} MiB\n"
        f"peak memory large/small: {ratio:.2f}x (limit 1.2x) -> {'ok' if ratio <= 1.2 else 'OVER'}"
    )


if __name__ == "__main__":
    main()
