"""Who may see what on the dashboard: `dashboard:` in the config (auth mode, roles, team groups)."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from core.serve_settings import DashboardCacheConfig, DashboardServerConfig

DEFAULT_ALB_KEY_URL = "https://public-keys.auth.elb.{region}.amazonaws.com/{kid}"
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
_HEADER = re.compile(r"^[A-Za-z0-9-]{1,64}$")
# the roles whose groups see every team; everyone else sees the teams their groups map to
ROLES = ("admin", "finance")


def _network(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value
    try:
        return ipaddress.ip_network(str(value))
    except ValueError as exc:
        raise ValueError(f"expected a CIDR block like 10.0.0.0/16, got {value!r}: {exc}") from None


Network = Annotated[ipaddress.IPv4Network | ipaddress.IPv6Network, BeforeValidator(_network)]


def _header(value: Any) -> Any:
    if isinstance(value, str) and not _HEADER.match(value):
        raise ValueError(f"expected an HTTP header name like X-Forwarded-User, got {value!r}")
    return value


Header = Annotated[str, BeforeValidator(_header)]


class DashboardAuthConfig(BaseModel):
    """How the dashboard learns who is asking: `dashboard.auth`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["basic", "trusted_header", "alb_oidc"] = "basic"
    user_header: Header = "X-Forwarded-User"
    groups_header: Header = "X-Forwarded-Groups"
    # absent: loopback only for trusted_header; any address for alb_oidc (the signature proves it)
    trusted_proxies: list[Network] | None = None
    alb_region: str | None = None
    alb_key_url: str = DEFAULT_ALB_KEY_URL
    alb_arn: str | None = None  # the load balancer that must have signed the token
    issuer: str | None = None  # the identity provider the token must name
    groups_claim: str = "groups"
    key_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    @model_validator(mode="after")
    def _alb(self) -> Self:
        if self.alb_region is not None and not _REGION.match(self.alb_region):
            raise ValueError(
                f"alb_region: expected an AWS region like us-east-1, got {self.alb_region!r}"
            )
        if "{kid}" not in self.alb_key_url:
            raise ValueError("alb_key_url must contain {kid}")
        if self.mode == "alb_oidc" and self.alb_region is None and "{region}" in self.alb_key_url:
            raise ValueError("mode alb_oidc needs alb_region (the load balancer's region)")
        return self


class DashboardConfig(BaseModel):
    """`dashboard:` in the config: authentication, which groups see which teams, how it is served."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    auth: DashboardAuthConfig | None = None
    roles: dict[Literal["admin", "finance"], list[str]] = Field(default_factory=dict)
    team_groups: dict[str, list[str]] = Field(default_factory=dict)
    # where people reach the dashboard, e.g. https://genai-monitor.example.com: alert messages
    # link to its pages (absent: no links)
    public_url: str | None = None
    server: DashboardServerConfig = DashboardServerConfig()
    cache: DashboardCacheConfig = DashboardCacheConfig()

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", value):
            raise ValueError(
                f"expected the dashboard's address like https://genai-monitor.example.com, got {value!r}"
            )
        return value

    @property
    def maps_groups(self) -> bool:
        """Whether any group is mapped; without a mapping everyone admitted is an admin."""
        return any(self.roles.values()) or any(self.team_groups.values())


def check_team_groups(config: DashboardConfig, teams: set[str]) -> None:
    """Every team under ``dashboard.team_groups`` must be a configured team."""
    for team in config.team_groups:
        if team not in teams:
            raise ValueError(f"dashboard.team_groups names team {team!r}, which is not under teams")
