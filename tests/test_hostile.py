"""A hostile environment (full disk, read-only or locked store, missing or unreadable
export) and a reader during a sync: one sentence, exit 1, nothing applied; readers see
the old data until the commit and the new data after, never a mix."""

from __future__ import annotations

import os
import pathlib
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from casecli.cli.main import run
from casecli.core.engine import playbooks, urgency
from casecli.core.store import store
from casecli.core.views import caseload
from casecli.demo.export import write_demo
from tests.conftest import FIXTURES

TODAY = date(2026, 11, 24)
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """The console-script entry (``run()``) in this process, so a test may monkeypatch it."""
    for name in [k for k in os.environ if k.startswith("CASECLI_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CASECLI_CONFIG", "/nonexistent/config.toml")

    def invoke(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["casecli", "--today", "2026-11-24", *args])
        code: Any = 0
        try:
            run()
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        return int(code or 0), out, err

    return invoke


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "export"
    write_demo(folder, cases=300, seed=5, today=TODAY)
    return folder


def snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, and integrity_check must say ok."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        conn.close()


def refused(code: int, err: str, *words: str) -> None:
    """Exit 1 and ONE sentence on stderr, starting "casecli: ", naming the problem."""
    assert code == 1, err
    assert "Traceback" not in err
    assert err.startswith("casecli: ") and err.endswith(".\n") and err.count("\n") == 1, err
    assert not re.search(r"[.!?] [A-Z]", err), f"more than one sentence: {err!r}"
    for word in words:
        assert word in err, err


@pytest.fixture
def synced(tmp_path: Path, cli: Cli) -> Path:
    """A store holding the basic export and one recorded event."""
    db = tmp_path / "s.db"
    assert cli("--db", str(db), "sync", str(FIXTURES / "basic"))[0] == 0
    assert cli("--db", str(db), "--as", "W1", "record", "C100", "court_report")[0] == 0
    return db


# --- a full disk -----------------------------------------------------------------------


def limit_pages(monkeypatch: pytest.MonkeyPatch, pages: Callable[[int], int]) -> None:
    """Every store connection may grow to ``pages(current page count)`` pages, no more:
    SQLite then reports SQLITE_FULL, as on a full disk."""
    configure = store._configure

    def limited(conn: sqlite3.Connection) -> None:
        configure(conn)
        current = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {max(1, pages(current))}")

    monkeypatch.setattr(store, "_configure", limited)


def test_disk_full_during_an_in_place_sync_applies_nothing(
    synced: Path, demo_export: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(synced)
    limit_pages(monkeypatch, lambda current: current)
    code, _, err = cli("--db", str(synced), "sync", str(demo_export))
    refused(code, err, "disk is full", "nothing was applied")
    assert snapshot(synced) == before


def test_disk_full_during_a_local_write_writes_nothing(
    synced: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fill the last free pages first, so the next write must grow the file.
    conn = store.connect(synced)
    conn.execute("CREATE TABLE ballast (x BLOB)")
    conn.execute("INSERT INTO ballast VALUES (zeroblob(200000))")
    conn.execute("DELETE FROM ballast")
    conn.execute("DROP TABLE ballast")
    conn.execute("VACUUM")
    conn.close()
    before = snapshot(synced)
    limit_pages(monkeypatch, lambda current: current)
    code, _, err = cli("--db", str(synced), "--as", "W1", "wait", "C100", "a long wait " * 2000)
    refused(code, err, "disk is full", "nothing was applied")
    assert snapshot(synced) == before


@pytest.mark.parametrize("share", [0.3, 0.6, 0.9, 0.99])
def test_disk_full_during_the_initial_build_leaves_the_empty_store(
    tmp_path: Path, demo_export: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, share: float
) -> None:
    # How big the finished store is; the disk then holds only a share of that.
    reference = tmp_path / "reference.db"
    assert cli("--db", str(reference), "sync", str(demo_export))[0] == 0
    needed = sqlite3.connect(reference).execute("PRAGMA page_count").fetchone()[0]
    db = tmp_path / "s.db"
    store.connect(db, create=True).close()
    before = snapshot(db)
    limit_pages(monkeypatch, lambda current: current or int(needed * share))
    code, _, err = cli("--db", str(db), "sync", str(demo_export))
    refused(code, err, "disk is full", "nothing was applied")
    assert snapshot(db) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("s.db")) == ["s.db", "s.db-lock"]
    monkeypatch.undo()
    # with room again, the same sync succeeds
    assert store.connect(db).execute("SELECT count(*) FROM cases").fetchone()[0] == 0
    assert cli("--db", str(db), "sync", str(demo_export))[0] == 0


# --- a read-only store -----------------------------------------------------------------


def open_read_only(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """SQLite opens ``path`` read-only, as it does a 0400 file for a non-root user."""
    connect = sqlite3.connect

    def read_only(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if Path(database) == path:
            return connect(f"file:{database}?mode=ro", *args, uri=True, **kwargs)
        return connect(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only)


WRITES = [
    ("sync", str(FIXTURES / "basic"), "--full"),
    ("--as", "W1", "record", "C100", "caseworker_visit", "--person", "P3"),
    ("--as", "W1", "wait", "C100", "drug screen result"),
    ("--as", "W1", "progress", "C100", "CG1", "--percent", "40"),
    ("--as", "S1", "goals", "set", "unit:U1", "monthly_visits", "90"),
]


@pytest.mark.parametrize("args", WRITES, ids=lambda a: a[0] if a[0] == "sync" else a[2])
def test_a_read_only_store_refuses_every_write(
    synced: Path,
    demo_export: Path,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
) -> None:
    if args[0] == "sync":
        args = ("sync", str(demo_export))
    before = snapshot(synced)
    open_read_only(monkeypatch, synced)
    code, _, err = cli("--db", str(synced), *args)
    refused(code, err, "read-only", "nothing was applied")
    monkeypatch.undo()
    assert snapshot(synced) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod 0400; simulated above")
def test_a_0400_store_refuses_a_sync_and_a_record(
    synced: Path, demo_export: Path, cli: Cli
) -> None:
    before = snapshot(synced)
    synced.chmod(0o400)
    try:
        refused(*cli("--db", str(synced), "sync", str(demo_export))[::2], "nothing was applied")
        refused(
            *cli("--db", str(synced), "--as", "W1", "record", "C100", "court_report")[::2],
            "nothing was applied",
        )
    finally:
        synced.chmod(0o600)
    assert snapshot(synced) == before


# --- a store locked by another writer --------------------------------------------------


@pytest.fixture
def locked(synced: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 200)
    other = sqlite3.connect(synced, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO audit_log (at, who, action, entity) VALUES ('t', 'X', 'x', 'x')")
    yield synced
    other.execute("ROLLBACK")
    other.close()


@pytest.mark.parametrize("args", WRITES, ids=lambda a: a[0] if a[0] == "sync" else a[2])
def test_a_store_locked_by_another_writer_refuses_every_write(
    locked: Path, demo_export: Path, cli: Cli, args: tuple[str, ...]
) -> None:
    if args[0] == "sync":
        args = ("sync", str(demo_export))
    before = snapshot(locked)  # the other writer's row is not committed: not seen
    started = time.monotonic()
    code, _, err = cli("--db", str(locked), *args)
    refused(code, err, "locked", "nothing was applied")
    assert time.monotonic() - started < 10
    assert snapshot(locked) == before


# --- a missing or unreadable export ----------------------------------------------------


def test_a_missing_export_folder(synced: Path, tmp_path: Path, cli: Cli) -> None:
    before = snapshot(synced)
    code, _, err = cli("--db", str(synced), "sync", str(tmp_path / "no-such-export"))
    refused(code, err, "does not exist")
    assert snapshot(synced) == before


def deny(monkeypatch: pytest.MonkeyPatch, method: str, target: Path) -> None:
    """``Path.<method>`` on ``target`` fails as chmod 000 would for a non-root user."""
    real = getattr(pathlib.Path, method)

    def denied(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == target:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, method, denied)


@pytest.mark.parametrize("what", ["folder", "file"])
def test_an_unreadable_export_applies_nothing(
    synced: Path,
    export: Callable[[str], Path],
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    what: str,
) -> None:
    folder = export("basic")
    (folder / "events.csv").write_text(
        (folder / "events.csv").read_text()
        + "E900,C100,caseworker_visit,completed,2026-11-20,2026-11-20,P3,W1,home,\n"
    )
    before = snapshot(synced)
    if what == "folder":
        deny(monkeypatch, "iterdir", folder)
    else:
        deny(monkeypatch, "open", folder / "events.csv")
    code, _, err = cli("--db", str(synced), "sync", str(folder))
    refused(code, err, "Cannot read", "permissions")
    monkeypatch.undo()
    assert snapshot(synced) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads through chmod 000; simulated above")
@pytest.mark.parametrize("what", ["folder", "file"])
def test_a_chmod_000_export_applies_nothing(
    synced: Path, export: Callable[[str], Path], cli: Cli, what: str
) -> None:
    folder = export("basic")
    target = folder if what == "folder" else folder / "events.csv"
    before = snapshot(synced)
    target.chmod(0)
    try:
        code, _, err = cli("--db", str(synced), "sync", str(folder))
    finally:
        target.chmod(0o700 if what == "folder" else 0o600)
    refused(code, err, "Cannot read", "permissions")
    assert snapshot(synced) == before


# --- a reader while a sync runs --------------------------------------------------------


def test_a_reader_sees_the_old_data_until_the_commit_then_the_new(tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "s.db"
    assert cli("--db", str(db), "sync", str(FIXTURES / "basic"))[0] == 0
    folder = tmp_path / "big"
    write_demo(folder, cases=4000, seed=7, today=TODAY)
    reader = store.connect(db)
    books, coef = playbooks.load(), urgency.coefficients()

    def look() -> tuple[int, int, int]:
        reader.execute("BEGIN")  # one snapshot, as a screen of the TUI reads
        try:
            cases = reader.execute("SELECT count(*) FROM cases").fetchone()[0]
            events = reader.execute("SELECT count(*) FROM events").fetchone()[0]
            mine = caseload.views(
                reader, "c.worker_id = ?", ["W1"], today=TODAY, books=books, coef=coef
            )
            return cases, events, len(mine)
        finally:
            reader.execute("COMMIT")

    old = look()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECLI_")}
    env["CASECLI_CONFIG"] = "/nonexistent/c.toml"
    code = "import sys; from casecli.cli.main import run; sys.argv = sys.argv[1:]; run()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "casecli", "--db", str(db), "--today", "2026-11-24",
         "sync", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    seen = []
    while proc.poll() is None:
        seen.append(look())
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    new = look()
    reader.close()
    assert new[0] == old[0] + 4000 and new[1] > old[1]
    assert len(seen) > 5, "the sync finished before the reader could look"
    # old data, then new data: never a mix, never back
    assert set(seen) <= {old, new}, set(seen) - {old, new}
    assert seen == sorted(seen, key=lambda s: s == new)


def test_a_reader_of_an_empty_store_keeps_working_through_the_first_sync(tmp_path: Path) -> None:
    """With a reader holding the empty store open, the first sync stays in place (one
    transaction) instead of building a new file: the reader sees nothing, then all."""
    db = tmp_path / "s.db"
    store.connect(db, create=True).close()
    reader = store.connect(db)
    assert reader.execute("SELECT count(*) FROM cases").fetchone()[0] == 0  # opens the WAL
    inode = db.stat().st_ino
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECLI_")}
    env["CASECLI_CONFIG"] = "/nonexistent/c.toml"
    code = "import sys; from casecli.cli.main import run; sys.argv = sys.argv[1:]; run()"
    folder = tmp_path / "big"
    write_demo(folder, cases=3000, seed=5, today=TODAY)
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "casecli", "--db", str(db), "--today", "2026-11-24",
         "sync", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    seen = []
    while proc.poll() is None:
        seen.append(reader.execute("SELECT count(*) FROM cases").fetchone()[0])
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    seen.append(reader.execute("SELECT count(*) FROM cases").fetchone()[0])
    reader.close()
    assert len(seen) > 5, "the sync finished before the reader could look"
    assert set(seen) <= {0, 3000} and seen[-1] == 3000
    assert seen == sorted(seen)  # nothing, then everything: never a part
    assert db.stat().st_ino == inode  # the reader's file, not a new one renamed over it
