"""CUR 2.0 benchmark: the local engine over a large export vs a small one vs DuckDB on its own.

Builds a billing period of a CUR 2.0 export in the real column layout (demo/cur.py's schema):
series (one resource's usage type in one account, region and team) with a line per hour of the
month, a third of them GenAI (Bedrock, Marketplace, SageMaker), the rest EC2 and S3, in files
of a million lines. "Size" is the decoded (in-memory, uncompressed) Arrow size of the lines,
every CUR 2.0 column included. A small export (one file, ~50 MB) and a large one (~5 GB) are put
into a local S3 (moto's server) and read, each in a fresh process, by the `cur` source's local
engine (each object downloaded to a temporary file and aggregated with the shared SELECT into a
partial file, the partials merged day by day) with every aggregated line turned into a
cost_lines row as the load gets them; each process reports its peak resident memory (VmHWM).
The baseline is DuckDB on its own, in a fresh process, with its defaults (every core, 80% of
RAM), running the same SELECT over the same files on local disk in one query. The three run in
interleaved rounds and the medians are compared (the machine is shared).

Done when (issue #15): peak(large) <= 1.2 x peak(small), and the engine's speed on the large
export (its download from S3 included) >= 0.5 x DuckDB's own.

Usage: python bench/cur.py [--gb 5] [--small-mb 50] [--dir /tmp/genai-bench-cur]
       [--memory-limit 64MB] [--threads 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo.cur import SCHEMA, data_key  # noqa: E402

PERIOD = "2026-10"
BUCKET, PREFIX, EXPORT = "bench-cur", "cur2", "genai"
ROWS_PER_FILE = 1_000_000  # about 0.8 GB decoded per file (Data Exports splits a period into files)
ROW_GROUP = 131_072
BYTES_PER_LINE = 805  # decoded size of one generated line, every CUR 2.0 column included
SERVICES = [  # (product code, service name, usage types, share of lines)
    (
        "AmazonEC2",
        "Amazon Elastic Compute Cloud",
        ["BoxUsage:m5.xlarge", "EBS:VolumeUsage.gp3"],
        0.40,
    ),
    ("AmazonS3", "Amazon Simple Storage Service", ["TimedStorage-ByteHrs", "Requests-Tier1"], 0.25),
    (
        "AmazonBedrock",
        "Amazon Bedrock",
        ["USE1-Nova-Pro-input-tokens", "USE1-Nova-Pro-output-tokens"],
        0.15,
    ),
    (
        "AmazonBedrockFoundationModels",
        "Claude Sonnet 4.5 (Amazon Bedrock Edition)",
        ["USE1-MP:USE1_InputTokenCount-Units", "USE1-MP:USE1_OutputTokenCount-Units"],
        0.10,
    ),
    ("AmazonSageMaker", "Amazon SageMaker", ["USE1-Host:ml.g5.xlarge"], 0.10),
]
REGIONS = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-2",
    "ap-northeast-1",
]
TEAMS = ["search", "support", "research", "ads", "platform", "mobile"]


def _map(keys: pa.Array, values: pa.Array, offsets: np.ndarray) -> pa.MapArray:
    return pa.MapArray.from_arrays(pa.array(offsets.astype(np.int32)), keys, values)


def _pool(values: list[str], index: np.ndarray) -> pa.Array:
    """Strings drawn from a pool: built once, taken by index (fast for millions of lines)."""
    return pa.array(values, pa.string()).take(pa.array(index))


def chunk(rows: int, seed: int) -> pa.Table:
    """``rows`` CUR 2.0 lines of the period: series (one resource's usage type in one account,
    region and team) with a line per hour of the month, as an hourly export has them."""
    rng = np.random.default_rng(seed)
    hours_in_month = 31 * 24
    count = -(-rows // hours_in_month)
    series = np.repeat(np.arange(count), hours_in_month)[:rows]
    hours = np.tile(np.arange(hours_in_month), count)[:rows]
    shares = np.array([share for *_, share in SERVICES])
    kind = rng.choice(len(SERVICES), size=count, p=shares / shares.sum())
    which = kind[series]
    codes = _pool([code for code, *_ in SERVICES], which)
    names = _pool([name for _, name, *_ in SERVICES], which)
    counts = np.array([len(types) for _, _, types, _ in SERVICES])
    firsts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    usage = _pool(
        [u for _, _, types, _ in SERVICES for u in types],
        (firsts[kind] + rng.integers(0, 1 << 30, count) % counts[kind])[series],
    )
    account = _pool(
        [f"{100000000000 + a:012d}" for a in range(50)], rng.integers(0, 50, count)[series]
    )
    start = np.datetime64("2026-10-01T00:00:00.000") + hours.astype("timedelta64[h]")
    cost = np.round(rng.gamma(1.2, 0.8, rows), 10)
    is_bedrock = (which == 2) | (which == 3)
    resource = _pool(
        [
            f"arn:aws:sagemaker:us-east-1:100000000000:endpoint/ep-{seed}-{n}"
            if SERVICES[k][0] == "AmazonSageMaker"
            else f"arn:aws:bedrock:us-east-1:100000000000:application-inference-profile/p{seed}x{n}"
            if SERVICES[k][0].startswith("AmazonBedrock")
            else f"i-{seed:05x}{n:012x}"
            for n, k in enumerate(kind)
        ],
        series,
    )
    roles = [f"arn:aws:iam::100000000000:role/app-{seed}-{n}" for n in range(count)]
    principal = pa.array(roles, pa.string()).take(pa.array(series, mask=~is_bedrock))
    covered = rng.random(rows) < 0.05
    line_type = _pool(["Usage", "SavingsPlanCoveredUsage"], covered.astype(np.int64))
    descriptions = [f"usage at an on-demand rate per unit, tier {n}" for n in range(1000)]
    tagged_series = rng.random(count) < 0.8
    tagged = tagged_series[series]
    tag_offsets = np.concatenate([[0], np.cumsum(tagged)])
    team = _pool(TEAMS, rng.integers(0, len(TEAMS), count)[series][tagged])
    line_ids = pa.compute.binary_join_element_wise(
        pa.array(np.full(rows, f"{seed:06d}-", dtype=object), pa.string()),
        pa.array(np.arange(rows)).cast(pa.string()),
        "",
    )
    product_offsets = np.arange(0, 2 * rows + 1, 2)
    product_keys = pa.array(np.tile(np.array(["product_name", "servicename"], dtype=object), rows))
    product_values = pa.array(np.repeat(np.asarray(names.to_pylist(), dtype=object), 2))
    columns: dict[str, pa.Array] = {
        "identity_line_item_id": line_ids,
        "bill_billing_period_start_date": pa.array(
            np.full(rows, np.datetime64("2026-10-01T00:00:00.000")), pa.timestamp("ms")
        ),
        "bill_billing_period_end_date": pa.array(
            np.full(rows, np.datetime64("2026-11-01T00:00:00.000")), pa.timestamp("ms")
        ),
        "bill_payer_account_id": _pool(["100000000000"], np.zeros(rows, np.int64)),
        "line_item_usage_start_date": pa.array(start, pa.timestamp("ms")),
        "line_item_usage_end_date": pa.array(start + np.timedelta64(1, "h"), pa.timestamp("ms")),
        "line_item_usage_account_id": account,
        "line_item_product_code": codes,
        "product_servicecode": codes,
        "line_item_usage_type": usage,
        "product_usagetype": usage,
        "line_item_line_item_type": line_type,
        "line_item_line_item_description": _pool(descriptions, rng.integers(0, 1000, rows)),
        "line_item_resource_id": resource,
        "line_item_iam_principal": principal,
        "line_item_unblended_cost": pa.array(cost),
        "line_item_net_unblended_cost": pa.array(cost),
        "line_item_usage_amount": pa.array(np.round(rng.gamma(2.0, 50.0, rows), 6)),
        "line_item_currency_code": _pool(["USD"], np.zeros(rows, np.int64)),
        "pricing_unit": _pool(["Units"], np.zeros(rows, np.int64)),
        "pricing_public_on_demand_cost": pa.array(np.round(cost * 1.1, 10)),
        "savings_plan_savings_plan_effective_cost": pa.array(
            np.round(cost * 0.7, 10), mask=~covered
        ),
        "product_region_code": _pool(REGIONS, rng.integers(0, len(REGIONS), count)[series]),
        "product": _map(product_keys, product_values, product_offsets),
        "resource_tags": _map(
            _pool(["user_team"], np.zeros(int(tagged.sum()), np.int64)), team, tag_offsets
        ),
    }
    arrays = [
        columns[f.name].cast(f.type) if f.name in columns else pa.nulls(rows, f.type)
        for f in SCHEMA
    ]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def build_export(
    folder: Path, target_bytes: int, rows_per_file: int
) -> tuple[list[Path], int, int]:
    """Files of the period until their decoded (in-memory, uncompressed) size reaches
    ``target_bytes``; reused when already built."""
    folder.mkdir(parents=True, exist_ok=True)
    files, size, rows, number = [], 0, 0, 0
    while size < target_bytes:
        number += 1
        path = folder / f"{EXPORT}-{rows_per_file}-{number:05d}.snappy.parquet"
        sizes = path.with_suffix(".size")
        if not sizes.exists():
            table = chunk(rows_per_file, number)
            pq.write_table(table, path, compression="snappy", row_group_size=ROW_GROUP)
            sizes.write_text(str(table.nbytes))
        size += int(sizes.read_text())
        rows += rows_per_file
        files.append(path)
    return files, size, rows


def _s3(endpoint: str):  # type: ignore[no-untyped-def]
    """An S3 client on the local stand-in, made where every client is made (core/aws.py)."""
    from core.aws import ClientFactory, Target

    os.environ["AWS_ENDPOINT_URL"] = endpoint
    return ClientFactory()("s3", Target("000000000000", "us-east-1"))


def upload(endpoint: str, files: list[Path], export: str) -> list[str]:
    """Put the files into the local S3 under the export's period folder."""
    s3 = _s3(endpoint)
    try:
        s3.create_bucket(Bucket=BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    keys = []
    for number, path in enumerate(files, start=1):
        key = data_key(PREFIX, export, PERIOD, number)
        s3.upload_file(str(path), BUCKET, key)
        keys.append(key)
    return keys


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM: per address space, so not the parent's, which
    getrusage's ru_maxrss would report after fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(argv: list[str]) -> dict[str, float]:
    """Run this file's measuring side in a fresh process; its JSON answer."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", *argv], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def median(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over the runs."""
    return {name: statistics.median(run[name] for run in runs) for name in runs[0]}


def measure_engine(endpoint: str, keys: list[str]) -> None:
    """(child) The local engine reading ``keys`` from S3 and every aggregated line turned into a
    cost_lines row, as the load gets them: seconds, peak MiB, lines."""
    from collector.cur_local import LocalEngine
    from collector.cur_rows import ExportObject, cost_line_rows
    from collector.cur_settings import CurExportConfig

    s3 = _s3(endpoint)
    export = CurExportConfig(
        bucket=BUCKET,
        prefix=PREFIX,
        export_name=EXPORT,
        memory_limit=os.environ["BENCH_CUR_MEMORY_LIMIT"],
        threads=int(os.environ["BENCH_CUR_THREADS"]),
    )
    objects = [ExportObject(key, "etag", datetime(2026, 11, 1), 0, PERIOD, "data") for key in keys]
    began = time.perf_counter()
    read = LocalEngine(s3, export, "team", []).read_period(PERIOD, objects)
    assert read.error is None, read.error
    lines = sum(1 for _ in cost_line_rows(read.rows, PERIOD, datetime(2026, 11, 1)))
    read.cleanup()
    seconds = time.perf_counter() - began
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib(), "lines": lines}))


