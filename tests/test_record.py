"""Local writes: each lands with its audit row, in one transaction; each mistake is one sentence."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime

import pytest

from casecli.core.engine import casedata, playbooks
from casecli.core.errors import CasecliError, UsageError
from casecli.core.ingest.sync import sync
from casecli.core.local import record
from casecli.core.store import scope
from tests.conftest import FIXTURES, TODAY

BOOKS = playbooks.load()
NOW = "2026-11-24T10:15:00"


@pytest.fixture
def store(conn: sqlite3.Connection) -> sqlite3.Connection:
    assert sync(conn, FIXTURES / "basic", today=TODAY).status == "applied"
    return conn


@pytest.fixture
def w1(store: sqlite3.Connection) -> scope.Actor:
    return scope.actor(store, "W1")


def audit(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    return conn.execute(
        "SELECT at, who, action, entity, entity_id, detail FROM audit_log ORDER BY id"
    ).fetchall()


def counts(conn: sqlite3.Connection) -> tuple[int, ...]:
    tables = ("recorded_events", "barriers", "goal_progress", "audit_log")
    return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)


# Each write lands with its audit row --------------------------------------------------


def test_record_event_lands_with_its_audit_row(store: sqlite3.Connection, w1: scope.Actor) -> None:
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
    [(at, who, action, entity, entity_id, detail)] = audit(store)
    assert (at, who, action, entity, entity_id) == (
        NOW,
        "W1",
        "record",
        "recorded_events",
        str(new_id),
    )
    assert json.loads(str(detail)) == {
        "case_id": "C100",
        "kind": "caseworker_visit",
        "person_id": "P3",
        "occurred_at": "2026-11-20T16:30",
        "location": "placement",
        "result": True,
        "note": True,
    }
    assert "Kai" not in str(detail) and "Brown" not in str(detail)


def test_record_event_defaults_and_other_ways_to_say_when(
    store: sqlite3.Connection, w1: scope.Actor
) -> None:
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


def test_add_and_resolve_a_barrier_with_audit_rows(
    store: sqlite3.Connection, w1: scope.Actor
) -> None:
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
    rows = audit(store)
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [
        ("W1", "wait", "barriers", str(bid)),
        ("W1", "resolve", "barriers", str(bid)),
    ]
    assert json.loads(str(rows[0][5])) == {
        "case_id": "C100",
        "service": "substance_treatment",
        "step": "case_plan",
        "expect_on": "2026-12-01",
        "opened_on": "2026-11-24",
    }
    assert json.loads(str(rows[1][5])) == {
        "case_id": "C100",
        "resolved_on": "2026-11-27",
        "note": True,
    }
    with pytest.raises(CasecliError) as err:
        record.resolve_barrier(store, w1, bid, today=later)
    assert str(err.value) == "Barrier #1 was already resolved on 2026-11-27 by W1; nothing to do."
    assert len(audit(store)) == 2


def test_record_progress_with_audit_rows(store: sqlite3.Connection, w1: scope.Actor) -> None:
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
    assert [(r[2], r[4], json.loads(str(r[5]))) for r in audit(store)] == [
        ("progress", str(a), {"case_id": "C100", "goal_id": "CG1", "percent": 40, "status": None, "note": True}),
        ("progress", str(b), {"case_id": "C100", "goal_id": "CG2", "percent": None, "status": "achieved", "note": False}),
    ]  # fmt: skip


def test_the_audit_log_is_append_only(store: sqlite3.Connection, w1: scope.Actor) -> None:
    record.record_event(store, w1, "C100", "caseworker_visit", today=TODAY, books=BOOKS)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.execute("UPDATE audit_log SET who = 'W2'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.execute("DELETE FROM audit_log")
    assert [r[1] for r in audit(store)] == ["W1"]


def test_a_write_whose_audit_row_fails_leaves_nothing(
    store: sqlite3.Connection, w1: scope.Actor
) -> None:
    store.execute(
        "CREATE TEMP TRIGGER audit_full BEFORE INSERT ON audit_log"
        " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(sqlite3.DatabaseError, match="disk full"):
        record.record_event(store, w1, "C100", "caseworker_visit", today=TODAY, books=BOOKS)
    with pytest.raises(sqlite3.DatabaseError, match="disk full"):
        record.add_barrier(store, w1, "C100", "a wait", today=TODAY, books=BOOKS)
    assert counts(store) == (0, 0, 0, 0)
    assert not store.in_transaction


def test_a_write_inside_the_callers_transaction_uses_a_savepoint(
    store: sqlite3.Connection, w1: scope.Actor
) -> None:
    store.execute("BEGIN")
    record.record_event(store, w1, "C100", "caseworker_visit", today=TODAY, books=BOOKS)
    with pytest.raises(CasecliError):
        record.record_event(store, w1, "C100", "nonsense", today=TODAY, books=BOOKS)
    assert store.in_transaction
    store.execute("COMMIT")
    assert counts(store) == (1, 0, 0, 1)


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
def test_error_sentences(store: sqlite3.Connection, w1: scope.Actor, call, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as err:
        call(store, w1)
    assert str(err.value) == message
    assert counts(store) == (0, 0, 0, 0)


def test_playbook_override_changes_the_valid_steps_and_kinds(
    store: sqlite3.Connection, w1: scope.Actor, tmp_path
) -> None:  # type: ignore[no-untyped-def]
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


def test_recorded_events_link_to_the_exports_copy(store: sqlite3.Connection) -> None:
    w1 = scope.actor(store, "W1")
    a1 = scope.actor(store, "A1")
    later = date(2026, 12, 1)

    def rec(case_id: str, kind: str, on: str, person: str | None = None, who=w1) -> int:  # type: ignore[no-untyped-def]
        return record.record_event(
            store, who, case_id, kind, person_id=person, on=on, today=later, books=BOOKS
        )

    same = rec("C100", "caseworker_visit", "2026-10-10T09:00", "P3")  # E1: 2026-10-10T15:00, P3
    no_person = rec("C100", "drug_screen", "2026-11-12")  # E3 names P4; this names no one
    other_person = rec("C100", "caseworker_visit", "2026-10-10", "P4")  # E1 is P3's visit
    other_day = rec("C100", "caseworker_visit", "2026-10-11", "P3")
    other_kind = rec("C100", "face_to_face_contact", "2026-10-10", "P3")
    scheduled = rec("C100", "court_hearing", "2026-11-29")  # E2 is only scheduled
    elsewhere = rec("C200", "income_withholding", "2024-07-01", "P6", who=a1)  # E4
    rows = {r["id"]: r for r in record.recorded_events_for(store, ["C100", "C200", "004"])}
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
    assert [r["id"] for r in record.recorded_events_for(store, ["C200"])] == [elsewhere]
    assert record.recorded_events_for(store, []) == []
    # An export event a later full export no longer carries is no longer a link.
    store.execute("UPDATE events SET _gone_on = '2026-11-30' WHERE event_id = 'E4'")
    assert record.recorded_events_for(store, ["C200"])[0]["linked_event_id"] is None
    # The engine's loader counts exactly the unlinked recorded events, once each.
    data = casedata.load(store, "c.case_id IN ('C100', 'C200')")
    loaded = {e["id"] for d in data.values() for e in d.events if e["source"] == "recorded"}
    unlinked = {
        f"local:{r['id']}"
        for r in record.recorded_events_for(store, ["C100", "C200"])
        if r["linked_event_id"] is None
    }
    assert loaded == unlinked


def test_the_engine_is_given_only_the_payments_rows_it_reads(
    store: sqlite3.Connection,
) -> None:
    """caseload.views loads, per case, only the payments rows the engine reads, not its
    whole ledger: the latest month before today's (is the case paying?), the last month
    with a payment up to today's and the first month anything was owed (how long without
    a payment, issue 14 item 8). C200 has 2026-09 (paid) and 2026-10 (partly paid) rows
    (and, here, one for the current month, paid)."""
    store.execute(
        "INSERT INTO payments (case_id, month, current_due, current_paid) VALUES ('C200', '2026-11', 1, 1)"
    )
    whole = casedata.load(store, "c.case_id = 'C200'")["C200"].payments
    assert [p["month"] for p in whole] == ["2026-09", "2026-10", "2026-11"]
    latest = casedata.load(store, "c.case_id = 'C200'", payments_before="2026-11")["C200"]
    assert [(p["month"], p["current_paid"]) for p in latest.payments] == [
        ("2026-09", 35000),  # the first owed
        ("2026-10", 17550),  # the latest before November
        ("2026-11", 1),  # the last paid, up to November
    ]
    earlier = casedata.load(store, "c.case_id = 'C200'", payments_before="2026-10")["C200"]
    assert [p["month"] for p in earlier.payments] == ["2026-09", "2026-10"]
    assert (
        casedata.load(store, "c.case_id = 'C200'", payments_before="2026-01")["C200"].payments == []
    )
    with pytest.raises(ValueError):
        casedata.load(store, "c.case_id = 'C200'", payments_before="2026-1'")
