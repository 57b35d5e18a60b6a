"""Cases nobody is working (issue 14 items 12 and 18): unassigned cases are their unit's
or office's, cases held by inactive staff are marked and are an action, and lists that
span workers name each case's worker (item 11).

The store: the basic fixture (office O1: S1 supervises U1 = W1, W2; manager M1) plus a
second unit U2 (S2, W4), an inactive worker W3 of U1 (Stephanie Nguyen) holding two
open cases, and three unassigned intakes: N1 (unit U1), N2 (office O1 only), N3 (U2).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app
from casecli.core.store import scope, store
from tests.conftest import CASES_HEADER, FIXTURES, PEOPLE_HEADER

STAFF = """\
staff_id,name,role,unit_id,unit_name,office_id,office_name,supervisor_id,hours_per_week,active
W3,Stephanie Nguyen,worker,U1,Unit One,O1,North Office,S1,40,false
S2,Kim Park,supervisor,U2,Unit Two,O1,North Office,,40,true
W4,Noa Hill,worker,U2,Unit Two,O1,North Office,S2,40,true
"""
HEADER = CASES_HEADER.rstrip("\n") + ",unit_id,office_id\n"
CASES = (
    HEADER
    + """\
N1,child_welfare,investigation,open,2026-11-24T08:00,,,Lane,high,24,,,,2026-11-24T08:05,U1,
N2,child_welfare,investigation,open,2026-11-23T09:00,,,Moss,low,72,,,,2026-11-23T09:05,,O1
N3,child_welfare,investigation,open,2026-11-23T10:00,,,Vale,low,72,,,,2026-11-23T10:05,U2,
C600,child_welfare,in_home,open,2026-06-01,,W3,Ruiz,moderate,,,,,2026-06-01T09:00,,
C601,child_welfare,in_home,open,2026-07-01,,W3,Diaz,low,,,,,2026-07-01T09:00,,
C700,child_welfare,investigation,open,2026-11-20T09:00,,W4,Cho,low,72,,,,2026-11-20T09:05,,
"""
)
PEOPLE = PEOPLE_HEADER + "P91,N1,child,Ava Lane,2019-03-01,,\nP93,N3,child,Max Vale,2018-05-02,,\n"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("owners")
    delta = tmp / "delta"
    delta.mkdir()
    (delta / "staff.csv").write_text(STAFF)
    (delta / "cases.csv").write_text(CASES)
    (delta / "people.csv").write_text(PEOPLE)
    db = tmp / "s.db"
    for folder in (FIXTURES / "basic", delta):
        done = cli(db, "A1", "sync", str(folder))
        assert done.exit_code == 0, done.stdout
    return db


def cli(db: Path, who: str, *args: str, columns: int = 80):  # type: ignore[no-untyped-def]
    env = {"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": str(columns)}
    base = ["--db", str(db), "--as", who, "--today", "2026-11-24"]
    return CliRunner().invoke(app, [*base, *args], env=env)


def out(db: Path, who: str, *args: str, columns: int = 80) -> str:
    done = cli(db, who, *args, columns=columns)
    assert done.exit_code == 0, done.stderr
    return str(done.stdout)


def as_json(db: Path, who: str, *args: str):  # type: ignore[no-untyped-def]
    return json.loads(out(db, who, *args, "--json"))


# The contract and the store ----------------------------------------------------------


def test_sync_stores_the_unit_and_office_of_a_case(store_path: Path) -> None:
    conn = store.connect(store_path)
    rows = conn.execute(
        "SELECT case_id, worker_id, unit_id, office_id FROM cases WHERE case_id LIKE 'N%'"
        " ORDER BY 1"
    ).fetchall()
    assert rows == [("N1", None, "U1", None), ("N2", None, None, "O1"), ("N3", None, "U2", None)]
    assert conn.execute("PRAGMA user_version").fetchone()[0] >= 8  # schema 8 brought the columns


def test_a_case_naming_a_unit_or_office_nobody_belongs_to_is_a_reject_with_a_reason(
    tmp_path: Path,
) -> None:
    delta = tmp_path / "delta"
    delta.mkdir()
    (delta / "cases.csv").write_text(
        HEADER
        + "N8,child_welfare,investigation,open,2026-11-24,,,A,low,72,,,,,U9,\n"
        + "N9,child_welfare,investigation,open,2026-11-24,,,B,low,72,,,,,,O9\n"
    )
    db = tmp_path / "s.db"
    assert cli(db, "A1", "sync", str(FIXTURES / "basic")).exit_code == 0
    done = cli(db, "A1", "sync", str(delta), "--json")
    assert done.exit_code == 3
    rejects = {
        (r["line"], r["column"], r["value"], r["reason"])
        for r in json.loads(done.stdout)["rejects"]
    }
    assert rejects == {
        (2, "unit_id", "U9",
         "unit_id refers to a unit that no staff member in the store or this export belongs to"
         " (units come from staff.csv's unit_id)"),
        (3, "office_id", "O9",
         "office_id refers to an office that no staff member in the store or this export belongs to"
         " (offices come from staff.csv's office_id)"),
    }  # fmt: skip


def test_an_unassigned_case_naming_no_unit_or_office_is_kept_with_a_warning(
    tmp_path: Path,
) -> None:
    delta = tmp_path / "delta"
    delta.mkdir()
    (delta / "cases.csv").write_text(
        HEADER + "N7,child_welfare,investigation,open,2026-11-24,,,A,low,72,,,,,,\n"
    )
    db = tmp_path / "s.db"
    assert cli(db, "A1", "sync", str(FIXTURES / "basic")).exit_code == 0
    done = cli(db, "A1", "sync", str(delta), "--json")
    assert done.exit_code == 0
    assert (
        "cases: 1 open case has no worker_id, unit_id or office_id, so only an admin sees it; "
        "give each unassigned case the unit (or office) responsible."
    ) in json.loads(done.stdout)["warnings"]


# Scope -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("S1", {"N1"}),  # their unit's
        ("S2", {"N3"}),
        ("M1", {"N1", "N2", "N3"}),  # the office's: of its units, and the office's own
        ("W1", set()),
        ("A1", {"N1", "N2", "N3"}),
    ],
)
def test_unassigned_cases_are_seen_by_their_units_supervisor_and_their_offices_manager(
    store_path: Path, who: str, sees: set[str]
) -> None:
    conn = store.connect(store_path)
    clause, params = scope.cases_clause(scope.actor(conn, who), "c")
    found = {
        r[0]
        for r in conn.execute(
            f"SELECT case_id FROM cases c WHERE c.worker_id IS NULL AND {clause}", params
        )
    }
    assert found == sees


# The unit view, next, caseload, waiting -----------------------------------------------


def test_the_unit_view_lists_what_needs_an_owner_first(store_path: Path) -> None:
    text = out(store_path, "S1", "unit")
    head, rest = text.split("\nNeeds an owner\n", 1)
    assert "worker" not in head  # before the workers table
    assert rest.startswith(
        "  N1        Assign this investigation (opened 2026-11-24) — nobody holds it;\n"
        # an investigation and a foster care case, 10 + 7 = 17 h a month: 17 x 14 / 30.4375
        # = 7.82 h, + 11 h of dated steps due = 18.82 h of 80 h = 24%
        "            could take it: Avery Cole (24%)\n"
        "            now: See the child face to face (Ava) — due in 1 day\n"
        "  W3        2 open cases assigned to Stephanie Nguyen (inactive) — reassign:\n"
        "            C600 C601\n"
        "\nworker "
    )
    assert "\nW3 Stephanie… (inactive)      2 " in rest  # the name is cut, never the mark
    wide = out(store_path, "S1", "unit", columns=120)
    assert "\nW3 Stephanie Nguyen (inactive)  " in wide


def test_the_unit_view_json_names_who_could_take_an_unassigned_case(store_path: Path) -> None:
    view = as_json(store_path, "S2", "unit")
    (n3,) = view["unassigned"]
    assert n3["case_id"] == "N3" and n3["unit_id"] == "U2"
    assert [c["staff_id"] for c in n3["candidates"]] == ["W4"]  # carries investigations
    assert n3["candidates"][0]["name"] == "Noa Hill"
    assert view["held_by_inactive"] == []
    assert view["figures"]["open_cases"] == 2  # W4's case and the unassigned N3
    held = as_json(store_path, "S1", "unit")["held_by_inactive"]
    assert held == [
        {
            "staff_id": "W3",
            "name": "Stephanie Nguyen",
            "case_ids": held[0]["case_ids"],
            "action": "2 open cases assigned to Stephanie Nguyen (inactive) — reassign",
        }
    ]
    assert sorted(held[0]["case_ids"]) == ["C600", "C601"]


def test_a_supervisors_next_puts_unassigned_cases_first_and_names_each_worker(
    store_path: Path,
) -> None:
    actions = as_json(store_path, "S1", "next", "-n", "50")
    assert actions[0]["kind"] == "assign" and actions[0]["case_id"] == "N1"
    assert actions[0]["worker_id"] is None and actions[0]["worker"] is None
    reassign = [a for a in actions if a["kind"] == "reassign"]
    assert [a["action"] for a in reassign] == [
        "2 open cases assigned to Stephanie Nguyen (inactive) — reassign"
    ]
    assert reassign[0]["worker_id"] == "W3" and reassign[0]["worker_active"] is False
    mine = next(a for a in actions if a["case_id"] == "004")
    assert (mine["worker_id"], mine["worker"], mine["worker_active"]) == ("W1", "Avery Cole", True)


@pytest.mark.parametrize("columns", [80, 120])
def test_next_caseload_and_waiting_name_the_worker_and_fit_the_width(
    store_path: Path, columns: int
) -> None:
    for command in ("next", "caseload", "waiting"):
        text = (
            out(store_path, "S1", command, "-n", "50")
            if command == "next"
            else out(store_path, "S1", command, columns=columns)
        )
        if command == "next":
            text = out(store_path, "S1", command, "-n", "50", columns=columns)
        lines = text.splitlines()
        assert all(len(line) <= columns for line in lines), (command, lines)
        if command != "waiting":
            assert "worker" in lines[0], command
    nxt = out(store_path, "S1", "next", "-n", "50", columns=columns)
    assert "unassigned" in nxt and "(inactive)" in nxt
    load = out(store_path, "S1", "caseload", columns=columns)
    row = next(line for line in load.splitlines() if line.startswith("C600"))
    assert "(inactive)" in row  # never cut away
    assert ("A. Cole" if columns < 100 else "Avery Cole") in load


def test_a_workers_own_lists_name_nobody(store_path: Path) -> None:
    assert out(store_path, "W1", "next").splitlines()[0].split() == [
        "#",
        "case",
        "action",
        "due",
        "urg",
    ]
    assert out(store_path, "W1", "caseload").splitlines()[0].split()[:2] == ["case", "type"]


def test_digests_leave_out_inactive_workers_and_focus_names_whose_case(
    store_path: Path, tmp_path: Path
) -> None:
    done = cli(store_path, "M1", "focus", "--month", "2026-11", "--out", str(tmp_path / "d"))
    assert done.exit_code == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [
        "W1-2026-11.md",
        "W2-2026-11.md",
        "W4-2026-11.md",
    ]  # fmt: skip  (W3, inactive, gets none)
    db = tmp_path / "goal.db"
    db.write_bytes(store_path.read_bytes())
    assert cli(db, "S1", "goals", "set", "unit:U1", "monthly_visits", "95").exit_code == 0
    focus = as_json(db, "S1", "focus")
    (visits,) = focus["measures"]
    assert visits["cases"] == [
        {
            "case_id": "C100",
            "reason": visits["cases"][0]["reason"],
            "worker_id": "W1",
            "worker": "Avery Cole",
            "worker_active": True,
        }
    ]
    assert "  C100 · Avery Cole — Kai not yet visited in November" in out(db, "S1", "focus")
    mine = as_json(db, "W1", "focus")["measures"][0]["cases"][0]
    assert set(mine) == {"case_id", "reason"}  # a worker's own list names nobody
