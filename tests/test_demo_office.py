"""`casecli demo --office-cases N` (issue 15 item 4): office O01 holds exactly N open cases,
with units and workers at the usual caseloads, the rest spread over the other offices; the
benchmarks' "office of 60,000 open cases" (DESIGN.md, Performance targets). Without the
option the export is byte for byte what it was."""

from __future__ import annotations

import csv
import hashlib
import sqlite3
import statistics
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app
from casecli.core.store.scope import office_clause
from casecli.demo import export as demo
from casecli.demo.export import CASES_PER_WORKER, most_office_cases, write_demo

TODAY = date(2026, 11, 24)
ENV = {"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": "80"}


def cli(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["--today", TODAY.isoformat(), *args], env=ENV)


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def by_office(folder: Path) -> Counter[tuple[str, str]]:
    """(office, status) -> cases, read from the files: a case is its worker's office's, or,
    unassigned, its unit's (as scope.office_clause counts them in a store)."""
    staff = read(folder, "staff.csv")
    office = {s["staff_id"]: s["office_id"] for s in staff}
    unit_office = {s["unit_id"]: s["office_id"] for s in staff if s["unit_id"]}
    return Counter(
        (office[c["worker_id"]] if c["worker_id"] else unit_office[c["unit_id"]], c["status"])
        for c in read(folder, "cases.csv")
    )


# -- the store: demo --cases 20000 --office-cases 8000, then sync ---------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    tmp = tmp_path_factory.mktemp("office")
    made = cli("demo", str(tmp / "export"), "--cases", "20000", "--office-cases", "8000")
    assert made.exit_code == 0, made.output
    assert "8,000 open in office O01" in made.stdout
    synced = cli("--db", str(tmp / "cases.db"), "sync", str(tmp / "export"))
    assert synced.exit_code == 0, synced.output
    return sqlite3.connect(tmp / "cases.db")


def open_cases(conn: sqlite3.Connection, office: str) -> int:
    where, params = office_clause(office)
    sql = f"SELECT count(*) FROM cases c WHERE c.status = 'open' AND {where}"
    return conn.execute(sql, params).fetchone()[0]


def test_office_o01_holds_exactly_the_open_cases_asked_for(store: sqlite3.Connection) -> None:
    assert open_cases(store, "O01") == 8000


def test_the_other_offices_hold_every_other_case(store: sqlite3.Connection) -> None:
    offices = [o for (o,) in store.execute("SELECT DISTINCT office_id FROM staff ORDER BY 1") if o]
    assert offices[0] == "O01" and len(offices) >= 2
    total_open = store.execute("SELECT count(*) FROM cases WHERE status = 'open'").fetchone()[0]
    assert sum(open_cases(store, o) for o in offices[1:]) == total_open - 8000
    # every case, open or closed, is in exactly one office
    assert store.execute("SELECT count(*) FROM cases").fetchone()[0] == 20_000
    counted = 0
    for office in offices:
        where, params = office_clause(office)
        counted += store.execute(f"SELECT count(*) FROM cases c WHERE {where}", params).fetchone()[
            0
        ]
    assert counted == 20_000
    # O01 has closed cases too, in the usual proportion (15% of each program's cases)
    where, params = office_clause("O01")
    closed = store.execute(
        f"SELECT count(*) FROM cases c WHERE c.status = 'closed' AND {where}", params
    ).fetchone()[0]
    assert 0.14 <= closed / (closed + 8000) <= 0.16


def test_o01_has_units_and_workers_in_proportion(store: sqlite3.Connection) -> None:
    rows = store.execute(
        "SELECT office_id, count(DISTINCT unit_id), sum(role = 'worker'), sum(role = 'supervisor'),"
        " sum(role = 'manager') FROM staff WHERE office_id IS NOT NULL GROUP BY office_id"
    ).fetchall()
    staff = {office: counts for office, *counts in rows}
    units, workers, supervisors, managers = staff.pop("O01")
    assert managers == 1 and supervisors == units  # one manager, a supervisor per unit
    workers_elsewhere = sum(w for _, w, _, _ in staff.values())
    open_elsewhere = sum(open_cases(store, o) for o in staff)
    # workers in proportion to open cases, within 10%
    ratio = (workers / 8000) / (workers_elsewhere / open_elsewhere)
    assert 0.9 <= ratio <= 1.1, ratio


