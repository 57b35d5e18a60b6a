"""Damaged real-world exports (issue 11): nothing lost, hidden or made up.

Each test names the damage and what the sync must do about it; each failed on the code
before the fix that it pins.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from casecli.demo.export import write_demo
from tests.conftest import TODAY


def _casecli_proc(*args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECLI_")}
    env["CASECLI_CONFIG"] = "/nonexistent/config.toml"
    code = "import sys; from casecli.cli.main import run; sys.argv = sys.argv[1:]; run()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "casecli", "--today", TODAY.isoformat(), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def test_two_first_syncs_into_one_new_store_run_one_after_the_other(tmp_path: Path) -> None:
    """Both used to build the store in one shared temporary file: the first said
    'applied' while the store held the second's data, the second ended in an internal
    error. Now the second waits for the first (the store's writer lock), then syncs in
    place: the store holds both exports, as two syncs one after the other would."""
    one, two = tmp_path / "one", tmp_path / "two"
    write_demo(one, cases=2000, seed=1, today=TODAY)
    write_demo(two, cases=2000, seed=2, today=TODAY)
    db = tmp_path / "new.db"
    procs = [_casecli_proc("--db", str(db), "sync", str(f)) for f in (one, two)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    for code, _, err in results:
        assert code == 0, err
        assert "internal error" not in err
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    logged = conn.execute("SELECT folder, status FROM sync_log ORDER BY sync_id").fetchall()
    assert sorted(f for f, _ in logged) == sorted([str(one), str(two)])
    assert {s for _, s in logged} == {"applied"}
    # the second export's cases are there, whichever ran last
    last = Path(logged[-1][0])
    with (last / "cases.csv").open() as fh:
        next(fh)
        first_id = fh.readline().split(",")[0]
    assert conn.execute("SELECT count(*) FROM cases WHERE case_id = ?", (first_id,)).fetchone()
    assert not list(tmp_path.glob("new.db.initial-sync*"))


# --- helpers -------------------------------------------------------------------------

import csv as _csv  # noqa: E402
import io  # noqa: E402
import shutil  # noqa: E402
import sqlite3 as _sqlite3  # noqa: E402

import pytest  # noqa: E402

from casecli.core.errors import CasecliError  # noqa: E402
from casecli.core.ingest.sync import sync  # noqa: E402
from casecli.core.store import store  # noqa: E402
from tests.conftest import FIXTURES, casecli  # noqa: E402
from tests.conftest import store_rows as _rows  # noqa: E402
from tests.test_hostile import refused, snapshot  # noqa: E402

CASES_HEADER = (
    "case_id,program,case_type,status,opened_on,closed_on,worker_id,name,risk_level,"
    "response_hours,permanency_goal,goal_target_on,order_established_on,updated_at"
)


def basic(tmp_path: Path, name: str = "export", manifest: str | None = None) -> Path:
    folder = tmp_path / name
    shutil.copytree(FIXTURES / "basic", folder)
    if manifest is not None:
        (folder / "manifest.toml").write_text(manifest)
    return folder


def put(folder: Path, file: str, text: str) -> None:
    (folder / file).write_text(text, encoding="utf-8", newline="")


def as_person(folder: Path, target: str) -> Callable[[str], list[str]]:
    """The options that run a command as a staff member of ``folder``'s export once it is
    synced into ``target``: ``--as`` on a SQLite file; on a team store, each person's own
    login (staff.csv gains a login column here, ``<database>_<staff id>``: give the sync,
    then :func:`grant`)."""
    if not target.startswith("postgresql://"):
        return lambda staff_id: ["--db", target, "--as", staff_id]
    name = target.split("/")[3].split("?")[0]
    lines = (folder / "staff.csv").read_text().splitlines()
    logins = ["login", *(f"{name}_{line.split(',')[0].lower()}" for line in lines[1:])]
    put(folder, "staff.csv", "".join(f"{a},{b}\n" for a, b in zip(lines, logins, strict=True)))
    return lambda staff_id: [
        "--db", target.replace("casecli_owner@", f"{name}_{staff_id.lower()}@"),
    ]  # fmt: skip


def grant(target: str) -> None:
    """``casecli db grant`` on a team store (its owner's: ``target``), after its sync."""
    if target.startswith("postgresql://"):
        done = casecli("--db", target, "db", "grant")
        assert done.returncode == 0, done.stderr


def put_cases(folder: Path, rows: list[str]) -> None:
    """cases.csv: the basic fixture's four cases (lines 2-5), then ``rows`` (line 6 on)."""
    basic_rows = (FIXTURES / "basic" / "cases.csv").read_text().splitlines()
    put(folder, "cases.csv", "\n".join([*basic_rows, *rows]) + "\n")


def case_rows(n: int, start: int = 1) -> list[str]:
    """``n`` open in-home cases of worker W1: C0001, C0002…"""
    return [
        f"C{i:04d},child_welfare,in_home,open,2026-01-01,,W1,Family {i},low,,,,,"
        for i in range(start, start + n)
    ]


def synced_store(tmp_path: Path, target: str | None = None) -> Any:
    """The basic export synced into ``target`` (the ``target`` fixture's new SQLite file or
    empty team store: the tests that take it run on both), else a new SQLite file."""
    db = target or str(tmp_path / "s.db")
    code = casecli("--db", db, "--today", "2026-11-24", "sync", str(FIXTURES / "basic"))
    assert code.returncode == 0, code.stderr
    return Path(db) if target is None else db


def open_cases(db: Path | str) -> list[str]:
    return [r[0] for r in _rows(db, "SELECT case_id FROM cases WHERE _gone_on IS NULL ORDER BY 1")]


def snapshot_of(db: Path | str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (test_hostile.snapshot), on either store."""
    if not str(db).startswith("postgresql://"):
        return snapshot(Path(db))
    tables = [
        r[0] for r in _rows(db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    ]
    return {t: sorted(_rows(db, f"SELECT * FROM {t}"), key=repr) for t in tables}


# --- 1. an unclosed quote --------------------------------------------------------------


@pytest.mark.parametrize("into", ["a new store", "a store with data"])
def test_an_unclosed_quote_refuses_the_file_and_names_the_line_where_it_opened(
    tmp_path: Path, target: str, into: str
) -> None:
    """`"Long (aka` on line 101 of 2,000 rows: the csv module read the other 1,900 rows as
    one cell; in a full export they were then marked gone. Now nothing is applied."""
    folder = basic(tmp_path)
    rows = case_rows(2000)
    rows[95] = rows[95].replace("Family 96", '"Long (aka')  # line 101
    put_cases(folder, rows)
    if into == "a store with data":
        synced_store(tmp_path, target)
    # (a new team store is there, empty: it stays so; a new SQLite file is not made at all)
    before = snapshot_of(target) if target.startswith("postgres") or Path(target).exists() else None
    result = casecli("--db", target, "--today", "2026-11-24", "sync", str(folder))
    refused(result.returncode, result.stderr, "cases.csv", "line 101",
            "a quote opened here is never closed", "nothing was applied")  # fmt: skip
    if before is not None:
        assert snapshot_of(target) == before


def test_an_unclosed_quote_after_a_quoted_line_break_names_its_own_line(tmp_path: Path) -> None:
    folder = basic(tmp_path)
    rows = case_rows(10)
    rows[2] = rows[2].replace("Family 3", '"Family\nof three"')  # lines 8-9: a good cell
    rows[6] = rows[6].replace(",low,", ',"low,')  # line 13 (one line further down)
    put_cases(folder, rows)
    conn = store.connect(tmp_path / "s.db", create=True)
    with pytest.raises(CasecliError, match=r"cases\.csv: line 13: a quote opened here"):
        sync(conn, folder, today=TODAY)
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0


def test_an_unclosed_quote_in_a_gzip_file_is_refused_too(tmp_path: Path) -> None:
    import gzip

    folder = basic(tmp_path)
    rows = case_rows(50)
    rows[5] = rows[5].replace("Family 6", '"Six')  # line 11
    put_cases(folder, rows)
    (folder / "cases.csv.gz").write_bytes(gzip.compress((folder / "cases.csv").read_bytes()))
    (folder / "cases.csv").unlink()
    conn = store.connect(tmp_path / "s.db", create=True)
    with pytest.raises(CasecliError, match=r"cases\.csv\.gz: line 11: a quote opened here"):
        sync(conn, folder, today=TODAY)


def test_a_quote_closed_in_the_middle_of_a_cell_rejects_only_that_row(tmp_path: Path) -> None:
    """`"Bob "Junior" Smith"` (a quote inside a quoted cell not written twice) used to be
    read as `Bob Junior" Smith"`, silently. Now that row is rejected; the others apply."""
    folder = basic(tmp_path)
    rows = case_rows(5)
    rows[1] = rows[1].replace("Family 2", '"Bob "Junior" Smith"')  # line 7
    put_cases(folder, rows)
    conn = store.connect(tmp_path / "s.db", create=True)
    result = sync(conn, folder, today=TODAY)
    assert [(r.file, r.line, r.column) for r in result.rejects] == [("cases.csv", 7, None)]
    assert "cannot be read as CSV" in result.rejects[0].reason
    got = [r[0] for r in conn.execute("SELECT case_id FROM cases WHERE case_id LIKE 'C0%'")]
    assert got == ["C0001", "C0003", "C0004", "C0005"]


# --- 2. a ragged row in a full export ------------------------------------------------------


def test_a_ragged_row_in_a_full_export_marks_nothing_of_its_type_gone(
    tmp_path: Path, target: str
) -> None:
    """`Reyes, Jr.` unquoted makes a row ragged; it was rejected without a key and the
    gone-marking then hid the case from its worker."""
    db = synced_store(tmp_path, target)
    folder = basic(tmp_path, "full")
    text = (folder / "cases.csv").read_text().replace(",Brown,", ",Reyes, Jr.,")
    put(folder, "cases.csv", text)
    result = casecli("--db", str(db), "--today", "2026-11-24", "sync", str(folder), "--full")
    assert result.returncode == 3, result.stderr
    assert open_cases(db) == ["004", "C100", "C200", "C300"]  # C100 is not hidden
    assert (
        "cases.csv: 1 row had no key that could be read (line 3), so this full export "
        "marked no cases as gone; fix it and sync again."
        in result.stderr.replace("\n", " ")
        or "marked no cases as gone" in " ".join(result.stderr.split())
    )
    assert "cases.csv:3" in result.stdout


def test_a_full_export_still_marks_gone_what_it_lacks_when_every_key_reads(
    tmp_path: Path, target: str
) -> None:
    db = synced_store(tmp_path, target)
    folder = basic(tmp_path, "full")
    lines = (folder / "cases.csv").read_text().splitlines()
    put(folder, "cases.csv", "\n".join(lines[:-1]) + "\n")  # C300 left out
    result = casecli("--db", str(db), "--today", "2026-11-24", "sync", str(folder), "--full")
    assert result.returncode == 0, result.stderr
    assert open_cases(db) == ["004", "C100", "C200"]


def test_a_row_with_an_empty_key_in_a_full_export_marks_nothing_gone(
    tmp_path: Path, target: str
) -> None:
    db = synced_store(tmp_path, target)
    folder = basic(tmp_path, "full")
    lines = (folder / "cases.csv").read_text().splitlines()
    lines[-1] = "," + lines[-1].split(",", 1)[1]  # C300's row, its id lost
    lines.remove(next(line for line in lines if line.startswith("C200,")))
    put(folder, "cases.csv", "\n".join(lines) + "\n")
    result = casecli("--db", str(db), "--today", "2026-11-24", "sync", str(folder), "--full")
    assert result.returncode == 3, result.stderr
    assert "marked no cases as gone" in " ".join(result.stderr.split())
    assert open_cases(db) == ["004", "C100", "C200", "C300"]


# --- 4. and 8. the export's as_of ----------------------------------------------------------


def test_an_older_export_is_refused_unless_allowed(tmp_path: Path) -> None:
    """A delta as of 12-01 closes a case; the export of 11-30 synced after it used to
    reopen it with no warning."""
    db = synced_store(tmp_path)
    newer = basic(tmp_path, "newer", 'as_of = 2026-12-01T23:00:00\nkind = "delta"\n')
    put(newer, "cases.csv", CASES_HEADER + "\nC100,child_welfare,foster_care,closed,"
        "2025-12-01,2026-12-01,W1,Brown,moderate,,reunification,2026-12-01,,\n")  # fmt: skip
    for name in [p.name for p in newer.iterdir()]:
        if name not in ("cases.csv", "manifest.toml"):
            (newer / name).unlink()
    older = basic(tmp_path, "older", 'as_of = 2026-11-30T23:00:00\nkind = "delta"\n')
    run = ("--db", str(db), "--today", "2026-12-02", "sync")
    assert casecli(*run, str(newer)).returncode == 0
    before = snapshot(db)
    result = casecli(*run, str(older))
    refused(result.returncode, result.stderr, "2026-11-30T23:00:00", "2026-12-01T23:00:00",
            "--allow-older", "nothing was applied")  # fmt: skip
    assert snapshot(db) == before
    conn = _sqlite3.connect(db)
    assert conn.execute("SELECT status FROM cases WHERE case_id = 'C100'").fetchone() == ("closed",)
    allowed = casecli(*run, str(older), "--allow-older")
    assert allowed.returncode == 0, allowed.stderr
    assert conn.execute("SELECT status FROM cases WHERE case_id = 'C100'").fetchone() == ("open",)


def test_an_export_without_as_of_says_its_order_was_not_checked(tmp_path: Path) -> None:
    folder = basic(tmp_path)
    (folder / "manifest.toml").unlink()
    result = casecli("--db", str(tmp_path / "s.db"), "--today", "2026-11-24", "sync", str(folder))
    assert result.returncode == 0
    assert "could not check that this export is newer" in " ".join(result.stderr.split())


@pytest.mark.parametrize(
    ("as_of", "words"),
    [
        ('"not a date"', "must be a TOML date or date-time"),
        ('"2026-11-21T23:00"', "must be a TOML date or date-time"),
        ("9999-12-31T00:00:00", "is not between 1900-01-01 and 2100-12-31"),
        ("2062-11-21", "is after today"),
    ],
)
def test_an_as_of_that_is_not_a_date_the_contract_allows_is_refused(
    tmp_path: Path, target: str, as_of: str, words: str
) -> None:
    """`as_of = "not a date"` was stored, became _gone_on, and every command then failed."""
    db = synced_store(tmp_path, target)
    before = snapshot_of(db)
    folder = basic(tmp_path, "x", f'as_of = {as_of}\nkind = "full"\n')
    result = casecli("--db", str(db), "--today", "2026-11-24", "sync", str(folder))
    refused(result.returncode, result.stderr, "manifest.toml", words)
    assert snapshot_of(db) == before


def test_an_as_of_with_an_offset_is_stored_as_local_time(tmp_path: Path) -> None:
    folder = basic(tmp_path, manifest='as_of = 2026-11-23T23:00:00Z\nprofile = "x"\n')
    put(folder, "x.toml", 'name = "x"\ntimezone = "America/Chicago"\n')
    conn = store.connect(tmp_path / "s.db", create=True)
    result = sync(conn, folder, today=TODAY)
    assert result.as_of == "2026-11-23T17:00:00"
    assert conn.execute("SELECT as_of FROM sync_log").fetchone() == ("2026-11-23T17:00:00",)


# --- 5. identical duplicate rows -------------------------------------------------------


def test_a_row_repeated_byte_for_byte_counts_once(tmp_path: Path, target: str) -> None:
    """Every copy of a duplicated key was rejected, so an export that repeated a row
    dropped that case: a new high-risk investigation disappeared from its worker's next."""
    folder = basic(tmp_path)
    who = as_person(folder, target)
    lines = (folder / "cases.csv").read_text().splitlines()
    put(folder, "cases.csv", "\n".join([*lines, lines[1]]) + "\n")  # 004 again, line 6
    result = casecli("--db", target, "--today", "2026-11-24", "--json", "sync", str(folder))
    assert result.returncode == 0, result.stderr
    grant(target)
    import json

    summary = json.loads(result.stdout)
    assert summary["rejects"] == []
    assert summary["files"]["cases.csv"]["repeated"] == 1
    assert summary["files"]["cases.csv"]["inserted"] == 4
    assert summary["warnings"][0].startswith(
        "cases.csv: 1 row repeated an earlier row exactly (same key, same values; line 6)"
    )
    nxt = casecli(*who("W1"), "--today", "2026-11-24", "next")
    assert "004" in nxt.stdout


def test_repeats_are_found_by_the_values_stored_not_the_bytes(tmp_path: Path) -> None:
    folder = basic(tmp_path)
    lines = (folder / "cases.csv").read_text().splitlines()
    again = lines[1].replace("child_welfare", "Child_Welfare").replace(",high,", ", HIGH ,")
    put(folder, "cases.csv", "\n".join([*lines, again]) + "\n")
    conn = store.connect(tmp_path / "s.db", create=True)
    result = sync(conn, folder, today=TODAY)
    assert result.rejects == [] and result.files[1].repeated == 1


def test_same_key_with_different_values_rejects_every_copy_even_beside_a_repeat(
    tmp_path: Path,
) -> None:
    db = synced_store(tmp_path)
    folder = basic(tmp_path, "again")
    lines = (folder / "cases.csv").read_text().splitlines()
    changed = lines[2].replace(",Brown,", ",Browne,")
    put(folder, "cases.csv", "\n".join([*lines, lines[2], changed]) + "\n")
    conn = store.connect(db)
    result = sync(conn, folder, today=TODAY)
    assert [(r.line, r.column) for r in result.rejects] == [(3, "case_id"), (6, "case_id"),
                                                           (7, "case_id")]  # fmt: skip
    assert "lines 3, 6, 7" in result.rejects[0].reason
    assert result.files[1].repeated == 0


# --- 6. date-times with an offset ------------------------------------------------------------


def test_a_datetime_with_an_offset_is_stored_in_local_time_and_read_by_the_engine(
    tmp_path: Path, target: str
) -> None:
    """`2026-11-22T09:30+05:00` passed validation but the engine could not read it and
    used today: a 24-hour contact 8 days overdue showed "due in 1 day"."""
    folder = basic(tmp_path, manifest='as_of = 2026-11-23T23:00:00\nprofile = "x"\n')
    put(folder, "x.toml", 'name = "x"\ntimezone = "America/Chicago"\n')
    text = (folder / "cases.csv").read_text()
    text = text.replace("2026-11-22T09:30,,W1", "2026-11-22T09:30+05:00,,W1")
    text = text.replace(",2026-11-01T08:00", ",2026-11-01T08:00:30Z")
    put(folder, "cases.csv", text)
    db, who = target, as_person(folder, target)
    result = casecli("--db", db, "--today", "2026-11-24", "sync", str(folder))
    assert result.returncode == 0, result.stderr
    grant(db)
    assert _rows(db, "SELECT opened_on FROM cases WHERE case_id = '004'") == [("2026-11-21T22:30",)]
    # summer time ended at 07:00 UTC that day: 08:00:30 UTC is 02:00:30 CST (UTC-6)
    assert _rows(db, "SELECT updated_at FROM cases WHERE case_id = 'C100'") == [
        ("2026-11-01T02:00:30",)
    ]
    import json

    actions = json.loads(casecli(*who("W1"), "--today", "2026-12-01", "--json", "next").stdout)
    contact = next(a for a in actions if a["step"] == "first_contact")
    assert contact["due_on"] == "2026-11-22"
    assert "9 days overdue" in contact["action"]


def test_the_machine_time_zone_applies_when_none_is_set(tmp_path: Path, monkeypatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        folder = basic(tmp_path)
        text = (folder / "cases.csv").read_text()
        put(folder, "cases.csv", text.replace("2026-11-22T09:30,,W1", "2026-11-22T09:30Z,,W1"))
        conn = store.connect(tmp_path / "s.db", create=True)
        sync(conn, folder, today=TODAY)
        assert conn.execute("SELECT opened_on FROM cases WHERE case_id = '004'").fetchone() == (
            "2026-11-22T15:00",
        )
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_an_unknown_time_zone_is_refused_in_one_sentence(tmp_path: Path) -> None:
    folder = basic(tmp_path, manifest='profile = "x"\n')
    put(folder, "x.toml", 'name = "x"\ntimezone = "Mars/Olympus"\n')
    result = casecli("--db", str(tmp_path / "s.db"), "--today", "2026-11-24", "sync", str(folder))
    refused(result.returncode, result.stderr, "timezone")


# --- 7. and 10. and 11. the contract's limits ------------------------------------------------


LIMITS = [
    # (file, key of the row, column, value, words of the reason)
    ("cases.csv", "004", "opened_on", "9999-12-31", "is not between 1900-01-01 and 2100-12-31"),
    ("cases.csv", "004", "opened_on", "1899-12-31T10:00", "is not between 1900-01-01"),
    ("cases.csv", "004", "response_hours", "999999999999999999", "is not between 1 and 8,760"),
    ("cases.csv", "004", "response_hours", "0", "is not between 1 and 8,760"),
    ("cases.csv", "004", "goal_target_on", "2101-01-01", "is not between 1900-01-01"),
    ("staff.csv", "W2", "hours_per_week", "0", "must be above 0 and at most 80"),
    ("staff.csv", "W2", "hours_per_week", "80.5", "must be above 0 and at most 80"),
    ("payments.csv", "C200", "current_due", "1000000000.01", "is more than 1,000,000,000.00"),
    ("payments.csv", "C200", "arrears_due", "-2000000000", "is more than 1,000,000,000.00"),
    ("payments.csv", "C200", "month", "2101-01", "is not between 1900-01 and 2100-12"),
    ("events.csv", "E2", "scheduled_on", "9999-01-01T09:00", "is not between 1900-01-01"),
    ("cases.csv", "004", "case_id", "   ", "is required but empty"),
    ("cases.csv", "004", "worker_id", "  ", "is only spaces"),
    ("cases.csv", "004", "case_id", "C\u200b004", "zero-width"),
    ("cases.csv", "004", "case_id", "C\x00004", "NUL"),
    ("cases.csv", "004", "case_id", "C\x1b[2J", "control"),
    ("cases.csv", "004", "case_id", "C" * 65, "is longer than 64 characters"),
    ("people.csv", "P1", "person_id", "\ufeffP1", "zero-width"),
    ("events.csv", "E2", "case_id", "C10\u200b0", "zero-width"),
    ("cases.csv", "004", "name", "N" * (64 * 1024 + 1), "is longer than 64 KiB"),
]


def _set_cell(folder: Path, file: str, key: str, column: str, value: str) -> int:
    """Set one cell of the row whose first cell is ``key``; return the row's line."""
    with (folder / file).open(newline="", encoding="utf-8") as fh:
        rows = list(_csv.reader(fh))
    at = rows[0].index(column)
    line = next(i for i, row in enumerate(rows) if row[0] == key) + 1
    rows[line - 1][at] = value
    buf = io.StringIO()
    _csv.writer(buf, lineterminator="\n").writerows(rows)
    put(folder, file, buf.getvalue())
    return line


@pytest.mark.parametrize(("file", "key", "column", "value", "words"), LIMITS,
                         ids=lambda v: v if len(str(v)) < 20 else str(v)[:12])  # fmt: skip
@pytest.mark.parametrize("into", ["first load", "staged"])
def test_a_value_outside_the_contracts_limits_is_rejected_with_its_reason(
    tmp_path: Path, file: str, key: str, column: str, value: str, words: str, into: str
) -> None:
    folder = basic(tmp_path)
    line = _set_cell(folder, file, key, column, value)
    conn = store.connect(tmp_path / "s.db", create=True)
    if into == "staged":
        sync(conn, basic(tmp_path, "first"), today=TODAY)
    result = sync(conn, folder, today=TODAY)
    mine = [r for r in result.rejects if r.file == file]
    assert [(r.line, r.column) for r in mine] == [(line, column)], result.rejects
    assert words in mine[0].reason
    assert mine[0].reason.startswith(column + " ")


def _each_limit_on_a_row_of_its_own(folder: Path) -> list[tuple[str, int, str, str]]:
    """Every one of LIMITS in one export: the row it names copied to the end of its file
    under a key of its own (a payment: its case's, in a month of its own), with the value;
    (file, line, column, words of the reason) of each."""
    want = []
    for i, (file, key, column, value, words) in enumerate(LIMITS):
        with (folder / file).open(newline="", encoding="utf-8") as fh:
            rows = list(_csv.reader(fh))
        row = list(next(r for r in rows[1:] if r[0] == key))
        if file == "payments.csv":
            row[rows[0].index("month")] = f"2025-{i % 12 + 1:02d}"
        else:
            row[0] = f"{key}L{i:02d}"
        row[rows[0].index(column)] = value
        rows.append(row)
        buf = io.StringIO()
        _csv.writer(buf, lineterminator="\n").writerows(rows)
        put(folder, file, buf.getvalue())
        want.append((file, len(rows), column, words))
    return want


def _rejects_of(tmp_path: Path, target: str, folder: Path, into: str) -> list[Any]:
    """``casecli sync --json`` of ``folder`` into ``target`` (``into`` "staged": over the
    basic fixture synced first), which must exit 3: its rejects, (file, line, column,
    reason) in order."""
    import json

    run = ("--db", target, "--today", "2026-11-24", "--json")
    if into == "staged":
        assert casecli(*run, "sync", str(basic(tmp_path, "first"))).returncode == 0
    result = casecli(*run, "sync", str(folder))
    assert result.returncode == 3, result.stderr
    return sorted(
        (r["file"], r["line"], r["column"], r["reason"])
        for r in json.loads(result.stdout)["rejects"]
    )


@pytest.mark.parametrize("into", ["first load", "staged"])
def test_every_limit_is_rejected_alike_on_both_stores_in_one_export(
    tmp_path: Path, target: str, into: str
) -> None:
    # The whole list above, on both stores through `casecli sync` (the list above runs
    # each value alone through SQLite's core sync): each value is one reject at its line
    # and column with its reason, and the export's other rows are applied.
    folder = basic(tmp_path)
    want = _each_limit_on_a_row_of_its_own(folder)
    got = _rejects_of(tmp_path, target, folder, into)
    assert [g[:3] for g in got] == sorted(w[:3] for w in want)
    for (_, _, column, reason), (_, _, _, words) in zip(got, sorted(want), strict=True):
        assert reason.startswith(column + " ") and words in reason, (reason, words)
    assert {"004", "C100"} <= set(open_cases(target))  # (the rows that read are applied)


# Limits of each kind (a date, money, a date-time, an invisible character or a NUL in an
# id, which PostgreSQL's text cannot hold), each on its own row of the fixture itself (a
# case refused takes its people with it: the first load refuses them too)
MIXED = [LIMITS[0], LIMITS[7], LIMITS[10], LIMITS[17],
         ("events.csv", "E3", "case_id", "C1\x0000", "NUL")]  # fmt: skip


@pytest.mark.parametrize("into", ["first load", "staged"])
def test_values_outside_the_limits_are_rejected_alike_on_both_stores(
    tmp_path: Path, target: str, into: str
) -> None:
    # The team store's sync validates in the same code (its scratch file), so each bad
    # value is the same reject at the same line and column, and the rest of the export is
    # applied (EXPORTS.md "Limits").
    folder = basic(tmp_path)
    want = sorted(
        (file, _set_cell(folder, file, key, column, value), column, words)
        for file, key, column, value, words in MIXED
    )
    got = _rejects_of(tmp_path, target, folder, into)
    # (loaded first, case 004's person row names a case that was rejected: refused too)
    then = [("people.csv", 3, "case_id", "")] if into == "first load" else []
    assert [g[:3] for g in got] == sorted(w[:3] for w in want + then)
    assert all(g[3].startswith(g[2] + " ") for g in got)
    assert all(any(w[3] in g[3] for g in got if g[:3] == w[:3]) for w in want)
    assert "C100" in open_cases(target)  # (the rows that read are applied)


def test_far_future_values_stored_by_hand_do_not_break_any_view(tmp_path: Path) -> None:
    """An older casecli stored what the contract now refuses (or someone wrote it by
    hand): next, caseload, waiting, unit and case ended in an internal error."""
    db = synced_store(tmp_path)
    conn = _sqlite3.connect(db)
    conn.execute("UPDATE cases SET opened_on = '9999-12-31', response_hours = 999999999999999999,"
                 " goal_target_on = '0001-01-01' WHERE case_id IN ('004', 'C100')")  # fmt: skip
    conn.execute("UPDATE events SET scheduled_on = '9999-12-31T23:59', completed_on = 'soon'")
    conn.execute("UPDATE removals SET removed_on = '9999-12-31'")
    conn.execute("UPDATE referrals SET referred_on = '0001-01-01'")
    conn.commit()
    conn.close()
    for who, args in [("W1", ("next",)), ("W1", ("caseload",)), ("W1", ("waiting",)),
                      ("S1", ("unit",)), ("W1", ("case", "004")), ("W1", ("case", "C100")),
                      ("M1", ("score",)), ("S1", ("focus",)), ("S1", ("bottlenecks",))]:  # fmt: skip
        result = casecli("--db", str(db), "--today", "2026-11-24", "--as", who, *args)
        assert result.returncode == 0, (args, result.stderr)
        assert "internal error" not in result.stderr


def test_a_today_outside_the_contracts_dates_is_a_usage_error(tmp_path: Path) -> None:
    db = synced_store(tmp_path)
    result = casecli("--db", str(db), "--today", "9999-12-31", "--as", "W1", "next")
    assert result.returncode == 2, result.stderr
    assert "between 1900-01-01 and 2100-12-31" in result.stderr
    assert "Traceback" not in result.stderr


# --- 11. huge cells and lines: bounded memory ------------------------------------------------


def _peak_sync(db: Path | str, folder: Path) -> tuple[int, str, str, float]:
    """Exit status, stdout, stderr and the peak RSS in MB of one sync process (measured
    by a parent process that runs nothing else)."""
    cli = "import sys; from casecli.cli.main import run; sys.argv = sys.argv[1:]; run()"
    parent = (
        "import json, resource, subprocess, sys; p = subprocess.run(sys.argv[1:], "
        "capture_output=True, text=True); print(json.dumps([p.returncode, p.stdout, p.stderr,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECLI_")}
    env["CASECLI_CONFIG"] = "/nonexistent/config.toml"
    done = subprocess.run(
        [sys.executable, "-c", parent, sys.executable, "-c", cli, "casecli", "--today",
         TODAY.isoformat(), "--db", str(db), "sync", str(folder)],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    import json

    code, out, err, kb = json.loads(done.stdout)
    return code, out, err, kb / 1024


@pytest.mark.parametrize(
    "shape",
    ["a 50 MB name", "a 50 MB line with no line break", "a quoted 20 MB note over many lines"],
)
def test_a_huge_cell_is_rejected_and_memory_stays_flat(tmp_path: Path, shape: str) -> None:
    """A 50 MB name made sync exceed 400 MB (and `casecli case` run for ten minutes). Text
    cells past the contract's 64 KiB are rejected; past 1 MiB the row is not even read
    into memory; every other row applies, and the sync stays far under 300 MB."""
    folder = basic(tmp_path)
    rows = case_rows(300)
    if shape == "a 50 MB name":
        rows[5] = rows[5].replace("Family 6", "N" * (50 << 20))  # line 11
    elif shape == "a 50 MB line with no line break":
        rows[5] = rows[5] + ",x" * (25 << 20)
    else:
        rows[5] = rows[5].replace("Family 6", '"' + ("note line\n" * (2 << 20)) + '"')
    put_cases(folder, rows)
    db = tmp_path / "s.db"
    code, out, err, peak = _peak_sync(db, folder)
    assert code == 3, err
    assert "cases.csv:11" in out
    assert peak < 300, f"{peak:.0f} MB"
    assert len(open_cases(db)) == 4 + 299
    conn = _sqlite3.connect(db)
    assert conn.execute("SELECT max(length(name)) FROM cases").fetchone()[0] < 100
    # the rows after it are all there: nothing was swallowed
    assert conn.execute(
        "SELECT count(*) FROM cases WHERE case_id > 'C0006' AND case_id LIKE 'C0%'"
    ).fetchone() == (294,)


def test_a_huge_cell_is_rejected_on_a_team_store_and_its_sync_stays_flat(
    tmp_path: Path, pg_server: Any
) -> None:
    # The team store's sync validates through its scratch file, then pushes the rows that
    # read: a 50 MB name is the same reject there, no byte of it reaches the server, and
    # the sync process stays far under 300 MB (DESIGN.md), as a personal store's does.
    from tests import pgserver

    folder = basic(tmp_path)
    rows = case_rows(300)
    rows[5] = rows[5].replace("Family 6", "N" * (50 << 20))  # line 11
    put_cases(folder, rows)
    name = pg_server.empty_team()
    try:
        url = str(pg_server.url(pgserver.OWNER, name))
        code, out, err, peak = _peak_sync(url, folder)
        assert code == 3, err
        assert "cases.csv:11" in out
        assert peak < 300, f"{peak:.0f} MB"
        assert len(open_cases(url)) == 4 + 299
        assert _rows(url, "SELECT max(length(name)) FROM cases")[0][0] < 100
    finally:
        pg_server.drop(name)


# --- 9. and 15. headers ---------------------------------------------------------------------


def test_empty_trailing_header_cells_are_ignored_with_one_note(tmp_path: Path) -> None:
    """`…,updated_at,,` failed the whole sync: "column '' twice"."""
    folder = basic(tmp_path)
    lines = (folder / "cases.csv").read_text().splitlines()
    put(folder, "cases.csv", "\n".join(line + ",," for line in lines) + "\n")
    conn = store.connect(tmp_path / "s.db", create=True)
    result = sync(conn, folder, today=TODAY)
    assert result.rejects == []
    assert conn.execute("SELECT count(*) FROM cases").fetchone() == (4,)
    assert "cases.csv: 2 empty header cells were ignored." in result.warnings


def test_thousands_of_unknown_columns_are_ignored_with_one_note(tmp_path: Path) -> None:
    """3,000 unknown columns failed with "too many columns on stage"."""
    folder = basic(tmp_path)
    lines = (folder / "cases.csv").read_text().splitlines()
    extra_head = "".join(f",x{i}" for i in range(3000))
    extra = ",v" * 3000
    put(folder, "cases.csv", "\n".join(
        [lines[0] + extra_head, *(line + extra for line in lines[1:])]) + "\n")  # fmt: skip
    for into in ("first", "again"):
        conn = store.connect(tmp_path / f"{into}.db", create=True)
        if into == "again":
            sync(conn, basic(tmp_path, "plain"), today=TODAY)
        result = sync(conn, folder, today=TODAY)
        assert result.rejects == []
        notes = [w for w in result.warnings if w.startswith("cases.csv:")]
        assert notes == [
            "cases.csv: 3,000 columns are not in the contract and were ignored "
            "('x0', 'x1', 'x2', 'x3', 'x4' and 2,995 more)."
        ]


def test_a_file_without_a_header_is_refused_without_echoing_its_first_line(
    tmp_path: Path,
) -> None:
    """A header-less people.csv gave "the header names column '2016-09-07' twice": a
    child's birth date on stderr, even with --redact."""
    folder = basic(tmp_path)
    put(folder, "people.csv", "P1,004,child,Ana Smith,2016-09-07,2016-09-07,\n"
        "P2,004,mother,Lee Smith,1994-07-12,,\n")  # fmt: skip
    result = casecli("--db", str(tmp_path / "s.db"), "--today", "2026-11-24", "--redact",
                     "sync", str(folder))  # fmt: skip
    refused(result.returncode, result.stderr, "people.csv",
            "the first line does not look like a header")  # fmt: skip
    for personal in ("2016-09-07", "Ana", "Smith", "1994"):
        assert personal not in result.stderr + result.stdout


def test_a_column_we_read_named_twice_is_still_refused(tmp_path: Path) -> None:
    folder = basic(tmp_path)
    lines = (folder / "cases.csv").read_text().splitlines()
    put(folder, "cases.csv", "\n".join(
        [lines[0] + ",name", *(line + ",x" for line in lines[1:])]) + "\n")  # fmt: skip
    conn = store.connect(tmp_path / "s.db", create=True)
    with pytest.raises(CasecliError, match="names column 'name' twice"):
        sync(conn, folder, today=TODAY)


def test_two_unknown_columns_of_one_name_are_just_ignored(tmp_path: Path) -> None:
    folder = basic(tmp_path)
    lines = (folder / "cases.csv").read_text().splitlines()
    put(folder, "cases.csv", "\n".join(
        [lines[0] + ",Notes,Notes", *(line + ",a,b" for line in lines[1:])]) + "\n")  # fmt: skip
    conn = store.connect(tmp_path / "s.db", create=True)
    result = sync(conn, folder, today=TODAY)
    assert result.rejects == [] and conn.execute("SELECT count(*) FROM cases").fetchone() == (4,)


def test_header_oddities_are_read_alike_on_both_stores(tmp_path: Path, target: str) -> None:
    # A team store's sync reads each file's header in the same code (its scratch file):
    # empty trailing header cells and unknown columns (one of them named twice) are
    # ignored with the same notes and every row applied; a header missing, or a column
    # casecli reads named twice, refuses the export in one sentence, naming no one, and
    # leaves the store as it was.
    import json

    folder = basic(tmp_path)
    cases = (folder / "cases.csv").read_text().splitlines()
    put(folder, "cases.csv", "\n".join(line + ",," for line in cases) + "\n")
    events = (folder / "events.csv").read_text().splitlines()
    head = "".join(f",x{i}" for i in range(300)) + ",Notes,Notes"
    put(folder, "events.csv", "\n".join(
        [events[0] + head, *(line + ",v" * 300 + ",a,b" for line in events[1:])]) + "\n")  # fmt: skip
    run = ("--db", target, "--today", "2026-11-24")
    result = casecli(*run, "--json", "sync", str(folder))
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["rejects"] == [] and len(open_cases(target)) == 4
    assert "cases.csv: 2 empty header cells were ignored." in shown["warnings"]
    assert (
        "events.csv: 302 columns are not in the contract and were ignored "
        "('x0', 'x1', 'x2', 'x3', 'x4' and 297 more)."
    ) in shown["warnings"]
    before = snapshot_of(target)
    headless = basic(tmp_path, "headless")
    put(headless, "people.csv", "P1,004,child,Ana Smith,2016-09-07,2016-09-07,\n")
    twice = basic(tmp_path, "twice")
    lines = (twice / "cases.csv").read_text().splitlines()
    put(twice, "cases.csv", "\n".join([lines[0] + ",name", *(x + ",x" for x in lines[1:])]) + "\n")
    for bad, words in ((headless, "the first line does not look like a header"),
                       (twice, "names column 'name' twice")):  # fmt: skip
        result = casecli(*run, "--redact", "sync", str(bad))
        refused(result.returncode, result.stderr, words)
        assert "2016-09-07" not in result.stderr + result.stdout
        assert "Ana" not in result.stderr + result.stdout
        assert snapshot_of(target) == before


@pytest.mark.parametrize("how", ["a path up", "a symlink out"])
def test_a_profile_reaches_outside_the_export_on_neither_store(
    tmp_path: Path, target: str, how: str
) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text(CASES_HEADER + "\nS1,child_welfare,in_home,open,2026-01-01,,W1,"
                      "Private,,,,,,\n")  # fmt: skip
    folder = basic(tmp_path, manifest='profile = "evil"\n')
    if how == "a symlink out":
        (folder / "link.csv").symlink_to(secret)
    (folder / "cases.csv").unlink()
    put(
        folder,
        "evil.toml",
        f'[files.cases]\nfile = "{"../secret.csv" if how == "a path up" else "link.csv"}"\n',
    )
    synced_store(tmp_path, target)
    before = snapshot_of(target)
    result = casecli("--db", target, "--today", "2026-11-24", "sync", str(folder))
    refused(result.returncode, result.stderr, "outside the export folder")
    assert "Private" not in result.stdout + result.stderr
    assert snapshot_of(target) == before


# --- 12. a profile that reaches outside the export ---------------------------------------------


@pytest.mark.parametrize("how", ["a path up", "an absolute path", "a symlink out"])
def test_a_profile_cannot_read_a_file_outside_the_export(tmp_path: Path, how: str) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text(CASES_HEADER + "\nS1,child_welfare,in_home,open,2026-01-01,,W1,"
                      "Private,,,,,,\n")  # fmt: skip
    folder = basic(tmp_path, manifest='profile = "evil"\n')
    target = {"a path up": "../secret.csv", "an absolute path": str(secret)}.get(how, "link.csv")
    if how == "a symlink out":
        (folder / "link.csv").symlink_to(secret)
    (folder / "cases.csv").unlink()
    put(folder, "evil.toml", f'[files.cases]\nfile = "{target}"\n')
    db = synced_store(tmp_path)
    before = snapshot(db)
    result = casecli("--db", str(db), "--today", "2026-11-24", "sync", str(folder))
    refused(result.returncode, result.stderr, "outside the export folder")
    assert "Private" not in result.stdout + result.stderr
    assert snapshot(db) == before


def test_a_manifest_names_a_profile_only_by_name(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('name = "elsewhere"\n')
    folder = basic(tmp_path, manifest=f'profile = "{elsewhere}"\n')
    result = casecli("--db", str(tmp_path / "s.db"), "--today", "2026-11-24", "sync", str(folder))
    refused(result.returncode, result.stderr, "was not found")
    # typed by the admin, a path is fine
    result = casecli("--db", str(tmp_path / "s.db"), "--today", "2026-11-24", "sync", str(folder),
                     "--profile", str(elsewhere))  # fmt: skip
    assert result.returncode == 0, result.stderr


# --- 20. and 21. what the sync says ------------------------------------------------------------


def test_rejects_and_exit_status_are_about_this_export(tmp_path: Path, target: str) -> None:
    """A one-row delta synced twice reported 5 rejects from an older file and exited 3
    for ever after. (On a team store its owner syncs and reads the rejects.)"""
    db = target
    first = basic(tmp_path)
    with (first / "events.csv").open("a") as fh:
        fh.write("E8,C100,case_plan,scheduled,2026-13-01,,,W1,,\n")
        fh.write("E9,C999,case_plan,scheduled,2026-12-01,,,W1,,\n")
    run = ("--db", str(db), "--today", "2026-11-24")
    assert casecli(*run, "sync", str(first)).returncode == 3
    delta = tmp_path / "delta"
    delta.mkdir()
    put(delta, "manifest.toml", 'as_of = 2026-11-24T08:00:00\nkind = "delta"\n')
    put(delta, "cases.csv", CASES_HEADER + "\n" + case_rows(1)[0] + "\n")
    for _ in range(2):
        result = casecli(*run, "sync", str(delta))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "not applied" not in result.stdout
        assert (
            "2 older rejects from earlier exports still outstanding: casecli rejects "
            "lists them." in " ".join(result.stdout.split())
        )
    import json

    summary = json.loads(casecli(*run, "--json", "sync", str(delta)).stdout)
    assert summary["rejects"] == [] and summary["older_rejects"] == 2
    # the first export again: its rejects are its own again (exit 3), read or not
    again = casecli(*run, "sync", str(first), "--allow-older")
    assert again.returncode == 3 and "events.csv:7" in again.stdout
    assert "older rejects" not in again.stdout
    assert len(json.loads(casecli(*run, "--json", "rejects").stdout)) == 2


def test_a_dry_run_says_would_apply(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    result = casecli("--db", str(db), "--today", "2026-11-24", "sync", str(FIXTURES / "basic"),
                     "--dry-run")  # fmt: skip
    assert result.returncode == 0
    assert result.stdout.startswith("Dry run of sync 1: would apply (full")


# --- what a fast read sees in a file's bytes ---------------------------------------------------


class _Pieces(io.RawIOBase):
    """Hands out ``data`` ``size`` bytes at a time, as a file read in pieces would."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data, self.size, self.at = data, size, 0

    def readable(self) -> bool:
        return True

    def read1(self, n: int = -1) -> bytes:
        piece = self.data[self.at : self.at + self.size]
        self.at += len(piece)
        return piece

    read = read1


@pytest.mark.parametrize("size", [1000, 65_536, 70_000, 1 << 20])
@pytest.mark.parametrize(
    ("data", "seen"),
    [
        (b"a,b\n" + (b"x" * 65_536 + b"\n") * 3, (False, False, False)),  # 64 KiB exactly
        (b"a,b\n" + b"x" * 65_537 + b"\n", (False, False, True)),  # one byte over
        (b"a,b\r\n" + (b"x" * 40_000 + b"\r\n") * 5, (False, False, False)),
        (b"\xef\xbb\xbfa,b\nC1,x\n", (False, False, False)),  # a BOM is not text
        (b"a,b\nC1,N\xc3\xba\xc3\xb1ez\n", (True, False, False)),  # accented names
        (b"a,b\nC\xe2\x80\x8b1,x\n", (True, False, False)),  # a zero-width space
        (b"a,b\nC1,x\ty\n", (False, True, False)),  # a tab
        (b"a,b\nC\x001,x\n", (False, True, False)),  # NUL
        (b"a,b\nC\x7f1,x\n", (False, True, False)),  # DEL
    ],
)
def test_a_fast_read_sees_what_the_cheap_checks_must_prove(
    data: bytes, seen: tuple[bool, bool, bool], size: int
) -> None:
    from casecli.core.ingest.lines import LineGuard

    guard = LineGuard(_Pieces(data, size))
    assert b"".join(iter(lambda: guard.read1(size), b"")) == data
    assert tuple(guard.seen) == seen


# --- a store that already holds what the sync now refuses --------------------------------------


def test_a_huge_stored_name_is_shown_cut_not_laid_out_whole(tmp_path: Path) -> None:
    """A store written before the 64 KiB limit may hold a 50 MB name: `casecli case` took
    ten minutes to lay it out. Shown values are cut at 1,000 characters."""
    db = synced_store(tmp_path)
    conn = _sqlite3.connect(db)
    conn.execute("UPDATE cases SET name = ? WHERE case_id = 'C100'", ("N" * (5 << 20),))
    conn.execute("UPDATE people SET name = ? WHERE person_id = 'P3'", ("K" * (5 << 20),))
    conn.commit()
    for args in (("case", "C100"), ("next",), ("caseload",), ("waiting",)):
        result = casecli("--db", str(db), "--today", "2026-11-24", "--as", "W1", *args)
        assert result.returncode == 0, result.stderr
        assert len(result.stdout) < 20_000, (args, len(result.stdout))
        assert "N" * 1000 not in result.stdout and "K" * 1000 not in result.stdout
    card = casecli("--db", str(db), "--today", "2026-11-24", "--as", "W1", "case", "C100")
    assert "NNN…" in card.stdout.replace("\n", "")


def test_json_output_escapes_what_a_terminal_would_act_on(tmp_path: Path) -> None:
    import json

    db = synced_store(tmp_path)
    conn = _sqlite3.connect(db)
    hostile = "Kai \u202eeloC\u202c \x9b31m \u200bB"
    conn.execute("UPDATE people SET name = ? WHERE person_id = 'P3'", (hostile,))
    conn.commit()
    result = casecli("--db", str(db), "--today", "2026-11-24", "--as", "W1", "--json", "case",
                     "C100")  # fmt: skip
    assert result.returncode == 0, result.stderr
    for ch in ("\u202e", "\u202c", "\x9b", "\u200b"):
        assert ch not in result.stdout
    assert hostile in json.dumps(json.loads(result.stdout), ensure_ascii=False)


def test_a_row_with_a_value_only_in_an_unknown_column_is_rejected_not_skipped(
    tmp_path: Path,
) -> None:
    """It was taken for a blank row and skipped in silence; in a full export the record it
    might be was then marked gone. Blank means every cell empty, the unknown ones too."""
    db = synced_store(tmp_path)
    folder = basic(tmp_path, "full")
    lines = (folder / "removals.csv").read_text().splitlines()
    put(folder, "removals.csv", "\n".join(
        [lines[0] + ",note", ",,,,,,kept?", ",,,,,,", ",,,,,,"]) + "\n")  # fmt: skip
    conn = store.connect(db)
    result = sync(conn, folder, today=TODAY, full=True)
    mine = [(r.line, r.column) for r in result.rejects if r.file == "removals.csv"]
    assert mine == [(2, "removal_id")]
    assert "removals.csv: 2 blank lines skipped." in result.warnings
    assert any("marked no removals as gone" in w for w in result.warnings)
    assert conn.execute("SELECT count(*) FROM removals WHERE _gone_on IS NULL").fetchone() == (1,)


def test_a_second_sync_waits_for_the_busy_timeout_then_says_another_is_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = synced_store(tmp_path)
    before = snapshot(db)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from casecli.core.store import storelock\n"
         "with storelock.exclusive(Path(sys.argv[1]), 1000, 'busy'):\n"
         "    print('held', flush=True); time.sleep(30)\n", str(db)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        from casecli.core.ingest.sync import sync_store
        from casecli.core.store import store

        monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 300)
        with pytest.raises(CasecliError) as refused_:
            sync_store(db, basic(tmp_path, "again"), today=TODAY)
        assert str(refused_.value) == (
            "Another sync (or a migration) is running on this store, so nothing was applied; "
            "try again when it finishes."
        )
    finally:
        holder.kill()
        holder.wait()
    assert snapshot(db) == before


@pytest.mark.parametrize(
    ("file", "row", "column"),
    [
        ("payments.csv", "C999,2026-10,10.00,10.00,,", "case_id"),  # leads the key
        ("events.csv", "E9,C100,case_plan,scheduled,2026-12-01,,P999,,,", "person_id"),
        ("events.csv", "E9,C100,case_plan,scheduled,2026-12-01,,,W9,,", "staff_id"),
        ("people.csv", "P9,C999,child,Kim,2019-01-01,,", "case_id"),
    ],
)
def test_a_first_load_finds_a_row_that_points_at_nothing(
    tmp_path: Path, file: str, row: str, column: str
) -> None:
    folder = basic(tmp_path)
    with (folder / file).open("a") as fh:
        fh.write(row + "\n")
    conn = store.connect(tmp_path / "s.db", create=True)
    result = sync(conn, folder, today=TODAY)
    mine = [r for r in result.rejects if r.file == file]
    assert [(r.column, r.reason.split(" refers")[0]) for r in mine] == [(column, column)]
    assert mine[0].reason.endswith("is not in the store or this export")
