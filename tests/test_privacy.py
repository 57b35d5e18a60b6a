"""Privacy (issue 7 item 6), through the real console script: names and birth dates never
in error output, ``--redact`` wherever names show, and role scope through every option
(a worker outside their caseload, a supervisor outside their unit: refused in one
sentence, nothing written)."""

from __future__ import annotations

import csv
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, casecli
from tests.test_hostile import refused, snapshot

BASIC = FIXTURES / "basic"


def _column(file: str, column: str) -> list[str]:
    with (BASIC / file).open(newline="", encoding="utf-8") as fh:
        return [r[column] for r in csv.DictReader(fh) if r[column]]


NAMES = _column("people.csv", "name") + _column("staff.csv", "name")
BIRTHS = _column("people.csv", "birth_on")
PERSONAL = NAMES + BIRTHS + _column("cases.csv", "name")
# A second unit and office: S2 supervises W3, who has case C400.
STAFF_U2 = "S2,Lou Park,supervisor,U2,Unit Two,O2,South Office,,40,true\nW3,Kim Vale,worker,U2,Unit Two,O2,South Office,S2,40,true\n"  # fmt: skip
CASE_U2 = "C400,child_welfare,in_home,open,2026-06-01,,W3,Vale,low,,,,,2026-06-01T08:00\n"
PERSON_U2 = "P8,C400,child,Tia Vale,2020-08-08,,\n"


def run(db: Path, user: str | None, *args: str):  # type: ignore[no-untyped-def]
    who = ("--as", user) if user else ()
    return casecli("--db", str(db), "--today", "2026-11-24", *who, *args)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("privacy")
    folder = tmp / "export"
    shutil.copytree(BASIC, folder)
    for name, extra in (("staff", STAFF_U2), ("cases", CASE_U2), ("people", PERSON_U2)):
        with (folder / f"{name}.csv").open("a", encoding="utf-8") as fh:
            fh.write(extra)
    db = tmp / "cases.db"
    assert run(db, None, "sync", str(folder)).returncode == 0
    assert run(db, "W1", "wait", "C100", "drug screen result").returncode == 0
    assert run(db, "S1", "goals", "set", "unit:U1", "monthly_visits", "95").returncode == 0
    return db


@pytest.fixture
def db(store_path: Path, tmp_path: Path) -> Path:
    path = tmp_path / "cases.db"
    shutil.copy(store_path, path)
    return path


def _no_personal_data(text: str) -> None:
    for value in PERSONAL:
        assert value not in text, f"{value!r} in {text!r}"


# -- names and birth dates never in error output ---------------------------------------


def test_rejected_people_rows_keep_names_and_birth_dates_out_of_error_output(
    db: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "people.csv").write_text(
        "person_id,case_id,role,name,birth_on,born_out_of_wedlock,paternity_established_on\n"
        "P1,004,aunt_maybe,Ana Smith,2019-03-01,,\n"  # bad role
        "P2,004,mother,Lee Smith,1994-07-12,,,extra\n"  # ragged
        "P3,C999,child,Kai Brown,2017-09-30,,\n"  # missing case
        "P4,C100,mother,Jo Brown,1990-01-01,perhaps,\n",  # bad bool
        encoding="utf-8",
    )
    result = run(db, None, "sync", str(folder))
    assert result.returncode == 3, result.stderr
    _no_personal_data(result.stderr)
    strict = run(db, None, "sync", "--strict", str(folder))
    assert strict.returncode == 1 and strict.stderr.splitlines()[-1].startswith("casecli: --strict")
    _no_personal_data(strict.stdout + strict.stderr)
    for args in (("rejects",), ("--json", "rejects")):
        shown = run(db, "A1", *args)
        assert shown.returncode == 0
        _no_personal_data(shown.stderr)
    redacted = run(db, None, "--redact", "sync", str(folder))
    _no_personal_data(redacted.stdout + redacted.stderr)  # the ragged row's line withheld
    for args in (("--redact", "rejects"), ("--redact", "--json", "rejects")):
        listed = run(db, "A1", *args)
        assert "the row has 8 values" in listed.stdout  # listed, its line withheld
        _no_personal_data(listed.stdout + listed.stderr)


