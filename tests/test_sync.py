"""Sync keeps every promise in EXPORTS.md "What a sync promises", on a personal store
(SQLite) and on a team store (PostgreSQL, ``casecli.core.ingest.team_sync``, issue 17
items 3 and 7): each test runs on both, but those about SQLite's file itself."""

from __future__ import annotations

import gzip
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casecli.core.errors import CasecliError
from casecli.core.ingest.sync import outstanding_rejects, sync
from casecli.core.store import store
from tests.conftest import FIXTURES, TODAY

EXPORT_TABLES = ("staff", "cases", "people", "events", "referrals", "signals", "payments",
                 "removals", "placements", "case_goals", "costs")  # fmt: skip


def snapshot(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    tables = EXPORT_TABLES + ("rejects", "recorded_events", "barriers", "audit_log")
    return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}


class TeamStore:
    """A team store as these tests read it: its owner's connection (SQLite's SQL through
    the dialect, every row), and its address, which :func:`run` syncs."""

    def __init__(self, url: str) -> None:
        from casecli.core.store import team

        self.url = url
        self.conn = team.open_store(url)

    def execute(self, sql: str, params: Any = ()) -> Any:
        return self.conn.execute(sql, params)

    def close(self) -> None:
        self.conn.close()


@pytest.fixture(params=["sqlite", "team"])
def conn(request: pytest.FixtureRequest, db_path: Path) -> Iterator[Any]:
    """The store a sync test syncs: a SQLite file, or an empty team store."""
    if request.param == "sqlite":
        c = store.connect(db_path, create=True)
        yield c
        c.close()
        return
    from tests import pgserver

    server = request.getfixturevalue("pg_server")
    name = server.empty_team()
    t = TeamStore(server.url(pgserver.OWNER, name))
    yield t
    t.close()
    server.drop(name)


# A test of what SQLite's file itself does (its indexes, its journal): SQLite alone.
SQLITE_ONLY = pytest.mark.parametrize("conn", ["sqlite"], indirect=True)


def run(conn: Any, folder: Path, **kw):  # type: ignore[no-untyped-def]
    if isinstance(conn, TeamStore):
        from casecli.core.ingest.team_sync import sync_team

        return sync_team(conn.url, folder, today=TODAY, **kw)
    return sync(conn, folder, today=TODAY, **kw)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


# -- the happy path and what is stored -------------------------------------------------


def test_first_sync_applies_every_file_with_counts(conn, export) -> None:
    result = run(conn, export("basic"))
    assert result.status == "applied"
    assert result.exit_code == 0
    counts = {f.file: (f.inserted, f.updated, f.unchanged, f.rejected) for f in result.files}
    assert counts["cases.csv"] == (4, 0, 0, 0)
    assert counts["people.csv"] == (7, 0, 0, 0)
    assert counts["payments.csv"] == (2, 0, 0, 0)
    assert result.rejects == []


def test_values_are_stored_by_their_contract_type(conn, export) -> None:
    run(conn, export("basic"))
    # "004" stays "004": ids are text, never numbers.
    (case_id,) = conn.execute("SELECT case_id FROM cases WHERE name = 'Smith'").fetchone()
    assert case_id == "004" and isinstance(case_id, str)
    # money is integer cents; 175.5 is 17550, not 17549.999.
    assert conn.execute(
        "SELECT current_due, current_paid, arrears_due FROM payments WHERE month = '2026-10'"
    ).fetchone() == (35000, 17550, 115050)
    # booleans are 1/0; the contract's defaults fill empty cells.
    assert conn.execute(
        "SELECT born_out_of_wedlock FROM people WHERE person_id = 'P5'"
    ).fetchone() == (1,)
    assert conn.execute(
        "SELECT hours_per_week, active FROM staff WHERE staff_id = 'A1'"
    ).fetchone() == (40.0, 1)
    assert conn.execute("SELECT status FROM case_goals WHERE goal_id = 'CG2'").fetchone() == (
        "not_started",
    )
    # an empty cell is NULL, never ''
    assert conn.execute("SELECT closed_on FROM cases WHERE case_id = 'C100'").fetchone() == (None,)


def test_enumerations_are_case_insensitive_and_stored_lower_case(conn, export) -> None:
    folder = export("basic")
    text = (
        (folder / "cases.csv")
        .read_text()
        .replace("C200,child_support,enforcement,open", "C200,Child_Support,enforcement,OPEN")
    )
    write(folder, "cases.csv", text)
    run(conn, folder)
    assert conn.execute("SELECT program, status FROM cases WHERE case_id = 'C200'").fetchone() == (
        "child_support",
        "open",
    )


# -- all or nothing -------------------------------------------------------------------


