"""What every measure shares: the registry, periods, one query for every worker, the
core's imports. The measures themselves, numbers argued from the rule, are in
tests/test_measures_child_support.py and tests/test_measures_child_welfare.py.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import date

import pytest

from casecli.core.measures import measures, periods
from casecli.core.measures.measures import Calculator, Counts
from tests.conftest import (
    OCT,
    TODAY,
)


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
        "placement_stability", "maltreatment_in_care", "recurrence_12_months",
        "cost_effectiveness",
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
        # the contract's dates, as --today (a month or FFY past 2100 once overflowed)
        ("9999-12", "outside the dates casecli counts"),
        ("FFY9999", "outside the dates casecli counts"),
        ("FFY1900", "outside the dates casecli counts"),  # began 1899-10-01
        ("0000-01", "outside the dates casecli counts"),
        ("9999-12-31..9999-12-31", "outside the dates casecli counts"),
    ],
)
def test_bad_periods_are_one_sentence(text: str, says: str) -> None:
    with pytest.raises(periods.UsageError, match=says) as exc:
        periods.parse(text, TODAY)
    assert str(exc.value).count(". ") == 0 and "\n" not in str(exc.value)


def test_a_measure_period_must_have_started_a_goal_may_be_ahead() -> None:
    # A score of December on 24 November counts nothing and would read as a bare 0%.
    for text in ("2026-12", "FFY2028", "2026-12-01..2027-01-31"):
        with pytest.raises(periods.UsageError, match="has not started yet"):
            periods.parse(text, TODAY, started=True)
        assert periods.parse(text, TODAY).start > TODAY  # goals set --period FFY2028
    assert periods.parse("2026-11", TODAY, started=True).label == "2026-11"
    assert periods.parse("FFY2027", TODAY, started=True).label == "FFY2027"
    with pytest.raises(periods.UsageError, match=r"^--month 2026-12 has not"):
        periods.parse("2026-12", TODAY, started=True, option="--month")


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
        "import sys, casecli.core.measures.score, casecli.core.measures.goals, casecli.core.measures.incentives;"
        "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout.replace("'", '"')))
    assert not loaded & {"typer", "rich", "textual", "click"}


def test_a_scorecard_computes_its_statements_side_by_side_first(mstore: sqlite3.Connection) -> None:
    # Calculator.prefetch runs the families on read connections of their own, in threads;
    # the scorecard's loop then finds every figure computed (no statement on its own
    # connection but the staff and goals look-ups), and the figures are the ones the
    # loop computes one after another without it.
    from casecli.core.measures import score

    if not isinstance(mstore, sqlite3.Connection):
        pytest.skip("SQLite's side connections (a team store's server has its own)")
    seen: list[str] = []
    mstore.set_trace_callback(seen.append)
    try:
        office = score.Scope("office", "O1", None, None, "O1")
        ahead = score.scorecard(mstore, office, None, TODAY)
    finally:
        mstore.set_trace_callback(None)
    assert not [s for s in seen if "pp(i" in s or "FROM payments" in s], seen
    alone = Calculator(mstore, TODAY)
    alone.prefetch = lambda jobs: None  # type: ignore[method-assign]
    before = score.scorecard(mstore, office, None, TODAY, calc=alone)
    assert [(x.measure.id, x.result, x.trend, x.previous_year) for x in ahead.lines] == [
        (x.measure.id, x.result, x.trend, x.previous_year) for x in before.lines
    ]
    assert len(ahead.lines) == 17


def test_inside_a_transaction_the_statements_stay_on_its_connection(
    mstore: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another connection could not see what this one wrote and has not committed: the
    # figures are computed on this one, one after another.
    from casecli.core.store import store

    if not isinstance(mstore, sqlite3.Connection):
        pytest.skip("SQLite's side connections (a team store's server has its own)")

    def no_sibling(conn: sqlite3.Connection) -> None:
        raise AssertionError("a sibling connection was opened inside a transaction")

    monkeypatch.setattr(store, "sibling", no_sibling)
    calc = Calculator(mstore, TODAY)
    mstore.execute("BEGIN")
    try:
        calc.prefetch([("monthly_visits", "1", [], [OCT]), ("support_orders", "1", [], [OCT])])
    finally:
        mstore.execute("ROLLBACK")
    assert calc.counts("support_orders", "1", [], OCT).denominator > 0
