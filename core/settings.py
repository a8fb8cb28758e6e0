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
from types import GenericAlias
from typing import Annotated, Any, Literal, Self, Union

import yaml
from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from core import registry
from core.access_settings import DashboardConfig, check_team_groups
from core.actions_settings import ActionsConfig, PolicySettings
from core.attribution_settings import MetadataTeams, settle_principal_attribution
from core.chargeback_settings import ChargebackConfig, check_chargeback_teams
from core.collection_settings import CollectionOptions
from core.config_checks import check_routes, check_team_names, check_unique
from core.config_env import MissingVariable, substitute_env
from core.config_errors import describe_validation_error
from core.config_types import Duration as Duration
from core.config_types import Number as Number
from core.config_types import Strict as _Strict
from core.retention_settings import RetentionConfig
from core.scoped_budgets import ScopedBudgetConfig, check_scoped_budgets

DEFAULT_DATABASE_URL = "sqlite:///genai-monitor.db"
DEFAULT_CONFIG_PATH = "genai-monitor.yaml"

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_TEAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,63}$")

UNATTRIBUTED = "unattributed"


class ConfigError(Exception):
    """The config file is missing, unreadable or invalid."""


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
    # IAM principal tags that name the team (Cost Explorer/CUR keys `iamPrincipal/<key>`)
    principal_tag_keys: list[str] = Field(default_factory=list)
    # principal ARN pattern (shell-style) -> team, in order: the first match wins
    principals: dict[str, str] = Field(default_factory=dict)
    # assumed-role session name pattern (shell-style) -> team, in order: the first match wins
    session_names: dict[str, str] = Field(default_factory=dict)
    # invocation-log requestMetadata keys kept per principal-hour (e.g. project, user)
    request_metadata_keys: list[str] = Field(default_factory=list)
    # requestMetadata key -> "*" (its value is the team) or {value pattern: team}
    request_metadata_teams: dict[str, MetadataTeams] = Field(default_factory=dict)
    # the configured team names (set by MonitorConfig): a caller's value never invents a team
    _teams: frozenset[str] = PrivateAttr(default=frozenset())

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
    monthly_budget_usd: Number | None = Field(default=None, ge=0)
    # a monthly budget for one Cost Explorer service of this team, e.g. {"Amazon Bedrock": 3000}
    monthly_service_budgets_usd: dict[str, Annotated[Number, Field(ge=0)]] = Field(
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
    """The schedule and windows of one collector source: `collection.<source>` in the config."""

    interval: Duration = timedelta(hours=1)
    # how far back a regular cycle re-reads, because the newest data is provisional
    lookback: Duration = timedelta(hours=3)
    # how much history the first cycle of a new target reads
    initial_backfill: Duration = timedelta(days=7)
    # one transaction (and one collector_runs row) per window of this length
    window: Duration = timedelta(days=1)
    # a `run` process's claim on a target lapses unless renewed (after each window) within this
    claim_lease: Duration = timedelta(minutes=15)

    @model_validator(mode="after")
    def _positive(self) -> Self:
        for name in ("interval", "window", "claim_lease"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be longer than zero")
        return self


class CollectionConfig(CollectionOptions):
    """`collection`: a field per registered source (see :func:`config_model`) and its options."""

    def source(self, name: str) -> SourceConfig:
        """The settings of the source named ``name``."""
        settings = getattr(self, name, None)
        if not isinstance(settings, SourceConfig):
            raise KeyError(f"collection.{name}: no such source")
        return settings


class PriceOverride(_Strict):
    input_per_mtok: Number = Field(ge=0)
    output_per_mtok: Number = Field(default=0, ge=0)
    cache_read_per_mtok: Number | None = Field(default=None, ge=0)
    cache_write_per_mtok: Number | None = Field(default=None, ge=0)
    regions: list[str] | None = None  # absent: every region


class InstanceOverride(_Strict):
    hourly: Number = Field(ge=0)  # USD per instance-hour
    regions: list[str] | None = None  # absent: every region


class PriceRefreshConfig(_Strict):
    # how often `run` reads the AWS Price List into dated price points (`prices refresh`)
    interval: Duration = timedelta(days=7)


class PricingConfig(_Strict):
    # negotiated or newer prices; they win over the shipped catalog
    overrides: dict[str, PriceOverride] = Field(default_factory=dict)
    # SageMaker instance types' negotiated hourly prices; they win over the Price List and catalog
    instance_overrides: dict[str, InstanceOverride] = Field(default_factory=dict)
    refresh: PriceRefreshConfig = PriceRefreshConfig()


class RuleSettings(_Strict):
    """What every alert rule's settings have; each rule kind adds its own (and a ``kind`` literal)."""

    kind: str
    name: str | None = None  # absent: the kind; alerts are keyed by it
    severity: Literal["info", "warning", "critical"] = "warning"
    # absent: alerts.repeat_interval; "0s": notify once per episode
    repeat_interval: Duration | None = None
    notify_resolved: bool = True

    @property
    def rule_name(self) -> str:
        """The rule's identity in alerts: its name, else its kind."""
        return self.name or self.kind


class AlertsConfig(_Strict):
    # how often `genai-monitor run` evaluates the rules and delivers notifications
    interval: Duration = timedelta(minutes=5)
    repeat_interval: Duration = timedelta(hours=4)
    default_route: list[str] = Field(default_factory=list)
    # channels delivered to at once (each channel's messages go out one by one, in order)
    delivery_workers: int = Field(default=8, ge=1, le=64, strict=True)
    rules: list[RuleSettings] = Field(default_factory=list)

    @field_validator("interval")
    @classmethod
    def _positive_interval(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than zero")
        return value

    @field_validator("rules")
    @classmethod
    def _unique_names(cls, value: list[RuleSettings]) -> list[RuleSettings]:
        names = [rule.rule_name for rule in value]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"two rules are named {name!r}: give one of them a distinct name")
        return value


class NotifierSettings(_Strict):
    """What every notifier's settings have; each channel type adds its own (and a ``type`` literal).

    Secrets are ``SecretStr``: `config check` and logs print them masked, whatever their name.
    """

    type: str
    # absent: the rule's, else alerts.repeat_interval
    repeat_interval: Duration | None = None
    timeout_seconds: Number = Field(default=10, gt=0, le=3600)


class ServingThroughput(_Strict):
    input_tps: float = Field(gt=0)
    output_tps: float = Field(gt=0)


class AdvisorConfig(_Strict):
    # tokens one endpoint invocation stands for, where the endpoint does not publish token counts
    tokens_per_invocation: dict[Literal["input", "output"], int] = Field(
        default_factory=lambda: {"input": 1000, "output": 250}  # type: ignore[arg-type]
    )
    # endpoint name pattern -> the comparable Bedrock model, e.g. {"llama-8b-*": meta.llama3-1-8b-instruct-v1:0}
    endpoint_models: dict[str, str] = Field(default_factory=dict)
    # the share of an instance's throughput a self-hosted endpoint is planned to use at peak
    utilisation_target: float = Field(default=0.6, gt=0, le=1)
    hours_per_month: Number = Field(default=730, gt=0, le=744)  # 31 days
    # measured throughput per family and instance type: {llama-8b: {ml.g5.xlarge: {input_tps, output_tps}}}
    throughput_overrides: dict[str, dict[str, ServingThroughput]] = Field(default_factory=dict)


class WasteConfig(_Strict):
    # what makes a busy resource under-used on the Waste page and in `genai-monitor waste`
    window: Duration = timedelta(days=7)  # the recent history judged
    endpoint_invocations_per_instance_hour: int = Field(default=1000, gt=0, strict=True)
    provisioned_busy_share: float = Field(default=0.5, gt=0, le=1)


class MonitorConfig(_Strict):
    """The whole YAML config; every key is optional.

    This is the base: the model that validates a config is :func:`config_model`, which adds the
    registered sources, rules and notifiers.
    """

    accounts: list[AccountConfig] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=lambda: ["us-east-1"])
    attribution: AttributionConfig = AttributionConfig()
    teams: list[TeamConfig] = Field(default_factory=list)
    # budgets per principal pattern / request-metadata value (core/scoped_budgets.py)
    budgets: list[ScopedBudgetConfig] = Field(default_factory=list)
    collection: CollectionConfig = CollectionConfig()
    pricing: PricingConfig = PricingConfig()
    alerts: AlertsConfig = AlertsConfig()
    notifiers: dict[str, NotifierSettings] = Field(default_factory=dict)
    advisor: AdvisorConfig = AdvisorConfig()
    dashboard: DashboardConfig = DashboardConfig()
    chargeback: ChargebackConfig = ChargebackConfig()
    actions: ActionsConfig = ActionsConfig()
    waste: WasteConfig = WasteConfig()
    retention: RetentionConfig = RetentionConfig()

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
    def _references(self) -> Self:
        check_unique(self)
        check_routes(self)
        check_team_names(self)
        check_team_groups(self.dashboard, {team.name for team in self.teams})
        check_chargeback_teams(self)
        settle_principal_attribution(self)
        check_scoped_budgets(self)
        return self


def _tagged_union(types: list[type[BaseModel]], tag: str, fallback: type[BaseModel]) -> Any:
    """The registered schemas as one union told apart by ``tag`` (a lone schema needs no union)."""
    if not types:
        return fallback
    if len(types) == 1:
        return types[0]
    return Annotated[Union[tuple(types)], Field(discriminator=tag)]  # noqa: UP007


_MODELS: dict[tuple[int, ...], type[MonitorConfig]] = {}


def config_model() -> type[MonitorConfig]:
    """The config model of what is registered: a field per source, every rule kind, every notifier."""
    key = (
        registry.sources.version,
        registry.rules.version,
        registry.notifiers.version,
        registry.policies.version,
    )
    if key in _MODELS:
        return _MODELS[key]
    sources: dict[str, Any] = {
        entry.name: (entry.settings, Field(default_factory=entry.settings))
        for entry in registry.sources
    }
    collection = create_model("CollectionConfig", __base__=CollectionConfig, **sources)
    rule = _tagged_union([entry.settings for entry in registry.rules], "kind", RuleSettings)
    rules: dict[str, Any] = {"rules": (GenericAlias(list, (rule,)), Field(default_factory=list))}
    alerts = create_model("AlertsConfig", __base__=AlertsConfig, **rules)
    notifier = _tagged_union(
        [entry.settings for entry in registry.notifiers], "type", NotifierSettings
    )
    policy = _tagged_union([entry.settings for entry in registry.policies], "kind", PolicySettings)
    policies: dict[str, Any] = {
        "policies": (GenericAlias(list, (policy,)), Field(default_factory=list))
    }
    actions = create_model("ActionsConfig", __base__=ActionsConfig, **policies)
    fields: dict[str, Any] = {
        "collection": (collection, Field(default_factory=collection)),
        "actions": (actions, Field(default_factory=actions)),
        "alerts": (alerts, Field(default_factory=alerts)),
        "notifiers": (GenericAlias(dict, (str, notifier)), Field(default_factory=dict)),
    }
    model = create_model("MonitorConfig", __base__=MonitorConfig, **fields)
    _MODELS.clear()
    _MODELS[key] = model
    return model


def default_config() -> MonitorConfig:
    """The config of an absent file: every default, every registered source."""
    return config_model()()


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


def parse_config(
    text: str, source: str = "<config>", environ: dict[str, str] | None = None
) -> MonitorConfig:
    """Parse and validate the YAML text of a config."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = (getattr(exc, "problem", None) or str(exc)).splitlines()[0]
        raise ConfigError(f"{source}:{where}: not valid YAML: {problem}") from None
    except RecursionError:  # "[[[[..." thousands deep
        raise ConfigError(f"{source}: not valid YAML: nested too deeply") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{source}: expected a mapping of keys at the top level, got {type(raw).__name__}"
        )
    try:
        raw = substitute_env(raw, "", dict(os.environ if environ is None else environ))
    except MissingVariable as exc:
        raise ConfigError(f"{source}: {exc}") from None
    except RecursionError:  # an alias that holds itself: "a: &a [*a]"
        raise ConfigError(f"{source}: a value contains itself (a YAML alias loop)") from None
    try:
        return config_model().model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, source)) from None


def load_config(
    settings: EnvSettings | None = None, environ: dict[str, str] | None = None
) -> MonitorConfig:
    """Load the config file named by the settings; an absent default file means all defaults."""
    settings = settings or env_settings(environ)
    path = settings.config_path
    if not path.exists():
        if settings.config_path_explicit:
            raise ConfigError(f"{path}: config file not found (GENAI_MONITOR_CONFIG)")
        return default_config()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: the config file is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
    return parse_config(text, str(path), environ)
