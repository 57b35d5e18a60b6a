"""The child welfare measures on hand-made exports, every number argued from the rule.

The CFSR Round 4 statewide indicators (DOMAIN.md "Child welfare", observed counts, stays
under 8 days and youth 18 or over excluded) and the federal caseworker-visit standard.
The first tests use ``mstore`` (tests/conftest.py: tests/fixtures/measures, synced twice
so a case and an event are gone, plus events recorded in casecli; October 2026, today
2026-11-24). The later ones build their own store: the basic fixture
(tests/fixtures/basic: C100, a foster care case of W1, child P3 born 2017, removed
2025-12-01 and still in care) plus the rows each writes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from casecli.core.engine import casedata
from casecli.core.measures import measures, periods
from casecli.core.measures.measures import Calculator, Counts
from tests.conftest import (
    CASES_HEADER,
    EVENTS_HEADER,
    NOV,
    OCT,
    PEOPLE_HEADER,
    REMOVALS_HEADER,
    TODAY,
    basic_plus,
    counts,
    measure_line,
    perf,
)


def test_monthly_visits_counts_full_child_months(mstore: sqlite3.Connection) -> None:
    # October, W1's children in care the whole month: P10 (visited, E1), P12 (removed
    # 09-15; visited: the recorded visit), P14 (discharged on the last day, so in care
    # all month; its only October visit E3 is gone, E4 was only scheduled, E6 was in
    # September) -> 2 of 3. Not child-months: P11 (18 on 10-15), P34 (19), P13, P50 and
    # P51 (entered in October), every child discharged before October.
    assert counts(mstore, "monthly_visits", "worker", "W1") == (2, 3)
    assert perf(mstore, "monthly_visits", "worker", "W1") == 66.67
    # W3's F5: one visit naming no child counts for both P15 and P16 -> 2 of 2.
    assert counts(mstore, "monthly_visits", "worker", "W3") == (2, 2)
    assert counts(mstore, "monthly_visits", "office", "O1") == (4, 5)
    # September: P10, P11 (17 all month) and P14 in care; P12 entered on 09-15. Only
    # E6 (P14, 09-30) -> 1 of 3.
    sep = periods.parse("2026-09", TODAY)
    assert counts(mstore, "monthly_visits", "worker", "W1", sep) == (1, 3)


def test_visits_in_home_counts_visited_child_months(mstore: sqlite3.Connection) -> None:
    # The federal figure: visited child-months with at least one visit in the child's
    # residence / visited child-months (issue 13 item 3); a foster home is the child's
    # residence. W1, October: P10 visited at home (E1) and at school (E1b; the recorded
    # visit on 10-05 is E1 again): one child-month, in the residence. P12's recorded visit
    # was in the placement: in the residence. P14 was not visited: not in either count.
    # -> 2 of 2 (counting visits, as before, gave 1 at home of 3).
    assert counts(mstore, "visits_in_home", "worker", "W1") == (2, 2)
    # W3: E5 at home, naming no child: P15's and P16's child-months -> 2 of 2; office 4 of 4.
    assert counts(mstore, "visits_in_home", "worker", "W3") == (2, 2)
    assert counts(mstore, "visits_in_home", "office", "O1") == (4, 4)


def test_the_recorded_event_rule_is_the_records(mstore: sqlite3.Connection) -> None:
    # The SQL rule the measures use leaves out exactly what recorded_events_for links.
    linked = {
        (r["case_id"], r["person_id"]): r["linked_event_id"]
        for r in casedata.recorded_events_for(mstore, ["F1", "F2", "I7"])
    }
    assert linked == {("F1", "P10"): "E1", ("F2", "P12"): None, ("I7", "P27"): None}


def test_timely_response_needs_every_child_seen_in_time(mstore: sqlite3.Connection) -> None:
    # Opened in October (W1): I1 (P20 seen after 23 h of 24: yes), I2 (P21 after 5 h,
    # P22 after 25 h of 24: no), I3 (opened 10-10, no response_hours: 72 by default; a
    # contact naming no child on 10-12: yes), I7 (the recorded contact 19 h after
    # opening: yes) -> 3 of 4. I4, I5, I6 were opened before October.
    assert counts(mstore, "timely_response", "worker", "W1") == (3, 4)
    # With 12 hours for cases that name none, I3's contact (48 h) is late.
    assert counts(mstore, "timely_response", "worker", "W1", response_hours=12) == (2, 4)


def test_timely_response_leaves_out_what_may_still_be_met(mstore: sqlite3.Connection) -> None:
    # November to date: I8 was opened 11-23 20:00 with 24 hours; its child has not been
    # seen and the deadline is today: pending, in neither count.
    where, params = measures.scope_clause("worker", "W1")
    calc = Calculator(mstore, TODAY)
    assert calc.counts("timely_response", where, params, NOV) == Counts(0, 0, 1)
    res = calc.result("timely_response", where, params, NOV)
    assert res.performance is None and res.pending == 1
    assert res.note is not None and "1 still within the response window" in res.note


def test_investigations_closed_on_time(mstore: sqlite3.Connection) -> None:
    # Closed in October (W1): I1 after 19 days (yes), I4 after 44 (no), I6 on 10-31
    # after 91 (no) -> 1 of 3. I2 closed in November.
    assert counts(mstore, "investigations_closed_on_time", "worker", "W1") == (1, 3)
    # A 45-day limit (a state's playbook) lets I4 in.
    assert counts(mstore, "investigations_closed_on_time", "worker", "W1", closure_days=45) == (
        2,
        3,
    )


def test_investigations_overdue_at_period_end(mstore: sqlite3.Connection) -> None:
    # Open on 10-31 (W1): I2 (26 days), I3 (21), I5 (41: overdue), I6 (closed on the
    # last day, so open; 91: overdue), I7 (1) -> 2 of 5. I1 and I4 closed earlier; I8
    # was not opened yet.
    assert counts(mstore, "investigations_overdue", "worker", "W1") == (2, 5)
    assert measures.get("investigations_overdue").direction == "lower"
    assert counts(mstore, "investigations_overdue", "worker", "W1", closure_days=45) == (1, 5)


def test_permanency_follows_the_entries_of_the_year_before(mstore: sqlite3.Connection) -> None:
    # For October 2026 the cohort entered 2024-11-01..2025-10-31, each child's first
    # entry: P10, P11 (not discharged: no), P30 (reunified in 6 months: yes), P31
    # (reunified 4 days after the anniversary: no), P32 (its 4-day stay left out; the
    # next entry ended in adoption: yes), P33 (emancipation: no), P37 (first entry,
    # reunified: yes), P40 (re-entered 2025-01-01, reunified: yes) -> 4 of 8. Left out:
    # P34 (19 at entry), P35 (entered 2024-10-15), P42's re-entry (2025-11-15).
    assert counts(mstore, "permanency_12_months", "worker", "W1") == (4, 8)
    assert perf(mstore, "permanency_12_months", "worker", "W1") == 50.0
    # W3's P15 and P16 entered 2025-01-01 and are still in care.
    assert counts(mstore, "permanency_12_months", "office", "O1") == (4, 10)
    where, params = measures.scope_clause("worker", "W1")
    res = measures.compute(mstore, "permanency_12_months", where, params, OCT, TODAY)
    assert res.complete and res.note == "children who entered 2024-11-01 to 2025-10-31"


def test_reentry_follows_those_discharged_home(mstore: sqlite3.Connection) -> None:
    # For October 2026 the cohort entered 2023-11-01..2024-10-31 and went home within
    # 12 months: P40 (back in care 7 months later: re-entered), P41 (relative; did not
    # return), P42 (guardianship; back 14.5 months later: not within 12) -> 1 of 3.
    # Not in it: P43 (adoption), P44 (home after 13 months), P35 (home 5 days after the
    # anniversary of its entry).
    assert counts(mstore, "reentry_12_months", "worker", "W1") == (1, 3)
    assert perf(mstore, "reentry_12_months", "worker", "W1") == 33.33


def test_placement_stability_counts_moves_per_1000_days(mstore: sqlite3.Connection) -> None:
    # Entered in October (W1): P13 on 10-10, in care 22 October days; placements PL1
    # (the first: not a move), PL2 shelter (move), PL3 trial home visit (not a move),
    # PL4 foster family (move), PL5 (November: after the period) -> 2 moves. P51 entered
    # 10-27: 5 days, no move. P50 stayed 2 days: left out. 2 moves / 27 days.
    assert counts(mstore, "placement_stability", "worker", "W1") == (2, 27)
    assert perf(mstore, "placement_stability", "worker", "W1") == 74.07
    assert measures.get("placement_stability").unit == "rate"


def test_an_incomplete_window_says_so(mstore: sqlite3.Connection) -> None:
    # November 2026 is not over: children who entered up to 2025-11-30 are followed
    # until 2026-11-30, so permanency has no figure yet, and says why.
    where, params = measures.scope_clause("worker", "W1")
    res = measures.compute(mstore, "permanency_12_months", where, params, NOV, TODAY)
    assert res.performance is None and not res.complete
    assert res.note is not None and res.note.startswith("incomplete: children who entered")
    assert "2026-11-30" in res.note
    # The ordinary measures report November to date and say it.
    visits = measures.compute(mstore, "monthly_visits", where, params, NOV, TODAY)
    assert not visits.complete and visits.note == "to date: the period runs to 2026-11-30"


def test_a_child_month_visited_only_away_from_home_is_not_in_the_residence(
    tmp_path: Path,
    backend: object | None,
) -> None:
    """Issue 13 item 3, on the basic fixture: C100's P3 is in care all of September,
    October and November. September: one visit, at the office -> a visited child-month,
    not in the residence: 0 of 1. October: E1 at home -> 1 of 1. November (to 11-24): two
    visits at school and one in the placement -> one child-month, in the residence: 1 of 1
    (counting visits would give 1 of 3)."""
    run = basic_plus(tmp_path, {"events.csv": EVENTS_HEADER
        + "V1,C100,caseworker_visit,completed,,2026-09-14,P3,W1,office,\n"
        + "V2,C100,caseworker_visit,completed,,2026-11-03,P3,W1,school,\n"
        + "V3,C100,caseworker_visit,completed,,2026-11-10,P3,W1,school,\n"
        + "V4,C100,caseworker_visit,completed,,2026-11-17,P3,W1,placement,\n"}, team=backend)  # fmt: skip

    def in_residence(period: str) -> tuple[int, int]:
        line = measure_line(run, "visits_in_home", "--period", period)
        return line["numerator"], line["denominator"]

    assert in_residence("2026-09") == (0, 1)
    assert in_residence("2026-10") == (1, 1)
    assert in_residence("2026-11") == (1, 1)


def test_a_visit_recorded_in_casecli_that_the_export_carries_counts_once_as_the_export_says(
    tmp_path: Path,
    backend: object | None,
) -> None:
    """A visit recorded in casecli on a day the export has a completed visit to the same
    child is that visit (``recorded_events_for`` links it): the export's says where it
    was. C100's P3, September: the export's one visit, 09-14 at the office. A visit
    recorded on 09-14 "at home" is the export's: 0 of 1 in the residence still; one
    recorded on 09-20 at home is another visit: 1 of 1."""
    run = basic_plus(tmp_path, {"events.csv": EVENTS_HEADER
        + "V1,C100,caseworker_visit,completed,,2026-09-14,P3,W1,office,\n"}, team=backend)  # fmt: skip

    def in_residence() -> tuple[int, int]:
        line = measure_line(run, "visits_in_home", "--period", "2026-09")
        return line["numerator"], line["denominator"]

    def record(day: str) -> None:
        done = run("record", "C100", "caseworker_visit", "--person", "P3", "--on", day,
                   "--location", "home")  # fmt: skip
        assert done.exit_code == 0, done.stderr

    assert in_residence() == (0, 1)
    record("2026-09-14")
    assert in_residence() == (0, 1)  # the export's visit, at the office
    record("2026-09-20")
    assert in_residence() == (1, 1)


@pytest.mark.parametrize(("providers", "moves"), [(True, 1), (False, 2)])
def test_placement_stability_a_return_to_the_same_home_and_the_18th_birthday(
    tmp_path: Path, backend: object | None, providers: bool, moves: int
) -> None:
    """Issue 13 item 5, on the basic fixture plus F9: P90 (18 on 2026-12-10) removed on
    2026-10-01, the only child to enter care from 2026-10-01 to 2026-12-31. Placements:
    H1 (10-01, the first: no move), a runaway (10-10: no move), H1 again (10-12: a
    return to the same provider, no move when provider_id says so), the group home G1
    (10-20: a move), H2 (12-15: after the 18th birthday, not counted). Days: 10-01 to the
    birthday, 70 (not to the period's end: 92). With provider ids: 1 move in 70 days =
    14.29 per 1,000 days; without them the return cannot be told from a move: 2 -> 28.57.
    """
    rows = [("PL1", "foster_family", "2026-10-01", "H1"), ("PL2", "runaway", "2026-10-10", ""),
            ("PL3", "foster_family", "2026-10-12", "H1"), ("PL4", "group_home", "2026-10-20", "G1"),
            ("PL5", "foster_family", "2026-12-15", "H2")]  # fmt: skip
    run = basic_plus(tmp_path, {
        "cases.csv": CASES_HEADER
            + "F9,child_welfare,foster_care,open,2026-10-01,,W1,Page,moderate,,reunification,,,\n",
        "people.csv": f"{PEOPLE_HEADER}P90,F9,child,Ed Page,2008-12-10,,\n",
        "removals.csv": f"{REMOVALS_HEADER}R90,F9,P90,2026-10-01,,\n",
        "placements.csv": "placement_id,removal_id,setting,start_on,end_on,provider_id\n"
            + "".join(f"{pid},R90,{s},{on},,{h if providers else ''}\n" for pid, s, on, h in rows),
    }, today="2027-01-05", team=backend)  # fmt: skip
    line = measure_line(run, "placement_stability", "--period", "2026-10-01..2026-12-31")
    assert (line["numerator"], line["denominator"]) == (moves, 70)
    assert line["performance"] == round(1000 * moves / 70, 2)


def test_permanency_counts_a_long_trial_visit_from_day_30_and_not_an_exit_at_18(
    tmp_path: Path,
    backend: object | None,
) -> None:
    """Issue 13 item 4 (CFSR 4, DOMAIN.md). Period FFY2027, as of 2027-12-01: the cohort
    entered care in FFY2026. W1: C100's P3 (removed 2025-12-01, still in care: no), and
    P91 (removed 2025-10-01; a trial home visit from 2026-08-01, discharged to
    reunification on 2026-11-01, after 92 days of it: for this count they left on
    2026-08-31, day 30 of the visit, before the anniversary 2026-10-01: yes) -> 1 of 2
    (the discharge date itself would give 0). W2: P92 (removed 2025-10-01 at 17,
    18 on 2025-12-15, discharged to reunification on 2026-02-01: at 18, not permanency)
    -> 0 of 1 (the discharge date alone would give 1)."""
    run = basic_plus(tmp_path, {
        "cases.csv": CASES_HEADER
            + "F91,child_welfare,foster_care,open,2025-10-01,,W1,Ross,moderate,,reunification,,,\n"
            + "F92,child_welfare,foster_care,open,2025-10-01,,W2,Tate,moderate,,reunification,,,\n",
        "people.csv": f"{PEOPLE_HEADER}P91,F91,child,Al Ross,2015-01-01,,\n"
            "P92,F92,child,Bo Tate,2007-12-15,,\n",
        "removals.csv": f"{REMOVALS_HEADER}R91,F91,P91,2025-10-01,2026-11-01,reunification\n"
            "R92,F92,P92,2025-10-01,2026-02-01,reunification\n",
        "placements.csv": "placement_id,removal_id,setting,start_on,end_on,provider_id\n"
            "Q1,R91,foster_family,2025-10-01,2026-08-01,H1\n"
            "Q2,R91,trial_home_visit,2026-08-01,2026-11-01,\n"
            "Q3,R92,group_home,2025-10-01,2026-02-01,G1\n",
    }, today="2027-12-01", team=backend)  # fmt: skip

    def counts_for(worker: str) -> tuple[int, int]:
        args = ("--worker", worker, "--period", "FFY2027")
        line = measure_line(run, "permanency_12_months", *args)
        return line["numerator"], line["denominator"]

    assert counts_for("W1") == (1, 2)
    assert counts_for("W2") == (0, 1)


def test_permanency_for_children_in_care_12_to_23_and_24_or_more_months(
    tmp_path: Path, backend: object | None
) -> None:
    """Issue 13 item 4, the two in-care cohorts of CFSR 4 (DOMAIN.md). FFY2027 (from
    2026-10-01), as of 2027-12-01. In care on 2026-10-01: P93 (since 2025-06-01, 16
    months; home to reunification 2027-03-01: yes), P94 (since 2024-06-01, 28 months,
    still in care: no), P95 (since 2024-01-01, 33 months; adopted 2027-06-01, after turning
    18 on 2027-05-01: not permanency). Not in either cohort: the fixture's P3 (10 months
    on 2026-10-01) and P96 (discharged 2026-09-20, before the first day).
    -> 12-23 months: 1 of 1; 24 months or more: 0 of 2."""
    kids = [("93", "2015-01-01", "2025-06-01", "2027-03-01", "reunification"),
            ("94", "2014-01-01", "2024-06-01", "", ""),
            ("95", "2009-05-01", "2024-01-01", "2027-06-01", "adoption"),
            ("96", "2016-01-01", "2025-09-15", "2026-09-20", "guardianship")]  # fmt: skip
    run = basic_plus(tmp_path, {
        "cases.csv": CASES_HEADER + "".join(
            f"F{k},child_welfare,foster_care,open,{r},,W1,Kim,low,,adoption,,,\n"
            for k, _, r, _, _ in kids),
        "people.csv": PEOPLE_HEADER
            + "".join(f"P{k},F{k},child,Jo Kim,{b},,\n" for k, b, _, _, _ in kids),
        "removals.csv": REMOVALS_HEADER
            + "".join(f"R{k},F{k},P{k},{r},{d},{why}\n" for k, _, r, d, why in kids),
    }, today="2027-12-01", team=backend)  # fmt: skip
    args = ("--worker", "W1", "--period", "FFY2027")
    short = measure_line(run, "permanency_12_23_months", *args)
    long = measure_line(run, "permanency_24_months", *args)
    assert (short["numerator"], short["denominator"]) == (1, 1)
    assert (long["numerator"], long["denominator"]) == (0, 2)


def _case(case_id: str, kind: str, opened: str, closed: str = "") -> str:
    status = "closed" if closed else "open"
    return f"{case_id},child_welfare,{kind},{status},{opened},{closed},W1,X,,,,,,2026-11-01T08:00\n"


def _finding(
    event_id: str, case_id: str, on: str, person: str, result: str = "substantiated"
) -> str:
    return f"{event_id},{case_id},finding,completed,,{on},{person},W1,,{result}\n"


def test_maltreatment_in_care_counts_victimisations_per_100000_days(
    tmp_path: Path, backend: object | None
) -> None:
    # FFY2026 (2025-10-01 to 2026-09-30), complete by 2026-11-24. Days in care in it:
    # - P3 (basic, removed 2025-12-01, in care): 2025-12-01 to 2026-09-30, 304 days
    #   (31 + 31 + 28 + 31 + 30 + 31 + 30 + 31 + 31 + 30).
    # - P60 removed 2025-09-01, discharged 2026-03-01 (that day not in care): from
    #   2025-10-01, 151 days (31 + 30 + 31 + 31 + 28).
    # - P61 removed 2026-09-28, discharged 2026-10-02: a stay under 8 days, left out.
    # - P62 (born 2008-06-01) removed 2025-10-01, in care: counted until the day before
    #   the 18th birthday, 2025-10-01 to 2026-05-31, 243 days (31+30+31+31+28+31+30+31).
    # 304 + 151 + 243 = 698 days.
    # Victimisations: a substantiated finding naming the child whose report date is a day
    # counted above. The report date of a finding in an investigation is its intake.
    # - P3, investigation C601 opened 2026-02-10 (found 2026-03-01): counts, once though
    #   the finding is recorded twice (two allegations of the same report).
    # - P3, an unsubstantiated finding: not a victimisation.
    # - P60, findings on the foster care case itself (dated by the finding) on 2026-03-01,
    #   the day of discharge, and 2026-03-05: neither is a day in care.
    # - P62, 2026-07-01: after the 18th birthday.
    # 1 victimisation in 698 days: 1 / 698 x 100,000 = 143.27 per 100,000 days.
    cases = (
        CASES_HEADER
        + _case("C600", "foster_care", "2025-09-01")
        + _case("C601", "investigation", "2026-02-10", "2026-03-10")
    )
    people = PEOPLE_HEADER + (
        "P60,C600,child,Al X,2015-01-01,,\nP61,C600,child,Bo X,2016-01-01,,\n"
        "P62,C600,child,Cy X,2008-06-01,,\nP3,C601,child,Kai Brown,2017-09-30,,\n"
    )
    removals = REMOVALS_HEADER + (
        "RM60,C600,P60,2025-09-01,2026-03-01,reunification\n"
        "RM61,C600,P61,2026-09-28,2026-10-02,reunification\n"
        "RM62,C600,P62,2025-10-01,,\n"
    )
    events = EVENTS_HEADER + (
        _finding("F1", "C601", "2026-03-01", "P3")
        + _finding("F2", "C601", "2026-03-01T10:00", "P3")
        + _finding("F3", "C601", "2026-04-01", "P3", "unsubstantiated")
        + _finding("F4", "C600", "2026-03-05", "P60")
        + _finding("F6", "C600", "2026-03-01", "P60")
        + _finding("F5", "C600", "2026-07-01", "P62")
    )
    run = basic_plus(
        tmp_path,
        {"cases.csv": cases, "people.csv": people, "removals.csv": removals, "events.csv": events},
        team=backend,
    )
    line = measure_line(run, "maltreatment_in_care", "--period", "FFY2026")
    assert (line["numerator"], line["denominator"], line["performance"]) == (1, 698, 143.27)
    assert line["scale"] == "per 100,000 days" and line["direction"] == "lower"


def test_recurrence_counts_another_report_after_14_days_and_within_12_months(
    tmp_path: Path,
    backend: object | None,
) -> None:
    # FFY2026's cohort: children with a substantiated report from 2024-10-01 to
    # 2025-09-30 (the 12 months ending 12 months before 2026-09-30, so each is followed
    # for 12 months), under 18 at it; the first such report is the initial one.
    # - P70: reports 2024-11-10, 2024-11-20 (10 days later: the same incident, DOMAIN.md
    #   excludes reports within 14 days) and 2025-08-01 (more than 14 days, before the
    #   anniversary 2025-11-10): a recurrence.
    # - P71: 2025-03-01, then 2026-03-01, on the anniversary: not within 12 months.
    # - P72: an unsubstantiated report 2025-05-05 (not a victim), substantiated 2025-06-01,
    #   nothing after: in the cohort, no recurrence.
    # - P73: born 2006-01-01, 19 at her report of 2025-02-01: left out.
    # - P74: 2024-09-15 (before the window) and 2025-01-15: the initial one is 2025-01-15,
    #   nothing after it: no recurrence (the report before the window is not "another").
    # - P75: 2025-04-01 and 2025-04-10 only: the second is within 14 days, no recurrence.
    # Cohort P70, P71, P72, P74, P75 = 5; recurrence P70 = 1: 20.0%.
    reports = [
        ("C700", "P70", "2024-11-10"), ("C701", "P70", "2024-11-20"),
        ("C702", "P70", "2025-08-01"), ("C703", "P71", "2025-03-01"),
        ("C704", "P71", "2026-03-01"), ("C705", "P72", "2025-05-05"),
        ("C706", "P72", "2025-06-01"), ("C707", "P73", "2025-02-01"),
        ("C708", "P74", "2024-09-15"), ("C709", "P74", "2025-01-15"),
        ("C710", "P75", "2025-04-01"), ("C711", "P75", "2025-04-10"),
    ]  # fmt: skip
    born = {"P70": "2015-01-01", "P71": "2016-01-01", "P72": "2017-01-01", "P73": "2006-01-01"}
    cases, people, events = CASES_HEADER, PEOPLE_HEADER, EVENTS_HEADER
    for n, (case_id, person, opened) in enumerate(reports):
        cases += _case(case_id, "investigation", opened, opened[:8] + "28")
        people += f"{person},{case_id},child,K X,{born.get(person, '2018-01-01')},,\n"
        result = "unsubstantiated" if case_id == "C705" else "substantiated"
        events += _finding(f"F{n}", case_id, opened[:8] + "25", person, result)
    run = basic_plus(
        tmp_path, {"cases.csv": cases, "people.csv": people, "events.csv": events}, team=backend
    )
    line = measure_line(run, "recurrence_12_months", "--period", "FFY2026")
    assert (line["numerator"], line["denominator"], line["performance"]) == (1, 5, 20.0)
    assert line["direction"] == "lower"
    assert "children first reported 2024-10-01 to 2025-09-30" in line["note"]


def test_a_childs_findings_are_found_through_the_partial_index(tmp_path: Path) -> None:
    # Schema 7 (migrations/0007_findings_index.sql): the CFSR maltreatment measures look a
    # child's findings up by person in any case; without the index a statewide events
    # table is read whole for each office's score.
    from casecli.core.measures import child_welfare as measures_cw
    from casecli.core.store import store

    conn = store.connect(tmp_path / "s.db", create=True)
    sql = f"WITH x(person_id) AS (VALUES ('P1')) {measures_cw._findings_of('x')}"
    plan = " ".join(str(row[3]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
    assert "USING COVERING INDEX events_finding_person" in plan, plan
    conn.close()
