"""What a measure's SQL is given: the cases, the periods, today and the jurisdiction's
settings (:class:`Query`, :class:`Options`). Its own module so that the two programs'
measures (``child_support``, ``child_welfare``) and ``measures``, which calls them, all
build on it without importing one another back. ``measures`` names them too
(``measures.Options``), as its callers write.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from casecli.core.measures.periods import Period, add_months


@dataclass(frozen=True)
class Options:
    """Jurisdiction settings the measures read (from the playbooks)."""

    closure_days: int = 30  # investigation playbook's closure_days
    response_hours: int = 72  # when a case has no response_hours (the playbook's default)

    @classmethod
    def from_playbooks(cls, books: Mapping[str, Any]) -> Options:
        """The settings the engine uses too, read from the same playbooks (issue 13 item 6:
        a jurisdiction whose investigation playbook says ``hours = 24`` is measured on 24
        hours, as its caseworkers' deadlines are): ``closure_days`` from the investigation
        playbook, the default response hours from its step due within ``response_hours``
        of intake (``due = { from = "opened", hours_from = "response_hours", hours = N }``)."""
        book = books.get("investigation")
        if book is None:
            return cls()
        hours = next(
            (s.due.hours for s in book.steps
             if s.due is not None and s.due.hours_from == "response_hours" and s.due.hours),
            cls.response_hours,
        )  # fmt: skip
        return cls(int(book.settings.get("closure_days", cls.closure_days)), int(hours))


@dataclass(frozen=True)
class Query:
    """What a measure's SQL needs: the cases (a condition on ``cases c`` with ``?``
    parameters), the periods, today and the options. ``where`` is rewritten with named
    parameters so it can sit beside the measures' own (``:today``, ``:lo``…); the
    periods are a literal table (:meth:`pp`), one row per period, ``i`` its index."""

    conn: sqlite3.Connection
    where_raw: str
    where_params: tuple[Any, ...]
    periods: tuple[Period, ...]
    today: date
    options: Options = field(default_factory=Options)

    @property
    def where(self) -> str:
        count = iter(range(len(self.where_params)))
        return re.sub(r"\?", lambda _: f":w{next(count)}", self.where_raw)

    def month_values(self, period: Period) -> list[tuple[str, str]]:
        """(first day, last day) of each month the period touches that has begun by today."""
        out = []
        first = period.start.replace(day=1)
        while first <= period.end and first <= self.today:
            nxt = add_months(first, 1)
            out.append((first.isoformat(), (nxt - timedelta(days=1)).isoformat()))
            first = nxt
        return out

    def pp(self, follow_up_months: int = 0) -> str:
        """``VALUES`` rows (i, p_start, p_end, as_of, m_first, m_last, c_start, c_end): each
        period's days, the day a point-in-time measure looks at, the months its money
        measures sum (up to today's), and the cohort window for ``follow_up_months``."""
        rows = []
        for i, p in enumerate(self.periods):
            c_start, c_end = cohort_window(p, follow_up_months or 12)
            m_first, m_last = p.start.isoformat()[:7], min(p.end, self.today).isoformat()[:7]
            days = (p.start, p.end, p.as_of(self.today))
            cells = [f"'{d.isoformat()}'" for d in days]
            cells += [f"'{m_first}'", f"'{m_last}'", f"'{c_start.isoformat()}'"]
            rows.append(f"({i}, {', '.join(cells)}, '{c_end.isoformat()}')")
        return "VALUES " + ", ".join(rows)

    def params(self, **extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {
            "lo": min(p.start for p in self.periods).isoformat(),
            "hi": max(p.end for p in self.periods).isoformat(),
            "lo_month": min(p.start for p in self.periods).isoformat()[:7],
            "hi_month": min(max(p.end for p in self.periods), self.today).isoformat()[:7],
            "today": self.today.isoformat(),
            "closure_days": self.options.closure_days,
            "response_hours": self.options.response_hours,
        }
        out.update({f"w{i}": v for i, v in enumerate(self.where_params)})
        out.update(extra)
        return out

    def cohort_params(self, follow_up_months: int) -> dict[str, Any]:
        windows = [cohort_window(p, follow_up_months) for p in self.periods]
        return self.params(
            c_lo=min(w[0] for w in windows).isoformat(), c_hi=max(w[1] for w in windows).isoformat()
        )


def cohort_window(period: Period, follow_up_months: int) -> tuple[date, date]:
    """The 12 months of entries that end ``follow_up_months`` before the period's end."""
    end = add_months(period.end + timedelta(days=1), -follow_up_months) - timedelta(days=1)
    return add_months(end + timedelta(days=1), -12), end
