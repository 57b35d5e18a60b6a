"""The engine and the measures read the same settings and the same deadlines (issue 13
items 6 and 9): a jurisdiction's playbook is what its caseworkers are told and what they
are measured on."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from casecli.cli.main import app
from casecli.core.playbooks import DEFAULTS
from tests.conftest import FIXTURES

ENV = {"CASECLI_CONFIG": "/nonexistent/c.toml"}


def _store(tmp_path: Path) -> Path:
    """The basic fixture plus I9: an investigation opened 2026-10-05 09:00 with no
    response_hours of its own, the child seen face to face 27 hours later."""
    db, delta = tmp_path / "s.db", tmp_path / "i9"
    delta.mkdir()
    (delta / "cases.csv").write_text(
        "case_id,program,case_type,status,opened_on,closed_on,worker_id,name,risk_level,"
        "response_hours,permanency_goal,goal_target_on,order_established_on,updated_at\n"
        "I9,child_welfare,investigation,open,2026-10-05T09:00,,W1,Nash,moderate,,,,,\n"
    )
    (delta / "people.csv").write_text(
        "person_id,case_id,role,name,birth_on,born_out_of_wedlock,paternity_established_on\n"
        "P9,I9,child,Lu Nash,2018-01-01,,\n"
    )
    (delta / "events.csv").write_text(
        "event_id,case_id,kind,status,scheduled_on,completed_on,person_id,staff_id,location,result\n"
        "E90,I9,face_to_face_contact,completed,,2026-10-06T12:00,P9,W1,home,\n"
    )
    for folder in (FIXTURES / "basic", delta):
        result = CliRunner().invoke(app, [*_base(db), "sync", str(folder)], env=ENV)
        assert result.exit_code == 0, result.stderr
    return db


def _base(db: Path) -> list[str]:
    return ["--db", str(db), "--as", "A1", "--today", "2026-11-24"]


def _run(db: Path, *args: str, playbooks: Path | None = None) -> object:
    extra = ["--playbooks", str(playbooks)] if playbooks else []
    result = CliRunner().invoke(app, [*_base(db), *args, *extra, "--json"], env=ENV)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _timely(db: Path, playbooks: Path | None) -> tuple[int, int]:
    card = _run(db, "score", "--period", "2026-10", playbooks=playbooks)
    assert isinstance(card, dict)
    line = next(m for m in card["measures"] if m["measure"] == "timely_response")
    return line["numerator"], line["denominator"]


def _first_contact_due(db: Path, playbooks: Path | None) -> str:
    case = _run(db, "case", "I9", playbooks=playbooks)
    assert isinstance(case, dict)
    return next(s["due_on"] for s in case["steps"] if s["step"] == "first_contact")


def test_a_jurisdictions_24_hour_default_is_what_the_measure_and_the_engine_use(
    tmp_path: Path,
) -> None:
    db = _store(tmp_path)
    # The shipped playbook: 72 hours when the case gives none. Seen after 27 hours: timely;
    # the engine's deadline is 2026-10-08 (09:00 on the 5th + 72 hours).
    assert _timely(db, None) == (1, 1)
    assert _first_contact_due(db, None) == "2026-10-08"
    # A jurisdiction that sets 24 hours (its own investigation.toml): seen after 27 hours
    # is late for the measure (it used to stay 72 there: score passed only closure_days),
    # and the engine's deadline is 2026-10-06.
    books = tmp_path / "books"
    books.mkdir()
    text = (DEFAULTS / "investigation.toml").read_text(encoding="utf-8")
    assert 'hours_from = "response_hours", hours = 72' in text
    (books / "investigation.toml").write_text(
        text.replace('hours_from = "response_hours", hours = 72', 'hours_from = "response_hours", hours = 24'),
        encoding="utf-8",
    )  # fmt: skip
    assert _timely(db, books) == (0, 1)
    assert _first_contact_due(db, books) == "2026-10-06"


def _one_case(tmp_path: Path, opened: str, seen: str | None) -> Path:
    db, delta = tmp_path / "d.db", tmp_path / "i8"
    delta.mkdir()
    (delta / "cases.csv").write_text(
        "case_id,program,case_type,status,opened_on,closed_on,worker_id,name,risk_level,"
        "response_hours,permanency_goal,goal_target_on,order_established_on,updated_at\n"
        f"I8,child_welfare,investigation,open,{opened},,W1,Ray,high,24,,,,\n"
    )
    (delta / "people.csv").write_text(
        "person_id,case_id,role,name,birth_on,born_out_of_wedlock,paternity_established_on\n"
        "P8,I8,child,Al Ray,2019-01-01,,\n"
    )
    if seen:
        (delta / "events.csv").write_text(
            "event_id,case_id,kind,status,scheduled_on,completed_on,person_id,staff_id,"
            f"location,result\nE80,I8,face_to_face_contact,completed,,{seen},P8,W1,home,\n"
        )
    for folder in (FIXTURES / "basic", delta):
        result = CliRunner().invoke(app, [*_base(db), "sync", str(folder)], env=ENV)
        assert result.exit_code == 0, result.stderr
    return db


def _on(db: Path, today: str, *args: str) -> object:
    base = ["--db", str(db), "--as", "A1", "--today", today]
    result = CliRunner().invoke(app, [*base, *args, "--json"], env=ENV)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _measure_and_step(db: Path, today: str) -> tuple[tuple[int, int, str | None], str]:
    card = _on(db, today, "score", "--period", "2026-11")
    assert isinstance(card, dict)
    line = next(m for m in card["measures"] if m["measure"] == "timely_response")
    case = _on(db, today, "case", "I8")
    assert isinstance(case, dict)
    step = next(s for s in case["steps"] if s["step"] == "first_contact")
    return (line["numerator"], line["denominator"], line["note"]), step["status"]


def test_a_plain_date_intake_starts_at_midnight_for_the_engine_and_the_measure(
    tmp_path: Path,
) -> None:
    # EXPORTS.md: a plain date is the start of that day. Intake 2026-11-23 + 24 hours =
    # 2026-11-24 00:00. On the 23rd the child can still be seen in time: the step is open
    # (due today) and the measure leaves the case out as pending. On the 24th the deadline
    # has passed: the step is overdue and the measure counts a late response. They agree
    # on both days (the engine used to say "due today" on the 24th).
    # (The fixture's 004, intake 2026-11-22 09:30 + 24 hours, is pending on the 23rd and
    # late on the 24th: it is the other case in each count.)
    db = _one_case(tmp_path, "2026-11-23", None)
    on_23 = _measure_and_step(db, "2026-11-23")
    assert on_23[0][:2] == (0, 0) and on_23[1] == "open"
    assert "2 still within the response window, not counted yet" in (on_23[0][2] or "")
    on_24 = _measure_and_step(db, "2026-11-24")
    assert on_24[0][:2] == (0, 2) and "within the response window" not in (on_24[0][2] or "")
    assert on_24[1] == "overdue"
    actions = _on(db, "2026-11-24", "next")
    assert isinstance(actions, list)
    assert next(a for a in actions if a["case_id"] == "I8")["action"] == (
        "See the child face to face (Al) — 1 day overdue"
    )


def test_a_deadline_within_the_day_is_due_today_for_both(tmp_path: Path) -> None:
    # Intake 2026-11-23 09:30 + 24 hours = 2026-11-24 09:30: on the 24th the step is due
    # today and the measure still waits; seen at 09:00 that day, it is on time for both.
    # (004, the fixture's, is late by then: the 1 in each denominator.)
    db = _one_case(tmp_path, "2026-11-23T09:30", None)
    on_24 = _measure_and_step(db, "2026-11-24")
    assert on_24[0][:2] == (0, 1) and on_24[1] == "open"
    assert "1 still within the response window, not counted yet" in (on_24[0][2] or "")
    (tmp_path / "seen").mkdir()
    seen = _one_case(tmp_path / "seen", "2026-11-23T09:30", "2026-11-24T09:00")
    card, status = _measure_and_step(seen, "2026-11-25")
    assert card[:2] == (1, 2) and status == "done"
