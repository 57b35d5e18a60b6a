"""Who is acting, and which cases they may see or change: scope follows the role.

A worker sees their own cases, a supervisor every case of a worker in their unit, a
manager every case of a worker in their office, an admin everything (DESIGN.md). The
role, unit and office come from the staff table (staff.csv in the export).
"""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

from casecli.core.errors import CasecliError


class Actor(NamedTuple):
    staff_id: str
    name: str
    role: str
    unit_id: str | None
    office_id: str | None


def actor(conn: sqlite3.Connection, staff_id: str | None) -> Actor:
    """The staff member acting, from --as, CASECLI_USER or the config file."""
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
        raise CasecliError(f"There is no staff member {staff_id} in the store; check --as.")
    return Actor(*row)


def cases_clause(who: Actor, alias: str = "c") -> tuple[str, list[Any]]:
    """An SQL condition on the cases table (aliased ``alias``) selecting what ``who`` may see."""
    if who.role == "admin":
        return "1", []
    if who.role == "worker":
        return f"{alias}.worker_id = ?", [who.staff_id]
    if who.role == "supervisor" and who.unit_id:
        return (
            f"{alias}.worker_id IN (SELECT staff_id FROM staff WHERE unit_id = ?)",
            [who.unit_id],
        )
    if who.role == "manager" and who.office_id:
        return (
            f"{alias}.worker_id IN (SELECT staff_id FROM staff WHERE office_id = ?)",
            [who.office_id],
        )
    return "0", []  # an unknown role, or a supervisor/manager without a unit/office: nothing


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
