"""The filter bar every page shares: date range, team, account and region, kept in the URL."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from dash import Dash, Input, Output, dcc, html

from core.timeutil import EARLIEST_DAY

DEFAULT_DAYS = 30
# The query-string keys a page's filters are kept under, in this order.
QUERY_KEYS = ("start", "end", "team", "account", "region")
# The days a filter may name: nothing is collected before 2000, and a year ahead is as far as
# budgets and projections look; beyond these a date means nothing (and year 9999 overflows).
LATEST_AHEAD = timedelta(days=366)
MAX_VALUE_CHARS = 200  # longer than any team, account, region or day
MAX_CHOICES = 100


@dataclass(frozen=True)
class Filters:
    """One view's filters: the days shown (both ends included) and the teams, accounts and regions."""

    start: date
    end: date
    teams: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def window(self) -> tuple[datetime, datetime]:
        """The UTC window [start 00:00, the day after end 00:00)."""
        return day_start(self.start), day_start(self.end + timedelta(days=1))

    @property
    def day_range(self) -> tuple[date, date]:
        """The days [start, end + 1) as a half-open range of dates."""
        return self.start, self.end + timedelta(days=1)

    def team_list(self) -> list[str] | None:
        """The teams chosen, or None for every team."""
        return list(self.teams) or None

    def account_list(self) -> list[str] | None:
        """The accounts chosen, or None for every account."""
        return list(self.accounts) or None

    def region_list(self) -> list[str] | None:
        """The regions chosen, or None for every region."""
        return list(self.regions) or None

    def query_string(self) -> str:
        """The filters as a URL query string, so a view can be shared as a link."""
        values: dict[str, str] = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        for key, chosen in (
            ("team", self.teams),
            ("account", self.accounts),
            ("region", self.regions),
        ):
            if chosen:
                values[key] = ",".join(chosen)
        values.update({key: value for key, value in self.extra.items() if value})
        return urlencode(values)


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(0), tzinfo=UTC)


class BadFilter(ValueError):
    """A filter value the dashboard cannot show: the message names the key and what was expected."""


def _too_long(key: str, text: str) -> BadFilter:
    return BadFilter(f"{key}: expected at most {MAX_VALUE_CHARS} characters, got {len(text)}")


def check_day(key: str, day: date, today: date) -> date:
    """``day`` if it lies between 2000-01-01 and a year from ``today``; BadFilter otherwise."""
    latest = today + LATEST_AHEAD
    if not EARLIEST_DAY <= day <= latest:
        raise BadFilter(
            f"{key}: expected a day from {EARLIEST_DAY.isoformat()} to {latest.isoformat()},"
            f" got {day.isoformat()}"
        )
    return day


def _parse_day(key: str, value: Any, today: date) -> date | None:
    if not value:
        return None
    text = str(value)
    if len(text) > MAX_VALUE_CHARS:
        raise _too_long(key, text)
    try:
        # the date picker may send a time after the day ("2026-03-01T00:00:00")
        day = datetime.fromisoformat(text).date() if len(text) > 10 else date.fromisoformat(text)
    except ValueError:
        raise BadFilter(f"{key}: expected a day like 2026-03-01, got {text[:40]!r}") from None
    return check_day(key, day, today)


def _split(key: str, value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    chosen = tuple(str(item) for item in items if item)
    if len(chosen) > MAX_CHOICES:
        raise BadFilter(f"{key}: expected at most {MAX_CHOICES} choices, got {len(chosen)}")
    for item in chosen:
        if len(item) > MAX_VALUE_CHARS:
            raise _too_long(key, item)
    return chosen


def _extra(key: str, value: Any) -> str:
    text = str(value)
    if len(text) > MAX_VALUE_CHARS:
        raise _too_long(key, text)
    return text


def parse_filters(query: Mapping[str, Any], today: date, extra_keys: Sequence[str] = ()) -> Filters:
    """Filters from a query string's values (or the filter components'); the last 30 days by default.

    A value that is not a day, a day before 2000 or more than a year ahead, an end before the
    start or an overlong value raises :class:`BadFilter`.
    """
    end = _parse_day("end", query.get("end"), today) or today
    start = _parse_day("start", query.get("start"), today) or max(
        end - timedelta(days=DEFAULT_DAYS - 1), EARLIEST_DAY
    )
    if start > end:
        raise BadFilter(f"end: {end.isoformat()} is before start {start.isoformat()}")
    return Filters(
        start=start,
        end=end,
        teams=_split("team", query.get("team")),
        accounts=_split("account", query.get("account")),
        regions=_split("region", query.get("region")),
        extra={key: _extra(key, query[key]) for key in extra_keys if query.get(key)},
    )


def _dropdown(
    component_id: str, label: str, options: Sequence[str], value: Sequence[str], multi: bool = True
) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=component_id, className="filter-label"),
            dcc.Dropdown(
                id=component_id,
                options=[{"label": option, "value": option} for option in options],
                value=list(value) if multi else (value[0] if value else None),
                multi=multi,
                placeholder="all" if multi else "choose",
                clearable=multi,
            ),
        ],
        className="filter",
    )


