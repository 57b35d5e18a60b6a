"""A scorecard: each measure for a worker, unit or office, beside the unit's and the
office's, against the goal that applies, with the gap in units of work, the federal
applicable percentage for IV-D measures and a monthly trend.

One query per measure (and period) covers the whole office, grouped by worker, so the
scope's, the unit's and the office's figures come from the same counts
(:meth:`measures.Calculator.by_worker`); ``focus`` and the digests can rank workers from
the same call.

**Periods** (issue 13 item 14): asked for a period, every line is for it. Asked for
none, each measure is for its own default (:func:`measures.default_period`): the
current federal fiscal year for the measures the federal rules judge by fiscal year
(IV-D, CFSR permanency, re-entry, placement stability, cost-effectiveness), the current
month for the operational ones (visits, timely response, investigations); each line's
``result.period`` says which. ``focus`` follows the same rule (it is built on this).

**Cost-effectiveness** is an office's measure (``Measure.level`` "office"): for an
office or all offices it is the office's (or the offices') dollars collected per dollar
spent (:func:`measures.office_result`), from the payments query current collections
makes anyway (cached: no query of its own) and the office's costs.csv row; for a worker
or a unit its line has no figure ("an office-level measure"), the office's beside it.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, NamedTuple

from casecli.core import words
from casecli.core.errors import CasecliError
from casecli.core.measures import goals, incentives, kept_counts, measures, periods
from casecli.core.measures.goals import Goal
from casecli.core.measures.measures import Calculator, Counts, Measure, Result
from casecli.core.measures.periods import Period
from casecli.core.store.scope import Actor, home
from casecli.core.store.store import on_team

EPS = 1e-9


@dataclass(frozen=True)
class Scope:
    kind: str  # worker | unit | office | all
    id: str | None
    name: str | None
    unit_id: str | None = None
    office_id: str | None = None
    # The comparisons ("unit", "office") whose cases the reader cannot read: on a team
    # store the database shows a login its own scope alone (DESIGN.md), so a worker's card
    # has no unit or office figure there, a supervisor's no office one, rather than one
    # counted over the few cases they see (:func:`resolve_scope`).
    hidden: tuple[str, ...] = ()

    def clause(self) -> tuple[str, list[object]]:
        return measures.scope_clause(self.kind, self.id)


def default_scope(who: Actor) -> tuple[str, str | None]:
    """A worker's own cases, a supervisor's unit, a manager's office, an admin's all."""
    if who.role == "worker":
        return "worker", who.staff_id
    place = home(who)
    if place is not None:
        return place
    return ("all", None) if who.role == "admin" else ("worker", who.staff_id)


def resolve_scope(
    conn: sqlite3.Connection, who: Actor, kind: str | None = None, scope_id: str | None = None
) -> Scope:
    """The scope to score (``who``'s default when ``kind`` is None), if ``who`` may see it:
    a worker themselves, their unit and office; a supervisor their unit, its workers and
    their office; a manager their office and everything in it; an admin everything."""
    if kind is None:
        kind, scope_id = default_scope(who)
    if kind == "all":
        if who.role != "admin":
            raise CasecliError("Only an admin sees every office at once; choose --office.")
        return Scope("all", None, "all offices")
    if not scope_id:
        raise CasecliError(f"Say which {kind}: give its id.")
    goals.check_scope(conn, kind, scope_id)
    reach = goals.chain(conn, kind, scope_id)
    own = {("worker", who.staff_id), ("unit", who.unit_id), ("office", who.office_id)}
    allowed = (
        who.role == "admin"
        or (kind, scope_id) in own
        or (who.role == "supervisor" and ("unit", who.unit_id) in reach)
        or (who.role == "manager" and ("office", who.office_id) in reach)
    )
    if not allowed:
        raise CasecliError(
            f"{kind.capitalize()} {scope_id} is outside what you can see "
            "(your own work, your unit and your office; a supervisor's unit, a manager's office)."
        )
    hidden: tuple[str, ...] = ()
    if on_team(conn):
        if kind not in TEAM_SIGHT.get(who.role, ("worker",)):
            raise CasecliError(
                f"On a team store your login reads {TEAM_WORDS.get(who.role, 'your own cases')}"
                f" alone, so {kind} {scope_id}'s figures cannot be counted from it; ask its"
                f" {'manager' if kind == 'office' else 'supervisor'}."
            )
        hidden = _hidden(who.role)
    unit_id = dict(reach).get("unit")
    office_id = dict(reach).get("office")
    return Scope(kind, scope_id, _name(conn, kind, scope_id), unit_id, office_id, hidden)


def _across(m: Measure) -> bool:
    """A measure that follows a child across cases (not one of ``measures.PER_CASE``'s);
    an office's measure is counted per case."""
    return m.level != "office" and m.family not in measures.PER_CASE


def read_in_part(line: Line) -> bool:
    """Whether ``line`` has no figure because the login reads only part of a child's cases
    (:func:`reads_in_part`: a team store's)."""
    return not line.applicable and _across(line.measure)


def not_counted(card: Scorecard) -> list[Line]:
    """The lines of ``card`` with a goal but no figure because the login reads only part
    of a child's cases (:func:`read_in_part`): ``focus`` and the digests name them rather
    than say no goal is missed."""
    return [x for x in card.lines if x.goal is not None and read_in_part(x)]


def team_hidden(conn: sqlite3.Connection) -> tuple[str, ...]:
    """The comparisons (unit, office) the session's login cannot read on a team store (its
    staff member's role: :data:`TEAM_SIGHT`); () on a personal store or for an admin."""
    return _hidden(_login_role(conn)) if on_team(conn) else ()


def reads_in_part(conn: sqlite3.Connection) -> bool:
    """Whether ``conn`` reads only part of the store's cases: a team store's login that is
    not an admin. A measure that follows a child across cases (re-entry, maltreatment in
    care, recurrence, permanency: ``measures.PER_CASE`` are the others) would then be
    counted from the cases it can read, a figure no rule gives; it has none instead."""
    return on_team(conn) and _login_role(conn) != "admin"


def _login_role(conn: sqlite3.Connection) -> str:
    """The role of the team store login's staff member (an admin acting as someone is an
    admin: the database shows them every row), asked once per connection."""
    role = getattr(conn, "login_role", None)
    if role is None:
        row = conn.execute("SELECT role FROM casecli_me()").fetchone()
        role = str(row[0]) if row else ""
        conn.login_role = role  # type: ignore[attr-defined]
    return str(role)


def _hidden(role: str) -> tuple[str, ...]:
    """The comparisons a login of ``role`` cannot read on a team store."""
    sight = TEAM_SIGHT.get(role, ("worker",))
    return tuple(k for k in ("unit", "office") if k not in sight)


# What each role's login reads on a team store (its row-level security), as scopes.
TEAM_SIGHT = {"worker": ("worker",), "supervisor": ("worker", "unit"),
              "manager": ("worker", "unit", "office"), "admin": ("worker", "unit", "office")}  # fmt: skip
TEAM_WORDS = {"worker": "your own cases", "supervisor": "your unit's cases"}


def _name(conn: sqlite3.Connection, kind: str, scope_id: str) -> str | None:
    column = {"worker": "name", "unit": "unit_name", "office": "office_name"}[kind]
    key = "staff_id" if kind == "worker" else f"{kind}_id"
    row = conn.execute(
        f"SELECT {column} FROM staff WHERE {key} = ? AND {column} IS NOT NULL LIMIT 1",
        (scope_id,),
    ).fetchone()
    return None if row is None else str(row[0])


def applicable_measures(conn: sqlite3.Connection, scope: Scope) -> list[Measure]:
    """Every measure for an office or all; for a worker or unit, those of the programs
    its cases are in (all when it has none)."""
    if scope.kind in ("office", "all"):
        return list(measures.MEASURES.values())
    clause, params = scope.clause()
    programs = [
        row[0]
        for row in conn.execute(
            f"SELECT DISTINCT program FROM cases c WHERE c._gone_on IS NULL AND ({clause})",
            params,
        )
    ]
    return measures.for_programs(programs) or list(measures.MEASURES.values())


def fiscal_year(period: Period) -> bool:
    """Whether ``period`` is a whole federal fiscal year (1 October – 30 September): the
    only span 45 CFR 305.33's applicable percentages are set for (issue 13 item 14); a
    month or a range shows none ("fiscal-year measure")."""
    return measures.whole_ffy(period)


@dataclass(frozen=True)
class Line:
    """One measure on the scorecard."""

    result: Result
    unit: float | None  # the unit's performance (None for an office or all)
    office: float | None  # the office's (None for all)
    goal: Goal | None
    gap: float | None  # how far short of the goal: > 0 behind, <= 0 met
    gap_work: str | None  # the gap in units of work
    applicable_percentage: int | None  # IV-D only
    previous_year: float | None  # IV-D only: the same period a year earlier
    trend: tuple[tuple[str, float | None], ...]  # (month, performance), oldest first
    penalty: incentives.Penalty | None = None  # IV-D measures with a federal floor
    applicable: bool = True  # False: an office-level measure on a worker's or unit's card

    @property
    def measure(self) -> Measure:
        return self.result.measure

    @property
    def period(self) -> Period:
        """The period this line is for (without --period, the measure's own default)."""
        return self.result.period

    @property
    def behind(self) -> bool:
        """Short of its goal (a gap > 0; with no goal, never)."""
        return self.gap is not None and self.gap > 0


def met(value: float | None, goal: float | None, direction: str) -> bool | None:
    """Whether a figure met the goal, in the measure's ``direction`` ("higher" is better,
    else lower); None: no goal, or no figure (a month with nothing to count)."""
    if value is None or goal is None:
        return None
    return value >= goal if direction == "higher" else value <= goal


@dataclass(frozen=True)
class Scorecard:
    scope: Scope
    period: Period  # the period asked for; when none was, this month (as before)
    today: date
    lines: list[Line]
    given: bool = True  # False: no period was asked, each line is for its measure's default

    @property
    def periods(self) -> list[Period]:
        """The periods the lines are for, in the order they first appear."""
        return list(dict.fromkeys(line.period for line in self.lines)) or [self.period]


def _staff_maps(conn: sqlite3.Connection) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """Every staff member's unit and office (read once per run: a digest for each of an
    office's 666 workers read the state's staff table 666 times)."""
    staff = conn.execute("SELECT staff_id, unit_id, office_id FROM staff").fetchall()
    return {s: u for s, u, _ in staff}, {s: o for s, _, o in staff}


def gap(measure: Measure, performance: float | None, target: float | None) -> float | None:
    """How far short of the target: positive when behind, zero or negative when met."""
    if performance is None or target is None:
        return None
    short = target - performance if measure.direction == "higher" else performance - target
    return round(short, 2)


def when_words(period: Period, today: date) -> str:
    if period == periods.month_of(today):
        return "this month"
    if period.kind == "ffy" and period.start <= today <= period.end:
        return "this year"
    return f"in {period.label}"


def gap_work(
    measure: Measure, counts: Counts, target: float | None, period: Period, today: date
) -> str | None:
    """The gap in units of work: "4 more child visits this month", "$3,120 more current
    support", "2 fewer overdue investigations"; "goal met" when there is none."""
    if target is None or counts.denominator == 0:
        return None
    n, d = counts.numerator, counts.denominator
    g = target / measure.scale
    if measure.id == "investigations_overdue":  # closing one takes it off both counts
        need = math.ceil((n - g * d) / (1 - g) - EPS) if g < 1 else 0
    elif measure.direction == "higher":
        need = math.ceil(g * d - EPS) - n
    else:
        need = n - math.floor(g * d + EPS)
    if need <= 0:
        return "goal met"
    when = when_words(period, today)
    if measure.id == "current_collections":
        return f"${math.ceil(need / 100):,} more current support {when}"
    if measure.id == "cost_effectiveness":  # cents collected, against what was spent
        return f"${math.ceil(need / 100):,} more support collected {when}"
    more = "more" if measure.direction == "higher" else "fewer"
    return f"{words.count(need)} {more} {words.noun(need, *measure.work)} {when}"


def count_words(measure: Measure, result: Result) -> str:
    """The counts behind a performance, in words: "visited: 14 of 17 child-months in
    care", "paid $1,200.00 of $1,500.00 due", "3 placement moves in 1,204 days in care",
    "no open investigations"."""
    n, d = result.numerator, result.denominator
    what, of = measure.counts
    if measure.unit == "ratio":  # dollars collected per dollar spent
        spent = f" for ${d / 100:,.2f} spent" if d else ""
        return f"collected ${n / 100:,.2f}{spent}"
    if d == 0:
        return f"no {of}"
    if measure.id == "current_collections":
        return f"paid ${n / 100:,.2f} of ${d / 100:,.2f} due"
    of = words.plural(d, measures.COUNT_ONE.get(of, of), of)
    if measure.unit == "rate":
        return f"{words.plural(n, measures.COUNT_ONE.get(what, what), what)} in {of}"
    return f"{what}: {words.count(n)} of {of}"


def scorecard(
    conn: sqlite3.Connection,
    scope: Scope,
    period: Period | None,
    today: date,
    *,
    options: measures.Options | None = None,
    measure_ids: list[str] | None = None,
    trend_months: int = 6,
    calc: Calculator | None = None,
) -> Scorecard:
    """Every applicable measure (or ``measure_ids``) for ``scope`` in ``period``; with
    ``period`` None, each measure in its default period (see the module docstring)."""
    calc = calc or Calculator(conn, today, options, keep=kept_counts.KeptCounts(conn, today))
    chosen = (
        [measures.get(m) for m in measure_ids]
        if measure_ids is not None
        else applicable_measures(conn, scope)
    )
    wide = (
        measures.scope_clause("office", scope.office_id)
        if scope.office_id and scope.kind != "all"
        else scope.clause()
    )
    units, offices = calc.once(("staff units and offices",), lambda: _staff_maps(conn))
    partial = reads_in_part(conn)
    targets: dict[Period, dict[str, Goal]] = {}
    own_where, own_params = scope.clause()
    same = (own_where, own_params) == wide
    plans = _plans(chosen, period, today, trend_months)
    counted = [x for x in plans if not (partial and _across(x[0]))]  # (those: no figure)
    calc.prefetch(_jobs(counted, scope, wide, (own_where, own_params)))
    lines = []
    for m, p, months, extra in plans:
        if p not in targets:
            targets[p] = goals.goals_for(conn, scope.kind, scope.id, p)
        if m.level == "office":
            lines.append(_office_line(conn, calc, m, scope, p, extra[0], today, wide, same,
                                      offices, targets[p].get(m.id)))  # fmt: skip
            continue
        if partial and _across(m):  # counted from part of a child's cases: not at all
            lines.append(Line(measures.read_in_part(m, p, today), None, None,
                              targets[p].get(m.id), None, None, None, None, (),
                              applicable=False))  # fmt: skip
            continue
        # The period over the office (for the unit's and office's figures), the trend
        # and last year over the scope: one query per family, or two for a worker/unit.
        over_wide = _over_wide(scope, months, same)
        batch = calc.by_worker_over(m.id, wide[0], wide[1], [p, *(extra if over_wide else [])])
        rows = batch[0]
        if over_wide:
            later = [
                measures.result(m, x, today, _own(scope, r, same))
                for x, r in zip(extra, batch[1:], strict=True)
            ]
        else:
            later = calc.results(m.id, own_where, own_params, extra)
        # the same office's and unit's figures for each of its workers: summed once
        everyone = calc.total_of(("all", id(rows)), lambda rows=rows: rows.values())  # type: ignore[misc]
        in_unit = calc.total_of(
            ("unit", id(rows), scope.unit_id),
            lambda rows=rows: (  # type: ignore[misc]
                c for w, c in rows.items() if scope.unit_id and units.get(w) == scope.unit_id
            ),
        )
        if scope.kind == "worker":
            own = rows.get(scope.id, Counts())
        elif scope.kind == "unit":
            own = in_unit
        else:
            own = everyone
        res = measures.result(m, p, today, own)
        unit_perf = (
            measures.result(m, p, today, in_unit).performance
            if scope.kind in ("worker", "unit") and "unit" not in scope.hidden
            else None
        )
        office_perf = (
            measures.result(m, p, today, everyone).performance
            if scope.kind != "all" and "office" not in scope.hidden
            else None
        )
        goal = targets[p].get(m.id)
        target = goal.target if goal else None
        previous = later[len(months)] if m.iv_d else None
        trend = tuple((r.period.label, r.performance) for r in later[: len(months)])
        # 45 CFR 305.33 and 305.40 read the exact ratios (79.996% is row 79, not 80), and
        # the applicable percentages are set for a fiscal year: none for a month or a range
        before = previous.exact if previous else None
        applicable = incentives.applicable_percentage(m.id, res.exact, before)
        lines.append(
            Line(
                result=res,
                unit=unit_perf,
                office=office_perf,
                goal=goal,
                gap=gap(m, res.performance, target),
                gap_work=gap_work(m, own, target, p, today)
                if res.performance is not None
                else None,
                applicable_percentage=applicable if fiscal_year(p) else None,
                previous_year=previous.performance if previous else None,
                trend=trend,
                penalty=incentives.penalty(m.id, res.exact, before),
            )
        )
    return Scorecard(scope, period or periods.month_of(today), today, lines, period is not None)


class _Plan(NamedTuple):
    """What the scorecard asks of a measure: its period, the months of its trend, and the
    other periods computed with it (the trend and, for IV-D, the year before; an office's
    measure, the year before alone)."""

    measure: Measure
    period: Period
    months: list[Period]
    extra: list[Period]


def _plans(
    chosen: list[Measure], period: Period | None, today: date, trend_months: int
) -> list[_Plan]:
    out = []
    for m in chosen:
        p = period or measures.default_period(m, today)
        if m.level == "office":
            out.append(_Plan(m, p, [], [periods.year_before(p)]))
            continue
        months = periods.last_months(p, trend_months, today)
        out.append(_Plan(m, p, months, [*months, *([periods.year_before(p)] if m.iv_d else [])]))
    return out


def _over_wide(scope: Scope, months: list[Period], same: bool) -> bool:
    """Whether a measure's other periods are read from the office's counts per worker:
    when the scope's cases are the office's, and for a worker when there is no trend to
    read (``focus`` and the digests: last year's alone). Every worker of an office then
    reads one statement, which ``casecli sync`` keeps up to date (``kept_counts``),
    instead of one each: an office's 666 digests after a delta, 5.5 s to 3.6 s."""
    return same or (scope.kind == "worker" and not months)


def _own(scope: Scope, rows: dict[str | None, Counts], same: bool) -> Counts:
    """The scope's counts among the office's per worker (all of them when the same)."""
    return measures.total(rows.values()) if same else rows.get(scope.id, Counts())


def _jobs(
    plans: list[_Plan], scope: Scope, wide: tuple[str, list[Any]], own: tuple[str, list[Any]]
) -> list[tuple[str, str, list[Any], list[Period]]]:
    """What :func:`scorecard` asks the Calculator for, from the same plans as its loop,
    so it can be computed side by side first (:meth:`measures.Calculator.prefetch`): the
    period and, when the scope's cases are the office's, the other periods over them;
    otherwise the other periods over the scope's own cases. An office's measure for a
    scope of no office asks for nothing."""
    same = own == wide
    out = []
    for m, p, months, extra in plans:
        if m.level == "office" and not (scope.kind == "all" or scope.office_id):
            continue
        over_wide = m.level != "office" and _over_wide(scope, months, same)
        out.append((m.id, *wide, [p, *(extra if same or over_wide else [])]))
        if not (same or over_wide) and m.level != "office":
            out.append((m.id, *own, extra))
    return out


def _office_line(
    conn: sqlite3.Connection,
    calc: Calculator,
    m: Measure,
    scope: Scope,
    period: Period,
    before_p: Period,
    today: date,
    wide: tuple[str, list[Any]],
    same: bool,
    offices: dict[str, str | None],
    goal: Goal | None,
) -> Line:
    """An office-level measure's line (cost-effectiveness): the office's or all offices'
    ratio with its goal, gap, Table 3 percentage and last year's; for a worker or a unit
    no figure, the office's beside it. Its counts are the collections query's, already
    run for current collections over the same cases and periods (cached); no trend: the
    expenditures are a year's."""
    office_id = None if scope.kind == "all" else scope.office_id
    if scope.kind != "all" and office_id is None:  # a worker or unit of no office
        return Line(measures.not_applicable(m, period, today, scope.kind), None, None, None,
                    None, None, None, None, (), applicable=False)  # fmt: skip
    batch = calc.by_worker_over(m.id, wide[0], wide[1], [period, *([before_p] if same else [])])
    ratio = measures.office_result(conn, m, period, today, batch[0], offices, office_id)
    if scope.kind in ("worker", "unit"):  # the office's notes say why it has no figure
        na = measures.not_applicable(m, period, today, scope.kind)
        res = replace(na, notes=(*na.notes, *ratio.notes))
        beside = None if "office" in scope.hidden else ratio.performance
        return Line(res, None, beside, None, None, None, None, None, (),
                    applicable=False)  # fmt: skip
    previous = (
        measures.office_result(conn, m, before_p, today, batch[1], offices, office_id)
        if same
        else None
    )
    target = goal.target if goal else None
    counts = Counts(ratio.numerator, ratio.denominator)
    # Table 3 is read from the exact ratio: $4.4999 per $1 is 80, never 90
    applicable = incentives.applicable_percentage(m.id, ratio.exact)
    return Line(
        result=ratio,
        unit=None,
        office=ratio.performance if scope.kind == "office" else None,
        goal=goal,
        gap=gap(m, ratio.performance, target),
        gap_work=gap_work(m, counts, target, period, today)
        if ratio.performance is not None
        else None,
        applicable_percentage=applicable if fiscal_year(period) else None,
        previous_year=previous.performance if previous else None,
        trend=(),
    )
