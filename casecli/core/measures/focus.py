"""Where to focus: the measures a scope is behind on, the cases that close each gap
fastest (:mod:`casecli.core.measures.focus_cases`), the workers furthest from and furthest past
their goals, and the points behind that the urgency ``goal_impact`` term reads.

Everything comes from one :func:`casecli.core.measures.score.scorecard` call (one query per
measure family, grouped by worker) plus one query per behind measure for its cases;
each worker's goal is the one they inherit (:func:`casecli.core.measures.goals.goals_for`).

Behind means short of the goal. With no goal set, a worker is also behind on a percent
measure where they are well below both their unit and their office (at least
:data:`PEER_POINTS` points worse than each, over at least :data:`PEER_MIN` counted):
the gap is then measured to the unit's figure and says so (issue 14 item 17), so a
worker far behind their team is never told there is "nothing to catch up on".

Periods: ``focus`` follows ``score`` (issue 13 item 14). With a period, every measure
is for it; without one, each measure is for its own default (the current federal fiscal
year for the fiscal-year measures, the month for the others), so a gap ``score`` shows
is the gap ``focus`` works on, and its cases are found over that measure's period. The
urgency ``goal_impact`` term (:func:`points_behind`) stays on this month: it weighs a
step done today against where the worker stands this month, as the unit view's key
measure does (:mod:`casecli.core.views.unit_score`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from casecli.core.engine.actions import STEP_MEASURES
from casecli.core.measures import goals, kept_counts, measures, periods
from casecli.core.measures import score as sc
from casecli.core.measures.focus_cases import FocusCase, cases_for
from casecli.core.measures.measures import Calculator, Counts
from casecli.core.measures.periods import Period

STEP_MEASURE_IDS = tuple(
    dict.fromkeys([*(m for ms in STEP_MEASURES.values() for m in ms), "visits_in_home"])
)


@dataclass(frozen=True)
class FocusMeasure:
    line: sc.Line
    cases: list[FocusCase]
    # No goal set, but well below the unit and the office (issue 14 item 17): what the
    # worker is compared with ("the unit 75.4%, the office 69.4%"); ``line.gap`` and
    # ``line.gap_work`` are then measured to the unit's figure. None: behind a goal.
    against: str | None = None


# "Well below" with no goal set (issue 14 item 17): a worker's figure on a percent measure
# at least PEER_POINTS worse than both the unit's and the office's, over at least
# PEER_MIN counted (cases, child-months…), so that a handful of cases is not "behind".
PEER_POINTS = 10.0
PEER_MIN = 5


@dataclass(frozen=True)
class WorkerGap:
    staff_id: str
    name: str | None
    measure: str
    performance: float
    goal: float
    distance: float  # > 0 behind the goal, <= 0 at or ahead of it
    active: bool = True  # staff.active: an inactive worker is never "practice worth sharing"


@dataclass(frozen=True)
class Focus:
    card: sc.Scorecard
    measures: list[FocusMeasure]
    workers: list[WorkerGap]


def is_behind(line: sc.Line) -> bool:
    return line.behind


def below_peers(line: sc.Line, scope: sc.Scope, today: date) -> sc.Line | None:
    """A worker's line with no goal, when it is well below both the unit and the office
    (:data:`PEER_POINTS`, :data:`PEER_MIN`): the line with its gap and gap work measured
    to the unit's figure ("7 more child visits this month"); else None. Higher or lower
    is better as the measure says."""
    m, res = line.measure, line.result
    if scope.kind != "worker" or line.goal is not None or m.unit != "percent":
        return None
    if res.performance is None or res.denominator < PEER_MIN:
        return None
    if line.unit is None or line.office is None:
        return None
    worse = [sc.gap(m, res.performance, peer) for peer in (line.unit, line.office)]
    if any(w is None or w < PEER_POINTS for w in worse):
        return None
    counts = Counts(res.numerator, res.denominator)
    return replace(
        line,
        gap=worse[0],
        gap_work=sc.gap_work(m, counts, line.unit, line.period, today),
    )


def peers_words(line: sc.Line) -> str:
    m = line.measure
    return (
        f"the unit {measures.figure(line.unit, m.unit)}, "
        f"the office {measures.figure(line.office, m.unit)}; no goal set"
    )


def workers_in(
    conn: sqlite3.Connection, scope: sc.Scope, *, active_only: bool = False
) -> list[tuple[str, str | None]]:
    """(staff id, name) of the workers a unit or an office has (none for a worker);
    ``active_only``: those not marked inactive (the digests are for people at work)."""
    if scope.kind not in ("unit", "office", "all"):
        return []
    where, params = ("1 = 1", []) if scope.kind == "all" else (f"{scope.kind}_id = ?", [scope.id])
    if active_only:
        where += " AND coalesce(active, 1) <> 0"
    rows = conn.execute(
        f"SELECT staff_id, name FROM staff WHERE role = 'worker' AND {where}"
        " AND _gone_on IS NULL ORDER BY staff_id",
        params,
    ).fetchall()
    return [(str(r[0]), r[1]) for r in rows]


def worker_gaps(
    conn: sqlite3.Connection,
    calc: Calculator,
    scope: sc.Scope,
    measure_periods: Iterable[tuple[str, Period]],
) -> list[WorkerGap]:
    """Each worker's distance from their (inherited) goal on each measure (in its
    period), per measure the furthest behind first, those ahead last (most ahead last); a
    worker with nothing to count or no goal is left out. An office-level measure
    (cost-effectiveness) has no worker's figure: it is not ranked."""
    staff = workers_in(conn, scope)
    if not staff:
        return []
    active = set(dict(workers_in(conn, scope, active_only=True)))
    where, params = scope.clause()
    targets: dict[Period, dict[str, dict[str, goals.Goal]]] = {}
    out = []
    for measure_id, period in measure_periods:
        m = measures.get(measure_id)
        if m.level != "case":
            continue
        if period not in targets:
            reaches = goals.worker_chains(conn, [w for w, _ in staff])
            targets[period] = goals.goals_for_each(conn, reaches, period)
        rows = calc.by_worker(measure_id, where, params, period)
        ranked = []
        for w, name in staff:
            goal = targets[period][w].get(measure_id)
            res = measures.result(m, period, calc.today, rows.get(w, Counts()))
            distance = sc.gap(m, res.performance, goal.target if goal else None)
            if goal is None or res.performance is None or distance is None:
                continue
            ranked.append(
                WorkerGap(w, name, measure_id, res.performance, goal.target, distance, w in active)
            )
        out += sorted(ranked, key=lambda g: (-g.distance, g.staff_id))
    return out


