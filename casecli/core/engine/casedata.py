"""Loading what the engine needs about a set of cases, in a few set-based queries.

The engine is pure; this module is the only one that reads the store for it. Rows come
back as plain dicts keyed by contract column names. Records a full export marked gone
are left out; so is anything of a case outside the caller's list.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]


@dataclass
class CaseData:
    case: Row
    people: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)  # export events + recorded ones, merged
    referrals: list[Row] = field(default_factory=list)
    signals: list[Row] = field(default_factory=list)
    removals: list[Row] = field(default_factory=list)
    placements: list[Row] = field(default_factory=list)
    goals: list[Row] = field(default_factory=list)  # case_goals + latest local progress
    barriers: list[Row] = field(default_factory=list)  # open barriers users recorded
    payments: list[Row] = field(default_factory=list)

    @property
    def case_id(self) -> str:
        return str(self.case["case_id"])


def _rows(cur: sqlite3.Cursor) -> list[Row]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur]


def load(
    conn: sqlite3.Connection,
    where: str,
    params: list[Any] | tuple[Any, ...] = (),
    *,
    only: tuple[str, ...] | None = None,
    event_kinds: tuple[str, ...] | None = None,
    payments_before: str | None = None,
) -> dict[str, CaseData]:
    """Every case matching ``where`` (SQL on the cases table aliased ``c``), with its records.

    ``only`` names the CaseData lists to fill (default: all; "case" for the case's own row,
    else ``case`` holds its id alone); ``event_kinds`` limits the
    events loaded. A caller that needs a part of the picture (the bottlenecks) reads less.
    ``payments_before`` (a month, ``YYYY-MM``): load only the payments rows the engine
    looks at — each case's latest month before that month (``steps.Facts``: is the case
    paying?), its last month with a payment up to that month and its first month with
    anything owed (:func:`casecli.core.engine.payments.gap`) — instead of its whole ledger (13
    rows a case in the demo; 180k rows for an office).
    """
    conn.execute("DROP TABLE IF EXISTS temp.sel")
    conn.execute(
        f"CREATE TEMP TABLE sel AS SELECT c.case_id FROM cases c WHERE ({where}) AND c._gone_on IS NULL",
        tuple(params),
    )
    conn.execute("CREATE UNIQUE INDEX temp.sel_case ON sel(case_id)")
    try:
        return _load_selected(conn, only, event_kinds, payments_before)
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.sel")


def _load_selected(
    conn: sqlite3.Connection,
    only: tuple[str, ...] | None,
    event_kinds: tuple[str, ...] | None,
    payments_before: str | None,
) -> dict[str, CaseData]:
    # Every list in a case's order of ids (what SQLite's indexes give for free): the people
    # a sentence names, the signals it lists, come in one order on either store, whatever
    # order the export's rows or PostgreSQL's plan have.
    out: dict[str, CaseData] = {}
    cases_cols = "case_id, program, case_type, status, opened_on, closed_on, worker_id, name, risk_level, response_hours, permanency_goal, goal_target_on, order_established_on, updated_at, unit_id, office_id"
    if only is not None and "case" not in only:  # the case's own row is not asked for: its id
        cases_sql = "SELECT case_id FROM sel ORDER BY case_id"
    else:
        cases_sql = f"SELECT {cases_cols} FROM cases WHERE case_id IN (SELECT case_id FROM sel) ORDER BY case_id"
    for row in _rows(conn.execute(cases_sql)):
        out[row["case_id"]] = CaseData(row)

    def each(sql: str, attr: str) -> None:
        if only is not None and attr not in only:
            return
        for row in _rows(conn.execute(sql)):
            data = out.get(row["case_id"])
            if data is not None:
                getattr(data, attr).append(row)

    live = "_gone_on IS NULL AND case_id IN (SELECT case_id FROM sel)"
    each(
        f"SELECT person_id, case_id, role, name, birth_on, born_out_of_wedlock, paternity_established_on FROM people WHERE {live} ORDER BY case_id, person_id",
        "people",
    )
    each(
        "SELECT event_id AS id, 'export' AS source, case_id, kind, status, scheduled_on, completed_on,"
        f" person_id, staff_id, location, result, NULL AS note FROM events WHERE {live}"
        + (f" AND kind IN ({', '.join(repr(k) for k in event_kinds)})" if event_kinds else "")
        + " ORDER BY case_id, event_id",
        "events",
    )
    each(
        f"SELECT referral_id, case_id, service, status, referred_on, person_id, provider, started_on, ended_on FROM referrals WHERE {live} ORDER BY case_id, referral_id",
        "referrals",
    )
    each(
        f"SELECT removal_id, case_id, person_id, removed_on, discharged_on, discharge_reason FROM removals WHERE {live} ORDER BY case_id, removal_id",
        "removals",
    )
    each(
        "SELECT p.placement_id, r.case_id, p.removal_id, p.setting, p.start_on, p.end_on, p.provider_id FROM placements p"
        " JOIN removals r USING (removal_id) WHERE p._gone_on IS NULL AND r.case_id IN (SELECT case_id FROM sel)"
        " ORDER BY r.case_id, r.removal_id, p.placement_id",
        "placements",
    )
    if payments_before is not None and not (
        len(payments_before) == 7
        and payments_before[:4].isdigit()
        and payments_before[5:].isdigit()
    ):
        raise ValueError(f"payments_before must be YYYY-MM, not {payments_before!r}")
    if payments_before:
        # Per case, in one pass over its ledger: the latest month before ``payments_before``
        # (is the case paying?), the last month with a payment up to it and the first
        # month anything was owed (how long without a payment: casecli.core.engine.payments).
        pay = "(q.current_paid > 0 OR coalesce(q.arrears_paid, 0) > 0)"
        owe = "(q.current_due > 0 OR coalesce(q.arrears_due, 0) > 0)"
        each(
            "WITH k AS (SELECT q.case_id,"
            f" max(q.month) FILTER (WHERE q.month < '{payments_before}') AS a,"
            f" max(q.month) FILTER (WHERE q.month <= '{payments_before}' AND {pay}) AS b,"
            f" min(q.month) FILTER (WHERE q.month <= '{payments_before}' AND {owe}) AS c"
            " FROM payments q WHERE q._gone_on IS NULL AND q.case_id IN (SELECT case_id FROM sel)"
            " GROUP BY q.case_id)"
            " SELECT p.case_id, p.month, p.current_due, p.current_paid, p.arrears_due, p.arrears_paid"
            " FROM k JOIN payments p ON p.case_id = k.case_id AND p.month IN (k.a, k.b, k.c)"
            " WHERE p._gone_on IS NULL ORDER BY p.case_id, p.month",
            "payments",
        )
    else:
        each(
            "SELECT case_id, month, current_due, current_paid, arrears_due, arrears_paid FROM payments"
            f" WHERE {live} ORDER BY month",
            "payments",
        )
    each(
        "SELECT g.goal_id, g.case_id, g.description, g.person_id, g.target_on, g.status AS export_status,"
        " (SELECT percent FROM goal_progress p WHERE p.goal_id = g.goal_id AND p.percent IS NOT NULL ORDER BY p.id DESC LIMIT 1) AS percent,"
        " (SELECT max(id) FROM goal_progress p WHERE p.goal_id = g.goal_id AND p.percent IS NOT NULL) AS percent_id,"
        " (SELECT status FROM goal_progress p WHERE p.goal_id = g.goal_id AND p.status IS NOT NULL ORDER BY p.id DESC LIMIT 1) AS local_status,"
        " (SELECT max(id) FROM goal_progress p WHERE p.goal_id = g.goal_id AND p.status IS NOT NULL) AS status_id"
        " FROM case_goals g WHERE g._gone_on IS NULL AND g.case_id IN (SELECT case_id FROM sel)"
        " ORDER BY g.case_id, g.goal_id",
        "goals",
    )
    for goal in (g for d in out.values() for g in d.goals):  # empty unless loaded
        _goal_progress(goal)
    each(
        "SELECT barrier_id, case_id, what, service, step, expect_on, opened_on, opened_by, note FROM barriers"
        " WHERE resolved_on IS NULL AND case_id IN (SELECT case_id FROM sel)"
        " ORDER BY case_id, barrier_id",
        "barriers",
    )
    if only is not None and "signals" not in only:
        if "events" in only:
            _merge_recorded(conn, out)
        return out
    # Signals name a case, a person, or both: a person's signal reaches each of their cases.
    seen: set[tuple[str, str]] = set()
    for row in _rows(
        conn.execute(
            "SELECT signal_id, kind, observed_on, person_id, source, detail, case_id FROM ("
            "SELECT s.signal_id, s.kind, s.observed_on, s.person_id, s.source, s.detail, s.case_id,"
            " 0 AS part FROM signals s"
            " WHERE s._gone_on IS NULL AND s.case_id IN (SELECT case_id FROM sel)"
            " UNION ALL SELECT s.signal_id, s.kind, s.observed_on, s.person_id, s.source, s.detail,"
            " p.case_id, 1 AS part FROM signals s JOIN people p ON p.person_id = s.person_id"
            " WHERE s._gone_on IS NULL AND p._gone_on IS NULL AND p.case_id IN (SELECT case_id FROM sel)"
            ") AS x ORDER BY case_id, part, CASE part WHEN 1 THEN person_id END, signal_id"
        )
    ):
        key = (row["signal_id"], row["case_id"])
        if key not in seen and row["case_id"] in out:
            seen.add(key)
            out[row["case_id"]].signals.append(row)
    _merge_recorded(conn, out)
    return out


def _goal_progress(goal: Row) -> None:
    """A goal's status and percent, the latest recorded progress winning (issue 14 item
    4): a status recorded after the last percent sets it (achieved is 100%, not started
    and not achieved have none; in progress keeps the percent); a percent recorded after
    the last status sets the percent (100 is achieved, less is in progress)."""
    status = goal["local_status"] or goal["export_status"] or "not_started"
    percent = goal["percent"]
    status_newer = goal["status_id"] is not None and (
        goal["percent_id"] is None or goal["status_id"] > goal["percent_id"]
    )
    if status_newer or percent is None:
        if status == "achieved":
            percent = 100
        elif status != "in_progress":
            percent = None
    else:
        if percent >= 100:
            status = "achieved"
        elif percent > 0:
            status = "in_progress"
        elif status == "achieved":
            status = "not_started"
    goal["status"], goal["percent"] = status, percent
    for key in ("percent_id", "status_id"):
        del goal[key]


def _merge_recorded(conn: sqlite3.Connection, out: dict[str, CaseData]) -> None:
    """Add what users recorded; one that the export later carried too counts once."""
    for r in recorded_events_for(conn, list(out)):
        if r["linked_event_id"] is not None:
            continue  # the export carries the same fact: linked, not counted twice
        out[r["case_id"]].events.append(
            {
                "id": f"local:{r['id']}",
                "source": "recorded",
                "case_id": r["case_id"],
                "kind": r["kind"],
                "status": "completed",
                "scheduled_on": None,
                "completed_on": r["occurred_at"],
                "person_id": r["person_id"],
                "staff_id": r["recorded_by"],
                "location": r["location"],
                "result": r["result"],
                "note": r["note"],
            }
        )


_SAME_FACT = """
    SELECT e.event_id FROM events e
    WHERE e.case_id = r.case_id AND e.kind = r.kind AND e.status = 'completed'
      AND e._gone_on IS NULL AND substr(e.completed_on, 1, 10) = substr(r.occurred_at, 1, 10)
      AND {person}
    ORDER BY e.event_id LIMIT 1
"""
# The same person first; else an event where either side names no one.
_LINK = (
    f"COALESCE(r.event_id, ({_SAME_FACT.format(person='e.person_id = r.person_id')}),"
    f" ({_SAME_FACT.format(person='(e.person_id IS NULL OR r.person_id IS NULL)')}))"
)


def recorded_events_for(conn: sqlite3.Connection, case_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The events users recorded on these cases, each with ``linked_event_id``.

    ``linked_event_id`` is the export event that carries the same fact, if any: same
    case and kind, completed on the same date, for the same person (or either names no
    one). A reader counts an export event and its linked recorded event once.
    """
    cur = conn.execute(
        "SELECT r.id, r.case_id, r.kind, r.person_id, r.occurred_at, r.location, r.result,"
        f" r.note, r.recorded_by, r.recorded_at, {_LINK} AS linked_event_id"
        " FROM recorded_events r WHERE r.case_id IN (SELECT value FROM json_each(?))"
        " ORDER BY r.case_id, r.occurred_at, r.id",
        (json.dumps(list(case_ids)),),
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]
