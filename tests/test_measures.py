"""Every measure on the hand-built export in tests/fixtures/measures, numbers argued.

The store: the fixture synced as a full export, then a second full export without case
K8 (and its child and payments) and without visit E3, so those are marked gone and
must not count; plus three events W1 recorded in casecli:
- a visit to P10 in F1 on 2026-10-05 at home: the export's E1 carries the same fact,
  so it counts once;
- a visit to P12 in F2 on 2026-10-20 in the placement: only recorded, so it counts;
- a face-to-face contact with P27 in I7 on 2026-10-31 09:00: only recorded.
Organisation: office O1 = unit U1 (W1 child welfare, W2 child support) + unit U2 (W3);
office O2 = unit U3 (W4). Today is 2026-11-24; most checks use October 2026.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from casecli.core import casedata, measures, periods, playbooks, record, scope, store
from casecli.core.measures import Calculator, Counts, Options
from casecli.core.sync import sync
from tests.conftest import (
    CASES_HEADER,
    EVENTS_HEADER,
    FIXTURES,
    PEOPLE_HEADER,
    REMOVALS_HEADER,
    TODAY,
    basic_plus,
    measure_line,
)

OCT = periods.parse("2026-10", TODAY)
NOV = periods.parse("2026-11", TODAY)


def _drop_lines(path: Path, *starts: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(x for x in lines if not x.startswith(starts)))


@pytest.fixture(scope="module")
def mstore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    tmp = tmp_path_factory.mktemp("measures")
    conn = store.connect(tmp / "m.db", create=True)
    assert sync(conn, FIXTURES / "measures", today=TODAY).status == "applied"
    later = tmp / "later"
    shutil.copytree(FIXTURES / "measures", later)
    _drop_lines(later / "cases.csv", "K8,")
    _drop_lines(later / "people.csv", "P8,")
    _drop_lines(later / "payments.csv", "K8,")
    _drop_lines(later / "events.csv", "E3,")
    assert sync(conn, later, today=TODAY).status == "applied"
    gone = conn.execute("SELECT count(*) FROM cases WHERE _gone_on IS NOT NULL").fetchone()
    assert gone == (1,)
    books = playbooks.load()
    w1 = scope.actor(conn, "W1")
    for case_id, kind, person, on, where in (
        ("F1", "caseworker_visit", "P10", "2026-10-05", "home"),
        ("F2", "caseworker_visit", "P12", "2026-10-20", "placement"),
        ("I7", "face_to_face_contact", "P27", "2026-10-31T09:00", None),
    ):
        record.record_event(
            conn, w1, case_id, kind, person_id=person, on=on, location=where,
            today=TODAY, books=books, now="2026-11-24T09:00:00",
        )  # fmt: skip
    yield conn
    conn.close()


def counts(
    conn: sqlite3.Connection,
    measure: str,
    kind: str,
    scope_id: str | None,
    period: periods.Period = OCT,
    **options: int,
) -> tuple[int, int]:
    where, params = measures.scope_clause(kind, scope_id)
    c = Calculator(conn, TODAY, Options(**options)).counts(measure, where, params, period)
    return c.numerator, c.denominator


def perf(conn: sqlite3.Connection, measure: str, kind: str, scope_id: str | None) -> float | None:
    where, params = measures.scope_clause(kind, scope_id)
    return measures.compute(conn, measure, where, params, OCT, TODAY).performance


# Child support -----------------------------------------------------------------------


def test_support_orders_counts_open_iv_d_cases_on_the_last_day(mstore: sqlite3.Connection) -> None:
    # W2 on 2026-10-31: K1 (order 2024), K2 (order on the last day itself), K3 (none),
    # K4 (closed on the last day: still open; order 2021) -> 3 of 4. Not counted: K5
    # (closed 10-15), K6 (opened in November), K8 (gone).
    assert counts(mstore, "support_orders", "worker", "W2") == (3, 4)
    assert perf(mstore, "support_orders", "worker", "W2") == 75.0
    # W3: K7's order came on 2026-11-02, after the period -> 0 of 1. Unit U1 is W2's
    # only; office O1 adds W3's; W1 has no IV-D cases; O2 is W4's K9.
    assert counts(mstore, "support_orders", "worker", "W3") == (0, 1)
    assert counts(mstore, "support_orders", "unit", "U1") == (3, 4)
    assert counts(mstore, "support_orders", "office", "O1") == (3, 5)
    assert counts(mstore, "support_orders", "office", "O2") == (1, 1)
    assert counts(mstore, "support_orders", "worker", "W1") == (0, 0)


def test_current_collections_sums_cents_over_the_months(mstore: sqlite3.Connection) -> None:
    # October, W2: paid 300 + 50 + 0 + 120 (K4 overpaid: not capped) + 100 (K5, closed
    # mid-month, still had support due) = 570.00; due 300 + 200 + 150.50 + 100 + 100 =
    # 850.50. K8 is gone. In cents: 57000 / 85050 = 67.02%.
    assert counts(mstore, "current_collections", "worker", "W2") == (57000, 85050)
    assert perf(mstore, "current_collections", "worker", "W2") == 67.02
    # FFY2026 (2025-10-01..2026-09-30) holds K1's October 2025 (100 of 300) and
    # September 2026 (150 of 300); October 2026 is FFY2027's first month.
    ffy = periods.parse("FFY2026", TODAY)
    assert counts(mstore, "current_collections", "worker", "W2", ffy) == (25000, 60000)
    # A range from mid-September counts the whole of September's row (months touched).
    span = periods.parse("2026-09-15..2026-10-31", TODAY)
    assert counts(mstore, "current_collections", "worker", "W2", span) == (72000, 115050)
    # Office O1 adds W3's K7 (100 of 400).
    assert counts(mstore, "current_collections", "office", "O1") == (67000, 125050)


def test_arrears_collections_counts_cases_paying_of_cases_owing(mstore: sqlite3.Connection) -> None:
    # October, W2: arrears due in K1 (paid 50) and K3 (paid nothing) -> 1 of 2. K4 paid
    # toward arrears but owed none: not in the denominator, so not counted; K2 owed none.
    assert counts(mstore, "arrears_collections", "worker", "W2") == (1, 2)
    assert perf(mstore, "arrears_collections", "worker", "W2") == 50.0
    # October 2025: K1 owed 1,200 and paid nothing -> 0 of 1.
    oct25 = periods.parse("2025-10", TODAY)
    assert counts(mstore, "arrears_collections", "worker", "W2", oct25) == (0, 1)
    # W3's K7 owes and does not pay; W4's K9 pays.
    assert counts(mstore, "arrears_collections", "office", "O1") == (1, 3)
    assert counts(mstore, "arrears_collections", "office", "O2") == (1, 1)


def test_paternity_counts_children_born_out_of_wedlock_in_open_cases(
    mstore: sqlite3.Connection,
) -> None:
    # 42 USC 652(g)(2)(A): established now / born out of wedlock at the end of the
    # preceding year. Numerator, W2's open IV-D cases on 2026-10-31: K1 P1 (established
    # 2024: yes; P2 born in wedlock: not counted), K2 P3 (established 11-10, after: no)
    # and P4 (no; the mother is not a child), K3 P5 (established on the last day: yes),
    # K4 P6 (yes; closed on the last day: still open). K5 is closed, K8 gone -> 3.
    # Denominator, W2's IV-D cases open a year earlier, on 2025-10-31 (K3 opened in
    # 2026-02: not yet): K1 P1, K2 P3 and P4, K4 P6, K5 P7 -> 5.
    assert counts(mstore, "paternity_establishment", "worker", "W2") == (3, 5)
    assert perf(mstore, "paternity_establishment", "worker", "W2") == 60.0
    # FFY2026, on 2026-09-30: P1 and P6 established (P5 only on 10-31) -> 2; at the end
    # of FFY2025 (2025-09-30) the same five children -> 2 of 5.
    ffy = periods.parse("FFY2026", TODAY)
    assert counts(mstore, "paternity_establishment", "worker", "W2", ffy) == (2, 5)


# Child welfare -----------------------------------------------------------------------


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


def test_one_query_serves_every_worker(mstore: sqlite3.Connection) -> None:
    # By worker over the office, summing to the office; W1 has no IV-D cases.
    where, params = measures.scope_clause("office", "O1")
    rows = Calculator(mstore, TODAY).by_worker("support_orders", where, params, OCT)
    assert rows == {"W2": Counts(3, 4), "W3": Counts(0, 1)}
    assert measures.total(rows.values()) == Counts(3, 5)


def test_measure_ids_and_registry() -> None:
    assert list(measures.MEASURES) == [
        "support_orders", "current_collections", "arrears_collections",
        "paternity_establishment", "monthly_visits", "visits_in_home", "timely_response",
        "investigations_closed_on_time", "investigations_overdue", "permanency_12_months",
        "permanency_12_23_months", "permanency_24_months", "reentry_12_months",
        "placement_stability", "cost_effectiveness",
    ]  # fmt: skip
    ratio = measures.get("cost_effectiveness")
    assert (ratio.unit, ratio.level, ratio.federal_table) == ("ratio", "office", 3)
    with pytest.raises(measures.UsageError, match="not a measure casecli knows"):
        measures.get("visits")


# Periods -----------------------------------------------------------------------------


def test_periods_parse() -> None:
    assert periods.parse("FFY2026", TODAY) == periods.Period(
        date(2025, 10, 1), date(2026, 9, 30), "FFY2026", "ffy"
    )
    assert periods.parse("ffy2026", TODAY).label == "FFY2026"
    feb = periods.parse("2024-02", TODAY)
    assert (feb.start, feb.end, feb.label) == (date(2024, 2, 1), date(2024, 2, 29), "2024-02")
    span = periods.parse("2026-01-01..2026-06-30", TODAY)
    assert (span.start, span.end, span.kind) == (date(2026, 1, 1), date(2026, 6, 30), "range")
    assert span.months() == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert periods.parse(None, TODAY) == periods.month_of(TODAY)
    assert periods.parse("  ", TODAY).label == "2026-11"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2026-13", "is not a real month"),
        ("2026-10-05", "is not a period casecli knows"),
        ("FY2026", "is not a period casecli knows"),
        ("2026-06-30..2026-01-01", "ends before it starts"),
        ("2026-02-30..2026-03-01", "a date that does not exist"),
        ("last month", "is not a period casecli knows"),
    ],
)
def test_bad_periods_are_one_sentence(text: str, says: str) -> None:
    with pytest.raises(periods.UsageError, match=says) as exc:
        periods.parse(text, TODAY)
    assert str(exc.value).count(". ") == 0 and "\n" not in str(exc.value)


def test_period_helpers() -> None:
    nov = periods.parse("2026-11", TODAY)
    assert not nov.complete(TODAY) and nov.complete(date(2026, 12, 1))
    assert nov.as_of(TODAY) == TODAY
    assert [p.label for p in periods.months_before(nov, 3)] == ["2026-08", "2026-09", "2026-10"]
    # A trend ends with the last month that is over: October, while November runs.
    assert [p.label for p in periods.last_months(nov, 3, TODAY)] == [
        "2026-08",
        "2026-09",
        "2026-10",
    ]
    ffy = periods.parse("FFY2026", TODAY)
    assert [p.label for p in periods.last_months(ffy, 2, TODAY)] == ["2026-08", "2026-09"]
    assert periods.year_before(ffy).label == "FFY2025"
    assert periods.year_before(nov).label == "2025-11"
    leap = periods.parse("2024-02-01..2024-02-29", TODAY)
    assert periods.year_before(leap).label == "2023-02-01..2023-02-28"
    assert periods.previous_ffy(nov).label == "FFY2026"
    assert measures.cohort_window(ffy, 12) == (date(2024, 10, 1), date(2025, 9, 30))
    assert measures.cohort_window(ffy, 24) == (date(2023, 10, 1), date(2024, 9, 30))


def test_periods_together_equal_periods_apart(mstore: sqlite3.Connection) -> None:
    # The trend and last year are computed in the same statement as the period (one
    # row of ``pp`` each); every count must be what the period alone gives.
    spans = ["2026-10", "2026-11", "FFY2026", "2026-09", "2025-10", "2026-09-15..2026-10-31"]
    several = [periods.parse(s, TODAY) for s in spans]
    where, params = measures.scope_clause("office", "O1")
    together = Calculator(mstore, TODAY)
    for measure in measures.MEASURES:
        batch = together.by_worker_over(measure, where, params, several)
        apart = [Calculator(mstore, TODAY).by_worker(measure, where, params, p) for p in several]
        assert batch == apart, measure


def test_core_measures_import_no_typer_rich_or_textual() -> None:
    code = (
        "import sys, casecli.core.score, casecli.core.goals, casecli.core.incentives;"
        "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout.replace("'", '"')))
    assert not loaded & {"typer", "rich", "textual", "click"}


def test_a_child_month_visited_only_away_from_home_is_not_in_the_residence(
    tmp_path: Path,
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
        + "V4,C100,caseworker_visit,completed,,2026-11-17,P3,W1,placement,\n"})  # fmt: skip

    def in_residence(period: str) -> tuple[int, int]:
        line = measure_line(run, "visits_in_home", "--period", period)
        return line["numerator"], line["denominator"]

    assert in_residence("2026-09") == (0, 1)
    assert in_residence("2026-10") == (1, 1)
    assert in_residence("2026-11") == (1, 1)


@pytest.mark.parametrize(("providers", "moves"), [(True, 1), (False, 2)])
def test_placement_stability_a_return_to_the_same_home_and_the_18th_birthday(
    tmp_path: Path, providers: bool, moves: int
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
    }, today="2027-01-05")  # fmt: skip
    line = measure_line(run, "placement_stability", "--period", "2026-10-01..2026-12-31")
    assert (line["numerator"], line["denominator"]) == (moves, 70)
    assert line["performance"] == round(1000 * moves / 70, 2)


def test_permanency_counts_a_long_trial_visit_from_day_30_and_not_an_exit_at_18(
    tmp_path: Path,
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
    }, today="2027-12-01")  # fmt: skip

    def counts_for(worker: str) -> tuple[int, int]:
        args = ("--worker", worker, "--period", "FFY2027")
        line = measure_line(run, "permanency_12_months", *args)
        return line["numerator"], line["denominator"]

    assert counts_for("W1") == (1, 2)
    assert counts_for("W2") == (0, 1)


def test_permanency_for_children_in_care_12_to_23_and_24_or_more_months(tmp_path: Path) -> None:
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
    }, today="2027-12-01")  # fmt: skip
    args = ("--worker", "W1", "--period", "FFY2027")
    short = measure_line(run, "permanency_12_23_months", *args)
    long = measure_line(run, "permanency_24_months", *args)
    assert (short["numerator"], short["denominator"]) == (1, 1)
    assert (long["numerator"], long["denominator"]) == (0, 2)
