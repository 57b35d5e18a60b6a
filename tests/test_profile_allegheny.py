"""The Allegheny County (PA)-style example profile against a fixture in that export's shape.

The fixture (tests/fixtures/allegheny/) is what Excel leaves behind: Windows-1252 bytes,
CRLF line endings, dates like ``7/21/75 0:00``, rows of bare commas at the end. Cases
and staff both come from history.csv; people from clients.csv. See
examples/profiles/README.md for the profile and its known limits.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from casecli.core.ingest.sync import SyncResult, sync
from tests.conftest import FIXTURES, TODAY, casecli, store_rows

REPO = Path(__file__).resolve().parent.parent
PROFILE = REPO / "examples" / "profiles" / "allegheny.toml"
FOLDER = FIXTURES / "allegheny"

# history.csv: header is line 1, case 100234 is line 2 … case 100244 is line 12;
# lines 13 and 14 are Excel's trailing ",,,,,,,," rows. clients.csv ends with ",,,," (line 16).
DUPLICATE_KEY = (
    "the key appears more than once in this file (lines 6, 7), "
    "so none of these rows was applied; keep one row per key"
)
MISSING_STAFF = "worker_id refers to a staff member who is not in the store or this export"
EXPECTED_REJECTS = {
    # (file, line, column, value, reason)
    ("history.csv", 6, "WORKER_ID", "W2103", DUPLICATE_KEY),  # staff: W2103 in two units
    ("history.csv", 7, "WORKER_ID", "W2103", DUPLICATE_KEY),
    ("history.csv", 6, "WORKER_ID", "W2103", MISSING_STAFF),  # cases: so their worker is missing
    ("history.csv", 7, "WORKER_ID", "W2103", MISSING_STAFF),
    (
        "history.csv",
        10,
        "OPEN_DATE",
        "13/45/24 0:00",
        "opened_on is not a date or ISO 8601 date-time (YYYY-MM-DD or YYYY-MM-DDTHH:MM)",
    ),
    ("clients.csv", 8, "DOB", "2/30/58 0:00", "birth_on is not a date in the form YYYY-MM-DD"),
    (
        "clients.csv",
        11,
        "CAS_ID",
        "100242",
        "case_id refers to a case that is not in the store or this export",
    ),
}


def run_sync(conn: sqlite3.Connection, folder: Path = FOLDER) -> SyncResult:
    return sync(conn, folder, today=TODAY, profile=str(PROFILE))


def reject_set(result: SyncResult) -> set[tuple[object, ...]]:
    return {(r.file, r.line, r.column, r.value, r.reason) for r in result.rejects}


# -- the fixture really is in the Windows/Excel shape ------------------------------------


def test_fixture_is_cp1252_with_crlf_and_trailing_blankstore_rows() -> None:
    history = (FOLDER / "history.csv").read_bytes()
    clients = (FOLDER / "clients.csv").read_bytes()
    assert b"N\xfa\xf1ez, Jos\xe9" in clients  # "Núñez, José" as cp1252 bytes
    assert b"O\x92Dwyer" in history  # curly apostrophe ’ is 0x92
    for data in (history, clients):
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        assert data.count(b"\r\n") == data.count(b"\n")
    assert history.endswith(b"\r\n,,,,,,,,\r\n,,,,,,,,\r\n")
    assert clients.endswith(b"\r\n,,,,\r\n")


# -- values ------------------------------------------------------------------------------


def test_two_digit_years_pivot_and_times_drop(conn: sqlite3.Connection) -> None:
    run_sync(conn)
    birth = dict(conn.execute("SELECT person_id || '/' || case_id, birth_on FROM people"))
    assert birth["5002/100234"] == "1975-07-21"  # 7/21/75 0:00
    assert birth["5003/100234"] == "1972-11-02"
    assert birth["5005/100236"] == "1999-09-09"
    assert birth["5004/100236"] == "2024-01-05"  # 1/5/24 0:00
    assert birth["5012/100244"] == "2026-02-02"
    opened = dict(conn.execute("SELECT case_id, opened_on FROM cases"))
    assert opened["100234"] == "2024-03-04"  # 3/4/24 0:00: a date, not a date-time
    assert opened["100241"] == "2024-02-29"
    assert opened["100243"] == "2019-06-06"
    assert opened["100244"] == "2026-04-01"


def test_cp1252_names_stored_verbatim(conn: sqlite3.Connection) -> None:
    run_sync(conn)
    people = dict(conn.execute("SELECT person_id, name FROM people"))
    assert people["5003"] == "Núñez, José"
    assert people["5004"] == "D’Ambrosio, Léa"
    assert people["5012"] == "Ó Ceallaigh, Fiadh"
    staff = dict(conn.execute("SELECT staff_id, name FROM staff"))
    assert staff["W2102"] == "O’Dwyer-Castellanos, Siobhán"
    assert staff["W2104"] == "Thibodeaux-Mbeki, Zoë"


def test_cases_status_closed_on_and_defaults(conn: sqlite3.Connection) -> None:
    run_sync(conn)
    rows = {
        r[0]: r[1:]
        for r in conn.execute(
            "SELECT case_id, status, closed_on, worker_id, program, case_type FROM cases"
        )
    }
    assert set(rows) == {
        "100234", "100235", "100236", "100237", "100240", "100241", "100243", "100244"
    }  # fmt: skip
    assert rows["100234"] == ("open", None, "W2101", "child_welfare", "in_home")
    assert rows["100235"] == ("closed", "2024-06-30", "W2101", "child_welfare", "in_home")
    assert rows["100237"][:2] == ("closed", "2023-02-28")
    assert rows["100243"][:2] == ("closed", "2020-10-31")
    assert {r[0] for r in rows.values()} == {"open", "closed"}


def test_people_roles_mapped(conn: sqlite3.Connection) -> None:
    run_sync(conn)
    roles = {(p, c): r for p, c, r in conn.execute("SELECT person_id, case_id, role FROM people")}
    assert roles[("5001", "100234")] == "child"
    assert roles[("5002", "100234")] == "mother"
    assert roles[("5003", "100234")] == "father"
    assert roles[("5006", "100237")] == "child"  # "Child": matched ignoring case
    assert roles[("5011", "100243")] == "caregiver"  # FOSTER PARENT
    assert roles[("5013", "100241")] == "relative"  # AUNT
    # one person in two cases is two rows, one per case
    assert roles[("5002", "100240")] == "mother"


def test_staff_collapsed_to_one_row_per_worker(conn: sqlite3.Connection) -> None:
    run_sync(conn)
    staff = conn.execute(
        "SELECT staff_id, role, unit_id, unit_name, office_id, active FROM staff ORDER BY staff_id"
    ).fetchall()
    assert staff == [
        ("W2101", "worker", "Central Intake", "Central Intake", "ALLEGHENY", 1),
        ("W2102", "worker", "East In-Home Unit 3", "East In-Home Unit 3", "ALLEGHENY", 1),
        ("W2104", "worker", "Central Intake", "Central Intake", "ALLEGHENY", 1),
    ]


# -- rejects -----------------------------------------------------------------------------


def test_rejects_name_file_line_column_value_and_reason(conn: sqlite3.Connection) -> None:
    result = run_sync(conn)
    assert result.status == "applied"
    assert result.exit_code == 3
    assert reject_set(result) == EXPECTED_REJECTS


def test_worker_in_two_units_is_a_duplicate_key_not_collapsed(conn: sqlite3.Connection) -> None:
    """Known limit: distinct collapses identical rows only; a reassigned worker differs."""
    result = run_sync(conn)
    staff_rejects = [
        (r.file, r.line, r.column, r.value, r.reason)
        for r in result.rejects
        if r.reason.startswith("the key appears more than once")
    ]
    assert staff_rejects == [
        ("history.csv", 6, "WORKER_ID", "W2103", DUPLICATE_KEY),
        ("history.csv", 7, "WORKER_ID", "W2103", DUPLICATE_KEY),
    ]
    assert conn.execute("SELECT count(*) FROM staff WHERE staff_id = 'W2103'").fetchone() == (0,)
    # …and so the worker's cases wait, retryable, for W2103 to arrive.
    waiting = conn.execute(
        "SELECT line, retryable FROM rejects WHERE record_type = 'cases' AND value = 'W2103'"
        " AND resolved_sync_id IS NULL ORDER BY line"
    ).fetchall()
    assert waiting == [(6, 1), (7, 1)]
    assert conn.execute(
        "SELECT count(*) FROM cases WHERE case_id IN ('100238', '100239')"
    ).fetchone() == (0,)


def test_readme_workaround_collapses_the_reassigned_worker(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    """The README's way out: keep the unit out of the staff rows, give unit_id a default."""
    text = PROFILE.read_text(encoding="utf-8")
    text = text.replace('unit_id = "UNIT_NAME"', "").replace(
        'unit_name = "UNIT_NAME"', 'unit_name = ""'
    )
    text = text.replace('office_id = "ALLEGHENY"', 'office_id = "ALLEGHENY"\nunit_id = "CYF"')
    profile = tmp_path / "allegheny-no-units.toml"
    profile.write_text(text, encoding="utf-8")
    result = sync(conn, FOLDER, today=TODAY, profile=str(profile))
    assert not [r for r in result.rejects if r.value == "W2103"]
    staff = conn.execute("SELECT staff_id, unit_id, unit_name FROM staff ORDER BY 1").fetchall()
    assert staff == [(w, "CYF", None) for w in ("W2101", "W2102", "W2103", "W2104")]
    assert conn.execute(
        "SELECT case_id, worker_id FROM cases WHERE case_id IN ('100238', '100239') ORDER BY 1"
    ).fetchall() == [("100238", "W2103"), ("100239", "W2103")]


