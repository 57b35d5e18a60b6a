"""The federal incentive "applicable percentage" (45 CFR 305.33), as DOMAIN.md states it.

Performance ``p`` is a percent and is compared by whole percent, i.e. its row is
``floor(p)`` (46.30 → row 46, 79.99 → row 79). The improvement exception compares the
exact performance with the previous year's (the same measure, one year earlier, when
the store holds it).

- Table 1, ``paternity_establishment`` and ``support_orders``: p ≥ 80 → 100;
  70–79 → 80 + 2·(p−70); 50–69 → 60 + (p−50); below 50 → 0, or 50 when the measure
  improved on the previous year by at least 10 points (PEP) or 5 points (orders).
- Table 2, ``current_collections`` and ``arrears_collections``: as Table 1 from 70 up;
  40–69 → 50 + (p−40); below 40 → 0, or 50 after a 5-point improvement.
- Table 3, ``cost_effectiveness``, a ratio r (dollars collected per dollar spent):
  ≥ 5.00 → 100, ≥ 4.50 → 90, ≥ 4.00 → 80, ≥ 3.50 → 70, ≥ 3.00 → 60, ≥ 2.50 → 50,
  ≥ 2.00 → 40, else 0. The ratio is compared exactly as collected / spent, never
  rounded first: $4.4999 per $1 is 80, not 90 (a displayed $4.50 can be row 80). No
  improvement exception and no penalty floor.

Penalty floors (45 CFR 305.40(a), 42 USC 652(g)(1); DOMAIN.md), :func:`penalty`:
support orders below 40% and current collections below 35%, unless the measure improved
on the previous year by at least 5 points; a PEP below 90% must improve on the previous
year by 2 points (75% to 90%), 3 (50-75%), 4 (45-50%), 5 (40-45%) or 6 (below 40%).
Compared on the exact ratios, like the tables.

The federal percentages are set for a state and a fiscal year; for a worker, unit or
office and any period they are shown as an indication of where the caseload stands.
"""

from __future__ import annotations

import math
from typing import NamedTuple

TABLES = {
    "paternity_establishment": 1,
    "support_orders": 1,
    "current_collections": 2,
    "arrears_collections": 2,
    "cost_effectiveness": 3,
}
IMPROVEMENT_POINTS = {
    "paternity_establishment": 10.0,
    "support_orders": 5.0,
    "current_collections": 5.0,
    "arrears_collections": 5.0,
}
TABLE_3 = ((5.00, 100), (4.50, 90), (4.00, 80), (3.50, 70), (3.00, 60), (2.50, 50), (2.00, 40))


def whole_percent(p: float) -> int:
    """The table row of a performance: its whole percent, rounded down (46.30 → 46)."""
    return math.floor(round(p, 9))


def improved(p: float, previous: float | None, points: float) -> bool:
    """Whether ``p`` is at least ``points`` percentage points above ``previous``."""
    return previous is not None and round(p - previous, 9) >= points


def _upper(row: int) -> int | None:
    """The rows Tables 1 and 2 share: 80 and up, and 70-79."""
    if row >= 80:
        return 100
    if row >= 70:
        return 80 + 2 * (row - 70)
    return None


def table_1(p: float, previous: float | None = None, improvement_points: float = 5.0) -> int:
    """Paternity establishment and support orders."""
    row = whole_percent(p)
    upper = _upper(row)
    if upper is not None:
        return upper
    if row >= 50:
        return 60 + (row - 50)
    return 50 if improved(p, previous, improvement_points) else 0


def table_2(p: float, previous: float | None = None, improvement_points: float = 5.0) -> int:
    """Current collections and arrears collections."""
    row = whole_percent(p)
    upper = _upper(row)
    if upper is not None:
        return upper
    if row >= 40:
        return 50 + (row - 40)
    return 50 if improved(p, previous, improvement_points) else 0


def table_3(ratio: float) -> int:
    """Cost-effectiveness: dollars collected per dollar spent."""
    for floor, percentage in TABLE_3:
        if ratio >= floor:
            return percentage
    return 0


def applicable_percentage(
    measure_id: str, performance: float | None, previous: float | None = None
) -> int | None:
    """The applicable percentage for an IV-D measure's performance (None: not IV-D, or
    no performance); ``previous`` is the previous year's performance, if known."""
    table = TABLES.get(measure_id)
    if table is None or performance is None:
        return None
    if table == 3:
        return table_3(performance)
    points = IMPROVEMENT_POINTS[measure_id]
    if table == 1:
        return table_1(performance, previous, points)
    return table_2(performance, previous, points)


# PEP below 90%: the rise on the previous year 42 USC 652(g)(1)(B)-(F) asks, by level
PEP_STEPS = ((75.0, 2.0), (50.0, 3.0), (45.0, 4.0), (40.0, 5.0), (0.0, 6.0))
FLOORS = {"support_orders": 40.0, "current_collections": 35.0}


class Penalty(NamedTuple):
    below: bool  # below the floor without the improvement that excuses it
    rule: str  # the rule, in words


def penalty(
    measure_id: str, performance: float | None, previous: float | None = None
) -> Penalty | None:
    """Whether ``performance`` (exact, in percent) is below its federal penalty floor
    without the required improvement on ``previous`` (the previous year's, if known);
    None for a measure with no floor or no figure."""
    if performance is None:
        return None
    p = round(performance, 9)  # as whole_percent and improved() compare
    if measure_id == "paternity_establishment":
        if p >= 90:
            return Penalty(False, "PEP 90% or more, or a 2-6 point rise a year")
        need = next(points for level, points in PEP_STEPS if p >= level)
        rule = f"PEP below 90% must rise {need:g} points a year at this level"
        return Penalty(not improved(performance, previous, need), rule)
    floor = FLOORS.get(measure_id)
    if floor is None:
        return None
    name = measure_id.replace("_", " ")
    rule = f"{name} below {floor:g}% without a 5-point rise"
    below = p < floor and not improved(performance, previous, 5.0)
    return Penalty(below, rule)
