"""``casecli record | wait | resolve | progress``: one line, or one JSON object; exit codes.
On both stores (issue 17 item 7): on a team store each command runs as the person's own
login (``CASECLI_USER`` names whose), a sync as the store's owner."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app
from tests.conftest import FIXTURES, PEOPLE_HEADER, TEAMS, as_team, drop_team, login_of

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, backend: object | None) -> Iterator[dict[str, str]]:
    db = tmp_path / "s.db"
    values = {
        "CASECLI_CONFIG": str(tmp_path / "config.toml"),
        "CASECLI_DB": str(db),
        "CASECLI_TODAY": "2026-11-24",
        "CASECLI_USER": "W1",
        "CASECLI_JSON": "",
    }
    synced = runner.invoke(app, ["sync", str(FIXTURES / "basic")], env=values)
    assert synced.exit_code == 0, synced.stderr
    store = str(as_team(db, backend))
    yield {**values, "CASECLI_DB": store}
    drop_team(store)


def cli(env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    login = login_of(env["CASECLI_DB"], env["CASECLI_USER"] or "W1", args[0])
    if login is not None:
        env = {**env, "CASECLI_DB": login, "CASECLI_USER": ""}
    return runner.invoke(app, list(args), env=env)


def rows(env: dict[str, str], sql: str) -> list[tuple[object, ...]]:
    """``sql``'s rows in the store, every row (SQLite's file; the team store's owner)."""
    t = TEAMS.get(env["CASECLI_DB"])
    if t is None:
        with sqlite3.connect(env["CASECLI_DB"]) as conn:
            return conn.execute(sql).fetchall()
    with t.owner() as raw:
        return [tuple(r) for r in raw.execute(sql).fetchall()]


def test_record_prints_one_line(env: dict[str, str]) -> None:
    result = cli(env, "record", "C100", "caseworker_visit", "--person", "P3", "--location", "home")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Recorded caseworker_visit on 2026-11-24 with P3 for case C100 (#1).\n"
    plain = cli(env, "record", "C100", "court_report", "--on", "yesterday")
    assert plain.stdout == "Recorded court_report on 2026-11-23 for case C100 (#2).\n"


def test_record_json(env: dict[str, str]) -> None:
    result = cli(
        env, "record", "C100", "drug_screen", "--on", "2026-11-20T08:30", "--result", "negative",
        "--note", "observed", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data.pop("recorded_at").startswith("20")
    assert data == {
        "id": 1,
        "case_id": "C100",
        "kind": "drug_screen",
        "person_id": None,
        "on": "2026-11-20T08:30",
        "location": None,
        "result": "negative",
        "note": "observed",
        "recorded_by": "W1",
    }


def test_wait_resolve_and_progress(env: dict[str, str]) -> None:
    wait = cli(
        env, "wait", "C100", "drug screen result", "--expect", "2026-12-01", "--step", "case_plan"
    )
    assert wait.exit_code == 0, wait.stderr
    assert wait.stdout == (
        "Case C100 is waiting on drug screen result (expected 2026-12-01) (barrier #1); "
        "clear it with casecli resolve 1.\n"
    )
    resolved = cli(env, "resolve", "1", "--note", "negative", "--json")
    assert resolved.exit_code == 0, resolved.stderr
    assert json.loads(resolved.stdout) == {
        "id": 1,
        "case_id": "C100",
        "what": "drug screen result",
        "service": None,
        "step": "case_plan",
        "expect_on": "2026-12-01",
        "opened_on": "2026-11-24",
        "opened_by": "W1",
        "resolved_on": "2026-11-24",
        "resolved_by": "W1",
        "note": "negative",
    }
    again = cli(env, "resolve", "1")
    assert again.exit_code == 1
    assert (
        again.stderr
        == "casecli: Barrier #1 was already resolved on 2026-11-24 by W1; nothing to do.\n"
    )
    progress = cli(env, "progress", "C100", "CG1", "--percent", "40")
    assert progress.stdout == "Recorded progress on goal CG1 of case C100: 40% (#1).\n"
    status = json.loads(
        cli(env, "progress", "C100", "CG2", "--status", "achieved", "--json").stdout
    )
    assert (status["goal_id"], status["status"], status["percent"]) == ("CG2", "achieved", None)


ON_A_TEAM_STORE = {  # (a case out of scope is, to the login, no case at all)
    "Case C200 is not in your caseload (worker W1), so you cannot see or change it.":
        "There is no case C200 in your scope on this team store; check the case id.",
    "There is no staff member Z9 in the store; check --as.":
        "On a team store you are your login's staff member (W1); --as another is for admins.",
    "There is no barrier #7 in the store; casecli waiting lists the open ones.":
        "There is no barrier #7 in your scope on this team store; casecli waiting lists the open ones.",
}  # fmt: skip


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["record", "C200", "caseworker_visit"], 1,
         "Case C200 is not in your caseload (worker W1), so you cannot see or change it."),
        (["record", "C100", "caseworker_visit", "--on", "2026-11-25"], 2,
         "--on 2026-11-25 is in the future; record what has happened (schedule it in the system of record)."),
        (["record", "C100", "visit"], 2,
         "'visit' is not an event kind casecli knows (did you mean caseworker_visit?); see casecli record --help."),
        (["wait", "C100", "x", "--step", "nope"], 1,
         "Step nope is not in the foster_care playbook (its steps: monthly_visit, case_plan, court_report, periodic_review, reunification_assessment, permanency_hearing, tpr_petition)."),
        (["resolve", "7"], 1, "There is no barrier #7 in the store; casecli waiting lists the open ones."),
        (["progress", "C100", "CG1"], 2,
         "Give exactly one of --percent N (0 to 100) or --status (not_started, in_progress, achieved, not_achieved)."),
        (["progress", "C100", "CG1", "--percent", "-1"], 2, "--percent must be between 0 and 100, not -1."),
        (["--as", "Z9", "record", "C100", "caseworker_visit"], 1,
         "There is no staff member Z9 in the store; check --as."),
    ],
)  # fmt: skip
def test_errors_are_one_sentence_with_the_right_exit_code(
    env: dict[str, str], args: list[str], code: int, message: str
) -> None:
    if args[0] == "--as":
        env = {**env, "CASECLI_USER": ""}
    if env["CASECLI_DB"] in TEAMS:  # what the database lets a worker's login know
        message = ON_A_TEAM_STORE.get(message, message)
    result = cli(env, *args)
    assert result.exit_code == code
    assert result.stderr == f"casecli: {message}\n"
    assert result.stdout == ""


