"""The unit and office views: each worker's load, the cases by situation, what they wait on.

Pure functions over the engine's case views (``caseload.views``) plus the few queries that
say who works in a unit or an office and who may look at it. Definitions, per worker:

- **caseload**: the worker's open cases (not marked gone by a full export).
- **due now**: the actions the engine lists on those cases that are due today or
  earlier (so every overdue action is also due now), plus the undated ones: chasing a
  wait older than a week, making contact after a life change. Those are due the moment
  they appear.
- **overdue**: step actions whose due date is before today. **behind** is the same
  count; a worker with any is behind.
- **waiting**: open cases with at least one barrier (a wait the case cannot move past).
- **capacity used**: the hours the caseload needs over the next 14 days, over the hours
  the worker has in them (two weeks of ``hours_per_week``; 40 when the export leaves it
  blank); 1.0 is a full fortnight. The hours needed are two parts (DOMAIN.md,
  "Workload"), both playbook settings:

  - **case hours**: each open case's steady work, its playbook's
    ``case_hours_per_month`` (foster care 7, investigation 10, in-home 6, child support
    0.4 by default), for 14 days of a month: × 14 / 30.4375 (a month being 365.25 / 12
    days). The recurring steps (``every = "month"``: the monthly visit, contact or
    enforcement action) are part of this steady work, so their effort is not counted
    again below.
  - **step hours** (``effort_hours``): the ``effort_hours`` of the dated steps, open or
    overdue, due within the next 14 days (every overdue one counts: it is still to do).

  So 20 foster care cases and 3 hours of steps due for a 40-hour worker:
  (20 × 7 × 14 / 30.4375 + 3) / 80 = (64.4 + 3) / 80 = 84%. The same rule gives the
  unit's and the office's figure (the sums of hours over the sums of hours), the TUI's,
  and the "could take it" order for unassigned cases (``staffing``).

A unit's figures are the sums over its workers; an office's, the sums over its units.

**Key measure** (score against goal): the one measure a unit is held to, chosen by the
program most of the unit's open cases are in (``KEY_MEASURES``): a child-welfare unit,
``monthly_visits`` (children in care visited in the month); a child-support unit,
``current_collections`` (current support collected over current support due). The
unit, each of its workers and each unit of an office show it for the month of
``today`` (to date, as ``casecli score`` does) against the goal that applies (the
worker's, else the unit's, else the office's: ``goals``), with the six months before
it (``periods.last_months``: only months that have ended) as a trend. It comes from
one batched statement per measure for every worker and all seven months
(``measures.Calculator.by_worker_over``) and one read of the goals, never a query per
worker. An office shows each of its programs' key measure over the whole office.
Scope: a supervisor may look at their own unit, a manager at every unit of their office,
an admin at anything; a worker at none (``casecli next`` is theirs).

The office view (every unit of an office side by side, kept and brought forward) is
``casecli.core.views.office``; the kept briefs these views read instead of evaluating
every case, ``casecli.core.views.briefs``.
"""

from __future__ import annotations

import bisect
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Protocol

from casecli.core.engine import playbooks
from casecli.core.engine.engine import CaseView
from casecli.core.engine.urgency import stuck_days
from casecli.core.errors import CasecliError
from casecli.core.local import kept, kept_places
from casecli.core.store.scope import (
    Actor,
    close_ids,
    home,
    staff_clause,
    unit_clause,
    workers_clause,
)
from casecli.core.views import briefs, caseload
from casecli.core.views.caseload import WaitGroup
from casecli.core.views.load import (
    Figures,
    WorkerLoad,
    case_figures,
    case_hours,
    worker_load,
)
from casecli.core.views.staffing import Owners, Worker, owners
from casecli.core.views.unit_score import (  # noqa: F401  (KeyScore, key_measure: used by callers)
    KEY_MEASURES,
    KeyScore,
    Scorer,
    key_measure,
    key_of,
    programs_of,
)
from casecli.core.words import days, plural

SITUATIONS = ("overdue", "act now", "court soon", "waiting", "on track")


