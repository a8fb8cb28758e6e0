"""The hosting advisor: token-priced or self-hosted, and right-sized endpoints (reads core only).

Pure maths on observed usage (``core.usage``, from ``core.queries``) and catalog assumptions;
every figure names the assumptions it rests on.
"""

from advisor.break_even import BreakEven, break_even
from advisor.catalog import Assumption, Family, HostingCatalog, ServingOption
from advisor.hints import Hint, comparable_model, endpoint_hints
from advisor.service import Advisor

__all__ = [
    "Advisor",
    "Assumption",
    "BreakEven",
    "Family",
    "Hint",
    "HostingCatalog",
    "ServingOption",
    "break_even",
    "comparable_model",
    "endpoint_hints",
]
