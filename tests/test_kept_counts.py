"""Measure counts kept beside the store and brought up to date by the sync that changes
them (casecli.core.measures.kept_counts; issue 15 items 2 and 5).

Every test compares what is kept with the same counts computed afresh over the store (no
cache): the numbers a user would see in ``score``, ``focus`` and the unit and office
views."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from casecli.core.engine import playbooks
from casecli.core.ingest.sync import sync
from casecli.core.local import record
from casecli.core.measures import kept_counts, measures, periods
from casecli.core.store import contract, scope, store
from tests.tui.helpers import copy_sample

TODAY = date(2026, 11, 24)
BOOKS = playbooks.load()
OPTIONS = measures.Options.from_playbooks(BOOKS)
MEASURES = list(measures.MEASURES)  # every measure: the per-case families and the others
SCOPES = [measures.scope_clause("office", "O01"), measures.scope_clause("unit", "U001"),
          measures.scope_clause("unit", "U004"),  # (U004: child support)
          measures.scope_clause("worker", "S0032")]  # fmt: skip


def plans(today: date) -> list[list[periods.Period]]:
    """The period lists the views ask for: score's (a fiscal year, its trend months and
    the year before), the unit and office views' (this month and six before), one month."""
    fy, month = periods.ffy_of(today), periods.month_of(today)
    return [
        [fy, *periods.last_months(fy, 6, today), periods.year_before(fy)],
        [month, *periods.last_months(month, 6, today)],
        [month],
    ]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return copy_sample(tmp_path)


