"""Performance goals: a target per measure for an office, a unit or a worker.

Goals live in the local table ``performance_goals`` (a sync never touches it); each is
written with its audit_log row in one transaction, and never changed: setting a goal
again adds a row, and the latest one set wins.

Who may set what: a supervisor, goals for their unit and its workers; a manager, for
their office, its units and their workers; an admin, anything; a worker, nothing.

Which goal applies (:func:`goal_for`): the scope's own, else its unit's (a worker's),
else its office's; at each level a goal for the period asked about beats an
every-period goal (``period`` NULL), and among equals the latest set wins.

Targets are in the measure's unit: a percent (0 to 100), a rate per 1,000 days (0 or
more), or for ``cost_effectiveness`` a ratio, dollars collected per dollar spent (above
0, at most 100: 4.5 is "$4.50 per $1"). Cost-effectiveness is an office's measure, so
its goal is set for an office only; a worker or a unit is refused in one sentence (they
have no figure to meet it with, and do not inherit it).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from casecli.core.errors import CasecliError, UsageError
from casecli.core.local.record import audit, timestamp, transaction
from casecli.core.measures import measures, periods
from casecli.core.measures.periods import Period
from casecli.core.store.scope import Actor, close_ids, home

SCOPE_KINDS = ("worker", "unit", "office")
_COLUMNS = "id, scope_kind, scope_id, measure, target, period, set_by, set_at"


@dataclass(frozen=True)
class Goal:
    id: int
    scope_kind: str
    scope_id: str
    measure: str
    target: float
    period: str | None  # a period label (2026-10, FFY2026, ...); None: every period
    set_by: str
    set_at: str

    @property
    def scope(self) -> str:
        return f"{self.scope_kind}:{self.scope_id}"


def example_scope(conn: sqlite3.Connection, who: Actor) -> str | None:
    """A scope ``who`` may set a goal for, for the example under an empty goal list:
    their unit (a supervisor), the first unit of their office (a manager), the first unit
    in the store (an admin); None for a worker, who sets none."""
    if who.role == "supervisor" and who.unit_id:
        return f"unit:{who.unit_id}"
    if who.role not in ("manager", "admin"):
        return None
    sql = "SELECT min(unit_id) FROM staff WHERE unit_id IS NOT NULL AND _gone_on IS NULL"
    args: tuple[str, ...] = ()
    if who.role == "manager":
        sql, args = sql + " AND office_id = ?", (str(who.office_id),)
    row = conn.execute(sql, args).fetchone()
    if row and row[0]:
        return f"unit:{row[0]}"
    return f"office:{who.office_id}" if who.role == "manager" and who.office_id else None


def parse_scope(text: str) -> tuple[str, str]:
    """``worker:W1``, ``unit:U1`` or ``office:O1`` → (kind, id)."""
    kind, sep, scope_id = text.strip().partition(":")
    kind, scope_id = kind.strip().lower(), scope_id.strip()
    if not sep or kind not in SCOPE_KINDS or not scope_id:
        raise UsageError(
            f"{text!r} is not a goal scope; write worker:STAFF_ID, unit:UNIT_ID or office:OFFICE_ID."
        )
    return kind, scope_id


def _staff(conn: sqlite3.Connection, staff_id: str) -> tuple[str | None, str | None] | None:
    row = conn.execute(
        "SELECT unit_id, office_id FROM staff WHERE staff_id = ?", (staff_id,)
    ).fetchone()
    return None if row is None else (row[0], row[1])


def _unit_office(conn: sqlite3.Connection, unit_id: str) -> str | None:
    row = conn.execute(
        "SELECT office_id FROM staff WHERE unit_id = ? AND office_id IS NOT NULL"
        " ORDER BY _gone_on IS NOT NULL, staff_id LIMIT 1",
        (unit_id,),
    ).fetchone()
    return None if row is None else str(row[0])


def check_scope(conn: sqlite3.Connection, kind: str, scope_id: str) -> None:
    """A one-sentence error when the worker, unit or office is not in the store."""
    if kind == "worker":
        found = _staff(conn, scope_id) is not None
    elif kind in ("unit", "office"):
        found = (
            conn.execute(f"SELECT 1 FROM staff WHERE {kind}_id = ? LIMIT 1", (scope_id,)).fetchone()
            is not None
        )
    else:
        raise UsageError(f"{kind!r} is not a goal scope; use worker, unit or office.")
    if not found:
        what = "staff member" if kind == "worker" else kind
        column = "staff_id" if kind == "worker" else f"{kind}_id"
        raise CasecliError(
            f"There is no {what} {scope_id} in the store; check the id"
            + close_ids(conn, column, scope_id)
        )


def chain(conn: sqlite3.Connection, kind: str, scope_id: str | None) -> list[tuple[str, str]]:
    """The scopes a goal is looked up in, nearest first: a worker, their unit, their office."""
    if scope_id is None or kind not in SCOPE_KINDS:
        return []
    if kind == "worker":
        unit_office = _staff(conn, scope_id) or (None, None)
        out = [("worker", scope_id)]
        out += [(k, v) for k, v in zip(("unit", "office"), unit_office, strict=True) if v]
        return out
    if kind == "unit":
        office = _unit_office(conn, scope_id)
        return [("unit", scope_id)] + ([("office", office)] if office else [])
    return [("office", scope_id)]


def may_set(conn: sqlite3.Connection, who: Actor, kind: str, scope_id: str) -> None:
    """Raise a one-sentence error unless ``who`` may set goals for this scope."""
    if who.role == "admin":
        return
    if who.role == "worker":
        raise CasecliError("Workers cannot set goals; ask your supervisor.")
    reach = chain(conn, kind, scope_id)
    place = home(who)
    if place is not None and place in reach:
        return
    if who.role == "supervisor":
        raise CasecliError(
            f"Supervisors set goals for their own unit ({who.unit_id}) and its workers; "
            f"{kind} {scope_id} is not in it."
        )
    if who.role == "manager":
        raise CasecliError(
            f"Managers set goals within their own office ({who.office_id}); "
            f"{kind} {scope_id} is not in it."
        )
    raise CasecliError(f"Your role ({who.role}) cannot set goals; ask an admin.")


def _period_label(period: Period | str | None) -> str | None:
    if period is None or isinstance(period, Period):
        return None if period is None else period.label
    return periods.parse(period, None).label if period.strip() else None


RATIO_LIMIT = 100.0  # dollars per dollar: far above any state's (about $4-7)


def _check_target(measure: measures.Measure, target: float) -> float:
    value = float(target)
    if measure.unit == "ratio":
        if not math.isfinite(value) or not 0 < value <= RATIO_LIMIT:
            raise UsageError(
                f"The target for {measure.id} must be dollars collected per dollar spent, "
                f"above 0 and at most {RATIO_LIMIT:g} (4.5 for $4.50 per $1), not {target}."
            )
        return value
    if not math.isfinite(value) or value < 0 or (measure.unit == "percent" and value > 100):
        limit = "a percent from 0 to 100" if measure.unit == "percent" else "a rate of 0 or more"
        raise UsageError(f"The target for {measure.id} must be {limit}, not {target}.")
    return value


def _check_level(kind: str, m: measures.Measure) -> None:
    """An office-level measure's goal is an office's (see the module docstring)."""
    if m.level == "office" and kind != "office":
        raise UsageError(
            f"{m.id} is an office-level measure (dollars collected per dollar the office "
            f"spends), so its goal is set for an office (office:OFFICE_ID), not a {kind}."
        )


PROGRAM_WORDS = {"child_support": "child support", "child_welfare": "child welfare"}


def _check_program(conn: sqlite3.Connection, kind: str, scope_id: str, m: measures.Measure) -> None:
    """A goal on a measure of a program the scope carries no case of is refused: it
    could never be met nor missed (issue 13 item 14). A scope with no open case yet (a
    new unit) may be given any goal."""
    clause, params = measures.scope_clause(kind, scope_id)
    carried = [
        r[0]
        for r in conn.execute(
            f"SELECT DISTINCT c.program FROM cases c WHERE c._gone_on IS NULL"
            f" AND c.status = 'open' AND ({clause}) ORDER BY 1",
            params,
        )
    ]
    if carried and m.program not in carried:
        programs = " and ".join(PROGRAM_WORDS.get(p, p) for p in carried)
        raise UsageError(
            f"{m.id} is a {PROGRAM_WORDS.get(m.program, m.program)} measure; {kind} "
            f"{scope_id} carries {programs} cases."
        )


def parse_target(text: str, m: measures.Measure, what: str = "TARGET") -> float:
    """A goal's target as typed: a number, a percent with or without '%' ('95%' is 95);
    '%' only on a percent measure. ``what`` names the target in the sentence a wrong one
    gets ("TARGET", the command's argument; "the target", the TUI's field)."""
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = float(raw.removesuffix("%").strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        named = what[:1].upper() + what[1:]
        raise UsageError(f"{named} must be a number like 95 or 4.5, not {text!r}.")
    if percent and m.unit != "percent":
        raise UsageError(f"{m.id} is not a percent: give {what} as a plain number, like 4.5.")
    return value


def set_goal(
    conn: sqlite3.Connection,
    who: Actor,
    scope_kind: str,
    scope_id: str,
    measure: str,
    target: float,
    period: Period | str | None = None,
    now: str | None = None,
) -> Goal:
    """Set a goal (a new row and its audit row, in one transaction); the goal as stored."""
    kind = scope_kind.strip().lower()
    scope_id = scope_id.strip()
    if kind not in SCOPE_KINDS:
        raise UsageError(f"{scope_kind!r} is not a goal scope; use worker, unit or office.")
    m = measures.get(measure)
    _check_level(kind, m)
    value = _check_target(m, target)
    label = _period_label(period)
    with transaction(conn):
        check_scope(conn, kind, scope_id)
        may_set(conn, who, kind, scope_id)
        _check_program(conn, kind, scope_id, m)
        at = now or timestamp()
        cur = conn.execute(
            "INSERT INTO performance_goals (scope_kind, scope_id, measure, target, period,"
            " set_by, set_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (kind, scope_id, m.id, value, label, who.staff_id, at),
        )
        new_id = int(cur.fetchall()[0][0])  # (every row: the statement is done)
        audit(
            conn,
            who,
            at,
            "goal",
            "performance_goals",
            new_id,
            {"scope": f"{kind}:{scope_id}", "measure": m.id, "target": value, "period": label},
        )
    return Goal(new_id, kind, scope_id, m.id, value, label, who.staff_id, at)


def goals_for(
    conn: sqlite3.Connection, scope_kind: str, scope_id: str | None, period: Period | str | None
) -> dict[str, Goal]:
    """The goal that applies to the scope in the period, for every measure that has one."""
    reach = chain(conn, scope_kind, scope_id)
    if not reach:
        return {}
    label = _period_label(period)
    where = " OR ".join("(scope_kind = ? AND scope_id = ?)" for _ in reach)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM performance_goals WHERE ({where})"
        " AND (period IS NULL OR period = ?)",
        [*(v for scope in reach for v in scope), label],
    ).fetchall()
    return _pick([Goal(*row) for row in rows], reach)


def _pick(found: list[Goal], reach: list[tuple[str, str]]) -> dict[str, Goal]:
    """Of the goals ``found`` (for the period or every period), the one that applies per
    measure along ``reach`` (nearest scope first)."""
    rank = {scope: i for i, scope in enumerate(reach)}
    best: dict[str, tuple[tuple[int, bool], Goal]] = {}
    for goal in sorted(found, key=lambda g: (g.set_at, g.id)):
        if (goal.scope_kind, goal.scope_id) not in rank:
            continue
        # the nearest scope first, then a goal for this period before an every-period
        # one; among equals the later set replaces the earlier
        key = (rank[(goal.scope_kind, goal.scope_id)], goal.period is None)
        if goal.measure not in best or key <= best[goal.measure][0]:
            best[goal.measure] = (key, goal)
    return {m: g for m, (_, g) in best.items()}


def goals_along(
    conn: sqlite3.Connection,
    measure: str,
    period: Period | str | None,
    reaches: dict[str, list[tuple[str, str]]],
) -> dict[str, Goal | None]:
    """The goal for one measure that applies to each of many scopes (key -> its reach,
    nearest first, as :func:`chain` gives it): one query for all of them, the same
    choice as :func:`goals_for`. For a unit's or an office's workers at once."""
    label = _period_label(period)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM performance_goals WHERE measure = ?"
        " AND (period IS NULL OR period = ?)",
        (measures.get(measure).id, label),
    ).fetchall()
    m = measures.get(measure).id
    return {key: found.get(m) for key, found in _pick_each(rows, reaches).items()}


def goals_for_each(
    conn: sqlite3.Connection, reaches: dict[str, list[tuple[str, str]]], period: Period | str | None
) -> dict[str, dict[str, Goal]]:
    """:func:`goals_for` of each of many scopes (key -> its reach, as :func:`chain` or
    :func:`worker_chains` gives it) in one query: an office's workers' goals on a team
    store, where a query per worker (two, with the chain) is a round trip to the server
    each (1,354 of them took 1.1 s of an office's ``focus``)."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM performance_goals WHERE period IS NULL OR period = ?",
        (_period_label(period),),
    ).fetchall()
    return _pick_each(rows, reaches)


