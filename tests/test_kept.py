"""Kept evaluations (casecli.core.local.kept, issue 15 items 1 and 5): a unit or office view
built from kept briefs equals one evaluated afresh, whatever changed in between, and only
the cases that changed are evaluated again."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from casecli.core.engine import playbooks, urgency
from casecli.core.ingest.sync import sync
from casecli.core.local import kept, kept_places, nextcache, record
from casecli.core.store import scope, store
from casecli.core.views import after_sync, briefs, caseload, unit_score
from casecli.core.views import office as offices
from tests.tui.helpers import copy_sample

TODAY = date(2026, 11, 24)
BOOKS = playbooks.load()
COEF = urgency.coefficients()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return copy_sample(tmp_path)


@pytest.fixture(autouse=True)
def briefs_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are of the kept briefs: the whole office view kept while nothing
    changes (kept_places.KeptView, tests/test_kept_views.py) would answer instead."""
    monkeypatch.setattr(kept_places.KeptView, "get", lambda self: None)


def office(db: Path, today: date = TODAY, books: Any = BOOKS, coef: Any = COEF) -> Any:
    conn = store.connect(db)
    try:
        who = scope.actor(conn, "S0001")
        return offices.office_view(conn, who, "O01", today=today, books=books, coef=coef)
    finally:
        conn.close()


def fresh(db: Path, tmp: Path, view: Any = None, **kw: Any) -> Any:
    """The same view (``view``, default :func:`office`) on a copy of the store with nothing
    kept beside it."""
    copy = tmp / "fresh" / db.name
    copy.parent.mkdir(exist_ok=True)
    src, out = sqlite3.connect(db), sqlite3.connect(copy)
    src.backup(out)  # the WAL's writes too
    src.close()
    out.close()
    try:
        return (view or office)(copy, **kw)
    finally:
        shutil.rmtree(copy.parent)


def test_a_second_view_reads_what_the_first_kept_and_equals_a_fresh_one(
    db: Path, tmp_path: Path, evaluated: list[int]
) -> None:
    first = office(db)
    open_assigned = (
        store.connect(db)
        .execute(
            "SELECT count(*) FROM cases WHERE status = 'open' AND worker_id IS NOT NULL"
            " AND worker_id IN (SELECT staff_id FROM staff WHERE office_id = 'O01')"
        )
        .fetchone()[0]
    )
    assert evaluated == [open_assigned]  # all of them, once
    assert (nextcache.folder(db) / kept.FILE).stat().st_mode & 0o777 == 0o600
    second = office(db)
    assert evaluated == [open_assigned]  # nothing evaluated again
    assert second == first
    assert second == fresh(db, tmp_path)
    assert first.figures.open_cases == 859  # as `casecli unit` shows it for sample.db


def test_a_local_write_re_evaluates_its_case_alone(
    db: Path, tmp_path: Path, evaluated: list[int]
) -> None:
    office(db)
    conn = store.connect(db)
    who = scope.actor(conn, "S0004")
    record.add_barrier(conn, who, "C0000530", "housing", today=TODAY, books=BOOKS)
    conn.close()
    after = office(db)
    assert evaluated[1:] == [1]
    assert after == fresh(db, tmp_path)
    assert any(
        cid == "C0000530" for g in after.bottlenecks for cid, _ in g.items if g.what == "housing"
    )


def test_a_write_by_another_program_without_an_audit_row_is_seen(
    db: Path, tmp_path: Path, evaluated: list[int]
) -> None:
    before = office(db)
    with sqlite3.connect(db) as raw:
        raw.execute(
            "INSERT INTO barriers (case_id, what, opened_on, opened_by)"
            " VALUES ('C0000740', 'a court date', '2026-11-20', 'S0002')"
        )
    after = office(db)
    assert evaluated[1:] == [1]
    assert after.figures.waiting == before.figures.waiting + 1
    assert after == fresh(db, tmp_path)


def test_a_goal_set_drops_everything_kept(db: Path, evaluated: list[int]) -> None:
    # A local write that names no case (a goal) may change any case's actions.
    from casecli.core.measures import goals

    office(db)
    conn = store.connect(db)
    goals.set_goal(conn, scope.actor(conn, "S0001"), "unit", "U001", "monthly_visits", 95.0)
    conn.close()
    office(db)
    assert evaluated[0] == evaluated[1] > 100


