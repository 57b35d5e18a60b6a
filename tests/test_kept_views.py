"""A whole office view kept beside the store (casecli.core.local.kept_places.KeptView):
read back equal to one worked out afresh while nothing at all changes, made again after a
sync, another day or setting (brought forward after a local write:
tests/test_office_patched.py), and never read from a file it did not write."""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from casecli.core.ingest.sync import sync
from casecli.core.local import kept, kept_places, nextcache, record
from casecli.core.measures import goals
from casecli.core.store import scope, store
from casecli.core.views import after_sync, unit
from casecli.core.views import office as offices
from tests import test_kept
from tests.test_kept import BOOKS, COEF, TODAY, _delta
from tests.tui.helpers import copy_sample


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return copy_sample(tmp_path)


@pytest.fixture
def worked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per office view of the test's store worked out (not read back whole;
    ``fresh``'s copies not counted)."""
    made: list[int] = []
    real = offices._office_view

    def spy(conn: sqlite3.Connection, *args: Any, **kw: Any) -> Any:
        path = kept.store_path(conn)
        if path is not None and path.parent.name != "fresh":
            made.append(1)
        return real(conn, *args, **kw)

    monkeypatch.setattr(offices, "_office_view", spy)
    return made


def office(db: Path, today: date = TODAY, redact: bool = False, coef: Any = COEF) -> Any:
    conn = store.connect(db)
    try:
        who = scope.actor(conn, "S0001")
        return offices.office_view(
            conn, who, "O01", today=today, books=BOOKS, coef=coef, redact=redact
        )
    finally:
        conn.close()


def fresh(db: Path, tmp: Path, **kw: Any) -> Any:
    """This file's office view on a copy of the store with nothing kept beside it."""
    return test_kept.fresh(db, tmp, view=office, **kw)


def test_a_second_view_is_read_back_whole_and_equals_a_fresh_one(
    db: Path, tmp_path: Path, worked: list[int]
) -> None:
    first = office(db)
    second = office(db)
    assert worked == [1]
    assert second == first == fresh(db, tmp_path)
    assert second.figures.open_cases == 859 and second.scores  # as `casecli unit` shows


def test_a_sync_another_day_or_setting_works_it_out_again(
    db: Path, tmp_path: Path, worked: list[int]
) -> None:
    # (A local write brings the kept view forward: tests/test_office_patched.py.)
    office(db)
    _barrier(db)
    after = office(db)
    assert len(worked) == 1 and after == fresh(db, tmp_path)
    assert any(cid == "C0000530" for g in after.bottlenecks for cid, _ in g.items)
    _synced(db, tmp_path)
    assert office(db) == fresh(db, tmp_path) and len(worked) == 2
    assert office(db, today=date(2026, 11, 25)) == fresh(db, tmp_path, today=date(2026, 11, 25))
    assert len(worked) == 3
    redacted = office(db, redact=True)
    assert len(worked) == 4 and redacted == fresh(db, tmp_path, redact=True)
    assert office(db, coef={**COEF, "stuck_days": 30}).stuck_days == 30 and len(worked) == 5
    office(db)  # each of them kept beside the others
    office(db, redact=True)
    assert len(worked) == 5


def _barrier(db: Path) -> None:
    """A barrier recorded on C0000530 (a local write)."""
    conn = store.connect(db)
    record.add_barrier(conn, scope.actor(conn, "S0004"), "C0000530", "housing", today=TODAY,
                       books=BOOKS)  # fmt: skip
    conn.close()


