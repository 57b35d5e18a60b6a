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

**What can go wrong at open, and what users are told** (:func:`explain`, one sentence each):
the disk is full (SQLITE_FULL, or an I/O error while SQLite makes its ``-shm`` file on a
disk with no room), the store or its folder or its disk is read-only (SQLITE_READONLY,
SQLITE_READONLY_DIRECTORY: SQLite cannot create ``STORE-wal`` / ``STORE-shm`` beside it;
SQLITE_CANTOPEN on a read-only file system), another kind of I/O error (what to check),
the store is damaged (SQLITE_CORRUPT, SQLITE_NOTADB on a file that was a store: restore
a backup), the file is not a SQLite database at all (check --db), the store is locked.
A read that meets a damaged page later is translated the same way, in one place (the
CLI's command wrapper, ``casecli/cli/options.py``).

**Readers on read-only folders.** A reader needs ``STORE-shm``. When it and ``STORE-wal``
exist (someone has the store open), SQLite reads through them even where it cannot write.
When they do not and cannot be made, a reader opens the store ``immutable`` (no locks, no
``-shm``), but only when nobody can be writing it: the store's disk is mounted read-only,
or its folder has no write permission for anyone (a checkout made read-only, a CD), and
there is no ``STORE-wal`` holding committed pages. Otherwise a reader is refused in one
sentence (copy the store to a writable folder), since an immutable read of a store that
someone is changing may see half of a transaction.

**The quick check a write runs at open** (:func:`verify`). A damaged store must not be
written to, and a write must stay cheap: ``record`` instant, an unchanged re-sync under
5% of a full sync. A full ``PRAGMA quick_check`` reads and checks every cell: 6.1 s on
the 1.3-million-case store (1.86 GB, 450,000 pages; ``quick_check(cases)`` alone 0.51 s),
so each write checks what it will write in full, and walks what it reads:

* SQLite itself, on the first statement: the header (a file that is not a database, or
  whose first page was overwritten), the page size, and the page count in the header
  against the file's size (a truncated file), then the schema.
* ``PRAGMA quick_check(TABLE)`` (SQLite 3.33+) of each table the write puts rows into,
  with its indexes: the local tables for ``record``, ``wait``, ``resolve``, ``progress``
  and ``goals set`` (recorded_events, barriers, goal_progress, notes, performance_goals,
  audit_log); ``sync_log``, ``sync_files`` and ``rejects`` for ``sync``; and the schema.
* A walk of every page of the b-trees the write reads and may rewrite: ``SELECT count(*)``
  over each table and index, with the file memory-mapped for the walk, so SQLite loads
  and checks each page's header (a zeroed or overwritten page, a page beyond the end of
  the file, a child pointer out of range) at ~0.2 µs a page. A local write walks
  ``staff`` and ``cases`` (its actor, its case and the case's scope); a sync walks every
  table and index (it may rewrite any of them). ``casecli sync`` runs its check before
  ``sync.sync_store`` reads the export.
* ``db migrate`` (and a migration any command starts) runs the full ``PRAGMA
  quick_check``: it copies every page into its backup anyway.

Measured on the shared 2-core machine (SQLite 3.40.1), with the page cache warm / just
dropped: on the 1.3M-case store, a local write's check 12 ms / 0.12 s (``record`` 0.215 s
→ 0.23 s warm, median of 4), a sync's check 0.10 s / 1.27 s (0.1% / 1.5% of a full sync;
the unchanged re-sync's median moved from 2.50 to 2.51 s, within the noise of a loaded
machine), the full check of a migration 6.1 s; on sample.db (1,000 cases) 0.4 ms, 1 ms
and 6.5 ms. Damage the check does not reach (a few bytes inside a cell of a table the
write only reads, or of an export table a local write never reads) is reported by the
first read that touches it, and always by ``db check`` (a full ``integrity_check``).
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


# --- what went wrong, in one sentence ----------------------------------------------------

