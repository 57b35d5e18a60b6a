"""The local SQLite store: opening, creating (mode 0600), migrating, checking, backing up.

The schema lives in numbered SQL files (``migrations/0001_initial.sql`` …), shipped
inside the wheel as ``casecli.migrations``. ``PRAGMA user_version`` records the
schema version; a store newer than this code is refused, never guessed at.

**Migrations run once.** A store at an older schema is migrated by whichever command opens
it first, under the store's writer lock (``storelock``, the lock a sync holds), after a
backup (``VACUUM INTO`` a new ``STEM.backup-*.db`` beside it, never an existing file).
Every command that opened it meanwhile waits for the lock, reads the version again, and
finds nothing left to do. A migration that waits longer than the busy timeout is refused
in one sentence.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from casecli.core.errors import CasecliError

BUSY_TIMEOUT_MS = 10_000


def _migrations_dir() -> Path:
    installed = Path(__file__).resolve().parent.parent / "migrations"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / "migrations"  # a source checkout


class Migration(NamedTuple):  # NamedTuple, not a dataclass: cheaper at start-up
    version: int
    name: str
    path: Path


def migrations() -> list[Migration]:
    found = []
    for path in sorted(_migrations_dir().glob("[0-9][0-9][0-9][0-9]_*.sql")):
        found.append(Migration(int(path.name[:4]), path.stem[5:], path))
    return found


def latest_version() -> int:
    return max((m.version for m in migrations()), default=0)


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA cache_size = -65536")  # 64 MiB


def store_error(exc: sqlite3.OperationalError, again: str = "sync again") -> CasecliError:
    """A write the store refused (locked, disk full, read-only), as one sentence."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return CasecliError(
            "The store is locked by another sync or writer, so nothing was applied; "
            "try again when it finishes."
        )
    if "full" in text:
        return CasecliError(
            f"The disk is full, so nothing was applied; free some space and {again}."
        )
    if "readonly" in text or "read-only" in text:
        return CasecliError(
            "The store is read-only, so nothing was applied; check the file's permissions."
        )
    return CasecliError(f"The store could not be written ({text}), so nothing was applied.")


def _create_file_0600(path: Path) -> None:
    """Create an empty file readable by its owner only, whatever the umask."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


# --- opening -----------------------------------------------------------------------------


def connect(path: Path, *, create: bool = False, migrate: bool = True) -> sqlite3.Connection:
    """Open the store at ``path``; with ``create``, make it (0600) if it does not exist.

    An existing store at an older schema is backed up, then migrated, when ``migrate``
    (:func:`upgrade`).
    """
    path = Path(path)
    existed = path.exists()
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
            raise CasecliError(f"Cannot create the store {path}: {exc.strerror}.") from None
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        _configure(conn)
        conn.execute("PRAGMA journal_mode = WAL")  # read-only media keep their mode; reads work
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise CasecliError(f"{path} is not a casecli store ({exc}); check the --db path.") from None
    latest = latest_version()
    if version > latest:
        conn.close()
        raise CasecliError(
            f"The store {path} is at schema {version}, newer than this casecli "
            f"(schema {latest}); upgrade casecli to open it."
        )
    if version < latest and migrate:
        if existed and version > 0:
            try:
                upgrade(conn, path)
            except BaseException:
                conn.close()
                raise
        else:
            apply_migrations(conn)  # a new store: nothing to back up, no one else has it
    elif version == 0 and not existed:
        apply_migrations(conn)
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
    is backed up, and migrated."""
    from casecli.core import storelock

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
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return CasecliError(f"Cannot back up the store to {dest}: {why}.")


class CheckResult(NamedTuple):
    ok: bool
    schema: int
    latest: int
    problems: tuple[str, ...]
    counts: dict[str, int]


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
)


def check(conn: sqlite3.Connection) -> CheckResult:
    problems: list[str] = []
    integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if integrity != ["ok"]:
        problems.extend(f"integrity: {line}" for line in integrity[:20])
    fk = conn.execute("PRAGMA foreign_key_check").fetchall()
    if fk:
        problems.append(f"{len(fk)} rows break a foreign key (first in table {fk[0][0]})")
    version = schema_version(conn)
    latest = latest_version()
    if version != latest:
        problems.append(f"schema {version}, latest is {latest}: run casecli db migrate")
    counts = {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in EXPORT_TABLES
    }
    counts["rejects_outstanding"] = conn.execute(
        "SELECT count(*) FROM rejects WHERE resolved_sync_id IS NULL"
    ).fetchone()[0]
    return CheckResult(not problems, version, latest, tuple(problems), counts)
