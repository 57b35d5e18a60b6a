"""Scope follows the role: who sees which cases, and who may change them."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from casecli.core.engine import playbooks
from casecli.core.errors import CasecliError
from casecli.core.ingest.sync import sync
from casecli.core.local import record
from casecli.core.store import scope
from tests.conftest import TODAY

BOOKS = playbooks.load()

# A second unit in office O1 and a second office, beside the basic fixture's unit U1.
MORE_STAFF = """\
S2,Kim Park,supervisor,U2,Unit Two,O1,North Office,,40,true
W3,Lou Diaz,worker,U2,Unit Two,O1,North Office,S2,40,true
M2,Ira Shah,manager,,,O2,South Office,,40,true
S3,Val Chen,supervisor,U3,Unit Three,O2,South Office,,40,true
W4,Noa Hill,worker,U3,Unit Three,O2,South Office,S3,40,true
"""
MORE_CASES = """\
C400,child_welfare,in_home,open,2026-06-01,,W3,Diaz,low,,,,,2026-06-01T09:00
C500,child_support,enforcement,open,2025-01-10,,W4,Hill,,,,,2025-02-01,2026-09-01T10:00
"""

UNASSIGNED = (
    "case_id,program,case_type,status,opened_on,closed_on,worker_id,name,risk_level,"
    "response_hours,permanency_goal,goal_target_on,order_established_on,updated_at,"
    "unit_id,office_id\n"
    "C600,child_welfare,in_home,open,2026-06-01,,,Ames,low,,,,,2026-06-01T09:00,U2,\n"
    "C700,child_welfare,in_home,open,2026-06-01,,,Bell,low,,,,,2026-06-01T09:00,,O2\n"
)

SEES = {
    "W1": {"004", "C100"},
    "W2": {"C200", "C300"},
    "W3": {"C400"},
    "S1": {"004", "C100", "C200", "C300"},
    "S2": {"C400", "C600"},
    "M1": {"004", "C100", "C200", "C300", "C400", "C600"},
    "M2": {"C500", "C700"},
    "A1": {"004", "C100", "C200", "C300", "C400", "C500", "C600", "C700"},
}


@pytest.fixture
def wide(conn: sqlite3.Connection, export) -> sqlite3.Connection:  # type: ignore[no-untyped-def]
    folder: Path = export("basic")
    with (folder / "staff.csv").open("a") as fh:
        fh.write(MORE_STAFF)
    with (folder / "cases.csv").open("a") as fh:
        fh.write(MORE_CASES)
    result = sync(conn, folder, today=TODAY)
    assert result.status == "applied" and not result.rejects
    # two cases no one is assigned: one of unit U2, one of office O2 naming no unit
    unassigned = folder.parent / "unassigned"
    unassigned.mkdir()
    (unassigned / "cases.csv").write_text(UNASSIGNED)
    result = sync(conn, unassigned, today=TODAY)
    assert result.status == "applied" and not result.rejects
    return conn


def visible(conn: sqlite3.Connection, staff_id: str) -> set[str]:
    clause, params = scope.cases_clause(scope.actor(conn, staff_id), "c")
    return {r[0] for r in conn.execute(f"SELECT c.case_id FROM cases c WHERE {clause}", params)}


@pytest.mark.parametrize(("staff_id", "cases"), sorted(SEES.items()))
def test_each_role_sees_exactly_its_cases(
    wide: sqlite3.Connection, staff_id: str, cases: set[str]
) -> None:
    assert visible(wide, staff_id) == cases
    who = scope.actor(wide, staff_id)
    for case_id in SEES["A1"]:
        if case_id in cases:
            assert scope.check_case(wide, who, case_id)["case_id"] == case_id
        else:
            with pytest.raises(CasecliError, match="so you cannot see or change it"):
                scope.check_case(wide, who, case_id)


def test_each_login_sees_exactly_its_cases_on_a_team_store(
    wide: sqlite3.Connection, db_path: Path, pg_server: object
) -> None:
    """The same two offices in a team store (issue 17 items 5 and 7): each login sees
    exactly its cases through casecli's clause and through the policies alone (a raw read
    of every case), and is told a case outside them is none of its own."""
    from casecli.core.store import team
    from tests.conftest import as_team, drop_team, login_of

    url = str(as_team(db_path, pg_server))
    try:
        for staff_id, cases in sorted(SEES.items()):
            conn = team.open_store(login_of(url, staff_id, "case") or "")
            try:
                who = team.actor(conn, None)
                assert who.staff_id == staff_id
                assert visible_to(conn, who) == cases, staff_id
                raw = {r[0] for r in conn.execute("SELECT case_id FROM cases")}
                assert raw == cases, staff_id
                for case_id in cases:
                    assert scope.check_case(conn, who, case_id)["case_id"] == case_id
                for case_id in SEES["A1"] - cases:
                    with pytest.raises(CasecliError, match="in your scope on this team store"):
                        scope.check_case(conn, who, case_id)
            finally:
                conn.close()
    finally:
        drop_team(url)


def visible_to(conn: object, who: scope.Actor) -> set[str]:
    clause, params = scope.cases_clause(who, "c")
    return {r[0] for r in conn.execute(f"SELECT c.case_id FROM cases c WHERE {clause}", params)}  # type: ignore[attr-defined]


def test_the_clause_takes_an_alias(wide: sqlite3.Connection) -> None:
    clause, params = scope.cases_clause(scope.actor(wide, "S2"), "k")
    rows = wide.execute(f"SELECT k.case_id FROM cases k WHERE {clause}", params).fetchall()
    assert sorted(rows) == [("C400",), ("C600",)]  # (C600: its unit's, unassigned)
    # (a condition, not SQLite's bare 1: PostgreSQL wants a boolean after WHERE … AND)
    assert scope.cases_clause(scope.actor(wide, "A1")) == ("1 = 1", [])


def test_actor_comes_from_the_staff_table(wide: sqlite3.Connection) -> None:
    assert scope.actor(wide, "S2") == scope.Actor("S2", "Kim Park", "supervisor", "U2", "O1")
    assert scope.actor(wide, " M2 ") == scope.Actor("M2", "Ira Shah", "manager", None, "O2")


@pytest.mark.parametrize("staff_id", [None, "", "  "])
def test_no_staff_id_says_how_to_give_one(wide: sqlite3.Connection, staff_id: str | None) -> None:
    with pytest.raises(CasecliError) as err:
        scope.actor(wide, staff_id)
    assert str(err.value) == (
        "Say who you are: --as STAFF_ID, CASECLI_USER, or casecli config set user STAFF_ID."
    )


def test_unknown_staff_id(wide: sqlite3.Connection) -> None:
    with pytest.raises(CasecliError) as err:
        scope.actor(wide, "S9")
    assert str(err.value) == "There is no staff member S9 in the store; check --as."


@pytest.mark.parametrize(
    ("staff_id", "case_id", "message"),
    [
        ("W1", "C200", "Case C200 is not in your caseload (worker W1), so you cannot see or change it."),
        ("S2", "C100", "Case C100 is not in your unit's caseload (unit U2), so you cannot see or change it."),
        ("M2", "C100", "Case C100 is not in your office's caseload (office O2), so you cannot see or change it."),
        ("A1", "C999", "There is no case C999 in the store; check the case id."),
        ("W1", "C999", "There is no case C999 in the store; check the case id."),
    ],
)  # fmt: skip
def test_check_case_sentences(
    wide: sqlite3.Connection, staff_id: str, case_id: str, message: str
) -> None:
    with pytest.raises(CasecliError) as err:
        scope.check_case(wide, scope.actor(wide, staff_id), case_id)
    assert str(err.value) == message


def _counts(conn: sqlite3.Connection) -> tuple[int, ...]:
    tables = ("recorded_events", "barriers", "goal_progress", "audit_log")
    return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)


def test_a_worker_cannot_change_another_workers_case(wide: sqlite3.Connection) -> None:
    w1, w2, a1 = (scope.actor(wide, s) for s in ("W1", "W2", "A1"))
    theirs = record.add_barrier(wide, w2, "C200", "wage records", today=TODAY, books=BOOKS)
    # A goal on C200 that W1 would target (the fixture's goals are all C100's).
    wide.execute(
        "INSERT INTO case_goals (goal_id, case_id, description) VALUES ('CG9', 'C200', 'Pay')"
    )
    before = _counts(wide)
    attempts = [
        lambda: record.record_event(
            wide, w1, "C200", "caseworker_visit", person_id="P5", today=TODAY, books=BOOKS
        ),
        lambda: record.add_barrier(wide, w1, "C200", "waiting", today=TODAY, books=BOOKS),
        lambda: record.resolve_barrier(wide, w1, theirs, today=TODAY),
        lambda: record.record_progress(wide, w1, "C200", "CG9", percent=50, today=TODAY),
    ]
    for attempt in attempts:
        with pytest.raises(CasecliError) as err:
            attempt()
        assert str(err.value) == (
            "Case C200 is not in your caseload (worker W1), so you cannot see or change it."
        )
    assert _counts(wide) == before
    assert wide.execute(
        "SELECT resolved_on FROM barriers WHERE barrier_id = ?", (theirs,)
    ).fetchone() == (None,)
    # The owner's supervisor may resolve it; the admin may record on the case.
    record.resolve_barrier(wide, scope.actor(wide, "S1"), theirs, today=TODAY)
    assert wide.execute(
        "SELECT resolved_by FROM barriers WHERE barrier_id = ?", (theirs,)
    ).fetchone() == ("S1",)
    record.record_progress(wide, a1, "C200", "CG9", percent=50, today=TODAY)


def test_out_of_scope_supervisor_and_manager_cannot_write(wide: sqlite3.Connection) -> None:
    for staff_id, words in (
        ("S2", "unit's caseload (unit U2)"),
        ("M2", "office's caseload (office O2)"),
    ):
        with pytest.raises(CasecliError, match=rf"not in your {re.escape(words)}"):
            record.record_event(
                wide,
                scope.actor(wide, staff_id),
                "C100",
                "caseworker_visit",
                today=TODAY,
                books=BOOKS,
            )
    assert _counts(wide) == (0, 0, 0, 0)
    # In scope: the supervisor of the worker's unit and the office's manager.
    for staff_id in ("S1", "M1"):
        record.record_event(
            wide, scope.actor(wide, staff_id), "C100", "caseworker_visit", today=TODAY, books=BOOKS
        )
    assert [r[0] for r in wide.execute("SELECT recorded_by FROM recorded_events ORDER BY id")] == [
        "S1",
        "M1",
    ]
