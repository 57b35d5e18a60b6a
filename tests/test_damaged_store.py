"""A damaged store, a full or read-only disk or folder, and an old store opened by several
commands at once (issue 11, items 17-19): one sentence that says what is wrong and what
to do, exit 1, and the store as it was; readers keep working where they safely can; a
migration runs once."""

# ruff: noqa: F811  (the fixtures of test_hostile, imported by name, are parameters here)
from __future__ import annotations

import gc
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from casecli.core.store import store, storecheck, storelock
from tests.conftest import FIXTURES
from tests.test_hostile import (  # noqa: F401  (fixtures)
    Cli,
    cli,
    demo_export,
    refused,
    snapshot,
    synced,
)

# --- making damage -----------------------------------------------------------------------


def btree(path: Path, name: str) -> tuple[int, list[int]]:
    """The root page of the b-tree of table or index ``name`` and its leaf pages, read
    from the file itself (after a checkpoint, so every page is in the file)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = path.read_bytes()
    leaves: list[int] = []

    def walk(page: int) -> None:
        start = (page - 1) * size
        head = start + (100 if page == 1 else 0)
        kind = data[head]
        if kind in (10, 13):  # index / table leaf
            leaves.append(page)
            return
        assert kind in (2, 5), (name, page, kind)
        cells = int.from_bytes(data[head + 3 : head + 5], "big")
        for i in range(cells):
            at = int.from_bytes(data[head + 12 + 2 * i : head + 14 + 2 * i], "big")
            walk(int.from_bytes(data[start + at : start + at + 4], "big"))
        walk(int.from_bytes(data[head + 8 : head + 12], "big"))

    walk(root)
    return root, leaves


def overwrite(path: Path, pages: list[int], how: str) -> None:
    """Zeros or random bytes over whole pages, as a bad disk or a stray write leaves them."""
    size = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    noise = random.Random(11)
    with open(path, "r+b") as f:
        for page in pages:
            f.seek((page - 1) * size)
            f.write(bytes(size) if how == "zeros" else noise.randbytes(size))


def middle(pages: list[int], n: int = 3) -> list[int]:
    at = max(0, len(pages) // 2 - n // 2)
    return pages[at : at + n]


def damage(path: Path, kind: str) -> None:
    """``kind``: the cases table's root page zeroed; three of its leaf pages in the middle
    of the file zeroed, or overwritten with random bytes; the file cut in half."""
    root, leaves = btree(path, "cases")
    if kind == "cases root zeroed":
        overwrite(path, [root], "zeros")
    elif kind == "cases leaves zeroed":
        overwrite(path, middle(leaves), "zeros")
    elif kind == "cases leaves random":
        overwrite(path, middle(leaves), "random")
    elif kind == "truncated":
        with open(path, "r+b") as f:
            f.truncate(path.stat().st_size // 2)
    else:
        raise AssertionError(kind)


DAMAGE = ["cases root zeroed", "cases leaves zeroed", "cases leaves random", "truncated"]


def state(path: Path) -> tuple[bytes, bytes]:
    """The store's bytes and its WAL's (a damaged store cannot be snapshot row by row)."""
    wal = Path(f"{path}-wal")
    return path.read_bytes(), wal.read_bytes() if wal.exists() else b""


class Ids(NamedTuple):
    worker: str
    supervisor: str
    unit: str
    case: str
    person: str
    goal: str


@pytest.fixture
def demo_store(tmp_path: Path, demo_export: Path, cli: Cli) -> tuple[Path, Ids]:
    """A store synced from a 300-case export (several pages a table), and ids to use."""
    db = tmp_path / "d.db"
    assert cli("--db", str(db), "sync", str(demo_export))[0] == 0
    conn = sqlite3.connect(db)
    case, worker, unit, supervisor, person, goal = conn.execute(
        "SELECT c.case_id, c.worker_id, w.unit_id, s.staff_id, p.person_id, g.goal_id"
        " FROM cases c JOIN staff w ON w.staff_id = c.worker_id"
        " JOIN staff s ON s.unit_id = w.unit_id AND s.role = 'supervisor'"
        " JOIN people p ON p.case_id = c.case_id JOIN case_goals g ON g.case_id = c.case_id"
        " WHERE c.status = 'open' ORDER BY c.case_id LIMIT 1"
    ).fetchone()
    conn.close()
    return db, Ids(worker, supervisor, unit, case, person, goal)


def write_args(ids: Ids, export: Path) -> dict[str, tuple[str, ...]]:
    return {
        "sync": ("sync", str(export)),
        "record": ("--as", ids.worker, "record", ids.case, "court_report"),
        "wait": ("--as", ids.worker, "wait", ids.case, "drug screen result"),
        "progress": ("--as", ids.worker, "progress", ids.case, ids.goal, "--percent", "40"),
        "goals set": ("--as", ids.supervisor, "goals", "set", f"unit:{ids.unit}",
                      "monthly_visits", "90"),
    }  # fmt: skip


# --- 17. a damaged store -----------------------------------------------------------------


@pytest.mark.parametrize("kind", DAMAGE)
def test_db_check_says_the_store_is_damaged_what_sqlite_found_and_what_to_do(
    demo_store: tuple[Path, Ids], cli: Cli, kind: str
) -> None:
    db, _ = demo_store
    damage(db, kind)
    before = state(db)
    code, out, err = cli("--db", str(db), "db", "check")
    refused(code, err, "is damaged", "SQLite reports:", "restore it from a backup",
            "casecli db backup", "sync the latest export again")  # fmt: skip
    assert "internal error" not in err and "not a casecli store" not in err
    # what SQLite reported: its own words, the first lines
    assert "malformed" in err or "btreeInitPage" in err or "Page " in err or "Tree " in err, err
    assert state(db) == before


def test_db_check_json_marks_the_damage(demo_store: tuple[Path, Ids], cli: Cli) -> None:
    import json

    db, _ = demo_store
    damage(db, "cases root zeroed")
    code, out, err = cli("--db", str(db), "--json", "db", "check")
    refused(code, err, "is damaged")
    data = json.loads(out)
    assert data["ok"] is False and data["damaged"] is True
    assert data["problems"] and all(p.startswith("integrity: ") for p in data["problems"][:1])


def test_db_check_names_the_newest_backup_to_restore(
    demo_store: tuple[Path, Ids], cli: Cli
) -> None:
    db, _ = demo_store
    assert cli("--db", str(db), "db", "backup")[0] == 0
    (backup,) = db.parent.glob("d.backup-*.db")
    damage(db, "cases leaves zeroed")
    code, _, err = cli("--db", str(db), "db", "check")
    refused(code, err, "is damaged", f"copy the newest beside it, {backup.name}, over it")


READS = {
    "caseload": lambda ids: ("--as", ids.worker, "caseload"),
    "case": lambda ids: ("--as", ids.worker, "case", ids.case),
    "waiting": lambda ids: ("--as", ids.worker, "waiting"),
    "next": lambda ids: ("--as", ids.worker, "next"),
    "unit": lambda ids: ("--as", ids.supervisor, "unit"),
    "bottlenecks": lambda ids: ("--as", ids.supervisor, "bottlenecks"),
    "score": lambda ids: ("--as", ids.supervisor, "score"),
}


@pytest.mark.parametrize("kind", ["cases root zeroed", "truncated"])
@pytest.mark.parametrize("command", list(READS))
def test_a_read_of_a_damaged_store_says_it_is_damaged(
    demo_store: tuple[Path, Ids], cli: Cli, command: str, kind: str
) -> None:
    db, ids = demo_store
    if command == "bottlenecks" and kind == "cases root zeroed":
        # bottlenecks reads no case's row: the index of a worker's cases (schema 10) and
        # the referrals, events and barriers. With the cases table's root page zeroed and
        # its index whole, it answers, and what it answered before the damage (a copy's
        # answer: nothing kept beside this store is read), or it refuses.
        copy = db.parent / "copy" / db.name
        copy.parent.mkdir()
        shutil.copyfile(db, copy)
        undamaged = cli("--db", str(copy), *READS[command](ids))
        assert undamaged[0] == 0 and undamaged[1]
    damage(db, kind)
    before = state(db)
    code, out, err = cli("--db", str(db), *READS[command](ids))
    if command == "bottlenecks" and kind == "cases root zeroed" and code == 0:
        assert (out, err) == undamaged[1:]
        assert state(db) == before
        return
    refused(code, err, "is damaged", "restore it from a backup")
    assert "not a casecli store" not in err and "internal error" not in err
    assert out == ""
    assert state(db) == before


@pytest.mark.parametrize("kind", DAMAGE)
@pytest.mark.parametrize("write", ["sync", "record", "wait", "progress", "goals set"])
def test_a_write_refuses_a_damaged_store_and_writes_nothing(
    demo_store: tuple[Path, Ids], demo_export: Path, cli: Cli, write: str, kind: str
) -> None:
    """Damage anywhere in the cases table (which every write reads) stops every write at
    open; before, ``record`` wrote into the damaged file and ``sync`` said "unchanged"."""
    db, ids = demo_store
    damage(db, kind)
    before = state(db)
    code, _, err = cli("--db", str(db), *write_args(ids, demo_export)[write])
    refused(code, err, "is damaged", "nothing was applied", "restore it from a backup")
    assert state(db) == before


@pytest.mark.parametrize("table", ["notes", "barriers", "audit_log"])
def test_record_refuses_a_store_whose_local_tables_are_damaged(
    synced: Path, cli: Cli, table: str
) -> None:
    """``record`` writes recorded_events and audit_log, and never reads notes nor
    barriers: their damage went unnoticed, and the record was written beside it."""
    root, _ = btree(synced, table)
    overwrite(synced, [root], "random")
    before = state(synced)
    code, _, err = cli("--db", str(synced), "--as", "W1", "record", "C100", "court_report")
    refused(code, err, "is damaged", "nothing was applied")
    assert state(synced) == before


def test_a_write_that_meets_damage_past_its_check_is_rolled_back_and_says_so(
    demo_store: tuple[Path, Ids], cli: Cli
) -> None:
    """The quick check walks what every local write reads (staff, cases); a person's row
    is read only with --person: damage there is met mid-write, and translated."""
    db, ids = demo_store
    _, leaves = btree(db, "people")
    overwrite(db, leaves, "zeros")  # every person
    before = state(db)
    code, _, err = cli(
        "--db", str(db), "--as", ids.worker, "record", ids.case, "caseworker_visit",
        "--person", ids.person,
    )  # fmt: skip
    refused(code, err, "is damaged", "restore it from a backup")
    assert "internal error" not in err
    assert state(db) == before


def test_a_store_whose_first_page_is_overwritten_is_damaged_not_a_wrong_path(
    synced: Path, tmp_path: Path, cli: Cli
) -> None:
    overwrite(synced, [1], "random")
    code, _, err = cli("--db", str(synced), "--as", "W1", "caseload")
    refused(code, err, "is damaged", "restore it from a backup")
    # a file that never was a store is still "not a casecli store"
    junk = tmp_path / "notes.txt"
    junk.write_bytes(b"not a database at all\n" * 400)
    code, _, err = cli("--db", str(junk), "--as", "W1", "caseload")
    refused(code, err, "is not a casecli store", "check the --db path")


def test_an_empty_file_is_not_read_as_a_store(tmp_path: Path, cli: Cli) -> None:
    empty = tmp_path / "e.db"
    empty.touch()
    code, _, err = cli("--db", str(empty), "--as", "W1", "caseload")
    refused(code, err, "is empty", "sync an export into it", "restore it from a backup")
    assert empty.read_bytes() == b""
    # a sync fills it
    assert cli("--db", str(empty), "sync", str(FIXTURES / "basic"))[0] == 0


def test_the_write_check_passes_a_healthy_store_and_costs_little(
    demo_store: tuple[Path, Ids],
) -> None:
    db, _ = demo_store
    for write in ("local", "sync", "migrate"):
        conn = store.connect(db)
        started = time.perf_counter()
        storecheck.verify(conn, db, write)
        took = time.perf_counter() - started
        conn.close()
        assert took < 0.5, (write, took)


# --- 18. a full disk, a read-only folder or disk, an I/O error ----------------------------


class _Failing(sqlite3.Connection):
    """A connection on which SQLite fails as it does at open when it cannot make the
    store's -wal/-shm files: the settings run, anything that reads the file fails."""

    error: sqlite3.Error

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        harmless = ("PRAGMA busy_timeout", "PRAGMA foreign_keys", "PRAGMA synchronous",
                    "PRAGMA cache_size")  # fmt: skip
        if not sql.startswith(harmless):
            raise self.error
        return super().execute(sql, *args)