def test_a_failure_mid_sync_leaves_the_store_exactly_as_before(conn, export) -> None:
    run(conn, export("basic"))
    before = snapshot(conn)
    changed = export("basic")
    write(changed, "cases.csv", (changed / "cases.csv").read_text().replace("Brown", "Browne"))
    write(
        changed,
        "events.csv",
        (changed / "events.csv").read_text() + "E9,C100,case_plan,scheduled,2026-12-01,,,W1,,\n",
    )
    with pytest.raises(RuntimeError, match="injected"):
        run(conn, changed, fail_after="events")
    assert snapshot(conn) == before
    assert conn.execute("SELECT count(*) FROM sync_log").fetchone()[0] == 1
    # and the next sync then succeeds
    result = run(conn, changed)
    assert result.status == "applied"
    assert conn.execute("SELECT name FROM cases WHERE case_id = 'C100'").fetchone() == ("Browne",)


def test_dry_run_reports_but_changes_nothing(conn, export) -> None:
    result = run(conn, export("basic"), dry_run=True)
    assert result.status == "would_apply" and result.dry_run
    assert [f.inserted for f in result.files][:2] == [5, 4]
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM sync_log").fetchone()[0] == 0


def test_strict_applies_nothing_when_a_row_is_rejected(conn, export) -> None:
    folder = export("basic")
    write(
        folder, "events.csv", (folder / "events.csv").read_text() + "E9,C100,case_plan,done,,,,,,\n"
    )
    result = run(conn, folder, strict=True)
    assert result.status == "failed" and result.exit_code == 1
    assert len(result.rejects) == 1
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0


# -- idempotent -----------------------------------------------------------------------


def test_a_second_sync_of_the_same_export_changes_nothing(conn, export) -> None:
    folder = export("basic")
    run(conn, folder)
    before = snapshot(conn)
    result = run(conn, folder)
    assert result.status == "unchanged"
    assert all(f.inserted == f.updated == f.gone == 0 for f in result.files)
    assert sum(f.unchanged for f in result.files) == 31
    assert snapshot(conn) == before


def test_same_rows_in_new_bytes_are_still_unchanged(conn, export) -> None:
    """CRLF line endings and gzip change every byte, not one value: nothing is written."""
    folder = export("basic")
    run(conn, folder)
    before = snapshot(conn)
    for path in folder.glob("*.csv"):
        text = path.read_text()
        path.unlink()
        if path.name == "events.csv":
            (folder / "events.csv.gz").write_bytes(gzip.compress(text.encode()))
        else:
            write(folder, path.name, text.replace("\n", "\r\n"))
    result = run(conn, folder)
    assert result.status == "unchanged"
    assert not any(f.skipped for f in result.files)
    assert sum(f.unchanged for f in result.files) == 31
    assert snapshot(conn) == before


def test_a_changed_value_updates_one_row(conn, export) -> None:
    folder = export("basic")
    run(conn, folder)
    write(
        folder, "cases.csv", (folder / "cases.csv").read_text().replace(",Jones,", ",Jones-Ortiz,")
    )
    result = run(conn, folder)
    cases = next(f for f in result.files if f.record_type == "cases")
    assert (cases.inserted, cases.updated, cases.unchanged) == (0, 1, 3)
    assert result.status == "applied"


