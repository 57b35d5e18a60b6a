"""``casecli sync``: bring an export folder into the store, keeping every promise in EXPORTS.md.

One sync is one transaction (``BEGIN IMMEDIATE`` … ``COMMIT``): a failure, a kill or
``--dry-run`` leaves the store exactly as it was. Each file is streamed into a temporary
staging table, validated there by set-based SQL (see ``checks``), and its good rows are
upserted into the table of the same name; a row is written only when a value changed,
so a second sync of the same export changes nothing. A file whose bytes, profile and
kind equal the last sync of its record type is not read again at all.

Rejects are stored with file, line, column, raw value and reason. Rows rejected only
because a referenced record was missing are retried on every later sync; any reject is
superseded when a later export sends a row with the same key.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from casecli.core import checks as ck
from casecli.core.contract import KNOWN_CASE_TYPES, RECORD_TYPES, RecordType
from casecli.core.errors import CasecliError, UsageError
from casecli.core.profiles import Profile, resolve
from casecli.core.source import Reader, SourceFile, find

STAGE = "temp.stage"
LINE = "coalesce(_line, rowid + 1)"  # the fast path leaves _line empty: row n is on line n + 1
SyncProgress = Callable[[str, int], None]  # (file name, bytes of it read so far)


@dataclass(frozen=True)
class Manifest:
    source: str | None = None
    as_of: str | None = None
    kind: str = "delta"
    profile: str | None = None


@dataclass
class FileResult:
    record_type: str
    file: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    gone: int = 0
    rejected: int = 0
    skipped: bool = False


@dataclass(frozen=True)
class Reject:
    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str


@dataclass
class SyncResult:
    status: str  # applied | unchanged | failed
    sync_id: int | None
    kind: str
    source: str | None
    as_of: str | None
    profile: str
    dry_run: bool
    files: list[FileResult] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    resolved: int = 0  # earlier rejects applied this time
    message: str | None = None

    @property
    def exit_code(self) -> int:
        if self.status == "failed":
            return 1
        return 3 if self.rejects else 0

    def to_json(self) -> dict[str, object]:
        files: dict[str, dict[str, object]] = {}
        for f in self.files:
            key = f.file if f.file not in files else f"{f.file}:{f.record_type}"
            files[key] = {
                "table": f.record_type,
                "rows": f.rows,
                "inserted": f.inserted,
                "updated": f.updated,
                "unchanged": f.unchanged,
                "gone": f.gone,
                "rejected": f.rejected,
                "skipped": f.skipped,
            }
        return {
            "status": self.status,
            "sync_id": self.sync_id,
            "kind": self.kind,
            "source": self.source,
            "as_of": self.as_of,
            "profile": self.profile,
            "dry_run": self.dry_run,
            "files": files,
            "rejects": [r.__dict__ for r in self.rejects],
            "resolved": self.resolved,
            "warnings": self.warnings,
            "message": self.message,
        }


def read_manifest(folder: Path) -> Manifest:
    path = folder / "manifest.toml"
    if not path.is_file():
        return Manifest()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CasecliError(f"manifest.toml is not valid TOML ({exc}); fix or remove it.") from None
    kind = data.get("kind", "delta")
    if kind not in ("full", "delta"):
        raise CasecliError(f'manifest.toml: kind is {kind!r}, expected "full" or "delta"; fix it.')
    as_of = data.get("as_of")
    if isinstance(as_of, datetime | date):
        as_of = as_of.isoformat()
    elif as_of is not None and not isinstance(as_of, str):
        raise CasecliError(
            "manifest.toml: as_of must be a date-time like 2026-11-21T23:00:00; fix it."
        )
    source = data.get("source")
    profile = data.get("profile")
    return Manifest(
        source=str(source) if source is not None else None,
        as_of=as_of,
        kind=kind,
        profile=str(profile) if profile is not None else None,
    )


def sync(
    conn: sqlite3.Connection,
    folder: Path,
    *,
    today: date,
    profile: str | None = None,
    full: bool = False,
    strict: bool = False,
    dry_run: bool = False,
    run_by: str | None = None,
    config_dir: Path | None = None,
    progress: SyncProgress | None = None,
    on_plan: Callable[[list[SourceFile]], None] | None = None,
    fail_after: str | None = None,
) -> SyncResult:
    """Sync the export in ``folder``. ``fail_after`` (tests only) raises after that table."""
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
    prof = resolve(profile or manifest.profile, folder, config_dir)
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
    empty_store = conn.execute("SELECT NOT EXISTS (SELECT 1 FROM cases)").fetchone()[0]
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
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise _store_error(exc) from None
    try:
        now = datetime.now().isoformat(timespec="seconds")
        sync_id = conn.execute(
            "INSERT INTO sync_log (started_at, folder, source, as_of, kind, profile, status, run_by)"
            " VALUES (?, ?, ?, ?, ?, ?, 'running', ?)",
            (now, str(folder.resolve()), manifest.source, manifest.as_of, kind, prof.name, run_by),
        ).lastrowid
        assert sync_id is not None
        result.sync_id = sync_id
        read: dict[str, tuple[tuple[str, ...], set[str]]] = {}  # file -> (header, columns used)
        for rt in RECORD_TYPES:
            job = _Job(conn, rt, sources[rt.name], prof, kind, sync_id, gone_on, result, progress)
            job.run(read)
            if fail_after == rt.name:
                raise RuntimeError(f"injected failure after {rt.name}")
        for file, (names, used) in read.items():
            result.warnings.extend(
                f"{file}: column {n!r} is not in the contract; ignored."
                for n in names
                if n and n not in used
            )
        changed = sum(f.inserted + f.updated + f.gone for f in result.files) + result.resolved
        result.status = "applied" if changed else "unchanged"
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
            result.message = (
                f"--strict: {len(result.rejects)} rows were rejected, so nothing was applied; "
                "fix them and sync again."
            )
        elif dry_run:
            conn.execute("ROLLBACK")
        else:
            conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        _rollback(conn)
        raise _store_error(exc) from None
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
    from casecli.core import store

    path = Path(path)
    conn = store.connect(path, create=True)
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


def _is_empty(conn: sqlite3.Connection) -> bool:
    tables = ("sync_log", "rejects", "recorded_events", "barriers", "goal_progress", "notes",
              "performance_goals", "audit_log") + tuple(rt.name for rt in RECORD_TYPES)  # fmt: skip
    return not any(conn.execute(f"SELECT EXISTS (SELECT 1 FROM {t})").fetchone()[0] for t in tables)


def _initial_build(path: Path, folder: Path, options: dict[str, Any]) -> SyncResult:
    from casecli.core import store

    tmp = path.with_name(path.name + ".initial-sync")
    for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)  # from an initial sync that was killed
    conn = store.connect(tmp, create=True)
    try:
        conn.execute("PRAGMA journal_mode = MEMORY")  # rollbacks work; nothing to recover
        conn.execute("PRAGMA synchronous = OFF")  # the file is fsynced once, at the end
        result = sync(conn, folder, **options)
        if result.status == "failed":
            conn.close()
            tmp.unlink()
            return result
        conn.execute("PRAGMA journal_mode = WAL")
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


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _store_error(exc: sqlite3.OperationalError) -> CasecliError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return CasecliError(
            "The store is locked by another sync or writer; nothing was applied, try again when it finishes."
        )
    if "full" in text:
        return CasecliError(
            "The disk is full; nothing was applied. Free some space and sync again."
        )
    if "readonly" in text or "read-only" in text:
        return CasecliError(
            "The store is read-only; nothing was applied. Check the file's permissions."
        )
    return CasecliError(f"The store could not be written ({text}); nothing was applied.")


class _Job:
    """One record type in one sync: stage, validate, apply, reject, mark gone."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        rt: RecordType,
        source: SourceFile | None,
        profile: Profile,
        kind: str,
        sync_id: int,
        gone_on: str,
        result: SyncResult,
        progress: SyncProgress | None,
    ) -> None:
        self.conn, self.rt, self.source, self.profile = conn, rt, source, profile
        self.kind, self.sync_id, self.gone_on, self.result = kind, sync_id, gone_on, result
        self.progress = progress
        self.checks = ck.checks(rt, "temp.stage")
        self.key = rt.key
        self.header_columns: tuple[str, ...] = rt.names

    # -- the steps -----------------------------------------------------------------

    def run(self, read: dict[str, tuple[tuple[str, ...], set[str]]]) -> None:
        conn, rt = self.conn, self.rt
        retryable = conn.execute(
            "SELECT count(*) FROM rejects WHERE record_type = ? AND resolved_sync_id IS NULL AND retryable = 1",
            (rt.name,),
        ).fetchone()[0]
        if self.source is None and not retryable:
            return
        fr = FileResult(rt.name, self.source.name if self.source else rt.file)
        self._create_stage()
        fingerprint = None
        if self.source is not None:
            fingerprint = self._fingerprint()
            last = conn.execute(
                "SELECT fingerprint, rows, inserted + updated + unchanged FROM sync_files"
                " WHERE record_type = ? ORDER BY sync_id DESC LIMIT 1",
                (rt.name,),
            ).fetchone()
            if last is not None and last[0] == fingerprint:
                fr.skipped = True
                fr.rows, fr.unchanged = last[1], last[2]
                if self.progress:
                    self.progress(self.source.name, self.source.size())
            else:
                loaded = self._load_direct(read) if not retryable else None
                if loaded is not None:
                    fr.rows = fr.inserted = loaded
                else:
                    fr.rows = self._stage_file(read)
        if retryable:
            self._stage_retries()
        staged = conn.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0]
        if staged:
            self._validate()
            was_empty = self._apply(fr)
            self._settle_rejects(fr)
            if self.kind == "full" and self.source is not None and not fr.skipped and not was_empty:
                fr.gone = self._mark_gone()
        self._warn_unknown_values()
        if fr.skipped:
            self._report_outstanding(fr)
        if self.source is not None:
            conn.execute(
                "INSERT INTO sync_files (sync_id, record_type, file, sha256, fingerprint, rows, inserted,"
                " updated, unchanged, gone, rejected, skipped) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    self.sync_id,
                    rt.name,
                    self.source.name,
                    self._sha,
                    fingerprint,
                    fr.rows,
                    fr.inserted,
                    fr.updated,
                    fr.unchanged,
                    fr.gone,
                    fr.rejected,
                    int(fr.skipped),
                ),
            )
        conn.execute(f"DROP TABLE {STAGE}")
        self.result.files.append(fr)

    def _fingerprint(self) -> str:
        assert self.source is not None
        self._sha = self.source.sha256()
        parts = (self._sha, self.profile.fingerprint, self.kind, self.source.name)
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def _create_stage(self, extra: tuple[str, ...] = ()) -> None:
        cols = ", ".join(f"{ck.q(c)} TEXT" for c in self.rt.names + extra)
        self.conn.execute(f"DROP TABLE IF EXISTS {STAGE}")
        self.conn.execute(
            f"CREATE TEMP TABLE stage (_line INTEGER, _err TEXT, _errval TEXT, _retry INTEGER,"
            f" _chk INTEGER, {cols})"
        )

    def _load_direct(self, read: dict[str, tuple[tuple[str, ...], set[str]]]) -> int | None:
        """The first load of a table: CSV rows straight into it, validated on the way.

        Returns the rows written, or None when the file must go through staging: the
        table already has rows (counts, gone-marking), a row was faulted or duplicated,
        or the file needs profile work or careful reading.
        """
        conn, rt, source = self.conn, self.rt, self.source
        assert source is not None
        if source.file_map.distinct or any(c.ref == rt.name for c in rt.columns):
            return None
        if conn.execute(f"SELECT EXISTS (SELECT 1 FROM main.{ck.q(rt.name)})").fetchone()[0]:
            return None
        with Reader(source, self.profile, self._on_read()) as reader:
            header = reader.header
            read.setdefault(source.name, (header.names, set()))[1].update(header.used)
            if not reader.fast:
                return None
            sql = ck.direct_insert(rt, header.file_columns, self.sync_id)
            conn.execute("SAVEPOINT direct")
            try:
                written = conn.executemany(sql, reader.raw_rows()).rowcount
                complete = written == reader.lines_read - 1
            except (sqlite3.ProgrammingError, sqlite3.IntegrityError):
                complete = False
            if not complete:
                conn.execute("ROLLBACK TO direct")
            conn.execute("RELEASE direct")
        return written if complete else None

    def _on_read(self) -> Callable[[int], None] | None:
        if self.progress is None or self.source is None:
            return None
        outer, name = self.progress, self.source.name
        return lambda nbytes: outer(name, nbytes)

    def _stage_file(self, read: dict[str, tuple[tuple[str, ...], set[str]]]) -> int:
        assert self.source is not None
        name = self.source.name
        on_read = self._on_read()
        with Reader(self.source, self.profile, on_read) as reader:
            header = reader.header
            names, used = read.setdefault(name, (header.names, set()))
            used.update(header.used)
            if not header.columns:
                return 0
            self.header_columns = header.columns
            unread = tuple(c for c in header.file_columns if c.startswith("_u"))
            self._create_stage(unread)
            staged = self._stage_fast(reader) if reader.fast else None
        if staged is None:  # profile work, ragged or blank rows, cells with line breaks
            self.conn.execute(f"DELETE FROM {STAGE}")
            with Reader(self.source, self.profile, on_read) as reader:
                staged = self._stage_careful(reader)
        if self.source.file_map.distinct:
            cols = ", ".join(ck.q(c) for c in header.columns)
            self.conn.execute(
                f"DELETE FROM {STAGE} WHERE _err IS NULL AND rowid NOT IN "
                f"(SELECT min(rowid) FROM {STAGE} WHERE _err IS NULL GROUP BY {cols})"
            )
            staged = self.conn.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0]
        key = ", ".join(ck.q(k) for k in self.key)
        self.conn.execute(f"CREATE INDEX temp.stage_key ON stage ({key})")
        return int(staged)

    def _stage_fast(self, reader: Reader) -> int | None:
        """Cells straight from the CSV reader into staging, as a bare loader would.

        Line numbers are implied (row n is on line n + 1); if a cell held a line break or
        a row was blank or ragged, that no longer holds and None sends the file the
        careful way instead.
        """
        cols = ", ".join(ck.q(c) for c in reader.header.file_columns)
        marks = ", ".join("?" * reader.header.width)
        try:
            self.conn.executemany(
                f"INSERT INTO {STAGE} ({cols}) VALUES ({marks})", reader.raw_rows()
            )
        except sqlite3.ProgrammingError:  # a row with another number of values
            return None
        staged = int(self.conn.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0])
        return staged if reader.lines_read == staged + 1 else None

    def _stage_careful(self, reader: Reader) -> int:
        """Row by row with physical line numbers, profile transforms and ragged rows kept."""
        header = reader.header
        names = ", ".join(ck.q(c) for c in header.columns)
        marks = ", ".join("?" * (len(header.columns) + 3))
        self.conn.executemany(
            f"INSERT INTO {STAGE} (_line, _err, _errval, {names}) VALUES ({marks})", reader.rows()
        )
        if reader.blank_lines:
            self.result.warnings.append(
                f"{reader.source.name}: {reader.blank_lines} blank lines skipped."
            )
        return int(self.conn.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0])

    def _key_match(self, raw: str) -> str:
        return " AND ".join(f"s.{ck.q(k)} = json_extract({raw}, '$.{k}')" for k in self.key)

    def _stage_retries(self) -> None:
        names = ", ".join(ck.q(c) for c in self.rt.names)
        extracts = ", ".join(f"json_extract(r.raw, '$.{c}')" for c in self.rt.names)
        self.conn.execute(
            f"INSERT INTO {STAGE} (_line, _retry, {names})"
            f" SELECT r.line, r.reject_id, {extracts} FROM rejects r"
            f" WHERE r.record_type = ? AND r.resolved_sync_id IS NULL AND r.retryable = 1"
            f" AND NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE s._retry IS NULL AND {self._key_match('r.raw')})",
            (self.rt.name,),
        )

    def _validate(self) -> None:
        conn = self.conn
        key_cols = [ck.q(k) for k in self.key]
        keys = ", ".join(key_cols)
        filled = " AND ".join(f"{k} <> ''" for k in key_cols)
        match = " AND ".join(f"s2.{k} = {STAGE}.{k}" for k in key_cols)
        lines = LINE.replace("_line", "s2._line").replace("rowid", "s2.rowid")
        conn.execute(
            f"UPDATE {STAGE} SET _chk = -1, _errval = (SELECT group_concat({lines}, ', ') FROM {STAGE} s2"
            f" WHERE s2._err IS NULL AND s2._retry IS NULL AND {match})"
            f" WHERE _err IS NULL AND _retry IS NULL AND ({keys}) IN (SELECT {keys} FROM {STAGE}"
            f" WHERE _err IS NULL AND _retry IS NULL AND {filled} GROUP BY {keys} HAVING count(*) > 1)"
        )
        case = ck.case_expression(self.checks, self.rt)
        conn.execute(
            f"UPDATE {STAGE} SET _chk = {case} WHERE _err IS NULL AND _chk IS NULL"
            f" AND ({ck.any_failure(self.checks, self.rt)})"
        )

    def _apply(self, fr: FileResult) -> bool:
        """Upsert the good rows and fill the counts; say whether the table was empty before."""
        conn, rt = self.conn, self.rt
        table = ck.q(rt.name)
        cols = rt.names
        select = ", ".join(ck.normalised(rt.column(c)) for c in cols)
        ok = "_err IS NULL AND _chk IS NULL"
        key_cols = [ck.q(k) for k in self.key]
        was_empty = not conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]
        good = conn.execute(f"SELECT count(*) FROM {STAGE} WHERE {ok}").fetchone()[0]
        if not good:
            return bool(was_empty)
        existing = 0
        if not was_empty:
            match = " AND ".join(f"t.{k} = s.{k}" for k in key_cols)
            existing = conn.execute(
                f"SELECT count(*) FROM {STAGE} s WHERE {ok} AND EXISTS (SELECT 1 FROM {table} t WHERE {match})"
            ).fetchone()[0]
        settable = [c for c in self.header_columns if c not in self.key]
        assignments = ", ".join(f"{ck.q(c)} = excluded.{ck.q(c)}" for c in settable)
        differs = " OR ".join(f"{table}.{ck.q(c)} IS NOT excluded.{ck.q(c)}" for c in settable)
        differs = (
            f"{differs} OR {table}._gone_on IS NOT NULL"
            if differs
            else f"{table}._gone_on IS NOT NULL"
        )
        sets = f"{assignments}, " if assignments else ""
        before = conn.total_changes
        conn.execute(
            f"INSERT INTO {table} ({', '.join(ck.q(c) for c in cols)}, _gone_on, _sync_id)"
            f" SELECT {select}, NULL, {self.sync_id} FROM {STAGE} WHERE {ok} ORDER BY rowid"
            f" ON CONFLICT ({', '.join(key_cols)}) DO UPDATE SET {sets}_gone_on = NULL,"
            f" _sync_id = excluded._sync_id WHERE {differs}"
        )
        changes = conn.total_changes - before
        retried = conn.execute(
            f"SELECT count(*) FROM {STAGE} WHERE {ok} AND _retry IS NOT NULL"
        ).fetchone()[0]
        inserted = good - existing
        fr.inserted = inserted
        fr.updated = changes - inserted
        fr.unchanged = existing - fr.updated
        if retried:  # earlier rejects that now apply
            resolved = conn.execute(
                f"UPDATE rejects SET resolved_sync_id = ?, resolution = 'applied' WHERE reject_id IN"
                f" (SELECT _retry FROM {STAGE} WHERE {ok} AND _retry IS NOT NULL)",
                (self.sync_id,),
            ).rowcount
            self.result.resolved += resolved
        return bool(was_empty)

    def _reject_sql(self) -> tuple[str, str, str, str]:
        """SQL expressions giving each bad staged row's column, value, reason and retryability."""
        fmap = self.source.file_map if self.source else None

        def src(col: str | None) -> str:
            if col is None:
                return "NULL"
            return ck._lit(fmap.source_column(col) if fmap else col)

        key_desc = " || '/' || ".join(f"coalesce({ck.q(k)}, '')" for k in self.key)
        column = ["CASE WHEN _err IS NOT NULL THEN NULL", f"WHEN _chk = -1 THEN {src(self.key[0])}"]
        value = ["CASE WHEN _err IS NOT NULL THEN _errval", f"WHEN _chk = -1 THEN {key_desc}"]
        reason = [
            "CASE WHEN _err IS NOT NULL THEN 'the row ' || _err || '; check the quoting and commas on this line'",
            "WHEN _chk = -1 THEN 'the key appears more than once in this file (lines ' || _errval"
            " || '), so none of these rows was applied; keep one row per key'",
        ]
        retry = ["CASE"]
        for c in self.checks:
            column.append(f"WHEN _chk = {c.number} THEN {src(c.column)}")
            value.append(f"WHEN _chk = {c.number} THEN {ck.cell(c.column) if c.column else 'NULL'}")
            reason.append(f"WHEN _chk = {c.number} THEN {ck._lit(f'{c.column} {c.reason}')}")
            if c.retryable:
                retry.append(f"WHEN _chk = {c.number} THEN 1")
        end = " END"
        retry_sql = " ".join(retry) + " ELSE 0 END" if len(retry) > 1 else "0"
        return (" ".join(column) + end, " ".join(value) + end, " ".join(reason) + end, retry_sql)

    def _settle_rejects(self, fr: FileResult) -> None:
        conn, rt = self.conn, self.rt
        column, value, reason, retry = self._reject_sql()
        raw = "json_object(" + ", ".join(f"'{c}', {ck.q(c)}" for c in self.header_columns) + ")"
        key_desc = " || '/' || ".join(f"{ck.q(k)}" for k in self.key)
        bad = "(_err IS NOT NULL OR _chk > 0 OR _chk = -1)"
        conn.execute("DROP TABLE IF EXISTS temp.new_rejects")
        conn.execute(
            "CREATE TEMP TABLE new_rejects (line INTEGER, col TEXT, value TEXT, reason TEXT,"
            " row_key TEXT, raw TEXT, retryable INTEGER, existing_id INTEGER)"
        )
        file = self.source.name if self.source else rt.file
        conn.execute(
            f"INSERT INTO temp.new_rejects (line, col, value, reason, row_key, raw, retryable)"
            f" SELECT {LINE}, {column}, {value}, {reason}, CASE WHEN _err IS NULL THEN {key_desc} END,"
            f" {raw}, {retry} FROM {STAGE} WHERE {bad} AND _retry IS NULL ORDER BY 1"
        )
        conn.execute(
            "UPDATE temp.new_rejects SET existing_id = (SELECT r.reject_id FROM rejects r"
            " WHERE r.record_type = ? AND r.resolved_sync_id IS NULL AND r.row_key IS new_rejects.row_key"
            " AND r.raw = new_rejects.raw AND r.reason = new_rejects.reason AND r.file = ? LIMIT 1)",
            (rt.name, file),
        )
        # A newer row for the same key replaces an older reject, whatever became of it.
        conn.execute(
            f"UPDATE rejects SET resolved_sync_id = ?, resolution = 'superseded'"
            f" WHERE record_type = ? AND resolved_sync_id IS NULL AND reject_id NOT IN"
            f" (SELECT existing_id FROM temp.new_rejects WHERE existing_id IS NOT NULL)"
            f" AND EXISTS (SELECT 1 FROM {STAGE} s WHERE s._retry IS NULL AND s._err IS NULL"
            f" AND {self._key_match('rejects.raw')})",
            (self.sync_id, rt.name),
        )
        conn.execute(
            'INSERT INTO rejects (sync_id, record_type, file, line, "column", value, reason, row_key,'
            " raw, retryable) SELECT ?, ?, ?, line, col, value, reason, row_key, raw, retryable"
            " FROM temp.new_rejects WHERE existing_id IS NULL ORDER BY line",
            (self.sync_id, rt.name, file),
        )
        for line, col, val, why in conn.execute(
            "SELECT line, col, value, reason FROM temp.new_rejects ORDER BY line"
        ):
            self.result.rejects.append(Reject(file, line, col, val, why))
        # Earlier rejects tried again and still failing stay outstanding and are listed
        # (for a file not re-read, _report_outstanding lists every outstanding one).
        for rfile, line, col, val, why in conn.execute(
            f'SELECT r.file, r.line, r."column", r.value, r.reason FROM rejects r JOIN {STAGE} s'
            f" ON s._retry = r.reject_id WHERE s._chk IS NOT NULL AND ? ORDER BY r.reject_id",
            (not fr.skipped,),
        ):
            self.result.rejects.append(Reject(rfile, line, col, val, why))
        fr.rejected = conn.execute("SELECT count(*) FROM temp.new_rejects").fetchone()[0]
        conn.execute("DROP TABLE temp.new_rejects")

    def _mark_gone(self) -> int:
        table = ck.q(self.rt.name)
        match = " AND ".join(f"s.{ck.q(k)} = {table}.{ck.q(k)}" for k in self.key)
        return int(
            self.conn.execute(
                f"UPDATE {table} SET _gone_on = ?, _sync_id = ? WHERE _gone_on IS NULL"
                f" AND NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE s._retry IS NULL AND {match})",
                (self.gone_on, self.sync_id),
            ).rowcount
        )

    def _report_outstanding(self, fr: FileResult) -> None:
        rows = self.conn.execute(
            'SELECT file, line, "column", value, reason FROM rejects WHERE record_type = ?'
            " AND resolved_sync_id IS NULL ORDER BY reject_id",
            (self.rt.name,),
        ).fetchall()
        fr.rejected = len(rows)
        self.result.rejects.extend(Reject(*r) for r in rows)

    def _warn_unknown_values(self) -> None:
        if self.rt.name != "cases":
            return
        known = ", ".join(ck._lit(k) for k in KNOWN_CASE_TYPES)
        for value, n in self.conn.execute(
            f"SELECT case_type, count(*) FROM main.cases WHERE _sync_id = ?"
            f" AND case_type NOT IN ({known}) GROUP BY case_type ORDER BY 2 DESC LIMIT 5",
            (self.sync_id,),
        ):
            self.result.warnings.append(
                f"cases: {n} cases have case_type {value!r}, which has no playbook; "
                "they get the generic one."
            )


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
