"""Who is acting, and which cases they may see or change: scope follows the role.

A worker sees their own cases, a supervisor every case of a worker in their unit, a
manager every case of a worker in their office, an admin everything (DESIGN.md). The
role, unit and office come from the staff table (staff.csv in the export).

A case with no worker (``worker_id`` empty: an intake waiting for assignment) is its
unit's and office's: cases.csv names the unit responsible (``unit_id``) or, with no
unit, the office (``office_id``). A supervisor sees the unassigned cases of their unit;
a manager those of their office: with a unit of the office (the unit's office is its
staff's), or with no unit and the office's id. An unassigned case naming neither is
an admin's only. An assigned case is its worker's, whatever unit it names.
"""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

from casecli.core.errors import CasecliError
from casecli.core.store.store import on_team


class Actor(NamedTuple):
    staff_id: str
    name: str
    role: str
    unit_id: str | None
    office_id: str | None


def os_user() -> str | None:
    """The operating-system user running casecli (``getpass.getuser()``: LOGNAME, USER,
    LNAME or USERNAME, else the password database), or None when it cannot be told, as
    in a container with none of them and no entry for the uid. Read at the edges only:
    by the command line for ``--as``'s default, by a sync for its log row."""
    import getpass  # ~1 ms (termios): only when it is needed

    try:
        return getpass.getuser() or None
    except Exception:  # KeyError or OSError (3.13) with no entry; ImportError with no pwd
        return None


def staff_for_login(conn: sqlite3.Connection, login: str | None) -> str | None:
    """The active staff member whose ``login`` (staff.csv) is ``login``, or None.

    Compared exactly, case and all, as the operating system compares user names; staff
    marked inactive, or gone by a full export, are not candidates. One indexed query
    (``staff_login``). Two or more candidates: casecli does not guess, it says so.
    """
    if not login:
        return None
    rows = conn.execute(
        "SELECT staff_id FROM staff WHERE login = ? AND coalesce(active, 1) <> 0"
        " AND _gone_on IS NULL ORDER BY staff_id LIMIT 4",
        (login,),
    ).fetchall()
    if len(rows) <= 1:
        return str(rows[0][0]) if rows else None
    named = ", ".join(str(r[0]) for r in rows[:3]) + (" and more" if len(rows) > 3 else "")
    raise CasecliError(
        f"More than one active staff member ({named}) has your login in staff.csv, so "
        "casecli will not guess who you are; say who with --as STAFF_ID, CASECLI_USER, "
        "or casecli config set user STAFF_ID."
    )


def actor(conn: sqlite3.Connection, staff_id: str | None) -> Actor:
    """The staff member acting, from --as, CASECLI_USER, the config file or the login
    (the command line resolves which: ``Settings.staff_id``)."""
    if staff_id is None or not staff_id.strip():
        raise CasecliError(
            "Say who you are: --as STAFF_ID, CASECLI_USER, or casecli config set user STAFF_ID."
        )
    staff_id = staff_id.strip()
    row = conn.execute(
        "SELECT staff_id, name, role, unit_id, office_id FROM staff WHERE staff_id = ?",
        (staff_id,),
    ).fetchone()
    if row is None:
        raise CasecliError(
            f"There is no staff member {staff_id} in the store; check --as"
            + close_ids(conn, "staff_id", staff_id)
        )
    return Actor(*row)


def close_ids(conn: sqlite3.Connection, column: str, given: str) -> str:
    """': did you mean S0004?' (then a full stop) for a mistyped staff, unit or office id,
    or '.' when no id in staff.csv is close. ``column``: staff_id, unit_id or office_id."""
    from casecli.core.words import did_you_mean

    assert column in ("staff_id", "unit_id", "office_id")
    rows = conn.execute(f"SELECT DISTINCT {column} FROM staff WHERE {column} IS NOT NULL")
    hint = did_you_mean(given, (str(r[0]) for r in rows))
    return f": {hint}" if hint else "."


def home(who: Actor) -> tuple[str, str] | None:
    """Where ``who``'s views open: ("unit", their unit) for a supervisor, ("office", their
    office) for a manager; None for a worker, an admin, or one without a unit or office
    (``casecli unit``, ``bottlenecks``, ``db warm`` and the TUI's first screen)."""
    if who.role == "supervisor" and who.unit_id:
        return "unit", who.unit_id
    if who.role == "manager" and who.office_id:
        return "office", who.office_id
    return None