def test_one_sync_updates_moves_revives_inserts_and_leaves_rows(conn, export, tmp_path) -> None:
    """Every way a staged row meets a stored one, in one sync of events (indexed by case):
    E1 moves to another case (its index entry moves), E2 changes an unindexed column, E3
    is the same, E4 was marked gone and comes back unchanged, E9 is new."""
    folder = export("basic")
    run(conn, folder)
    lines = (folder / "events.csv").read_text().splitlines(keepends=True)
    write(folder, "events.csv", "".join(x for x in lines if not x.startswith("E4,")))
    run(conn, folder)  # a full export without E4: marked gone
    assert conn.execute("SELECT _gone_on FROM events WHERE event_id = 'E4'").fetchone()[0]
    delta = tmp_path / "delta"
    delta.mkdir()
    write(delta, "manifest.toml", 'as_of = 2026-11-24T23:00:00\nkind = "delta"\n')
    header = lines[0]
    rows = {x.split(",")[0]: x for x in lines[1:]}
    write(
        delta,
        "events.csv",
        header
        + rows["E1"].replace("E1,C100,", "E1,C200,")
        + rows["E2"].replace(",scheduled,", ",cancelled,")
        + rows["E3"]
        + rows["E4"]
        + "E9,C100,caseworker_visit,completed,2026-11-20,2026-11-20,P3,W1,home,\n",
    )
    result = run(conn, delta)
    events = next(f for f in result.files if f.record_type == "events")
    assert (events.inserted, events.updated, events.unchanged, events.rejected) == (1, 3, 1, 0)
    sync_id = result.sync_id
    stored = conn.execute(
        "SELECT event_id, case_id, status, _gone_on, _sync_id = ? FROM events ORDER BY 1",
        (sync_id,),
    ).fetchall()
    assert stored == [
        ("E1", "C200", "completed", None, 1),
        ("E2", "C100", "cancelled", None, 1),
        ("E3", "C100", "completed", None, 0),
        ("E4", "C200", "completed", None, 1),
        ("E9", "C100", "completed", None, 1),
    ]
    if isinstance(conn, TeamStore):  # (its indexes are PostgreSQL's to keep)
        return
    by_case = "SELECT group_concat(event_id) FROM (SELECT event_id FROM events INDEXED BY events_case WHERE case_id = ? ORDER BY 1)"  # noqa: E501
    assert conn.execute(by_case, ("C100",)).fetchone() == ("E2,E3,E9",)
    assert conn.execute(by_case, ("C200",)).fetchone() == ("E1,E4",)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_typed_key_cell_with_spaces_is_the_stored_key(conn, export, tmp_path) -> None:
    """A payments month is a typed cell: ' 2026-09' is stored as '2026-09'. A later file that
    writes an existing key so updates that row (no crash on the primary key), and one file
    that has the same key written two ways rejects both copies, like any duplicated key."""
    run(conn, export("basic"))
    delta = tmp_path / "delta"
    delta.mkdir()
    write(delta, "manifest.toml", 'as_of = 2026-11-24T23:00:00\nkind = "delta"\n')
    header = "case_id,month,current_due,current_paid,arrears_due,arrears_paid\n"
    write(delta, "payments.csv", header + "C200, 2026-09 ,450.00,350.00,1200.50,50\n")
    result = run(conn, delta)
    payments = next(f for f in result.files if f.record_type == "payments")
    assert (payments.inserted, payments.updated, payments.rejected) == (0, 1, 0)
    assert conn.execute(
        "SELECT month, current_due FROM payments WHERE case_id = 'C200' ORDER BY month"
    ).fetchall() == [("2026-09", 45000), ("2026-10", 35000)]
    write(
        delta,
        "payments.csv",
        header + "C200,2026-11,1.00,0,,\nC200, 2026-11,2.00,0,,\n",
    )
    result = run(conn, delta)
    payments = next(f for f in result.files if f.record_type == "payments")
    assert (payments.inserted, payments.rejected) == (0, 2)
    assert "more than once" in result.rejects[0].reason
    assert conn.execute("SELECT count(*) FROM payments WHERE month = '2026-11'").fetchone() == (0,)


def test_a_full_export_with_a_spaced_typed_key_does_not_mark_that_row_gone(
    conn, export, tmp_path
) -> None:
    """' 2026-09' in a full export is the stored row 2026-09: unchanged, and still there
    (it was counted unchanged and marked gone at once before costs.csv came)."""
    run(conn, export("basic"))
    folder = export("basic")
    text = (folder / "payments.csv").read_text().replace("C200,2026-09,", "C200, 2026-09 ,")
    write(folder, "payments.csv", text)
    write(folder, "manifest.toml", 'as_of = 2026-11-24T01:00:00\nkind = "full"\n')
    result = run(conn, folder)
    payments = next(f for f in result.files if f.record_type == "payments")
    assert (payments.unchanged, payments.gone) == (2, 0)
    assert conn.execute("SELECT month, _gone_on FROM payments ORDER BY month").fetchall() == [
        ("2026-09", None), ("2026-10", None),
    ]  # fmt: skip


# -- bad rows: rejected with file, line, column, value and reason; the rest applied ----------

BAD_CASES = [
    # (row appended to cases.csv, column, value, words in the reason)
    ("C9,,foster_care,open,2026-01-01,,W1,,,,,,,", "program", "", "required"),
    ("C9,child_welfare,foster_care,opne,2026-01-01,,W1,,,,,,,", "status", "opne", "not one of"),
    ("C9,child_welfare,foster_care,open,2026-02-30,,W1,,,,,,,", "opened_on", "2026-02-30", "date"),
    ("C9,child_welfare,foster_care,open,11/02/2026,,W1,,,,,,,", "opened_on", "11/02/2026", "date"),
    ("C9,child_welfare,foster_care,open,2026-01-01T25:00,,W1,,,,,,,", "opened_on", "2026-01-01T25:00", "date"),
    ("C9,child_welfare,foster_care,closed,2026-01-01,,W1,,,,,,,", "closed_on", "", "required when status is closed"),
    ("C9,child_welfare,investigation,open,2026-01-01,,W1,,,24h,,,,", "response_hours", "24h", "whole number"),
    ("C9,child_welfare,foster_care,open,2026-01-01,,W1,,extreme,,,,,", "risk_level", "extreme", "not one of"),
    ("C9,child_welfare,foster_care,open,2026-01-01,,W77,,,,,,,", "worker_id", "W77", "staff member"),
    ("C9,child_welfare,foster_care,open,2026-01-01,,W1,,,,", None, "C9,child_welfare,foster_care,open,2026-01-01,,W1,,,,", "values where the header has 14"),
]  # fmt: skip


