"""The team store on PostgreSQL (issue 17): its schema, and scope and audit enforced by
the database itself, tested on a real server (tests/pgserver.py) with sample.db's staff
and cases: each person, logged in as themselves, sees through raw SQL exactly the cases
casecli shows them on a personal store, writes only within them and in their own name,
and cannot touch the audit log."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casecli.core.errors import CasecliError
from casecli.core.store import scope, store, team
from tests import pgserver

SAMPLE = pgserver.SAMPLE
Team = pgserver.Team


@pytest.fixture(scope="module")
def pg() -> Iterator[pgserver.Server]:
    with pgserver.running() as server:
        yield server


@pytest.fixture
def made(pg: pgserver.Server) -> Team:
    return pgserver.sample_team(pg)


def _sqlite_cases(staff_id: str) -> set[str]:
    """The cases casecli shows this staff member on the personal store (scope.cases_clause)."""
    conn = sqlite3.connect(f"file:{SAMPLE}?mode=ro", uri=True)
    try:
        who = scope.actor(conn, staff_id)
        clause, params = scope.cases_clause(who, "c")
        return {r[0] for r in conn.execute(f"SELECT c.case_id FROM cases c WHERE {clause}", params)}
    finally:
        conn.close()


def test_the_team_schema_is_the_personal_stores_and_init_twice_is_refused(made: Team) -> None:
    # One list of migrations: the team store is at the personal store's latest schema,
    # with the same tables and columns (a SQLite migration without its PostgreSQL file,
    # or a column added to one alone, fails here).
    assert max(m.version for m in team.migrations()) == store.latest_version()
    conn = sqlite3.connect(":memory:")
    for m in store.migrations():
        conn.executescript(m.path.read_text(encoding="utf-8"))
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]  # fmt: skip
    with made.owner() as pgc:
        for table in tables:
            want = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            got = {r[0] for r in pgc.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
                (table,))}  # fmt: skip
            assert got == want, table
        with pytest.raises(CasecliError, match="already initialised"):
            team.init(pgc)
        assert team.migrate(pgc) == (store.latest_version(), store.latest_version())
        assert team.revision(pgc) == team.REVISION  # (security.sql's casecli_revision())
        report = team.check(pgc)
    assert report["ok"] and report["counts"]["cases"] == 1000  # (the owner sees every row)


def test_each_login_sees_through_raw_sql_exactly_the_cases_casecli_shows_them(made: Team) -> None:
    # DESIGN.md: "row-level security enforces the scope below, so raw SQL sees no more
    # than casecli shows". Every staff member of the sample, logged in as themselves:
    # the cases, and the events of those cases, that scope.cases_clause gives them.
    src = sqlite3.connect(f"file:{SAMPLE}?mode=ro", uri=True)
    staff = src.execute(
        "SELECT staff_id, role FROM staff WHERE coalesce(active, 1) <> 0 ORDER BY staff_id"
    ).fetchall()
    sizes = {}
    for staff_id, role in staff:
        want = _sqlite_cases(staff_id)
        with made.staff(staff_id) as conn:
            got = {r[0] for r in conn.execute("SELECT case_id FROM cases")}
            events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        assert got == want, staff_id
        marks = ", ".join("?" * len(want)) or "NULL"
        assert events == src.execute(
            f"SELECT count(*) FROM events WHERE case_id IN ({marks})", sorted(want)
        ).fetchone()[0]  # fmt: skip
        sizes[role] = max(sizes.get(role, 0), len(got))
    src.close()
    # (and the scopes differ: a worker's cases, a unit's, the office's, everything)
    assert sizes["admin"] == 1000 and sizes["worker"] < sizes["supervisor"] < sizes["manager"]


def test_a_worker_cannot_read_another_units_case_nor_the_rejects(made: Team) -> None:
    import psycopg

    theirs = next(iter(_sqlite_cases("S0002") - _sqlite_cases("S0003")))  # U001's, not S0003's
    other_unit = next(iter(_sqlite_cases("S0001") - _sqlite_cases("S0002")))
    with made.staff("S0003") as conn:
        for case_id in (theirs, other_unit):
            assert (
                conn.execute("SELECT * FROM cases WHERE case_id = %s", (case_id,)).fetchall() == []
            )
            for table in ("people", "events", "referrals", "payments"):
                assert conn.execute(
                    f"SELECT count(*) FROM {table} WHERE case_id = %s", (case_id,)
                ).fetchone()[0] == 0  # fmt: skip
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM rejects")
    with made.staff("S0002") as conn:  # their supervisor sees the first, not the second
        assert (
            len(conn.execute("SELECT 1 FROM cases WHERE case_id = %s", (theirs,)).fetchall()) == 1
        )
        assert (
            conn.execute("SELECT 1 FROM cases WHERE case_id = %s", (other_unit,)).fetchall() == []
        )


def _barrier(conn: Any, case_id: str, opened_by: str, what: str = "waiting on housing") -> int:
    row = conn.execute(
        "INSERT INTO barriers (case_id, what, service, opened_on, opened_by)"
        " VALUES (%s, %s, 'housing', '2026-11-24', %s) RETURNING barrier_id",
        (case_id, what, opened_by),
    ).fetchone()
    return int(row[0])


def test_local_writes_go_through_the_scope_and_are_audited_from_the_login(made: Team) -> None:
    # A supervisor and two workers of one unit, each with their own login, see one
    # another's recorded barriers and visits within their scope, and nobody past it.
    import psycopg

    mine, other = sorted(_sqlite_cases("S0003")), sorted(_sqlite_cases("S0004"))
    with made.staff("S0003") as ana:
        first = _barrier(ana, mine[0], "S0003", what="Ana's mother's address")
        ana.execute(
            "INSERT INTO recorded_events (case_id, kind, occurred_at, recorded_by, recorded_at)"
            " VALUES (%s, 'home_visit', '2026-11-24T10:00', 'S0003', '2026-11-24T11:00')",
            (mine[0],),
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # another worker's case
            _barrier(ana, other[0], "S0003")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # in another's name
            _barrier(ana, mine[0], "S0004")
    with made.staff("S0002") as sup:  # their supervisor: sees it, and writes on S0004's case
        assert sup.execute("SELECT what FROM barriers WHERE barrier_id = %s", (first,)).fetchone()
        assert sup.execute("SELECT count(*) FROM recorded_events").fetchone()[0] == 1
        second = _barrier(sup, other[0], "S0002")
    with made.staff("S0004") as ben:  # sees the supervisor's barrier on his case, not Ana's
        seen = {r[0] for r in ben.execute("SELECT barrier_id FROM barriers")}
        assert seen == {second}
        assert ben.execute("SELECT count(*) FROM recorded_events").fetchone()[0] == 0
        # resolving it is audited as his
        ben.execute(
            "UPDATE barriers SET resolved_on = '2026-11-25', resolved_by = 'S0004'"
            " WHERE barrier_id = %s", (second,),
        )  # fmt: skip
    with made.owner() as conn:
        audit = conn.execute(
            "SELECT who, action, entity, entity_id, detail FROM audit_log ORDER BY id"
        ).fetchall()
    assert [(w, a, e, i) for w, a, e, i, _ in audit] == [
        (made.login("S0003"), "wait", "barriers", str(first)),
        (made.login("S0003"), "record", "recorded_events", "1"),
        (made.login("S0002"), "wait", "barriers", str(second)),
        (made.login("S0004"), "resolve", "barriers", str(second)),
    ]
    detail = json.loads(audit[0][4])
    assert detail == {"case_id": mine[0], "service": "housing", "step": None,
                      "expect_on": None, "opened_by": "S0003"}  # fmt: skip
    assert "address" not in audit[0][4]  # free text stays in its row


def test_no_login_can_rewrite_the_audit_log(made: Team) -> None:
    import psycopg

    with made.staff("S0003") as ana:
        _barrier(ana, sorted(_sqlite_cases("S0003"))[0], "S0003")
    for staff_id in ("S0003", "S0037"):  # a worker, and an admin
        for statement in (
            "INSERT INTO audit_log (at, who, action, entity) VALUES ('x', 'x', 'x', 'x')",
            "UPDATE audit_log SET who = 'someone else'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
            "DROP TABLE audit_log",
            "ALTER TABLE audit_log DISABLE TRIGGER ALL",
            "DROP TRIGGER audit_wait ON barriers",
            "CREATE TABLE public.staff_shadow (x int)",  # nothing made beside casecli's
        ):
            with made.staff(staff_id) as conn, pytest.raises(psycopg.Error):
                conn.execute(statement)
    with made.owner() as conn:  # even its owner cannot change or remove a row
        for statement in ("UPDATE audit_log SET who = 'x'", "DELETE FROM audit_log",
                          "TRUNCATE audit_log"):  # fmt: skip
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(statement)
            conn.rollback()
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 1


def test_acting_as_someone_else_is_for_admins_and_says_so(made: Team) -> None:
    import psycopg

    case_id = sorted(_sqlite_cases("S0004"))[0]
    with made.staff("S0003") as ana, pytest.raises(psycopg.errors.InsufficientPrivilege,
                                                   match="only an admin"):  # fmt: skip
        ana.execute("SET casecli.acting_as = 'S0004'")
        ana.execute(
            "INSERT INTO notes (case_id, text, recorded_by, recorded_at)"
            " VALUES (%s, 'x', 'S0003', 'now')",
            (sorted(_sqlite_cases("S0003"))[0],),
        )  # fmt: skip (on her own case: the acting is what is refused)
    admin = made.login("S0037")
    with made.staff("S0037") as conn:
        conn.execute("SET casecli.acting_as = 'S0004'")
        _barrier(conn, case_id, "S0004")
    with made.owner() as conn:
        assert conn.execute("SELECT who FROM audit_log").fetchall() == [
            (f"admin {admin} acting as S0004",)
        ]


def test_an_unknown_login_sees_nothing_and_a_login_without_a_role_is_refused(
    made: Team, pg: pgserver.Server
) -> None:
    import psycopg

    stranger = f"{made.name}_stranger"
    with pg.connect(autocommit=True) as su:
        su.execute(f"CREATE ROLE {stranger} LOGIN")
        su.execute(f"CREATE ROLE {stranger}_w LOGIN IN ROLE casecli_worker")
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        made.as_(stranger)  # not even a connection: CONNECT is the casecli roles' alone
    with made.as_(f"{stranger}_w") as conn:  # a role, but no staff member: nothing
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _barrier(conn, "C0000001", "S0003")
    with made.owner() as conn:
        assert team.session_staff(conn) is None
    with made.staff("S0003") as conn:
        assert team.session_staff(conn) == (made.login("S0003"), "S0003")


def test_goals_are_set_within_ones_own_unit_or_office(made: Team) -> None:
    import psycopg

    goal = ("INSERT INTO performance_goals (scope_kind, scope_id, measure, target, set_by,"
            " set_at) VALUES (%s, %s, 'monthly_visits', 95, %s, 'now')")  # fmt: skip
    with made.staff("S0002") as sup:  # supervisor of U001
        sup.execute(goal, ("unit", "U001", "S0002"))
        sup.execute(goal, ("worker", "S0003", "S0002"))
        for scope_kind, scope_id in (("unit", "U002"), ("office", "O01"), ("worker", "S0012")):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                sup.execute(goal, (scope_kind, scope_id, "S0002"))
    with made.staff("S0001") as mgr:
        mgr.execute(goal, ("office", "O01", "S0001"))
        mgr.execute(goal, ("unit", "U002", "S0001"))
    with made.staff("S0003") as ana, pytest.raises(psycopg.errors.InsufficientPrivilege):
        ana.execute(goal, ("worker", "S0003", "S0003"))
    with made.owner() as conn:
        assert (
            conn.execute("SELECT count(*) FROM audit_log WHERE action = 'goal'").fetchone()[0] == 4
        )


def test_db_grant_follows_staff_csv(made: Team) -> None:
    # A worker promoted to supervisor holds that role alone after the next db grant; a
    # staff member made inactive (or gone) loses theirs; a login two share is nobody's.
    def roles(login: str) -> set[str]:
        with made.owner() as conn:
            return {r[0] for r in conn.execute(
                "SELECT r.rolname FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid"
                " JOIN pg_roles m ON m.oid = a.member WHERE m.rolname = %s", (login,))}  # fmt: skip

    assert roles(made.login("S0003")) == {"casecli_worker"}
    with made.owner() as conn:
        conn.execute("UPDATE staff SET role = 'supervisor' WHERE staff_id = 'S0003'")
        conn.execute("UPDATE staff SET active = 0 WHERE staff_id = 'S0004'")
        conn.execute("UPDATE staff SET login = %s WHERE staff_id = 'S0007'", (made.login("S0005"),))
        conn.commit()
        grants = team.grant(conn)
    assert roles(made.login("S0003")) == {"casecli_supervisor"}
    assert roles(made.login("S0004")) == set() and roles(made.login("S0005")) == set()
    assert roles(made.login("S0006")) == set()
    # S0007's former login, which no staff row names now: left alone, and said (the roles
    # are the server's: it may be another team store's)
    assert roles(made.login("S0007")) == {"casecli_worker"}
    assert made.login("S0007") in grants.strangers
    assert (made.login("S0005"), "2 active staff members share it") in grants.skipped
    import psycopg

    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        made.staff("S0004")  # no casecli role: not even a connection


def test_the_command_line_on_a_team_store(made: Team, pg: pgserver.Server) -> None:
    # db init, check and grant through `casecli --db postgresql://…`; a command not yet
    # ported says so in one sentence; a server that is not there, too.
    from typer.testing import CliRunner

    from casecli.cli.main import app

    runner = CliRunner()
    fresh = pg.new_database()
    url = pg.url(pgserver.OWNER, fresh)
    got = runner.invoke(app, ["--db", url, "--json", "db", "init"])
    assert got.exit_code == 0, got.output
    assert json.loads(got.stdout) == {"db": team.where(url), "schema": store.latest_version(),
                                      "created": True}  # fmt: skip
    with pg.connect(pgserver.OWNER, fresh) as conn:  # (kept: committed, not a savepoint)
        assert conn.execute("SELECT max(version) FROM casecli_schema").fetchone()[0] == 10
    got = runner.invoke(app, ["--db", made.url, "--json", "db", "check"])
    assert got.exit_code == 0, got.output
    assert json.loads(got.stdout)["counts"]["cases"] == 1000
    with made.owner() as conn:  # a login db grant has not seen yet
        conn.execute("UPDATE staff SET login = %s WHERE staff_id = 'S0008'",
                     (made.login("s0008-new"),))  # fmt: skip
    got = runner.invoke(app, ["--db", made.url, "db", "grant"])
    assert got.exit_code == 0 and "35 logins" in got.stdout, got.output
    assert "1 login created" in got.stdout
    with made.staff("s0008-new") as conn:  # granted, and kept
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == len(
            _sqlite_cases("S0008")
        )
    got = runner.invoke(app, ["--db", made.url, "sync", "/nonexistent"])
    assert got.exit_code == 1 and "The export folder /nonexistent does not exist" in got.stderr
    got = runner.invoke(app, ["--db", made.url, "db", "warm"])  # (the owner is no one's)
    assert got.exit_code == 1 and "is no active staff member's" in got.stderr
    assert "Traceback" not in got.output
    nowhere = f"postgresql://{pgserver.OWNER}:secret@/nope?host=/nonexistent"
    got = runner.invoke(app, ["--db", nowhere, "db", "check"])
    assert got.exit_code == 1 and "Cannot open the team store" in got.stderr
    assert "secret" not in got.output and len(got.stderr.strip().splitlines()) == 1
    got = runner.invoke(app, ["--db", "postgresql://owner:secret@[oops/x", "db", "init"])
    assert got.exit_code == 1 and "not one PostgreSQL understands" in got.stderr
    assert "secret" not in got.output
    got = runner.invoke(app, ["--db", str(made.url), "db", "grant"])  # (a second time)
    assert got.exit_code == 0 and "0 logins created, 0 roles taken back" in got.stdout
    got = runner.invoke(app, ["db", "grant"], env={"CASECLI_DB": "x.db"})
    assert got.exit_code == 1 and "is for a team store" in got.stderr


def test_what_a_review_found_is_refused(made: Team, pg: pgserver.Server) -> None:
    # A demoted admin, a staff login named like a group role, a client-chosen id, progress
    # on another case's goal, a resolved barrier reopened, a person's removed case row.
    import psycopg

    mine = sorted(_sqlite_cases("S0003"))
    with made.owner() as conn:
        conn.execute("UPDATE staff SET active = 0 WHERE staff_id = 'S0037'")  # the admin
        conn.execute("UPDATE staff SET login = 'casecli_worker', role = 'admin'"
                     " WHERE staff_id = 'S0036'")  # fmt: skip
        conn.execute("UPDATE staff SET role = 'admin' WHERE staff_id = 'S0035'")  # a new admin
        conn.commit()
        other_goal = conn.execute(
            "SELECT goal_id FROM case_goals WHERE case_id <> ALL(%s) LIMIT 1", (mine,)
        ).fetchone()[0]  # fmt: skip
        own_goal = conn.execute(
            "SELECT goal_id, case_id FROM case_goals WHERE case_id = ANY(%s) LIMIT 1", (mine,)
        ).fetchone()  # fmt: skip
    with made.staff("S0037") as conn:  # still holds casecli_admin until db grant: no reach
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0
        # nor can it make itself an active admin again: staff is an active admin's to write
        back = conn.execute("UPDATE staff SET active = 1 WHERE login = session_user")
        assert back.rowcount == 0
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0
    with made.owner() as conn:
        grants = team.grant(conn)
    assert ("casecli_worker", "a database role that is not one person's login") in grants.skipped
    with made.staff("S0003") as ana:
        assert ana.execute("SELECT count(*) FROM cases").fetchone()[0] == len(mine)
        with pytest.raises(psycopg.Error):  # the database's ids alone
            ana.execute("INSERT INTO notes (id, case_id, text, recorded_by, recorded_at)"
                        " VALUES (99, %s, 'x', 'S0003', 'now')", (mine[0],))  # fmt: skip
        progress = ("INSERT INTO goal_progress (case_id, goal_id, status, recorded_by,"
                    " recorded_at) VALUES (%s, %s, 'achieved', 'S0003', 'now')")  # fmt: skip
        if own_goal is not None:
            ana.execute(progress, (own_goal[1], own_goal[0]))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            ana.execute(progress, (mine[0], other_goal))
        barrier = _barrier(ana, mine[0], "S0003")
        ana.execute("UPDATE barriers SET resolved_on = '2026-11-25', resolved_by = 'S0003'"
                    " WHERE barrier_id = %s", (barrier,))  # fmt: skip
        reopened = ana.execute("UPDATE barriers SET resolved_on = NULL, resolved_by = 'S0003'"
                               " WHERE barrier_id = %s", (barrier,))  # fmt: skip
        assert reopened.rowcount == 0  # a resolved barrier is no longer one to resolve
        ana.execute("CREATE TEMP TABLE sel (case_id TEXT)")  # (casecli's reads make them)
    with made.staff("S0035") as conn:  # the active admin now (S0037 is inactive)
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 1000
        again = conn.execute("UPDATE barriers SET resolved_on = NULL WHERE barrier_id = %s",
                             (barrier,))  # fmt: skip
        assert again.rowcount == 0  # not even by an admin


def test_a_team_store_address_in_the_config_is_kept_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from casecli.cli.main import app

    monkeypatch.setenv("CASECLI_CONFIG", str(tmp_path / "c.toml"))
    url = "postgresql://alice:S3cretPW@db.example/cases"
    got = CliRunner().invoke(app, ["config", "set", "db", url])
    assert got.exit_code == 0, got.output
    assert got.stdout.strip() == "db = postgresql://alice:…@db.example/cases"
    assert url in (tmp_path / "c.toml").read_text()
    got = CliRunner().invoke(app, ["config", "list"])
    assert "S3cretPW" not in got.output and "alice:…@db.example" in got.output
    for args in (["config", "list"], ["config", "get", "db"], ["config", "set", "db", url]):
        got = CliRunner().invoke(app, ["--json", *args])
        assert got.exit_code == 0 and "S3cretPW" not in got.output and "alice:…@" in got.output


def test_a_team_store_address_is_shown_without_its_password() -> None:
    for url, shown in (
        ("postgresql://alice:S3cret@db.example/cases", "postgresql://alice:…@db.example/cases"),
        ("postgresql://u:se/kr?it@h/db", "postgresql://u:…@h/db"),
        ("postgresql://u:p@ss@h/db", "postgresql://u:…@h/db"),
        ("postgresql://h/db?sslmode=require&password=x", "postgresql://h/db?sslmode=require&password=…"),
        ("postgres://u@h/db", "postgres://u@h/db"),
    ):  # fmt: skip
        assert team.masked(url) == shown


def test_the_case_card_on_a_team_store_is_the_personal_stores(made: Team) -> None:
    # `casecli case` runs on PostgreSQL through the dialect layer: the same --json as on
    # the SQLite store the data came from; who you are is your login; --as another is an
    # admin's alone; a case outside your scope, or a login that is nobody, one sentence.
    from typer.testing import CliRunner

    from casecli.cli.main import app

    runner = CliRunner(env={"CASECLI_CONFIG": "/nonexistent/c.toml"})

    def lite(user: str, case_id: str) -> Any:
        return runner.invoke(app, ["--db", str(SAMPLE), "--as", user, "--json",
                                   "--today", "2026-11-24", "case", case_id])  # fmt: skip

    def team_(login: str, case_id: str, *extra: str) -> Any:
        url = made.server.url(login, made.name)
        return runner.invoke(app, ["--db", url, *extra, "--json", "--today", "2026-11-24",
                                   "case", case_id])  # fmt: skip

    for user, case_id in (("S0003", "C0000165"), ("S0004", "C0000002")):
        want = lite(user, case_id)
        got = team_(made.login(user), case_id)
        assert got.exit_code == 0 == want.exit_code, got.output
        assert json.loads(got.stdout) == json.loads(want.stdout)
        assert json.loads(got.stdout)["case_id"] == case_id
    # another's case: not even there, for this login
    got = team_(made.login("S0003"), "C0000002")
    assert got.exit_code == 1 and "no case C0000002 in your scope on this team store" in got.stderr
    got = team_(made.login("S0003"), "C0000002", "--as", "S0004")
    assert got.exit_code == 1 and "--as another is for admins" in got.stderr
    got = team_(made.login("S0037"), "C0000002", "--as", "S0004")  # the admin, as S0004
    assert got.exit_code == 0 and json.loads(got.stdout) == json.loads(
        lite("S0004", "C0000002").stdout
    )
    got = team_(pgserver.OWNER, "C0000002")  # the owner is no staff member
    assert got.exit_code == 1 and "is no active staff member's" in got.stderr
    assert "Traceback" not in got.output


def test_db_backup_of_a_team_store_is_its_owners(
    made: Team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pg_dump of the whole store into a new 0600 file, its connection settings in its
    # environment (never on its command line); never over an existing file; refused,
    # in one sentence and with nothing left behind, for a login row-level security limits.
    import os
    import shutil

    from typer.testing import CliRunner

    from casecli.cli.main import app

    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    runner = CliRunner()
    dest = tmp_path / "team.dump"
    got = runner.invoke(app, ["--db", made.url, "db", "backup", str(dest)])
    assert got.exit_code == 0, got.output
    assert dest.read_bytes()[:5] == b"PGDMP" and dest.stat().st_mode & 0o777 == 0o600
    got = runner.invoke(app, ["--db", made.url, "db", "backup", str(dest)])
    assert got.exit_code == 1 and "already exists" in got.stderr
    mine = tmp_path / "mine.dump"
    got = runner.invoke(app, ["--db", made.server.url(made.login("S0003"), made.name),
                              "db", "backup", str(mine)])  # fmt: skip
    assert got.exit_code == 1 and "as the store's owner" in got.stderr, got.output
    assert not mine.exists() and len(got.stderr.strip().splitlines()) == 1
    monkeypatch.chdir(tmp_path)  # the default name, in the current folder
    got = runner.invoke(app, ["--db", made.url, "--json", "db", "backup"])
    assert got.exit_code == 0, got.output
    made_file = Path(json.loads(got.stdout)["backup"])
    assert made_file.name.startswith(f"casecli-{made.name}-") and os.path.exists(made_file)


def test_db_migrate_backs_a_team_store_up_before_a_schema_change(
    made: Team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A schema 11 (a file of its own here): db migrate dumps the store first, then brings
    # it to 11 and applies the security again; with nothing pending it backs up nothing.
    import shutil

    from typer.testing import CliRunner

    from casecli.cli.main import app

    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    extra = tmp_path / "0011_test.sql"
    extra.write_text("CREATE TABLE migrated_11 (x INTEGER);", encoding="utf-8")
    real = team.migrations()
    monkeypatch.setattr(team, "migrations", lambda: [*real, store.Migration(11, "test", extra)])
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    got = runner.invoke(app, ["--db", made.url, "--json", "db", "migrate"])
    assert got.exit_code == 0, got.output
    said = json.loads(got.stdout)
    assert (said["from"], said["to"]) == (store.latest_version(), 11)
    dumped = tmp_path / said["backup"]
    assert dumped.name.endswith("-before-migrate.dump") and dumped.read_bytes()[:5] == b"PGDMP"
    with made.owner() as conn:
        assert team.schema_version(conn) == 11
        assert conn.execute("SELECT to_regclass('migrated_11') IS NOT NULL").fetchone()[0]
    got = runner.invoke(app, ["--db", made.url, "--json", "db", "migrate"])
    assert got.exit_code == 0 and json.loads(got.stdout)["backup"] is None


def test_db_init_refuses_a_database_that_sorts_text_otherwise(pg: pgserver.Server) -> None:
    # The one body of SQL orders case ids, names and dates byte by byte on SQLite; a
    # database collating by a language's rules would list them in another order (and a
    # `next` tie, a card's people, would read differently on the two stores).
    import psycopg
    from typer.testing import CliRunner

    from casecli.cli.main import app

    name = "team_icu"
    with pg.connect(autocommit=True) as conn:
        try:
            conn.execute(f"CREATE DATABASE {name} OWNER {pgserver.OWNER} LOCALE_PROVIDER icu"
                         " ICU_LOCALE 'en-US' LOCALE 'C' TEMPLATE template0")  # fmt: skip
        except psycopg.errors.FeatureNotSupported as exc:  # a server built without ICU
            pytest.skip(f"no ICU collation to test with: {exc}")
    url = pg.url(pgserver.OWNER, name)
    got = CliRunner().invoke(app, ["--db", url, "db", "init"])
    assert got.exit_code == 1
    assert "The database sorts text by 'en-US', not byte by byte" in got.stderr
    assert "createdb --locale=C --template=template0" in got.stderr
    with pg.connect(pgserver.OWNER, name) as conn:  # nothing made
        assert conn.execute("SELECT to_regclass('casecli_schema')").fetchone() == (None,)


def test_a_store_older_than_casecli_says_to_migrate(made: Team) -> None:
    # A team store made or migrated by an older casecli lacks what this one's SQL calls
    # (SQLite's functions, the indexed scope functions): every command used to fail with
    # "relation … does not exist" while db check said all was well.
    from typer.testing import CliRunner

    from casecli.cli.main import app

    with made.owner() as conn:
        conn.execute("DROP FUNCTION casecli_revision()")
    runner = CliRunner(env={"CASECLI_CONFIG": "/nonexistent/c.toml"})
    mine = made.server.url(made.login("S0003"), made.name)
    got = runner.invoke(app, ["--db", mine, "next"])
    assert got.exit_code == 1
    assert "older than this casecli's; ask its owner to run casecli db migrate" in got.stderr
    got = runner.invoke(app, ["--db", made.url, "--json", "db", "check"])
    assert got.exit_code != 0 or not json.loads(got.stdout)["ok"]
    assert "casecli db migrate" in got.output
    got = runner.invoke(app, ["--db", made.url, "db", "migrate"])
    assert got.exit_code == 0, got.output
    assert runner.invoke(app, ["--db", mine, "next"]).exit_code == 0


def test_any_login_may_check_the_store_and_sees_its_own_rows(made: Team) -> None:
    # `casecli db check` as a worker said "permission denied for table casecli_schema": the
    # schema's version was the owner's to read. It is everyone's; the counts are the rows
    # the login sees.
    from typer.testing import CliRunner

    from casecli.cli.main import app

    mine = made.server.url(made.login("S0003"), made.name)
    got = CliRunner().invoke(app, ["--db", mine, "--json", "db", "check"])
    assert got.exit_code == 0, got.output
    report = json.loads(got.stdout)
    assert report["ok"] and report["schema"] == store.latest_version()
    assert report["counts"]["cases"] == len(_sqlite_cases("S0003"))
