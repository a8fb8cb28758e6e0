"""Environment settings and the YAML config, validated at load.

A bad config raises :class:`ConfigError` whose message names the file, the key and what was
expected; nothing is written before the config has loaded.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from core.timeutil import parse_duration

DEFAULT_DATABASE_URL = "sqlite:///genai-monitor.db"
DEFAULT_CONFIG_PATH = "genai-monitor.yaml"

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_TEAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,63}$")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

UNATTRIBUTED = "unattributed"


class ConfigError(Exception):
    """The config file is missing, unreadable or invalid."""


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a duration like 90m, 24h or 7d, got {value!r}")
    return parse_duration(value)


Duration = Annotated[timedelta, BeforeValidator(_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccountConfig(_Strict):
    id: str
    name: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    team: str | None = None  # every resource of this account belongs to this team unless tagged

    @field_validator("id", mode="before")
    @classmethod
    def _account_id(cls, value: Any) -> str:
        text = str(value)
        if not _ACCOUNT_ID.match(text):
            raise ValueError(f"expected a 12-digit AWS account id, got {value!r}")
        return text

    @field_validator("role_arn")
    @classmethod
    def _role(cls, value: str | None) -> str | None:
        if value is not None and not _ROLE_ARN.match(value):
            raise ValueError(
                f"expected an IAM role ARN like arn:aws:iam::123456789012:role/Name, got {value!r}"
            )
        return value


class ProfileMapping(_Strict):
    team: str
    model: str | None = (
        None  # the foundation model, for pricing where ListInferenceProfiles is closed
    )


class AttributionConfig(_Strict):
    tag_key: str = "team"
    # false where the collector is not granted bedrock:ListInferenceProfiles: the mapping below is used alone
    discover_inference_profiles: bool = True
    # application inference profile id -> team, or -> {team, model}
    inference_profiles: dict[str, ProfileMapping] = Field(default_factory=dict)

    @field_validator("inference_profiles", mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: {"team": item} if isinstance(item, str) else item
                for key, item in value.items()
            }
        return value


class TeamConfig(_Strict):
    name: str
    monthly_budget_usd: float | None = Field(default=None, ge=0)
    # a monthly budget for one Cost Explorer service of this team, e.g. {"Amazon Bedrock": 3000}
    monthly_service_budgets_usd: dict[str, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict
    )
    routes: list[str] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _TEAM_NAME.match(value) or value == UNATTRIBUTED:
            raise ValueError(
                f"expected a team name of letters, digits and -_.:/=+@ (not {UNATTRIBUTED!r}), got {value!r}"
            )
        return value


class SourceConfig(_Strict):
    interval: Duration = timedelta(hours=1)
    # how far back a regular cycle re-reads, because the newest data is provisional
    lookback: Duration = timedelta(hours=3)
    # how much history the first cycle of a new target reads
    initial_backfill: Duration = timedelta(days=7)
    # one transaction (and one collector_runs row) per window of this length
    window: Duration = timedelta(days=1)

    @model_validator(mode="after")
    def _positive(self) -> SourceConfig:
        for name in ("interval", "window"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be longer than zero")
        return self


class CostsConfig(SourceConfig):
    interval: Duration = timedelta(hours=6)
    # Cost Explorer restates recent days: a regular cycle re-reads this many whole days
    lookback: Duration = timedelta(days=3)
    # the first cycle reads this much, and always from the first day of the previous month
    initial_backfill: Duration = timedelta(days=7)
    # every window costs at least one request per (account, service): few, large windows are cheap
    window: Duration = timedelta(days=31)
    # the previous month is re-read until this long into the new month, when its bill is final
    month_final_after: Duration = timedelta(days=5)
    # also collect AmortizedCost (reservations and savings plans spread over their term)
    amortized: bool = False
    extra_services: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _whole_days(self) -> CostsConfig:
        for name in ("lookback", "window", "initial_backfill", "month_final_after"):
            if getattr(self, name) % timedelta(days=1):
                raise ValueError(f"{name} must be a whole number of days, like 3d")
        return self


class CollectionConfig(_Strict):
    bedrock: SourceConfig = SourceConfig()
    sagemaker: SourceConfig = SourceConfig()
    costs: CostsConfig = CostsConfig()


class PriceOverride(_Strict):
    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(default=0, ge=0)
    cache_read_per_mtok: float | None = Field(default=None, ge=0)
    cache_write_per_mtok: float | None = Field(default=None, ge=0)
    regions: list[str] | None = None  # absent: every region


class PricingConfig(_Strict):
    # negotiated or newer prices; they win over the shipped catalog
    overrides: dict[str, PriceOverride] = Field(default_factory=dict)


class _Rule(_Strict):
    name: str | None = None  # absent: the kind; alerts are keyed by it
    severity: Literal["info", "warning", "critical"] = "warning"
    # absent: alerts.repeat_interval; "0s": notify once per episode
    repeat_interval: Duration | None = None
    notify_resolved: bool = True

    @property
    def rule_name(self) -> str:
        """The rule's identity in alerts: its name, else its kind."""
        return self.name or self.kind  # type: ignore[attr-defined,no-any-return]


