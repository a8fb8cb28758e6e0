"""The Cost Explorer collector end to end: moto's Cost Explorer (or botocore's Stubber where moto
falls short), the real runner, SQLite and Postgres."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import boto3
import requests
from botocore.stub import Stubber
from sqlalchemy import delete, func, select

from collector.cost_explorer import CostExplorerCollector
from collector.runner import Runner, plan_windows
from core.aws import ClientFactory, resolve_targets
from core.models import Budget, CollectorRun, CostDaily
from core.projection import month_bounds
from core.queries.costs import spend_totals
from core.settings import parse_config
from tests.helpers import Clock, OverridingFactory

ACCOUNT = "123456789012"  # moto's default account
BEDROCK = "Amazon Bedrock"
SAGEMAKER = "Amazon SageMaker"
SONNET = "Claude 3.5 Sonnet (Amazon Bedrock Edition)"
NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
DISCOVERY_GROUP_BY = [
    {"Type": "DIMENSION", "Key": "SERVICE"},
    {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"},
]
DETAIL_GROUP_BY = [{"Type": "DIMENSION", "Key": "USAGE_TYPE"}, {"Type": "TAG", "Key": "team"}]


def collect(sessions, config, clients, now, start=None, end=None):
    collector = CostExplorerCollector(config, clients)
    factory = clients.base if isinstance(clients, OverridingFactory) else clients
    runner = Runner(sessions, clients.counter, Clock(now))
    targets = collector.targets(resolve_targets(config.accounts, config.regions, factory))
    return runner.run(collector, runner.plan(collector, targets, start, end))


def discovery(months, token=None):
    """A MONTHLY SERVICE x LINKED_ACCOUNT answer: months = [(start, end, [(service, account)])]."""
    answer = {
        "ResultsByTime": [
            {
                "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
                "Total": {},
                "Groups": [
                    {
                        "Keys": [service, account],
                        "Metrics": {"UnblendedCost": {"Amount": "1", "Unit": "USD"}},
                    }
                    for service, account in pairs
                ],
                "Estimated": False,
            }
            for start, end, pairs in months
        ],
        "DimensionValueAttributes": [],
    }
    if token:
        answer["NextPageToken"] = token
    return answer


def daily(days, estimated=(), token=None):
    """A DAILY USAGE_TYPE x TAG answer: days = {day: [(usage_type, tag_key, amount)]}."""
    answer = {
        "ResultsByTime": [
            {
                "TimePeriod": {
                    "Start": day.isoformat(),
                    "End": (day + timedelta(days=1)).isoformat(),
                },
                "Total": {},
                "Groups": [
                    {
                        "Keys": [usage, tag],
                        "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}},
                    }
                    for usage, tag, amount in groups
                ],
                "Estimated": day in estimated,
            }
            for day, groups in days.items()
        ],
        "DimensionValueAttributes": [],
    }
    if token:
        answer["NextPageToken"] = token
    return answer


def queue(aws: str, *answers, account_id: str = ACCOUNT) -> None:
    """Queue answers in moto: each new request (by its body) takes the next one, in order."""
    response = requests.post(
        f"{aws}/moto-api/static/ce/cost-and-usage-results",
        json={"results": list(answers), "account_id": account_id},
        timeout=10,
    )
    assert response.status_code == 201


def reset(aws: str) -> None:
    requests.post(f"{aws}/moto-api/reset", timeout=10).raise_for_status()


def stored(sessions) -> dict[tuple, tuple]:
    with sessions() as session:
        return {
            (r.day, r.account_id, r.service, r.usage_group, r.team): (r.amount_usd, r.estimated)
            for r in session.scalars(select(CostDaily))
        }


CONFIG = parse_config(
    """
