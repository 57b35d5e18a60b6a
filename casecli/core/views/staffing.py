"""Cases nobody is working, and who could take them (issue 14, items 12 and 18).

Two kinds, both a supervisor's (or a manager's) to act on:

- **Unassigned cases**: an open case with no ``worker_id`` (a new intake waiting for
  assignment) is its unit's, or with no unit its office's (``casecli.core.store.scope``). Its
  clock runs from intake whoever holds it, so its most urgent action is the case's
  urgency; the supervisor sees these first ("Assign …"), each with who could take it.
- **Cases held by inactive staff**: open cases whose worker is marked inactive in
  staff.csv (``active`` false) wait for nobody: "2 open cases assigned to Stephanie
  Nguyen (inactive) — reassign". Ranked by the most urgent of those cases.

**Who could take it**: the active workers of the case's unit (for a case with only an
office, of the office) who carry an open case of the same case type, least capacity
used first (``load.Figures.capacity``, the one rule of the unit view: the open cases'
steady hours and the dated steps' effort due in the next 14 days, over two weeks of the
worker's hours), then by staff id; at most ``CANDIDATES`` of them.

Pure functions over the engine's case views and the staff rows; the one query that
reads the staff of a scope is :func:`staff_of`.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from casecli.core.engine.engine import Action, CaseView
from casecli.core.store.scope import Actor, staff_clause
from casecli.core.words import plural

CANDIDATES = 3


@dataclass(frozen=True)
class Worker:
    """A staff member as the lists name them: id, name, unit, whether active, and (for
    a worker whose caseload was evaluated) the capacity used."""

    staff_id: str
    name: str | None
    unit_id: str | None = None
    active: bool = True
    capacity: float | None = None


@dataclass(frozen=True)
class Unassigned:
    view: CaseView
    candidates: tuple[Worker, ...]

    @property
    def case_id(self) -> str:
        return self.view.case_id


@dataclass(frozen=True)
class HeldByInactive:
    worker: Worker
    case_ids: tuple[str, ...]  # most urgent first
    top: Action | None  # the most urgent action on those cases, if any


@dataclass(frozen=True)
class Owners:
    """What a scope's cases need an owner for: unassigned cases (most urgent first) and
    inactive workers still holding open cases (most urgent first)."""

    unassigned: tuple[Unassigned, ...] = ()
    held: tuple[HeldByInactive, ...] = ()


# Staff --------------------------------------------------------------------------------


def workers(conn: sqlite3.Connection, staff_ids: Iterable[object]) -> dict[str, Worker]:
    """The staff members named (their name, unit and whether active); unknown ids left out."""
    ids = sorted({str(s) for s in staff_ids if s is not None})
    out: dict[str, Worker] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ", ".join("?" for _ in chunk)
        for sid, name, unit_id, active in conn.execute(
            f"SELECT staff_id, name, unit_id, coalesce(active, 1) FROM staff"
            f" WHERE staff_id IN ({marks})",
            chunk,
        ):
            out[str(sid)] = Worker(str(sid), name, unit_id, bool(active))
    return out


def staff_of(conn: sqlite3.Connection, who: Actor) -> list[dict[str, Any]]:
    """The staff rows (as ``load.worker_load`` reads them) of ``who``'s unit or office:
    the workers who could take a case, and anyone holding one."""
    found = staff_clause(who)
    if found is None:
        return []
    where, params = found
    cur = conn.execute(
        "SELECT staff_id, name, unit_id, office_id, hours_per_week, coalesce(active, 1) AS active"
        f" FROM staff WHERE {where} AND _gone_on IS NULL ORDER BY staff_id",
        params,
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur]


# Pure ---------------------------------------------------------------------------------


def carried(views: Iterable[CaseView]) -> dict[str, set[str]]:
    """Per worker, the case types of their open cases."""
    out: dict[str, set[str]] = defaultdict(set)
    for v in views:
        worker = v.case.get("worker_id")
        if worker is not None and v.case.get("status") == "open":
            out[str(worker)].add(str(v.case["case_type"]))
    return out


def candidates(
    case: dict[str, Any] | Any,
    pool: Iterable[Worker],
    types: dict[str, set[str]],
    limit: int = CANDIDATES,
) -> tuple[Worker, ...]:
    """Who could take ``case``: active workers of its unit (of its office when it names
    no unit: ``pool`` is then the office's) carrying its case type, least loaded first."""
    unit_id = case.get("unit_id")
    fits = [
        w
        for w in pool
        if w.active
        and (unit_id is None or w.unit_id == unit_id)
        and str(case["case_type"]) in types.get(w.staff_id, set())
    ]
    fits.sort(key=lambda w: (w.capacity is None, w.capacity or 0.0, w.staff_id))
    return tuple(fits[:limit])


def owners(
    views: list[CaseView], pool: Iterable[Worker], types: dict[str, set[str]] | None = None
) -> Owners:
    """The unassigned cases among ``views`` (with who could take each) and the inactive
    workers of ``pool`` holding any of them. ``views`` come most urgent first. ``types``:
    the case types each worker of ``pool`` carries (:func:`carried`), when ``views`` are
    not all their cases (default: read from ``views``)."""
    pool = list(pool)
    by_id = {w.staff_id: w for w in pool}
    types = carried(views) if types is None else types
    unassigned = []
    held: dict[str, list[CaseView]] = defaultdict(list)
    for v in views:
        if v.case.get("status") != "open":
            continue
        worker = v.case.get("worker_id")
        if worker is None:
            unassigned.append(Unassigned(v, candidates(v.case, pool, types)))
        elif str(worker) in by_id and not by_id[str(worker)].active:
            held[str(worker)].append(v)
    out = []
    for sid, cases in held.items():
        actions = [a for v in cases for a in v.actions]
        top = max(actions, key=lambda a: (a.urgency, a.case_id), default=None)
        out.append(HeldByInactive(by_id[sid], tuple(v.case_id for v in cases), top))
    out.sort(key=lambda h: (-(h.top.urgency if h.top else 0.0), h.worker.staff_id))
    return Owners(tuple(unassigned), tuple(out))


def pool_from(
    staff: list[dict[str, Any]], views: list[CaseView], today: date, books: dict[str, Any]
) -> list[Worker]:
    """Each staff row as a Worker with the capacity used its open ``views`` give."""
    from casecli.core.views.load import worker_load  # only a supervisor's view pays for it

    mine: dict[str, list[CaseView]] = defaultdict(list)
    for v in views:
        if v.case.get("worker_id") is not None:
            mine[str(v.case["worker_id"])].append(v)
    out = []
    for s in staff:
        load = worker_load(s, mine.get(str(s["staff_id"]), []), today, books)
        out.append(
            Worker(load.staff_id, load.name, s.get("unit_id"), load.active, load.figures.capacity)
        )
    return out


# Words --------------------------------------------------------------------------------


def marked(name: str | None, active: bool) -> str:
    """A worker's name as every list shows it: '… (inactive)' when they are."""
    return (name or "") + ("" if active else " (inactive)")


def percent(capacity: float | None) -> str:
    return "—" if capacity is None else f"{capacity * 100:.0f}%"


def could_take(candidates: tuple[Worker, ...], name: Any = None, label: Any = None) -> str:
    """'could take it: Priya Ward (31%), Ava Ward (39%)' or 'nobody in the unit carries
    this case type'. ``name``: how a name is shown (initials when redacting); ``label``,
    when given, how a worker is shown (their name and id: 'P.W. (S0007)')."""
    show = name or (lambda n: n or "")
    shown = label or (lambda w: show(w.name))
    if not candidates:
        return "no active worker of the unit carries this case type"
    people = ", ".join(f"{shown(w)} ({percent(w.capacity)})" for w in candidates)
    return f"could take it: {people}"


def assign_sentence(u: Unassigned, name: Any = None, label: Any = None) -> str:
    """'Assign this investigation (opened 2026-11-23) — nobody holds it; could take it: …'
    (``name``, ``label``: as :func:`could_take`)."""
    kind = str(u.view.case["case_type"]).replace("_", " ")
    opened = str(u.view.case["opened_on"])[:10]
    take = could_take(u.candidates, name, label)
    return f"Assign this {kind} (opened {opened}) — nobody holds it; {take}"


def reassign_sentence(h: HeldByInactive, name: Any = None, label: Any = None) -> str:
    """'2 open cases assigned to Stephanie Nguyen (inactive) — reassign'."""
    show = name or (lambda n: n or "")
    who = (label(h.worker) if label else show(h.worker.name)) or h.worker.staff_id
    return f"{plural(len(h.case_ids), 'open case')} assigned to {who} (inactive) — reassign"


def actions(o: Owners, name: Any = None) -> tuple[list[Action], list[Action]]:
    """(assign actions, reassign actions) for ``casecli next``: an assign action has the
    urgency and terms of its case's most urgent action (the clock runs from intake); a
    reassign action those of the most urgent action on the inactive worker's cases."""
    assign = []
    for u in o.unassigned:
        top = max(u.view.actions, key=lambda a: a.urgency, default=None)
        assign.append(
            Action(
                u.case_id, assign_sentence(u, name), "assign", None,
                top.due_on if top else None, top.urgency if top else 0.0,
                top.terms if top else (),
            )
        )  # fmt: skip
    reassign = []
    for h in o.held:
        top = h.top
        reassign.append(
            Action(
                top.case_id if top else h.case_ids[0], reassign_sentence(h, name), "reassign",
                None, top.due_on if top else None, top.urgency if top else 0.0,
                top.terms if top else (),
            )
        )  # fmt: skip
    assign.sort(key=lambda a: (-a.urgency, a.case_id))
    return assign, reassign


class Ranked(NamedTuple):
    """A user's ranked actions (each with whose case it is), whether they are every one of
    them (``complete``: not cut at the ``limit`` asked), and whether the whole list, cut or
    not, names anyone but the user (``spans``: the list then shows whose each action is)."""

    pairs: list[tuple[Action, Worker | None]]
    complete: bool
    spans: bool


def ranked(
    conn: sqlite3.Connection,
    who: Actor,
    views: list[CaseView],
    today: date,
    name: Any = None,
    *,
    books: dict[str, Any],
    limit: int | None = None,
) -> Ranked:
    """``who``'s ranked actions over ``views`` (their scope's open cases), each with the
    worker whose case it is (None: nobody's). For a supervisor, a manager or an admin the
    unassigned cases come first ("Assign …", most urgent first), and each inactive worker
    holding open cases is one "reassign" action ranked among the rest by the most urgent
    action on those cases; a worker's list is unchanged. ``limit``: the assign actions and
    the ``limit`` most urgent of the rest (the head of the whole list, as long)."""
    from casecli.core.views import caseload

    if limit is None:
        rest, complete = caseload.ranked_actions(views), True
    else:
        rest, complete = caseload.top_actions(views, limit)
    first: list[Action] = []
    reassign: list[Action] = []
    if who.role != "worker":
        pool = pool_from(staff_of(conn, who), views, today, books)
        assign, reassign = actions(owners(views, pool), name)
        first = assign
        # the same order among the rest as ranked_actions', a reassign after a tie
        rest = sorted(
            [*rest, *reassign],
            key=lambda a: (
                -a.urgency,
                a.kind != "reassign",
                a.due_on or date.max,
                a.case_id,
                a.action,
            ),
        )
        if limit is not None:
            complete = complete and len(rest) <= limit
            rest = rest[:limit]
    whose = {v.case_id: v.case.get("worker_id") for v in views}
    # the whole list names someone else if any case with an action is another's (or
    # nobody's), or an assign or reassign action is
    spans = any(
        v.next_action is not None and v.case.get("worker_id") != who.staff_id for v in views
    ) or any(whose.get(a.case_id) != who.staff_id for a in [*first, *reassign])
    staff = workers(conn, {w for w in whose.values() if w is not None})
    out: list[tuple[Action, Worker | None]] = []
    for a in [*first, *rest]:
        sid = whose.get(a.case_id)
        out.append((a, staff.get(str(sid)) if sid is not None else None))
    return Ranked(out, complete, spans)
