"""Whole cents that add up: largest remainder, checked on examples and as a property."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.apportion import apportion, apportion_amounts, cents, split_cents, usd


def test_thirds_of_a_dollar_add_up_and_the_first_takes_the_odd_cent():
    assert split_cents(100, [Fraction(1)] * 3) == [34, 33, 33]
    assert split_cents(200, [Fraction(1)] * 3) == [67, 67, 66]


def test_ten_decimal_amounts_round_to_their_rounded_sum():
    amounts = [Decimal("0.3333333333"), Decimal("0.3333333333"), Decimal("0.3333333334")]
    # the last is the largest by a ten-billionth: it takes the odd cent
    assert apportion_amounts(amounts, cents(sum(amounts))) == [33, 33, 34]
    assert cents(Decimal("0.005")) == 1 and cents(Decimal("-0.005")) == -1
    assert usd(-7) == Decimal("-0.07")


def test_largest_remainder_gives_the_cents_to_the_biggest_fractions():
    # 31.75 and 101.25 cents: 132 is 31 + 101, the cent left goes to .75
    assert apportion([Fraction(3175, 100), Fraction(10125, 100)], 133) == [32, 101]


def test_a_total_far_from_the_sum_is_still_met_exactly():
    assert sum(apportion([Fraction(1, 2)] * 4, 10)) == 10
    assert sum(apportion([Fraction(1, 2)] * 4, -3)) == -3


def test_nothing_to_split_over_is_refused():
    with pytest.raises(ValueError):
        split_cents(100, [Fraction(0), Fraction(0)])
    with pytest.raises(ValueError):
        apportion([], 5)
    assert apportion([], 0) == []


amounts = st.lists(
    st.decimals(
        min_value=-(10**6), max_value=10**6, places=10, allow_nan=False, allow_infinity=False
    ),
    min_size=1,
    max_size=30,
)


@given(amounts)
def test_parts_sum_exactly_and_each_is_within_a_cent(values):
    total = cents(sum(values, Decimal(0)))
    parts = apportion_amounts(values, total)
    assert sum(parts) == total
    for part, value in zip(parts, values, strict=True):
        assert abs(Fraction(part) - Fraction(value) * 100) < 1


@given(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.lists(st.fractions(min_value=0, max_value=1000), min_size=1, max_size=20).filter(any),
)
def test_a_split_sums_exactly_and_each_share_is_within_a_cent_of_its_exact_value(total, weights):
    parts = split_cents(total, weights)
    assert sum(parts) == total
    whole = sum(weights, Fraction(0))
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - total * weight / whole) < 1