def test_the_playbooks_folder_in_the_config_is_used(env: dict[str, str], tmp_path: Path) -> None:
    books = tmp_path / "books"
    books.mkdir()
    (books / "foster_care.toml").write_text(
        '[[steps]]\nid = "home_study"\ntitle = "Finish the home study"\n'
        'done_by = ["home_study_done"]\ndue = { from = "removal", days = 90 }\n'
    )
    assert cli(env, "config", "set", "playbooks", str(books)).exit_code == 0
    assert cli(env, "wait", "C100", "a home study", "--step", "home_study").exit_code == 0
    assert cli(env, "record", "C100", "home_study_done").exit_code == 0


def test_every_command_has_help(env: dict[str, str]) -> None:
    for command in ("record", "wait", "resolve", "progress"):
        result = cli(env, command, "--help")
        assert result.exit_code == 0 and "--json" in result.stdout, command
    assert "caseworker_visit" in cli(env, "record", "--help").stdout


# Issue 12 item 4: what a caseworker must be told before a write, not after ---------------


def test_nothing_is_recorded_on_a_closed_case(env: dict[str, str]) -> None:
    # C300 was closed on 2026-05-01: a visit recorded there would count nowhere.
    result = cli(env | {"CASECLI_USER": "W2"}, "record", "C300", "caseworker_visit")
    assert result.exit_code == 1
    assert result.stderr == (
        "casecli: Case C300 was closed on 2026-05-01, so nothing was recorded; if the work "
        "goes on, the case must be reopened in the system of record first.\n"
    )
    assert rows(env, "SELECT count(*) FROM recorded_events") == [(0,)]
    assert rows(env, "SELECT count(*) FROM audit_log") == [(0,)]


def _add_child(env: dict[str, str], tmp_path: Path, row: str) -> None:
    """Sync one more person into case 004 (``row``: a people.csv line)."""
    delta = tmp_path / "kids"
    delta.mkdir()
    (delta / "people.csv").write_text(f"{PEOPLE_HEADER}{row}\n")
    assert cli(env, "sync", str(delta)).exit_code == 0


def test_a_contact_on_a_case_with_two_children_asks_which(
    env: dict[str, str], tmp_path: Path
) -> None:
    # 004 now has two children, each with their own "see the child face to face" step.
    # Without --person the contact would complete both silently: it asks instead.
    _add_child(env, tmp_path, "P8,004,child,Bo Smith,2021-05-05,,")
    asked = cli(env, "record", "004", "face_to_face_contact")
    assert asked.exit_code == 2
    assert asked.stderr == (
        "casecli: Case 004 has 2 children and face_to_face_contact counts for each one "
        "separately (P1, P8); say which with --person ID, or --person all if it was with "
        "every one of them.\n"
    )
    assert "Bo" not in asked.stderr and "Ana" not in asked.stderr  # ids, never names
    actions = json.loads(cli(env, "next", "--json").stdout)
    unseen = next(a for a in actions if a["step"] == "first_contact")
    assert unseen["action"] == "See the children face to face (Ana, Bo) — 1 day overdue"
    assert [p["person_id"] for p in unseen["people"]] == ["P1", "P8"]
    # one child seen: the other child's step stays, named alone
    assert cli(env, "record", "004", "face_to_face_contact", "--person", "P1").exit_code == 0
    actions = json.loads(cli(env, "next", "--json").stdout)
    unseen = next(a for a in actions if a["step"] == "first_contact")
    assert unseen["action"] == "See the child face to face (Bo) — 1 day overdue"
    # --person all: said out loud, every child seen
    done = cli(env, "record", "004", "face_to_face_contact", "--person", "all", "--json")
    assert done.exit_code == 0 and json.loads(done.stdout)["person_id"] is None
    actions = json.loads(cli(env, "next", "--json").stdout)
    assert not any(a["step"] == "first_contact" for a in actions)


def test_a_contact_on_a_case_with_one_child_needs_no_person(env: dict[str, str]) -> None:
    result = cli(env, "record", "004", "face_to_face_contact")
    assert result.exit_code == 0, result.stderr
    actions = json.loads(cli(env, "next", "--json").stdout)
    assert not any(a["step"] == "first_contact" for a in actions)


def test_a_person_whose_id_is_all_is_that_person(env: dict[str, str], tmp_path: Path) -> None:
    # --person all means every child, unless the case has a person with that very id
    _add_child(env, tmp_path, "all,004,child,Cy Smith,2022-02-02,,")
    done = cli(env, "record", "004", "face_to_face_contact", "--person", "all", "--json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["person_id"] == "all"
