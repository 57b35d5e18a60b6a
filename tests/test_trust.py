"""The trust model of a personal store (issue 11, item 16), and what it records.

On a personal store the boundary is the operating system (the file's owner and mode);
``--as`` chooses whose work is shown and is not verified. What casecli adds: staff.csv's
optional ``login`` column, ``--as`` defaulting to the active staff member whose login is
the operating-system user, and every sync recording that user (``sync_log.os_user``).
"""

from __future__ import annotations

import getpass
import json
import shutil
import sqlite3
import stat
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app
from casecli.core import store
from casecli.core.sync import sync, sync_store
from tests.conftest import FIXTURES, TODAY


def with_logins(folder: Path, logins: dict[str, str]) -> None:
    """Add a ``login`` column to the export's staff.csv (empty for staff not named)."""
    path = folder / "staff.csv"
    head, *rows = path.read_text(encoding="utf-8").splitlines()
    out = [f"{head},login"] + [f"{r},{logins.get(r.split(',', 1)[0], '')}" for r in rows]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def logins(conn: sqlite3.Connection) -> dict[str, str | None]:
    return dict(conn.execute("SELECT staff_id, login FROM staff ORDER BY staff_id").fetchall())


# --- the login column ------------------------------------------------------------


def test_the_login_column_syncs_into_a_new_store_and_a_store_with_data(
    tmp_path: Path, export
) -> None:  # type: ignore[no-untyped-def]
    folder = export("basic")
    with_logins(folder, {"W1": "avery", "S1": "Dana.Reyes"})
    db = tmp_path / "first.db"  # the first sync: built beside the store, loaded directly
    result = sync_store(db, folder, today=TODAY)
    assert result.status == "applied" and not result.rejects and not result.warnings
    conn = store.connect(db)
    assert logins(conn) == {"A1": None, "M1": None, "S1": "Dana.Reyes", "W1": "avery", "W2": None}

    plain = export("basic")  # a store with data: staged, compared, upserted
    other = store.connect(tmp_path / "other.db", create=True)
    assert sync(other, plain, today=TODAY).status == "applied"
    with_logins(plain, {"W2": "sam"})
    result = sync(other, plain, today=TODAY)
    assert result.status == "applied" and not result.rejects
    assert {f.file: f.updated for f in result.files}["staff.csv"] == 1
    assert logins(other)["W2"] == "sam"


def test_a_staff_csv_without_the_login_column_leaves_stored_logins_alone(
    conn: sqlite3.Connection, export
) -> None:  # type: ignore[no-untyped-def]
    with_login = export("basic")
    with_logins(with_login, {"W1": "avery"})
    assert sync(conn, with_login, today=TODAY).status == "applied"
    without = export("basic")  # the same staff, and no login column: nothing to change
    result = sync(conn, without, today=TODAY)
    assert result.status == "unchanged" and not result.rejects and not result.warnings
    assert logins(conn)["W1"] == "avery"
    emptied = export("basic")  # the column present and the cell empty: no login (NULL)
    with_logins(emptied, {})
    assert sync(conn, emptied, today=TODAY).status == "applied"
    assert logins(conn)["W1"] is None


def test_the_demo_gives_each_staff_member_a_login_and_the_sample_has_them() -> None:
    sample = Path(__file__).resolve().parents[1] / "sample.db"
    conn = sqlite3.connect(f"file:{sample}?mode=ro", uri=True)
    rows = conn.execute("SELECT staff_id, login FROM staff").fetchall()
    assert rows and all(login == staff_id.lower() for staff_id, login in rows)
    # The sample names no builder: neither their folder nor their operating-system user.
    assert conn.execute("SELECT folder, os_user FROM sync_log").fetchall() == [
        ("casecli demo --cases 1000 --seed 1", None)
    ]


# --- the migration from schema 2 ---------------------------------------------------


