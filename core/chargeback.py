"""The month-end chargeback statement (pure): each team's attributed GenAI cost by service and model,
plus its part of the shared lines, in whole cents that add up exactly to the FOCUS export's total."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fnmatch import fnmatchcase
from fractions import Fraction

from core.apportion import apportion_amounts, cents, split_cents, usd
from core.chargeback_settings import ChargebackConfig
from core.queries.billing import BilledLine
from core.settings import UNATTRIBUTED

MEASURES = ("billed", "amortized")


def shared_reason(line: BilledLine, rule: ChargebackConfig) -> str | None:
    """Why ``line`` is shared (the rule that makes it so), or None when it is its team's alone."""
    if line.line_type is not None and line.line_type in rule.shared_line_types:
        return f"line type {line.line_type}"
    if line.service in rule.shared_services:
        return f"service {line.service}"
    for pattern in rule.shared_usage_types:
        if fnmatchcase(line.usage_type, pattern):
            return f"usage type {pattern}"
    if line.team == UNATTRIBUTED:
        return UNATTRIBUTED
    return None


def _amount(line: BilledLine, measure: str) -> Decimal:
    return line.billed if measure == "billed" else line.effective


@dataclass(frozen=True)
class TeamCharge:
    """One team's month: attributed, its part of the shared lines, and the sum; USD, two places."""

    team: str
    share: Decimal | None  # the fraction of the shared lines it carries (None: it carries none)
    attributed: dict[str, Decimal]  # measure -> USD
    shared: dict[str, Decimal]

    def total(self, measure: str) -> Decimal:
        """Attributed plus shared of ``measure``."""
        return self.attributed[measure] + self.shared[measure]


@dataclass(frozen=True)
class DetailRow:
    """A team's attributed cost of one service and model (model None: the line names none)."""

    team: str
    service: str
    model: str | None
    amounts: dict[str, Decimal]


@dataclass(frozen=True)
class SharedRow:
    """What the shared lines hold, per reason and service."""

    reason: str
    service: str
    amounts: dict[str, Decimal]


@dataclass(frozen=True)
class Statement:
    """The month's statement; ``scoped`` when narrowed to some teams (then no organisation totals)."""

    month: str
    source: str
    split: str
    lines: int
    teams: list[TeamCharge]
    details: list[DetailRow]
    shared: list[SharedRow]
    totals: dict[str, Decimal]  # measure -> the statement's total, USD
    export_totals: dict[
        str, Decimal
    ]  # measure -> the FOCUS export's sum (BilledCost, EffectiveCost), exact
    notes: list[str] = field(default_factory=list)
    scoped: bool = False
    # per team: what stopping its idle resources saved this month (price x hours stopped), USD
    saved: dict[str, Decimal] = field(default_factory=dict)

    def reconciles(self) -> bool:
        """Whether the teams' totals add up to the export's totals rounded to the cent."""
        return all(
            sum((team.total(m) for team in self.teams), Decimal(0)) == self.totals[m]
            and self.totals[m] == usd(cents(self.export_totals[m]))
            for m in MEASURES
        )

    def for_teams(self, teams: Iterable[str]) -> Statement:
        """Only ``teams``' rows: what a viewer of those teams may see (no shared pool, no totals,
        no share of the pool: with it, a team's own spend would tell the other teams' total)."""
        keep = set(teams)
        return replace(
            self,
            teams=[replace(team, share=None) for team in self.teams if team.team in keep],
            details=[row for row in self.details if row.team in keep],
            saved={team: amount for team, amount in self.saved.items() if team in keep},
            shared=[],
            totals={},
            export_totals={},
            notes=[],
            scoped=True,
        )


def _sum_by(
    lines: Iterable[tuple[tuple[str, ...], BilledLine]], measure: str
) -> dict[tuple[str, ...], Decimal]:
    sums: dict[tuple[str, ...], Decimal] = defaultdict(Decimal)
    for key, line in lines:
        sums[key] += _amount(line, measure)
    return dict(sums)


def _nested_cents(
    exact: dict[tuple[str, ...], Decimal], team_cents: dict[str, int]
) -> dict[tuple[str, ...], int]:
    """Detail amounts in cents, each team's summing to that team's attributed cents."""
    found: dict[tuple[str, ...], int] = {}
    for team, total in team_cents.items():
        keys = sorted(key for key in exact if key[0] == team)
        found.update(zip(keys, apportion_amounts([exact[key] for key in keys], total), strict=True))
    return found


def _recipients(
    rule: ChargebackConfig, teams: Sequence[str], weights_from: dict[str, Decimal], notes: list[str]
) -> tuple[list[str], list[Fraction]]:
    """Who carries the shared lines and in which proportion."""
    if rule.split == "fixed":
        names = sorted(rule.shares)
        return names, [Fraction(rule.shares[name]) for name in names]
    weights = {team: max(weights_from.get(team, Decimal(0)), Decimal(0)) for team in teams}
    if any(weights.values()):
        return list(teams), [Fraction(weights[team]) for team in teams]
    if teams:
        notes.append("no team has attributed spend this month: the shared lines are split equally")
        return list(teams), [Fraction(1)] * len(teams)
    notes.append("no team to split the shared lines over: they stay unattributed")
    return [UNATTRIBUTED], [Fraction(1)]


