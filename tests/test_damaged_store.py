"""An old store opened by several commands at once (issue 11, item 19): a migration
runs once, under the sync's writer lock."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from casecli.core import store, storelock
from tests.conftest import FIXTURES
from tests.test_hostile import refused

# --- 19. an old store opened by three commands at once ------------------------------------


def old_store(path: Path) -> None:
    """A store at schema 1, filled by today's sync (schema 2 only adds a trigger)."""
    from datetime import date

    from casecli.core.sync import sync

    first = store.migrations()[0]
    store._create_file_0600(path)
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    for statement in store._statements(first.path.read_text(encoding="utf-8")):
        raw.execute(statement)
    raw.execute(f"PRAGMA user_version = {first.version}")
    raw.close()
    conn = store.connect(path, migrate=False)
    sync(conn, FIXTURES / "basic", today=date(2026, 11, 24))
    conn.close()


SLOW_BACKUP = (
    "import sys, time\n"
    "from casecli.core import store\n"
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
         "import sys, time\nfrom casecli.core import storelock\n"
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
