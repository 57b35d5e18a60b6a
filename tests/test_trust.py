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
from casecli.core.ingest.sync import sync, sync_store
from casecli.core.store import store
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
    from casecli.core.engine import playbooks
    from casecli.core.local import record
    from casecli.core.store import scope

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
    from casecli.core.store import scope

    os_user_is(monkeypatch, "avery")
    assert scope.os_user() == "avery"
    os_user_is(monkeypatch, "")
    assert scope.os_user() is None
    for failure in (OSError("no name"), KeyError("no entry"), ImportError("no pwd")):
        os_user_is(monkeypatch, failure)
        assert scope.os_user() is None


# --- --as defaults to the staff member whose login is the OS user --------------------

NO_USER = (
    "casecli: Say who you are: --as STAFF_ID, CASECLI_USER, or casecli config set user STAFF_ID.\n"
)
CASES = {"W1": ["004", "C100"], "W2": ["C200"]}  # the basic fixture's open caseloads


@pytest.fixture
def logged(tmp_path: Path, export) -> Path:  # type: ignore[no-untyped-def]
    """A store whose staff have logins: W1 avery, W2 sam, S1 dana."""
    folder = export("basic")
    with_logins(folder, {"W1": "avery", "W2": "sam", "S1": "dana"})
    db = tmp_path / "logged.db"
    assert sync_store(db, folder, today=TODAY).status == "applied"
    return db


def caseload(db: Path, *args: str) -> list[str]:
    result = cli("--db", str(db), "--json", *args, "caseload")
    assert result.exit_code == 0, result.stderr
    return sorted(c["case_id"] for c in json.loads(result.stdout))


