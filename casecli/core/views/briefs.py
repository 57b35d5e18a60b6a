"""Many open cases evaluated for a view, as kept briefs (``casecli.core.local.kept``): what
the unit, office and ranked views read instead of evaluating every case each time.

- :func:`kept_views`: the open cases a condition selects, the assigned ones as kept briefs
  (evaluated only where nothing true is kept), the unassigned ones evaluated whole;
- :func:`refresh_briefs`: after a sync, the changed cases among those kept evaluated again,
  as the next view would;
- a large evaluation is split with a second process on a machine with two cores
  (``_briefs_apart``, ``casecli.core.apart``), on a personal store and a team store alike.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

from casecli.core.engine import playbooks
from casecli.core.local import kept
from casecli.core.views import caseload
from casecli.core.views.load import case_figures, parts_of


@kept.bulk()
def kept_views(
    conn: sqlite3.Connection,
    where: str,
    params: list[Any] | tuple[Any, ...],
    *,
    assigned: tuple[str, list[Any]] | None = None,
    today: date,
    books: dict[str, playbooks.Playbook],
    coef: dict[str, float],
    redact: bool = False,
    behind: dict[str, dict[str, float]] | None = None,
    me: str | None = None,
    full: bool = False,
) -> list[Any]:
    """``caseload.views`` for the open cases ``where`` selects, most urgent first, for
    the views over many cases: the assigned ones as kept briefs (``casecli.core.local.kept``:
    evaluated only where nothing true is kept; ``full``: with every action, for ranked
    lists), the unassigned ones evaluated whole (the owners list shows their actions; they
    are few). ``behind`` and ``me`` as ``caseload.views`` takes them; a case's brief is
    kept per what they give its worker (the variant). ``assigned``: the part of ``where``
    that selects its assigned cases, as a condition on ``c.worker_id`` alone
    (``scope.assigned_clause``), which the index of a worker's cases answers without
    reading a case (``where`` is used when not given)."""
    behind = behind or {}
    kw: dict[str, Any] = {"today": today, "books": books, "coef": coef, "redact": redact}
    kw |= {"behind": behind, "me": me}
    mine, mine_params = assigned or (where, list(params))
    cases = sorted(
        (str(c), str(w)) for c, w in conn.execute(ASSIGNED.format(where=mine), mine_params)
    )
    variants = {
        w: v
        for w in {w for _, w in cases}
        if (v := variant(behind.get(w), me is not None and w == me))
    }

    def evaluate(missing: list[str]) -> list[kept.Brief]:
        return _briefs_apart(conn, missing, kw) or _briefs_here(conn, missing, kw)

    briefs = kept.briefs(
        conn, cases, today=today, books=books, coef=coef, redact=redact, evaluate=evaluate,
        variants=variants, full=full,
    )  # fmt: skip
    nobody = caseload.views(
        conn, f"c.status = 'open' AND c.worker_id IS NULL AND ({where})", list(params), **kw
    )
    return sorted([*briefs, *nobody], key=lambda v: (-v.urgency, v.case_id))


def refresh_briefs(
    conn: sqlite3.Connection, *, today: date, books: dict[str, playbooks.Playbook],
    coef: dict[str, float],
) -> None:  # fmt: skip
    """After a sync: evaluate again the cases it changed among those whose briefs are kept
    for ``today`` or later (by these playbooks and urgency settings, either redact
    setting, each worker's variant), and keep them, as the first view would have; that
    view then reads them. A sync into a store with nothing kept evaluates nothing (issue
    15 item 3); one after the nightly warm of a 60,000-case office's manager, 3,822 of
    whose cases a 1% delta changed, paid about 2.5 s for it (in one process: no group has
    enough changed cases for a second), and each manager command after it 1-1.5 s less."""
    rows = kept.kept_rows(conn, today)
    if not rows:
        return
    stamps = {kept.stamp(conn, books, coef, r): r for r in (False, True)}
    changes: dict[tuple[Any, ...], list[dict[str, int]]] = {}  # (read once for every group)
    groups: dict[tuple[str, bool, str], list[str]] = {}
    for worker, kind, stamp, day in rows:
        if stamp in stamps:
            groups.setdefault((day, stamps[stamp], kind), []).append(worker)
    for (day, redact, kind), workers in sorted(groups.items()):
        try:
            behind, mine = _unvariant(kind)
        except (ValueError, TypeError):  # a cell not as written: its view evaluates them
            continue
        held = _held(conn, sorted(workers))
        for who in [[w] for w in sorted(workers)] if mine else _chunks(held):
            kw: dict[str, Any] = {"today": date.fromisoformat(day), "books": books,
                                  "coef": coef, "redact": redact,
                                  "behind": {w: behind for w in who} if behind else {},
                                  "me": who[0] if mine else None}  # fmt: skip
            cases = sorted((c, w) for w in who for c in held.get(w, []))

            def evaluate(missing: list[str], kw: dict[str, Any] = kw) -> list[kept.Brief]:
                return _briefs_apart(conn, missing, kw) or _briefs_here(conn, missing, kw)

            kept.briefs(
                conn, cases, today=kw["today"], books=books, coef=coef, redact=redact,
                evaluate=evaluate, variants=dict.fromkeys(who, kind) if kind else {},
                read=False, changes=changes,
            )  # fmt: skip


def _held(conn: sqlite3.Connection, workers: list[str]) -> dict[str, list[str]]:
    """Each of ``workers`` with their open assigned cases (none: an empty list), in order."""
    out: dict[str, list[str]] = {w: [] for w in workers}
    for i in range(0, len(workers), 500):
        part = workers[i : i + 500]
        where = f"c.worker_id IN ({', '.join('?' * len(part))})"
        for c, w in conn.execute(ASSIGNED.format(where=where), part):
            out[str(w)].append(str(c))
    return out


def _chunks(held: dict[str, list[str]], most: int = 6_000) -> list[list[str]]:
    """The workers of ``held`` in groups holding about ``most`` open cases at most (one
    worker may hold more): what a sync brings up to date at once, so that its memory stays
    bounded (a 60,000-case office's briefs at once took the sync from 120 MB to 340 MB)."""
    out: list[list[str]] = [[]]
    count = 0
    for w, cases in held.items():
        if out[-1] and count + len(cases) > most:
            out.append([])
            count = 0
        out[-1].append(w)
        count += len(cases)
    return out


def _unvariant(kind: str) -> tuple[dict[str, float], bool]:
    """The goals behind and whether the user is the worker, from :func:`variant`'s text."""
    if not kind:
        return {}, False
    items, mine = json.loads(kind)
    return {str(k): float(v) for k, v in items}, bool(mine)


# The open assigned cases a condition on c.worker_id selects, and their workers: with
# cases_worker (worker_id, status, _gone_on), from the index alone (schema 10).
ASSIGNED = (
    "SELECT c.case_id, c.worker_id FROM cases c WHERE c.status = 'open' AND c._gone_on IS NULL"
    " AND c.worker_id IS NOT NULL AND ({where})"
)


def variant(behind: dict[str, float] | None, mine: bool) -> str:
    """What an evaluation was given besides the case's rows: the goals its worker is
    behind on (the goal_impact term) and whether the user is its worker ("you are");
    '' for neither, the variant every view without goals shares."""
    if not behind and not mine:
        return ""
    return json.dumps([sorted((behind or {}).items()), mine])


# Cases to evaluate before a second process is worth its start-up (~0.25 s, on the other
# core): from about 0.5 s of evaluating. 3,400 cases of a 60,000-case office after a sync:
# 0.94 s here alone, 0.5 s split (4,000 until then).
PARALLEL_AT = 2000


def _briefs_here(conn: sqlite3.Connection, ids: list[str], kw: dict[str, Any]) -> list[kept.Brief]:
    """Evaluate the cases ``ids`` on ``conn`` into briefs."""
    conn.execute("DROP TABLE IF EXISTS temp.kept_ids")
    conn.execute("CREATE TEMP TABLE kept_ids (case_id TEXT PRIMARY KEY) WITHOUT ROWID")
    try:
        conn.executemany("INSERT INTO temp.kept_ids VALUES (?)", [(c,) for c in ids])
        views = caseload.views(conn, "c.case_id IN (SELECT case_id FROM temp.kept_ids)", [], **kw)
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.kept_ids")
    return [kept.brief_of(v, parts_of(case_figures(v, kw["today"], kw["books"]))) for v in views]


def _briefs_apart(
    conn: sqlite3.Connection, ids: list[str], kw: dict[str, Any]
) -> list[kept.Brief] | None:
    """Many cases to evaluate (the first view of a day, of a large office) on a machine
    with more than one core: a second process (``casecli.core.apart``) evaluates part of
    them while this one does the rest, or, called from a worker thread (the TUI's), two
    other processes evaluate them all (issue 15 item 3: the first view pays once, in
    parallel). The other process reads the store on its own connection; it may see a sync
    that landed since, which only makes a brief newer than its marks (re-evaluated later,
    never stale). On a team store it connects as the same login (``team.address``, given
    on its stdin): evaluating is Python's work, and in one process a manager's first
    view or ``db warm`` of 60,000 cases took 2.5 times the personal store's. None, to
    evaluate here alone: few cases, one core, no store file, a connection inside its own
    transaction, or no process could start; when the other process fails, its part is
    evaluated here."""
    import os
    import pickle
    import threading

    from casecli.core.apart import Apart
    from casecli.core.store.store import on_team

    if len(ids) < PARALLEL_AT or (os.cpu_count() or 1) < 2 or conn.in_transaction:
        return None
    if on_team(conn):
        from casecli.core.store import team

        where: tuple[str, bool] = (team.address(conn), True)
    else:
        path = kept.store_path(conn)
        if path is None:
            return None
        where = (str(path), False)
    # From a worker thread (the TUI's, while its event loop keeps the screen alive) both
    # parts go to other processes: this one would share its core with the event loop.
    # Otherwise this process takes a part, the other starts later so takes a little less.
    here_too = threading.current_thread() is threading.main_thread()
    cut = len(ids) * 9 // 20 if here_too else len(ids) // 2
    parts = [ids[:cut]] if here_too else [ids[:cut], ids[cut:]]
    children: list[tuple[list[str], Apart]] = []
    try:
        for part in parts:
            children.append((part, Apart(CHILD, (*where, part, kw))))
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        for _, child in children:
            child.stop()
        return None
    try:
        mine = _briefs_here(conn, ids[cut:], kw) if here_too else []
    except BaseException:
        for _, child in children:
            child.stop()
        raise
    got: list[kept.Brief] = []
    for part, child in children:
        try:
            got += [kept.from_row(row) for row in child.result()]
        except Exception:  # noqa: BLE001  (whatever it answered: its part here)
            got += _briefs_here(conn, part, kw)
    return [*got, *mine]


# What the other process runs (casecli.core.apart).
CHILD = "from casecli.core.views.briefs import _evaluate_child; _evaluate_child()"


def _evaluate_child() -> None:
    """In the other process: given (store, whether it is a team store's address, case
    ids, evaluation settings), answer the briefs (as kept rows: kept.row_of)."""
    from casecli.core import apart
    from casecli.core.store import store, team

    path, on_team, ids, kw = apart.given()
    conn = team.open_store(path) if on_team else store.connect(Path(path))
    try:
        briefs = _briefs_here(conn, ids, kw)
    finally:
        conn.close()
    apart.answer([kept.row_of(b) for b in briefs])