# SQLite's primary result codes (the low byte of an extended code).
BUSY, LOCKED, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB = 5, 6, 8, 10, 11, 13, 14, 26
READONLY_DBMOVED, READONLY_DIRECTORY = 1032, 1544
_BY_TEXT = (  # when an error carries no code (raised by hand, an old Python)
    ("malformed", CORRUPT), ("not a database", NOTADB), ("locked", BUSY), ("busy", BUSY),
    ("full", FULL), ("readonly", READONLY), ("read-only", READONLY), ("disk I/O", IOERR),
    ("unable to open", CANTOPEN),
)  # fmt: skip
MAGIC = b"SQLite format 3\x00"
LOW_SPACE = 1 << 20  # a disk with less free room than this is full, for SQLite's purposes


def error_code(exc: BaseException) -> tuple[int, int]:
    """SQLite's (primary, extended) result code of ``exc``; (0, 0) if it has none."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF, code
    text = str(exc)
    for words, primary in _BY_TEXT:
        if words in text:
            return primary, primary
    return 0, 0


def is_damage(exc: BaseException) -> bool:
    """Whether SQLite found the file damaged (or not a database at all)."""
    return error_code(exc)[0] in (CORRUPT, NOTADB)


def _backups(path: Path) -> list[Path]:
    try:
        return sorted(path.parent.glob(f"{path.stem}.backup-*.db"), key=lambda p: p.stat().st_mtime)
    except OSError:
        return []


def damaged(path: Path | None, reported: str, *, then: str = "") -> CasecliError:
    """The store is damaged: say what SQLite reported and how to get a good store back.
    ``then`` is what it meant for the command (", so nothing was applied")."""
    where = f"The store {path}" if path else "The store"
    found = _backups(Path(path)) if path else []
    if found:
        restore = f"copy the newest beside it, {found[-1].name}, over it"
    else:
        stem = Path(path).stem if path else "STORE"
        restore = (
            f"one made by casecli db backup, or a {stem}.backup-*.db a migration left beside it"
        )
    reported = reported.strip().rstrip(".") or "no details"
    return CasecliError(
        f"{where} is damaged (SQLite reports: {reported}){then}; restore it from a backup "
        f"({restore}), then sync the latest export again."
    )


def _disk(path: Path) -> str | None:
    """Why the folder or file of ``path`` cannot be written, if it is plain to see:
    "read-only disk", "full", "read-only folder", "read-only file"; else None."""
    folder = path.absolute().parent
    try:
        st = os.statvfs(folder)
    except OSError:
        return None
    if st.f_flag & os.ST_RDONLY:
        return "read-only disk"
    free = (st.f_bfree if os.geteuid() == 0 else st.f_bavail) * st.f_frsize
    if free < LOW_SPACE:
        return "full"
    if not os.access(folder, os.W_OK):
        return "read-only folder"
    if path.exists() and not os.access(path, os.W_OK):
        return "read-only file"
    return None


def explain(
    exc: BaseException, path: Path | None, *, writing: bool = False, again: str = "try again"
) -> CasecliError | None:
    """``exc`` from SQLite as one sentence that says what is wrong with the store, its
    folder or its disk, and what to do; None when it is not about the store (a bug)."""
    primary, extended = error_code(exc)
    if not primary:
        return None
    path = Path(path) if path is not None else None
    what = f"the store {path}" if path else "the store"
    so = ", so nothing was applied" if writing else ", so casecli cannot read it"
    text = str(exc)
    if primary in (CORRUPT, NOTADB):
        if path is not None and primary == NOTADB and not _was_a_store(path):
            return CasecliError(
                f"{path} is not a casecli store (it is not a SQLite database); check the --db path."
            )
        return damaged(path, text, then=", so nothing was applied" if writing else "")
    if primary in (BUSY, LOCKED):
        return CasecliError(
            "The store is locked by another sync or writer, so nothing was applied; "
            "try again when it finishes."
            if writing
            else "The store is locked by another casecli that is changing it; "
            "try again when it finishes."
        )
    if primary not in (FULL, READONLY, CANTOPEN, IOERR):
        return None  # not about the store's file, folder or disk: a bug, said as one
    state = _disk(path) if path is not None else None
    if primary == FULL or state == "full":
        return CasecliError(f"The disk is full{so}; free some space and {again}.")
    subject = f"The store {path}" if path else "The store"
    name = path.name if path else "STORE"
    if state == "read-only disk":
        return CasecliError(
            f"{subject} is on a read-only disk, so nothing was applied; copy it to a disk that "
            "can be written to change it."
            if writing
            else f"{subject} is on a read-only disk, so casecli cannot open it there; copy it "
            f"(with any {name}-wal beside it) to a writable folder."
        )
    if extended == READONLY_DIRECTORY or state == "read-only folder":
        folder = path.absolute().parent if path else "of the store"
        return CasecliError(
            f"The folder {folder} is read-only, so nothing was applied (SQLite must create "
            f"{name}-wal and {name}-shm beside the store); run casecli where that folder can "
            "be written, or fix its permissions."
            if writing
            else f"The folder {folder} is read-only for you, so casecli cannot open the store "
            f"there (SQLite must create {name}-shm beside it); copy the store to a folder you "
            "can write, or ask for write access to this one."
        )
    if extended == READONLY_DBMOVED:
        return CasecliError(
            f"{subject} was moved or deleted while casecli had it open{so}; "
            "check the --db path and try again."
        )
    if primary == READONLY:
        return CasecliError(
            f"The store is read-only{so}; check the permissions of the file and its folder."
        )
    if primary == CANTOPEN:
        return CasecliError(
            f"SQLite cannot open {what} ({text}){so}; check that you can read and write "
            "the file and its folder."
        )
    code = getattr(exc, "sqlite_errorname", "") or text
    return CasecliError(
        f"A disk I/O error ({code}) stopped casecli while it used {what}{so}; check that "
        "the disk has room and no errors, and that the folder is still there (a network "
        f"share still connected), then {again}."
    )


def _was_a_store(path: Path) -> bool:
    """``path`` does not read as a SQLite database: was it one (damaged), or never one?
    A file that starts as a SQLite file, or that casecli has used (its lock file or kept
    actions beside it), was a store."""
    try:
        with open(path, "rb") as f:
            if f.read(len(MAGIC)) == MAGIC:
                return True
    except OSError:
        return False
    return Path(f"{path}-lock").exists() or Path(f"{path}-cache").exists()


def store_error(
    exc: sqlite3.OperationalError, again: str = "sync again", path: Path | None = None
) -> CasecliError:
    """A write the store refused (locked, disk full, read-only, an I/O error, damaged),
    as one sentence."""
    return explain(exc, path, writing=True, again=again) or CasecliError(
        f"The store could not be written ({exc}), so nothing was applied."
    )


def _create_file_0600(path: Path) -> None:
    """Create an empty file readable by its owner only, whatever the umask."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