def _pick_each(
    rows: list[Any], reaches: dict[str, list[tuple[str, str]]]
) -> dict[str, dict[str, Goal]]:
    """:func:`_pick` for each reach, each given only the goals of its own scopes."""
    by_scope: dict[tuple[str, str], list[Goal]] = {}
    for row in rows:
        goal = Goal(*row)
        by_scope.setdefault((goal.scope_kind, goal.scope_id), []).append(goal)
    return {
        key: _pick([g for scope in reach for g in by_scope.get(scope, [])], reach)
        for key, reach in reaches.items()
    }


def worker_chains(
    conn: sqlite3.Connection, staff_ids: Iterable[str]
) -> dict[str, list[tuple[str, str]]]:
    """:func:`chain` of each of these workers, read at once."""
    ids = list(dict.fromkeys(staff_ids))
    found: dict[str, tuple[str | None, str | None]] = {}
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        for staff_id, unit_id, office_id in conn.execute(
            "SELECT staff_id, unit_id, office_id FROM staff"
            f" WHERE staff_id IN ({', '.join('?' * len(part))})",
            part,
        ):
            found[str(staff_id)] = (unit_id, office_id)
    return {
        w: [("worker", w)]
        + [(k, v) for k, v in zip(("unit", "office"), found.get(w, (None, None)), strict=True) if v]
        for w in ids
    }


