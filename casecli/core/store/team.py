"""The team store: one PostgreSQL database that a unit, an office or a state shares
(issue 17; DESIGN.md "Where it runs, and who may see what").

``--db postgresql://…`` (or ``CASECLI_DB``, or the config's ``db``) names it. Unlike a
personal SQLite store, the database knows who each person is (the session's login maps
to the active staff member whose ``staff.login`` it is) and enforces what they may see
and write: row-level security policies, grants to four roles (``casecli_worker``,
``casecli_supervisor``, ``casecli_manager``, ``casecli_admin``) and audit triggers, all
in ``migrations/postgres/security.sql``. So a person who connects with ``psql`` sees
exactly what casecli would show them.

What this module does: connect (the driver, psycopg 3, is the optional extra
``casecli[postgres]`` and is imported only here, only for a team store: the SQLite path
never loads it); create the schema at the latest version and its security (``db init``);
migrate it; check it; map staff logins to roles (``db grant``); say who the session is.
The sync into a team store is ``casecli.core.ingest.team_sync``.

The schema: a team store starts at schema 10 (``migrations/postgres/0010_team_store.sql``,
the SQLite store's schema 1-10 in PostgreSQL's words); every later version of the one
list of migrations has a PostgreSQL file beside its SQLite one. The version is kept in
``casecli_schema``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from casecli.core.errors import CasecliError
from casecli.core.store import store

SCHEMES = ("postgresql://", "postgres://")
ROLES = {
    "worker": "casecli_worker",
    "supervisor": "casecli_supervisor",
    "manager": "casecli_manager",
    "admin": "casecli_admin",
}
FIRST = 10  # the schema a team store starts at
# The lock one sync holds for its transaction at a time (casecli.core.ingest.team_sync), and
# a migration for its own: the sync log's, in a mode a plain read does not wait for nor
# hold up, and that only a login that may write the log (the owner, an admin) may take
# (PostgreSQL: every mode but ACCESS SHARE and ROW EXCLUSIVE needs the table's UPDATE,
# DELETE or TRUNCATE; ROW EXCLUSIVE its INSERT or those, which no user role but the admin
# has on it). An advisory lock, as before, any login could take, and hold syncs up with.
SYNC_LOCK = "LOCK TABLE sync_log IN EXCLUSIVE MODE"


def is_team(db: object) -> bool:
    """Whether ``db`` (the --db value, as typed) names a PostgreSQL team store."""
    return isinstance(db, str) and db.strip().lower().startswith(SCHEMES)


def masked(url: str) -> str:
    """``url`` with any password in it as '…': the one between the login and the last '@'
    of the address (whatever it holds: '/', '?', '@'), and a ``password=`` parameter."""
    import re

    text = url.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        return "postgresql://…"
    if "@" in rest:
        userinfo, host = rest.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":…"
        rest = f"{userinfo}@{host}"
    rest = re.sub(r"(?i)([?&]password=)[^&#]*", r"\1…", rest)
    return f"{scheme}://{rest}"


def where(url: str) -> str:
    """The store's address to show a person: host, port and database, never a password."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        parts = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001  (no driver, or an address it cannot read)
        return "the team store"
    host = str(parts.get("host") or "localhost")
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"{parts.get('dbname') or 'postgres'} on {host}{port}"


def connect(url: str) -> Any:
    """A connection to the team store at ``url`` (psycopg 3, autocommit: a read is a
    statement of its own, and each function here that writes does it in one
    ``conn.transaction()``, committed when it ends; without autocommit that would be a
    savepoint, lost when the connection closes). One sentence when the driver is missing
    or the server cannot be reached or refuses the login."""
    try:
        import psycopg
    except ImportError:
        raise CasecliError(
            "A team store (postgresql://…) needs the PostgreSQL driver, which is not"
            " installed; install it with pip install 'casecli[postgres]'."
        ) from None
    try:
        from psycopg.conninfo import conninfo_to_dict

        conninfo_to_dict(url)
    except Exception:  # noqa: BLE001  (an address psycopg cannot read at all)
        raise CasecliError(
            "The --db address is not one PostgreSQL understands; write it as"
            " postgresql://LOGIN@HOST:PORT/DATABASE."
        ) from None
    try:
        conn = psycopg.connect(
            url, connect_timeout=10, application_name="casecli", autocommit=True
        )  # (each function here writes in a transaction of its own: conn.transaction())
        # No JIT: PostgreSQL compiles a statement whose estimated cost is high, and the
        # row-level security's subplans make casecli's small reads look costly (0.4 s of
        # compiling for a 20 ms read of one worker's payments, at 1.3M cases).
        conn.execute("SET jit = off")
        return conn
    except psycopg.Error as exc:
        reason = _scrubbed((str(exc).strip().splitlines() or ["refused"])[-1].strip(), url)
        raise CasecliError(
            f"Cannot open the team store ({where(url)}): {reason}; check the address, that"
            " PostgreSQL is running, and that your login may connect."
        ) from None


