"""The demo's callers: which IAM principals call each Bedrock ModelId, as model invocation logs.

Model invocation logging is on in both regions, delivering to S3. The last ``LOG_DAYS`` of each
model's CloudWatch traffic (``World.bedrock_points``) is split between its callers by a fixed
share, so per-principal tokens add up to the model's metrics hour by hour. The logs are a sample
of the calls, to keep the demo quick: each principal-hour is written as at most
``RECORDS_PER_HOUR`` records carrying that hour's tokens (so invocation counts are lower than
CloudWatch's; tokens and cost match). Callers: team roles matching the demo config's
``attribution.principals`` patterns, research's IAM users, one shared role whose calls are told
apart by the ``project`` request metadata, and an ETL role and a user nobody has mapped.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from core.aws import ClientFactory, Target
from core.timeutil import floor_hour
from demo.generate import World
from demo.invocation_logs import Call, enable_s3_logging, put_object
from demo.world import ACCOUNT, REGIONS

LOG_DAYS = 21
RECORDS_PER_HOUR = 1
HOURS_PER_OBJECT = 24  # one delivered object holds a day of a region's records (quick to seed)
LOG_PREFIX = "bedrock"


def log_bucket(region: str) -> str:
    """The region's log bucket (Bedrock delivers to a bucket in its own region)."""
    return f"genai-bedrock-invocation-logs-{region}"


def role(name: str, session: str) -> str:
    """An assumed-role session ARN, as invocation logs name the caller."""
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/{session}"


def user(name: str) -> str:
    """An IAM user ARN."""
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


ATLAS, ORION = {"project": "atlas"}, {"project": "orion"}
ETL = role("legacy-etl", "nightly-runner")  # mapped by nobody: unattributed
# research's agent, a small caller of Opus until it loops in the last two hours (principal_spike)
RUNAWAY = role("research-agent", "loop-7")
RUNAWAY_MODEL = "r4research09"
RUNAWAY_HOURS = 2
# ModelId -> (caller, share of the model's traffic, request metadata)
CALLERS: dict[str, tuple[tuple[str, float, dict[str, str]], ...]] = {
    "k2x9search01": (
        (role("search-api", "ecs-7f2a"), 0.75, {}),
        (role("search-reranker", "ecs-19bd"), 0.25, {}),
    ),
    "p7supportbot": ((role("support-bot", "lambda"), 1.0, {}),),
    "r4research09": ((user("alice"), 0.57, {}), (user("bob"), 0.38, {}), (RUNAWAY, 0.05, {})),
    "m3marketing1": ((role("marketing-content", "ecs-44c1"), 1.0, {}),),
    "g8platform02": (
        (role("genai-shared", "lambda"), 0.55, ATLAS),
        (role("genai-shared", "lambda"), 0.45, ORION),
    ),
    "d5dataembed1": ((role("data-embedder", "batch"), 1.0, {}),),
    "us.anthropic.claude-3-7-sonnet-20250219-v1:0": (
        (role("genai-shared", "lambda"), 0.6, ATLAS),
        (ETL, 0.4, {}),
    ),
    "meta.llama3-1-8b-instruct-v1:0": ((user("carol"), 1.0, {}),),
    "minimax.minimax-m2": ((user("bob"), 1.0, {}),),
    "w6search02dr": ((role("search-api", "ecs-dr"), 1.0, {}),),
}
RUNAWAY_CALLERS: tuple[tuple[str, float, dict[str, str]], ...] = (
    (user("alice"), 0.06, {}),
    (user("bob"), 0.04, {}),
    (RUNAWAY, 0.9, {}),
)
DEFAULT_CALLERS: tuple[tuple[str, float, dict[str, str]], ...] = ((ETL, 1.0, {}),)

# the demo config's mapping (demo.config writes it)
PRINCIPAL_TEAMS = {
    "arn:aws:sts::*:assumed-role/search-*": "search",
    "arn:aws:sts::*:assumed-role/support-bot/*": "support",
    user("alice"): "research",
    user("bob"): "research",
    "arn:aws:sts::*:assumed-role/research-*": "research",
    "arn:aws:sts::*:assumed-role/marketing-*": "marketing",
    "arn:aws:sts::*:assumed-role/genai-shared/*": "platform",
    "arn:aws:sts::*:assumed-role/data-*": "data",
}
METRIC_FIELDS = {
    "Invocations": "calls",
    "InputTokenCount": "input",
    "OutputTokenCount": "output",
    "CacheReadInputTokenCount": "cache_read",
    "CacheWriteInputTokenCount": "cache_write",
}
PROMPTS = ("Answer the customer's question about their order.", "Summarise these passages.")