def _measure(
    lines: Sequence[BilledLine],
    reasons: Sequence[str | None],
    exact: dict[tuple[str, ...], Decimal],
    names: Sequence[str],
    split: tuple[list[str], list[Fraction]],
    measure: str,
) -> tuple[int, dict[str, int], dict[str, int]]:
    """One measure in cents: the total, each team's own lines, each team's part of the shared ones."""
    total = cents(sum((_amount(line, measure) for line in lines), Decimal(0)))
    # the shared lines' exact sum rounded is the pool; the teams' own lines get the rest of the
    # total, so that attributed plus shared is the export's total to the cent
    shared = (_amount(ln, measure) for ln, why in zip(lines, reasons, strict=True) if why)
    pool = cents(sum(shared, Decimal(0)))
    parts = apportion_amounts([exact.get((name,), Decimal(0)) for name in names], total - pool)
    carriers, fractions = split
    carried = dict(zip(carriers, split_cents(pool, fractions), strict=True))
    return (
        total,
        dict(zip(names, parts, strict=True)),
        {name: carried.get(name, 0) for name in names},
    )


def _shares(carriers: Sequence[str], fractions: Sequence[Fraction]) -> dict[str, Decimal]:
    whole = sum(fractions, Fraction(0))
    return {
        name: Decimal((f / whole).numerator) / Decimal((f / whole).denominator)
        for name, f in zip(carriers, fractions, strict=True)
    }


def _charges(
    names: Sequence[str],
    found: dict[str, tuple[int, dict[str, int], dict[str, int]]],
    share_of: dict[str, Decimal],
) -> list[TeamCharge]:
    return [
        TeamCharge(
            team=name,
            share=share_of.get(name),
            attributed={m: usd(found[m][1][name]) for m in MEASURES},
            shared={m: usd(found[m][2][name]) for m in MEASURES},
        )
        for name in names
    ]


def build_statement(
    month: str,
    source: str,
    lines: Sequence[BilledLine],
    rule: ChargebackConfig,
    teams: Sequence[str],
) -> Statement:
    """The statement of ``lines`` (a month of one source) under ``rule``; ``teams`` are the configured ones."""
    reasons = [shared_reason(line, rule) for line in lines]
    own = [(line.team, line) for line, why in zip(lines, reasons, strict=True) if why is None]
    notes: list[str] = []
    attributed = {m: _sum_by((((team,), line) for team, line in own), m) for m in MEASURES}
    # proportional to each team's attributed amortized (effective) spend: what it really consumed
    weights = {key[0]: amount for key, amount in attributed["amortized"].items()}
    names = sorted({team for team, _line in own} | set(teams) | set(rule.shares))
    split = _recipients(rule, names, weights, notes)
    names = sorted(set(names) | set(split[0]))
    found = {m: _measure(lines, reasons, attributed[m], names, split, m) for m in MEASURES}
    team_cents = {m: found[m][1] for m in MEASURES}
    charges = _charges(names, found, _shares(*split))
    totals = {m: found[m][0] for m in MEASURES}
    return Statement(
        month=month,
        source=source,
        split=rule.split,
        lines=len(lines),
        teams=charges,
        details=_details(own, team_cents),
        shared=_shared_rows(lines, reasons, totals, team_cents),
        totals={m: usd(totals[m]) for m in MEASURES},
        export_totals={m: sum((_amount(line, m) for line in lines), Decimal(0)) for m in MEASURES},
        notes=notes,
    )


def _details(
    own: list[tuple[str, BilledLine]], team_cents: dict[str, dict[str, int]]
) -> list[DetailRow]:
    keyed = [((team, line.service, line.model or ""), line) for team, line in own]
    per = {m: _nested_cents(_sum_by(keyed, m), team_cents[m]) for m in MEASURES}
    return [
        DetailRow(
            team, service, model or None, {m: usd(per[m][(team, service, model)]) for m in MEASURES}
        )
        for team, service, model in sorted(per["billed"])
    ]


def _shared_rows(
    lines: Sequence[BilledLine],
    reasons: Sequence[str | None],
    totals: dict[str, int],
    team_cents: dict[str, dict[str, int]],
) -> list[SharedRow]:
    keyed = [((why, line.service), line) for line, why in zip(lines, reasons, strict=True) if why]
    rows = []
    per = {}
    for m in MEASURES:
        exact = _sum_by(keyed, m)
        keys = sorted(exact)
        pool = totals[m] - sum(team_cents[m].values())
        per[m] = dict(zip(keys, apportion_amounts([exact[key] for key in keys], pool), strict=True))
    for reason, service in sorted(per["billed"]):
        rows.append(
            SharedRow(reason, service, {m: usd(per[m][(reason, service)]) for m in MEASURES})
        )
    return rows