@dataclass(frozen=True)
class SituationGroup:
    situation: str  # one of SITUATIONS
    count: int
    case_ids: tuple[str, ...]  # most urgent first


@dataclass(frozen=True)
class UnitView:
    unit_id: str
    unit_name: str
    office_id: str | None
    supervisor: str | None  # name
    figures: Figures
    workers: tuple[WorkerLoad, ...]  # most behind first
    board: tuple[SituationGroup, ...]
    bottlenecks: tuple[WaitGroup, ...]
    score: KeyScore | None = None  # the unit's key measure against its goal
    stuck_days: int = 90  # urgency.stuck_days: what "stuck" means in figures.stuck
    owners: Owners = Owners()  # unassigned cases, inactive workers holding cases
    case_hours: tuple[tuple[str, float], ...] = ()  # case_hours_per_month by case type here


@dataclass(frozen=True)
class OfficeView:
    office_id: str
    office_name: str
    figures: Figures
    units: tuple[UnitView, ...]
    board: tuple[SituationGroup, ...]
    bottlenecks: tuple[WaitGroup, ...]
    scores: tuple[KeyScore, ...] = ()  # each program's key measure, office-wide
    stuck_days: int = 90  # urgency.stuck_days
    owners: Owners = Owners()  # the units' and the office's own: unassigned, held
    case_hours: tuple[tuple[str, float], ...] = ()  # case_hours_per_month by case type here


# Pure ---------------------------------------------------------------------------------


def situation_group(situation: str) -> str:
    """The board column of a case's situation ("waiting on housing" -> "waiting")."""
    return "waiting" if situation.startswith("waiting") else situation


class _Placed(Protocol):
    """A case's id and situation: a CaseView, or what an office keeps of it."""

    @property
    def case_id(self) -> str: ...

    @property
    def situation(self) -> str: ...


def board(views: Sequence[_Placed]) -> tuple[SituationGroup, ...]:
    """Cases grouped by situation, in SITUATIONS order; ``views`` come most urgent first."""
    groups: dict[str, list[str]] = defaultdict(list)
    for v in views:
        if v.situation != "closed":
            groups[situation_group(v.situation)].append(v.case_id)
    return tuple(SituationGroup(s, len(groups[s]), tuple(groups[s])) for s in SITUATIONS)


def board_again(
    groups: tuple[SituationGroup, ...], urgency: dict[str, float], gone: set[str],
    fresh: Sequence[_Placed],
) -> tuple[SituationGroup, ...]:  # fmt: skip
    """:func:`board` of the cases ``groups`` were made of, less those of ``gone``, with
    ``fresh`` (cases of ``gone`` as they are now): each put in its place by ``urgency``
    (every case's there, most urgent first, ties by case id, as the board's order), not
    every case sorted again (an office's board after a write names a case or two)."""
    columns = {g.situation: list(g.case_ids) for g in groups}
    for g in groups:
        if any(c in gone for c in g.case_ids):
            columns[g.situation] = [c for c in g.case_ids if c not in gone]
    for v in fresh:
        if v.situation != "closed":
            column = columns.setdefault(situation_group(v.situation), [])
            at = bisect.bisect_left(column, (-urgency[v.case_id], v.case_id),
                                    key=lambda c: (-urgency[c], c))  # fmt: skip
            column.insert(at, v.case_id)
    return tuple(
        SituationGroup(s, len(columns.get(s, ())), tuple(columns.get(s, ()))) for s in SITUATIONS
    )


def _most_behind(loads: list[WorkerLoad]) -> tuple[WorkerLoad, ...]:
    return tuple(
        sorted(loads, key=lambda w: (-w.behind, -w.figures.due_now, -w.figures.open_cases, w.name))
    )


def _total(loads: list[WorkerLoad] | tuple[WorkerLoad, ...]) -> Figures:
    total = Figures()
    for w in loads:
        total += w.figures
    return total


def bottleneck_words(g: WaitGroup) -> str:
    """'substance treatment — 14 cases, median 38 days'."""
    return f"{g.what} — {wait_counts(g)}"


