"""Kept evaluations on a team store (issue 17 item 8; casecli.core.local.kept): each login
keeps what it read in its own cache folder, and uses it only while nothing it depends on
has changed, whoever changed it. Other people write a team store at every moment, so the
tests here are of exactly that: a write by another login (a barrier opened, one resolved,
a visit recorded) is seen at once by a view read through what was kept, which equals the
view evaluated afresh; only the case that changed is evaluated again; the changes follow
the order of commits. On a real server (tests/pgserver.py), against sample.db."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app
from casecli.core.local import kept, nextcache
from casecli.core.measures import measures
from tests import pgserver

TODAY = "2026-11-24"
WORKER, OTHER_WORKER, SUPERVISOR, MANAGER = "S0003", "S0004", "S0002", "S0001"
MINE, THEIRS = "C0000165", "C0000530"  # S0003's case, S0004's (both of unit U001)
RUNNER = CliRunner(env={"CASECLI_CONFIG": "/nonexistent/c.toml", "CASECLI_USER": None})


@pytest.fixture(scope="module")
def pg() -> Iterator[pgserver.Server]:
    with pgserver.running() as server:
        yield server


@pytest.fixture
def t(pg: pgserver.Server) -> Iterator[pgserver.Team]:
    made = pgserver.sample_team(pg)
    yield made
    pg.drop(made.name)


def run(t: pgserver.Team, staff_id: str, *args: str) -> Any:
    """A command as the staff member's own login, its --json parsed."""
    got = RUNNER.invoke(app, ["--db", t.url_of(staff_id), "--json", "--today", TODAY, *args])
    assert got.exit_code == 0, got.output
    return json.loads(got.stdout)


