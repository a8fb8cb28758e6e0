"""Where the estimates' prices came from, said in a line under a figure or in a table cell."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from core.queries.price_sources import PriceMix, SourceShare

HUNDRED = Decimal(100)


def _percent(part: Decimal, whole: Decimal) -> str:
    if not whole:
        return "0%"
    share = part / whole * HUNDRED
    if 0 < share < 1:
        return "<1%"
    return f"{share.quantize(Decimal(1), ROUND_HALF_UP)}%"


def _dates(share: SourceShare) -> str:
    days = sorted(share.as_of)
    if not days:
        return ""
    return f" ({days[0]})" if len(days) == 1 else f" ({days[0]} to {days[-1]})"


def _shares(mix: PriceMix) -> list[tuple[SourceShare, str]]:
    """Each priced source with its part of the estimated dollars (of its usage if no dollars)."""
    priced = mix.priced()
    dollars = sum((s.estimated_usd for s in priced), Decimal(0))
    if dollars:
        return [(s, _percent(s.estimated_usd, dollars)) for s in priced]
    usage = sum((s.usage for s in priced), Decimal(0))
    return [(s, _percent(s.usage, usage)) for s in priced]


def price_sources_line(mix: PriceMix, usage: str, hours: str) -> str:
    """Each source's part of the estimated dollars with its prices' dates, and what is unpriced
    as a part of the ``usage`` ("tokens", "instance-hours") with a count of ``hours``."""
    if not mix.shares:
        return "no usage in the days shown."
    parts = [f"{s.label}{_dates(s)} {pct}" for s, pct in _shares(mix)]
    text = ", ".join(parts) + " of the dollars" if parts else "nothing"
    missing = mix.unpriced
    if missing is not None and missing.hours:
        share = _percent(missing.usage, mix.usage)
        text += f"; {share} of {usage} unpriced ({missing.hours} {hours})"
    return text + "."


def price_sources_cell(mix: PriceMix | None) -> str:
    """A table cell: the row's source with its date, or each source with its part."""
    shares = _shares(mix) if mix is not None else []
    if not shares:
        return "unpriced"
    if len(shares) == 1:
        return f"{shares[0][0].label}{_dates(shares[0][0])}"
    return "; ".join(f"{s.label}{_dates(s)} {pct}" for s, pct in shares)