teams: [{name: search, monthly_budget_usd: 5000}, {name: support}]
collection: {costs: {extra_services: ["Amazon OpenSearch Service"]}}
""",
    "test.yaml",
)
OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)
D = {n: date(2026, 10, n) for n in range(20, 32)} | {
    f"11-{n}": date(2026, 11, n) for n in range(1, 4)
}


def test_pages_tags_untagged_lines_marketplace_models_and_a_month_boundary(aws, sessions):
    queue(
        aws,
        # discovery, two pages; EC2 is not GenAI spend
        discovery(
            [
                (
                    date(2026, 10, 20),
                    NOV,
                    [(BEDROCK, ACCOUNT), ("Amazon Elastic Compute Cloud - Compute", ACCOUNT)],
                )
            ],
            token="d2",
        ),
        discovery([(NOV, date(2026, 11, 4), [(BEDROCK, ACCOUNT), (SONNET, ACCOUNT)])]),
        # Amazon Bedrock, two pages across the month boundary
        daily(
            {
                D[30]: [
                    ("USE1-Claude3Haiku-input-tokens", "team$search", "1.25"),
                    ("USE1-Claude3Haiku-output-tokens", "team$search", "2.5"),
                ],
                D[31]: [
                    ("USE1-Claude3Haiku-input-tokens", "team$", "0.5"),
                    ("USE1-Claude3Haiku-input-tokens", "team$support", "3"),
                ],
            },
            token="b2",
        ),
        daily(
            {
                D["11-1"]: [("USE1-Claude3Haiku-input-tokens", "team$search", "7")],
                D["11-2"]: [("USE1-Claude3Haiku-input-tokens", "team$search", "8")],
                D["11-3"]: [("USE1-Claude3Haiku-input-tokens", "team$search", "0.75")],
            },
            estimated={D["11-2"], D["11-3"]},
        ),
        # the Marketplace model
        daily(
            {
                D["11-1"]: [
                    ("USE1-MP:USE1_InputTokenCount-Units", "team$search", "4"),
                    ("USE1-MP:USE1_OutputTokenCount-Units", "team$search", "6"),
                ]
            },
            estimated={D["11-1"]},
        ),
    )
    factory = ClientFactory()
    result = collect(sessions, CONFIG, factory, NOW, datetime(2026, 10, 20, tzinfo=UTC), NOW)
    assert [
        (o.target.account_id, o.target.region, o.status, o.windows_done) for o in result.outcomes
    ] == [(ACCOUNT, "us-east-1", "succeeded", 1)]
    assert (
        factory.counter.count("ce", "GetCostAndUsage") == 5
    )  # 2 discovery pages + 2 Bedrock pages + 1 Marketplace
    assert stored(sessions) == {
        (D[30], ACCOUNT, BEDROCK, "input_tokens", "search"): (Decimal("1.25"), False),
        (D[30], ACCOUNT, BEDROCK, "output_tokens", "search"): (Decimal("2.5"), False),
        (D[31], ACCOUNT, BEDROCK, "input_tokens", "unattributed"): (Decimal("0.5"), False),
        (D[31], ACCOUNT, BEDROCK, "input_tokens", "support"): (Decimal("3"), False),
        (D["11-1"], ACCOUNT, BEDROCK, "input_tokens", "search"): (Decimal("7"), False),
        (D["11-1"], ACCOUNT, SONNET, "input_tokens", "search"): (Decimal("4"), True),
        (D["11-1"], ACCOUNT, SONNET, "output_tokens", "search"): (Decimal("6"), True),
        (D["11-2"], ACCOUNT, BEDROCK, "input_tokens", "search"): (Decimal("8"), True),
        (D["11-3"], ACCOUNT, BEDROCK, "input_tokens", "search"): (
            Decimal("0.75"),
            True,
        ),  # today: open
    }
    with sessions() as session:
        assert spend_totals(session, *month_bounds(NOW.date())) == {"search": Decimal("25.75")}
        assert spend_totals(session, *month_bounds(date(2026, 10, 31))) == {
            "search": Decimal("3.75"),
            "support": Decimal("3"),
            "unattributed": Decimal("0.5"),
        }
        # the collector syncs the config's budgets for the month it collects in
        assert [
            (b.team, b.service, b.period, b.amount_usd) for b in session.scalars(select(Budget))
        ] == [("search", "all", "2026-11", Decimal(5000))]


def test_a_restated_day_overwrites_and_a_line_that_moved_is_not_counted_twice(aws, sessions):
    window = (datetime(2026, 10, 20, tzinfo=UTC), NOW)
    queue(
        aws,
        discovery([(NOV, date(2026, 11, 4), [(BEDROCK, ACCOUNT)])]),
        daily(
            {
                D["11-2"]: [
                    ("USE1-Claude3Haiku-input-tokens", "team$", "5"),
                    ("USE1-Claude3Haiku-input-tokens", "team$search", "10"),
                ]
            },
            estimated={D["11-2"]},
        ),
    )
    collect(sessions, CONFIG, ClientFactory(), NOW, *window)
    assert stored(sessions) == {
        (D["11-2"], ACCOUNT, BEDROCK, "input_tokens", "unattributed"): (Decimal(5), True),
        (D["11-2"], ACCOUNT, BEDROCK, "input_tokens", "search"): (Decimal(10), True),
    }

    # a day later Cost Explorer restates the day: the tag was activated and applied after the fact
    reset(aws)
    later = NOW + timedelta(days=1)
    queue(
        aws,
        discovery([(NOV, date(2026, 11, 5), [(BEDROCK, ACCOUNT)])]),
        daily({D["11-2"]: [("USE1-Claude3Haiku-input-tokens", "team$search", "15.5")]}),
    )
    collect(sessions, CONFIG, ClientFactory(), later, *window)
    assert stored(sessions) == {
        (D["11-2"], ACCOUNT, BEDROCK, "input_tokens", "search"): (Decimal("15.5"), False)
    }

    # the same window read again (moto answers the same requests the same way) changes nothing
    with sessions() as session:
        before = [tuple(r) for r in session.execute(select(*CostDaily.__table__.columns))]
    collect(sessions, CONFIG, ClientFactory(), later, *window)
    with sessions() as session:
        assert [tuple(r) for r in session.execute(select(*CostDaily.__table__.columns))] == before


def backfill_answers(start: datetime, end: datetime) -> list[dict]:
    """Discovery plus one daily answer per window and (account, service), a line for every day."""
    months = []
    cursor = start.date()
    while cursor < end.date():
        following = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
        months.append(
            (cursor, min(following, end.date()), [(BEDROCK, ACCOUNT), (SAGEMAKER, ACCOUNT)])
        )
        cursor = following
    answers = [discovery(months)]
    for window in plan_windows(start, end, timedelta(days=31)):
        days = [
            window.start.date() + timedelta(days=i) for i in range((window.end - window.start).days)
        ]
        answers.append(
            daily({d: [("USE1-Claude3Haiku-input-tokens", "team$search", "2")] for d in days})
        )
        answers.append(
            daily({d: [("USE1-Host:ml.g5.xlarge", "team$support", "24.5")] for d in days})
        )
    return answers


def test_a_regular_cycle_costs_the_same_requests_after_1_or_12_months_of_history(aws, sessions):
    end = datetime(2026, 11, 4, tzinfo=UTC)
    cycle_calls, backfill_calls, rows = {}, {}, {}
    for months, start in (
        (1, datetime(2026, 10, 1, tzinfo=UTC)),
        (12, datetime(2025, 11, 1, tzinfo=UTC)),
    ):
        with sessions.begin() as session:
            session.execute(delete(CostDaily))
            session.execute(delete(CollectorRun))
        reset(aws)
        queue(aws, *backfill_answers(start, end))
        factory = ClientFactory()
        collect(sessions, CONFIG, factory, NOW, start, NOW)
        backfill_calls[months] = factory.counter.count("ce", "GetCostAndUsage")
        with sessions() as session:
            rows[months] = session.scalar(select(func.count()).select_from(CostDaily))

        # the regular cycle six hours later: early November, so October is re-read too
        reset(aws)
        queue(aws, *backfill_answers(datetime(2026, 10, 1, tzinfo=UTC), end))
        factory = ClientFactory()
        result = collect(sessions, CONFIG, factory, NOW + timedelta(hours=6))
        assert result.outcomes[0].status == "succeeded"
        cycle_calls[months] = factory.counter.count("ce", "GetCostAndUsage")
    assert rows[12] > 10 * rows[1]
    assert backfill_calls == {
        1: 1 + 2 * 2,
        12: 1 + 13 * 2,
    }  # windows x (account, service) pairs, plus discovery
    assert cycle_calls[1] == cycle_calls[12] == 1 + 2 * 2


def stubbed_ce(calls):
    client = boto3.client("ce", region_name="us-east-1")
    stubber = Stubber(client)
    for answer, params in calls:
        stubber.add_response("get_cost_and_usage", answer, params)
    stubber.activate()
    return client, stubber


def detail_params(account, service, start, end, token=None):
    params = {
        "TimePeriod": {"Start": start, "End": end},
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost", "UsageQuantity"],
        "Filter": {
            "And": [
                {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [account]}},
                {"Dimensions": {"Key": "SERVICE", "Values": [service]}},
            ]
        },
        "GroupBy": DETAIL_GROUP_BY,
    }
    if token:
        params["NextPageToken"] = token
    return params


def test_a_payer_and_a_member_never_count_the_member_twice(aws, sessions):
    payer, member, linked = "111111111111", "222222222222", "333333333333"
    config = parse_config(
        f"""
