"""Performance measures: what each one is, and computing it for a set of cases and a period.

The measures and their formulas are DOMAIN.md's; the SQL, with every counting choice
written in its docstring, is in :mod:`casecli.core.measures.child_support` (child support, IV-D)
and :mod:`casecli.core.measures.child_welfare` (child welfare).

Most measures count cases, children or dollars, so they sum from a worker to a unit and
an office. ``cost_effectiveness`` (dollars collected per dollar spent, costs.csv) is an
office's (``Measure.level`` "office"): :func:`office_result` makes it for an office or
for all offices; a worker or a unit has none.

Each measure has its own default period (issue 13 item 14, :func:`default_period`): the
federal fiscal year for the measures the federal rules judge by fiscal year (the IV-D
measures and the CFSR indicators: ``Measure.fiscal``), the month for the operational
ones (visits, timely response, investigations).

A set of cases is an SQL condition on ``cases c`` (``scope.cases_clause``, or
:func:`scope_clause` for a worker, unit or office). A case counts under the worker it
is assigned to (``cases.worker_id``) and that worker's unit and office. Every query
groups its counts by that worker and by period, so one statement over an office yields
every worker's, every unit's and the office's figures for several periods at once (the
period asked about, the months of a trend, the year before):
:meth:`Calculator.by_worker_over`, which ``score`` uses and ``focus``, the digests and
the urgency goal-impact term can use too. All of it is set-based SQL, never a loop
over cases in Python.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from casecli.core.errors import UsageError
from casecli.core.measures import child_support as cs
from casecli.core.measures import child_welfare as cw
from casecli.core.measures.periods import Period, ffy_of, month_of
from casecli.core.measures.query import (  # noqa: F401  (measures.Options: callers use the name)
    Options,
    Query,
    cohort_window,
)
from casecli.core.store.scope import workers_clause

Family = Callable[["Query"], dict[str, cs.Rows]]


@dataclass(frozen=True)
class Measure:
    id: str
    title: str
    program: str  # child_support | child_welfare
    direction: str  # higher | lower: which is better
    unit: str  # percent | rate (per ``per`` days) | ratio (dollars per dollar)
    family: Family  # the query that computes it (and perhaps its siblings)
    counts: tuple[str, str]  # what the numerator and the denominator count
    work: tuple[str, str]  # the unit of work in a gap, singular and plural
    follow_up_months: int = 0  # a cohort followed this long after the period's window
    federal_table: int | None = None  # 45 CFR 305.33 table for IV-D measures
    per: int = 1000  # a rate's days: moves per 1,000 days, victimisations per 100,000
    cohort: str = "children who entered"  # who a follow-up measure's window holds
    fiscal: bool = False  # judged by federal fiscal year: the default period is the FFY
    level: str = "case"  # case: sums up from workers; office: an office's (costs.csv)

    @property
    def iv_d(self) -> bool:
        return self.federal_table is not None

    @property
    def scale(self) -> float:
        """What the numerator / denominator is multiplied by: 100 for a percent, the days
        of a rate (1,000 or 100,000), 1 for a ratio."""
        return float(self.per) if self.unit == "rate" else SCALE[self.unit]


SCALE = {"percent": 100.0, "rate": 1000.0, "ratio": 1.0}


def figure(value: float | None, unit: str, digits: int = 1) -> str:
    """A performance or a target as people read it: 75.4% for a percent, 1.93 for a rate
    per 1,000 days, $4.62 for a ratio (dollars collected per dollar spent); – for none."""
    if value is None:
        return "–"
    if unit == "percent":
        return f"{value:.{digits}f}%"
    if unit == "ratio":
        return f"${value:.2f}"
    return f"{value:.2f}"


def default_period(measure: Measure, today: date) -> Period:
    """The period a measure is shown for when none is asked: the federal fiscal year
    ``today`` is in for a fiscal-year measure (FFY2027 on 2026-11-24), else the month."""
    return ffy_of(today) if measure.fiscal else month_of(today)


def _m(*args: Any, **kwargs: Any) -> Measure:
    return Measure(*args, **kwargs)


CS, CW = "child_support", "child_welfare"
MEASURES: dict[str, Measure] = {
    m.id: m
    for m in (
        _m("support_orders", "Cases with a support order", CS, "higher", "percent",
           cs.support_orders, ("with an order", "open IV-D cases"),
           ("case with an order", "cases with an order"), federal_table=1, fiscal=True),
        _m("current_collections", "Current support collected", CS, "higher", "percent",
           cs.collections, ("cents distributed", "cents due"),
           ("current support", "current support"), federal_table=2, fiscal=True),
        _m("arrears_collections", "Cases paying on arrears", CS, "higher", "percent",
           cs.collections, ("paying toward arrears", "cases with arrears due"),
           ("case paying toward arrears", "cases paying toward arrears"), federal_table=2,
           fiscal=True),
        _m("paternity_establishment", "Paternity established", CS, "higher", "percent",
           cs.paternity_establishment, ("paternity established", "children born out of wedlock"),
           ("child with paternity established", "children with paternity established"),
           federal_table=1, fiscal=True),
        _m("monthly_visits", "Children visited monthly", CW, "higher", "percent", cw.visits,
           ("visited", "child-months in care"), ("child visit", "child visits")),
        _m("visits_in_home", "Visits where the child lives", CW, "higher", "percent", cw.visits,
           ("visited where the child lives", "visited child-months"),
           ("child visited at home", "children visited at home")),
        _m("timely_response", "Children seen in time", CW, "higher", "percent",
           cw.timely_response, ("seen in time", "investigations opened"),
           ("investigation seen in time", "investigations seen in time")),
        _m("investigations_closed_on_time", "Investigations closed on time", CW, "higher",
           "percent", cw.investigations, ("within the limit", "investigations closed"),
           ("investigation closed on time", "investigations closed on time")),
        _m("investigations_overdue", "Open investigations overdue", CW, "lower", "percent",
           cw.investigations, ("past the limit", "open investigations"),
           ("overdue investigation", "overdue investigations")),
        _m("permanency_12_months", "Permanency in 12 months", CW, "higher", "percent",
           cw.permanency, ("to permanency in 12 months", "children who entered care"),
           ("child reaching permanency", "children reaching permanency"), follow_up_months=12,
           fiscal=True),
        _m("permanency_12_23_months", "Permanency, in care 12-23 mo", CW, "higher",
           "percent", cw.permanency_in_care, ("to permanency", "in care 12-23 months"),
           ("child reaching permanency", "children reaching permanency"), fiscal=True),
        _m("permanency_24_months", "Permanency, in care 24+ mo", CW, "higher", "percent",
           cw.permanency_in_care, ("to permanency", "in care 24 months or more"),
           ("child reaching permanency", "children reaching permanency"), fiscal=True),
        _m("reentry_12_months", "Re-entry within 12 months", CW, "lower", "percent",
           cw.reentry, ("re-entered", "children discharged home"), ("re-entry", "re-entries"),
           follow_up_months=24, fiscal=True),
        _m("placement_stability", "Placement moves /1,000 days", CW, "lower", "rate",
           cw.placement_stability, ("placement moves", "days in care"),
           ("placement move", "placement moves"), fiscal=True),
        _m("maltreatment_in_care", "Maltreated in care /100k days", CW, "lower", "rate",
           cw.maltreatment_in_care, ("victimisations", "days in care"),
           ("victimisation in care", "victimisations in care"), per=100_000, fiscal=True),
        _m("recurrence_12_months", "Maltreatment recurrence", CW, "lower",
           "percent", cw.recurrence, ("with another report", "children with a substantiated report"),
           ("recurrence", "recurrences"), follow_up_months=12,
           cohort="children first reported", fiscal=True),
        # Last: its counts come from the payments query of current_collections (cached).
        _m("cost_effectiveness", "Cost-effectiveness", CS, "higher", "ratio",
           cs.collections, ("cents collected", "cents spent"),
           ("dollar collected", "dollars collected"), federal_table=3, fiscal=True,
           level="office"),
    )
}  # fmt: skip
# The families whose every count belongs to one case and reads only that case's rows
# (its own row, people, events, removals, payments, recorded events): a case's share of
# their counts changes only when a sync changes that case, so a sync brings their kept
# counts up to date by counting the cases it changed alone, before and after
# (``kept_counts.refresh``). The others follow a child across cases (removals and
# findings by person) and are counted again whole.
PER_CASE = frozenset(
    (cs.support_orders, cs.collections, cs.paternity_establishment, cw.visits,
     cw.timely_response, cw.investigations)
)  # fmt: skip
# The families whose statements read the events recorded in casecli (``recorded_events``,
# the one local table any count reads): visits and contacts done (``done_events``) and
# substantiated findings (``_FINDINGS``). The others count the same whatever is recorded, so
# their kept counts outlive a recorded event (``kept_counts.KeptCounts.read``);
# tests/test_kept_counts.py records every kind of event and checks that they do not move.
READS_RECORDED = frozenset(
    (cw.visits, cw.timely_response, cw.maltreatment_in_care, cw.recurrence)
)  # fmt: skip
# The singular of the count labels above that can be 1 (Measure.counts are plural):
# "visited: 1 of 1 child-month in care", "1 placement move in 1 day in care".
COUNT_ONE = {
    "open IV-D cases": "open IV-D case",
    "cases with arrears due": "case with arrears due",
    "children born out of wedlock": "child born out of wedlock",
    "child-months in care": "child-month in care",
    "visits": "visit",
    "investigations opened": "investigation opened",
    "investigations closed": "investigation closed",
    "open investigations": "open investigation",
    "children who entered care": "child who entered care",
    "children discharged home": "child discharged home",
    "placement moves": "placement move",
    "days in care": "day in care",
    "victimisations": "victimisation",
    "children with a substantiated report": "child with a substantiated report",
}


def family_name(family: Family) -> str:
    """A measure family as kept counts name it (its module and name)."""
    return f"{getattr(family, '__module__', '')}.{getattr(family, '__qualname__', family)}"


FAMILIES: dict[str, Family] = {family_name(m.family): m.family for m in MEASURES.values()}


def get(measure_id: str) -> Measure:
    """The measure ``measure_id``, or a one-sentence error listing the known ones."""
    measure = MEASURES.get(measure_id.strip().lower())
    if measure is not None:
        return measure
    from casecli.core.words import did_you_mean

    hint = did_you_mean(measure_id, MEASURES) or f"use one of {', '.join(MEASURES)}."
    raise UsageError(f"{measure_id!r} is not a measure casecli knows; {hint}")


def for_programs(programs: Iterable[str]) -> list[Measure]:
    """The measures of these programs, in the registry's order."""
    wanted = set(programs)
    return [m for m in MEASURES.values() if m.program in wanted]


