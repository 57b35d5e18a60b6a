"""Reporting periods: a calendar month, a federal fiscal year, or a range of dates.

``--period`` takes ``2026-10`` (a month), ``FFY2026`` (the federal fiscal year,
1 October 2025 – 30 September 2026) or ``2026-01-01..2026-06-30`` (both ends included);
without it, the month of ``today``. A :class:`Period`'s ``label`` is its canonical text,
which is also how a performance goal names the period it is for.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from casecli.core.errors import UsageError
from casecli.core.store.contract import FIRST_DAY, LAST_DAY

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_FFY = re.compile(r"ffy(\d{4})", re.IGNORECASE)
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})")
HINT = "use YYYY-MM (2026-10), FFY2026, or YYYY-MM-DD..YYYY-MM-DD"


@dataclass(frozen=True)
class Period:
    """A span of days, both ends included."""

    start: date
    end: date
    label: str
    kind: str = "range"  # month | ffy | range

    def __str__(self) -> str:
        return self.label

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def months(self) -> list[str]:
        """The calendar months (``YYYY-MM``) the period touches, in order."""
        out, first = [], self.start.replace(day=1)
        while first <= self.end:
            out.append(f"{first.year:04d}-{first.month:02d}")
            first = add_months(first, 1)
        return out

    def complete(self, today: date) -> bool:
        """Whether the period is over as of ``today`` (its last day has passed)."""
        return today > self.end

    def as_of(self, today: date) -> date:
        """The day a point-in-time measure looks at: the period's end, or today while it runs."""
        return min(self.end, today)


def add_months(day: date, n: int) -> date:
    """``day`` moved by ``n`` calendar months (clamped to the month's last day)."""
    index = day.year * 12 + day.month - 1 + n
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def month(year: int, month_no: int) -> Period:
    first = date(year, month_no, 1)
    last = date(year, month_no, calendar.monthrange(year, month_no)[1])
    return Period(first, last, f"{year:04d}-{month_no:02d}", "month")


def month_of(day: date) -> Period:
    return month(day.year, day.month)


def ffy(year: int) -> Period:
    """Federal fiscal year ``year``: 1 October of the year before to 30 September."""
    return Period(date(year - 1, 10, 1), date(year, 9, 30), f"FFY{year}", "ffy")


def parse(
    text: str | None, today: date | None, *, started: bool = False, option: str = "--period"
) -> Period:
    """``YYYY-MM``, ``FFY2026`` or ``YYYY-MM-DD..YYYY-MM-DD``; None means the month of
    ``today`` (and is an error when ``today`` is None too).

    Every period lies within the contract's dates (1900-01-01 to 2100-12-31, as
    ``--today`` does). ``started``: the period must have begun by ``today`` (a measure of
    a period that has not started counts nothing and would read as a bare zero; a goal
    may be set ahead)."""
    if text is None or not text.strip():
        if today is None:
            raise UsageError(f"Say which period; {HINT}.")
        return month_of(today)
    found = _parse(text.strip(), option)
    if found.start < date.fromisoformat(FIRST_DAY) or found.end > date.fromisoformat(LAST_DAY):
        raise _outside(found.label, option)
    if started and today is not None and found.start > today:
        raise UsageError(
            f"{option} {found.label} has not started yet (today is {today.isoformat()});"
            " choose this month or one before it."
        )
    return found


def _outside(label: str, option: str) -> UsageError:
    return UsageError(
        f"{option} {label} is outside the dates casecli counts ({FIRST_DAY} to {LAST_DAY}); {HINT}."
    )


def _parse(raw: str, option: str) -> Period:
    if m := _MONTH.fullmatch(raw):
        year, month_no = int(m[1]), int(m[2])
        if not 1 <= month_no <= 12:
            raise UsageError(f"{option} {raw} is not a real month; {HINT}.")
        if not 1900 <= year <= 2100:
            raise _outside(raw, option)
        return month(year, month_no)
    if m := _FFY.fullmatch(raw):
        year = int(m[1])
        if not 1901 <= year <= 2100:
            raise _outside(raw, option)
        return ffy(year)
    if m := _RANGE.fullmatch(raw):
        try:
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        except ValueError:
            raise UsageError(f"{option} {raw} has a date that does not exist; {HINT}.") from None
        if end < start:
            raise UsageError(f"{option} {raw} ends before it starts; put the earlier date first.")
        return Period(start, end, f"{start.isoformat()}..{end.isoformat()}", "range")
    raise UsageError(f"{option} {raw!r} is not a period casecli knows; {HINT}.")


def months_before(period: Period, n: int) -> list[Period]:
    """The ``n`` calendar months just before the period starts, oldest first."""
    first = period.start.replace(day=1)
    return [month_of(add_months(first, -k)) for k in range(n, 0, -1)]


def last_months(period: Period, n: int, today: date | None = None) -> list[Period]:
    """The ``n`` calendar months ending with the period's last month, oldest first: the
    months of a trend. With ``today``, only months that have ended by then: a trend
    that ends in a month still running would show a fall that is only the unfinished
    month."""
    last = month_of(period.end)
    if today is not None and last.end >= today:
        last = month_of(add_months(month_of(min(period.end, today)).start, -1))
    return [month_of(add_months(last.start, -k)) for k in range(n - 1, -1, -1)]


def year_before(period: Period) -> Period:
    """The same period a year earlier: the previous FFY, the same month last year, or a
    range shifted back 12 months."""
    if period.kind == "ffy":
        return ffy(period.end.year - 1)
    if period.kind == "month":
        return month(period.start.year - 1, period.start.month)
    start = add_months(period.start, -12)
    end = add_months(period.end + timedelta(days=1), -12) - timedelta(days=1)
    return Period(start, end, f"{start.isoformat()}..{end.isoformat()}", "range")


def ffy_of(day: date) -> Period:
    """The federal fiscal year ``day`` falls in (2026-11-24 -> FFY2027)."""
    return ffy(day.year + (1 if day.month >= 10 else 0))


def previous_ffy(period: Period) -> Period:
    """The federal fiscal year before the one the period ends in."""
    return ffy(ffy_of(period.end).end.year - 1)
