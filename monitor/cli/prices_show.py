"""`genai-monitor prices show ITEM [--region R]`: what the project would charge for a model or an
instance type, and why (which catalog, source and date, region fallback, profile prefixes)."""

from __future__ import annotations

import click

from core.pricing import (
    InstancePriceCatalog,
    PriceCatalog,
    TokenPrice,
    foundation_model_id,
)
from monitor.cli.base import BadConfig, app_of
from monitor.cli.prices import prices

HOME_REGION = "us-east-1"


def _per_million(label: str, value: object) -> str:
    return f"  {label:<12} {value} USD per million tokens" if value is not None else ""


def explain_instance(item: str, region: str, catalog: InstancePriceCatalog) -> list[str] | None:
    """Lines explaining the hourly price of a SageMaker instance type, or None if unknown."""
    price = catalog.price(item, region)
    if price is None:
        return None
    home = catalog.price(item, HOME_REGION)
    lines = [
        f"{item} in {region}: {price.hourly} USD per instance-hour (SageMaker real-time hosting)",
        f"  source: {price.source}",
        f"  as of:  {price.as_of}",
    ]
    if home is not None and price.source != home.source and price.hourly == home.hourly:
        lines.append(f"  region: no price of its own for {region}; the {HOME_REGION} list price")
    serverless = catalog.serverless(region)
    if serverless is not None:
        lines.append(
            f"  serverless endpoints: {serverless.per_gb_second} USD per GB-second of inference"
            f" (ModelLatency x memory; {serverless.source})"
        )
    return lines


def explain_model(item: str, region: str, catalog: PriceCatalog) -> list[str] | None:
    """Lines explaining the token price of a Bedrock model id or inference profile, or None."""
    price: TokenPrice | None = catalog.price(item, region)
    base = foundation_model_id(item)
    if price is None and base != item:
        price = catalog.price(base, region)
    if price is None:
        return None
    lines = [f"{item} in {region}: Bedrock on-demand tokens"]
    if base != item:
        lines.append(f"  priced as:  {base} (profile prefix or ARN resolved to its model)")
    lines += [
        line
        for line in (
            _per_million("input", price.input),
            _per_million("output", price.output),
            _per_million("cache read", price.cache_read),
            _per_million("cache write", price.cache_write),
        )
        if line
    ]
    lines += [f"  source: {price.source}", f"  as of:  {price.as_of}"]
    return lines


@prices.command("show")
@click.argument("item")
@click.option("--region", default=HOME_REGION, show_default=True, help="The AWS region.")
@click.pass_context
def show(ctx: click.Context, item: str, region: str) -> None:
    """Print what the project would charge for MODEL_OR_INSTANCE, and why."""
    if item.startswith("ml."):
        lines = explain_instance(item, region, InstancePriceCatalog.load())
    else:
        lines = explain_model(item, region, app_of(ctx).catalog)
    if lines is None:
        raise BadConfig(f"no price known for {item!r} in {region}: it would be stored unpriced")
    click.echo("\n".join(lines))
