"""An office's whole view kept beside the store and brought forward after local writes
(casecli.core.views.office._office_patched): only the units holding the cases the writes
name are made again, and the view, and what is kept with it for the next write, equal a
store with nothing kept. A team store is written all day: made again whole after each
write, a 60,000-case office's view took 1.7-2.1 s (benchmarks/RESULTS.md)."""

# ruff: noqa: F811  (the fixtures of test_kept_views, imported by name, are parameters here)
from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from casecli.core.engine.barriers import Barrier
from casecli.core.local import kept, kept_places, record
from casecli.core.measures import goals
from casecli.core.store import scope, store
from casecli.core.views import office as offices
from casecli.core.views import unit
from tests import test_kept
from tests.test_kept import BOOKS, COEF, TODAY
from tests.test_kept_counts import _delta, _rows
from tests.test_kept_views import _synced, db, fresh, office, worked  # noqa: F401  (fixtures)


@pytest.fixture
def reread(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """One entry per part of a kept office view made again: the cases read for it."""
    got: list[list[str]] = []
    real = offices._views_of

    def spy(conn: sqlite3.Connection, ids: list[str], kw: dict[str, Any]) -> Any:
        path = kept.store_path(conn)
        if path is not None and path.parent.name != "fresh":
            got.append(sorted(ids))
        return real(conn, ids, kw)

    monkeypatch.setattr(offices, "_views_of", spy)
    return got


@pytest.fixture
def scorers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per office's or unit's measures read (a Scorer made)."""
    made: list[int] = []
    real = offices.Scorer

    def spy(*a: Any, **kw: Any) -> Any:
        made.append(1)
        return real(*a, **kw)

    monkeypatch.setattr(offices, "Scorer", spy)
    return made


def _parts_of(db: Path) -> dict[str, Any]:
    conn = store.connect(db)
    try:
        return offices._office_view(conn, "O01", "x", today=TODAY, books=BOOKS, coef=COEF,
                                 redact=False)[1]  # fmt: skip
    finally:
        conn.close()


def kept_parts(db: Path) -> dict[str, Any]:
    """The parts kept with the office view, as the next write brings them forward."""
    conn = store.connect(db)
    keep = kept_places.KeptView(conn, "office O01", TODAY, BOOKS, COEF, False)
    try:
        found = keep.get()
        assert found is not None
        return found[2]
    finally:
        keep.close()
        conn.close()


def fresh_parts(db: Path, tmp: Path) -> dict[str, Any]:
    return test_kept.fresh(db, tmp, view=_parts_of)  # type: ignore[no-any-return]


def unit_cases(db: Path, unit_id: str | None, written: str = "") -> list[str]:
    """The open cases of O01 an office view counts in ``unit_id`` (None: the office's own:
    its manager's, and the unassigned ones naming no unit) and reads again when ``written``
    was written: all but the unassigned ones the write did not name (as the kept owners
    list shows them: an unassigned case has no kept brief, it is evaluated whole)."""
    conn = store.connect(db)
    try:
        if unit_id is None:
            sql = ("SELECT case_id, worker_id FROM cases c WHERE status = 'open' AND"
                   " (worker_id = 'S0001' OR (worker_id IS NULL AND unit_id IS NULL"
                   " AND office_id = 'O01'))")  # fmt: skip
            rows = conn.execute(sql).fetchall()
        else:
            sql, params = scope.unit_clause(unit_id)
            rows = conn.execute(
                f"SELECT case_id, worker_id FROM cases c WHERE c.status = 'open' AND {sql}",
                params,
            ).fetchall()
        return sorted(c for c, w in rows if w is not None or c == written)
    finally:
        conn.close()


def _office_own_cases(db: Path, tmp_path: Path) -> None:
    """A delta that gives O01 cases of its own: one its manager holds and one naming the
    office and no unit (the office view counts them in no unit: its owners list them)."""
    conn = store.connect(db)
    rows = _rows(conn, "cases.csv", "case_id IN ('C0000200', 'C0000582') ORDER BY case_id")
    conn.close()
    rows[0] |= {"case_id": "C0009001", "worker_id": "", "unit_id": "", "office_id": "O01"}
    rows[1] |= {"case_id": "C0009002", "worker_id": "S0001", "unit_id": "", "office_id": "O01"}
    folder = _delta(tmp_path, "own", {"cases.csv": rows}, "2026-11-24T23:30:00")
    conn = store.connect(db)
    from casecli.core.ingest.sync import sync

    assert sync(conn, folder, today=TODAY).status == "applied"
    conn.close()


def _writes() -> Iterator[tuple[str, str | None, Callable[[sqlite3.Connection], Any]]]:
    """Local writes, each with the case it names and the unit whose view holds it."""
    yield "C0000530", "U001", lambda c: record.add_barrier(
        c, scope.actor(c, "S0004"), "C0000530", "housing", today=TODAY, books=BOOKS
    )  # fmt: skip
    yield "C0000530", "U001", lambda c: record.resolve_barrier(
        c, scope.actor(c, "S0004"),
        c.execute("SELECT max(barrier_id) FROM barriers").fetchone()[0], today=TODAY,
    )  # fmt: skip
    yield "C0000040", "U002", lambda c: record.add_barrier(
        c, scope.actor(c, "S0013"), "C0000040", "a bed", service="substance_treatment",
        today=TODAY, books=BOOKS,
    )  # fmt: skip
    yield (
        "C0009001",
        None,
        lambda c: record.add_barrier(
            c, scope.actor(c, "S0001"), "C0009001", "a worker", today=TODAY, books=BOOKS
        ),
    )  # fmt: skip (an unassigned case of the office's own)
    yield (
        "C0000610",
        "U002",
        lambda c: record.add_barrier(
            c,
            scope.actor(c, "S0001"),
            "C0000610",
            "a placement",
            service="foster_home",
            today=TODAY,
            books=BOOKS,
        ),
    )  # fmt: skip (an unassigned case of U002)


def _visit(conn: sqlite3.Connection) -> tuple[str, str]:
    """A visit recorded on the first open case of U003 with a child in care all month and
    not yet visited in it: its worker's monthly visits count it. (The case, its unit.)"""
    case_id, owner, child = conn.execute(
        "SELECT c.case_id, c.worker_id, r.person_id FROM cases c JOIN removals r"
        " ON r.case_id = c.case_id JOIN staff s ON s.staff_id = c.worker_id"
        " WHERE c.status = 'open' AND s.unit_id = 'U003' AND r.discharged_on IS NULL"
        " AND r.removed_on < '2026-11-01' AND NOT EXISTS (SELECT 1 FROM events e"
        "  WHERE e.person_id = r.person_id AND e.completed_on >= '2026-11')"
        " ORDER BY 1, 3 LIMIT 1").fetchone()  # fmt: skip
    record.record_event(conn, scope.actor(conn, owner), case_id, "caseworker_visit",
                        on="2026-11-20", person_id=child, today=TODAY, books=BOOKS)  # fmt: skip
    return case_id, "U003"


def test_after_local_writes_only_the_units_holding_their_cases_are_made_again(
    db: Path, tmp_path: Path, worked: list[int], reread: list[list[str]], scorers: list[int]
) -> None:
    # Each write names one case; the view after it reads again that case's unit (its
    # briefs: the written case evaluated again, the others as kept) and the office's own
    # cases, adds up the office again, and equals a view worked out on a copy of the store
    # with nothing kept; so do the parts kept for the next write.
    _office_own_cases(db, tmp_path)
    first = office(db)
    assert unit_cases(db, None, "C0009001") == ["C0009001", "C0009002"]
    assert worked == [1] and reread == []
    assert [u.case_id for u in first.owners.unassigned][:0] == []
    assert "C0009001" in {u.case_id for u in first.owners.unassigned}
    before = first
    for case_id, unit_id, write in _writes():
        conn = store.connect(db)
        write(conn)
        conn.close()
        del reread[:], scorers[:]
        after = office(db)
        assert worked == [1], case_id  # brought forward, not worked out whole
        assert scorers == []  # no measure counts a barrier: the scores are as kept
        held = unit_cases(db, unit_id, case_id) if unit_id else []
        assert reread == [sorted({*held, *unit_cases(db, None, case_id)})], case_id
        assert after == fresh(db, tmp_path)
        assert kept_parts(db) == fresh_parts(db, tmp_path)
        assert after != before  # (each write shows: a barrier opened, then resolved)
        before = after
    groups = {g.what: g for g in after.bottlenecks}
    assert "C0000040" in [c for c, _ in groups["substance treatment"].items]
    assert "C0009001" in [c for c, _ in groups["a worker"].items]
    assert office(db) == after and worked == [1]  # nothing since: read back whole


def test_a_visit_brings_the_unit_and_the_measures_forward(
    db: Path, tmp_path: Path, worked: list[int], reread: list[list[str]], scorers: list[int]
) -> None:
    # A visit counts in the monthly visits every unit and the office show against its
    # goal: the measures are read again (their kept counts recount the visit's worker).
    first = office(db)
    conn = store.connect(db)
    case_id, unit_id = _visit(conn)
    conn.close()
    del scorers[:]
    after = office(db)
    assert worked == [1] and reread == [unit_cases(db, unit_id)] and len(scorers) == 1
    assert after == fresh(db, tmp_path) and kept_parts(db) == fresh_parts(db, tmp_path)
    was = {u.unit_id: u.score for u in first.units}
    now = {u.unit_id: u.score for u in after.units}
    assert now["U003"] != was["U003"] and now["U001"] == was["U001"]
    assert after.scores != first.scores


def test_a_goal_a_sync_or_a_restored_store_work_the_view_out_whole(
    db: Path, tmp_path: Path, worked: list[int], reread: list[list[str]]
) -> None:
    # A goal names no case (the audit log's '*'): every score may change, the view is
    # worked out whole. So after a sync (it may move cases between units, close them)
    # and in a store restored from a backup (the kept marks are not its history).
    office(db)
    conn = store.connect(db)
    goals.set_goal(conn, scope.actor(conn, "S0001"), "unit", "U001", "monthly_visits", 95.0)
    conn.close()
    assert office(db) == fresh(db, tmp_path) and worked == [1, 1]
    _synced(db, tmp_path)
    assert office(db) == fresh(db, tmp_path) and worked == [1, 1, 1]
    backup = tmp_path / "backup.db"
    backup.write_bytes(db.read_bytes())
    conn = store.connect(db)
    record.add_barrier(conn, scope.actor(conn, "S0004"), "C0000530", "housing", today=TODAY,
                       books=BOOKS)  # fmt: skip
    conn.close()
    assert office(db) == fresh(db, tmp_path) and worked == [1, 1, 1]  # brought forward
    db.write_bytes(backup.read_bytes())  # restored: the barrier is gone
    conn = store.connect(db)  # and another written: the same audit id, another case
    record.add_barrier(conn, scope.actor(conn, "S0013"), "C0000040", "a bed", today=TODAY,
                       books=BOOKS, now="2026-11-24T12:00:00")  # fmt: skip
    conn.close()
    restored = office(db)
    assert worked == [1, 1, 1, 1] and restored == fresh(db, tmp_path)
    assert "C0000530" not in [c for g in restored.bottlenecks if g.what == "housing"
                              for c, _ in g.items]  # fmt: skip
    assert reread == [unit_cases(db, "U001")]  # (only the one brought forward)


def test_more_cases_than_a_patch_reads_work_the_view_out_whole(
    db: Path, tmp_path: Path, worked: list[int], reread: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # U004 holds 342 open cases: with the most a patch reads set below that, a write there
    # works the view out whole; one in U001 (165) is still brought forward.
    monkeypatch.setattr(kept_places, "PATCH_MOST", 200)
    office(db)
    conn = store.connect(db)
    c4 = conn.execute(
        "SELECT c.case_id, c.worker_id FROM cases c JOIN staff s ON s.staff_id = c.worker_id"
        " WHERE c.status = 'open' AND s.unit_id = 'U004' ORDER BY 1 LIMIT 1"
    ).fetchone()
    record.add_barrier(conn, scope.actor(conn, c4[1]), c4[0], "x", today=TODAY, books=BOOKS)
    conn.close()
    assert office(db) == fresh(db, tmp_path) and worked == [1, 1] and reread == []
    conn = store.connect(db)
    record.add_barrier(conn, scope.actor(conn, "S0004"), "C0000530", "y", today=TODAY,
                       books=BOOKS)  # fmt: skip
    conn.close()
    assert office(db) == fresh(db, tmp_path) and worked == [1, 1]
    assert reread == [unit_cases(db, "U001")]


def test_parts_not_as_kept_work_the_view_out_whole(
    db: Path, tmp_path: Path, worked: list[int]
) -> None:
    # What is kept beside the view is read back only from the user's own file; parts not
    # as this code keeps them (another shape, a unit list that differs) are not patched.
    import pickle

    from casecli.core.local import nextcache

    for broken in ({"cases": []}, {"cases": {"C1": 5}, "keys": [], "unit_keys": {}}, {}):
        office(db)
        side = sqlite3.connect(nextcache.folder(db) / kept.FILE)
        view = office(db)
        side.execute(f"UPDATE {kept_places.VIEWS} SET value = ?",
                     (pickle.dumps((view, broken)),))  # fmt: skip
        side.commit()
        side.close()
        made = len(worked)
        conn = store.connect(db)
        record.add_barrier(conn, scope.actor(conn, "S0004"), "C0000530", "z", today=TODAY,
                           books=BOOKS)  # fmt: skip
        conn.close()
        assert office(db) == fresh(db, tmp_path) and len(worked) == made + 1


def test_who_could_take_the_offices_own_cases_is_read_from_every_workers_load(
    db: Path, tmp_path: Path
) -> None:
    # The office's own unassigned cases list who could take them by capacity used; an
    # office view brought forward reads each worker's load from their unit's view
    # (offices._pool) instead of from every case of the office: the same workers, the same
    # loads as staffing.pool_from over all the office's cases.
    from casecli.core.views import caseload, staffing

    _office_own_cases(db, tmp_path)
    view = office(db)
    conn = store.connect(db)
    try:
        where, params = scope.office_clause("O01")
        views = caseload.views(conn, f"c.status = 'open' AND {where}", params, today=TODAY,
                               books=BOOKS, coef=COEF)  # fmt: skip
        staff = unit.staff_of(conn, "s.office_id = ?", ("O01",))
    finally:
        conn.close()
    theirs = [v for v in views if v.case_id in ("C0009001", "C0009002")]
    expected = staffing.pool_from(staff, views, TODAY, BOOKS)
    assert offices._pool(staff, list(view.units), theirs, TODAY, BOOKS) == expected
    assert {w.staff_id for w in expected if w.capacity} >= {"S0001", "S0003", "S0013"}
    # and who carries its case type is read from every case of the office (until
    # this, from the office's own cases alone: the manager's; nobody was listed)
    own = next(u for u in view.owners.unassigned if u.case_id == "C0009001")
    could = staffing.candidates(own.view.case, expected, staffing.carried(views))
    assert own.candidates == could and len(could) == staffing.CANDIDATES
    assert [w.capacity for w in could] == sorted(w.capacity or 0.0 for w in could)


class _Case(NamedTuple):
    case_id: str
    situation: str
    urgency: float
    barriers: list[Barrier]


def _random_case(rng: random.Random, case_id: str) -> _Case:
    situations = [*unit.SITUATIONS, "waiting on housing", "closed"]
    barriers = [
        Barrier(
            f"barrier:{rng.randrange(9)}",
            "recorded",
            rng.choice(["a bed", "court"]),
            date(2026, 11, 1),
            rng.randrange(0, 60),
            service=rng.choice([None, "substance_treatment", "housing"]),
        )  # fmt: skip
        for _ in range(rng.randrange(3))
    ]
    # few distinct urgencies: ties are broken by case id, as the board's order
    return _Case(case_id, rng.choice(situations), rng.randrange(5) / 2, barriers)


@pytest.mark.parametrize("seed", range(40))
def test_a_board_and_bottlenecks_brought_forward_equal_them_made_again(seed: int) -> None:
    # unit.board_again and caseload.waiting_again take a board and bottlenecks made of
    # some cases, and the few cases written since as they are now (some closed, some no
    # longer waiting, a new one): the same as board and waiting made of every case again.
    from casecli.core.views import caseload

    rng = random.Random(seed)
    cases = {f"C{i:03d}": _random_case(rng, f"C{i:03d}") for i in range(rng.randrange(1, 60))}

    def ordered(cs: dict[str, _Case]) -> list[_Case]:
        return sorted((c for c in cs.values() if c.situation != "closed"),
                      key=lambda c: (-c.urgency, c.case_id))  # fmt: skip

    before = ordered(cases)
    board, waits = unit.board(before), caseload.waiting(before)
    written = set(rng.sample(sorted(cases), rng.randrange(0, min(6, len(cases)) + 1)))
    written.add("C999")  # a case the office did not hold: it holds it now
    for case_id in written:
        cases[case_id] = _random_case(rng, case_id)
    now = [cases[c] for c in sorted(written) if cases[c].situation != "closed"]
    urgency = {c.case_id: c.urgency for c in cases.values()}
    after = ordered(cases)
    assert unit.board_again(board, urgency, written, now) == unit.board(after)
    assert caseload.waiting_again(waits, written, now) == caseload.waiting(after)


def test_an_event_on_a_case_the_view_does_not_hold_moves_every_units_measures(
    db: Path, tmp_path: Path, worked: list[int], reread: list[list[str]], scorers: list[int]
) -> None:
    # The view holds its open cases; a measure counts closed ones too (a child in care
    # all month on a case closed on the 20th is a child-month of its worker). An event on
    # a case it does not hold (written by another program: casecli records nothing on a
    # closed case) is not known to be of any unit: every unit's measures are read again.
    conn = store.connect(db)
    case_id, child = conn.execute(
        "SELECT c.case_id, r.person_id FROM cases c JOIN removals r"
        " ON r.case_id = c.case_id JOIN staff s ON s.staff_id = c.worker_id"
        " WHERE c.status = 'open' AND s.unit_id = 'U003' AND r.discharged_on IS NULL"
        " AND r.removed_on < '2026-11-01' AND NOT EXISTS (SELECT 1 FROM events e"
        "  WHERE e.person_id = r.person_id AND e.completed_on >= '2026-11')"
        " ORDER BY 1, 2 LIMIT 1").fetchone()  # fmt: skip
    rows = _rows(conn, "cases.csv", "case_id = ?", (case_id,))
    conn.close()
    rows[0] |= {"status": "closed", "closed_on": "2026-11-20"}
    _synced_rows = _delta(tmp_path, "closed", {"cases.csv": rows}, "2026-11-24T23:30:00")
    from casecli.core.ingest.sync import sync

    conn = store.connect(db)
    assert sync(conn, _synced_rows, today=TODAY).status == "applied"
    conn.close()
    before = office(db)
    raw = sqlite3.connect(db)
    raw.execute(
        "INSERT INTO recorded_events (case_id, kind, person_id, occurred_at, location,"
        " recorded_by, recorded_at) VALUES (?, 'caseworker_visit', ?, '2026-11-10', 'home',"
        " 'S0001', '2026-11-24T09:00:00Z')",
        (case_id, child),
    )
    raw.commit()
    raw.close()
    del scorers[:]
    after = office(db)
    assert worked == [1] and reread == [] and len(scorers) == 1  # brought forward
    assert after == fresh(db, tmp_path)
    was = {u.unit_id: u.score for u in before.units}
    assert {u.unit_id: u.score for u in after.units}["U003"] != was["U003"]


def test_a_visit_on_a_case_of_a_worker_who_left_moves_their_units_measures(
    db: Path, tmp_path: Path, worked: list[int], scorers: list[int]
) -> None:
    # S0025 of U003 is gone from the staff export but still holds C0000005: the office
    # view counts the case as the office's own (no unit of it has the worker), while
    # U003's measures still count it (its members are read whole). A visit there is read
    # into every unit's measures, not only those of the units the view files it under.
    raw = sqlite3.connect(db)
    raw.execute("UPDATE staff SET _gone_on = '2026-11-20' WHERE staff_id = 'S0025'")
    raw.commit()
    raw.close()
    before = office(db)
    assert "C0000005" not in {c for u in before.units for g in u.board for c in g.case_ids}
    conn = store.connect(db)
    record.record_event(conn, scope.actor(conn, "S0001"), "C0000005", "caseworker_visit",
                        on="2026-11-20", person_id="P0000035", today=TODAY, books=BOOKS)  # fmt: skip
    conn.close()
    del scorers[:]
    after = office(db)
    assert worked == [1] and len(scorers) == 1  # brought forward, its measures read again
    assert after == fresh(db, tmp_path)
    was = {u.unit_id: u.score for u in before.units}
    assert {u.unit_id: u.score for u in after.units}["U003"] != was["U003"]


def test_a_write_landing_while_the_view_is_brought_forward_is_placed_by_the_next_view(
    db: Path, tmp_path: Path, worked: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A barrier on C0000530 (U001); while U001 is read again, S0004 records visits on
    # three other cases of theirs (after the marks the view was taken at), each making
    # its case less urgent (9.1, 7.1, 11.1 -> 0: past others "on track"). Those cases keep
    # their kept urgency on the board until the next view, which sees them as written
    # since and puts them in their places: the board stays in the order its urgencies
    # say, and the next view equals one worked out afresh.
    office(db)
    conn = store.connect(db)
    record.add_barrier(conn, scope.actor(conn, "S0004"), "C0000530", "housing", today=TODAY,
                       books=BOOKS)  # fmt: skip
    conn.close()
    real = offices._views_of

    def racing(conn: sqlite3.Connection, ids: list[str], kw: dict[str, Any]) -> Any:
        monkeypatch.setattr(offices, "_views_of", real)
        other = store.connect(db)
        for case_id in ("C0000137", "C0000474", "C0000574"):
            record.record_event(other, scope.actor(other, "S0004"), case_id, "caseworker_visit",
                                person_id="all", on="2026-11-23", today=TODAY, books=BOOKS)  # fmt: skip
        other.close()
        return real(conn, ids, kw)

    monkeypatch.setattr(offices, "_views_of", racing)
    office(db)
    assert offices._views_of is real  # (the race ran)
    urgency = {c: seen[1] for c, seen in kept_parts(db)["cases"].items()}
    conn = store.connect(db)
    keep = kept_places.KeptView(conn, "office O01", TODAY, BOOKS, COEF, False)
    found = keep.get()
    keep.close()
    conn.close()
    assert found is not None
    for column in found[1].board:
        assert list(column.case_ids) == sorted(column.case_ids, key=lambda c: (-urgency[c], c))
    assert office(db) == fresh(db, tmp_path) and worked == [1]
    assert kept_parts(db) == fresh_parts(db, tmp_path)
