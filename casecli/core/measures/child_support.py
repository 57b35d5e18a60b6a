"""The federal child support (IV-D) performance measures, in set-based SQL.

Each function takes a :class:`~casecli.core.measures.query.Query` (a set of cases as an SQL
condition on ``cases c``, one or more periods, today) and returns, per measure it
computes, the counts grouped by period (its index in ``Query.periods``) and by the
worker the case is assigned to (``cases.worker_id``). So one statement gives a
worker's, their unit's and their office's figures (every counted item belongs to
exactly one case, so to one worker), for the period asked about and the months of a
trend at once. The periods are the rows of a small table ``pp`` (see ``Query.pp``):
``i, p_start, p_end, as_of, m_first, m_last, c_start, c_end``; ``CROSS JOIN pp`` keeps
the cases the outer loop, so they are read once whatever the number of periods.

Rules shared by all four (DOMAIN.md): only IV-D cases (``program = child_support``)
count; records a full export dropped (``_gone_on``) are left out; a point-in-time
measure looks at the period's last day, or at today while the period still runs
(``as_of``); a case is open on a day when it was opened on or before it and not closed
before it, so a case closed on the period's last day still counts as open.

``cost_effectiveness`` (dollars collected / dollars spent, DOMAIN.md; 42 USC
658a(b)(6)(E): "the total amount collected during the fiscal year … divided by the total
amount expended during the fiscal year", read on 45 CFR 305.33 Table 3) is an office's
measure: its numerator, the support distributed in the office's IV-D cases, comes from
the payments query (:func:`collections`), grouped by worker like the others; its
divisor is the office's ``expenditures`` for the fiscal year from costs.csv
(:func:`expenditures`); :func:`casecli.core.measures.measures.office_result` puts them together.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from casecli.core.measures.query import Query

# (period index, worker id) -> (numerator, denominator, pending)
Rows = dict[tuple[int, str | None], tuple[int, int, int]]

OPEN_ON = (
    "substr(c.opened_on, 1, 10) <= pp.as_of AND (c.closed_on IS NULL OR c.closed_on >= pp.as_of)"
)


def grouped(conn: sqlite3.Connection, sql: str, params: dict[str, Any]) -> Rows:
    """Rows of (period index, worker_id, numerator, denominator[, pending])."""
    out: Rows = {}
    for row in conn.execute(sql, params):
        pending = int(row[4] or 0) if len(row) > 4 else 0
        out[(int(row[0]), row[1])] = (int(row[2] or 0), int(row[3] or 0), pending)
    return out


def support_orders(q: Query) -> dict[str, Rows]:
    """IV-D cases with a support order / IV-D cases, at a point in time.

    Denominator: IV-D cases open on the period's last day (today while the period
    runs). Numerator: those of them with ``order_established_on`` on or before that
    day; any enforceable order counts ($0 and medical-only too), and the export says
    only that an order exists since a date, so no order type is looked at.
    """
    sql = f"""
        WITH pp(i, p_start, p_end, as_of, m_first, m_last, c_start, c_end) AS ({q.pp()})
        SELECT pp.i, c.worker_id,
               sum(c.order_established_on IS NOT NULL AND c.order_established_on <= pp.as_of),
               count(*)
        FROM cases c CROSS JOIN pp
        WHERE c._gone_on IS NULL AND c.program = 'child_support' AND ({q.where}) AND {OPEN_ON}
        GROUP BY pp.i, c.worker_id"""
    return {"support_orders": grouped(q.conn, sql, q.params())}


_PAYMENTS = """
        FROM cases c JOIN payments pm ON pm.case_id = c.case_id
             AND pm.month BETWEEN :lo_month AND :hi_month
        CROSS JOIN pp
        WHERE pm._gone_on IS NULL AND c._gone_on IS NULL AND c.program = 'child_support'
          AND pm.month BETWEEN pp.m_first AND pp.m_last AND ({where})"""


def collections(q: Query) -> dict[str, Rows]:
    """Both payments measures from one read of the cases' payments rows (each read of an
    office's payments costs ~0.3 s at 1.3 million cases).

    ``current_collections``: current support distributed / current support due, summed
    over the period's months. Money stays in integer cents (the numerator and denominator
    are cents). The months are the calendar months the period touches, up to today's
    month; payments rows are one per case and month, arrears payments are not in
    ``current_paid`` so they are excluded by construction. Every IV-D case with a payments
    row counts, open or not (a case closed in March still had support due in January).
    Paid is not capped at due: the formula is the sums as DOMAIN.md gives them.

    ``arrears_collections``: cases paying toward arrears during the period / cases with
    arrears due: cases, not dollars. Denominator: IV-D cases with ``arrears_due > 0`` in at
    least one month of the period (months as for current collections). Numerator: those of
    them with ``arrears_paid > 0`` in at least one month of the period (a case that paid
    toward arrears but owed none in the period is not in the denominator, so not counted).

    ``cost_effectiveness``, its numerator only: the dollars collected, in cents, taken
    as all support distributed in the IV-D cases over the period's months, current and
    arrears: ``current_paid + arrears_paid`` (payments.csv's "distributed" amounts;
    the statute's "total amount collected … under the State plan" counts every IV-D
    collection, not current support alone, and the export has no other collections).
    Same cases and months as above (so a running year is to date); the denominator is
    0 here: expenditures belong to an office, not a worker (:func:`expenditures`). One
    more sum over rows this query reads anyway, so the measure costs no query of its own.
    """
    sql = f"""
        WITH pp(i, p_start, p_end, as_of, m_first, m_last, c_start, c_end) AS ({q.pp()})
        SELECT i, worker_id, sum(paid), sum(due), sum(arrears_paid AND arrears_due),
               sum(arrears_due), sum(collected)
        FROM (SELECT pp.i, c.worker_id, sum(pm.current_paid) AS paid,
                     sum(pm.current_due) AS due,
                     sum(pm.current_paid + coalesce(pm.arrears_paid, 0)) AS collected,
                     max(coalesce(pm.arrears_paid, 0) > 0) AS arrears_paid,
                     max(coalesce(pm.arrears_due, 0) > 0) AS arrears_due
              {_PAYMENTS.format(where=q.where)}
              GROUP BY pp.i, c.worker_id, pm.case_id) AS per_case
        GROUP BY i, worker_id"""
    current: Rows = {}
    arrears: Rows = {}
    collected: Rows = {}
    for i, worker, paid, due, paying, owing, total in q.conn.execute(sql, q.params()):
        current[(int(i), worker)] = (int(paid or 0), int(due or 0), 0)
        if owing:
            arrears[(int(i), worker)] = (int(paying or 0), int(owing), 0)
        collected[(int(i), worker)] = (int(total or 0), 0, 0)
    return {
        "current_collections": current,
        "arrears_collections": arrears,
        "cost_effectiveness": collected,
    }


def expenditures(conn: sqlite3.Connection, ffy_label: str) -> dict[str, int]:
    """Each office's IV-D administrative expenditures (cents) for the fiscal year
    ``ffy_label`` (FFY2026), from costs.csv; rows a full export dropped are left out."""
    rows = conn.execute(
        "SELECT office_id, expenditures FROM costs WHERE period = ? AND _gone_on IS NULL",
        (ffy_label,),
    )
    return {str(office): int(cents) for office, cents in rows}


def paternity_establishment(q: Query) -> dict[str, Rows]:
    """The IV-D PEP, as 42 USC 652(g)(2)(A) defines it: children in the IV-D caseload
    born out of wedlock with paternity established or acknowledged / children in the IV-D
    caseload born out of wedlock at the end of the **preceding** year. It can exceed 100%.

    Numerator: ``people`` rows with ``role = child``, ``born_out_of_wedlock = 1`` and
    ``paternity_established_on`` on or before the period's last day (today while it runs),
    born by then when a birth date is known, in IV-D cases open on that day. Denominator:
    such children (paternity established or not) in IV-D cases open on the same day one
    year earlier, born by then: for a fiscal year, the end of the preceding fiscal year
    (FFY2026 → 2025-09-30); for a month or a range, the day a year before its last day.
    Both count (case, child) pairs, under the worker the case is assigned to now. The
    statewide PEP (against all births out of wedlock in the state, from vital records) is
    out of scope: the export carries only the caseload.
    """
    year_ago = OPEN_ON.replace("pp.as_of", "pp.prev")
    sql = f"""
        WITH p0(i, p_start, p_end, as_of, m_first, m_last, c_start, c_end) AS ({q.pp()}),
        pp AS MATERIALIZED (SELECT *, date(as_of, '-1 year') AS prev FROM p0)
        SELECT i, worker_id, sum(now_established), sum(year_before)
        FROM (SELECT pp.i, c.worker_id,
                     {OPEN_ON} AND (p.birth_on IS NULL OR p.birth_on <= pp.as_of)
                       AND p.paternity_established_on IS NOT NULL
                       AND p.paternity_established_on <= pp.as_of AS now_established,
                     {year_ago} AND (p.birth_on IS NULL OR p.birth_on <= pp.prev)
                       AS year_before
              FROM cases c JOIN people p ON p.case_id = c.case_id CROSS JOIN pp
              WHERE p._gone_on IS NULL AND c._gone_on IS NULL
                AND c.program = 'child_support' AND p.role = 'child'
                AND p.born_out_of_wedlock = 1 AND ({q.where})
                AND substr(c.opened_on, 1, 10) <= pp.as_of
                AND (c.closed_on IS NULL OR c.closed_on >= pp.prev)) AS per_child
        GROUP BY i, worker_id
        HAVING sum(now_established) > 0 OR sum(year_before) > 0"""
    return {"paternity_establishment": grouped(q.conn, sql, q.params())}
