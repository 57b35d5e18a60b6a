"""The child welfare measures (DOMAIN.md), in set-based SQL.

As for :mod:`casecli.core.measures.child_support`: each function returns, per measure, counts
grouped by period (its index in ``Query.periods``, the rows of ``pp``) and by the worker
the case is assigned to (``cases.worker_id``); records a full export dropped are left
out.

Events a worker recorded in casecli (``recorded_events``) count as well as the
export's, once: a recorded event is left out when the export carries the same fact,
the rule of :func:`casecli.core.local.record.recorded_events_for` (same case and kind,
completed on the same date, for the same person or with either side naming no one; or
linked explicitly through ``event_id``). An event naming no person counts for every
child in its case, as the engine's steps do.

CFSR exclusions (DOMAIN.md): stays under 8 days and youth 18 or over (at entry, or
during the month for the visit standard) are left out; a child whose birth date is not
known is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from casecli.core.measures.child_support import OPEN_ON, Rows, grouped

if TYPE_CHECKING:
    from casecli.core.measures.query import Query

PP = "pp(i, p_start, p_end, as_of, m_first, m_last, c_start, c_end)"
PERMANENT = "('reunification', 'relative', 'guardianship', 'adoption')"
REUNIFIED = "('reunification', 'relative', 'guardianship')"
NOT_MOVES = "('trial_home_visit', 'runaway', 'respite')"
RESIDENCE = "('home', 'placement')"  # where the child lives: a foster home counts
# placement {x} came before placement m in its episode (by start_on, then id)
_EARLIER = "({x}.start_on < m.start_on OR ({x}.start_on = m.start_on AND {x}.placement_id < m.placement_id))"
# A recorded event the export does not carry (none of its events that day is the same).
# Asked as a count, not NOT EXISTS: PostgreSQL turned that into an anti-join over every
# visit in the state, whose row-level security it answered by hashing the login's visible
# cases first (0.35 s a statement, each of an office's 676 workers' digests); a count is a
# subquery asked per recorded event, by the events_case index (SQLite plans both alike).
_UNLINKED = """r.event_id IS NULL AND (
    SELECT count(*) FROM events e2
    WHERE e2.case_id = r.case_id AND e2.kind = r.kind AND e2.status = 'completed'
      AND e2._gone_on IS NULL AND substr(e2.completed_on, 1, 10) = substr(r.occurred_at, 1, 10)
      AND (e2.person_id = r.person_id OR e2.person_id IS NULL OR r.person_id IS NULL)) = 0"""
_UNDER_18_AT = "(p.birth_on IS NULL OR date(p.birth_on, '+18 years') > {day})"


def done_events(kind: str, cases: str, since: str = "", until: str = "") -> str:
    """SQL for the completed events of ``kind`` (a literal) on the cases ``cases`` (a
    subquery of case ids), on or after ``since`` and on or before ``until`` (SQL date
    expressions; empty: no bound): the export's, and the recorded ones the export does
    not carry. Columns: case_id, person_id, at (date or datetime text), location."""
    e_day, r_day = "substr(e.completed_on, 1, 10)", "substr(r.occurred_at, 1, 10)"
    e_when = (f" AND {e_day} >= {since}" if since else "") + (
        f" AND {e_day} <= {until}" if until else ""
    )
    r_when = e_when.replace(e_day, r_day)
    return f"""
        SELECT e.case_id, e.person_id, e.completed_on AS at, e.location FROM events e
        WHERE e.case_id IN ({cases}) AND e.kind = '{kind}' AND e.status = 'completed'
          AND e._gone_on IS NULL AND e.completed_on IS NOT NULL{e_when}
        UNION ALL
        SELECT r.case_id, r.person_id, r.occurred_at, r.location FROM recorded_events r
        WHERE r.case_id IN ({cases}) AND r.kind = '{kind}'{r_when} AND {_UNLINKED}"""


def visits(q: Query) -> dict[str, Rows]:
    """The federal caseworker-visit standard: ``monthly_visits`` and ``visits_in_home``.

    A child-month: a child in care for the whole of a calendar month, i.e. a removal
    episode with ``removed_on`` on or before the 1st and no discharge before the last
    day, in a month the period touches that has begun by today (the current month is
    counted to date). Such a stay is at least 28 days, so the under-8-days exclusion
    never applies; a youth who is 18 by the month's last day is left out. A child in two
    overlapping episodes counts once a month.

    ``monthly_visits``: child-months with at least one completed ``caseworker_visit``
    for that child in that month / child-months.
    ``visits_in_home``: visited child-months in which at least one of the visits was in
    the child's residence / visited child-months, as the federal standard counts it
    (child-months, not visits: issue 13 item 3). The residence is where the child lives:
    ``location`` ``home`` or ``placement`` (a foster home is the child's residence).
    """
    months = sorted({m for period in q.periods for m in q.month_values(period)})
    if not months:
        return {"monthly_visits": {}, "visits_in_home": {}}
    values = ", ".join(f"('{first}', '{last}')" for first, last in months)
    sql = f"""
        WITH months(first, last) AS (VALUES {values}),
        r0 AS MATERIALIZED (
            SELECT c.worker_id, r.case_id, r.person_id, r.removed_on, r.discharged_on,
                   p.birth_on
            FROM removals r JOIN cases c ON c.case_id = r.case_id
            LEFT JOIN people p ON p.person_id = r.person_id AND p.case_id = r.case_id
            WHERE r._gone_on IS NULL AND c._gone_on IS NULL AND ({q.where})
              AND r.removed_on <= :last_first
              AND (r.discharged_on IS NULL OR r.discharged_on >= :first_last)),
        cm AS MATERIALIZED (
            SELECT DISTINCT r0.worker_id, r0.case_id, r0.person_id, m.first, m.last
            FROM r0 CROSS JOIN months m
            WHERE r0.removed_on <= m.first
              AND (r0.discharged_on IS NULL OR r0.discharged_on >= m.last)
              AND (r0.birth_on IS NULL OR date(r0.birth_on, '+18 years') > m.last)),
        v AS ({done_events("caseworker_visit", "SELECT case_id FROM cm", ":lo", ":hi")}),
        vm AS MATERIALIZED (
            SELECT case_id, person_id, substr(at, 1, 7) AS month, count(*) AS n,
                   count(CASE WHEN location IN {RESIDENCE} THEN 1 END) AS home
            FROM v GROUP BY case_id, person_id, substr(at, 1, 7)),
        per AS (
            SELECT cm.worker_id, cm.first, coalesce(sum(vm.n), 0) AS n,
                   coalesce(sum(vm.home), 0) AS home
            FROM cm LEFT JOIN vm ON vm.case_id = cm.case_id
                 AND vm.month = substr(cm.first, 1, 7)
                 AND (vm.person_id = cm.person_id OR vm.person_id IS NULL)
            GROUP BY cm.worker_id, cm.case_id, cm.person_id, cm.first)
        SELECT first, worker_id, sum(n > 0), count(*), sum(home > 0), sum(n > 0)
        FROM per GROUP BY first, worker_id"""
    bounds = q.params(
        lo=months[0][0], hi=months[-1][1], last_first=months[-1][0], first_last=months[0][1]
    )
    by_month = {}
    for first, worker, visited, child_months, at_home, total in q.conn.execute(sql, bounds):
        by_month[(first, worker)] = (visited or 0, child_months or 0, at_home or 0, total or 0)
    monthly: Rows = {}
    home: Rows = {}
    for i, period in enumerate(q.periods):
        firsts = {first for first, _ in q.month_values(period)}
        for (first, worker), (visited, child_months, at_home, total) in by_month.items():
            if first in firsts:
                a, b, _ = monthly.get((i, worker), (0, 0, 0))
                monthly[(i, worker)] = (a + visited, b + child_months, 0)
                a, b, _ = home.get((i, worker), (0, 0, 0))
                home[(i, worker)] = (a + at_home, b + total, 0)
    return {"monthly_visits": monthly, "visits_in_home": home}


def timely_response(q: Query) -> dict[str, Rows]:
    """Investigations opened in the period whose children were all seen face to face
    within ``response_hours`` of intake / investigations opened in the period.

    Intake is ``opened_on`` (a plain date is the start of that day); the deadline is
    intake + ``response_hours`` (the case's, else ``Options.response_hours``, the
    playbook's 72), compared as datetimes (``julianday``). A contact counts if it is a
    completed ``face_to_face_contact`` for the child (or naming no one) on or after the
    intake date and no later than the deadline. An investigation listing no child
    counts as seen when any face-to-face contact was made in time. One not yet seen
    whose deadline is later than the start of today may still be met: it is left out of
    both counts and reported as pending. A deadline at midnight (an intake dated
    2026-11-23 with 24 hours) has passed when 2026-11-24 begins: late on the 24th, as the
    engine's step is overdue then (issue 13 item 9).
    """
    sql = f"""
        WITH {PP} AS ({q.pp()}),
        inv AS MATERIALIZED (
            SELECT c.worker_id, c.case_id, substr(c.opened_on, 1, 10) AS opened,
                   julianday(c.opened_on) + coalesce(c.response_hours, :response_hours) / 24.0
                       AS deadline
            FROM cases c
            WHERE c._gone_on IS NULL AND c.program = 'child_welfare'
              AND c.case_type = 'investigation'
              AND substr(c.opened_on, 1, 10) BETWEEN :lo AND :hi AND ({q.where})),
        kids AS MATERIALIZED (
            SELECT p.case_id, p.person_id FROM people p
            WHERE p.case_id IN (SELECT case_id FROM inv) AND p.role = 'child'
              AND p._gone_on IS NULL),
        f AS MATERIALIZED (
            {done_events("face_to_face_contact", "SELECT case_id FROM inv", ":lo")}),
        in_time AS MATERIALIZED (
            SELECT f.case_id, f.person_id FROM f JOIN inv ON inv.case_id = f.case_id
            WHERE substr(f.at, 1, 10) >= inv.opened AND julianday(f.at) <= inv.deadline),
        kid_seen AS MATERIALIZED (
            SELECT case_id, min(seen) AS all_seen FROM (
                SELECT k.case_id, max(t.case_id IS NOT NULL) AS seen FROM kids k
                LEFT JOIN in_time t ON t.case_id = k.case_id
                     AND (t.person_id = k.person_id OR t.person_id IS NULL)
                GROUP BY k.case_id, k.person_id) AS per_kid
            GROUP BY case_id),
        judged AS MATERIALIZED (
            SELECT inv.worker_id, inv.opened, inv.deadline,
                   coalesce(ks.all_seen, inv.case_id IN (SELECT case_id FROM in_time))
                       AS on_time
            FROM inv LEFT JOIN kid_seen ks ON ks.case_id = inv.case_id)
        SELECT pp.i, j.worker_id, sum(j.on_time),
               sum(j.on_time OR j.deadline <= julianday(:today)),
               sum(NOT j.on_time AND j.deadline > julianday(:today))
        FROM judged j CROSS JOIN pp
        WHERE j.opened BETWEEN pp.p_start AND pp.p_end
        GROUP BY pp.i, j.worker_id"""
    return {"timely_response": grouped(q.conn, sql, q.params())}


def investigations(q: Query) -> dict[str, Rows]:
    """``investigations_closed_on_time`` and ``investigations_overdue``.

    The limit is ``Options.closure_days`` (the investigation playbook's
    ``closure_days``, 30 by default), counted in days from the intake date.
    ``investigations_closed_on_time``: investigations with ``closed_on`` in the period,
    closed within the limit / investigations closed in the period.
    ``investigations_overdue`` (lower is better): investigations open on the period's
    last day (today while it runs; one closed that day still counts as open) that have
    been open longer than the limit by then / investigations open that day.
    """
    base = f"""c._gone_on IS NULL AND c.program = 'child_welfare'
              AND c.case_type = 'investigation' AND ({q.where})"""
    age = "julianday({day}) - julianday(substr(c.opened_on, 1, 10))"
    closed = f"""
        WITH {PP} AS ({q.pp()})
        SELECT pp.i, c.worker_id, sum({age.format(day="c.closed_on")} <= :closure_days),
               count(*)
        FROM cases c CROSS JOIN pp
        WHERE {base} AND c.closed_on BETWEEN :lo AND :hi
          AND c.closed_on BETWEEN pp.p_start AND pp.p_end
        GROUP BY pp.i, c.worker_id"""
    overdue = f"""
        WITH {PP} AS ({q.pp()})
        SELECT pp.i, c.worker_id, sum({age.format(day="pp.as_of")} > :closure_days), count(*)
        FROM cases c CROSS JOIN pp
        WHERE {base} AND {OPEN_ON}
        GROUP BY pp.i, c.worker_id"""
    params = q.params()
    return {
        "investigations_closed_on_time": grouped(q.conn, closed, params),
        "investigations_overdue": grouped(q.conn, overdue, params),
    }


def _entries(q: Query, follow_up_months: int) -> str:
    """Each child's first entry into care in each period's cohort window (``c_start`` ..
    ``c_end``), leaving out stays under 8 days and youth 18 or over at entry. The first
    entry is found across every case (it is a fact about the child), then the case's
    worker counts it. Columns: i, removal_id, case_id, person_id, removed_on,
    discharged_on, discharge_reason.

    Only the children with a removal in a case in scope are ranked (``scoped``): the
    others cannot count, and ranking every child of the state for an office's score cost
    0.8 s at 1.3 million cases. Each such child's removals in other cases still take part.
    """
    return f"""
        WITH {PP} AS ({q.pp(follow_up_months)}),
        in_scope AS MATERIALIZED (
            SELECT c.case_id FROM cases c WHERE c._gone_on IS NULL AND ({q.where})),
        scoped AS MATERIALIZED (
            SELECT DISTINCT person_id FROM removals
            WHERE _gone_on IS NULL AND removed_on BETWEEN :c_lo AND :c_hi
              AND case_id IN (SELECT case_id FROM in_scope))
        SELECT * FROM (
            SELECT pp.i, r.removal_id, r.case_id, r.person_id, r.removed_on,
                   r.discharged_on, r.discharge_reason,
                   row_number() OVER (PARTITION BY pp.i, r.person_id
                                      ORDER BY r.removed_on, r.removal_id) AS nth
            FROM removals r
            LEFT JOIN people p ON p.person_id = r.person_id AND p.case_id = r.case_id
            CROSS JOIN pp
            WHERE r._gone_on IS NULL AND r.removed_on BETWEEN :c_lo AND :c_hi
              AND r.person_id IN (SELECT person_id FROM scoped)
              AND r.removed_on BETWEEN pp.c_start AND pp.c_end
              AND (r.discharged_on IS NULL
                   OR julianday(r.discharged_on) - julianday(r.removed_on) >= 8)
              AND {_UNDER_18_AT.format(day="r.removed_on")})
        AS entered WHERE nth = 1 AND case_id IN (SELECT case_id FROM in_scope)"""


def permanency(q: Query) -> dict[str, Rows]:
    """CFSR permanency in 12 months for children entering care (observed counts).

    Cohort: children entering care in the 12 months that end 12 months before the
    period's last day (for FFY2026, the entries of FFY2025; for 2026-10, those from
    2024-11-01 to 2025-10-31), so each has been followed for 12 months by the period's
    end; until that day has passed the measure is incomplete (see ``Measure.
    follow_up_months``). Numerator: discharged to reunification, relative, guardianship
    or adoption before the 12-month anniversary of entry, and before the 18th birthday
    (CFSR 4: a discharge at 18 or older is not permanency). A child discharged from a
    trial home visit longer than 30 days left care, for this count, 30 days after the
    visit began: the days beyond 30 do not count against the 12 months (issue 13 item 4).
    """
    thv_exit = """(SELECT min(date(t.start_on, '+30 days')) FROM placements t
                      WHERE t.removal_id = x.removal_id AND t._gone_on IS NULL
                        AND t.setting = 'trial_home_visit'
                        AND (t.end_on IS NULL OR t.end_on >= x.discharged_on)
                        AND date(t.start_on, '+30 days') < x.discharged_on)"""
    sql = f"""
        SELECT x.i, c.worker_id,
               sum(x.discharge_reason IN {PERMANENT}
                   AND coalesce({thv_exit}, x.discharged_on) < date(x.removed_on, '+12 months')
                   AND (p.birth_on IS NULL OR x.discharged_on < date(p.birth_on, '+18 years'))),
               count(*)
        FROM ({_entries(q, 12)}) x JOIN cases c ON c.case_id = x.case_id
        LEFT JOIN people p ON p.person_id = x.person_id AND p.case_id = x.case_id
        GROUP BY x.i, c.worker_id"""
    return {"permanency_12_months": grouped(q.conn, sql, q.cohort_params(12))}


def permanency_in_care(q: Query) -> dict[str, Rows]:
    """CFSR permanency in 12 months for children already in care (observed counts; issue
    13 item 4): ``permanency_12_23_months`` and ``permanency_24_months``.

    Cohort: children in care on the period's first day (removed before it, not discharged
    before it), under 18 that day, who had then been in care 12 to 23 months, or 24
    months or more (whole months from ``removed_on``, the current episode). Numerator:
    those discharged to reunification, relative, guardianship or adoption from the first
    day to the period's last day (and today), before their 18th birthday. While the
    period runs the figure is to date.
    """
    stay = "((julianday(pp.p_start) - julianday(r.removed_on)) / 30.4375)"
    sql = f"""
        WITH {PP} AS ({q.pp()}),
        cohort AS MATERIALIZED (
            SELECT pp.i, c.worker_id, r.discharge_reason, r.discharged_on, p.birth_on,
                   pp.p_end, {stay} >= 24 AS long_stay
            FROM removals r JOIN cases c ON c.case_id = r.case_id
            LEFT JOIN people p ON p.person_id = r.person_id AND p.case_id = r.case_id
            CROSS JOIN pp
            WHERE r._gone_on IS NULL AND c._gone_on IS NULL AND ({q.where})
              AND (r.discharged_on IS NULL OR r.discharged_on >= :lo)
              AND r.removed_on < pp.p_start
              AND (r.discharged_on IS NULL OR r.discharged_on >= pp.p_start)
              AND {stay} >= 12
              AND {_UNDER_18_AT.format(day="pp.p_start")})
        SELECT i, worker_id, long_stay,
               sum(discharge_reason IN {PERMANENT} AND discharged_on <= min(p_end, :today)
                   AND (birth_on IS NULL OR discharged_on < date(birth_on, '+18 years'))),
               count(*)
        FROM cohort GROUP BY i, worker_id, long_stay"""
    short: Rows = {}
    long: Rows = {}
    for i, worker, long_stay, done, total in q.conn.execute(sql, q.params()):
        (long if long_stay else short)[(int(i), worker)] = (int(done or 0), int(total), 0)
    return {"permanency_12_23_months": short, "permanency_24_months": long}


def reentry(q: Query) -> dict[str, Rows]:
    """CFSR re-entry to care in 12 months (observed counts; lower is better).

    Cohort: children entering care in the 12 months that end 24 months before the
    period's last day, discharged to reunification, relative or guardianship before the
    12-month anniversary of entry; so each has been followed 12 months past discharge
    by the period's end. Numerator: those with another removal (in any case) on or
    after the discharge date and before its 12-month anniversary.
    """
    sql = f"""
        WITH x AS MATERIALIZED ({_entries(q, 24)}),
        cohort AS MATERIALIZED (
            SELECT * FROM x WHERE x.discharge_reason IN {REUNIFIED}
                   AND x.discharged_on < date(x.removed_on, '+12 months')),
        back AS (SELECT DISTINCT k.i, k.removal_id FROM cohort k
                 JOIN removals r2 ON r2.person_id = k.person_id AND r2._gone_on IS NULL
                  AND r2.removal_id <> k.removal_id AND r2.removed_on >= k.discharged_on
                  AND r2.removed_on < date(k.discharged_on, '+12 months'))
        SELECT k.i, c.worker_id, count(b.removal_id), count(*)
        FROM cohort k JOIN cases c ON c.case_id = k.case_id
        LEFT JOIN back b ON b.i = k.i AND b.removal_id = k.removal_id
        GROUP BY k.i, c.worker_id"""
    return {"reentry_12_months": grouped(q.conn, sql, q.cohort_params(24))}


def placement_stability(q: Query) -> dict[str, Rows]:
    """CFSR placement stability: placement moves per 1,000 days in care (lower is better).

    Children who entered care in the period (``removed_on`` in it; stays under 8 days,
    counted to discharge or today, and youth 18 or over at entry left out). Days: from
    entry to discharge, the period's end, today or the 18th birthday, whichever is first
    (the day of discharge, and days from the 18th birthday on, not counted). Moves:
    placements in those episodes after the first (by ``start_on``, then id) that start
    by the period's end, today and the 18th birthday, except trial home visits, runaway
    and respite, and except a return to the provider of the last placement that was not
    one of those (same ``provider_id``: back home after a runaway or a respite stay is no
    move; issue 13 item 5). Without ``provider_id`` a return cannot be told from a move,
    and counts as one. The numerator is moves, the denominator days.
    """
    adult = "coalesce(date(p.birth_on, '+18 years'), '9999-12-31')"
    sql = f"""
        WITH {PP} AS ({q.pp()}),
        ep AS MATERIALIZED (
            SELECT pp.i, c.worker_id, r.removal_id,
                   min(pp.as_of, date({adult}, '-1 day')) AS until,
                   julianday(min(coalesce(r.discharged_on, '9999-12-31'),
                                 date(pp.p_end, '+1 day'), date(:today, '+1 day'), {adult}))
                   - julianday(r.removed_on) AS days
            FROM removals r JOIN cases c ON c.case_id = r.case_id
            LEFT JOIN people p ON p.person_id = r.person_id AND p.case_id = r.case_id
            CROSS JOIN pp
            WHERE r._gone_on IS NULL AND c._gone_on IS NULL AND ({q.where})
              AND r.removed_on BETWEEN :lo AND :hi
              AND r.removed_on BETWEEN pp.p_start AND pp.p_end
              AND julianday(min(coalesce(r.discharged_on, '9999-12-31'), date(:today, '+1 day')))
                  - julianday(r.removed_on) >= 8
              AND {_UNDER_18_AT.format(day="r.removed_on")}),
        per AS (  -- correlated on the placements_removal index: a few rows per episode
            SELECT ep.i, ep.worker_id, ep.days,
                   (SELECT count(*) FROM placements m
                    WHERE m.removal_id = ep.removal_id AND m._gone_on IS NULL
                      AND m.setting NOT IN {NOT_MOVES} AND m.start_on <= ep.until
                      AND EXISTS (SELECT 1 FROM placements f
                                  WHERE f.removal_id = m.removal_id AND f._gone_on IS NULL
                                    AND {_EARLIER.format(x="f")})
                      AND NOT coalesce(m.provider_id = (
                          SELECT b.provider_id FROM placements b
                          WHERE b.removal_id = m.removal_id AND b._gone_on IS NULL
                            AND b.setting NOT IN {NOT_MOVES} AND {_EARLIER.format(x="b")}
                          ORDER BY b.start_on DESC, b.placement_id DESC LIMIT 1), FALSE)
                   ) AS moves
            FROM ep)
        SELECT i, worker_id, sum(moves), sum(days) FROM per GROUP BY i, worker_id"""
    return {"placement_stability": grouped(q.conn, sql, q.params())}


# A substantiated finding names a child victim (EXPORTS.md, events: ``finding`` with
# ``result`` substantiated and a ``person_id``). The report's date: for a finding in an
# investigation, the intake of that investigation (``opened_on``: the report the CFSR
# counts by its date); otherwise the finding's own date. Recorded findings count as the
# export's do (once: the rule of :func:`done_events`). ``{who}`` selects the export's rows
# (a condition on ``e``; ``e.kind = 'finding'`` lets SQLite use the partial index on
# events' person_id), ``{who_r}`` the recorded ones (on ``r``).
_FINDINGS = (
    """
    SELECT e.person_id, e.case_id,
           CASE WHEN fc.case_type = 'investigation' AND fc.opened_on IS NOT NULL
                THEN substr(fc.opened_on, 1, 10) ELSE substr(e.completed_on, 1, 10) END
               AS report_on
    FROM events e JOIN cases fc ON fc.case_id = e.case_id
    WHERE e.kind = 'finding' AND e.status = 'completed' AND e._gone_on IS NULL
      AND fc._gone_on IS NULL AND lower(trim(e.result)) = 'substantiated'
      AND e.completed_on IS NOT NULL AND {who}
    UNION
    SELECT r.person_id, r.case_id,
           CASE WHEN fc.case_type = 'investigation' AND fc.opened_on IS NOT NULL
                THEN substr(fc.opened_on, 1, 10) ELSE substr(r.occurred_at, 1, 10) END
    FROM recorded_events r JOIN cases fc ON fc.case_id = r.case_id
    WHERE r.kind = 'finding' AND lower(trim(r.result)) = 'substantiated'
      AND fc._gone_on IS NULL AND r.person_id IS NOT NULL AND {who_r} AND """
    + _UNLINKED
)


def _findings_of(people: str) -> str:
    """The substantiated findings naming someone in the CTE ``people`` (a person_id column)."""
    return _FINDINGS.format(
        who=f"e.person_id IN (SELECT person_id FROM {people})",
        who_r=f"r.person_id IN (SELECT person_id FROM {people})",
    )


def maltreatment_in_care(q: Query) -> dict[str, Rows]:
    """CFSR maltreatment in care: substantiated victimisations per 100,000 days in care
    (observed counts; lower is better; DOMAIN.md "Child welfare").

    Days: every episode of a child in care during the period (removed on or before its
    last day, not discharged before its first), from the later of removal and the
    period's first day to the earliest of discharge (not counted), the day after the
    period's end, tomorrow (the period runs to date) and the 18th birthday; stays under 8
    days (to discharge, or to today) are left out. Victimisations: substantiated findings
    naming the child (in any case: the investigation is usually another unit's) whose
    report date falls on one of those days; one per child and report date. A case counts
    under the worker of the case holding the removal.
    """
    adult = "coalesce(date(p.birth_on, '+18 years'), '9999-12-31')"
    sql = f"""
        WITH {PP} AS ({q.pp()}),
        stay AS MATERIALIZED (
            SELECT c.worker_id, r.removal_id, r.person_id, r.removed_on,
                   min(coalesce(r.discharged_on, '9999-12-31'), date(:today, '+1 day'),
                       {adult}) AS stop
            FROM removals r JOIN cases c ON c.case_id = r.case_id
            LEFT JOIN people p ON p.person_id = r.person_id AND p.case_id = r.case_id
            WHERE r._gone_on IS NULL AND c._gone_on IS NULL AND ({q.where})
              AND r.removed_on <= :hi AND (r.discharged_on IS NULL OR r.discharged_on >= :lo)
              AND julianday(min(coalesce(r.discharged_on, '9999-12-31'), date(:today, '+1 day')))
                  - julianday(r.removed_on) >= 8),
        f AS MATERIALIZED ({_findings_of("stay")}),
        part AS MATERIALIZED (
            SELECT pp.i, s.worker_id, s.person_id,
                   max(s.removed_on, pp.p_start) AS first,
                   min(s.stop, date(pp.p_end, '+1 day')) AS after
            FROM stay s CROSS JOIN pp
            WHERE s.removed_on <= pp.p_end AND s.stop > pp.p_start
              AND min(s.stop, date(pp.p_end, '+1 day')) > max(s.removed_on, pp.p_start)),
        days AS (
            SELECT i, worker_id, sum(julianday(after) - julianday(first)) AS days
            FROM part GROUP BY i, worker_id),
        victims AS (  -- the few findings joined to the stays, not each stay to the findings
            SELECT part.i, part.worker_id,
                   count(DISTINCT part.person_id || '|' || f.report_on) AS n
            FROM f JOIN part ON part.person_id = f.person_id
            WHERE f.report_on >= part.first AND f.report_on < part.after
            GROUP BY part.i, part.worker_id)
        SELECT d.i, d.worker_id, coalesce(v.n, 0), d.days
        FROM days d LEFT JOIN victims v ON v.i = d.i AND v.worker_id IS d.worker_id"""
    rows: Rows = {
        (int(i), worker): (int(victims), int(days), 0)
        for i, worker, victims, days in q.conn.execute(sql, q.params())
    }
    return {"maltreatment_in_care": rows}


def recurrence(q: Query) -> dict[str, Rows]:
    """CFSR recurrence of maltreatment (observed counts; lower is better).

    Cohort: children with a substantiated report whose date falls in the 12 months that
    end 12 months before the period's last day (so each is followed 12 months), under 18
    on it (birth date unknown: kept); the first such report is the child's initial one,
    and the child counts under the worker of the case holding it (the report must be in a
    case in scope). Numerator: those with another substantiated report (in any case)
    more than 14 days after the initial one (reports within 14 days are the same incident,
    DOMAIN.md) and before its 12-month anniversary.

    The findings of the cases in scope are read through the partial index of findings
    by person (``+e.case_id`` keeps SQLite off each case's events: 0.6 s for an office
    of 60,000 cases at 1.3 million; the state's findings are a few tens of thousands).
    """
    in_scope = f"SELECT c.case_id FROM cases c WHERE c._gone_on IS NULL AND ({q.where})"
    mine = _FINDINGS.format(
        who=f"e.person_id IS NOT NULL AND +e.case_id IN ({in_scope})",
        who_r=f"+r.case_id IN ({in_scope})",
    )
    sql = f"""
        WITH {PP} AS ({q.pp(12)}),
        mine AS MATERIALIZED ({mine}),
        f AS MATERIALIZED ({_findings_of("mine")}),
        first AS MATERIALIZED (
            SELECT pp.i, f.person_id, min(f.report_on) AS first_on
            FROM f CROSS JOIN pp
            WHERE f.report_on BETWEEN pp.c_start AND pp.c_end
            GROUP BY pp.i, f.person_id),
        cohort AS (
            SELECT x.i, x.person_id, x.first_on, (
                       SELECT c.worker_id FROM mine m JOIN cases c ON c.case_id = m.case_id
                       WHERE m.person_id = x.person_id AND m.report_on = x.first_on
                       ORDER BY m.case_id LIMIT 1) AS worker_id,
                   (SELECT min(p.birth_on) FROM people p
                    WHERE p.person_id = x.person_id AND p._gone_on IS NULL) AS birth_on
            FROM first x)
        SELECT k.i, k.worker_id,
               sum(EXISTS (SELECT 1 FROM f WHERE f.person_id = k.person_id
                           AND f.report_on > date(k.first_on, '+14 days')
                           AND f.report_on < date(k.first_on, '+12 months'))),
               count(*)
        FROM cohort k
        WHERE k.first_on IN (SELECT report_on FROM mine WHERE person_id = k.person_id)
          AND (k.birth_on IS NULL OR date(k.birth_on, '+18 years') > k.first_on)
        GROUP BY k.i, k.worker_id"""
    return {"recurrence_12_months": grouped(q.conn, sql, q.cohort_params(12))}
