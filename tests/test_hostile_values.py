"""Hostile values (issue 7 item 5): SQL metacharacters, control characters and escape
sequences, 63 KiB cells (the contract's limit is 64 KiB), right-to-left text and
formula-injection strings in an export are stored verbatim, reach the terminal with no
escape code (case, caseload, next, unit, rejects, sync), and are neutralised in the
Markdown digests (`focus --out`), the only file casecli writes from export data."""

from __future__ import annotations

import csv
import io
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, casecli

SQL = "Brown'; DROP TABLE cases; --"
ANSI = '=HYPERLINK("http://x";"y")\x1b[31m Kai\x1b]0;title\x07 \u202eנוב\u202c'
RTL = "Avery \u202eeloC\u202c عائشة"
PLUS = "+cmd|' /C calc'!A0 \x1b[2J\x1b[H"
AT = "@SUM(1+1)*cmd \x9b31m\r\tx"
PROVIDER = "-2+3 \x1b]8;;http://evil\x07Hope\x1b]8;;\x07 Clinic\x00"
HUGE = "A" * (63 * 1024) + "\x1b[31m"  # just under the contract's 64 KiB a cell
BAD_DATE = "\x1b]0;pwned\x07" + "2026-12-01"
HOSTILE = {
    ("cases", "C100", "name"): SQL,
    ("people", "P3", "name"): ANSI,
    ("people", "P4", "name"): PLUS,
    ("people", "P1", "name"): AT,
    ("staff", "W1", "name"): RTL,
    ("referrals", "R1", "provider"): PROVIDER,
    ("signals", "G2", "detail"): HUGE,
}
KEY = {"cases": "case_id", "people": "person_id", "staff": "staff_id", "referrals": "referral_id",
       "signals": "signal_id"}  # fmt: skip


def _rewrite(folder: Path, table: str, changes: dict[tuple[str, str], str]) -> None:
    path = folder / f"{table}.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    for row in rows[1:]:
        for (key, column), value in changes.items():
            if row[0] == key:
                row[header.index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The basic fixture with hostile values, synced by the real console script."""
    tmp = tmp_path_factory.mktemp("hostile-values")
    folder = tmp / "export"
    shutil.copytree(FIXTURES / "basic", folder)
    by_table: dict[str, dict[tuple[str, str], str]] = {}
    for (table, key, column), value in HOSTILE.items():
        by_table.setdefault(table, {})[(key, column)] = value
    for table, changes in by_table.items():
        _rewrite(folder, table, changes)
    with (folder / "events.csv").open("a", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerow(
            ["E9", "C100", "case_plan", "scheduled", BAD_DATE, "", "", "W1", "", ""]
        )
    db = tmp / "cases.db"
    result = casecli("--db", str(db), "--today", "2026-11-24", "sync", str(folder))
    assert result.returncode == 3, result.stderr  # applied, with the one reject
    return db, result.stdout, result.stderr


def _clean(text: str) -> None:
    """Nothing that a terminal would act on: no ESC, BEL, CSI (C1) or NUL."""
    for ch in ("\x1b", "\x07", "\x9b", "\x00"):
        assert ch not in text, f"{ch!r} reached the terminal: {text[:2000]!r}"


def test_hostile_values_are_stored_verbatim(hostile: tuple[Path, str, str]) -> None:
    db, _, _ = hostile
    conn = sqlite3.connect(db)
    try:
        for (table, key, column), value in HOSTILE.items():
            stored = conn.execute(
                f"SELECT {column} FROM {table} WHERE {KEY[table]} = ?", (key,)
            ).fetchone()[0]
            assert stored.encode() == value.encode(), (table, key, column)
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 4  # not dropped
        value, reason = conn.execute(
            "SELECT value, reason FROM rejects WHERE line = 6 AND file = 'events.csv'"
        ).fetchone()
        assert value == BAD_DATE and "scheduled_on" in reason
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()


def test_the_sync_report_shows_the_hostile_reject_safely(hostile: tuple[Path, str, str]) -> None:
    _, out, err = hostile
    _clean(out)
    _clean(err)
    assert "pwned" in out + err  # the raw value is shown, made harmless


@pytest.mark.parametrize(
    ("user", "args", "shows"),
    [
        ("W1", ("case", "C100"), ("Brown';", "DROP TABLE", "HYPERLINK", "Kai", "calc")),
        ("W1", ("caseload",), ("C100",)),
        ("W1", ("next",), ("C100",)),
        ("S1", ("unit",), ("Avery",)),
        ("S1", ("rejects",), ("pwned",)),
        ("W1", ("--redact", "case", "C100"), ("C100",)),
    ],
)
def test_commands_show_hostile_values_with_no_escape_codes(
    hostile: tuple[Path, str, str], user: str, args: tuple[str, ...], shows: tuple[str, ...]
) -> None:
    db, _, _ = hostile
    result = casecli("--db", str(db), "--today", "2026-11-24", "--as", user, *args)
    assert result.returncode == 0, result.stderr
    _clean(result.stdout)
    _clean(result.stderr)
    assert "\u202e" not in result.stdout  # no bidi override reorders the line
    for word in shows:
        assert word in result.stdout


def test_the_digests_neutralise_hostile_names(
    hostile: tuple[Path, str, str], tmp_path: Path
) -> None:
    db = tmp_path / "cases.db"
    shutil.copy(hostile[0], db)
    goal = casecli(
        "--db",
        str(db),
        "--today",
        "2026-11-24",
        "--as",
        "S1",
        "goals",
        "set",
        "unit:U1",
        "monthly_visits",
        "95",
    )
    assert goal.returncode == 0, goal.stderr
    out = tmp_path / "digests"
    result = casecli(
        "--db", str(db), "--today", "2026-11-24", "--as", "S1",
        "focus", "--month", "2026-11", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    _clean(result.stdout + result.stderr)
    digests = sorted(out.iterdir())
    assert digests
    text = "".join(p.read_text(encoding="utf-8") for p in digests)
    _clean(text)
    assert "\u202e" not in text
    # the worker's RTL name in the title, the child's formula in the list: inert
    assert "# Monthly focus: Avery  eloC  عائشة (W1)" in text
    assert '- C100: \'=HYPERLINK("http://x";"y") \\[31m not yet visited' in text
    for line in text.splitlines():  # a spreadsheet would take no cell for a formula
        for cell in re.split(r"(?<!\\)\|", line.strip("|")):
            cell = cell.strip().removeprefix("- ")
            assert cell[:1] not in ("=", "+", "-", "@") or re.fullmatch(
                r"[+-][\d.,]+%?|-{3,}:?", cell
            )
    assert "=HYPERLINK" not in text.replace("'=HYPERLINK", "")
