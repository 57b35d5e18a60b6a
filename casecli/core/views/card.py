"""The case card (``casecli case ID``, ``--json``, and the TUI's case screen): the engine's
view of the case, plus what a worker needs to see of it that the engine does not rank.

- **The worker** by name and unit, not only the id (issue 14 item 10).
- **A support case's money** (item 8): current support due and paid over the last
  :data:`SUPPORT_MONTHS` ledger months, the arrears balance and what was paid toward it,
  the last payment and the whole months since (:mod:`casecli.core.engine.payments`, the rule the
  "no payment" action uses), the order's date.
- **Each child in care** (item 9): the removal date, the time in care, the ASFA month
  (of 15) — from the engine's own count (``steps.Facts.asfa_month_15``), so the card and
  the ``tpr_petition`` step agree —, the current placement and its start, and the
  placement moves in this episode, counted as the CFSR placement-stability measure
  counts them (:func:`placement_moves`).

The sentences the card shows are made here, once, for both renderings (``cli/views.py``
with Rich, ``tui/widgets/case_card.py`` with Textual): they print them, escaped, and add
only styles. One module reads the store (:func:`load`); the rest are pure functions.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from casecli.core import words as w
from casecli.core.engine import casedata, payments, playbooks
from casecli.core.engine.barriers import Barrier
from casecli.core.engine.casedata import CaseData, Row
from casecli.core.engine.engine import CaseView, evaluate
from casecli.core.engine.steps import Facts, entry_date, to_date
from casecli.core.when import add_months

SUPPORT_MONTHS = 6  # the ledger months the card shows (the latest, up to this one)
RECENT = 6  # events under "Recent activity"
# Not placement moves (CFSR placement stability; child_welfare.NOT_MOVES): time away from
# the placement that is not a new placement.
NOT_MOVES = ("trial_home_visit", "runaway", "respite")


@dataclass(frozen=True)
class Worker:
    staff_id: str
    name: str | None
    unit_id: str | None
    unit_name: str | None


@dataclass(frozen=True)
class Month:
    month: str  # YYYY-MM
    current_due: int  # cents
    current_paid: int
    arrears_due: int | None  # the arrears balance at the start of the month
    arrears_paid: int | None


@dataclass(frozen=True)
class Support:
    order_on: date | None
    months: tuple[Month, ...]  # the last SUPPORT_MONTHS ledger months, oldest first
    months_unpaid: int | None  # whole months without a payment (None: owes nothing now)
    last_paid: str | None  # YYYY-MM of the last month with a payment, if any

    @property
    def current_due(self) -> int:
        return sum(m.current_due for m in self.months)

    @property
    def current_paid(self) -> int:
        return sum(m.current_paid for m in self.months)

    @property
    def arrears_paid(self) -> int:
        return sum(m.arrears_paid or 0 for m in self.months)

    @property
    def arrears_balance(self) -> int | None:
        """The latest month's arrears balance (at the start of that month)."""
        return self.months[-1].arrears_due if self.months else None


@dataclass(frozen=True)
class Child:
    person_id: str
    name: str | None
    removed_on: date  # this episode's removal
    entered_on: date  # its date of entry into care (adjudication, or removal + 60 days)
    days_in_care: int  # this episode, to today
    asfa_month: int | None  # the month in care of 15 (ASFA), None when the clock is stopped
    asfa_month_15: date | None  # the day month 15 ends (the engine's count)
    asfa_done_on: date | None  # a TPR petition filed or an exception recorded
    placement: str | None  # the current placement's setting
    placement_since: date | None
    moves: int  # placement moves this episode (placement_moves)


@dataclass
class Card:
    view: CaseView
    recent: list[dict[str, Any]] = field(default_factory=list)
    worker: Worker | None = None
    support: Support | None = None
    children: tuple[Child, ...] = ()


# Loading -------------------------------------------------------------------------------


def load(
    conn: sqlite3.Connection, case_id: str, *, today: date, books: dict[str, playbooks.Playbook],
    coef: dict[str, float], redact: bool = False,
) -> Card | None:  # fmt: skip
    """The card of ``case_id`` (the caller has checked the user may see it); None when a
    full export marked the case gone."""
    data = casedata.load(conn, "c.case_id = ?", [case_id]).get(case_id)
    if data is None:
        return None
    book = playbooks.for_case(books, str(data.case["case_type"]))
    view = evaluate(data, book, today, coef, redact=redact)
    return Card(
        view,
        recent_activity(conn, case_id),
        worker(conn, data.case["worker_id"]),
        support(data, today),
        children_in_care(data, book, today, view),
    )