def goal_for(
    conn: sqlite3.Connection,
    scope_kind: str,
    scope_id: str | None,
    measure: str,
    period: Period | str | None,
) -> Goal | None:
    """The goal for one measure that applies to the scope in the period, if any."""
    return goals_for(conn, scope_kind, scope_id, period).get(measures.get(measure).id)


def _visible(who: Actor) -> tuple[str, list[Any]]:
    """Goals ``who`` may see: those in their reach, and those they inherit."""
    if who.role == "admin":
        return "1 = 1", []
    office = "(scope_kind = 'office' AND scope_id = ?)"
    if who.role == "manager":
        in_office = "SELECT {0} FROM staff WHERE office_id = ?"
        return (
            f"{office} OR (scope_kind = 'unit' AND scope_id IN ({in_office.format('unit_id')}))"
            f" OR (scope_kind = 'worker' AND scope_id IN ({in_office.format('staff_id')}))",
            [who.office_id] * 3,
        )
    unit = "(scope_kind = 'unit' AND scope_id = ?)"
    if who.role == "supervisor":
        return (
            f"{office} OR {unit} OR (scope_kind = 'worker'"
            " AND scope_id IN (SELECT staff_id FROM staff WHERE unit_id = ?))",
            [who.office_id, who.unit_id, who.unit_id],
        )
    return (
        f"{office} OR {unit} OR (scope_kind = 'worker' AND scope_id = ?)",
        [who.office_id, who.unit_id, who.staff_id],
    )