def scope_clause(kind: str, scope_id: str | None, alias: str = "c") -> tuple[str, list[Any]]:
    """An SQL condition on ``cases`` selecting a worker's, a unit's, an office's or all cases."""
    if kind == "worker":
        return f"{alias}.worker_id = ?", [scope_id]
    if kind in ("unit", "office"):
        return workers_clause(kind, scope_id, alias)
    if kind == "all":
        return "1 = 1", []
    raise UsageError(f"{kind!r} is not a scope; use worker, unit or office.")


@dataclass(frozen=True)
class Counts:
    numerator: int = 0
    denominator: int = 0
    pending: int = 0  # left out for now (an investigation still within its window)

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.numerator + other.numerator,
            self.denominator + other.denominator,
            self.pending + other.pending,
        )


def total(counts: Iterable[Counts]) -> Counts:
    out = Counts()
    for c in counts:
        out = out + c
    return out


@dataclass(frozen=True)
class Result:
    """A measure for one set of cases and one period."""

    measure: Measure
    period: Period
    numerator: int
    denominator: int
    performance: float | None  # percent 0-100, or a rate per ``per`` days; None: no figure
    complete: bool  # False: the period or the measure's follow-up has not ended yet
    notes: tuple[str, ...] = ()  # why it is incomplete, what it covers, what is pending
    pending: int = 0

    @property
    def note(self) -> str | None:
        return "; ".join(self.notes) or None

    @property
    def exact(self) -> float | None:
        """The performance unrounded (``performance`` is rounded to 2 decimals for
        display): what a table is read from, so 79.996% is row 79, never 80 (issue 13)."""
        if self.performance is None or not self.denominator:
            return None
        return self.measure.scale * self.numerator / self.denominator


