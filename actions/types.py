"""The one interface between whoever asks for an action (the CLI, a dashboard button, a policy)
and the engine that performs it: a request in, a result out, an audit row in between."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

ActionName = Literal["delete", "scale-to-zero", "restore"]
ACTION_NAMES: tuple[ActionName, ...] = ("delete", "scale-to-zero", "restore")

# planned: execute was False, nothing written to AWS; skipped: already in the wanted state;
# refused: actions disabled, no role, committed PT, unknown resource; denied: AWS said AccessDenied
Outcome = Literal["planned", "succeeded", "skipped", "refused", "denied", "failed"]


@dataclass(frozen=True)
class ActionRequest:
    """One action on one resource, by one actor; ``execute=False`` asks for the plan only."""

    action: ActionName
    resource_arn: str
    actor: str  # "cli:<os user>", "user:<dashboard user>", "policy:<policy name>"
    execute: bool
    reason: str | None = None
    # restore only: the snapshot to restore from (None: the resource's newest unrestored one)
    snapshot_id: str | None = None


@dataclass(frozen=True)
class ActionResult:
    """What happened: the outcome, one line for people, the plan's steps, the snapshot and audit row."""

    outcome: Outcome
    message: str
    plan: tuple[str, ...] = ()
    snapshot_id: str | None = None
    audit_id: int | None = None
    request_ids: tuple[str, ...] = ()


class Perform(Protocol):
    """The engine as its callers see it (actions.engine builds one from a config and clients)."""

    def __call__(self, request: ActionRequest) -> ActionResult: ...