def list_goals(
    conn: sqlite3.Connection,
    who: Actor,
    *,
    scope_kind: str | None = None,
    scope_id: str | None = None,
    measure: str | None = None,
    history: bool = False,
) -> list[Goal]:
    """The goals ``who`` may see (their reach and what they inherit), the latest per scope,
    measure and period unless ``history``; office, unit, worker order."""
    visible, params = _visible(who)
    where = [f"({visible})"]
    if scope_kind is not None:
        where.append("scope_kind = ?")
        params.append(scope_kind)
    if scope_id is not None:
        where.append("scope_id = ?")
        params.append(scope_id)
    if measure is not None:
        where.append("measure = ?")
        params.append(measures.get(measure).id)
    latest = "" if history else "WHERE nth = 1"
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM (SELECT {_COLUMNS}, row_number() OVER ("
        " PARTITION BY scope_kind, scope_id, measure, coalesce(period, '')"
        " ORDER BY set_at DESC, id DESC) AS nth"
        f" FROM performance_goals WHERE {' AND '.join(where)}) AS g {latest}"
        " ORDER BY CASE scope_kind WHEN 'office' THEN 0 WHEN 'unit' THEN 1 ELSE 2 END,"
        " scope_id, measure, period IS NOT NULL, period, set_at DESC, id DESC",
        params,
    ).fetchall()
    return [Goal(*row) for row in rows]