def test_second_sync_is_unchanged(conn: sqlite3.Connection) -> None:
    run_sync(conn)
    before = conn.execute("SELECT count(*) FROM rejects").fetchone()
    second = run_sync(conn)
    assert second.status == "unchanged"
    assert second.exit_code == 3  # the rejects are still outstanding
    assert all(f.inserted == f.updated == f.gone == 0 for f in second.files)
    assert {f.record_type for f in second.files if f.skipped} == {"staff", "cases", "people"}
    assert conn.execute("SELECT count(*) FROM rejects").fetchone() == before
    assert reject_set(second) == EXPECTED_REJECTS


def test_cli_json_exit_codes_and_second_run(target: str) -> None:
    # On both stores (issue 17 item 7): a team store's sync reads the profile and the
    # Windows-1252 bytes in the same code, and stores the same names.
    db = target
    args = ("--db", db, "sync", str(FOLDER), "--profile", str(PROFILE), "--json")
    first = casecli(*args, cwd=REPO)
    assert first.returncode == 3, first.stderr
    out = json.loads(first.stdout)
    assert {tuple(r.values()) for r in out["rejects"]} == EXPECTED_REJECTS
    assert out["status"] == "applied"
    assert out["profile"] == "allegheny"
    assert out["files"]["history.csv"]["table"] == "staff"
    assert out["files"]["history.csv"]["inserted"] == 3
    assert out["files"]["history.csv:cases"]["inserted"] == 8
    assert out["files"]["clients.csv"]["inserted"] == 12
    assert {
        "file": "history.csv",
        "line": 10,
        "column": "OPEN_DATE",
        "value": "13/45/24 0:00",
        "reason": "opened_on is not a date or ISO 8601 date-time (YYYY-MM-DD or YYYY-MM-DDTHH:MM)",
    } in out["rejects"]
    second = casecli(*args, cwd=REPO)
    assert second.returncode == 3, second.stderr
    assert json.loads(second.stdout)["status"] == "unchanged"
    names = dict(store_rows(db, "SELECT person_id, name FROM people"))
    assert names["5003"] == "Núñez, José" and names["5004"] == "D’Ambrosio, Léa"
    assert (
        dict(store_rows(db, "SELECT staff_id, name FROM staff"))["W2104"] == "Thibodeaux-Mbeki, Zoë"
    )


# -- casecli bugs this shape exposes (reported; these pass once fixed) --------------------


def test_excel_trailing_comma_rows_are_skipped_not_rejected(conn: sqlite3.Connection) -> None:
    result = run_sync(conn)
    assert reject_set(result) == EXPECTED_REJECTS


def test_second_sync_lists_each_outstanding_reject_once(conn: sqlite3.Connection) -> None:
    first = run_sync(conn)
    second = run_sync(conn)
    assert len(second.rejects) == len(first.rejects)
    assert len(reject_set(second)) == len(second.rejects)


def test_columns_used_by_another_record_type_are_not_called_ignored(
    conn: sqlite3.Connection,
) -> None:
    result = run_sync(conn)
    ignored = " ".join(w for w in result.warnings if "not in the contract" in w)
    for used in ("CAS_ID", "OPEN_DATE", "CASEWORKER_NAME", "UNIT_NAME", "LAST_ASGN_END_DT"):
        assert f"'{used}'" not in ignored
    for unused in ("SUPERVISOR_NAME", "LAST_ASGN_STRT_DT"):  # really read by nobody
        assert f"'{unused}'" in ignored
