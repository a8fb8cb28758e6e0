"""Token prices and usage, and the cost of some usage at a price (pure)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

MILLION = Decimal(1_000_000)
MONEY_QUANTUM = Decimal("0.000001")
HALF = Decimal("0.5")
# what a batch price's source says after the on-demand price's source
BATCH_NOTE = " (batch: half price)"


@dataclass(frozen=True)
class LongContext:
    """USD per million tokens once a prompt's input passes ``threshold`` tokens (all its tokens)."""

    threshold: int
    input: Decimal
    output: Decimal
    cache_read: Decimal | None = None
    cache_write: Decimal | None = None
    cache_write_1h: Decimal | None = None


@dataclass(frozen=True)
class TokenPrice:
    """USD per million tokens for one model in one region, and where the figure came from.

    ``cache_write`` is the 5-minute cache write; ``cache_write_1h`` the 1-hour one.
    """

    input: Decimal
    output: Decimal
    cache_read: Decimal | None
    cache_write: Decimal | None
    source: str
    as_of: str
    cache_write_1h: Decimal | None = None
    long_context: LongContext | None = None

    def batch(self) -> TokenPrice:
        """The batch-inference price: half the on-demand rates."""

        def half(rate: Decimal | None) -> Decimal | None:
            return None if rate is None else rate * HALF

        return replace(
            self,
            input=self.input * HALF,
            output=self.output * HALF,
            cache_read=half(self.cache_read),
            cache_write=half(self.cache_write),
            cache_write_1h=half(self.cache_write_1h),
            long_context=None,
            source=f"{self.source}{BATCH_NOTE}",
        )


@dataclass(frozen=True)
class TokenUsage:
    """The tokens one model used in some period.

    ``long_context`` says the prompts passed the model's long-context threshold: hourly
    CloudWatch sums cannot tell, so only a caller that knows sets it.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    long_context: bool = False


def _rates(
    price: TokenPrice, usage: TokenUsage
) -> tuple[Decimal, Decimal, Decimal | None, Decimal | None, Decimal | None]:
    tier = price.long_context if usage.long_context else None
    if tier is not None:
        return tier.input, tier.output, tier.cache_read, tier.cache_write, tier.cache_write_1h
    return price.input, price.output, price.cache_read, price.cache_write, price.cache_write_1h


def estimate_cost(price: TokenPrice | None, usage: TokenUsage) -> Decimal | None:
    """The estimated USD cost of some token usage, or None when it cannot be priced.

    Cache tokens without a cache price make the whole estimate unknown rather than a guess.
    """
    if price is None:
        return None
    input_rate, output_rate, read, write, write_1h = _rates(price, usage)
    total = usage.input_tokens * input_rate + usage.output_tokens * output_rate
    for tokens, rate in (
        (usage.cache_read_tokens, read),
        (usage.cache_write_tokens, write),
        (usage.cache_write_1h_tokens, write_1h),
    ):
        if tokens:
            if rate is None:
                return None
            total += tokens * rate
    return (total / MILLION).quantize(MONEY_QUANTUM)
