"""``casecli sync``: bring an export folder into the store, keeping every promise in EXPORTS.md.

One sync is one transaction (``BEGIN IMMEDIATE`` … ``COMMIT``): a failure, a kill or
``--dry-run`` leaves the store exactly as it was. The first load of a table streams the
CSV rows straight into it, each checked on the way; any other file is streamed into a
temporary staging table, validated there by set-based SQL (see ``checks``), and its good
rows are upserted into the table of the same name, a row written only when a value
changed, so a second sync of the same export changes nothing. A file whose bytes,
profile and kind equal the last sync of its record type is not read again at all. The
per-table work is in ``sync_job``.

Rejects are stored with file, line, column, raw value and reason. Rows rejected only
because a referenced record was missing are retried on every later sync; any reject is
superseded when a later export sends a row with the same key.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from casecli.core import when
from casecli.core.errors import CasecliError, UsageError
from casecli.core.ingest.checks import LOCAL_TIME
from casecli.core.ingest.manifest import Manifest, check_order, read_manifest
from casecli.core.ingest.profiles import resolve
from casecli.core.ingest.source import SourceFile, find
from casecli.core.ingest.sync_job import Job, StoreSide, SyncProgress
from casecli.core.ingest.sync_result import FileResult, Reject, SyncResult
from casecli.core.store import storelock
from casecli.core.store.contract import RECORD_TYPES
from casecli.core.store.scope import os_user
from casecli.core.store.store import store_error

__all__ = [
    "FileResult",
    "Manifest",
    "Reject",
    "SyncResult",
    "outstanding_rejects",
    "read_manifest",
    "sync",
    "sync_store",
]


# What ``sync(before_commit=...)`` is given: called with the connection and the sync's id
# before the commit, it returns what to call with the connection after it, or None.
BeforeCommit = Callable[[sqlite3.Connection, int], Callable[[sqlite3.Connection], None] | None]


def sync(
    conn: sqlite3.Connection,
    folder: Path,
    *,
    today: date,
    profile: str | None = None,
    full: bool = False,
    strict: bool = False,
    dry_run: bool = False,
    allow_older: bool = False,
    run_by: str | None = None,
    config_dir: Path | None = None,
    timezone: str | None = None,
    progress: SyncProgress | None = None,
    on_plan: Callable[[list[SourceFile]], None] | None = None,
    fail_after: str | None = None,
    before_commit: BeforeCommit | None = None,
    side: StoreSide | None = None,
) -> SyncResult:
    """Sync the export in ``folder``. ``timezone``: the config's (a profile's wins);
    ``fail_after`` (tests only) raises after that table. ``before_commit``: called with
    the connection and the sync's id once everything is written, before the commit (when
    the sync is applied, changed or not); what it returns is called with the connection after the
    commit (what is kept beside the store, brought up to date: ``kept_counts.refresh``).
    Neither can fail the sync: whatever they raise is dropped. ``side``: when ``conn`` is
    a scratch copy of part of a team store (``team_sync``), what fills it as the sync
    goes and says which of the store's tables have rows."""
    folder = Path(folder)
    if not folder.exists():
        raise CasecliError(f"The export folder {folder} does not exist; check the path.")
    if not folder.is_dir():
        raise UsageError(
            f"{folder} is a file, not an export folder; give the folder that holds the CSV files."
        )
    try:
        listing = sorted(p.name for p in folder.iterdir())
    except OSError as exc:
        raise CasecliError(
            f"Cannot read the export folder {folder} ({exc.strerror}); check its permissions."
        ) from None
    manifest = read_manifest(folder)
    kind = "full" if full else manifest.kind
    prof = resolve(profile, folder, config_dir, named_by_manifest=manifest.profile)
    try:
        zone = when.zone(prof.timezone or timezone)
    except ValueError:
        raise CasecliError(
            f"The time zone {prof.timezone or timezone!r} is not known; set timezone to a name "
            "such as America/Chicago (casecli config set timezone NAME)."
        ) from None
    manifest = manifest.with_as_of(zone, today)
    sources = {rt.name: find(folder, prof, rt) for rt in RECORD_TYPES}
    used = {s.path.name for s in sources.values() if s is not None}
    warnings = [
        f"{name}: not a file casecli knows; ignored."
        for name in listing
        if name not in used
        and name != "manifest.toml"
        and not name.startswith(".")
        and (folder / name).is_file()
        and not (prof.path and (folder / name) == prof.path)
    ]
    plan = [s for s in sources.values() if s is not None]
    for s in plan:
        try:
            with s.path.open("rb"):
                pass
        except OSError as exc:
            raise CasecliError(
                f"Cannot read {s.name} ({exc.strerror}); check its permissions."
            ) from None
    if not plan:
        raise CasecliError(
            f"{folder} holds no export files (staff.csv, cases.csv, …); check the folder, "
            "or give a profile that names the files (--profile)."
        )
    empty_store = (
        not (side and side.has_rows("cases"))
        and conn.execute("SELECT NOT EXISTS (SELECT 1 FROM cases)").fetchone()[0]
    )
    if empty_store and (sources["staff"] is None or sources["cases"] is None):
        missing = " and ".join(n for n in ("staff", "cases") if sources[n] is None)
        raise CasecliError(
            f"The first sync needs staff.csv and cases.csv, and the export has no {missing} file; "
            "add it to the folder."
        )
    if on_plan is not None:
        on_plan(plan)
    result = SyncResult(
        status="applied",
        sync_id=None,
        kind=kind,
        source=manifest.source,
        as_of=manifest.as_of,
        profile=prof.name,
        dry_run=dry_run,
        warnings=warnings,
    )
    gone_on = (manifest.as_of or today.isoformat())[:10]
    conn.create_function(
        LOCAL_TIME, 1, lambda v: None if v is None else when.local_time(v, zone), deterministic=True
    )
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise store_error(exc) from None
    try:
        note = check_order(conn, manifest.as_of, [s.record_type.name for s in plan], allow_older)
        if note:
            result.warnings.append(note)
        now = datetime.now().isoformat(timespec="seconds")
        by = (run_by, os_user())  # the staff id given (--as), if any; the OS user running it
        sync_id = conn.execute(
            "INSERT INTO sync_log (started_at, folder, source, as_of, kind, profile, status, run_by,"
            " os_user) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)",
            (now, str(folder.resolve()), manifest.source, manifest.as_of, kind, prof.name, *by),
        ).lastrowid
        assert sync_id is not None
        result.sync_id = sync_id
        read: dict[str, tuple[tuple[str, ...], set[str]]] = {}  # file -> (header, columns used)
        jobs = []
        for rt in RECORD_TYPES:
            job = Job(conn, rt, sources[rt.name], prof, kind, sync_id, gone_on, result, progress)
            job.side = side
            job.run(read)
            jobs.append(job)
            if fail_after == rt.name:
                raise RuntimeError(f"injected failure after {rt.name}")
        if side is not None:
            side.before_touched(jobs)
        for job in jobs:  # after removals, which placements lead to
            job.record_touched()
        for file, (names, used) in read.items():
            note = unread_columns_note(file, names, used)
            if note:
                result.warnings.append(note)
        changed = sum(f.inserted + f.updated + f.gone for f in result.files) + result.resolved
        result.status = "applied" if changed else "unchanged"
        result.older_rejects = conn.execute(
            "SELECT count(*) FROM rejects WHERE resolved_sync_id IS NULL"
            " AND coalesce(seen_sync_id, sync_id) <> ?",
            (sync_id,),
        ).fetchone()[0]
        totals = {
            k: sum(getattr(f, k) for f in result.files)
            for k in ("inserted", "updated", "unchanged", "gone")
        }
        conn.execute(
            "UPDATE sync_log SET finished_at = ?, status = ?, inserted = ?, updated = ?, unchanged = ?,"
            " gone = ?, rejected = ?, resolved = ? WHERE sync_id = ?",
            (
                datetime.now().isoformat(timespec="seconds"),
                result.status,
                totals["inserted"],
                totals["updated"],
                totals["unchanged"],
                totals["gone"],
                len(result.rejects),
                result.resolved,
                sync_id,
            ),
        )
        if strict and result.rejects:
            conn.execute("ROLLBACK")
            result.status = "failed"
            n = len(result.rejects)
            result.message = (
                f"--strict: {n} {'row was' if n == 1 else 'rows were'} rejected, so nothing was "
                "applied; fix them and sync again."
            )
        elif dry_run:
            conn.execute("ROLLBACK")
            if result.status == "applied":
                result.status = "would_apply"
        else:
            after = None
            if before_commit is not None:  # (unchanged too: it moves the marks)
                with contextlib.suppress(Exception):  # (a cache's, never the sync's)
                    after = before_commit(conn, sync_id)
            conn.execute("COMMIT")
            if after is not None:
                with contextlib.suppress(Exception):
                    after(conn)
    except sqlite3.OperationalError as exc:
        _rollback(conn)
        raise store_error(exc) from None
    except BaseException:
        _rollback(conn)
        raise
    return result


