"""The demo's config file: teams with budgets set from the generated bill, the profiles' owners,
every alert rule and a log channel (pure: a world in, YAML text out)."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from decimal import ROUND_CEILING, Decimal

from demo.cur import DEMO_BUCKET, DEMO_EXPORT, DEMO_PREFIX
from demo.generate import World
from demo.principal_traffic import LOG_DAYS, PRINCIPAL_TEAMS
from demo.world import MODELS, REGIONS, TEAMS

LOG_CHANNEL = "demo-log"


def month_projection(daily: dict[date, Decimal], today: date) -> tuple[Decimal, Decimal]:
    """(spent this month, a simple month-end projection: the last 7 days' average for the rest)."""
    first = today.replace(day=1)
    spent = sum((amount for day, amount in daily.items() if first <= day <= today), Decimal(0))
    recent = [daily.get(today - timedelta(days=offset), Decimal(0)) for offset in range(1, 8)]
    next_month = (first + timedelta(days=32)).replace(day=1)
    remaining = (next_month - today).days - 1 + Decimal("0.5")  # the rest of today counts half
    return spent, spent + sum(recent, Decimal(0)) / 7 * remaining


# How each team's budget relates to its spend, so every budget alert has a case whatever the day.
BUDGET_POLICY: dict[str, tuple[str, str]] = {
    "search": ("projected", "0.85"),  # will cross before the month ends: budget_forecast
    "support": ("projected", "1.6"),  # comfortable
    "research": ("spent", "0.9"),  # already over: budget_threshold 100%, critical
    "marketing": ("projected", "1.25"),
    "platform": ("projected", "1.3"),
    "data": ("projected", "1.05"),  # close: the 80% threshold late in the month
}


def budgets(world: World) -> dict[str, Decimal]:
    """Monthly budgets per team, rounded up to $50, from the bill and BUDGET_POLICY."""
    today = world.now.astimezone(UTC).date()
    spend = world.team_daily()
    result = {}
    for team in TEAMS:
        basis, factor = BUDGET_POLICY[team]
        spent, projected = month_projection(spend.get(team, {}), today)
        amount = (spent if basis == "spent" else projected) * Decimal(factor)
        result[team] = max(Decimal(50), (amount / 50).to_integral_value(ROUND_CEILING) * 50)
    return result


def demo_config(world: World, days: int) -> str:
    """The demo's config file: teams and budgets, the profiles' owners, rules and a log channel."""
    amounts = budgets(world)
    profiles = "\n".join(
        f"    {m.model_id}: {{team: {m.team}, model: {m.base_model}}}" for m in MODELS if m.team
    )
    teams = "\n".join(
        f"  - {{name: {team}, monthly_budget_usd: {amounts[team]}}}" for team in TEAMS
    )
    backfill = f"{days + 1}d"
    principals = "\n".join(f'    "{pattern}": {team}' for pattern, team in PRINCIPAL_TEAMS.items())
    return f"""\
# The demo organisation, written by `genai-monitor demo`. Budgets are set from the generated
# spend so that every alert rule has a case to show.
regions: [{", ".join(REGIONS)}]
attribution:
  tag_key: team
  # the local stand-in has no bedrock:ListInferenceProfiles: the profiles' owners are mapped here
  discover_inference_profiles: false
  # the callers' IAM role tags: Cost Explorer's iamPrincipal/team
  principal_tag_keys: [team]
  inference_profiles:
{profiles}
  # who called: IAM principal ARN patterns (first match wins) and the request metadata kept
  principals:
{principals}
  request_metadata_keys: [project]
teams:
{teams}
collection:
  bedrock: {{initial_backfill: {backfill}}}
  sagemaker: {{initial_backfill: {backfill}}}
  costs:
    initial_backfill: {backfill}
    # both billing sources: Cost Explorer per day and tag, CUR 2.0 per resource and principal
    source: [cost_explorer, cur]
    cur: {{bucket: {DEMO_BUCKET}, prefix: {DEMO_PREFIX}, export_name: {DEMO_EXPORT}}}
  provisioned_throughput: {{initial_backfill: 31d}}
  custom_models: {{initial_backfill: 1d}}
  batch_jobs: {{initial_backfill: 31d, window: 31d}}
  vector_stores: {{initial_backfill: {backfill}}}
  # the invocation logs hold the last {LOG_DAYS} days (S3 in both regions)
  invocation_logs: {{initial_backfill: {LOG_DAYS + 1}d, window: 7d}}
alerts:
  default_route: [{LOG_CHANNEL}]
  rules:
    - {{kind: idle_endpoint, for: 24h}}
    - {{kind: idle_vector_store, for: 7d}}
    - {{kind: budget_threshold, thresholds: [0.5, 0.8, 1.0]}}
    - {{kind: budget_forecast}}
    - {{kind: spend_spike, factor: 3, baseline_days: 14, min_increase_usd: 20}}
    - {{kind: principal_spike, factor: 5, min_hourly_usd: 2}}
    - {{kind: stale_data, for: 6h}}
    - {{kind: idle_provisioned_throughput, for: 24h}}
    - {{kind: commitment_expiring, before: 14d}}
notifiers:
  {LOG_CHANNEL}: {{type: log}}
# under-used: 800 calls an instance-hour, so the classifier's 3 instances are 2 too many
waste: {{window: 7d, endpoint_invocations_per_instance_hour: 800, provisioned_busy_share: 0.5}}
# the demo acts on waste through the stand-in: research's idle endpoints are stopped after a
# notice, search's dev endpoints are off outside office hours (the Waste page shows the savings)
actions:
  enabled: true
  role_arn: "arn:aws:iam::{{account}}:role/GenAIMonitorActions"
  dashboard_groups: [platform-admins]
  policies:
    - {{kind: auto_stop, teams: [research], resources: ["research-llm-*"], after: 72h, notice: 12h}}
    - kind: schedule
      teams: [search]
      resources: ["dev-*"]
      stop: "0 20 * * 1-5"
      start: "0 8 * * 1-5"
      timezone: Europe/Berlin
"""