class IdleEndpointRule(_Rule):
    kind: Literal["idle_endpoint"]
    for_: Duration = Field(default=timedelta(hours=24), alias="for")
    exclude_names: list[str] = Field(default_factory=list)  # shell patterns, e.g. "*-canary"
    # an endpoint tagged keep-alive-until=2026-12-31 is silenced until that date
    keep_alive_tag: str = "keep-alive-until"


class BudgetThresholdRule(_Rule):
    kind: Literal["budget_threshold"]
    thresholds: list[Annotated[float, Field(gt=0)]] = Field(default_factory=lambda: [0.5, 0.8, 1.0])
    repeat_interval: Duration | None = timedelta(0)  # each threshold is told once per period
    notify_resolved: bool = False


class BudgetForecastRule(_Rule):
    kind: Literal["budget_forecast"]
    repeat_interval: Duration | None = timedelta(days=1)


class SpendSpikeRule(_Rule):
    kind: Literal["spend_spike"]
    factor: float = Field(default=3.0, gt=1)
    baseline_days: int = Field(default=14, ge=3)
    # a spike must also be this many dollars above the baseline, so $0.01 -> $0.05 stays quiet
    min_increase_usd: float = Field(default=20, ge=0)
    repeat_interval: Duration | None = timedelta(0)


class StaleDataRule(_Rule):
    kind: Literal["stale_data"]
    for_: Duration = Field(default=timedelta(hours=6), alias="for")


AlertRule = Annotated[
    IdleEndpointRule | BudgetThresholdRule | BudgetForecastRule | SpendSpikeRule | StaleDataRule,
    Field(discriminator="kind"),
]


class AlertsConfig(_Strict):
    # how often `genai-monitor run` evaluates the rules and delivers notifications
    interval: Duration = timedelta(minutes=5)
    repeat_interval: Duration = timedelta(hours=4)
    default_route: list[str] = Field(default_factory=list)
    rules: list[AlertRule] = Field(default_factory=list)

    @field_validator("rules")
    @classmethod
    def _unique_names(cls, value: list[Any]) -> list[Any]:
        names = [rule.rule_name for rule in value]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"two rules are named {name!r}: give one of them a distinct name")
        return value


class _Notifier(_Strict):
    # absent: the rule's, else alerts.repeat_interval
    repeat_interval: Duration | None = None
    timeout_seconds: float = Field(default=10, gt=0)


class SlackNotifier(_Notifier):
    type: Literal["slack"]
    webhook_url: str


class PagerDutyNotifier(_Notifier):
    type: Literal["pagerduty"]
    routing_key: str
    events_url: str = (
        "https://events.pagerduty.com/v2/enqueue"  # EU accounts: events.eu.pagerduty.com
    )


class EmailNotifier(_Notifier):
    type: Literal["email"]
    to: list[str] = Field(min_length=1)
    smtp_host: str
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    starttls: bool = True
    ssl: bool = False  # SMTPS (usually port 465) instead of STARTTLS
    username: str | None = None
    password: str | None = None
    sender: str = "genai-monitor@localhost"


class WebhookNotifier(_Notifier):
    type: Literal["webhook"]
    url: str
    headers: dict[str, str] = Field(default_factory=dict)