def sync_store(path: Path, folder: Path, **options: Any) -> SyncResult:
    """Sync into the store file at ``path`` (created if missing).

    The first sync into a store that holds nothing yet (the statewide initial load) is
    built in a new file beside it, without a write-ahead log, and moved into place only
    when complete: as atomic as a transaction, and a fifth faster. Any other sync runs
    as one transaction in the store itself.
    """
    from casecli.core.store import store

    path = Path(path)
    if not path.parent.is_dir():
        raise CasecliError(
            f"The folder for the store, {path.parent}, does not exist; create it first."
        )
    with storelock.exclusive(path, store.BUSY_TIMEOUT_MS, BUSY):
        # a damaged store is refused before the export is read (storecheck.verify)
        conn = store.connect(path, create=True, write="sync")
        try:
            fresh = not options.get("dry_run") and _is_empty(conn)
            if not fresh:
                return sync(conn, folder, **options)
        finally:
            conn.close()
        if Path(f"{path}-wal").exists():  # someone else has the store open: stay in place
            conn = store.connect(path)
            try:
                return sync(conn, folder, **options)
            finally:
                conn.close()
        return _initial_build(path, folder, options)


BUSY = (
    "Another sync (or a migration) is running on this store, so nothing was applied; "
    "try again when it finishes."
)


