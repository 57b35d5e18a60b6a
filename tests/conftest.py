"""Shared fixtures: small hand-made exports, temporary stores, a CLI runner."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from casecli.core.engine import playbooks
from casecli.core.ingest.sync import sync
from casecli.core.local import record
from casecli.core.measures import periods
from casecli.core.measures.measures import Calculator, Options, scope_clause
from casecli.core.measures.measures import compute as _compute
from casecli.core.store import scope, store

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = date(2026, 11, 24)
OCT = periods.parse("2026-10", TODAY)
NOV = periods.parse("2026-11", TODAY)


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The session's cache folder (``XDG_CACHE_HOME``), for what module fixtures run before
    any test's own (:func:`_own_cache`): never the tester's own ``~/.cache``."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("session-cache")))
        yield


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's own cache folder (``XDG_CACHE_HOME``, read by the commands it runs and
    their child processes): where a team store's login keeps what it read
    (casecli.core.local.nextcache.team_place), never the tester's own ``~/.cache``."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def evaluated(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many cases each view evaluated through the kept path (caseload.views on
    temp.kept_ids: casecli.core.local.kept.briefs), one entry per view that evaluated any;
    on either store."""
    from casecli.core.views import caseload

    counts: list[int] = []
    real = caseload.views

    def spy(conn: Any, where: str, params: Any, **kw: Any) -> Any:
        out = real(conn, where, params, **kw)
        if "temp.kept_ids" in where:
            counts.append(len(out))
        return out

    monkeypatch.setattr(caseload, "views", spy)
    return counts


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "cases.db"


@pytest.fixture
def conn(db_path: Path) -> Iterator[sqlite3.Connection]:
    c = store.connect(db_path, create=True)
    yield c
    c.close()


