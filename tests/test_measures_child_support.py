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

from casecli.core import periods
from tests.conftest import TODAY, counts, perf


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