def test_every_workers_caseload_stays_in_the_generators_usual_range(
    store: sqlite3.Connection,
) -> None:
    """The generator aims each worker at 0.5 to 1.75 times their program's average
    (CASES_PER_WORKER: 20 in child welfare, 225 in child support), less for part-timers:
    every active worker has some open cases and none more than 2.5 times the average, and
    in each office the median full-time worker is within 20% of it, in O01 as elsewhere."""
    rows = store.execute(
        "SELECT s.staff_id, s.office_id, s.hours_per_week, c.program, count(c.case_id)"
        " FROM staff s LEFT JOIN cases c ON c.worker_id = s.staff_id AND c.status = 'open'"
        " WHERE s.role = 'worker' AND s.active = 1 GROUP BY s.staff_id, c.program"
    ).fetchall()
    full_time: dict[tuple[str, str], list[int]] = defaultdict(list)
    assert len({staff_id for staff_id, *_ in rows}) == len(rows)  # one program each
    for staff_id, office, hours, program, n in rows:
        assert program is not None, f"{staff_id} has no open case"
        assert 1 <= n <= 2.5 * CASES_PER_WORKER[program], (staff_id, office, program, n)
        if hours == 40:
            full_time[office, program].append(n)
    assert {office for office, _ in full_time} >= {"O01", "O02"}
    for (office, program), loads in full_time.items():
        median = statistics.median(loads)
        assert 0.8 <= median / CASES_PER_WORKER[program] <= 1.2, (office, program, median)


# -- exact for any size, from the files (fast) -------------------------------------------


@pytest.mark.parametrize(
    ("cases", "office_cases"),
    [(1, 1), (2, 1), (7, 3), (7, 6), (300, 1), (300, 120), (300, 255), (3000, 2549)],
)
def test_o01_open_cases_are_exact_for_any_size(
    tmp_path: Path, cases: int, office_cases: int
) -> None:
    write_demo(tmp_path, cases=cases, seed=3, today=TODAY, office_cases=office_cases)
    counts = by_office(tmp_path)
    assert counts["O01", "open"] == office_cases
    assert sum(counts.values()) == cases
    opened = sum(n for (_, status), n in counts.items() if status == "open")
    assert opened == most_office_cases(cases)  # exactly 15% of each program closed
    others = {office for office, _ in counts} - {"O01"}
    assert bool(others) == (office_cases < opened)  # all open in O01: no other office


def test_at_most_every_open_case_can_be_in_o01(tmp_path: Path) -> None:
    assert most_office_cases(20_000) == 17_000
    assert most_office_cases(300) == 255
    with pytest.raises(ValueError, match="office_cases must be from 1 to 255"):
        write_demo(tmp_path, cases=300, office_cases=256)
    with pytest.raises(ValueError, match="office_cases must be from 1 to 255"):
        write_demo(tmp_path, cases=300, office_cases=0)


def test_same_arguments_same_bytes_and_the_manifest_says_office_cases(tmp_path: Path) -> None:
    names = [*demo.COLUMNS, "manifest.toml"]
    for folder in ("a", "b"):
        write_demo(tmp_path / folder, cases=300, seed=4, today=TODAY, office_cases=100)
    a, b = ([(tmp_path / f / n).read_bytes() for n in names] for f in ("a", "b"))
    assert a == b
    manifest = (tmp_path / "a" / "manifest.toml").read_text()
    assert manifest.endswith("seed = 4\ncases = 300\noffice_cases = 100\n")


# -- without the option: as before --------------------------------------------------------


class _Stop(Exception):
    pass


def _stop(done: int) -> None:
    raise _Stop


@pytest.mark.parametrize(
    ("cases", "seed", "digest"),
    [
        (60_000, 2, "9ceb5e188911645af25dcbc0e8edba6b0a195dbe7b1c82215ead5300754ff32f"),
        (1_300_000, 1, "93fa1eb7ad5b3dc560a78ecbba249c27c8d0a4ea1b09fef03d2a84f11f820802"),
    ],
)
def test_without_the_option_the_offices_and_staff_are_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cases: int, seed: int, digest: str
) -> None:
    """staff.csv of a 2-office and a 52-office export, pinned from the generator before
    --office-cases existed (sample.db pins a whole 1,000-case export): the organisation is
    written before the first case, so the run stops there."""
    monkeypatch.setattr(demo, "PROGRESS_EVERY", 1)
    with pytest.raises(_Stop):
        write_demo(tmp_path, cases=cases, seed=seed, today=TODAY, progress=_stop)
    assert hashlib.sha256((tmp_path / "staff.csv").read_bytes()).hexdigest() == digest


# -- usage errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--office-cases", "0"], "--office-cases must be a whole number of at least 1, not '0'."),
        (["--office-cases", "many"], "--office-cases must be a whole number of at least 1, not 'many'."),
        (["--cases", "300", "--office-cases", "256"], "--office-cases 256 is more than the 255 open cases of --cases 300; give at most 255, or more --cases."),
        (["--office-cases", "60000"], "--office-cases 60,000 is more than the 850 open cases of --cases 1,000; give at most 850, or more --cases."),
    ],
)  # fmt: skip
def test_a_bad_office_cases_is_one_sentence_exit_2_and_writes_nothing(
    tmp_path: Path, args: list[str], said: str
) -> None:
    done = cli("demo", str(tmp_path / "x"), *args)
    assert done.exit_code == 2
    assert done.stdout == ""
    assert done.stderr == f"casecli: {said}\n"
    assert not (tmp_path / "x").exists()
