"""next, case, caseload and waiting through the CLI, on the basic fixture as of 2026-11-24.

The fixture (tests/fixtures/basic) plus a small delta with C100's case plan and last
periodic review, so what is left is the work the scenario is about:
- 004: a high-risk investigation opened 2026-11-22 09:30 with a 24-hour response; the
  child has not been seen: a legal safety deadline passed yesterday.
- C100: a child in care; a court hearing on 2026-11-29 with no report filed (due 10 days
  before); not visited in November; a drug screen from 2026-11-12 with no result; a
  substance-treatment referral waitlisted since 2026-10-17.
- C200 (W2): child support; the paying parent lost a job yesterday.

On both stores (issue 17 item 7): on a team store each command runs as the person's own
login, a sync as the store's owner.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app
from casecli.core.store import team as teams
from tests.conftest import FIXTURES, TEAMS, as_team, drop_team, login_of

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, backend: object | None) -> Iterator[Path | str]:
    store = as_team(_synced(tmp_path), backend)
    yield store
    drop_team(store)


def _synced(tmp_path: Path) -> Path:
    path = tmp_path / "s.db"
    delta = tmp_path / "delta"
    delta.mkdir()
    (delta / "events.csv").write_text(
        "event_id,case_id,kind,status,scheduled_on,completed_on,person_id,staff_id,location,result\n"
        "E5,C100,case_plan,completed,,2026-01-15,,W1,office,\n"
        "E6,C100,periodic_review,completed,,2026-06-01,,W1,office,\n"
    )
    for folder in (FIXTURES / "basic", delta):
        result = cli(path, "W1", "sync", str(folder))
        assert result.exit_code == 0, result.stderr
    return path


def cli(db: Path | str, user: str | None, *args: str):  # type: ignore[no-untyped-def]
    login = login_of(db, user, args[0])
    if login is None:
        base = ["--db", str(db), "--today", "2026-11-24"] + (["--as", user] if user else [])
    else:
        base = ["--db", login, "--today", "2026-11-24"]
    return runner.invoke(
        app, [*base, *args], env={"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": "80"}
    )


def test_next_ranks_the_unseen_child_first_then_the_court_report(db: Path | str) -> None:
    result = cli(db, "W1", "next", "--json")
    assert result.exit_code == 0, result.stderr
    actions = json.loads(result.stdout)
    # The order of consequences (DOMAIN.md, "Urgency"): the unseen child (safety), then the
    # report for a hearing in 5 days (court imminent), then compliance, then the waits.
    assert [(a["case_id"], a["kind"], a["step"], a["urgency"]) for a in actions] == [
        ("004", "step", "first_contact", 114.39),  # 100 safety + 9 due x legal + 1.39 + 4 risk
        ("C100", "step", "court_report", 56.38),  # 40 hearing in 5 days + 10.8 + 3.58 + 2 risk
        ("C100", "step", "monthly_visit", 7.14),  # legal deadline in 6 days + 2 moderate risk
        ("C100", "step", "periodic_review", 6.5),  # next review due 2026-12-01
        ("C100", "chase", None, 5.08),  # the waitlist is 38 days old: 3 x ln(38/7)
        ("C100", "chase", None, 1.62),  # the result has been pending 12 days: 3 x ln(12/7)
    ]
    assert actions[0]["action"] == "See the child face to face (Ana) — 1 day overdue"
    assert actions[0]["due_on"] == "2026-11-23"
    assert actions[0]["terms"] == [
        {"term": "due", "points": 9.0, "why": "legal deadline passed"},
        {"term": "overdue", "points": 1.39, "why": "1 day overdue"},  # 2 x ln(1 + 1)
        {"term": "safety", "points": 100.0, "why": "a child's safety"},
        {"term": "risk", "points": 4.0, "why": "high risk"},
    ]
    assert actions[0]["people"] == [
        {"person_id": "P1", "due_on": "2026-11-23", "urgency": 114.39, "terms": actions[0]["terms"]}
    ]
    assert (
        actions[1]["action"] == "File the court report — court hearing in 5 days, report not filed"
    )
    assert actions[5]["action"] == "Chase the drug-screen result — pending 12 days"


def test_next_reads_well_at_80_columns(db: Path | str) -> None:
    result = cli(db, "W1", "next", "-n", "2")
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert lines[1].startswith(" 1 004   See the child face to face (Ana) — 1 day overdue")
    assert "legal deadline passed · high risk" in lines[2]
    assert "court hearing in 5 days" in result.stdout


def test_next_explain_shows_every_term(db: Path | str) -> None:
    result = cli(db, "W1", "next", "-n", "1", "--explain")
    assert "overdue          +1.39  1 day overdue" in result.stdout
    assert "safety         +100.00  a child's safety" in result.stdout
    assert "risk             +4.00  high risk" in result.stdout


def test_a_job_loss_yesterday_tops_the_child_support_workers_list(db: Path | str) -> None:
    actions = json.loads(cli(db, "W2", "next", "--json").stdout)
    assert actions[0]["case_id"] == "C200"
    assert actions[0]["kind"] == "modification"
    assert (
        actions[0]["action"]
        == "Review the order for modification — the paying parent lost a job yesterday"
    )


def test_a_supervisor_sees_the_whole_unit(db: Path | str) -> None:
    actions = json.loads(cli(db, "S1", "next", "-n", "20", "--json").stdout)
    assert {a["case_id"] for a in actions} == {"004", "C100", "C200"}


def test_recording_todays_visit_removes_it_from_next(db: Path | str) -> None:
    before = json.loads(cli(db, "W1", "next", "--json").stdout)
    assert any(a["step"] == "monthly_visit" for a in before)
    recorded = cli(
        db, "W1", "record", "C100", "caseworker_visit", "--person", "P3", "--location", "home"
    )
    assert recorded.exit_code == 0, recorded.stderr
    after = json.loads(cli(db, "W1", "next", "--json").stdout)
    assert not any(a["step"] == "monthly_visit" for a in after)
    assert len(after) == len(before) - 1


def test_a_recorded_barrier_moves_its_step_to_waiting(db: Path | str) -> None:
    result = cli(db, "W1", "wait", "C100", "court date from the clerk", "--step", "court_report")
    assert result.exit_code == 0, result.stderr
    card = json.loads(cli(db, "W1", "case", "C100", "--json").stdout)
    report = next(s for s in card["steps"] if s["step"] == "court_report")
    assert (report["status"], report["blocked_by"]) == ("waiting", "court date from the clerk")
    assert not any(a["step"] == "court_report" for a in card["actions"])


def test_case_json_has_contract_fields_and_every_section(db: Path | str) -> None:
    result = cli(db, "W1", "case", "C100", "--json")
    assert result.exit_code == 0, result.stderr
    card = json.loads(result.stdout)
    assert (card["case_id"], card["program"], card["case_type"], card["permanency_goal"]) == (
        "C100",
        "child_welfare",
        "foster_care",
        "reunification",
    )
    for key in ("steps", "barriers", "milestone", "people", "goals", "signals", "actions"):
        assert key in card
    assert card["milestone"] == {"what": "court hearing", "on": "2026-11-29", "days_left": 5}
    assert [b["what"] for b in card["barriers"]] == [
        "substance treatment (waitlisted)",
        "drug-screen result",
    ]
    assert {p["person_id"] for p in card["people"]} == {"P3", "P4"}
    assert [g["goal_id"] for g in card["goals"]] == ["CG1", "CG2"]
    assert card["situation"] == "overdue"


def test_case_card_shows_the_sections_and_redacts_names(db: Path | str) -> None:
    shown = cli(db, "W1", "case", "C100").stdout
    for section in ("Now", "Waiting on", "People", "Plan goals", "Next milestone"):
        assert section in shown
    assert "Kai Brown" in shown and "2017-09-30" in shown
    redacted = cli(db, "W1", "case", "C100", "--redact").stdout
    assert "Kai Brown" not in redacted and "K.B." in redacted and "2017-09-30" not in redacted


def test_a_case_outside_the_workers_caseload_is_refused(db: Path | str) -> None:
    result = cli(db, "W1", "case", "C200")
    assert result.exit_code == 1
    # (on a team store the login cannot tell a case out of scope from no case at all)
    told = "in your scope on this team store" if str(db) in TEAMS else "not in your caseload"
    assert told in result.stderr
    assert "Jones" not in result.stderr


def test_caseload_is_one_line_per_case(db: Path | str) -> None:
    result = cli(db, "W1", "caseload")
    lines = result.stdout.splitlines()
    assert lines[1].startswith("004       investigation 114.4  overdue")
    assert lines[2].startswith("C100      foster care    56.4  overdue")
    assert all(len(line) <= 80 for line in lines)
    data = json.loads(cli(db, "W1", "caseload", "--json").stdout)
    assert [(c["case_id"], c["situation"]) for c in data] == [
        ("004", "overdue"),
        ("C100", "overdue"),
    ]


def test_waiting_groups_barriers_by_what_is_awaited(db: Path | str) -> None:
    groups = json.loads(cli(db, "W1", "waiting", "--json").stdout)
    assert [(g["what"], g["count"], g["median_days"]) for g in groups] == [
        ("substance treatment", 1, 38.0),
        ("drug-screen result", 1, 12.0),
    ]
    shown = cli(db, "W1", "waiting").stdout
    assert "substance treatment — 1 case, median 38 days, oldest 38" in shown


def test_who_you_are_is_required(db: Path | str) -> None:
    if str(db) in TEAMS:
        pytest.skip("a team store's login is who you are (test_team_store: an unknown login)")
    result = cli(db, None, "next")
    assert result.exit_code == 1
    assert "Say who you are" in result.stderr


def test_a_visit_recorded_here_and_later_exported_counts_once(
    db: Path | str, tmp_path: Path
) -> None:
    from casecli.core.engine import casedata
    from casecli.core.store import store

    assert cli(db, "W1", "record", "C100", "caseworker_visit", "--person", "P3").exit_code == 0
    later = tmp_path / "later"
    later.mkdir()
    (later / "events.csv").write_text(
        "event_id,case_id,kind,status,scheduled_on,completed_on,person_id,staff_id,location,result\n"
        "E9,C100,caseworker_visit,completed,,2026-11-24T15:00,P3,W1,home,\n"
    )
    assert cli(db, "W1", "sync", str(later)).exit_code == 0
    conn = store.connect(Path(db)) if str(db) not in TEAMS else teams.open_store(str(db))
    visits = [
        e for e in casedata.load(conn, "c.case_id = 'C100'")["C100"].events
        if e["kind"] == "caseworker_visit" and str(e["completed_on"]).startswith("2026-11-24")
    ]  # fmt: skip
    assert [(v["id"], v["source"]) for v in visits] == [("E9", "export")]
    # the local record is kept, untouched, beside the export's
    assert (
        conn.execute("SELECT count(*) FROM recorded_events WHERE case_id = 'C100'").fetchone()[0]
        == 1
    )
    conn.close()


def test_the_case_card_shows_every_term_and_they_add_up(db: Path | str) -> None:
    # issue 12 item 5: the card explains each action's number as --explain does
    card = cli(db, "W1", "case", "004").stdout
    assert "  114.4  See the child face to face (Ana) — 1 day overdue" in card
    for line in (
        "safety         +100.00  a child's safety",
        "due              +9.00  legal deadline passed",
        "risk             +4.00  high risk",
        "overdue          +1.39  1 day overdue",
    ):
        assert f"         {line}" in card
    assert 100.0 + 9.0 + 4.0 + 1.39 == 114.39
