"""costs.csv (EXPORTS.md, optional; issue 13 item 12): what a sync accepts and rejects,
full and delta semantics, and stores at schema 5 migrating to the costs table."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from casecli.core.ingest.sync import sync
from casecli.core.store import store
from tests.conftest import FIXTURES, TODAY

HEADER = "office_id,period,expenditures\n"


def export_with(tmp_path: Path, costs: str | None, name: str = "export") -> Path:
    """The basic fixture (one office, O1) with ``costs`` as its costs.csv (None: none)."""
    folder = tmp_path / name
    shutil.copytree(FIXTURES / "basic", folder)
    if costs is not None:
        (folder / "costs.csv").write_text(costs)
    return folder


def rows(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    return conn.execute(
        "SELECT office_id, period, expenditures, _gone_on FROM costs ORDER BY 1, 2"
    ).fetchall()


@pytest.mark.parametrize("first_load", [True, False], ids=["first load", "into a store"])
def test_a_good_costs_file_loads_money_as_cents(
    conn: sqlite3.Connection, tmp_path: Path, first_load: bool
) -> None:
    if not first_load:  # the staged path: the table is not empty any more
        sync(conn, export_with(tmp_path, HEADER + "O1,FFY2020,1.00\n", "before"), today=TODAY)
    good = HEADER + "O1,FFY2026,250000.00\nO1,ffy2027, 41666.67 \n"
    result = sync(conn, export_with(tmp_path, good), today=TODAY)
    assert result.rejects == []
    # ffy2027 is stored as FFY2027 (case-insensitive on input, like enums), the typed cell
    # is trimmed, and money is integer cents (EXPORTS.md "Types").
    stored = [r for r in rows(conn) if r[1] != "FFY2020"]
    assert stored == [("O1", "FFY2026", 25_000_000, None), ("O1", "FFY2027", 4_166_667, None)]


@pytest.mark.parametrize("first_load", [True, False], ids=["first load", "into a store"])
def test_bad_costs_rows_are_rejected_with_file_line_column_value_and_reason(
    conn: sqlite3.Connection, tmp_path: Path, first_load: bool
) -> None:
    if not first_load:
        sync(conn, export_with(tmp_path, HEADER + "O1,FFY2020,1.00\n", "before"), today=TODAY)
    bad = (
        HEADER
        + "O1,FFY2026,1000.00\n"  # line 2: good
        + "O9,FFY2026,10.00\n"  # 3: no staff member is in office O9
        + "O1,FFY1899,10.00\n"  # 4: a year before the contract's dates
        + "O1,2026,10.00\n"  # 5: not FFYyyyy
        + "O1,FFY2025,-5.00\n"  # 6: negative money
        + "O1,FFY2024,1000000000.01\n"  # 7: past the money limit
        + "O1,FFY2023,0\n"  # 8: nothing spent: no ratio can be made of it
        + "O1,FFY2022,12.345\n"  # 9: three decimals
    )
    result = sync(conn, export_with(tmp_path, bad), today=TODAY)
    got = [(r.file, r.line, r.column, r.value, r.reason) for r in result.rejects]
    assert got == [
        ("costs.csv", 3, "office_id", "O9", "office_id refers to an office that no staff member"
         " in the store or this export belongs to (offices come from staff.csv's office_id)"),
        ("costs.csv", 4, "period", "FFY1899",
         "period is not between FFY1900 and FFY2100, the years the contract allows"),
        ("costs.csv", 5, "period", "2026",
         "period is not a federal fiscal year in the form FFY2026"),
        ("costs.csv", 6, "expenditures", "-5.00", "expenditures must be above 0"),
        ("costs.csv", 7, "expenditures", "1000000000.01",
         "expenditures is more than 1,000,000,000.00 (or less than -1,000,000,000.00)"),
        ("costs.csv", 8, "expenditures", "0", "expenditures must be above 0"),
        ("costs.csv", 9, "expenditures", "12.345",
         "expenditures is not an amount of money (digits with at most 2 decimals, like 125.50)"),
    ]  # fmt: skip
    assert [r[:3] for r in rows(conn) if r[1] != "FFY2020"] == [("O1", "FFY2026", 100_000)]
    # Only the unknown office may be fixed by a later export (a new office in staff.csv):
    # it is kept for retrying, the others wait for a corrected row.
    retry = conn.execute(
        "SELECT line FROM rejects WHERE record_type = 'costs' AND retryable = 1"
    ).fetchall()
    assert retry == [(3,)]


def test_a_cost_row_for_an_office_that_arrives_later_applies_then(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    sync(conn, export_with(tmp_path, HEADER + "O2,FFY2026,500.00\n"), today=TODAY)
    assert rows(conn) == []
    later = tmp_path / "later"
    later.mkdir()
    (later / "staff.csv").write_text(
        "staff_id,name,role,unit_id,unit_name,office_id,office_name,supervisor_id,"
        "hours_per_week,active\nM2,Max South,manager,,,O2,South Office,,40,true\n"
    )
    result = sync(conn, later, today=TODAY)
    assert result.resolved == 1
    assert rows(conn) == [("O2", "FFY2026", 50_000, None)]


def test_without_costs_csv_a_sync_is_as_before(conn: sqlite3.Connection, tmp_path: Path) -> None:
    result = sync(conn, export_with(tmp_path, None), today=TODAY)
    assert "costs" not in [f.record_type for f in result.files]
    assert not any("costs" in w for w in result.warnings)
    assert rows(conn) == []
    # A full export without costs.csv leaves the costs a previous export brought alone.
    sync(conn, export_with(tmp_path, HEADER + "O1,FFY2026,10.00\n", "with"), today=TODAY)
    again = sync(conn, export_with(tmp_path, None, "without"), today=TODAY, full=True)
    assert again.status == "unchanged"
    assert rows(conn) == [("O1", "FFY2026", 1_000, None)]


def test_a_full_export_marks_a_missing_cost_row_gone_and_a_delta_does_not(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    both = HEADER + "O1,FFY2025,900.00\nO1,FFY2026,1000.00\n"
    sync(conn, export_with(tmp_path, both, "both"), today=TODAY)
    one = HEADER + "O1,FFY2026,1100.00\n"
    delta = export_with(tmp_path, one, "delta")
    (delta / "manifest.toml").write_text('as_of = 2026-11-24T01:00:00\nkind = "delta"\n')
    sync(conn, delta, today=TODAY)
    assert rows(conn) == [("O1", "FFY2025", 90_000, None), ("O1", "FFY2026", 110_000, None)]
    full = export_with(tmp_path, one, "full")
    (full / "manifest.toml").write_text('as_of = 2026-11-24T02:00:00\nkind = "full"\n')
    result = sync(conn, full, today=TODAY)
    costs = next(f for f in result.files if f.record_type == "costs")
    assert costs.gone == 1
    assert rows(conn) == [("O1", "FFY2025", 90_000, "2026-11-24"), ("O1", "FFY2026", 110_000, None)]


def test_the_same_key_twice_with_other_values_rejects_both(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    twice = HEADER + "O1,FFY2026,1000.00\nO1,ffy2026,1200.00\n"
    result = sync(conn, export_with(tmp_path, twice), today=TODAY)
    assert [(r.line, r.column) for r in result.rejects] == [(2, "office_id"), (3, "office_id")]
    assert "appears more than once" in result.rejects[0].reason
    assert rows(conn) == []


def test_a_store_at_schema_5_migrates_to_the_costs_table_with_nothing_lost(
    tmp_path: Path,
) -> None:
    """Build a store with migrations 1-5 only (as casecli made them before costs.csv),
    put rows in it, then open it with today's code."""
    db = tmp_path / "old.db"
    store._create_file_0600(db)
    raw = sqlite3.connect(db, isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    for m in store.migrations():
        if m.version <= 5:
            for statement in store._statements(m.path.read_text(encoding="utf-8")):
                raw.execute(statement)
    raw.execute("PRAGMA user_version = 5")
    raw.execute(
        "INSERT INTO staff (staff_id, name, role, office_id) VALUES ('M1', 'Pat', 'manager', 'O1')"
    )
    raw.execute(
        "INSERT INTO payments (case_id, month, current_due, current_paid) VALUES"
        " ('C1', '2026-01', 10000, 5000)"
    )
    assert "costs" not in {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
    raw.close()

    conn = store.connect(db)  # the first command to open it migrates it
    try:
        assert store.schema_version(conn) == store.latest_version() >= 6
        columns = [r[1] for r in conn.execute("PRAGMA table_info(costs)")]
        assert columns == ["office_id", "period", "expenditures", "_gone_on", "_sync_id"]
        assert conn.execute("SELECT staff_id FROM staff").fetchall() == [("M1",)]
        assert conn.execute("SELECT current_paid FROM payments").fetchall() == [(5000,)]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # and the migrated store takes a costs.csv
        sync(conn, export_with(tmp_path, HEADER + "O1,FFY2026,10.00\n"), today=TODAY)
        assert rows(conn) == [("O1", "FFY2026", 1_000, None)]
    finally:
        conn.close()
    backups = list(tmp_path.glob("old.backup-*.db"))
    assert len(backups) == 1  # backed up before the migration, at schema 5
    assert sqlite3.connect(backups[0]).execute("PRAGMA user_version").fetchone()[0] == 5


def test_db_check_counts_the_costs_rows(conn: sqlite3.Connection, tmp_path: Path) -> None:
    sync(conn, export_with(tmp_path, HEADER + "O1,FFY2026,10.00\n"), today=date(2026, 11, 24))
    assert store.check(conn).counts["costs"] == 1