@pytest.mark.parametrize(("row", "column", "value", "reason"), BAD_CASES)
def test_each_kind_of_bad_value_is_rejected_at_its_line_and_column(
    conn, export, row, column, value, reason
) -> None:
    folder = export("basic")
    write(folder, "cases.csv", (folder / "cases.csv").read_text() + row + "\n")
    result = run(conn, folder)
    assert result.exit_code == 3
    assert len(result.rejects) == 1
    reject = result.rejects[0]
    assert (reject.file, reject.line, reject.column, reject.value) == (
        "cases.csv",
        6,
        column,
        value,
    )
    assert reason in reject.reason
    # the rest is applied
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 4
    assert conn.execute("SELECT count(*) FROM cases WHERE case_id = 'C9'").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "reason"),
    [
        ("payments.csv", "C200,2026-11,350.123,0,,", "current_due", "350.123", "at most 2 decimals"),
        ("payments.csv", "C200,2026-13,350,0,,", "month", "2026-13", "YYYY-MM"),
        ("payments.csv", "C200,2026-11,$350,0,,", "current_due", "$350", "amount of money"),
        ("people.csv", "P9,C200,child,X,2015-01-01,perhaps,", "born_out_of_wedlock", "perhaps", "yes/no"),
        ("people.csv", "P9,C999,child,X,2015-01-01,,", "case_id", "C999", "case that is not"),
        ("events.csv", "E9,C100,court_report,scheduled,,,,,,", "scheduled_on", "", "required when status is scheduled"),
        ("events.csv", "E9,C100,court_report,completed,,2026-11-01,P99,,,", "person_id", "P99", "person who is not"),
        ("signals.csv", "G9,job_loss,2026-11-01,,,wage_records,", "case_id", "", "one of the two"),
        ("placements.csv", "PL9,RM9,relative,2026-01-01,", "removal_id", "RM9", "removal that is not"),
        ("staff.csv", "W9,New Worker,worker,,,O1,North Office,,,", "unit_id", "", "required for a worker"),
    ],
)  # fmt: skip
def test_bad_values_in_every_file_are_rejected(
    conn, export, file, row, column, value, reason
) -> None:
    folder = export("basic")
    lines = (folder / file).read_text().count("\n")
    write(folder, file, (folder / file).read_text() + row + "\n")
    result = run(conn, folder)
    assert [(r.file, r.line, r.column, r.value) for r in result.rejects] == [
        (file, lines + 1, column, value)
    ]
    assert reason in result.rejects[0].reason
    stored = conn.execute('SELECT file, line, "column", value, reason FROM rejects').fetchall()
    assert stored == [(file, lines + 1, column, value, result.rejects[0].reason)]


def test_a_duplicate_key_rejects_every_copy_and_keeps_the_stored_row(conn, export) -> None:
    folder = export("basic")
    run(conn, folder)
    text = (folder / "cases.csv").read_text()
    write(
        folder,
        "cases.csv",
        text + "C100,child_welfare,foster_care,open,2025-12-01,,W2,Other,,,,,,\n",
    )
    result = run(conn, folder)
    dupes = [(r.line, r.column, r.value) for r in result.rejects]
    assert dupes == [(3, "case_id", "C100"), (6, "case_id", "C100")]
    assert "lines 3, 6" in result.rejects[0].reason
    assert conn.execute("SELECT worker_id, name FROM cases WHERE case_id = 'C100'").fetchone() == (
        "W1",
        "Brown",
    )


def test_a_row_rejected_for_a_missing_case_applies_once_the_case_arrives(
    conn, export, tmp_path
) -> None:
    first = tmp_path / "first"
    first.mkdir()
    for name in ("staff.csv", "cases.csv"):
        write(first, name, (FIXTURES / "basic" / name).read_text())
    write(
        first,
        "events.csv",
        "event_id,case_id,kind,status,scheduled_on,completed_on\nE50,C500,caseworker_visit,completed,,2026-11-20\n",
    )
    result = run(conn, first)
    assert [(r.file, r.line, r.column, r.value) for r in result.rejects] == [
        ("events.csv", 2, "case_id", "C500")
    ]
    # a delta that brings only the case: the stored event row is retried and applied
    second = tmp_path / "second"
    second.mkdir()
    write(
        second,
        "cases.csv",
        "case_id,program,case_type,status,opened_on,worker_id\nC500,child_welfare,in_home,open,2026-11-01,W2\n",
    )
    result = run(conn, second)
    assert result.resolved == 1
    assert result.rejects == []
    assert conn.execute(
        "SELECT case_id, completed_on FROM events WHERE event_id = 'E50'"
    ).fetchone() == (
        "C500",
        "2026-11-20",
    )
    assert outstanding_rejects(conn) == []
    assert conn.execute("SELECT resolution FROM rejects").fetchall() == [("applied",)]