_LABELS = {"team": "Team", "account": "Account", "region": "Region"}


@dataclass(frozen=True)
class FilterSpec:
    """Which filters a page offers; component ids are ``<page>-dates``, ``<page>-team`` and so on.

    ``extra`` lists page-specific controls kept in the URL too: (query key, component id, property).
    """

    page: str
    dates: bool = True
    fields: tuple[str, ...] = ("team", "account", "region")
    single_team: bool = False
    extra: tuple[tuple[str, str, str], ...] = ()

    def bindings(self) -> list[tuple[str, str, str]]:
        """(query key, component id, property) of every control, in callback input order."""
        pairs: list[tuple[str, str, str]] = []
        if self.dates:
            pairs += [
                ("start", f"{self.page}-dates", "start_date"),
                ("end", f"{self.page}-dates", "end_date"),
            ]
        pairs += [(name, f"{self.page}-{name}", "value") for name in self.fields]
        return pairs + list(self.extra)

    def inputs(self) -> list[Input]:
        """The callback inputs of every control."""
        return [Input(component, prop) for _key, component, prop in self.bindings()]

    def parse(self, today: date, values: Sequence[Any]) -> Filters:
        """Filters from the controls' values, given in :meth:`inputs` order."""
        query = {
            key: value
            for (key, _component, _prop), value in zip(self.bindings(), values, strict=True)
        }
        return parse_filters(query, today, extra_keys=tuple(key for key, _c, _p in self.extra))

    def bar(
        self,
        filters: Filters,
        teams: Sequence[str],
        accounts: Sequence[str],
        regions: Sequence[str],
        *extra: Any,
    ) -> html.Div:
        """The page's filter components, showing ``filters``; ``extra`` are the page's own controls."""
        children: list[Any] = []
        if self.dates:
            children.append(
                html.Div(
                    [
                        html.Label(
                            "Days (UTC)", htmlFor=f"{self.page}-dates", className="filter-label"
                        ),
                        dcc.DatePickerRange(
                            id=f"{self.page}-dates",
                            start_date=filters.start.isoformat(),
                            end_date=filters.end.isoformat(),
                            display_format="YYYY-MM-DD",
                            minimum_nights=0,
                            first_day_of_week=1,
                        ),
                    ],
                    className="filter",
                )
            )
        chosen = {"team": filters.teams, "account": filters.accounts, "region": filters.regions}
        offered = {"team": teams, "account": accounts, "region": regions}
        for name in self.fields:
            multi = not (name == "team" and self.single_team)
            options = sorted(set(offered[name]) | set(chosen[name]))
            children.append(
                _dropdown(f"{self.page}-{name}", _LABELS[name], options, chosen[name], multi)
            )
        children.extend(extra)
        children.append(dcc.Store(id=f"{self.page}-query"))
        return html.Div(children, className="filter-bar", id=f"{self.page}-filters")

    def register_url_sync(self, app: Dash) -> None:
        """Mirror the controls into the address bar with history.replaceState: no reload, no re-render."""
        keys = json.dumps([key for key, _component, _prop in self.bindings()])
        app.clientside_callback(  # type: ignore[no-untyped-call]
            f"""
            function(...values) {{
                const keys = {keys};
                const params = new URLSearchParams();
                keys.forEach((key, index) => {{
                    let value = values[index];
                    if (Array.isArray(value)) {{ value = value.join(","); }}
                    if (value !== null && value !== undefined && value !== "") {{
                        value = String(value);
                        params.set(key, key === "start" || key === "end" ? value.slice(0, 10) : value);
                    }}
                }});
                const query = params.toString();
                window.history.replaceState(window.history.state, "", window.location.pathname + (query ? "?" + query : ""));
                return query;
            }}
            """,
            Output(f"{self.page}-query", "data"),
            self.inputs(),
        )