def focus(
    conn: sqlite3.Connection,
    scope: sc.Scope,
    period: Period | None,
    today: date,
    *,
    options: measures.Options | None = None,
    limit: int = 10,
    redact: bool = False,
    card: sc.Scorecard | None = None,
    calc: Calculator | None = None,
) -> Focus:
    """The behind measures with their top ``limit`` cases, and (for a unit or an office)
    the workers ranked on every measure with a goal that the scope or a worker is behind on.
    ``period`` None: each measure in its default period, as ``score``."""
    calc = calc or Calculator(conn, today, options, keep=kept_counts.KeptCounts(conn, today))
    card = card or sc.scorecard(
        conn, scope, period, today, options=options, calc=calc, trend_months=0
    )
    where, params = scope.clause()
    behind = []
    for line in card.lines:
        peer = None if is_behind(line) else below_peers(line, scope, today)
        if not is_behind(line) and peer is None:
            continue
        cases = cases_for(
            conn, line.measure.id, where, params, line.period, today,
            options=options, limit=limit, redact=redact,
        )  # fmt: skip
        if peer is None:
            behind.append(FocusMeasure(line, cases))
        else:
            behind.append(FocusMeasure(peer, cases, peers_words(line)))
    workers: list[WorkerGap] = []
    if scope.kind in ("unit", "office", "all"):
        with_goal = [(x.measure.id, x.period) for x in card.lines if x.result.denominator]
        gaps = worker_gaps(conn, calc, scope, with_goal)
        shown = {line.line.measure.id for line in behind} | {
            g.measure for g in gaps if g.distance > 0
        }
        # an inactive worker ahead of goal is no practice to share; behind, they are marked
        workers = [g for g in gaps if g.measure in shown and (g.active or g.distance > 0)]
        behind = [FocusMeasure(fm.line, _named(conn, fm.cases)) for fm in behind]
    return Focus(card, behind, workers)


def _named(conn: sqlite3.Connection, cases: list[FocusCase]) -> list[FocusCase]:
    """The cases with whose each one is (a list over a unit or an office spans workers)."""
    if not cases:
        return cases
    marks = ", ".join("?" for _ in cases)
    whose = {
        r[0]: (r[1], r[2], None if r[3] is None else bool(r[3]))
        for r in conn.execute(
            "SELECT c.case_id, c.worker_id, s.name, coalesce(s.active, 1) FROM cases c"
            f" LEFT JOIN staff s ON s.staff_id = c.worker_id WHERE c.case_id IN ({marks})",
            [c.case_id for c in cases],
        )
    }
    out = []
    for c in cases:
        worker_id, name, active = whose.get(c.case_id, (None, None, None))
        out.append(replace(c, worker_id=worker_id, worker=name, worker_active=active))
    return out


def points_behind(
    conn: sqlite3.Connection,
    workers: list[str],
    today: date,
    options: measures.Options | None = None,
) -> dict[str, dict[str, float]]:
    """For each worker, the measures the steps move (:data:`STEP_MEASURES`) on which they
    are behind their inherited goal this month, and by how many points. Nothing is
    computed for a worker without a goal on those measures (no goals: no queries)."""
    period = periods.month_of(today)
    targets = {w: goals.goals_for(conn, "worker", w, period) for w in workers}
    wanted = {m for t in targets.values() for m in t if m in STEP_MEASURE_IDS}
    if not wanted:
        return {}
    calc = Calculator(conn, today, options, keep=kept_counts.KeptCounts(conn, today))
    where = f"c.worker_id IN ({', '.join('?' for _ in workers)})"
    out: dict[str, dict[str, float]] = {}
    for measure_id in sorted(wanted):
        m = measures.get(measure_id)
        rows = calc.by_worker(measure_id, where, workers, period)
        for w in workers:
            goal = targets[w].get(measure_id)
            if goal is None:
                continue
            res = measures.result(m, period, today, rows.get(w, Counts()))
            short = sc.gap(m, res.performance, goal.target)
            if short is not None and short > 0:
                out.setdefault(w, {})[measure_id] = short
    return out
