"""The child welfare measures on hand-made exports, every number argued from the rule.

The CFSR Round 4 statewide indicators (DOMAIN.md "Child welfare", observed counts, stays
under 8 days and youth 18 or over excluded) and the federal caseworker-visit standard.
Each store is the basic fixture (tests/fixtures/basic: C100, a foster care case of W1,
child P3 born 2017, removed 2025-12-01 and still in care) plus the rows written here.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import (
    CASES_HEADER,
    EVENTS_HEADER,
    PEOPLE_HEADER,
    REMOVALS_HEADER,
    basic_plus,
    measure_line,
)


def _case(case_id: str, kind: str, opened: str, closed: str = "") -> str:
    status = "closed" if closed else "open"
    return f"{case_id},child_welfare,{kind},{status},{opened},{closed},W1,X,,,,,,2026-11-01T08:00\n"


def _finding(
    event_id: str, case_id: str, on: str, person: str, result: str = "substantiated"
) -> str:
    return f"{event_id},{case_id},finding,completed,,{on},{person},W1,,{result}\n"


def test_maltreatment_in_care_counts_victimisations_per_100000_days(tmp_path: Path) -> None:
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
    )
    line = measure_line(run, "maltreatment_in_care", "--period", "FFY2026")
    assert (line["numerator"], line["denominator"], line["performance"]) == (1, 698, 143.27)
    assert line["scale"] == "per 100,000 days" and line["direction"] == "lower"


def test_recurrence_counts_another_report_after_14_days_and_within_12_months(
    tmp_path: Path,
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
    run = basic_plus(tmp_path, {"cases.csv": cases, "people.csv": people, "events.csv": events})
    line = measure_line(run, "recurrence_12_months", "--period", "FFY2026")
    assert (line["numerator"], line["denominator"], line["performance"]) == (1, 5, 20.0)
    assert line["direction"] == "lower"
    assert "children first reported 2024-10-01 to 2025-09-30" in line["note"]