def address(conn: Any) -> str:
    """How to open the team store ``conn`` (a ``dialect.PostgresConnection``) is open on
    again, as the same login: its connection string, with the password it was given if
    any (for a process of casecli's own, on its stdin; never shown or logged)."""
    from psycopg.conninfo import make_conninfo

    info = conn.raw.info
    return make_conninfo(info.dsn, password=info.password) if info.password else info.dsn


def open_store(url: str) -> Any:
    """The team store at ``url`` as casecli's readers and writers use it: :func:`connect`'s
    connection with its SQL going through ``dialect.PostgresConnection``."""
    from casecli.core.store import dialect

    return dialect.PostgresConnection(connect(url))


def _scrubbed(reason: str, url: str) -> str:
    """``reason`` without the address's password, should the driver have repeated it."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        secret = str(conninfo_to_dict(url).get("password") or "")
    except Exception:  # noqa: BLE001  (connect() read it first: not reached)
        return "refused"
    return reason.replace(secret, "…") if secret else reason


def _dir() -> Path:
    return store._migrations_dir() / "postgres"


def migrations() -> list[store.Migration]:
    """The team store's migrations: one PostgreSQL file per version from :data:`FIRST`."""
    return store.migrations(_dir())


def schema_version(conn: Any) -> int:
    """The schema the team store is at; 0 for a database casecli has not initialised."""
    row = conn.execute("SELECT to_regclass('casecli_schema') IS NOT NULL").fetchone()
    if not row[0]:
        return 0
    got = conn.execute("SELECT max(version) FROM casecli_schema").fetchone()
    return int(got[0] or 0)


def _apply(conn: Any, before: int) -> int:
    """Every migration past ``before``, then the security, in the caller's transaction."""
    version = before
    if before == 0:
        conn.execute("CREATE TABLE casecli_schema (version INTEGER NOT NULL)")
    for m in migrations():
        if m.version > version:
            conn.execute(m.path.read_text(encoding="utf-8"))
            version = m.version
    for name in ("sqlite.sql", "security.sql"):  # SQLite's functions, then who sees what
        conn.execute((_dir() / name).read_text(encoding="utf-8"))
    conn.execute("DELETE FROM casecli_schema")
    conn.execute("INSERT INTO casecli_schema (version) VALUES (%s)", (version,))
    return version


def init(conn: Any) -> int:
    """``casecli db init`` on a team store: the schema at the latest version, the four
    roles, the policies, grants and audit triggers, in one transaction; the version.
    Refused for a database casecli already initialised, or by a login that may not
    create roles (the store's owner needs CREATEROLE)."""
    import psycopg

    if (at := schema_version(conn)) != 0:
        raise CasecliError(
            f"The team store is already initialised (schema {at}); use casecli db migrate"
            " to upgrade it."
        )
    if (collation := _collation(conn)) is not None:
        raise CasecliError(
            f"The database sorts text by {collation!r}, not byte by byte as a personal store"
            " does (case ids, names and dates would list in another order); create it with"
            " createdb --locale=C --template=template0, then run casecli db init."
        )
    try:
        with conn.transaction():
            return _apply(conn, 0)
    except psycopg.errors.InsufficientPrivilege as exc:
        raise CasecliError(
            f"Cannot initialise the team store: {_first(exc)}; run casecli db init as the"
            " database's owner, a login with CREATEROLE."
        ) from None


def migrate(conn: Any) -> tuple[int, int]:
    """``casecli db migrate`` on a team store: (schema before, after); the security is
    applied again either way (it may have changed with casecli)."""
    before = schema_version(conn)
    if before == 0:
        raise CasecliError("The team store is not initialised; run casecli db init first.")
    latest = max(m.version for m in migrations())
    if before > latest:
        raise CasecliError(
            f"The team store is at schema {before}, newer than this casecli knows"
            f" ({latest}); upgrade casecli."
        )
    with conn.transaction():
        conn.execute(SYNC_LOCK)  # (after any sync)
        return before, _apply(conn, before)