def _is_empty(conn: sqlite3.Connection) -> bool:
    tables = ("sync_log", "rejects", "recorded_events", "barriers", "goal_progress", "notes",
              "performance_goals", "audit_log") + tuple(rt.name for rt in RECORD_TYPES)  # fmt: skip
    return not any(conn.execute(f"SELECT EXISTS (SELECT 1 FROM {t})").fetchone()[0] for t in tables)


def _initial_build(path: Path, folder: Path, options: dict[str, Any]) -> SyncResult:
    from casecli.core.store import store

    tmp = path.with_name(path.name + ".initial-sync")
    for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)  # from an initial sync that was killed
    conn = store.connect(tmp, create=True)
    try:
        conn.execute("PRAGMA journal_mode = MEMORY")  # rollbacks work; nothing to recover
        conn.execute("PRAGMA synchronous = OFF")  # the file is fsynced once, at the end
        # Secondary indexes are built once, after the load, rather than row by row.
        tables = tuple(rt.name for rt in RECORD_TYPES)
        marks = ", ".join("?" * len(tables))
        indexes = conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            f" AND tbl_name IN ({marks})",
            tables,
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        result = sync(conn, folder, **options)
        if result.status == "failed":
            conn.close()
            tmp.unlink()
            return result
        try:  # the rebuilt indexes may not fit on the disk either
            conn.execute("BEGIN")
            for _, sql in indexes:
                conn.execute(sql)
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            _rollback(conn)
            raise store_error(exc) from None
        conn.close()
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return result
    except BaseException:
        conn.close()
        tmp.unlink(missing_ok=True)
        raise


COLUMN_NAME = re.compile(r"[A-Za-z_][\w .#()/-]{0,63}")


def unread_columns_note(file: str, names: tuple[str, ...], used: set[str]) -> str | None:
    """One note for a file's header cells that nothing reads, however many there are.

    Only cells that look like column names are echoed: the first line of a file that has
    no header is data (a child's name, a birth date), which must not reach a log."""
    unknown = [n for n in names if n and n not in used]
    empty = sum(1 for n in names if not n)
    if not unknown and not empty:
        return None
    parts = []
    if unknown:
        shown = [n for n in unknown if COLUMN_NAME.fullmatch(n)]
        listed = ", ".join(repr(n) for n in shown[:5])
        rest = len(unknown) - min(len(shown), 5)
        if listed and rest:
            listed += f" and {rest:,} more"
        elif not listed:
            listed = "none of them looks like a column name"
        many = len(unknown) != 1
        parts.append(
            f"{len(unknown):,} {'columns are' if many else 'column is'} not in the contract "
            f"and {'were' if many else 'was'} ignored ({listed})"
        )
    if empty:
        parts.append(f"{empty:,} empty header {'cells were' if empty != 1 else 'cell was'} ignored")
    return f"{file}: {'; '.join(parts)}."


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def outstanding_rejects(
    conn: sqlite3.Connection, sync_id: int | None = None
) -> list[dict[str, object]]:
    """Rejects not yet applied or superseded (of one sync, when given)."""
    sql = (
        'SELECT reject_id, sync_id, record_type, file, line, "column", value, reason, retryable'
        " FROM rejects WHERE resolved_sync_id IS NULL"
    )
    params: tuple[object, ...] = ()
    if sync_id is not None:
        sql += " AND sync_id = ?"
        params = (sync_id,)
    cur = conn.execute(sql + " ORDER BY reject_id", params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]
