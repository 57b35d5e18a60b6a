"""The store: created 0600, WAL, foreign keys, schema version, migrations and backups."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from casecli.core.errors import CasecliError
from casecli.core.store import store


def test_new_store_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        conn = store.connect(tmp_path / "s.db", create=True)
        conn.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "s.db").stat().st_mode) == 0o600


def test_store_uses_wal_foreign_keys_and_busy_timeout(conn: sqlite3.Connection) -> None:
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == store.BUSY_TIMEOUT_MS


def test_new_store_is_at_the_latest_schema(conn: sqlite3.Connection) -> None:
    assert store.schema_version(conn) == store.latest_version() >= 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for name in (
        "staff",
        "cases",
        "people",
        "events",
        "referrals",
        "signals",
        "payments",
        "removals",
        "placements",
        "case_goals",
        "costs",
        "recorded_events",
        "barriers",
        "goal_progress",
        "notes",
        "performance_goals",
        "audit_log",
        "sync_log",
        "rejects",
    ):
        assert name in tables


def test_missing_store_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(CasecliError, match="sync an export"):
        store.connect(tmp_path / "nope.db")


def test_a_store_newer_than_the_code_is_refused(db_path: Path) -> None:
    store.connect(db_path, create=True).close()
    raw = sqlite3.connect(db_path)
    raw.execute(f"PRAGMA user_version = {store.latest_version() + 1}")
    raw.close()
    with pytest.raises(CasecliError, match="newer than this casecli"):
        store.connect(db_path)


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 200)
    with pytest.raises(CasecliError, match="not a casecli store"):
        store.connect(path)


def test_audit_log_rejects_update_and_delete(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO audit_log (at, who, action, entity) VALUES ('2026-11-24T10:00', 'W1', 'record', 'case')"
    )
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit_log SET who = 'X'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit_log")
    assert conn.execute("SELECT who FROM audit_log").fetchall() == [("W1",)]


def test_backup_is_a_0600_copy_with_the_same_rows(conn: sqlite3.Connection, db_path: Path) -> None:
    conn.execute("INSERT INTO audit_log (at, who, action, entity) VALUES ('t', 'W1', 'x', 'y')")
    dest = store.backup(conn, db_path, dest=db_path.with_name("copy.db"))
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    copy = sqlite3.connect(dest)
    assert copy.execute("SELECT who FROM audit_log").fetchall() == [("W1",)]
    assert copy.execute("PRAGMA user_version").fetchone()[0] == store.latest_version()


def test_migrating_an_older_store_backs_it_up_first(
    db_path: Path, tmp_path: Path, monkeypatch
) -> None:
    # A store at the latest schema with a local record; the code gains a newer one.
    store.connect(db_path, create=True).close()
    before = store.latest_version()
    raw = sqlite3.connect(db_path)
    raw.execute("INSERT INTO audit_log (at, who, action, entity) VALUES ('t', 'W1', 'x', 'y')")
    raw.commit()
    raw.close()
    extra = tmp_path / "migrations"
    extra.mkdir()
    for m in store.migrations():
        (extra / m.path.name).write_text(m.path.read_text())
    (extra / "9999_test.sql").write_text("CREATE TABLE later (x INTEGER);\n")
    monkeypatch.setattr(store, "_migrations_dir", lambda: extra)
    conn = store.connect(db_path)
    assert store.schema_version(conn) == 9999
    backups = list(tmp_path.glob("cases.backup-*.db"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert old.execute("PRAGMA user_version").fetchone()[0] == before
    assert conn.execute("SELECT who FROM audit_log").fetchall() == [("W1",)]


def test_a_store_made_by_the_first_schema_upgrades_with_nothing_lost(tmp_path: Path) -> None:
    """Generic over migrations: build at schema 1 only, fill it, then ``db migrate``."""
    from tests.conftest import FIXTURES, casecli

    first, *later = store.migrations()
    db = tmp_path / "old.db"
    store._create_file_0600(db)
    raw = sqlite3.connect(db, isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    for statement in store._statements(first.path.read_text(encoding="utf-8")):
        raw.execute(statement)
    raw.execute(f"PRAGMA user_version = {first.version}")
    raw.close()
    # fill it with the code of today, without migrating (a sync and a recorded event)
    old = store.connect(db, migrate=False)
    from datetime import date

    from casecli.core.engine import playbooks
    from casecli.core.ingest.sync import sync
    from casecli.core.local import record
    from casecli.core.store import scope

    if not later:  # today the first schema is the latest: fill it the normal way
        sync(old, FIXTURES / "basic", today=date(2026, 11, 24))
        actor = scope.actor(old, "W1")
        record.record_event(old, actor, "C100", "court_report", today=date(2026, 11, 24),
                            books=playbooks.load())  # fmt: skip
    else:  # an older schema than the code: rows the first schema can hold
        old.execute(
            "INSERT INTO audit_log (at, who, action, entity) VALUES ('t', 'W1', 'record', 'x')"
        )
    tables = [
        r[0]
        for r in old.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    before = {t: old.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}
    old.close()

    result = casecli("--db", str(db), "--json", "db", "migrate")
    assert result.returncode == 0, result.stderr
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == store.latest_version()
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for table, rows in before.items():
        assert raw.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() == rows, table
    raw.close()
    backups = list(tmp_path.glob("old.backup-*.db"))
    if later:
        assert len(backups) == 1 and stat.S_IMODE(backups[0].stat().st_mode) == 0o600
    else:
        assert backups == []  # nothing to migrate, so nothing to back up


def test_the_cli_refuses_a_newer_schema_in_one_sentence(tmp_path: Path) -> None:
    from tests.conftest import casecli

    db = tmp_path / "new.db"
    store.connect(db, create=True).close()
    raw = sqlite3.connect(db)
    raw.execute(f"PRAGMA user_version = {store.latest_version() + 1}")
    raw.close()
    before = db.read_bytes()
    for args in (["db", "migrate"], ["--as", "W1", "next"], ["sync", str(tmp_path)]):
        result = casecli("--db", str(db), *args)
        assert result.returncode == 1, (args, result.stderr)
        assert result.stderr.startswith("casecli: ") and result.stderr.count("\n") == 1
        assert "newer than this casecli" in result.stderr and "Traceback" not in result.stderr
    assert db.read_bytes() == before
