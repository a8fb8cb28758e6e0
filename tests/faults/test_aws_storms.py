"""AWS throttling and 5xx storms between the collectors and AWS (moto behind a fault proxy)."""

from __future__ import annotations

import re

import pytest

from tests.faults.aws_proxy import INTERNAL, THROTTLE, UNAVAILABLE, FaultProxy
from tests.faults.harness import collected, compare, differences, one_line_error, run_cli, total

pytestmark = pytest.mark.fault

STORM_REGION = "us-west-2"


def api_calls(output: str) -> int:
    """The API calls the collect's per-target lines report."""
    return sum(int(n) for n in re.findall(r"(\d+) API call\(s\)", output))


@pytest.fixture
def proxy(aws):
    proxy = FaultProxy(aws).start()
    yield proxy
    proxy.stop()


def test_a_third_of_requests_throttled_or_failing_still_collects_the_clean_tables(
    world, proxy, postgres, postgres_clean
):
    clean_run = run_cli(world.env(postgres_clean), "collect", "all")
    assert clean_run.returncode == 0, clean_run.stderr
    proxy.fraction, proxy.kinds = 0.3, (THROTTLE, THROTTLE, UNAVAILABLE, INTERNAL)
    # three attempts per call (the test default) outlast the proxy's two faults in a row
    stormy = run_cli(world.env(postgres, AWS_ENDPOINT_URL=proxy.url), "collect", "all")
    assert stormy.returncode == 0, stormy.stderr
    assert "Traceback" not in stormy.stderr

    clean, got = collected(postgres_clean, world.span), collected(postgres, world.span)
    lost, extra, duplicates = compare(clean, got)
    assert (lost, extra, duplicates) == (0, 0, 0), differences(clean, got)
    requests, faults = sum(proxy.requests.values()), sum(proxy.faults.values())
    calls = api_calls(stormy.stdout + stormy.stderr)
    assert faults >= 0.15 * requests and calls <= requests - faults
    print(
        f"FAULT figure: AWS answering {faults} of {requests} requests ({faults / requests:.0%}) "
        f"with ThrottlingException/503/500: {calls} collector API calls all succeeded after "
        f"{faults} retries; tables equal a clean run ({total(clean)} rows compared): "
        f"{lost} lost, {duplicates} duplicate"
    )


def test_a_region_in_a_5xx_storm_fails_alone_and_the_next_run_catches_up(
    world, proxy, postgres, postgres_clean
):
    clean_run = run_cli(world.env(postgres_clean), "collect", "all")
    assert clean_run.returncode == 0, clean_run.stderr
    proxy.storm_region = STORM_REGION
    env = world.env(postgres, AWS_ENDPOINT_URL=proxy.url)
    stormy = run_cli(env, "collect", "all")
    assert stormy.returncode == 1, stormy.stdout + stormy.stderr
    one_line_error(stormy.stderr)
    failed = [line for line in stormy.stderr.splitlines() if ": failed," in line]
    succeeded = [line for line in stormy.stdout.splitlines() if ": succeeded," in line]
    # one line per regional source in the storm's region; Cost Explorer (us-east-1) and the
    # other region succeed
    regional = (
        "bedrock",
        "sagemaker",
        "vector_stores",
        "provisioned_throughput",
        "custom_models",
        "batch_jobs",
        "invocation_logs",
    )
    assert len(failed) == len(regional) and all(STORM_REGION in line for line in failed), (
        stormy.stderr
    )
    assert all("ServiceUnavailable" in line for line in failed), failed
    assert len(succeeded) == len(regional) + 1
    assert not any(STORM_REGION in line for line in succeeded)

    clean = collected(postgres_clean, world.span)
    during = collected(postgres, world.span)
    for table in ("bedrock_usage_hourly", "endpoint_hourly"):
        healthy = {row: n for row, n in clean[table].items() if row[1] != STORM_REGION}
        assert during[table] == healthy, f"{table}: the healthy region is not complete"
    storm_requests = sum(n for (region, _), n in proxy.requests.items() if region == STORM_REGION)

    proxy.storm_region = None
    after = run_cli(env, "collect", "all")
    assert after.returncode == 0, after.stderr
    got = collected(postgres, world.span)
    lost, extra, duplicates = compare(clean, got)
    assert (lost, extra, duplicates) == (0, 0, 0), differences(clean, got)
    print(
        f"FAULT figure: 100% 503 for {STORM_REGION} ({storm_requests} requests): "
        f"{len(failed)} targets failed alone with one line each, {len(succeeded)} succeeded, exit 1; "
        f"the run after the storm caught up from the watermarks: {lost} lost, {duplicates} duplicate "
        f"of {total(clean)} rows"
    )