def worker(conn: sqlite3.Connection, staff_id: str | None) -> Worker | None:
    if not staff_id:
        return None
    row = conn.execute(
        "SELECT name, unit_id, unit_name FROM staff WHERE staff_id = ?", (staff_id,)
    ).fetchone()
    return Worker(staff_id, *(row or (None, None, None)))


def recent_activity(
    conn: sqlite3.Connection, case_id: str, n: int = RECENT
) -> list[dict[str, Any]]:
    """The case's latest events done, missed or cancelled, and what users recorded."""
    rows = conn.execute(
        "SELECT kind, status, on_, person_id, source FROM ("
        "SELECT kind, status, coalesce(completed_on, scheduled_on) AS on_, person_id, 'export' AS source"
        " FROM events WHERE case_id = ? AND _gone_on IS NULL"
        " AND status IN ('completed', 'missed', 'cancelled')"
        " UNION ALL SELECT kind, 'completed', occurred_at, person_id, 'recorded' FROM recorded_events"
        " WHERE case_id = ?) AS done"
        # the same day's in one order on either store: what a user recorded first, then
        # by kind and person (a tie left to the plan came out otherwise on PostgreSQL); an
        # event with no date last (SQLite's DESC puts NULL last, PostgreSQL's first)
        " ORDER BY on_ IS NULL, on_ DESC, source DESC, kind, coalesce(person_id, '') LIMIT ?",
        (case_id, case_id, n),
    ).fetchall()
    keys = ("kind", "status", "on", "person_id", "source")
    return [dict(zip(keys, r, strict=True)) for r in rows]


# Pure parts ----------------------------------------------------------------------------


def support(data: CaseData, today: date) -> Support | None:
    """A child support case's money (None for a child welfare case)."""
    if data.case["program"] != "child_support":
        return None
    this = today.strftime("%Y-%m")
    ledger = sorted((p for p in data.payments if str(p["month"]) <= this), key=lambda p: p["month"])
    months = tuple(
        Month(str(p["month"]), int(p["current_due"] or 0), int(p["current_paid"] or 0),
              p["arrears_due"], p["arrears_paid"])
        for p in ledger[-SUPPORT_MONTHS:]
    )  # fmt: skip
    gap = payments.gap(ledger, today)
    paying = [str(p["month"]) for p in ledger if payments.paid(p)]
    return Support(
        to_date(data.case["order_established_on"]),
        months,
        gap.months if gap else None,
        paying[-1] if paying else None,
    )


def placement_moves(placements: list[Row]) -> int:
    """Placement moves in one removal episode, the rule of the CFSR placement-stability
    measure (``child_welfare.placement_stability``): each placement after the first (by
    ``start_on``, then id), except trial home visits, runaway and respite, and except a
    return to the provider of the last earlier placement that was none of those (same
    ``provider_id``: back to the foster home after a respite stay is no move). Without a
    ``provider_id`` a return cannot be told from a move, and counts as one."""
    ordered = sorted(placements, key=lambda p: (str(p["start_on"]), str(p["placement_id"])))
    moves = 0
    last_real: Row | None = None
    for i, p in enumerate(ordered):
        real = p["setting"] not in NOT_MOVES
        if i > 0 and real:
            same = (
                last_real is not None
                and p.get("provider_id") is not None
                and p.get("provider_id") == last_real.get("provider_id")
            )
            moves += 0 if same else 1
        if real:
            last_real = p
    return moves


def asfa_month(month_15: date, today: date) -> int:
    """The month in care (1 to 15) a child is in today, counted back from the day month
    15 ends: the months from today to that day's end, taken from 15 (month 15 ends
    2026-03-31: 2026-03-01 is month 15, 2026-02-28 month 14). Below 1 before entry."""
    end = month_15.toordinal() + 1  # the day after month 15
    left = 0
    while add_months(today, left + 1).toordinal() < end:
        left += 1
    return 15 - left


