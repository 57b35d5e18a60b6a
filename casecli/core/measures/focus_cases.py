"""The cases that would close a measure's gap fastest, with the reason in words.

One set-based query per measure over the cases a condition on ``cases c`` selects
(a worker's, a unit's, an office's), ordered so the case that matters soonest or
moves the measure most comes first, capped at ``limit``:

- ``monthly_visits``: children in care all month not yet visited in the period's
  current month (the month of its last day, or today's), longest since a visit first;
- ``visits_in_home``: the same children not yet visited at home (or in their placement)
  that month;
- ``timely_response``: children in investigations opened in the period not yet seen,
  whose response deadline has not passed, soonest deadline first;
- ``investigations_overdue``: open investigations past the closure limit, oldest
  first, then those nearest it; ``investigations_closed_on_time``: open ones still
  within the limit, nearest it first;
- ``support_orders``: open IV-D cases without an order, those served first;
- ``paternity_establishment``: children born out of wedlock without paternity, a
  genetic test done first, then scheduled, then none;
- ``current_collections``: cases with the most current support unpaid in the period;
- ``arrears_collections``: cases with arrears due and no arrears payment in the
  period, the largest arrears first.

The cohort measures (permanency, re-entry, placement stability) have no case that
closes their gap this month: they get none.
"""

from __future__ import annotations

import calendar
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from casecli.core import words as w
from casecli.core.measures.child_support import OPEN_ON
from casecli.core.measures.child_welfare import RESIDENCE, done_events
from casecli.core.measures.periods import Period
from casecli.core.measures.query import Options, Query


@dataclass(frozen=True)
class FocusCase:
    case_id: str
    reason: str
    person_id: str | None = None
    worker_id: str | None = None  # whose case, named on a list that spans workers
    worker: str | None = None  # their name
    worker_active: bool | None = None


def first_name(name: str | None, redact: bool, fallback: str = "the child") -> str:
    """'Lopez, Ana Maria' or 'Ana Lopez' -> 'Ana'; initials when redacting."""
    name = (name or "").strip()
    if not name:
        return fallback
    if redact:
        parts = name.replace(",", " ").split()
        return "".join(p[0].upper() + "." for p in parts) or fallback
    return name.split(",")[-1].split()[0] if "," in name else name.split()[0]


def money(cents: int | float) -> str:
    return f"${cents / 100:,.2f}"


@dataclass(frozen=True)
class _Ctx:
    q: Query
    period: Period
    today: date
    limit: int
    redact: bool

    @property
    def month(self) -> tuple[date, date, str]:
        """The month focus looks at: the period's last month that has begun."""
        day = self.period.as_of(self.today)
        last = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        return day.replace(day=1), last, calendar.month_name[day.month]

    def rows(self, sql: str, **extra: Any) -> list[sqlite3.Row | tuple[Any, ...]]:
        return list(self.q.conn.execute(sql, self.q.params(limit=self.limit, **extra)))


def _visits(ctx: _Ctx, at_home: bool) -> list[FocusCase]:
    first, last, month = ctx.month
    home = f" AND v.location IN {RESIDENCE}" if at_home else ""
    sql = f"""
        WITH kids AS MATERIALIZED (
            SELECT DISTINCT c.case_id, r.person_id, p.name
            FROM removals r JOIN cases c ON c.case_id = r.case_id
            LEFT JOIN people p ON p.person_id = r.person_id AND p.case_id = r.case_id
            WHERE r._gone_on IS NULL AND c._gone_on IS NULL AND ({ctx.q.where})
              AND r.removed_on <= :first AND (r.discharged_on IS NULL OR r.discharged_on >= :last)
              AND (p.birth_on IS NULL OR date(p.birth_on, '+18 years') > :last)),
        v AS MATERIALIZED ({done_events("caseworker_visit", "SELECT case_id FROM kids", "", ":last")})
        SELECT case_id, person_id, name, seen FROM (
            SELECT k.case_id, k.person_id, k.name,
                   (SELECT max(substr(v.at, 1, 10)) FROM v WHERE v.case_id = k.case_id
                       AND (v.person_id = k.person_id OR v.person_id IS NULL)) AS seen
            FROM kids k
            WHERE NOT EXISTS (SELECT 1 FROM v WHERE v.case_id = k.case_id
                              AND (v.person_id = k.person_id OR v.person_id IS NULL)
                              AND substr(v.at, 1, 10) >= :first{home})) AS unseen
        ORDER BY seen IS NOT NULL, seen, case_id, person_id LIMIT :limit"""
    rows = ctx.rows(sql, first=first.isoformat(), last=last.isoformat())
    where = " at home" if at_home else ""
    out = []
    for case_id, person_id, name, seen in rows:
        who = first_name(name, ctx.redact)
        if ctx.today > last:
            reason = f"{who} was not visited{where} in {month}"
        else:
            reason = (
                f"{who} not yet visited{where} in {month} "
                f"(legal deadline {w.in_days((last - ctx.today).days)})"
            )
        reason += f"; last visit {seen[:10]}" if seen else "; no visit on record"
        out.append(FocusCase(case_id, reason, person_id))
    return out