@pytest.fixture
def filled(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Each family a Calculator computed (not read kept), with its where."""
    out: list[tuple[str, str]] = []
    real = measures.Calculator._fill

    def spy(self: Any, family: Any, where: str, *rest: Any) -> Any:
        out.append((family.__name__, where))
        return real(self, family, where, *rest)

    monkeypatch.setattr(measures.Calculator, "_fill", spy)
    return out


def per_case_over_many(filled: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Of ``filled``, the per-case families over a unit's or an office's cases: what a
    sync brings up to date."""
    names = {f.__name__ for f in measures.PER_CASE}
    return [(f, w) for f, w in filled if f in names and "staff" in w]


def counts(conn: sqlite3.Connection, today: date, keep: Any) -> dict[tuple[Any, ...], Any]:
    """Every measure's counts per worker, for each scope and period list."""
    calc = measures.Calculator(conn, today, OPTIONS, keep=keep)
    out = {}
    for where, params in SCOPES:
        for ps in plans(today):
            for m in MEASURES:
                out[(where, tuple(params), tuple(ps), m)] = calc.by_worker_over(
                    m, where, params, ps
                )
    return out


def kept_now(db: Path, today: date = TODAY) -> dict[tuple[Any, ...], Any]:
    """The counts as the views get them: kept ones read back, the others computed and kept."""
    conn = store.connect(db)
    keep = kept_counts.KeptCounts(conn, today)
    try:
        return counts(conn, today, keep)
    finally:
        keep.close()
        conn.close()


def fresh(db: Path, today: date = TODAY) -> dict[tuple[Any, ...], Any]:
    conn = store.connect(db)
    try:
        return counts(conn, today, None)
    finally:
        conn.close()


def _delta(tmp_path: Path, name: str, files: dict[str, list[dict[str, Any]]], as_of: str) -> Path:
    """A delta export of these rows (each a dict of the file's columns)."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "manifest.toml").write_text(
        f'source = "t"\nas_of = {as_of}\nkind = "delta"\n', encoding="utf-8"
    )
    for file, rows in files.items():
        rt = next(r for r in contract.RECORD_TYPES if r.file == file)
        lines = [",".join(rt.names)]
        lines += [",".join(_cell(c, r.get(c)) for c in rt.names) for r in rows]
        (folder / file).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


MONEY = {"current_due", "current_paid", "arrears_due", "arrears_paid"}  # cents in the
# store, dollars in an export (EXPORTS.md: payments.csv)


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column in MONEY:
        return f"{int(value) / 100:.2f}"
    return str(value)


def _rows(
    conn: sqlite3.Connection, file: str, where: str, params: Any = ()
) -> list[dict[str, Any]]:
    rt = next(r for r in contract.RECORD_TYPES if r.file == file)
    cur = conn.execute(f"SELECT {', '.join(rt.names)} FROM {rt.name} WHERE {where}", params)
    return [dict(zip(rt.names, r, strict=True)) for r in cur]


def _synced(db: Path, folder: Path, hook: Any = kept_counts.refresh) -> None:
    """Sync ``folder`` as ``casecli sync`` does (bringing the kept counts up to date)."""
    conn = store.connect(db)
    try:
        result = sync(conn, folder, today=TODAY, allow_older=True, before_commit=hook)
        assert result.status == "applied"
    finally:
        conn.close()


def _visit(db: Path) -> None:
    """Record in casecli a visit to the first open case with a child in care."""
    conn = store.connect(db)
    try:
        case_id, owner, child = conn.execute(
            "SELECT c.case_id, c.worker_id, r.person_id FROM cases c JOIN removals r"
            " ON r.case_id = c.case_id WHERE c.status = 'open' AND c.worker_id IS NOT NULL"
            " AND r.discharged_on IS NULL ORDER BY 1, 3 LIMIT 1").fetchone()  # fmt: skip
        record.record_event(conn, scope.actor(conn, owner), case_id, "caseworker_visit",
                            on="2026-11-10", person_id=child, today=TODAY, books=BOOKS)  # fmt: skip
    finally:
        conn.close()


def _pay(
    db: Path,
    tmp_path: Path,
    name: str,
    cents: int,
    at: str,
    case: str = "C0000166",
    hook: Any = kept_counts.refresh,
) -> None:
    """Sync a delta adding ``cents`` to what ``case`` paid in September 2026."""
    conn = store.connect(db)
    pays = _rows(conn, "payments.csv", "case_id = ? AND month = '2026-09'", (case,))
    conn.close()
    pays[0]["current_paid"] = int(pays[0]["current_paid"]) + cents
    _synced(db, _delta(tmp_path, name, {"payments.csv": pays}, at), hook)


def test_a_sync_brings_the_kept_counts_up_to_date_and_no_view_counts_them_again(
    db: Path, tmp_path: Path, filled: list[tuple[str, str]]
) -> None:
    first = kept_now(db)
    assert first == fresh(db)
    filled.clear()
    assert kept_now(db) == first and filled == []  # nothing changed: all read back
    conn = store.connect(db)
    kids = _rows(conn, "people.csv", "role = 'child' AND born_out_of_wedlock = 1"
                 " AND paternity_established_on IS NULL AND case_id IN (SELECT case_id FROM"
                 " cases WHERE status = 'open' AND program = 'child_support')"
                 " ORDER BY person_id LIMIT 1")  # fmt: skip
    pays = _rows(conn, "payments.csv", "case_id = 'C0000166' AND month = '2026-09'")
    conn.close()
    kids[0]["paternity_established_on"] = "2026-11-02"
    pays[0]["current_paid"] = int(pays[0]["current_paid"]) + 12_345
    _synced(db, _delta(tmp_path, "d1", {"people.csv": kids, "payments.csv": pays},
                       "2026-11-24T23:00:00"))  # fmt: skip
    after, counted = kept_now(db), list(filled)
    assert after == fresh(db)
    assert after != first  # (the sync changed what score shows: paternity, collections)
    # the per-case families over the office and the units were brought up to date by the
    # sync: read back; the others (the cross-case families, a worker's) counted again
    assert per_case_over_many(counted) == []
    assert {f for f, _ in counted} >= {"reentry", "recurrence", "collections"}


def test_kept_counts_equal_fresh_over_random_deltas_and_moves(
    db: Path, tmp_path: Path, filled: list[tuple[str, str]]
) -> None:
    # Item 5's property for the counts: on a fixed random walk (a seed: a failure
    # replays), each step syncs a delta (payments, a child's paternity, a visit, a case
    # reassigned or closed, a new case, a worker moved to another unit or office), or
    # records a visit or a barrier in casecli; after every step the counts as the views get
    # them equal those computed afresh, for every measure, four scopes and three period
    # lists; the per-case families are never counted whole again (after a sync, those it
    # brings up to date are read back; after a local write, they are read back with the
    # visit's worker counted alone).
    rng = random.Random(2026)
    kept_now(db)
    conn = store.connect(db)
    cs_cases = [r[0] for r in conn.execute(
        "SELECT DISTINCT case_id FROM payments WHERE month >= '2026-05'")]  # fmt: skip
    cw_open = [r[0] for r in conn.execute(
        "SELECT case_id FROM cases WHERE program = 'child_welfare' AND status = 'open'"
        " AND case_id IN (SELECT case_id FROM removals)")]  # fmt: skip
    workers = [r[0] for r in conn.execute("SELECT staff_id FROM staff WHERE role = 'worker'")]
    conn.close()
    moves = ["payments", "paternity", "visit", "reassign", "close", "new", "staff", "write",
             "write", "barrier", "staff", "reassign"]  # fmt: skip
    for step in range(18):
        move = moves[step] if step < len(moves) else rng.choice(moves)
        conn = store.connect(db)
        files: dict[str, list[dict[str, Any]]] = {}
        if move == "payments":
            picked = rng.sample(cs_cases, 4)
            rows = _rows(conn, "payments.csv", f"case_id IN ({','.join('?' * 4)})"
                         " AND month >= '2026-05'", picked)  # fmt: skip
            for r in rows:
                r["current_paid"] = rng.randint(0, int(r["current_due"]) + 5000)
                r["arrears_paid"] = rng.choice([0, 0, 2500])
            files["payments.csv"] = rows
        elif move == "paternity":
            rows = _rows(conn, "people.csv", "role = 'child' AND born_out_of_wedlock = 1"
                         " AND paternity_established_on IS NULL")  # fmt: skip
            picked = rng.sample(rows, 3)
            for r in picked:
                r["paternity_established_on"] = f"2026-{rng.randint(6, 11):02d}-03"
            files["people.csv"] = picked
        elif move == "visit":
            files["events.csv"] = [
                {"event_id": f"EV{step}{i}", "case_id": c, "kind": "caseworker_visit",
                 "status": "completed", "completed_on": f"2026-{rng.randint(6, 11):02d}-05",
                 "location": rng.choice(["home", "office"])}
                for i, c in enumerate(rng.sample(cw_open, 3))
            ]  # fmt: skip
        elif move in ("reassign", "close"):
            picked = rng.sample(_rows(conn, "cases.csv", "status = 'open' ORDER BY case_id"), 4)
            for r in picked:
                if move == "reassign":
                    r["worker_id"] = rng.choice(workers)
                else:
                    r["status"], r["closed_on"] = "closed", "2026-11-20"
            files["cases.csv"] = picked
        elif move == "new":
            model = _rows(conn, "cases.csv", "program = 'child_support' AND status = 'open'"
                          " ORDER BY case_id LIMIT 1")[0]  # fmt: skip
            model |= {"case_id": f"CN{step:05d}", "worker_id": rng.choice(workers),
                      "opened_on": "2026-06-01", "order_established_on": "2026-07-01"}  # fmt: skip
            files["cases.csv"] = [model]
            files["payments.csv"] = [
                {"case_id": model["case_id"], "month": "2026-08", "current_due": 30000,
                 "current_paid": 20000, "arrears_due": 0, "arrears_paid": 0}
            ]  # fmt: skip
        elif move == "staff":
            row = _rows(conn, "staff.csv", "staff_id = ?", (rng.choice(workers),))[0]
            if rng.random() < 0.5:
                row["unit_id"] = "U004" if row["unit_id"] != "U004" else "U001"
            else:
                row |= {"unit_id": "U901", "office_id": "O02", "office_name": "South"}
            files["staff.csv"] = [row]
        if files:
            conn.close()
            _synced(db, _delta(tmp_path, f"d{step}", files, f"2026-11-24T23:{step:02d}:00"))
        elif move == "barrier":  # a local write no count reads
            case_id, owner = rng.choice(conn.execute(
                "SELECT case_id, worker_id FROM cases WHERE status = 'open'"
                " AND worker_id IS NOT NULL ORDER BY 1").fetchall())  # fmt: skip
            record.add_barrier(conn, scope.actor(conn, owner), case_id, "a bed", today=TODAY,
                               books=BOOKS)  # fmt: skip
            conn.close()
        else:  # a visit recorded in casecli
            case_id, owner, child = rng.choice(conn.execute(
                "SELECT c.case_id, c.worker_id, r.person_id FROM cases c JOIN removals r"
                " ON r.case_id = c.case_id WHERE c.status = 'open' AND c.worker_id IS NOT NULL"
                " AND r.discharged_on IS NULL ORDER BY 1, 3").fetchall())  # fmt: skip
            record.record_event(
                conn, scope.actor(conn, owner), case_id, "caseworker_visit", on="2026-11-10",
                person_id=child, location="home", today=TODAY, books=BOOKS,
            )  # fmt: skip
            conn.close()
        filled.clear()
        got, counted = kept_now(db), list(filled)
        assert got == fresh(db), (step, move)
        # brought up to date by the sync, or after a local write read back (a barrier) or
        # with the visit's worker counted again alone: never counted whole
        assert per_case_over_many(counted) == [], (step, move)


def test_counts_kept_before_a_local_write_are_left_to_the_next_view(
    db: Path, tmp_path: Path, filled: list[tuple[str, str]]
) -> None:
    # Kept, then a visit recorded, then a sync with no view between: what was kept is not
    # the store as the sync began, so the sync leaves it; the next view counts afresh.
    kept_now(db)
    _visit(db)
    _pay(db, tmp_path, "d1", 500, "2026-11-24T23:00:00")
    filled.clear()
    got, counted = kept_now(db), list(filled)
    assert got == fresh(db)
    assert per_case_over_many(counted)


@pytest.mark.parametrize("meanwhile", ["a visit recorded", "a view keeping its counts"])
def test_what_happens_between_the_commit_and_the_refresh(
    db: Path, tmp_path: Path, filled: list[tuple[str, str]], meanwhile: str
) -> None:
    # Brought up to date only as of the store right after the sync: a visit recorded by
    # someone else in between would be in the counts and not in their marks, so they are
    # left to the next view. A view that counted afresh and kept its counts in between
    # is not written over (each is kept as of its own marks): the next view reads them.
    kept_now(db)

    def hook(conn: sqlite3.Connection, sync_id: int) -> Any:
        after = kept_counts.refresh(conn, sync_id)
        assert after is not None

        def late(conn: sqlite3.Connection) -> None:
            if meanwhile == "a visit recorded":
                _visit(db)  # by someone else
            else:
                kept_now(db)  # counts afresh (the kept marks are before this sync), keeps
            after(conn)

        return late

    _pay(db, tmp_path, "d1", 1, "2026-11-24T23:00:00", hook=hook)
    filled.clear()
    got, counted = kept_now(db), list(filled)
    assert got == fresh(db)
    assert bool(per_case_over_many(counted)) == (meanwhile == "a visit recorded")


def test_a_failing_hook_never_fails_the_sync(db: Path, tmp_path: Path) -> None:
    def boom(conn: sqlite3.Connection, sync_id: int) -> Any:
        raise RuntimeError("a bug in what is kept")

    def late_boom(conn: sqlite3.Connection, sync_id: int) -> Any:
        return lambda conn: 1 / 0

    kept_now(db)
    for i, hook in enumerate((boom, late_boom)):
        conn = store.connect(db)
        pays = _rows(conn, "payments.csv", "case_id = 'C0000166' AND month = '2026-09'")
        conn.close()
        pays[0]["current_paid"] = int(pays[0]["current_paid"]) + 1
        _synced(db, _delta(tmp_path, f"d{i}", {"payments.csv": pays},
                           f"2026-11-24T23:0{i}:00"), hook)  # fmt: skip
        assert kept_now(db) == fresh(db)


def test_a_table_loaded_whole_or_a_damaged_kept_count_is_left_to_the_next_view(
    db: Path, tmp_path: Path, filled: list[tuple[str, str]]
) -> None:
    kept_now(db)
    side = sqlite3.connect(db.parent / f"{db.name}-cache" / "evals.db")
    side.execute(f"UPDATE {kept_counts.COUNTS} SET value = '[[1, 2]]' WHERE key LIKE '%visits%'")
    side.execute(f"UPDATE {kept_counts.COUNTS} SET spec = 'x' WHERE key LIKE '%investigations%'")
    side.commit()
    side.close()
    _pay(db, tmp_path, "d1", 5, "2026-11-24T23:00:00")
    filled.clear()
    got, counted = kept_now(db), list(filled)
    assert got == fresh(db)
    names = {f for f, _ in per_case_over_many(counted)}
    assert names == {"visits", "investigations"}  # those two alone counted again


def test_casecli_sync_brings_the_score_a_manager_kept_up_to_date(
    db: Path, tmp_path: Path, filled: list[tuple[str, str]]
) -> None:
    # End to end, as a manager's morning goes: score (kept), the nightly delta through
    # `casecli sync`, score again: the per-case families are read back, not counted, and
    # the scorecard equals the one a store with nothing kept shows.
    import shutil

    from typer.testing import CliRunner

    from casecli.cli.main import app

    runner = CliRunner()

    def cli(path: Path, *args: str) -> Any:
        base = ["--db", str(path), "--today", "2026-11-24", "--as", "S0001"]
        result = runner.invoke(app, [*base, *args], env={"CASECLI_CONFIG": "/nonexistent/c.toml"})
        assert result.exit_code == 0, result.output
        return result

    before = json.loads(cli(db, "score", "--office", "O01", "--json").stdout)
    conn = store.connect(db)
    pays = _rows(conn, "payments.csv", "case_id = 'C0000166' AND month = '2026-09'")
    conn.close()
    pays[0]["current_paid"] = int(pays[0]["current_paid"]) + 40_000
    delta = _delta(tmp_path, "d1", {"payments.csv": pays}, "2026-11-24T23:00:00")
    cli(db, "sync", str(delta), "--allow-older")
    filled.clear()
    got = json.loads(cli(db, "score", "--office", "O01", "--json").stdout)
    assert per_case_over_many(filled) == []
    copy = tmp_path / "copy" / "s.db"
    copy.parent.mkdir()
    src, out = sqlite3.connect(db), sqlite3.connect(copy)
    src.backup(out)
    src.close()
    out.close()
    want = json.loads(cli(copy, "score", "--office", "O01", "--json").stdout)
    shutil.rmtree(copy.parent)
    assert got == want
    line = {x["measure"]: x for x in got["measures"]}["current_collections"]
    was = {x["measure"]: x for x in before["measures"]}["current_collections"]
    assert line["previous_year"] > was["previous_year"]  # FFY2026 holds September's


def test_an_unchanged_sync_keeps_them_current_and_another_days_are_left(
    db: Path, tmp_path: Path, filled: list[tuple[str, str]]
) -> None:
    # An export synced again changes nothing but is logged (the marks move): the kept
    # counts are brought to the new marks, not dropped. Counts kept for a day before the
    # sync's are left as they are (no view reads them again).
    kept_now(db)
    _pay(db, tmp_path, "d1", 7, "2026-11-24T23:00:00")
    conn = store.connect(db)
    again = sync(conn, tmp_path / "d1", today=TODAY, allow_older=True,
                 before_commit=kept_counts.refresh)  # fmt: skip
    conn.close()
    assert again.status == "unchanged"
    filled.clear()
    got, counted = kept_now(db), list(filled)
    assert got == fresh(db)
    assert per_case_over_many(counted) == []

    def later(conn: sqlite3.Connection, sync_id: int) -> Any:
        return kept_counts.refresh(conn, sync_id, date(2026, 11, 25))

    def marks() -> list[tuple[str, str]]:
        side = sqlite3.connect(db.parent / f"{db.name}-cache" / "evals.db")
        try:
            return side.execute(
                f"SELECT key, marks FROM {kept_counts.COUNTS} ORDER BY key"
            ).fetchall()
        finally:
            side.close()

    _pay(db, tmp_path, "d2", 7, "2026-11-24T23:30:00")  # brought up to date
    before = marks()
    conn = store.connect(db)
    pays = _rows(conn, "payments.csv", "case_id = 'C0000166' AND month = '2026-09'")
    conn.close()
    pays[0]["current_paid"] = int(pays[0]["current_paid"]) + 1
    _synced(db, _delta(tmp_path, "d3", {"payments.csv": pays}, "2026-11-24T23:45:00"), later)
    assert marks() == before  # kept for the 24th, the hook for the 25th on: left
    assert kept_now(db) == fresh(db)


def test_a_kept_table_of_an_earlier_layout_is_dropped_not_left_to_keep_nothing(
    db: Path, filled: list[tuple[str, str]]
) -> None:
    folder = db.parent / f"{db.name}-cache"
    folder.mkdir(mode=0o700)
    side = sqlite3.connect(folder / "evals.db")
    side.execute("CREATE TABLE counts_v2 (key TEXT PRIMARY KEY, stamp TEXT, made_on TEXT,"
                 " marks TEXT, value TEXT)")  # fmt: skip
    side.commit()
    side.close()
    kept_now(db)
    filled.clear()
    got, counted = kept_now(db), list(filled)
    assert counted == [] and got == fresh(db)  # kept, and read back


def test_a_workers_last_year_read_from_the_offices_counts_equals_their_own(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # focus and the digests (no trend) read a worker's year before from the office's
    # counts per worker, which a sync keeps up to date, instead of a statement each: the
    # same scorecard, for every worker of the office, as counting their own cases.
    from casecli.core.measures import score as sc

    conn = store.connect(db)
    workers = conn.execute(
        "SELECT staff_id, unit_id, office_id FROM staff WHERE role = 'worker' ORDER BY 1"
    ).fetchall()
    calc = measures.Calculator(conn, TODAY, OPTIONS)
    got = [sc.scorecard(conn, sc.Scope("worker", w, None, u, o), None, TODAY, options=OPTIONS,
                        trend_months=0, calc=calc) for w, u, o in workers]  # fmt: skip
    monkeypatch.setattr(sc, "_over_wide", lambda scope, months, same: same)  # (as before)
    want = [sc.scorecard(conn, sc.Scope("worker", w, None, u, o), None, TODAY, options=OPTIONS,
                         trend_months=0) for w, u, o in workers]  # fmt: skip
    conn.close()
    assert got == want
    assert any(line.previous_year is not None for card in got for line in card.lines)


def _record(db: Path, who: str, case_id: str, kind: str, **kw: Any) -> None:
    conn = store.connect(db)
    try:
        record.record_event(conn, scope.actor(conn, who), case_id, kind, today=TODAY,
                            books=BOOKS, **kw)  # fmt: skip
    finally:
        conn.close()


def test_the_families_said_to_read_no_recorded_event_count_the_same_whatever_is_recorded(
    db: Path,
) -> None:
    # KeptCounts.read keeps the counts of a family outside measures.READS_RECORDED after an
    # event is recorded: so no such family may move when any kind of event is recorded on
    # any kind of case (a child's, with a result), in the periods the views ask for.
    before = fresh(db)
    conn = store.connect(db)
    cases = (
        conn.execute(
            "SELECT c.case_id, c.worker_id, p.person_id FROM cases c JOIN people p"
            " ON p.case_id = c.case_id AND p.role = 'child' WHERE c.status = 'open'"
            " AND c.worker_id IS NOT NULL GROUP BY c.case_type ORDER BY 1"
        ).fetchall()
        + conn.execute(  # and children in care (the visit measure's)
            "SELECT c.case_id, c.worker_id, r.person_id FROM cases c JOIN removals r"
            " ON r.case_id = c.case_id WHERE c.status = 'open' AND c.worker_id IS NOT NULL"
            " AND r.discharged_on IS NULL ORDER BY 1, 3 LIMIT 3"
        ).fetchall()
    )
    conn.close()
    assert len(cases) >= 5  # (one of each case type)
    for kind in record.known_kinds(BOOKS):
        for case_id, worker, child in cases:
            for on in ("2026-06-10", "2026-11-10"):
                _record(db, worker, case_id, kind, person_id=child, on=on,
                        location="home", result="substantiated")  # fmt: skip
    after = fresh(db)
    moved = {measures.get(k[3]).family for k in before if before[k] != after[k]}
    assert moved <= measures.READS_RECORDED, moved
    assert measures.get("monthly_visits").family in moved  # (the events took effect)


def test_a_finding_on_one_case_moves_another_workers_count_and_is_counted_whole(
    db: Path, tmp_path: Path, filled: list[tuple[str, str]]
) -> None:
    # Maltreatment in care follows the child: a substantiated finding recorded on S0004's
    # case, about a child in care in C0000004 (S0028's), is S0028's to count. Counting the
    # recording worker again alone would miss it; the family is counted whole.
    conn = store.connect(db)
    child = _rows(conn, "people.csv", "person_id = 'P0000032' AND case_id = 'C0000004'")[0]
    conn.close()
    child["case_id"] = "C0000002"  # the same child, in S0004's investigation too
    _synced(db, _delta(tmp_path, "d1", {"people.csv": [child]}, "2026-11-24T23:00:00"))
    kept_now(db)
    _record(db, "S0004", "C0000002", "finding", person_id="P0000032", on="2026-11-10",
            result="substantiated")  # fmt: skip
    filled.clear()
    got = kept_now(db)
    assert got == fresh(db)
    assert ("maltreatment_in_care", SCOPES[0][0]) in filled  # counted whole
    key = (SCOPES[0][0], tuple(SCOPES[0][1]), tuple(plans(TODAY)[2]), "maltreatment_in_care")
    assert got[key][0]["S0028"].numerator == 1


def test_a_visit_on_an_unassigned_case_counts_the_unassigned_whole(db: Path) -> None:
    # Every case counts (scope: all); a face-to-face contact recorded on an unassigned
    # investigation moves the unassigned row (no worker's): counted whole, as a store with
    # nothing kept counts it.
    where, params = measures.scope_clause("all", None)
    periods_ = plans(TODAY)[0]

    def timely(keep: Any) -> Any:
        conn = store.connect(db)
        calc = measures.Calculator(conn, TODAY, OPTIONS, keep=keep)
        try:
            return calc.by_worker_over("timely_response", where, params, periods_)
        finally:
            conn.close()

    def kept_timely() -> Any:
        conn = store.connect(db)
        keep = kept_counts.KeptCounts(conn, TODAY)
        try:
            return measures.Calculator(conn, TODAY, OPTIONS, keep=keep).by_worker_over(
                "timely_response", where, params, periods_
            )
        finally:
            keep.close()
            conn.close()

    first = kept_timely()
    _record(db, "S0001", "C0000582", "face_to_face_contact", on="2026-11-23T20:00", person_id="all")
    after = kept_timely()
    assert after == timely(None) and after != first


def test_counts_kept_in_a_store_restored_from_a_backup_are_not_brought_forward(
    db: Path, tmp_path: Path
) -> None:
    # Kept; a visit that counts (P0001360, in care in C0000370, not yet visited in
    # November); kept again. The store restored from its backup, then another visit
    # written (the same ids, another case and another time: the audit entry's time is the
    # marks' lineage): the kept marks are not this store's history, so nothing is brought
    # forward from them, and the first visit is not counted.
    backup = tmp_path / "backup.db"
    kept_now(db)
    backup.write_bytes(db.read_bytes())
    before = fresh(db)
    _record(db, "S0003", "C0000370", "caseworker_visit", person_id="P0001360", on=TODAY,
            location="home")  # fmt: skip
    assert kept_now(db) != before
    db.write_bytes(backup.read_bytes())
    _record(db, "S0023", "C0000995", "caseworker_visit", person_id="P0003581",
            on="2026-11-12", location="home", now="2026-11-24T12:00:00")  # fmt: skip
    assert kept_now(db) == fresh(db) == before