def children_in_care(
    data: CaseData, book: playbooks.Playbook, today: date, view: CaseView
) -> tuple[Child, ...]:
    """Each child with an open removal episode, in the order of the case's people."""
    if data.case["status"] != "open":
        return ()
    facts = Facts(data, book, today)
    names = {p["person_id"]: p["name"] for p in data.people}
    order = {p["person_id"]: i for i, p in enumerate(data.people)}
    tpr = {s.person_id: s for s in view.steps if s.step.due is not None
           and s.step.due.anchor == "asfa_month_15"}  # fmt: skip
    out = []
    for r in sorted(
        data.removals, key=lambda r: (order.get(r["person_id"], 1 << 30), str(r["removed_on"]))
    ):
        removed = to_date(r["removed_on"])
        if r["discharged_on"] or removed is None or removed > today:
            continue
        pid = r["person_id"]
        mine = [p for p in data.placements if p["removal_id"] == r["removal_id"]]
        now = [
            p for p in mine
            if (to_date(p["start_on"]) or date.max) <= today
            and (p["end_on"] is None or (to_date(p["end_on"]) or date.min) > today)
        ]  # fmt: skip
        current = max(now, key=lambda p: (str(p["start_on"]), str(p["placement_id"])), default=None)
        events = [e for e in data.events if e["person_id"] in (None, pid)]
        entered = entry_date(removed, events) or removed
        due, _ = facts.asfa_month_15(pid)
        step = tpr.get(pid)
        done_on = step.done_on if step is not None and step.status == "done" else None
        out.append(
            Child(
                pid, names.get(pid), removed, entered, (today - removed).days,
                asfa_month(due, today) if due is not None else None, due, done_on,
                current["setting"] if current else None,
                to_date(current["start_on"]) if current else None,
                placement_moves(mine),
            )
        )  # fmt: skip
    return tuple(out)


# The card's sentences ------------------------------------------------------------------


def _first(name: str | None, redact: bool) -> str:
    """'Kai Brown' or 'Brown, Kai' -> 'Kai'; initials when redacting."""
    if redact:
        return w.initials(name)
    name = (name or "").strip()
    if "," in name:
        name = name.split(",", 1)[1]
    return (name.split() or [""])[0]


def worker_words(who: Worker | None, staff_id: str | None, redact: bool) -> str:
    """'worker Avery Cole (W1), Unit One'; 'worker unassigned'."""
    if not staff_id:
        return "worker unassigned"
    if who is None or not who.name:
        return f"worker {staff_id}"
    name = w.initials(who.name) if redact else who.name
    unit = who.unit_name or who.unit_id
    return f"worker {name} ({staff_id})" + (f", {unit}" if unit else "")


def status_words(case: Row) -> str:
    """'open since 2026-11-24'; 'closed since 2026-05-01 (opened 2025-05-01)' — a closed
    case is closed since its closing date, never its opening (issue 14 item 1)."""
    opened = str(case["opened_on"] or "")[:10]
    if case["status"] == "closed":
        closed = str(case["closed_on"] or "")[:10]
        return f"closed since {closed} (opened {opened})" if closed else f"closed (opened {opened})"
    return f"{case['status']} since {opened}"


def facts_line(card: Card) -> str:
    """'open since 2026-11-24 · risk very high'."""
    c = card.view.case
    facts = [status_words(c)]
    if c["risk_level"]:
        facts.append(f"risk {str(c['risk_level']).replace('_', ' ')}")
    return " · ".join(facts)


def worker_line(card: Card, redact: bool) -> str:
    """'Worker Avery Cole (W1), Unit One': a line of its own, to fit 80 columns."""
    words = worker_words(card.worker, card.view.case["worker_id"], redact)
    return words[0].upper() + words[1:]


def goal_words(goal: Row) -> str:
    """'in progress 40%', 'achieved', 'not started': a percent only beside a goal in
    progress (never "achieved 40%", issue 14 item 4)."""
    status = str(goal["status"]).replace("_", " ")
    pct = goal["percent"]
    return f"{status} {pct}%" if pct is not None and goal["status"] == "in_progress" else status


def barrier_words(b: Barrier) -> str:
    """'#5 court date from the clerk — 12 days (since 2026-11-12)': a recorded barrier
    with its number, the one ``casecli resolve`` takes (issue 14 item 6)."""
    ref = f"#{b.number} " if b.number is not None else ""
    step = f" · holds {b.step}" if b.step else ""
    return f"{ref}{b.what} — {w.days(b.age_days)} (since {b.since.isoformat()}){step}"


