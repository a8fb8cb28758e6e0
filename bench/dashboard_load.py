"""Dashboard load: 20 concurrent clients over the demo database, page loads and data callbacks.

The demo (`monitor.demo.build_demo`: the local AWS stand-in seeded, collected and evaluated into
SQLite) is served by `genai-monitor dashboard` (gunicorn workers sharing the view cache) in a
subprocess on 127.0.0.1. Each
client visits the pages in turn the way a browser does: the page (HTML), Dash Pages' layout
callback for its URL, then the page's data callback with the filters the layout shows. Every
answer is checked (status and content); printed: p50/p95 per kind and per visit, and errors.

Usage: python bench/dashboard_load.py [--days 90] [--clients 20] [--rounds 10] [--threads 4 16]
    [--variant "--server waitress --threads 8" ...]
(--threads: the same app under a bare waitress with other thread counts; --variant: the command
with these flags; each served one after the other on the same database, their visit p95 as a
ratio of the command's. Measured under waitress: more threads do not help, the callbacks are
bound by one interpreter's lock; gunicorn's processes are not.)
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.views.weekly import iso_week  # noqa: E402
from tests.dashboard.callbacks import (  # noqa: E402
    PAGE_PATHS,
    body_request,
    content_request,
    spec_of,
)

CALLBACK = "/_dash-update-component"
# what the data callback of each page answers with, once it has found figures to show
READY = {
    "overview": "overview-month-spent",
    "teams": "teams-spend",
    "bedrock": "bedrock-estimate",
    "endpoints": "endpoints-count",
    "weekly": "weekly-this-week",
    "alerts": "alerts-firing-count",
    "advisor": "advisor-workload-count",
}
KINDS = ("page", "layout", "body", "visit")


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` quantile of ``values`` (interpolated between the nearest ranks)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


@dataclass(frozen=True)
class Step:
    """One request of a visit and the text its answer must hold."""

    kind: str
    method: str
    path: str
    body: dict[str, Any] | None
    expect: str


@dataclass
class LoadResult:
    """Latencies per kind (seconds) and the requests that failed, with why."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests(self) -> int:
        """How many requests were sent."""
        return sum(len(self.seconds[kind]) for kind in KINDS if kind != "visit")

    def lines(self) -> list[str]:
        """p50/p95 per kind, and the error count."""
        out = []
        for kind in KINDS:
            values = self.seconds[kind]
            if values:
                out.append(
                    f"  {kind:<7} n={len(values):<5} p50 {percentile(values, 0.5):6.3f}s"
                    f"  p95 {percentile(values, 0.95):6.3f}s  max {max(values):6.3f}s"
                )
        out.append(f"  errors  {len(self.errors)} of {self.requests()} requests")
        return out


def visit(page: str, today: date, team: str) -> list[Step]:
    """The requests a browser sends to open ``page`` with the last 30 days shown."""
    query = {"start": (today - timedelta(days=29)).isoformat(), "end": today.isoformat()}
    if page == "teams":
        query["team"] = team
    if page == "weekly":
        query = {"week": iso_week(today)}
    search = "?" + "&".join(f"{key}={value}" for key, value in query.items())
    keys = {key for key, _component, _prop in spec_of(page).bindings()}
    values: dict[str, Any] = {key: value for key, value in query.items() if key in keys}
    if "team" in values and not spec_of(page).single_team:
        values["team"] = [values["team"]]
    path = PAGE_PATHS[page]
    return [
        Step("page", "GET", path + search, None, "_dash-config"),
        Step("layout", "POST", CALLBACK, content_request(path, search), f'"{page}-title"'),
        Step("body", "POST", CALLBACK, body_request(page, values), f'"{READY[page]}"'),
    ]


def _send(client: requests.Session, base_url: str, step: Step, result: LoadResult) -> float:
    started = time.perf_counter()
    try:
        response = client.request(step.method, base_url + step.path, json=step.body, timeout=120)
        problem = (
            f"status {response.status_code}"
            if response.status_code != 200
            else ("" if step.expect in response.text else f"no {step.expect}")
        )
        if "Cannot show" in response.text:
            problem = "a filter was refused"
    except requests.RequestException as exc:
        problem = type(exc).__name__
    elapsed = time.perf_counter() - started
    with result.lock:
        result.seconds[step.kind].append(elapsed)
        if problem:
            result.errors.append(f"{step.kind} {step.path}: {problem}")
    return elapsed