def test_as_defaults_to_the_staff_member_whose_login_is_the_os_user(
    logged: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    os_user_is(monkeypatch, "avery")
    assert caseload(logged) == CASES["W1"]
    os_user_is(monkeypatch, "sam")
    assert caseload(logged) == CASES["W2"]
    os_user_is(monkeypatch, "dana")  # a supervisor: the unit's cases
    assert caseload(logged) == sorted(CASES["W1"] + CASES["W2"])
    os_user_is(monkeypatch, "avery")  # a write is audited as the staff member found
    result = cli("--db", str(logged), "--today", "2026-11-24", "record", "C100", "court_report")
    assert result.exit_code == 0, result.stderr
    conn = sqlite3.connect(logged)
    assert conn.execute("SELECT who FROM audit_log").fetchall() == [("W1",)]


def test_the_login_is_compared_exactly_as_the_system_spells_it(
    logged: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("Avery", "AVERY", " avery", "aver"):
        os_user_is(monkeypatch, name)
        result = cli("--db", str(logged), "caseload")
        assert result.exit_code == 1 and result.stderr == NO_USER, name


def test_an_explicit_user_beats_the_login_and_no_lookup_is_made(
    logged: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asked: list[str] = []  # the login is looked up only when no user is given
    monkeypatch.setattr(getpass, "getuser", lambda: asked.append("getuser") or "avery")
    assert caseload(logged, "--as", "W2") == CASES["W2"]  # --as
    monkeypatch.setenv("CASECLI_USER", "W2")  # the environment
    assert caseload(logged) == CASES["W2"]
    monkeypatch.delenv("CASECLI_USER")
    config = tmp_path / "config" / "config.toml"  # the config file
    config.parent.mkdir()
    config.write_text('user = "W2"\n', encoding="utf-8")
    assert caseload(logged) == CASES["W2"]
    assert caseload(logged, "--as", "S1") == sorted(CASES["W1"] + CASES["W2"])
    assert asked == []  # though the operating-system user (avery, W1) has a login
    config.unlink()
    assert caseload(logged) == CASES["W1"] and asked == ["getuser"]


def test_two_active_staff_with_one_login_is_one_sentence_and_no_guess(
    tmp_path: Path, export, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    folder = export("basic")
    with_logins(folder, {"W1": "pat", "W2": "pat"})
    db = tmp_path / "two.db"
    assert sync_store(db, folder, today=TODAY).status == "applied"
    os_user_is(monkeypatch, "pat")
    for args in (["next"], ["caseload"], ["case", "C100"], ["record", "C100", "court_report"]):
        result = cli("--db", str(db), *args)
        assert result.exit_code == 1, args
        assert result.stderr == (
            "casecli: More than one active staff member (W1, W2) has your login in staff.csv, "
            "so casecli will not guess who you are; say who with --as STAFF_ID, CASECLI_USER, "
            "or casecli config set user STAFF_ID.\n"
        ), args
        assert result.stdout == ""
    assert sqlite3.connect(db).execute("SELECT count(*) FROM audit_log").fetchone() == (0,)
    assert cli("--db", str(db), "rejects").exit_code == 0  # a command that needs no user
    assert caseload(db, "--as", "W1") == CASES["W1"]


def test_inactive_or_gone_staff_are_no_candidates(
    tmp_path: Path, export, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    folder = export("basic")
    with_logins(folder, {"W1": "pat", "W2": "pat", "S1": "pat"})
    staff = folder / "staff.csv"
    lines = staff.read_text(encoding="utf-8").splitlines()  # W2 has left: inactive
    staff.write_text("\n".join(ln.replace(",32,true,", ",32,false,") for ln in lines) + "\n")
    db = tmp_path / "s.db"
    assert sync_store(db, folder, today=TODAY).status == "applied"
    conn = sqlite3.connect(db)  # S1 is no longer in the exports: a full one marked it gone
    conn.execute("UPDATE staff SET _gone_on = '2026-11-24' WHERE staff_id = 'S1'")
    conn.commit()
    assert conn.execute("SELECT count(*) FROM staff WHERE login = 'pat'").fetchone() == (3,)
    conn.close()
    os_user_is(monkeypatch, "pat")
    assert caseload(db) == CASES["W1"]


@pytest.mark.parametrize("os_user", ["nobody", OSError("No username set in the environment")])
def test_no_match_says_what_it_said_before_when_no_user_is_given(
    logged: Path, monkeypatch: pytest.MonkeyPatch, os_user: str | Exception
) -> None:
    os_user_is(monkeypatch, os_user)
    for args in (["next"], ["caseload"], ["unit"], ["score"], ["tui"]):
        result = cli("--db", str(logged), *args)
        assert result.exit_code == 1 and result.stderr == NO_USER, args


def test_next_keeps_and_reads_a_login_users_actions_under_their_staff_id(
    logged: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casecli.core.local import nextcache

    os_user_is(monkeypatch, "avery")
    first = cli("--db", str(logged), "--json", "next")
    assert first.exit_code == 0, first.stderr
    (kept,) = nextcache.folder(logged).glob(f"next-{b'W1'.hex()}-0-*.json")
    assert json.loads(kept.read_text())["actions"] == json.loads(first.stdout)
    # What is kept is what the next run shows: mark it, and the mark comes back.
    data = json.loads(kept.read_text())
    data["actions"] = [dict(data["actions"][0], action="(kept)")]
    kept.write_text(json.dumps(data))
    for args in ([], ["--as", "W1"]):
        again = cli("--db", str(logged), "--json", *args, "next")
        assert [a["action"] for a in json.loads(again.stdout)] == ["(kept)"], args


def test_a_workers_own_sync_keeps_their_next_when_found_by_login(
    logged: Path, monkeypatch: pytest.MonkeyPatch, export
) -> None:  # type: ignore[no-untyped-def]
    from casecli.core.local import nextcache

    os_user_is(monkeypatch, "avery")
    folder = export("basic")
    with_logins(folder, {"W1": "avery", "W2": "sam", "S1": "dana", "M1": "pat"})
    result = cli("--db", str(logged), "sync", str(folder))
    assert result.exit_code == 0, result.stderr
    assert list(nextcache.folder(logged).glob(f"next-{b'W1'.hex()}-0-*.json"))
    assert sync_log(logged)[-1] == (None, "avery")  # run_by: only a user given (--as)


def test_the_tui_opens_as_the_staff_member_found_by_login(
    logged: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui.app

    opened: list[str] = []

    class App:
        def run(self) -> None:
            pass

    def make_app(db: Path, user: str, *args: object, **kwargs: object) -> App:
        opened.append(user)
        return App()

    monkeypatch.setattr(tui.app, "make_app", make_app)
    os_user_is(monkeypatch, "dana")
    assert cli("--db", str(logged), "tui").exit_code == 0
    assert opened == ["S1"]


def test_the_console_script_takes_the_login_from_the_environment(logged: Path) -> None:
    """End to end, as a person runs it: LOGNAME/USER name the operating-system user."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECLI_")}
    env |= {"CASECLI_CONFIG": "/nonexistent/config.toml", "LOGNAME": "sam", "USER": "sam"}
    exe = Path(sys.executable).with_name("casecli")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "casecli.cli.main"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*cmd, "--db", str(logged), *args], capture_output=True, text=True, env=env
        )

    shown = run("--json", "caseload")
    assert shown.returncode == 0, shown.stderr
    assert sorted(c["case_id"] for c in json.loads(shown.stdout)) == CASES["W2"]
    assert run("sync", str(FIXTURES / "basic")).returncode == 0
    assert sync_log(logged)[-1] == (None, "sam")
