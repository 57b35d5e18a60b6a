"""The local SQLite store: opening, creating (mode 0600), migrating, checking, backing up.

The schema lives in numbered SQL files (``migrations/0001_initial.sql`` …), shipped
inside the wheel as ``casecli.migrations``. ``PRAGMA user_version`` records the
schema version; a store newer than this code is refused, never guessed at.

**Migrations run once.** A store at an older schema is migrated by whichever command opens
it first, under the store's writer lock (``storelock``, the lock a sync holds), after a
full ``PRAGMA quick_check`` and a backup (``VACUUM INTO`` a new ``STEM.backup-*.db``
beside it, never an existing file). Every command that opened it meanwhile waits for the
lock, reads the version again, and finds nothing left to do. A migration that waits
longer than the busy timeout is refused in one sentence.

**Readers on read-only folders.** A reader needs ``STORE-shm``. When it and ``STORE-wal``
exist (someone has the store open), SQLite reads through them even where it cannot write.
When they do not and cannot be made, a reader opens the store ``immutable`` (no locks, no
``-shm``), but only when nobody can be writing it: the store's disk is mounted read-only,
or its folder has no write permission for anyone (a checkout made read-only, a CD), and
there is no ``STORE-wal`` holding committed pages. Otherwise a reader is refused in one
sentence (copy the store to a writable folder), since an immutable read of a store that
someone is changing may see half of a transaction.

What went wrong is said by :mod:`casecli.core.store.faults`, and the quick check a write
runs at open is :mod:`casecli.core.store.storecheck`: both are imported only when needed, so
the path of a read (``casecli next``) stays as short as before.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from casecli.core.errors import CasecliError
from casecli.core.words import plural

BUSY_TIMEOUT_MS = 10_000


def _migrations_dir() -> Path:
    installed = Path(__file__).resolve().parents[2] / "migrations"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[3] / "migrations"  # a source checkout


class Migration(NamedTuple):  # NamedTuple, not a dataclass: cheaper at start-up
    version: int
    name: str
    path: Path


def migrations(folder: Path | None = None) -> list[Migration]:
    """The numbered migrations (``NNNN_name.sql``) in ``folder`` (default the store's;
    the team store's are in its ``postgres/``), in order."""
    found = []
    for path in sorted((folder or _migrations_dir()).glob("[0-9][0-9][0-9][0-9]_*.sql")):
        found.append(Migration(int(path.name[:4]), path.stem[5:], path))
    return found


def latest_version() -> int:
    return max((m.version for m in migrations()), default=0)


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA cache_size = -65536")  # 64 MiB


def store_error(
    exc: sqlite3.OperationalError, again: str = "sync again", path: Path | None = None
) -> CasecliError:
    """A write the store refused (locked, disk full, read-only, an I/O error, damaged),
    as one sentence."""
    from casecli.core.store.faults import explain

    return explain(exc, path, writing=True, again=again) or CasecliError(
        f"The store could not be written ({exc}), so nothing was applied."
    )


def _create_file_0600(path: Path) -> None:
    """Create an empty file readable by its owner only, whatever the umask."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


# --- opening -----------------------------------------------------------------------------


def connect(
    path: Path, *, create: bool = False, migrate: bool = True, write: str | None = None
) -> sqlite3.Connection:
    """Open the store at ``path``; with ``create``, make it (0600) if it does not exist.

    An existing store at an older schema is backed up, then migrated, when ``migrate``
    (:func:`upgrade`). ``write`` names the write the caller will make (a key of
    ``storecheck.WRITES``): the store must then pass that write's quick check
    (:func:`casecli.core.store.storecheck.verify`).
    Without it (a reader), a store in a folder nobody can write is read ``immutable``.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        existed = True
    except FileNotFoundError:
        existed, size = False, 0
    except OSError as exc:
        raise CasecliError(f"Cannot open the store {path}: {exc.strerror}.") from None
    if not existed:
        if not create:
            raise CasecliError(
                f"There is no store at {path}; sync an export into it "
                f"(casecli --db {path} sync FOLDER) or try --db sample.db."
            )
        if not path.parent.is_dir():
            raise CasecliError(
                f"The folder for the store, {path.parent}, does not exist; create it first."
            )
        try:
            _create_file_0600(path)
        except FileExistsError:
            pass  # another process made it a moment ago: open it
        except OSError as exc:
            from casecli.core.store.faults import disk_state

            state = disk_state(path)
            if state in ("read-only disk", "read-only folder", "full"):
                raise CasecliError(
                    f"Cannot create the store {path}: the "
                    + ("disk is full" if state == "full" else f"{state.split()[1]} is read-only")
                    + "; choose another place, or make room."
                ) from None
            raise CasecliError(f"Cannot create the store {path}: {exc.strerror}.") from None
    elif size == 0 and not create:
        raise CasecliError(
            f"The store {path} is empty (0 bytes); sync an export into it (casecli --db {path} "
            "sync FOLDER), or, if it held cases, restore it from a backup."
        )
    immutable = False
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise _open_error(exc, path, write is not None or create) from None
    try:
        _configure(conn)
        conn.execute("PRAGMA journal_mode = WAL")  # read-only media keep their mode; reads work
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        conn.close()
        if write is not None or create or not _immutable_is_safe(exc, path):
            raise _open_error(exc, path, write is not None or create) from None
        conn = _open_immutable(path)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        immutable = True
    latest = latest_version()
    if version > latest:
        conn.close()
        raise CasecliError(
            f"The store {path} is at schema {version}, newer than this casecli "
            f"(schema {latest}); upgrade casecli to open it."
        )
    fresh = not existed or size == 0
    if version == 0 and not fresh:
        if conn.execute("SELECT EXISTS (SELECT 1 FROM sqlite_master)").fetchone()[0]:
            conn.close()
            raise CasecliError(
                f"{path} is a SQLite database but not a casecli store; check the --db path."
            )
        fresh = True  # an empty SQLite file: casecli may fill it
    if version < latest and migrate:
        if immutable:
            conn.close()
            raise CasecliError(
                f"The store {path} is at schema {version}, older than this casecli (schema "
                f"{latest}), and cannot be upgraded where it is (read-only); run casecli db "
                "migrate on a copy in a writable folder."
            )
        if fresh:
            apply_migrations(conn)  # a new store: nothing to back up, no one else has it
        else:
            try:
                upgrade(conn, path)
            except BaseException:
                conn.close()
                raise
    if write is not None:
        from casecli.core.store import storecheck

        try:
            storecheck.verify(conn, path, write)
        except BaseException:
            conn.close()
            raise
    return conn


def _open_error(exc: sqlite3.Error, path: Path, writing: bool) -> CasecliError:
    from casecli.core.store.faults import explain

    return explain(exc, path, writing=writing) or CasecliError(
        f"{path} is not a casecli store ({exc}); check the --db path."
    )


def _immutable_is_safe(exc: sqlite3.Error, path: Path) -> bool:
    """A reader that SQLite cannot open for want of a writable folder or disk may read the
    file ``immutable`` only when nobody can be writing it (see the module docstring)."""
    from casecli.core.store.faults import CANTOPEN, READONLY, error_code

    primary, _ = error_code(exc)
    if primary not in (READONLY, CANTOPEN):
        return False
    wal = Path(f"{path}-wal")
    try:
        if wal.exists() and wal.stat().st_size > 0:
            return False  # committed pages may still be in the WAL
        folder = path.absolute().parent
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
        return folder.stat().st_mode & 0o222 == 0
    except OSError:
        return False


def on_team(conn: object) -> bool:
    """Whether ``conn`` is a team store's (``dialect.PostgresConnection``), not a SQLite
    file's: its SQL goes through the dialect, and it has no file, pragmas or side files."""
    return getattr(conn, "dialect", None) == "postgresql"


def sibling(conn: sqlite3.Connection, wait_ms: int | None = None) -> sqlite3.Connection | None:
    """Another connection to the store ``conn`` has open, for reading only (``query_only``),
    configured the same, for a reader that runs statements side by side in threads
    (:meth:`casecli.core.measures.measures.Calculator.prefetch`); None when there is no file to open
    again (an in-memory store) or it cannot be opened as ``conn`` was (read ``immutable``
    on read-only media): the caller then reads on ``conn`` alone. ``wait_ms``: how long it
    waits on a lock (default the store's busy timeout; 0 beside a writer's own
    transaction, whose lock it would otherwise wait out). None on a team store too: its
    server runs statements side by side for every session already."""
    if on_team(conn):
        return None
    files = [row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"]
    if not files or not files[0]:
        return None
    try:
        other = sqlite3.connect(files[0], isolation_level=None, check_same_thread=False)
    except sqlite3.Error:
        return None
    try:
        _configure(other)
        if wait_ms is not None:
            other.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
        other.execute("PRAGMA cache_size = -16384")  # 16 MiB: one statement at a time
        other.execute("PRAGMA query_only = ON")
        other.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.Error:
        other.close()
        return None
    return other


def _open_immutable(path: Path) -> sqlite3.Connection:
    uri = path.absolute().as_uri() + "?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        _configure(conn)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.DatabaseError as again:
        raise _open_error(again, path, False) from None
    return conn


# --- migrating ---------------------------------------------------------------------------

MIGRATE_BUSY = (
    "Another casecli is migrating or syncing this store and the wait timed out, so nothing "
    "was changed; try again when it finishes."
)


class Migrated(NamedTuple):
    before: int
    after: int
    backup: Path | None


def upgrade(conn: sqlite3.Connection, path: Path) -> Migrated:
    """Bring the store at ``path`` to the latest schema, once, whoever else tries at the
    same moment: under the store's writer lock, the version is read again, then the store
    passes the full quick check, is backed up, and migrated."""
    from casecli.core.store import storelock

    latest = latest_version()
    before = schema_version(conn)
    if before >= latest:
        return Migrated(before, before, None)
    with storelock.exclusive(path, BUSY_TIMEOUT_MS, MIGRATE_BUSY):
        before = schema_version(conn)  # another process may have done it while we waited
        if before >= latest:
            return Migrated(before, before, None)
        dest = None
        if before > 0:
            from casecli.core.store import storecheck

            storecheck.verify(conn, path, "migrate")
            dest = backup(conn, path, reason=f"before-v{latest}")
        apply_migrations(conn)
    return Migrated(before, schema_version(conn), dest)


def apply_migrations(conn: sqlite3.Connection) -> list[int]:
    """Apply every migration newer than the store, each in its own transaction."""
    applied = []
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    for migration in migrations():
        if migration.version <= current:
            continue
        sql = migration.path.read_text(encoding="utf-8")
        try:
            conn.execute("BEGIN IMMEDIATE")
            if schema_version(conn) >= migration.version:  # applied by another process
                conn.execute("ROLLBACK")
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {migration.version}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            from casecli.core.store.faults import explain

            if isinstance(exc, sqlite3.DatabaseError):
                problem = explain(exc, None, writing=True)
                if problem is not None:
                    raise problem from None
            raise CasecliError(
                f"Migration {migration.path.name} failed ({exc}); the store is unchanged."
            ) from None
        applied.append(migration.version)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (sqlite3.complete_statement knows triggers)."""
    out: list[str] = []
    buf = ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf)
            buf = ""
    if buf.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in buf.splitlines()
    ):
        out.append(buf)
    return out


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def backup(
    conn: sqlite3.Connection, path: Path, *, dest: Path | None = None, reason: str = ""
) -> Path:
    """Copy the store with ``VACUUM INTO`` to a new 0600 file; return its path.

    Without ``dest``, the copy is ``STEM.backup-YYYYMMDDTHHMMSS[-reason].db`` beside the
    store, with ``-2``, ``-3``… added when that name is taken (two backups in one second):
    the name is claimed with O_EXCL, so two processes never write the same file."""
    if dest is None:
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
        suffix = f"-{reason}" if reason else ""
        base = f"{Path(path).stem}.backup-{stamp}{suffix}"
        for n in range(1, 1000):
            dest = Path(path).with_name(f"{base}.db" if n == 1 else f"{base}-{n}.db")
            try:
                _create_file_0600(dest)
                break
            except FileExistsError:
                continue
            except OSError as exc:
                raise _backup_error(dest, exc, path) from None
    else:
        dest = Path(dest)
        if dest.exists():
            raise CasecliError(f"The backup file {dest} already exists; choose another name.")
        try:
            _create_file_0600(dest)
        except OSError as exc:
            raise _backup_error(dest, exc, path) from None
    assert dest is not None
    try:
        conn.execute("VACUUM INTO ?", (str(dest),))
    except sqlite3.Error as exc:
        if dest.exists() and dest.stat().st_size == 0:
            dest.unlink()
        raise _backup_error(dest, exc, path) from None
    return dest


def _backup_error(dest: Path, exc: BaseException, path: Path) -> CasecliError:
    from casecli.core.store.faults import FULL, damaged, error_code, is_damage

    if isinstance(exc, sqlite3.Error) and is_damage(exc):
        return damaged(Path(path), str(exc), then=", so it cannot be backed up")
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    if isinstance(exc, sqlite3.Error) and error_code(exc)[0] == FULL:
        why = "the disk is full"
    return CasecliError(
        f"Cannot back up the store to {dest}: {why}; make room there, or give a writable "
        "place for the copy (casecli db backup DEST)."
    )


class CheckResult(NamedTuple):
    ok: bool
    schema: int
    latest: int
    problems: tuple[str, ...]
    counts: dict[str, int | None]
    damaged: bool = False  # SQLite found damage: the problems hold what it reported


EXPORT_TABLES = (
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
)


def check(conn: sqlite3.Connection) -> CheckResult:
    """The full ``integrity_check``, foreign keys, schema version and row counts. A
    damaged store gives ``damaged`` and SQLite's own lines, never an exception."""
    from casecli.core.store.faults import is_damage, report_lines

    damage: list[str] = []

    def guarded(sql: str) -> list[tuple[object, ...]] | None:
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            damage.append(str(exc))
            return None

    integrity = guarded("PRAGMA integrity_check(20)")
    if integrity is not None:
        damage.extend(report_lines(integrity))
    others: list[str] = []
    fk = guarded("PRAGMA foreign_key_check")
    if fk:
        breaks = plural(len(fk), "row") + (" breaks" if len(fk) == 1 else " break")
        others.append(f"{breaks} a foreign key (first in table {fk[0][0]})")
    version = schema_version(conn)
    latest = latest_version()
    if version != latest:
        others.append(f"schema {version}, latest is {latest}: run casecli db migrate")
    counts: dict[str, int | None] = {}
    for table in EXPORT_TABLES:
        rows = guarded(f"SELECT count(*) FROM {table}")
        counts[table] = int(str(rows[0][0])) if rows else None
    rows = guarded("SELECT count(*) FROM rejects WHERE resolved_sync_id IS NULL")
    counts["rejects_outstanding"] = int(str(rows[0][0])) if rows else None
    unique = list(dict.fromkeys(damage))[:20]
    problems = tuple(f"integrity: {line}" for line in unique) + tuple(others)
    return CheckResult(not problems, version, latest, problems, counts, bool(unique))


def write_stamp(db: Path | str) -> tuple[int, ...]:
    """Changes when any process writes the store (a sync, a record): the file's
    modification time, and its write-ahead log's while the log holds anything (0 when it
    is empty or not there). A reader opening the store makes an empty log where there was
    none: that is no change, and the TUI must not read everything again for it."""
    out = []
    for suffix in ("", "-wal"):
        try:
            st = os.stat(f"{db}{suffix}")
            out.append(st.st_mtime_ns if st.st_size or not suffix else 0)
        except OSError:
            out.append(0)
    return tuple(out)
