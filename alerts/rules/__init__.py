"""Alert rules, one module each: a settings schema (data validated at load) and a pure
``evaluate(rule, snapshot) -> findings``, registered in ``core.registry.rules``."""

from __future__ import annotations

from alerts.rules.base import Finding
from alerts.snapshot import Snapshot
from core import registry
from core.settings import RuleSettings

__all__ = ["Finding", "evaluate"]


def evaluate(rule: RuleSettings, snapshot: Snapshot) -> list[Finding] | None:
    """The rule's findings, or None when the snapshot lacks the data the rule needs.

    A rule whose data could not be read is not evaluated, so its open alerts are neither
    resolved nor re-notified by mistake.
    """
    entry = registry.rules[rule.kind]
    if getattr(snapshot, entry.needs) is None:
        return None
    return entry.evaluate(rule, snapshot)