def cases_clause(who: Actor, alias: str = "c") -> tuple[str, list[Any]]:
    """An SQL condition on the cases table (aliased ``alias``) selecting what ``who`` may see."""
    if who.role == "admin":
        return "1 = 1", []
    if who.role == "worker":
        return f"{alias}.worker_id = ?", [who.staff_id]
    place = home(who)
    if place is not None:
        return (unit_clause if place[0] == "unit" else office_clause)(place[1], alias)
    return "1 = 0", []  # an unknown role, or a supervisor/manager without a unit/office: nothing


def assigned_clause(who: Actor, alias: str = "c") -> tuple[str, list[Any]]:
    """The part of :func:`cases_clause` that selects assigned cases: a condition on
    ``worker_id`` alone, which the index of a worker's cases answers without reading the
    cases (the views over many cases read their assigned cases' ids this way)."""
    place = home(who) if who.role in ("supervisor", "manager") else None
    if place is not None:
        return workers_clause(place[0], place[1], alias)
    return cases_clause(who, alias)


def workers_clause(kind: str, place_id: str | None, alias: str = "c") -> tuple[str, list[Any]]:
    """The cases assigned to the staff of a unit (``kind`` "unit") or an office ("office")."""
    column = {"unit": "unit_id", "office": "office_id"}[kind]
    return f"{alias}.worker_id IN (SELECT staff_id FROM staff WHERE {column} = ?)", [place_id]


def staff_clause(who: Actor) -> tuple[str, list[Any]] | None:
    """An SQL condition on the staff table selecting ``who``'s unit or office (every row
    for an admin); None for a worker, or a supervisor or manager without one."""
    place = home(who)
    if place is not None:
        return f"{place[0]}_id = ?", [place[1]]
    return ("1 = 1", []) if who.role == "admin" else None


def unit_clause(unit_id: str, alias: str = "c") -> tuple[str, list[Any]]:
    """The cases of a unit: its workers' and its unassigned ones."""
    workers, params = workers_clause("unit", unit_id, alias)
    return (
        f"({workers} OR ({unassigned_clause(alias)} AND {alias}.unit_id = ?))",
        [*params, unit_id],
    )


def office_clause(office_id: str, alias: str = "c") -> tuple[str, list[Any]]:
    """The cases of an office: its workers' and its unassigned ones (those of its units,
    and those naming the office and no unit)."""
    workers, params = workers_clause("office", office_id, alias)
    return (
        f"({workers} OR ({unassigned_clause(alias)} AND {unassigned_of_office(alias)}))",
        [*params, office_id, office_id],
    )


def unassigned_clause(alias: str = "c") -> str:
    """A case nobody is assigned to (open or closed)."""
    return f"{alias}.worker_id IS NULL"


def unassigned_of_office(alias: str = "c") -> str:
    """For an unassigned case: it is the office's (two parameters: the office id twice)."""
    return (
        f"({alias}.unit_id IN (SELECT unit_id FROM staff WHERE office_id = ?)"
        f" OR ({alias}.unit_id IS NULL AND {alias}.office_id = ?))"
    )


def _scope_words(who: Actor) -> str:
    if who.role == "supervisor":
        return f"your unit's caseload (unit {who.unit_id})"
    if who.role == "manager":
        return f"your office's caseload (office {who.office_id})"
    return f"your caseload (worker {who.staff_id})"


def check_case(conn: sqlite3.Connection, who: Actor, case_id: str) -> dict[str, Any]:
    """The case row (a dict by column name), if it exists and ``who`` may see it."""
    cur = conn.execute("SELECT * FROM cases WHERE case_id = ?", (case_id,))
    row = cur.fetchone()
    if row is None:
        if on_team(conn):  # the database hides the rest
            raise CasecliError(
                f"There is no case {case_id} in your scope on this team store; check the case id."
            )
        raise CasecliError(f"There is no case {case_id} in the store; check the case id.")
    clause, params = cases_clause(who, "c")
    visible = conn.execute(
        f"SELECT 1 FROM cases c WHERE c.case_id = ? AND ({clause})", (case_id, *params)
    ).fetchone()
    if visible is None:
        raise CasecliError(
            f"Case {case_id} is not in {_scope_words(who)}, so you cannot see or change it."
        )
    names = [d[0] for d in cur.description]
    return dict(zip(names, row, strict=True))
