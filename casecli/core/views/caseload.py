"""Views over many cases: a caseload's case views, its ranked actions, what it waits on."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple, Protocol

from casecli.core.engine import casedata, engine, playbooks
from casecli.core.engine.barriers import PENDING_RESULTS, find_barriers
from casecli.core.engine.engine import Action, CaseView
from casecli.core.engine.steps import HEARINGS
from casecli.core.store.scope import Actor, cases_clause

BARRIER_EVENT_KINDS = (*PENDING_RESULTS, "supervisor_review", *HEARINGS)


def views(
    conn: sqlite3.Connection,
    where: str,
    params: list[Any] | tuple[Any, ...],
    *,
    today: date,
    books: dict[str, playbooks.Playbook],
    coef: dict[str, float],
    redact: bool = False,
    behind: dict[str, dict[str, float]] | None = None,
    me: str | None = None,
) -> list[CaseView]:
    """Every case matching ``where`` (SQL on cases aliased ``c``), evaluated for ``today``.

    ``behind``: per worker, the measures they are behind their goal on and by how many
    points (:func:`casecli.core.measures.focus.points_behind`), for the goal_impact term; ``me``
    the user, whose own cases say "you are" behind."""
    data = casedata.load(conn, where, params, payments_before=today.strftime("%Y-%m"))
    behind = behind or {}

    def whose(worker: object) -> str:
        return "you are" if worker == me else f"{worker} is"

    out = [
        engine.evaluate(
            d, playbooks.for_case(books, str(d.case["case_type"])), today, coef, redact=redact,
            behind=behind.get(str(d.case["worker_id"])), whose=whose(d.case["worker_id"]),
        )
        for d in data.values()
    ]  # fmt: skip
    return sorted(out, key=lambda v: (-v.urgency, v.case_id))


def _rank(a: Action) -> tuple[Any, ...]:
    return (-a.urgency, a.due_on or date.max, a.case_id, a.action)


def ranked_actions(case_views: list[CaseView], n: int | None = None) -> list[Action]:
    actions = sorted((a for v in case_views for a in v.actions), key=_rank)
    return actions if n is None else actions[:n]


def top_actions(case_views: list[Any], n: int) -> tuple[list[Action], bool]:
    """``ranked_actions(case_views, n)`` without making every case's actions: no action
    of a case ranks above the case's own urgency (the most urgent of its actions), so once
    ``n`` actions are in hand, a case less urgent than the n-th of them has none to add
    (a manager's first ``next`` of the day ranks the top of 20,000 cases' actions, not
    all of them). With whether the list is every action (no case was left out)."""
    import heapq

    found: list[Action] = []
    best: list[float] = []  # the n highest urgencies found so far (a heap: best[0] lowest)
    for v in sorted(case_views, key=lambda v: -v.urgency):
        if len(best) == n and v.urgency < best[0]:  # below the n-th so far: none of its
            return sorted(found, key=_rank)[:n], False  # actions, nor the next case's
        for a in v.actions:
            found.append(a)
            if len(best) < n:
                heapq.heappush(best, a.urgency)
            elif a.urgency > best[0]:
                heapq.heapreplace(best, a.urgency)
    return sorted(found, key=_rank)[:n], len(found) <= n


class WaitGroup(NamedTuple):
    what: str  # the service or kind of wait
    count: int  # type: ignore[assignment]  # shadows tuple.count, on purpose
    median_days: float
    oldest_days: int
    items: tuple[tuple[str, engine.Barrier], ...]  # (case id, barrier), oldest first


def waiting(case_views: Iterable[HasBarriers]) -> list[WaitGroup]:
    """Barriers grouped by what is awaited (a service, a result, court…), biggest first.

    A case counts once per group, with its oldest wait there (two referrals to substance
    treatment on one case are one case waiting), so ``count`` is a number of cases."""
    groups: dict[str, list[tuple[str, engine.Barrier]]] = defaultdict(list)
    for v in case_views:
        oldest: dict[str, engine.Barrier] = {}
        for b in v.barriers:
            key = (b.service or "").replace("_", " ") or b.what
            if key not in oldest or b.age_days > oldest[key].age_days:
                oldest[key] = b
        for key, b in oldest.items():
            groups[key].append((v.case_id, b))
    return _biggest_first([_group(what, items) for what, items in groups.items()])


def _group(what: str, items: list[tuple[str, engine.Barrier]]) -> WaitGroup:
    """The cases waiting on ``what`` (each case once, with its oldest wait there)."""
    items.sort(key=lambda cb: (-cb[1].age_days, cb[0]))  # oldest first; ties by case id
    ages = sorted(b.age_days for _, b in items)
    mid = len(ages) // 2
    middle = ages[mid] if len(ages) % 2 else (ages[mid - 1] + ages[mid]) / 2
    return WaitGroup(what, len(items), float(middle), ages[-1], tuple(items))


def _biggest_first(groups: list[WaitGroup]) -> list[WaitGroup]:
    return sorted(groups, key=lambda g: (-g.count, -g.median_days, g.what))


def waiting_again(
    groups: Iterable[WaitGroup], gone: set[str], fresh: Iterable[HasBarriers]
) -> list[WaitGroup]:
    """:func:`waiting` of the cases ``groups`` were made of, less those of ``gone``, with
    ``fresh`` (cases of ``gone`` as they are now; one of ``gone`` not among them waits on
    nothing now): only the groups they were or are in are made again (an office's
    bottlenecks after a write names a case or two)."""
    now = {g.what: g for g in waiting(fresh)}
    out = []
    for g in groups:
        new = now.pop(g.what, None)
        if new is None and not any(case_id in gone for case_id, _ in g.items):
            out.append(g)
            continue
        items = [cb for cb in g.items if cb[0] not in gone] + list(new.items if new else ())
        if items:
            out.append(_group(g.what, items))
    return _biggest_first([*out, *now.values()])


class HasBarriers(Protocol):
    """A case's id and what it waits on: a CaseView, or just its barriers."""

    @property
    def case_id(self) -> str: ...

    @property
    def barriers(self) -> list[engine.Barrier]: ...