def _hourly(
    world: World, region: str, since: datetime
) -> dict[tuple[str, datetime], dict[str, int]]:
    """Per (ModelId, hour) of the region's metrics since ``since``: calls and tokens."""
    hours: dict[tuple[str, datetime], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for model_id, metric, at, value in world.bedrock_points.get(region, []):
        field = METRIC_FIELDS.get(metric)
        if field and since <= at <= world.now and ":provisioned-model/" not in model_id:
            hours[(model_id, floor_hour(at))][field] += int(value)
    return hours


def _split(total: int, shares: list[float]) -> list[int]:
    """``total`` split by shares, the rounding left on the last part (the parts add up exactly)."""
    parts = [int(total * share) for share in shares[:-1]]
    return [*parts, total - sum(parts)]


def _callers(
    model_id: str, hour: datetime, now: datetime
) -> tuple[tuple[str, float, dict[str, str]], ...]:
    """Who calls a ModelId in an hour: its usual callers, or the runaway agent at the end."""
    if model_id == RUNAWAY_MODEL and hour > floor_hour(now) - timedelta(hours=RUNAWAY_HOURS):
        return RUNAWAY_CALLERS
    return CALLERS.get(model_id, DEFAULT_CALLERS)


def _records(
    model_id: str, hour: datetime, counts: dict[str, int], region: str, now: datetime
) -> list[Call]:
    """The hour's records of one ModelId, its traffic split between its callers."""
    callers = _callers(model_id, hour, now)
    shares = [share for _caller, share, _metadata in callers]
    split = {field: _split(counts.get(field, 0), shares) for field in METRIC_FIELDS.values()}
    calls: list[Call] = []
    for index, (caller, _share, metadata) in enumerate(callers):
        tokens = sum(split[field][index] for field in split if field != "calls")
        # a caller's share of a quiet hour may round to no call: its tokens still make one
        records = min(RECORDS_PER_HOUR, max(split["calls"][index], int(tokens > 0)))
        if records == 0:
            continue
        parts = {field: _split(split[field][index], [1 / records] * records) for field in split}
        for number in range(records):
            calls.append(
                Call(
                    hour + timedelta(minutes=11 + number * 23, seconds=index),
                    caller,
                    model_id,
                    parts["input"][number],
                    parts["output"][number],
                    cache_read=parts["cache_read"][number] or None,
                    cache_write=parts["cache_write"][number] or None,
                    metadata=metadata,
                    prompt=PROMPTS[number % len(PROMPTS)],
                    region=region,
                )
            )
    return calls


def seed_invocation_logs(world: World, clients: ClientFactory) -> int:
    """Turn logging on in every region and deliver the last LOG_DAYS as S3 objects; returns the
    records written."""
    written = 0
    since = floor_hour(world.now) - timedelta(days=LOG_DAYS)
    for region in REGIONS:
        target = Target(ACCOUNT, region)
        s3 = clients("s3", target)
        bucket = log_bucket(region)
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
            )
        enable_s3_logging(clients("bedrock", target), bucket, LOG_PREFIX)
        blocks: dict[datetime, list[Call]] = defaultdict(list)
        for (model_id, hour), counts in sorted(_hourly(world, region, since).items()):
            block = since + (hour - since) // timedelta(hours=HOURS_PER_OBJECT) * timedelta(
                hours=HOURS_PER_OBJECT
            )
            blocks[block] += _records(model_id, hour, counts, region, world.now)
        for _block, calls in sorted(blocks.items()):
            if calls:
                last = max(call.at for call in calls)
                put_object(s3, bucket, LOG_PREFIX, _delivered(last, world.now), calls, "demo")
                written += len(calls)
    return written


def _delivered(last: datetime, now: datetime) -> datetime:
    """When an object holding calls up to ``last`` was delivered: a few minutes later, not after now."""
    return min(last + timedelta(minutes=5), now)
