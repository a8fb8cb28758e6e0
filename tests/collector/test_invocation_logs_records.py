"""The pure side of the invocation-log source: records -> tallies, the destination it reads."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from collector.invocation_log_reads import CLOUDWATCH_LOGS, S3, destination
from collector.invocation_log_records import (
    canonical_metadata,
    parse_record,
    stored_model_id,
    tally_gzip,
    tally_lines,
)
from demo.invocation_logs import Call, gzip_lines, line, record

AT = datetime(2026, 11, 20, 9, 41, 7, tzinfo=UTC)
HOUR = AT.replace(minute=0, second=0)
ROLE = "arn:aws:sts::123456789012:assumed-role/search-api/i-1"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


def test_both_operation_shapes_give_their_metadata_and_nothing_else():
    for operation in ("InvokeModel", "Converse"):
        call = Call(
            AT,
            ROLE,
            HAIKU,
            120,
            30,
            operation=operation,
            cache_read=7,
            cache_write=3,
            metadata={"project": "atlas", "user": "ann"},
            prompt="SECRET PROMPT",
        )
        parsed = parse_record(line(call), ["project"])
        assert parsed is not None
        assert (parsed.key.hour, parsed.key.principal, parsed.key.model_id) == (HOUR, ROLE, HAIKU)
        assert parsed.key.request_metadata == '{"project":"atlas"}'
        assert parsed.counts == (1, 120, 30, 7, 3)
        assert "SECRET" not in repr(parsed)


def test_records_without_cache_fields_or_metadata_count_zero_and_no_metadata():
    parsed = parse_record(line(Call(AT, ROLE, HAIKU, 5, 1)), ["project"])
    assert parsed is not None and parsed.counts == (1, 5, 1, 0, 0)
    assert parsed.key.request_metadata == "{}"


def test_lines_that_are_not_records_are_skipped_and_counted():
    good = line(Call(AT, ROLE, HAIKU, 5, 1))
    no_identity = record(Call(AT, ROLE, HAIKU, 5, 1))
    del no_identity["identity"]
    negative = record(Call(AT, ROLE, HAIKU, 5, 1))
    negative["input"]["inputTokenCount"] = -1
    bad_time = record(Call(AT, ROLE, HAIKU, 5, 1))
    bad_time["timestamp"] = "yesterday"
    lines = [
        good,
        b"not json at all\n",
        b"[1, 2]\n",
        json.dumps(no_identity).encode(),
        json.dumps(negative).encode(),
        json.dumps(bad_time).encode(),
        b"\n",
        good,
    ]
    tally = tally_lines(lines, [])
    assert (tally.records, tally.malformed) == (7, 5)
    assert list(tally.counts.values()) == [[2, 10, 2, 0, 0]]


def test_a_truncated_gzip_keeps_what_decoded():
    calls = [Call(AT, ROLE, HAIKU, n, 1) for n in range(1, 400)]
    whole = gzip_lines(line(call) for call in calls)
    tally = tally_gzip(io.BytesIO(whole[: len(whole) // 2]), [])
    assert tally.truncated and 0 < tally.records < len(calls)
    [counts] = tally.counts.values()
    decoded = counts[0]
    assert counts[1] == sum(range(1, decoded + 1))  # the first records, in order, exactly
    assert not tally_gzip(io.BytesIO(whole), []).truncated


def test_metadata_is_canonical_and_model_arns_are_stored_by_their_id():
    assert canonical_metadata({"user": "ann", "project": 7}, ["user", "project"]) == (
        '{"project":"7","user":"ann"}'
    )
    assert canonical_metadata({"other": "x"}, ["project"]) == "{}"
    assert canonical_metadata("not a map", ["project"]) == "{}"
    profile = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3"
    assert stored_model_id(profile) == "a1b2c3"
    assert stored_model_id(f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}") == HAIKU
    assert stored_model_id(f"us.{HAIKU}") == f"us.{HAIKU}"


def test_one_destination_is_read_when_both_are_configured():
    both = {
        "loggingConfig": {
            "s3Config": {"bucketName": "logs", "keyPrefix": "p"},
            "cloudWatchConfig": {"logGroupName": "g", "roleArn": "r"},
        }
    }
    assert destination(both, S3).name == "s3://logs/p"  # type: ignore[union-attr]
    assert destination(both, CLOUDWATCH_LOGS).name == "logs:g"  # type: ignore[union-attr]
    only_logs = {"loggingConfig": {"cloudWatchConfig": {"logGroupName": "g"}}}
    assert destination(only_logs, S3).kind == CLOUDWATCH_LOGS  # type: ignore[union-attr]
    assert destination({"loggingConfig": {}}, S3) is None
    assert destination({}, S3) is None
