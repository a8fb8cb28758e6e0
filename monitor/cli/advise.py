"""`genai-monitor advise`: token-priced or self-hosted, and right-sizing hints per endpoint."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click

from advisor.advice import Advice, hosting_advice
from core.timeutil import iso_utc, utcnow
from monitor.cli.base import app_of


def _as_json(advice: Advice) -> str:
    """The advice with every figure's assumptions, as JSON."""

    def plain(item: Any) -> Any:
        return json.loads(json.dumps(dataclasses.asdict(item), default=str))

    return json.dumps(
        {
            "start": iso_utc(advice.start),
            "end": iso_utc(advice.end),
            "workloads": [plain(w) for w in advice.workloads],
            "endpoints": [plain(h) for h in advice.hints],
        },
        indent=2,
    )


def _as_table(advice: Advice) -> list[str]:
    """The advice as text lines, endpoint hints by saving, largest first."""
    lines = [
        f"Bedrock workloads, {iso_utc(advice.start)[:10]} to {iso_utc(advice.end)[:10]} (monthly figures):"
    ]
    for w in advice.workloads:
        bedrock = "unpriced" if w.bedrock_monthly_usd is None else f"${w.bedrock_monthly_usd:,}"
        lines.append(
            f"  {w.team:<14} {w.model_id:<50} {w.region:<12} {w.tokens_per_month:>16,} tokens  Bedrock {bedrock}: {w.verdict}"
        )
    if not advice.workloads:
        lines.append("  no Bedrock usage in this window")
    lines.append("Endpoint hints:")
    for h in sorted(advice.hints, key=lambda item: -item.monthly_saving_usd):
        lines.append(
            f"  {h.team:<14} {h.endpoint_name:<40} save ${h.monthly_saving_usd:,}/month: {h.suggestion}"
        )
    if not advice.hints:
        lines.append(
            "  none: every endpoint looks right-sized for its traffic (or has no comparable model configured)"
        )
    lines.append(
        "Assumptions: `--format json` lists them for every figure; change them under `advisor` in the config."
    )
    return lines


@click.command()
@click.option(
    "--days",
    default=30,
    show_default=True,
    type=click.IntRange(1, 455),
    help="Days of observed usage to base the advice on.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def advise(ctx: click.Context, days: int, fmt: str) -> None:
    """Token-priced or self-hosted? Break-even per Bedrock workload and right-sizing hints per endpoint.

    Every figure lists the assumptions it rests on (catalog entries and config keys under
    `advisor`), so it can be checked and changed.
    """
    app = app_of(ctx)
    advice = hosting_advice(app.database(), app.config, app.catalog, utcnow(), days)
    if fmt == "json":
        click.echo(_as_json(advice))
        return
    for line in _as_table(advice):
        click.echo(line)