def measure_duckdb(paths: list[str]) -> None:
    """(child) DuckDB on its own: the same SELECT over the local files in one query."""
    import duckdb

    from collector.cur_sql import genai_lines_sql, quote

    connection = duckdb.connect(":memory:")
    connection.execute("SET TimeZone = 'UTC'")
    relation = "read_parquet([" + ", ".join(quote(p) for p in paths) + "])"
    began = time.perf_counter()
    rows = connection.execute(genai_lines_sql(relation, PERIOD, tag_key="team")).fetchall()
    seconds = time.perf_counter() - began
    peak = peak_mib()
    print(json.dumps({"seconds": seconds, "peak_mib": peak, "lines": len(rows)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=5.0, help="the large export, GB uncompressed")
    parser.add_argument("--small-mb", type=float, default=50.0, help="the small export, MB")
    parser.add_argument("--dir", default="/tmp/genai-bench-cur", help="where the files are built")
    parser.add_argument("--memory-limit", default="64MB", help="the engine's cur.memory_limit")
    parser.add_argument("--threads", type=int, default=2, help="the engine's cur.threads")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs of each side")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "engine":
            measure_engine(rest[0], rest[1:])
        else:
            measure_duckdb(rest)
        return

    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request

    os.environ["BENCH_CUR_MEMORY_LIMIT"] = args.memory_limit
    os.environ["BENCH_CUR_THREADS"] = str(args.threads)

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    began = time.perf_counter()
    small_rows_per_file = max(1000, int(args.small_mb * 1e6 / BYTES_PER_LINE))
    large, large_size, large_rows = build_export(Path(args.dir), int(args.gb * 1e9), ROWS_PER_FILE)
    small, small_size, small_rows = build_export(
        Path(args.dir), int(args.small_mb * 1e6), small_rows_per_file
    )
    print(
        f"export: large {len(large)} files, {large_rows:,} lines, {large_size / 1e9:.2f} GB "
        f"decoded ({sum(p.stat().st_size for p in large) / 1e9:.2f} GB on disk); small "
        f"{len(small)} file(s), {small_rows:,} lines, {small_size / 1e6:.0f} MB "
        f"(built or reused in {time.perf_counter() - began:.0f} s)"
    )
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server._server.server_port}"  # noqa: SLF001 - moto's bound port
    try:
        small_keys = upload(endpoint, small, "small")
        large_keys = upload(endpoint, large, EXPORT)
        # interleaved rounds, medians: the machine is shared, and load drifts between runs
        runs: dict[str, list[dict[str, float]]] = {"small": [], "large": [], "alone": []}
        for _ in range(args.rounds):
            runs["small"].append(child(["engine", endpoint, *small_keys]))
            runs["large"].append(child(["engine", endpoint, *large_keys]))
            runs["alone"].append(child(["duckdb", *map(str, large)]))
    finally:
        server.stop()
    small_run, large_run, alone = (median(runs[name]) for name in ("small", "large", "alone"))
    assert large_run["lines"] == alone["lines"], "the engine and DuckDB alone disagree on the lines"
    memory = large_run["peak_mib"] / small_run["peak_mib"]
    speed = alone["seconds"] / large_run["seconds"]
    print(
        f"engine, small export: {small_run['seconds']:.1f} s, peak {small_run['peak_mib']:.0f} MiB\n"
        f"engine, large export: {large_run['seconds']:.1f} s, peak {large_run['peak_mib']:.0f} MiB "
        f"(download from S3 included)\n"
        f"DuckDB alone, large export on local disk: {alone['seconds']:.1f} s, "
        f"peak {alone['peak_mib']:.0f} MiB\n"
        f"memory large/small: {memory:.2f}x (limit 1.2x) -> {'ok' if memory <= 1.2 else 'OVER'}\n"
        f"speed vs DuckDB alone: {speed:.2f}x (at least 0.5x) -> {'ok' if speed >= 0.5 else 'UNDER'}"
    )


if __name__ == "__main__":
    main()
