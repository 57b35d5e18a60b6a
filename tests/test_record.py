"""Local writes: each lands with its audit row, in one transaction; each mistake is one sentence."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from casecli.core.engine import casedata, playbooks
from casecli.core.errors import CasecliError, UsageError
from casecli.core.ingest.sync import sync
from casecli.core.local import record
from casecli.core.store import scope
from tests.conftest import FIXTURES, TEAMS, TODAY, as_team, drop_team

BOOKS = playbooks.load()
NOW = "2026-11-24T10:15:00"


class Store:
    """The basic fixture synced, where a test writes as W1: a SQLite file (every
    connection the same one), or a team store on PostgreSQL (issue 17 item 7), where W1
    writes through their own login, the policies and the audit triggers, and the owner
    reads the audit log and changes what a worker may not."""

    def __init__(self, conn: Any, owner: Any, team: Any = None) -> None:
        self.conn, self.owner, self.team = conn, owner, team
        self.opened: list[Any] = []
        if team is None:
            self.w1 = scope.actor(conn, "W1")

    def of(self, staff_id: str) -> tuple[Any, scope.Actor]:
        """``staff_id``'s connection and who they are: on a team store, their login's."""
        if self.team is None:
            return self.conn, scope.actor(self.conn, staff_id)
        from casecli.core.store import team

        c = team.open_store(self.team.url_of(staff_id))
        self.opened.append(c)
        return c, team.actor(c, None)

    def who(self, staff_id: str) -> str:
        """What the audit log says of ``staff_id``: on a team store their login (the
        database's session user, never what the client says)."""
        return staff_id if self.team is None else str(self.team.login(staff_id))

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        """What the database raises when it refuses a statement."""
        if self.team is None:
            return (sqlite3.DatabaseError,)
        import psycopg

        return (psycopg.Error,)


@pytest.fixture(params=["sqlite", "team"])
def at(request: pytest.FixtureRequest, conn: sqlite3.Connection) -> Iterator[Store]:
    assert sync(conn, FIXTURES / "basic", today=TODAY).status == "applied"
    if request.param == "sqlite":
        yield Store(conn, conn)
        return
    from casecli.core.store import team

    path = Path(conn.execute("PRAGMA database_list").fetchone()[2])
    url = str(as_team(path, request.getfixturevalue("pg_server")))
    owner = team.open_store(url)
    made = Store(None, owner, TEAMS[url])
    made.conn, made.w1 = made.of("W1")
    yield made
    for c in (*made.opened, owner):
        c.close()
    drop_team(url)


@pytest.fixture
def store(at: Store) -> Any:
    return at.conn


@pytest.fixture
def w1(at: Store) -> scope.Actor:
    return at.w1


def audit(at: Store) -> list[tuple[object, ...]]:
    return at.owner.execute(
        "SELECT at, who, action, entity, entity_id, detail FROM audit_log ORDER BY id"
    ).fetchall()


def counts(at: Store) -> tuple[int, ...]:
    tables = ("recorded_events", "barriers", "goal_progress", "audit_log")
    return tuple(at.owner.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)


# Each write lands with its audit row --------------------------------------------------


def test_record_event_lands_with_its_audit_row(at: Store, store: Any, w1: scope.Actor) -> None:
    new_id = record.record_event(
        store, w1, "C100", "caseworker_visit",
        person_id="P3", on="2026-11-20T16:30", location="placement",
        result="child doing well", note="Kai asked about his mother", today=TODAY, books=BOOKS,
        now=NOW,
    )  # fmt: skip
    row = store.execute(
        "SELECT id, case_id, kind, person_id, occurred_at, location, result, note, recorded_by,"
        " recorded_at, event_id FROM recorded_events"
    ).fetchall()
    assert row == [
        (new_id, "C100", "caseworker_visit", "P3", "2026-11-20T16:30", "placement",
         "child doing well", "Kai asked about his mother", "W1", NOW, None),
    ]  # fmt: skip
    [(when, who, action, entity, entity_id, detail)] = audit(at)
    assert (who, action, entity, entity_id) == (
        at.who("W1"),
        "record",
        "recorded_events",
        str(new_id),
    )
    said = {"case_id": "C100", "kind": "caseworker_visit", "person_id": "P3",
            "occurred_at": "2026-11-20T16:30"}  # fmt: skip
    if at.team is None:  # the client's time, and whether free text was given
        assert when == NOW
        assert json.loads(str(detail)) == {
            **said,
            "location": "placement",
            "result": True,
            "note": True,
        }
    else:  # the server's clock (UTC), and the row's columns the trigger names (security.sql)
        assert re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ", str(when))
        assert json.loads(str(detail)) == {**said, "recorded_by": "W1"}
    assert "Kai" not in str(detail) and "Brown" not in str(detail)


def test_record_event_defaults_and_other_ways_to_say_when(store: Any, w1: scope.Actor) -> None:
    def occurred(on: object) -> str:
        new_id = record.record_event(
            store,
            w1,
            "004",
            "face_to_face_contact",
            on=on,
            today=TODAY,
            books=BOOKS,  # type: ignore[arg-type]
        )
        return str(
            store.execute(
                "SELECT occurred_at FROM recorded_events WHERE id = ?", (new_id,)
            ).fetchone()[0]
        )

    assert occurred(None) == "2026-11-24"
    assert occurred("today") == "2026-11-24"
    assert occurred("Yesterday") == "2026-11-23"
    assert occurred(" 2026-11-01 ") == "2026-11-01"
    assert occurred("2026-11-24 07:05") == "2026-11-24T07:05"
    assert occurred(date(2026, 10, 1)) == "2026-10-01"
    assert occurred(datetime(2026, 10, 1, 9, 30)) == "2026-10-01T09:30"
    # A kind only a playbook counts is accepted too.
    assert record.record_event(store, w1, "C100", "tpr_petition", today=TODAY, books=BOOKS) > 0


def test_add_and_resolve_a_barrier_with_audit_rows(at: Store, store: Any, w1: scope.Actor) -> None:
    bid = record.add_barrier(
        store, w1, "C100", "drug screen result",
        service="substance_treatment", step="case_plan", expect="2026-12-01", today=TODAY,
        books=BOOKS, now=NOW,
    )  # fmt: skip
    row = store.execute("SELECT * FROM barriers WHERE barrier_id = ?", (bid,)).fetchone()
    assert row == (bid, "C100", "drug screen result", "substance_treatment", "case_plan",
                   "2026-12-01", "2026-11-24", "W1", None, None, None)  # fmt: skip
    later = date(2026, 11, 27)
    done = record.resolve_barrier(store, w1, bid, today=later, note="negative", now=NOW)
    assert (done["resolved_on"], done["resolved_by"], done["note"]) == (
        "2026-11-27",
        "W1",
        "negative",
    )
    assert store.execute(
        "SELECT resolved_on, resolved_by, note FROM barriers WHERE barrier_id = ?", (bid,)
    ).fetchone() == ("2026-11-27", "W1", "negative")
    rows = audit(at)
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [
        (at.who("W1"), "wait", "barriers", str(bid)),
        (at.who("W1"), "resolve", "barriers", str(bid)),
    ]
    wait = {"case_id": "C100", "service": "substance_treatment", "step": "case_plan",
            "expect_on": "2026-12-01"}  # fmt: skip
    resolve = {"case_id": "C100", "resolved_on": "2026-11-27"}
    if at.team is None:
        assert json.loads(str(rows[0][5])) == {**wait, "opened_on": "2026-11-24"}
        assert json.loads(str(rows[1][5])) == {**resolve, "note": True}
    else:  # (the row's columns security.sql's triggers name)
        assert json.loads(str(rows[0][5])) == {**wait, "opened_by": "W1"}
        assert json.loads(str(rows[1][5])) == {**resolve, "resolved_by": "W1"}
    with pytest.raises(CasecliError) as err:
        record.resolve_barrier(store, w1, bid, today=later)
    assert str(err.value) == "Barrier #1 was already resolved on 2026-11-27 by W1; nothing to do."
    assert len(audit(at)) == 2


def test_record_progress_with_audit_rows(at: Store, store: Any, w1: scope.Actor) -> None:
    a = record.record_progress(
        store, w1, "C100", "CG1", percent=40, note="3 of 8 sessions", today=TODAY, now=NOW
    )
    b = record.record_progress(store, w1, "C100", "CG2", status="achieved", today=TODAY, now=NOW)
    assert store.execute(
        "SELECT id, case_id, goal_id, percent, status, note, recorded_by, recorded_at FROM goal_progress"
    ).fetchall() == [
        (a, "C100", "CG1", 40, None, "3 of 8 sessions", "W1", NOW),
        (b, "C100", "CG2", None, "achieved", None, "W1", NOW),
    ]
    # (a personal store says whether a note was given; a team store's trigger, who wrote it)
    extra = [{"note": True}, {"note": False}] if at.team is None else [{"recorded_by": "W1"}] * 2
    assert [(r[1], r[2], r[4], json.loads(str(r[5]))) for r in audit(at)] == [
        (at.who("W1"), "progress", str(a), {"case_id": "C100", "goal_id": "CG1", "percent": 40, "status": None, **extra[0]}),
        (at.who("W1"), "progress", str(b), {"case_id": "C100", "goal_id": "CG2", "percent": None, "status": "achieved", **extra[1]}),
    ]  # fmt: skip


def test_the_audit_log_is_append_only(at: Store, store: Any, w1: scope.Actor) -> None:
    record.record_event(store, w1, "C100", "caseworker_visit", today=TODAY, books=BOOKS)
    # (a worker's login on a team store may not even try: the owner's own is refused too)
    for conn in {id(store): store, id(at.owner): at.owner}.values():
        for sql in ("UPDATE audit_log SET who = 'W2'", "DELETE FROM audit_log"):
            with pytest.raises(at.errors, match="append-only|permission denied"):
                conn.execute(sql)
    assert [r[1] for r in audit(at)] == [at.who("W1")]


def test_a_write_whose_audit_row_fails_leaves_nothing(
    at: Store, store: Any, w1: scope.Actor
) -> None:
    if at.team is None:
        store.execute(
            "CREATE TEMP TRIGGER audit_full BEFORE INSERT ON audit_log"
            " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    else:  # (the owner's: a worker's login may not make one)
        at.owner.execute(
            "CREATE FUNCTION audit_full() RETURNS trigger LANGUAGE plpgsql AS"
            " $$BEGIN RAISE EXCEPTION 'disk full'; END$$"
        )
        at.owner.execute(
            "CREATE TRIGGER audit_full BEFORE INSERT ON audit_log"
            " FOR EACH ROW EXECUTE FUNCTION audit_full()"
        )
    with pytest.raises(at.errors, match="disk full"):
        record.record_event(store, w1, "C100", "caseworker_visit", today=TODAY, books=BOOKS)
    with pytest.raises(at.errors, match="disk full"):
        record.add_barrier(store, w1, "C100", "a wait", today=TODAY, books=BOOKS)
    assert counts(at) == (0, 0, 0, 0)
    assert not store.in_transaction


def test_a_write_inside_the_callers_transaction_uses_a_savepoint(
    at: Store, store: Any, w1: scope.Actor
) -> None:
    store.execute("BEGIN")
    record.record_event(store, w1, "C100", "caseworker_visit", today=TODAY, books=BOOKS)
    with pytest.raises(CasecliError):
        record.record_event(store, w1, "C100", "nonsense", today=TODAY, books=BOOKS)
    assert store.in_transaction
    store.execute("COMMIT")
    assert counts(at) == (1, 0, 0, 1)


# Each mistake is one sentence ---------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda c, w: record.record_event(c, w, "C999", "caseworker_visit", today=TODAY, books=BOOKS),
         CasecliError, "There is no case C999 in the store; check the case id."),
        (lambda c, w: record.record_event(c, w, "C100", "visit", today=TODAY, books=BOOKS),
         UsageError, "'visit' is not an event kind casecli knows (did you mean caseworker_visit?); see casecli record --help."),
        (lambda c, w: record.record_event(c, w, "C100", "zzz", today=TODAY, books=BOOKS),
         UsageError, "'zzz' is not an event kind casecli knows (e.g. face_to_face_contact, caseworker_visit, collateral_contact, school_contact); see casecli record --help."),
        (lambda c, w: record.record_event(c, w, "C100", "caseworker_visit", person_id="P1", today=TODAY, books=BOOKS),
         CasecliError, "There is no person P1 in case C100; casecli case C100 lists its people."),
        (lambda c, w: record.record_event(c, w, "C100", "caseworker_visit", location="park", today=TODAY, books=BOOKS),
         UsageError, "--location 'park' is not a location casecli knows; use one of home, office, court, school, placement, other."),
        (lambda c, w: record.record_event(c, w, "C100", "caseworker_visit", on="2026-02-30", today=TODAY, books=BOOKS),
         UsageError, "--on 2026-02-30 is not a real date; use YYYY-MM-DD."),
        (lambda c, w: record.record_event(c, w, "C100", "caseworker_visit", on="2026-11-24T25:00", today=TODAY, books=BOOKS),
         UsageError, "--on 2026-11-24T25:00 is not a real date; use YYYY-MM-DD."),
        (lambda c, w: record.record_event(c, w, "C100", "caseworker_visit", on="2026-11-25", today=TODAY, books=BOOKS),
         UsageError, "--on 2026-11-25 is in the future; record what has happened (schedule it in the system of record)."),
        (lambda c, w: record.record_event(c, w, "C100", "caseworker_visit", on="last week", today=TODAY, books=BOOKS),
         UsageError, "--on 'last week' is not a date; use YYYY-MM-DD, YYYY-MM-DDTHH:MM, today or yesterday."),
        (lambda c, w: record.add_barrier(c, w, "C100", "x", step="intake", today=TODAY, books=BOOKS),
         CasecliError, "Step intake is not in the foster_care playbook (its steps: monthly_visit, case_plan, court_report, periodic_review, reunification_assessment, permanency_hearing, tpr_petition)."),
        (lambda c, w: record.add_barrier(c, w, "004", "x", step="case_plan", today=TODAY, books=BOOKS),
         CasecliError, "Step case_plan is not in the investigation playbook (its steps: first_contact, safety_assessment, collaterals, finding, closure)."),
        (lambda c, w: record.add_barrier(c, w, "C100", "x", expect="2026-12-32", today=TODAY, books=BOOKS),
         UsageError, "--expect 2026-12-32 is not a real date; use YYYY-MM-DD."),
        (lambda c, w: record.add_barrier(c, w, "C100", "x", expect="soon", today=TODAY, books=BOOKS),
         UsageError, "--expect 'soon' is not a date; use YYYY-MM-DD."),
        (lambda c, w: record.add_barrier(c, w, "C100", "  ", today=TODAY, books=BOOKS),
         UsageError, 'Say what case C100 is waiting for, e.g. casecli wait C100 "drug screen result".'),
        (lambda c, w: record.resolve_barrier(c, w, 42, today=TODAY),
         CasecliError, "There is no barrier #42 in the store; casecli waiting lists the open ones."),
        (lambda c, w: record.record_progress(c, w, "C100", "CG9", percent=5, today=TODAY),
         CasecliError, "There is no goal CG9 in case C100; casecli case C100 lists its goals."),
        (lambda c, w: record.record_progress(c, w, "004", "CG1", percent=5, today=TODAY),
         CasecliError, "There is no goal CG1 in case 004; casecli case 004 lists its goals."),
        (lambda c, w: record.record_progress(c, w, "C100", "CG1", today=TODAY),
         UsageError, "Give exactly one of --percent N (0 to 100) or --status (not_started, in_progress, achieved, not_achieved)."),
        (lambda c, w: record.record_progress(c, w, "C100", "CG1", percent=5, status="achieved", today=TODAY),
         UsageError, "Give exactly one of --percent N (0 to 100) or --status (not_started, in_progress, achieved, not_achieved)."),
        (lambda c, w: record.record_progress(c, w, "C100", "CG1", percent=101, today=TODAY),
         UsageError, "--percent must be between 0 and 100, not 101."),
        (lambda c, w: record.record_progress(c, w, "C100", "CG1", status="done", today=TODAY),
         UsageError, "--status 'done' is not a goal status; use one of not_started, in_progress, achieved, not_achieved."),
    ],
)  # fmt: skip
def test_error_sentences(at: Store, store: Any, w1: scope.Actor, call, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as err:
        call(store, w1)
    if at.team is not None:  # (a case the login cannot see is one it may not know of)
        message = message.replace("in the store;", "in your scope on this team store;")
    assert str(err.value) == message
    assert counts(at) == (0, 0, 0, 0)


def test_playbook_override_changes_the_valid_steps_and_kinds(
    store: Any, w1: scope.Actor, tmp_path: Path
) -> None:
    (tmp_path / "foster_care.toml").write_text(
        '[[steps]]\nid = "home_study"\ntitle = "Finish the home study"\n'
        'done_by = ["home_study_done"]\ndue = { from = "removal", days = 90 }\n'
    )
    books = playbooks.load(tmp_path)
    assert record.add_barrier(store, w1, "C100", "x", step="home_study", today=TODAY, books=books)
    assert record.record_event(store, w1, "C100", "home_study_done", today=TODAY, books=books)
    with pytest.raises(UsageError):
        record.record_event(store, w1, "C100", "home_study_done", today=TODAY, books=BOOKS)


# Linking: the export's copy of a recorded fact is linked, not duplicated --------------


def test_recorded_events_link_to_the_exports_copy(at: Store, w1: scope.Actor) -> None:
    # W1 records on their case, admin A1 on W2's; A1 reads them all (a team store's worker
    # sees their own cases' alone)
    reader, a1 = at.of("A1")
    later = date(2026, 12, 1)

    def rec(case_id: str, kind: str, on: str, person: str | None = None, who=w1) -> int:  # type: ignore[no-untyped-def]
        return record.record_event(
            at.conn if who is w1 else reader, who, case_id, kind, person_id=person, on=on,
            today=later, books=BOOKS,
        )  # fmt: skip

    same = rec("C100", "caseworker_visit", "2026-10-10T09:00", "P3")  # E1: 2026-10-10T15:00, P3
    no_person = rec("C100", "drug_screen", "2026-11-12")  # E3 names P4; this names no one
    other_person = rec("C100", "caseworker_visit", "2026-10-10", "P4")  # E1 is P3's visit
    other_day = rec("C100", "caseworker_visit", "2026-10-11", "P3")
    other_kind = rec("C100", "face_to_face_contact", "2026-10-10", "P3")
    scheduled = rec("C100", "court_hearing", "2026-11-29")  # E2 is only scheduled
    elsewhere = rec("C200", "income_withholding", "2024-07-01", "P6", who=a1)  # E4
    rows = {r["id"]: r for r in record.recorded_events_for(reader, ["C100", "C200", "004"])}
    assert {i: r["linked_event_id"] for i, r in rows.items()} == {
        same: "E1",
        no_person: "E3",
        other_person: None,
        other_day: None,
        other_kind: None,
        scheduled: None,
        elsewhere: "E4",
    }
    assert rows[same]["occurred_at"] == "2026-10-10T09:00" and rows[same]["recorded_by"] == "W1"
    assert [r["id"] for r in record.recorded_events_for(reader, ["C200"])] == [elsewhere]
    assert record.recorded_events_for(reader, []) == []
    # An export event a later full export no longer carries is no longer a link.
    at.owner.execute("UPDATE events SET _gone_on = '2026-11-30' WHERE event_id = 'E4'")
    assert record.recorded_events_for(reader, ["C200"])[0]["linked_event_id"] is None
    # The engine's loader counts exactly the unlinked recorded events, once each.
    data = casedata.load(reader, "c.case_id IN ('C100', 'C200')")
    loaded = {e["id"] for d in data.values() for e in d.events if e["source"] == "recorded"}
    unlinked = {
        f"local:{r['id']}"
        for r in record.recorded_events_for(reader, ["C100", "C200"])
        if r["linked_event_id"] is None
    }
    assert loaded == unlinked


def test_the_engine_is_given_only_the_payments_rows_it_reads(at: Store) -> None:
    """caseload.views loads, per case, only the payments rows the engine reads, not its
    whole ledger: the latest month before today's (is the case paying?), the last month
    with a payment up to today's and the first month anything was owed (how long without
    a payment, issue 14 item 8). C200 has 2026-09 (paid) and 2026-10 (partly paid) rows
    (and, here, one for the current month, paid)."""
    at.owner.execute(
        "INSERT INTO payments (case_id, month, current_due, current_paid) VALUES ('C200', '2026-11', 1, 1)"
    )
    reader, _ = at.of("W2")  # (C200 is W2's)
    whole = casedata.load(reader, "c.case_id = 'C200'")["C200"].payments
    assert [p["month"] for p in whole] == ["2026-09", "2026-10", "2026-11"]
    latest = casedata.load(reader, "c.case_id = 'C200'", payments_before="2026-11")["C200"]
    assert [(p["month"], p["current_paid"]) for p in latest.payments] == [
        ("2026-09", 35000),  # the first owed
        ("2026-10", 17550),  # the latest before November
        ("2026-11", 1),  # the last paid, up to November
    ]
    earlier = casedata.load(reader, "c.case_id = 'C200'", payments_before="2026-10")["C200"]
    assert [p["month"] for p in earlier.payments] == ["2026-09", "2026-10"]
    assert (
        casedata.load(reader, "c.case_id = 'C200'", payments_before="2026-01")["C200"].payments
        == []
    )
    with pytest.raises(ValueError):
        casedata.load(reader, "c.case_id = 'C200'", payments_before="2026-1'")