class _Waits(NamedTuple):
    case_id: str
    barriers: list[engine.Barrier]


def bottlenecks(
    conn: sqlite3.Connection, where: str, params: list[Any] | tuple[Any, ...], *, today: date
) -> list[WaitGroup]:
    """What the open cases ``where`` selects wait on, grouped as :func:`waiting` groups them.

    The same barriers as the engine's (``barriers.find_barriers``), read from only the
    records they depend on and without evaluating the cases: an office's bottlenecks
    without loading and ranking every one of its cases.
    """
    return grouped(waits_of(conn, where, params, today=today))


def grouped(waits: dict[str, list[engine.Barrier]]) -> list[WaitGroup]:
    """:func:`waiting` of each case's waits (:func:`waits_of`)."""
    return waiting(_Waits(c, bs) for c, bs in waits.items())


def waits_of(
    conn: sqlite3.Connection, where: str, params: list[Any] | tuple[Any, ...], *, today: date,
    ids: list[str] | None = None,
) -> dict[str, list[engine.Barrier]]:  # fmt: skip
    """Per open case ``where`` selects (of ``ids`` alone, when given), what it waits on
    (:func:`bottlenecks`' barriers); a case waiting on nothing is left out (most of an
    office's)."""
    out: dict[str, list[engine.Barrier]] = {}
    for part in [None] if ids is None else [ids[i : i + 500] for i in range(0, len(ids), 500)]:
        clause, args = f"({where}) AND c.status = 'open'", list(params)
        if part is not None:
            clause += f" AND c.case_id IN ({', '.join('?' * len(part))})"
            args += part
        data = casedata.load(
            conn, clause, args, only=("referrals", "events", "barriers"),
            event_kinds=BARRIER_EVENT_KINDS,
        )  # fmt: skip
        for cid, d in data.items():
            if d.referrals or d.events or d.barriers:
                found = find_barriers(d, today)
                if found:
                    out[str(cid)] = found
    return out


def behind(
    conn: sqlite3.Connection, who: Actor, today: date, books: dict[str, Any]
) -> dict[str, Any]:
    """Per worker with open cases in ``who``'s scope, the measures they are behind their
    goal on this month (what the urgency ``goal_impact`` term reads); nothing is computed
    when no goal is set anywhere, and then the measures are not even imported (start-up)."""
    if not conn.execute("SELECT EXISTS (SELECT 1 FROM performance_goals)").fetchone()[0]:
        return {}
    from casecli.core.measures import focus, measures

    clause, params = cases_clause(who, "c")
    workers = [
        r[0]
        for r in conn.execute(
            f"SELECT DISTINCT c.worker_id FROM cases c WHERE c.status = 'open' AND {clause}"
            " AND c.worker_id IS NOT NULL",
            params,
        )
    ]
    options = measures.Options.from_playbooks(books)
    return focus.points_behind(conn, workers, today, options)


def open_views(conn: sqlite3.Connection, who: Actor, **kw: Any) -> list[CaseView]:
    """The open cases in ``who``'s scope, most urgent first (``casecli caseload`` of a
    worker; ``kw`` as :func:`views` takes them)."""
    clause, params = cases_clause(who, "c")
    return views(conn, f"{clause} AND c.status = 'open'", params, **kw)


def views_of(
    conn: sqlite3.Connection, who: Actor, case_ids: list[str], **kw: Any
) -> list[CaseView]:
    """These cases (of a board column, a bottleneck), those in ``who``'s scope, most
    urgent first."""
    clause, params = cases_clause(who, "c")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (case_id TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM wanted")
    conn.executemany("INSERT OR IGNORE INTO wanted VALUES (?)", [(c,) for c in case_ids])
    where = f"{clause} AND c.case_id IN (SELECT case_id FROM temp.wanted)"
    return views(conn, where, params, **kw)