def test_a_reject_is_superseded_by_a_corrected_row(conn, export) -> None:
    folder = export("basic")
    write(
        folder,
        "cases.csv",
        (folder / "cases.csv").read_text()
        + "C9,child_welfare,in_home,open,2026-02-30,,W1,,,,,,,\n",
    )
    run(conn, folder)
    assert len(outstanding_rejects(conn)) == 1
    write(
        folder, "cases.csv", (folder / "cases.csv").read_text().replace("2026-02-30", "2026-02-28")
    )
    result = run(conn, folder)
    assert result.rejects == [] and result.exit_code == 0
    assert outstanding_rejects(conn) == []
    assert conn.execute("SELECT opened_on FROM cases WHERE case_id = 'C9'").fetchone() == (
        "2026-02-28",
    )


def test_the_same_bad_row_again_is_not_stored_twice(conn, export) -> None:
    folder = export("basic")
    write(
        folder,
        "cases.csv",
        (folder / "cases.csv").read_text()
        + "C9,child_welfare,in_home,open,2026-02-30,,W1,,,,,,,\n",
    )
    run(conn, folder)
    write(
        folder, "cases.csv", (folder / "cases.csv").read_text().replace("\n", "\r\n")
    )  # new bytes
    result = run(conn, folder)
    assert result.status == "unchanged" and result.exit_code == 3
    assert len(result.rejects) == 1
    assert conn.execute("SELECT count(*) FROM rejects").fetchone()[0] == 1


# -- nothing is deleted ---------------------------------------------------------------


def test_a_full_export_marks_missing_records_gone_and_keeps_them(conn, export) -> None:
    folder = export("basic")
    run(conn, folder)
    lines = (folder / "cases.csv").read_text().splitlines(keepends=True)
    write(folder, "cases.csv", "".join(line for line in lines if not line.startswith("C300,")))
    result = run(conn, folder)  # the manifest says kind = "full"
    cases = next(f for f in result.files if f.record_type == "cases")
    assert cases.gone == 1
    assert conn.execute("SELECT _gone_on FROM cases WHERE case_id = 'C300'").fetchone() == (
        "2026-11-23",
    )
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 4
    # the people of the gone case are still there
    assert conn.execute("SELECT count(*) FROM people WHERE case_id = 'C300'").fetchone()[0] == 1
    # it comes back when a later export has it again
    write(folder, "cases.csv", "".join(lines))
    result = run(conn, folder)
    assert next(f for f in result.files if f.record_type == "cases").updated == 1
    assert conn.execute("SELECT _gone_on FROM cases WHERE case_id = 'C300'").fetchone() == (None,)


def test_a_delta_export_marks_nothing_gone(conn, export, tmp_path) -> None:
    run(conn, export("basic"))
    delta = tmp_path / "delta"
    delta.mkdir()
    write(
        delta,
        "cases.csv",
        "case_id,program,case_type,status,opened_on\nC100,child_welfare,foster_care,open,2025-12-01\n",
    )
    result = run(conn, delta)
    assert sum(f.gone for f in result.files) == 0
    assert conn.execute("SELECT count(*) FROM cases WHERE _gone_on IS NOT NULL").fetchone()[0] == 0
    # columns the delta does not carry keep their stored values
    assert conn.execute("SELECT worker_id, name FROM cases WHERE case_id = 'C100'").fetchone() == (
        "W1",
        "Brown",
    )


def test_local_records_survive_a_sync_untouched(conn, export) -> None:
    folder = export("basic")
    run(conn, folder)
    conn.execute(
        "INSERT INTO recorded_events (case_id, kind, occurred_at, recorded_by, recorded_at)"
        " VALUES ('C100', 'caseworker_visit', '2026-11-24T10:00', 'W1', '2026-11-24T10:05')"
    )
    conn.execute(
        "INSERT INTO barriers (case_id, what, opened_on, opened_by) VALUES ('C100', 'drug screen result', '2026-11-12', 'W1')"
    )
    conn.execute(
        "INSERT INTO audit_log (at, who, action, entity) VALUES ('2026-11-24', 'W1', 'record', 'case')"
    )
    local = {
        t: conn.execute(f"SELECT * FROM {t}").fetchall()
        for t in ("recorded_events", "barriers", "audit_log")
    }
    lines = (folder / "cases.csv").read_text().splitlines(keepends=True)
    write(folder, "cases.csv", "".join(line for line in lines if not line.startswith("C100,")))
    run(conn, folder)  # full: C100 is now gone, its local records stay
    assert {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in local} == local