def drive(base_url: str, today: date, team: str, clients: int = 20, rounds: int = 10) -> LoadResult:
    """``clients`` threads, each visiting ``rounds`` pages in turn (each client starts elsewhere)."""
    result = LoadResult()
    pages = sorted(PAGE_PATHS)
    start = threading.Barrier(clients)

    def client(number: int) -> None:
        with requests.Session() as session:
            start.wait()
            for round_ in range(rounds):
                page = pages[(number + round_) % len(pages)]
                waited = sum(
                    _send(session, base_url, step, result) for step in visit(page, today, team)
                )
                with result.lock:
                    result.seconds["visit"].append(waited)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result


def free_port() -> int:
    """A port nothing listens on now (the server binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# the app as `genai-monitor dashboard` makes it, under waitress with another thread count
WAITRESS = """
import sys
from waitress import serve
from monitor.context import AppContext, load_plugins
from monitor.dashboard import create_app
from core.settings import env_settings
from dashboard.app import AuthSettings
load_plugins()
app = AppContext(env_settings())
dash_app = create_app(app.settings.database_url, app.config, auth=AuthSettings())
serve(dash_app.server, host="127.0.0.1", port=int(sys.argv[1]), threads=int(sys.argv[2]))
"""


@contextmanager
def serving(
    database_url: str,
    config_path: Path,
    env: dict[str, str] | None = None,
    threads: int | None = None,
    flags: Sequence[str] = (),
) -> Iterator[str]:
    """`genai-monitor dashboard` (with ``flags``) in a subprocess on a free loopback port; yields
    its base URL. With ``threads``: the same app under waitress with that many threads."""
    port = free_port()
    environ = dict(os.environ if env is None else env)
    environ.update(
        DATABASE_URL=database_url,
        GENAI_MONITOR_CONFIG=str(config_path),
        PYTHONPATH=str(Path(__file__).resolve().parents[1]),
    )
    command = (
        [sys.executable, "-m", "monitor.cli", "dashboard", "--port", str(port), *flags]
        if threads is None
        else [sys.executable, "-c", WAITRESS, str(port), str(threads)]
    )
    # the server's log goes to a file: a pipe nobody reads would stall it once full
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(command, env=environ, stdout=log, stderr=log, text=True)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url, server, log)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_until_up(url: str, server: subprocess.Popen[str], log: Any) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(url + "/_dash-layout", timeout=5).raise_for_status()
            return
        except requests.RequestException:
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"the dashboard did not start: {log.read()}") from None
            time.sleep(0.2)


def main(argv: Sequence[str] | None = None) -> None:
    """Build the demo, serve it once per --threads value, drive the clients, print the figures."""
    from monitor.context import load_plugins
    from monitor.demo import build_demo

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=90, help="days of demo history")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10, help="page visits per client")
    parser.add_argument(
        "--threads",
        type=int,
        nargs="*",
        default=[],
        help="also serve with these waitress thread counts (the command's is 8), one after the other",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help='also serve `genai-monitor dashboard` with these flags, e.g. "--server waitress --threads 8"',
    )
    args = parser.parse_args(argv)
    load_plugins()
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        demo = build_demo(Path(directory), args.days, progress=lambda _line: None)
        print(f"demo of {args.days} days built in {time.perf_counter() - started:.0f}s")
        team = sorted(team.name for team in demo.config.teams)[0]
        today = demo.now.date()
        p95: dict[str, float] = {}
        runs: list[tuple[str, int | None, list[str]]] = [("genai-monitor dashboard", None, [])]
        runs += [
            (f"genai-monitor dashboard {flags}", None, flags.split()) for flags in args.variant
        ]
        runs += [(f"waitress threads={threads}", threads, []) for threads in args.threads]
        for name, threads, flags in runs:
            with serving(demo.database_url, demo.config_path, threads=threads, flags=flags) as url:
                print(
                    f"{name}: {args.clients} clients x {args.rounds} page visits (3 requests each)"
                )
                started = time.perf_counter()
                result = drive(url, today, team, args.clients, args.rounds)
                took = time.perf_counter() - started
            print("\n".join(result.lines()))
            print(f"  {result.requests() / took:.1f} requests/s over {took:.1f}s")
            p95[name] = percentile(result.seconds["visit"], 0.95)
        if len(p95) > 1:
            first = next(iter(p95.values()))
            print(
                "visit p95 against the command's: "
                + ", ".join(f"{n} {v / first:.2f}" for n, v in p95.items())
            )


if __name__ == "__main__":
    main()
