"""``casecli sync`` into a team store (PostgreSQL): the same sync, the same promises.

A team store is synced by the one body of sync code a personal store uses (``sync``), so
that a file gives the same rejects, at the same lines, with the same reasons, the same
counts and the same rows on both. That code validates in SQLite's SQL against the store's
own tables; here it runs against a scratch SQLite file that holds, as the sync goes, the
part of the team store it reads (:class:`Part`, the ``StoreSide`` the sync asks):

- before anything: which of the store's export tables hold rows, the sync log and its
  files (the fingerprints of the last files, the order of exports), the outstanding
  rejects, and the staff (small, and what units and offices are checked against);
- before each file's rows are validated: the stored rows with the keys the file sends
  (to tell inserted from updated from unchanged), the rows its references name (a case,
  a person, a removal), and, when a full export marks what it lacks as gone, every row of
  the table still current;
- before the cases the sync changed are listed: the people and removals that lead a
  written row to its cases.

The rows the sync wrote there (every write stamps ``_sync_id``) are then copied into the
team store with ``COPY`` and merged set-based (``INSERT … ON CONFLICT DO UPDATE``; a table
empty before the sync is loaded by ``COPY`` straight into it), with the sync's log, its
files, the cases it changed and its rejects, in ONE transaction: a failure, a kill or
``--dry-run`` leaves the team store as it was. The staff are written last: an admin's
policies read them, and an export may make the admin running it inactive. One sync at a
time (the sync log locked for the transaction, ``team.SYNC_LOCK``, which ``db migrate``
takes too and only the owner or an admin may: a second sync waits WAIT_MS, as SQLite's
busy timeout, then is told); people recording visits and
barriers meanwhile are not held up, as they write other tables.

Who may sync a team store: its owner (the login that ran ``casecli db init``; the first
sync, before any staff member exists, is the owner's) or an active admin holding the
``casecli_admin`` role. The scratch file
is made in the system's temporary folder (``TMPDIR``) and removed after; a first load of a
statewide export needs about as much room there as the export's CSV files. A killed
sync's is removed by the user's next sync (:func:`_sweep_scratch`).

PostgreSQL's text cannot hold the NUL character (U+0000) that SQLite keeps: in a text cell
that is not an id (an id holding one is rejected on both) it is stored as U+FFFD, the
replacement character (after validation, which sees the cell as the file has it), and
compared as such (the same row sent again is unchanged); a reject keeps the row as it
came, but its value and key are stored with U+FFFD too (a key is read back from the raw
row, so the same bad row sent again is the same reject).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from casecli.core.errors import CasecliError
from casecli.core.ingest import checks as ck
from casecli.core.ingest.sync import sync
from casecli.core.ingest.sync_apply import GOOD, STAGE
from casecli.core.ingest.sync_job import Job
from casecli.core.ingest.sync_result import SyncResult
from casecli.core.store import store, team
from casecli.core.store.contract import RECORD_TYPES, STAFF, TEXT, RecordType, ref_target

BUSY = (
    "Another sync is running on this team store, so nothing was applied; try again when it"
    " finishes."
)
EXPORT_TABLES = tuple(rt.name for rt in RECORD_TYPES)
WANT = "pg_temp.casecli_want"  # keys asked for, in the team store's session
PUT = "pg_temp.casecli_put"  # rows written, before they are merged
REBUILD_FROM = 50_000  # rows of a first load from which its indexes are built after it
LOCK_WAIT_MS = 2_000  # how long the owner's first load waits to drop a table's indexes
WAIT_MS = 10_000  # how long a sync waits for another to finish (SQLite's busy timeout)
TEXT_OID = 25  # PostgreSQL's text
NO_NUL = "casecli_no_nul"  # an SQL function of the scratch connection: _replace_nul
SCRATCH = "casecli-sync-"  # the scratch folder's name in TMPDIR begins so
STALE_AFTER_S = 60  # a scratch folder no sync holds, this old, is a killed sync's


def sync_team(url: str, folder: Path, **options: Any) -> SyncResult:
    """Sync the export in ``folder`` into the team store at ``url`` (``sync``'s options but
    ``run_by``, the login's staff member, and ``before_commit``: what each login keeps is
    on their own machine, checked against the sync's changed cases at their next read)."""
    pg = team.connect(url)
    try:
        team.require_current(pg)
        with pg.transaction():
            options["run_by"], owner = _may_sync(pg)  # (first: only they may take the lock)
            _wait_for_others(pg)
            _sweep_scratch()
            with _scratch() as scratch:
                conn = store.connect(scratch / "part.db", create=True)
                try:
                    conn.execute("PRAGMA journal_mode = MEMORY")  # a scratch file: nothing
                    conn.execute("PRAGMA synchronous = OFF")  # to recover after a crash
                    _without_indexes(conn)
                    part = Part(pg, conn, owner=owner)
                    part.seed()
                    result = sync(conn, folder, side=part, **options)
                    if result.sync_id is not None and result.status in ("applied", "unchanged"):
                        part.push(result.sync_id)
                finally:
                    conn.close()
        if result.sync_id is not None and result.status in ("applied", "unchanged"):
            _prune_changes(pg)
        return result
    finally:
        pg.close()


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    """A new folder in ``TMPDIR`` (0700) for the sync's scratch file, removed after. Its lock
    file is held while the sync uses it (released by the system however the process ends),
    and until it is removed: a later sync knows a folder whose lock it can take for a killed
    sync's (:func:`_sweep_scratch`)."""
    import fcntl
    import shutil

    folder = Path(tempfile.mkdtemp(prefix=SCRATCH))
    try:
        fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)