# -- file shapes ------------------------------------------------------------------------


def test_gzip_bom_crlf_and_quoted_newlines(conn, export) -> None:
    folder = export("basic")
    people = (folder / "people.csv").read_text()
    people = people.replace("P2,004,mother,Lee Smith", 'P2,004,mother,"Lee\nSmith"')
    (folder / "people.csv").unlink()
    (folder / "people.csv.gz").write_bytes(
        gzip.compress(("\ufeff" + people).replace("\n", "\r\n").encode())
    )
    text = (
        (folder / "events.csv")
        .read_text()
        .replace("E4,C200,income_withholding,completed", "E4,C200,income_withholding,finished")
    )
    write(folder, "events.csv", "\ufeff" + text.replace("\n", "\r\n"))
    result = run(conn, folder)
    assert conn.execute("SELECT name FROM people WHERE person_id = 'P2'").fetchone() == (
        "Lee\r\nSmith",
    )
    assert conn.execute("SELECT count(*) FROM people").fetchone()[0] == 7
    # the BOM did not hide the first column, and line numbers count physical lines
    assert [(r.file, r.line, r.column) for r in result.rejects] == [("events.csv", 5, "status")]


def test_line_numbers_after_a_quoted_newline_are_physical_lines(conn, export) -> None:
    folder = export("basic")
    text = (folder / "cases.csv").read_text().replace(",Smith,", ',"Smith\nfamily",')
    write(folder, "cases.csv", text + "C9,child_welfare,in_home,open,2026-02-30,,W1,,,,,,,\n")
    result = run(conn, folder)
    assert [(r.line, r.column) for r in result.rejects] == [(7, "opened_on")]


def test_empty_and_header_only_files_change_nothing(conn, export) -> None:
    folder = export("basic")
    run(conn, folder)
    before = snapshot(conn)
    write(folder, "signals.csv", "")
    write(folder, "referrals.csv", "referral_id,case_id,service,status,referred_on\n")
    (folder / "manifest.toml").unlink()  # a delta: nothing is gone because a file is empty
    result = run(conn, folder)
    assert result.status == "unchanged"
    assert snapshot(conn) == before


def test_unknown_columns_and_files_are_reported_and_ignored(conn, export) -> None:
    folder = export("basic")
    text = (folder / "signals.csv").read_text().splitlines()
    text = [text[0] + ",internal_flag"] + [line + ",x" for line in text[1:]]
    write(folder, "signals.csv", "\n".join(text) + "\n")
    write(folder, "notes.txt", "hello")
    result = run(conn, folder)
    assert (
        "signals.csv: 1 column is not in the contract and was ignored ('internal_flag')."
        in result.warnings
    )
    assert "notes.txt: not a file casecli knows; ignored." in result.warnings
    assert conn.execute("SELECT count(*) FROM signals").fetchone()[0] == 2


def test_trailing_blank_rows_are_skipped_not_rejected(conn, export) -> None:
    folder = export("basic")
    write(
        folder, "cases.csv", (folder / "cases.csv").read_text() + ",,,,,,,,,,,,,\n\n,,,,,,,,,,,,,\n"
    )
    result = run(conn, folder)
    assert result.rejects == []
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 4


def test_a_profile_maps_columns_values_defaults_and_dates(conn, tmp_path) -> None:
    folder = tmp_path / "county"
    folder.mkdir()
    write(folder, "staff.csv", (FIXTURES / "basic" / "staff.csv").read_text())
    write(
        folder,
        "history.csv",
        "CAS_ID,OPEN_DATE,WORKER,ACTIVE\n0042,7/21/25 0:00,W1,Y\n0043,12/01/99 0:00,W2,n\n",
    )
    profile = write(
        tmp_path,
        "county.toml",
        'name = "county"\ndate_formats = ["%m/%d/%y %H:%M"]\ntwo_digit_year_pivot = 40\n'
        '[files.cases]\nfile = "history.csv"\n'
        '[files.cases.columns]\ncase_id = "CAS_ID"\nopened_on = "OPEN_DATE"\nworker_id = "WORKER"\nstatus = "ACTIVE"\n'
        '[files.cases.values.status]\n"Y" = "open"\n"N" = "open"\n'
        '[files.cases.defaults]\nprogram = "child_welfare"\ncase_type = "in_home"\n',
    )
    result = run(conn, folder, profile=str(profile))
    assert result.profile == "county"
    assert result.rejects == []
    assert conn.execute(
        "SELECT case_id, program, case_type, status, opened_on FROM cases ORDER BY 1"
    ).fetchall() == [
        ("0042", "child_welfare", "in_home", "open", "2025-07-21"),
        ("0043", "child_welfare", "in_home", "open", "1999-12-01"),
    ]