def sqlite_error(message: str, code: int, name: str) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError(message)
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    exc.sqlite_errorname = name  # type: ignore[attr-defined]
    return exc


# What SQLite 3.40 raised at open, measured as a non-root user and on real mounts:
READONLY_FOLDER = ("attempt to write a readonly database", 1544, "SQLITE_READONLY_DIRECTORY")
READONLY_DISK = ("unable to open database file", 14, "SQLITE_CANTOPEN")
DISK_FULL = ("disk I/O error", 4874, "SQLITE_IOERR_SHMSIZE")  # growing -shm: ENOSPC
IO_ERROR = ("disk I/O error", 522, "SQLITE_IOERR_SHORT_READ")


OPENED: list[str] = []  # the URIs opened while SQLite is made to fail


def sqlite_cannot_open(
    monkeypatch: pytest.MonkeyPatch, path: Path, error: tuple[str, int, str]
) -> None:
    """SQLite fails to open ``path`` with ``error``, unless its -wal and -shm files exist
    (then it reads through them, and a write fails: read-only); an ``immutable`` open
    reads the file (as SQLite does on read-only media)."""
    connect = sqlite3.connect

    def failing(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if kwargs.get("uri"):
            OPENED.append(str(database))
        if kwargs.get("uri") or Path(database) != path:
            return connect(database, *args, **kwargs)
        if Path(f"{path}-wal").exists() and Path(f"{path}-shm").exists():
            return connect(f"file:{database}?mode=ro", *args, uri=True, **kwargs)
        kind = type("Failing", (_Failing,), {"error": sqlite_error(*error)})
        return connect(":memory:", *args, factory=kind, **kwargs)  # never touches the store

    monkeypatch.setattr(sqlite3, "connect", failing)


def disk_reports(
    monkeypatch: pytest.MonkeyPatch, folder: Path, *, free: int | None = None,
    read_only: bool = False,
) -> None:  # fmt: skip
    """``os.statvfs`` of ``folder`` reports ``free`` bytes, or a read-only mount."""
    real = os.statvfs

    def statvfs(path: Any) -> os.statvfs_result:
        st = real(path)
        if Path(path).absolute() != folder.absolute():
            return st
        values = list(st)
        if free is not None:
            values[3] = values[4] = free // st.f_frsize  # f_bfree, f_bavail
        if read_only:
            values[8] |= os.ST_RDONLY  # f_flag
        return os.statvfs_result(values)

    monkeypatch.setattr(os, "statvfs", statvfs)


@pytest.fixture
def folder_0555(synced: Path) -> Any:
    """The store's folder without write permission for anyone (root still writes)."""
    folder = synced.parent
    mode = folder.stat().st_mode
    folder.chmod(0o555)
    yield synced
    folder.chmod(mode)


def caseload_of_w1(cli: Cli, db: Path) -> tuple[int, str, str]:
    return cli("--db", str(db), "--as", "W1", "caseload")


@pytest.mark.parametrize("args", [a for a in [
    ("sync", str(FIXTURES / "basic"), "--full"),
    ("--as", "W1", "record", "C100", "caseworker_visit", "--person", "P3"),
    ("--as", "W1", "wait", "C100", "drug screen result"),
    ("--as", "W1", "progress", "C100", "CG1", "--percent", "40"),
    ("--as", "S1", "goals", "set", "unit:U1", "monthly_visits", "90"),
    ("--as", "W1", "caseload"),
    ("--as", "W1", "next"),
    ("--as", "S1", "unit"),
    ("db", "check"),
]], ids=lambda a: a[0] if a[0] in ("sync", "db") else a[2])  # fmt: skip
def test_a_full_disk_says_the_disk_is_full(
    synced: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    before = snapshot(synced)
    sqlite_cannot_open(monkeypatch, synced, DISK_FULL)
    disk_reports(monkeypatch, synced.parent, free=0)
    code, _, err = cli("--db", str(synced), *args)
    refused(code, err, "disk is full", "free some space")
    assert "not a casecli store" not in err and "disk I/O error" not in err
    monkeypatch.undo()
    assert snapshot(synced) == before


def test_another_io_error_says_what_to_check(
    synced: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite_cannot_open(monkeypatch, synced, IO_ERROR)
    code, _, err = caseload_of_w1(cli, synced)
    refused(code, err, "disk I/O error", "SQLITE_IOERR_SHORT_READ", "check that the disk")
    assert "not a casecli store" not in err
    code, _, err = cli("--db", str(synced), "--as", "W1", "record", "C100", "court_report")
    refused(code, err, "disk I/O error", "nothing was applied")


@pytest.mark.parametrize("args", [
    ("sync", str(FIXTURES / "basic"), "--full"),
    ("--as", "W1", "record", "C100", "caseworker_visit", "--person", "P3"),
    ("--as", "S1", "goals", "set", "unit:U1", "monthly_visits", "90"),
], ids=["sync", "record", "goals set"])  # fmt: skip
def test_a_read_only_folder_refuses_writes_and_names_the_folder(
    folder_0555: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    db = folder_0555
    before = snapshot(db)
    sqlite_cannot_open(monkeypatch, db, READONLY_FOLDER)
    code, _, err = cli("--db", str(db), *args)
    refused(code, err, f"The folder {db.parent}", "is read-only", "nothing was applied")
    assert "not a casecli store" not in err
    monkeypatch.undo()
    assert snapshot(db) == before


def test_a_reader_works_in_a_folder_nobody_can_write(
    folder_0555: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No -wal/-shm and no way to make them: the store is read ``immutable``, safe since
    nobody can be writing it (a checkout made read-only, a CD)."""
    db = folder_0555
    expected = caseload_of_w1(cli, db)
    assert expected[0] == 0
    gc.collect()  # the commands' connections, so no -wal or -shm is left
    assert not Path(f"{db}-wal").exists() and not Path(f"{db}-shm").exists()
    OPENED.clear()
    sqlite_cannot_open(monkeypatch, db, READONLY_FOLDER)
    assert caseload_of_w1(cli, db) == expected
    assert OPENED and all("immutable=1" in uri for uri in OPENED), OPENED


def test_a_reader_works_on_a_read_only_disk(
    synced: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = caseload_of_w1(cli, synced)
    gc.collect()
    OPENED.clear()
    sqlite_cannot_open(monkeypatch, synced, READONLY_DISK)
    disk_reports(monkeypatch, synced.parent, read_only=True)
    assert caseload_of_w1(cli, synced) == expected
    assert OPENED and all("immutable=1" in uri for uri in OPENED), OPENED
    code, _, err = cli("--db", str(synced), "--as", "W1", "record", "C100", "court_report")
    refused(code, err, "read-only disk", "nothing was applied")


def test_a_reader_works_in_a_read_only_folder_while_the_store_is_open_elsewhere(
    synced: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone has the store open, so its -wal and -shm exist: SQLite reads through
    them even where it could not create them, and a write is refused."""
    expected = caseload_of_w1(cli, synced)
    gc.collect()
    other = sqlite3.connect(synced)
    other.execute("SELECT count(*) FROM cases").fetchone()  # makes -wal and -shm
    try:
        before = snapshot(synced)
        sqlite_cannot_open(monkeypatch, synced, READONLY_FOLDER)
        assert caseload_of_w1(cli, synced) == expected
        code, _, err = cli("--db", str(synced), "--as", "W1", "record", "C100", "court_report")
        refused(code, err, "read-only", "nothing was applied")
        monkeypatch.undo()
        assert snapshot(synced) == before
    finally:
        other.close()


def test_a_reader_is_refused_where_others_may_be_writing_the_store(
    synced: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder that is read-only for this user but writable by others (its mode has
    write bits): an immutable read could see half a sync, so it is refused."""
    assert synced.parent.stat().st_mode & 0o200
    gc.collect()
    sqlite_cannot_open(monkeypatch, synced, READONLY_FOLDER)
    code, _, err = caseload_of_w1(cli, synced)
    refused(code, err, "is read-only for you", "copy the store to a folder you can write")


def test_a_read_only_disk_with_a_leftover_wal_is_not_read_immutable(
    synced: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Committed pages may still be in STORE-wal: an immutable read would not see them."""
    gc.collect()
    Path(f"{synced}-wal").write_bytes(b"\0" * 4096)
    try:
        sqlite_cannot_open(monkeypatch, synced, READONLY_DISK)
        disk_reports(monkeypatch, synced.parent, read_only=True)
        code, _, err = caseload_of_w1(cli, synced)
        refused(code, err, "read-only disk", f"{synced.name}-wal")
    finally:
        monkeypatch.undo()
        Path(f"{synced}-wal").unlink()


def _python_for(uid: int, env: dict[str, str]) -> str | None:
    """A Python that user ``uid`` can run with casecli importable (this one, or the
    system's with this one's packages on PYTHONPATH), or None."""
    import shutil

    for exe in (sys.executable, shutil.which("python3"), "/usr/local/bin/python3",
                "/usr/bin/python3"):  # fmt: skip
        if not exe:
            continue
        try:
            probe = subprocess.run(
                [exe, "-c", "import casecli.cli.main"], capture_output=True, env=env,
                preexec_fn=lambda: (os.setgid(uid), os.setuid(uid)), cwd="/", timeout=60,
            )  # fmt: skip
        except OSError:
            continue
        if probe.returncode == 0:
            return exe
    return None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_a_real_read_only_folder_as_another_user() -> None:
    """The same with SQLite's own errors, as user ``nobody``: a store in a folder nobody
    can write is read (immutable) and refuses a write; in a folder its owner could
    write, a reader is refused."""
    import shutil
    import tempfile

    nobody = 65534
    top = Path(tempfile.mkdtemp(prefix="casecli-ro-"))
    try:
        top.chmod(0o755)
        folder = top / "ro"
        folder.mkdir()
        db = folder / "s.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CASECLI_")}
        import casecli

        packages = [p for p in sys.path if p.endswith("site-packages")]
        source = str(Path(casecli.__file__).resolve().parents[1])
        env.update(
            CASECLI_CONFIG="/nonexistent/c.toml",
            HOME=str(top),
            PYTHONPATH=os.pathsep.join([source, *packages]),
        )
        python = _python_for(nobody, env)
        if python is None:
            pytest.skip("no Python that user nobody may run with casecli importable")
        run = [python, "-m", "casecli.cli.main", "--db", str(db), "--today", "2026-11-24"]

        def as_nobody(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([*run, *args], capture_output=True, text=True, env=env,
                                  preexec_fn=lambda: (os.setgid(nobody), os.setuid(nobody)),
                                  cwd=top, timeout=60)  # fmt: skip

        made = subprocess.run([*run, "sync", str(FIXTURES / "basic")], env=env,
                              capture_output=True, text=True)  # fmt: skip
        assert made.returncode == 0, made.stderr
        for p in folder.iterdir():
            os.chown(p, nobody, nobody)
        os.chown(folder, nobody, nobody)
        expected = as_nobody("--as", "W1", "caseload")
        assert expected.returncode == 0, expected.stderr
        assert not Path(f"{db}-wal").exists()
        folder.chmod(0o555)  # nobody may write it now, not even its owner
        got = as_nobody("--as", "W1", "caseload")
        assert (got.returncode, got.stdout) == (0, expected.stdout), got.stderr
        wrote = as_nobody("--as", "W1", "record", "C100", "court_report")
        refused(wrote.returncode, wrote.stderr, "is read-only", "nothing was applied")
        os.chown(folder, 0, 0)
        folder.chmod(0o755)  # root's folder: writable by its owner, read-only for nobody
        got = as_nobody("--as", "W1", "caseload")
        refused(got.returncode, got.stderr, "is read-only for you")
    finally:
        for p in (top, *top.rglob("*")):
            if p.is_dir():
                p.chmod(0o755)
        shutil.rmtree(top)


# --- 19. an old store opened by three commands at once ------------------------------------


def old_store(path: Path) -> None:
    """A store at schema 1 holding the basic export: synced by today's code into a store
    at the latest schema, then its rows copied into a schema-1 store (the columns both
    have), so it does not depend on what later schemas add."""
    from datetime import date

    from casecli.core.ingest.sync import sync

    latest = path.with_name("latest-" + path.name)
    conn = store.connect(latest, create=True)
    sync(conn, FIXTURES / "basic", today=date(2026, 11, 24))
    conn.close()
    first = store.migrations()[0]
    store._create_file_0600(path)
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    for statement in store._statements(first.path.read_text(encoding="utf-8")):
        raw.execute(statement)
    raw.execute(f"PRAGMA user_version = {first.version}")
    raw.execute("ATTACH ? AS latest", (str(latest),))
    tables = [r[0] for r in raw.execute(
        "SELECT name FROM main.sqlite_master WHERE type = 'table'")]  # fmt: skip
    for table in tables:
        old = [r[1] for r in raw.execute(f"PRAGMA main.table_info({table})")]
        new = {r[1] for r in raw.execute(f"PRAGMA latest.table_info({table})")}
        cols = ", ".join(c for c in old if c in new)
        raw.execute(f"INSERT INTO main.{table} ({cols}) SELECT {cols} FROM latest.{table}")
    raw.execute("DETACH latest")
    raw.close()
    for leftover in latest.parent.glob(latest.name + "*"):
        leftover.unlink()


SLOW_BACKUP = (
    "import sys, time\n"
    "from casecli.core.store import store\n"
    "real = store.backup\n"
    "def slow(*a, **k):\n"
    "    time.sleep(1.0)  # every process reaches the migration before the first is done\n"
    "    return real(*a, **k)\n"
    "store.backup = slow\n"
    "store.BUSY_TIMEOUT_MS = int(sys.argv[1])\n"
    "sys.argv = sys.argv[1:]\n"
    "from casecli.cli.main import run\n"
    "run()\n"
)


def start(db: Path, *args: str, timeout_ms: int = 10_000) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECLI_")}
    env["CASECLI_CONFIG"] = "/nonexistent/c.toml"
    return subprocess.Popen(
        [sys.executable, "-c", SLOW_BACKUP, str(timeout_ms), "--db", str(db),
         "--today", "2026-11-24", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


@pytest.mark.skipif(len(store.migrations()) < 2, reason="one schema: nothing to migrate")
def test_three_commands_opening_an_old_store_at_once_migrate_it_once(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    old_store(db)
    procs = [
        start(db, "--as", "W1", "caseload"),
        start(db, "--as", "W1", "next"),
        start(db, "sync", str(FIXTURES / "basic")),
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    for code, _, err in results:
        assert code == 0, err
        assert "already exists" not in err
    backups = sorted(tmp_path.glob("old.backup-*.db"))
    assert len(backups) == 1, backups
    assert sqlite3.connect(backups[0]).execute("PRAGMA user_version").fetchone()[0] == 1
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store.latest_version()
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


@pytest.mark.skipif(len(store.migrations()) < 2, reason="one schema: nothing to migrate")
def test_a_migration_that_cannot_get_the_lock_is_refused_in_one_sentence(
    tmp_path: Path,
) -> None:
    """A sync holds the store's writer lock: a command that would migrate waits for it,
    then says so in one sentence and changes nothing."""
    db = tmp_path / "old.db"
    old_store(db)
    before = db.read_bytes()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\nfrom casecli.core.store import storelock\n"
         "with storelock.exclusive(sys.argv[1], 1000, 'busy'):\n"
         "    print('held', flush=True)\n    time.sleep(30)\n", str(db)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        proc = start(db, "--as", "W1", "caseload", timeout_ms=300)
        code = proc.wait(timeout=60)
        _, err = proc.communicate()
        refused(code, err, "migrating or syncing this store", "try again")
    finally:
        holder.kill()
        holder.wait()
    assert db.read_bytes() == before
    assert list(tmp_path.glob("old.backup-*.db")) == []


@pytest.mark.skipif(len(store.migrations()) < 2, reason="one schema: nothing to migrate")
def test_a_migration_reads_the_version_again_under_the_lock(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    old_store(db)
    first, second = store.connect(db, migrate=False), store.connect(db, migrate=False)
    assert store.schema_version(second) == 1
    done = store.upgrade(first, db)
    assert (done.before, done.after) == (1, store.latest_version()) and done.backup
    again = store.upgrade(second, db)  # it had read schema 1 before the first one migrated
    assert again == store.Migrated(store.latest_version(), store.latest_version(), None)
    first.close()
    second.close()
    assert len(list(tmp_path.glob("old.backup-*.db"))) == 1


def test_two_backups_in_the_same_second_get_two_names(
    conn: sqlite3.Connection, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import datetime

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Frozen:
            return cls(2026, 11, 24, 10, 15, 0)

    monkeypatch.setattr(store, "datetime", Frozen)
    one = store.backup(conn, db_path, reason="before-v9")
    two = store.backup(conn, db_path, reason="before-v9")
    assert one != two and one.exists() and two.exists()
    assert one.name == "cases.backup-20261124T101500-before-v9.db"
    assert two.name == "cases.backup-20261124T101500-before-v9-2.db"
    assert sqlite3.connect(two).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_the_writer_lock_is_reentrant_in_one_thread_only(tmp_path: Path) -> None:
    """A sync holds the lock and opens the store, which may migrate it under the same
    lock; another thread still waits."""
    import threading

    db = tmp_path / "s.db"
    outcome: list[str] = []
    with storelock.exclusive(db, 100, "busy"):
        with storelock.exclusive(db, 100, "busy"):
            pass

        def other() -> None:
            try:
                with storelock.exclusive(db, 100, "busy"):
                    outcome.append("got it")
            except Exception as exc:  # noqa: BLE001
                outcome.append(str(exc))

        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert outcome == ["busy"]
    with storelock.exclusive(db, 100, "busy"):
        pass  # released