def _sweep_scratch() -> None:
    """Remove the scratch folders of this user's syncs that were killed (a first load's
    is the size of the export, and it holds what the export does about children): in
    ``TMPDIR``, named so, the user's own and no link, holding a lock file no process holds,
    and last changed more than STALE_AFTER_S ago (a sync's folder is made a moment before
    it takes its lock). A folder with no lock file (an earlier casecli's) is left. Best
    effort: whatever cannot be looked at or removed is left as it is."""
    import fcntl
    import shutil
    import time

    with contextlib.suppress(OSError):
        for entry in os.scandir(tempfile.gettempdir()):
            if not entry.name.startswith(SCRATCH) or not entry.is_dir(follow_symlinks=False):
                continue
            with contextlib.suppress(OSError):
                st = entry.stat(follow_symlinks=False)
                if st.st_uid != os.getuid() or time.time() - st.st_mtime < STALE_AFTER_S:
                    continue
                fd = os.open(Path(entry.path) / "lock", os.O_RDWR | os.O_NOFOLLOW)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # (held: a sync runs)
                    shutil.rmtree(entry.path)
                finally:
                    os.close(fd)


def _prune_changes(pg: Any) -> None:
    """After the sync's commit, in a statement of its own (inside the sync's transaction
    it would hold up every local write until the sync ends): the changes of more than a
    week ago (security.sql, casecli_prune_changes). Best effort: the sync has committed."""
    import psycopg

    with contextlib.suppress(psycopg.Error):
        pg.execute("SELECT casecli_prune_changes()")


def _wait_for_others(pg: Any) -> None:
    """Hold the sync's lock for the transaction, waiting up to WAIT_MS for another sync
    (or a migration) to finish; one sentence when it does not."""
    import psycopg

    pg.execute(f"SET LOCAL lock_timeout = {WAIT_MS}")
    try:
        with pg.transaction():  # (a savepoint: the wait's failure is the sync's only)
            pg.execute(team.SYNC_LOCK)
    except psycopg.errors.LockNotAvailable:
        raise CasecliError(BUSY) from None
    pg.execute("SET LOCAL lock_timeout TO DEFAULT")  # (the server's, or the login's)


def _without_indexes(conn: sqlite3.Connection) -> None:
    """The scratch's export tables without their secondary indexes: the sync reads them by
    their keys alone, and a first load writes them a fifth faster without (``sync_store``
    builds a personal store so too). But the staff's: a unit or an office is checked by
    them (a case's unit_id is some staff member's; without them a 1% delta of 13,000 cases
    took 25 s to validate against 13,900 staff, 0.1 s with)."""
    tables = tuple(t for t in EXPORT_TABLES if t != "staff")
    marks = ", ".join("?" * len(tables))
    for (name,) in conn.execute(
        f"SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        f" AND tbl_name IN ({marks})",
        tables,
    ).fetchall():
        conn.execute(f"DROP INDEX {ck.q(name)}")