def _synced(db: Path, tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    folder = _delta(
        tmp_path, "d1",
        {"events.csv": "event_id,case_id,kind,status,scheduled_on,completed_on\n"
                       "EVX1,C0000530,home_visit,completed,,2026-11-23T10:00\n"},
        "2026-11-24T23:59:00",
    )  # fmt: skip
    conn = store.connect(db)
    assert sync(conn, folder, today=TODAY).status == "applied"
    conn.close()


def test_a_kept_view_that_does_not_read_or_names_other_code_is_worked_out_again(
    db: Path, tmp_path: Path, worked: list[int]
) -> None:
    expected = office(db)
    side = sqlite3.connect(nextcache.folder(db) / kept.FILE)
    ran = tmp_path / "ran"

    class Evil:
        def __reduce__(self) -> Any:
            return (os.system, (f"touch {ran}",))

    def text(s: str) -> bytes:  # SHORT_BINUNICODE
        return b"\x8c" + bytes([len(s.encode())]) + s.encode()

    # a name reached through a module of casecli's: any attribute of it (protocol 4)
    dotted = (b"\x80\x04" + text("casecli.core.local.kept") + text("os.system") + b"\x93"
              + text(f"touch {ran}") + b"\x85R.")  # fmt: skip

    class Ours:  # a class of casecli's own that runs code when made
        def __reduce__(self) -> Any:
            from casecli.core.apart import Apart

            return (Apart, (f"open({str(ran)!r}, 'w')", None))

    for value in (b"garbage", pickle.dumps(Evil()), pickle.dumps({"office_id": "O01"}),
                  pickle.dumps(None), dotted, pickle.dumps(Ours())):  # fmt: skip
        side.execute(f"UPDATE {kept_places.VIEWS} SET value = ?", (value,))
        side.commit()
        assert office(db) == expected
    side.close()
    import time

    time.sleep(1.0)  # a process started from a pickle would have run by now
    assert not ran.exists()
    assert len(worked) == 7


def test_a_view_is_not_read_back_from_a_folder_others_may_write(
    db: Path, worked: list[int]
) -> None:
    office(db)
    folder = nextcache.folder(db)
    folder.chmod(0o777)
    try:
        office(db)
        assert len(worked) == 2  # not read back (nor kept)
    finally:
        folder.chmod(0o700)
    office(db)
    assert len(worked) == 2  # what the first kept, read back


@pytest.fixture
def waits_read(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str] | None]]:
    """One entry per read of a place's waits from the store: the place, and the cases
    asked for (None: all of the place's)."""
    from casecli.core.views import caseload

    reads: list[tuple[str, list[str] | None]] = []
    real = caseload.waits_of

    def spy(conn: sqlite3.Connection, where: str, params: Any, **kw: Any) -> Any:
        path = kept.store_path(conn)
        if path is not None and path.parent.name != "fresh":
            reads.append((params[0], kw.get("ids")))
        return real(conn, where, params, **kw)

    monkeypatch.setattr(caseload, "waits_of", spy)
    return reads


def waits(db: Path, place: tuple[str | None, str | None], user: str = "S0001") -> Any:
    """``casecli bottlenecks`` of a unit (U, None) or an office (None, O), as ``user``."""
    conn = store.connect(db)
    try:
        return unit.bottlenecks_of(conn, scope.actor(conn, user), *place, today=TODAY)
    finally:
        conn.close()


def fresh_waits(db: Path, tmp: Path, place: tuple[str | None, str | None], user: str) -> Any:
    """The same on a copy of the store with nothing kept beside it."""
    return test_kept.fresh(db, tmp, view=lambda copy: waits(copy, place, user))


OFFICE, UNIT = (None, "O01"), ("U001", None)


def _writes(db: Path) -> Iterator[tuple[str, Callable[[sqlite3.Connection], Any]]]:
    """Local writes, each with the case it names (a barrier opened on S0004's case of
    U001; resolved; a pending drug screen recorded; a barrier on U002's C0000040)."""
    yield (
        "C0000530",
        lambda c: record.add_barrier(
            c, scope.actor(c, "S0004"), "C0000530", "housing", today=TODAY, books=BOOKS
        ),
    )
    yield "C0000530", lambda c: record.resolve_barrier(
        c, scope.actor(c, "S0004"),
        c.execute("SELECT max(barrier_id) FROM barriers").fetchone()[0], today=TODAY,
    )  # fmt: skip
    yield "C0000530", lambda c: record.add_barrier(
        c, scope.actor(c, "S0004"), "C0000530", "the court date", service="legal_aid",
        today=TODAY, books=BOOKS,
    )  # fmt: skip
    yield "C0000040", lambda c: record.add_barrier(
        c, scope.actor(c, "S0013"), "C0000040", "a bed", service="substance_treatment",
        today=TODAY, books=BOOKS,
    )  # fmt: skip


