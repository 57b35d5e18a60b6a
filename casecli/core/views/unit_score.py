"""The key measure of a unit, its workers and its office: this month against the goal,
with the months before it as a trend, for the unit view and ``casecli unit``.

A unit is scored on the measure of the program most of its open cases are in
(``KEY_MEASURES``); one batched measure statement gives every worker's figures.

Always this month, though current collections is a fiscal-year measure whose default
in ``score`` and ``focus`` is the federal fiscal year (issue 13 item 14): the unit and
office views are the month's dashboard, read beside the months before as a trend, and
current collections is also reported monthly (DOMAIN.md). ``casecli score`` gives the
year.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from casecli.core.engine import playbooks
from casecli.core.measures import goals, kept_counts, measures, periods
from casecli.core.measures.score import gap

TREND_MONTHS = 6
KEY_MEASURES = {"child_welfare": "monthly_visits", "child_support": "current_collections"}


@dataclass(frozen=True)
class KeyScore:
    """A key measure for a worker, a unit or an office: this month against its goal."""

    measure: str  # the measure id
    title: str
    unit: str  # percent | rate | ratio (measures.Measure.unit)
    direction: str  # higher | lower: which is better
    period: str  # the month scored (to date while it runs)
    performance: float | None  # None: nothing to count yet
    target: float | None  # None: no goal applies
    goal_scope: str | None  # where the goal was set ("unit:U001")
    gap: float | None  # > 0 short of the goal, <= 0 met
    trend: tuple[tuple[str, float | None], ...]  # the months before, oldest first

    @property
    def met(self) -> bool | None:
        return None if self.gap is None else self.gap <= 0


# Open cases per unit and program: from the index of a worker's cases alone (schema 10).
PROGRAMS = (
    "SELECT s.unit_id, c.program, count(*) FROM cases c JOIN staff s ON s.staff_id = c.worker_id"
    " WHERE c.status = 'open' AND c._gone_on IS NULL AND {where} GROUP BY s.unit_id, c.program"
)


def programs_of(
    conn: sqlite3.Connection, where: str, params: tuple[Any, ...]
) -> dict[str | None, dict[str, int]]:
    """Open cases per unit and program, for the cases ``where`` selects."""
    out: dict[str | None, dict[str, int]] = defaultdict(dict)
    for unit_id, program, n in conn.execute(PROGRAMS.format(where=where), params):
        out[unit_id][str(program)] = int(n)
    return out


def key_of(by_program: dict[str, int]) -> str | None:
    """The key measure of the program most of these open cases are in (KEY_MEASURES'
    order breaks a tie); None when none of them is in a program with a key measure."""
    ranked = sorted(
        (p for p in KEY_MEASURES if by_program.get(p)),
        key=lambda p: (-by_program[p], list(KEY_MEASURES).index(p)),
    )
    return KEY_MEASURES[ranked[0]] if ranked else None


def key_measure(conn: sqlite3.Connection, kind: str, scope_id: str) -> str | None:
    """The key measure of a unit (or a worker, or an office) by its open cases' program."""
    where, params = measures.scope_clause(kind, scope_id)
    counts: dict[str, int] = defaultdict(int)
    for by_program in programs_of(conn, where, tuple(params)).values():
        for p, n in by_program.items():
            counts[p] += n
    return key_of(counts)


class Scorer:
    """Key measures for the workers and units of one unit or office: each measure's
    counts for every worker and the seven months in one statement (cached by the
    calculator), and each measure's goals in one read."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        today: date,
        books: dict[str, playbooks.Playbook],
        where: str,
        params: tuple[Any, ...],
    ) -> None:
        self.conn, self.today, self.where, self.params = conn, today, where, params
        self.calc = measures.Calculator(
            conn,
            today,
            measures.Options.from_playbooks(books),
            keep=kept_counts.KeptCounts(conn, today),
        )
        self.period = periods.month_of(today)
        self.months = periods.last_months(self.period, TREND_MONTHS, today)
        self._rows: dict[str, list[dict[str | None, measures.Counts]]] = {}  # per measure

    def close(self) -> None:
        """Close the kept counts' file (the store's connection is the caller's)."""
        keep = self.calc.keep
        if keep is not None:
            keep.close()

    def prefetch(self, measure_ids: list[str]) -> None:
        """Compute these key measures' seven months ahead, side by side (what was kept
        earlier today and is still true is read instead)."""
        self.calc.prefetch(
            (m, self.where, self.params, [self.period, *self.months]) for m in measure_ids
        )

    def _counts(self, measure: str) -> list[dict[str | None, measures.Counts]]:
        """Every worker's counts for the seven months, made once per measure (an office's
        76 units each read the office's)."""
        if measure not in self._rows:
            self._rows[measure] = self.calc.by_worker_over(
                measure, self.where, self.params, [self.period, *self.months]
            )
        return self._rows[measure]

    def _score(
        self,
        measure: str,
        rows: list[dict[str | None, measures.Counts]],
        who: set[str] | None,
        goal: goals.Goal | None,
    ) -> KeyScore:
        m = measures.get(measure)

        def perf(p: periods.Period, r: dict[str | None, measures.Counts]) -> float | None:
            # a worker's or a unit's: look its members up, not every worker of the office
            chosen = r.values() if who is None else (r[w] for w in who if w in r)
            counts = measures.total(chosen)
            return measures.result(m, p, self.today, counts).performance

        now = perf(self.period, rows[0])
        target = goal.target if goal else None
        trend = tuple((p.label, perf(p, r)) for p, r in zip(self.months, rows[1:], strict=True))
        return KeyScore(
            m.id, m.title, m.unit, m.direction, self.period.label, now, target,
            goal.scope if goal else None, gap(m, now, target), trend,
        )  # fmt: skip

    def unit(
        self, unit_id: str, office_id: str | None, workers: list[str], measure: str
    ) -> tuple[dict[str, KeyScore], KeyScore]:
        """The key measure of each of a unit's ``workers`` (staff ids) and of the unit,
        against their goals (``unit.unit_view`` puts them in the view)."""
        rows = self._counts(measure)
        office = [("office", office_id)] if office_id else []
        unit_reach = [("unit", unit_id), *office]
        reaches = {w: [("worker", w), *unit_reach] for w in workers}
        found = goals.goals_along(self.conn, measure, self.period, {"": unit_reach, **reaches})
        by_worker = {w: self._score(measure, rows, {w}, found[w]) for w in workers}
        members = {str(r[0]) for r in self.conn.execute(
            "SELECT staff_id FROM staff WHERE unit_id = ?", (unit_id,))}  # fmt: skip
        return by_worker, self._score(measure, rows, members, found[""])

    def office(self, office_id: str, measure: str) -> KeyScore:
        found = goals.goals_along(self.conn, measure, self.period, {"": [("office", office_id)]})
        return self._score(measure, self._counts(measure), None, found[""])
