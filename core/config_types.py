"""The value types every config section shares: durations (90m, 24h, 7d), numbers that refuse
booleans, and the strict model base (unknown keys are errors; models are frozen)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from core.timeutil import parse_duration


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a duration like 90m, 24h or 7d, got {value!r}")
    return parse_duration(value)


Duration = Annotated[timedelta, BeforeValidator(_duration)]


def _number(value: Any) -> Any:
    if isinstance(value, bool):  # YAML's true would otherwise be a budget of 1.0
        raise ValueError(f"expected a number, not {str(value).lower()}")
    return value


# a number in the config: a boolean is refused, and (with allow_inf_nan off) so are .inf and .nan
Number = Annotated[float, BeforeValidator(_number)]


class Strict(BaseModel):
    """A config section: unknown keys are errors, the model is frozen, .inf and .nan refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