def _first(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or ["refused"])[0].strip()


# The connection settings pg_dump reads from its environment (never its command line,
# which every user of the machine can read with ps).
_PG_ENV = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "dbname": "PGDATABASE",
           "password": "PGPASSWORD", "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT",
           "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY"}  # fmt: skip


def pending(conn: Any) -> list[store.Migration]:
    """The migrations an initialised team store has not had yet (none before db init)."""
    at = schema_version(conn)
    return [m for m in migrations() if at and m.version > at]


def backup(url: str, dest: Path | None = None, *, now: str | None = None, reason: str = "") -> Path:
    """``casecli db backup`` on a team store: ``pg_dump`` (custom format) of the whole
    store into a new file, mode 0600, never an existing one (default
    ``casecli-DATABASE-YYYYMMDDTHHMMSS[-reason].dump`` in the current folder; ``casecli db
    migrate`` makes one before a schema change). Only a login that
    sees every row can make it (the owner; row-level security makes pg_dump refuse
    anyone else, and says so). One sentence when pg_dump is missing or fails; nothing is
    left half-written."""
    import os
    import shutil
    import subprocess
    from datetime import datetime

    from psycopg.conninfo import conninfo_to_dict

    parts = conninfo_to_dict(url)
    program = shutil.which("pg_dump")
    if program is None:
        raise CasecliError(
            "casecli db backup on a team store needs pg_dump (PostgreSQL's client tools,"
            " e.g. apt-get install postgresql-client); install it, or back up with your"
            " database's own tools."
        )
    if dest is None:
        stamp = now or datetime.now().strftime("%Y%m%dT%H%M%S")
        suffix = f"-{reason}" if reason else ""
        dest = Path(f"casecli-{parts.get('dbname') or 'store'}-{stamp}{suffix}.dump")
    if dest.exists():
        raise CasecliError(f"The backup file {dest} already exists; choose another name.")
    try:
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise CasecliError(
            f"Cannot write the backup file {dest}: {exc.strerror}; choose a folder you can write."
        ) from None
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update({_PG_ENV[k]: str(v) for k, v in parts.items() if k in _PG_ENV and v is not None})
    try:
        with os.fdopen(fd, "wb") as out:
            done = subprocess.run(
                [program, "--format=custom", "--no-password"], stdout=out,
                stderr=subprocess.PIPE, env=env, timeout=24 * 3600,
            )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        dest.unlink(missing_ok=True)
        raise CasecliError(f"pg_dump did not run ({exc}); nothing was backed up.") from None
    if done.returncode != 0:
        dest.unlink(missing_ok=True)
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = _scrubbed((said or ["it failed"])[0].removeprefix("pg_dump: error: "), url)
        raise CasecliError(
            f"pg_dump could not back up the team store ({where(url)}): {reason.rstrip('.')};"
            " run casecli db backup as the store's owner."
        )
    return dest


class Grants(NamedTuple):
    """What ``casecli db grant`` did: (login, staff id, role) granted; logins made;
    (login, role) revoked; logins left alone, with why."""

    granted: list[tuple[str, str, str]]
    created: list[str]
    revoked: list[tuple[str, str]]
    skipped: list[tuple[str, str]]
    strangers: list[str]  # logins with a casecli role that no staff row here names


