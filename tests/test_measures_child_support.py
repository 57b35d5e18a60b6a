"""The child support (IV-D) measures on a hand-made export, every number argued from the rule.

The measures of 45 CFR 305.2 (paternity establishment, support orders, current
collections, arrears collections; the PEP's denominator is 42 USC 652(g)(2)(A)'s
preceding year, tests/test_incentives.py) as DOMAIN.md "Child support (IV-D)" states them: a case counts once, under the worker
and office it is assigned to, on the period's last day; money is summed in cents over
the months of the period. The incentive tables (45 CFR 305.33) are tests/test_incentives.py.
The store is ``mstore`` (tests/conftest.py: tests/fixtures/measures, synced twice so a
case and an event are gone, plus events recorded in casecli); most checks use October
2026, today 2026-11-24.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from casecli.core.measures import periods
from casecli.core.measures.incentives import applicable_percentage, table_3
from tests.conftest import (
    CASES_HEADER,
    PAYMENTS_HEADER,
    TODAY,
    basic_plus,
    counts,
    measure_line,
    perf,
    run_json,
)


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


# Cost-effectiveness ---------------------------------------------------------------
#
# Cost-effectiveness (issue 13 item 12): dollars collected per dollar spent, for an
# office and for all offices, read on 45 CFR 305.33 Table 3.
#
# The rule (DOMAIN.md "Child support (IV-D)"; 42 USC 658a(b)(6)(E)): the total amount
# collected during the federal fiscal year divided by the total amount expended during
# it, a ratio, at agency level. casecli's reading (casecli.core.measures.child_support.collections,
# casecli.core.measures.measures.office_result): collected = current_paid + arrears_paid of
# payments.csv over the fiscal year's months, in the IV-D cases of the office's workers;
# spent = the office's costs.csv ``expenditures`` for that FFY. Table 3 (45 CFR 305.33):
# ≥ 5.00 → 100, ≥ 4.50 → 90, ≥ 4.00 → 80, ≥ 3.50 → 70, ≥ 3.00 → 60, ≥ 2.50 → 50,
# ≥ 2.00 → 40, else 0, read from the exact ratio.
#
# The export: the basic fixture (office O1: W1, W2 in unit U1; admin A1, manager M1)
# plus two offices, O2 (worker W3) and O3 (worker W4), as of 2026-11-24, so FFY2026
# (2025-10-01 .. 2026-09-30) is over and FFY2027 runs.

STAFF = (
    "staff_id,name,role,unit_id,unit_name,office_id,office_name,supervisor_id,"
    "hours_per_week,active\n"
    "M2,Mo South,manager,,,O2,South Office,,40,true\n"
    "S2,Su South,supervisor,U2,Unit Two,O2,South Office,M2,40,true\n"
    "W3,Wyn South,worker,U2,Unit Two,O2,South Office,S2,40,true\n"
    "M3,Mo East,manager,,,O3,East Office,,40,true\n"
    "S3,Su East,supervisor,U3,Unit Three,O3,East Office,M3,40,true\n"
    "W4,Wil East,worker,U3,Unit Three,O3,East Office,S3,40,true\n"
)
CASES = CASES_HEADER + (
    "K1,child_support,enforcement,open,2024-01-01,,W2,Ames,,,,,2024-06-01,\n"
    "K2,child_support,enforcement,open,2024-01-01,,W3,Baker,,,,,2024-06-01,\n"
    "K3,child_support,enforcement,open,2024-01-01,,W4,Chen,,,,,2024-06-01,\n"
)
# The basic fixture's C200 (W2, office O1) paid 350.00 current + 50.00 arrears in
# 2026-09 (FFY2026) and 175.50 + 0 in 2026-10 (FFY2027).
PAYMENTS = PAYMENTS_HEADER + (
    "K1,2025-09,1000.00,1000.00,,\n"  # FFY2025: not FFY2026's (October starts the year)
    "K1,2025-10,1000.00,1000.00,500.00,100.00\n"  # FFY2026: 1,000 current + 100 arrears
    "K1,2026-03,1000.00,800.00,400.00,0\n"  # FFY2026: 800
    "K1,2026-10,1000.00,1000.00,,\n"  # FFY2027
    "K2,2026-01,300.00,300.00,,\n"  # O2, FFY2026: 300
    "K2,2026-06,300.00,200.00,,\n"  # O2, FFY2026: 200
    "K3,2026-02,700.00,700.00,,\n"  # O3, FFY2026: 700, and O3 sends no costs
)
COSTS = "office_id,period,expenditures\nO1,FFY2026,511.13\nO1,FFY2025,400.00\nO2,FFY2026,100.00\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, backend: object | None):  # type: ignore[no-untyped-def]
    files = {"staff.csv": STAFF, "cases.csv": CASES, "payments.csv": PAYMENTS, "costs.csv": COSTS}
    return basic_plus(tmp_path_factory.mktemp("ratio"), files, team=backend)


def ratio_line(run, *args: str):  # type: ignore[no-untyped-def]
    return measure_line(run, "cost_effectiveness", *args)


def test_an_office_collects_so_many_dollars_per_dollar_spent(run) -> None:  # type: ignore[no-untyped-def]
    # Office O1, FFY2026. Collected: C200 2026-09 350.00 + 50.00, K1 2025-10 1,000.00 +
    # 100.00, K1 2026-03 800.00 = $2,300.00 (K1's 2025-09 is FFY2025, its 2026-10 and
    # C200's 2026-10 are FFY2027). Spent: $511.13. 2,300.00 / 511.13 = 4.49983…, shown
    # $4.50 (two decimals), but Table 3 reads the exact ratio: below 4.50, so row 4.00,
    # 80 (never 90).
    line = ratio_line(run, "--office", "O1", "--period", "FFY2026")
    assert (line["numerator"], line["denominator"]) == (230_000, 51_113)
    assert (line["performance"], line["applicable_percentage"]) == (4.5, 80)
    assert (line["level"], line["applicable"], line["scale"]) == (
        "office", True, "dollars collected per dollar spent",
    )  # fmt: skip
    assert line["period"] == {
        "label": "FFY2026", "start": "2025-10-01", "end": "2026-09-30", "complete": True,
    }  # fmt: skip
    # FFY2025: K1's 2025-09 $1,000.00 over O1's $400.00 = 2.50. No penalty floor.
    assert (line["previous_year"], line["penalty"], line["trend"]) == (2.5, None, [])
    assert line["office"] == 4.5 and line["unit"] is None and line["note"] is None


def test_a_second_office_at_five_dollars_gets_100(run) -> None:  # type: ignore[no-untyped-def]
    # O2: K2's 300.00 + 200.00 = $500.00 over $100.00 = 5.00 exactly: Table 3's top row.
    line = ratio_line(run, "--office", "O2", "--period", "FFY2026")
    assert (line["performance"], line["applicable_percentage"]) == (5.0, 100)
    # No costs for FFY2025: last year has no figure.
    assert line["previous_year"] is None


def test_an_office_without_costs_says_so_in_one_sentence(run) -> None:  # type: ignore[no-untyped-def]
    line = ratio_line(run, "--office", "O3", "--period", "FFY2026")
    assert (line["performance"], line["applicable_percentage"]) == (None, None)
    # what it collected is still counted: K3's $700.00
    assert (line["numerator"], line["denominator"]) == (70_000, 0)
    assert line["note"] == (
        "no costs.csv rows for office O3 in FFY2026: cost-effectiveness needs the office's "
        "expenditures"
    )
    text = run("score", "--office", "O3", "--period", "FFY2026")
    assert text.exit_code == 0, text.stderr
    assert "collected $700.00 · no costs.csv rows for office O3 in FFY2026" in " ".join(
        text.stdout.split()
    )


def test_all_offices_sum_the_offices_with_costs_and_name_those_left_out(run) -> None:  # type: ignore[no-untyped-def]
    # O1 $2,300.00 + O2 $500.00 = $2,800.00 over $511.13 + $100.00 = $611.13: 4.5817…,
    # $4.58, Table 3 90. O3 collected $700.00 but sent no costs: left out of both sums
    # (its collections without its costs would flatter the ratio), and named.
    line = ratio_line(run, "--period", "FFY2026")  # A1, an admin: all offices
    assert (line["numerator"], line["denominator"]) == (280_000, 61_113)
    assert (line["performance"], line["applicable_percentage"]) == (4.58, 90)
    assert line["note"] == "office O3 left out: no costs.csv row for FFY2026"
    assert line["office"] is None


@pytest.mark.parametrize(
    ("user", "args", "kind"),
    [("A1", ("--worker", "W2"), "worker"), ("A1", ("--unit", "U1"), "unit")],
)
def test_a_worker_or_unit_has_no_figure_only_the_office_beside_it(run, user, args, kind) -> None:  # type: ignore[no-untyped-def]
    line = ratio_line(run, *args, "--period", "FFY2026")
    # not a fake number: none, with why, and the office's ratio in the office column
    assert (line["performance"], line["numerator"], line["denominator"]) == (None, None, None)
    assert (line["applicable"], line["applicable_percentage"], line["goal"]) == (False, None, None)
    assert line["office"] == 4.5 and line["unit"] is None
    assert line["note"] == (
        f"an office-level measure (dollars collected per dollar the office spends), not a {kind}'s"
    )


def test_a_month_has_no_ratio_a_fiscal_year_does(run) -> None:  # type: ignore[no-untyped-def]
    line = ratio_line(run, "--office", "O1", "--period", "2026-03")
    assert line["performance"] is None and line["applicable_percentage"] is None
    assert line["note"].startswith("a fiscal-year measure (costs.csv gives a year's expenditures)")
    assert "--period FFY2026 shows it" in line["note"]


def test_without_a_period_it_is_this_fiscal_years(run) -> None:  # type: ignore[no-untyped-def]
    # 2026-11-24 is in FFY2027; O1 has no costs row for it yet.
    line = ratio_line(run, "--office", "O1")
    assert line["period"]["label"] == "FFY2027" and line["period"]["complete"] is False
    # collected so far: C200 175.50 + K1 1,000.00 (2026-10)
    assert line["numerator"] == 117_550
    assert line["note"].startswith("no costs.csv rows for office O1 in FFY2027")


def test_a_goal_on_cost_effectiveness_is_an_offices_and_its_gap_is_in_dollars(
    tmp_path: Path,
    backend: object | None,
) -> None:
    files = {"staff.csv": STAFF, "cases.csv": CASES, "payments.csv": PAYMENTS, "costs.csv": COSTS}
    run = basic_plus(tmp_path, files, team=backend)
    done = run("goals", "set", "unit:U1", "cost_effectiveness", "5")
    assert done.exit_code == 2
    assert "office-level measure" in done.stderr and "office:OFFICE_ID" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    done = run("goals", "set", "office:O1", "cost_effectiveness", "5")
    assert done.exit_code == 0, done.stderr
    assert "cost_effectiveness ≥ $5.00 for office O1" in done.stdout
    line = ratio_line(run, "--office", "O1", "--period", "FFY2026")
    # 5.00 per $1 of $511.13 is $2,555.65; $2,300.00 collected: $255.65 more, $256.
    assert (line["goal"], line["gap"]) == (5.0, 0.5)
    assert line["gap_work"] == "$256 more support collected in FFY2026"
    # a worker does not inherit it: no figure of theirs to meet it with
    assert ratio_line(run, "--worker", "W2", "--period", "FFY2026")["goal"] is None
    text = run("score", "--office", "O1", "--period", "FFY2026")
    row = next(x for x in text.stdout.splitlines() if x.startswith("Cost-effectiveness"))
    assert row.split() == ["Cost-effectiveness", "$4.50", "$5.00", "+0.50", "80"]


def test_the_text_shows_dollars_per_dollar_within_80_columns(run) -> None:  # type: ignore[no-untyped-def]
    for args in (("--office", "O1"), ("--worker", "W2"), ("--unit", "U1"), ()):
        done = run("score", *args, "--period", "FFY2026")
        assert done.exit_code == 0, done.stderr
        assert all(len(x) <= 80 for x in done.stdout.splitlines()), args
    text = run("score", "--office", "O1", "--period", "FFY2026").stdout
    assert "collected $2,300.00 for $511.13 spent" in text
    assert "$ per $1: support collected per dollar the office spent (costs.csv)" in " ".join(
        text.split()
    )
    worker = run("score", "--worker", "W2", "--period", "FFY2026").stdout
    row = next(x for x in worker.splitlines() if x.startswith("Cost-effectiveness"))
    assert row.split() == ["Cost-effectiveness", "–", "–", "–", "–", "$4.50"]


@pytest.mark.parametrize(
    ("ratio", "percentage"),
    [(5.0, 100), (4.9999, 90), (4.50, 90), (4.4999, 80), (4.4999999, 80), (2.0, 40),
     (1.9999, 0), (0.5, 0)],
)  # fmt: skip
def test_table_3_reads_the_exact_ratio(ratio: float, percentage: int) -> None:
    # 45 CFR 305.33 Table 3, "at least … but less than": 4.4999 is below 4.50, row 80
    assert table_3(ratio) == percentage
    assert applicable_percentage("cost_effectiveness", ratio) == percentage


def test_score_json_keeps_its_fields_and_adds_period_level_applicable(run) -> None:  # type: ignore[no-untyped-def]
    card = run_json(run, "score", "--office", "O1")
    assert {"scope", "period", "measures", "period_given"} <= set(card)
    for line in card["measures"]:
        assert {
            "measure", "title", "program", "numerator", "denominator", "performance",
            "direction", "scale", "counts", "goal", "goal_from", "gap", "gap_work", "unit",
            "office", "applicable_percentage", "penalty", "penalty_rule", "previous_year",
            "complete", "note", "trend", "period", "level", "applicable",
        } <= set(line), line["measure"]  # fmt: skip
    assert card["measures"][-1]["measure"] == "cost_effectiveness"