TO_DATE = "to date: the period runs to {end}"


def result(measure: Measure, period: Period, today: date, counts: Counts) -> Result:
    """The performance from counts, with whether it is final and notes when it is not."""
    perf = (
        round(measure.scale * counts.numerator / counts.denominator, 2)
        if counts.denominator
        else None
    )
    complete, notes = period.complete(today), []
    if measure.follow_up_months:
        start, end = cohort_window(period, measure.follow_up_months)
        entered = f"{measure.cohort} {start.isoformat()} to {end.isoformat()}"
        if not complete:
            perf = None
            notes.append(
                f"incomplete: {entered} are followed until {period.end.isoformat()}; "
                "choose a period that has ended"
            )
        else:
            notes.append(entered)
    elif not complete:
        notes.append(TO_DATE.format(end=period.end.isoformat()))
    if counts.pending:
        notes.append(f"{counts.pending} still within the response window, not counted yet")
    return Result(
        measure,
        period,
        counts.numerator,
        counts.denominator,
        perf,
        complete,
        tuple(notes),
        counts.pending,
    )


def whole_ffy(period: Period) -> bool:
    """Whether ``period`` is a whole federal fiscal year (1 October – 30 September)."""
    fy = ffy_of(period.start)
    return (period.start, period.end) == (fy.start, fy.end)


