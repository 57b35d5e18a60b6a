"""ASFA "15 of 22": the day a child's 15th month in foster care of the most recent 22 ends.

42 USC 675(5)(E) and 45 CFR 1356.21(i)(1)(i): a State files a petition to terminate
parental rights for a child who has been in foster care for 15 of the most recent 22
months, by the end of the child's 15th month in care, unless an exception is documented
(a relative is caring for the child, a compelling reason, services the case plan called
for not provided). How the months are counted (DOMAIN.md "Timeframes", issue 13 item 7):

- **From the date of entry into care** of each episode: the earlier of the court's
  ``adjudication`` (on or after the removal) and 60 days after the removal
  (:func:`casecli.core.engine.steps.entry_date`), not the removal itself.
- **Added up across episodes** (the cumulative method, 45 CFR 1356.21(i)(1)(i)(C)), each
  episode of the child in the case counted from its own entry to its discharge.
- **Trial home visits and runaway time left out** (1356.21(i)(1)(i)(D)): the days of a
  ``trial_home_visit`` or ``runaway`` placement do not count.
- **Only the most recent 22 months count**: time in care that fell out of the 22 months
  before a day no longer counts on that day.

For one uninterrupted stay the months are the calendar's: entry on 2025-01-01, the 15th
month ends on 2026-03-31 (the petition is due by the end of that day). Pieces of time
(several episodes, time on a trial home visit cut out) are added up in days, never later
than the calendar would make them: 15 months are 455 days counted (the shortest 15
calendar months can be: January 2025 to March 2026), and the most recent 22 months the
672 days ending that day (the longest 22 calendar months can be, so no day of them is
left out). A reminder a day or two early costs nothing; a late one costs a child a
deadline.

The child's episodes are those of the case being evaluated (the engine sees one case);
an episode recorded under another case of the same child is not added in.

Pure functions over dates, like the engine: no store, no today's clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from casecli.core.when import add_months

FIFTEEN_MONTHS = 455  # days counted: the shortest 15 calendar months (Jan 2025 - Mar 2026)
WINDOW = 672  # days: the longest 22 calendar months (Mar 2023 - Dec 2024)
NOT_COUNTED = ("trial_home_visit", "runaway")  # 45 CFR 1356.21(i)(1)(i)(D)

Span = tuple[date, date | None]  # [start, end): end None while it lasts


def counted_spans(episodes: Iterable[tuple[date, date | None]], away: Iterable[Span]) -> list[Span]:
    """The days in care that count, as sorted, disjoint [start, end) spans: each episode
    from its entry (``episodes``: (entry, discharge)) with the ``away`` spans (trial home
    visits, runaway) cut out."""
    spans = _merge((s, e) for s, e in episodes if e is None or s < e)
    for a_start, a_end in _merge(away):
        cut: list[Span] = []
        for s, e in spans:
            if (a_end is not None and a_end <= s) or (e is not None and e <= a_start):
                cut.append((s, e))
                continue
            if s < a_start:
                cut.append((s, a_start))
            if a_end is not None and (e is None or a_end < e):
                cut.append((a_end, e))
        spans = cut
    return spans


def month_15(spans: list[Span]) -> date | None:
    """The day the child's 15th month in care of the most recent 22 is complete. None when
    the counted time never gets there (the child left care before, or is on a trial home
    visit or a runaway now, which stops the clock); a span still open is followed forward,
    as if the child stays in care.

    The first span (no time before it) reaches them on its calendar date, entry + 15
    months less a day; a later one on the first day D on which the days counted in the
    672 days ending with D reach 455. Within a counted span that count never falls from
    one day to the next (a day is added at its head, at most one leaves at its tail), so
    a span is searched by bisection: a few comparisons, not a walk over the days."""
    for k, (start, end) in enumerate(spans):
        if k == 0:
            calendar = add_months(start, 15) - timedelta(days=1)
            if end is None or calendar < end:
                return calendar
            continue
        day = _first_full(spans, start, end)
        if day is not None:
            return day
    return None


def _first_full(spans: list[Span], start: date, end: date | None) -> date | None:
    """The first day of [start, end) on which the days counted reach 455, by bisection."""
    last = end - timedelta(days=1) if end is not None else start + timedelta(days=2 * WINDOW)
    if last < start or _counted(spans, last) < FIFTEEN_MONTHS:
        return None
    lo, hi = 0, (last - start).days
    while lo < hi:
        mid = (lo + hi) // 2
        if _counted(spans, start + timedelta(days=mid)) >= FIFTEEN_MONTHS:
            hi = mid
        else:
            lo = mid + 1
    return start + timedelta(days=lo)


def _counted(spans: list[Span], day: date) -> int:
    """Days counted in the window of 672 days that ends with ``day`` (inclusive)."""
    first, after = day - timedelta(days=WINDOW - 1), day + timedelta(days=1)
    total = 0
    for s, e in spans:
        lo, hi = max(s, first), min(e or after, after)
        if hi > lo:
            total += (hi - lo).days
    return total


def _merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, disjoint spans from overlapping or touching ones."""
    out: list[Span] = []
    for s, e in sorted(spans, key=lambda x: x[0]):
        if out:
            ps, pe = out[-1]
            if pe is None or s <= pe:
                out[-1] = (ps, None if pe is None or e is None else max(pe, e))
                continue
        out.append((s, e))
    return out
