"""`genai-monitor attribution explain ARN_OR_MODEL`: the team of a caller or a model, and the rule
that decided it (and, for a caller, the rules it overrode)."""

from __future__ import annotations

import re
from datetime import timedelta

import click

from collector.principal_tags import principal_tag_lookup
from core.aws import Target
from core.principal_arns import parse_caller
from core.principal_tag_cache import CachedPrincipalTags, CachedTags, cached_principal_tags
from core.principals import Explanation, RuleMatch, explain_principal
from core.settings import MonitorConfig
from core.teams import attribute_model, profile_id_of
from core.timeutil import utcnow
from monitor.cli.base import app_of
from monitor.context import AppContext

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::")
_BEDROCK_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:")


@click.group("attribution")
def attribution() -> None:
    """Who spending is attributed to, and why."""


def _metadata(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {value!r}")
        pairs[key.strip()] = item.strip()
    return pairs


def _account(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not _ACCOUNT_ID.match(value):
        raise click.BadParameter(f"expected a 12-digit AWS account id, got {value!r}")
    return value


@attribution.command("explain")
@click.argument("subject", metavar="ARN_OR_MODEL")
@click.option(
    "--account",
    callback=_account,
    help="The account the calls were made in, for its default team (default: the caller's "
    "account; a model has none unless given).",
)
@click.option(
    "--metadata",
    multiple=True,
    callback=_metadata,
    metavar="KEY=VALUE",
    help="A requestMetadata value of the call (repeatable), for request_metadata_teams.",
)
@click.option(
    "--refresh-tags",
    is_flag=True,
    help="Read the caller's IAM user or role tags now (iam:ListUserTags / ListRoleTags) and "
    "cache them, instead of the cached ones.",
)
@click.pass_context
def explain(
    ctx: click.Context,
    subject: str,
    account: str | None,
    metadata: dict[str, str],
    refresh_tags: bool,
) -> None:
    """Print the team of a caller or a model and the rule that decided it.

    \b
    ARN_OR_MODEL is an IAM principal ARN as the invocation logs name callers
    (arn:aws:sts::ACCT:assumed-role/ROLE/SESSION, arn:aws:iam::ACCT:user/NAME, .../role/NAME),
    or a Bedrock model id, inference profile id or ARN.

    \b
    A caller's rules, first match wins (the others that match are listed as overridden):
      1. request metadata   attribution.request_metadata_teams (see --metadata)
      2. exact ARN          attribution.principals entry equal to the ARN
      3. session name       attribution.session_names, on an assumed-role session's name
      4. principal pattern  attribution.principals patterns; a role's patterns cover its sessions
      5. principal tag      attribution.principal_tag_keys on the IAM user or role (cached daily)
      6. account default    accounts[].team
    A model's: its inference profile's tag (read by the bedrock collector, not here), then
    attribution.inference_profiles, then the account default. Otherwise: unattributed.
    """
    app = app_of(ctx)
    config = app.config
    default_team = _default_team(config, account)
    if _PRINCIPAL.match(subject):
        if account is None:  # the caller's own account, if the config lists it
            default_team = _default_team(config, parse_caller(subject).account_id, strict=False)
        tags = _tags(app, subject, refresh_tags)
        explanation = explain_principal(subject, metadata, config.attribution, tags, default_team)
        _print_principal(subject, explanation, tags, config)
        return
    if subject.startswith("arn:") and not _BEDROCK_ARN.match(subject):
        raise click.UsageError(
            f"{subject!r} is neither an IAM principal (arn:aws:iam::/arn:aws:sts::) nor a Bedrock ARN"
        )
    if refresh_tags or metadata:
        raise click.UsageError("--refresh-tags and --metadata apply to a principal ARN only")
    owner = attribute_model(subject, {}, config.attribution, default_team)
    click.echo(subject)
    click.echo(f"  team: {owner.team}")
    click.echo(f"  rule: {owner.rule}")
    click.echo(f"  priced as: {owner.base_model_id}")
    if profile_id_of(subject) and not owner.rule.startswith("inference_profiles"):
        click.echo(
            "  note: an application inference profile's own team tag is read by the bedrock "
            "collector and wins over this"
        )


def _default_team(config: MonitorConfig, account: str | None, *, strict: bool = True) -> str | None:
    """The account's default team; an --account the config does not list is a usage error."""
    if account is None or not config.accounts:
        return None
    for entry in config.accounts:
        if entry.id == account:
            return entry.team
    if strict:
        raise click.UsageError(f"account {account} is not under accounts in the config")
    return None


def _target(config: MonitorConfig, account: str) -> Target:
    """Where IAM answers for the caller's account: its configured role, else our credentials."""
    for entry in config.accounts:
        if entry.id == account:
            return Target(account, config.regions[0], entry.role_arn, entry.external_id, entry.name)
    return Target(account, config.regions[0])


def _tags(app: AppContext, subject: str, refresh: bool) -> CachedPrincipalTags:
    """The caller's cached tags, read from IAM first with --refresh-tags."""
    caller = parse_caller(subject)
    if caller.iam_arn is None:
        if refresh:
            raise click.UsageError(f"{subject} has no IAM user or role whose tags could be read")
        return CachedPrincipalTags({})
    if not refresh and not app.config.attribution.principal_tag_keys:
        return CachedPrincipalTags({})  # no tag rule: leave the database alone
    with app.database()() as session, session.begin():
        if refresh:
            assert caller.account_id is not None
            target = _target(app.config, caller.account_id)
            return principal_tag_lookup(
                session, app.clients, target, [subject], utcnow(), max_age=timedelta(0)
            )
        return cached_principal_tags(session, [subject])


def _line(match: RuleMatch) -> str:
    return f"    {match.kind}: {match.rule} -> {match.team or '(no configured team)'}"


def _describe_tags(entry: CachedTags | None) -> str:
    if entry is None:
        return "not cached (run with --refresh-tags; the invocation-log collector caches them)"
    tags = ", ".join(f"{key}={value}" for key, value in sorted(entry.tags.items())) or "none"
    return f"{tags} ({entry.outcome} {entry.fetched_at:%Y-%m-%dT%H:%M:%SZ})"


def _print_principal(
    subject: str, explanation: Explanation, tags: CachedPrincipalTags, config: MonitorConfig
) -> None:
    click.echo(subject)
    click.echo(f"  team: {explanation.decided.team}")
    click.echo(f"  rule: {explanation.decided.rule}")
    for title, matches in (
        ("overridden (another team, lower precedence)", explanation.overridden),
        ("also matched (same team)", explanation.agreeing),
        ("ignored (names no configured team)", explanation.ignored),
    ):
        if matches:
            click.echo(f"  {title}:")
            for match in matches:
                click.echo(_line(match))
    caller = parse_caller(subject)
    if caller.iam_arn and (config.attribution.principal_tag_keys or tags.entries):
        click.echo(f"  principal tags of {caller.iam_arn}: {_describe_tags(tags.entry(subject))}")