accounts:
  - {{id: "{payer}", name: payer, role_arn: "arn:aws:iam::{payer}:role/Reader", team: platform}}
  - {{id: "{member}", name: member, role_arn: "arn:aws:iam::{member}:role/Reader"}}
regions: [us-east-1, eu-west-1]
teams: [{{name: platform}}, {{name: search}}]
""",
        "test.yaml",
    )
    day = date(2026, 11, 2)
    period = {"Start": "2026-11-02", "End": "2026-11-03"}
    discovery_params = {
        "TimePeriod": period,
        "Granularity": "MONTHLY",
        "Metrics": ["UnblendedCost"],
        "GroupBy": DISCOVERY_GROUP_BY,
    }
    everything = [(BEDROCK, payer), (BEDROCK, member), (BEDROCK, linked), ("AWS Lambda", payer)]
    payer_ce, payer_stub = stubbed_ce(
        [
            (discovery([(day, date(2026, 11, 3), everything)]), discovery_params),
            (
                daily({day: [("USE1-Claude3Haiku-input-tokens", "team$", "1")]}, token="p2"),
                detail_params(payer, BEDROCK, "2026-11-02", "2026-11-03"),
            ),
            (
                daily({day: [("USE1-Claude3Haiku-output-tokens", "team$search", "2")]}),
                detail_params(payer, BEDROCK, "2026-11-02", "2026-11-03", token="p2"),
            ),
            (
                daily({day: [("USE1-Claude3Haiku-input-tokens", "team$", "30")]}),
                detail_params(linked, BEDROCK, "2026-11-02", "2026-11-03"),
            ),
        ]
    )
    member_ce, member_stub = stubbed_ce(
        [
            (discovery([(day, date(2026, 11, 3), [(BEDROCK, member)])]), discovery_params),
            (
                daily({day: [("USE1-Claude3Haiku-input-tokens", "team$search", "200")]}),
                detail_params(member, BEDROCK, "2026-11-02", "2026-11-03"),
            ),
        ]
    )
    clients = OverridingFactory(
        ClientFactory(),
        {("ce", payer, "us-east-1"): payer_ce, ("ce", member, "us-east-1"): member_ce},
    )
    result = collect(
        sessions,
        config,
        clients,
        NOW,
        datetime(2026, 11, 2, tzinfo=UTC),
        datetime(2026, 11, 3, tzinfo=UTC),
    )
    payer_stub.assert_no_pending_responses()
    member_stub.assert_no_pending_responses()
    assert [(o.target.account_id, o.target.region, o.status) for o in result.outcomes] == [
        (payer, "us-east-1", "succeeded"),
        (member, "us-east-1", "succeeded"),
    ]
    assert stored(sessions) == {
        (day, payer, BEDROCK, "input_tokens", "platform"): (
            Decimal(1),
            False,
        ),  # untagged: the account's team
        (day, payer, BEDROCK, "output_tokens", "search"): (Decimal(2), False),
        (day, linked, BEDROCK, "input_tokens", "unattributed"): (Decimal(30), False),
        (day, member, BEDROCK, "input_tokens", "search"): (Decimal(200), False),
    }


def test_a_denied_account_is_skipped_and_the_others_collected(aws, sessions):
    config = parse_config(
        'accounts: [{id: "444444444444", role_arn: "arn:aws:iam::444444444444:role/R"}, {id: "123456789012"}]',
        "test.yaml",
    )
    denied = boto3.client("ce", region_name="us-east-1")
    stubber = Stubber(denied)
    stubber.add_client_error(
        "get_cost_and_usage",
        service_error_code="AccessDeniedException",
        service_message="not authorized to perform ce:GetCostAndUsage",
        http_status_code=400,
    )
    stubber.activate()
    queue(
        aws,
        discovery([(NOV, date(2026, 11, 3), [(BEDROCK, ACCOUNT)])]),
        daily({date(2026, 11, 2): [("USE1-Claude3Haiku-input-tokens", "team$", "9")]}),
    )
    clients = OverridingFactory(ClientFactory(), {("ce", "444444444444", "us-east-1"): denied})
    result = collect(
        sessions,
        config,
        clients,
        NOW,
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 3, tzinfo=UTC),
    )
    assert {o.target.account_id: o.status for o in result.outcomes} == {
        "444444444444": "skipped",
        ACCOUNT: "succeeded",
    }
    assert list(stored(sessions).values()) == [(Decimal(9), False)]
    with sessions() as session:
        run = session.scalars(
            select(CollectorRun).where(CollectorRun.account_id == "444444444444")
        ).one()
    assert run.status == "skipped" and "AccessDeniedException" in run.message
