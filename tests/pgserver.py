"""A throwaway PostgreSQL cluster for the team-store tests (issue 17 item 7).

The PostgreSQL binaries of this machine (``initdb``, ``pg_ctl``: on PATH, or Debian's
``/usr/lib/postgresql/N/bin``) make a cluster in a temporary folder that listens on a unix
socket in that folder alone (no TCP port), with ``trust`` authentication: any login may
connect as any role, which is what lets a test be each person in turn. ``initdb`` refuses
to run as root, so as root the cluster is made and run by the ``postgres`` system user
(``runuser``), as CI does.

Without PostgreSQL (or psycopg) the tests that need it are skipped, with the reason; under
``CI=true`` they fail instead: CI must run them (``.ci/run`` installs what they need).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SAMPLE = Path(__file__).resolve().parents[1] / "sample.db"
# sample.db's export tables, as a team store holds them after a sync (costs and the sync's
# own files too: a measure reads them)
TABLES = ("staff", "cases", "people", "events", "referrals", "signals", "payments", "removals",
          "placements", "case_goals", "costs", "sync_log", "sync_files")  # fmt: skip
SUPERUSER = "postgres"
OWNER = "casecli_owner"  # the team stores' owner: CREATEROLE, not a superuser


def _binaries() -> Path | None:
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the team-store tests (.ci/run installs it)")
    pytest.skip(reason)


class Server:
    """A running cluster: :meth:`url` for a login and a database."""

    def __init__(self, folder: Path, as_postgres: bool) -> None:
        self.folder = folder
        self.as_postgres = as_postgres
        self._names = itertools.count(1)

    def url(self, login: str, dbname: str = "postgres") -> str:
        return f"postgresql://{login}@/{dbname}?host={self.folder}"

    def connect(self, login: str = SUPERUSER, dbname: str = "postgres", **kw: Any) -> Any:
        import psycopg

        return psycopg.connect(self.url(login, dbname), **kw)

    def empty_team(self) -> str:
        """A new database holding an empty team store, as ``casecli db init`` leaves it
        (copied from one made once per run: ``init`` takes a second, a copy a tenth)."""
        from casecli.core.store import team

        if not hasattr(self, "_template"):
            name = self.new_database()
            with team.connect(self.url(OWNER, name)) as conn:
                team.init(conn)
            self._template = name
        name = f"team{next(self._names)}"
        with self.connect(autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {self._template} OWNER {OWNER}")
            # (a database's own grants are not copied from its template)
            conn.execute(f"REVOKE CONNECT, TEMPORARY ON DATABASE {name} FROM PUBLIC")
            conn.execute(
                f"GRANT CONNECT, TEMPORARY ON DATABASE {name} TO casecli_worker,"
                " casecli_supervisor, casecli_manager, casecli_admin"
            )
        return name

    def drop(self, name: str) -> None:
        with self.connect(autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def new_database(self) -> str:
        """An empty database owned by :data:`OWNER` (made once, with CREATEROLE)."""
        name = f"team{next(self._names)}"
        with self.connect(autocommit=True) as conn:
            if (
                conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (OWNER,)).fetchone()
                is None
            ):
                conn.execute(f"CREATE ROLE {OWNER} LOGIN CREATEROLE")
            conn.execute(f"CREATE DATABASE {name} OWNER {OWNER}")
        return name


def _run(server_cmd: list[str], as_postgres: bool) -> None:
    cmd = ["runuser", "-u", "postgres", "--", *server_cmd] if as_postgres else server_cmd
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def running() -> Iterator[Server]:
    """Start a cluster for the test session, and stop it and remove it after."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _missing("psycopg (casecli[postgres]) is not installed")
    bin_dir = _binaries()
    if bin_dir is None:
        _missing("PostgreSQL's initdb and pg_ctl are not installed (apt-get install postgresql)")
    assert bin_dir is not None
    as_postgres = os.geteuid() == 0
    if as_postgres and shutil.which("runuser") is None:
        _missing("initdb refuses root and there is no runuser to run it as postgres")
    folder = Path(tempfile.mkdtemp(prefix="casecli-pg-"))  # short: a socket path's limit
    if as_postgres:
        shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    server = Server(folder, as_postgres)
    try:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust",
              "--no-sync", "-E", "UTF8", "--locale", "C"], as_postgres)  # fmt: skip
        options = f"-k {folder} -c listen_addresses='' -c fsync=off -c max_connections=60"
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
              str(folder / "log"), "-w", "start"], as_postgres)  # fmt: skip
        yield server
    finally:
        with contextlib.suppress(Exception):
            _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], as_postgres)
        shutil.rmtree(folder, ignore_errors=True)


class Team:
    """A team store made by ``casecli db init`` on ``server`` (:func:`sample_team` fills it),
    each staff member's login named for it (``<db>_s0003`` for S0003)."""

    def __init__(self, server: Server, name: str | None = None) -> None:
        self.server = server
        self.name = name or server.new_database()  # (name: one made already, e.g. empty_team)
        self.url = server.url(OWNER, self.name)

    def login(self, staff_id: str) -> str:
        return f"{self.name}_{staff_id.lower()}"

    def url_of(self, staff_id: str) -> str:
        """The address a staff member types: their own login."""
        return self.server.url(self.login(staff_id), self.name)

    def owner(self) -> Any:
        from casecli.core.store import team

        return team.connect(self.url)

    def as_(self, login: str, autocommit: bool = True) -> Any:
        return self.server.connect(login, self.name, autocommit=autocommit)

    def staff(self, staff_id: str) -> Any:
        return self.as_(self.login(staff_id))


def load_sample(
    conn: Any, name: str, source: Path = SAMPLE, tables: tuple[str, ...] = TABLES
) -> None:
    """A SQLite store's export tables (sample.db's) into the team store (as its owner),
    each staff member's login named for this database (roles are the cluster's, shared by
    every test)."""
    import sqlite3

    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        with conn.transaction():
            for table in tables:
                cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
                rows = src.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()
                if table == "staff":
                    at = cols.index("login")
                    rows = [(*r[:at], f"{name}_{r[0].lower()}", *r[at + 1 :]) for r in rows]
                with conn.cursor().copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
    finally:
        src.close()


def sample_team(server: Server, source: Path = SAMPLE) -> Team:
    """A team store holding ``source``'s export tables, every active staff member's login
    granted by ``db grant``."""
    from casecli.core.store import store, team

    t = Team(server)
    with t.owner() as conn:
        assert team.init(conn) == store.latest_version()
        load_sample(conn, t.name, source)
        grants = team.grant(conn)
    assert len(grants.granted) == 35 and not grants.skipped  # (S0006, S0015: inactive)
    return t