def test_a_file_that_cannot_be_read_names_no_person(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "latin1"
    folder.mkdir()
    data = (BASIC / "people.csv").read_bytes().replace(b"Ana Smith", "Ana Núñez".encode("cp1252"))
    (folder / "people.csv").write_bytes(data)
    result = run(db, None, "sync", str(folder))
    refused(result.returncode, result.stderr, "people.csv")
    _no_personal_data(result.stderr)
    assert "Ana" not in result.stderr


@pytest.mark.parametrize(
    ("user", "args"),
    [
        ("W2", ("case", "C100")),
        ("W1", ("record", "C100", "caseworker_visit", "--person", "P3", "--on", "2026-13-01")),
        ("W1", ("record", "C100", "caseworker_visit", "--person", "P5")),
        ("W1", ("record", "C100", "caseworker_visit", "--person", "P3", "--on", "2027-01-01")),
        ("W1", ("case", "C999")),
        ("W2", ("progress", "C100", "CG1", "--percent", "50")),
        ("W9", ("caseload",)),
    ],
)
def test_refusals_name_no_person(db: Path, user: str, args: tuple[str, ...]) -> None:
    result = run(db, user, *args)
    assert result.returncode in (1, 2) and result.stderr.startswith("casecli: "), result.stderr
    assert "Traceback" not in result.stderr
    _no_personal_data(result.stdout + result.stderr)


# -- --redact wherever names show -------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "args", "initials"),
    [
        ("W1", ("case", "C100"), ("K.B.", "J.B.")),
        ("W1", ("caseload",), ()),
        ("W1", ("next",), ()),
        ("S1", ("unit",), ("A.C.", "S.O.")),
        ("S1", ("focus",), ()),
        ("W1", ("--json", "case", "C100"), ()),
    ],
)
def test_redact_shows_initials_and_no_name_or_birth_date(
    db: Path, user: str, args: tuple[str, ...], initials: tuple[str, ...]
) -> None:
    plain = run(db, user, *args)
    assert plain.returncode == 0, plain.stderr
    result = run(db, user, "--redact", *args)
    assert result.returncode == 0, result.stderr
    _no_personal_data(result.stdout + result.stderr)
    for mark in initials:
        assert mark in result.stdout


def test_redacted_digests_carry_no_name(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "digests"
    result = run(db, "S1", "--redact", "focus", "--month", "2026-11", "--out", str(out))
    assert result.returncode == 0, result.stderr
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(out.iterdir()))
    assert "not yet visited" in text  # the child is named: by initials
    _no_personal_data(text)


# -- role scope through every option ----------------------------------------------------


def _barrier(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("SELECT max(barrier_id) FROM barriers").fetchone()[0])
    finally:
        conn.close()


SCOPE_WORDS = (
    r"not in your|outside what you can see|is for (supervisors|managers)|more than your unit"
)
SCOPE = [
    ("W2", ("case", "C100")),
    ("W2", ("record", "C100", "caseworker_visit", "--person", "P3")),
    ("W2", ("wait", "C100", "a ride")),
    ("W2", ("resolve", "{barrier}")),
    ("W2", ("progress", "C100", "CG1", "--percent", "50")),
    ("W2", ("score", "--worker", "W1")),
    ("W2", ("score", "--unit", "U2")),
    ("W2", ("score", "--office", "O2")),
    ("W2", ("unit",)),
    ("W2", ("unit", "U2")),
    ("W2", ("bottlenecks", "--unit", "U2")),
    ("W2", ("bottlenecks", "--office", "O2")),
    ("S2", ("case", "C100")),
    ("S2", ("record", "C100", "caseworker_visit")),
    ("S2", ("wait", "C100", "a ride")),
    ("S2", ("resolve", "{barrier}")),
    ("S2", ("progress", "C100", "CG1", "--status", "achieved")),
    ("S2", ("score", "--worker", "W1")),
    ("S2", ("score", "--unit", "U1")),
    ("S2", ("score", "--office", "O1")),
    ("S2", ("unit", "U1")),
    ("S2", ("bottlenecks", "--unit", "U1")),
    ("S2", ("bottlenecks", "--office", "O1")),
]


@pytest.mark.parametrize(("user", "args"), SCOPE, ids=[f"{u}-{' '.join(a)}" for u, a in SCOPE])
def test_no_option_reaches_beyond_the_scope(db: Path, user: str, args: tuple[str, ...]) -> None:
    args = tuple(a.replace("{barrier}", _barrier(db)) for a in args)
    before = snapshot(db)
    result = run(db, user, *args)
    refused(result.returncode, result.stderr)
    assert re.search(SCOPE_WORDS, result.stderr), result.stderr  # refused for its scope
    _no_personal_data(result.stdout + result.stderr)
    assert snapshot(db) == before  # audit_log included: nothing written


@pytest.mark.parametrize("user", ["W2", "S2"])
def test_focus_digests_stay_in_scope(db: Path, tmp_path: Path, user: str) -> None:
    out = tmp_path / "digests"
    result = run(db, user, "focus", "--month", "2026-11", "--out", str(out))
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert "W1-2026-11.md" not in written
    focus = run(db, user, "--json", "focus")
    assert focus.returncode == 0, focus.stderr
    assert "C100" not in focus.stdout and "W1" not in focus.stdout
