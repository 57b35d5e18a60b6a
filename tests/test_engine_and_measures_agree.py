"""The engine and the measures read the same settings and the same deadlines (issue 13
items 6 and 9): a jurisdiction's playbook is what its caseworkers are told and what they
are measured on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casecli.core.engine.playbooks import DEFAULTS
from tests.conftest import (
    CASES_HEADER,
    EVENTS_HEADER,
    PEOPLE_HEADER,
    basic_plus,
    measure_line,
    run_json,
)


def _store(tmp_path: Path, team: object | None = None) -> Any:
    """The basic fixture plus I9: an investigation opened 2026-10-05 09:00 with no
    response_hours of its own, the child seen face to face 27 hours later."""
    return basic_plus(tmp_path, {
        "cases.csv": CASES_HEADER
            + "I9,child_welfare,investigation,open,2026-10-05T09:00,,W1,Nash,moderate,,,,,\n",
        "people.csv": f"{PEOPLE_HEADER}P9,I9,child,Lu Nash,2018-01-01,,\n",
        "events.csv": EVENTS_HEADER
            + "E90,I9,face_to_face_contact,completed,,2026-10-06T12:00,P9,W1,home,\n",
    }, team=team)  # fmt: skip


def _timely(run: Any, playbooks: Path | None) -> tuple[int, int]:
    line = measure_line(run, "timely_response", "--period", "2026-10", playbooks=playbooks)
    return line["numerator"], line["denominator"]


def _first_contact_due(run: Any, playbooks: Path | None) -> str:
    case = run_json(run, "case", "I9", playbooks=playbooks)
    return next(s["due_on"] for s in case["steps"] if s["step"] == "first_contact")


def test_a_jurisdictions_24_hour_default_is_what_the_measure_and_the_engine_use(
    tmp_path: Path,
    backend: object | None,
) -> None:
    run = _store(tmp_path, backend)
    # The shipped playbook: 72 hours when the case gives none. Seen after 27 hours: timely;
    # the engine's deadline is 2026-10-08 (09:00 on the 5th + 72 hours).
    assert _timely(run, None) == (1, 1)
    assert _first_contact_due(run, None) == "2026-10-08"
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
    assert _timely(run, books) == (0, 1)
    assert _first_contact_due(run, books) == "2026-10-06"


def _one_case(tmp_path: Path, opened: str, seen: str | None, team: object | None = None) -> Any:
    files = {
        "cases.csv": f"{CASES_HEADER}I8,child_welfare,investigation,open,{opened},,W1,Ray,high,24,,,,\n",
        "people.csv": f"{PEOPLE_HEADER}P8,I8,child,Al Ray,2019-01-01,,\n",
    }
    if seen:
        files["events.csv"] = (
            f"{EVENTS_HEADER}E80,I8,face_to_face_contact,completed,,{seen},P8,W1,home,\n"
        )
    return basic_plus(tmp_path, files, team=team)


def _measure_and_step(run: Any, today: str) -> tuple[tuple[int, int, str | None], str]:
    line = measure_line(run, "timely_response", "--period", "2026-11", today=today)
    case = run_json(run, "case", "I8", today=today)
    step = next(s for s in case["steps"] if s["step"] == "first_contact")
    return (line["numerator"], line["denominator"], line["note"]), step["status"]


def test_a_plain_date_intake_starts_at_midnight_for_the_engine_and_the_measure(
    tmp_path: Path,
    backend: object | None,
) -> None:
    # EXPORTS.md: a plain date is the start of that day. Intake 2026-11-23 + 24 hours =
    # 2026-11-24 00:00. On the 23rd the child can still be seen in time: the step is open
    # (due today) and the measure leaves the case out as pending. On the 24th the deadline
    # has passed: the step is overdue and the measure counts a late response. They agree
    # on both days (the engine used to say "due today" on the 24th).
    # (The fixture's 004, intake 2026-11-22 09:30 + 24 hours, is pending on the 23rd and
    # late on the 24th: it is the other case in each count.)
    run = _one_case(tmp_path, "2026-11-23", None, backend)
    on_23 = _measure_and_step(run, "2026-11-23")
    assert on_23[0][:2] == (0, 0) and on_23[1] == "open"
    assert "2 still within the response window, not counted yet" in (on_23[0][2] or "")
    on_24 = _measure_and_step(run, "2026-11-24")
    assert on_24[0][:2] == (0, 2) and "within the response window" not in (on_24[0][2] or "")
    assert on_24[1] == "overdue"
    actions = run_json(run, "next", today="2026-11-24")
    assert next(a for a in actions if a["case_id"] == "I8")["action"] == (
        "See the child face to face (Al) — 1 day overdue"
    )


def test_a_deadline_within_the_day_is_due_today_for_both(
    tmp_path: Path, backend: object | None
) -> None:
    # Intake 2026-11-23 09:30 + 24 hours = 2026-11-24 09:30: on the 24th the step is due
    # today and the measure still waits; seen at 09:00 that day, it is on time for both.
    # (004, the fixture's, is late by then: the 1 in each denominator.)
    run = _one_case(tmp_path, "2026-11-23T09:30", None, backend)
    on_24 = _measure_and_step(run, "2026-11-24")
    assert on_24[0][:2] == (0, 1) and on_24[1] == "open"
    assert "1 still within the response window, not counted yet" in (on_24[0][2] or "")
    (tmp_path / "seen").mkdir()
    seen = _one_case(tmp_path / "seen", "2026-11-23T09:30", "2026-11-24T09:00", backend)
    card, status = _measure_and_step(seen, "2026-11-25")
    assert card[:2] == (1, 2) and status == "done"
