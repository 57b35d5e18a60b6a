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
"""

from __future__ import annotations

import bisect
import json
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from casecli.core.engine import playbooks
from casecli.core.engine.engine import CaseView
from casecli.core.engine.urgency import stuck_days
from casecli.core.errors import CasecliError
from casecli.core.local import kept, kept_places
from casecli.core.measures import measures
from casecli.core.store.scope import (
    Actor,
    close_ids,
    home,
    office_clause,
    staff_clause,
    unit_clause,
    workers_clause,
)
from casecli.core.views import caseload
from casecli.core.views.caseload import WaitGroup
from casecli.core.views.load import (
    Figures,
    WorkerLoad,
    case_figures,
    case_hours,
    parts_of,
    worker_load,
)
from casecli.core.views.staffing import Owners, Worker, carried, owners
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


def _unit_row(conn: sqlite3.Connection, unit_id: str) -> dict[str, Any] | None:
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
    unit = _unit_row(conn, unit_id)
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


def view_for(
    conn: sqlite3.Connection, who: Actor, unit_id: str | None, **kw: Any
) -> UnitView | OfficeView:
    """``casecli unit [UNIT_ID]``: the unit named, else the view of ``who``'s home (a
    supervisor's unit, a manager's office); a worker is sent to ``next``, an admin asked
    to name one. ``kw`` as :func:`unit_view` takes them."""
    place = home(who) if unit_id is None else None
    if place is not None and place[0] == "unit":
        unit_id = place[1]
    elif place is not None:
        return office_view(conn, who, place[1], **kw)
    if unit_id is None:
        if who.role == "worker":
            raise CasecliError(
                "The unit view is for supervisors and managers; casecli next shows your work."
            )
        raise CasecliError("Name the unit: casecli unit UNIT_ID.")
    return unit_view(conn, who, unit_id, **kw)


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


def _staff(conn: sqlite3.Connection, where: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
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


def _open_views(
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
    return kept_views(
        conn, f"c.status = 'open' AND ({where})", params, assigned=assigned,
        today=today, books=books, coef=coef, redact=redact,
    )  # fmt: skip


@kept.bulk()
def kept_views(
    conn: sqlite3.Connection,
    where: str,
    params: list[Any] | tuple[Any, ...],
    *,
    assigned: tuple[str, list[Any]] | None = None,
    today: date,
    books: dict[str, playbooks.Playbook],
    coef: dict[str, float],
    redact: bool = False,
    behind: dict[str, dict[str, float]] | None = None,
    me: str | None = None,
    full: bool = False,
) -> list[Any]:
    """``caseload.views`` for the open cases ``where`` selects, most urgent first, for
    the views over many cases: the assigned ones as kept briefs (``casecli.core.local.kept``:
    evaluated only where nothing true is kept; ``full``: with every action, for ranked
    lists), the unassigned ones evaluated whole (the owners list shows their actions; they
    are few). ``behind`` and ``me`` as ``caseload.views`` takes them; a case's brief is
    kept per what they give its worker (the variant). ``assigned``: the part of ``where``
    that selects its assigned cases, as a condition on ``c.worker_id`` alone
    (``scope.assigned_clause``), which the index of a worker's cases answers without
    reading a case (``where`` is used when not given)."""
    behind = behind or {}
    kw: dict[str, Any] = {"today": today, "books": books, "coef": coef, "redact": redact}
    kw |= {"behind": behind, "me": me}
    mine, mine_params = assigned or (where, list(params))
    cases = sorted(
        (str(c), str(w)) for c, w in conn.execute(ASSIGNED.format(where=mine), mine_params)
    )
    variants = {
        w: v
        for w in {w for _, w in cases}
        if (v := variant(behind.get(w), me is not None and w == me))
    }

    def evaluate(missing: list[str]) -> list[kept.Brief]:
        return _briefs_apart(conn, missing, kw) or _briefs_here(conn, missing, kw)

    briefs = kept.briefs(
        conn, cases, today=today, books=books, coef=coef, redact=redact, evaluate=evaluate,
        variants=variants, full=full,
    )  # fmt: skip
    nobody = caseload.views(
        conn, f"c.status = 'open' AND c.worker_id IS NULL AND ({where})", list(params), **kw
    )
    return sorted([*briefs, *nobody], key=lambda v: (-v.urgency, v.case_id))


def refresh_briefs(
    conn: sqlite3.Connection, *, today: date, books: dict[str, playbooks.Playbook],
    coef: dict[str, float],
) -> None:  # fmt: skip
    """After a sync: evaluate again the cases it changed among those whose briefs are kept
    for ``today`` or later (by these playbooks and urgency settings, either redact
    setting, each worker's variant), and keep them, as the first view would have; that
    view then reads them. A sync into a store with nothing kept evaluates nothing (issue
    15 item 3); one after the nightly warm of a 60,000-case office's manager, 3,822 of
    whose cases a 1% delta changed, paid about 2.5 s for it (in one process: no group has
    enough changed cases for a second), and each manager command after it 1-1.5 s less."""
    rows = kept.kept_rows(conn, today)
    if not rows:
        return
    stamps = {kept.stamp(conn, books, coef, r): r for r in (False, True)}
    changes: dict[tuple[Any, ...], list[dict[str, int]]] = {}  # (read once for every group)
    groups: dict[tuple[str, bool, str], list[str]] = {}
    for worker, kind, stamp, day in rows:
        if stamp in stamps:
            groups.setdefault((day, stamps[stamp], kind), []).append(worker)
    for (day, redact, kind), workers in sorted(groups.items()):
        try:
            behind, mine = _unvariant(kind)
        except (ValueError, TypeError):  # a cell not as written: its view evaluates them
            continue
        held = _held(conn, sorted(workers))
        for who in [[w] for w in sorted(workers)] if mine else _chunks(held):
            kw: dict[str, Any] = {"today": date.fromisoformat(day), "books": books,
                                  "coef": coef, "redact": redact,
                                  "behind": {w: behind for w in who} if behind else {},
                                  "me": who[0] if mine else None}  # fmt: skip
            cases = sorted((c, w) for w in who for c in held.get(w, []))

            def evaluate(missing: list[str], kw: dict[str, Any] = kw) -> list[kept.Brief]:
                return _briefs_apart(conn, missing, kw) or _briefs_here(conn, missing, kw)

            kept.briefs(
                conn, cases, today=kw["today"], books=books, coef=coef, redact=redact,
                evaluate=evaluate, variants=dict.fromkeys(who, kind) if kind else {},
                read=False, changes=changes,
            )  # fmt: skip


def _held(conn: sqlite3.Connection, workers: list[str]) -> dict[str, list[str]]:
    """Each of ``workers`` with their open assigned cases (none: an empty list), in order."""
    out: dict[str, list[str]] = {w: [] for w in workers}
    for i in range(0, len(workers), 500):
        part = workers[i : i + 500]
        where = f"c.worker_id IN ({', '.join('?' * len(part))})"
        for c, w in conn.execute(ASSIGNED.format(where=where), part):
            out[str(w)].append(str(c))
    return out


def _chunks(held: dict[str, list[str]], most: int = 6_000) -> list[list[str]]:
    """The workers of ``held`` in groups holding about ``most`` open cases at most (one
    worker may hold more): what a sync brings up to date at once, so that its memory stays
    bounded (a 60,000-case office's briefs at once took the sync from 120 MB to 340 MB)."""
    out: list[list[str]] = [[]]
    count = 0
    for w, cases in held.items():
        if out[-1] and count + len(cases) > most:
            out.append([])
            count = 0
        out[-1].append(w)
        count += len(cases)
    return out


def _unvariant(kind: str) -> tuple[dict[str, float], bool]:
    """The goals behind and whether the user is the worker, from :func:`variant`'s text."""
    if not kind:
        return {}, False
    items, mine = json.loads(kind)
    return {str(k): float(v) for k, v in items}, bool(mine)


# The open assigned cases a condition on c.worker_id selects, and their workers: with
# cases_worker (worker_id, status, _gone_on), from the index alone (schema 10).
ASSIGNED = (
    "SELECT c.case_id, c.worker_id FROM cases c WHERE c.status = 'open' AND c._gone_on IS NULL"
    " AND c.worker_id IS NOT NULL AND ({where})"
)


def variant(behind: dict[str, float] | None, mine: bool) -> str:
    """What an evaluation was given besides the case's rows: the goals its worker is
    behind on (the goal_impact term) and whether the user is its worker ("you are");
    '' for neither, the variant every view without goals shares."""
    if not behind and not mine:
        return ""
    return json.dumps([sorted((behind or {}).items()), mine])


# Cases to evaluate before a second process is worth its start-up (~0.25 s, on the other
# core): from about 0.5 s of evaluating. 3,400 cases of a 60,000-case office after a sync:
# 0.94 s here alone, 0.5 s split (4,000 until then).
PARALLEL_AT = 2000


def _briefs_here(conn: sqlite3.Connection, ids: list[str], kw: dict[str, Any]) -> list[kept.Brief]:
    """Evaluate the cases ``ids`` on ``conn`` into briefs."""
    conn.execute("DROP TABLE IF EXISTS temp.kept_ids")
    conn.execute("CREATE TEMP TABLE kept_ids (case_id TEXT PRIMARY KEY) WITHOUT ROWID")
    try:
        conn.executemany("INSERT INTO temp.kept_ids VALUES (?)", [(c,) for c in ids])
        views = caseload.views(conn, "c.case_id IN (SELECT case_id FROM temp.kept_ids)", [], **kw)
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.kept_ids")
    return [kept.brief_of(v, parts_of(case_figures(v, kw["today"], kw["books"]))) for v in views]


def _briefs_apart(
    conn: sqlite3.Connection, ids: list[str], kw: dict[str, Any]
) -> list[kept.Brief] | None:
    """Many cases to evaluate (the first view of a day, of a large office) on a machine
    with more than one core: a second process (``casecli.core.apart``) evaluates part of
    them while this one does the rest, or, called from a worker thread (the TUI's), two
    other processes evaluate them all (issue 15 item 3: the first view pays once, in
    parallel). The other process reads the store on its own connection; it may see a sync
    that landed since, which only makes a brief newer than its marks (re-evaluated later,
    never stale). On a team store it connects as the same login (``team.address``, given
    on its stdin): evaluating is Python's work, and in one process a manager's first
    view or ``db warm`` of 60,000 cases took 2.5 times the personal store's. None, to
    evaluate here alone: few cases, one core, no store file, a connection inside its own
    transaction, or no process could start; when the other process fails, its part is
    evaluated here."""
    import os
    import pickle
    import threading

    from casecli.core.apart import Apart
    from casecli.core.store.store import on_team

    if len(ids) < PARALLEL_AT or (os.cpu_count() or 1) < 2 or conn.in_transaction:
        return None
    if on_team(conn):
        from casecli.core.store import team

        where: tuple[str, bool] = (team.address(conn), True)
    else:
        path = kept.store_path(conn)
        if path is None:
            return None
        where = (str(path), False)
    # From a worker thread (the TUI's, while its event loop keeps the screen alive) both
    # parts go to other processes: this one would share its core with the event loop.
    # Otherwise this process takes a part, the other starts later so takes a little less.
    here_too = threading.current_thread() is threading.main_thread()
    cut = len(ids) * 9 // 20 if here_too else len(ids) // 2
    parts = [ids[:cut]] if here_too else [ids[:cut], ids[cut:]]
    children: list[tuple[list[str], Apart]] = []
    try:
        for part in parts:
            children.append((part, Apart(CHILD, (*where, part, kw))))
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        for _, child in children:
            child.stop()
        return None
    try:
        mine = _briefs_here(conn, ids[cut:], kw) if here_too else []
    except BaseException:
        for _, child in children:
            child.stop()
        raise
    got: list[kept.Brief] = []
    for part, child in children:
        try:
            got += [kept.from_row(row) for row in child.result()]
        except Exception:  # noqa: BLE001  (whatever it answered: its part here)
            got += _briefs_here(conn, part, kw)
    return [*got, *mine]


# What the other process runs (casecli.core.apart).
CHILD = "from casecli.core.views.unit import _evaluate_child; _evaluate_child()"


def _evaluate_child() -> None:
    """In the other process: given (store, whether it is a team store's address, case
    ids, evaluation settings), answer the briefs (as kept rows: kept.row_of)."""
    from casecli.core import apart
    from casecli.core.store import store, team

    path, on_team, ids, kw = apart.given()
    conn = team.open_store(path) if on_team else store.connect(Path(path))
    try:
        briefs = _briefs_here(conn, ids, kw)
    finally:
        conn.close()
    apart.answer([kept.row_of(b) for b in briefs])


def _unit_from(
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


def _scored(scorer: Scorer, view: UnitView, measure: str | None) -> UnitView:
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
    views = _open_views(
        conn, cases, tuple(params), assigned=workers_clause("unit", unit_id),
        today=today, books=books, coef=coef, redact=redact,
    )  # fmt: skip
    view = _unit_from(
        unit, _staff(conn, "s.unit_id = ?", (unit_id,)), views, today, stuck_days(coef), books
    )
    scorer = Scorer(conn, today, books, where, (unit_id,))
    return _scored(scorer, view, key_measure(conn, "unit", unit_id))


def _measures_ahead(
    conn: sqlite3.Connection, today: date, books: dict[str, playbooks.Playbook], where: str,
    params: tuple[Any, ...], keys: list[str],
) -> threading.Thread | None:  # fmt: skip
    """Start computing an office's key measures (``Scorer.prefetch``) in another thread,
    on connections of its own, and keep them beside the store (``kept_counts.KeptCounts``) while
    this thread reads and evaluates the cases: the measures' statements run in SQLite
    (outside Python's lock), the cases in Python. The view's own ``Scorer`` then reads
    what was kept. After a sync (the counts are computed again whole) this took an office
    of 60,000 cases from 3.9 s to 3.5 s on two cores. None, and nothing started, when
    nothing can be kept beside the store (there would be no way to hand the counts over)
    or there is no file to open again; whatever goes wrong in the thread is left to the
    view's own ``Scorer``, which computes what it does not find kept."""
    if not keys or conn.in_transaction or not kept.can_keep(conn):
        return None
    from casecli.core.store import store

    other = store.sibling(conn)
    if other is None:
        return None

    def run() -> None:
        try:
            scorer = Scorer(other, today, books, where, params)
            try:
                scorer.prefetch(keys)
            finally:
                scorer.close()
        except Exception:  # noqa: BLE001, S110  (the view computes what was not kept)
            pass
        finally:
            other.close()

    thread = threading.Thread(target=run, name="casecli-measures", daemon=True)
    try:
        thread.start()
    except RuntimeError:  # no thread to be had: the view's own Scorer computes them
        other.close()
        return None
    return thread


def office_view(
    conn: sqlite3.Connection,
    who: Actor,
    office_id: str,
    *,
    today: date,
    books: dict[str, playbooks.Playbook],
    coef: dict[str, float],
    redact: bool = False,
) -> OfficeView:
    """Every unit of the office side by side, with the office's board and bottlenecks: as
    kept earlier today when nothing at all has changed since, brought forward when local
    writes alone have (only the units holding the cases they name are made again:
    :func:`_office_patched`), else worked out and kept (``kept_places.KeptView``)."""
    name = check_office(conn, who, office_id)
    keep = kept_places.KeptView(conn, f"office {office_id}", today, books, coef, redact)
    kw: dict[str, Any] = {"today": today, "books": books, "coef": coef, "redact": redact}
    view: OfficeView = keep.through(
        conn,
        lambda: _office_view(conn, office_id, name, **kw),
        lambda found, parts, written, recorded: _office_patched(
            conn, found, parts, written, recorded, **kw
        ),
        lambda found: isinstance(found, OfficeView) and found.office_id == office_id,
    )
    return view


# What an office view keeps of each of its open cases (its parts, beside it): the unit it
# is counted in (its worker's, an unassigned case's own; one that is none of the office's
# units': the office's own), and its urgency (its place on the board).
Seen = tuple[str | None, float]


@kept.bulk()
def _office_view(
    conn: sqlite3.Connection,
    office_id: str,
    name: str,
    *,
    today: date,
    books: dict[str, playbooks.Playbook],
    coef: dict[str, float],
    redact: bool,
) -> tuple[OfficeView, dict[str, Any]]:
    """The office view worked out whole, with its parts (what :func:`_office_patched`
    brings it forward from: per case, a :data:`Seen`; the measures the office and each
    unit show, which only a sync can change)."""
    where = workers_clause("office", office_id)[0]  # the measures' cases
    programs = programs_of(conn, where, (office_id,))
    keys = [KEY_MEASURES[p] for p in KEY_MEASURES if any(p in n for n in programs.values())]
    ahead = _measures_ahead(conn, today, books, where, (office_id,), keys)
    cases, params = office_clause(office_id)  # with its unassigned cases
    try:
        views = _open_views(
            conn, cases, tuple(params), assigned=workers_clause("office", office_id),
            today=today, books=books, coef=coef, redact=redact,
        )  # fmt: skip
    finally:
        if ahead is not None:
            ahead.join()
    staff = _staff(conn, "s.office_id = ?", (office_id,))
    unit_of = {s["staff_id"]: s["unit_id"] for s in staff}
    by_unit: dict[str | None, list[CaseView]] = defaultdict(list)
    for v in views:  # once, not once per unit; an unassigned case by the unit it names
        worker = v.case["worker_id"]
        by_unit[unit_of.get(worker) if worker is not None else v.case.get("unit_id")].append(v)
    office_wide = {p: sum(n.get(p, 0) for n in programs.values()) for p in KEY_MEASURES}
    parts: dict[str, Any] = {
        "cases": {v.case_id: (part, v.urgency) for part, vs in by_unit.items() for v in vs},
        "keys": keys,
        "unit_keys": {u: key_of(programs.get(u, {})) for u in units_of(conn, office_id)},
        "office_keys": [
            KEY_MEASURES[p]
            for p, _ in sorted(office_wide.items(), key=lambda kv: -kv[1])
            if office_wide[p]
        ],
        "case_hours": case_hours(views, books),
        # the case types each worker carries: who could take the office's own cases
        "carried": {w: sorted(t) for w, t in carried(views).items()},
    }
    units = []
    for unit_id in parts["unit_keys"]:
        unit = _unit_row(conn, unit_id)
        assert unit is not None
        mine_staff = [s for s in staff if s["unit_id"] == unit_id]
        mine = by_unit.get(unit_id, [])
        units.append(_unit_from(unit, mine_staff, mine, today, stuck_days(coef), books))
    whole = (board(views), tuple(caseload.waiting(views)))
    return _office_from(conn, office_id, name, units, by_unit, staff, parts, whole,
                        today=today, books=books, coef=coef), parts  # fmt: skip


@kept.bulk()
def _office_patched(
    conn: sqlite3.Connection,
    view: OfficeView,
    parts: dict[str, Any],
    written: set[str],
    recorded: bool,
    *,
    today: date,
    books: dict[str, playbooks.Playbook],
    coef: dict[str, float],
    redact: bool,
) -> tuple[OfficeView, dict[str, Any]] | None:
    """The office ``view`` kept with its ``parts``, brought forward over local writes
    that named the cases ``written`` (no sync since: ``kept_places.KeptView``): the units
    holding any of them made again from their cases' briefs (the written ones evaluated
    again, the others read as kept), the office's own cases (those of no unit of it: few,
    unassigned) evaluated again, the measures read again when an event was ``recorded``
    (a visit counts in them; no measure reads a barrier, a note or goal progress: the
    scores are then as kept), the office's figures and owners added up again from the
    units, and the written cases put in their places on the board and in the bottlenecks
    (by the urgency :data:`Seen` keeps of every case). A local write cannot move a case
    into or out of the office or a unit, close it or change who works there (only a sync
    writes ``cases`` and ``staff``), so a case the writes do not name is as kept. None, to
    work it out whole, when more than ``kept_places.PATCH_MOST`` cases would be read, or
    the parts are not as :func:`_office_view` keeps them.

    A write landing while this reads (after the kept marks were taken: ``KeptView``) is
    seen by the next view as written since; until then the case keeps its kept urgency
    here, so that the board stays in the order the next view puts it back into."""
    try:
        index: dict[str, Seen] = dict(parts["cases"])
        unit_keys = dict(parts["unit_keys"])
        if (
            [u.unit_id for u in view.units] != list(unit_keys)
            or not isinstance(parts["keys"], list)
            or not isinstance(parts["office_keys"], list)
            or not isinstance(parts["carried"], dict)
            or not isinstance(parts["case_hours"], tuple)
        ):
            return None
        per_case = all(
            measures.MEASURES[m].family in measures.PER_CASE for m in parts["keys"]
        )  # each count is one case's, its worker's
        hit = {index[c][0] for c in written if c in index}
        outside = any(c not in index for c in written)  # (another office's; a closed case)
        by_part: dict[str | None, list[str]] = defaultdict(list)
        for case_id, seen in index.items():
            by_part[seen[0]].append(case_id)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None
    theirs_ids = [c for p, ids in by_part.items() if p not in unit_keys for c in ids]
    again = [c for p in hit if p in unit_keys for c in by_part[p]] + theirs_ids
    if len(again) > kept_places.PATCH_MOST:
        return None
    kw: dict[str, Any] = {"today": today, "books": books, "coef": coef, "redact": redact}
    # an unassigned case is evaluated whole at each view (it has no kept brief): one the
    # writes do not name is as the kept owners list shows it
    kept_view = {x.case_id: x.view for x in view.owners.unassigned if x.case_id not in written}
    ids = [c for c in again if c not in kept_view]
    views = _views_of(conn, ids, kw) if ids else []
    views = sorted(
        [*views, *(kept_view[c] for c in again if c in kept_view)],
        key=lambda v: (-v.urgency, v.case_id),
    )
    staff = _staff(conn, "s.office_id = ?", (view.office_id,))
    changed = written & set(again)  # (the others of their parts are as they were)
    was = {c: index.pop(c) for c in changed}  # (one no longer open: gone from the board)
    fresh: dict[str | None, list[CaseView]] = defaultdict(list)
    for v in views:
        part = was[v.case_id][0] if v.case_id in was else index[v.case_id][0]
        if v.case_id in changed:
            index[v.case_id] = (part, v.urgency)
        fresh[part].append(v)
    now = [v for v in views if v.case_id in changed]
    urgency = {c: seen[1] for c, seen in index.items()}
    whole = (
        board_again(view.board, urgency, changed, now),
        tuple(caseload.waiting_again(view.bottlenecks, changed, now)),
    )
    units = []
    for u in view.units:
        if u.unit_id in hit:
            unit = _unit_row(conn, u.unit_id)
            if unit is None:
                return None
            mine_staff = [s for s in staff if s["unit_id"] == u.unit_id]
            u = _unit_from(
                unit, mine_staff, fresh.get(u.unit_id, []), today, stuck_days(coef), books
            )
        units.append(u)
    by_theirs = {p: vs for p, vs in fresh.items() if p not in unit_keys}
    parts = {**parts, "cases": index}
    rescore: set[str | None] | None = None if recorded else set()
    if recorded and per_case and not outside and hit <= unit_keys.keys():
        # only the units holding the cases move (a case of the office's own may be a
        # worker's who left, whose unit still counts it: then every unit's)
        rescore = hit
    return _office_from(conn, view.office_id, view.office_name, units, by_theirs, staff, parts,
                        whole, today=today, books=books, coef=coef,
                        scored=(view, rescore)), parts  # fmt: skip


def _views_of(conn: sqlite3.Connection, ids: list[str], kw: dict[str, Any]) -> list[CaseView]:
    """The open cases ``ids`` as an office view reads them (``kept_views``), most urgent
    first."""
    out: list[CaseView] = []
    for i in range(0, len(ids), kept_places.PATCH_MOST):  # (at most 32,766 parameters)
        part = ids[i : i + kept_places.PATCH_MOST]
        where = f"c.status = 'open' AND c.case_id IN ({', '.join('?' * len(part))})"
        out += kept_views(conn, where, part, **kw)
    return sorted(out, key=lambda v: (-v.urgency, v.case_id))


def _office_from(
    conn: sqlite3.Connection, office_id: str, name: str, units: list[UnitView],
    by_part: dict[str | None, list[CaseView]], staff: list[dict[str, Any]],
    parts: dict[str, Any],
    whole: tuple[tuple[SituationGroup, ...], tuple[WaitGroup, ...]], *, today: date,
    books: dict[str, playbooks.Playbook], coef: dict[str, float],
    scored: tuple[OfficeView, set[str | None] | None] | None = None,
) -> OfficeView:  # fmt: skip
    """The office from its ``units`` (not yet scored), the views of its own cases (those
    ``by_part`` holds under a key that is none of its units), its ``staff``, ``parts``
    and its ``whole`` board and bottlenecks: the units scored, the office's figures and
    owners. ``scored``: an office view kept, and the units whose measures may have moved
    since (None: any unit's; the office's are read again unless that is empty): the
    others show the scores it shows."""
    kept_view, again = scored or (None, None)
    if kept_view is not None and again is not None and not again:
        units = [_scored_as(u, kept_view) for u in units]
        scores = kept_view.scores
    else:
        where = workers_clause("office", office_id)[0]  # the measures' cases
        scorer = Scorer(conn, today, books, where, (office_id,))
        try:
            scorer.prefetch(parts["keys"])  # read as kept (or as the other thread kept them)
            units = [
                _scored_as(u, kept_view)
                if kept_view is not None and again is not None and u.unit_id not in again
                else _scored(scorer, u, parts["unit_keys"].get(u.unit_id))
                for u in units
            ]
            scores = tuple(scorer.office(office_id, m) for m in parts["office_keys"])
        finally:
            scorer.close()
    # the office's own cases: those naming no unit of it (only the office)
    shown = {u.unit_id for u in units}
    theirs = [v for key, vs in by_part.items() if key not in shown for v in vs]
    figures = Figures()
    for u in units:
        figures += u.figures
    for v in theirs:
        figures += case_figures(v, today, books)
    types = {str(w): set(t) for w, t in parts["carried"].items()}
    own = owners(theirs, _pool(staff, units, theirs, today, books), types)
    everyone = Owners(
        tuple(sorted((*own.unassigned, *(x for u in units for x in u.owners.unassigned)),
                     key=lambda x: (-x.view.urgency, x.case_id))),
        tuple(x for u in units for x in u.owners.held) + own.held,
    )  # fmt: skip
    return OfficeView(
        office_id, name, figures, tuple(units), *whole, scores, stuck_days(coef), everyone,
        parts["case_hours"],
    )  # fmt: skip


def _scored_as(view: UnitView, office: OfficeView) -> UnitView:
    """The unit with the scores its view in ``office`` shows (its and each worker's)."""
    was = next(u for u in office.units if u.unit_id == view.unit_id)
    if was is view:
        return view
    scores = {w.staff_id: w.score for w in was.workers}
    workers = tuple(replace(w, score=scores.get(w.staff_id)) for w in view.workers)
    return replace(view, workers=workers, score=was.score)


def _pool(
    staff: list[dict[str, Any]], units: list[UnitView], theirs: list[CaseView], today: date,
    books: dict[str, playbooks.Playbook],
) -> list[Worker]:  # fmt: skip
    """Every one of ``staff`` as who could take an unassigned case of the office's own
    (``staffing.pool_from`` over all the office's views): a worker's load is their unit's
    (a unit's view holds every case of its workers), else worked out from ``theirs`` (a
    worker of no unit of the office), or from none (an inactive worker holding nothing)."""
    loads = {w.staff_id: w for u in units for w in u.workers}
    shown = {u.unit_id for u in units}
    mine: dict[str, list[CaseView]] = defaultdict(list)
    for v in theirs:
        if v.case.get("worker_id") is not None:
            mine[str(v.case["worker_id"])].append(v)
    out = []
    for s in staff:
        sid = str(s["staff_id"])
        load = loads.get(sid) if s.get("unit_id") in shown else None
        if load is None:
            load = worker_load(s, mine.get(sid, []), today, books)
        out.append(Worker(load.staff_id, load.name, s.get("unit_id"), load.active,
                          load.figures.capacity))  # fmt: skip
    return out


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