def grant(conn: Any) -> Grants:
    """``casecli db grant``: give each active staff member's login (staff.login) the role
    of their staff.csv role, and only that one; take every casecli role from logins no
    active staff member of this store has any more (nor two, nor one whose role casecli
    does not know). A login no staff row here names is left alone, and listed: the roles
    are the server's, so it may be another team store's (keep one per server), or one
    granted by hand.
    A login that is not yet a database role is created (LOGIN, no password: how it
    authenticates is the database administrator's setting). The login running this is
    left alone."""
    import psycopg
    from psycopg import sql

    me = conn.execute("SELECT session_user").fetchone()[0]
    rows = conn.execute(
        "SELECT login, min(staff_id), min(role), count(*) FROM staff"
        " WHERE login IS NOT NULL AND login <> '' AND coalesce(active, 1) <> 0"
        " AND _gone_on IS NULL GROUP BY login ORDER BY login"
    ).fetchall()
    out = Grants([], [], [], [], [])
    known = {str(r[0]) for r in conn.execute("SELECT DISTINCT login FROM staff WHERE login <> ''")}
    wanted: dict[str, str] = {}  # login: the one casecli role it keeps
    # roles that are not one person's login: granting them a casecli role would pass it
    # on to their members (or make a superuser's reach moot)
    groups = {
        str(r[0])
        for r in conn.execute(
            "SELECT r.rolname FROM pg_roles r WHERE r.rolsuper OR NOT r.rolcanlogin"
            " OR EXISTS (SELECT 1 FROM pg_auth_members a WHERE a.roleid = r.oid)"
        )
    }
    for login, staff_id, role, count in rows:
        if login == me:
            out.skipped.append((login, "the login running casecli db grant"))
        elif login in groups or login.lower().startswith(("casecli_", "pg_")):
            out.skipped.append((login, "a database role that is not one person's login"))
        elif count > 1:
            out.skipped.append((login, f"{count} active staff members share it"))
        elif role not in ROLES:
            out.skipped.append((login, f"staff role {role!r} is none of {', '.join(ROLES)}"))
        else:
            wanted[login] = ROLES[role]
            out.granted.append((login, staff_id, role))
    try:
        with conn.transaction():
            existing = {r[0] for r in conn.execute("SELECT rolname FROM pg_roles")}
            for login, role in wanted.items():
                if login not in existing:
                    conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(login)))
                    out.created.append(login)
                conn.execute(
                    sql.SQL("GRANT {} TO {}").format(sql.Identifier(role), sql.Identifier(login))
                )
            members = conn.execute(
                "SELECT m.rolname, r.rolname FROM pg_auth_members a"
                " JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member"
                " WHERE r.rolname = ANY(%s) ORDER BY 1, 2",
                (list(ROLES.values()),),
            ).fetchall()
            for member, role in members:  # any other casecli role: taken back
                if member not in known and member != me:
                    if member not in out.strangers:
                        out.strangers.append(member)
                    continue  # (another team store's on this server, or granted by hand)
                if member != me and wanted.get(member) != role:
                    conn.execute(
                        sql.SQL("REVOKE {} FROM {}").format(
                            sql.Identifier(role), sql.Identifier(member)
                        )
                    )
                    out.revoked.append((member, role))
    except psycopg.errors.InsufficientPrivilege as exc:
        raise CasecliError(
            f"Cannot grant roles: {_first(exc)}; run casecli db grant as the store's owner"
            " (a login with CREATEROLE)."
        ) from None
    return out


def owns(conn: Any) -> bool:
    """Whether the session is the store's owner (or a member of it): row-level security
    does not bind it; it runs the first sync, before any staff member exists."""
    (owner,) = conn.execute(
        "SELECT pg_has_role(session_user, c.relowner, 'MEMBER') FROM pg_class c"
        " WHERE c.oid = 'cases'::regclass"
    ).fetchone()
    return bool(owner)


def session_staff(conn: Any) -> tuple[str, str] | None:
    """(login, staff id) of the session: the active staff member whose login it is, as the
    database's policies see it; None when there is none (or two share it)."""
    row = conn.execute("SELECT session_user, (SELECT staff_id FROM casecli_me())").fetchone()
    return None if row[1] is None else (str(row[0]), str(row[1]))


class NoStaff(CasecliError):
    """The session's login is no active staff member's (:func:`actor`)."""


def actor(conn: Any, wanted: str | None) -> Any:
    """Who is acting on a team store (``conn``: a ``dialect.PostgresConnection``): the
    staff member whose login the session is. ``wanted`` (--as, CASECLI_USER, the config's
    user) may name them; naming anyone else is an active admin's alone, and then every
    write the session makes is audited as "admin LOGIN acting as WANTED" (security.sql).
    One sentence for a login that is no active staff member's."""
    from casecli.core.store import scope

    login, staff_id, admin = conn.execute(
        "SELECT session_user, (SELECT staff_id FROM casecli_me()), casecli_is_admin()"
    ).fetchone()
    if staff_id is None:
        raise NoStaff(
            f"Your database login {login} is no active staff member's in this team store"
            " (staff.csv's login column); ask an admin to add it and run casecli db grant."
        )
    wanted = (wanted or "").strip() or staff_id
    if wanted != staff_id:
        if not admin:
            raise CasecliError(
                f"On a team store you are your login's staff member ({staff_id}); --as"
                " another is for admins."
            )
        conn.execute("SELECT set_config('casecli.acting_as', ?, false)", (wanted,))
    return scope.actor(conn, wanted)


