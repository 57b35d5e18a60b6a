"""The first screen's view worked out in another process (tui.prefetch, issue 15 item 4):
the same view the screen would read, taken once, and the store read as before whenever
that process gives nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from casecli.core.store import store
from casecli.core.views import office, unit
from tests.tui.helpers import TODAY, copy_sample, screen_text, settle
from tui import prefetch
from tui.data import Session


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The views this process read from the store."""
    seen: list[str] = []
    for module, name in ((office, "office_view"), (unit, "unit_view")):
        real = getattr(module, name)

        def spy(*a: Any, _real: Any = real, _name: str = name, **k: Any) -> Any:
            seen.append(_name)
            return _real(*a, **k)

        monkeypatch.setattr(module, name, spy)
    return seen


@pytest.mark.parametrize(
    "user, role, method, arg", [("S0001", "manager", "office", "O01"),
                                ("S0002", "supervisor", "unit", "U001")],
)  # fmt: skip
def test_the_view_from_the_other_process_is_the_one_read_here_and_taken_once(
    tmp_path: Path, reads: list[str], user: str, role: str, method: str, arg: str
) -> None:
    db = copy_sample(tmp_path)
    here = getattr(Session(db, user, TODAY), method)(arg)
    reads.clear()
    pending = prefetch.start(db, user, TODAY, False, None, role, arg)
    assert pending is not None
    session = Session(db, user, TODAY, prefetched=pending)
    assert getattr(session, method)(arg) == here
    assert reads == []  # read by the other process, not this one
    assert getattr(session, method)(arg) == here  # a reload reads the store
    assert reads == [f"{method}_view"]


def test_a_worker_or_an_admin_opens_on_a_screen_nobody_prefetches(tmp_path: Path) -> None:
    db = copy_sample(tmp_path)
    assert prefetch.start(db, "S0004", TODAY, False, None, "worker", "U001") is None
    assert prefetch.start(db, "S0037", TODAY, False, None, "admin", None) is None


def test_when_the_other_process_fails_the_store_is_read_here(
    tmp_path: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = copy_sample(tmp_path)
    # a store the other process cannot open (it is given a path that is not there)
    pending = prefetch.start(tmp_path / "missing.db", "S0001", TODAY, False, None, "manager", "O01")
    assert pending is not None and pending.get() is None
    pending = prefetch.start(tmp_path / "missing.db", "S0001", TODAY, False, None, "manager", "O01")
    session = Session(db, "S0001", TODAY, prefetched=pending)
    assert session.office("O01").office_id == "O01"
    assert reads == ["office_view"]


def test_a_view_prefetched_for_another_setting_is_not_shown(
    tmp_path: Path, reads: list[str]
) -> None:
    # redact turned on before the first load: the names-shown view is not used
    db = copy_sample(tmp_path)
    pending = prefetch.start(db, "S0001", TODAY, False, None, "manager", "O01")
    session = Session(db, "S0001", TODAY, prefetched=pending)
    session.redact = True
    session.office("O01")
    assert reads == ["office_view"] and session.prefetched is None


def test_the_app_opens_on_the_prefetched_office(tmp_path: Path, reads: list[str]) -> None:
    from tui.app import make_app

    db = copy_sample(tmp_path)

    async def run(prefetched: Any) -> str:
        app = make_app(db, "S0001", TODAY, watch=False, prefetched=prefetched)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            return screen_text(app)

    plain = asyncio.run(run(None))
    reads.clear()
    pending = prefetch.start(db, "S0001", TODAY, False, None, "manager", "O01")
    assert asyncio.run(run(pending)) == plain
    assert reads == []


def test_a_write_while_the_other_process_reads_is_seen_by_the_app(
    tmp_path: Path,
) -> None:
    # The app's change stamp is the store's before the other process started: a visit
    # recorded meanwhile makes the app read again (it might not be in the prefetched view)
    from typer.testing import CliRunner

    from casecli.cli.main import app as cli

    db = copy_sample(tmp_path)
    before = store.write_stamp(db)
    pending = prefetch.start(db, "S0001", TODAY, False, None, "manager", "O01")
    assert pending is not None and pending.stamp == before
    done = CliRunner().invoke(
        cli, ["--db", str(db), "--as", "S0004", "--today", TODAY.isoformat(), "wait",
              "C0000002", "housing voucher", "--service", "housing"],
        env={"CASECLI_CONFIG": "/nonexistent/c.toml"},
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    session = Session(db, "S0001", TODAY, prefetched=pending)
    assert session.stamp() == before  # what the app starts from
    session.office("O01")
    assert session.stamp() != before  # so its next check reloads


def test_closing_before_the_first_view_stops_the_other_process_and_reads_nothing(
    tmp_path: Path, reads: list[str]
) -> None:
    db = copy_sample(tmp_path)
    pending = prefetch.start(db, "S0001", TODAY, False, None, "manager", "O01")
    session = Session(db, "S0001", TODAY, prefetched=pending)
    session.close()
    with pytest.raises(prefetch.Cancelled):
        session.office("O01")
    assert reads == []


def test_the_other_process_runs_this_casecli_not_the_current_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # casecli tui started from another checkout's folder: its tui/prefetch.py is not run
    db = copy_sample(tmp_path)
    here = tmp_path / "elsewhere"
    (here / "tui").mkdir(parents=True)
    marker = tmp_path / "ran"
    (here / "tui" / "__init__.py").write_text("")
    (here / "tui" / "prefetch.py").write_text(
        f"def child():\n    open({str(marker)!r}, 'w').close()\n"
    )
    monkeypatch.chdir(here)
    pending = prefetch.start(db, "S0001", TODAY, False, None, "manager", "O01")
    assert pending is not None and pending.get() is not None
    assert not marker.exists()


def test_a_reader_making_the_empty_log_is_no_change_but_a_write_is(tmp_path: Path) -> None:
    """A store whose write-ahead log was folded in and removed (after a sync) gets an
    empty log again when anyone opens it: the other process reading the first screen did,
    and the app took it for a change and read the whole office again (twice the work,
    and a slow quit). An empty log is no change; a write still is."""
    import sqlite3

    db = copy_sample(tmp_path)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
    conn.close()  # the last connection: the log is folded in and removed
    assert not Path(f"{db}-wal").exists()
    before = store.write_stamp(db)
    reader = store.connect(db)
    try:
        reader.execute("SELECT count(*) FROM cases").fetchone()
        assert Path(f"{db}-wal").exists()  # made by the reader, empty
        assert store.write_stamp(db) == before
        writer = sqlite3.connect(db)
        try:
            writer.execute("UPDATE staff SET hours_per_week = 39 WHERE staff_id = 'S0004'")
            writer.commit()
            assert Path(f"{db}-wal").stat().st_size > 0  # the write is in the log
            assert store.write_stamp(db) != before
        finally:
            writer.close()
    finally:
        reader.close()
