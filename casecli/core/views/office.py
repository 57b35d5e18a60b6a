"""The office view: every unit of an office side by side, with the office's figures, board,
bottlenecks, key measures and who could take its unassigned cases (the unit view's
definitions, ``casecli.core.views.unit``, summed over the units).

It is kept for the day beside the store (``kept_places.KeptView``) and, after local writes
alone, brought forward instead of made again (:func:`_office_patched`: only the units
holding the written cases are read again); a sync, a goal or a restored store makes it
again whole (:func:`_office_view`). :func:`view_for` is ``casecli unit``'s choice between
a unit's view and an office's.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict
from dataclasses import replace
from datetime import date
from typing import Any

from casecli.core.engine import playbooks
from casecli.core.engine.engine import CaseView
from casecli.core.engine.urgency import stuck_days
from casecli.core.errors import CasecliError
from casecli.core.local import kept, kept_places
from casecli.core.measures import measures
from casecli.core.store.scope import Actor, home, office_clause, workers_clause
from casecli.core.views import briefs, caseload
from casecli.core.views.caseload import WaitGroup
from casecli.core.views.load import Figures, case_figures, case_hours, worker_load
from casecli.core.views.staffing import Owners, Worker, carried, owners
from casecli.core.views.unit import (
    OfficeView,
    SituationGroup,
    UnitView,
    board,
    board_again,
    check_office,
    open_views,
    staff_of,
    unit_from,
    unit_row,
    unit_view,
    units_of,
    with_scores,
)
from casecli.core.views.unit_score import KEY_MEASURES, Scorer, key_of, programs_of


def view_for(
    conn: sqlite3.Connection, who: Actor, unit_id: str | None, **kw: Any
) -> UnitView | OfficeView:
    """``casecli unit [UNIT_ID]``: the unit named, else the view of ``who``'s home (a
    supervisor's unit, a manager's office); a worker is sent to ``next``, an admin asked
    to name one. ``kw`` as ``unit_view`` takes them."""
    place = home(who) if unit_id is None else None
    if place is not None and place[0] == "unit":
        unit_id = place[1]
    elif place is not None:
        return office_view(conn, who, place[1], **kw)
    if unit_id is None:
        if who.role == "worker":
            raise CasecliError(
                "The unit view is for supervisors and managers; casecli next shows your work."
            )
        raise CasecliError("Name the unit: casecli unit UNIT_ID.")
    return unit_view(conn, who, unit_id, **kw)


def _measures_ahead(
    conn: sqlite3.Connection, today: date, books: dict[str, playbooks.Playbook], where: str,
    params: tuple[Any, ...], keys: list[str],
) -> threading.Thread | None:  # fmt: skip
    """Start computing an office's key measures (``Scorer.prefetch``) in another thread,
    on connections of its own, and keep them beside the store (``kept_counts.KeptCounts``) while
    this thread reads and evaluates the cases: the measures' statements run in SQLite
    (outside Python's lock), the cases in Python. The view's own ``Scorer`` then reads
    what was kept. After a sync (the counts are computed again whole) this took an office
    of 60,000 cases from 3.9 s to 3.5 s on two cores. None, and nothing started, when
    nothing can be kept beside the store (there would be no way to hand the counts over)
    or there is no file to open again; whatever goes wrong in the thread is left to the
    view's own ``Scorer``, which computes what it does not find kept."""
    if not keys or conn.in_transaction or not kept.can_keep(conn):
        return None
    from casecli.core.store import store

    other = store.sibling(conn)
    if other is None:
        return None

    def run() -> None:
        try:
            scorer = Scorer(other, today, books, where, params)
            try:
                scorer.prefetch(keys)
            finally:
                scorer.close()
        except Exception:  # noqa: BLE001, S110  (the view computes what was not kept)
            pass
        finally:
            other.close()

    thread = threading.Thread(target=run, name="casecli-measures", daemon=True)
    try:
        thread.start()
    except RuntimeError:  # no thread to be had: the view's own Scorer computes them
        other.close()
        return None
    return thread


def office_view(
    conn: sqlite3.Connection,
    who: Actor,
    office_id: str,
    *,
    today: date,
    books: dict[str, playbooks.Playbook],
    coef: dict[str, float],
    redact: bool = False,
) -> OfficeView:
    """Every unit of the office side by side, with the office's board and bottlenecks: as
    kept earlier today when nothing at all has changed since, brought forward when local
    writes alone have (only the units holding the cases they name are made again:
    :func:`_office_patched`), else worked out and kept (``kept_places.KeptView``)."""
    name = check_office(conn, who, office_id)
    keep = kept_places.KeptView(conn, f"office {office_id}", today, books, coef, redact)
    kw: dict[str, Any] = {"today": today, "books": books, "coef": coef, "redact": redact}
    view: OfficeView = keep.through(
        conn,
        lambda: _office_view(conn, office_id, name, **kw),
        lambda found, parts, written, recorded: _office_patched(
            conn, found, parts, written, recorded, **kw
        ),
        lambda found: isinstance(found, OfficeView) and found.office_id == office_id,
    )
    return view


# What an office view keeps of each of its open cases (its parts, beside it): the unit it
# is counted in (its worker's, an unassigned case's own; one that is none of the office's
# units': the office's own), and its urgency (its place on the board).
Seen = tuple[str | None, float]


@kept.bulk()
def _office_view(
    conn: sqlite3.Connection,
    office_id: str,
    name: str,
    *,
    today: date,
    books: dict[str, playbooks.Playbook],
    coef: dict[str, float],
    redact: bool,
) -> tuple[OfficeView, dict[str, Any]]:
    """The office view worked out whole, with its parts (what :func:`_office_patched`
    brings it forward from: per case, a :data:`Seen`; the measures the office and each
    unit show, which only a sync can change)."""
    where = workers_clause("office", office_id)[0]  # the measures' cases
    programs = programs_of(conn, where, (office_id,))
    keys = [KEY_MEASURES[p] for p in KEY_MEASURES if any(p in n for n in programs.values())]
    ahead = _measures_ahead(conn, today, books, where, (office_id,), keys)
    cases, params = office_clause(office_id)  # with its unassigned cases
    try:
        views = open_views(
            conn, cases, tuple(params), assigned=workers_clause("office", office_id),
            today=today, books=books, coef=coef, redact=redact,
        )  # fmt: skip
    finally:
        if ahead is not None:
            ahead.join()
    staff = staff_of(conn, "s.office_id = ?", (office_id,))
    unit_of = {s["staff_id"]: s["unit_id"] for s in staff}
    by_unit: dict[str | None, list[CaseView]] = defaultdict(list)
    for v in views:  # once, not once per unit; an unassigned case by the unit it names
        worker = v.case["worker_id"]
        by_unit[unit_of.get(worker) if worker is not None else v.case.get("unit_id")].append(v)
    office_wide = {p: sum(n.get(p, 0) for n in programs.values()) for p in KEY_MEASURES}
    parts: dict[str, Any] = {
        "cases": {v.case_id: (part, v.urgency) for part, vs in by_unit.items() for v in vs},
        "keys": keys,
        "unit_keys": {u: key_of(programs.get(u, {})) for u in units_of(conn, office_id)},
        "office_keys": [
            KEY_MEASURES[p]
            for p, _ in sorted(office_wide.items(), key=lambda kv: -kv[1])
            if office_wide[p]
        ],
        "case_hours": case_hours(views, books),
        # the case types each worker carries: who could take the office's own cases
        "carried": {w: sorted(t) for w, t in carried(views).items()},
    }
    units = []
    for unit_id in parts["unit_keys"]:
        unit = unit_row(conn, unit_id)
        assert unit is not None
        mine_staff = [s for s in staff if s["unit_id"] == unit_id]
        mine = by_unit.get(unit_id, [])
        units.append(unit_from(unit, mine_staff, mine, today, stuck_days(coef), books))
    whole = (board(views), tuple(caseload.waiting(views)))
    return _office_from(conn, office_id, name, units, by_unit, staff, parts, whole,
                        today=today, books=books, coef=coef), parts  # fmt: skip


@kept.bulk()
def _office_patched(
    conn: sqlite3.Connection,
    view: OfficeView,
    parts: dict[str, Any],
    written: set[str],
    recorded: bool,
    *,
    today: date,
    books: dict[str, playbooks.Playbook],
    coef: dict[str, float],
    redact: bool,
) -> tuple[OfficeView, dict[str, Any]] | None:
    """The office ``view`` kept with its ``parts``, brought forward over local writes
    that named the cases ``written`` (no sync since: ``kept_places.KeptView``): the units
    holding any of them made again from their cases' briefs (the written ones evaluated
    again, the others read as kept), the office's own cases (those of no unit of it: few,
    unassigned) evaluated again, the measures read again when an event was ``recorded``
    (a visit counts in them; no measure reads a barrier, a note or goal progress: the
    scores are then as kept), the office's figures and owners added up again from the
    units, and the written cases put in their places on the board and in the bottlenecks
    (by the urgency :data:`Seen` keeps of every case). A local write cannot move a case
    into or out of the office or a unit, close it or change who works there (only a sync
    writes ``cases`` and ``staff``), so a case the writes do not name is as kept. None, to
    work it out whole, when more than ``kept_places.PATCH_MOST`` cases would be read, or
    the parts are not as :func:`_office_view` keeps them.

    A write landing while this reads (after the kept marks were taken: ``KeptView``) is
    seen by the next view as written since; until then the case keeps its kept urgency
    here, so that the board stays in the order the next view puts it back into."""
    try:
        index: dict[str, Seen] = dict(parts["cases"])
        unit_keys = dict(parts["unit_keys"])
        if (
            [u.unit_id for u in view.units] != list(unit_keys)
            or not isinstance(parts["keys"], list)
            or not isinstance(parts["office_keys"], list)
            or not isinstance(parts["carried"], dict)
            or not isinstance(parts["case_hours"], tuple)
        ):
            return None
        per_case = all(
            measures.MEASURES[m].family in measures.PER_CASE for m in parts["keys"]
        )  # each count is one case's, its worker's
        hit = {index[c][0] for c in written if c in index}
        outside = any(c not in index for c in written)  # (another office's; a closed case)
        by_part: dict[str | None, list[str]] = defaultdict(list)
        for case_id, seen in index.items():
            by_part[seen[0]].append(case_id)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None
    theirs_ids = [c for p, ids in by_part.items() if p not in unit_keys for c in ids]
    again = [c for p in hit if p in unit_keys for c in by_part[p]] + theirs_ids
    if len(again) > kept_places.PATCH_MOST:
        return None
    kw: dict[str, Any] = {"today": today, "books": books, "coef": coef, "redact": redact}
    # an unassigned case is evaluated whole at each view (it has no kept brief): one the
    # writes do not name is as the kept owners list shows it
    kept_view = {x.case_id: x.view for x in view.owners.unassigned if x.case_id not in written}
    ids = [c for c in again if c not in kept_view]
    views = _views_of(conn, ids, kw) if ids else []
    views = sorted(
        [*views, *(kept_view[c] for c in again if c in kept_view)],
        key=lambda v: (-v.urgency, v.case_id),
    )
    staff = staff_of(conn, "s.office_id = ?", (view.office_id,))
    changed = written & set(again)  # (the others of their parts are as they were)
    was = {c: index.pop(c) for c in changed}  # (one no longer open: gone from the board)
    fresh: dict[str | None, list[CaseView]] = defaultdict(list)
    for v in views:
        part = was[v.case_id][0] if v.case_id in was else index[v.case_id][0]
        if v.case_id in changed:
            index[v.case_id] = (part, v.urgency)
        fresh[part].append(v)
    now = [v for v in views if v.case_id in changed]
    urgency = {c: seen[1] for c, seen in index.items()}
    whole = (
        board_again(view.board, urgency, changed, now),
        tuple(caseload.waiting_again(view.bottlenecks, changed, now)),
    )
    units = []
    for u in view.units:
        if u.unit_id in hit:
            unit = unit_row(conn, u.unit_id)
            if unit is None:
                return None
            mine_staff = [s for s in staff if s["unit_id"] == u.unit_id]
            u = unit_from(
                unit, mine_staff, fresh.get(u.unit_id, []), today, stuck_days(coef), books
            )
        units.append(u)
    by_theirs = {p: vs for p, vs in fresh.items() if p not in unit_keys}
    parts = {**parts, "cases": index}
    rescore: set[str | None] | None = None if recorded else set()
    if recorded and per_case and not outside and hit <= unit_keys.keys():
        # only the units holding the cases move (a case of the office's own may be a
        # worker's who left, whose unit still counts it: then every unit's)
        rescore = hit
    return _office_from(conn, view.office_id, view.office_name, units, by_theirs, staff, parts,
                        whole, today=today, books=books, coef=coef,
                        scored=(view, rescore)), parts  # fmt: skip


def _views_of(conn: sqlite3.Connection, ids: list[str], kw: dict[str, Any]) -> list[CaseView]:
    """The open cases ``ids`` as an office view reads them (``kept_views``), most urgent
    first."""
    out: list[CaseView] = []
    for i in range(0, len(ids), kept_places.PATCH_MOST):  # (at most 32,766 parameters)
        part = ids[i : i + kept_places.PATCH_MOST]
        where = f"c.status = 'open' AND c.case_id IN ({', '.join('?' * len(part))})"
        out += briefs.kept_views(conn, where, part, **kw)
    return sorted(out, key=lambda v: (-v.urgency, v.case_id))


def _office_from(
    conn: sqlite3.Connection, office_id: str, name: str, units: list[UnitView],
    by_part: dict[str | None, list[CaseView]], staff: list[dict[str, Any]],
    parts: dict[str, Any],
    whole: tuple[tuple[SituationGroup, ...], tuple[WaitGroup, ...]], *, today: date,
    books: dict[str, playbooks.Playbook], coef: dict[str, float],
    scored: tuple[OfficeView, set[str | None] | None] | None = None,
) -> OfficeView:  # fmt: skip
    """The office from its ``units`` (not yet scored), the views of its own cases (those
    ``by_part`` holds under a key that is none of its units), its ``staff``, ``parts``
    and its ``whole`` board and bottlenecks: the units scored, the office's figures and
    owners. ``scored``: an office view kept, and the units whose measures may have moved
    since (None: any unit's; the office's are read again unless that is empty): the
    others show the scores it shows."""
    kept_view, again = scored or (None, None)
    if kept_view is not None and again is not None and not again:
        units = [_scored_as(u, kept_view) for u in units]
        scores = kept_view.scores
    else:
        where = workers_clause("office", office_id)[0]  # the measures' cases
        scorer = Scorer(conn, today, books, where, (office_id,))
        try:
            scorer.prefetch(parts["keys"])  # read as kept (or as the other thread kept them)
            units = [
                _scored_as(u, kept_view)
                if kept_view is not None and again is not None and u.unit_id not in again
                else with_scores(scorer, u, parts["unit_keys"].get(u.unit_id))
                for u in units
            ]
            scores = tuple(scorer.office(office_id, m) for m in parts["office_keys"])
        finally:
            scorer.close()
    # the office's own cases: those naming no unit of it (only the office)
    shown = {u.unit_id for u in units}
    theirs = [v for key, vs in by_part.items() if key not in shown for v in vs]
    figures = Figures()
    for u in units:
        figures += u.figures
    for v in theirs:
        figures += case_figures(v, today, books)
    types = {str(w): set(t) for w, t in parts["carried"].items()}
    own = owners(theirs, _pool(staff, units, theirs, today, books), types)
    everyone = Owners(
        tuple(sorted((*own.unassigned, *(x for u in units for x in u.owners.unassigned)),
                     key=lambda x: (-x.view.urgency, x.case_id))),
        tuple(x for u in units for x in u.owners.held) + own.held,
    )  # fmt: skip
    return OfficeView(
        office_id, name, figures, tuple(units), *whole, scores, stuck_days(coef), everyone,
        parts["case_hours"],
    )  # fmt: skip


def _scored_as(view: UnitView, office: OfficeView) -> UnitView:
    """The unit with the scores its view in ``office`` shows (its and each worker's)."""
    was = next(u for u in office.units if u.unit_id == view.unit_id)
    if was is view:
        return view
    scores = {w.staff_id: w.score for w in was.workers}
    workers = tuple(replace(w, score=scores.get(w.staff_id)) for w in view.workers)
    return replace(view, workers=workers, score=was.score)


def _pool(
    staff: list[dict[str, Any]], units: list[UnitView], theirs: list[CaseView], today: date,
    books: dict[str, playbooks.Playbook],
) -> list[Worker]:  # fmt: skip
    """Every one of ``staff`` as who could take an unassigned case of the office's own
    (``staffing.pool_from`` over all the office's views): a worker's load is their unit's
    (a unit's view holds every case of its workers), else worked out from ``theirs`` (a
    worker of no unit of the office), or from none (an inactive worker holding nothing)."""
    loads = {w.staff_id: w for u in units for w in u.workers}
    shown = {u.unit_id for u in units}
    mine: dict[str, list[CaseView]] = defaultdict(list)
    for v in theirs:
        if v.case.get("worker_id") is not None:
            mine[str(v.case["worker_id"])].append(v)
    out = []
    for s in staff:
        sid = str(s["staff_id"])
        load = loads.get(sid) if s.get("unit_id") in shown else None
        if load is None:
            load = worker_load(s, mine.get(sid, []), today, books)
        out.append(Worker(load.staff_id, load.name, s.get("unit_id"), load.active,
                          load.figures.capacity))  # fmt: skip
    return out