# -- errors that stop a sync: one clear sentence, nothing applied --------------------------


def test_a_missing_required_column_stops_the_sync(conn, export) -> None:
    folder = export("basic")
    write(folder, "events.csv", "event_id,case_id,status\nE1,C100,completed\n")
    with pytest.raises(CasecliError, match="events.csv: the required column 'kind' is missing"):
        run(conn, folder)
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0


def test_a_first_sync_needs_staff_and_cases(conn, tmp_path) -> None:
    write(tmp_path, "events.csv", "event_id,case_id,kind,status\n")
    with pytest.raises(CasecliError, match="needs staff.csv and cases.csv"):
        run(conn, tmp_path)


def test_text_that_is_not_utf8_names_the_file_and_line(conn, export) -> None:
    folder = export("basic")
    data = (folder / "people.csv").read_bytes().replace(b"Ana Smith", "Ana Núñez".encode("cp1252"))
    (folder / "people.csv").write_bytes(data)
    with pytest.raises(CasecliError, match=r"people.csv: line \d+ is not valid utf-8 .*encoding"):
        run(conn, folder)
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0


# -- the two ways in: a first load straight into empty tables, and staging -----------------


def test_first_load_and_staged_load_store_identical_rows(tmp_path, monkeypatch) -> None:
    """The direct first load and the staging path must agree on every stored value."""
    from casecli.core.ingest import sync_job
    from casecli.core.store import store
    from casecli.demo.export import write_demo

    folder = tmp_path / "demo"
    write_demo(folder, cases=400, seed=7, today=TODAY)
    direct = store.connect(tmp_path / "direct.db", create=True)
    run(direct, folder)
    monkeypatch.setattr(sync_job.Job, "_load_direct", lambda self, read: None)
    staged = store.connect(tmp_path / "staged.db", create=True)
    run(staged, folder)
    for table in EXPORT_TABLES:
        rows = f"SELECT * FROM {table} ORDER BY 1, 2"
        assert direct.execute(rows).fetchall() == staged.execute(rows).fetchall(), table
        assert direct.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, table


def test_a_duplicate_key_in_a_first_load_rejects_every_copy(conn, export) -> None:
    folder = export("basic")
    text = (folder / "cases.csv").read_text()
    write(
        folder,
        "cases.csv",
        text + "C100,child_welfare,foster_care,open,2025-12-01,,W2,Other,,,,,,\n",
    )
    result = run(conn, folder)
    assert [(r.file, r.line, r.column) for r in result.rejects if r.file == "cases.csv"] == [
        ("cases.csv", 3, "case_id"),
        ("cases.csv", 6, "case_id"),
    ]
    assert conn.execute("SELECT count(*) FROM cases WHERE case_id = 'C100'").fetchone()[0] == 0
    # rows that point at the rejected case wait for it, and apply once it arrives
    assert {r.file for r in result.rejects} >= {"people.csv", "events.csv"}


def test_values_with_spaces_capitals_and_month_ends_are_valid(conn, export) -> None:
    """Cells the cheap checks cannot vouch for still get the exact checks, not a reject."""
    folder = export("basic")
    write(
        folder,
        "cases.csv",
        (folder / "cases.csv").read_text()
        + "C9,Child_Welfare, in_home ,OPEN, 2026-01-31T23:59 ,,W1,,High, 72 ,,2024-02-29,,\n",
    )
    write(
        folder,
        "payments.csv",
        (folder / "payments.csv").read_text() + "C200,2026-11, -12.5 ,0.5,7,\n",
    )
    result = run(conn, folder)
    assert result.rejects == []
    assert conn.execute(
        "SELECT program, case_type, status, opened_on, risk_level, response_hours, goal_target_on"
        " FROM cases WHERE case_id = 'C9'"
    ).fetchone() == (
        "child_welfare",
        " in_home ",
        "open",
        "2026-01-31T23:59",
        "high",
        72,
        "2024-02-29",
    )
    assert conn.execute(
        "SELECT current_due, current_paid, arrears_due FROM payments WHERE month = '2026-11'"
    ).fetchone() == (-1250, 50, 700)


# -- the initial build: a new store is built beside the old one and moved into place -------