def _may_sync(pg: Any) -> tuple[str | None, bool]:
    """The staff id the sync is run by (None: the store's owner), and whether the login
    owns the tables (row-level security does not bind it); one sentence for a login that
    is neither the owner nor an active admin."""
    staff_id, admin, role = pg.execute(
        "SELECT (SELECT staff_id FROM casecli_me()), casecli_is_admin(),"
        " pg_has_role(session_user, 'casecli_admin', 'MEMBER')"
    ).fetchone()
    if team.owns(pg):
        return (str(staff_id) if admin else None), True
    if admin and role:
        return str(staff_id), False
    if admin:
        raise CasecliError(
            f"staff.csv makes {staff_id} an admin, but their login does not hold the admin"
            " role yet; ask the team store's owner to run casecli db grant."
        )
    raise CasecliError(
        "Only an admin (or the team store's owner) may sync a team store; ask one to run"
        " casecli sync."
    )


class Part:
    """The part of a team store a sync reads, copied into its scratch SQLite connection as
    it goes (``sync_job.StoreSide``), and what the sync wrote there, copied back."""

    def __init__(self, pg: Any, conn: sqlite3.Connection, *, owner: bool = True) -> None:
        self.pg, self.conn = pg, conn
        self.owner = owner  # COPY into a table under row-level security is refused
        self.held: dict[str, bool] = {}
        self._columns: dict[str, list[str]] = {}
        self._types: dict[str, list[int]] = {}
        self.last_reject = 0
        conn.create_function(NO_NUL, 1, _replace_nul, deterministic=True)

    # -- what the sync asks -----------------------------------------------------------

    def has_rows(self, table: str) -> bool:
        return self.held.get(table, False)

    def seed(self) -> None:
        """What every sync reads: which tables hold rows, the sync log and files, the
        outstanding rejects, the staff."""
        for table in EXPORT_TABLES:
            (self.held[table],) = self.pg.execute(
                f"SELECT EXISTS (SELECT 1 FROM {ck.q(table)})"
            ).fetchone()
        self._copy_in("sync_log")
        self._copy_in("sync_files")
        self._copy_in("rejects", "WHERE t.resolved_sync_id IS NULL")
        self._restore_nul_keys()
        self._copy_in("staff")
        (self.last_reject,) = self.pg.execute(
            "SELECT coalesce(max(reject_id), 0) FROM rejects"
        ).fetchone()

    def _restore_nul_keys(self) -> None:
        """An outstanding reject's key that held a NUL (stored as U+FFFD), as its raw row
        has it, so that the same bad row sent again is the same reject (``settle``
        compares keys; SQLite's json_extract would stop at the NUL: read here)."""
        keys = {rt.name: rt.key for rt in RECORD_TYPES}
        found = self.conn.execute(
            "SELECT reject_id, record_type, raw FROM rejects"
            " WHERE resolved_sync_id IS NULL AND instr(row_key, char(65533))"
        ).fetchall()
        for reject_id, record_type, raw in found:
            cells = json.loads(raw)
            parts = [cells.get(k) for k in keys.get(record_type, ())]
            if parts and all(isinstance(p, str) for p in parts):
                self.conn.execute(
                    "UPDATE rejects SET row_key = ? WHERE reject_id = ?",
                    ("/".join(parts), reject_id),
                )

    def before_validate(self, job: Job, marks_gone: bool) -> None:
        rt = job.rt
        if rt.name != "staff" and self.held[rt.name]:
            keys = [ck.normalised(rt.column(k)) for k in rt.key]
            if marks_gone or self._any_staged(keys):
                self._want(rt.name, list(rt.key), self._staged(keys))
                self._copy_in(rt.name, f"WHERE {self._matching(rt.key)}")
                if marks_gone:  # the rows a full export may mark gone: all still current
                    self._copy_in(
                        rt.name, f"WHERE t._gone_on IS NULL AND NOT {self._matching(rt.key)}"
                    )
        for col in rt.columns:
            if col.ref is None:
                continue
            table, key = ref_target(col.ref)
            if table == "staff" or not self.held[table]:  # the staff are all here
                continue
            value = [ck.normalised(col)]
            if self._any_staged(value):
                self._want(table, [key], self._staged(value))
                self._copy_in(table, f"WHERE {self._matching((key,))}")

    def before_apply(self, job: Job) -> None:
        """A NUL in a good row's text cell becomes U+FFFD (PostgreSQL's text cannot hold
        it), so that it is compared as stored; after validation, which saw the cell as the
        file has it (its length, a repeated key), and only in the rows applied: a
        rejected row is kept as it came."""
        texts = [ck.q(c.name) for c in job.rt.columns if c.type == TEXT and not c.is_id]
        if texts and job.seen.control:  # (a file whose bytes held no control byte has none)
            self.conn.execute(
                f"UPDATE {STAGE} SET {', '.join(f'{c} = {NO_NUL}({c})' for c in texts)}"
                f" WHERE {GOOD} AND ({' OR '.join(f'instr({c}, char(0))' for c in texts)})"
            )

    def before_touched(self, jobs: Sequence[Job]) -> None:
        for table, column in (("removals", "removal_id"), ("people", "person_id")):
            values = sorted({v for job in jobs for c, v in job.touched if c == column})
            if values and self.held[table]:
                self._want(table, [column], [(v,) for v in values])
                self._copy_in(table, f"WHERE {self._matching((column,))}")

    # -- what the sync wrote ----------------------------------------------------------

    def push(self, sync_id: int) -> None:
        """Copy what the sync wrote into the team store (the caller's transaction). The
        staff go last: an admin's policies read the staff table, and an export may change
        the admin's own row (demoted, or gone from a full export), which would refuse the
        rest of their sync had it gone first (a statement's policies read it once, as it
        begins)."""
        self._put("sync_log", "WHERE sync_id = ?", (sync_id,), insert=True)
        for rt in RECORD_TYPES:
            if rt.name != "staff":
                self._put_table(rt, sync_id)
        self._put_sync_tables(sync_id)
        self._put_table(STAFF, sync_id)

    def _put_table(self, rt: RecordType, sync_id: int) -> None:
        where = "WHERE _sync_id = ?"
        if self.held[rt.name]:
            self._put(rt.name, where, (sync_id,), key=rt.key)
            return
        # Empty before: straight in. As the owner, a large first load's secondary indexes
        # are built once its rows are in (in this transaction: nobody else sees the table
        # without them), unless someone is reading the table (its lock is not waited for
        # past LOCK_WAIT), and the statistics are taken for the commands that read it next.
        (n,) = self.conn.execute(
            f"SELECT count(*) FROM main.{ck.q(rt.name)} {where}", (sync_id,)
        ).fetchone()
        if not n:
            return
        rebuilt = self._dropped_indexes(rt.name) if self.owner and n >= REBUILD_FROM else []
        self._put(rt.name, where, (sync_id,), insert=True)
        for _, definition in rebuilt:
            self.pg.execute(definition)
        if self.owner:
            self.pg.execute(f"ANALYZE {ck.q(rt.name)}")

    def _dropped_indexes(self, table: str) -> list[tuple[str, str]]:
        """Drop ``table``'s secondary indexes, if its lock comes within LOCK_WAIT; their
        (name, CREATE INDEX …), or none when they stay."""
        import psycopg

        found = self._index_definitions(table)
        if not found:
            return []
        try:
            with self.pg.transaction():  # (a savepoint)
                self.pg.execute(f"SET LOCAL lock_timeout = {LOCK_WAIT_MS}")
                for name, _ in found:
                    self.pg.execute(f"DROP INDEX {ck.q(name)}")
                self.pg.execute("SET LOCAL lock_timeout TO DEFAULT")
        except psycopg.errors.LockNotAvailable:
            return []
        return found

    def _put_sync_tables(self, sync_id: int) -> None:
        """The sync's own tables: its files, the cases it changed, its rejects."""
        self._put("sync_files", "WHERE sync_id = ?", (sync_id,), insert=True)
        self._put("sync_cases", "WHERE sync_id = ?", (sync_id,), insert=True)
        # New rejects take ids after the store's last (the part holds the outstanding only).
        self.conn.execute(
            "CREATE TEMP TABLE new_ids AS SELECT reject_id AS old,"
            " ? + row_number() OVER (ORDER BY reject_id) AS new FROM rejects WHERE sync_id = ?",
            (self.last_reject, sync_id),
        )
        cols = self.columns("rejects")
        picked = ", ".join("n.new" if c == "reject_id" else f"r.{ck.q(c)}" for c in cols)
        self._put(
            "rejects",
            "WHERE sync_id = ?",
            (sync_id,),
            insert=True,
            select=f"SELECT {picked} FROM rejects r JOIN temp.new_ids n ON n.old = r.reject_id"
            " WHERE r.sync_id = ? ORDER BY r.reject_id",
        )
        self.conn.execute("DROP TABLE temp.new_ids")
        # Earlier rejects this sync applied, superseded or saw again.
        changed = ("reject_id", "resolved_sync_id", "resolution", "seen_sync_id")
        self._load(
            PUT,
            changed,
            self.conn.execute(
                f"SELECT {', '.join(changed)} FROM rejects WHERE sync_id <> ?"
                " AND (resolved_sync_id = ? OR seen_sync_id = ?)",
                (sync_id, sync_id, sync_id),
            ),
            like="rejects",
        )
        self.pg.execute(
            f"UPDATE rejects r SET resolved_sync_id = p.resolved_sync_id,"
            f" resolution = p.resolution, seen_sync_id = p.seen_sync_id"
            f" FROM {PUT} p WHERE r.reject_id = p.reject_id"
        )
        self.pg.execute(f"DROP TABLE {PUT}")

    def _index_definitions(self, table: str) -> list[tuple[str, str]]:
        """(name, CREATE INDEX …) of ``table``'s indexes but its key's."""
        rows = self.pg.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema()"
            " AND i.tablename = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
            " WHERE c.conname = i.indexname AND c.conrelid = %s::regclass) ORDER BY 1",
            (table, table),
        ).fetchall()
        return [(str(n), str(d)) for n, d in rows]

    # -- the copying ------------------------------------------------------------------

    def columns(self, table: str) -> list[str]:
        """The table's columns (the scratch's: the team store has the same, at the same
        schema version)."""
        if table not in self._columns:
            self._columns[table] = [
                str(r[1]) for r in self.conn.execute(f"PRAGMA main.table_info({ck.q(table)})")
            ]
        return self._columns[table]

    def _pg_types(self, table: str) -> list[int]:
        """The team store's type of each of :meth:`columns` (for a binary ``COPY``)."""
        if table not in self._types:
            cols = ", ".join(ck.q(c) for c in self.columns(table))
            cur = self.pg.execute(f"SELECT {cols} FROM {ck.q(table)} LIMIT 0")
            self._types[table] = [d.type_code for d in cur.description]
        return self._types[table]

    def _copy_in(self, table: str, where: str = "", params: tuple[Any, ...] = ()) -> None:
        """Rows of the team store's ``table`` (as ``t``; ``where``: a clause) into the
        scratch's, where none with their key is yet: a row the sync already wrote there is
        newer."""
        cols = self.columns(table)
        names = ", ".join(ck.q(c) for c in cols)
        picked = ", ".join(f"t.{ck.q(c)}" for c in cols)
        marks = ", ".join("?" * len(cols))
        types = self._pg_types(table)  # (asked first: the connection is busy in a COPY)
        with (
            self.pg.cursor() as cur,
            cur.copy(
                f"COPY (SELECT {picked} FROM {ck.q(table)} t {where}) TO STDOUT (FORMAT BINARY)",
                params or None,
            ) as copy,
        ):
            copy.set_types(types)
            self.conn.executemany(
                f"INSERT OR IGNORE INTO main.{ck.q(table)} ({names}) VALUES ({marks})",
                copy.rows(),
            )

    def _staged(self, exprs: list[str]) -> Iterator[tuple[Any, ...]]:
        """The distinct values of ``exprs`` (SQL over the staged rows, as they would be
        stored) that the staged rows hold, none of them empty (read as they are sent: a
        full export's keys are millions)."""
        return self.conn.execute(
            f"SELECT DISTINCT {', '.join(exprs)} FROM {STAGE} WHERE {_filled(exprs)}"
        )

    def _any_staged(self, exprs: list[str]) -> bool:
        return bool(
            self.conn.execute(
                f"SELECT EXISTS (SELECT 1 FROM {STAGE} WHERE {_filled(exprs)})"
            ).fetchone()[0]
        )

    def _want(self, table: str, columns: list[str], values: Iterable[tuple[Any, ...]]) -> None:
        """``values`` of ``table``'s ``columns`` into the session's list of wanted keys."""
        self._load(WANT, columns, values, like=table)
        self.pg.execute(f"ANALYZE {WANT}")

    def _matching(self, columns: Sequence[str]) -> str:
        """True for a row ``t`` whose ``columns`` are wanted (:meth:`_want`)."""
        same = " AND ".join(f"w.{ck.q(c)} = t.{ck.q(c)}" for c in columns)
        return f"EXISTS (SELECT 1 FROM {WANT} w WHERE {same})"

    def _load(
        self, into: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]], *, like: str
    ) -> None:
        """``rows`` into a new session table ``into`` with ``like``'s ``columns``."""
        names = ", ".join(ck.q(c) for c in columns)
        self.pg.execute(f"DROP TABLE IF EXISTS {into}")
        self.pg.execute(f"CREATE TEMP TABLE {into.split('.')[-1]} AS SELECT {names}"
                        f" FROM {ck.q(like)} WITH NO DATA")  # fmt: skip
        self._write(f"COPY {into} ({names}) FROM STDIN", rows)

    def _write(self, statement: str, rows: Iterable[tuple[Any, ...]]) -> None:
        with self.pg.cursor() as cur, cur.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def _put(
        self,
        table: str,
        where: str,
        params: tuple[Any, ...],
        *,
        insert: bool = False,
        key: Sequence[str] = (),
        select: str | None = None,
    ) -> None:
        """The scratch's rows of ``table`` picked by ``where`` into the team store's: by
        ``COPY`` straight in (``insert``), or merged on ``key`` (replacing the stored row:
        the scratch held it, and the sync changed it)."""
        cols = self.columns(table)
        names = ", ".join(ck.q(c) for c in cols)
        rows: Iterable[tuple[Any, ...]] = self.conn.execute(
            select or f"SELECT {names} FROM main.{ck.q(table)} {where}", params
        )
        texts = [c for c, t in zip(cols, self._pg_types(table), strict=True) if t == TEXT_OID]
        nul = " OR ".join(f"instr({ck.q(c)}, char(0))" for c in texts)
        if (
            nul
            and self.conn.execute(
                f"SELECT EXISTS (SELECT 1 FROM main.{ck.q(table)} {where} AND ({nul}))", params
            ).fetchone()[0]
        ):  # (rare: a second look costs less than a look at each row here)
            rows = _no_nul(rows)
        if insert and self.owner:
            self._write(f"COPY {ck.q(table)} ({names}) FROM STDIN", rows)
            return
        self._load(PUT, cols, rows, like=table)
        if insert:  # (an admin: through the policies)
            self.pg.execute(f"INSERT INTO {ck.q(table)} ({names}) SELECT {names} FROM {PUT}")
            self.pg.execute(f"DROP TABLE {PUT}")
            return
        keys = ", ".join(ck.q(k) for k in key)
        sets = ", ".join(f"{ck.q(c)} = EXCLUDED.{ck.q(c)}" for c in cols if c not in key)
        self.pg.execute(
            f"INSERT INTO {ck.q(table)} ({names}) SELECT {names} FROM {PUT}"
            f" ON CONFLICT ({keys}) DO UPDATE SET {sets}"
        )
        self.pg.execute(f"DROP TABLE {PUT}")


def _filled(exprs: list[str]) -> str:
    """A staged row that was read (no parse error) with every one of ``exprs``, none of
    them holding a NUL (an id that does is rejected: no stored row has it, and
    PostgreSQL's text could not be asked for it)."""
    filled = [f"({e}) IS NOT NULL AND instr({e}, char(0)) = 0" for e in exprs]
    return " AND ".join(["_err IS NULL", *filled])


def _replace_nul(value: Any) -> Any:
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


def _no_nul(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """Rows with any NUL character in a text value replaced by U+FFFD (PostgreSQL's text
    cannot hold NUL)."""
    for row in rows:
        if any(isinstance(v, str) and "\x00" in v for v in row):
            row = tuple(_replace_nul(v) for v in row)
        yield row