# The revision of security.sql and sqlite.sql this casecli applies (casecli_revision() in
# the store): 2 for SQLite's functions and the indexed scope policies, 3 for everyone's
# read of the schema's version (casecli db check by any login), 4 for the cases policy's
# worker test by a JSON object's keys and julianday read by an inlined expression (an
# office's reads 2-10x faster), 5 for the changes kept evaluations are checked against
# (casecli_changes, written in commit order by a trigger on each local write), 6 for the
# table each change was to (kept measure counts outlive a barrier) (issue 17).
REVISION = 6


def revision(conn: Any) -> int:
    """The revision of the functions and policies the store has (0: before there was one)."""
    (there,) = conn.execute("SELECT to_regprocedure('casecli_revision()') IS NOT NULL").fetchone()
    if not there:  # (a call would fail as the statement is read: asked apart)
        return 0
    return int(conn.execute("SELECT casecli_revision()").fetchone()[0] or 0)


def require_current(conn: Any) -> None:
    """One sentence when the store's functions and policies are older than this casecli's
    (a store made or migrated by an older one): every command would fail on what it lacks."""
    if revision(conn) < REVISION:
        # (not schema_version: its table is the owner's to read)
        if conn.execute("SELECT to_regclass('casecli_schema') IS NULL").fetchone()[0]:
            raise CasecliError(
                "The team store is not initialised; its owner runs casecli db init first."
            )
        raise CasecliError(
            "The team store's functions and policies are older than this casecli's; ask its"
            " owner to run casecli db migrate."
        )


def written(conn: Any) -> tuple[int, ...]:
    """What changes whenever anyone writes what the session reads, as the TUI watches a
    personal store's file times: the latest sync, and the latest local write the session
    sees (``casecli_changes``, numbered in the order writes commit: a row's own id may
    commit after a higher one was seen; a barrier resolved counts too)."""
    row = conn.execute(
        "SELECT (SELECT max(sync_id) FROM sync_log),"
        " (SELECT seq FROM casecli_changes ORDER BY seq DESC LIMIT 1)"
    ).fetchone()
    return tuple(int(v or 0) for v in row)


def check(conn: Any) -> dict[str, Any]:
    """``casecli db check`` on a team store: its schema against this casecli's, whether
    every table that holds case data has row-level security on, and the rows the session
    can see in each table (what the policies let it see, not the table's size)."""
    version = schema_version(conn)
    latest = max(m.version for m in migrations())
    problems: list[str] = []
    if version == 0:
        problems.append("the team store is not initialised (casecli db init)")
    elif version < latest:
        problems.append(f"schema {version} is older than {latest} (casecli db migrate)")
    elif version > latest:
        problems.append(f"schema {version} is newer than this casecli knows ({latest})")
    if (collation := _collation(conn)) is not None:
        problems.append(f"the database sorts text by {collation!r}, not C (createdb --locale=C)")
    if version and version <= latest and revision(conn) < REVISION:
        problems.append(
            "its functions and policies are older than this casecli's (casecli db migrate)"
        )
    counts: dict[str, int] = {}
    if version:
        unguarded = [
            r[0]
            for r in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname = ANY(%s)"
                " AND NOT c.relrowsecurity ORDER BY 1",
                (list(GUARDED),),
            )
        ]
        if unguarded:
            problems.append(f"row-level security is off for {', '.join(unguarded)}")
        for table in COUNTED:
            counts[table] = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    return {"ok": not problems, "schema": version, "latest": latest, "problems": problems,
            "counts": counts}  # fmt: skip


def _collation(conn: Any) -> str | None:
    """The database's collation when it is not byte order (C or POSIX), else None: the one
    body of SQL orders text as SQLite does only under C."""
    row = conn.execute(
        "SELECT CASE datlocprovider WHEN 'i' THEN daticulocale ELSE datcollate END"
        " FROM pg_database WHERE datname = current_database()"
    ).fetchone()
    return None if row is None or row[0] in ("C", "POSIX", "C.UTF-8", "C.utf8") else str(row[0])


# The tables that hold case data: row-level security on each (security.sql).
GUARDED = ("cases", "people", "events", "referrals", "signals", "payments", "removals",
           "placements", "case_goals", "recorded_events", "barriers", "goal_progress",
           "notes", "sync_cases", "audit_log")  # fmt: skip
COUNTED = ("staff", "cases", "people", "events", "referrals", "signals", "payments",
           "removals", "placements", "case_goals", "recorded_events", "barriers",
           "goal_progress", "notes", "performance_goals")  # fmt: skip