def stuck_words(count: int, stuck_days: int) -> str:
    """'14 steps stuck > 90 days — reconcile with the system of record' (issue 12): steps
    overdue so long that the data, not the work, is the likely problem."""
    return (
        f"{plural(count, 'step')} stuck > {days(stuck_days)} — reconcile with the system of record"
    )


def wait_counts(g: WaitGroup) -> str:
    """'14 cases, median 38 days'; '1 case, median 1 day'."""
    return f"{plural(g.count, 'case')}, median {days(round(g.median_days))}"


# Scope --------------------------------------------------------------------------------


def unit_row(conn: sqlite3.Connection, unit_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT unit_id, max(unit_name), max(office_id),"
        " max(CASE WHEN role = 'supervisor' THEN name END)"
        " FROM staff WHERE unit_id = ? AND _gone_on IS NULL GROUP BY unit_id",
        (unit_id,),
    ).fetchone()
    if row is None:
        return None
    return dict(zip(("unit_id", "unit_name", "office_id", "supervisor"), row, strict=True))


def check_unit(conn: sqlite3.Connection, who: Actor, unit_id: str) -> dict[str, Any]:
    """The unit (id, name, office, supervisor's name) if it exists and ``who`` may see it."""
    unit = unit_row(conn, unit_id)
    if unit is None:
        raise CasecliError(
            f"There is no unit {unit_id} in the store; check the unit id"
            + close_ids(conn, "unit_id", unit_id)
        )
    allowed = (
        who.role == "admin"
        or (who.role == "supervisor" and who.unit_id == unit_id)
        or (who.role == "manager" and who.office_id is not None and who.office_id == unit["office_id"])
    )  # fmt: skip
    if not allowed:
        if who.role == "worker":
            raise CasecliError(
                "The unit view is for supervisors and managers; casecli next shows your work."
            )
        mine = (
            f"your unit ({who.unit_id})"
            if who.role == "supervisor"
            else f"your office ({who.office_id})"
        )
        raise CasecliError(f"Unit {unit_id} is not in {mine}, so you cannot see it.")  # fmt: skip
    return unit


def check_office(conn: sqlite3.Connection, who: Actor, office_id: str) -> str:
    """The office's name if it exists and ``who`` may see all of it (a manager's, or admin)."""
    if not _has_office(conn, office_id):
        raise CasecliError(
            f"There is no office {office_id} in the store; check the office id"
            + close_ids(conn, "office_id", office_id)
        )
    if who.role == "admin" or (who.role == "manager" and who.office_id == office_id):
        return _office_name(conn, office_id)
    if who.role == "supervisor":
        raise CasecliError(
            f"Office {office_id} is more than your unit; try casecli bottlenecks --unit {who.unit_id}."
        )
    if who.role == "manager":
        raise CasecliError(f"Office {office_id} is not your office ({who.office_id}).")
    raise CasecliError(
        "The office view is for managers; casecli waiting shows what your cases wait on."
    )


def _office_name(conn: sqlite3.Connection, office_id: str) -> str:
    row = conn.execute(
        "SELECT max(office_name) FROM staff WHERE office_id = ? AND _gone_on IS NULL", (office_id,)
    ).fetchone()
    return str(row[0] or office_id)


def _has_office(conn: sqlite3.Connection, office_id: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM staff WHERE office_id = ?", (office_id,)).fetchone() is not None
    )


def check_worker(conn: sqlite3.Connection, who: Actor, staff_id: str) -> dict[str, Any]:
    """A staff member whose cases ``who`` may see (themself, their unit's, their office's)."""
    cur = conn.execute(
        "SELECT staff_id, name, role, unit_id, office_id, hours_per_week, active FROM staff"
        " WHERE staff_id = ?",
        (staff_id,),
    )
    row = cur.fetchone()
    if row is None:
        raise CasecliError(
            f"There is no staff member {staff_id} in the store; check the id"
            + close_ids(conn, "staff_id", staff_id)
        )
    staff = dict(zip([d[0] for d in cur.description], row, strict=True))
    allowed = (
        who.role == "admin"
        or who.staff_id == staff_id
        or (who.role == "supervisor" and who.unit_id is not None and staff["unit_id"] == who.unit_id)
        or (who.role == "manager" and who.office_id is not None and staff["office_id"] == who.office_id)
    )  # fmt: skip
    if not allowed:
        raise CasecliError(f"{staff_id} is not in your scope, so you cannot see their cases.")
    return staff


