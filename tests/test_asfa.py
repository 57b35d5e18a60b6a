"""ASFA "15 of 22" (issue 13 item 7), argued from the rule.

42 USC 675(5)(E) and 45 CFR 1356.21(i)(1)(i): a petition to terminate parental rights is
filed for a child in foster care for 15 of the most recent 22 months, by the end of the
15th month, unless an exception is documented. 1356.21(i)(1)(i)(B): the child entered
care on the earlier of the first judicial finding of abuse or neglect (our
``adjudication`` event) and 60 days after removal. (C): months are added up across
episodes (the cumulative method). (D): trial home visits and runaway time are left out.
How casecli counts months (calendar months for one stay, 30.4375-day months when pieces
are added) is written in casecli/core/engine/asfa.py.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from casecli.core.engine import asfa
from tests.conftest import (
    CASES_HEADER,
    EVENTS_HEADER,
    PEOPLE_HEADER,
    REMOVALS_HEADER,
    basic_plus,
    run_json,
)

D = date.fromisoformat


def due(
    episodes: list[tuple[str, str | None]], away: list[tuple[str, str | None]] = ()
) -> date | None:  # type: ignore[assignment]
    spans = asfa.counted_spans(
        [(D(s), D(e) if e else None) for s, e in episodes],
        [(D(s), D(e) if e else None) for s, e in away],
    )
    return asfa.month_15(spans)


def test_one_stay_ends_its_15th_calendar_month() -> None:
    # Entry 2025-01-01: month 1 is January 2025, month 15 is March 2026, so the petition
    # is due by the end of 2026-03-31 (1356.21(i)(1)(i): "by the end of the child's 15th
    # month"); a stay still open, or one that lasts past that day, both reach it.
    assert due([("2025-01-01", None)]) == D("2026-03-31")
    assert due([("2025-01-01", "2026-06-01")]) == D("2026-03-31")
    # A stay that ends on 2026-03-31 (discharged that day: the day is not in care) does not.
    assert due([("2025-01-01", "2026-03-31")]) is None


def test_episodes_add_up() -> None:
    # (C) the cumulative method, in days (15 months = 455 days, the shortest 15 calendar
    # months). First episode 2024-01-01 to 2024-07-01: 182 days (31 + 29 + 31 + 30 + 31 +
    # 30; 2024 is a leap year). Second from 2025-01-01: 455 - 182 = 273 more days, and
    # the 273rd is 2025-09-30 (1 January + 272 days). The first episode still lies inside
    # the 672 days (22 months at their longest) ending that day (from 2023-11-29).
    assert due([("2024-01-01", "2024-07-01"), ("2025-01-01", None)]) == D("2025-09-30")


def test_time_older_than_22_months_falls_out() -> None:
    # The first episode (2022) lies wholly before the 22 months that end when the second
    # reaches 15 months, so it adds nothing: the 455th day of the second is 2026-03-31
    # (1 January 2025 + 454 days), the calendar's date for a first stay too.
    assert due([("2022-01-01", "2022-12-01"), ("2025-01-01", None)]) == D("2026-03-31")
    # 2023-06-01 to 2024-06-01 (366 days), then from 2025-01-01: 455 - 366 = 89 more
    # days, the 89th is 2025-03-30 (1 January + 88 days); the 672 days ending then begin
    # on 2023-05-29, so all of the first episode is inside.
    assert due([("2023-06-01", "2024-06-01"), ("2025-01-01", None)]) == D("2025-03-30")
    # Had it ended 2022-06-01 instead, the 22 months would no longer reach it.
    assert due([("2021-06-01", "2022-06-01"), ("2025-01-01", None)]) == D("2026-03-31")


def test_trial_home_visits_and_runaway_time_do_not_count() -> None:
    # (D) In care from 2025-01-01 with a 30-day trial home visit in June 2025: 151 days
    # counted before it (31 + 28 + 31 + 30 + 31), 455 - 151 = 304 more from 2025-07-01,
    # the 304th is 2026-04-30 (1 July + 303 days), a month after 2026-03-31 without it.
    assert due([("2025-01-01", None)], [("2025-06-01", "2025-07-01")]) == D("2026-04-30")
    # A child on a trial home visit or on the run now: the clock has stopped, no date.
    assert due([("2025-01-01", None)], [("2025-06-01", None)]) is None


def _store(
    tmp_path: Path,
    events: str = "",
    removals: str = "",
    goal: str = "relative",
    team: object | None = None,
):  # type: ignore[no-untyped-def]
    cases = (
        CASES_HEADER
        + f"C500,child_welfare,foster_care,open,2025-07-01,,W1,Gray,moderate,,{goal},,,2026-11-01T08:00\n"
    )
    people = (
        PEOPLE_HEADER
        + "P50,C500,child,Mia Gray,2016-02-02,,\nP51,C500,child,Leo Gray,2018-03-03,,\n"
    )
    rem = REMOVALS_HEADER + "RM50,C500,P50,2025-07-01,,\nRM51,C500,P51,2025-07-01,,\n" + removals
    tmp_path.mkdir(exist_ok=True)
    files = {"cases.csv": cases, "people.csv": people, "removals.csv": rem}
    if events:
        files["events.csv"] = EVENTS_HEADER + events
    return basic_plus(tmp_path, files, team=team)


ASFA = "File the TPR petition or document an ASFA exception"


def test_a_case_past_month_15_is_an_action_never_a_past_milestone(
    tmp_path: Path, backend: object | None
) -> None:
    # Both children removed 2025-07-01; the court adjudicated Mia's case on 2025-07-15,
    # so she entered care that day (the earlier of adjudication and removal + 60 days)
    # and her month 15 ended 2026-10-14. Leo has no adjudication: he entered on
    # 2025-08-30 (removal + 60 days) and his month 15 ends 2026-11-29. Today is
    # 2026-11-24: Mia's deadline passed 41 days ago, an action naming both children
    # ranked by Mia's; the permanency goal "relative" is not an exception (only a
    # documented one is), so it does not hide the step.
    run = _store(
        tmp_path, "EV1,C500,adjudication,completed,,2025-07-15,P50,W1,court,\n", team=backend
    )
    card = run_json(run, "case", "C500")
    action = next(a for a in card["actions"] if a["step"] == "tpr_petition")
    assert action["action"] == (
        f"{ASFA} (Mia, Leo) — ASFA month 15 passed on 2026-10-14, no petition or exception recorded"
    )
    assert [(p["person_id"], p["due_on"]) for p in action["people"]] == [
        ("P50", "2026-10-14"),
        ("P51", "2026-11-29"),
    ]
    # The next milestone is a date ahead: Leo's month 15 (Mia's is an action).
    assert card["milestone"] == {"what": "ASFA month 15 of 22", "on": "2026-11-29", "days_left": 5}


def test_a_documented_exception_or_a_petition_ends_it_per_child(
    tmp_path: Path, backend: object | None
) -> None:
    # Mia's exception is documented (a relative cares for her); Leo's petition is not
    # filed: the action names Leo alone, due 2026-11-29 (entry 2025-08-30 + 15 months,
    # less a day).
    run = _store(
        tmp_path,
        "EV2,C500,asfa_exception,completed,,2026-09-01,P50,W1,office,relative\n",
        team=backend,
    )
    card = run_json(run, "case", "C500")
    action = next(a for a in card["actions"] if a["step"] == "tpr_petition")
    assert action["action"] == f"{ASFA} (Leo) — ASFA month 15 ends 2026-11-29, due in 5 days"
    # A petition naming no child covers both: nothing left, and no ASFA milestone.
    run = _store(
        tmp_path / "b", "EV3,C500,tpr_petition,completed,,2026-09-01,,W1,court,\n", team=backend
    )
    card = run_json(run, "case", "C500")
    assert not [a for a in card["actions"] if a["step"] == "tpr_petition"]
    assert card["milestone"] is None or "ASFA" not in card["milestone"]["what"]


def test_an_earlier_episode_brings_month_15_forward(tmp_path: Path, backend: object | None) -> None:
    # Leo was in care before, 2024-11-01 to 2025-03-01: entry 2024-12-31 (removal + 60
    # days), 60 days counted to the discharge (1 + 31 + 28). His current entry is
    # 2025-08-30: 455 - 60 = 395 more days, the 395th is 2026-09-28 (30 August + 394
    # days), with the first episode inside the 672 days ending then. His deadline has
    # passed; Mia's (no adjudication: entry 2025-08-30, calendar: 2026-11-29) has not.
    run = _store(
        tmp_path / "b", removals="RM49,C500,P51,2024-11-01,2025-03-01,reunification\n", team=backend
    )
    card = run_json(run, "case", "C500")
    action = next(a for a in card["actions"] if a["step"] == "tpr_petition")
    assert [(p["person_id"], p["due_on"]) for p in action["people"]] == [
        ("P51", "2026-09-28"),
        ("P50", "2026-11-29"),
    ]
    assert "ASFA month 15 passed on 2026-09-28" in action["action"]


def test_a_playbook_step_from_month_15_must_be_per_child() -> None:
    import pytest

    from casecli.core.engine import playbooks
    from casecli.core.errors import CasecliError

    text = '[[steps]]\nid = "tpr"\ntitle = "File"\ndone_by = ["tpr_petition"]\ndue = { from = "asfa_month_15" }\n'
    with pytest.raises(CasecliError) as caught:
        playbooks.parse(text, "foster_care", "foster_care.toml")
    assert str(caught.value) == (
        "The playbook foster_care.toml, step 'tpr': due.from \"asfa_month_15\" is per child:"
        ' add per = "child_in_care"; fix the file.'
    )
    book = playbooks.parse(text + 'per = "child_in_care"\n', "foster_care", "foster_care.toml")
    assert book.steps[0].due is not None and book.steps[0].due.anchor == "asfa_month_15"