def monthly_visits(ctx: _Ctx) -> list[FocusCase]:
    return _visits(ctx, at_home=False)


def visits_in_home(ctx: _Ctx) -> list[FocusCase]:
    return _visits(ctx, at_home=True)


def timely_response(ctx: _Ctx) -> list[FocusCase]:
    sql = f"""
        WITH inv AS MATERIALIZED (
            SELECT c.case_id, substr(c.opened_on, 1, 10) AS opened,
                   julianday(c.opened_on) + coalesce(c.response_hours, :response_hours) / 24.0
                       AS deadline
            FROM cases c
            WHERE c._gone_on IS NULL AND c.program = 'child_welfare'
              AND c.case_type = 'investigation' AND c.closed_on IS NULL
              AND substr(c.opened_on, 1, 10) BETWEEN :lo AND :hi AND ({ctx.q.where})),
        f AS MATERIALIZED ({done_events("face_to_face_contact", "SELECT case_id FROM inv", ":lo")})
        SELECT inv.case_id, p.person_id, p.name, datetime(inv.deadline) AS due
        FROM inv JOIN people p ON p.case_id = inv.case_id AND p.role = 'child'
             AND p._gone_on IS NULL
        WHERE inv.deadline > julianday(:today)
          AND NOT EXISTS (SELECT 1 FROM f WHERE f.case_id = inv.case_id
                          AND (f.person_id = p.person_id OR f.person_id IS NULL)
                          AND substr(f.at, 1, 10) >= inv.opened
                          AND julianday(f.at) <= inv.deadline)
        ORDER BY inv.deadline, inv.case_id, p.person_id LIMIT :limit"""
    out = []
    for case_id, person_id, name, due in ctx.rows(sql):
        when = datetime.fromisoformat(due)
        days = (when.date() - ctx.today).days
        out.append(
            FocusCase(
                case_id,
                f"{first_name(name, ctx.redact)} not yet seen face to face "
                f"(response deadline {when:%Y-%m-%d %H:%M}, {w.in_days(days)})",
                person_id,
            )
        )
    return out