def test_a_sync_re_evaluates_the_cases_it_touched_alone(
    db: Path, tmp_path: Path, evaluated: list[int]
) -> None:
    office(db)
    delta = tmp_path / "delta"
    delta.mkdir()
    (delta / "manifest.toml").write_text(
        'source = "t"\nas_of = 2026-11-24T23:00:00\nkind = "delta"\n', encoding="utf-8"
    )
    (delta / "referrals.csv").write_text(  # C0000530 waits on a new referral
        "referral_id,case_id,service,status,referred_on\n"
        "RX1,C0000530,housing,waitlisted,2026-11-10\n",
        encoding="utf-8",
    )
    conn = store.connect(db)
    assert sync(conn, delta, today=TODAY).status == "applied"
    conn.close()
    after = office(db)
    assert evaluated[1:] == [1]
    assert after == fresh(db, tmp_path)


@pytest.mark.parametrize("change", ["today", "coef", "books", "code"])
def test_what_every_case_depends_on_drops_everything_kept(
    db: Path, tmp_path: Path, evaluated: list[int], monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    office(db)
    kw: dict[str, Any] = {}
    if change == "today":
        kw["today"] = date(2026, 11, 25)
    elif change == "coef":
        kw["coef"] = urgency.coefficients({"overdue": 5})
    elif change == "books":
        kw["books"] = {k: b._replace(case_hours_per_month=1.0) for k, b in BOOKS.items()}
    else:  # an upgrade of casecli: its files' signature changes
        real = nextcache._files_signature
        monkeypatch.setattr(nextcache, "_files_signature", lambda d, s: real(d, s) + "new")
    after = office(db, **kw)
    assert evaluated[0] == evaluated[1] > 100
    assert after == fresh(db, tmp_path, **kw)


def test_a_damaged_or_unwritable_cache_never_changes_the_answer(
    db: Path, tmp_path: Path, evaluated: list[int]
) -> None:
    expected = fresh(db, tmp_path)
    folder = nextcache.folder(db)
    folder.mkdir(mode=0o700)
    (folder / kept.FILE).write_bytes(b"not a database" * 100)
    assert office(db) == expected
    assert office(db) == expected and evaluated[-1] == evaluated[-2]  # made anew, and kept
    assert len(evaluated) == 2
    shutil.rmtree(folder)
    folder.mkdir(mode=0o700)
    conn = sqlite3.connect(folder / kept.FILE)
    office(db)  # keeps
    conn.execute(f"UPDATE {kept.TABLE} SET briefs = 'garbage'")  # briefs that do not read
    conn.commit()
    assert office(db) == expected
    # each reads, or is a wrong answer that reads: the digest sends the worker's cases back
    for damage in ("marks = 'garbage'", "marks = '[1, \"x\"]'", "briefs = '[[1], 2]'",
                   "marks = '[-1000000000000000000000000000000, 0, 0, 0, 0, 0, \"x\"]'",
                   "marks = '[true, 0, 0, 0, 0, 0, \"x\"]'",
                   "briefs = json_set(briefs, '$[0][15]', '[[1]]')",  # a brief's body
                   "briefs = json_set(briefs, '$[0][14]', '[[1]]')",  # its waits
                   "rest = '{\"a\": 1}'", "briefs = json_set(briefs, '$[0][5]', 'on track')",
                   "briefs = json_set(briefs, '$[0][6]', 'x')",  # its urgency
                   "briefs = json_set(briefs, '$[0][7]', json_extract(briefs, '$[0][7]') + 1)",
                   "briefs = json_set(briefs, '$[0][1]', NULL)", "briefs = json_remove(briefs, '$[0]')",
                   "worker_id = worker_id || '-'", "digest = 7", "briefs = NULL",
                   # another worker's row, whole: its cases are not this worker's
                   f"(briefs, rest, digest) = (SELECT o.briefs, o.rest, o.digest FROM {kept.TABLE} o"
                   f" WHERE o.worker_id <> {kept.TABLE}.worker_id ORDER BY o.worker_id LIMIT 1)",
                   ):  # fmt: skip
        conn.execute(f"UPDATE {kept.TABLE} SET {damage}")
        conn.commit()
        assert office(db) == expected, damage
    conn.close()


def test_kept_equals_fresh_over_random_days_writes_and_deltas(db: Path, tmp_path: Path) -> None:
    # Item 5's property, on a fixed random walk (a seed, so a failure replays): each step
    # moves the day, writes locally, or syncs a delta changing some cases' events; the
    # view from what is kept equals the view evaluated afresh after every step.
    import random

    rng = random.Random(15)
    conn = store.connect(db)
    ids = [r[0] for r in conn.execute("SELECT case_id FROM cases WHERE status = 'open'")]
    events = conn.execute(
        "SELECT event_id, case_id, kind, status, scheduled_on, completed_on FROM events"
        " WHERE case_id IN (SELECT case_id FROM cases WHERE status = 'open') ORDER BY event_id"
    ).fetchall()
    conn.close()
    day, as_of = TODAY, 24
    for step in range(8):
        move = rng.choice(["day", "write", "delta", "delta"])
        if move == "day":
            day = date(2026, 11, rng.choice([24, 25, 26, 30]))
        elif move == "write":
            conn = store.connect(db)
            case_id = rng.choice(ids)
            worker = conn.execute("SELECT worker_id FROM cases WHERE case_id = ?", (case_id,))
            who = scope.actor(conn, worker.fetchone()[0] or "S0001")
            record.add_barrier(conn, who, case_id, "housing", today=day, books=BOOKS)
            conn.close()
        else:
            as_of += 0 if as_of >= 29 else 1
            delta = tmp_path / f"delta{step}"
            delta.mkdir()
            (delta / "manifest.toml").write_text(
                f'source = "t"\nas_of = 2026-11-{as_of:02d}T23:{step:02d}:00\nkind = "delta"\n',
                encoding="utf-8",
            )
            picked = rng.sample(events, 5)
            rows = "".join(
                f"{e},{c},{k},completed,{s or ''},2026-11-{rng.randint(1, 23):02d}T10:00\n"
                for e, c, k, _, s, _ in picked
            )
            (delta / "events.csv").write_text(
                "event_id,case_id,kind,status,scheduled_on,completed_on\n" + rows,
                encoding="utf-8",
            )
            conn = store.connect(db)
            sync(conn, delta, today=date(2026, 11, 30), allow_older=True)
            conn.close()
        assert office(db, today=day) == fresh(db, tmp_path, today=day), (step, move)
        # and the ranked lists' every action (full), from the rows the view above kept or
        # rewrote (it read no other actions: those of a rewritten row's other cases were
        # read again to keep them)
        conn = store.connect(db)
        clause, params = scope.cases_clause(scope.actor(conn, "S0001"), "c")
        kw: dict[str, Any] = {"today": day, "books": BOOKS, "coef": COEF}
        got = briefs.kept_views(conn, clause, params, full=True, **kw)
        want = caseload.views(conn, f"{clause} AND c.status = 'open'", params, **kw)
        conn.close()
        assert [_shape(v) for v in got] == [_shape(v) for v in want], (step, move)


def test_key_measure_counts_outlive_a_barrier_and_count_a_visits_worker_alone(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The office view's key measures (seven months of two families) are computed once a
    # day. A barrier changes no count (no measure reads barriers): read back as kept. A
    # visit recorded changes its worker's monthly visits alone: their cases are counted
    # again, not the office's (kept_counts.KeptCounts.read). Either way the scores equal
    # those of a store with nothing kept.
    from casecli.core.measures import kept_counts, measures

    filled: list[str] = []
    real = measures.Calculator._fill

    def spy(self: Any, family: Any, *rest: Any) -> Any:
        filled.append(family.__name__)
        return real(self, family, *rest)

    monkeypatch.setattr(measures.Calculator, "_fill", spy)
    alone: list[tuple[Any, ...]] = []
    real_query = kept_counts.Query

    def query(conn: Any, where: str, params: Any, *rest: Any) -> Any:
        alone.append(tuple(params))
        return real_query(conn, where, params, *rest)

    monkeypatch.setattr(kept_counts, "Query", query)
    first = office(db)
    computed = len(filled)
    assert computed >= 2  # visits and collections
    assert office(db) == first and len(filled) == computed  # all read back
    conn = store.connect(db)
    record.add_barrier(
        conn, scope.actor(conn, "S0004"), "C0000530", "housing", today=TODAY, books=BOOKS
    )
    conn.close()
    after = office(db)
    assert len(filled) == computed and alone == []
    assert after.scores == first.scores == fresh(db, tmp_path).scores
    conn = store.connect(db)  # P0001360, in care in C0000370 (S0003's), visited
    record.record_event(conn, scope.actor(conn, "S0003"), "C0000370", "caseworker_visit",
                        person_id="P0001360", location="home", on=TODAY, today=TODAY,
                        books=BOOKS)  # fmt: skip
    conn.close()
    del filled[:]  # (fresh's)
    visited = office(db)
    assert filled == [] and alone == [("O01", "S0003")]  # visits (collections read none)
    assert visited.scores == fresh(db, tmp_path).scores != first.scores


def test_an_offices_key_measures_are_computed_beside_its_cases_and_read_back(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # office_view starts the key measures in another thread (their statements run in
    # SQLite while the cases are evaluated in Python) and keeps them; the view's own
    # Scorer reads them back and computes nothing. With nothing to keep them in, no thread:
    # the view computes them itself, with the same scores.
    import threading

    from casecli.core.measures import measures

    fills = [0]
    calls: list[tuple[str, int]] = []  # per prefetch: its thread, the counts it computed
    real_fill, real_prefetch = measures.Calculator._fill, measures.Calculator.prefetch

    def fill(self: Any, *args: Any) -> Any:
        fills[0] += 1
        return real_fill(self, *args)

    def prefetch(self: Any, jobs: Any) -> None:
        before = fills[0]
        real_prefetch(self, jobs)
        calls.append((threading.current_thread().name, fills[0] - before))

    monkeypatch.setattr(measures.Calculator, "_fill", fill)
    monkeypatch.setattr(measures.Calculator, "prefetch", prefetch)
    first = office(db)
    assert len(calls) == 2 and calls[0][0] == "casecli-measures" and calls[0][1] >= 2
    assert calls[1] == ("MainThread", 0)  # read back, nothing computed
    assert first.scores and first.scores == fresh(db, tmp_path).scores
    calls.clear()
    monkeypatch.setattr(kept, "can_keep", lambda conn: False)
    shutil.rmtree(nextcache.folder(db))  # nothing kept, and nowhere to keep it
    alone = office(db)
    assert len(calls) == 1 and calls[0][0] == "MainThread" and calls[0][1] >= 2
    assert alone.scores == fresh(db, tmp_path).scores


def _counting_here(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Two processes from 100 cases on (sample.db's office is small), and the sizes of the
    parts this process evaluates (the other process runs its own, unpatched code)."""
    here: list[int] = []
    real = briefs._briefs_here
    monkeypatch.setattr(briefs, "PARALLEL_AT", 100)
    monkeypatch.setattr(
        briefs, "_briefs_here", lambda c, ids, kw: here.append(len(ids)) or real(c, ids, kw)
    )
    return here


def test_many_cases_are_evaluated_in_two_processes_with_the_same_answer(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first view of a day of a large office evaluates in a second process too (issue
    # 15 item 3); sample.db's office is small, so the threshold comes down for the test.
    import os

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: evaluated in one process")
    expected = fresh(db, tmp_path)
    here = _counting_here(monkeypatch)  # the cases this process evaluated
    assert office(db) == expected
    total = expected.figures.open_cases - len(expected.owners.unassigned)
    assert here == [total - total * 9 // 20]  # the rest went to the other process


def test_from_a_worker_thread_two_other_processes_evaluate_them_all(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The TUI evaluates in a worker thread while its event loop runs: both halves go to
    # other processes, none shares the event loop's core.
    import threading

    expected = fresh(db, tmp_path)
    here = _counting_here(monkeypatch)
    got: list[Any] = []
    worker = threading.Thread(target=lambda: got.append(office(db)))
    worker.start()
    worker.join()
    assert got == [expected]
    assert here == []  # nothing evaluated in this process


def test_the_other_process_failing_changes_nothing(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = fresh(db, tmp_path)
    here = _counting_here(monkeypatch)
    # the other process exits with an error, having written nothing
    monkeypatch.setattr(briefs, "CHILD", "raise SystemExit(3)")
    assert office(db) == expected
    assert len(here) == 2  # its part, then the other's, here


def _shape(v: Any) -> tuple[Any, ...]:
    """What the ranked lists read of a case's evaluation."""
    return (v.case_id, v.case["worker_id"], v.case["case_type"], v.situation, v.urgency,
            v.milestone, list(v.barriers), list(v.actions))  # fmt: skip


@pytest.mark.parametrize("apart", [False, True])
def test_a_managers_ranked_lists_from_kept_briefs_equal_the_engines_with_goals(
    db: Path, monkeypatch: pytest.MonkeyPatch, apart: bool
) -> None:
    # next, caseload and waiting as a supervisor or a manager read kept briefs with every
    # action (full), kept per what the worker's goals add (the goal_impact term): equal to
    # caseload.views, the engine's own, when some workers are behind their goals.
    from casecli.core.measures import focus, goals, measures

    conn = store.connect(db)
    manager = scope.actor(conn, "S0001")
    goals.set_goal(conn, manager, "unit", "U001", "monthly_visits", 95.0)
    goals.set_goal(conn, manager, "office", "O01", "current_collections", 80.0)
    clause, params = scope.cases_clause(manager, "c")
    workers = [r[0] for r in conn.execute(
        f"SELECT DISTINCT c.worker_id FROM cases c WHERE c.status = 'open' AND {clause}"
        " AND c.worker_id IS NOT NULL", params)]  # fmt: skip
    behind = focus.points_behind(conn, workers, TODAY, measures.Options.from_playbooks(BOOKS))
    assert behind  # some are behind: their cases are another variant
    kw: dict[str, Any] = {"today": TODAY, "books": BOOKS, "coef": COEF, "behind": behind,
                          "me": "S0001"}  # fmt: skip
    engine = caseload.views(conn, f"{clause} AND c.status = 'open'", params, **kw)
    assert any(t.term == "goal_impact" for v in engine for a in v.actions for t in a.terms)
    if apart:  # 45% evaluated in another process: its briefs come back with every action
        monkeypatch.setattr(briefs, "PARALLEL_AT", 100)
    first = briefs.kept_views(conn, clause, params, full=True, **kw)
    second = briefs.kept_views(conn, clause, params, full=True, **kw)
    assert isinstance(second[0], kept.Brief) or isinstance(second[-1], kept.Brief)
    assert [_shape(v) for v in first] == [_shape(v) for v in engine]
    assert [_shape(v) for v in second] == [_shape(v) for v in engine]
    # without the goals (the unit view's way) the briefs are the engine's without them
    plain = briefs.kept_views(conn, clause, params, today=TODAY, books=BOOKS, coef=COEF, full=True)
    bare = caseload.views(conn, f"{clause} AND c.status = 'open'", params, today=TODAY,
                          books=BOOKS, coef=COEF)  # fmt: skip
    assert [_shape(v) for v in plain] == [_shape(v) for v in bare] != [_shape(v) for v in engine]
    conn.close()


def _delta(tmp_path: Path, name: str, files: dict[str, str], as_of: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "manifest.toml").write_text(
        f'source = "t"\nas_of = {as_of}\nkind = "delta"\n', encoding="utf-8"
    )
    for file, text in files.items():
        (folder / file).write_text(text, encoding="utf-8")
    return folder


def _synced(db: Path, folder: Path) -> None:
    conn = store.connect(db)
    assert sync(conn, folder, today=TODAY).status == "applied"
    conn.close()


def test_a_signal_naming_a_person_but_no_case_refreshes_the_persons_case(
    db: Path, tmp_path: Path
) -> None:
    # A signal reaches every case of its person (casedata); the contract allows an empty
    # case_id. P0000001 is on C0000165: its evaluation changes ("jailed — make contact").
    office(db)
    _synced(db, _delta(tmp_path, "d1", {"signals.csv": (
        "signal_id,kind,observed_on,person_id,case_id,source,detail\n"
        "GX1,incarceration,2026-11-20,P0000001,,jail,booked\n")}, "2026-11-24T23:00:00"))  # fmt: skip
    conn = store.connect(db)
    assert ("C0000165",) in conn.execute("SELECT case_id FROM sync_cases").fetchall()
    conn.close()
    assert office(db) == fresh(db, tmp_path)


def test_a_row_moved_to_another_case_refreshes_the_case_it_left(db: Path, tmp_path: Path) -> None:
    # E0003134 (a completed safety assessment) moves from C0000262 to C0001000: both
    # cases changed, though RETURNING only gives the new case_id.
    office(db)
    conn = store.connect(db)
    row = conn.execute(
        "SELECT event_id, case_id, kind, status, scheduled_on, completed_on FROM events"
        " WHERE event_id = 'E0003134'"
    ).fetchone()
    conn.close()
    assert row[1] == "C0000262"
    moved = ",".join(str(x or "") for x in (row[0], "C0001000", *row[2:]))
    _synced(db, _delta(tmp_path, "d2", {"events.csv": (
        "event_id,case_id,kind,status,scheduled_on,completed_on\n" + moved + "\n")},
        "2026-11-24T23:00:00"))  # fmt: skip
    conn = store.connect(db)
    touched = {r[0] for r in conn.execute("SELECT case_id FROM sync_cases WHERE sync_id ="
                                          " (SELECT max(sync_id) FROM sync_log)")}  # fmt: skip
    conn.close()
    assert touched == {"C0000262", "C0001000"}
    assert office(db) == fresh(db, tmp_path)


def test_a_kept_action_that_does_not_read_is_evaluated_again_not_shown(
    db: Path, tmp_path: Path
) -> None:
    import json

    expected = fresh(db, tmp_path)
    office(db)
    side = sqlite3.connect(nextcache.folder(db) / kept.FILE)
    bundles = side.execute(f"SELECT worker_id, briefs, rest FROM {kept.TABLE}").fetchall()
    n = 0
    for worker, text, rest in bundles:
        rows, rests = json.loads(text), json.loads(rest)
        for brief, i in zip(rows, range(len(rests)), strict=True):
            parts, more = json.loads(brief[-1]), json.loads(rests[i])
            n += 1
            if n % 2 and parts[0]:
                parts[0][0][4] = "not a date"  # the top action's due date
            elif more:
                more[0][4] = "not a date"  # the second action's, read by ranked lists (full)
            brief[-1], rests[i] = json.dumps(parts), json.dumps(more)
        side.execute(f"UPDATE {kept.TABLE} SET briefs = ?, rest = ? WHERE worker_id = ?",
                     (json.dumps(rows), json.dumps(rests), worker))  # fmt: skip
    side.commit()
    side.close()
    conn = store.connect(db)
    clause, params = scope.cases_clause(scope.actor(conn, "S0001"), "c")
    for full in (False, True):  # each row's digest no longer matches: evaluated again
        views = briefs.kept_views(
            conn, clause, params, today=TODAY, books=BOOKS, coef=COEF, full=full
        )
        assert all(v.actions is not None for v in views)  # every one reads
    conn.close()
    assert office(db) == expected


def test_a_store_restored_from_a_backup_is_not_read_through_what_was_kept(
    db: Path, tmp_path: Path
) -> None:
    # Kept after a local write, then the store goes back to its backup: the kept brief
    # and counts belong to a history this store no longer has.
    backup = tmp_path / "backup.db"
    shutil.copyfile(db, backup)
    conn = store.connect(db)
    record.add_barrier(conn, scope.actor(conn, "S0004"), "C0000530", "housing", today=TODAY,
                       books=BOOKS)  # fmt: skip
    conn.close()
    office(db)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup, db)
    assert office(db) == fresh(db, tmp_path)
    # and written again after the restore: the same ids, other times
    conn = store.connect(db)
    record.add_barrier(conn, scope.actor(conn, "S0004"), "C0000530", "housing", today=TODAY,
                       books=BOOKS, now="2026-11-24T09:00:00")  # fmt: skip
    conn.close()
    assert office(db) == fresh(db, tmp_path)


def test_a_kept_table_of_another_layout_is_replaced_not_left_to_keep_nothing(
    db: Path, evaluated: list[int]
) -> None:
    # a store opened by another branch's casecli: the same table name, other columns
    folder = nextcache.folder(db)
    folder.mkdir(mode=0o700)
    side = sqlite3.connect(folder / kept.FILE)
    side.execute(f"CREATE TABLE {kept.TABLE} (case_id TEXT, brief TEXT)")
    side.close()
    first = office(db)
    assert office(db) == first
    assert len(evaluated) == 1  # kept by the first view, read by the second


def test_a_damaged_list_of_other_actions_is_evaluated_again_not_shown_short(
    db: Path, tmp_path: Path
) -> None:
    # the ranked lists (next) read every action: a cell of the other actions that is not
    # text, or is empty, sends its case back to be evaluated (not an error, not fewer actions)
    from casecli.core.views import staffing

    def ranked() -> list[Any]:
        conn = store.connect(db)
        who = scope.actor(conn, "S0001")
        clause, params = scope.cases_clause(who, "c")
        views = briefs.kept_views(
            conn, clause, params, today=TODAY, books=BOOKS, coef=COEF, full=True
        )
        out = staffing.ranked(conn, who, views, TODAY, books=BOOKS).pairs
        conn.close()
        return out

    expected = ranked()
    side = sqlite3.connect(nextcache.folder(db) / kept.FILE)
    ids = [r[0] for r in side.execute(f"SELECT worker_id FROM {kept.TABLE}")]
    side.execute(f"UPDATE {kept.TABLE} SET rest = 5 WHERE worker_id = ?", (ids[0],))
    side.execute(f"UPDATE {kept.TABLE} SET rest = NULL WHERE worker_id = ?", (ids[1],))
    side.execute(f"UPDATE {kept.TABLE} SET digest = 7 WHERE worker_id = ?", (ids[2],))
    side.execute(f"UPDATE {kept.TABLE} SET rest = '[]' WHERE worker_id = ?", (ids[3],))
    side.commit()
    side.close()
    assert ranked() == expected


def test_the_assigned_cases_of_a_scope_are_read_from_the_index_alone(db: Path) -> None:
    """A large office's views start by listing its open assigned cases and counting them
    by program: with _gone_on and program in cases_worker (schema 10) SQLite answers from
    the index, not 60,000 case rows; and the list is the same as the whole scope's
    assigned cases."""
    conn = store.connect(db)
    try:
        for kind, place in (("unit", "U001"), ("office", "O01")):
            clause, params = scope.workers_clause(kind, place)
            plan = " ".join(
                str(r[-1])
                for r in conn.execute(
                    f"EXPLAIN QUERY PLAN {briefs.ASSIGNED.format(where=clause)}", params
                )
            )
            assert "COVERING INDEX cases_worker" in plan, plan
            assert "SCAN c" not in plan, plan
            plan = " ".join(
                str(r[-1])
                for r in conn.execute(
                    f"EXPLAIN QUERY PLAN {unit_score.PROGRAMS.format(where=clause)}", params
                )
            )
            assert "COVERING INDEX cases_worker" in plan, plan  # the key measure's programs
            whole, whole_params = (scope.unit_clause if kind == "unit" else scope.office_clause)(
                place
            )
            got = sorted(conn.execute(briefs.ASSIGNED.format(where=clause), params))
            want = sorted(conn.execute(briefs.ASSIGNED.format(where=whole), whole_params))
            assert got == want and len(got) > 100
    finally:
        conn.close()


def test_a_row_written_again_never_carries_damaged_other_actions_forward(
    db: Path, tmp_path: Path
) -> None:
    # The office view reads no other actions; when it writes a worker's row again (one of
    # their cases changed), the other actions of their cases still true are carried over as
    # the row held them, and only when they read as written: damaged, they are not made
    # part of a row with a new digest that would vouch for them.
    office(db)
    side = sqlite3.connect(nextcache.folder(db) / kept.FILE)
    worker = "S0005"
    side.execute(f"UPDATE {kept.TABLE} SET rest = replace(rest, 'a', 'b') WHERE worker_id = ?",
                 (worker,))  # fmt: skip
    side.commit()
    conn = store.connect(db)
    case_id = conn.execute(
        "SELECT min(case_id) FROM cases WHERE worker_id = ? AND status = 'open'", (worker,)
    ).fetchone()[0]
    record.add_barrier(conn, scope.actor(conn, worker), case_id, "housing", today=TODAY,
                       books=BOOKS)  # fmt: skip
    clause, params = scope.cases_clause(scope.actor(conn, "S0001"), "c")
    conn.close()
    office(db)  # writes S0005's row again (or leaves it): never with the damaged text vouched for
    conn = store.connect(db)
    kw: dict[str, Any] = {"today": TODAY, "books": BOOKS, "coef": COEF}
    got = briefs.kept_views(conn, clause, params, full=True, **kw)
    want = caseload.views(conn, f"{clause} AND c.status = 'open'", params, **kw)
    conn.close()
    assert [_shape(v) for v in got] == [_shape(v) for v in want]
    assert office(db) == fresh(db, tmp_path)


def test_views_in_two_threads_leave_the_cycle_collector_as_they_found_it() -> None:
    # The TUI reads views in worker threads, which can overlap: the first to begin pauses
    # the collector, the last to end starts it again (not the first to end, nor never).
    import gc
    import threading

    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with kept.bulk():
            inside.set()
            leave.wait(5)

    assert gc.isenabled()
    t = threading.Thread(target=other)
    t.start()
    inside.wait(5)
    with kept.bulk():
        assert not gc.isenabled()
        leave.set()
        t.join(5)
        assert not gc.isenabled()  # the other ended first: still paused for this one
    assert gc.isenabled()
    gc.disable()  # paused by someone else before: left paused
    try:
        with kept.bulk():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_sync_evaluates_again_the_kept_cases_it_changed_so_the_view_after_it_reads_them(
    db: Path, tmp_path: Path, evaluated: list[int]
) -> None:
    # `casecli sync`'s hook (after_sync.sync_hook): the cases the delta changed among those kept
    # for today are evaluated again by the sync itself, once it has committed; the
    # office's first view after it evaluates nothing and equals a fresh one.
    office(db)
    conn = store.connect(db)
    hook = after_sync.sync_hook(today=TODAY, settings=lambda: (BOOKS, COEF))
    folder = _delta(tmp_path, "d1", {"referrals.csv": (
        "referral_id,case_id,service,status,referred_on\n"
        "RX1,C0000530,housing,waitlisted,2026-11-10\n"
        "RX2,C0000262,substance_treatment,waitlisted,2026-11-01\n")}, "2026-11-24T23:00:00")  # fmt: skip
    assert sync(conn, folder, today=TODAY, before_commit=hook).status == "applied"
    conn.close()
    assert evaluated[1:] == [2]  # by the sync: its two cases
    after = office(db)
    assert evaluated[2:] == []  # the view: nothing
    assert after == fresh(db, tmp_path)
    # a sync into a store with nothing kept evaluates nothing, and makes nothing beside it
    (tmp_path / "bare").mkdir()
    other = copy_sample(tmp_path / "bare")
    conn = store.connect(other)
    evaluated.clear()
    assert sync(conn, folder, today=TODAY, before_commit=hook).status == "applied"
    conn.close()
    assert evaluated == []
    assert not (other.parent / f"{other.name}-cache").exists()


def test_a_sync_brings_each_kept_variant_up_to_date_as_its_view_would(
    db: Path, tmp_path: Path, evaluated: list[int]
) -> None:
    # Briefs kept with goals behind for some workers and "you are" for one (a supervisor
    # who carries cases): the sync evaluates each changed case with its worker's variant,
    # and the same view after it reads them, equal to the engine's own evaluation.
    conn = store.connect(db)
    clause, params = scope.workers_clause("office", "O01")
    owners = [
        conn.execute("SELECT worker_id FROM cases WHERE case_id = ?", (c,)).fetchone()[0]
        for c in ("C0000017", "C0000042")
    ]  # fmt: skip (two children in care)
    assert owners == ["S0004", "S0023"]  # "you are" behind; S0023 is behind
    goals = {"monthly_visits": 3.0, "timely_response": 2.0, "investigations_closed_on_time": 2.0}
    kw: dict[str, Any] = {"today": TODAY, "books": BOOKS, "coef": COEF,
                          "behind": dict.fromkeys(owners, goals), "me": "S0004"}  # fmt: skip
    briefs.kept_views(conn, f"c.status = 'open' AND {clause}", params, full=True, **kw)
    hook = after_sync.sync_hook(today=TODAY, settings=lambda: (BOOKS, COEF))
    folder = _delta(tmp_path, "d1", {"events.csv": (
        "event_id,case_id,kind,status,scheduled_on,completed_on\n"
        "EX1,C0000017,caseworker_visit,scheduled,2026-11-26,\n"
        "EX2,C0000042,caseworker_visit,scheduled,2026-11-27,\n")}, "2026-11-24T23:00:00")  # fmt: skip
    conn.close()
    conn = store.connect(db)
    assert sync(conn, folder, today=TODAY, before_commit=hook).status == "applied"
    evaluated.clear()
    got = briefs.kept_views(conn, f"c.status = 'open' AND {clause}", params, full=True, **kw)
    assert evaluated == []
    want = caseload.views(conn, f"c.status = 'open' AND {clause}", params, **kw)
    conn.close()
    assert [_shape(v) for v in got] == [_shape(v) for v in want]
    said = " ".join(str(a) for v in got if v.case_id in ("C0000017", "C0000042")
                    for a in v.actions)  # fmt: skip
    assert "you are" in said and "S0023 is" in said  # (each with its own variant)


def test_a_sync_leaves_rows_true_of_nothing_to_their_views(
    db: Path, tmp_path: Path, evaluated: list[int]
) -> None:
    # A goal set drops everything kept (its audit entry names no case): a sync after it
    # evaluates nothing (those rows may never be asked for again); the view does, once.
    office(db)
    conn = store.connect(db)
    from casecli.core.measures import goals

    goals.set_goal(conn, scope.actor(conn, "S0001"), "unit", "U001", "monthly_visits", 95.0)
    hook = after_sync.sync_hook(today=TODAY, settings=lambda: (BOOKS, COEF))
    folder = _delta(tmp_path, "d1", {"referrals.csv": (
        "referral_id,case_id,service,status,referred_on\n"
        "RX1,C0000530,housing,waitlisted,2026-11-10\n")}, "2026-11-24T23:00:00")  # fmt: skip
    evaluated.clear()
    assert sync(conn, folder, today=TODAY, before_commit=hook).status == "applied"
    conn.close()
    assert evaluated == []
    assert office(db) == fresh(db, tmp_path)


def test_casecli_sync_never_fails_on_settings_and_lets_go_of_its_lock_first(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, evaluated: list[int]
) -> None:
    # The kept views are brought up to date after the sync has said what it did and let
    # go of its lock (another sync may start), with the settings read only then: a config
    # this casecli cannot read fails the views (as before), never the sync.
    from typer.testing import CliRunner

    from casecli.cli.main import app
    from casecli.core.ingest.sync import sync_store

    office(db)
    folder = _delta(tmp_path, "d1", {"referrals.csv": (
        "referral_id,case_id,service,status,referred_on\n"
        "RX1,C0000530,housing,waitlisted,2026-11-10\n")}, "2026-11-24T23:00:00")  # fmt: skip
    seen: list[str] = []
    real = briefs.refresh_briefs

    def meanwhile(conn: sqlite3.Connection, **kw: Any) -> None:
        seen.append(sync_store(db, folder, today=TODAY).status)  # not "another sync is running"
        real(conn, **kw)

    monkeypatch.setattr(briefs, "refresh_briefs", meanwhile)
    runner = CliRunner()
    base = ["--db", str(db), "--today", "2026-11-24"]
    ok = runner.invoke(app, [*base, "sync", str(folder)],
                       env={"CASECLI_CONFIG": "/nonexistent/c.toml"})  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert seen == ["unchanged"]
    assert evaluated[1:] == [1]  # C0000530, by the sync's hook
    config = tmp_path / "c.toml"
    config.write_text("[urgency]\nno_such_term = 2\n", encoding="utf-8")
    folder2 = _delta(tmp_path, "d2", {"referrals.csv": (
        "referral_id,case_id,service,status,referred_on\n"
        "RX2,C0000262,housing,waitlisted,2026-11-10\n")}, "2026-11-24T23:30:00")  # fmt: skip
    bad = runner.invoke(app, [*base, "sync", str(folder2)], env={"CASECLI_CONFIG": str(config)})
    assert bad.exit_code == 0, bad.output
    assert "applied" in bad.stdout