def _with_note(res: Result, note: str) -> Result:
    return replace(res, notes=(note, *res.notes))


def office_result(
    conn: sqlite3.Connection,
    measure: Measure,
    period: Period,
    today: date,
    by_worker: Mapping[str | None, Counts],
    office_of: Mapping[str, str | None],
    office_id: str | None,
) -> Result:
    """An office-level measure (``cost_effectiveness``) for ``office_id``, or for all
    offices (None): dollars collected in the office's IV-D cases (``by_worker``: the
    collections query's counts per assigned worker, who places a case in an office,
    ``office_of``) over the dollars it spent in the fiscal year (costs.csv), as a ratio.

    - Only for a whole federal fiscal year: costs.csv gives a year's expenditures, and a
      month's collections over a year's spending would mean nothing. A running year is
      to date: its collections so far over the expenditures the row gives.
    - An office without a costs.csv row for the year has no figure, and the note says so
      in one sentence. For all offices: the sum of collections over the sum of
      expenditures of the offices that have a row for the year; an office that
      collected support but has no row is left out of both sums, and named, since its
      collections without its costs would flatter the ratio. Support collected in cases
      of no office (unassigned, or a worker without an office) is in no office's sum.
    """
    fy = ffy_of(period.end)
    if not whole_ffy(period):
        return Result(
            measure, period, 0, 0, None, period.complete(today),
            (f"a fiscal-year measure (costs.csv gives a year's expenditures): --period "
             f"{fy.label} shows it",),
        )  # fmt: skip
    spent = cs.expenditures(conn, period.label)
    collected: dict[str | None, int] = {}
    for worker, counts in by_worker.items():
        office = office_of.get(worker) if worker is not None else None
        collected[office] = collected.get(office, 0) + counts.numerator
    if office_id is not None:
        res = result(
            measure, period, today, Counts(collected.get(office_id, 0), spent.get(office_id, 0))
        )
        if office_id not in spent:
            return _with_note(
                res,
                f"no costs.csv rows for office {office_id} in {period.label}: "
                "cost-effectiveness needs the office's expenditures",
            )
        return res
    total = Counts(sum(collected.get(o, 0) for o in spent), sum(spent.values()))
    res = result(measure, period, today, total)
    if not spent:
        return _with_note(
            res,
            f"no costs.csv rows for any office in {period.label}: cost-effectiveness needs "
            "the offices' expenditures",
        )
    missing = sorted(o for o, n in collected.items() if o is not None and n and o not in spent)
    if missing:
        shown = ", ".join(missing[:5]) + (", …" if len(missing) > 5 else "")
        noun = "office" if len(missing) == 1 else "offices"
        return _with_note(res, f"{noun} {shown} left out: no costs.csv row for {period.label}")
    return res


def not_applicable(measure: Measure, period: Period, today: date, kind: str) -> Result:
    """An office-level measure for a worker or a unit: no figure, and why."""
    return Result(
        measure, period, 0, 0, None, period.complete(today),
        (f"an office-level measure (dollars collected per dollar the office spends), not "
         f"a {kind}'s",),
    )  # fmt: skip