def bottlenecks_of(
    conn: sqlite3.Connection,
    who: Actor,
    unit_id: str | None,
    office_id: str | None,
    *,
    today: date,
) -> tuple[str, list[WaitGroup]]:
    """``casecli bottlenecks``: the title ('Central (U001)') and what a unit or an office
    waits on; with neither given, the supervisor's unit or the manager's office. Only the
    records barriers depend on are read (:func:`caseload.bottlenecks`): no case is
    evaluated."""
    if unit_id is None and office_id is None:
        place = home(who)
        if place is not None and place[0] == "unit":
            unit_id = place[1]
        elif place is not None:
            office_id = place[1]
        elif who.role == "worker":
            raise CasecliError(
                "Bottlenecks are for a unit or an office; casecli waiting shows your cases' waits."
            )
        else:
            raise CasecliError("Name one: casecli bottlenecks --unit U or --office O.")
    if office_id is not None:
        title = f"{check_office(conn, who, office_id)} ({office_id})"
        return title, _kept_bottlenecks(conn, "office", office_id, today)
    assert unit_id is not None
    title = f"{check_unit(conn, who, unit_id)['unit_name']} ({unit_id})"
    return title, _kept_bottlenecks(conn, "unit", unit_id, today)


def _kept_bottlenecks(
    conn: sqlite3.Connection, kind: str, place_id: str, today: date
) -> list[WaitGroup]:
    """What a unit's or an office's assigned cases wait on (``caseload.bottlenecks``): as
    kept earlier today, with the cases written since read again (``kept_places.KeptWaits``;
    an office of 60,000 cases reads its waits' records whole in 1.4 s), else read whole and
    kept. It depends on the store and the day alone: no playbook, urgency setting or
    --redact."""
    where, params = workers_clause(kind, place_id)
    keep = kept_places.KeptWaits(conn, f"bottlenecks {kind} {place_id}", today)
    waits = keep.waits(
        conn, lambda ids: caseload.waits_of(conn, where, params, today=today, ids=ids)
    )
    return caseload.grouped(waits)


def units_for(conn: sqlite3.Connection, who: Actor) -> list[tuple[str, str]]:
    """The units ``who`` may open, (unit id, name): a supervisor's own, a manager's
    office's, every unit for an admin (the first 500), none for a worker."""
    found = staff_clause(who)
    if found is None:
        return []
    where, params = found
    return conn.execute(
        f"SELECT unit_id, max(unit_name) FROM staff WHERE {where} AND unit_id IS NOT NULL"
        " GROUP BY unit_id ORDER BY unit_id LIMIT 500",
        params,
    ).fetchall()


def units_of(conn: sqlite3.Connection, office_id: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT unit_id FROM staff WHERE office_id = ? AND unit_id IS NOT NULL"
            " AND _gone_on IS NULL ORDER BY unit_id",
            (office_id,),
        )
    ]


# Views --------------------------------------------------------------------------------