@pytest.fixture
def export(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Copy a fixture export folder into tmp_path so a test may change it."""

    made: list[Path] = []

    def make(name: str) -> Path:
        made.append(tmp_path / f"export-{name}-{len(made)}")
        dest = made[-1]
        shutil.copytree(FIXTURES / name, dest)
        return dest

    return make


def casecli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real console script, as an admin's cron job would run it (no CASECLI_* set)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECLI_")}
    env["CASECLI_CONFIG"] = "/nonexistent/config.toml"
    exe = Path(sys.executable).with_name("casecli")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "casecli.cli.main"]
    return subprocess.run(
        [*cmd, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


CASES_HEADER = (
    "case_id,program,case_type,status,opened_on,closed_on,worker_id,name,risk_level,"
    "response_hours,permanency_goal,goal_target_on,order_established_on,updated_at\n"
)
PEOPLE_HEADER = (
    "person_id,case_id,role,name,birth_on,born_out_of_wedlock,paternity_established_on\n"
)
EVENTS_HEADER = (
    "event_id,case_id,kind,status,scheduled_on,completed_on,person_id,staff_id,location,result\n"
)
PAYMENTS_HEADER = "case_id,month,current_due,current_paid,arrears_due,arrears_paid\n"
REMOVALS_HEADER = "removal_id,case_id,person_id,removed_on,discharged_on,discharge_reason\n"


@pytest.fixture(scope="module", params=["sqlite", "team"])
def backend(request: pytest.FixtureRequest) -> object | None:
    """Which store a command test runs on: None for SQLite, or the PostgreSQL server a
    team store is made on (issue 17 item 7; ``basic_plus(..., team=backend)``)."""
    return None if request.param == "sqlite" else request.getfixturevalue("pg_server")


@pytest.fixture(params=["sqlite", "team"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a sync test's --db points: a new SQLite file, or an empty team store (its
    owner's address: who runs casecli sync there), dropped after the test."""
    if request.param == "sqlite":
        yield str(tmp_path / "s.db")
        return
    from tests import pgserver

    server = request.getfixturevalue("pg_server")
    name = server.empty_team()
    yield str(server.url(pgserver.OWNER, name))
    server.drop(name)


TEAMS: dict[str, Any] = {}  # a team store's owner address -> its tests.pgserver.Team


def as_team(
    path: Path, backend: object | None, tables: tuple[str, ...] | None = None
) -> Path | str:
    """The synced SQLite store ``path`` as it is (``backend`` None), or its export tables
    (or ``tables``) loaded into a new team store on ``backend`` (the ``backend`` fixture's
    server), every staff member's login granted: its owner's address, kept in
    :data:`TEAMS` until :func:`drop_team`."""
    if backend is None:
        return path
    from casecli.core.store import team as teams
    from tests import pgserver

    t = pgserver.Team(backend, backend.empty_team())  # type: ignore[arg-type, attr-defined]
    with t.owner() as raw:
        pgserver.load_sample(raw, t.name, path, tables or pgserver.TABLES)
        teams.grant(raw)
    TEAMS[t.url] = t
    return t.url


def drop_team(db: Path | str) -> None:
    """The team store :func:`as_team` made for ``db`` dropped (a SQLite file: nothing)."""
    t = TEAMS.pop(str(db), None)
    if t is not None:
        t.server.drop(t.name)


def login_of(db: Path | str, staff_id: str | None, command: str) -> str | None:
    """On a team store (``db`` from :func:`as_team`), the address ``command`` runs with as
    ``staff_id``: their own login, a sync the owner's (None: ``db`` is a SQLite file)."""
    t = TEAMS.get(str(db))
    if t is None:
        return None
    return str(t.url) if command == "sync" or staff_id is None else str(t.url_of(staff_id))


def basic_plus(  # type: ignore[no-untyped-def]
    tmp_path: Path, files: dict[str, str], today: str = "2026-11-24", team: object | None = None
):
    """A store of the basic fixture plus a delta of ``files`` (name -> CSV text), both
    synced; returns ``run(*args, today=…, playbooks=None)``: casecli as admin A1, its
    Result (``playbooks`` is given after the command, where its option lives). ``team``:
    a PostgreSQL server (the ``backend`` fixture's): the synced rows are then loaded into a
    team store there, and ``run`` is casecli on it as A1's own login."""
    from typer.testing import CliRunner

    from casecli.cli.main import app

    db, delta = tmp_path / "s.db", tmp_path / "delta"
    delta.mkdir()
    for name, text in files.items():
        (delta / name).write_text(text)
    env = {"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": "80"}

    def run(*args: str, today: str = today, playbooks: Path | None = None):  # type: ignore[no-untyped-def]
        extra = ["--playbooks", str(playbooks)] if playbooks else []
        base = ["--db", str(db), "--as", "A1", "--today", today]
        return CliRunner().invoke(app, [*base, *args, *extra], env=env)

    for folder in (FIXTURES / "basic", delta):
        done = run("sync", str(folder))
        assert done.exit_code == 0, done.stderr
    if team is None:
        return run
    t = TEAMS[str(as_team(db, team))]  # (kept for the test's life: a module may share it)

    def on_team(*args: str, today: str = today, playbooks: Path | None = None):  # type: ignore[no-untyped-def]
        extra = ["--playbooks", str(playbooks)] if playbooks else []
        base = ["--db", t.url_of("A1"), "--today", today]
        return CliRunner().invoke(app, [*base, *args, *extra], env=env)

    return on_team


def run_json(run, *args: str, **kw):  # type: ignore[no-untyped-def]
    """``run(*args, "--json")``, parsed; the command must succeed."""
    import json

    done = run(*args, "--json", **kw)
    assert done.exit_code == 0, done.stderr
    return json.loads(done.stdout)


def measure_line(run, measure: str, *args: str, **kw):  # type: ignore[no-untyped-def]
    """``score *args --json``'s line for ``measure``."""
    card = run_json(run, "score", *args, **kw)
    return next(m for m in card["measures"] if m["measure"] == measure)


# The measures store: tests/fixtures/measures, as the program modules use it -------------
#
# The store: the fixture synced as a full export, then a second full export without case
# K8 (and its child and payments) and without visit E3, so those are marked gone and
# must not count; plus three events W1 recorded in casecli:
# - a visit to P10 in F1 on 2026-10-05 at home: the export's E1 carries the same fact,
#   so it counts once;
# - a visit to P12 in F2 on 2026-10-20 in the placement: only recorded, so it counts;
# - a face-to-face contact with P27 in I7 on 2026-10-31 09:00: only recorded.
# Organisation: office O1 = unit U1 (W1 child welfare, W2 child support) + unit U2 (W3);
# office O2 = unit U3 (W4). Today is 2026-11-24; most checks use October 2026.


def _drop_lines(path: Path, *starts: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(x for x in lines if not x.startswith(starts)))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """A throwaway PostgreSQL cluster for the whole run (tests/pgserver.py): skipped with
    the reason where there is none, failed under CI=true."""
    from tests import pgserver

    with pgserver.running() as server:
        yield server


@pytest.fixture(scope="module", params=["sqlite", "team"])
def mstore(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sqlite3.Connection]:
    """The measures store; ``team``: the same rows in a team store on PostgreSQL, read by
    its owner (every row: the measures' SQL itself is what is tested there, issue 17)."""
    conn = _measures_store(tmp_path_factory)
    if request.param == "sqlite":
        yield conn
        conn.close()
        return
    from casecli.core.store import team
    from tests import pgserver

    path = Path(conn.execute("PRAGMA database_list").fetchone()[2])
    conn.close()
    server = request.getfixturevalue("pg_server")
    url = str(as_team(path, server, (*pgserver.TABLES, "recorded_events")))
    pg = team.open_store(url)
    yield pg  # type: ignore[misc]
    pg.close()
    drop_team(url)


def _measures_store(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    tmp = tmp_path_factory.mktemp("measures")
    conn = store.connect(tmp / "m.db", create=True)
    assert sync(conn, FIXTURES / "measures", today=TODAY).status == "applied"
    later = tmp / "later"
    shutil.copytree(FIXTURES / "measures", later)
    _drop_lines(later / "cases.csv", "K8,")
    _drop_lines(later / "people.csv", "P8,")
    _drop_lines(later / "payments.csv", "K8,")
    _drop_lines(later / "events.csv", "E3,")
    assert sync(conn, later, today=TODAY).status == "applied"
    gone = conn.execute("SELECT count(*) FROM cases WHERE _gone_on IS NOT NULL").fetchone()
    assert gone == (1,)
    books = playbooks.load()
    w1 = scope.actor(conn, "W1")
    for case_id, kind, person, on, where in (
        ("F1", "caseworker_visit", "P10", "2026-10-05", "home"),
        ("F2", "caseworker_visit", "P12", "2026-10-20", "placement"),
        ("I7", "face_to_face_contact", "P27", "2026-10-31T09:00", None),
    ):
        record.record_event(
            conn, w1, case_id, kind, person_id=person, on=on, location=where,
            today=TODAY, books=books, now="2026-11-24T09:00:00",
        )  # fmt: skip
    return conn


def counts(
    conn: sqlite3.Connection,
    measure: str,
    kind: str,
    scope_id: str | None,
    period: periods.Period = OCT,
    **options: int,
) -> tuple[int, int]:
    where, params = scope_clause(kind, scope_id)
    c = Calculator(conn, TODAY, Options(**options)).counts(measure, where, params, period)
    return c.numerator, c.denominator


def perf(conn: sqlite3.Connection, measure: str, kind: str, scope_id: str | None) -> float | None:
    where, params = scope_clause(kind, scope_id)
    return _compute(conn, measure, where, params, OCT, TODAY).performance


def store_rows(db: Path | str, sql: str) -> list[tuple[Any, ...]]:
    """``sql``'s rows in the store ``db`` (a team store: read by its owner, every row)."""
    if str(db).startswith("postgresql://"):
        from casecli.core.store import team

        with team.connect(str(db)) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()
