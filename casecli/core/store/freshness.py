"""How fresh the store's data is: the newest export against today.

The newest export is the latest sync that went through (``sync_log``: applied, or
unchanged, which still says the export of that date matched the store): its ``as_of``
(the manifest's date), or when it finished if the export gave none. Every view says
"data as of 2026-12-01 (8 days ago)" when that day is more than
:data:`STALE_AFTER_DAYS` before today: last night's export is what a morning works
from, an older one may miss work done since. A store made by ``casecli demo`` (the
sample) is read as of its export's date, so it says nothing there.
"""

from __future__ import annotations

import sqlite3
from datetime import date

from casecli.core.words import days

STALE_AFTER_DAYS = 1


def latest_export(conn: sqlite3.Connection) -> tuple[str | None, date | None]:
    """(source, day) of the newest export in the store; (None, None) before any sync."""
    row = conn.execute(
        "SELECT source, as_of, finished_at FROM sync_log"
        " WHERE status IN ('applied', 'unchanged') ORDER BY sync_id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None, None
    return row[0], day_of(row[1]) or day_of(row[2])


def reading_day(source: str | None, as_of: date | None, today: date, given: bool) -> date:
    """The day a store is read as of: ``today``, unless it was not given (--today) and the
    store was made by ``casecli demo``: then its export's date, so the sample reads the
    same on any day."""
    if not given and source == "casecli demo" and as_of:
        return as_of
    return today


def day_of(value: object) -> date | None:
    """The day of a stored date or date-time ('2026-11-23T23:00:00'); None if it is none."""
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def age_days(as_of: date | None, today: date) -> int | None:
    """Days from the newest export to today (negative when today is before it)."""
    return None if as_of is None else (today - as_of).days


def note(as_of: date | None, today: date) -> str | None:
    """'data as of 2026-12-01 (8 days ago)' when the newest export is more than a day
    older than ``today``; None when it is recent (or there is none)."""
    age = age_days(as_of, today)
    if as_of is None or age is None or age <= STALE_AFTER_DAYS:
        return None
    return f"data as of {as_of.isoformat()} ({days(age)} ago)"


def sentence(as_of: date | None, today: date) -> str | None:
    """The :func:`note` as a sentence of its own: 'Data as of 2026-12-01 (8 days ago).'"""
    text = note(as_of, today)
    return None if text is None else as_sentence(text)


def as_sentence(text: str) -> str:
    """A :func:`note` as a sentence of its own: capitalised, with a full stop."""
    return f"{text[:1].upper()}{text[1:]}."


def fields(as_of: date | None, today: date) -> dict[str, object]:
    """The JSON fields: {"data_as_of": "2026-12-01", "data_age_days": 8} (None, None
    before any sync), whether or not the data is old enough for a view to say so."""
    return {
        "data_as_of": as_of.isoformat() if as_of else None,
        "data_age_days": age_days(as_of, today),
    }