def test_bottlenecks_after_a_write_read_only_the_case_it_names(
    db: Path, tmp_path: Path, waits_read: list[Any]
) -> None:
    # What a unit or an office waits on is read from its records once a day; after a
    # local write, only the case it names is read again (a team store is written all day:
    # read whole after each write, an office of 60,000 cases took 3.9 s each time), and
    # the answer equals one read afresh. U002's case is outside U001: the unit reads it,
    # finds it is not its own, and its answer stays.
    first = {p: waits(db, p, u) for p, u in ((OFFICE, "S0001"), (UNIT, "S0002"))}
    assert waits_read == [("O01", None), ("U001", None)]
    assert waits(db, OFFICE) == first[OFFICE] and waits(db, UNIT, "S0002") == first[UNIT]
    assert len(waits_read) == 2  # read back as kept
    for case_id, write in _writes(db):
        conn = store.connect(db)
        write(conn)
        conn.close()
        del waits_read[:]
        office, mine = waits(db, OFFICE), waits(db, UNIT, "S0002")
        assert waits_read == [("O01", [case_id]), ("U001", [case_id])]
        assert office == fresh_waits(db, tmp_path, OFFICE, "S0001")
        assert mine == fresh_waits(db, tmp_path, UNIT, "S0002")
    groups = {g.what: g for g in office[1]}
    assert [c for c, _ in groups["legal aid"].items] == ["C0000530"]
    assert "C0000040" in [c for c, _ in groups["substance treatment"].items]
    assert "C0000040" not in [c for g in mine[1] for c, _ in g.items]
    assert "housing" not in {g.what for g in office[1]} - {g.what for g in first[OFFICE][1]}


def test_bottlenecks_are_read_whole_after_a_sync_or_a_write_naming_no_case(
    db: Path, tmp_path: Path, waits_read: list[Any]
) -> None:
    # A sync may move cases into or out of a place, close them, change their referrals:
    # the next read is whole. So after a goal set (the audit log names no case) and in a
    # store restored from a backup (the kept marks are not its history).
    waits(db, OFFICE)
    _synced(db, tmp_path)
    assert waits(db, OFFICE) == fresh_waits(db, tmp_path, OFFICE, "S0001")
    conn = store.connect(db)
    goals.set_goal(conn, scope.actor(conn, "S0001"), "unit", "U001", "monthly_visits", 95.0)
    conn.close()
    assert waits(db, OFFICE) == fresh_waits(db, tmp_path, OFFICE, "S0001")
    assert waits_read == [("O01", None)] * 3
    backup = tmp_path / "backup.db"
    backup.write_bytes(db.read_bytes())
    _barrier(db)
    assert waits(db, OFFICE) == fresh_waits(db, tmp_path, OFFICE, "S0001")
    db.write_bytes(backup.read_bytes())  # restored: the barrier is gone
    conn = store.connect(db)  # and written again: the same audit id, another time
    record.add_barrier(conn, scope.actor(conn, "S0013"), "C0000040", "a bed", today=TODAY,
                       books=BOOKS, now="2026-11-24T12:00:00")  # fmt: skip
    conn.close()
    del waits_read[:]
    restored = waits(db, OFFICE)
    assert waits_read == [("O01", None)]
    assert restored == fresh_waits(db, tmp_path, OFFICE, "S0001")
    assert "C0000530" not in [c for g in restored[1] if g.what == "housing" for c, _ in g.items]


def test_kept_waits_that_do_not_read_are_read_whole_and_run_nothing(
    db: Path, tmp_path: Path, waits_read: list[Any]
) -> None:
    expected = waits(db, OFFICE)
    ran = tmp_path / "ran"

    class Evil:
        def __reduce__(self) -> Any:
            return (os.system, (f"touch {ran}",))

    side = sqlite3.connect(nextcache.folder(db) / kept.FILE)
    for marks, value in (
        (None, b"garbage"), (None, pickle.dumps(Evil())), (None, pickle.dumps({"C1": "x"})),
        (None, pickle.dumps({"C0000530": [None]})), ("[1, 2", None), ("[]", None),
        ('[99, 99, 99, 99, 99, 99, "x"]', None),
    ):  # fmt: skip
        if value is not None:
            side.execute(f"UPDATE {kept_places.WAITS} SET value = ?", (value,))
        if marks is not None:
            side.execute(f"UPDATE {kept_places.WAITS} SET marks = ?", (marks,))
        side.commit()
        _barrier(db)  # (a change since: the marks are read, not matched)
        assert waits(db, OFFICE) == fresh_waits(db, tmp_path, OFFICE, "S0001")
        assert waits_read[-1] == ("O01", None)
    side.close()
    assert not ran.exists() and len(waits_read) == 8
    assert expected != waits(db, OFFICE)


