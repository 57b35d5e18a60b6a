"""45 CFR 305.33 applicable percentages at the tables' boundaries (DOMAIN.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from casecli.core.measures import incentives
from casecli.core.measures.incentives import applicable_percentage, table_1, table_2, table_3
from tests.conftest import (
    CASES_HEADER,
    PAYMENTS_HEADER,
    PEOPLE_HEADER,
    basic_plus,
    measure_line,
    run_json,
)


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (100.0, 100),
        (80.0, 100),
        (79.99, 98),  # row 79: 80 + 2*9
        (79.0, 98),
        (70.0, 80),
        (69.99, 79),  # row 69: 60 + 19
        (50.0, 60),
        (49.99, 0),  # below 50, no improvement
        (46.30, 0),
        (40.0, 0),
        (39.99, 0),
        (0.0, 0),
    ],
)
def test_table_1(p: float, expected: int) -> None:
    assert table_1(p) == expected
    assert applicable_percentage("support_orders", p) == expected
    assert applicable_percentage("paternity_establishment", p) == expected


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (80.0, 100),
        (79.99, 98),
        (70.0, 80),
        (69.99, 79),  # row 69: 50 + 29
        (50.0, 60),
        (49.99, 59),  # row 49: 50 + 9
        (46.30, 56),  # row 46
        (40.0, 50),
        (39.99, 0),
        (0.0, 0),
    ],
)
def test_table_2(p: float, expected: int) -> None:
    assert table_2(p) == expected
    assert applicable_percentage("current_collections", p) == expected
    assert applicable_percentage("arrears_collections", p) == expected


def test_rows_are_whole_percents_rounded_down() -> None:
    assert incentives.whole_percent(46.30) == 46
    assert incentives.whole_percent(79.99) == 79
    assert incentives.whole_percent(70.0) == 70
    # 0.57 * 100 is 56.99999999999999 in floating point: a performance of exactly 57%
    # that arithmetic left a hair short is row 57, not 56.
    assert 0.57 * 100 < 57
    assert incentives.whole_percent(0.57 * 100) == 57
    assert table_2(0.57 * 100) == 67


def test_improvement_exception_for_paternity_is_ten_points() -> None:
    # PEP below 50: 50 with a 10-point improvement on the previous year, else 0.
    assert applicable_percentage("paternity_establishment", 45.0, previous=35.0) == 50
    assert applicable_percentage("paternity_establishment", 45.3, previous=35.3) == 50
    assert applicable_percentage("paternity_establishment", 45.0, previous=35.01) == 0
    assert applicable_percentage("paternity_establishment", 45.0, previous=None) == 0
    # The exception is only for performance below 50: at 50 the table applies.
    assert applicable_percentage("paternity_establishment", 50.0, previous=20.0) == 60


def test_improvement_exception_for_orders_and_collections_is_five_points() -> None:
    assert applicable_percentage("support_orders", 49.99, previous=44.99) == 50
    assert applicable_percentage("support_orders", 49.99, previous=45.0) == 0
    assert 32.66 - 27.66 < 5  # floating point: still a 5-point improvement
    assert applicable_percentage("support_orders", 32.66, previous=27.66) == 50
    assert applicable_percentage("current_collections", 39.99, previous=34.99) == 50
    assert applicable_percentage("current_collections", 39.99, previous=35.0) == 0
    assert applicable_percentage("arrears_collections", 20.0, previous=15.0) == 50
    assert applicable_percentage("arrears_collections", 20.0, previous=25.0) == 0
    # A worse year is no exception.
    assert applicable_percentage("support_orders", 30.0, previous=40.0) == 0


def test_not_iv_d_or_no_figure_is_none() -> None:
    assert applicable_percentage("monthly_visits", 90.0) is None
    assert applicable_percentage("support_orders", None) is None


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (6.0, 100),
        (5.00, 100),
        (4.99, 90),
        (4.50, 90),
        (4.49, 80),
        (4.00, 80),
        (3.99, 70),
        (3.50, 70),
        (3.49, 60),
        (3.00, 60),
        (2.99, 50),
        (2.50, 50),
        (2.49, 40),
        (2.00, 40),
        (1.99, 0),
        (0.0, 0),
    ],
)
def test_table_3_cost_effectiveness(ratio: float, expected: int) -> None:
    assert table_3(ratio) == expected


@pytest.mark.parametrize(
    ("due", "paid", "shown", "percentage"),
    [
        # 19,999 / 25,000 = 79.996%: shown as 80.0, but 45 CFR 305.33 reads whole percents,
        # so it is row 79 of Table 2 (80 + 2 x 9 = 98), not row 80 (100)
        ("25000.00", "19999.00", 80.0, 98),
        # 399.99 / 1,000 = 39.999%: shown as 40.0; below 40 with no earlier year to improve
        # on, Table 2 gives 0, not row 40's 50
        ("1000.00", "399.99", 40.0, 0),
    ],
)
def test_score_reads_the_table_from_the_exact_ratio_not_the_rounded_one(
    tmp_path: Path, backend: object | None, due: str, paid: str, shown: float, percentage: int
) -> None:
    """Issue 13 item 1: `score` showed the rounded figure and looked the row up from it."""
    run = basic_plus(
        tmp_path,
        {"payments.csv": f"{PAYMENTS_HEADER}C200,2026-10,{due},{paid},0,0\n"},
        team=backend,
    )
    # FFY2027 (to date): October 2026 is its only month with payments
    line = measure_line(run, "current_collections", "--period", "FFY2027")
    assert (line["performance"], line["applicable_percentage"]) == (shown, percentage)


def test_the_pep_is_measured_against_the_preceding_years_children_and_can_pass_100(
    tmp_path: Path,
    backend: object | None,
) -> None:
    """Issue 13 item 2, 42 USC 652(g)(2)(A). W2's C200 (open since 2024) has one child
    born out of wedlock, paternity established in 2016. K20, opened 2026-03-01, adds two
    more, established 2026-05-01. On 2026-10-31 three children have paternity
    established; on 2025-10-31 the caseload held one child born out of wedlock (C200's):
    3 / 1 = 300%, and Table 1 gives 100."""
    run = basic_plus(tmp_path, {
        "cases.csv": f"{CASES_HEADER}K20,child_support,establishment,open,2026-03-01,,W2,Lane,,,,,,\n",
        "people.csv": f"{PEOPLE_HEADER}P20,K20,child,Mo Lane,2020-01-01,yes,2026-05-01\n"
                      "P21,K20,child,Nia Lane,2021-01-01,yes,2026-05-01\n",
    }, team=backend)  # fmt: skip
    args = ("--worker", "W2", "--period", "FFY2027")
    line = measure_line(run, "paternity_establishment", *args)
    assert (line["numerator"], line["denominator"], line["performance"]) == (3, 1, 300.0)
    assert line["applicable_percentage"] == 100


@pytest.mark.parametrize(
    ("measure", "p", "previous", "below"),
    [
        # 45 CFR 305.40(a)(2): orders below 40% without a 5-point rise
        ("support_orders", 39.999, None, True),
        ("support_orders", 39.999, 34.999, False),  # rose exactly 5 points
        ("support_orders", 39.999, 35.0, True),  # 4.999 points
        ("support_orders", 40.0, None, False),
        # 305.40(a)(3): current collections below 35% without a 5-point rise
        ("current_collections", 34.999, None, True),
        ("current_collections", 35.0, None, False),
        # 42 USC 652(g)(1): PEP at 90% or more is safe; below, a rise by level
        ("paternity_establishment", 90.0, None, False),
        ("paternity_establishment", 89.999, 87.999, False),  # 75-90%: 2 points
        ("paternity_establishment", 89.999, 88.0, True),
        ("paternity_establishment", 74.0, 71.0, False),  # 50-75%: 3 points
        ("paternity_establishment", 74.0, 71.5, True),
        ("paternity_establishment", 49.0, 45.0, False),  # 45-50%: 4 points
        ("paternity_establishment", 44.0, 39.0, False),  # 40-45%: 5 points
        ("paternity_establishment", 39.0, 33.0, False),  # below 40%: 6 points
        ("paternity_establishment", 39.0, 33.5, True),
        ("paternity_establishment", 39.0, None, True),  # no earlier year: no rise shown
    ],
)
def test_penalty_floors(measure: str, p: float, previous: float | None, below: bool) -> None:
    found = incentives.penalty(measure, p, previous)
    assert found is not None and found.below is below


def test_measures_without_a_floor_have_none() -> None:
    assert incentives.penalty("arrears_collections", 10.0) is None
    assert incentives.penalty("monthly_visits", 10.0) is None
    assert incentives.penalty("support_orders", None) is None
    assert incentives.penalty("current_collections", 30.0).rule == (  # type: ignore[union-attr]
        "current collections below 35% without a 5-point rise"
    )


def test_score_marks_a_measure_below_its_penalty_floor(
    tmp_path: Path, backend: object | None
) -> None:
    """Issue 13 item 13: W2's C200 paid $100 of $350 due in October 2026: 28.6% current
    collections, below the 35% floor, with no October 2025 to have risen from."""
    run = basic_plus(
        tmp_path,
        {"payments.csv": f"{PAYMENTS_HEADER}C200,2026-10,350.00,100.00,0,0\n"},
        team=backend,
    )
    args = ("score", "--worker", "W2", "--period", "2026-10")
    card = run_json(run, *args)
    by_id = {m["measure"]: m for m in card["measures"]}
    assert by_id["current_collections"]["performance"] == 28.57
    assert by_id["current_collections"]["penalty"] is True
    assert by_id["current_collections"]["penalty_rule"] == (
        "current collections below 35% without a 5-point rise"
    )
    assert by_id["support_orders"]["penalty"] is False  # 1 of 1 cases has an order
    assert by_id["arrears_collections"]["penalty"] is None  # no federal floor
    text = run(*args).stdout
    assert "below the penalty floor: current collections below 35% without a" in text