def test_an_initial_sync_builds_a_0600_wal_store_and_leaves_nothing_behind(tmp_path) -> None:
    import stat

    from casecli.core.ingest.sync import sync_store
    from casecli.core.store import store

    path = tmp_path / "new.db"
    result = sync_store(path, FIXTURES / "basic", today=TODAY)
    assert result.status == "applied"
    # the store, and the writer lock beside it (kept: see casecli.core.store.storelock)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db", "new.db-lock"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new.db-lock").stat().st_mode) == 0o600
    conn = store.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 4
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # the secondary indexes, built after the load, are all there
    indexes = {
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
    }
    assert {
        "cases_worker",
        "people_case",
        "events_case",
        "signals_person",
        "placements_removal",
    } <= indexes
    # and the next sync goes in place, as one transaction
    again = sync_store(path, FIXTURES / "basic", today=TODAY)
    assert again.status == "unchanged"


def test_a_failed_initial_sync_leaves_the_empty_store_and_no_temporary_file(tmp_path) -> None:
    from casecli.core.ingest.sync import sync_store
    from casecli.core.store import store

    path = tmp_path / "new.db"
    with pytest.raises(RuntimeError, match="injected"):
        sync_store(path, FIXTURES / "basic", today=TODAY, fail_after="events")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db", "new.db-lock"]
    conn = store.connect(path)
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM sync_log").fetchone()[0] == 0


def test_a_strict_initial_sync_with_a_reject_applies_nothing(tmp_path, export) -> None:
    from casecli.core.ingest.sync import sync_store
    from casecli.core.store import store

    folder = export("basic")
    write(
        folder,
        "cases.csv",
        (folder / "cases.csv").read_text()
        + "C9,child_welfare,in_home,open,2026-02-30,,W1,,,,,,,\n",
    )
    path = tmp_path / "new.db"
    result = sync_store(path, folder, today=TODAY, strict=True)
    assert result.status == "failed" and result.exit_code == 1
    conn = store.connect(path)
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0
    assert not path.with_name("new.db.initial-sync").exists()


def test_a_store_with_local_work_is_never_rebuilt(tmp_path) -> None:
    from casecli.core.ingest.sync import sync_store
    from casecli.core.store import store

    path = tmp_path / "s.db"
    conn = store.connect(path, create=True)
    conn.execute("INSERT INTO audit_log (at, who, action, entity) VALUES ('t', 'A1', 'x', 'y')")
    conn.close()
    sync_store(path, FIXTURES / "basic", today=TODAY)
    conn = store.connect(path)
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 4


def _touched(conn: sqlite3.Connection, sync_id: int) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT case_id FROM sync_cases WHERE sync_id = ? ORDER BY case_id", (sync_id,)
        )
    ]


def test_each_sync_records_the_cases_it_changed(conn, export, tmp_path) -> None:
    # Issue 15 item 3: kept evaluations are refreshed for the cases a sync touched alone.
    folder = export("basic")
    first = run(conn, folder)
    assert _touched(conn, first.sync_id) == ["*"]  # loaded whole: every case may be new
    again = run(conn, folder)
    assert _touched(conn, again.sync_id) == []  # unchanged: nothing to refresh
    delta = tmp_path / "delta"
    delta.mkdir()
    write(delta, "manifest.toml", 'source = "t"\nas_of = 2026-11-24T23:00:00\nkind = "delta"\n')
    write(  # one event changed (C100), one new (C200); the same rows again leave C300 out
        delta,
        "events.csv",
        "event_id,case_id,kind,status,scheduled_on,completed_on,person_id,staff_id,location,result\n"
        "E1,C100,caseworker_visit,completed,2026-10-10,2026-10-11T15:00,P3,W1,home,\n"
        "E99,C200,modification_review,scheduled,2026-12-01,,,W2,office,\n",
    )
    write(  # a placement names its removal, whose case is C100
        delta,
        "placements.csv",
        "placement_id,removal_id,setting,start_on,end_on\nPL2,RM1,foster_family,2025-12-10,2026-11-20\n",
    )
    result = run(conn, delta)
    assert result.status == "applied"
    assert _touched(conn, result.sync_id) == ["C100", "C200"]
    # the full export again, without C300's person: that person is marked gone (C300), E1
    # and PL2 go back to the full export's values (C100), E99 is not in it, gone (C200)
    lines = (folder / "people.csv").read_text().splitlines(keepends=True)
    write(folder, "people.csv", "".join(x for x in lines if ",C300," not in x))
    write(folder, "manifest.toml", 'source = "t"\nas_of = 2026-11-25T23:00:00\nkind = "full"\n')
    full = run(conn, folder)
    assert _touched(conn, full.sync_id) == ["C100", "C200", "C300"]
    assert _touched(conn, run(conn, folder).sync_id) == []