def _hooked_sync(db: Path, tmp_path: Path, name: str = "d1") -> None:
    """A delta synced with `casecli sync`'s hook (after_sync.sync_hook), its after-part run."""
    folder = _delta(tmp_path, name, {"referrals.csv": (
        "referral_id,case_id,service,status,referred_on\n"
        f"R{name},C0000530,housing,waitlisted,2026-11-10\n")}, "2026-11-24T23:00:00")  # fmt: skip
    conn = store.connect(db)
    hook = after_sync.sync_hook(today=TODAY, settings=lambda: (BOOKS, COEF))
    assert sync(conn, folder, today=TODAY, before_commit=hook).status == "applied"
    conn.close()


def _kept_marks(db: Path) -> dict[tuple[str, str], str]:
    """(what, stamp) of each whole view kept, with its marks."""
    side = sqlite3.connect(nextcache.folder(db) / kept.FILE)
    try:
        return {
            (w, s): m
            for w, s, m in side.execute(f"SELECT what, stamp, marks FROM {kept_places.VIEWS}")
        }
    finally:
        side.close()


def test_a_sync_makes_the_kept_office_view_again_so_the_first_view_after_it_reads_it_whole(
    db: Path, tmp_path: Path, worked: list[int]
) -> None:
    # The TUI's first screen after the nightly delta: the sync's hook made the office's view
    # again (in another process: after_sync.refresh_views_apart), for each redact setting kept;
    # the views after it work nothing out and equal a store with nothing kept.
    office(db)
    office(db, redact=True)
    assert len(worked) == 2
    _hooked_sync(db, tmp_path)
    after, hidden = office(db), office(db, redact=True)
    assert len(worked) == 2  # both read back whole, made by the sync
    assert after == fresh(db, tmp_path) and hidden == fresh(db, tmp_path, redact=True)
    assert any(
        cid == "C0000530" for g in after.bottlenecks for cid, _ in g.items if g.what == "housing"
    )  # fmt: skip (the delta's referral is in it)
    # a view kept under other settings is not made again: its viewer makes it
    coef = {**COEF, "stuck_days": 30}
    office(db, coef=coef)
    assert len(worked) == 3
    _hooked_sync(db, tmp_path, "d2")
    office(db, coef=coef)
    assert len(worked) == 4
    office(db)
    assert len(worked) == 4 and office(db) == fresh(db, tmp_path)


def test_a_sync_leaves_a_view_that_was_not_true_when_it_began_to_its_viewer(
    db: Path, tmp_path: Path, worked: list[int]
) -> None:
    # A view kept before a local write (the briefs it read dropped by a goal set, say) is
    # not made again by the sync: that would evaluate the whole office inside the sync.
    office(db)
    _barrier(db)
    before = _kept_marks(db)
    _hooked_sync(db, tmp_path)
    assert _kept_marks(db) == before  # left as it was
    assert office(db) == fresh(db, tmp_path) and len(worked) == 2


def test_the_views_are_not_made_again_when_anything_but_the_sync_was_written_since(
    db: Path, tmp_path: Path, worked: list[int]
) -> None:
    # refresh_views runs after the sync let go of its lock: a write landing before it
    # (marks other than the sync's alone) leaves the views to their viewers; without that
    # write, the same call makes the view again, as the store is now.
    (tmp_path / "other").mkdir()
    other = copy_sample(tmp_path / "other")
    for store_file, write in ((db, True), (other, False)):
        office(store_file)
        conn = store.connect(store_file)
        then = kept.marks_now(conn)
        conn.close()
        _synced(store_file, tmp_path / f"delta-{write}")
        conn = store.connect(store_file)
        if write:
            _barrier(store_file)
        before = _kept_marks(store_file)
        after_sync.refresh_views(conn, today=TODAY, books=BOOKS, coef=COEF,
                           sync_id=then[0][0] + 1, then=then)  # fmt: skip
        now = kept.marks_now(conn)[1]
        conn.close()
        if write:
            assert _kept_marks(store_file) == before and len(worked) == 1
        else:
            assert set(_kept_marks(store_file).values()) == {now} and len(worked) == 3
            assert office(store_file) == fresh(store_file, tmp_path) and len(worked) == 3


