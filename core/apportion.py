"""Whole cents from exact amounts: parts that sum exactly to a given total (largest remainder)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")


def cents(amount: Decimal | Fraction) -> int:
    """``amount`` (USD) in whole cents, half a cent rounded away from zero."""
    if isinstance(amount, Fraction):
        amount = Decimal(amount.numerator) / Decimal(amount.denominator)
    return int((amount / CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def usd(whole_cents: int) -> Decimal:
    """Whole cents as USD with two places."""
    return (Decimal(whole_cents) * CENT).quantize(CENT)


def apportion(exact: Sequence[Fraction], total: int) -> list[int]:
    """Whole units per part, summing exactly to ``total``: each part's floor, then the units left
    one each to the parts with the largest remainders (ties: the earlier part).

    When ``total`` is the rounded sum of ``exact``, every part is within one unit of its exact value.
    """
    if not exact:
        if total:
            raise ValueError(f"nothing to apportion {total} over")
        return []
    parts = [math.floor(value) for value in exact]
    rounds, extra = divmod(total - sum(parts), len(parts))
    order = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for rank, index in enumerate(order):
        parts[index] += rounds + (1 if rank < extra else 0)
    return parts


def apportion_amounts(amounts: Sequence[Decimal], total_cents: int) -> list[int]:
    """Whole cents for exact USD ``amounts``, summing to ``total_cents``."""
    return apportion([Fraction(amount) * 100 for amount in amounts], total_cents)


def split_cents(total_cents: int, weights: Sequence[Fraction]) -> list[int]:
    """``total_cents`` split in proportion to ``weights`` (not all zero, none negative)."""
    whole = sum(weights, Fraction(0))
    if whole <= 0 or any(weight < 0 for weight in weights):
        raise ValueError("weights must be non-negative and not all zero")
    return apportion([total_cents * weight / whole for weight in weights], total_cents)