# --- opening -----------------------------------------------------------------------------

LOCAL_TABLES = ("recorded_events", "barriers", "goal_progress", "notes", "performance_goals",
                "audit_log")  # fmt: skip
SYNC_TABLES = ("sync_log", "sync_files", "rejects")
# What each kind of write checks at open: (tables it writes: quick_check; tables it
# reads and may rewrite: walked; None = every table).
WRITES: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]] = {
    "local": (LOCAL_TABLES, ("staff", "cases")),
    "sync": (SYNC_TABLES, None),
}


def connect(
    path: Path, *, create: bool = False, migrate: bool = True, write: str | None = None
) -> sqlite3.Connection:
    """Open the store at ``path``; with ``create``, make it (0600) if it does not exist.

    An existing store at an older schema is backed up, then migrated, when ``migrate``
    (:func:`upgrade`). ``write`` names the write the caller will make (a key of
    ``WRITES``): the store must then pass that write's quick check (:func:`verify`).
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
            state = _disk(path)
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
        try:
            verify(conn, path, write)
        except BaseException:
            conn.close()
            raise
    return conn


def _open_error(exc: sqlite3.Error, path: Path, writing: bool) -> CasecliError:
    return explain(exc, path, writing=writing) or CasecliError(
        f"{path} is not a casecli store ({exc}); check the --db path."
    )


def _immutable_is_safe(exc: sqlite3.Error, path: Path) -> bool:
    """A reader that SQLite cannot open for want of a writable folder or disk may read the
    file ``immutable`` only when nobody can be writing it (see the module docstring)."""
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


def _open_immutable(path: Path) -> sqlite3.Connection:
    uri = path.absolute().as_uri() + "?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        _configure(conn)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.DatabaseError as again:
        raise _open_error(again, path, False) from None
    return conn


# --- the quick check a write runs at open ------------------------------------------------

MMAP_FOR_WALK = 1 << 31  # SQLite caps it at its build's limit (2 GB for most builds)


def verify(conn: sqlite3.Connection, path: Path, write: str) -> None:
    """Refuse, in one sentence, a store that fails the quick check of ``write`` (a key of
    ``WRITES``, or "migrate" for the full ``quick_check``): see the module docstring."""
    try:
        if write == "migrate":
            found = _lines(conn.execute("PRAGMA quick_check(20)").fetchall())
        else:
            writes, reads = WRITES[write]
            found = _quick_check(conn, ("sqlite_master", *writes))
            if not found:
                _walk(conn, reads)
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise
        found = [str(exc)]
    if found:
        raise damaged(path, "; ".join(found[:3]), then=", so nothing was applied")


def _quick_check(conn: sqlite3.Connection, tables: tuple[str, ...]) -> list[str]:
    if sqlite3.sqlite_version_info < (3, 33, 0):  # no quick_check(TABLE) yet: walk them
        _walk(conn, tables)
        return []
    found: list[str] = []
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in tables:
        if table in have or table == "sqlite_master":
            found.extend(_lines(conn.execute(f'PRAGMA quick_check("{table}")').fetchall()))
    return found


def _lines(rows: list[tuple[object, ...]]) -> list[str]:
    """What an integrity or quick check reported, one problem a line ([] for "ok")."""
    out = []
    for row in rows:
        for line in str(row[0]).splitlines():
            if line.strip() and line != "ok" and not line.startswith("*** in database"):
                out.append(line.strip())
    return out


def _walk(conn: sqlite3.Connection, tables: tuple[str, ...] | None) -> None:
    """Load every page of the b-trees of ``tables`` (None: all) and their indexes, which
    makes SQLite check each page's header and child pointers; raises on damage."""
    rows = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master"
        " WHERE type IN ('table', 'index') AND rootpage > 0 AND tbl_name NOT LIKE 'sqlite_%'"
    ).fetchall()
    conn.execute(f"PRAGMA mmap_size = {MMAP_FOR_WALK}")  # no copy of each page: ~10x faster
    try:
        conn.execute("BEGIN")  # one snapshot for the walk
        try:
            for kind, name, table, sql in rows:
                if tables is not None and table not in tables:
                    continue
                if kind == "table":
                    conn.execute(f'SELECT count(*) FROM "{name}" NOT INDEXED').fetchone()
                elif sql is None or " WHERE " not in sql.upper():  # a partial index: skipped
                    conn.execute(f'SELECT count(*) FROM "{table}" INDEXED BY "{name}"').fetchone()
        finally:
            conn.execute("COMMIT")
    finally:
        conn.execute("PRAGMA mmap_size = 0")


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
            verify(conn, path, "migrate")
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
            if isinstance(exc, sqlite3.DatabaseError) and error_code(exc)[0] != 0:
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
    if isinstance(exc, sqlite3.Error) and is_damage(exc):
        return damaged(Path(path), str(exc), then=", so it cannot be backed up")
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    if isinstance(exc, sqlite3.Error) and error_code(exc)[0] == FULL:
        why = "the disk is full"
    return CasecliError(f"Cannot back up the store to {dest}: {why}.")


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
)


def check(conn: sqlite3.Connection) -> CheckResult:
    """The full ``integrity_check``, foreign keys, schema version and row counts. A
    damaged store gives ``damaged`` and SQLite's own lines, never an exception."""
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
        damage.extend(_lines(integrity))
    others: list[str] = []
    fk = guarded("PRAGMA foreign_key_check")
    if fk:
        others.append(f"{len(fk)} rows break a foreign key (first in table {fk[0][0]})")
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