def test_a_sync_works_out_again_the_ranked_actions_kept_for_today(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The manager's and a worker's `next`, kept before the nightly delta, are worked out
    # again by the sync's hook (ranking.refresh_kept, in its other process): the first
    # `next` after it reads them, equal to a store with nothing kept. One kept under other
    # settings (another urgency table) is left: its user's next works it out.
    from casecli.core.local import config
    from casecli.core.views import ranking

    monkeypatch.setenv("CASECLI_CONFIG", "/nonexistent/c.toml")  # (the hook's process too)
    cfg = config.load()

    def ranked(store_file: Path, user: str, redact: bool = False) -> tuple[list[Any], str]:
        conn = store.connect(store_file)
        try:
            now = ranking.stamp(conn, today=TODAY, redact=redact, cfg=cfg, playbooks=None)
            kept_now = nextcache.read(store_file, user, redact, now, want=7)  # (next)
            if kept_now is not None:
                return kept_now, "kept"
            got = ranking.evaluate(conn, scope.actor(conn, user), db=store_file, stamp=now,
                                   today=TODAY, redact=redact, books=BOOKS, coef=COEF)  # fmt: skip
            return got[1], "worked out"
        finally:
            conn.close()

    for user, redact in (("S0001", False), ("S0003", False), ("S0003", True), ("S0004", False)):
        assert ranked(db, user, redact)[1] == "worked out"
    other = nextcache.folder(db) / f"next-{b'S0004'.hex()}-0-{TODAY.isoformat()}.json"
    text = json.loads(other.read_text())
    lines = text["stamp"].split("\n")
    text["stamp"] = "\n".join([*lines[:6], "[('idle', 9.0)]", *lines[7:]])  # other urgency
    other.write_text(json.dumps(text))
    _hooked_sync(db, tmp_path)
    for user, redact in (("S0001", False), ("S0003", False), ("S0003", True)):
        after, how = ranked(db, user, redact)
        assert how == "kept", user
        fresh_ranked = test_kept.fresh(
            db, tmp_path, view=lambda c, u=user, r=redact: ranked(c, u, r)
        )
        assert after == fresh_ranked[0] and fresh_ranked[1] == "worked out"
    assert json.loads(other.read_text())["stamp"].split("\n")[6] == "[('idle', 9.0)]"
    assert ranked(db, "S0004")[1] == "worked out"


def test_nothing_is_made_again_after_a_sync_that_changed_every_case(db: Path) -> None:
    # A table loaded whole ('*') or more cases than kept_counts.MOST: every kept brief is
    # stale, and an office's view made again would evaluate the office whole in the sync.
    conn = store.connect(db)
    try:
        conn.executemany("INSERT INTO sync_cases VALUES (?, ?)",
                         [(901, "C0000001"), (902, "C0000001"), (902, "*")])  # fmt: skip
        assert after_sync._few_changed(conn, 901) and not after_sync._few_changed(conn, 902)
        assert not after_sync._few_changed(conn, 903)  # (none)
    finally:
        conn.rollback()
        conn.close()


def test_ctrl_c_while_the_views_are_made_again_is_not_an_error(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sync has committed and said so; Ctrl-C while its second process makes the views
    # again stops that process and returns (the views make their own), not an error exit.
    from casecli.core import apart

    stopped: list[bool] = []

    class Interrupted:
        def __init__(self, code: str, value: Any) -> None:
            pass

        def result(self) -> Any:
            raise KeyboardInterrupt

        def stop(self) -> None:
            stopped.append(True)

    monkeypatch.setattr(apart, "Apart", Interrupted)
    conn = store.connect(db)
    then = kept.marks_now(conn)
    conn.close()
    after_sync.refresh_views_apart(db, today=TODAY, books=BOOKS, coef=COEF, sync_id=1, then=then)
    assert stopped == [True]