def _store_at_schema_2(tmp_path: Path) -> Path:
    """A store at schema 2 holding what today's code puts in one: a sync with rejects, a
    recorded visit, a barrier, an audit row (copied over column by column)."""
    from casecli.core import playbooks, record, scope

    full_path = tmp_path / "full.db"
    full = store.connect(full_path, create=True)
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "basic", folder)
    with (folder / "cases.csv").open("a", encoding="utf-8") as fh:
        fh.write("C900,child_welfare,in_home,open,not-a-date,,W1,Stone,low,,,,,\n")
    assert sync(full, folder, today=TODAY).rejects
    who = scope.actor(full, "W1")
    books = playbooks.load()
    record.record_event(full, who, "C100", "court_report", today=TODAY, books=books)
    record.add_barrier(full, who, "C100", "drug screen result", today=TODAY, books=books)
    full.close()

    db = tmp_path / "old.db"
    store._create_file_0600(db)
    raw = sqlite3.connect(db, isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    for migration in store.migrations():
        if migration.version <= 2:
            for statement in store._statements(migration.path.read_text(encoding="utf-8")):
                raw.execute(statement)
    raw.execute("PRAGMA user_version = 2")
    raw.execute("ATTACH DATABASE ? AS full", (str(full_path),))
    for table in _tables(raw):
        cols = ", ".join(f'"{c}"' for c in _columns(raw, table))
        raw.execute(f"INSERT INTO main.{table} ({cols}) SELECT {cols} FROM full.{table}")
    raw.execute("DETACH DATABASE full")
    raw.close()
    return db


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA main.table_info({table})")]


def test_the_migration_from_schema_2_adds_login_and_os_user_with_nothing_lost(
    tmp_path: Path,
) -> None:
    from tests.conftest import casecli

    db = _store_at_schema_2(tmp_path)
    raw = sqlite3.connect(db)
    assert "login" not in _columns(raw, "staff") and "os_user" not in _columns(raw, "sync_log")
    old = {t: _columns(raw, t) for t in _tables(raw)}
    before = {
        t: raw.execute(f"SELECT {', '.join(cols)} FROM {t} ORDER BY 1").fetchall()
        for t, cols in old.items()
    }
    assert all(before[t] for t in ("staff", "cases", "sync_log", "rejects", "audit_log"))
    raw.close()

    result = casecli("--db", str(db), "--json", "db", "migrate")
    assert result.returncode == 0, result.stderr

    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == store.latest_version() >= 3
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for table, cols in old.items():
        rows = raw.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY 1").fetchall()
        assert rows == before[table], table
    assert raw.execute("SELECT count(*) FROM staff WHERE login IS NOT NULL").fetchone() == (0,)
    assert raw.execute("SELECT count(*) FROM sync_log WHERE os_user IS NOT NULL").fetchone() == (0,)
    plan = raw.execute("EXPLAIN QUERY PLAN SELECT staff_id FROM staff WHERE login = 'x'").fetchall()
    assert any("staff_login" in str(step) for step in plan)
    raw.close()
    backups = list(tmp_path.glob("old.backup-*.db"))
    assert len(backups) == 1 and stat.S_IMODE(backups[0].stat().st_mode) == 0o600
    copy = sqlite3.connect(backups[0])
    assert copy.execute("PRAGMA user_version").fetchone()[0] == 2
    copy.close()


def test_a_migrated_store_takes_logins_at_the_next_sync(tmp_path: Path) -> None:
    db = _store_at_schema_2(tmp_path)
    folder = tmp_path / "export"  # the same export, now with logins
    with_logins(folder, {"W1": "avery"})
    conn = store.connect(db)  # migrates (after a backup)
    result = sync(conn, folder, today=date(2026, 11, 25))
    assert result.status == "applied"
    assert logins(conn)["W1"] == "avery"


# --- who ran each sync ---------------------------------------------------------------

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_user_given(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No CASECLI_* from the developer's shell, and a config file that does not exist."""
    for name in ("CASECLI_USER", "CASECLI_DB", "CASECLI_TODAY", "CASECLI_JSON", "CASECLI_REDACT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CASECLI_CONFIG", str(tmp_path / "config" / "config.toml"))


def os_user_is(monkeypatch: pytest.MonkeyPatch, name: str | Exception) -> None:
    """What ``getpass.getuser()`` answers from now on (an exception: it fails)."""

    def getuser() -> str:
        if isinstance(name, Exception):
            raise name
        return name

    monkeypatch.setattr(getpass, "getuser", getuser)


def cli(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def sync_log(db: Path) -> list[tuple[str | None, str | None]]:
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT run_by, os_user FROM sync_log ORDER BY sync_id").fetchall()
    conn.close()
    return rows


def test_every_sync_records_the_os_user_with_or_without_as(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, export
) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "s.db")
    folder = export("basic")
    os_user_is(monkeypatch, "avery")
    assert cli("--db", db, "sync", str(folder)).exit_code == 0
    os_user_is(monkeypatch, "sam")
    with_logins(folder, {"W2": "sam"})
    result = cli("--db", db, "--as", "W2", "sync", str(folder))
    assert result.exit_code == 0, result.stderr
    os_user_is(monkeypatch, "root")
    again = cli("--db", db, "--as", "A1", "--json", "sync", str(folder), "--dry-run")
    assert again.exit_code == 0  # a dry run is rolled back: it leaves no row
    assert sync_log(tmp_path / "s.db") == [(None, "avery"), ("W2", "sam")]


def test_a_sync_by_the_core_api_records_the_os_user_too(
    conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    os_user_is(monkeypatch, "cron-loader")
    sync(conn, FIXTURES / "basic", today=TODAY)
    assert conn.execute("SELECT run_by, os_user FROM sync_log").fetchall() == [
        (None, "cron-loader")
    ]


@pytest.mark.parametrize(
    "failure", [OSError("No username set in the environment"), KeyError("uid not found")]
)
def test_a_full_sync_needs_no_identity_and_an_unknown_os_user_is_null(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    os_user_is(monkeypatch, failure)
    db = tmp_path / "s.db"
    result = cli("--db", str(db), "--json", "sync", str(FIXTURES / "basic"), "--full")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["kind"] == "full" and result.stderr == ""
    assert sync_log(db) == [(None, None)]


def test_os_user_is_none_when_the_system_cannot_tell(monkeypatch: pytest.MonkeyPatch) -> None:
    from casecli.core import scope

    os_user_is(monkeypatch, "avery")
    assert scope.os_user() == "avery"
    os_user_is(monkeypatch, "")
    assert scope.os_user() is None
    for failure in (OSError("no name"), KeyError("no entry"), ImportError("no pwd")):
        os_user_is(monkeypatch, failure)
        assert scope.os_user() is None