def staff_of(conn: sqlite3.Connection, where: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Workers (and anyone holding open cases) of a unit or office. The others are asked
    apart: with an ``OR`` between the two, PostgreSQL read the open cases of the whole
    state once, under the cases policy, to hash them (0.37 s for a 754-strong office; each
    of the 77 others by the index of a worker's cases, 1.6 ms in all)."""
    columns = "s.staff_id, s.name, s.unit_id, s.office_id, s.hours_per_week, s.active"
    cur = conn.execute(
        f"SELECT {columns} FROM staff s WHERE {where} AND s._gone_on IS NULL"
        " AND s.role = 'worker'"
        f" UNION ALL SELECT {columns} FROM staff s WHERE {where} AND s._gone_on IS NULL"
        " AND (s.role IS NULL OR s.role <> 'worker') AND EXISTS ("
        "  SELECT 1 FROM cases c WHERE c.worker_id = s.staff_id AND c.status = 'open')"
        " ORDER BY 1",
        (*params, *params),
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur]


def open_views(
    conn: sqlite3.Connection,
    where: str,
    params: tuple[Any, ...],
    *,
    assigned: tuple[str, list[Any]],
    today: date,
    books: dict[str, playbooks.Playbook],
    coef: dict[str, float],
    redact: bool = False,
) -> list[Any]:
    return briefs.kept_views(
        conn, f"c.status = 'open' AND ({where})", params, assigned=assigned,
        today=today, books=books, coef=coef, redact=redact,
    )  # fmt: skip


def unit_from(
    unit: dict[str, Any], staff: list[dict[str, Any]], views: list[CaseView], today: date,
    stuck_days: int, books: dict[str, playbooks.Playbook],
) -> UnitView:  # fmt: skip
    """The unit from its open ``views``: its workers' cases and its unassigned ones (in
    the figures, the board and the bottlenecks, and first in ``owners``)."""
    by_worker: dict[str, list[CaseView]] = defaultdict(list)
    nobody = Figures()
    for v in views:
        if v.case["worker_id"] is None:
            nobody += case_figures(v, today, books)
        else:
            by_worker[str(v.case["worker_id"])].append(v)
    loads = [worker_load(s, by_worker.get(s["staff_id"], []), today, books) for s in staff]
    loads = [w for w in loads if w.active or w.figures.open_cases]
    pool = [
        Worker(w.staff_id, w.name, unit["unit_id"], w.active, w.figures.capacity) for w in loads
    ]
    return UnitView(
        unit["unit_id"], unit["unit_name"] or unit["unit_id"], unit["office_id"], unit["supervisor"],
        _total(loads) + nobody, _most_behind(loads), board(views), tuple(caseload.waiting(views)),
        stuck_days=stuck_days, owners=owners(views, pool), case_hours=case_hours(views, books),
    )  # fmt: skip


def with_scores(scorer: Scorer, view: UnitView, measure: str | None) -> UnitView:
    """The unit with its and its workers' key measure against their goals."""
    if measure is None:
        return view
    staff = [w.staff_id for w in view.workers]
    by_worker, score = scorer.unit(view.unit_id, view.office_id, staff, measure)
    workers = tuple(replace(w, score=by_worker[w.staff_id]) for w in view.workers)
    return replace(view, workers=workers, score=score)


@kept.bulk()
def unit_view(
    conn: sqlite3.Connection,
    who: Actor,
    unit_id: str,
    *,
    today: date,
    books: dict[str, playbooks.Playbook],
    coef: dict[str, float],
    redact: bool = False,
) -> UnitView:
    """The unit view for ``who``: workers most behind first, the board, the bottlenecks."""
    unit = check_unit(conn, who, unit_id)
    where = workers_clause("unit", unit_id)[0]  # the measures' cases
    cases, params = unit_clause(unit_id)  # with its unassigned cases
    views = open_views(
        conn, cases, tuple(params), assigned=workers_clause("unit", unit_id),
        today=today, books=books, coef=coef, redact=redact,
    )  # fmt: skip
    view = unit_from(
        unit, staff_of(conn, "s.unit_id = ?", (unit_id,)), views, today, stuck_days(coef), books
    )
    scorer = Scorer(conn, today, books, where, (unit_id,))
    return with_scores(scorer, view, key_measure(conn, "unit", unit_id))


def worker_cases(
    conn: sqlite3.Connection,
    who: Actor,
    staff_id: str,
    *,
    today: date,
    books: dict[str, playbooks.Playbook],
    coef: dict[str, float],
    redact: bool = False,
) -> tuple[WorkerLoad, list[CaseView]]:
    """One worker's load and open cases, most urgent first (the drill-down from a unit)."""
    staff = check_worker(conn, who, staff_id)
    views = caseload.views(
        conn, "c.status = 'open' AND c.worker_id = ?", (staff_id,),
        today=today, books=books, coef=coef, redact=redact,
    )  # fmt: skip
    return worker_load(staff, views, today, books), views


# Key measure against goal ------------------------------------------------------------------
