"""The root group and what every command group shares: exit codes, option parsers, the export writer."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import click
from sqlalchemy.exc import InterfaceError, OperationalError

from core.aws import AwsError
from core.db import DatabaseError
from core.settings import ConfigError, env_settings
from core.timeutil import parse_duration, parse_timestamp
from monitor.context import AppContext
from monitor.export import WRITERS, output


class Failure(click.ClickException):
    """A run that failed: exit code 1."""

    exit_code = 1


class BadConfig(click.ClickException):
    """A config that does not load: exit code 2."""

    exit_code = 2


class MonitorGroup(click.Group):
    """Turns the project's errors into one-line messages and the documented exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise BadConfig(f"config error: {exc}") from None
        except DatabaseError as exc:
            raise Failure(f"database error: {exc}") from None
        except AwsError as exc:
            raise Failure(f"AWS error: {exc}") from None
        except (OperationalError, InterfaceError) as exc:
            # the database went away in the middle of a command: a failed run, not a bug
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise Failure(f"database error: {reason}") from None


def app_of(ctx: click.Context) -> AppContext:
    """The command's shared state, made by the root group."""
    app: AppContext = ctx.obj
    return app


@click.group(cls=MonitorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def main(ctx: click.Context, verbose: int) -> None:
    """Watch what your organisation spends on generative AI in AWS.

    Configuration comes from the environment (DATABASE_URL, GENAI_MONITOR_CONFIG, AWS_*)
    and the YAML file GENAI_MONITOR_CONFIG names (default ./genai-monitor.yaml).
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(
        level=max(level, logging.DEBUG),
        format="genai-monitor: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("botocore").setLevel(logging.WARNING if verbose < 2 else logging.DEBUG)
    ctx.obj = AppContext(env_settings())


def _parsed(parse: Callable[[str], Any], value: str | None) -> Any:
    """``parse(value)``, None for None; a ValueError becomes a usage error (exit 2)."""
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def parse_time(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    """Option callback: an ISO 8601 time (UTC unless an offset is given)."""
    parsed: datetime | None = _parsed(parse_timestamp, value)
    return parsed


def parse_since(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    """Option callback: a duration such as 7d or 36h, longer than zero."""
    return _parsed(_positive_duration, value)


def _positive_duration(text: str) -> timedelta:
    duration = parse_duration(text)
    if duration <= timedelta(0):
        raise ValueError(f"expected a duration longer than zero, got {text!r}")
    return duration


def parse_day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    """Option callback: a UTC day (YYYY-MM-DD)."""
    return _parsed(lambda text: parse_timestamp(text).date(), value)


def require_order(start: Any, end: Any) -> None:
    """Refuse a window that ends before it starts (a usage error, exit 2)."""
    if start and end and end <= start:
        raise click.UsageError("--end must be after --start")


def scope_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--team, --account and --region, each repeatable."""
    command = click.option(
        "--region", "regions", multiple=True, help="Only this region (repeatable)."
    )(command)
    command = click.option(
        "--account", "accounts", multiple=True, help="Only this account id (repeatable)."
    )(command)
    return click.option("--team", "teams", multiple=True, help="Only this team (repeatable).")(
        command
    )


def listen_options(
    *, port: int, host_help: str, port_help: str, lowest_port: int = 1
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--host (loopback unless told) and --port of a server the command starts."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option(
            "--port",
            default=port,
            show_default=True,
            type=click.IntRange(lowest_port, 65535),
            help=port_help,
        )(command)
        return click.option("--host", default="127.0.0.1", show_default=True, help=host_help)(
            command
        )

    return decorate


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--format csv|json and -o FILE."""
    command = click.option(
        "-o", "--output", "path", help="Write to this file instead of standard output."
    )(command)
    return click.option(
        "--format", "fmt", type=click.Choice(sorted(WRITERS)), default="csv", show_default=True
    )(command)


def write_export(
    records: Iterable[dict[str, Any]], columns: tuple[str, ...], fmt: str, path: str | None
) -> None:
    """Write an export to standard output or, whole or not at all, to a file."""
    with output(path, sys.stdout) as out:
        count = WRITERS[fmt](records, columns, out)
    if path and path != "-":
        click.echo(f"wrote {count} row(s) to {path}", err=True)