class SnsNotifier(_Notifier):
    type: Literal["sns"]
    topic_arn: str = Field(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$")


class LogNotifier(_Notifier):
    type: Literal["log"]


Notifier = Annotated[
    SlackNotifier | PagerDutyNotifier | EmailNotifier | WebhookNotifier | SnsNotifier | LogNotifier,
    Field(discriminator="type"),
]


class ServingThroughput(_Strict):
    input_tps: float = Field(gt=0)
    output_tps: float = Field(gt=0)


class AdvisorConfig(_Strict):
    # tokens one endpoint invocation stands for, where the endpoint does not publish token counts
    tokens_per_invocation: dict[Literal["input", "output"], int] = Field(
        default_factory=lambda: {"input": 1000, "output": 250}
    )
    # endpoint name pattern -> the comparable Bedrock model, e.g. {"llama-8b-*": meta.llama3-1-8b-instruct-v1:0}
    endpoint_models: dict[str, str] = Field(default_factory=dict)
    # the share of an instance's throughput a self-hosted endpoint is planned to use at peak
    utilisation_target: float = Field(default=0.6, gt=0, le=1)
    hours_per_month: float = Field(default=730, gt=0)
    # measured throughput per family and instance type: {llama-8b: {ml.g5.xlarge: {input_tps, output_tps}}}
    throughput_overrides: dict[str, dict[str, ServingThroughput]] = Field(default_factory=dict)


class MonitorConfig(_Strict):
    """The whole YAML config; every key is optional."""

    accounts: list[AccountConfig] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=lambda: ["us-east-1"])
    attribution: AttributionConfig = AttributionConfig()
    teams: list[TeamConfig] = Field(default_factory=list)
    collection: CollectionConfig = CollectionConfig()
    pricing: PricingConfig = PricingConfig()
    alerts: AlertsConfig = AlertsConfig()
    notifiers: dict[str, Notifier] = Field(default_factory=dict)
    advisor: AdvisorConfig = AdvisorConfig()

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("expected at least one region")
        for region in value:
            if not _REGION.match(region):
                raise ValueError(f"expected an AWS region name like us-east-1, got {region!r}")
        if len(set(value)) != len(value):
            raise ValueError("a region is listed twice")
        return value

    @model_validator(mode="after")
    def _references(self) -> MonitorConfig:
        names = [team.name for team in self.teams]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"team {duplicates[0]!r} is listed twice")
        ids = [account.id for account in self.accounts]
        if len(set(ids)) != len(ids):
            raise ValueError("an account id is listed twice")
        known_routes = set(self.notifiers)
        for team in self.teams:
            for route in team.routes or []:
                if route not in known_routes:
                    raise ValueError(
                        f"team {team.name!r} routes to {route!r}, which is not under notifiers"
                    )
        for route in self.alerts.default_route:
            if route not in known_routes:
                raise ValueError(
                    f"alerts.default_route names {route!r}, which is not under notifiers"
                )
        if names:
            known = set(names)
            for profile, mapping in self.attribution.inference_profiles.items():
                if mapping.team not in known:
                    raise ValueError(
                        f"attribution.inference_profiles.{profile} names team {mapping.team!r}, which is not under teams"
                    )
            for account in self.accounts:
                if account.team is not None and account.team not in known:
                    raise ValueError(
                        f"account {account.id} names team {account.team!r}, which is not under teams"
                    )
        return self


@dataclass(frozen=True)
class EnvSettings:
    """What the process takes from its environment."""

    database_url: str
    config_path: Path
    config_path_explicit: bool


def env_settings(environ: dict[str, str] | None = None) -> EnvSettings:
    """Read DATABASE_URL and GENAI_MONITOR_CONFIG from the environment."""
    env = os.environ if environ is None else environ
    config = env.get("GENAI_MONITOR_CONFIG")
    return EnvSettings(
        database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        config_path=Path(config or DEFAULT_CONFIG_PATH),
        config_path_explicit=bool(config),
    )


def _substitute_env(node: Any, path: str, environ: dict[str, str]) -> Any:
    """Replace ``${NAME}`` in every string with the environment variable NAME."""
    if isinstance(node, dict):
        return {
            key: _substitute_env(value, f"{path}.{key}" if path else str(key), environ)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [
            _substitute_env(value, f"{path}[{index}]", environ) for index, value in enumerate(node)
        ]
    if isinstance(node, str):

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in environ:
                raise ConfigError(
                    f"{path}: refers to ${{{name}}}, but the environment variable {name} is not set"
                )
            return environ[name]

        return _ENV_REF.sub(lookup, node)
    return node


def _error_location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in {"function-after[_references()]", "function-after[_positive()]"}:
            continue
        elif isinstance(item, str) and item.startswith(("function-", "literal[")):
            continue
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def _describe(error: ValidationError, source: str) -> str:
    errors = error.errors()
    first = errors[0]
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "union_tag_invalid":
        context = first.get("ctx", {})
        message = f"{context.get('discriminator', 'kind')} {context.get('tag')!r} is not one of {context.get('expected_tags')}"
    text = f"{source}: {_error_location(tuple(first['loc']))}: {message}"
    if (
        first["type"] not in {"extra_forbidden", "missing"}
        and "input" in first
        and not isinstance(first["input"], dict | list)
    ):
        if repr(first["input"]) not in text:
            text += f" (got {first['input']!r})"
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more)"
    return text


def parse_config(
    text: str, source: str = "<config>", environ: dict[str, str] | None = None
) -> MonitorConfig:
    """Parse and validate the YAML text of a config."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{source}:{where}: not valid YAML: {problem}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{source}: expected a mapping of keys at the top level, got {type(raw).__name__}"
        )
    try:
        raw = _substitute_env(raw, "", dict(os.environ if environ is None else environ))
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    try:
        return MonitorConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None


def load_config(
    settings: EnvSettings | None = None, environ: dict[str, str] | None = None
) -> MonitorConfig:
    """Load the config file named by the settings; an absent default file means all defaults."""
    settings = settings or env_settings(environ)
    path = settings.config_path
    if not path.exists():
        if settings.config_path_explicit:
            raise ConfigError(f"{path}: config file not found (GENAI_MONITOR_CONFIG)")
        return MonitorConfig()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
    return parse_config(text, str(path), environ)
