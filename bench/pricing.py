"""Pricing benchmark: a million Bedrock usage rows priced by the old and the new catalog, one run.

The old catalog (core/pricing/tokens.py before genai-prices) is copied here as the baseline: a
regex strip of the profile prefix and a dict lookup per row. The new one resolves each
(ModelId, Region, batch) once through overrides, our own data and genai-prices, then caches it.
Both price the same rows (a mix of geographic, global, in-region, application-profile-like,
regional, latency-optimized, context-length and unknown ids) with the same estimate; rounds
alternate and the best of each is kept. Done when: new <= 1.2x old.

Usage: python bench/pricing.py [--rows N] [--rounds R]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.pricing import PriceCatalog, TokenPrice, TokenUsage, estimate_cost  # noqa: E402

SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
CALLS = [
    (f"us.{SONNET_45}", "us-east-1"),
    (f"global.{SONNET_45}", "us-east-1"),
    (SONNET_45, "us-west-2"),
    (f"eu.{SONNET_45}", "eu-west-1"),
    ("anthropic.claude-3-haiku-20240307-v1:0", "us-east-1"),
    ("us.anthropic.claude-3-5-haiku-20241022-v1:0", "us-east-2"),
    ("us.anthropic.claude-3-5-haiku-20241022-v1:0+latency-optimized", "us-east-2"),
    ("meta.llama3-8b-instruct-v1:0", "eu-west-1"),
    ("meta.llama3-70b-instruct-v1:0", "us-east-1"),
    ("amazon.nova-pro-v1:0", "us-east-1"),
    ("apac.amazon.nova-lite-v1:0", "ap-southeast-2"),
    ("cohere.embed-english-v3:0:512", "us-east-1"),
    ("anthropic.claude-v2:1:200k", "us-east-1"),
    ("mistral.mistral-large-2402-v1:0", "eu-west-3"),
    ("acme.unknown-v1", "us-east-1"),
]

# --- the old catalog's lookup, as it was (baseline) ---
_OLD_GEO_PREFIX = re.compile(r"^(us|eu|apac|us-gov|global|jp|au|ca)\.(?=[a-z0-9-]+\.)")
_OLD_VARIANT_SUFFIX = re.compile(r":(\d+k|mm)$")
_OLD_MONEY = Decimal("0.000001")
_OLD_MILLION = Decimal(1_000_000)


class OldCatalog:
    """core/pricing/tokens.py's PriceCatalog lookup before this change."""

    def __init__(self, models: dict[str, dict[str, TokenPrice]]) -> None:
        self._models = models

    def _lookup_id(self, model_id: str) -> str | None:
        candidate = model_id
        if candidate.startswith("arn:"):
            resource = candidate.split(":", 5)[-1]
            candidate = resource.split("/", 1)[1] if "/" in resource else resource
        base = _OLD_GEO_PREFIX.sub("", candidate)
        for option in (base, _OLD_VARIANT_SUFFIX.sub("", base)):
            if option in self._models:
                return option
        return None

    def price(self, model_id: str, region: str) -> TokenPrice | None:
        found = self._lookup_id(model_id)
        if found is None:
            return None
        regional = self._models[found]
        return regional.get(region) or regional.get("*")


def old_estimate_cost(price: TokenPrice | None, usage: TokenUsage) -> Decimal | None:
    """core/pricing/tokens.py's estimate_cost before this change."""
    if price is None:
        return None
    total = usage.input_tokens * price.input + usage.output_tokens * price.output
    for tokens, rate in (
        (usage.cache_read_tokens, price.cache_read),
        (usage.cache_write_tokens, price.cache_write),
    ):
        if tokens:
            if rate is None:
                return None
            total += tokens * rate
    return (total / _OLD_MILLION).quantize(_OLD_MONEY)


def old_catalog(new: PriceCatalog) -> OldCatalog:
    """The old catalog holding the same figures per foundation model (figures do not matter)."""
    models: dict[str, dict[str, TokenPrice]] = {}
    for model_id, region in CALLS:
        price = new.price(model_id, region)
        base = _OLD_VARIANT_SUFFIX.sub("", _OLD_GEO_PREFIX.sub("", model_id))
        if price is not None:
            models.setdefault(base.split("+")[0], {"*": price})
    return OldCatalog(models)


def rows(count: int) -> list[tuple[str, str, TokenUsage]]:
    """``count`` hourly usage rows cycling through the calls."""
    result = []
    for index in range(count):
        model_id, region = CALLS[index % len(CALLS)]
        usage = TokenUsage(
            input_tokens=1000 + index % 5000,
            output_tokens=100 + index % 700,
            cache_read_tokens=(index % 3) * 100,
        )
        result.append((model_id, region, usage))
    return result


Pricer = Callable[[list[tuple[str, str, TokenUsage]]], int]


def price_old(catalog: OldCatalog) -> Pricer:
    def run(batch: list[tuple[str, str, TokenUsage]]) -> int:
        priced = 0
        for model_id, region, usage in batch:
            if old_estimate_cost(catalog.price(model_id, region), usage) is not None:
                priced += 1
        return priced

    return run


def price_new(catalog: PriceCatalog) -> Pricer:
    def run(batch: list[tuple[str, str, TokenUsage]]) -> int:
        priced = 0
        for model_id, region, usage in batch:
            if estimate_cost(catalog.price(model_id, region), usage) is not None:
                priced += 1
        return priced

    return run


def timed(pricer: Pricer, batch: list[tuple[str, str, TokenUsage]]) -> tuple[float, int]:
    started = time.perf_counter()
    priced = pricer(batch)
    return time.perf_counter() - started, priced


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    new = PriceCatalog.load()
    cold = [new.price(model_id, region) for model_id, region in CALLS]
    print(
        f"new catalog: load + first resolution of {len(CALLS)} calls "
        f"{time.perf_counter() - started:.3f}s ({sum(p is not None for p in cold)} priced)"
    )
    old = old_catalog(new)
    batch = rows(args.rows)
    best = {"old": float("inf"), "new": float("inf")}
    counts = {}
    for _round in range(args.rounds):
        for name, pricer in (("old", price_old(old)), ("new", price_new(new))):
            seconds, counts[name] = timed(pricer, batch)
            best[name] = min(best[name], seconds)
    ratio = best["new"] / best["old"]
    for name in ("old", "new"):
        print(
            f"{name}: {args.rows:,} rows in {best[name]:.3f}s "
            f"({args.rows / best[name]:,.0f} rows/s, {counts[name]:,} priced)"
        )
    verdict = "PASS" if ratio <= 1.2 else "FAIL"
    print(f"new/old = {ratio:.2f}x (target <= 1.2x): {verdict}")
    return 0 if ratio <= 1.2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
