"""`genai-monitor act {delete,scale-to-zero,restore} RESOURCE [--yes]`: act on waste with a
snapshot first and an audit row after; without --yes, the plan only."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import Any

import click

from actions.engine import performer
from actions.types import ActionName, ActionRequest, ActionResult
from monitor.cli.base import Failure, app_of

_OK = ("succeeded", "planned", "skipped")
_EPILOG = (
    "RESOURCE is the resource's ARN, as `genai-monitor waste` prints it. Needs actions.enabled: "
    'true and actions.role_arn in the config (see README, "Acting on waste"). Exit 0: done, '
    "planned or nothing to do; 1: refused, denied by AWS or failed (one line says why). Every "
    "attempt, a plan too, is recorded in the actions audit."
)


def actor() -> str:
    """Who acts from the command line: ``cli:<the OS user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def run_action(ctx: click.Context, request: ActionRequest) -> ActionResult:
    """Perform one request with the app's database, clients and ``actions:`` config; print it."""
    app = app_of(ctx)
    perform = performer(app.database(), app.clients, app.config.actions)
    result = perform(request)
    for step in result.plan:
        click.echo(f"  - {step}")
    if result.outcome == "planned":
        click.echo(f"{result.message}; run again with --yes to do it")
    elif result.outcome in _OK:
        snapshot = f" (snapshot {result.snapshot_id})" if result.snapshot_id else ""
        click.echo(f"{result.outcome}: {result.message}{snapshot}")
    if result.outcome not in _OK:
        raise Failure(f"{result.outcome}: {result.message}")
    return result


def _yes(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--yes", is_flag=True, help="Do it. Without --yes the plan is printed and nothing changes."
    )(command)


@click.group("act", epilog=_EPILOG)
def act() -> None:
    """Stop idle resources with undo: delete, scale to zero, restore (a snapshot first, an audit after)."""


def _stopper(name: ActionName, summary: str) -> click.Command:
    @click.command(name, help=summary, epilog=_EPILOG)
    @click.argument("resource", metavar="RESOURCE")
    @_yes
    @click.pass_context
    def command(ctx: click.Context, resource: str, yes: bool) -> None:
        run_action(ctx, ActionRequest(name, resource, actor(), execute=yes))

    return command


act.add_command(
    _stopper(
        "delete",
        "Delete an idle SageMaker endpoint or no-commitment Provisioned Throughput, after a snapshot "
        "of everything needed to recreate it (`act restore` does).",
    )
)
act.add_command(
    _stopper(
        "scale-to-zero",
        "Scale an asynchronous endpoint's auto-scaling floor, or an inference-component endpoint's "
        "copies, to zero; a plain real-time endpoint is refused (delete it instead).",
    )
)


@act.command("restore", epilog=_EPILOG)
@click.argument("resource", metavar="RESOURCE", required=False)
@click.option(
    "--snapshot",
    "snapshot_id",
    help="Restore from this snapshot id (default: the resource's newest snapshot not restored yet).",
)
@_yes
@click.pass_context
def restore(ctx: click.Context, resource: str | None, snapshot_id: str | None, yes: bool) -> None:
    """Recreate a deleted resource (or its capacity) from its snapshot, under the same name."""
    if not resource and not snapshot_id:
        raise click.UsageError("give the resource's ARN, or --snapshot ID")
    request = ActionRequest(
        "restore", resource or "", actor(), execute=yes, snapshot_id=snapshot_id
    )
    run_action(ctx, request)
