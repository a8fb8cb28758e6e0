"""`actions:` in the config: whether the monitor may change AWS, the role it acts through, and
the policies that act by themselves (each policy kind registers its schema in
``core.registry.policies``; the config model makes ``policies`` a union of them by ``kind``)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

# ``{account}`` is replaced by each account's id: one role per account
_ROLE_TEMPLATE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|\{account\}):role/[\w+=,.@/{}-]+$")


class PolicySettings(BaseModel):
    """What every action policy's settings have; each policy kind adds its own (and a ``kind`` literal)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    name: str | None = None  # absent: the kind
    teams: list[str] = Field(default_factory=list)  # opt-in per team: empty means none

    @property
    def policy_name(self) -> str:
        """The policy's identity in audits and notices: its name, else its kind."""
        return self.name or self.kind


class ActionsConfig(BaseModel):
    """Acting on waste (README "Acting on waste"): off unless ``enabled``; writes go through
    ``role_arn`` (the remediation role, separate from the collector's), never the collector's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    # e.g. "arn:aws:iam::{account}:role/GenAIMonitorActions"; absent: actions are refused
    role_arn: str | None = None
    external_id: str | None = None
    policies: list[PolicySettings] = Field(default_factory=list)
    # groups whose users may act from the dashboard's Waste page (its admins always may)
    dashboard_groups: list[str] = Field(default_factory=list)

    @field_validator("role_arn")
    @classmethod
    def _role(cls, value: str | None) -> str | None:
        if value is not None and not _ROLE_TEMPLATE.match(value):
            raise ValueError(
                "expected an IAM role ARN like arn:aws:iam::{account}:role/GenAIMonitorActions, "
                f"got {value!r}"
            )
        return value

    def role_for(self, account_id: str) -> str | None:
        """The remediation role's ARN in ``account_id`` (None: no role configured)."""
        return None if self.role_arn is None else self.role_arn.replace("{account}", account_id)