def _investigations(ctx: _Ctx, overdue_first: bool) -> list[FocusCase]:
    keep = "" if overdue_first else "AND age <= :closure_days"
    sql = f"""
        WITH inv AS MATERIALIZED (
            SELECT c.case_id,
                   CAST(julianday(:as_of) - julianday(substr(c.opened_on, 1, 10)) AS INTEGER) AS age
            FROM cases c CROSS JOIN (SELECT :as_of AS as_of) pp
            WHERE c._gone_on IS NULL AND c.program = 'child_welfare'
              AND c.case_type = 'investigation' AND ({ctx.q.where}) AND {OPEN_ON}
              AND (c.closed_on IS NULL OR c.closed_on > :as_of)),
        top AS (SELECT case_id, age FROM inv WHERE 1 = 1 {keep}
                ORDER BY age DESC, case_id LIMIT :limit),
        f AS ({done_events("finding", "SELECT case_id FROM top", "", ":as_of")})
        SELECT top.case_id, top.age,
               (SELECT max(substr(f.at, 1, 10)) FROM f WHERE f.case_id = top.case_id) AS found
        FROM top ORDER BY top.age DESC, top.case_id"""
    limit = ctx.q.options.closure_days
    out = []
    as_of = ctx.period.as_of(ctx.today)
    for case_id, age, found in ctx.rows(sql, as_of=as_of.isoformat()):
        # The rule the playbook's steps follow (investigation.toml, issue 14 item 3): the
        # finding first, then closing the case; once the finding is recorded, what is left
        # is closing it, as the card and `next` say.
        todo = (
            f"the finding is recorded ({found}), close the investigation"
            if found
            else "record the finding"
        )
        if age > limit:
            reason = f"open {w.days(age)}, {w.days(age - limit)} past the {limit}-day limit: {todo}"
        else:
            reason = (
                f"open {w.days(age)}; the {limit}-day closure limit is "
                f"{w.in_days(limit - age)}" + (f"; {todo}" if found else "")
            )
        out.append(FocusCase(case_id, reason))
    return out


def investigations_overdue(ctx: _Ctx) -> list[FocusCase]:
    return _investigations(ctx, overdue_first=True)


def investigations_closed_on_time(ctx: _Ctx) -> list[FocusCase]:
    return _investigations(ctx, overdue_first=False)


def _served(kind: str) -> str:
    return done_events(kind, "SELECT case_id FROM k", "", ":as_of")


def support_orders(ctx: _Ctx) -> list[FocusCase]:
    sql = f"""
        WITH k AS MATERIALIZED (
            SELECT c.case_id, c.opened_on FROM cases c CROSS JOIN (SELECT :as_of AS as_of) pp
            WHERE c._gone_on IS NULL AND c.program = 'child_support' AND ({ctx.q.where})
              AND {OPEN_ON}
              AND (c.order_established_on IS NULL OR c.order_established_on > :as_of)),
        s AS ({_served("service_of_process")})
        SELECT case_id, served, opened_on FROM (
            SELECT k.case_id, (SELECT min(substr(s.at, 1, 10)) FROM s WHERE s.case_id = k.case_id)
                   AS served, k.opened_on
            FROM k) AS done
        ORDER BY served IS NULL, served, opened_on, case_id LIMIT :limit"""
    out = []
    for case_id, served, opened in ctx.rows(sql, as_of=ctx.period.as_of(ctx.today).isoformat()):
        why = f"process served {served}" if served else "process not yet served"
        out.append(FocusCase(case_id, f"no support order yet; {why} (opened {str(opened)[:10]})"))
    return out


def paternity_establishment(ctx: _Ctx) -> list[FocusCase]:
    sql = f"""
        WITH kids AS MATERIALIZED (
            SELECT c.case_id, p.person_id, p.name FROM cases c
            JOIN people p ON p.case_id = c.case_id CROSS JOIN (SELECT :as_of AS as_of) pp
            WHERE p._gone_on IS NULL AND c._gone_on IS NULL AND c.program = 'child_support'
              AND p.role = 'child' AND p.born_out_of_wedlock = 1 AND ({ctx.q.where})
              AND (p.birth_on IS NULL OR p.birth_on <= :as_of) AND {OPEN_ON}
              AND (p.paternity_established_on IS NULL OR p.paternity_established_on > :as_of)),
        g AS (SELECT e.case_id, e.person_id, e.status, coalesce(e.completed_on, e.scheduled_on) AS on_
              FROM events e WHERE e.case_id IN (SELECT case_id FROM kids)
                AND e.kind = 'genetic_test' AND e._gone_on IS NULL
                AND e.status IN ('completed', 'scheduled')
              UNION ALL
              SELECT r.case_id, r.person_id, 'completed', r.occurred_at FROM recorded_events r
              WHERE r.case_id IN (SELECT case_id FROM kids) AND r.kind = 'genetic_test'),
        best AS (
            SELECT kids.case_id, kids.person_id, kids.name,
                   min(CASE g.status WHEN 'completed' THEN 0 WHEN 'scheduled' THEN 1 END) AS st,
                   max(CASE WHEN g.status = 'completed' THEN substr(g.on_, 1, 10) END) AS done,
                   min(CASE WHEN g.status = 'scheduled' THEN substr(g.on_, 1, 10) END) AS planned
            FROM kids LEFT JOIN g ON g.case_id = kids.case_id
                 AND (g.person_id = kids.person_id OR g.person_id IS NULL)
            GROUP BY kids.case_id, kids.person_id, kids.name)
        SELECT case_id, person_id, name, st, done, planned FROM best
        ORDER BY coalesce(st, 2), planned IS NOT NULL, planned, case_id, person_id
        LIMIT :limit"""
    out = []
    for case_id, person_id, name, st, done, planned in ctx.rows(
        sql, as_of=ctx.period.as_of(ctx.today).isoformat()
    ):
        if st == 0:
            test = f"genetic test done {done}"
        elif st == 1:
            test = f"genetic test scheduled {planned}"
        else:
            test = "no genetic test yet"
        who = first_name(name, ctx.redact)
        out.append(FocusCase(case_id, f"{who}: paternity not established; {test}", person_id))
    return out


