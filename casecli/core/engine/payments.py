"""A support case's ledger in the words a worker needs: when the paying parent last paid,
and how many whole months have gone by since without a payment.

One rule, used by the engine (the "no payment" action, :mod:`casecli.core.engine.actions`) and
by the case card (:mod:`casecli.core.views.card`), so the two never disagree:

- **A payment** is any money in a ledger month: ``current_paid`` or ``arrears_paid``
  above zero (EXPORTS.md, payments.csv).
- **Months without a payment** are the whole calendar months after the last month with
  a payment and before this one (this month is not over): last paid in April, on
  2026-11-24 that is May to October, 6 months. A payment this month makes it 0.
- **Never paid**: counted from the first ledger month in which anything was owed
  (current support or an arrears balance), that month included.
- Only a case that **owes** now counts (its latest month before this one has current
  support due or an arrears balance): a case with nothing due is not "unpaid".

Pure functions over payments rows (``casedata`` dicts, money in cents), ``today`` passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, NamedTuple

Row = Mapping[str, Any]


class Gap(NamedTuple):
    months: int  # whole months without a payment, before this one
    last_paid: str | None  # YYYY-MM of the last month with a payment; None: never
    counted_from: str  # YYYY-MM: the month after the last payment, or the first owed


def month_index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def month_of(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def paid(row: Row) -> bool:
    return (row["current_paid"] or 0) > 0 or (row.get("arrears_paid") or 0) > 0


def owed(row: Row) -> bool:
    return (row["current_due"] or 0) > 0 or (row.get("arrears_due") or 0) > 0


def gap(rows: Iterable[Row], today: date) -> Gap | None:
    """How long the case has gone without a payment; None when it owes nothing now (or
    has no ledger). Rows may be the whole ledger or, as the engine loads them, only the
    latest month before this one, the last month with a payment and the first owed."""
    this = today.strftime("%Y-%m")
    ledger = sorted((r for r in rows if str(r["month"]) <= this), key=lambda r: str(r["month"]))
    before = [r for r in ledger if str(r["month"]) < this]
    if not before or not owed(before[-1]):
        return None
    now = month_index(this)
    paying = [str(r["month"]) for r in ledger if paid(r)]
    if paying:
        start = month_index(paying[-1]) + 1
        return Gap(max(now - start, 0), paying[-1], month_of(start))
    first = next(str(r["month"]) for r in ledger if owed(r))
    return Gap(max(now - month_index(first), 0), None, first)


MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)  # fmt: skip


def month_words(month: str, today: date) -> str:
    """'April' in this year, 'April 2025' before it."""
    name = MONTHS[int(month[5:7]) - 1]
    return name if month[:4] == str(today.year) else f"{name} {month[:4]}"
