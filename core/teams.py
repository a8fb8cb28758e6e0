"""Team attribution: inference-profile tags, then the config, else ``unattributed``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core.pricing import foundation_model_id
from core.settings import UNATTRIBUTED, AttributionConfig, ProfileMapping

_APPLICATION_PROFILE = "application-inference-profile/"


@dataclass(frozen=True)
class InferenceProfile:
    """An application inference profile: the way a team gets its own Bedrock cost line."""

    profile_id: str
    arn: str
    base_model_id: str | None
    name: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelAttribution:
    """Who a Bedrock ModelId belongs to, and the foundation model that prices it."""

    base_model_id: str
    team: str
    profile: InferenceProfile | None = None
    # the rule that decided the team (what `attribution explain` prints)
    rule: str = ""


def profile_id_of(model_id: str) -> str | None:
    """The application inference profile id in a ModelId given as an ARN, else None."""
    if _APPLICATION_PROFILE in model_id:
        return model_id.split(_APPLICATION_PROFILE, 1)[1]
    return None


def index_profiles(profiles: list[InferenceProfile]) -> dict[str, InferenceProfile]:
    """Index profiles by id and by ARN: CloudWatch's ModelId may carry either."""
    index: dict[str, InferenceProfile] = {}
    for profile in profiles:
        index[profile.profile_id] = profile
        index[profile.arn] = profile
    return index


def _tag(tags: Mapping[str, str], key: str) -> str | None:
    value = tags.get(key)
    if value is None:
        return None
    value = value.strip()
    return value or None


def attribute_model(
    model_id: str,
    profiles: Mapping[str, InferenceProfile],
    attribution: AttributionConfig,
    default_team: str | None = None,
) -> ModelAttribution:
    """Resolve a ModelId to its team and foundation model.

    Order: the profile's team tag, the config's ``attribution.inference_profiles``, the
    account's default team, else ``unattributed`` (never a guess).
    """
    profile = profiles.get(model_id)
    profile_id = profile.profile_id if profile else (profile_id_of(model_id) or model_id)
    if profile is None:
        profile = profiles.get(profile_id)
    mapping = attribution.inference_profiles.get(profile_id)
    if profile is not None and profile.base_model_id:
        base = foundation_model_id(profile.base_model_id)
    elif mapping is not None and mapping.model:
        base = foundation_model_id(mapping.model)
    else:
        base = foundation_model_id(model_id)
    team, rule = _model_team(profile, profile_id, mapping, attribution, default_team)
    return ModelAttribution(base_model_id=base, team=team, profile=profile, rule=rule)


def _model_team(
    profile: InferenceProfile | None,
    profile_id: str,
    mapping: ProfileMapping | None,
    attribution: AttributionConfig,
    default_team: str | None,
) -> tuple[str, str]:
    tagged = _tag(profile.tags, attribution.tag_key) if profile else None
    if tagged:
        return tagged, f"inference profile tag {attribution.tag_key}"
    if mapping is not None:
        return mapping.team, f"inference_profiles[{profile_id}]"
    if default_team:
        return default_team, "account default team"
    return UNATTRIBUTED, "no tag, profile mapping or account default"