def _money_rows(ctx: _Ctx, select: str, having: str, order: str) -> list[tuple[Any, ...]]:
    months = ctx.period.months()
    m_last = min(ctx.period.end, ctx.today).isoformat()[:7]
    sql = f"""
        SELECT c.case_id, {select}
        FROM cases c JOIN payments pm ON pm.case_id = c.case_id
        WHERE pm._gone_on IS NULL AND c._gone_on IS NULL AND c.program = 'child_support'
          AND pm.month BETWEEN :m_first AND :m_last AND ({ctx.q.where})
        GROUP BY c.case_id HAVING {having}
        ORDER BY {order}, c.case_id LIMIT :limit"""
    return [tuple(r) for r in ctx.rows(sql, m_first=months[0], m_last=m_last)]


def _when(ctx: _Ctx) -> str:
    p = ctx.period
    return f"in {calendar.month_name[p.start.month]}" if p.kind == "month" else f"in {p.label}"


def current_collections(ctx: _Ctx) -> list[FocusCase]:
    rows = _money_rows(
        ctx,
        "sum(pm.current_due) - sum(pm.current_paid) AS unpaid, sum(pm.current_due)",
        "sum(pm.current_due) - sum(pm.current_paid) > 0",
        "unpaid DESC",
    )
    return [
        FocusCase(case_id, f"{money(unpaid)} of {money(due)} current support unpaid {_when(ctx)}")
        for case_id, unpaid, due in rows
    ]


def arrears_collections(ctx: _Ctx) -> list[FocusCase]:
    rows = _money_rows(
        ctx,
        "max(coalesce(pm.arrears_due, 0)) AS owed",
        "max(coalesce(pm.arrears_due, 0)) > 0 AND max(coalesce(pm.arrears_paid, 0)) = 0",
        "owed DESC",
    )
    return [
        FocusCase(case_id, f"{money(owed)} arrears due, no payment on them {_when(ctx)}")
        for case_id, owed in rows
    ]


FINDERS: dict[str, Callable[[_Ctx], list[FocusCase]]] = {
    "monthly_visits": monthly_visits,
    "visits_in_home": visits_in_home,
    "timely_response": timely_response,
    "investigations_closed_on_time": investigations_closed_on_time,
    "investigations_overdue": investigations_overdue,
    "support_orders": support_orders,
    "paternity_establishment": paternity_establishment,
    "current_collections": current_collections,
    "arrears_collections": arrears_collections,
}


def cases_for(
    conn: sqlite3.Connection,
    measure_id: str,
    where: str,
    params: Iterable[Any],
    period: Period,
    today: date,
    *,
    options: Options | None = None,
    limit: int = 10,
    redact: bool = False,
) -> list[FocusCase]:
    """The top ``limit`` cases (``where``: a condition on ``cases c``) for the measure."""
    finder = FINDERS.get(measure_id)
    if finder is None or limit <= 0:
        return []
    q = Query(conn, where, tuple(params), (period,), today, options or Options())
    return finder(_Ctx(q, period, today, limit, redact))