def money(cents: int | float) -> str:
    return f"${cents / 100:,.2f}"


def _span(months: tuple[Month, ...], today: date) -> str:
    first, last = months[0].month, months[-1].month
    a, b = payments.month_words(first, today), payments.month_words(last, today)
    if first == last:
        return a
    if first[:4] == last[:4] and first[:4] != str(today.year):
        a = a.rsplit(" ", 1)[0]  # 'May to October 2025'
    return f"{a} to {b}"


def support_lines(s: Support, today: date) -> list[str]:
    """The money, in a few lines:

    Order established 2024-06-01.
    Current support, May to October: $2,100.00 due, $525.50 paid (25%).
    Arrears: $1,150.50 owed at the start of October; $50.00 paid toward them.
    Last payment in October (this month not counted: 0 months without one).
    """
    out = [
        f"Order established {s.order_on.isoformat()}." if s.order_on else "No support order yet."
    ]
    if not s.months:
        out.append("No payments on record.")
        return out
    share = f" ({s.current_paid / s.current_due:.0%})" if s.current_due else ""
    out.append(
        f"Current support, {_span(s.months, today)}: {money(s.current_due)} due, "
        f"{money(s.current_paid)} paid{share}."
    )
    balance = s.arrears_balance
    if balance:
        at = payments.month_words(s.months[-1].month, today)
        out.append(
            f"Arrears: {money(balance)} owed at the start of {at}; "
            f"{money(s.arrears_paid)} paid toward them in these months."
        )
    elif s.arrears_paid:
        out.append(f"Arrears: {money(s.arrears_paid)} paid toward them in these months.")
    if s.last_paid is None:
        out.append("No payment on record.")
    else:
        last = f"Last payment in {payments.month_words(s.last_paid, today)}"
        if s.months_unpaid:
            last += f": {w.plural(s.months_unpaid, 'month')} without a payment since"
        out.append(last + ".")
    return out


WHERE_WORDS = {
    "foster_family": "with a foster family", "relative": "with a relative",
    "group_home": "in a group home", "residential": "in residential care",
    "shelter": "in a shelter", "trial_home_visit": "home on a trial visit",
    "runaway": "away (runaway)", "respite": "in respite care", "other": "in another setting",
}  # fmt: skip


def _in_care(days: int) -> str:
    """'11 days', '3 months', '1 year 2 months'."""
    if days < 31:
        return w.days(days)
    months = int(days / 30.44)
    years, months = divmod(months, 12)
    parts = ([w.plural(years, "year")] if years else []) + (
        [w.plural(months, "month")] if months else []
    )
    return " ".join(parts)


def child_lines(child: Child, today: date, redact: bool) -> list[str]:
    """One child in care:

    Kai (P3): removed 2025-12-01, in care 11 months
      ASFA month 9 of 15 (month 15 ends 2027-04-30)
      with a foster family since 2025-12-10; 1 placement move
    """
    who = f"{_first(child.name, redact)} ({child.person_id})" if child.name else child.person_id
    head = f"{who}: removed {child.removed_on.isoformat()}, in care {_in_care(child.days_in_care)}"
    if child.asfa_done_on is not None:
        asfa_words = (
            f"ASFA: petition filed or exception documented {child.asfa_done_on.isoformat()}"
        )
    elif child.asfa_month_15 is None:
        asfa_words = "ASFA clock stopped (trial home visit or runaway)"
    elif child.asfa_month_15 < today:
        asfa_words = f"ASFA month 15 passed on {child.asfa_month_15.isoformat()}"
    elif child.asfa_month is not None and child.asfa_month < 1:
        asfa_words = f"ASFA months count from entry on {child.entered_on.isoformat()}"
    else:
        asfa_words = (
            f"ASFA month {child.asfa_month} of 15 (month 15 ends {child.asfa_month_15.isoformat()})"
        )
    if child.placement and child.placement_since:
        where = WHERE_WORDS.get(child.placement, f"in {child.placement.replace('_', ' ')}")
        where += f" since {child.placement_since.isoformat()}"
    else:
        where = "no current placement on record"
    return [head, f"  {asfa_words}", f"  {where}; {w.plural(child.moves, 'placement move')}"]
