"""Reading dates and date-times: one parser for the sync and the engine.

The contract (EXPORTS.md, "Types") allows a date where a date-time is expected (the start
of that day) and a date-time with an offset (``+05:00``, ``Z``), which the sync converts
to the jurisdiction's local time and stores without an offset, so that every part of
casecli reads one value. The jurisdiction's time zone is ``timezone`` in the profile or
the config file (an IANA name such as ``America/Chicago``), else the machine's.

Values outside the contract's dates (1900-01-01 to 2100-12-31) can only be in a store
written before the sync enforced them, or by hand: the engine reads them as no date
rather than fail on arithmetic past the year 9999.

The calendar arithmetic the engine counts with (:func:`add_months`, :func:`month_end`)
is here too, so that the steps and the ASFA clock share it without importing each other.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache

FIRST_YEAR, LAST_YEAR = 1900, 2100


def to_date(text: str) -> date | None:
    """``YYYY-MM-DD`` (the first ten characters of a date or date-time), or None."""
    return _day(text[:10])


@lru_cache(maxsize=4096)
def _day(text: str) -> date | None:
    """Cached: a caseload's records repeat the same few hundred dates (an office's ~340k
    date cells cost 0.2 s to parse one by one)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def to_datetime(text: str) -> datetime | None:
    """A stored date or date-time as a naive local date-time, or None.

    A plain date is its start (00:00); ``T`` or a space may separate the time; seconds and
    fractions are optional; an offset (written by an older casecli, or by hand) is
    converted to the machine's local time."""
    text = text.strip().replace(" ", "T", 1)
    try:
        when = datetime.fromisoformat(text if len(text) <= 19 else _offset_form(text))
    except ValueError:
        return None
    if when.tzinfo is not None:
        when = when.astimezone().replace(tzinfo=None)
    return when if FIRST_YEAR <= when.year <= LAST_YEAR else None


def _offset_form(text: str) -> str:
    """``…T14:05 +05:00`` / ``…z`` as Python reads them."""
    text = text.replace(" ", "")
    return text[:-1] + "+00:00" if text[-1:] in ("z", "Z") else text


def local_time(text: str, zone: tzinfo | None) -> str:
    """An ISO 8601 date-time with an offset as local time in ``zone`` (None: the
    machine's), without offset: ``2026-11-20T14:05+05:00`` → ``2026-11-20T04:05`` in
    America/Chicago. Anything it cannot read is returned as it came (the sync has already
    validated it; nothing is dropped)."""
    try:
        when = datetime.fromisoformat(_offset_form(text.strip().replace(" ", "T", 1)))
    except ValueError:
        return text
    if when.tzinfo is None:
        return text
    local = when.astimezone(zone)
    return local.strftime("%Y-%m-%dT%H:%M" + (":%S" if local.second else ""))


def zone(name: str | None) -> tzinfo | None:
    """The time zone an IANA name names (None: the machine's); ValueError if unknown."""
    if not name:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(name) from None


def _days_in_month(year: int, month: int) -> int:
    """Without the calendar module (an import `next` would pay for on every evaluation)."""
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return (following - timedelta(days=1)).day


def add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    year = d.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(d.day, _days_in_month(year, month)))


def month_end(d: date) -> date:
    return date(d.year, d.month, _days_in_month(d.year, d.month))