def read_in_part(measure: Measure, period: Period, today: date) -> Result:
    """A measure that follows a child across cases, for a login of a team store that
    reads only some of them: no figure, and why (``score.scorecard``)."""
    return Result(
        measure, period, 0, 0, None, period.complete(today),
        ("follows each child across every case they have been in, and on this team store"
         " your login reads only some of them: an admin's score shows it",),
    )  # fmt: skip


class Calculator:
    """Computes measures over one store as of ``today``, caching each query's result
    (one query can serve several measures, and several callers)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        today: date,
        options: Options | None = None,
        keep: Any = None,
    ) -> None:
        """``keep``: a ``kept_counts.KeptCounts``, where counts computed earlier today (and still
        true) are found and new ones are kept; None computes everything."""
        self.conn, self.today, self.options = conn, today, options or Options()
        self.keep = keep
        # (family, where, params, period) -> measure id -> worker -> counts
        self._cache: dict[tuple[Any, ...], dict[str, dict[str | None, tuple[int, int, int]]]] = {}
        self._made: dict[tuple[Any, ...], dict[str | None, Counts]] = {}  # as Counts
        self._once: dict[tuple[Any, ...], Any] = {}

    def _kept_key(self, family: Family, where: str, params: tuple[Any, ...], p: Period) -> str:
        name = family_name(family)
        return "|".join(
            (name, where, repr(params), p.label, p.start.isoformat(), p.end.isoformat(),
             repr(self.options), self.today.isoformat())
        )  # fmt: skip

    def _from_kept(
        self, family: Family, where: str, params: tuple[Any, ...], periods: Iterable[Period]
    ) -> None:
        """Fill the cache with what ``keep`` holds of these periods."""
        if self.keep is None:
            return
        wanted = [
            (self._kept_key(family, where, params, p), p)
            for p in dict.fromkeys(periods)
            if (family, where, params, p) not in self._cache
        ]
        for p, found in self.keep.read(family, where, params, wanted, self.options).items():
            self._cache[(family, where, params, p)] = found

    def _to_kept(
        self, family: Family, where: str, params: tuple[Any, ...], periods: Iterable[Period]
    ) -> None:
        if self.keep is not None:
            self.keep.put(
                [(self._kept_key(family, where, params, p), self._cache[(family, where, params, p)],
                  self._spec(family, where, params, p))
                 for p in periods]
            )  # fmt: skip

    def _spec(
        self, family: Family, where: str, params: tuple[Any, ...], p: Period
    ) -> dict[str, Any]:
        """What the counts kept under a key were computed from, for a sync to compute
        them again for the cases it changes (``kept_counts.refresh``)."""
        return {
            "family": family_name(family), "where": where, "params": list(params),
            "period": [p.start.isoformat(), p.end.isoformat(), p.label, p.kind],
            "options": [self.options.closure_days, self.options.response_hours],
            "today": self.today.isoformat(),
        }  # fmt: skip

    def by_worker_over(
        self, measure_id: str, where: str, params: Iterable[Any], periods: Iterable[Period]
    ) -> list[dict[str | None, Counts]]:
        """The measure's counts for the cases ``where`` selects, per assigned worker, for
        each period: one query per measure family for every period not yet computed."""
        measure = get(measure_id)
        params, periods = tuple(params), tuple(periods)
        self._from_kept(measure.family, where, params, periods)
        missing = tuple(
            dict.fromkeys(
                p for p in periods if (measure.family, where, params, p) not in self._cache
            )
        )
        if missing:
            self._fill(measure.family, where, params, missing, self.conn)
            self._to_kept(measure.family, where, params, missing)
        out = []
        for p in periods:
            key = (measure.family, where, params, p, measure.id)
            if key not in self._made:  # made once: a digest run asks again per worker
                rows = self._cache[(measure.family, where, params, p)].get(measure.id, {})
                self._made[key] = {worker: Counts(*row) for worker, row in rows.items()}
            out.append(self._made[key])  # shared: callers read it, never change it
        return out

    def total_of(self, key: tuple[Any, ...], counts: Callable[[], Iterable[Counts]]) -> Counts:
        """``total(counts())``, worked out once per ``key`` (an office's or a unit's
        figure, asked again for each of its workers' scorecards)."""
        return self.once(("total", *key), lambda: total(counts()))

    def once(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """``make()``, worked out once per ``key`` for this calculator's run (what every
        scorecard of a digest run reads alike: the staff's units, an office's sums)."""
        if key not in self._once:
            self._once[key] = make()
        return self._once[key]

    def prefetch(self, jobs: Iterable[tuple[str, str, Iterable[Any], Iterable[Period]]]) -> None:
        """Compute ahead, side by side, what :meth:`by_worker_over` will be asked for
        (``jobs``: measure id, where, params, periods): each family's statement for all its
        periods not yet computed, on one read connection per core (two on this project's
        machine: an office's 13 statements take ~1.6 s instead of ~3 s at 1.3M cases). As
        when they run one after another on one connection, each statement reads the store
        as it is when it runs. A store with no file to open twice, one core, or a single
        statement to make, or a connection inside a transaction of its own (what it wrote
        is not yet for others to see): computed here, one after another."""
        wanted: dict[tuple[Any, ...], dict[Period, None]] = {}
        for measure_id, where, params, periods in jobs:
            family = get(measure_id).family
            key = (family, where, tuple(params))
            periods = tuple(periods)
            self._from_kept(family, where, tuple(params), periods)
            for p in periods:
                if (*key, p) not in self._cache:
                    wanted.setdefault(key, {})[p] = None
        if not wanted:
            return
        workers = min(len(wanted), os.cpu_count() or 1, 2)
        conns = []
        if workers > 1 and not self.conn.in_transaction:  # others could not see its writes
            from casecli.core.store import store

            conns = [c for c in (store.sibling(self.conn) for _ in range(workers)) if c]
        try:
            if len(conns) < 2:
                for (family, where, params), periods in wanted.items():
                    self._fill(family, where, params, tuple(periods), self.conn)
                return
            import queue
            from concurrent.futures import ThreadPoolExecutor

            pool: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
            for c in conns:
                pool.put(c)

            def run(item: tuple[tuple[Any, ...], dict[Period, None]]) -> None:
                (family, where, params), periods = item
                conn = pool.get()
                try:
                    self._fill(family, where, params, tuple(periods), conn)
                finally:
                    pool.put(conn)

            with ThreadPoolExecutor(len(conns)) as ex:
                list(ex.map(run, wanted.items()))
        finally:
            for c in conns:
                c.close()
            for (family, where, params), periods in wanted.items():
                if all((family, where, params, p) in self._cache for p in periods):
                    self._to_kept(family, where, params, periods)

    def _fill(
        self, family: Family, where: str, params: tuple[Any, ...], periods: tuple[Period, ...],
        conn: sqlite3.Connection,
    ) -> None:  # fmt: skip
        found = family(Query(conn, where, params, periods, self.today, self.options))
        for i, p in enumerate(periods):
            self._cache[(family, where, params, p)] = {
                m: {w: row for (j, w), row in rows.items() if j == i} for m, rows in found.items()
            }

    def by_worker(
        self, measure_id: str, where: str, params: Iterable[Any], period: Period
    ) -> dict[str | None, Counts]:
        """The measure's counts for the cases ``where`` selects, per assigned worker."""
        return self.by_worker_over(measure_id, where, params, [period])[0]

    def counts(self, measure_id: str, where: str, params: Iterable[Any], period: Period) -> Counts:
        return total(self.by_worker(measure_id, where, params, period).values())

    def result(self, measure_id: str, where: str, params: Iterable[Any], period: Period) -> Result:
        counts = self.counts(measure_id, where, params, period)
        return result(get(measure_id), period, self.today, counts)

    def results(
        self, measure_id: str, where: str, params: Iterable[Any], periods: Iterable[Period]
    ) -> list[Result]:
        """The measure for each period (computed together)."""
        periods = list(periods)
        rows = self.by_worker_over(measure_id, where, params, periods)
        m = get(measure_id)
        return [
            result(m, p, self.today, total(r.values())) for p, r in zip(periods, rows, strict=True)
        ]


def compute(
    conn: sqlite3.Connection,
    measure_id: str,
    where: str,
    params: Iterable[Any],
    period: Period,
    today: date,
    options: Options | None = None,
) -> Result:
    """One measure for the cases ``where`` selects (a condition on ``cases c``)."""
    return Calculator(conn, today, options).result(measure_id, where, params, period)