def afresh(t: pgserver.Team, staff_id: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    """The same command with nothing kept (a cache folder of its own, then the usual one)."""
    usual = os.environ["XDG_CACHE_HOME"]
    monkeypatch.setenv("XDG_CACHE_HOME", usual + "-afresh")
    try:
        return run(t, staff_id, *args)
    finally:
        monkeypatch.setenv("XDG_CACHE_HOME", usual)


def _place(t: pgserver.Team, staff_id: str) -> Path:
    with t.staff(staff_id) as raw:
        from casecli.core.store.dialect import PostgresConnection

        found = nextcache.team_place(PostgresConnection(raw))
    assert found is not None
    return nextcache.folder(found)


def test_each_login_keeps_its_own_and_a_second_view_reads_it(
    t: pgserver.Team, evaluated: list[int]
) -> None:
    # The supervisor's unit view evaluates the unit's open cases once, keeps them in the
    # supervisor's own folder (0700, its file 0600: the unit's cases, on their machine),
    # and the same view again evaluates nothing, with the same answer.
    first = run(t, SUPERVISOR, "unit")
    assert len(evaluated) == 1 and evaluated[0] > 0
    assert run(t, SUPERVISOR, "unit") == first
    assert len(evaluated) == 1  # nothing evaluated again
    folder = _place(t, SUPERVISOR)
    assert folder.parent == Path(os.environ["XDG_CACHE_HOME"]) / "casecli"
    assert folder.stat().st_mode & 0o777 == 0o700
    assert (folder / kept.FILE).stat().st_mode & 0o777 == 0o600
    # each login its own: the worker's folder is another, and holds nothing yet
    assert _place(t, WORKER) != folder and not _place(t, WORKER).exists()


def test_another_logins_barrier_is_seen_at_once_and_its_case_alone_evaluated(
    t: pgserver.Team, evaluated: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker opens a barrier on their own case: the supervisor's next unit view, read
    # through what it kept, has one more case waiting on substance treatment (the unit's
    # bottleneck), and evaluates that case alone.
    def treatment(view: Any) -> list[str]:
        return next(
            g["case_ids"] for g in view["bottlenecks"] if g["what"] == "substance treatment"
        )

    before = run(t, SUPERVISOR, "unit")
    assert len(treatment(before)) == 33 and MINE not in treatment(before)
    run(t, WORKER, "wait", MINE, "the drug screen result", "--service", "substance_treatment")
    evaluated.clear()
    after = run(t, SUPERVISOR, "unit")
    assert evaluated == [1]
    assert len(treatment(after)) == 34 and MINE in treatment(after)
    assert after == afresh(t, SUPERVISOR, monkeypatch, "unit")


def test_a_barrier_resolved_by_the_supervisor_reaches_the_workers_kept_lists(
    t: pgserver.Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A resolve adds no row to the barriers (it updates one) and its audit row is the
    # supervisor's own, which the worker cannot read: the change is still seen
    # (casecli_changes). The worker's court report, held by a barrier on its step, is
    # back in their ranked actions at once, and their waiting list lets go of it.
    def report(listed: list[dict[str, Any]]) -> list[str]:
        return [a["action"] for a in listed if a["case_id"] == MINE and a["step"] == "court_report"]

    assert report(run(t, WORKER, "next", "-n", "1000")) == [
        "File the court report — court hearing in 23 days, report not filed; scheduled 2026-12-07"
    ]
    run(t, WORKER, "wait", MINE, "the judge's calendar", "--step", "court_report")
    assert report(run(t, WORKER, "next", "-n", "1000")) == []  # (held by the barrier)
    judge = (MINE, "the judge's calendar")
    waits = run(t, WORKER, "waiting")
    assert judge in {(c["case_id"], c["what"]) for g in waits for c in g["cases"]}
    card = run(t, WORKER, "case", MINE)
    number = next(x["number"] for x in card["barriers"] if x["what"] == "the judge's calendar")
    run(t, SUPERVISOR, "resolve", str(number))
    now = run(t, WORKER, "next", "-n", "1000")
    assert len(report(now)) == 1
    assert now == afresh(t, WORKER, monkeypatch, "next", "-n", "1000")
    waits = run(t, WORKER, "waiting")
    assert judge not in {(c["case_id"], c["what"]) for g in waits for c in g["cases"]}
    assert waits == afresh(t, WORKER, monkeypatch, "waiting")


def test_a_visit_another_login_records_is_counted_in_a_kept_score(
    t: pgserver.Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The supervisor's score for November is counted once and read back while nothing
    # it counts changes (a barrier does not); a worker's visit recorded meanwhile is
    # counted at the next score (45 CFR 1355.20's monthly visit: a caseworker visit in the
    # month, the child's own), as a score with nothing kept counts it.
    fills: list[int] = []
    real = measures.Calculator._fill

    def spy(self: Any, *a: Any, **kw: Any) -> Any:
        fills.append(1)
        return real(self, *a, **kw)

    monkeypatch.setattr(measures.Calculator, "_fill", spy)

    def visits(shown: dict[str, Any]) -> tuple[int, int]:
        m = next(m for m in shown["measures"] if m["measure"] == "monthly_visits")
        return m["numerator"], m["denominator"]

    first = run(t, SUPERVISOR, "score", "--period", "2026-11")
    assert visits(first) == (95, 126)
    counted = len(fills)
    assert counted > 0
    assert run(t, SUPERVISOR, "score", "--period", "2026-11") == first
    assert len(fills) == counted  # read back, not counted again
    # a barrier (casecli_changes' source: barriers) changes no count: read back as kept
    run(t, WORKER, "wait", MINE, "a bed", "--service", "substance_treatment")
    assert run(t, SUPERVISOR, "score", "--period", "2026-11") == first
    assert len(fills) == counted
    # P0001360, in care in C0000370 (S0003's), not yet visited in November: S0003's cases
    # are counted again alone, not the unit's (no whole count)
    run(t, WORKER, "record", "C0000370", "caseworker_visit", "--person", "P0001360",
        "--location", "home", "--on", TODAY)  # fmt: skip
    after = run(t, SUPERVISOR, "score", "--period", "2026-11")
    assert len(fills) == counted
    assert visits(after) == (96, 126)
    assert after == afresh(t, SUPERVISOR, monkeypatch, "score", "--period", "2026-11")


def test_db_warm_on_a_team_store_keeps_the_mornings_views(
    t: pgserver.Team, evaluated: list[int]
) -> None:
    # The nightly run works for a login as for a personal store's user: after it the
    # morning's unit view evaluates nothing.
    got = RUNNER.invoke(app, ["--db", t.url_of(SUPERVISOR), "--today", TODAY, "db", "warm"])
    assert got.exit_code == 0, got.output
    assert got.stdout.startswith(f"Kept {TODAY}'s evaluations of ")
    assert "for S0002 (supervisor)" in got.stdout
    evaluated.clear()
    run(t, SUPERVISOR, "unit")
    assert evaluated == []


A_CONTACT = (
    "INSERT INTO recorded_events (case_id, kind, occurred_at, recorded_at, recorded_by)"
    " VALUES (%s, 'collateral_contact', %s, %s, %s)"
)


def _open_write(t: pgserver.Team, *, early: bool = False) -> Any:
    """The worker's contact on MINE, written and not committed (``early``: with its
    change noted at once, SET CONSTRAINTS ALL IMMEDIATE); its connection."""
    first = t.staff(WORKER)
    first.autocommit = False
    if early:
        first.execute("SET CONSTRAINTS ALL IMMEDIATE")
    first.execute(A_CONTACT, (MINE, TODAY, TODAY + "T09:00:00Z", WORKER))
    return first


def _second_write(t: pgserver.Team) -> tuple[threading.Thread, threading.Event]:
    """The other worker's contact on THEIRS, written and committed in a thread of its own,
    started; the event is set once it has committed."""
    done = threading.Event()

    def second() -> None:
        with t.staff(OTHER_WORKER) as conn:
            conn.execute(A_CONTACT, (THEIRS, TODAY, TODAY + "T09:01:00Z", OTHER_WORKER))
        done.set()

    other = threading.Thread(target=second)
    other.start()
    return other, done


def _changed(t: pgserver.Team) -> list[str]:
    """The cases of casecli_changes in their order, as the owner reads them."""
    with t.owner() as conn:
        return [r[0] for r in conn.execute("SELECT case_id FROM casecli_changes ORDER BY seq")]


def test_changes_are_numbered_in_the_order_their_writes_commit(t: pgserver.Team) -> None:
    # What is kept is checked against the latest change a login has seen: a write that
    # began first but committed last must not carry a lower number than one seen already.
    # The change is noted as its transaction commits (a deferred trigger, under a lock held
    # to the commit's end), so the write that began first and committed last is numbered
    # last; and a session that wrote and sits in its transaction holds nobody up.
    first = _open_write(t)
    other, done = _second_write(t)
    other.join(10)
    assert done.is_set()  # not held up by the first, still open
    assert _changed(t) == [THEIRS]  # (the first's change is not there until it commits)
    first.commit()
    first.close()
    assert _changed(t) == [THEIRS, MINE]  # the order of commits
    with t.owner() as conn:
        events = conn.execute("SELECT case_id FROM recorded_events ORDER BY id").fetchall()
    assert [r[0] for r in events] == [MINE, THEIRS]  # (the order the writes began)
    # each login sees the changes of its own scope alone, and cannot rewrite them
    with t.staff(OTHER_WORKER) as conn:
        assert conn.execute("SELECT case_id FROM casecli_changes").fetchall() == [(THEIRS,)]
    with t.staff(SUPERVISOR) as conn:
        assert len(conn.execute("SELECT case_id FROM casecli_changes").fetchall()) == 2
    for sql in ("DELETE FROM casecli_changes", "INSERT INTO casecli_changes (case_id, at)"
                " VALUES ('C0000165', 'x')", "UPDATE casecli_changes SET at = 'x'"):  # fmt: skip
        with t.staff(WORKER) as conn, pytest.raises(Exception, match="permission denied"):
            conn.execute(sql)


def test_who_the_login_is_is_part_of_every_stamp(t: pgserver.Team) -> None:
    # A login whose staff member, role, unit or office changes (a sync, db grant) keeps
    # nothing read before: what it may see changed.
    from casecli.core.store.dialect import PostgresConnection

    with t.staff(WORKER) as raw:
        conn = PostgresConnection(raw)
        said = nextcache.identity(conn)
        assert said == f"{t.login(WORKER)}|S0003|worker|U001|O01|casecli_worker"
    with t.owner() as conn:
        conn.execute("UPDATE staff SET unit_id = 'U002' WHERE staff_id = 'S0003'")
    with t.staff(WORKER) as raw:
        assert nextcache.identity(PostgresConnection(raw)) != said


@pytest.mark.parametrize("shared", ["casecli", "the login's folder", "the cache home"])
def test_a_cache_folder_others_may_write_keeps_nothing(
    t: pgserver.Team, evaluated: list[int], shared: str
) -> None:
    # Under a cache folder another user may write (a shared XDG_CACHE_HOME, a folder made
    # beforehand for this login, a folder above them), what is kept could be read or
    # planted (the folder moved away and another put in its place): nothing is kept or
    # read there, and each view evaluates what it shows, the same.
    folder = _place(t, SUPERVISOR)  # (the root is made 0700 on the way)
    target = {"casecli": folder.parent, "the cache home": folder.parent.parent}.get(shared, folder)
    target.mkdir(exist_ok=True)
    mode = target.stat().st_mode & 0o7777
    target.chmod(0o777)
    first = run(t, SUPERVISOR, "unit")
    assert run(t, SUPERVISOR, "unit") == first
    assert len(evaluated) == 2 and evaluated[0] == evaluated[1] > 0  # evaluated both times
    assert not (folder / kept.FILE).exists()
    # the sticky bit (as /tmp has) keeps others from moving what is not theirs: above the
    # user's own folders, that is enough
    target.chmod(0o1777 if shared == "the cache home" else 0o700)
    run(t, SUPERVISOR, "unit")
    run(t, SUPERVISOR, "unit")
    assert len(evaluated) == 3  # the user's own again: kept, then read
    target.chmod(mode)


def test_a_login_that_is_no_one_any_more_keeps_nothing_on_the_machine(t: pgserver.Team) -> None:
    # A worker's next keeps their ranked actions and case briefs in their cache folder;
    # once a sync leaves their login no active staff member's (they left, or moved), their
    # next command says so in a sentence and removes that folder: no copy of what their
    # scope showed stays on the disk. Another login's folder is left alone.
    mine, theirs = _place(t, WORKER), _place(t, OTHER_WORKER)
    run(t, WORKER, "next")
    run(t, OTHER_WORKER, "next")
    assert any(mine.iterdir()) and any(theirs.iterdir())
    with t.owner() as conn:
        conn.execute("UPDATE staff SET active = 0 WHERE staff_id = %s", (WORKER,))
    got = RUNNER.invoke(app, ["--db", t.url_of(WORKER), "--today", TODAY, "next"])
    assert got.exit_code == 1 and "is no active staff member's" in got.stderr, got.output
    assert not mine.exists() and any(theirs.iterdir())


def test_a_link_to_a_folder_others_may_write_is_not_held(tmp_path: Path) -> None:
    # XDG_CACHE_HOME a link to a folder under one anybody may write: whoever may write
    # there could move the folder away, so it is looked at where the link leads.
    shared = tmp_path / "shared"
    (shared / "cache").mkdir(parents=True)
    shared.chmod(0o777)
    (tmp_path / "link").symlink_to(shared / "cache")
    mine = tmp_path / "mine" / "cache"
    mine.mkdir(parents=True)
    try:
        assert nextcache._held_above(mine / "casecli")
        assert not nextcache._held_above(tmp_path / "link" / "casecli")
        assert not nextcache._held_above(shared / "cache" / "casecli")
        shared.chmod(0o1777)  # sticky, as /tmp
        assert nextcache._held_above(tmp_path / "link" / "casecli")
        # group-writable (umask 002): the user's private group's, or another's
        shared.chmod(0o775)
        assert nextcache._held_above(shared / "cache" / "casecli") == nextcache._private_group(
            os.getgid()
        )
        if os.geteuid() == 0:  # (root may give the folder to another group)
            os.chown(shared, -1, 65534)
            assert not nextcache._held_above(shared / "cache" / "casecli")
    finally:
        shared.chmod(0o700)


def test_a_write_that_notes_its_change_early_holds_later_ones_until_it_commits(
    t: pgserver.Team,
) -> None:
    # A session may make the deferred trigger fire at once (SET CONSTRAINTS ALL
    # IMMEDIATE): its change is numbered then, before it commits. Another write must then
    # wait for that commit, or it would be numbered after and seen first, and a login that
    # saw it would take the earlier change for one it had seen. The lock that makes it
    # wait is the changes table's own, which no user role can take by itself.
    first = _open_write(t, early=True)
    other, done = _second_write(t)
    assert not done.wait(1.0)  # held: the first's change is numbered, not yet committed
    first.commit()
    first.close()
    other.join(10)
    assert done.is_set()
    assert _changed(t) == [MINE, THEIRS]
    with t.staff(WORKER) as conn, pytest.raises(Exception, match="permission denied"):
        conn.execute("BEGIN")
        conn.execute("LOCK TABLE casecli_changes IN SHARE ROW EXCLUSIVE MODE")


def test_a_login_whose_role_changes_keeps_nothing_it_read_before(
    t: pgserver.Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The supervisor's ranked actions span the unit, and are kept. Made a worker (a staff
    # row changed: no sync, no local write), the same login sees its own cases alone, and
    # its next lists those, not the unit's list it kept (who the login is is in the stamp).
    unit_list = run(t, SUPERVISOR, "next", "-n", "1000")
    assert {a["case_id"] for a in unit_list} & {MINE, THEIRS}
    with t.owner() as conn:
        conn.execute("UPDATE staff SET role = 'worker' WHERE staff_id = %s", (SUPERVISOR,))
    now = run(t, SUPERVISOR, "next", "-n", "1000")
    assert not {a["case_id"] for a in now} & {MINE, THEIRS}
    assert now == afresh(t, SUPERVISOR, monkeypatch, "next", "-n", "1000")


def test_a_sync_deletes_the_changes_of_more_than_a_week_ago(
    pg: pgserver.Server, t: pgserver.Team
) -> None:
    # What is kept lives a day or two: changes older than a week can be no kept mark's, and
    # a login's latest change is read back from the newest, past those it cannot see. So
    # the sync, once committed, deletes them (an admin's sync may; no one else may).
    from tests.conftest import FIXTURES

    name = pg.empty_team()
    url = pg.url(pgserver.OWNER, name)
    args = ["--db", url, "--today", TODAY, "sync", str(FIXTURES / "basic")]
    assert RUNNER.invoke(app, args).exit_code == 0
    with t.server.connect(pgserver.OWNER, name, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO casecli_changes (case_id, at) VALUES ('C100', '2020-01-01T00:00:00Z'),"
            " ('C100', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))"
        )
    got = RUNNER.invoke(app, args)
    assert got.exit_code == 0 and "unchanged" in got.stdout.lower(), got.output
    with t.server.connect(pgserver.OWNER, name) as conn:
        left = conn.execute("SELECT at FROM casecli_changes").fetchall()
    assert len(left) == 1 and not left[0][0].startswith("2020")
    pg.drop(name)
    with t.staff(WORKER) as conn, pytest.raises(Exception, match="permission denied"):
        conn.execute("SELECT casecli_prune_changes()")
    with t.staff("S0037") as conn:  # an admin's
        conn.execute("SELECT casecli_prune_changes()")


def test_a_sync_by_the_owner_reaches_every_logins_kept_views(
    t: pgserver.Team, evaluated: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The sync runs elsewhere (the owner's or an admin's machine) and refreshes no one's
    # kept views; each login's next view finds the cases it changed (sync_cases, seen with
    # their case) and evaluates those alone.
    run(t, SUPERVISOR, "unit")
    waits = run(t, OTHER_WORKER, "waiting")
    assert not any(g["what"] == "housing" for g in waits)
    delta = tmp_path / "delta"
    delta.mkdir()
    (delta / "manifest.toml").write_text(
        'source = "t"\nas_of = 2026-11-24T23:30:00\nkind = "delta"\n', encoding="utf-8"
    )
    (delta / "referrals.csv").write_text(  # THEIRS waits on a new referral
        "referral_id,case_id,service,status,referred_on\nRX1,C0000530,housing,waitlisted,2026-11-10\n",
        encoding="utf-8",
    )
    got = RUNNER.invoke(app, ["--db", t.url, "--today", TODAY, "sync", str(delta)])
    assert got.exit_code == 0, got.output
    evaluated.clear()
    after = run(t, SUPERVISOR, "unit")
    assert evaluated == [1]
    assert THEIRS in next(g["case_ids"] for g in after["bottlenecks"] if g["what"] == "housing")
    assert after == afresh(t, SUPERVISOR, monkeypatch, "unit")
    waits = run(t, OTHER_WORKER, "waiting")
    assert THEIRS in {c["case_id"] for g in waits if g["what"] == "housing" for c in g["cases"]}
    assert waits == afresh(t, OTHER_WORKER, monkeypatch, "waiting")


def test_the_managers_bottlenecks_read_again_only_the_case_a_worker_wrote(
    t: pgserver.Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A team store is written all day. The office's waits are read once, then after a
    # worker's barrier (a change noted in casecli_changes, seen by the manager under their
    # policies) only that case is read again; the list equals one read afresh.
    from casecli.core.views import caseload

    reads: list[list[str] | None] = []
    real = caseload.waits_of

    def spy(conn: Any, where: str, params: Any, **kw: Any) -> Any:
        reads.append(kw.get("ids"))
        return real(conn, where, params, **kw)

    monkeypatch.setattr(caseload, "waits_of", spy)
    before = run(t, MANAGER, "bottlenecks", "--office", "O01")
    assert run(t, MANAGER, "bottlenecks", "--office", "O01") == before and reads == [None]
    run(t, WORKER, "wait", MINE, "a bed", "--service", "substance_treatment")
    after = run(t, MANAGER, "bottlenecks", "--office", "O01")
    assert reads == [None, [MINE]]

    def treatment(view: Any) -> list[str]:
        return next(g["case_ids"] for g in view if g["what"] == "substance treatment")

    assert MINE not in treatment(before) and MINE in treatment(after)
    assert after == afresh(t, MANAGER, monkeypatch, "bottlenecks", "--office", "O01")


def test_each_change_says_which_table_it_was_to(t: pgserver.Team) -> None:
    # Kept measure counts read only the recorded events of the local tables: a change
    # says its table (revision 6), so a barrier leaves them as kept. A change noted by
    # revision 5 (no table) counts as a change to each table.
    from casecli.core.store.dialect import PostgresConnection

    run(t, WORKER, "wait", MINE, "a bed")
    run(t, WORKER, "record", MINE, "caseworker_visit", "--person", "P0000613", "--on", TODAY)
    with t.owner() as raw:
        raw.execute(
            "INSERT INTO casecli_changes (case_id, at) VALUES (%s, 'x')", (THEIRS,)
        )  # (as revision 5 noted them)
        raw.commit()
        rows = raw.execute("SELECT case_id, source FROM casecli_changes ORDER BY seq").fetchall()
    assert rows == [(MINE, "barriers"), (MINE, "recorded_events"), (THEIRS, None)]
    with t.staff(SUPERVISOR) as raw:
        conn = PostgresConnection(raw)
        changed = kept._changed_since(conn, (0,) * len(kept.MARKS), tables=True)
        plain = kept._changed_since(conn, (0,) * len(kept.MARKS))
    assert plain[2:] == [{}] * (len(kept.MARKS) - 2)  # (what kept marks of 0 compare with)
    by_table = dict(zip(kept.MARKS, changed, strict=True))
    assert set(by_table["audit_log"]) == {MINE, THEIRS}  # every change
    assert set(by_table["recorded_events"]) == {MINE, THEIRS}
    assert set(by_table["barriers"]) == {MINE, THEIRS}
    assert set(by_table["notes"]) == set(by_table["goal_progress"]) == {THEIRS}


def test_a_case_a_sync_moves_out_of_a_unit_leaves_its_kept_views(
    t: pgserver.Team, evaluated: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The supervisor of U001 kept their unit's view and waits; a sync moves C0000530 to a
    # worker of U002 and C0000040 (U002's) to one of U001. The next views, read through
    # what was kept, lose the one and gain the other, as views with nothing kept do: the
    # policies decide what the login reads, and the sync names both cases.
    import sqlite3

    from tests.test_kept_counts import _delta, _rows

    def cases_of(view: dict[str, Any]) -> set[str]:
        return {c for g in view["bottlenecks"] for c in g["case_ids"]} | {
            c for s in view["board"] for c in s["case_ids"]
        }

    run(t, OTHER_WORKER, "wait", THEIRS, "a bed", "--service", "housing")
    unit, waits = run(t, SUPERVISOR, "unit"), run(t, SUPERVISOR, "bottlenecks")
    assert THEIRS in cases_of(unit) and "C0000040" not in cases_of(unit)
    assert THEIRS in {c for g in waits for c in g["case_ids"]}
    lite = sqlite3.connect(Path(__file__).resolve().parents[1] / "sample.db")
    rows = _rows(lite, "cases.csv", "case_id IN ('C0000530', 'C0000040') ORDER BY case_id")
    lite.close()
    rows[0]["worker_id"], rows[1]["worker_id"] = "S0004", "S0013"  # (C0000040, C0000530)
    delta = _delta(tmp_path, "moved", {"cases.csv": rows}, "2026-11-24T23:30:00")
    got = RUNNER.invoke(app, ["--db", t.url, "--today", TODAY, "sync", str(delta)])
    assert got.exit_code == 0, got.output
    after, waits_after = run(t, SUPERVISOR, "unit"), run(t, SUPERVISOR, "bottlenecks")
    assert THEIRS not in cases_of(after) and "C0000040" in cases_of(after)
    assert THEIRS not in {c for g in waits_after for c in g["case_ids"]}
    assert after == afresh(t, SUPERVISOR, monkeypatch, "unit")
    assert waits_after == afresh(t, SUPERVISOR, monkeypatch, "bottlenecks")


def test_a_change_is_evaluated_once_not_at_every_view_after_it(
    t: pgserver.Team, evaluated: list[int]
) -> None:
    # A worker's barrier: the supervisor's next unit view evaluates that case and keeps it;
    # the views after it evaluate nothing (a local table's kept mark is 0 on a team store:
    # a change filed under its table looked newer than every kept row, every time).
    run(t, SUPERVISOR, "unit")
    run(t, WORKER, "wait", MINE, "a bed")
    evaluated.clear()
    for _ in range(3):
        run(t, SUPERVISOR, "unit")
    assert evaluated == [1]


def test_the_managers_office_view_is_brought_forward_over_a_workers_writes(
    t: pgserver.Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The manager's office view is kept whole; after a worker's barrier and then a visit
    # (changes seen in casecli_changes under the manager's policies) only U001, the unit
    # holding the case, is read again (office._office_patched), and the view equals one
    # worked out afresh: the barrier in the office's bottlenecks, the visit in U001's and
    # the office's monthly visits.
    from casecli.core.views import office

    whole: list[int] = []
    parts: list[int] = []
    real_whole, real_parts = office._office_view, office._views_of
    monkeypatch.setattr(
        office, "_office_view", lambda *a, **kw: whole.append(1) or real_whole(*a, **kw)
    )
    monkeypatch.setattr(
        office, "_views_of", lambda *a, **kw: parts.append(len(a[1])) or real_parts(*a, **kw)
    )
    before = run(t, MANAGER, "unit")
    assert run(t, MANAGER, "unit") == before and whole == [1] and parts == []
    run(t, WORKER, "wait", MINE, "a bed", "--service", "substance_treatment")
    barrier = run(t, MANAGER, "unit")
    assert whole == [1] and parts == [165]  # U001's open assigned cases (its 2 unassigned as kept)
    run(t, WORKER, "record", "C0000370", "caseworker_visit", "--person", "P0001360",
        "--location", "home", "--on", TODAY)  # fmt: skip
    visited = run(t, MANAGER, "unit")
    assert whole == [1] and parts == [165, 165]

    def treatment(view: Any) -> list[str]:
        return next(
            g["case_ids"] for g in view["bottlenecks"] if g["what"] == "substance treatment"
        )

    def visits(view: Any, unit_id: str) -> Any:
        return next(u["key_measure"] for u in view["units"] if u["unit_id"] == unit_id)

    assert MINE not in treatment(before) and MINE in treatment(barrier)
    assert visits(visited, "U001") != visits(barrier, "U001")
    assert visits(visited, "U002") == visits(barrier, "U002")
    assert visited["key_measures"] != barrier["key_measures"]
    assert visited == afresh(t, MANAGER, monkeypatch, "unit")


def test_a_team_stores_first_office_view_is_evaluated_in_two_processes_too(
    t: pgserver.Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Evaluating is Python's work: on a team store too a second process, connected as the
    # same login (team.address), evaluates part of a large first view (sample.db's office
    # is small: the threshold comes down for the test), with the same answer as one.
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: evaluated in one process")
    from casecli.core.views import briefs

    here: list[int] = []
    real = briefs._briefs_here
    monkeypatch.setattr(
        briefs, "_briefs_here", lambda c, ids, kw: here.append(len(ids)) or real(c, ids, kw)
    )
    one = run(t, MANAGER, "unit")  # (PARALLEL_AT: 2,000 cases)
    (total,) = here
    del here[:]
    monkeypatch.setattr(briefs, "PARALLEL_AT", 100)
    two = afresh(t, MANAGER, monkeypatch, "unit")
    assert here == [total - total * 9 // 20]  # the rest in the other process
    assert two == one
